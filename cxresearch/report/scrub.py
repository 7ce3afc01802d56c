"""No path of the machine a report was rendered on leaves in the report folder.

A report is shared: its pages and executed notebooks must not tell where the
study lies, who rendered it or how the machine is laid out. The executed
notebooks carry paths in the injected ``study`` parameter, in papermill's
metadata (``input_path``, ``output_path``) and in outputs (a warning names its
source file); the index page may name a data file. :class:`PathScrubber`
rewrites them: a path inside the study's folder becomes relative to it
(``study.yaml``), the report and build folders disappear (``notebooks/x.ipynb``),
the chapters' folder becomes nothing (``01_kpis.ipynb``), Python's own folders
``<python>``, the working directory nothing and the home folder ``~``.
Embedded images (``data:`` URIs, ``image/*`` outputs) are left as they are.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+")
_SEPARATORS = "/\\" if os.sep == "\\" else "/"


@dataclass(frozen=True)
class PathScrubber:
    """Rewrites absolute folders in text: ``replacements`` maps each folder (as
    text, without a trailing separator) to what stands for it (``""``: the
    path goes relative)."""

    replacements: dict[str, str]

    @classmethod
    def for_report(
        cls, study_folder: Path, build: Path, out_dir: Path, chapters: Path
    ) -> PathScrubber:
        """The folders a report's files may name, most specific first."""
        folders = [
            (build, ""),
            (out_dir, ""),
            (study_folder, ""),
            (chapters, ""),
            (Path(sys.prefix), "<python>"),
            (Path(sys.base_prefix), "<python>"),
            (Path.cwd(), ""),
            (Path.home(), "~"),
        ]
        replacements: dict[str, str] = {}
        for folder, name in folders:
            for form in _forms(folder):
                if len(Path(form).parts) >= 2:  # never the root alone
                    replacements.setdefault(form, name)
        return cls(replacements)

    def text(self, text: str) -> str:
        """``text`` with every folder replaced, embedded images untouched."""
        if not self.replacements or not text:
            return text
        pieces, start = [], 0
        for image in _DATA_URI.finditer(text):
            pieces += [self._plain(text[start : image.start()]), image.group()]
            start = image.end()
        pieces.append(self._plain(text[start:]))
        return "".join(pieces)

    def tree(self, node: Any) -> Any:
        """A notebook (or any JSON-like tree) with every string scrubbed, in place;
        binary outputs (``image/png`` and the like) are skipped."""
        if isinstance(node, dict):
            for key, value in node.items():
                if not _is_binary(key):
                    node[key] = self.tree(value)
            return node
        if isinstance(node, list):
            node[:] = [self.tree(item) for item in node]
            return node
        return self.text(node) if isinstance(node, str) else node

    @cached_property
    def _pattern(self) -> re.Pattern:
        folders = sorted(self.replacements, key=len, reverse=True)
        alternatives = "|".join(re.escape(f) for f in folders)
        # a whole folder: followed by a separator (taken along) or by no name character
        return re.compile(rf"({alternatives})([{re.escape(_SEPARATORS)}]|(?![\w.-]))")

    def _plain(self, text: str) -> str:
        def replace(match: re.Match) -> str:
            name = self.replacements[match.group(1)]
            if match.group(2):  # a path below the folder
                return f"{name}/" if name else ""
            return name or "."

        return self._pattern.sub(replace, text)


def _forms(folder: Path) -> Iterable[str]:
    """A folder as written (absolute) and with its links resolved."""
    folder = Path(os.path.abspath(folder))
    yield str(folder)
    yield str(folder.resolve())


def _is_binary(mime: str) -> bool:
    return mime.startswith(("image/", "application/pdf")) and mime != "image/svg+xml"
