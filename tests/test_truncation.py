"""Implausible tails: calibrate warns past tail_limit x the largest observation and can
cut a fit with ``max:``; the max: of a duration spec (parsed, validated, sampled)."""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import phasesim
from phasesim import PhasesimError, calibrate, load_blueprint, simulate
from phasesim.cli import main
from phasesim.distributions import (
    DurationSpecError,
    Exponential,
    Truncated,
    Uniform,
    parse_duration_spec,
)

BP = """\
    process:
      id: mini
      phases:
        - phase:
            id: ship
            activities:
              - activity: {id: push, type: automated, duration: 20m}
    """
# ten pushes from 1 minute to 10 hours: a log-sd of about 2, so a lognormal fit puts its
# 99.9th percentile far beyond the longest push (10 h)
MINUTES = [1, 2, 5, 10, 20, 40, 80, 160, 300, 600]


def log_of(minutes: list[int]) -> pd.DataFrame:
    t0 = pd.Timestamp("2026-01-05 09:00", tz="UTC")
    rows = [{"run": 0, "release_id": f"r{i}", "phase_id": "ship", "activity_id": "push",
             "activity_type": "automated", "owner": None, "status": "succeeded",
             "attempt": 1, "start": t0 + pd.Timedelta(days=i),
             "end": t0 + pd.Timedelta(days=i, minutes=m), "ready": pd.NaT}
            for i, m in enumerate(minutes)]
    return phasesim.validate_log(pd.DataFrame(rows))


def bp() -> phasesim.Blueprint:
    return load_blueprint(textwrap.dedent(BP))


def push(cal: Any) -> Any:
    return cal.blueprint.phase("ship").activities[0].duration


def test_a_tail_beyond_the_data_warns_and_says_how_to_cut_it():
    with pytest.warns(UserWarning, match=r"ship\.push: the fitted lognormal") as caught:
        cal = calibrate(bp(), log_of(MINUTES), families=["lognormal"])
    text = str(caught[0].message)
    assert "more than 10 x the largest of the 10 observations (10 h)" in text
    assert "truncate=True" in text and "max: 100h" in text  # 10 x 10 h
    spec = push(cal)
    assert spec.kind == "lognormal"
    # the maximum-likelihood lognormal: exp(mean + 3.09 sd of ln x) = 240.7 h before the
    # median and p90 are rounded to the minute (27m, 6h3m)
    p999 = float(spec.quantile(0.999))
    assert 230.0 < p999 < 245.0
    assert f"99.9th percentile at {p999:,.0f} h ({p999 / 24:.1f} days)" in text
    note = cal.table.loc[cal.table["activity_id"] == "push", "note"].iloc[0]
    assert "long tail: P99.9" in note and "max 100h" in note


def test_truncate_cuts_the_fit_at_tail_limit_times_the_largest():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        cal = calibrate(bp(), log_of(MINUTES), families=["lognormal"], truncate=True,
                        tail_limit=5)
    spec = push(cal)
    assert isinstance(spec, Truncated) and spec.max_h == 50.0  # 5 x 10 h
    assert float(spec.quantile(1.0)) == 50.0
    assert "cut at max 50h" in cal.table["note"].iloc[0]
    assert cal.table["parameters"].iloc[0] == "median=27m, p90=6h3m, max=50h"
    # written with max:, read back equal
    text = cal.to_yaml()
    assert "max: 50h" in text
    again = load_blueprint(text)
    assert again.phase("ship").activities[0].duration == spec


def test_a_plausible_fit_does_not_warn():
    light = [50, 55, 58, 60, 61, 62, 64, 66, 70, 75]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        cal = calibrate(bp(), log_of(light), families=["lognormal"], truncate=True)
    assert push(cal).kind == "lognormal"


@pytest.mark.parametrize("bad", [0.5, float("inf"), True, "10"])
def test_tail_limit_is_checked(bad: object):
    with pytest.raises(PhasesimError, match="tail_limit must be a number of at least 1"):
        calibrate(bp(), log_of(MINUTES), tail_limit=bad)  # type: ignore[arg-type]


def test_cli_calibrate_truncate(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    (tmp_path / "bp.yaml").write_text(textwrap.dedent(BP), encoding="utf-8")
    log_of(MINUTES).to_csv(tmp_path / "log.csv", index=False)
    out = tmp_path / "cal.yaml"
    assert main(["calibrate", str(tmp_path / "bp.yaml"), str(tmp_path / "log.csv"), "-o",
                 str(out), "--truncate", "--tail-limit", "3"]) == 0
    err = capsys.readouterr().err
    assert "cut at max: 30h" in err  # 3 x 10 h
    spec = load_blueprint(out).phase("ship").activities[0].duration
    assert isinstance(spec, Truncated) and spec.max_h == 30.0


def test_max_spec_cdf_quantile_moments_by_hand():
    spec = parse_duration_spec({"exponential": {"mean": "1h"}, "max": "2h"})
    assert spec == Truncated(Exponential(mean_h=1.0), 2.0)
    fmax = 1 - np.exp(-2.0)
    # cdf F(x)/F(max) below max, 1 from there; quantile the base's at q * F(max)
    assert spec.cdf(1.0) == pytest.approx((1 - np.exp(-1.0)) / fmax)
    assert spec.cdf(2.0) == 1.0 and spec.cdf(5.0) == 1.0
    assert spec.quantile(0.5) == pytest.approx(-np.log(1 - 0.5 * fmax))
    assert spec.mean() == pytest.approx((1 - 3 * np.exp(-2.0)) / fmax)
    second = (2 - 10 * np.exp(-2.0)) / fmax  # E[X^2] of the cut exponential
    assert spec.sd() == pytest.approx(np.sqrt(second - spec.mean() ** 2))
    assert str(spec) == "exponential(mean=1h) max 2h"
    assert spec.scaled(3.0) == Truncated(Exponential(mean_h=3.0), 6.0)
    draws = spec.sample(np.random.default_rng(0), size=20_000)
    assert draws.max() <= 2.0 and draws.mean() == pytest.approx(spec.mean(), rel=0.02)
    # uniform(1h, 3h) cut at 2h is uniform(1h, 2h)
    cut = Truncated(Uniform(1.0, 3.0), 2.0)
    assert cut.mean() == pytest.approx(1.5) and cut.quantile(0.5) == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("data", "message"),
    [({"uniform": ["1h", "2h"], "max": "30m"},
      "duration max (30m) must be above the shortest duration of uniform(1h, 2h) (1h)"),
     ({"uniform": ["1h", "2h"], "max": "-1h"}, "duration max: a duration cannot be negative"),
     ({"fixed": "2h", "max": "3h"}, "max: cuts a distribution, not 2h"),
     ({"uniform": ["1h", "2h"], "max": "3h", "min": "1h"},
      "a duration mapping takes exactly one distribution")],
)
def test_max_is_validated(data: dict[str, Any], message: str):
    with pytest.raises(DurationSpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_duration_spec(data)


def test_the_sampler_never_exceeds_max_and_errors_point_at_the_line(tmp_path: Path):
    text = """\
        process:
          id: p
          phases:
            - phase:
                id: a
                activities:
                  - activity:
                      id: x
                      type: automated
                      duration: {lognormal: {median: 22m, p90: 4h}, max: 6h}
        """
    result = simulate(load_blueprint(textwrap.dedent(text)), releases=400, runs=1, seed=2,
                      cadence="daily", progress=False)
    work = result.log["work_h"]
    assert work.max() <= 6.0 and (work > 4.0).any()
    bad = tmp_path / "bad.yaml"
    bad.write_text(textwrap.dedent(text).replace("max: 6h", "max: 1x"), encoding="utf-8")
    with pytest.raises(phasesim.BlueprintError) as info:
        load_blueprint(bad)
    assert "bad.yaml:10:66:" in str(info.value)  # at the max: value
    assert "duration max: unknown unit 'x' in '1x'" in str(info.value)


def test_a_gate_is_judged_by_the_gate_percentile():
    # 1 of 3 approvers: P(gate <= x) = 1 - (1 - F(x))^3 = 0.999 at F(x) = 0.9, so the
    # gate's 99.9th percentile is one approver's 90th: the fitted lognormal's p90
    text = """\
        process:
          id: mini
          phases:
            - phase:
                id: ship
                activities:
                  - activity: {id: push, type: manual,
                               approval: {wait: 1h, approvers: 3, required: 1}}
        """
    log = log_of(MINUTES).assign(activity_type="approval")
    with pytest.warns(UserWarning, match=r"1-of-3 gate with the fitted wait") as caught:
        cal = calibrate(load_blueprint(textwrap.dedent(text)), log, families=["lognormal"])
    wait = cal.blueprint.phase("ship").activities[0].approval.wait
    assert wait.kind == "lognormal"
    assert f"99.9th percentile at {wait.p90:,.0f} h" in str(caught[0].message)
