"""`cxresearch init`: a codebook drafted from a data file's columns loads as it is."""

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import SHARED_DATA

import cxresearch as cx
from cxresearch.cli import main
from cxresearch.data.draft import draft_codebook


def survey(n=300, seed=0, nps_codes=(0, 10)) -> pd.DataFrame:
    """A survey export of many kinds of column, as a new user brings it."""
    rng = np.random.default_rng(seed)
    recommend = rng.integers(nps_codes[0], nps_codes[1] + 1, n).astype(float)
    recommend[rng.random(n) < 0.05] = 98  # "don't know"
    return pd.DataFrame(
        {
            "respondent_id": [f"R{i:04d}" for i in range(n)],
            "brand_rated": rng.choice(["Acme", "Acme", "Rival"], n),
            "wave": rng.choice(["Wave 9", "Wave 10"], n),
            "weight": rng.uniform(0.5, 2, n).round(3),
            "likely_to_recommend": recommend,
            "overall_satisfaction": rng.integers(1, 6, n),
            "churned": rng.choice(["yes", "no"], n),
            "exp_website": rng.integers(1, 8, n),
            "perf_website": rng.integers(1, 8, n),
            "perf_hotline": rng.integers(1, 8, n),
            "age_group": rng.choice(["18-29", "30-44", "45+"], n),
            "tenure_years": rng.integers(0, 30, n),
            "wait_minutes": rng.exponential(8, n).round(1),
            "comment": [
                f"Respondent {i} says the hotline kept me waiting for ages" for i in range(n)
            ],
        }
    )


def draft(tmp_path, frame, name="responses.csv"):
    data = tmp_path / name
    if name.endswith(".csv"):
        frame.to_csv(data, index=False)
    else:
        import pyreadstat

        pyreadstat.write_sav(frame, str(data))
    out = tmp_path / "study.yaml"
    out.write_text(draft_codebook(data, out), encoding="utf-8")
    return out


def test_a_survey_export_is_drafted_role_by_role_and_loads(tmp_path):
    path = draft(tmp_path, survey())
    codebook = yaml.safe_load(path.read_text())
    columns = codebook["columns"]
    assert (columns["id"], columns["brand"], columns["wave"], columns["weight"]) == (
        "respondent_id", "brand_rated", "wave", "weight"
    )  # fmt: skip
    assert codebook["brand"] == "Acme"  # the most frequent brand, with a TODO
    outcomes = codebook["outcomes"]
    assert outcomes["nps"] == {"column": "likely_to_recommend", "scale": [0, 10]}
    assert outcomes["csat"] == {"column": "overall_satisfaction", "scale": [1, 5]}
    assert outcomes["retained"] == {"column": "churned", "true": ["no"]}
    assert codebook["missing"] == [98]
    touchpoints = {tp["id"]: tp for tp in codebook["touchpoints"]}
    assert touchpoints["website"]["expectation"]["column"] == "exp_website"
    assert touchpoints["website"]["experience"]["column"] == "perf_website"
    assert touchpoints["hotline"]["experience"]["column"] == "perf_hotline"
    assert codebook["operational"] == [{"column": "wait_minutes"}]
    assert codebook["text"] == [{"column": "comment"}]
    assert set(columns["profile"]) == {"age_group", "tenure_years"}
    study = cx.load_study(path)  # the draft validates as it is
    assert study.n == 300 and study.quality.dont_know["likely_to_recommend"] > 0
    assert "# TODO:" in path.read_text()


def test_nps_stored_as_1_to_11_gets_its_recode(tmp_path):
    path = draft(tmp_path, survey(nps_codes=(1, 11)))
    nps = yaml.safe_load(path.read_text())["outcomes"]["nps"]
    assert nps["scale"] == [0, 10] and nps["recode"][1] == 0 and nps["recode"][11] == 10
    study = cx.load_study(path)
    assert study.responses["likely_to_recommend"].max() <= 10


def test_an_spss_export_is_drafted_too(tmp_path):
    pytest.importorskip("pyreadstat")
    frame = survey().drop(columns=["comment"])
    path = draft(tmp_path, frame, "responses.sav")
    assert cx.load_study(path).n == 300


def test_the_command_writes_the_draft_and_refuses_to_overwrite(tmp_path, capsys):
    data = tmp_path / "export.csv"
    survey().to_csv(data, index=False)
    assert main(["init", str(data)]) == 0
    assert (tmp_path / "study.yaml").exists()
    assert "validates as it is" in capsys.readouterr().out
    assert main(["init", str(data)]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["init", str(data), "--force"]) == 0


def test_a_file_with_nothing_to_analyse_says_so(tmp_path):
    data = tmp_path / "names.csv"
    pd.DataFrame({"name": ["a", "b", "c"], "city": ["x", "y", "z"]}).to_csv(data, index=False)
    with pytest.raises(cx.StudyError, match="write the codebook by hand"):
        draft_codebook(data, tmp_path / "study.yaml")


@pytest.mark.parametrize(
    "relative, expected",
    [
        ("telco-churn/WA_Fn-UseC_-Telco-Customer-Churn.csv", "outcomes"),
        ("twitter-airline-sentiment/Tweets.csv", "feedback"),
    ],
)
def test_the_shared_real_data_drafts_and_loads_without_edits(tmp_path, relative, expected):
    data = SHARED_DATA / relative
    if not data.exists():
        pytest.skip(f"{data} is absent (the shared data folder is not beside the project)")
    out = tmp_path / "study.yaml"
    out.write_text(draft_codebook(data, out), encoding="utf-8")
    assert expected in yaml.safe_load(out.read_text())
    assert cx.load_study(out, data_dirs=[data.parent]).n > 7000


@pytest.mark.slow
def test_init_then_report_on_the_real_churn_data(tmp_path):
    data = SHARED_DATA / "telco-churn" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
    if not data.exists():
        pytest.skip(f"{data} is absent (the shared data folder is not beside the project)")
    out = tmp_path / "study.yaml"
    assert main(["init", str(data), "--out", str(out)]) == 0
    report = ["report", str(out), "--out", str(tmp_path / "report"), "--quiet"]
    assert main([*report, "--data-dir", str(data.parent)]) == 0
    html = (tmp_path / "report" / "index.html").read_text()
    assert "Retention rate %" in html and "NPS" not in html
