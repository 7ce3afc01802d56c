"""The fast paths of the KPI table and of loading give the very numbers of the plain ones.

- :func:`group_codes` builds group codes from each column's own codes; it gives the
  groups, order and labels of ``DataFrame.groupby(..., observed=True, dropna=False,
  sort=True)``, which it replaced;
- :class:`~cxresearch.stats.Groups` sums every statistic of a variable without
  copying its rows; each sum is ``GroupedSums.of``'s, bit for bit;
- the t and normal quantiles from ``scipy.special`` equal ``scipy.stats``';
- loading decides a text column once per distinct label (a Parquet file's labels
  read as Arrow dictionaries), checks ratings with reductions, and ids in order
  without a hash table: the same responses and quality record as row by row.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import write_study
from scipy import stats as scipy_stats

import cxresearch as cx
from cxresearch import metrics, stats
from cxresearch.analyses._common import MISSING_GROUP, group_codes
from cxresearch.data.checks import _recoded, _whole
from cxresearch.errors import StudyError
from cxresearch.stats import GroupedSums, Groups


# -- group codes --------------------------------------------------------------------------
def groupby_codes(frame: pd.DataFrame, columns: list[str]):
    """The group codes as first written: pandas' groupby."""
    grouped = frame.groupby(columns, observed=True, dropna=False, sort=True)
    codes = grouped.ngroup().to_numpy().astype(np.intp)
    keys = grouped.size().index.to_frame(index=False)
    for column in columns:
        keys[column] = keys[column].astype("string").fillna(MISSING_GROUP)
    return codes, keys


def mixed_frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    brand = pd.Categorical(
        rng.choice(["Rival", "Acme", "Zed", None], n, p=[0.4, 0.4, 0.15, 0.05]),
        categories=["Zed", "Acme", "Rival", "Unused"],  # not alphabetical, one unused
    )
    wave = pd.Categorical(rng.choice(["2026-Q2", "2026-Q3"], n), ordered=True)
    tenure = pd.array(rng.choice([1, 2, 10, None], n), dtype="Int64")
    charge = np.where(rng.random(n) < 0.1, np.nan, rng.choice([9.5, 12.0, 3.25], n))
    region = pd.Series(rng.choice(["North", "South", "east", None], n), dtype="str")
    flag = rng.random(n) < 0.3
    return pd.DataFrame(
        {"brand": brand, "wave": wave, "tenure": tenure, "charge": charge}
        | {"region": region, "flag": flag, "id": [f"r{i:05d}" for i in rng.permutation(n)]}
    )


@pytest.mark.parametrize(
    "columns",
    [
        ["brand"],
        ["wave"],
        ["brand", "wave"],
        ["wave", "brand"],
        ["tenure"],
        ["charge"],
        ["region"],
        ["flag"],
        ["brand", "region", "tenure"],
        ["charge", "flag", "wave"],
        ["id"],  # one group a row
        ["id", "brand"],  # more combinations than rows: compressed by sorting
    ],
)
def test_group_codes_are_those_of_groupby(columns):
    frame = mixed_frame(3000, seed=len(columns))
    codes, keys = group_codes(frame, columns)
    expected_codes, expected_keys = groupby_codes(frame, columns)
    np.testing.assert_array_equal(codes, expected_codes)
    assert codes.dtype == np.intp
    pd.testing.assert_frame_equal(keys, expected_keys)


def test_group_codes_of_a_slice_and_of_no_rows():
    frame = mixed_frame(500, seed=3)
    part = frame[frame["brand"] == "Zed"]  # unused categories, index not 0..n-1
    for columns in (["brand", "wave"], ["region"]):
        codes, keys = group_codes(part, columns)
        expected_codes, expected_keys = groupby_codes(part, columns)
        np.testing.assert_array_equal(codes, expected_codes)
        pd.testing.assert_frame_equal(keys, expected_keys)
    codes, keys = group_codes(frame.iloc[:0], ["brand", "wave"])
    assert len(codes) == 0 and len(keys) == 0 and list(keys.columns) == ["brand", "wave"]


def test_a_column_with_only_missing_values_is_one_group():
    frame = pd.DataFrame({"region": pd.Series([None, None, None], dtype="str")})
    codes, keys = group_codes(frame, ["region"])
    assert codes.tolist() == [0, 0, 0]
    assert keys["region"].tolist() == [MISSING_GROUP]


# -- grouped sums ---------------------------------------------------------------------------
def assert_same_sums(ours: GroupedSums, reference: GroupedSums) -> None:
    for field in ("count", "sw", "sw2", "swx", "swx2"):
        a, b = getattr(ours, field), getattr(reference, field)
        assert a.dtype == b.dtype, field
        np.testing.assert_array_equal(a, b, err_msg=field, strict=True)


@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("missing", [0.0, 0.2])
def test_groups_sum_as_grouped_sums_of_bit_for_bit(weighted, missing):
    rng = np.random.default_rng(int(weighted) * 10 + int(missing * 10))
    n, k = 20_000, 7
    codes = rng.integers(-1, k, n)  # -1: a row in no group
    w = rng.lognormal(0, 0.6, n)
    x = rng.integers(0, 11, n).astype(float)
    x[rng.random(n) < missing] = np.nan
    weights = w if weighted else np.ones(n)
    groups = Groups(codes, k, w if weighted else None)
    answers = groups.answers(x)
    assert_same_sums(answers.sums(), GroupedSums.of(x, weights, codes, k))
    for condition in (x >= 9, x <= 6, x > 5.5):
        indicator = np.where(np.isnan(x), np.nan, condition)
        assert_same_sums(answers.share(condition), GroupedSums.of(indicator, weights, codes, k))


def test_groups_without_missing_values_use_the_group_totals():
    rng = np.random.default_rng(5)
    codes, w = rng.integers(0, 4, 1000), rng.uniform(0.5, 2, 1000)
    groups = Groups(codes, 4, w)
    x = rng.integers(1, 6, 1000).astype(float)
    assert groups.answers(x).sw is groups.totals()[1]  # summed once for every variable
    assert_same_sums(groups.answers(x).sums(), GroupedSums.of(x, w, codes, 4))
    assert_same_sums(groups.answers(x * 2).share(x >= 4), GroupedSums.of(x >= 4, w, codes, 4))


def test_scalar_metrics_are_the_one_group_case():
    rng = np.random.default_rng(9)
    scores = rng.integers(0, 11, 400).astype(float)
    scores[::9] = np.nan
    w = rng.uniform(0.5, 3, 400)
    for weights in (None, w):
        full = np.ones(400) if weights is None else w
        ok = ~np.isnan(scores)
        promoters = np.average(scores[ok] >= 9, weights=full[ok])
        detractors = np.average(scores[ok] <= 6, weights=full[ok])
        assert metrics.nps(scores, weights=weights).value == pytest.approx(
            100 * (promoters - detractors), abs=1e-12
        )
        assert metrics.mean_score(scores, weights=weights).value == pytest.approx(
            np.average(scores[ok], weights=full[ok]), abs=1e-12
        )


# -- quantiles without scipy.stats ----------------------------------------------------------
def test_quantiles_equal_scipy_stats():
    confidence = np.array([0.5, 0.8, 0.9, 0.95, 0.99, 0.9999])
    for c in confidence:
        assert stats.z_value(c) == scipy_stats.norm.ppf(0.5 + c / 2)
    df = np.array([0.5, 1.0, 1.7, 2, 5, 29, 30.5, 1000, 1e6, np.nan, 0.0, -1.0])
    np.testing.assert_array_equal(
        stats.t_quantile(0.975, df), scipy_stats.t.ppf(0.975, df), strict=True
    )
    mean, variance = np.array([0.3, -1.2, 0.0, 2.0, 0.1]), np.array([1.0, 4.0, 1.0, 0.5, 0.0])
    n = np.array([10, 3, 1, 2.5, 40])
    with np.errstate(divide="ignore", invalid="ignore"):
        t = mean / np.sqrt(variance / n)
        expected = 2 * scipy_stats.t.sf(np.abs(t), np.where(n > 1, n - 1, np.nan))
    np.testing.assert_array_equal(stats.t_test_p(mean, variance, n), expected)


def test_stats_module_loads_no_scipy_stats_at_import():
    tree = ast.parse(Path(stats.__file__).read_text(encoding="utf-8"))
    top = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    names = [n.name for node in top for n in node.names] + [
        node.module for node in top if isinstance(node, ast.ImportFrom) and node.module
    ]
    assert not any(name.startswith("scipy") for name in names), names


# -- loading ------------------------------------------------------------------------------
def test_whole_numbers_as_the_plain_check():
    rng = np.random.default_rng(2)
    base = rng.integers(-5, 6, 200_000).astype(float)
    for position, value in [(None, None), (0, 2.5), (65_535, -0.5), (65_536, 1e-9), (-1, np.inf)]:
        x = base.copy()
        x[rng.random(len(x)) < 0.3] = np.nan
        if position is not None:
            x[position] = value
        plain = bool((pd.Series(x).dropna() % 1 == 0).all())
        assert _whole(x) == plain, (position, value)
    assert _whole(np.array([np.nan, np.nan])) and _whole(np.array([]))


def test_recode_asked_once_per_value_as_map():
    rng = np.random.default_rng(4)
    for values, recode in [
        (rng.integers(1, 6, 5000).astype(float), {1: 5, 2: 4, 4: 2, 5: 1}),  # all ints
        (np.append(rng.integers(1, 6, 5000), [np.nan]).astype(float), {1: 5, 5: 1}),
        (rng.integers(1, 4, 5000).astype(float), {1.0: 1.5}),
    ]:
        numbers = pd.Series(values, index=np.arange(len(values)) + 1)
        expected = numbers.map(lambda v, m=recode: m.get(v, v))
        pd.testing.assert_series_equal(_recoded(numbers, recode), expected)


def demo_like(folder: Path, n: int, seed: int = 3) -> Path:
    """A study whose labels need every rule of loading: "NA"-like text kept as a code
    or blanked, a zero-width space, spaces, a numeric profile stored as text with a
    "don't know" code, declared waves out of text order, codes on ratings, a recode."""
    rng = np.random.default_rng(seed)
    rows = pd.DataFrame(
        {
            "id": [f"R{i:06d}" for i in range(n)],
            "brand": rng.choice(["Acme", "Rival", " Acme "], n),
            "wave": rng.choice(["Wave 9", "Wave 10"], n),
            "region": rng.choice(["North", "NA", "South\u200b", "South"], n),
            "channel": rng.choice(["web", "shop", "none", None], n),
            "tenure": rng.choice(["1", "2", "15", "98", "n/a"], n),
            "recommend": rng.choice([0, 5, 9, 10, 98], n),
            "sat": rng.choice([1, 2, 3, 4, 5], n),
            "perf_web": rng.choice([1.0, 4.0, 7.0, np.nan, 98.0], n),
            "exp_web": rng.choice([1, 3, 6, 7], n),
            "perf_hot": rng.choice([2.0, 5.0, np.nan], n),
            "retained": rng.choice(["yes", "no", ""], n),
            "weight": rng.uniform(0.5, 2.0, n),
        }
    )
    codebook = {
        "name": "Loading paths",
        "brand": "Acme",
        "min_base": 5,
        "responses": "responses.csv",
        "columns": {
            "id": "id",
            "brand": "brand",
            "wave": "wave",
            "weight": "weight",
            "profile": ["region", "channel", "tenure"],
        },
        "waves": ["Wave 9", "Wave 10"],
        "outcomes": {
            "nps": {"column": "recommend", "scale": [0, 10]},
            "csat": {"column": "sat", "scale": [1, 5], "recode": {1: 5, 2: 4, 4: 2, 5: 1}},
            "retained": {"column": "retained"},
        },
        "touchpoints": [
            {
                "id": "website",
                "stage": "before",
                "experience": {"column": "perf_web", "scale": [1, 7]},
                "expectation": {"column": "exp_web", "scale": [1, 7]},
            },
            {
                "id": "hotline",
                "stage": "after",
                "experience": {"column": "perf_hot", "scale": [1, 7]},
            },
        ],
        "missing": [98],
    }
    path = write_study(folder, rows, codebook)
    rows.to_parquet(folder / "responses.parquet", index=False)
    return path


def as_parquet(path: Path) -> Path:
    text = path.read_text(encoding="utf-8").replace("responses.csv", "responses.parquet")
    parquet = path.with_name("study_parquet.yaml")
    parquet.write_text(text, encoding="utf-8")
    return parquet


def test_parquet_labels_read_as_dictionaries_give_the_study_of_the_csv(tmp_path):
    path = demo_like(tmp_path / "study", 4000)
    from_csv, from_parquet = cx.load_study(path), cx.load_study(as_parquet(path))
    pd.testing.assert_frame_equal(from_parquet.responses, from_csv.responses)
    assert from_parquet.quality.dont_know == from_csv.quality.dont_know
    assert from_parquet.quality.na_like == from_csv.quality.na_like
    assert from_parquet.quality.unanswered == from_csv.quality.unanswered
    assert from_parquet.quality.notes == from_csv.quality.notes
    # what the rules did, counted
    study = from_parquet
    quality = study.quality
    assert sorted(study.responses["region"].cat.categories) == ["NA", "North", "South"]
    assert quality.na_like_kept == ("region", "channel")  # codes among other labels
    assert set(quality.na_like["tenure"]) == {"n/a"}  # blanked in numbers, counted
    assert study.responses["tenure"].isna().sum() == quality.unanswered["tenure"] > 0
    assert any("invisible formatting characters" in note for note in quality.notes)
    assert list(study.responses["brand"].cat.categories) == ["Acme", "Rival"]
    assert str(study.responses["tenure"].dtype) == "Int64"
    stored = pd.read_parquet(tmp_path / "study" / "responses.parquet")
    assert quality.dont_know["tenure"] == int((stored["tenure"] == "98").sum())
    assert list(study.responses["wave"].cat.categories) == ["Wave 9", "Wave 10"]
    assert study.responses["sat"].max() <= 5 and quality.dont_know["recommend"] > 0


def test_labels_decided_once_per_value_as_row_by_row(tmp_path):
    """Text columns (Arrow strings, categories) take the distinct-value path; object
    columns the row-by-row one: the same responses either way."""
    path = demo_like(tmp_path / "study", 3000, seed=8)
    study = cx.load_study(path)
    from cxresearch.data.checks import _ResponsesChecker
    from cxresearch.data.readers import RawTable

    frame = pd.read_csv(path.parent / "responses.csv", dtype=str, keep_default_na=False)
    frame = frame.replace("", None)
    for dtype in ("object", "str", "category"):
        typed = frame.copy()
        for column in ("brand", "wave", "region", "channel", "tenure"):
            typed[column] = frame[column].astype(dtype)
        raw = RawTable(typed, "responses.csv", "csv", header=tuple(frame.columns))
        checker = _ResponsesChecker(raw, study.codebook)
        for column in ("brand", "region", "channel", "tenure"):
            got = checker.category(typed[column], column)
            pd.testing.assert_series_equal(
                got.reset_index(drop=True),
                study.responses[column].reset_index(drop=True),
                check_names=False,
            )


def test_ids_in_order_and_out_of_order_are_checked_alike(tmp_path):
    rows = pd.DataFrame(
        {
            "id": ["a1", "a2", "a3", "a3", "a5", "a6"],  # in order, one repeated
            "brand": ["Acme", "Acme", "Acme", "Rival", "Rival", "Rival"],
            "recommend": [10, 9, 3, 7, 8, 6],
            "sat": [5, 4, 2, 3, 4, 5],
            "perf_web": [7, 6, 5, 4, 3, 6],
            "exp_web": [6, 6, 6, 5, 5, 5],
            "perf_hot": [2, 3, 4, 4, 5, 6],
        }
    )
    for order in (rows, rows.iloc[::-1]):
        folder = tmp_path / f"s{len(list(tmp_path.iterdir()))}"
        path = write_study(folder, order, responses="responses.parquet")
        order.to_parquet(folder / "responses.parquet", index=False)
        with pytest.raises(StudyError, match="duplicate respondent ids: 'a3'"):
            cx.load_study(path)
    unique = rows.assign(id=["a1", "a2", "a3", "a4", "a5", "N/A "])
    folder = tmp_path / "na"
    path = write_study(folder, unique, responses="responses.parquet")
    unique.to_parquet(folder / "responses.parquet", index=False)
    with pytest.raises(StudyError, match="ids are blank .or text for no value"):
        cx.load_study(path)


def test_loaded_columns_can_be_changed_in_place(demo):
    """Float columns are taken without a copy when nothing is blanked: they must
    still be the study's own, writable data (and a change to a copy stays there)."""
    responses = demo.responses.copy(deep=False)
    first = responses.index[0]
    before = demo.responses.loc[first].copy()
    for column in responses.columns:
        responses.loc[first, column] = responses[column].iloc[-1]
    changed = [c for c in responses.columns if responses[c].dtype.kind == "f"]
    assert changed and all(
        np.isclose(responses.loc[first, c], responses[c].iloc[-1], equal_nan=True) for c in changed
    )
    pd.testing.assert_series_equal(demo.responses.loc[first], before)
