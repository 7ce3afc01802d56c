"""The command line: plain messages and exit codes, never a traceback for bad input."""

import os
import shutil
import signal
import subprocess
import sys

import pytest
from conftest import BASIC_ROWS, write_study
from dask_helpers import parquet_study

from cxresearch import cli
from cxresearch.cli import _COMMANDS, DATA_DIRS, _parse_value, main


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


# --- never a traceback: errors of every kind in one line ------------------------------


def failing_with(exc: BaseException):
    def command(args):
        raise exc

    return command


def test_debug_is_accepted_before_and_after_the_command():
    from cxresearch.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["--debug", "validate", "s.yaml"]).debug is True
    assert parser.parse_args(["validate", "s.yaml", "--debug"]).debug is True
    assert parser.parse_args(["validate", "s.yaml"]).debug is False


def test_an_unexpected_error_is_one_line_and_debug_shows_its_traceback(monkeypatch, capsys):
    monkeypatch.setitem(_COMMANDS, "validate", failing_with(ZeroDivisionError("division by zero")))
    assert main(["validate", "s.yaml"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "error: unexpected ZeroDivisionError: division by zero "
        "(run with --debug for the traceback)\n"
    )
    with pytest.raises(ZeroDivisionError):
        main(["--debug", "validate", "s.yaml"])


def test_permission_denied_names_the_path(monkeypatch, capsys):
    denied = PermissionError(13, "Permission denied", "/data/locked/study.yaml")
    monkeypatch.setitem(_COMMANDS, "validate", failing_with(denied))
    assert main(["validate", "s.yaml"]) == 1
    assert capsys.readouterr().err == "error: permission denied: /data/locked/study.yaml\n"


def test_an_unreadable_codebook_says_permission_denied(tmp_path, capsys):
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = write_study(tmp_path)
    path.chmod(0)
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "permission denied" in err.lower() and "study.yaml" in err and "Traceback" not in err


def test_ctrl_c_stops_with_one_line_and_exit_130(monkeypatch, capsys):
    monkeypatch.setitem(_COMMANDS, "report", failing_with(KeyboardInterrupt()))
    assert main(["report", "s.yaml", "--out", "r"]) == 130
    assert capsys.readouterr().err == "stopped; the last report was left as it was\n"


def test_sigterm_stops_a_command_like_ctrl_c_with_exit_143(monkeypatch, capsys):
    def terminated(args):
        signal.raise_signal(signal.SIGTERM)  # the handler raises in this (main) thread
        raise AssertionError("SIGTERM did not stop the command")

    monkeypatch.setitem(_COMMANDS, "validate", terminated)
    assert main(["validate", "s.yaml"]) == 143
    assert capsys.readouterr().err == "stopped\n"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handler put back


def test_data_dirs_reach_the_environment_while_the_command_runs(tmp_path, monkeypatch):
    seen = []
    monkeypatch.delenv(DATA_DIRS, raising=False)
    monkeypatch.setitem(_COMMANDS, "validate", lambda args: seen.append(os.environ[DATA_DIRS]))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path)
    main(["validate", "s.yaml", "--data-dir", "a", "--data-dir", str(tmp_path / "b")])
    assert seen == [os.pathsep.join([str(tmp_path / "a"), str(tmp_path / "b")])]
    assert DATA_DIRS not in os.environ


def test_a_data_dir_that_does_not_exist_is_refused(tmp_path, capsys):
    assert main(["validate", "s.yaml", "--data-dir", str(tmp_path / "nowhere")]) == 1
    assert "nowhere: no such folder" in capsys.readouterr().err


@pytest.mark.slow
def test_a_good_run_prints_no_kernel_noise(tmp_path):
    """Shutting a finished kernel down used to interrupt it first, and every good
    run printed "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel"."""
    from corpus import write
    from corpus.output import tiny_chapters

    write(tmp_path)
    chapters = tiny_chapters(tmp_path)
    argv = ["report", "study.yaml", "--out", "report", "--quiet", "--notebooks", str(chapters)]
    done = subprocess.run(
        [sys.executable, "-m", "cxresearch.cli", *argv],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "ERROR" not in done.stderr and "KeyboardInterrupt" not in done.stderr, done.stderr
    assert (tmp_path / "report" / "chapters" / "00_tiny.html").exists()


# -- --engine and --scheduler -----------------------------------------------------------


@pytest.fixture
def parquet_path(tmp_path):
    pytest.importorskip("dask.dataframe")
    return parquet_study(tmp_path / "study")


def test_validate_with_the_dask_engine_prints_the_in_memory_summary(parquet_path, capsys):
    assert main(["validate", str(parquet_path)]) == 0
    in_memory = capsys.readouterr().out.splitlines()
    argv = ["validate", str(parquet_path), "--engine", "dask", "--scheduler", "synchronous"]
    assert main(argv) == 0
    lazily = capsys.readouterr().out.splitlines()
    assert lazily[0].endswith("valid (2,000 respondents; dask engine, scheduler synchronous)")
    assert in_memory[0].endswith("valid (2,000 respondents)")
    assert lazily[1:] == in_memory[1:]


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--engine", "dask", "--scheduler", "localhost:8786"], "'tcp://localhost:8786'?"),
        (["--scheduler", "threads"], "column 'scheduler': a scheduler (scheduler='threads') "
         "runs the Dask engine"),
    ],
)  # fmt: skip
def test_validate_with_a_scheduler_that_cannot_be_exits_1_in_words(
    parquet_path, capsys, options, words
):
    assert main(["validate", str(parquet_path), *options]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and words in err and "Traceback" not in err


def test_an_engine_cxresearch_does_not_have_is_refused_by_the_parser(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["validate", str(write_study(tmp_path)), "--engine", "spark"])
    assert stop.value.code == 2
    assert "invalid choice: 'spark' (choose from 'pandas', 'dask')" in capsys.readouterr().err


def test_report_and_export_pass_the_engine_and_scheduler_on(tmp_path, monkeypatch):
    seen = {}

    def render_report(study, out, parameters, **options):
        seen["report"] = options
        return out / "index.html"

    def deliverables(study, parameters, **options):
        seen["deliverables"] = options
        return "results"

    monkeypatch.setattr(cli, "render_report", render_report)
    monkeypatch.setattr(cli, "deliverables", deliverables)
    monkeypatch.setattr(cli, "write_workbook", lambda results, target: target)
    study, address = str(write_study(tmp_path)), "tcp://127.0.0.1:8786"
    engine = ["--engine", "dask", "--scheduler", address]
    assert main(["report", study, "--out", str(tmp_path / "r"), "--quiet", *engine]) == 0
    assert (seen["report"]["engine"], seen["report"]["scheduler"]) == ("dask", address)
    assert main(["report", study, "--out", str(tmp_path / "r"), "--quiet"]) == 0
    assert (seen["report"]["engine"], seen["report"]["scheduler"]) == (None, None)
    assert main(["export", study, "--xlsx", str(tmp_path / "r.xlsx"), *engine]) == 0
    assert seen["deliverables"]["engine"] == "dask"
    assert seen["deliverables"]["scheduler"] == address


def test_a_stopped_command_with_a_thread_still_computing_exits_at_once(monkeypatch):
    """After Ctrl-C the index page's daemon thread may still be in native code;
    the command then leaves with os._exit (its code kept), not through an
    interpreter shutdown that could abort under the thread."""
    import threading

    import cxresearch.cli as cli

    release = threading.Event()
    busy = threading.Thread(target=release.wait, daemon=True)
    busy.start()
    exits = []
    monkeypatch.setattr(cli, "main", lambda: 130)
    monkeypatch.setattr(cli.os, "_exit", lambda code: exits.append(code))
    try:
        with pytest.raises(SystemExit) as ended:
            cli.run()
    finally:
        release.set()
        busy.join()
    assert exits == [130] and ended.value.code == 130  # os._exit, here patched to return


def test_a_finished_command_exits_the_usual_way(monkeypatch):
    import cxresearch.cli as cli

    monkeypatch.setattr(cli, "main", lambda: 0)
    monkeypatch.setattr(cli.os, "_exit", lambda code: pytest.fail("os._exit after success"))
    with pytest.raises(SystemExit) as ended:
        cli.run()
    assert ended.value.code == 0
