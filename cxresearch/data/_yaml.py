"""Read ``study.yaml`` as YAML, strictly and within bounds.

:func:`load_codebook_yaml` turns a codebook file into plain Python values (a
mapping of keys) or raises one :class:`~cxresearch.errors.StudyError` in
plain words naming the file: a missing, unreadable or oversized file, a folder,
text that is not UTF-8, an empty file, a YAML syntax error (with its line),
nesting deeper than :data:`MAX_DEPTH`, or aliases that expand to more than
:data:`MAX_ALIAS_NODES` extra values ("billion laughs").

Keys written twice in one mapping (where YAML silently keeps the last) are
returned as problems, with both line numbers, so that the parser reports them
together with every other problem of the codebook.

The loader is PyYAML's safe loader (on libyaml's parser where PyYAML has it)
with three changes: nesting is bounded from the parser's events before the
(recursive) composing of nodes, and alias expansion before values are built;
duplicate keys are recorded; and dates stay text (a codebook has no use for
date objects; ``waves: [2026-01-01]`` are labels).
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem, StudyError

MAX_BYTES = 1_000_000
"""A codebook is a short text file: larger files are refused before parsing."""
MAX_DEPTH = 40
"""Deepest nesting of lists and mappings (a real codebook needs about 5)."""
MAX_ALIAS_NODES = 10_000
"""Most values that aliases (``*name``) may add when expanded."""

_BOMS = {
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}
_SAVE_AS = "save it as UTF-8 text (in most editors: Save as, encoding UTF-8)"


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when built


class CodebookLoader(_SafeLoader):  # type: ignore[misc, valid-type]
    """PyYAML's safe loader that records keys written twice in one mapping
    (``duplicates``: key, first line, second line; lines from 1) and keeps
    dates as text."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.duplicates: list[tuple[Any, int, int]] = []

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            self._record_duplicates(node)
        return super().construct_mapping(node, deep=deep)

    def _record_duplicates(self, node: yaml.MappingNode) -> None:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                key_node, yaml.ScalarNode
            ):
                continue
            key = self.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if key in first_line:
                self.duplicates.append((key, first_line[key], line))
            else:
                first_line[key] = line


CodebookLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}


def load_codebook_yaml(path: Path) -> tuple[Any, list[Problem]]:
    """The values of the codebook at ``path`` and the problems of its keys.

    Returns the loaded document (whatever YAML it holds: the parser checks
    that it is a mapping) and one :class:`Problem` per key written twice.
    Raises :class:`StudyError` when the file cannot be read as a bounded
    YAML document at all.
    """
    text = read_codebook_text(path)
    file = str(path)
    if not _has_content(text):
        raise StudyError(
            Problem(file, "the codebook is empty: write at least name:, responses: and outcomes:")
        )
    check_depth(text, file)
    loader = CodebookLoader(text)
    try:
        node = loader.get_single_node()
        check_aliases(node, file)
        raw = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise StudyError(Problem(file, syntax_message(exc))) from None
    finally:
        loader.dispose()
    problems = [
        Problem(
            file,
            f"duplicate key '{key}': written twice in the same mapping, at lines {first} "
            f"and {second}; YAML would silently keep only the last one, so write it once",
            str(key),
        )
        for key, first, second in loader.duplicates
    ]
    return raw, problems


def read_codebook_text(path: Path) -> str:
    """The text of a codebook file: refused, in plain words, when it is
    missing, a folder, unreadable, over :data:`MAX_BYTES` or not UTF-8."""
    file = str(path)
    if path.is_dir():
        inside = "" if (path / "study.yaml").exists() else " (and it holds no study.yaml)"
        raise StudyError(
            Problem(file, f"the codebook is a folder, not a file{inside}; give the study.yaml file")
        )
    if path.exists() and not path.is_file():  # a device or a pipe would never end
        raise StudyError(
            Problem(
                file, "the codebook is not a regular file (a device or a pipe?); give study.yaml"
            )
        )
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise StudyError(
                Problem(
                    file,
                    f"the codebook is {size:,} bytes; a codebook is a short text file "
                    f"(at most {MAX_BYTES:,} bytes): is this the data file?",
                )
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise StudyError(Problem(file, "the codebook file does not exist")) from None
    except PermissionError:
        raise StudyError(
            Problem(file, "the codebook cannot be read: permission denied (check who may read it)")
        ) from None
    except OSError as exc:
        raise StudyError(
            Problem(file, f"the codebook cannot be read: {exc.strerror or exc}")
        ) from None
    return decode(data, file)


def decode(data: bytes, file: str) -> str:
    """UTF-8 text (a UTF-8 byte-order mark is allowed) or a plain refusal."""
    for bom, name in _BOMS.items():
        if data.startswith(bom):
            raise StudyError(Problem(file, f"the codebook is saved as {name}; {_SAVE_AS}"))
    if b"\x00" in data:
        raise StudyError(
            Problem(file, f"the codebook is not text (it holds NUL bytes, e.g. UTF-16); {_SAVE_AS}")
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start : exc.start + 1].hex()
        raise StudyError(
            Problem(
                file,
                f"the codebook is not UTF-8 text: line {line} has the byte 0x{byte}, "
                f"e.g. from a Windows code page such as cp1250; {_SAVE_AS}",
            )
        ) from None


def check_depth(text: str, file: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` from the parser's events,
    before anything recursive (composing nodes) runs."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=CodebookLoader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _too_deep(file, event.start_mark.line + 1)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if "nesting depth" in str(getattr(exc, "problem", "")) and mark is not None:
            # libyaml >= 0.2.6 (PyYAML 6.0.4) scans ahead and stops deep
            # flow nesting itself, before the events reach the count above.
            raise _too_deep(file, mark.line + 1) from None
        raise StudyError(Problem(file, syntax_message(exc))) from None


def _too_deep(file: str, line: int) -> StudyError:
    return StudyError(
        Problem(
            file,
            f"the codebook nests lists and mappings more than {MAX_DEPTH} "
            f"levels deep (at line {line}); a codebook needs only a few levels",
        )
    )


def check_aliases(root: yaml.Node | None, file: str) -> None:
    """Refuse aliases that expand beyond :data:`MAX_ALIAS_NODES` extra values,
    deeper than :data:`MAX_DEPTH`, or into themselves.

    The composed graph shares one node per anchor, so it stays small while
    its expansion may be exponential (9 levels of 10 aliases: 10**9 values).
    Counting the expansion per distinct node (iteratively, each node once)
    costs time in the number of distinct nodes only.
    """
    if root is None:
        return
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    distinct = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        children = _children(node)
        if children_done:
            open_nodes.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            distinct += 1
            if size[key] - distinct > MAX_ALIAS_NODES or depth[key] > MAX_DEPTH:
                raise StudyError(Problem(file, _alias_message(node)))
            continue
        if key in size:
            continue
        if key in open_nodes:
            raise StudyError(
                Problem(
                    file,
                    f"an alias at line {node.start_mark.line + 1} refers to the list or "
                    "mapping it is inside of: a codebook cannot contain itself",
                )
            )
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in size)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _alias_message(node: yaml.Node) -> str:
    return (
        f"the aliases (*name) of the codebook expand to more than {MAX_ALIAS_NODES:,} "
        f"values or {MAX_DEPTH} levels (around line {node.start_mark.line + 1}); "
        "reuse an anchor for a small value such as a scale, not to multiply the file"
    )


def syntax_message(exc: yaml.YAMLError) -> str:
    """A YAML error in plain words, with its line and column (counted from 1)."""
    if not isinstance(exc, yaml.MarkedYAMLError) or exc.problem_mark is None:
        return f"the codebook is not valid YAML: {exc}"
    mark = exc.problem_mark
    what = (exc.problem or "this cannot be read").replace("'<stream end>'", "the end of the file")
    if exc.context:
        begun = exc.context_mark
        if begun is not None and begun.line != mark.line:
            what = f"{exc.context} (begun at line {begun.line + 1}), {what}"
        else:
            what = f"{exc.context}, {what}"
    hint = ""
    if "'\\t'" in what or "tab character" in what:
        hint = "; YAML indents with spaces, not tabs"
    elif "expected a single document" in what:
        hint = "; a codebook is one document (remove the second ---)"
    return (
        f"the codebook is not valid YAML at line {mark.line + 1}, column {mark.column + 1}: "
        f"{what}{hint}"
    )


def _has_content(text: str) -> bool:
    """False for a file of blank lines and comments only."""
    return any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines())
