"""The paired resampling behind ``compare`` and ``sensitivity``, on hand-made samples.

Fast tests of ``phasesim.whatif.comparison``'s statistics (issue 15): every expected
number is worked out in the test from the definitions in docs/what-if.md (whole runs are
resampled, the same runs for the base and the variant; a lead time counts where the
release finished; throughput is shipped releases per week of a run). The objects under
test are built inside each test, so mutmut maps the tests to the functions they reach.
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phasesim.errors import PhasesimError
from phasesim.whatif import comparison as cmp

T0 = pd.Timestamp("2026-01-05 09:00", tz="UTC")


def _at(hours: float | None) -> pd.Timestamp:
    return pd.NaT if hours is None else T0 + pd.Timedelta(hours=hours)


def _result(rows: list[tuple[int, str, float, float | None, str]],
            usage: pd.DataFrame | None = None, teams: dict[str, int] | None = None,
            environments: dict[str, int] | None = None) -> SimpleNamespace:
    """A stand-in for a SimulationResult: (run, release, scheduled h, end h, outcome)."""
    releases = pd.DataFrame({
        "run": [r[0] for r in rows],
        "release_id": pd.array([r[1] for r in rows], dtype="string"),
        "scheduled": [_at(r[2]) for r in rows],
        "end": [_at(r[3]) for r in rows],
        "lead_time_h": [np.nan if r[3] is None else r[3] - r[2] for r in rows],
    })
    pools = lambda d: {k: SimpleNamespace(capacity=v) for k, v in (d or {}).items()}  # noqa: E731
    return SimpleNamespace(
        releases=releases,
        outcomes=pd.Series([r[4] for r in rows], dtype="string"),
        usage=usage if usage is not None else pd.DataFrame(),
        blueprint=SimpleNamespace(teams=pools(teams), environments=pools(environments)),
    )


def test_sample_lays_out_runs_by_releases_and_keeps_finished_lead_times():
    # run 0: R001 0 -> 10 h succeeded, R002 168 -> 178 h failed (finished: counts);
    # run 1: R001 0 -> 20 h aborted (no lead time), R002 missing (NaN).
    # Weeks: run 0 spans 0 -> 178 h, run 1 0 -> 20 h; mean 99 h = 99/168 weeks
    result = _result([(1, "R001", 0.0, 20.0, "aborted"),
                      (0, "R002", 168.0, 178.0, "failed"),
                      (0, "R001", 0.0, 10.0, "succeeded")])
    s = cmp._Sample.of(result, resources=False)  # type: ignore[arg-type]
    assert s.runs.tolist() == [0, 1] and s.release_ids == ["R001", "R002"]
    assert np.array_equal(s.lead, [[10.0, 10.0], [np.nan, np.nan]], equal_nan=True)
    assert s.status[0].tolist() == ["succeeded", "failed"]
    assert s.status[1, 0] == "aborted" and pd.isna(s.status[1, 1])
    assert s.weeks == pytest.approx(99.0 / 168.0, rel=1e-15)


def test_sample_weeks_skip_a_release_that_never_ended():
    # run 0: ends at 50 h and never (NaT): its span is 0 -> 50 h; run 1: 10 -> 30 h,
    # 20 h. Mean 35 h
    result = _result([(0, "R001", 0.0, 50.0, "succeeded"), (0, "R002", 5.0, None, "aborted"),
                      (1, "R001", 10.0, 30.0, "succeeded")])
    s = cmp._Sample.of(result, resources=False)  # type: ignore[arg-type]
    assert s.weeks == pytest.approx(35.0 / 168.0, rel=1e-15)
    # a run of instants has no length: the weeks never reach zero
    instant = cmp._Sample.of(_result([(0, "R001", 3.0, 3.0, "succeeded")]),  # type: ignore[arg-type]
                             resources=False)
    assert instant.weeks == 1e-9


def test_sample_refuses_a_release_listed_twice_in_a_run():
    result = _result([(0, "R001", 0.0, 1.0, "succeeded"), (0, "R001", 0.0, 2.0, "succeeded")])
    with pytest.raises(PhasesimError, match=r"^a run lists the same release twice$"):
        cmp._Sample.of(result, resources=False)  # type: ignore[arg-type]


def test_sample_resources_busy_share_and_waits_per_run():
    # team qa (2 members): run 0 holds it 09:00-13:00 (4 h, waited 1 h) and 10:00-12:00
    # (2 h, no wait); run 1 not at all. The usage spans 08:00 (first request) to 13:00,
    # 5 h, so run 0 is busy 6 / (2 * 5) = 0.6. Environment stage (1): run 1 only,
    # 08:00-10:00 granted at 08:00, released never (counted to its grant: 0 h busy)
    usage = pd.DataFrame({
        "run": [0, 0, 1],
        "kind": ["team", "team", "environment"],
        "resource": ["qa", "qa", "stage"],
        "requested": [_at(-1.0), _at(1.0), _at(-1.0)],
        "granted": [_at(0.0), _at(1.0), _at(-1.0)],
        "released": [_at(4.0), _at(3.0), pd.NaT],
        "wait_h": [1.0, 0.0, 0.0],
    })
    result = _result([(0, "R001", 0.0, 4.0, "succeeded"), (1, "R001", 0.0, 1.0, "succeeded")],
                     usage=usage, teams={"qa": 2}, environments={"stage": 1})
    s = cmp._Sample.of(result)  # type: ignore[arg-type]
    assert sorted(s.busy) == ["environment stage", "team qa"]
    assert s.busy["team qa"].tolist() == pytest.approx([0.6, 0.0], abs=1e-15)
    assert s.busy["environment stage"].tolist() == [0.0, 0.0]
    assert s.wait_sum["team qa"].tolist() == [1.0, 0.0]
    assert s.wait_n["team qa"].tolist() == [2.0, 0.0]
    assert s.wait_n["environment stage"].tolist() == [0.0, 1.0]


def test_statistics_of_resampled_runs_by_hand():
    # two runs of two releases; replicate 0 takes run 0 twice, replicate 1 runs 0 and 1
    s = cmp._Sample(runs=np.array([0, 1]), release_ids=["R001", "R002"],
                    lead=np.array([[2.0, 4.0], [np.nan, 10.0]]),
                    status=np.array([["succeeded", "succeeded_after_rollback"],
                                     ["aborted", "failed"]], dtype=object),
                    weeks=2.0,
                    busy={"team qa": np.array([0.5, 0.1])},
                    wait_sum={"team qa": np.array([3.0, 0.0])},
                    wait_n={"team qa": np.array([2.0, 0.0])})
    picks = np.array([[0, 0], [0, 1]])
    assert cmp._pooled(s.lead, picks).shape == (2, 4)
    # means: (2+4+2+4)/4 = 3; (2+4+10)/3 (NaN left out)
    assert cmp._mean_lead(s, picks).tolist() == pytest.approx([3.0, 16.0 / 3.0])
    # share aborted: 0 of 4; 1 of 4
    assert cmp._share_stat("aborted")(s, picks).tolist() == [0.0, 0.25]
    # shipped per run: run 0 two (succeeded and after rollback), run 1 none; / 2 weeks
    assert cmp._throughput(s, picks).tolist() == [1.0, 0.5]
    # within 4 h: 2, 4, 2, 4 all; 2, 4, NaN (not within), 10 -> 2 of 4
    assert cmp._within_stat(4.0)(s, picks).tolist() == [1.0, 0.5]
    assert cmp._within_stat(3.999)(s, picks).tolist() == [0.5, 0.25]
    assert cmp._busy_stat("team qa")(s, picks).tolist() == pytest.approx([0.5, 0.3])
    assert cmp._busy_stat("team other")(s, picks).tolist() == [0.0, 0.0]
    # mean wait per hold: 6 / 4 = 1.5 and 3 / 2; a resource never held has no mean
    assert cmp._wait_stat("team qa")(s, picks).tolist() == [1.5, 1.5]
    assert np.isnan(cmp._wait_stat("team qa")(s, np.array([[1, 1]]))).all()  # never held
    assert np.isnan(cmp._wait_stat("team none")(s, picks)).all()
    # P50 of 2, 4, 2, 4 -> 3; of 2, 4, 10 -> 4
    assert cmp._quantile_stat(0.5)(s, picks).tolist() == [3.0, 4.0]


def test_wait_of_runs_that_never_held_the_resource_is_nan():
    s = cmp._Sample(runs=np.array([0, 1]), release_ids=["R001"], lead=np.ones((2, 1)),
                    status=np.full((2, 1), "succeeded", dtype=object), weeks=1.0,
                    wait_sum={"team qa": np.array([3.0, 0.0])},
                    wait_n={"team qa": np.array([2.0, 0.0])})
    out = cmp._wait_stat("team qa")(s, np.array([[1, 1], [0, 1]]))
    assert np.isnan(out[0]) and out[1] == 1.5


def test_picks_are_whole_runs_drawn_with_the_seed():
    picks = cmp._picks(5, 3, seed=11)
    expected = np.random.default_rng(11).integers(0, 5, size=(3, 5))
    assert np.array_equal(picks, expected) and picks.shape == (3, 5)
    # one run, or no replicates: nothing to resample
    assert cmp._picks(1, 100, 0).shape == (0, 1)
    assert cmp._picks(4, 0, 0).shape == (0, 4)
    assert cmp._picks(2, 1, 0).shape == (1, 2)


def test_evaluate_gives_the_point_on_all_runs_and_each_replicate_in_chunks():
    # 150 replicates (three chunks of at most 64) of the mean of one value per run
    s = cmp._Sample(runs=np.arange(3), release_ids=["R001"],
                    lead=np.array([[1.0], [2.0], [6.0]]),
                    status=np.full((3, 1), "succeeded", dtype=object), weeks=1.0)
    picks = cmp._picks(3, 150, seed=4)
    point, boot = cmp._evaluate(cmp._mean_lead, s, picks)
    assert point == 3.0
    assert boot.shape == (150,)
    assert boot.tolist() == pytest.approx(np.array([1.0, 2.0, 6.0])[picks].mean(axis=1))
    point, boot = cmp._evaluate(cmp._mean_lead, s, picks[:0])
    assert point == 3.0 and boot.shape == (0,)


def test_interval_is_the_central_95_percent_of_finite_values():
    values = np.array([np.nan, *range(1, 42), np.inf])  # 1 .. 41, NaN and inf left out
    # numpy's linear percentiles of 1..41: index 0.025 * 40 = 1 -> 2, 0.975 * 40 = 39 -> 40
    assert cmp._interval(values) == (2.0, 40.0)
    low, high = cmp._interval(np.array([np.nan, np.inf]))
    assert np.isnan(low) and np.isnan(high)


def test_paired_difference_uses_the_same_runs_for_both():
    # base lead times 10, 20, 30 (one release a run); the variant is 1 h shorter in every
    # run, so every replicate's difference of means is exactly -1, its interval too
    base = cmp._Sample(runs=np.arange(3), release_ids=["R001"],
                       lead=np.array([[10.0], [20.0], [30.0]]),
                       status=np.full((3, 1), "succeeded", dtype=object), weeks=1.0)
    other = cmp._Sample(runs=np.arange(3), release_ids=["R001"], lead=base.lead - 1.0,
                        status=base.status, weeks=1.0)
    picks = cmp._picks(3, 200, seed=1)
    row = cmp._paired(cmp._mean_lead, base, other, picks)
    assert row["value"] == 19.0 and row["diff"] == -1.0
    assert row["diff_low"] == pytest.approx(-1.0) and row["diff_high"] == pytest.approx(-1.0)
    means = (other.lead[:, 0])[picks].mean(axis=1)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(
        tuple(np.percentile(means, [2.5, 97.5])))
    assert row["ci_low"] < 19.0 < row["ci_high"]


def test_check_paired_names_the_scenario_that_cannot_be_paired():
    a = cmp._Sample(runs=np.arange(2), release_ids=["R001"], lead=np.ones((2, 1)),
                    status=np.full((2, 1), "succeeded", dtype=object), weeks=1.0)
    cmp._check_paired(a, a, "same")  # no error
    fewer = cmp._Sample(runs=np.arange(1), release_ids=["R001"], lead=np.ones((1, 1)),
                        status=np.full((1, 1), "succeeded", dtype=object), weeks=1.0)
    with pytest.raises(PhasesimError, match=r"^scenario 'short' did not simulate the same runs "
                       r"and releases as the base; they cannot be paired$"):
        cmp._check_paired(a, fewer, "short")
    other_ids = cmp._Sample(runs=np.arange(2), release_ids=["R002"], lead=np.ones((2, 1)),
                            status=a.status, weeks=1.0)
    with pytest.raises(PhasesimError, match="'ids'"):
        cmp._check_paired(a, other_ids, "ids")


def test_epoch_hours_of_timestamps():
    hours = cmp._epoch_hours(pd.Series([pd.Timestamp("1970-01-01 06:00", tz="UTC"),
                                        pd.Timestamp("1970-01-02", tz="UTC")]))
    assert hours.tolist() == [6.0, 24.0]


def test_resampled_quantile_by_hand():
    # runs' lead times [1, NaN], [4, 2], [3, 3]; replicate (0, 0, 2) pools
    # 1, 1, 3, 3 (NaN left out): P50 at index 1.5 -> 2.0; P80 at 2.4 -> 3.0.
    # Replicate (1, 1, 1): 4, 2, 4, 2, 4, 2 -> sorted 2 2 2 4 4 4, P50 at 2.5 -> 3.0,
    # P80 at 4.0 -> 4.0. Replicate (0, 0, 0): 1, 1, 1 -> 1.0
    lead = np.array([[1.0, np.nan], [4.0, 2.0], [3.0, 3.0]])
    picks = np.array([[0, 0, 2], [1, 1, 1], [0, 0, 0]])
    assert cmp.resampled_quantile(lead, picks, 0.5).tolist() == [2.0, 3.0, 1.0]
    assert cmp.resampled_quantile(lead, picks, 0.8).tolist() == [3.0, 4.0, 1.0]
    # a replicate of runs with no finite value has no quantile
    nothing = np.array([[np.nan], [np.nan], [5.0]])
    out = cmp.resampled_quantile(nothing, np.array([[0, 1, 1], [2, 0, 1]]), 0.5)
    assert np.isnan(out[0]) and out[1] == 5.0
    assert cmp.resampled_quantile(lead, np.empty((0, 3), dtype=np.int64), 0.5).shape == (0,)
    # picks of fewer runs than the sample has: (0, 2) pools 1, 3, 3 and P20 at index 0.4
    # is 1 + 0.4 (3 - 1) = 1.8; (1, 1) pools 4, 2, 4, 2 and P20 at 0.6 is 2.0
    assert cmp.resampled_quantile(lead, np.array([[0, 2], [1, 1]]), 0.2).tolist() == \
        pytest.approx([1.8, 2.0], abs=1e-15)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 9), st.integers(1, 4), st.integers(1, 12), st.integers(0, 2**32 - 1),
       st.sampled_from([0.0, 0.05, 0.5, 0.8, 0.95, 1.0, 1 / 3]), st.booleans())
def test_resampled_quantile_is_nanquantile_of_the_pooled_replicates_bit_for_bit(
        runs: int, cols: int, boot: int, seed: int, q: float, ties: bool):
    rng = np.random.default_rng(seed)
    lead = rng.choice([0.0, 1.5, 2.0, 7.25], size=(runs, cols)) if ties \
        else rng.gamma(2.0, 5.0, size=(runs, cols))
    lead[rng.random((runs, cols)) < rng.random()] = np.nan
    picks = rng.integers(0, runs, size=(boot, runs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN replicate
        expected = np.nanquantile(cmp._pooled(lead, picks), q, axis=1)
    assert np.array_equal(cmp.resampled_quantile(lead, picks, q), expected, equal_nan=True)


def test_sample_weeks_of_a_run_with_no_release_ended_are_unknown():
    # run 1's only release never ended: its span is unknown, so is the mean over runs
    # (NaN, never a span measured from a missing end)
    result = _result([(0, "R001", 0.0, 50.0, "succeeded"), (1, "R001", 0.0, None, "aborted")])
    s = cmp._Sample.of(result, resources=False)  # type: ignore[arg-type]
    assert np.isnan(s.weeks)
    # a missing cell is NaN (a float), as a pivot leaves it
    gap = cmp._Sample.of(_result([(0, "R001", 0.0, 1.0, "succeeded"),  # type: ignore[arg-type]
                                  (1, "R002", 0.0, 2.0, "succeeded")]), resources=False)
    assert isinstance(gap.status[0, 1], float) and np.isnan(gap.status[0, 1])


def test_sample_weeks_are_exact_to_the_nanosecond():
    # 2026 in epoch nanoseconds is past 2**53: a span taken through floats would lose
    # up to 256 ns; from integers it is exact. Span 3600 s + 1 ns = 3600.000000001 s
    first = pd.Timestamp("2026-01-05 09:00:00.000000001", tz="UTC")
    last = first + pd.Timedelta(hours=1, nanoseconds=1)
    result = _result([(0, "R001", 0.0, 1.0, "succeeded")])
    result.releases["scheduled"] = [first]
    result.releases["end"] = [last]
    s = cmp._Sample.of(result, resources=False)  # type: ignore[arg-type]
    assert s.weeks == 3600.000000001 / 3600.0 / 168.0


def test_sample_resources_capacity_default_order_and_short_spans():
    # stage has 2 environments; ghost is in no blueprint (capacity 1). The usage spans
    # 08:00-08:30 (0.5 h): stage held 0.5 h in run 0 -> 0.5 / (2 * 0.5) = 0.5; ghost
    # 0.25 h in run 1 -> 0.25 / 0.5 = 0.5. Labels are sorted by kind, then name.
    usage = pd.DataFrame({
        "run": [1, 0],
        "kind": ["team", "environment"],
        "resource": ["ghost", "stage"],
        "requested": [_at(0.0), _at(0.0)],
        "granted": [_at(0.25), _at(0.0)],
        "released": [_at(0.5), _at(0.5)],
        "wait_h": [0.25, 0.0],
    })
    result = _result([(0, "R001", 0.0, 1.0, "succeeded"), (1, "R001", 0.0, 1.0, "succeeded")],
                     usage=usage, environments={"stage": 2})
    s = cmp._Sample.of(result)  # type: ignore[arg-type]
    assert list(s.busy) == ["environment stage", "team ghost"]
    assert s.busy["environment stage"].tolist() == [0.5, 0.0]
    assert s.busy["team ghost"].tolist() == [0.0, 0.5]
    # holds that all take no time: a usage of no length is busy 0, not 0 / 0
    instant = usage.assign(granted=_at(0.0), released=_at(0.0), requested=_at(0.0))
    s = cmp._Sample.of(_result([(0, "R001", 0.0, 1.0, "succeeded"),  # type: ignore[arg-type]
                                (1, "R001", 0.0, 1.0, "succeeded")], usage=instant))
    assert s.busy["team ghost"].tolist() == [0.0, 0.0]


def test_mean_of_a_replicate_without_a_finished_release_is_nan_without_a_warning():
    s = cmp._Sample(runs=np.arange(2), release_ids=["R001"],
                    lead=np.array([[np.nan], [4.0]]),
                    status=np.array([["aborted"], ["succeeded"]], dtype=object), weeks=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = cmp._mean_lead(s, np.array([[0, 0], [0, 1]]))
    assert np.isnan(out[0]) and out[1] == 4.0


def test_wait_of_a_single_hold():
    # one hold of 3 h waited in run 0: its mean is 3 h (not halved, not left out)
    s = cmp._Sample(runs=np.arange(2), release_ids=["R001"], lead=np.ones((2, 1)),
                    status=np.full((2, 1), "succeeded", dtype=object), weeks=1.0,
                    wait_sum={"team qa": np.array([3.0, 0.0])},
                    wait_n={"team qa": np.array([1.0, 0.0])})
    assert cmp._wait_stat("team qa")(s, np.array([[0, 1]])).tolist() == [3.0]


def test_empty_picks_are_indices():
    # no replicates (one run): still an index array, so that it can pick rows
    picks = cmp._picks(1, 10, 0)
    assert picks.dtype == np.int64 and picks.shape == (0, 1)


def test_resampled_quantile_halfway_takes_numpys_upper_form():
    # the median of 0.1 and 0.7 is halfway (gamma 0.5): numpy's lerp gives
    # 0.7 - 0.6 * 0.5 = 0.39999999999999997, where 0.1 + 0.6 * 0.5 would give 0.4
    lead = np.array([[0.1], [0.7]])
    out = cmp.resampled_quantile(lead, np.array([[0, 1]]), 0.5)
    assert out.tolist() == [0.39999999999999997] == [float(np.quantile([0.1, 0.7], 0.5))]
