"""Forecast scores and log distances against hand-computed and closed-form values."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from phasesim.backtesting.scores import (
    case_arrival_emd,
    circadian_emd,
    coverage,
    crps,
    cycle_time_emd,
    log_distances,
    ngram_distance,
    pinball_loss,
)


def test_coverage_counts_ties_as_covered_with_clopper_pearson_interval():
    share, low, high, n = coverage([1, 2, 3, 4, np.nan], [2, 2, 2, 2, 5])
    assert (share, n) == (0.5, 4)
    # Clopper-Pearson for 2 of 4: the beta quantiles.
    assert low == pytest.approx(stats.beta.ppf(0.025, 2, 3))
    assert high == pytest.approx(stats.beta.ppf(0.975, 3, 2))


def test_coverage_of_nothing_is_nan_with_zero_n():
    share, low, high, n = coverage([], [])
    assert n == 0 and np.isnan(share) and np.isnan(low) and np.isnan(high)


def test_pinball_loss_weights_late_and_early_misses():
    # y=10, f=8 (late by 2): 0.8*2 = 1.6; y=5, f=8 (early by 3): 0.2*3 = 0.6.
    assert pinball_loss([10, 5], [8, 8], 0.8) == pytest.approx((1.6 + 0.6) / 2)
    assert pinball_loss([3.0], [3.0], 0.5) == 0.0
    with pytest.raises(ValueError, match="strictly between"):
        pinball_loss([1], [1], 1.0)
    with pytest.raises(ValueError, match="differ in length"):
        pinball_loss([1, 2], [1], 0.5)


def test_crps_of_one_sample_is_the_absolute_error_and_of_two_is_hand_computed():
    assert crps([7.0], 4.0) == 3.0
    # samples 1, 3; y = 2: E|X-y| = 1; E|X-X'| = (0 + 2 + 2 + 0) / 4 = 1 -> 1 - 0.5.
    assert crps([3.0, 1.0], 2.0) == 0.5
    assert np.isnan(crps([], 1.0))


def test_crps_of_a_large_normal_ensemble_matches_the_closed_form():
    mu, sigma, y = 10.0, 2.0, 13.0
    x = stats.norm.ppf((np.arange(200_000) + 0.5) / 200_000, mu, sigma)
    z = (y - mu) / sigma
    closed = sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))
    assert crps(x, y) == pytest.approx(closed, rel=1e-4)


def _log(rows):
    frame = pd.DataFrame(rows, columns=["release_id", "activity_id", "start", "end"])
    frame["phase_id"] = "p"
    for c in ("start", "end"):
        frame[c] = pd.to_datetime(frame[c], utc=True)
    return frame


REAL = _log([
    ("r1", "a", "2026-01-05 09:00", "2026-01-05 10:00"),
    ("r1", "b", "2026-01-05 10:00", "2026-01-05 12:00"),   # cycle 3 h
    ("r2", "a", "2026-01-06 09:00", "2026-01-06 10:00"),
    ("r2", "b", "2026-01-06 10:00", "2026-01-06 14:00"),   # cycle 5 h
])


def test_cycle_time_and_arrival_distances_are_hand_computed():
    sim = _log([
        ("s1", "a", "2026-01-05 11:00", "2026-01-05 12:00"),
        ("s1", "b", "2026-01-05 12:00", "2026-01-05 16:00"),   # cycle 5 h, 2 h late
        ("s2", "a", "2026-01-06 09:00", "2026-01-06 10:00"),
        ("s2", "b", "2026-01-06 10:00", "2026-01-06 16:00"),   # cycle 7 h
    ])
    # cycle times {3, 5} vs {5, 7}: each moves 2 h.
    assert cycle_time_emd(sim, REAL) == pytest.approx(2.0)
    # arrivals: r1 09:00 vs s1 11:00 (2 h), r2 = s2 (0 h): mean 1 h.
    assert case_arrival_emd(sim, REAL) == pytest.approx(1.0)
    assert cycle_time_emd(REAL, REAL) == 0.0


def test_circadian_distance_per_weekday_and_missing_days_score_24():
    # Same events, every one shifted one hour later on the same days: 1 h.
    later = REAL.assign(start=REAL["start"] + pd.Timedelta("1h"),
                        end=REAL["end"] + pd.Timedelta("1h"))
    assert circadian_emd(later, REAL) == pytest.approx(1.0)
    # r2 moved to Wednesday: Monday 0, Tuesday only in REAL (24), Wednesday only in sim (24).
    moved = REAL.copy()
    moved.loc[moved.release_id == "r2", ["start", "end"]] += pd.Timedelta("1D")
    assert circadian_emd(moved, REAL) == pytest.approx((0 + 24 + 24) / 3)
    # In Los Angeles 09:00 UTC is 01:00 (same shift for both logs, so still 1 h).
    assert circadian_emd(later, REAL, tz="America/Los_Angeles") == pytest.approx(1.0)


def test_ngram_distance_is_the_total_variation_of_ngram_frequencies():
    assert ngram_distance(REAL, REAL) == 0.0
    swapped = _log([
        ("s1", "b", "2026-01-05 09:00", "2026-01-05 10:00"),
        ("s1", "a", "2026-01-05 10:00", "2026-01-05 12:00"),
    ])
    # Bigrams: REAL has (>,a),(a,b),(b,#) twice each -> 1/3 each; swapped (>,b),(b,a),(a,#).
    assert ngram_distance(swapped, REAL, n=2) == pytest.approx(1.0)
    # Unigrams: both {a: 1/2, b: 1/2} -> 0.
    assert ngram_distance(swapped, REAL, n=1) == 0.0
    half = _log([
        ("s1", "a", "2026-01-05 09:00", "2026-01-05 10:00"),
        ("s1", "b", "2026-01-05 10:00", "2026-01-05 12:00"),
        ("s2", "b", "2026-01-05 09:00", "2026-01-05 10:00"),
        ("s2", "a", "2026-01-05 10:00", "2026-01-05 12:00"),
    ])
    # half: each of 6 bigrams 1/6; shared with REAL: (>,a),(a,b),(b,#) at 1/6 vs 1/3.
    assert ngram_distance(half, REAL, n=2) == pytest.approx(0.5)


def test_log_distances_table_lists_all_four_measures():
    table = log_distances(REAL, REAL)
    assert list(table["measure"]) == ["cycle_time_emd", "case_arrival_emd", "circadian_emd",
                                      "3-gram_distance"]
    assert table["value"].tolist() == [0.0, 0.0, 0.0, 0.0]


def test_log_as_of_keeps_the_past_cuts_running_work_and_cannot_see_the_future():
    from phasesim.backtesting.cut import log_as_of

    log = REAL.assign(status="succeeded")
    cut = log_as_of(log, "2026-01-05T11:00Z")
    # r1/a ended 10:00 (kept), r1/b runs 10:00-12:00 (in progress), r2 starts next day.
    assert cut["activity_id"].tolist() == ["a", "b"]
    assert cut["status"].tolist() == ["succeeded", "in_progress"]
    assert cut["end"].isna().tolist() == [False, True]
    assert cut.attrs["as_of"] == {"now": pd.Timestamp("2026-01-05T11:00Z"), "kept": 1,
                                  "running": 1, "not_yet": 2}
    # Corrupting everything after now (ends of running work, later rows) changes nothing.
    future = log.copy()
    future.loc[1, "end"] = pd.Timestamp("2027-01-01", tz="UTC")
    future.loc[1, "status"] = "failed"
    future.loc[2:, "activity_id"] = "zzz"
    pd.testing.assert_frame_equal(log_as_of(future, "2026-01-05T11:00Z"), cut)
    # An end exactly at now is finished work.
    assert log_as_of(log, "2026-01-05T12:00Z")["status"].tolist() == ["succeeded"] * 2
    with pytest.raises(ValueError, match="no timezone"):
        log_as_of(log, "2026-01-05 11:00")
