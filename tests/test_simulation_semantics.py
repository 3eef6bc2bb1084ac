"""Each simulation rule pinned by a small deterministic scenario, plus properties."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phasesim import PhasesimError, load_blueprint
from phasesim.calendars import Calendar, WeeklyAnchor, to_epoch_hours
from phasesim.simulation import simulate

#: every test here runs under both engines (see conftest.both_engines)
pytestmark = pytest.mark.usefixtures("both_engines")

START = pd.Timestamp("2026-03-02 10:00", tz="UTC")  # a Monday


def run(text: str, releases: int = 1, **kwargs: object):
    options = {"cadence": "weekly", "start": START, "runs": 1, "seed": 1, "progress": False}
    options.update(kwargs)
    return simulate(load_blueprint(textwrap.dedent(text)), releases=releases,
                    **options)  # type: ignore[arg-type]


def hours(a: pd.Timestamp, b: pd.Timestamp) -> float:
    return (b - a).total_seconds() / 3600


def test_if_false_skips_with_zero_length_and_dependents_proceed():
    result = run("""\
        process:
          id: p
          inputs: {env: {type: string, default: staging}}
          phases:
            - phase:
                id: a
                activities:
                  - activity: {id: x, type: automated, duration: 1h}
                  - activity: {id: prodonly, type: automated, duration: 5h, depends-on: [x],
                               if: <+releaseInput.env> == "production"}
                  - activity: {id: y, type: automated, duration: 2h, depends-on: [prodonly]}
        """)
    log = result.log.set_index("activity_id")
    assert log.loc["prodonly", "status"] == "skipped"
    assert log.loc["prodonly", "start"] == log.loc["prodonly", "end"] == START + \
        pd.Timedelta(hours=1)
    assert log.loc["y", "end"] == START + pd.Timedelta(hours=3)
    prod = simulate(result.blueprint, releases=1, cadence="weekly", start=START, runs=1,
                    seed=1, progress=False, inputs={"env": "production"})
    assert prod.releases["lead_time_h"].iloc[0] == pytest.approx(8.0)


REJECT = """\
    process:
      id: p
      phases:
        - phase:
            id: work
            activities:
              - activity: {id: fix, type: automated, duration: 2h}
        - phase:
            id: gate
            depends-on: [work]
            activities:
              - activity: {id: check, type: automated, duration: 1h}
              - activity:
                  id: approve
                  type: manual
                  depends-on: [check]
                  approval: {wait: 30m, approvers: 1, required: 1,
                             reject: {probability: %s, goto: work}}
    """


def test_rejection_sends_back_to_goto_as_new_attempts():
    result = run(REJECT % 0.5, releases=40, cadence="daily")
    log = result.log
    rejected = log[log["status"] == "rejected"]
    assert len(rejected) > 5
    for rel_id in rejected["release_id"].unique()[:5]:
        rows = log[log["release_id"] == rel_id].sort_values("start")
        n_rejections = int((rows["status"] == "rejected").sum())
        # each rejection reruns fix and check (goto 'work' up to the gate), then the gate
        assert (rows["activity_id"] == "fix").sum() == n_rejections + 1
        assert (rows["activity_id"] == "check").sum() == n_rejections + 1
        assert list(rows[rows["activity_id"] == "fix"]["attempt"]) == list(
            range(1, n_rejections + 2))
        # each pass takes 2 + 1 + 0.5 hours
        lead = result.releases.set_index("release_id").loc[rel_id, "lead_time_h"]
        assert lead == pytest.approx(3.5 * (n_rejections + 1))
        first_fix_again = rows[(rows["activity_id"] == "fix") & (rows["attempt"] == 2)]
        first_reject = rows[rows["status"] == "rejected"].iloc[0]
        assert first_fix_again["ready"].iloc[0] == first_reject["end"]
        assert first_fix_again["rework"].iloc[0]
    # everything after the first pass's fix and check (3 h) is rework: the rejected
    # passes and all that ran again
    waits = result.wait_breakdown()
    reworked = waits[waits["rework"] > 0]
    np.testing.assert_allclose(reworked["rework"], reworked["lead_time_h"] - 3.0)
    np.testing.assert_allclose(reworked["work"], 3.0)


def test_rework_cap_aborts_and_is_reported():
    result = run(REJECT % 1.0, releases=2, max_rework=3)
    rel = result.releases
    assert (rel["status"] == "aborted").all()
    assert rel["capped"].all()
    assert rel["reason"].str.contains("rework cap of 3").all()
    assert (rel["rework"] == 4).all()
    assert result.summary().loc["share aborted", "value"] == 1.0


FAIL = """\
    process:
      id: p
      phases:
        - phase:
            id: deploy
            activities:
              - activity:
                  id: push
                  type: automated
                  duration: 1h
                  failure: {probability: %s, retries: %d, on-failure: %s}
              - activity: {id: verify, type: automated, duration: 1h, depends-on: [push]}
        - phase:
            id: rollback
            rollback: true
            %s
            activities:
              - activity: {id: revert, type: automated, duration: 2h}
    """


def test_failure_retries_then_aborts():
    result = run(FAIL % (1.0, 2, "abort", ""))
    log = result.log
    assert list(log["status"]) == ["failed", "failed", "failed"]
    assert list(log["attempt"]) == [1, 2, 3]
    assert result.releases["status"].iloc[0] == "aborted"
    assert "failed 3 time(s)" in result.releases["reason"].iloc[0]
    assert result.releases["lead_time_h"].iloc[0] == pytest.approx(3.0)


def test_failure_runs_rollback_phase_and_release_fails():
    result = run(FAIL % (1.0, 0, "rollback", ""))
    log = result.log
    assert list(zip(log["activity_id"], log["status"], strict=True)) == [
        ("push", "failed"), ("revert", "succeeded")]
    assert log.iloc[1]["ready"] == log.iloc[0]["end"]
    assert result.releases["status"].iloc[0] == "failed"
    assert result.releases["lead_time_h"].iloc[0] == pytest.approx(3.0)


def test_resume_retries_after_the_rollback_phase():
    result = run(FAIL % (0.5, 0, "rollback", "resume: true"), releases=30, cadence="daily")
    log = result.log
    assert (result.releases["status"] == "succeeded").all()
    for rel_id, rows in log.groupby("release_id"):
        fails = int(((rows["activity_id"] == "push") & (rows["status"] == "failed")).sum())
        assert (rows["activity_id"] == "revert").sum() == fails
        lead = result.releases.set_index("release_id").loc[rel_id, "lead_time_h"]
        assert lead == pytest.approx(2.0 + 3.0 * fails), rel_id
    assert (log["status"] == "failed").sum() > 5


def test_max_in_flight_holds_releases_back():
    text = """\
        process:
          id: p
          phases:
            - phase:
                id: a
                activities:
                  - activity: {id: x, type: automated, duration: 30h}
        """
    result = run(text, releases=3, cadence="daily", max_in_flight=1)
    rel = result.releases
    assert list(rel["start"]) == [START, START + pd.Timedelta(hours=30),
                                  START + pd.Timedelta(hours=60)]
    assert list(rel["lead_time_h"]) == pytest.approx([30.0, 30 + 6, 30 + 12])
    waits = result.wait_breakdown()
    assert list(waits["in_flight"]) == pytest.approx([0.0, 6.0, 12.0])


def test_serialize_keeps_production_rollouts_apart():
    text = """\
        process:
          id: p
          phases:
            - phase:
                id: build
                activities:
                  - activity: {id: x, type: automated, duration: 1h}
            - phase:
                id: rollout
                depends-on: [build]
                activities:
                  - activity: {id: y, type: automated, duration: 10h}
        """
    free = run(text, releases=2, cadence="every 2h")
    serial = run(text, releases=2, cadence="every 2h", serialize=["rollout"])
    y_free = free.log[free.log["activity_id"] == "y"].set_index("release_id")
    y_serial = serial.log[serial.log["activity_id"] == "y"].set_index("release_id")
    assert y_free.loc["R002", "start"] == START + pd.Timedelta(hours=3)
    assert y_serial.loc["R002", "start"] == START + pd.Timedelta(hours=11)
    assert y_serial.loc["R002", "wait_serialize_h"] == pytest.approx(8.0)
    with pytest.raises(PhasesimError, match="serialize names unknown phase"):
        run(text, serialize=["rollot"])


def test_approval_k_of_n_uses_kth_wait_in_calendar_hours():
    result = run("""\
        process:
          id: p
          calendars: {office: {timezone: UTC, hours: Mon-Fri 09:00-17:00}}
          teams: {Board: {capacity: 1, calendar: office}}
          phases:
            - phase:
                id: g
                owners: [Board]
                activities:
                  - activity:
                      id: vote
                      type: manual
                      approval: {wait: {empirical: [1h, 5h, 9h]}, approvers: 3, required: 2}
        """, releases=200, cadence="daily")
    log = result.log
    # 2nd smallest of 3 draws from {1, 5, 9}: working hours of the gate
    assert set(np.round(log["work_h"], 9)) <= {1.0, 5.0, 9.0}
    office = Calendar("office", "UTC", "Mon-Fri 09:00-17:00")
    for row in log.head(20).itertuples():
        expected = office.add_working_hours(row.start, row.work_h)
        assert row.end == expected


def test_subprocess_runs_nested_process(tmp_path):
    (tmp_path / "child.yaml").write_text(textwrap.dedent("""\
        process:
          id: child
          phases:
            - phase:
                id: checks
                activities:
                  - activity: {id: smoke, type: automated, duration: 2h}
                  - activity: {id: report, type: automated, duration: 1h, depends-on: [smoke]}
        """))
    (tmp_path / "parent.yaml").write_text(textwrap.dedent("""\
        process:
          id: parent
          phases:
            - phase:
                id: main
                activities:
                  - activity: {id: build, type: automated, duration: 1h}
                  - activity: {id: sanity, type: subprocess, process: child.yaml,
                               depends-on: [build]}
                  - activity: {id: ship, type: automated, duration: 1h, depends-on: [sanity]}
        """))
    result = simulate(tmp_path / "parent.yaml", releases=1, start=START, runs=1, seed=1,
                      progress=False)
    log = result.log.set_index(["phase_id", "activity_id"])
    assert log.loc[("main", "sanity"), "activity_type"] == "subprocess"
    assert hours(log.loc[("main", "sanity"), "start"], log.loc[("main", "sanity"), "end"]) \
        == pytest.approx(3.0)
    assert log.loc[("main.sanity/checks", "smoke"), "start"] == START + pd.Timedelta(hours=1)
    assert result.releases["lead_time_h"].iloc[0] == pytest.approx(5.0)


def test_same_seed_same_log_whatever_the_workers():
    bp = "data/blueprints/harness-system-release.yaml"
    one = simulate(bp, releases=6, runs=6, seed=42, n_jobs=1, progress=False)
    two = simulate(bp, releases=6, runs=6, seed=42, n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(one.log, two.log)
    pd.testing.assert_frame_equal(one.releases, two.releases)
    other = simulate(bp, releases=6, runs=6, seed=43, n_jobs=1, progress=False)
    assert not one.log["end"].equals(other.log["end"])


def test_a_worker_imports_the_engine_without_pandas_networkx_or_yaml(tmp_path: Path):
    """A first parallel call waits for its workers' imports: they stay light."""
    import pickle
    import subprocess
    import sys

    from phasesim.simulation.compiled import compile_blueprint

    model = compile_blueprint(load_blueprint("data/blueprints/harness-system-release.yaml"))
    (tmp_path / "task.pkl").write_bytes(pickle.dumps(
        (model, [0], [[to_epoch_hours(START)]], 7, {"max_in_flight": None, "serialize": (),
                                                    "max_rework": 20})))
    script = textwrap.dedent(f"""\
        import pickle, sys
        from phasesim.simulation.batch import run_chunk
        log, releases, usage = run_chunk(*pickle.loads(open({str(tmp_path / "task.pkl")!r},
                                                            "rb").read()))
        heavy = sorted({{"pandas", "networkx", "yaml", "matplotlib", "scipy.stats"}}
                       & set(sys.modules))
        print(len(log["row"]), releases["status"][0], heavy)
        """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout.split(maxsplit=2)
    assert int(out[0]) > 20 and out[1] == "['succeeded']" and out[2].strip() == "[]"


def test_simulating_does_not_integrate_approval_means(monkeypatch: pytest.MonkeyPatch):
    """Mean durations (numerical integration for a k-of-n approval) are for the critical
    path, not the simulator: a first simulate must not pay for them."""
    from phasesim.distributions import DurationSpec

    def refuse(*args: object) -> float:
        raise AssertionError("order_statistic_mean called")

    bp = load_blueprint("data/blueprints/conditional.yaml")  # a 2-of-3 gate
    monkeypatch.setattr(DurationSpec, "order_statistic_mean", refuse)
    result = simulate(bp, releases=2, runs=2, seed=3, progress=False)
    assert (result.log["activity_id"] == "approval_gate").any()
    with pytest.raises(AssertionError, match="order_statistic_mean called"):
        bp.critical_path()


def test_same_seed_same_log_on_a_dask_cluster():
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_config

    bp = "data/blueprints/parallel.yaml"
    local = simulate(bp, releases=5, runs=4, seed=9, n_jobs=1, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster), parallel_config(backend="dask"):
        remote = simulate(bp, releases=5, runs=4, seed=9, n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(local.log, remote.log)


def test_common_random_numbers_across_scenarios():
    base = load_blueprint("data/blueprints/parallel.yaml")
    # a scenario that adds an activity elsewhere leaves every shared activity's draws alone
    text = Path("data/blueprints/parallel.yaml").read_text().replace(
        "          - activity: {id: deploy,",
        "          - activity: {id: notify, type: automated, duration: {exponential: "
        "{mean: 1h}}}\n          - activity: {id: deploy,")
    variant = load_blueprint(text)
    assert "deployment.notify" in variant.graph
    a = simulate(base, releases=3, runs=3, seed=5, progress=False).log
    b = simulate(variant, releases=3, runs=3, seed=5, progress=False).log
    key = ["run", "release_id", "phase_id", "activity_id"]
    merged = a.merge(b, on=key, suffixes=("_a", "_b"))
    assert len(merged) == len(a)
    np.testing.assert_allclose(merged["work_h_a"], merged["work_h_b"])


def test_bad_arguments_are_clear_errors():
    bp = "data/blueprints/parallel.yaml"
    with pytest.raises(PhasesimError, match="unknown cadence 'fortnighty'"):
        simulate(bp, releases=2, runs=1, cadence="fortnighty", progress=False)
    with pytest.raises(PhasesimError, match="releases and runs must be at least 1"):
        simulate(bp, releases=0, runs=1, progress=False)
    with pytest.raises(PhasesimError, match=r"the cadence lists 2 start\(s\) at or after the "
                                            "start, but 3 releases were asked for"):
        simulate(bp, releases=3, runs=1, cadence=["2026-03-02 10:00", "2026-03-09 10:00"],
                 start=START, progress=False)


# -- properties ------------------------------------------------------------------------

@st.composite
def train_blueprints(draw: st.DrawFn) -> str:
    n_phases = draw(st.integers(1, 3))
    lines = ["process:", "  id: prop",
             "  calendars: {office: {timezone: Europe/Berlin, hours: Mon-Fri 09:00-17:00}}",
             f"  teams: {{Dev: {{capacity: {draw(st.integers(1, 2))}, calendar: office}}}}",
             "  environments: {env: {capacity: 1}}", "  phases:"]
    for p in range(n_phases):
        lines += ["    - phase:", f"        id: p{p}", "        owners: [Dev]"]
        if p:
            lines.append(f"        depends-on: [p{p - 1}]")
        if draw(st.booleans()):
            lines.append("        uses: [env]")
        if draw(st.booleans()):
            day = draw(st.sampled_from(["Mon", "Wed", "Fri"]))
            lines.append(f"        not-before: {day} {draw(st.integers(8, 16))}:00")
        lines.append("        activities:")
        n_act = draw(st.integers(1, 3))
        for a in range(n_act):
            kind = draw(st.sampled_from(["manual", "automated", "wait"]))
            deps = sorted(draw(st.sets(st.integers(0, a - 1), max_size=2))) if a else []
            dep = ", ".join(f"a{d}" for d in deps)
            extra = ""
            if kind == "automated" and draw(st.booleans()):
                extra = ", failure: {probability: 0.3, retries: 1}"
            anchor = ""
            if draw(st.integers(0, 4)) == 0:
                anchor = f", not-before: Thu {draw(st.integers(9, 15))}:30"
            lines.append(f"          - activity: {{id: a{a}, type: {kind}, depends-on: [{dep}], "
                         f"duration: {{triangular: [1h, 3h, 9h]}}{extra}{anchor}}}")
    return "\n".join(lines) + "\n"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(train_blueprints(), st.integers(0, 2**16))
def test_simulation_properties(text: str, seed: int):
    bp = load_blueprint(text)
    result = simulate(bp, releases=4, cadence="every 3d", start=START, runs=2, seed=seed,
                      progress=False)
    log, usage = result.log, result.usage
    # every release ends succeeded, failed or aborted
    assert set(result.releases["status"]) <= {"succeeded", "failed", "aborted"}
    # no activity starts before its dependencies (graph predecessors) ended
    done = log[log["status"] != "failed"].groupby(["run", "release_id", "phase_id",
                                                   "activity_id"])["end"].max()
    for row in log.itertuples():
        node = f"{row.phase_id}.{row.activity_id}"
        for pred in bp.graph.predecessors(node):
            pid, aid = pred.split(".", 1)
            key = (row.run, row.release_id, pid, aid)
            if key in done.index:
                assert row.start >= done[key] - pd.Timedelta(microseconds=1)
        assert row.start >= row.ready - pd.Timedelta(microseconds=1)
        # nor before its weekly anchor
        act = bp.graph.nodes[node]["activity"]
        if act.not_before is not None and row.status != "skipped" and row.attempt == 1:
            cal = bp.calendar_of(bp.graph.nodes[node]["phase"], act) or Calendar.always()
            anchor = cal.next_anchor_h(to_epoch_hours(row.ready), act.not_before)
            assert to_epoch_hours(row.start) >= anchor - 1e-6
    # capacities are never exceeded: sweep over each run's hold intervals
    for (run_id, kind, name), holds in usage.groupby(["run", "kind", "resource"]):
        cap = (bp.teams if kind == "team" else bp.environments)[name].capacity
        sweep = pd.concat([pd.DataFrame({"t": holds["granted"], "d": 1}),
                           pd.DataFrame({"t": holds["released"], "d": -1})])
        in_use = sweep.sort_values(["t", "d"])["d"].cumsum()
        assert in_use.max() <= cap, (run_id, kind, name)
    # identical seeds give identical logs
    again = simulate(bp, releases=4, cadence="every 3d", start=START, runs=2, seed=seed,
                     progress=False)
    pd.testing.assert_frame_equal(log, again.log)


def test_weekly_anchor_helper_consistency():
    # the property test's anchor check relies on this identity
    cal = Calendar.always()
    t = to_epoch_hours("2026-03-05 12:30")
    assert cal.next_anchor_h(t, WeeklyAnchor.parse("Thu 12:30")) == t


def test_abort_cuts_parallel_work_short():
    result = run("""\
        process:
          id: p
          phases:
            - phase:
                id: a
                activities:
                  - activity: {id: long, type: automated, duration: 10h}
                  - activity: {id: flaky, type: automated, duration: 2h,
                               failure: {probability: 1.0, retries: 0}}
                  - activity: {id: after, type: automated, duration: 1h, depends-on: [flaky]}
        """)
    log = result.log.set_index("activity_id")
    rel = result.releases.iloc[0]
    assert rel["status"] == "aborted"
    assert rel["lead_time_h"] == pytest.approx(2.0)
    assert log.loc["flaky", "status"] == "failed"
    assert log.loc["long", "status"] == "aborted"
    assert log.loc["long", "end"] == START + pd.Timedelta(hours=2)
    assert "after" not in log.index


def test_queueing_does_not_change_an_activitys_random_numbers():
    # with one member, later releases wait for the team and run as processes; with three,
    # every release starts at once: each execution still draws the same numbers
    text = """\
        process:
          id: p
          teams: {Ops: {capacity: %d}}
          phases:
            - phase:
                id: a
                owners: [Ops]
                activities:
                  - activity: {id: fix, type: manual, duration: {lognormal: {median: 2h, p90: 6h}}}
                  - activity: {id: gate, type: manual, depends-on: [fix],
                               approval: {wait: {exponential: {mean: 1h}}, approvers: 3,
                                          required: 2}}
                  - activity: {id: deploy, type: automated, depends-on: [gate],
                               duration: {uniform: [1h, 2h]},
                               failure: {probability: 0.3, retries: 2}}
        """
    start = START
    kwargs = {"cadence": [start] * 3, "start": start}
    narrow = run(text % 1, releases=3, **kwargs).log
    wide = run(text % 3, releases=3, **kwargs).log
    key = ["release_id", "activity_id", "attempt"]
    merged = narrow.merge(wide, on=key, suffixes=("_n", "_w"))
    assert len(merged) == len(narrow) == len(wide)
    np.testing.assert_allclose(merged["work_h_n"], merged["work_h_w"])
    assert (merged["status_n"] == merged["status_w"]).all()
    assert narrow["wait_team_h"].max() > 0


SLOTS = """\
    process:
      id: p
      calendars: {office: {timezone: Europe/Berlin, hours: Mon-Fri 09:00-17:00}}
      phases:
        - phase:
            id: build
            calendar: office
            activities:
              - activity: {id: work, type: automated, duration: %s}
        - phase:
            id: ship
            depends-on: [build]
            calendar: office
            not-before: %s
            activities:
              - activity: {id: deploy, type: automated, duration: 1h}
    """


@pytest.mark.parametrize(
    ("work", "not_before", "starts"),
    [
        # weekly anchor: ready Mon 12:00 -> Fri 09:00; ready Fri 12:00 -> next Fri 09:00
        ("3h", "Fri 09:00", "Fri 03-06 09:00"),
        ("99h", "Fri 09:00", "Fri 03-13 09:00"),
        # planned slot of week 1: early releases wait for it, late ones go at once
        ("3h", "{at: Fri 09:00, week: 1}", "Fri 03-06 09:00"),
        ("99h", "{at: Fri 09:00, week: 1}", "Fri 03-06 12:00"),
        # week 3 counts from the local day of the release's start (Mon 03-02), across the
        # daylight-saving change of 03-29: Monday 03-16 09:00 Berlin
        ("3h", "{at: Mon 09:00, week: 3}", "Mon 03-16 09:00"),
        ("3h", "{at: Mon 09:00, week: 5}", "Mon 03-30 09:00"),
    ],
)
def test_weekly_anchor_versus_planned_slot(work: str, not_before: str, starts: str):
    start = pd.Timestamp("2026-03-02 09:00", tz="Europe/Berlin")
    result = run(SLOTS % (work, not_before), cadence=[start], start=start)
    deploy = result.log.set_index("activity_id").loc["deploy", "start"]
    assert deploy.tz_convert("Europe/Berlin").strftime("%a %m-%d %H:%M") == starts


@pytest.mark.parametrize("engine", ["simpy", "auto"])
def test_instant_activities_at_a_release_start_run_once(engine):
    """build-phase.yaml has no durations: branch_cut, then run_ci_pipeline, then
    security_scan, all instant. Each runs once per release, at the release's start (the
    start-up loop launched run_ci_pipeline a second time, as attempt 2)."""
    from phasesim import simulate

    result = simulate(Path(__file__).resolve().parents[1] / "data/blueprints/build-phase.yaml",
                      releases=3, runs=2, seed=1, progress=False,
                      engine=engine)
    log = result.log
    assert len(log) == 2 * 3 * 3
    assert (log["attempt"] == 1).all() and (log["status"] == "succeeded").all()
    counts = log.groupby(["run", "release_id", "activity_id"]).size()
    assert (counts == 1).all()
    assert (log["start"] == log["end"]).all() and (log["ready"] == log["start"]).all()
