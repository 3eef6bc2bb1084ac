"""Tests of phasesim.analysis.stats written against its mutants (issue 15).

One release r1 (times in hours after Monday 5 January 2026 00:00 UTC): qa runs 0-10
(planned 0-8), docs 1-2 (planned start 1, no planned end), prod 13-18 (planned 10-18.5).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from numpy.testing import assert_allclose

from phasesim.analysis import (
    lead_times,
    phase_stats,
    planned_vs_actual,
    waiting_vs_working,
    work_in_progress,
)

sys.path.insert(0, str(Path(__file__).parent))
from test_analysis_stats import at, make_log

ROWS = [
    {"rel": "r1", "phase": "qa", "start": 0, "end": 10, "planned_start": 0, "planned_end": 8},
    {"rel": "r1", "phase": "docs", "start": 1, "end": 2, "planned_start": 1},
    {"rel": "r1", "phase": "prod", "start": 13, "end": 18, "planned_start": 10,
     "planned_end": 18.5},
]


def test_waiting_vs_working_columns_and_values() -> None:
    out = waiting_vs_working(make_log(ROWS))
    assert list(out.columns) == ["run", "release_id", "phase_id", "ready", "start", "end",
                                 "wait_h", "work_h", "ready_source", "status", "failed",
                                 "designed_h", "avoidable_h"]
    assert out["phase_id"].tolist() == ["qa", "docs", "prod"]
    assert out["ready"].tolist() == [at(0), at(0), at(10)]  # prod waits for qa's end
    assert out["start"].tolist() == [at(0), at(1), at(13)]
    assert out["end"].tolist() == [at(10), at(2), at(18)]
    assert_allclose(out["wait_h"], [0.0, 1.0, 3.0])
    assert_allclose(out["work_h"], [10.0, 1.0, 5.0])
    assert out["ready_source"].tolist() == ["release_start", "release_start", "previous"]
    assert out["status"].tolist() == ["succeeded"] * 3
    assert out["failed"].tolist() == [False] * 3
    # docs waits 1 h up to its planned start (designed); prod 3 h past its plan (avoidable)
    assert_allclose(out["designed_h"], [0.0, 1.0, 0.0])
    assert_allclose(out["avoidable_h"], [0.0, 0.0, 3.0])
    for col in ("ready_source", "status"):
        assert out[col].dtype == "string"
    assert out["failed"].dtype == bool


def test_planned_vs_actual_keeps_a_phase_with_only_a_planned_start() -> None:
    out = planned_vs_actual(make_log(ROWS))
    assert out["phase_id"].tolist() == ["qa", "docs", "prod"]
    assert out["planned_start"].tolist() == [at(0), at(1), at(10)]
    assert out["planned_end"].tolist()[::2] == [at(8), at(18.5)]
    assert pd.isna(out["planned_end"].iloc[1])
    assert out["start"].tolist() == [at(0), at(1), at(13)]
    assert out["end"].tolist() == [at(10), at(2), at(18)]
    assert_allclose(out["start_slip_h"], [0.0, 0.0, 3.0])
    assert_allclose(out["end_slip_h"], [2.0, float("nan"), -0.5])
    assert_allclose(out["slip_added_h"], [2.0, float("nan"), -3.5])
    assert out["took_most_slip"].tolist() == [True, False, False]


def test_only_a_positive_slip_is_taken() -> None:
    log = make_log([
        # r2 is on time: nobody took its slip
        {"rel": "r2", "phase": "qa", "start": 0, "end": 8, "planned_start": 0, "planned_end": 8},
        # r3 slips half an hour
        {"rel": "r3", "phase": "qa", "start": 20, "end": 28.5, "planned_start": 20,
         "planned_end": 28},
    ])
    out = planned_vs_actual(log)
    assert out["release_id"].tolist() == ["r2", "r3"]
    assert_allclose(out["slip_added_h"], [0.0, 0.5])
    assert out["took_most_slip"].tolist() == [False, True]
    assert out["took_most_slip"].dtype == bool


def test_work_in_progress_between_releases() -> None:
    # r1 0-1, r2 2-3: the count drops to 0 at 1 before r2 starts
    log = make_log([{"rel": "r1", "phase": "a", "start": 0, "end": 1},
                    {"rel": "r2", "phase": "a", "start": 2, "end": 3}])
    out = work_in_progress(log)
    assert out["time"].tolist() == [at(0), at(1), at(2), at(3)]
    assert out["releases"].tolist() == [1, 0, 1, 0]
    assert out["releases"].dtype == "int64"


def test_lead_time_status_is_text() -> None:
    out = lead_times(make_log(ROWS))
    assert out["status"].dtype == "string"
    assert out["status"].tolist() == ["succeeded"]
    assert_allclose(out["lead_time_h"], [18.0])
    assert out["hotfix"].dtype == bool and out["hotfix"].tolist() == [False]


def test_phase_stats_count_zero_and_lead_share_of_completed_releases() -> None:
    # r1 (completed, lead 0.5 h): qa 0-0.5; r2 (open): qa 5-6 done, prod still running
    log = make_log([
        {"rel": "r1", "phase": "qa", "start": 0, "end": 0.5},
        {"rel": "r2", "phase": "qa", "start": 5, "end": 6},
        {"rel": "r2", "phase": "prod", "start": 6},
    ])
    out = phase_stats(log)
    assert list(out.columns) == ["phase_id", "count", "mean_h", "median_h", "p90_h", "std_h",
                                 "iqr_h", "wait_mean_h", "wait_median_h", "failure_rate",
                                 "retry_rate", "rework_rate", "lead_share", "small_sample"]
    assert out["phase_id"].tolist() == ["qa", "prod"]
    assert out["count"].tolist() == [2, 0]  # prod has no closed execution: 0, not NaN
    assert out["count"].dtype == "int64"
    assert_allclose(out["mean_h"], [0.75, float("nan")])
    # only r1's 0.5 h counts: qa took all of the completed lead time
    assert_allclose(out["lead_share"], [1.0, float("nan")])


def test_lead_times_put_a_release_that_never_started_last() -> None:
    # r0 never started (its only row was skipped): sorted after the started ones although
    # its name comes first; r2 (start 1 h) before r1 (start 5 h)
    log = make_log(
        [
            {"rel": "r0", "phase": "build", "status": "skipped", "start": None, "end": None},
            {"rel": "r1", "phase": "build", "start": 5, "end": 7},
            {"rel": "r2", "phase": "build", "start": 1, "end": 2},
        ]
    )
    out = lead_times(log)
    assert out["release_id"].tolist() == ["r2", "r1", "r0"]
    assert_allclose(out["lead_time_h"].to_numpy(), [1.0, 2.0, float("nan")])
    assert out["start"].isna().tolist() == [False, False, True]
