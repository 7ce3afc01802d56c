"""Validation: each broken contract raises StudyError naming file, column and rows;
nothing is dropped without being counted."""

import pandas as pd
import pytest
from conftest import BASIC_ROWS, write_study

import cxresearch as cx


def load_error(tmp_path, rows=None, **changes) -> cx.StudyError:
    with pytest.raises(cx.StudyError) as err:
        cx.load_study(write_study(tmp_path, rows, **changes))
    return err.value


def test_missing_column_names_the_file_the_column_and_its_role(tmp_path):
    err = load_error(tmp_path, BASIC_ROWS.drop(columns="sat"))
    assert err.column == "sat" and err.file.endswith("responses.csv")
    assert "outcomes.csat" in str(err)


def test_value_outside_the_scale_names_rows(tmp_path):
    rows = BASIC_ROWS.assign(sat=[5, 4, 6, 3, 0, 5])
    err = load_error(tmp_path, rows)
    assert err.column == "sat" and err.rows == (3, 5)
    assert "outside the scale 1-5" in str(err) and "data rows 3, 5" in str(err)


def test_at_most_five_rows_are_listed_with_a_count_of_the_rest(tmp_path):
    rows = pd.concat([BASIC_ROWS] * 3, ignore_index=True)
    rows["id"] = [f"r{i}" for i in range(len(rows))]
    rows["sat"] = 9
    err = load_error(tmp_path, rows)
    assert err.rows == (1, 2, 3, 4, 5)
    assert "and 13 more" in str(err)


def test_non_numeric_text_in_a_numeric_column(tmp_path):
    rows = BASIC_ROWS.astype({"recommend": object})
    rows.loc[1, "recommend"] = "very likely"
    err = load_error(tmp_path, rows)
    assert err.column == "recommend" and err.rows == (2,)
    assert "non-numeric text" in str(err) and "'very likely'" in str(err)


def test_duplicate_ids(tmp_path):
    err = load_error(tmp_path, BASIC_ROWS.assign(id=["a", "b", "c", "a", "e", "c"]))
    assert err.column == "id" and err.rows == (1, 3, 4, 6)
    assert "duplicate respondent ids" in str(err)


@pytest.mark.parametrize(
    "content", ["", "\n\n", "id,brand,recommend,sat,perf_web,exp_web,perf_hot\n"]
)
def test_empty_file(tmp_path, content):
    err = load_error(tmp_path, content)
    assert "empty" in str(err) or "no data rows" in str(err)
    assert err.file.endswith("responses.csv")


def test_all_problems_are_reported_together(tmp_path):
    rows = BASIC_ROWS.assign(sat=[5, 4, 6, 3, 4, 5], id=["a", "a", "c", "d", "e", "f"])
    err = load_error(tmp_path, rows)
    assert {p.column for p in err.problems} == {"sat", "id"}


def test_dont_know_codes_become_missing_and_are_counted(tmp_path):
    study = cx.load_study(write_study(tmp_path))
    assert pd.isna(study.responses.loc["f", "recommend"])
    assert study.quality.dont_know == {
        "recommend": 1,
        "sat": 0,
        "perf_web": 1,
        "exp_web": 0,
        "perf_hot": 0,
    }
    assert study.quality.unanswered["perf_hot"] == 1  # a blank, not a code
    table = study.quality.table.set_index("column")
    assert table.loc["perf_web", "dont_know"] == 1 and table.loc["perf_hot", "no_answer"] == 1


def test_blank_rows_are_dropped_and_counted(tmp_path):
    text = BASIC_ROWS.to_csv(index=False) + ",,,,,,\n\n"
    study = cx.load_study(write_study(tmp_path, text))
    assert study.quality.rows_read == 8 and study.quality.rows_kept == 6
    assert study.quality.dropped == {"blank rows": 2}
    assert "2 blank rows" in study.quality.summary()


def test_without_an_id_column_rows_are_numbered_and_it_is_said(tmp_path):
    study = cx.load_study(write_study(tmp_path, columns={"brand": "brand"}))
    assert list(study.responses.index) == [1, 2, 3, 4, 5, 6]
    assert any("no id column" in note for note in study.quality.notes)


def test_weights_must_be_positive(tmp_path):
    rows = BASIC_ROWS.assign(w=[1, 2, 0, 1, None, 1])
    err = load_error(tmp_path, rows, columns={"id": "id", "brand": "brand", "weight": "w"})
    assert err.column == "w" and err.rows == (3, 5)


def test_yes_no_outcomes_accept_common_spellings_and_declared_values(tmp_path):
    rows = BASIC_ROWS.assign(
        stay=["Yes", "no", "TRUE", "0", "", "y"], churn=["No", "Yes", "No", "No", "Yes", ""]
    )
    outcomes = {
        "nps": {"column": "recommend", "scale": [0, 10]},
        "retained": {"column": "stay"},
        "churned": {"column": "churn", "true": ["Yes"]},
    }
    study = cx.load_study(write_study(tmp_path, rows, outcomes=outcomes))

    def as_text(column):
        return study.responses[column].astype("string").fillna("NA").tolist()

    assert as_text("stay") == ["True", "False", "True", "False", "NA", "True"]
    assert as_text("churn") == ["False", "True", "False", "False", "True", "NA"]


def test_yes_no_outcome_with_an_unknown_value(tmp_path):
    rows = BASIC_ROWS.assign(stay=["Yes", "no", "maybe", "0", "1", "1"])
    outcomes = {"nps": {"column": "recommend", "scale": [0, 10]}, "retained": {"column": "stay"}}
    err = load_error(tmp_path, rows, outcomes=outcomes)
    assert err.column == "stay" and err.rows == (3,) and "'maybe'" in str(err)


def test_responses_keep_user_column_names_and_are_indexed_by_id(demo):
    assert demo.responses.index.name == "respondent_id"
    assert "perf_hotline" in demo.responses.columns
    assert demo.responses["brand_rated"].dtype == "category"


def test_events_are_checked_and_counted(demo):
    assert demo.events is not None
    assert demo.quality.events_read == demo.quality.events_kept == len(demo.events)
    assert {"session_id", "page_type", "ts", "device"} <= set(demo.events.columns)


# -- headers ------------------------------------------------------------------------------
def test_a_repeated_header_is_an_error_naming_both_columns_and_their_positions(tmp_path):
    text = BASIC_ROWS.to_csv(index=False).replace("perf_hot", "sat", 1)  # 'sat' twice
    err = load_error(tmp_path, text)
    assert err.column == "sat"
    assert "'sat' (column 4)" in str(err) and "'sat' (column 7)" in str(err)


def test_headers_that_differ_only_in_spaces_or_case_are_the_same_header(tmp_path):
    rows = BASIC_ROWS.assign(**{" RECOMMEND": 0})
    err = load_error(tmp_path, rows)
    assert err.column == "recommend" and "' RECOMMEND' (column 8)" in str(err)


def test_a_repeated_header_the_codebook_does_not_use_is_a_note(tmp_path):
    text = BASIC_ROWS.assign(note="x", Note="y").to_csv(index=False)
    study = cx.load_study(write_study(tmp_path, text))
    assert any("'note' (column 8), 'Note' (column 9)" in n for n in study.quality.notes)


def test_a_repeated_header_in_parquet_is_found_too(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(BASIC_ROWS, preserve_index=False)
    table = table.append_column("recommend", pa.array([0] * 6))
    pq.write_table(table, tmp_path / "responses.parquet")
    err = load_error(tmp_path, responses="responses.parquet")
    assert err.column == "recommend" and "(column 8)" in str(err)


# -- missing columns ----------------------------------------------------------------------
def test_a_missing_column_does_not_hide_the_other_problems(tmp_path):
    rows = BASIC_ROWS.drop(columns="sat").assign(perf_web=[7, 6, 9, 4, 98, 6])
    err = load_error(tmp_path, rows)
    assert [p.column for p in err.problems] == ["sat", "perf_web"]
    assert err.problems[1].rows == (3,)


def test_a_missing_column_gets_a_did_you_mean_and_the_header_is_never_listed(tmp_path):
    rows = BASIC_ROWS.rename(columns={"recommend": "Recommend ", "perf_hot": "perf_hotline"})
    rows = rows.assign(secret_salary=1, secret_name="x")
    err = load_error(tmp_path, rows)
    text = str(err)
    assert "did you mean 'Recommend '?" in text and "did you mean 'perf_hotline'?" in text
    assert "the file has 9 columns" in text and text.count("9 columns") == 1
    assert "secret" not in text


# -- "NA"-like text -----------------------------------------------------------------------
def test_na_like_text_is_a_category_where_it_is_one_of_several_and_missing_in_ratings(tmp_path):
    rows = BASIC_ROWS.astype({"recommend": object}).assign(
        region=["NA", "EU", "NA", "APAC", "NA", ""]
    )
    rows.loc[[0, 1], "recommend"] = ["N/A", "#N/A"]
    columns = {"id": "id", "brand": "brand", "profile": ["region"]}
    study = cx.load_study(write_study(tmp_path, rows, columns=columns))
    assert study.responses["region"].value_counts()["NA"] == 3  # North America kept
    assert study.responses["region"].isna().sum() == 1  # the blank
    assert study.responses["recommend"].isna().sum() == 3  # N/A, #N/A and code 99
    assert study.quality.na_like == {"recommend": {"N/A": 1, "#N/A": 1}, "region": {"NA": 3}}
    assert study.quality.na_like_kept == ("region",)
    summary = study.quality.summary()
    assert "'region' 'NA' 3 (kept as a category)" in summary
    assert "'recommend' 'N/A' 1, '#N/A' 1 (set to missing)" in summary


def test_na_like_text_alone_in_a_category_column_is_missing_and_counted(tmp_path):
    rows = BASIC_ROWS.assign(region=["None", "None", "", "", "", ""])
    columns = {"id": "id", "brand": "brand", "profile": ["region"]}
    study = cx.load_study(write_study(tmp_path, rows, columns=columns))
    assert study.responses["region"].isna().all()
    assert study.quality.na_like == {"region": {"None": 2}} and not study.quality.na_like_kept


def test_na_like_text_in_a_numeric_profile_is_missing_and_counted(tmp_path):
    rows = BASIC_ROWS.assign(tenure=["3", "NaN", "5", "null", "2", "1"])
    columns = {"id": "id", "brand": "brand", "profile": ["tenure"]}
    study = cx.load_study(write_study(tmp_path, rows, columns=columns))
    assert study.responses["tenure"].dtype == "Int64"
    assert study.quality.na_like == {"tenure": {"NaN": 1, "null": 1}}


# -- weights ------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["inf", "-inf", "-1", "0", "", "NA", "heavy"])
def test_a_weight_that_is_not_a_positive_finite_number_is_an_error(tmp_path, bad):
    rows = BASIC_ROWS.assign(w=["1", "2", bad, "1", "1", "1"])
    err = load_error(tmp_path, rows, columns={"id": "id", "brand": "brand", "weight": "w"})
    assert err.column == "w" and err.rows == (3,)


def test_a_weight_a_million_times_the_others_is_an_error(tmp_path):
    rows = BASIC_ROWS.assign(w=[1, 2, 1e200, 1, 1.5, 1])
    err = load_error(tmp_path, rows, columns={"id": "id", "brand": "brand", "weight": "w"})
    assert err.column == "w" and err.rows == (3,) and "1e+200 times the smallest" in str(err)


def test_extreme_weights_are_a_warning_with_kish_effective_n(tmp_path):
    weights = [1.0, 1.0, 1.0, 1.0, 1.0, 150.0]
    rows = BASIC_ROWS.assign(w=weights)
    columns = {"id": "id", "brand": "brand", "weight": "w"}
    quality = cx.load_study(write_study(tmp_path, rows, columns=columns)).quality
    kish = sum(weights) ** 2 / sum(w * w for w in weights)  # (155)^2 / 22505 = 1.0676
    assert quality.effective_n == pytest.approx(kish) and quality.weight_ratio == 150
    assert any("extreme weights" in w and "1 of 6" in w for w in quality.warnings)
    assert "effective sample size (Kish) 1 of 6" in quality.summary()


def test_ordinary_weights_give_no_warning(tmp_path):
    rows = BASIC_ROWS.assign(w=[0.8, 1.2, 1.0, 0.9, 1.1, 1.0])
    columns = {"id": "id", "brand": "brand", "weight": "w"}
    quality = cx.load_study(write_study(tmp_path, rows, columns=columns)).quality
    assert quality.warnings == () and quality.weight_ratio == pytest.approx(1.5)
    assert quality.effective_n == pytest.approx(36 / sum(w * w for w in rows["w"]))


# -- brand, "don't know" codes beyond ratings, empty columns --------------------------------
def test_a_brand_absent_from_the_data_is_an_error_with_a_did_you_mean(tmp_path):
    err = load_error(tmp_path, brand="acme")
    assert err.column == "brand" and "'acme'" in str(err) and "did you mean 'Acme'?" in str(err)
    err = load_error(tmp_path / "b", brand="Zeta")
    assert "not among the 2 brands" in str(err) and "did you mean" not in str(err)


def test_dont_know_codes_apply_to_operational_and_numeric_profile_columns(tmp_path):
    rows = BASIC_ROWS.assign(wait=[3.5, 98, 12, 99, 4, 0], tenure=[1, 2, 98, 4, 5, 6])
    study = cx.load_study(
        write_study(
            tmp_path,
            rows,
            columns={"id": "id", "brand": "brand", "profile": ["tenure"]},
            operational=[{"column": "wait", "touchpoint": "hotline", "unit": "min"}],
        )
    )
    assert study.responses["wait"].max() == 12 and study.responses["wait"].isna().sum() == 2
    assert study.responses["tenure"].max() == 6
    assert study.quality.dont_know["wait"] == 2 and study.quality.dont_know["tenure"] == 1
    assert any("'wait' 2, 'tenure' 1" in note for note in study.quality.notes)


def test_a_column_nobody_answered_and_a_one_row_study_are_accepted_with_a_warning(tmp_path):
    rows = BASIC_ROWS.iloc[:1].assign(perf_hot=None)
    study = cx.load_study(write_study(tmp_path, rows))
    assert study.n == 1
    assert any("'perf_hot' has no answer at all" in w for w in study.quality.warnings)
    assert "warning: 'perf_hot' has no answer at all" in study.quality.summary()
