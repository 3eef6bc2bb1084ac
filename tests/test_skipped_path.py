"""Activities whose if: is false are marked skipped and left off every critical path."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from phasesim import load_blueprint, simulate
from phasesim.cli import main

TEXT = """\
    process:
      id: p
      inputs: {db_migration: {type: boolean, default: false}}
      phases:
        - phase:
            id: roll
            activities:
              - activity: {id: build, type: automated, duration: 1h}
              - activity: {id: db_migration, type: automated, duration: 5h,
                           depends-on: [build], if: <+releaseInput.db_migration> == true}
              - activity: {id: deploy, type: automated, duration: 2h,
                           depends-on: [db_migration]}
              - activity: {id: soak, type: wait, duration: 4h, depends-on: [deploy]}
    """
START = pd.Timestamp("2026-03-02 10:00", tz="UTC")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    out = tmp_path / "bp.yaml"
    out.write_text(textwrap.dedent(TEXT), encoding="utf-8")
    return out


def test_blueprint_critical_path_leaves_skipped_activities_off(path: Path):
    bp = load_blueprint(path)
    cpm = bp.critical_path()
    assert cpm.path == ("roll.build", "roll.deploy", "roll.soak")
    assert cpm.length_h == pytest.approx(7.0)
    row = cpm.table.loc["roll.db_migration"]
    assert bool(row["skipped"]) and not bool(row["critical"])
    assert row["duration_h"] == 0.0
    frame = bp.to_frame().set_index("activity")
    assert bool(frame.loc["db_migration", "skipped"])
    assert not bool(frame.loc["db_migration", "critical"])
    # with the migration it runs and is on the path
    on = load_blueprint(path, inputs={"db_migration": True}).critical_path()
    assert on.path == ("roll.build", "roll.db_migration", "roll.deploy", "roll.soak")
    assert on.length_h == pytest.approx(12.0)
    assert not bool(on.table.loc["roll.db_migration", "skipped"])


def test_show_marks_skipped_and_splits_the_path(path: Path,
                                                capsys: pytest.CaptureFixture[str]):
    assert main(["show", str(path)]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if "db_migration automated" in ln)
    assert line.split()[-1] == "skipped"
    assert line.split()[-4] == "0.00"  # mean_h: it does not run
    assert "roll.build -> roll.deploy -> roll.soak" in out
    assert ("critical path: 7.00 h (mean durations, of which 4.00 h in wait activities "
            "(by design)") in out
    assert "skipped for these inputs (if: false; not on the path): roll.db_migration" in out
    assert main(["show", str(path), "--input", "db_migration=true"]) == 0
    out = capsys.readouterr().out
    assert "roll.build -> roll.db_migration -> roll.deploy -> roll.soak" in out
    assert "skipped for these inputs" not in out


def test_simulated_critical_path_passes_over_skipped_rows(path: Path):
    result = simulate(load_blueprint(path), releases=1, runs=1, seed=1, cadence="weekly",
                      start=START, progress=False)
    log = result.log.set_index("activity_id")
    assert log.loc["db_migration", "status"] == "skipped"
    on = result.critical_rows()
    chain = result.log.loc[on, "activity_id"].tolist()
    assert sorted(chain) == ["build", "deploy", "soak"]
    crit = result.criticality()
    assert crit.loc[("roll", "db_migration"), "critical_share"] == 0.0
    assert crit.loc[("roll", "deploy"), "critical_share"] == 1.0
    assert result.wait_breakdown().iloc[0]["work"] == pytest.approx(3.0)


def test_a_skipped_first_activity_hands_its_gate_wait_on():
    # the phase's gate waits for Fri 09:00 (Mon 11:00 -> Fri 09:00: 94 h); its first
    # activity is skipped, so the wait belongs to the deploy that runs after it
    text = """\
        process:
          id: p
          inputs: {db_migration: {type: boolean, default: false}}
          phases:
            - phase:
                id: build
                activities:
                  - activity: {id: compile, type: automated, duration: 1h}
            - phase:
                id: ship
                depends-on: [build]
                not-before: Fri 09:00
                activities:
                  - activity: {id: db_migration, type: automated, duration: 5h,
                               if: <+releaseInput.db_migration> == true}
                  - activity: {id: deploy, type: automated, duration: 2h,
                               depends-on: [db_migration]}
        """
    result = simulate(load_blueprint(textwrap.dedent(text)), releases=1, runs=1, seed=1,
                      cadence="weekly", start=START, progress=False)
    assert result.releases["lead_time_h"].iloc[0] == pytest.approx(97.0)
    crit = result.criticality()
    assert crit.loc[("ship", "deploy"), ["work_h", "designed_h", "avoidable_h"]].tolist() \
        == pytest.approx([2.0, 94.0, 0.0])
    assert crit.loc[("ship", "db_migration"), "contribution_h"] == 0.0
    assert crit["contribution_h"].sum() == pytest.approx(97.0)
    waits = result.wait_breakdown().iloc[0]
    assert waits[["work", "anchor"]].tolist() == pytest.approx([3.0, 94.0])
