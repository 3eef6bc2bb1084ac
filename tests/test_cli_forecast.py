"""``phasesim forecast``: the thin adapter over ``phasesim.forecast``."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from phasesim.cli import main

BLUEPRINT = """\
    process:
      id: fixed
      calendars:
        office: {timezone: Europe/Berlin, hours: Mon-Fri 09:00-17:00}
      teams:
        Dev: {capacity: 1, calendar: office}
      phases:
        - phase:
            id: fix
            owners: [Dev]
            calendar: office
            activities:
              - activity: {id: work, type: manual, duration: 12h}
        - phase:
            id: ship
            depends-on: [fix]
            not-before: Thu 12:00
            calendar: office
            activities:
              - activity: {id: deploy, type: automated, duration: 2h}
    """

LOG = """\
run,release_id,phase_id,activity_id,activity_type,owner,status,attempt,ready,start,end
0,R1,fix,work,manual,Dev,in_progress,1,2026-03-02T08:00:00Z,2026-03-02T08:00:00Z,
0,R1,lint,flake,automated,Dev,succeeded,1,2026-03-02T08:00:00Z,2026-03-02T08:00:00Z,2026-03-02T08:10:00Z
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    bp = tmp_path / "bp.yaml"
    bp.write_text(textwrap.dedent(BLUEPRINT))
    log = tmp_path / "log.csv"
    log.write_text(LOG)
    return bp, log


def test_forecast_prints_a_table_and_writes_csv_and_png(files, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]):
    # work (12 working hours, Berlin office) began Mon 09:00 local; at Tue 10:00 local it
    # has 3 h left -> Tue 13:00; ship waits for Thu 12:00, deploy 2 h -> Thu 14:00 local
    bp, log = files
    out, png = tmp_path / "fc.csv", tmp_path / "fc.png"
    code = main(["forecast", str(bp), str(log), "--now", "2026-03-03 10:00+01:00",
                 "--runs", "3", "--seed", "1", "--target", "2026-03-05 13:00+01:00",
                 "--out", str(out), "--plot", str(png)])
    text = capsys.readouterr().out
    assert code == 0
    assert "1 release(s) in flight" in text and "1 unmatched log row(s)" in text
    assert "Thu 2026-03-05 14:00" in text  # the P50, in the blueprint's timezone
    assert "phase lint is not in the blueprint" in text
    table = pd.read_csv(out)
    assert table["phase_id"].tolist() == ["(release)", "fix", "ship"]
    assert table["finish_p50"].tolist() == ["2026-03-05 14:00:00+01:00",
                                            "2026-03-03 13:00:00+01:00",
                                            "2026-03-05 14:00:00+01:00"]
    assert table["p_target"].tolist() == [0.0, 1.0, 0.0]
    assert png.stat().st_size > 10_000


def test_forecast_errors_are_messages(files, capsys: pytest.CaptureFixture[str]):
    bp, log = files
    assert main(["forecast", str(bp), str(log), "--now", "2026-03-03 10:00",
                 "--runs", "1", "--seed", "1"]) == 1
    assert "has no timezone" in capsys.readouterr().err
    assert main(["forecast", str(bp), str(log), "--runs", "1", "--seed", "1",
                 "--strict"]) == 1
    err = capsys.readouterr().err
    assert "row 3: release R1: phase lint is not in the blueprint" in err
    assert main(["forecast", str(bp), str(log), "--out", "x.txt", "--seed", "1"]) == 1
    assert "--out must end in .csv" in capsys.readouterr().err


def test_forecast_takes_serialize_and_max_in_flight(files, capsys: pytest.CaptureFixture[str]):
    bp, log = files
    common = ["forecast", str(bp), str(log), "--now", "2026-03-03 10:00+01:00", "--runs",
              "1", "--seed", "1"]
    assert main([*common, "--serialize", "nope"]) == 1
    assert "serialize names unknown phase(s) ['nope']" in capsys.readouterr().err
    assert main([*common, "--max-in-flight", "0"]) == 1
    assert "max_in_flight must be a whole number of at least 1" in capsys.readouterr().err
    assert main([*common, "--serialize", "ship", "--max-in-flight", "1"]) == 0
    assert "Thu 2026-03-05 14:00" in capsys.readouterr().out
