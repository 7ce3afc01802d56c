"""The command line: plain messages and exit codes, never a traceback for bad input."""

import shutil

import pytest
from conftest import BASIC_ROWS, write_study

from cxresearch.cli import _parse_value, main


def test_validate_prints_the_quality_summary(tmp_path, capsys):
    assert main(["validate", str(write_study(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "valid (6 respondents)" in out and "rows read: 6" in out


def test_validate_bad_study_exits_1_with_a_plain_message(tmp_path, capsys):
    path = write_study(tmp_path, BASIC_ROWS.assign(sat=[5, 4, 9, 3, 4, 5]))
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "'sat'" in err and "data rows 3" in err
    assert "Traceback" not in err


def test_demo_command_writes_the_study(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "d"), "-n", "200", "--seed", "1"]) == 0
    assert (tmp_path / "d" / "truth.json").exists()


@pytest.mark.slow
def test_report_command_failure_exits_1(tmp_path, capsys):
    study = tmp_path / "missing.yaml"
    assert main(["report", str(study), "--out", str(tmp_path / "out")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_parameter_values_are_parsed_like_papermill():
    assert [_parse_value(v) for v in ("50", "0.5", "true", "None", "Acme")] == [
        50,
        0.5,
        True,
        None,
        "Acme",
    ]


def test_console_script_is_installed():
    assert shutil.which("cxresearch") or shutil.which("cxresearch", path=".venv/bin")


def test_a_parameter_no_chapter_takes_is_refused_before_any_kernel_starts(tmp_path, capsys):
    out = tmp_path / "report"
    code = main(["report", str(write_study(tmp_path)), "--out", str(out), "-p", "n_bot", "5"])
    assert code == 1
    err = capsys.readouterr().err
    assert "no chapter takes the parameter 'n_bot'" in err and "n_boot" in err
    assert not out.exists()


@pytest.mark.parametrize(
    "name, value, words",
    [
        ("segment", "99", "no segment 99"),
        ("k", "abc", "k must be 'auto' or a whole number"),
        ("k", "1", "k must be 'auto' or a whole number"),
        ("clustering", "xyz", "clustering must be one of kmeans"),
        ("min_base", "-5", "min_base must be a whole number"),
    ],
)
def test_a_bad_parameter_value_is_refused_before_any_kernel_starts(
    tmp_path, capsys, demo_path, name, value, words
):
    out = tmp_path / "report"
    code = main(["report", str(demo_path), "--out", str(out), "-p", name, value])
    err = capsys.readouterr().err
    assert code == 1 and words in err and "Traceback" not in err
    assert not out.exists()


def test_a_study_too_small_to_segment_says_so(tmp_path, capsys):
    out = tmp_path / "report"
    code = main(["report", str(write_study(tmp_path)), "--out", str(out), "-p", "segment", "1"])
    err = capsys.readouterr().err
    assert code == 1 and "needs at least 20 respondents" in err and "Traceback" not in err
