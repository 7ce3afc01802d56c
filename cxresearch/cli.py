"""The ``cxresearch`` command: demo, validate, report.

Errors a user can fix (a bad study, a failing chapter) print a plain message
and exit 1, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .data import load_study
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


_COMMANDS = {"demo": _demo, "validate": _validate, "report": _report}


if __name__ == "__main__":
    sys.exit(main())
