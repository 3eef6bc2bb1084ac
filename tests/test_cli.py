"""The CLI as a user meets it: seeds, interrupts, pipes, directories and help texts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from phasesim.cli import main

ROOT = Path(__file__).resolve().parents[1]
PARALLEL = ROOT / "data" / "blueprints" / "parallel.yaml"


def test_simulate_without_seed_prints_one_that_repeats_the_run(
        capsys: pytest.CaptureFixture[str]):
    argv = ["simulate", str(PARALLEL), "--releases", "2", "--runs", "2", "--no-progress"]
    assert main(argv) == 0
    first = capsys.readouterr().out
    match = re.match(r"seed (\d+) \(none given; repeat this run with --seed (\d+)\)\n", first)
    assert match is not None and match.group(1) == match.group(2)
    assert main([*argv, "--seed", match.group(1)]) == 0
    again = capsys.readouterr().out
    assert not again.startswith("seed ")
    assert again == first[match.end():]


def test_simulate_with_seed_prints_no_seed_line(capsys: pytest.CaptureFixture[str]):
    assert main(["simulate", str(PARALLEL), "--releases", "2", "--runs", "2",
                 "--no-progress", "--seed", "3"]) == 0
    assert "none given" not in capsys.readouterr().out


def test_ctrl_c_is_a_short_message_and_exit_130(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]):
    import phasesim.cli.blueprint as cli_blueprint

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_blueprint, "load_blueprint", interrupted)
    assert main(["show", str(PARALLEL)]) == 130
    captured = capsys.readouterr()
    assert captured.err == "phasesim show: interrupted\n"
    assert captured.out == ""


def test_closed_pipe_exits_quietly():
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line, like `| head -0`
    try:
        done = subprocess.run([sys.executable, "-m", "phasesim", "show", str(PARALLEL)],
                              stdout=write_end, stderr=subprocess.PIPE, text=True,
                              cwd=ROOT, timeout=60,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert done.returncode == 0


def test_validate_a_directory_reports_each_yaml_file(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]):
    text = PARALLEL.read_text()
    (tmp_path / "b.yml").write_text(text)
    (tmp_path / "a.yaml").write_text(text.replace("depends-on: [", "depends-on: [nothere, ", 1))
    (tmp_path / "notes.txt").write_text("not a blueprint")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.yaml").write_text("not: [valid")
    assert main(["validate", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == f"FAIL {tmp_path / 'a.yaml'}: 1 problem"
    assert lines[1].endswith("a.yaml:13:21: phases[0].depends-on: unknown phase 'nothere' "
                             "(known phases: build, security_scan, performance_test, "
                             "integration, deployment)")
    assert lines[2] == f"ok   {tmp_path / 'b.yml'}: 5 phases, 6 activities"
    assert len(lines) == 3  # notes.txt and sub/ are not read
    assert captured.err == "1 of 2 file(s) invalid\n"


def test_validate_an_empty_directory_is_a_message(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]):
    assert main(["validate", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path}: no *.yaml or *.yml files in this directory" in err


def _actions():
    import argparse

    from phasesim.cli import build_parser

    parser = build_parser()
    yield "phasesim", parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def test_every_option_and_argument_has_help_text():
    seen = 0
    for name, parser in _actions():
        for action in parser._actions:
            if action.dest == "command":
                continue
            seen += 1
            where = f"{name} {action.option_strings or action.dest}"
            assert action.help and action.help.strip(), where
    assert seen > 40  # every sub-command was walked


@pytest.mark.parametrize("command", ["validate", "show", "schema", "simulate", "compare",
                                     "calibrate", "discover", "report"])
def test_help_is_plain_text(command: str, capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "%%" not in text
    assert " MS" not in text and "MS:" not in text


def test_help_says_95_percent_and_months(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    assert "95% interval" in " ".join(capsys.readouterr().out.split())
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "days, weeks, months, quarters or years (default months)" in text


@pytest.mark.parametrize(("word", "alias"), [("months", "MS"), ("weeks", "W"),
                                             ("Quarters", "QS"), ("W-MON", "W-MON")])
def test_report_freq_words_become_pandas_aliases(word: str, alias: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]):
    import phasesim.eventlog as eventlog
    import phasesim.report as report

    seen = {}

    def fake_write(log: object, output: str, **kwargs: object) -> str:
        seen.update(kwargs)
        return output

    monkeypatch.setattr(eventlog, "read_log", lambda *a, **k: eventlog.empty_log())
    monkeypatch.setattr(report, "write_report", fake_write)
    out = str(tmp_path / "r.html")
    assert main(["report", "log.csv", "-o", out, "--freq", word]) == 0
    assert seen["freq"] == alias


def test_messages_name_cli_options_not_library_arguments(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]):
    log = tmp_path / "log.weird"
    log.write_text("a,b\n")
    assert main(["report", str(log), "-o", str(tmp_path / "r.html")]) == 1
    err = capsys.readouterr().err
    assert "cannot tell the format from the extension '.weird' (pass --format, one of csv," in err
    assert "format=" not in err


def test_cli_words():
    from phasesim.cli import cli_words

    assert cli_words("read them separately, or pass format= to read them alike") == \
        "read them separately, or pass --format to read them alike"
    assert cli_words("check that the file is csv, or pass the right format=") == \
        "check that the file is csv, or pass the right --format"
    assert cli_words("give it a 'default:' or pass inputs={...}") == \
        "give it a 'default:' or pass --input NAME=VALUE"
    assert cli_words("only 3 observed durations (fewer than min_samples=8)") == \
        "only 3 observed durations (fewer than --min-samples 8)"
    assert cli_words('unknown period frequency \'X\' (try "MS", "W" or "QS")') == \
        "unknown period frequency 'X' (try --freq months, weeks or quarters)"
    assert cli_words("date_format=x stays") == "date_format=x stays"
