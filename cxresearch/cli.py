"""The ``cxresearch`` command: init, demo, validate, report.

Errors a user can fix (a bad study, a failing chapter) print a plain message
and exit 1, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .data import load_study
from .data.draft import draft_codebook
from .demo import make_demo_study
from .errors import CxError
from .report import render_report


def _parse_value(text: str):
    """Papermill-style parameter values: numbers and true/false/none, else text."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cxresearch", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="write the demo study (synthetic, with its planted truth)")
    demo.add_argument("--out", default="data/demo", help="folder to write (default: data/demo)")
    demo.add_argument("-n", type=int, default=4000, help="respondents (default: 4000)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")

    init = sub.add_parser("init", help="draft a study.yaml from a data file's columns")
    init.add_argument("data", help="a .csv, .xlsx, .sav or .parquet file (or a Qualtrics CSV)")
    init.add_argument("--out", help="the codebook to write (default: study.yaml beside the data)")
    init.add_argument("--force", action="store_true", help="overwrite an existing codebook")

    validate = sub.add_parser("validate", help="check a study and print its data-quality summary")
    validate.add_argument("study", help="the study's study.yaml (or its folder)")

    report = sub.add_parser("report", help="render a study's HTML report")
    report.add_argument("study", help="the study's study.yaml (or its folder)")
    report.add_argument("--out", required=True, help="the report folder, e.g. reports/demo")
    report.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a notebook parameter, e.g. -p min_base 50 (repeatable)",
    )
    report.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except (CxError, FileNotFoundError) as exc:  # bad data, a failed chapter: no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _demo(args) -> int:
    path = make_demo_study(args.out, n=args.n, random_state=args.seed)
    print(f"demo study written: {path}")
    return 0


def _init(args) -> int:
    data = Path(args.data)
    out = Path(args.out) if args.out else data.parent / "study.yaml"
    if out.exists() and not args.force:
        print(f"error: {out} exists; pass --force to overwrite it", file=sys.stderr)
        return 1
    text = draft_codebook(data, out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    study = load_study(out)
    todos = sum(1 for line in text.splitlines() if line.startswith("# - "))
    print(f"codebook drafted: {out} ({study.n:,} respondents; it validates as it is)")
    print(f"{todos} TODOs to check in it; then: cxresearch report {out} --out reports/NAME")
    return 0


def _validate(args) -> int:
    study = load_study(args.study)
    print(f"{study.name}: valid ({study.n:,} respondents)")
    print(study.quality.summary())
    return 0


def _report(args) -> int:
    parameters = {name: _parse_value(value) for name, value in args.parameter}
    index = render_report(Path(args.study), Path(args.out), parameters, progress=not args.quiet)
    print(f"report written: {index}")
    return 0


_COMMANDS = {"init": _init, "demo": _demo, "validate": _validate, "report": _report}


if __name__ == "__main__":
    sys.exit(main())
