"""Simulation results: plots (Agg), CLI, summaries, and the shared event-log contract."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Rectangle

import phasesim
from phasesim import load_blueprint, simulate
from phasesim.cli import main
from phasesim.eventlog import COLUMNS, read_log

#: every test here runs under both engines (see conftest.both_engines)
pytestmark = pytest.mark.usefixtures("both_engines")

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "data" / "blueprints" / "harness-system-release.yaml"
LA = "America/Los_Angeles"
CADENCE = {"freq": "weekly", "interval": 2, "weekday": "monday", "time": "09:00",
           "timezone": LA}


@pytest.fixture(scope="module")
def result() -> phasesim.SimulationResult:
    return simulate(HARNESS, releases=6, runs=4, cadence=CADENCE,
                    start=pd.Timestamp("2026-01-05 09:00", tz=LA), seed=3, progress=False)


def test_every_row_is_accounted_for(result: phasesim.SimulationResult):
    log = result.log
    parts = log[["wait_serialize_h", "wait_anchor_h", "wait_environment_h", "wait_team_h",
                 "offhours_h", "work_h"]].sum(axis=1)
    span = (log["end"] - log["ready"]).dt.total_seconds() / 3600
    np.testing.assert_allclose(parts, span, atol=1e-5)
    breakdown = result.wait_breakdown()
    np.testing.assert_allclose(breakdown.drop(columns=["lead_time_h", "status"]).sum(axis=1),
                               breakdown["lead_time_h"], atol=1e-5)


def test_simulated_log_is_an_event_log(result: phasesim.SimulationResult, tmp_path: Path):
    log = result.log
    assert list(log.columns[:len(COLUMNS)]) == list(COLUMNS)
    assert set(log["run"]) == {0, 1, 2, 3}
    # the history side reads it back and analyses it unchanged
    log.to_parquet(tmp_path / "sim.parquet")
    again = read_log(tmp_path / "sim.parquet")
    assert len(again) == len(log)
    lead = phasesim.lead_times(log).set_index(["run", "release_id"])
    rel = result.releases.set_index(["run", "release_id"])
    assert (lead["end"] == rel["end"]).all()
    stats = phasesim.phase_stats(log)
    assert set(stats["phase_id"]) >= {"branch_cut", "prod_3"}
    ranked = phasesim.bottlenecks(log, result.blueprint, n_boot=20)
    assert ranked["critical_share"].sum() == pytest.approx(1.0, abs=1e-6)


def test_summary_and_finish_dates(result: phasesim.SimulationResult):
    table = result.summary(target="25d")
    lt = result.lead_times
    assert table.loc["lead time P80", "value"] == pytest.approx(lt.quantile(0.8))
    assert table.loc["lead time mean", "ci_low"] <= lt.mean() <= table.loc["lead time mean",
                                                                           "ci_high"]
    assert table.loc["share within 25d", "value"] == pytest.approx((lt <= 600).mean())
    assert table.loc["lead time P50", "days"] == pytest.approx(lt.median() / 24)
    dates = result.finish_dates(target="25d")
    assert list(dates.index) == [f"R00{i}" for i in range(1, 7)]
    assert (dates["finish_p50"] <= dates["finish_p95"]).all()
    assert dates["p_on_time"].between(0, 1).all()
    html = result._repr_html_()
    assert "lead time P80" in html and "<table" in html
    assert "lead time P80" in repr(result)


def test_single_run_intervals_use_order_statistics():
    one = simulate(HARNESS, releases=30, runs=1, seed=1, progress=False)
    table = one.summary()
    low, high = table.loc["lead time P50", ["ci_low", "ci_high"]]
    assert low <= table.loc["lead time P50", "value"] <= high


def test_criticality_and_utilization(result: phasesim.SimulationResult):
    crit = result.criticality()
    assert crit["critical_share"].between(0, 1).all()
    assert crit.loc[("branch_cut", "cut_branches"), "critical_share"] == pytest.approx(1.0)
    total = crit["contribution_h"].sum()
    assert total == pytest.approx(
        (result.releases["end"] - result.releases["start"]).dt.total_seconds().mean() / 3600,
        rel=1e-6)
    np.testing.assert_allclose(crit["waiting_h"] + crit["working_h"], crit["contribution_h"])
    usage = result.utilization()
    assert usage["busy_share"].between(0, 1).all()
    assert ("team", "Developers") in usage.index
    weekly = result.utilization(freq="W")
    assert weekly.index.names == ["kind", "resource", "period"]


def test_simulation_plots_on_agg(result: phasesim.SimulationResult):
    for name in ("plot_lead_time", "plot_gantt", "plot_train", "plot_criticality",
                 "plot_utilization"):
        fig, ax = plt.subplots()
        assert getattr(result, name)(ax=ax) is ax, name
        plt.close(fig)
    fig, ax = plt.subplots()
    result.plot_lead_time(ax=ax, target="25d")
    assert len(ax.patches) == 40  # histogram bins
    assert len(ax.get_lines()) == 4  # P50, P80, P95, target
    plt.close(fig)
    fig, ax = plt.subplots()
    result.plot_criticality(ax=ax, top=5)
    assert len([p for p in ax.patches if isinstance(p, Rectangle)]) == 15  # 5 x 3 classes
    plt.close(fig)
    fig, ax = plt.subplots()
    result.plot_gantt(release_id="R001", run=0, ax=ax)
    rows = result.log[(result.log["run"] == 0) & (result.log["release_id"] == "R001")
                      & (result.log["status"] != "skipped")]
    assert len(ax.get_yticklabels()) == len(rows)
    plt.close(fig)
    ax = phasesim.plot_lead_time_distribution(result.log)  # an event log works too
    assert ax.get_xlabel() == "lead time (days)"
    plt.close("all")


def test_cli_simulate(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "sim.csv"
    code = main(["simulate", str(HARNESS), "--releases", "3", "--runs", "2", "--seed", "7",
                 "--cadence", "every 2w", "--out", str(out), "--plots", str(tmp_path / "p"),
                 "--no-progress", "--target", "25d"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "lead time P80" in printed and "share within 25d" in printed
    frame = pd.read_csv(out)
    assert set(frame["run"]) == {0, 1}
    assert len(list((tmp_path / "p").glob("*.png"))) == 5
    # same seed, same numbers as the library
    lib = simulate(HARNESS, releases=3, runs=2, seed=7, cadence="every 2w", progress=False)
    assert len(frame) == len(lib.log)


def test_cli_simulate_errors_are_messages(capsys: pytest.CaptureFixture[str]):
    assert main(["simulate", str(HARNESS), "--cadence", "fortnighty", "--runs", "1",
                 "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "unknown cadence 'fortnighty'" in err and "Traceback" not in err
    assert main(["simulate", str(HARNESS), "--out", "x.json", "--runs", "1"]) == 1
    assert "--out must end in .parquet or .csv" in capsys.readouterr().err


def test_cadences():
    start = pd.Timestamp("2026-03-02 09:00", tz="Europe/Berlin")
    bp = load_blueprint(textwrap.dedent("""\
        phase: {id: p, activities: [{activity: {id: a, type: automated, duration: 1h}}]}
        """))

    def starts(cadence: object, n: int = 3) -> list[str]:
        res = simulate(bp, releases=n, runs=1, cadence=cadence, start=start, seed=1,
                       progress=False)
        return [t.tz_convert("Europe/Berlin").strftime("%a %Y-%m-%d %H:%M")
                for t in res.releases["scheduled"]]

    # weekly from a zone-aware start keeps 09:00 Berlin across the DST change (03-29)
    assert starts("weekly", 5)[-2:] == ["Mon 2026-03-23 09:00", "Mon 2026-03-30 09:00"]
    assert starts("every 2w") == ["Mon 2026-03-02 09:00", "Mon 2026-03-16 09:00",
                                  "Mon 2026-03-30 09:00"]
    assert starts({"freq": "weekly", "weekday": "thursday", "time": "14:00",
                   "timezone": "Europe/Berlin"}) == [
        "Thu 2026-03-05 14:00", "Thu 2026-03-12 14:00", "Thu 2026-03-19 14:00"]
    assert starts("monthly") == ["Mon 2026-03-02 09:00", "Thu 2026-04-02 09:00",
                                 "Sat 2026-05-02 09:00"]
    assert starts("every 36h") == ["Mon 2026-03-02 09:00", "Tue 2026-03-03 21:00",
                                   "Thu 2026-03-05 09:00"]
    explicit = [pd.Timestamp("2026-03-10 08:00", tz="UTC"),
                pd.Timestamp("2026-03-04 08:00", tz="UTC")]
    assert starts(explicit, 2) == ["Wed 2026-03-04 09:00", "Tue 2026-03-10 09:00"]
    random = simulate(bp, releases=2000, runs=1, start=start, seed=4, progress=False,
                      cadence={"interarrival": {"exponential": {"mean": "2d"}}})
    gaps = random.releases["scheduled"].diff().dt.total_seconds().dropna() / 3600
    assert gaps.mean() == pytest.approx(48.0, rel=0.06)
    for bad, message in (("every 0h", "positive"), ({"freq": "yearly"}, "freq"),
                         ({"interval": 0}, "interval"), ({"weekday": "thurs day"}, "weekday")):
        with pytest.raises(phasesim.PhasesimError, match=message):
            simulate(bp, releases=1, runs=1, cadence=bad, start=start, progress=False)


def test_simulated_log_read_back_from_parquet_is_not_unsorted(result, tmp_path: Path):
    from phasesim.eventlog import audit_table

    path = tmp_path / "sim.parquet"
    result.log.to_parquet(path, index=False)
    table = audit_table(read_log(path)).set_index("rule")
    assert table.loc["unsorted", "count"] == 0
    # the log is listed by run, release and start, as read_log lists one
    log = result.log
    assert log["run"].is_monotonic_increasing
    for _, rows in log.groupby(["run", "release_id"], sort=False):
        started = rows["start"].dropna()
        assert started.is_monotonic_increasing
        assert rows["start"].isna().to_numpy()[len(started):].all()  # never started: last
    keys = list(zip(log["run"], log["release_id"], strict=True))
    assert keys == sorted(keys)


def test_cause_still_names_the_row_whose_end_made_a_row_ready(result):
    log = result.log
    by_row = log.set_index(["run", "row"])
    caused = log[log["cause"] >= 0]
    assert len(caused) > 100
    cause_end = by_row.loc[list(zip(caused["run"], caused["cause"], strict=True)), "end"]
    assert (cause_end.to_numpy() == caused["ready"].to_numpy()).all()
