"""zero_duration on simulated logs (skips and milestones are not suspicious), and no
"-0.00" in tables."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd

import phasesim
from phasesim import load_blueprint, simulate
from phasesim._report_tables import table_html
from phasesim.eventlog import audit_log
from phasesim.units import format_number

TEXT = """\
    process:
      id: p
      inputs: {extra: {type: boolean, default: false}}
      phases:
        - phase:
            id: a
            activities:
              - activity: {id: build, type: automated, duration: 1h}
              - activity: {id: instant, type: automated, duration: 0h, depends-on: [build]}
              - activity: {id: optional, type: automated, duration: 1h,
                           depends-on: [instant], if: <+releaseInput.extra> == true}
              - activity: {id: milestone, type: wait, depends-on: [optional]}
    """


def count(table: pd.DataFrame, rule: str) -> int:
    return int(table.set_index("rule").loc[rule, "count"])


def test_zero_duration_on_a_simulated_log_flags_only_work_that_took_no_time(tmp_path: Path):
    result = simulate(load_blueprint(textwrap.dedent(TEXT)), releases=3, runs=1, seed=1,
                      cadence="daily", progress=False)
    log = result.log
    zero = log["start"] == log["end"]
    # per release: the 0 h build step, the skipped step and the milestone have start == end
    assert int(zero.sum()) == 9
    table = audit_log(log)
    assert count(table, "zero_duration") == 3  # the instant automated step only
    # and read back from a file, the same
    log.to_parquet(tmp_path / "sim.parquet")
    again = phasesim.audit_table(phasesim.read_log(tmp_path / "sim.parquet"))
    assert count(again, "zero_duration") == 3
    assert count(again, "unsorted") == 0


def test_no_negative_zero_in_tables():
    frame = pd.DataFrame({"x": [-1e-17, -0.0, -0.006, 0.5]})
    html = table_html(frame, "h")
    assert "-0.00" not in html
    assert "<td>0.00</td>" in html and "<td>-0.01</td>" in html
    assert [format_number(v) for v in frame["x"]] == ["0.00", "0.00", "-0.01", "0.50"]
