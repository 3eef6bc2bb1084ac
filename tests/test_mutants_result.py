"""Tests of phasesim.simulation.result on a hand-made simulated log (issue 15).

Times are hours after Monday 2026-01-05 00:00 UTC. Two runs, two releases each:

run 0, A (scheduled 0, start 0, end 5, lead 5 h, succeeded):
    row 0 build/compile ready 0, 0-2 (work 2); row 1 build/lint ready 0, 0-1 (work 1);
    row 2 deploy/ship ready 2 (made ready by row 0), waits 1 h for the team, 3-5 (work 2).
    Critical path: 2 <- 0.
run 0, B (scheduled 8, start 10: 2 h in flight, end 14, lead 6 h, succeeded):
    row 3 build/compile ready 10, 10-11 (work 1); row 4 gate/check skipped, ready 11,
    waits 2 h for an anchor, ends 13; row 5 deploy/ship ready 13, 13-14 (work 1), made
    ready by row 4. Critical path 5 <- 4 <- 3; the skipped row's 2 h go to row 5.
run 1, A (scheduled 0, start 0, end 9, lead 9 h, succeeded):
    row 0 build/compile 0-3 (work 3); row 1 build/lint 0-1 (work 1); row 2 deploy/ship
    ready 3, 3-9 (work 6, rework). Critical path 2 <- 0.
run 1, B (scheduled 8, start 8, end 20, aborted at the rework cap): row 3 build/compile
    8-20 (work 12), status aborted.
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from phasesim.simulation.result import (
    SimulationResult,
    _mean_ci,
    _quantile_ci,
    critical_chain,
)

T0 = pd.Timestamp("2026-01-05 00:00", tz="UTC")


def at(hours: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(hours=hours)


# run, row, release, phase, activity, type, status, ready, start, end, cause, team, anchor,
# work, rework
ROWS = [
    (0, 0, "A", "build", "compile", "manual", "succeeded", 0, 0, 2, -1, 0, 0, 2, False),
    (0, 1, "A", "build", "lint", "manual", "succeeded", 0, 0, 1, -1, 0, 0, 1, False),
    (0, 2, "A", "deploy", "ship", "manual", "succeeded", 2, 3, 5, 0, 1, 0, 2, False),
    (0, 3, "B", "build", "compile", "manual", "succeeded", 10, 10, 11, -1, 0, 0, 1, False),
    (0, 4, "B", "gate", "check", "manual", "skipped", 11, 13, 13, 3, 0, 2, 0, False),
    (0, 5, "B", "deploy", "ship", "manual", "succeeded", 13, 13, 14, 4, 0, 0, 1, False),
    (1, 0, "A", "build", "compile", "manual", "succeeded", 0, 0, 3, -1, 0, 0, 3, False),
    (1, 1, "A", "build", "lint", "manual", "succeeded", 0, 0, 1, -1, 0, 0, 1, False),
    (1, 2, "A", "deploy", "ship", "manual", "succeeded", 3, 3, 9, 0, 0, 0, 6, True),
    (1, 3, "B", "build", "compile", "manual", "aborted", 8, 8, 20, -1, 0, 0, 12, False),
]


def make_log() -> pd.DataFrame:
    frame = pd.DataFrame(ROWS, columns=["run", "row", "release_id", "phase_id", "activity_id",
                                        "activity_type", "status", "ready", "start", "end",
                                        "cause", "wait_team_h", "wait_anchor_h", "work_h",
                                        "rework"])
    for col in ("ready", "start", "end"):
        frame[col] = frame[col].map(at)
    for col in ("wait_serialize_h", "wait_environment_h", "offhours_h"):
        frame[col] = 0.0
    frame["wait_team_h"] = frame["wait_team_h"].astype(float)
    frame["wait_anchor_h"] = frame["wait_anchor_h"].astype(float)
    frame["work_h"] = frame["work_h"].astype(float)
    return frame


def make_releases(capped: bool = True) -> pd.DataFrame:
    rel = pd.DataFrame({
        "run": [0, 0, 1, 1],
        "release_id": ["A", "B", "A", "B"],
        "scheduled": [at(0), at(8), at(0), at(8)],
        "start": [at(0), at(10), at(0), at(8)],
        "end": [at(5), at(14), at(9), at(20)],
        "lead_time_h": [5.0, 6.0, 9.0, 12.0],
        "status": ["succeeded", "succeeded", "succeeded", "aborted"],
    })
    if capped:
        rel["capped"] = [False, False, False, True]
    return rel


def make_result(log: pd.DataFrame | None = None, rel: pd.DataFrame | None = None,
                **params: object) -> SimulationResult:
    blueprint = SimpleNamespace(id="bp-1", name="Train <1>",
                                teams={"dev": SimpleNamespace(capacity=2)},
                                environments={"staging": SimpleNamespace(capacity=1)})
    usage = pd.DataFrame({
        "kind": ["team", "environment"], "resource": ["dev", "staging"], "run": [0, 0],
        "requested": [at(0), at(1)], "granted": [at(0), at(2)], "released": [at(2), at(4)],
    })
    return SimulationResult(log=make_log() if log is None else log,
                            releases=make_releases() if rel is None else rel,
                            usage=usage, blueprint=blueprint,  # type: ignore[arg-type]
                            params=params)


# --- critical_chain -------------------------------------------------------------------


def test_critical_chain_follows_the_causes_back() -> None:
    log = make_log()
    assert critical_chain(log).tolist() == [True, False, True, True, False, True,
                                            True, False, True, True]
    assert critical_chain(log, keep_skipped=True).tolist() == [True, False, True, True, True,
                                                               True, True, False, True, True]


def test_critical_chain_on_a_shuffled_frame_keeps_the_index() -> None:
    log = make_log()
    shuffled = log.iloc[[7, 2, 9, 0, 5, 3, 8, 1, 6, 4]].set_axis(list("abcdefghij"))
    on = critical_chain(shuffled)
    assert on.index.tolist() == list("abcdefghij")
    expected = critical_chain(log).to_numpy()[[7, 2, 9, 0, 5, 3, 8, 1, 6, 4]]
    assert on.tolist() == expected.tolist()
    assert on.tolist() == [False, True, True, True, True, True, True, False, True, False]


def test_critical_chain_of_an_empty_log() -> None:
    out = critical_chain(make_log().iloc[:0])
    assert len(out) == 0 and out.dtype == bool


# --- outcomes, lead times, seed, repr -------------------------------------------------


def test_outcomes_capped_abort_and_plain_abort() -> None:
    res = make_result()
    assert res.outcomes.tolist() == ["succeeded", "succeeded", "succeeded", "aborted"]
    assert res.outcomes.dtype == "string"
    assert res.lead_times.tolist() == [5.0, 6.0, 9.0]
    # without the capped column an aborted release failed: it has a lead time
    plain = make_result(rel=make_releases(capped=False))
    assert plain.outcomes.tolist() == ["succeeded", "succeeded", "succeeded", "failed"]
    assert plain.lead_times.tolist() == [5.0, 6.0, 9.0, 12.0]
    # capped False: the same
    rel = make_releases()
    rel["capped"] = False
    assert make_result(rel=rel).outcomes.tolist()[-1] == "failed"
    # an outcome column wins
    rel = make_releases().assign(outcome=["failed", "aborted", "succeeded", "succeeded"])
    assert make_result(rel=rel).outcomes.tolist() == ["failed", "aborted", "succeeded",
                                                           "succeeded"]


def test_seed_and_repr() -> None:
    res = make_result(seed=7, runs=2, releases=2, cadence="weekly")
    assert res.seed == 7
    assert make_result().seed is None
    # P80 of 5, 6, 9 h: 6 + 0.6 * 3 = 7.8 h = 0.325 d
    assert repr(res) == "<SimulationResult bp-1: 2 runs x 2 releases, lead time P80 0.3 d>"
    none = make_result(rel=make_releases().assign(capped=True), runs=1, releases=4)
    assert repr(none) == "<SimulationResult bp-1: 1 runs x 4 releases, lead time P80 n/a>"


def test_repr_and_html_of_a_long_release() -> None:
    # one release of 1234.5 h: P80 1234.5 / 24 = 51.4 d; the table shows 1,234.50
    rel = make_releases().iloc[[0]].assign(lead_time_h=1234.5)
    res = make_result(rel=rel, runs=1, releases=1)
    assert repr(res).endswith("lead time P80 51.4 d>")
    text = res._repr_html_()
    assert "1,234.50" in text and "NaN" not in text


def test_repr_html_escapes_and_lists_the_params() -> None:
    res = make_result(seed="<s>", runs=2, releases=2, cadence="a&b")
    text = res._repr_html_()
    assert text.startswith("<h4>Simulation of Train &lt;1&gt;</h4><p>2 runs × 2 releases, "
                           "cadence a&amp;b, seed &lt;s&gt;</p>")
    assert "lead time mean" in text and "6.67" in text
    # empty cells: unit and days of the four shares, days of the throughput
    assert text.count("<td></td>") == 9 and "NaN" not in text


# --- summary ----------------------------------------------------------------------------


def test_summary_of_two_runs() -> None:
    out = make_result().summary("6h", n_boot=50)
    assert out.index.tolist() == ["lead time mean", "lead time P50", "lead time P80",
                                  "lead time P95", "share succeeded",
                                  "share succeeded after rollback", "share failed",
                                  "share aborted", "throughput", "share within 6h"]
    assert out.columns.tolist() == ["value", "ci_low", "ci_high", "unit", "days"]
    # lead times 5, 6, 9: mean 20/3; P50 6; P80 6 + 0.6 * 3 = 7.8; P95 6 + 0.9 * 3 = 8.7
    assert_allclose(out["value"].iloc[:4], [20 / 3, 6.0, 7.8, 8.7])
    assert_allclose(out["days"].iloc[:4], [20 / 72, 0.25, 7.8 / 24, 8.7 / 24])
    assert out["unit"].tolist() == ["h"] * 4 + [""] * 4 + ["releases/week", ""]
    assert out["days"].iloc[4:].isna().all()
    # 3 of 4 succeeded, 1 aborted; within 6 h: 5 and 6 (the bound counts) of 4
    assert_allclose(out["value"].iloc[4:8], [0.75, 0.0, 0.0, 0.25])
    assert out.loc["share within 6h", "value"] == 0.5
    # shipped 2 in run 0 (span 0-14 h), 1 in run 1 (0-20 h): 1.5 / (17 / 168) per week
    assert out.loc["throughput", "value"] == pytest.approx(1.5 * 168 / 17)
    # the intervals resample runs: every bound lies between the runs' own values
    lo, hi = out["ci_low"], out["ci_high"]
    assert (lo <= hi).all()
    assert 5.5 <= lo["lead time mean"] <= hi["lead time mean"] <= 9.0
    assert lo["share aborted"] == 0.0 and hi["share aborted"] == 0.5
    assert lo["share within 6h"] == 0.0 and hi["share within 6h"] == 1.0
    assert lo["throughput"] == pytest.approx(168 / 17) and \
        hi["throughput"] == pytest.approx(2 * 168 / 17)


def test_summary_bootstrap_resamples_whole_runs_with_the_seed() -> None:
    # two runs: run 0 finishes 5 and 6 h, run 1 finishes 9 h. Each bootstrap draw picks two
    # runs with rng.integers(0, 2, size=2) of default_rng(seed); the mean of the pooled
    # lead times is 5.5 (runs 0, 0), 9 (1, 1) or 20/3 (one of each).
    res = make_result()
    # default_rng(0) picks runs [1, 1] first: the one draw is 9
    out = res.summary(n_boot=1, seed=0)
    assert out.loc["lead time mean", ["ci_low", "ci_high"]].tolist() == [9.0, 9.0]
    # default_rng(2) picks [1, 0] then [0, 0]: draws 20/3 and 5.5; percentiles 2.5 and 97.5
    # of two values: 5.5 + 0.025 * (20/3 - 5.5) and 5.5 + 0.975 * (20/3 - 5.5)
    out = res.summary(n_boot=2, seed=2)
    assert out.loc["lead time mean", "ci_low"] == pytest.approx(5.5 + 0.025 * 7 / 6)
    assert out.loc["lead time mean", "ci_high"] == pytest.approx(5.5 + 0.975 * 7 / 6)
    many = res.summary(n_boot=400, seed=0)
    assert many.loc["lead time mean", "ci_low"] == pytest.approx(5.5)
    assert many.loc["lead time mean", "ci_high"] == pytest.approx(9.0)
    # runs 0, 0 pool 5, 6, 5, 6, whose P95 is 6
    assert many.loc["lead time P95", "ci_low"] == pytest.approx(6.0)
    assert many.loc["lead time P95", "ci_high"] == pytest.approx(9.0)
    assert many.loc["share succeeded", "ci_low"] == pytest.approx(0.5)
    assert many.loc["share succeeded", "ci_high"] == pytest.approx(1.0)


def test_summary_defaults_are_400_draws_and_seed_0() -> None:
    # six runs of one release each, lead times 1, 2, 4, 8, 16, 32 h (every pooled mean a
    # different value), the last two aborted at the cap: the bootstrap bounds show the
    # number of draws and the seed
    rel = pd.DataFrame({"run": range(6), "release_id": "A", "scheduled": at(0),
                        "start": at(0), "end": [at(2.0**i) for i in range(6)],
                        "lead_time_h": 2.0 ** np.arange(6), "status": "succeeded",
                        "capped": [False] * 4 + [True] * 2})
    rel.loc[4:, "status"] = "aborted"
    res = make_result(rel=rel)
    default = res.summary("3h")
    pd.testing.assert_frame_equal(default, res.summary("3h", n_boot=400, seed=0))
    for other in (res.summary("3h", n_boot=401), res.summary("3h", seed=1)):
        bounds = ["ci_low", "ci_high"]
        assert other.loc["lead time mean", bounds].tolist() != \
            default.loc["lead time mean", bounds].tolist()
    # with three draws every bound depends on the seed: the same seed twice, the same table
    few = res.summary("3h", n_boot=3, seed=5)
    pd.testing.assert_frame_equal(few, res.summary("3h", n_boot=3, seed=5))
    assert few.loc["share aborted", "ci_high"] != \
        res.summary("3h", n_boot=3, seed=6).loc["share aborted", "ci_high"] or \
        few.loc["share aborted", "ci_low"] != \
        res.summary("3h", n_boot=3, seed=6).loc["share aborted", "ci_low"]


def test_summary_of_one_run_uses_t_and_order_statistic_intervals() -> None:
    rel = make_releases()
    rel["run"] = 0
    out = make_result(rel=rel).summary()
    # lead times 5, 6, 9 (12 aborted): mean 20/3, s = sqrt(13/3), t(0.975, 2) = 4.3027
    half = stats.t.ppf(0.975, 2) * np.sqrt(13 / 3) / np.sqrt(3)
    assert out.loc["lead time mean", "ci_low"] == pytest.approx(20 / 3 - half)
    assert out.loc["lead time mean", "ci_high"] == pytest.approx(20 / 3 + half)
    # three values cannot cover the median with 95% (binomial 1 - 2 / 8 = 0.75)
    assert out.loc["lead time P50", ["ci_low", "ci_high"]].isna().all()
    assert out.loc["lead time P80", "ci_low"] == 5.0
    assert out.loc[["share succeeded", "throughput"], ["ci_low", "ci_high"]].isna().all().all()
    # one run spanning 0-20 h, 3 shipped
    assert out.loc["throughput", "value"] == pytest.approx(3 * 168 / 20)


def test_summary_of_one_release_and_of_equal_lead_times() -> None:
    rel = make_releases().iloc[[0]]
    out = make_result(rel=rel).summary()
    assert out.loc["lead time mean", ["value", "ci_low", "ci_high"]].tolist() == [5.0, 5.0, 5.0]
    assert out.loc["lead time P50", ["ci_low", "ci_high"]].isna().all()
    same = make_releases().iloc[[0, 1]].assign(lead_time_h=4.0)
    out = make_result(rel=same).summary()
    assert out.loc["lead time mean", ["value", "ci_low", "ci_high"]].tolist() == [4.0, 4.0, 4.0]


def test_summary_without_finished_releases_and_target_in_hours() -> None:
    rel = make_releases().assign(capped=True, status="aborted")
    out = make_result(rel=rel).summary(10)
    assert "lead time mean" not in out.index
    assert out.loc["share aborted", "value"] == 1.0
    assert out.loc["share within 10", "value"] == 0.0
    assert out.loc["throughput", "value"] == 0.0


def test_summary_share_within_a_target() -> None:
    out = make_result().summary(9.0, n_boot=20)
    assert out.loc["share within 9.0", "value"] == 0.75  # 5, 6, 9 of 4


def test_quantile_interval_of_ten_values_is_order_statistics() -> None:
    # median of 1..10: P(B <= 1) = 11 / 1024 for B ~ Binomial(10, 1/2), so x(2)..x(9)
    # covers it with 1 - 22 / 1024 >= 95%
    assert _quantile_ci(np.arange(1.0, 11.0), 0.5) == (2.0, 9.0)
    # two values: the P95 has a lower bound (the smaller value) but no upper one
    low, high = _quantile_ci(np.array([1.0, 2.0]), 0.95)
    assert low == 1.0 and np.isnan(high)
    # two different values take the t interval: 2 -+ t(0.975, 1) * 1 / sqrt(2)
    assert _mean_ci(np.array([1.0, 3.0])) == pytest.approx((2 - 12.706205, 2 + 12.706205),
                                                           rel=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(_mean_ci(np.array([]))).all()
    assert np.isnan(_quantile_ci(np.array([1.0]), 0.5)).all()
    assert _mean_ci(np.array([2.0])) == (2.0, 2.0)
    assert np.isnan(_mean_ci(np.array([]))).all()
    low, high = _mean_ci(np.array([1.0, 2.0, 3.0]))  # 2 -+ t(0.975, 2) / sqrt(3)
    assert (low, high) == pytest.approx((2 - 4.302653 / np.sqrt(3), 2 + 4.302653 / np.sqrt(3)))


# --- finish dates -----------------------------------------------------------------------


def test_finish_dates_quantiles_and_aborted_share() -> None:
    out = make_result().finish_dates()
    assert out.index.tolist() == ["A", "B"]
    assert out.columns.tolist() == ["scheduled", "finish_p50", "finish_p80", "finish_p95",
                                    "share_aborted"]
    assert out["scheduled"].tolist() == [at(0), at(8)]
    # A ends at 5 and 9 h: P50 7, P80 8.2, P95 8.8 h; B only at 14 h
    assert out["finish_p50"].tolist() == [at(7), at(14)]
    assert out["finish_p80"].tolist() == [T0 + pd.Timedelta(minutes=492), at(14)]
    assert out["finish_p95"].tolist() == [T0 + pd.Timedelta(minutes=528), at(14)]
    assert out["share_aborted"].tolist() == [0.0, 0.5]


def test_finish_dates_round_to_the_second() -> None:
    rel = make_releases()
    rel.loc[2, "end"] = at(5) + pd.Timedelta(milliseconds=1400)
    out = make_result(rel=rel).finish_dates()
    # ends 5 h and 5 h + 1.4 s: P50 5 h + 0.7 s -> 5 h + 1 s
    assert out.loc["A", "finish_p50"] == at(5) + pd.Timedelta(seconds=1)


def test_finish_dates_against_a_duration_a_date_and_a_mapping() -> None:
    res = make_result()
    for target in ("6h", 6, 6.0):
        out = res.finish_dates(target)
        assert out["deadline"].tolist() == [at(6), at(14)]
        # A: 5 in time, 9 late; B: 14 in time (the bound counts), the other aborted
        assert out["p_on_time"].tolist() == [0.5, 0.5]
    out = res.finish_dates("2026-01-05 10:00")
    assert out["deadline"].tolist() == [at(10), at(10)]
    assert out["p_on_time"].tolist() == [1.0, 0.0]
    out = res.finish_dates("2026-01-05 16:00+02:00")
    assert out["deadline"].tolist() == [at(14), at(14)]
    assert out["p_on_time"].tolist() == [1.0, 0.5]
    out = res.finish_dates({"A": "2026-01-05 08:00+02:00", "B": "2026-01-05 14:00"})
    # mixed offsets and a naive time (read as UTC)
    assert out["deadline"].tolist() == [at(6), at(14)]
    assert out["p_on_time"].tolist() == [0.5, 0.5]
    out = res.finish_dates({"B": "2026-01-05 20:00+00:00"})
    assert out["deadline"].isna().tolist() == [True, False]
    assert out.loc["B", "deadline"] == at(20)
    assert out["p_on_time"].tolist() == [0.0, 0.5]


# --- why ----------------------------------------------------------------------------------


def test_critical_rows() -> None:
    assert make_result().critical_rows().tolist() == critical_chain(make_log()).tolist()


def test_wait_breakdown_per_release() -> None:
    out = make_result().wait_breakdown()
    assert out.columns.tolist() == ["work", "soak", "approval", "offhours", "team",
                                    "environment", "freeze", "anchor", "serialize", "rework",
                                    "in_flight", "lead_time_h", "status"]
    assert out.index.tolist() == [(0, "A"), (0, "B"), (1, "A"), (1, "B")]
    # run 0 A: compile 2 + ship 2 of work, 1 h for the team
    # run 0 B: compile 1 + ship 1, the skipped gate's 2 h anchor handed on, 2 h in flight
    # run 1 A: compile 3 of work, ship 6 of rework; run 1 B: 12 h of work before the abort
    assert out["work"].tolist() == [4.0, 2.0, 3.0, 12.0]
    assert out["team"].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert out["anchor"].tolist() == [0.0, 2.0, 0.0, 0.0]
    assert out["rework"].tolist() == [0.0, 0.0, 6.0, 0.0]
    assert out["in_flight"].tolist() == [0.0, 2.0, 0.0, 0.0]
    assert out["lead_time_h"].tolist() == [5.0, 6.0, 9.0, 12.0]
    assert out["status"].tolist() == ["succeeded", "succeeded", "succeeded", "aborted"]
    causes = out.drop(columns=["lead_time_h", "status"])
    assert_allclose(causes.sum(axis=1), out["lead_time_h"])
    assert out.attrs["classes"]["anchor"] == "designed"
    classes = make_result().wait_breakdown(group="class")
    assert classes.columns.tolist() == ["work", "designed", "avoidable", "lead_time_h",
                                        "status"]
    assert classes["work"].tolist() == [4.0, 2.0, 3.0, 12.0]
    assert classes["designed"].tolist() == [0.0, 2.0, 0.0, 0.0]
    assert classes["avoidable"].tolist() == [1.0, 2.0, 6.0, 0.0]
    assert classes.attrs["classes"]["in_flight"] == "avoidable"


def test_wait_breakdown_of_a_chain_of_skips() -> None:
    # run 0 B with the ship row skipped too: the gate's 2 h pass through it to nothing
    # (the last row ended last and is skipped), so B keeps only compile's work
    log = make_log()
    log.loc[5, "status"] = "skipped"
    log.loc[5, "work_h"] = 0.0
    log.loc[5, "wait_anchor_h"] = 1.0
    out = make_result(log=log).wait_breakdown()
    assert out.loc[(0, "B"), ["work", "anchor"]].tolist() == [1.0, 0.0]
    # and nothing of it lands on another release
    assert out.loc[(0, "A"), ["work", "team", "anchor"]].tolist() == [4.0, 1.0, 0.0]
    # a chain of two skips hands the gate's time past the second one
    rows = log.copy()
    rows.loc[5, "end"] = at(13.5)
    extra = rows.iloc[[5]].assign(row=6, cause=5, status="succeeded", ready=at(13.5),
                                  start=at(13.5), end=at(14), work_h=0.5, wait_anchor_h=0.0,
                                  activity_id="notify")
    rows = pd.concat([rows.iloc[:6], extra, rows.iloc[6:]], ignore_index=True)
    rows.loc[5, "wait_anchor_h"] = 0.5
    out = make_result(log=rows).wait_breakdown()
    # gate 2 h + skipped ship 0.5 h of anchor end up on notify; work 1 + 0.5
    assert out.loc[(0, "B"), ["work", "anchor"]].tolist() == [1.5, 2.5]
    # the same with the second skip first in the frame (position 0 of the path)
    first = rows.iloc[[5, *range(5), *range(6, len(rows))]]
    out = make_result(log=first).wait_breakdown()
    assert out.loc[(0, "B"), ["work", "anchor"]].tolist() == [1.5, 2.5]


def test_wait_breakdown_rejects_unknown_arguments() -> None:
    res = make_result()
    with pytest.raises(ValueError, match=r"^by must be 'release' or 'activity', found 'x'$"):
        res.wait_breakdown("x")
    with pytest.raises(ValueError, match=r"^group must be 'cause' or 'class', found 'y'$"):
        res.wait_breakdown(group="y")


def test_wait_breakdown_per_activity() -> None:
    out = make_result().wait_breakdown("activity")
    assert out.index.tolist() == [("build", "compile"), ("build", "lint"),
                                  ("deploy", "ship")]
    assert out.columns.tolist() == ["dependencies_h", "wait_serialize_h", "wait_anchor_h",
                                    "wait_environment_h", "wait_team_h", "offhours_h",
                                    "work_h", "executions", "rework_share"]
    # compile ready at each release's start; ship ready 2, 3 h after A's start and 3 h
    # after B's (13 - 10): mean 8/3
    assert out["dependencies_h"].tolist() == pytest.approx([0.0, 0.0, 8 / 3])
    assert out["work_h"].tolist() == pytest.approx([18 / 4, 1.0, 3.0])
    assert out["wait_team_h"].tolist() == pytest.approx([0.0, 0.0, 1 / 3])
    assert out["executions"].tolist() == [4, 2, 3]
    assert out["rework_share"].tolist() == pytest.approx([0.0, 0.0, 1 / 3])
    with_freeze = make_log().assign(wait_freeze_h=0.5)
    cols = make_result(log=with_freeze).wait_breakdown("activity").columns.tolist()
    assert cols[4] == "wait_freeze_h"


def test_criticality_per_activity() -> None:
    out = make_result().criticality()
    # on the path: compile in all 4 releases, ship in 3, lint never; the gate is skipped
    # but its 2 h were handed to ship. Spans: compile 2 + 1 + 3 + 12 = 18, ship
    # (1 team + 2) + (2 anchor + 1) + 6 rework = 12
    assert out.columns.tolist() == ["critical_share", "contribution_h", "work_h",
                                    "designed_h", "avoidable_h", "waiting_h", "working_h",
                                    "mean_duration_h"]
    assert out.index.tolist() == [("build", "compile"), ("deploy", "ship"),
                                  ("build", "lint"), ("gate", "check")]
    assert out["critical_share"].tolist() == [1.0, 0.75, 0.0, 0.0]
    assert out["contribution_h"].tolist() == pytest.approx([4.5, 3.0, 0.0, 0.0])
    assert out["work_h"].tolist() == pytest.approx([4.5, 0.75, 0.0, 0.0])
    assert out["designed_h"].tolist() == pytest.approx([0.0, 0.5, 0.0, 0.0])
    assert out["avoidable_h"].tolist() == pytest.approx([0.0, 1.75, 0.0, 0.0])
    assert out["waiting_h"].tolist() == pytest.approx([0.0, 2.25, 0.0, 0.0])
    assert out["working_h"].tolist() == out["work_h"].tolist()
    # durations of the rows that ran: compile 2, 1, 3, 12; ship 2, 1, 6; lint 1, 1
    assert out["mean_duration_h"].iloc[:3].tolist() == pytest.approx([4.5, 3.0, 1.0])
    assert np.isnan(out["mean_duration_h"].iloc[3])


def test_criticality_sorts_by_what_could_be_spared_then_contribution() -> None:
    # run 0 only: compile 2 + 1 = 3 h of work; ship 2 + 1 of work, 1 team, 2 anchor.
    # work + avoidable: compile 3, ship 4 -> ship first; lint 0 and check 0 in log order
    log = make_log().query("run == 0")
    rel = make_releases().query("run == 0")
    out = make_result(log=log, rel=rel).criticality()
    assert out.index.tolist() == [("deploy", "ship"), ("build", "compile"),
                                  ("build", "lint"), ("gate", "check")]
    assert out["contribution_h"].tolist() == pytest.approx([3.0, 1.5, 0.0, 0.0])
    # ties on work + avoidable: the larger contribution first
    log = log.assign(wait_team_h=0.0)
    log.loc[log["row"] == 5, "work_h"] = 0.0
    log.loc[log["row"] == 2, "work_h"] = 1.0
    out = make_result(log=log, rel=rel).criticality()
    # compile 3 h of work; ship 1 h of work + 2 h anchor (designed): key 3 and 1
    assert out.index.tolist()[:2] == [("build", "compile"), ("deploy", "ship")]
    # a 4 h anchor: ship's contribution 5 h beats compile's 3 h, its key 1 h does not
    log4 = log.copy()
    log4.loc[log4["row"] == 4, "wait_anchor_h"] = 4.0
    out = make_result(log=log4, rel=rel).criticality()
    assert out.index.tolist()[:2] == [("build", "compile"), ("deploy", "ship")]
    assert out["contribution_h"].tolist()[:2] == pytest.approx([1.5, 2.5])
    log.loc[log["row"] == 2, "work_h"] = 3.0
    out = make_result(log=log, rel=rel).criticality()
    # ship: work 3, designed 2 -> key 3 ties with compile, contribution 5 > 3: ship first
    assert out.index.tolist()[:2] == [("deploy", "ship"), ("build", "compile")]


def test_utilization_uses_the_blueprint_capacities() -> None:
    out = make_result().utilization()
    assert out.index.tolist() == [("environment", "staging"), ("team", "dev")]
    assert out["capacity"].tolist() == [1, 2]
    # horizon 0-4 h: dev busy 2 h of 2 x 4; staging busy 2 h of 4, waited 1 h
    assert out["busy_share"].tolist() == pytest.approx([0.5, 0.25])
    assert out["wait_mean_h"].tolist() == pytest.approx([1.0, 0.0])


def test_plot_methods_pass_their_arguments_on(monkeypatch: pytest.MonkeyPatch) -> None:
    import phasesim.plotting.simulation as plots

    calls: list[tuple[str, tuple[object, ...], dict[str, object]]] = []

    def fake(name: str):  # type: ignore[no-untyped-def]
        def record(*args: object, **kwargs: object) -> str:
            calls.append((name, args, kwargs))
            return name
        return record

    for name in ("plot_lead_time_distribution", "plot_gantt_waits", "plot_train",
                 "plot_criticality", "plot_utilization"):
        monkeypatch.setattr(plots, name, fake(name))
    res = make_result()
    ax = object()
    assert res.plot_lead_time(ax, bins=3) == "plot_lead_time_distribution"
    assert res.plot_gantt("B", 1, ax, labels="phase") == "plot_gantt_waits"
    assert res.plot_train(1, ax, phases=False) == "plot_train"
    assert res.plot_criticality(ax, top=2) == "plot_criticality"
    assert res.plot_utilization(ax, freq="D") == "plot_utilization"
    res.plot_gantt()
    res.plot_train()
    assert calls == [
        ("plot_lead_time_distribution", (res,), {"ax": ax, "bins": 3}),
        ("plot_gantt_waits", (res,), {"release_id": "B", "run": 1, "ax": ax,
                                      "labels": "phase"}),
        ("plot_train", (res,), {"run": 1, "ax": ax, "phases": False}),
        ("plot_criticality", (res,), {"ax": ax, "top": 2}),
        ("plot_utilization", (res,), {"ax": ax, "freq": "D"}),
        ("plot_gantt_waits", (res,), {"release_id": None, "run": 0, "ax": None}),
        ("plot_train", (res,), {"run": 0, "ax": None}),
    ]


def test_wait_breakdown_of_a_shuffled_log_is_the_same() -> None:
    # the row the skipped gate made ready (ship of run 0 B) comes first in the frame
    log = make_log()
    shuffled = log.iloc[[5, 4, 3, 2, 1, 0, 9, 8, 7, 6]]
    pd.testing.assert_frame_equal(make_result(log=shuffled).wait_breakdown(),
                                  make_result().wait_breakdown())


def test_wait_breakdown_of_a_release_without_rows() -> None:
    rel = pd.concat([make_releases(), pd.DataFrame({
        "run": [0], "release_id": ["C"], "scheduled": [at(20)], "start": [at(21)],
        "end": [at(21)], "lead_time_h": [1.0], "status": ["aborted"], "capped": [True]})],
        ignore_index=True)
    out = make_result(rel=rel).wait_breakdown()
    # C never ran an activity: every cause 0 but the hour in flight
    c = out.loc[(0, "C")]
    assert c.drop(["in_flight", "lead_time_h", "status"]).tolist() == [0.0] * 10
    assert (c["in_flight"], c["lead_time_h"], c["status"]) == (1.0, 1.0, "aborted")


def test_critical_chain_reaches_the_last_row_of_the_frame() -> None:
    # one release: row 1 (ship, ends last) was made ready by row 2 (test), which was made
    # ready by row 0 (compile); row 2 is the last (run, row) position
    log = make_log().iloc[[0, 1, 2]].copy()
    log["activity_id"] = ["compile", "test", "ship"]
    log["row"] = [0, 2, 1]
    log["cause"] = [-1, 0, 2]
    log["end"] = [at(2), at(3), at(5)]
    assert critical_chain(log).tolist() == [True, True, True]


def test_critical_chain_tells_ends_a_nanosecond_apart() -> None:
    log = make_log().iloc[[0, 1]].copy()
    log["end"] = [at(2) + pd.Timedelta(1, "ns"), at(2)]
    assert critical_chain(log).tolist() == [True, False]
    log["end"] = [at(2), at(2) + pd.Timedelta(1, "ns")]
    assert critical_chain(log).tolist() == [False, True]


def test_critical_chain_of_an_empty_log_keeps_its_index() -> None:
    log = make_log().iloc[:0].set_axis(pd.Index([], dtype=object))
    out = critical_chain(log)
    assert out.index.dtype == object


def test_criticality_of_one_release() -> None:
    log = make_log().query("run == 0 and release_id == 'A'")
    rel = make_releases().iloc[[0]]
    out = make_result(log=log, rel=rel).criticality()
    # compile 2 h of work, ship 2 h of work + 1 h team; lint off the path
    assert out["contribution_h"].tolist() == [3.0, 2.0, 0.0]
    assert out["critical_share"].tolist() == [1.0, 1.0, 0.0]


def test_utilization_per_period_and_environment_capacity() -> None:
    res = make_result()
    res.blueprint.environments["staging"].capacity = 3  # type: ignore[attr-defined]
    out = res.utilization()
    assert out["capacity"].tolist() == [3, 2]
    hourly = res.utilization("h")
    # the horizon 0-4 h in hours: periods starting 0:00 .. 4:00 per resource
    assert len(hourly) == 10
