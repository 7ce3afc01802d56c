"""Corpus cases: data values (repeated headers, "NA"-like codes, weights, ids, values
out of scale or not numbers, missing columns with other problems, an absent brand,
"don't know" codes beyond the ratings, blank rows and empty columns).

Accepted cases check the counts the data-quality record shows, both in the
study's :class:`~cxresearch.data.quality.DataQuality` and in what ``validate``
printed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import cxresearch

from . import CODEBOOK, Outcome, case, rows, write

FAMILY = "data values"


def quality(folder: Path) -> cxresearch.DataQuality:
    return cxresearch.load_study(folder / "study.yaml").quality


def weighted(folder: Path, weights: list) -> list[str]:
    """The corpus study with a weight column: 1 for everyone but the first rows."""
    data = rows().astype({"recommend": object})
    data["w"] = [*weights, *["1"] * (len(data) - len(weights))]
    columns = {**CODEBOOK["columns"], "weight": "w"}
    return write(folder, data, columns=columns)


# -- headers --------------------------------------------------------------------------------
@case(
    "data-duplicate-header",
    FAMILY,
    "two columns named 'recommend': pandas would read the first and rename the second",
    errors=("'recommend' (column 4)", "'recommend' (column 9)", "keep one"),
)
def _(folder):
    text = rows().assign(extra=0).to_csv(index=False).replace("extra", "recommend", 1)
    return write(folder, text)


@case(
    "data-duplicate-header-spaces-and-case",
    FAMILY,
    "'sat' and ' SAT' are one header once spaces and case are ignored",
    errors=("column 'sat'", "' SAT' (column 9)", "spaces and case are ignored"),
)
def _(folder):
    return write(folder, rows().assign(**{" SAT": 3}))


# -- "NA"-like text -------------------------------------------------------------------------
def _na_region_counts(folder: Path, out: Outcome) -> None:
    q = quality(folder)
    assert q.na_like == {"region": {"NA": 14}} and q.na_like_kept == ("region",), q.na_like
    study = cxresearch.load_study(folder / "study.yaml")
    assert (study.responses["region"] == "NA").sum() == 14
    assert "'region' 'NA' 14 (kept as a category)" in out.stdout


@case(
    "data-na-code-is-a-region",
    FAMILY,
    "region coded NA (North America) among other regions: kept as a category, counted",
    accepted=_na_region_counts,
)
def _(folder):
    data = rows()
    data.loc[data.index[:14], "region"] = "NA"
    return write(folder, data)


def _na_rating_counts(folder: Path, out: Outcome) -> None:
    q = quality(folder)
    assert q.na_like == {"recommend": {"N/A": 2, "null": 1, "#N/A": 1}}, q.na_like
    assert q.unanswered["recommend"] == 4 and q.rows_kept == 40
    assert "'recommend' 'N/A' 2, 'null' 1, '#N/A' 1 (set to missing)" in out.stdout


@case(
    "data-na-like-in-a-rating",
    FAMILY,
    "N/A, null and #N/A in the NPS column: missing answers, counted per text",
    accepted=_na_rating_counts,
)
def _(folder):
    data = rows().astype({"recommend": object})
    data.loc[data.index[:4], "recommend"] = ["N/A", "null", "#N/A", "N/A"]
    return write(folder, data)


@case(
    "data-na-like-id",
    FAMILY,
    "a respondent id written as NULL",
    errors=("column 'id'", "ids are blank", "'na'", "data rows 5"),
)
def _(folder):
    data = rows()
    data.loc[4, "id"] = "NULL"
    return write(folder, data)


# -- weights --------------------------------------------------------------------------------
@case(
    "data-weight-inf",
    FAMILY,
    "one weight is inf",
    errors=("column 'w'", "weights must be positive", "data rows 2"),
)
def _(folder):
    return weighted(folder, ["1", "inf"])


@case(
    "data-weight-1e200",
    FAMILY,
    "one weight is 1e200: that respondent would be the whole study",
    errors=("column 'w'", "1e+200 times the smallest", "data rows 1"),
)
def _(folder):
    return weighted(folder, ["1e200"])


@case(
    "data-weight-zero-and-negative",
    FAMILY,
    "weights 0 and -2",
    errors=("column 'w'", "weights must be positive", "data rows 2, 3"),
)
def _(folder):
    return weighted(folder, ["1", "0", "-2"])


@case(
    "data-weight-text",
    FAMILY,
    "a weight written as 'heavy'",
    errors=("column 'w'", "non-numeric text", "'heavy'", "data rows 3"),
)
def _(folder):
    return weighted(folder, ["1", "2", "heavy"])


@case(
    "data-weight-blank-or-na",
    FAMILY,
    "a blank weight and a weight written NA",
    errors=("column 'w'", "never blank", "data rows 1, 2"),
)
def _(folder):
    return weighted(folder, ["", "NA"])


def _extreme_weight_counts(folder: Path, out: Outcome) -> None:
    q = quality(folder)
    weights = [500.0] + [1.0] * 39
    kish = sum(weights) ** 2 / sum(w * w for w in weights)
    assert q.weight_ratio == 500 and q.effective_n == pytest.approx(kish)
    assert "warning: extreme weights: the largest is 500 times the smallest" in out.stdout
    assert f"effective sample size (Kish) {kish:,.0f} of 40" in out.stdout


@case(
    "data-weight-extreme-ratio",
    FAMILY,
    "one weight 500 times the others: accepted with a warning and Kish's effective n",
    accepted=_extreme_weight_counts,
)
def _(folder):
    return weighted(folder, ["500"])


# -- ids, scales, numbers -------------------------------------------------------------------
@case(
    "data-duplicate-ids",
    FAMILY,
    "two respondents share an id",
    errors=("column 'id'", "duplicate respondent ids", "'r001'", "data rows 2, 3"),
)
def _(folder):
    data = rows()
    data.loc[2, "id"] = "r001"
    return write(folder, data)


@case(
    "data-values-out-of-scale",
    FAMILY,
    "a 6 and a 0 on a 1-5 satisfaction scale",
    errors=("column 'sat'", "outside the scale 1-5", "data rows 4, 7"),
)
def _(folder):
    data = rows()
    data.loc[[3, 6], "sat"] = [6, 0]
    return write(folder, data)


@case(
    "data-text-in-numbers",
    FAMILY,
    "'very good' in a 1-7 rating",
    errors=("column 'perf_web'", "non-numeric text", "'very good'", "data rows 10"),
)
def _(folder):
    data = rows().astype({"perf_web": object})
    data.loc[9, "perf_web"] = "very good"
    return write(folder, data)


@case(
    "data-missing-column-with-other-problems",
    FAMILY,
    "a missing column does not hide a value out of scale; the header is never listed",
    errors=("column 'sat'", "column is missing", "the file has 8 columns", "outside the scale"),
    forbidden=("secret_salary", "region, recommend"),
)
def _(folder):
    data = rows().drop(columns="sat").assign(secret_salary=1)
    data.loc[0, "perf_hot"] = 9
    return write(folder, data)


@case(
    "data-missing-column-did-you-mean",
    FAMILY,
    "the file's column is 'perf_webs', the codebook says 'perf_web'",
    errors=("column 'perf_web'", "did you mean 'perf_webs'?"),
)
def _(folder):
    return write(folder, rows().rename(columns={"perf_web": "perf_webs"}))


@case(
    "data-brand-absent",
    FAMILY,
    "the codebook's brand is not in the brand column",
    errors=("column 'brand'", "brand 'Acmee'", "not among the 2 brands", "did you mean 'Acme'"),
)
def _(folder):
    return write(folder, brand="Acmee")


# -- "don't know" codes beyond ratings ------------------------------------------------------
def _operational_codes(folder: Path, out: Outcome) -> None:
    study = cxresearch.load_study(folder / "study.yaml")
    assert study.quality.dont_know["wait"] == 3 and study.responses["wait"].max() < 98
    assert study.quality.unanswered["wait"] == 3
    assert "also set to missing in operational and numeric profile columns: 'wait' 3" in out.stdout


@case(
    "data-dont-know-in-an-operational-measure",
    FAMILY,
    "waits coded 98/99 ('don't know'): missing, counted, not 98 minutes",
    accepted=_operational_codes,
)
def _(folder):
    data = rows().assign(wait=[4.5, 98, 12, 99, 7, 98, *[3.0] * 34])
    op = [{"column": "wait", "touchpoint": "hotline", "unit": "min"}]
    return write(folder, data, operational=op)


def _profile_codes(folder: Path, out: Outcome) -> None:
    study = cxresearch.load_study(folder / "study.yaml")
    tenure = study.responses["tenure"]
    assert study.quality.dont_know["tenure"] == 2 and tenure.max() == 9 and tenure.isna().sum() == 2
    assert "'tenure' 2" in out.stdout


@case(
    "data-dont-know-in-a-numeric-profile",
    FAMILY,
    "tenure coded 99 for 'don't know': missing and counted, never a tenure of 99 years",
    accepted=_profile_codes,
)
def _(folder):
    data = rows().assign(tenure=[99, 99, *([1, 5, 9, 2] * 9 + [3, 4])])
    columns = {**CODEBOOK["columns"], "profile": ["region", "tenure"]}
    return write(folder, data, columns=columns)


# -- blank rows, empty columns, one row -----------------------------------------------------
def _blank_rows(folder: Path, out: Outcome) -> None:
    q = quality(folder)
    assert (q.rows_read, q.rows_kept, q.dropped) == (43, 40, {"blank rows": 3})
    assert "dropped: 3 blank rows" in out.stdout


@case(
    "data-blank-rows",
    FAMILY,
    "three blank rows (one only spaces): dropped and counted",
    accepted=_blank_rows,
)
def _(folder):
    lines = rows().to_csv(index=False).splitlines()
    text = "\n".join([*lines[:5], ",,,,,,,", *lines[5:20], " , , ,,,,,", *lines[20:], ""]) + "\n"
    return write(folder, text)


def _empty_column(folder: Path, out: Outcome) -> None:
    q = quality(folder)
    assert q.unanswered["perf_hot"] == 40
    assert "warning: 'perf_hot' has no answer at all (every one of 40 respondents" in out.stdout


@case(
    "data-a-column-nobody-answered",
    FAMILY,
    "an all-blank rating column: accepted, with a warning line",
    accepted=_empty_column,
)
def _(folder):
    return write(folder, rows().assign(perf_hot=None))


def _one_row(folder: Path, out: Outcome) -> None:
    assert quality(folder).rows_kept == 1 and "valid (1 respondents)" in out.stdout


@case("data-one-row", FAMILY, "a study of one respondent is valid", accepted=_one_row)
def _(folder):
    return write(folder, rows(1))


@case(
    "data-yes-no-unknown-value",
    FAMILY,
    "a retention column with 'maybe'",
    errors=("column 'stay'", "not a yes/no value", "'maybe'", "data rows 3"),
)
def _(folder):
    data = rows().assign(stay=["yes", "no", "maybe", *["yes"] * 37])
    outcomes = {**CODEBOOK["outcomes"], "retained": {"column": "stay"}}
    return write(folder, data, outcomes=outcomes)


@case(
    "data-negative-wait",
    FAMILY,
    "a negative wait",
    errors=("column 'wait'", "negative values", "data rows 2"),
)
def _(folder):
    data = rows().assign(wait=[3, -4, *[2] * 38])
    op = [{"column": "wait", "touchpoint": "hotline"}]
    return write(folder, data, operational=op)
