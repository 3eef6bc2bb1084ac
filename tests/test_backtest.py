"""Backtest: calibrated on a log simulated from the truth it covers as promised; when the
process changes it does not; and no origin sees what came after it."""

import numpy as np
import pandas as pd
import pytest

import phasesim as ps
from phasesim.backtesting import backtest, log_as_of

TRUTH = """
process:
  id: two_steps
  phases:
    - phase:
        id: build
        activities:
          - activity:
              id: compile
              type: automated
              duration: {lognormal: {median: %(a)s, p90: %(a90)s}}
    - phase:
        id: ship
        depends-on: [build]
        activities:
          - activity:
              id: deploy
              type: automated
              duration: {lognormal: {median: %(b)s, p90: %(b90)s}}
"""


def _blueprint(tmp_path, name, scale=1):
    path = tmp_path / f"{name}.yaml"
    path.write_text(TRUTH % {"a": f"{10 * scale}h", "a90": f"{20 * scale}h",
                             "b": f"{4 * scale}h", "b90": f"{6 * scale}h"})
    return path


def _history(blueprint, releases, start, seed, prefix):
    log = ps.simulate(blueprint, releases=releases, cadence="daily", start=start, runs=1,
                      seed=seed, progress=False).log
    ids = {r: f"{prefix}{i:03d}" for i, r in enumerate(pd.unique(log["release_id"]))}
    return log.assign(release_id=log["release_id"].map(ids).astype("string"))


@pytest.fixture(scope="module")
def truth(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bt")
    bp = _blueprint(tmp, "truth")
    return bp, _history(bp, 60, "2026-01-05 09:00", 11, "R")


ORIGINS = [f"2026-0{m}-{d:02d} 12:00Z" for m, d in ((1, 20), (1, 27), (2, 3), (2, 10),
                                                      (2, 17), (2, 24))]


def test_backtest_on_the_truth_covers_p80_within_its_binomial_interval(truth):
    bp, log = truth
    bt = backtest(log, blueprint=bp, origins=ORIGINS, horizon="4d", runs=300, seed=3,
                  progress=False)
    t = bt.table
    # Each origin: the release in flight (lead ~ 14 h, daily starts) and 4 future ones.
    assert (bt.origins["scored"] >= 4).all()
    n = int(t.at["model", "n"])
    assert n == len(bt.forecasts) >= 24
    assert t.at["model", "coverage_p80_low"] <= 0.8 <= t.at["model", "coverage_p80_high"]
    assert t.at["model", "coverage_p95_low"] <= 0.95 <= t.at["model", "coverage_p95_high"]
    # Quantiles are ordered, the lead times are the log's own.
    f = bt.forecasts
    assert (f["model_p50_h"] <= f["model_p80_h"]).all()
    assert (f["model_p80_h"] <= f["model_p95_h"]).all()
    lt = ps.lead_times(log).set_index("release_id")["lead_time_h"]
    np.testing.assert_allclose(f["actual_lead_h"], lt.loc[f["release_id"]].to_numpy())
    rel = bt.reliability()
    assert list(rel["nominal"]) == [0.5, 0.8, 0.95] * 2
    assert set(bt.distances["measure"]) == {"cycle_time_emd", "case_arrival_emd",
                                            "circadian_emd", "3-gram_distance"}
    assert "P80 covered" in bt.summary() and "<table" in bt._repr_html_()
    shown = bt._shown()
    assert list(shown["releases scored"]) == [n, n]
    assert shown["mean CRPS (days)"].iloc[0] == round(t.at["model", "crps_h"] / 24, 2)
    assert shown["P80 coverage"].iloc[0] == (
        f"{t.at['model', 'coverage_p80']:.0%} [{t.at['model', 'coverage_p80_low']:.0%}–"
        f"{t.at['model', 'coverage_p80_high']:.0%}]")


def test_backtest_fails_when_durations_double_halfway(truth, tmp_path):
    bp, before = truth
    slow = _blueprint(tmp_path, "slow", scale=2)
    after = _history(slow, 40, "2026-03-06 09:00", 12, "S")
    log = pd.concat([before, after], ignore_index=True)
    origins = ["2026-03-10 12:00Z", "2026-03-17 12:00Z", "2026-03-24 12:00Z"]
    bt = backtest(log, blueprint=bp, origins=origins, horizon="4d", runs=300, seed=3,
                  progress=False)
    t = bt.table
    # Calibrated mostly on the fast half, the model is far too optimistic.
    assert t.at["model", "coverage_p80_high"] < 0.8
    assert t.at["model", "p50_bias_d"] < 0


def test_no_origin_sees_the_future(truth):
    bp, log = truth
    early, late = pd.Timestamp("2026-01-27 12:00Z"), pd.Timestamp("2026-02-10 12:00Z")
    corrupt = log.copy()
    after = corrupt["start"] >= early
    running = (corrupt["start"] < early) & (corrupt["end"] > early)
    # Everything after `early`: durations tripled, and the running work ends later too.
    span = corrupt["end"] - corrupt["start"]
    corrupt.loc[after, "end"] = corrupt.loc[after, "start"] + 3 * span[after]
    corrupt.loc[running, "end"] = corrupt.loc[running, "end"] + pd.Timedelta("5h")
    pd.testing.assert_frame_equal(log_as_of(corrupt, early), log_as_of(log, early))
    kw = {"blueprint": bp, "origins": [early, late], "horizon": "3d", "runs": 100,
          "seed": 5, "progress": False, "distances": False}
    a, b = backtest(log, **kw).forecasts, backtest(corrupt, **kw).forecasts
    cols = ["release_id", "model_p50_h", "model_p80_h", "model_p95_h", "baseline_p50_h"]
    pd.testing.assert_frame_equal(a.loc[a.origin == early, cols].reset_index(drop=True),
                                  b.loc[b.origin == early, cols].reset_index(drop=True))
    # ... while the later origin, which has seen the tripled durations, forecasts longer.
    assert (b.loc[b.origin == late, "model_p50_h"].mean()
            > 1.5 * a.loc[a.origin == late, "model_p50_h"].mean())


def test_bad_arguments_are_clear_errors(truth):
    bp, log = truth
    with pytest.raises(ps.PhasesimError, match="no timezone"):
        backtest(log, blueprint=bp, origins=["2026-02-01"], progress=False)
    with pytest.raises(ps.PhasesimError, match="'monthly', 'weekly'"):
        backtest(log, blueprint=bp, origins="yearly", progress=False)
    with pytest.raises(ps.PhasesimError, match="horizon"):
        backtest(log, blueprint=bp, horizon="soon", progress=False)
    with pytest.raises(ps.PhasesimError, match="min_history=100"):
        backtest(log, blueprint=bp, min_history=100, progress=False)


def test_without_a_blueprint_each_origin_discovers_one(truth):
    _, log = truth
    bt = backtest(log, origins=ORIGINS[-2:], horizon="3d", runs=200, seed=1,
                  progress=False, distances=False)
    assert bt.fitted == "discovered"
    assert (bt.origins["scored"] >= 3).all()
    # The discovered two-step model forecasts the lead time (median about 14 h) to
    # within a few hours on average.
    assert bt.table.at["model", "p50_abs_error_d"] * 24 < 6


def test_cli_backtest_prints_the_table_and_writes_csv_and_png(truth, tmp_path, capsys):
    from phasesim.cli import main

    bp, log = truth
    csv = tmp_path / "log.csv"
    log.to_csv(csv, index=False)
    out, png = tmp_path / "bt.csv", tmp_path / "bt.png"
    code = main(["backtest", str(csv), "--blueprint", str(bp), "--origins",
                 ",".join(ORIGINS[-2:]), "--horizon", "3d", "--runs", "100", "--seed", "2",
                 "-o", str(out), "--plot", str(png)])
    text = capsys.readouterr().out
    assert code == 0
    assert "P80 covered" in text and "baseline (past lead times)" in text
    scored = pd.read_csv(out)
    assert len(scored) >= 6 and set(scored["kind"]) == {"in_flight", "future"}
    assert png.stat().st_size > 10_000
    assert main(["backtest", str(csv), "--origins", "2026-02-01"]) == 1
    assert "no timezone" in capsys.readouterr().err


def test_until_scores_the_time_to_a_phase_end(truth):
    bp, log = truth
    bt = backtest(log, blueprint=bp, origins=ORIGINS[-2:], horizon="3d", runs=300,
                  seed=4, until="build", progress=False, distances=False)
    f = bt.forecasts
    assert len(f) >= 6
    build = log[log["phase_id"] == "build"].set_index("release_id")
    expected = (build["end"] - build["start"]).dt.total_seconds() / 3600
    np.testing.assert_allclose(f["actual_lead_h"], expected.loc[f["release_id"]].to_numpy())
    # The build alone is the compile step: lognormal, median 10 h (the release's is ~14 h).
    future = f[f["kind"] == "future"]
    assert future["model_p50_h"].between(8.5, 11.5).all()
    with pytest.raises(ps.PhasesimError, match="not a phase of the log"):
        backtest(log, blueprint=bp, until="nope", progress=False)


def test_report_has_a_backtest_section_when_given_one(truth, tmp_path):
    bp, log = truth
    bt = backtest(log, blueprint=bp, origins=ORIGINS[-2:], horizon="3d", runs=100, seed=2,
                  progress=False, distances=False)
    html = ps.render_report(log, n_boot=50, backtest=bt)
    section = html[html.index("<h2>Backtest"):html.index("<h2>Method")]
    assert "baseline (past lead times)" in section
    assert f"{bt.table.at['model', 'coverage_p80']:.0%} [" in section
    assert section.count("<img") == 2
    assert "<h2>Backtest" not in ps.render_report(log, n_boot=50)


def test_repr_is_the_summary_and_table_not_the_frames(truth):
    bp, log = truth
    bt = backtest(log, blueprint=bp, origins=ORIGINS[-1:], horizon="2d", runs=50, seed=2,
                  progress=False, distances=False)
    text = repr(bt)
    assert text.startswith("<Backtest: calibrated model, horizon 2 d, 50 runs per forecast>")
    assert bt.summary() in text and "forecasts=" not in text
