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
