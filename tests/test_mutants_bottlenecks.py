"""Tests aimed at mutmut survivors of ``phasesim/analysis/bottlenecks.py`` (issue 15).

Each log is tiny and its expected numbers are worked out by hand in the test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose

from phasesim.analysis import bottlenecks, critical_paths

T0 = pd.Timestamp("2026-01-05 00:00", tz="UTC")


def _log(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    """Rows (release, phase, start h, end h) from T0."""
    return pd.DataFrame(
        {
            "release_id": [r[0] for r in rows],
            "phase_id": [r[1] for r in rows],
            "start": [T0 + pd.Timedelta(hours=r[2]) for r in rows],
            "end": [T0 + pd.Timedelta(hours=r[3]) for r in rows],
        }
    )


def test_wait_and_work_hours_of_a_gap_on_the_path() -> None:
    # build 0-1, deploy 2-3: deploy waited 1 h and worked 1 h; lead 3 h
    log = _log([("r1", "build", 0, 1), ("r1", "deploy", 2, 3)])
    paths = critical_paths(log)
    assert paths["phase_id"].tolist() == ["build", "deploy"]
    assert paths["step"].tolist() == [1, 2]
    assert_allclose(paths["wait_h"], [0.0, 1.0])
    assert_allclose(paths["work_h"], [1.0, 1.0])
    assert_allclose(paths["critical_h"], [1.0, 2.0])
    assert_allclose(paths["share"], [1 / 3, 2 / 3])
    assert paths["ties"].tolist() == [0, 0]
    out = bottlenecks(log, n_boot=0).set_index("phase_id")
    assert_allclose(out.loc["deploy", "critical_share"], 2 / 3)
    assert_allclose(out.loc["deploy", "wait_share"], 1 / 3)
    assert_allclose(out.loc["deploy", "wait_h_mean"], 1.0)
    assert_allclose(out.loc["deploy", "critical_h_mean"], 2.0)
    assert_allclose(out.loc["build", "wait_share"], 0.0)
    assert out.loc["deploy", "rank"] == 1
    assert out.loc["build", "rank"] == 2


def test_parallel_phase_off_the_path_gets_nothing() -> None:
    # docs 0-5 runs beside build 0-2 / test 2-6; deploy 6-8 waited for test
    log = _log([("r1", "build", 0, 2), ("r1", "docs", 0, 5), ("r1", "test", 2, 6),
                ("r1", "deploy", 6, 8)])
    out = bottlenecks(log, n_boot=0).set_index("phase_id")
    assert_allclose(out.loc[["build", "docs", "test", "deploy"], "critical_share"],
                    [0.25, 0.0, 0.5, 0.25])
    assert_allclose(out.loc[["build", "docs", "test", "deploy"], "on_path_rate"],
                    [1.0, 0.0, 1.0, 1.0])
    assert out["releases"].tolist() == [1, 1, 1, 1]
    assert out.loc["test", "rank"] == 1
    assert out.loc["docs", "rank"] == 4


def test_two_releases_shares_ranks_and_var_share() -> None:
    # r1: build 1 h, deploy 1 h (lead 2); r2: build 3 h, deploy 1 h (lead 4)
    log = _log([("r1", "build", 0, 1), ("r1", "deploy", 1, 2),
                ("r2", "build", 168, 171), ("r2", "deploy", 171, 172)])
    out = bottlenecks(log, n_boot=0)
    assert out["phase_id"].tolist() == ["build", "deploy"]
    assert out["rank"].tolist() == [1, 2]
    # build: (1/2 + 3/4) / 2; deploy (1/2 + 1/4) / 2
    assert_allclose(out["critical_share"], [0.625, 0.375])
    assert_allclose(out["critical_h_mean"], [2.0, 1.0])
    assert_allclose(out["work_h_mean"], [2.0, 1.0])
    # lead varies by 2 h, all of it build's: cov(C, L) / var(L) = 1 and 0
    assert_allclose(out["var_share"], [1.0, 0.0], atol=1e-12)
    assert out["releases"].tolist() == [2, 2]
    assert out["small_sample"].tolist() == [True, True]
    assert bottlenecks(log, n_boot=0, min_releases=2)["small_sample"].tolist() == [False, False]
    assert bottlenecks(log, n_boot=0, min_releases=3)["small_sample"].tolist() == [True, True]
    assert out["rank_low"].isna().all() and out["rank_high"].isna().all()
    assert out["critical_share_low"].isna().all()


def test_exact_ties_share_equally() -> None:
    # a and b both 0-2, c 2-4: the first step's 2 h are split between a and b
    log = _log([("r1", "a", 0, 2), ("r1", "b", 0, 2), ("r1", "c", 2, 4)])
    out = bottlenecks(log, n_boot=0)
    assert out["phase_id"].tolist() == ["c", "a", "b"]
    assert out["rank"].tolist() == [1, 2, 3]
    assert_allclose(out["critical_share"], [0.5, 0.25, 0.25])
    assert_allclose(out["critical_h_mean"], [2.0, 1.0, 1.0])
    assert_allclose(out["on_path_rate"], [1.0, 1.0, 1.0])
    assert out.attrs["ties"] == 1
    paths = critical_paths(log)
    assert paths["ties"].tolist() == [1, 0]


def test_bootstrap_bounds_exact_on_identical_releases() -> None:
    # three identical releases: every resample gives the same shares, so the interval
    # bounds equal the estimate and the rank interval is the rank itself
    rows = []
    for i in range(3):
        rows += [(f"r{i}", "build", 168 * i, 168 * i + 3), (f"r{i}", "deploy", 168 * i + 3,
                                                            168 * i + 4)]
    out = bottlenecks(_log(rows), n_boot=50, seed=1)
    assert_allclose(out["critical_share"], [0.75, 0.25])
    assert_allclose(out["critical_share_low"], [0.75, 0.25])
    assert_allclose(out["critical_share_high"], [0.75, 0.25])
    assert out["rank_low"].tolist() == [1, 2]
    assert out["rank_high"].tolist() == [1, 2]
    # no lead-time variance: the variance share is undefined
    assert out["var_share"].isna().all()
    assert out["var_share_low"].isna().all()


def test_bootstrap_bounds_between_extremes() -> None:
    # two releases, build's share 1/2 and 3/4: resample means lie in [1/2, 3/4]
    log = _log([("r1", "build", 0, 1), ("r1", "deploy", 1, 2),
                ("r2", "build", 168, 171), ("r2", "deploy", 171, 172)])
    out = bottlenecks(log, n_boot=400, seed=0, confidence=0.95).set_index("phase_id")
    # with 400 resamples of 2 the all-r1 and all-r2 draws each have ~100 cases (> 2.5%)
    assert_allclose(out.loc["build", "critical_share_low"], 0.5)
    assert_allclose(out.loc["build", "critical_share_high"], 0.75)
    assert_allclose(out.loc["deploy", "critical_share_low"], 0.25)
    assert_allclose(out.loc["deploy", "critical_share_high"], 0.5)
    assert out.loc["build", "rank_low"] == 1 and out.loc["build", "rank_high"] == 1
    assert out.loc["deploy", "rank_low"] == 2
    assert np.isfinite(out.loc["build", "var_share_high"])


def test_release_of_zero_lead_time_is_left_out() -> None:
    # r2's executions take no time: its lead is 0 and it cannot give shares
    log = _log([("r1", "build", 0, 1), ("r1", "deploy", 1, 2),
                ("r2", "build", 168, 168), ("r2", "deploy", 168, 168)])
    out = bottlenecks(log, n_boot=0)
    assert out["releases"].tolist() == [1, 1]
    assert_allclose(out["critical_share"], [0.5, 0.5])
    assert_allclose(out["critical_h_mean"], [1.0, 1.0])
