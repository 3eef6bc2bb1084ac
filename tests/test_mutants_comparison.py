"""The paired resampling behind ``compare`` and ``sensitivity``, on hand-made samples.

Fast tests of ``phasesim.whatif.comparison``'s statistics (issue 15): every expected
number is worked out in the test from the definitions in docs/what-if.md (whole runs are
resampled, the same runs for the base and the variant; a lead time counts where the
release finished; throughput is shipped releases per week of a run). The objects under
test are built inside each test, so mutmut maps the tests to the functions they reach.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

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
    with pytest.raises(PhasesimError, match="a run lists the same release twice"):
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
    with pytest.raises(PhasesimError, match="scenario 'short' did not simulate the same runs"):
        cmp._check_paired(a, fewer, "short")
    other_ids = cmp._Sample(runs=np.arange(2), release_ids=["R002"], lead=np.ones((2, 1)),
                            status=a.status, weeks=1.0)
    with pytest.raises(PhasesimError, match="'ids'"):
        cmp._check_paired(a, other_ids, "ids")


def test_epoch_hours_of_timestamps():
    hours = cmp._epoch_hours(pd.Series([pd.Timestamp("1970-01-01 06:00", tz="UTC"),
                                        pd.Timestamp("1970-01-02", tz="UTC")]))
    assert hours.tolist() == [6.0, 24.0]
