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
