"""Trends and delivery metrics per period, on logs worked out by hand."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from phasesim.analysis import delivery_metrics, trends
from phasesim.errors import LogError
from phasesim.eventlog.schema import validate_log


def make_log(rows: Sequence[tuple[object, ...]]) -> pd.DataFrame:
    """Rows (release, phase, start, end[, status, run]) with ISO times."""
    records = []
    for row in rows:
        rel, phase, start, end, *rest = row
        records.append(
            {
                "run": rest[1] if len(rest) > 1 else 0,
                "release_id": rel,
                "phase_id": phase,
                "activity_type": "phase",
                "status": rest[0] if rest else ("succeeded" if end else "in_progress"),
                "attempt": 1,
                "start": pd.Timestamp(str(start), tz="UTC"),
                "end": pd.Timestamp(str(end), tz="UTC") if end else pd.NaT,
            }
        )
    return validate_log(pd.DataFrame(records))


# January: qa holds most of the lead time; February and March: prod does.
HISTORY = [
    # jan-a: qa 3 h, prod 1 h (lead 4): shares .75 / .25
    ("jan-a", "qa", "2026-01-05 00:00", "2026-01-05 03:00"),
    ("jan-a", "prod", "2026-01-05 03:00", "2026-01-05 04:00"),
    # jan-b: qa 1 h, prod 1 h (lead 2): shares .5 / .5  -> January qa .625, prod .375
    ("jan-b", "qa", "2026-01-12 00:00", "2026-01-12 01:00"),
    ("jan-b", "prod", "2026-01-12 01:00", "2026-01-12 02:00"),
    # feb: qa 1 h, prod 3 h: shares .25 / .75
    ("feb", "qa", "2026-02-02 00:00", "2026-02-02 01:00"),
    ("feb", "prod", "2026-02-02 01:00", "2026-02-02 04:00"),
    # mar: qa 1 h, prod 4 h: shares .2 / .8 (prod stays on top: no change)
    ("mar", "qa", "2026-03-02 00:00", "2026-03-02 01:00"),
    ("mar", "prod", "2026-03-02 01:00", "2026-03-02 05:00"),
]


def test_trends_medians_shares_and_the_change_of_top() -> None:
    out = trends(make_log(HISTORY))
    assert out["period"].dt.strftime("%Y-%m").tolist() == [
        "2026-01",
        "2026-01",
        "2026-02",
        "2026-02",
        "2026-03",
        "2026-03",
    ]
    assert out["phase_id"].tolist() == ["qa", "prod"] * 3
    assert out["count"].tolist() == [2, 2, 1, 1, 1, 1]
    # January medians: qa median(3, 1) = 2, prod median(1, 1) = 1
    assert_allclose(out["median_h"], [2, 1, 1, 3, 1, 4])
    assert_allclose(out["critical_share"], [0.625, 0.375, 0.25, 0.75, 0.2, 0.8])
    assert out["top"].tolist() == [True, False, False, True, False, True]
    assert out["top_changed"].tolist() == [False, False, False, True, False, False]
    assert str(out["period"].dt.tz) == "UTC"


def test_trends_weekly_periods_include_empty_weeks_only_where_phases_ran() -> None:
    out = trends(make_log(HISTORY[:4]), freq="W")
    # jan-a in the week of Mon 5 Jan, jan-b in the week of Mon 12 Jan
    assert out["period"].dt.strftime("%Y-%m-%d").unique().tolist() == ["2026-01-05", "2026-01-12"]
    assert out["top_changed"].tolist() == [False, False, False, False]
    assert out["top"].tolist() == [True, False, True, False]


def test_trends_unknown_frequency_is_a_log_error() -> None:
    with pytest.raises(LogError, match="frequency"):
        trends(make_log(HISTORY), freq="fortnightly")


DELIVERY = [
    # January (31 days): r1 ok (lead 2), r2 deploy failed then hotfix (lead 6, change
    # failure; restore from the failed deploy's end 02:00 to hotfix end 06:00 = 4 h),
    # r3 aborted (lead 1, change failure)
    ("r1", "deploy", "2026-01-05 00:00", "2026-01-05 02:00"),
    ("r2", "deploy", "2026-01-12 00:00", "2026-01-12 02:00", "failed"),
    ("r2", "hotfix", "2026-01-12 03:00", "2026-01-12 06:00"),
    ("r3", "deploy", "2026-01-19 00:00", "2026-01-19 01:00", "aborted"),
    # February (28 days): a hotfix-only release (restore = its lead time 1.5 h),
    # one regular release (lead 3), one still running (not counted)
    ("h1", "hotfix", "2026-02-03 00:00", "2026-02-03 01:30"),
    ("r4", "deploy", "2026-02-09 00:00", "2026-02-09 03:00"),
    ("r5", "deploy", "2026-02-16 00:00", None),
]


def test_delivery_metrics_by_hand() -> None:
    out = delivery_metrics(make_log(DELIVERY))
    assert out["period"].dt.strftime("%Y-%m").tolist() == ["2026-01", "2026-02"]
    assert_allclose(out["days"], [31, 28])
    assert out["releases"].tolist() == [3, 1]
    assert_allclose(out["releases_per_week"], [3 / (31 / 7), 1 / 4])
    # January leads [2, 6, 1]: median 2, p90 = 2 + 0.8 * (6 - 2) = 5.2
    assert_allclose(out["lead_time_median_h"], [2.0, 3.0])
    assert_allclose(out["lead_time_p90_h"], [5.2, 3.0])
    assert out["change_failures"].tolist() == [2, 0]
    assert_allclose(out["change_failure_rate"], [2 / 3, 0.0])
    assert out["hotfix_releases"].tolist() == [0, 1]
    assert out["restores"].tolist() == [1, 1]
    assert_allclose(out["time_to_restore_median_h"], [4.0, 1.5])
    assert out["run"].tolist() == [0, 0]


def test_delivery_metrics_empty_periods_and_runs() -> None:
    rows = [
        ("a", "deploy", "2026-01-05 00:00", "2026-01-05 01:00", "succeeded", 0),
        ("a", "deploy", "2026-03-05 00:00", "2026-03-05 02:00", "succeeded", 1),
    ]
    out = delivery_metrics(make_log(rows))
    # every month from January to March, for each run; empty months have no releases
    assert out[["run"]].value_counts().to_dict() == {(0,): 3, (1,): 3}
    jan = out.loc[(out["run"] == 0)]
    assert jan["releases"].tolist() == [1, 0, 0]
    assert np.isnan(jan["change_failure_rate"].iloc[1])
    assert np.isnan(jan["lead_time_median_h"].iloc[1])


def test_delivery_metrics_custom_hotfix_phases() -> None:
    rows = [
        ("r1", "deploy", "2026-01-05 00:00", "2026-01-05 02:00", "failed"),
        ("r1", "patch", "2026-01-05 02:00", "2026-01-05 03:00"),
    ]
    default = delivery_metrics(make_log(rows))
    assert default["change_failures"].tolist() == [0]  # "patch" is not known as a hotfix
    custom = delivery_metrics(make_log(rows), hotfix_phases=["patch"])
    assert custom["change_failures"].tolist() == [1]
    assert_allclose(custom["time_to_restore_median_h"], [1.0])
