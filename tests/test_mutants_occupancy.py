"""Tests of phasesim.simulation.occupancy on hand-made holds (issue 15).

Environment ``staging`` (capacity 2), run 0: hold A asked and got it at 10:00 and gave it
back at 12:00; hold B asked at 11:00, got it at 12:00 (it waited an hour), gave it back
at 13:00. Team ``qa`` (capacity 1): one hold asked at 10:00, granted at 10:30 and never
released (``NaT``, counted as released when granted). The horizon is 10:00 to 13:00.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from phasesim.simulation.occupancy import integral_at, utilization_table

T = pd.Timestamp("2026-03-02", tz="UTC")
CAPACITY = {("environment", "staging"): 2, ("team", "qa"): 1}


def at(hours: float) -> pd.Timestamp:
    return T + pd.Timedelta(hours=hours)


def usage(runs: int = 1) -> pd.DataFrame:
    rows = []
    for run in range(runs):
        rows += [
            ("environment", "staging", run, at(10), at(10), at(12)),
            ("environment", "staging", run, at(11), at(12), at(13)),
            ("team", "qa", run, at(10), at(10.5), pd.NaT),
        ]
    frame = pd.DataFrame(rows, columns=["kind", "resource", "run", "requested", "granted",
                                        "released"])
    for col in ("requested", "granted", "released"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def test_integral_of_holds_up_to_each_time() -> None:
    starts, ends = np.array([1.0, 0.0]), np.array([3.0, 2.0])  # [0, 2] and [1, 3]
    t = np.array([-1.0, 0.0, 0.5, 1.0, 1.5, 2.5, 5.0])
    assert list(integral_at(starts, ends, t)) == [0.0, 0.0, 0.5, 1.0, 2.0, 3.5, 4.0]


def test_whole_horizon() -> None:
    table = utilization_table(usage(), CAPACITY)
    assert list(table.index) == [("environment", "staging"), ("team", "qa")]
    assert list(table.columns) == ["capacity", "busy_share", "queue_mean", "wait_mean_h",
                                   "wait_p95_h", "holds"]
    env, qa = table.loc[("environment", "staging")], table.loc[("team", "qa")]
    # busy 2 h + 1 h over 3 h of 2 members; B queued 1 h of 3; waits 0 and 1 h
    assert (env["capacity"], env["busy_share"], env["queue_mean"]) == (2, 0.5, pytest.approx(1 / 3))
    assert (env["wait_mean_h"], env["wait_p95_h"], env["holds"]) == (0.5, pytest.approx(0.95), 2)
    # never released: no busy time, half an hour queued
    assert (qa["capacity"], qa["busy_share"], qa["queue_mean"]) == (1, 0.0, pytest.approx(1 / 6))
    assert (qa["wait_mean_h"], qa["wait_p95_h"], qa["holds"]) == (0.5, 0.5, 1)


def test_runs_share_the_horizon() -> None:
    two = usage(2)
    # run 1 loses hold B: 5 busy hours over 2 runs x 3 h x 2 members
    two = two.drop(index=4)
    env = utilization_table(two, CAPACITY).loc[("environment", "staging")]
    assert (env["busy_share"], env["queue_mean"], env["holds"]) == (
        pytest.approx(5 / 12), pytest.approx(1 / 6), 3)
    assert env["wait_mean_h"] == pytest.approx(1 / 3)


def test_unknown_capacity_is_one() -> None:
    table = utilization_table(usage(), {})
    assert list(table["capacity"]) == [1, 1]
    assert table.loc[("environment", "staging"), "busy_share"] == 1.0


def test_per_hour() -> None:
    table = utilization_table(usage(), CAPACITY, freq="h")
    env = table.loc[("environment", "staging")]
    # periods from midnight (the day of the first request) to 13:00
    assert list(env.index) == [at(h) for h in range(14)]
    assert list(env["busy_share"]) == [0.0] * 10 + [0.5, 0.5, 0.5, 0.0]
    assert list(env["queue_mean"]) == [0.0] * 11 + [1.0, 0.0, 0.0]
    assert list(env["holds"]) == [0] * 10 + [1, 1, 0, 0]
    assert env["wait_mean_h"].tolist()[10:12] == [0.0, 1.0]
    assert env["wait_p95_h"].tolist()[10:12] == [0.0, 1.0]
    assert env["wait_mean_h"].isna().tolist() == [True] * 10 + [False, False, True, True]
    qa = table.loc[("team", "qa")]
    assert list(qa["queue_mean"]) == [0.0] * 10 + [0.5, 0.0, 0.0, 0.0]


def test_per_day_starts_at_midnight() -> None:
    table = utilization_table(usage(), CAPACITY, freq="D")
    env = table.loc[("environment", "staging")]
    assert list(env.index) == [T]
    assert env["busy_share"].tolist() == [pytest.approx(3 / 48)]


def test_no_holds() -> None:
    table = utilization_table(usage().iloc[:0], CAPACITY)
    assert table.empty
    assert list(table.columns) == ["kind", "resource", "capacity", "busy_share", "queue_mean",
                                   "wait_mean_h", "wait_p95_h", "holds"]


def test_empty_periods_and_an_empty_horizon_are_nan_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hourly = utilization_table(usage(), CAPACITY, freq="h")
        instant = usage().iloc[[2]].assign(granted=at(10), released=at(10))
        table = utilization_table(instant, CAPACITY)
    assert hourly.loc[("environment", "staging"), "wait_mean_h"].isna().sum() == 12
    qa = table.loc[("team", "qa")]  # requested, granted and released at 10:00: no horizon
    assert np.isnan(qa["busy_share"]) and np.isnan(qa["queue_mean"])
    assert (qa["wait_mean_h"], qa["holds"]) == (0.0, 1)


def test_an_open_hold_at_the_end_of_the_horizon() -> None:
    qa = usage().iloc[[2]]  # only the never-released hold: the horizon ends when granted
    row = utilization_table(qa, CAPACITY).loc[("team", "qa")]
    assert (row["busy_share"], row["queue_mean"], row["holds"]) == (0.0, 1.0, 1)
    late = pd.concat([usage(), usage().iloc[[2]].assign(requested=at(13), granted=at(13))])
    row = utilization_table(late, CAPACITY).loc[("team", "qa")]
    assert row["holds"] == 2  # asked for at the very end: still counted
    assert row["wait_mean_h"] == 0.25


def test_rows_are_sorted_by_kind_and_resource() -> None:
    table = utilization_table(usage().iloc[::-1], CAPACITY)
    assert list(table.index) == [("environment", "staging"), ("team", "qa")]


def test_weekly_periods_start_with_the_first_day() -> None:
    # pandas' weeks end on Sundays: the first period runs from Monday 2 March to Sunday 8
    table = utilization_table(usage(), CAPACITY, freq="W")
    env = table.loc[("environment", "staging")]
    assert list(env.index) == [T]
    assert env["busy_share"].tolist() == [pytest.approx(3 / (2 * 144))]
    longer = pd.concat([usage(), usage().iloc[[0]].assign(
        requested=at(200), granted=at(200), released=at(202))])  # Tuesday 10 March
    env = utilization_table(longer, CAPACITY, freq="W").loc[("environment", "staging")]
    assert list(env.index) == [T, pd.Timestamp("2026-03-08", tz="UTC")]
    assert env["busy_share"].tolist() == [pytest.approx(3 / (2 * 144)),
                                          pytest.approx(2 / (2 * 168))]
    assert list(env["holds"]) == [2, 1]
