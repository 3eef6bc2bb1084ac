"""Calibration from history: fitting, measuring, rates, the calibrated blueprint, the check.

The key test generates a history with the simulator itself from a "truth" blueprint whose
parameters it knows, calibrates the original blueprint on it, simulates the result and
compares lead times. The bundled history (``data/logs/``) was made by a different program
(``data/logs/generate_history.py``) whose weekly slots work differently from the
blueprint's ``not-before`` anchors; its tests say so and measure the consequence.
"""

from __future__ import annotations

import doctest
import importlib
import math
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import phasesim
from phasesim.blueprint import Activity, Blueprint
from phasesim.calibration import (
    Calibration,
    ModelCheck,
    calibrate,
    fit_duration,
    plot_validation,
    validate_model,
)
from phasesim.cli import main
from phasesim.distributions import (
    DurationSpec,
    Empirical,
    Fixed,
    Gamma,
    LogNormal,
    Pert,
    Weibull,
    parse_duration_spec,
)
from phasesim.errors import CalibrationError, LogError, PhasesimError

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "data" / "blueprints" / "harness-system-release.yaml"
HISTORY = ROOT / "data" / "logs" / "harness-history.csv"
#: The history's cadence: every Monday 09:00 in Los Angeles.
WEEKLY = {"freq": "weekly", "weekday": "monday", "time": "09:00",
          "timezone": "America/Los_Angeles"}

# A small process in a UTC office calendar, for hand-made logs.
MINI = """
process:
  id: mini
  name: Mini release
  calendars:
    office: {timezone: UTC, hours: Mon-Fri 09:00-17:00}
  teams:
    Dev: {capacity: 2, calendar: office}
  phases:
    - phase:
        id: build
        owners: [Dev]
        activities:
          - activity: {id: fix, type: manual, for-each: [api, web], duration: 2h}
          - activity:
              id: deploy
              type: automated
              depends-on: [fix]
              duration: 30m
              failure: {probability: 0.1, retries: 1}
          - activity:
              id: review
              type: manual
              depends-on: [deploy]
              approval:
                wait: 1h
                reject: {probability: 0.1, goto: fix}
          - activity: {id: smoke, type: automated, depends-on: [review], duration: 10m}
          - activity: {id: gate, type: wait, depends-on: [smoke], not-before: "Thu 12:00"}
    - phase:
        id: ship
        depends-on: [build]
        activities:
          - activity: {id: push, type: automated, duration: 20m}
    - phase:
        id: verify
        depends-on: [ship]
        activities:
          - activity: {id: probe, type: automated, duration: 5m}
          - activity: {id: sign, type: automated, depends-on: [probe], duration: 5m}
"""


def mini() -> Blueprint:
    return phasesim.load_blueprint(MINI)


def make_log(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """A canonical log from (release, phase, activity, status, attempt, start, end[, ready])."""
    records = []
    for row in rows:
        release, phase, activity, status, attempt, start, end, *ready = row
        records.append({
            "run": 0, "release_id": release, "phase_id": phase, "activity_id": activity,
            "activity_type": "phase" if activity is None else "manual", "owner": None,
            "status": status, "attempt": attempt, "start": pd.Timestamp(start, tz="UTC"),
            "end": pd.Timestamp(end, tz="UTC"),
            "ready": pd.Timestamp(ready[0], tz="UTC") if ready else pd.NaT,
        })
    return phasesim.validate_log(pd.DataFrame(records))


def row_of(calibration: Calibration, activity_id: str) -> pd.Series:
    table = calibration.table
    return table[table["activity_id"] == activity_id].iloc[0]


def candidate(calibration: Calibration, activity_id: str, family: str) -> Any:
    c = calibration.candidates
    return c[(c["activity_id"] == activity_id) & (c["family"] == family)]["spec"].iloc[0]


def cell(check: ModelCheck, quantile: str, column: str) -> float:
    value: Any = check.table.at[quantile, column]
    return float(value)


def activity(bp: Blueprint, phase_id: str, activity_id: str) -> Activity:
    return next(a for a in bp.phase(phase_id).activities if a.id == activity_id)


def quiet_calibrate(*args: Any, **kwargs: Any) -> Calibration:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return calibrate(*args, **kwargs)


# ---------------------------------------------------------------------------------------
# Fitting recovers known parameters
# ---------------------------------------------------------------------------------------


def test_lognormal_recovered_within_5_percent_and_chosen_by_aic() -> None:
    x = LogNormal(median=4.0, p90=12.0).sample(np.random.default_rng(2026), 2000)
    fit = fit_duration(x)
    assert fit.best.family == "lognormal"
    assert isinstance(fit.spec, LogNormal)
    assert_allclose([fit.spec.median, fit.spec.p90], [4.0, 12.0], rtol=0.05)
    # scipy's own maximum likelihood with the location fixed at 0, as documented
    sigma, _, scale = stats.lognorm.fit(x, floc=0)
    assert_allclose(fit.spec.median, scale, rtol=1e-9)
    assert_allclose(math.log(fit.spec.p90 / fit.spec.median) / stats.norm.ppf(0.9), sigma,
                    rtol=1e-9)
    aic = {f.family: f.aic for f in fit.candidates}
    assert aic["lognormal"] + 10 < min(v for k, v in aic.items() if k != "lognormal")


def test_gamma_recovered_and_chosen_by_aic() -> None:
    x = Gamma(mean_h=3.0, sd_h=1.0).sample(np.random.default_rng(2026), 2000)
    fit = fit_duration(x)
    assert fit.best.family == "gamma"
    assert isinstance(fit.spec, Gamma)
    assert_allclose([fit.spec.mean_h, fit.spec.sd_h], [3.0, 1.0], rtol=0.05)
    table = fit.table()
    assert list(table["family"]) == ["lognormal", "gamma", "weibull", "pert"]
    assert table["chosen"].tolist() == [False, True, False, False]
    assert_allclose(table["aic"], 2 * np.array([2, 2, 2, 3]) - 2 * table["loglik"])


def test_weibull_and_pert_recovered() -> None:
    rng = np.random.default_rng(2026)
    weibull = fit_duration(Weibull(1.5, 4.0).sample(rng, 2000))
    assert weibull.best.family == "weibull"
    assert isinstance(weibull.spec, Weibull)
    assert_allclose([weibull.spec.shape, weibull.spec.scale_h], [1.5, 4.0], rtol=0.05)
    pert = fit_duration(Pert(1.0, 2.0, 6.0).sample(rng, 2000))
    assert pert.best.family == "pert"
    assert isinstance(pert.spec, Pert)
    assert_allclose([pert.spec.low, pert.spec.high], [1.0, 6.0], rtol=0.05)
    assert_allclose(pert.spec.mean(), Pert(1.0, 2.0, 6.0).mean(), rtol=0.02)


def test_gate_fit_recovers_one_approvers_wait_from_the_kth_of_n() -> None:
    """The observed gate time is the 2nd of 3 waits; the fit gives back one wait."""
    wait = LogNormal(median=0.75, p90=3.0)
    draws = wait.sample(np.random.default_rng(7), 3 * 2000).reshape(2000, 3)
    gate = np.sort(draws, axis=1)[:, 1]
    fit = fit_duration(gate, order=(2, 3), families=["lognormal", "gamma"])
    assert fit.best.family == "lognormal"
    assert isinstance(fit.spec, LogNormal)
    assert_allclose([fit.spec.median, fit.spec.p90], [0.75, 3.0], rtol=0.05)
    # the gate distribution implied by the fit matches the sample
    assert fit.best.ks_pvalue > 0.05
    assert_allclose(fit.spec.order_statistic_mean(2, 3), gate.mean(), rtol=0.05)
    # fitting the gate times as if they were one wait gets the tail wrong (the median of
    # the 2nd of 3 is the median of one wait, but its spread is much smaller)
    naive = fit_duration(gate, families=["lognormal"]).spec
    assert isinstance(naive, LogNormal) and naive.p90 < 0.7 * 3.0


def test_wasserstein_criterion_picks_the_closest_fit() -> None:
    x = Pert(1.0, 2.0, 6.0).sample(np.random.default_rng(3), 500)
    fit = fit_duration(x, criterion="wasserstein")
    assert fit.best.wasserstein_h == min(f.wasserstein_h for f in fit.candidates)
    assert fit.criterion == "wasserstein"


def test_parametric_bootstrap_ks_pvalue_is_seeded() -> None:
    x = LogNormal(2.0, 5.0).sample(np.random.default_rng(4), 80)
    a = fit_duration(x, families=["lognormal"], ks_boot=19, seed=1)
    b = fit_duration(x, families=["lognormal"], ks_boot=19, seed=1)
    assert a.best.ks_pvalue == b.best.ks_pvalue
    assert 0.05 <= a.best.ks_pvalue <= 1.0


@pytest.mark.parametrize(
    ("samples", "kwargs", "message"),
    [
        ([1.0, 0.0, 2.0], {}, "finite and greater than 0"),
        ([1.0, 2.0], {}, "at least 3 durations"),
        ([2.0, 2.0, 2.0], {}, "not all equal"),
        ([1.0, 2.0, 3.0], {"families": ["beta"]}, "unknown families"),
        ([1.0, 2.0, 3.0], {"criterion": "bic"}, "criterion must be one of aic, wasserstein"),
        ([1.0, 2.0, 3.0], {"order": (3, 2)}, r"1 <= k <= n"),
    ],
)
def test_fit_duration_rejects_bad_input(samples: list[float], kwargs: dict[str, Any],
                                        message: str) -> None:
    with pytest.raises(PhasesimError, match=message):
        fit_duration(samples, **kwargs)


def test_weibull_spec_yaml_moments_and_errors() -> None:
    spec = parse_duration_spec({"weibull": {"shape": 1.5, "scale": "4h"}})
    assert spec == Weibull(1.5, 4.0)
    assert parse_duration_spec(spec.to_data()) == spec
    rv = stats.weibull_min(1.5, scale=4.0)
    assert_allclose([spec.mean(), spec.sd()], [rv.mean(), rv.std()], rtol=1e-12)
    assert_allclose(spec.quantile([0.1, 0.5, 0.9]), rv.ppf([0.1, 0.5, 0.9]), rtol=1e-12)
    with pytest.raises(PhasesimError, match="weibull shape must be a number, found '2h'"):
        parse_duration_spec({"weibull": {"shape": "2h", "scale": "4h"}})
    with pytest.raises(PhasesimError, match=r"did you mean 'weibull'"):
        parse_duration_spec({"weibul": {"shape": 2, "scale": "4h"}})


# ---------------------------------------------------------------------------------------
# Measuring a hand-made log
# ---------------------------------------------------------------------------------------


def test_manual_work_and_gates_are_measured_in_working_hours() -> None:
    # Friday 2026-01-09 16:00 -> Monday 2026-01-12 10:00: 1 h on Friday + 1 h on Monday
    log = make_log([
        ("r1", "build", "fix[api]", "succeeded", 1, "2026-01-09 16:00", "2026-01-12 10:00"),
        ("r1", "build", "deploy", "succeeded", 1, "2026-01-09 16:00", "2026-01-12 10:00"),
        ("r1", "build", "review", "succeeded", 1, "2026-01-09 16:00", "2026-01-12 10:00"),
    ])
    with pytest.warns(UserWarning):
        cal = calibrate(mini(), log)
    assert row_of(cal, "fix")["mean_observed_h"] == 2.0
    assert row_of(cal, "fix")["time_base"] == "working hours (office)"
    assert row_of(cal, "review")["mean_observed_h"] == 2.0
    assert row_of(cal, "deploy")["mean_observed_h"] == 66.0  # automated: wall clock
    assert row_of(cal, "deploy")["time_base"] == "wall clock"
    assert activity(cal.blueprint, "build", "fix").duration == Empirical((2.0,))


def test_for_each_instances_pool_into_their_template_and_unknown_rows_are_listed() -> None:
    rows = []
    for i in range(5):
        day = f"2026-01-{5 + i:02d}"
        rows += [("r", "build", "fix[api]", "succeeded", 1, f"{day} 09:00", f"{day} 10:00"),
                 ("r", "build", "fix[web]", "succeeded", 1, f"{day} 09:00", f"{day} 12:00"),
                 ("r", "build", "lint", "succeeded", 1, f"{day} 09:00", f"{day} 09:10")]
    with pytest.warns(UserWarning, match="build.fix: only 10 observed"):
        cal = calibrate(mini(), make_log(rows), min_samples=11)
    fix = row_of(cal, "fix")
    assert fix["n"] == 10
    assert fix["mean_observed_h"] == 2.0
    assert cal.unmatched.to_dict("records") == [
        {"phase_id": "build", "activity_id": "lint", "rows": 5}]


def test_small_samples_give_empirical_with_a_warning_and_no_observations_keep_the_spec(
) -> None:
    rows = [("r", "build", "deploy", "succeeded", 1, f"2026-01-05 {9 + i:02d}:00",
             f"2026-01-05 {9 + i:02d}:{15 * (i + 1):02d}") for i in range(3)]
    with pytest.warns(UserWarning, match=r"build\.deploy: only 3 observed durations"):
        cal = calibrate(mini(), make_log(rows))
    deploy = row_of(cal, "deploy")
    assert deploy["family"] == "empirical"
    assert deploy["note"].startswith("empirical: 3 < min_samples=8")
    assert activity(cal.blueprint, "build", "deploy").duration == Empirical((0.25, 0.5, 0.75))
    smoke = row_of(cal, "smoke")
    assert smoke["n"] == 0
    assert pd.isna(smoke["family"])
    assert smoke["note"] == "kept: no observations"
    assert activity(cal.blueprint, "build", "smoke").duration == Fixed(10 / 60)
    gate = row_of(cal, "gate")
    assert gate["note"] == "kept: no duration in the blueprint (a milestone or anchor)"
    assert activity(cal.blueprint, "build", "gate").duration is None


def test_empirical_gate_values_reproduce_the_gate_times_through_k_of_n() -> None:
    bp = phasesim.load_blueprint(MINI.replace("wait: 1h", "wait: 1h\n                approvers: 2\n"
                                              "                required: 2"))
    rows = [("r", "build", "review", "succeeded", 1, "2026-01-05 09:00", f"2026-01-05 {h}:00")
            for h in ("10", "11", "12", "13")]
    with pytest.warns(UserWarning, match="build.review"):
        cal = calibrate(bp, make_log(rows))
    wait = activity(cal.blueprint, "build", "review").approval.wait  # type: ignore[union-attr]
    assert isinstance(wait, Empirical)
    # values at the gate sample's quantiles I_u(2, 1) = u**2, u = (j - 1/2) / 4
    u = (np.arange(4) + 0.5) / 4
    assert_allclose(wait.samples, np.round(np.quantile([1, 2, 3, 4], u**2) * 60) / 60)


def test_failure_and_rejection_rates_are_exact_fractions() -> None:
    rows: list[tuple[Any, ...]] = []
    for i in range(10):
        day = f"2026-01-{5 + i:02d}"
        t = pd.Timestamp(f"{day} 09:00")

        def at(minutes: int, base: pd.Timestamp = t) -> str:
            return str(base + pd.Timedelta(minutes=minutes))

        if i == 0:  # fails twice in a row, then succeeds: 2 immediate retries
            rows += [(f"r{i}", "build", "deploy", "failed", 1, at(0), at(30), at(0)),
                     (f"r{i}", "build", "deploy", "failed", 2, at(30), at(60), at(30)),
                     (f"r{i}", "build", "deploy", "succeeded", 3, at(60), at(90), at(60))]
        elif i == 1:  # fails, a hotfix runs, then it runs again: not an immediate retry
            rows += [(f"r{i}", "build", "deploy", "failed", 1, at(0), at(30), at(0)),
                     (f"r{i}", "build", "deploy", "succeeded", 2, at(120), at(150),
                      at(110))]
        else:
            rows += [(f"r{i}", "build", "deploy", "succeeded", 1, at(0), at(20 + i), at(0))]
        status = "rejected" if i in (3, 7) else "succeeded"
        rows.append((f"r{i}", "build", "review", status, 1, at(200), at(260)))
        if status == "rejected":
            rows.append((f"r{i}", "build", "review", "succeeded", 2, at(300), at(330)))
    cal = calibrate(mini(), make_log(rows))
    deploy = row_of(cal, "deploy")
    assert (deploy["trials"], deploy["events"]) == (13, 3)
    assert deploy["p_new"] == round(3 / 13, 3) == 0.231
    ci = stats.binomtest(3, 13).proportion_ci(method="wilson")
    assert_allclose([deploy["p_low"], deploy["p_high"]], [ci.low, ci.high])
    assert (deploy["retries_old"], deploy["retries_new"]) == (1, 2)
    assert "retries raised to 2" in deploy["note"]
    failure = activity(cal.blueprint, "build", "deploy").failure
    assert failure is not None and (failure.probability, failure.retries) == (0.231, 2)
    review = row_of(cal, "review")
    assert (review["trials"], review["events"], review["p_new"]) == (12, 2, 0.167)
    gate = activity(cal.blueprint, "build", "review").approval
    assert gate is not None and gate.reject is not None
    assert gate.reject.probability == 0.167
    assert review["n"] == 12  # rejected passes are gate times too


def test_without_ready_times_a_retry_is_what_follows_at_once() -> None:
    rows = [("a", "build", "deploy", "failed", 1, "2026-01-05 09:00", "2026-01-05 09:30"),
            ("a", "build", "deploy", "failed", 2, "2026-01-05 09:30", "2026-01-05 10:00"),
            ("a", "build", "deploy", "succeeded", 3, "2026-01-05 10:00", "2026-01-05 10:30"),
            ("b", "build", "deploy", "failed", 1, "2026-01-06 09:00", "2026-01-06 09:30"),
            ("b", "ship", "push", "succeeded", 1, "2026-01-06 09:40", "2026-01-06 10:00"),
            ("b", "build", "deploy", "failed", 2, "2026-01-06 10:00", "2026-01-06 10:30"),
            ("b", "build", "deploy", "failed", 3, "2026-01-06 10:30", "2026-01-06 11:00"),
            ("b", "build", "deploy", "succeeded", 4, "2026-01-06 11:00", "2026-01-06 11:30")]
    cal = quiet_calibrate(mini(), make_log(rows), min_samples=3)
    assert row_of(cal, "deploy")["retries_new"] == 2


def test_phase_only_logs_fit_one_activity_phases_and_say_so_for_others() -> None:
    rows = []
    for i in range(10):
        day = f"2026-02-{2 + i:02d}"
        rows += [(f"r{i}", "ship", None, "succeeded", 1, f"{day} 09:00",
                  f"{day} 09:{10 + 3 * i:02d}"),
                 (f"r{i}", "verify", None, "succeeded", 1, f"{day} 10:00", f"{day} 10:30")]
    cal = calibrate(mini(), make_log(rows))
    push = row_of(cal, "push")
    assert push["n"] == 10
    assert push["family"] in ("lognormal", "gamma", "weibull", "pert")
    assert_allclose(push["mean_observed_h"], np.mean([(10 + 3 * i) / 60 for i in range(10)]))
    for name in ("probe", "sign"):
        r = row_of(cal, name)
        assert r["note"] == ("phase-level only: 10 phase rows, no activity rows; the "
                             "blueprint's estimate is kept")
        assert activity(cal.blueprint, "verify", name).duration == Fixed(5 / 60)
    assert cal.unmatched.empty


def test_constant_durations_become_fixed() -> None:
    rows = [(f"r{i}", "ship", "push", "succeeded", 1, f"2026-01-{5 + i:02d} 09:00",
             f"2026-01-{5 + i:02d} 09:25") for i in range(9)]
    cal = quiet_calibrate(mini(), make_log(rows))
    assert activity(cal.blueprint, "ship", "push").duration == Fixed(25 / 60)
    assert row_of(cal, "push")["note"] == "fixed: all 9 observations are 25m"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"min_samples": 2}, "min_samples must be a whole number of at least 3"),
     ({"criterion": "bic"}, "criterion must be one of aic, wasserstein"),
     ({"families": ["cauchy"]}, "unknown families"),
     ({"ks_boot": -1}, "ks_boot must be")],
)
def test_calibrate_rejects_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    log = make_log([("r", "ship", "push", "succeeded", 1, "2026-01-05 09:00",
                     "2026-01-05 09:20")])
    with pytest.raises(PhasesimError, match=message):
        calibrate(mini(), log, **kwargs)


def test_calibrate_rejects_logs_it_cannot_read() -> None:
    with pytest.raises(LogError, match="missing column"):
        calibrate(mini(), pd.DataFrame({"release_id": ["r"]}))
    with pytest.raises(PhasesimError, match="the log is empty"):
        calibrate(mini(), phasesim.empty_log())
    with pytest.raises(PhasesimError, match="log must be an event log"):
        calibrate(mini(), 42)  # type: ignore[arg-type]


# A log of another process: misspelt, re-cased and foreign names, none the blueprint's.
FOREIGN = [("r", "Build", "deploi", "succeeded", 1, "2026-01-05 09:00", "2026-01-05 10:00"),
           ("r", "ship", "pushh", "succeeded", 1, "2026-01-05 10:00", "2026-01-05 10:20"),
           ("r", "zzz", None, "succeeded", 1, "2026-01-05 09:00", "2026-01-05 10:20")]


def test_calibrate_fails_when_nothing_matches_and_names_the_closest() -> None:
    with pytest.raises(CalibrationError) as info:
        calibrate(mini(), make_log(FOREIGN))
    # activities with a close log name first, then the rest in blueprint order, up to 5
    assert info.value.closest == {"build.deploy": ["Build.deploi"], "ship.push": ["ship.pushh"],
                                  "build.fix": [], "build.review": [], "build.smoke": []}
    message = str(info.value)
    assert message.startswith("nothing matched: none of the log's 3 rows match an activity "
                              "or phase of blueprint 'mini'")
    assert "build.deploy: Build.deploi; ship.push: ship.pushh; build.fix: nothing close" \
        in message
    assert isinstance(info.value, PhasesimError)
    with pytest.raises(CalibrationError, match=r"no log name is close to any of its "
                       r"activities \(build\.fix, build\.deploy, .*\); the log has qqq\.xyz"):
        calibrate(mini(), make_log([("r", "qqq", "xyz", "succeeded", 1, "2026-01-05 09:00",
                                     "2026-01-05 10:00")]))
    # one matching row is enough: the rest are listed as unmatched, as before
    push = ("r", "ship", "push", "succeeded", 1, "2026-01-05 10:00", "2026-01-05 10:20")
    cal = quiet_calibrate(mini(), make_log([*FOREIGN, push]))
    assert len(cal.unmatched) == 3


def test_cli_calibrate_nothing_matched_exits_1_and_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "log.csv"
    make_log(FOREIGN).to_csv(src, index=False)
    bp = tmp_path / "mini.yaml"
    bp.write_text(MINI)
    out = tmp_path / "out" / "c.yaml"
    table = tmp_path / "t.csv"
    assert main(["calibrate", str(bp), str(src), "-o", str(out), "--table", str(table)]) == 1
    captured = capsys.readouterr()
    assert "phasesim calibrate: nothing matched: none of the log's 3 rows" in captured.err
    assert "build.deploy: Build.deploi" in captured.err
    assert "Traceback" not in captured.err and "wrote" not in captured.out
    assert not out.exists() and not out.parent.exists() and not table.exists()


def test_simulated_gate_gives_back_one_approvers_wait_and_the_rejection_rate() -> None:
    """conditional.yaml: a 2-of-3 change-board gate, lognormal(2h, 8h) waits, 10% rejected."""
    bp = phasesim.load_blueprint(ROOT / "data" / "blueprints" / "conditional.yaml")
    log = phasesim.simulate(bp, releases=20, runs=100, seed=4, progress=False).log
    cal = calibrate(bp, log, families=["lognormal"])
    gate = activity(cal.blueprint, "qa", "approval_gate").approval
    assert gate is not None and isinstance(gate.wait, LogNormal)
    # ~1,800 gates: over seeds 1-8 the fits spread +-3.5% (median) and +-3% (p90)
    assert_allclose([gate.wait.median, gate.wait.p90], [2.0, 8.0], rtol=0.08)
    assert gate.reject is not None
    r = row_of(cal, "approval_gate")
    assert r["p_low"] <= 0.1 <= r["p_high"]
    assert gate.reject.probability == round(int(r["events"]) / int(r["trials"]), 3)
    assert row_of(cal, "compile")["note"] == "fixed: all 2000 observations are 40m"
    # the deploy fails twice in a row (0.05 ** 2 per release) a handful of times in 2,000
    reverts = int((log["activity_id"] == "revert").sum())
    assert 0 < reverts < 8
    assert row_of(cal, "revert")["note"].startswith(f"empirical: {reverts} < min_samples=8")


def test_subprocess_is_kept_and_its_rows_are_not_unmatched() -> None:
    bp = phasesim.load_blueprint(ROOT / "data" / "blueprints" / "store-activities.yaml")
    log = phasesim.simulate(bp, releases=10, runs=1, seed=2, progress=False).log
    cal = calibrate(bp, log)
    assert row_of(cal, "sanity")["note"].startswith("kept: a subprocess")
    assert cal.unmatched.empty
    assert activity(cal.blueprint, "deploy", "sanity").subprocess == \
        activity(bp, "deploy", "sanity").subprocess


def test_rounding_keeps_a_spec_valid() -> None:
    from phasesim.calibration.calibrator import round_probability, round_spec

    assert round_spec(LogNormal(4.0 + 1 / 600, 11.995)) == LogNormal(4.0, 12.0)
    # to the minute would put p90 on the median, or the spread to 0: to the second
    assert round_spec(LogNormal(2.0, 2.001)) == LogNormal(2.0, 2.0 + 4 / 3600)
    assert round_spec(Pert(2.0, 2.001, 2.003)).sd() > 0
    assert round_spec(LogNormal(2.0, 2.0001)) == LogNormal(2.0, 2.0001)  # kept as it is
    assert (round_probability(0.0912), round_probability(0.0004), round_probability(0.0)) \
        == (0.091, 0.0004, 0.0)


# ---------------------------------------------------------------------------------------
# The key test: a calibrated blueprint reproduces a history made with known parameters
# ---------------------------------------------------------------------------------------


def _changed(bp: Blueprint, phase_id: str, activity_id: str,
             change: Callable[[Activity], dict[str, Any]]) -> Blueprint:
    phases = tuple(
        replace(ph, activities=tuple(replace(a, **change(a)) if (ph.id, a.id) ==
                                     (phase_id, activity_id) else a for a in ph.activities))
        for ph in bp.phases)
    return replace(bp, phases=phases)


def _wait(spec: DurationSpec) -> Callable[[Activity], dict[str, Any]]:
    def change(act: Activity) -> dict[str, Any]:
        assert act.approval is not None
        return {"approval": replace(act.approval, wait=spec)}
    return change


def _failure(probability: float) -> Callable[[Activity], dict[str, Any]]:
    def change(act: Activity) -> dict[str, Any]:
        assert act.failure is not None
        return {"failure": replace(act.failure, probability=probability)}
    return change


def truth_blueprint() -> Blueprint:
    """The Harness release with known parameters that differ from the blueprint's."""
    bp = phasesim.load_blueprint(HARNESS)
    bp = _changed(bp, "alpha_fixes", "alpha_fix",
                  lambda a: {"duration": LogNormal(median=5.0, p90=12.0)})
    bp = _changed(bp, "beta_soak", "beta_fix", lambda a: {"duration": Gamma(5.0, 2.0)})
    bp = _changed(bp, "qa_signoff", "regression_suite",
                  lambda a: {"duration": Pert(1.0, 1.5, 3.0)})
    bp = _changed(bp, "qa_signoff", "qa_approval", _wait(LogNormal(0.75, 2.5)))
    bp = _changed(bp, "qa_signoff", "stakeholder_approval", _wait(LogNormal(0.5, 2.0)))
    for n in (1, 2, 3):
        bp = _changed(bp, f"prod_{n}", f"deploy_prod{n}", _failure(0.1))
    return phasesim.load_blueprint(bp.to_yaml())


@pytest.fixture(scope="module")
def truth_run() -> tuple[pd.DataFrame, Calibration, ModelCheck]:
    history = phasesim.simulate(truth_blueprint(), releases=60, cadence=WEEKLY,
                                start="2026-01-05", runs=1, seed=2026, progress=False).log
    cal = quiet_calibrate(HARNESS, history)
    result = phasesim.simulate(cal.blueprint, releases=60, cadence=WEEKLY, start="2026-01-05",
                               runs=10, seed=3026, progress=False)
    return history, cal, validate_model(result, history)


def test_calibrated_blueprint_reproduces_the_history_it_was_fitted_on(
        truth_run: tuple[pd.DataFrame, Calibration, ModelCheck]) -> None:
    _, _, check = truth_run
    assert len(check.history) == 60
    for q in ("P50", "P80"):
        assert_allclose(cell(check, q, "simulated_h"), cell(check, q, "history_h"), rtol=0.10)
    # the backtest: about 80% of the history lies within the simulated P80
    assert cell(check, "P80", "within_low") <= 0.8 <= cell(check, "P80", "within_high")


def test_calibration_recovers_the_truths_parameters(
        truth_run: tuple[pd.DataFrame, Calibration, ModelCheck]) -> None:
    _, cal, _ = truth_run
    alpha = candidate(cal, "alpha_fix", "lognormal")
    assert_allclose(alpha.median, 5.0, rtol=0.15)
    assert_allclose(alpha.p90, 12.0, rtol=0.20)
    assert_allclose(candidate(cal, "beta_fix", "gamma").mean_h, 5.0, rtol=0.10)
    # the 2-of-2 QA gate: one approver's wait, not the gate time
    assert_allclose(candidate(cal, "qa_approval", "lognormal").median, 0.75, rtol=0.25)
    assert_allclose(candidate(cal, "regression_suite", "pert").mean(), Pert(1.0, 1.5, 3.0)
                    .mean(), rtol=0.05)
    truths = {"build_artifacts": 0.06, "deploy_qa": 0.04, "regression_suite": 0.08,
              "deploy_prod1": 0.1, "deploy_prod2": 0.1, "deploy_prod3": 0.1,
              "qa_approval": 0.05}
    for name, p in truths.items():
        r = row_of(cal, name)
        assert r["p_low"] <= p <= r["p_high"], (name, r["p_low"], r["p_high"])
    assert row_of(cal, "soak")["new_spec"] == "5d"


# ---------------------------------------------------------------------------------------
# The bundled history (data/logs/generate_history.py)
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled() -> tuple[pd.DataFrame, Calibration, ModelCheck]:
    log = phasesim.read_log(HISTORY)
    cal = calibrate(HARNESS, log)
    train = phasesim.lead_times(log)
    starts = train[~train["hotfix_release"]]["start"].sort_values().tolist()
    result = phasesim.simulate(cal.blueprint, releases=len(starts), cadence=starts,
                               start=starts[0], runs=20, seed=5, progress=False)
    return log, cal, validate_model(result, log)


def test_bundled_history_durations_recover_the_generators_parameters(
        bundled: tuple[pd.DataFrame, Calibration, ModelCheck]) -> None:
    """The generator's parameters are in data/logs/README.md."""
    _, cal, _ = bundled
    alpha = candidate(cal, "alpha_fix", "lognormal")
    assert_allclose([alpha.median, alpha.p90], [4.0, 12.0], rtol=0.05)
    beta = candidate(cal, "beta_fix", "lognormal")
    assert_allclose([beta.median, beta.p90], [3.0, 10.0], rtol=0.15)
    assert_allclose(candidate(cal, "regression_suite", "pert").mean(),
                    Pert(1.5, 2.0, 4.0).mean(), rtol=0.02)
    assert row_of(cal, "soak")["new_spec"] == "5d"
    # the generator draws one duration per gate; the fit reproduces that gate time
    for name, spec in (("alpha_fix_approval", LogNormal(2.0, 6.0)),
                       ("stakeholder_approval", LogNormal(1.0, 4.0))):
        r = row_of(cal, name)
        assert r["ks_pvalue"] > 0.1
        assert_allclose(r["mean_new_h"], r["mean_observed_h"], rtol=0.1)
        assert_allclose(r["mean_observed_h"], spec.mean(), rtol=0.25)
    build = row_of(cal, "build_artifacts")
    assert (build["trials"], build["events"], build["p_new"]) == (55, 5, 0.091)
    assert build["p_low"] <= 0.06 <= build["p_high"]
    assert cal.unmatched.empty


def test_bundled_history_runs_on_its_planned_slots(
        bundled: tuple[pd.DataFrame, Calibration, ModelCheck]) -> None:
    """The history's releases follow a plan (the beta rollout on the cut week's Friday
    09:00, Prod 3 on the Monday of week 4) and a release late for a slot goes as soon as
    it is ready; the blueprint says the same with ``not-before: {at: ..., week: n}``. In
    the history 45 of 50 releases finished QA sign-off after that Friday 09:00 and still
    made Prod 3 on day 21."""
    log, _, check = bundled
    tz = "America/Los_Angeles"
    train = log[log["release_id"].str.startswith("R")]
    cut = train[train["phase_id"] == "branch_cut"].groupby("release_id")["start"].min()
    local = cut.dt.tz_convert(tz).dt.normalize()
    friday = (local - pd.to_timedelta(local.dt.day_of_week, unit="D")
              + pd.Timedelta(days=4, hours=9)).dt.tz_convert("UTC")
    qa_end = train[train["phase_id"] == "qa_signoff"].groupby("release_id")["end"].max()
    assert int((qa_end > friday.reindex(qa_end.index)).sum()) == 45
    assert len(qa_end) == 50
    assert_allclose([cell(check, "P50", "history_d"), cell(check, "P80", "history_d")],
                    [21.13, 21.16], atol=0.01)


def test_bundled_history_reproduced_within_10_percent(
        bundled: tuple[pd.DataFrame, Calibration, ModelCheck]) -> None:
    _, _, check = bundled
    for q in ("P50", "P80"):
        assert_allclose(cell(check, q, "simulated_h"), cell(check, q, "history_h"), rtol=0.10)


# ---------------------------------------------------------------------------------------
# The calibrated blueprint as a file, the CLI, display
# ---------------------------------------------------------------------------------------


def test_to_yaml_round_trip_equals_the_calibrated_blueprint(
        tmp_path: Path, bundled: tuple[pd.DataFrame, Calibration, ModelCheck]) -> None:
    _, cal, _ = bundled
    path = tmp_path / "calibrated.yaml"
    text = cal.to_yaml(path)
    assert path.read_text() == text
    assert text.startswith("# Calibrated by phasesim from ")
    assert "lognormal: {median: 3h58m, p90: 11h48m}" in text  # rounded to the minute
    assert "failure: {probability: 0.091, retries: 2, on-failure: abort}" in text
    assert phasesim.load_blueprint(path) == cal.blueprint
    assert cal.blueprint != cal.original


def test_cli_calibrate_prints_the_table_and_writes_the_blueprint(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        bundled: tuple[pd.DataFrame, Calibration, ModelCheck]) -> None:
    out = tmp_path / "out" / "calibrated.yaml"
    table = tmp_path / "table.csv"
    assert main(["calibrate", str(HARNESS), str(HISTORY), "-o", str(out), "--table",
                 str(table)]) == 0
    captured = capsys.readouterr()
    assert "<Calibration of 'harness_system_release' from 1,409 rows" in captured.out
    assert "alpha_fix" in captured.out and "lognormal(median=3h58m, p90=11h48m)" in captured.out
    assert f"wrote {out}" in captured.out
    assert phasesim.load_blueprint(out) == bundled[1].blueprint
    assert len(pd.read_csv(table)) == 24


def test_cli_calibrate_errors_are_messages(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "c.yaml")
    assert main(["calibrate", str(HARNESS), str(tmp_path / "none.csv"), "-o", out]) == 1
    assert "file not found" in capsys.readouterr().err
    assert main(["calibrate", str(HARNESS), str(HISTORY), "-o", out, "--min-samples", "1"]) == 1
    err = capsys.readouterr().err
    assert "phasesim calibrate: min_samples must be a whole number of at least 3" in err
    assert "Traceback" not in err


def test_cli_calibrate_small_samples_are_notes(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    log = make_log([("r", "ship", "push", "succeeded", 1, "2026-01-05 09:00",
                     "2026-01-05 09:20"),
                    ("r", "ship", "push", "succeeded", 2, "2026-01-06 09:00",
                     "2026-01-06 09:50")])
    src = tmp_path / "log.csv"
    log.to_csv(src, index=False)
    bp = tmp_path / "mini.yaml"
    bp.write_text(MINI)
    assert main(["calibrate", str(bp), str(src), "-o", str(tmp_path / "c.yaml")]) == 0
    err = capsys.readouterr().err
    assert "note: ship.push: only 2 observed durations" in err


def test_repr_is_one_line_and_html_is_escaped() -> None:
    bp = phasesim.load_blueprint(MINI.replace("name: Mini release", "name: <b>Mini</b>"))
    rows = [(f"r{i}", "ship", "push", "succeeded", 1, f"2026-01-{5 + i:02d} 09:00",
             f"2026-01-{5 + i:02d} 09:{20 + i:02d}") for i in range(9)]
    cal = calibrate(bp, make_log(rows))
    text = repr(cal)
    assert "\n" not in text
    assert text == "<Calibration of 'mini' from 9 rows: 1 fitted, 0 empirical, 7 kept>"
    page = cal._repr_html_()
    assert "&lt;b&gt;Mini&lt;/b&gt;" in page and "<b>Mini</b>" not in page


# ---------------------------------------------------------------------------------------
# validate_model and its plot
# ---------------------------------------------------------------------------------------


def lead_log(days: list[float], run: int = 0, prefix: str = "r") -> pd.DataFrame:
    start = pd.Timestamp("2026-01-05 09:00", tz="UTC")
    frame = pd.DataFrame({
        "run": run, "release_id": [f"{prefix}{i}" for i in range(len(days))],
        "phase_id": "deploy", "activity_id": "go", "activity_type": "automated",
        "status": "succeeded", "attempt": 1, "start": start,
        "end": [start + pd.Timedelta(days=d) for d in days]})
    return phasesim.validate_log(frame)


def test_validate_model_quantiles_distances_and_backtest() -> None:
    history = [20.0, 21.0, 21.0, 22.0, 28.0, 21.5, 21.0, 20.5, 22.5, 35.0]
    simulated = [float(d) for d in np.linspace(19.0, 30.0, 45)]
    hotfix = phasesim.validate_log(pd.DataFrame({
        "run": 0, "release_id": ["hf"], "phase_id": "hotfix", "activity_id": "fix",
        "activity_type": "manual", "status": "succeeded", "attempt": 1,
        "start": [pd.Timestamp("2026-01-05", tz="UTC")],
        "end": [pd.Timestamp("2026-03-05", tz="UTC")]}))
    log = pd.concat([lead_log(history), hotfix], ignore_index=True)
    check = validate_model(lead_log(simulated, prefix="s"), log)
    h, s = np.array(history) * 24, np.array(simulated) * 24
    assert list(check.table.index) == ["P50", "P80", "P95"]
    assert_allclose(check.table["history_h"], np.quantile(h, [0.5, 0.8, 0.95]))
    assert_allclose(check.table["simulated_d"], np.quantile(simulated, [0.5, 0.8, 0.95]))
    p80 = float(np.quantile(s, 0.8))
    within = int((h <= p80).sum())
    assert check.within_p80 == within / 10 == 0.8
    test = stats.binomtest(within, 10, p=0.8)
    ci = test.proportion_ci(method="wilson")
    assert_allclose(check.table.loc["P80", ["within_low", "within_high", "binom_pvalue"]]
                    .to_numpy(dtype=float), [ci.low, ci.high, test.pvalue])
    ks = stats.ks_2samp(h, s)
    assert (check.ks_statistic, check.ks_pvalue) == (ks.statistic, ks.pvalue)
    assert check.wasserstein_h == stats.wasserstein_distance(h, s)
    assert len(check.history) == 10  # the hotfix-only release is left out
    assert "\n" not in repr(check) and "80% of history within simulated P80" in repr(check)
    assert "KS statistic (p-value)" in check.summary().index


def test_validate_model_takes_a_simulation_result_and_rejects_bad_input() -> None:
    bp = phasesim.load_blueprint(MINI)
    result = phasesim.simulate(bp, releases=4, runs=2, seed=1, progress=False)
    check = validate_model(result, result.log, target_quantiles=(0.5, 0.9))
    assert list(check.table.index) == ["P50", "P90"]
    assert_allclose(check.table["relative_difference"], 0.0)
    assert check.ks_statistic == 0.0
    with pytest.raises(PhasesimError, match=r"target_quantiles must be in \(0, 1\)"):
        validate_model(result, result.log, target_quantiles=(0.5, 1.0))
    with pytest.raises(PhasesimError, match="no completed releases"):
        validate_model(result, result.log.iloc[0:0])


def test_plot_validation_draws_two_ecdfs_with_quantile_markers() -> None:
    check = validate_model(lead_log([20.0, 22.0, 28.0], prefix="s"),
                           lead_log([21.0, 21.0, 22.0, 27.0]))
    fig, ax = plt.subplots()
    out = plot_validation(check, ax=ax)
    assert out is ax
    steps = ax.get_lines()[:2]
    assert [line.get_label() for line in steps] == ["history (4 releases)",
                                                    "simulated (3 releases)"]
    assert_allclose(np.asarray(steps[0].get_ydata())[-1], 1.0)
    assert ax.get_xlabel() == "lead time (days)"
    assert len(ax.texts) == 6  # P50, P80, P95 for both
    assert check.plot(ax=ax) is ax
    plt.close(fig)


def test_docstring_examples_run() -> None:
    for name in ("fitting", "calibrator", "validation"):
        module = importlib.import_module(f"phasesim.calibration.{name}")
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, name


def test_max_retries_counts_immediate_retries_and_is_zero_without_failures() -> None:
    from phasesim.calibration.observations import _max_retries

    t0 = pd.Timestamp("2026-01-05 09:00", tz="UTC")

    def tries(statuses: list[str]) -> pd.DataFrame:
        # one activity of one release, each try starting when the one before ended
        rows = [{"run": 0, "release_id": "R1", "activity_id": "deploy", "attempt": i + 1,
                 "status": s, "ready": t0 + pd.Timedelta(hours=i),
                 "start": t0 + pd.Timedelta(hours=i),
                 "end": t0 + pd.Timedelta(hours=i + 1)} for i, s in enumerate(statuses)]
        return pd.DataFrame(rows)

    log = tries(["failed", "failed", "succeeded"])
    assert _max_retries(log, log) == 2  # fails twice, then succeeds: 2 immediate retries
    log = tries(["failed", "succeeded"])
    assert _max_retries(log, log) == 1
    log = tries(["succeeded", "succeeded", "succeeded"])  # three passes, no failure
    assert _max_retries(log, log) == 0
