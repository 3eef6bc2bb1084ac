"""Simulator against values worked out by hand or by theory."""

from __future__ import annotations

import textwrap
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from phasesim import load_blueprint
from phasesim.simulation import simulate

#: every test here runs under both engines (see conftest.both_engines)
pytestmark = pytest.mark.usefixtures("both_engines")

DATA = Path(__file__).parent / "data"
BERLIN = "Europe/Berlin"


def _local(log: pd.DataFrame, release: str) -> list[tuple[str, str, str, str, str]]:
    rows = log[log["release_id"] == release].sort_values(["start", "end", "activity_id"])
    fmt = "%a %m-%d %H:%M"
    return [(r.activity_id, r.ready.tz_convert(BERLIN).strftime(fmt),
             r.start.tz_convert(BERLIN).strftime(fmt), r.end.tz_convert(BERLIN).strftime(fmt),
             r.status) for r in rows.itertuples()]


def test_hand_worked_two_week_train():
    # Office hours Mon-Fri 09-17 Berlin, Friday 2026-01-16 a holiday. Releases start
    # Mondays 08:00 Berlin, a week apart. Worked by hand:
    #  R1 branch waits for the phase anchor Mon 09:00; fixes 12h of Dev work from Mon 11:30
    #  is 5.5h Mon + 6.5h Tue -> Tue 15:30; cutoff waits for Thu 12:00; regression 3h;
    #  approval 2h of office time until Thu 17:00; prod waits for Mon 09:00 (weekend);
    #  deploy 1h, soak 3 days of wall clock to Thu 10:00; verify 16h of QA work:
    #  Thu 10-17 (7h), Fri holiday, weekend, Mon 9-17 (8h), Tue 9-10 (1h) -> Tue 10:00.
    #  R2 runs a week later the same way until prod, whose environment R1 holds until
    #  Tue 01-20 10:00: deploy 10-11, soak to Fri 11:00, verify Fri 11-17 (6h), Mon (8h),
    #  Tue 9-11 (2h) -> Tue 01-27 11:00.
    result = simulate(DATA / "train.yaml", releases=2, cadence="weekly",
                      start=pd.Timestamp("2026-01-05 08:00", tz=BERLIN), runs=1, seed=1,
                      progress=False)
    assert _local(result.log, "R001") == [
        ("branch", "Mon 01-05 08:00", "Mon 01-05 09:00", "Mon 01-05 09:30", "succeeded"),
        ("build", "Mon 01-05 09:30", "Mon 01-05 09:30", "Mon 01-05 11:30", "succeeded"),
        ("fixes", "Mon 01-05 11:30", "Mon 01-05 11:30", "Tue 01-06 15:30", "succeeded"),
        ("cutoff", "Tue 01-06 15:30", "Thu 01-08 12:00", "Thu 01-08 12:00", "succeeded"),
        ("regression", "Thu 01-08 12:00", "Thu 01-08 12:00", "Thu 01-08 15:00", "succeeded"),
        ("approve", "Thu 01-08 15:00", "Thu 01-08 15:00", "Thu 01-08 17:00", "succeeded"),
        ("deploy", "Thu 01-08 17:00", "Mon 01-12 09:00", "Mon 01-12 10:00", "succeeded"),
        ("soak", "Mon 01-12 10:00", "Mon 01-12 10:00", "Thu 01-15 10:00", "succeeded"),
        ("verify", "Thu 01-15 10:00", "Thu 01-15 10:00", "Tue 01-20 10:00", "succeeded"),
    ]
    assert _local(result.log, "R002") == [
        ("branch", "Mon 01-12 08:00", "Mon 01-12 09:00", "Mon 01-12 09:30", "succeeded"),
        ("build", "Mon 01-12 09:30", "Mon 01-12 09:30", "Mon 01-12 11:30", "succeeded"),
        ("fixes", "Mon 01-12 11:30", "Mon 01-12 11:30", "Tue 01-13 15:30", "succeeded"),
        ("cutoff", "Tue 01-13 15:30", "Thu 01-15 12:00", "Thu 01-15 12:00", "succeeded"),
        ("regression", "Thu 01-15 12:00", "Thu 01-15 12:00", "Thu 01-15 15:00", "succeeded"),
        ("approve", "Thu 01-15 15:00", "Thu 01-15 15:00", "Thu 01-15 17:00", "succeeded"),
        ("deploy", "Thu 01-15 17:00", "Tue 01-20 10:00", "Tue 01-20 11:00", "succeeded"),
        ("soak", "Tue 01-20 11:00", "Tue 01-20 11:00", "Fri 01-23 11:00", "succeeded"),
        ("verify", "Fri 01-23 11:00", "Fri 01-23 11:00", "Tue 01-27 11:00", "succeeded"),
    ]
    log = result.log.set_index(["release_id", "activity_id"])
    # the waits behind those timestamps
    assert log.loc[("R001", "cutoff"), "wait_anchor_h"] == pytest.approx(44.5)
    assert log.loc[("R001", "deploy"), "wait_anchor_h"] == pytest.approx(88.0)
    assert log.loc[("R002", "deploy"), "wait_anchor_h"] == pytest.approx(88.0)
    assert log.loc[("R002", "deploy"), "wait_environment_h"] == pytest.approx(25.0)
    assert log.loc[("R001", "fixes"), "offhours_h"] == pytest.approx(16.0)
    assert log.loc[("R001", "verify"), "offhours_h"] == pytest.approx(120 - 16)
    assert log.loc[("R001", "approve"), "activity_type"] == "approval"
    rel = result.releases.set_index("release_id")
    assert rel.loc["R001", "lead_time_h"] == pytest.approx(15 * 24 + 2)
    assert rel.loc["R002", "lead_time_h"] == pytest.approx(15 * 24 + 3)
    # every hour of each lead time is accounted for along the critical path
    breakdown = result.wait_breakdown()
    parts = breakdown.drop(columns=["lead_time_h", "status"]).sum(axis=1)
    np.testing.assert_allclose(parts, breakdown["lead_time_h"], atol=1e-6)
    r2 = breakdown.loc[(0, "R002")]
    assert r2["environment"] == pytest.approx(25.0)
    assert r2["anchor"] == pytest.approx(1 + 44.5 + 88.0)
    assert r2["approval"] == pytest.approx(2.0)


def test_contention_for_a_single_member_team():
    bp = textwrap.dedent("""\
        process:
          id: contention
          teams: {Ops: {capacity: 1}}
          phases:
            - phase:
                id: work
                owners: [Ops]
                activities:
                  - activity: {id: task, type: manual, duration: 5h}
        """)
    start = pd.Timestamp("2026-03-02 10:00", tz="UTC")
    result = simulate(load_blueprint(bp), releases=2, cadence=[start, start], start=start,
                      runs=1, seed=3, progress=False)
    log = result.log.set_index("release_id")
    assert log.loc["R001", "start"] == start
    assert log.loc["R002", "start"] == start + pd.Timedelta(hours=5)
    assert log.loc["R002", "wait_team_h"] == pytest.approx(5.0)
    waits = result.wait_breakdown().loc[0]
    assert waits.loc["R002", "team"] == pytest.approx(5.0)
    assert waits.loc["R002", "work"] == pytest.approx(5.0)
    assert waits.loc["R001", "team"] == 0.0
    usage = result.utilization()
    assert usage.loc[("team", "Ops"), "busy_share"] == pytest.approx(1.0)
    assert usage.loc[("team", "Ops"), "wait_mean_h"] == pytest.approx(2.5)


def test_mm1_queue_wait_matches_theory():
    # arrivals Poisson(lambda = 0.5/h), one server, exponential work with mu = 1/h:
    # Wq = lambda / (mu (mu - lambda)) = 1 hour
    bp = textwrap.dedent("""\
        process:
          id: mm1
          teams: {Server: {capacity: 1}}
          phases:
            - phase:
                id: serve
                owners: [Server]
                activities:
                  - activity: {id: job, type: manual, duration: {exponential: {mean: 1h}}}
        """)
    result = simulate(load_blueprint(bp), releases=6000, runs=8, seed=11, progress=False,
                      cadence={"interarrival": {"exponential": {"mean": "2h"}}})
    usage = result.usage
    waits = usage[usage["resource"] == "Server"]["wait_h"]
    assert len(waits) == 48_000
    assert waits.mean() == pytest.approx(1.0, rel=0.05)
    # and the lead time of a release is wait plus service: W = 1/(mu - lambda) = 2 h
    assert result.releases["lead_time_h"].mean() == pytest.approx(2.0, rel=0.05)


def _numpy_longest_path(bp_graph: nx.DiGraph, samples: dict[str, np.ndarray]) -> np.ndarray:
    finish: dict[str, np.ndarray] = {}
    for node in nx.topological_sort(bp_graph):
        preds = list(bp_graph.predecessors(node))
        start = np.max([finish[p] for p in preds], axis=0) if preds else 0.0
        finish[node] = start + samples[node]
    return np.max(list(finish.values()), axis=0)


def test_resource_free_dag_matches_numpy_longest_path():
    bp = load_blueprint(textwrap.dedent("""\
        process:
          id: dag
          phases:
            - phase:
                id: build
                activities:
                  - activity: {id: compile, type: automated, duration: {triangular: [1h, 2h, 4h]}}
            - phase:
                id: checks
                depends-on: [build]
                activities:
                  - activity: {id: unit, type: automated,
                               duration: {lognormal: {median: 2h, p90: 5h}}}
                  - activity: {id: scan, type: automated, duration: {gamma: {mean: 3h, sd: 1h}}}
                  - activity: {id: e2e, type: automated, duration: {pert: [1h, 2h, 6h]},
                               depends-on: [unit]}
            - phase:
                id: ship
                depends-on: [checks]
                activities:
                  - activity: {id: deploy, type: automated, duration: {uniform: [30m, 1h30m]}}
        """))
    result = simulate(bp, releases=500, cadence="daily", runs=8, seed=5, progress=False)
    simulated = result.releases["lead_time_h"].to_numpy()
    rng = np.random.default_rng(2024)
    n = 200_000
    samples = {node: data["activity"].duration.sample(rng, n)
               for node, data in bp.graph.nodes(data=True)}
    reference = _numpy_longest_path(bp.graph, samples)
    se = reference.std() / np.sqrt(len(simulated))
    assert abs(simulated.mean() - reference.mean()) < 4 * se
    assert np.quantile(simulated, 0.9) == pytest.approx(np.quantile(reference, 0.9), rel=0.03)


def test_freeze_blocks_production_starts():
    bp = load_blueprint(textwrap.dedent("""\
        process:
          id: frozen
          calendars:
            ops: {timezone: UTC, freezes: [[2026-12-21, 2027-01-01]]}
          environments:
            prod: {capacity: 1, production: true, calendar: ops}
            staging: {capacity: 1}
          phases:
            - phase:
                id: stage
                uses: [staging]
                activities:
                  - activity: {id: deploy, type: automated, duration: 1h}
            - phase:
                id: release
                depends-on: [stage]
                uses: [prod]
                activities:
                  - activity: {id: deploy, type: automated, duration: 1h}
        """))
    start = pd.Timestamp("2026-12-22 10:00", tz="UTC")
    result = simulate(bp, releases=1, cadence=[start], start=start, runs=1, seed=1,
                      progress=False)
    log = result.log.set_index("phase_id")
    # staging is not production: it deploys inside the freeze
    assert log.loc["stage", "start"] == start
    # production waits for the end of the freeze: 2027-01-02 00:00
    assert log.loc["release", "start"] == pd.Timestamp("2027-01-02 00:00", tz="UTC")
    assert log.loc["release", "wait_environment_h"] == pytest.approx(
        (pd.Timestamp("2027-01-02", tz="UTC") - start).total_seconds() / 3600 - 1)
