"""Corpus cases: report parameters.

``cxresearch report -p NAME VALUE`` checks every parameter before any kernel
starts: a name no chapter takes, the study (the first argument, not a
parameter), a value of the wrong type or out of range, and what the study
must have (the brand, the outcome, the segment, enough respondents for ``k``
segments, the feature columns). Each error names the parameter and what it
may be; no report folder is made. One slow case renders a report for a brand
whose name holds ``$`` (matplotlib once read it as mathtext).
"""

from __future__ import annotations

from pathlib import Path

from . import Outcome, case, rows, write
from .output import tiny_chapters

FAMILY = "report parameters"


def report_with(*parameters: str, n: int = 40):
    """A ``build`` writing the corpus study (``n`` respondents) and returning
    ``report`` with ``-p NAME VALUE`` for each pair of ``parameters``."""

    def build(folder: Path) -> list[str]:
        write(folder, rows(n))
        pairs = zip(parameters[::2], parameters[1::2], strict=True)
        return ["report", "study.yaml", "--out", "report", "--quiet"] + [
            part for name, value in pairs for part in ("-p", name, value)
        ]

    return build


BAD = [
    ("segment-missing", "a segment the study does not have", ("segment", "99"), ("no segment 99",)),
    ("segment-zero", "segment 0 (segments count from 1)", ("segment", "0"), ("segment must be",)),
    ("min-base-text", "min_base given as text", ("min_base", "abc"), ("min_base", "whole number")),
    ("min-base-negative", "a negative minimum base", ("min_base", "-5"), ("min_base", "1 or more")),
    ("min-base-boolean", "min_base true", ("min_base", "true"), ("min_base", "whole number")),
    ("k-zero", "zero segments", ("k", "0"), ("k must be", "from 2 to 20")),
    ("k-huge", "a thousand segments", ("k", "1000"), ("k must be", "from 2 to 20", "1000")),
    ("k-text", "k neither a number nor auto", ("k", "many"), ("k must be 'auto'",)),
    ("random-state-text", "a seed that is no number", ("random_state", "x"), ("random_state",)),
    ("random-state-negative", "a negative seed", ("random_state", "-1"), ("from 0",)),
    ("confidence-unknown", "confidence: no chapter takes it", ("confidence", "2"), ("no chapter",)),
    ("typo", "a misspelt parameter", ("min_bse", "30"), ("'min_bse'", "min_base")),
    ("study-override", "the study set as a parameter", ("study", "x.yaml"), ("first argument",)),
    ("brand-missing", "a brand nobody rated", ("brand", "Nope"), ("'Nope'", "brand")),
    ("outcome-missing", "an outcome the study lacks", ("outcome", "ces"), ("no outcome 'ces'",)),
    ("clustering-unknown", "an unknown method", ("clustering", "xyz"), ("clustering must be",)),
    ("profile-not-boolean", "profile maybe", ("profile", "maybe"), ("profile must be true",)),
    ("features-not-columns", "features naming no column", ("features", "perf_x"), ("perf_x",)),
    ("n-boot-negative", "negative resamples", ("n_boot", "-3"), ("n_boot", "from 0 to")),
    ("correction-unknown", "no such correction", ("correction", "magic"), ("bonferroni", "holm")),
    ("device-number", "device 5 (not a column)", ("device", "5"), ("device must be",)),
    ("centre-unknown", "centre on something else", ("centre", "mean"), ("centre must be",)),
]

for _name, _what, _parameters, _errors in BAD:
    case(f"parameters-{_name}", FAMILY, _what, errors=_errors)(report_with(*_parameters))


@case(
    "parameters-k-more-than-half-the-respondents",
    FAMILY,
    "15 segments of 24 respondents: more than the study can hold",
    errors=("k = 15", "24 respondents"),
)
def _(folder: Path) -> list[str]:
    return report_with("k", "15", n=24)(folder)


DOLLAR_BRAND = "Ca$$h Mart"


def shows_the_dollar_brand(folder: Path, outcome: Outcome) -> None:
    index = (folder / "report" / "index.html").read_text(encoding="utf-8")
    assert DOLLAR_BRAND in index, "the brand's name is not shown as written"
    assert "Traceback" not in outcome.text and "ParseException" not in outcome.text


@case(
    "parameters-brand-with-dollar-signs",
    FAMILY,
    "-p brand 'Ca$$h Mart': the report is rendered, the name shown as written (no mathtext)",
    accepted=shows_the_dollar_brand,
    slow=True,
)
def _(folder: Path) -> list[str]:
    data = rows()
    data["brand"] = data["brand"].replace("Rival", DOLLAR_BRAND)
    write(folder, data)
    chapters = tiny_chapters(folder)
    return ["report", "study.yaml", "--out", "report", "--quiet", "--notebooks", chapters.name] + [
        "-p",
        "brand",
        DOLLAR_BRAND,
    ]
