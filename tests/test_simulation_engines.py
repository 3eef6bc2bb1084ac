"""The compiled engine records what the SimPy engine records.

Both engines draw the same keyed random numbers, so for the same seed the event log, the
release table and the usage table must be equal: texts and counts exactly, times within
1e-9 h (timestamps within a millisecond, their rounding). Blueprints the compiled engine
does not support must fall back under ``engine="auto"`` with the reason stated.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phasesim import PhasesimError, load_blueprint
from phasesim.simulation import simulate

ROOT = Path(__file__).resolve().parents[1]
BLUEPRINTS = sorted((ROOT / "data/blueprints").glob("*.yaml"))
START = pd.Timestamp("2026-03-02 10:00", tz="UTC")  # a Monday


def assert_same(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    assert list(a.columns) == list(b.columns), what
    assert a.shape == b.shape, (what, a.shape, b.shape)
    for name in a.columns:
        x, y = a[name], b[name]
        if pd.api.types.is_datetime64_any_dtype(x):
            assert (x.isna() == y.isna()).all(), (what, name)
            gap = (x - y).abs().fillna(pd.Timedelta(0))
            assert (gap <= pd.Timedelta("1ms")).all(), (what, name, gap.max())
        elif pd.api.types.is_float_dtype(x):
            assert np.allclose(x.to_numpy(), y.to_numpy(), rtol=0, atol=1e-9, equal_nan=True), \
                (what, name, float(np.nanmax(np.abs(x.to_numpy() - y.to_numpy()))))
        else:
            assert x.astype(object).where(x.notna(), None).tolist() == \
                y.astype(object).where(y.notna(), None).tolist(), (what, name)


def both(bp: object, **kwargs: object):
    options = {"progress": False, "seed": 1}
    options.update(kwargs)
    reference = simulate(bp, engine="simpy", **options)  # type: ignore[arg-type]
    compiled = simulate(bp, engine="auto", **options)  # type: ignore[arg-type]
    assert reference.engine == "simpy" and reference.engine_note == ""
    for what in ("log", "releases", "usage"):
        assert_same(getattr(reference, what), getattr(compiled, what), what)
    return reference, compiled


#: what the compiled engine does not run yet, per shipped blueprint
FALLBACK = {
    "conditional.yaml": "rejection rework",
    "harness-system-release.yaml": "rejection rework",
}


@pytest.mark.parametrize("path", BLUEPRINTS, ids=lambda p: p.name)
def test_every_shipped_blueprint_gives_the_same_tables(path: Path):
    _, compiled = both(path, releases=12, runs=3, cadence="weekly", start=START)
    if path.name in FALLBACK:
        assert compiled.engine == "simpy"
        assert FALLBACK[path.name] in compiled.engine_note
    else:
        assert compiled.engine == "compiled", compiled.engine_note
        assert compiled.engine_note == ""


def test_compiled_engine_refuses_what_it_does_not_support(tmp_path: Path):
    # a subprocess activity holding environments of its own: the SimPy engine gives them
    # back when the subprocess's process resumes after a halt, which the loop does not
    # replay yet
    write_child(tmp_path)
    (tmp_path / "parent.yaml").write_text(textwrap.dedent("""\
        process:
          id: parent
          environments: {rig: {capacity: 1}}
          phases:
            - phase:
                id: main
                activities:
                  - activity: {id: sanity, type: subprocess, process: child.yaml,
                               uses: [rig]}
        """))
    path = tmp_path / "parent.yaml"
    with pytest.raises(PhasesimError, match="a subprocess holding environments of its own"):
        simulate(path, releases=2, runs=1, seed=1, progress=False, engine="compiled")
    result = simulate(path, releases=2, runs=1, seed=1, progress=False)
    assert result.engine == "simpy" and "main.sanity" in result.engine_note
    with pytest.raises(PhasesimError, match="engine must be"):
        simulate(path, releases=2, runs=1, seed=1, progress=False, engine="fast")
    # the release policies are compiled: they no longer fall back
    bp = load_blueprint(ROOT / "data/blueprints/linear.yaml")
    for option in ({"max_in_flight": 1}, {"serialize": [bp.phase_ids[0]]},
                   {"max_in_flight": 2, "serialize": bp.phase_ids[:2]}):
        result = simulate(bp, releases=3, runs=1, seed=1, progress=False,
                          **option)  # type: ignore[arg-type]
        assert result.engine == "compiled" and result.engine_note == "", option


CHILD = """\
process:
  id: child
  environments: {lab: {capacity: 1}}
  phases:
    - phase:
        id: checks
        uses: [lab]
        activities:
          - activity: {id: smoke, type: automated, duration: 2h}
          - activity: {id: report, type: automated, depends-on: [smoke], duration: 1h}
"""


def write_child(folder: Path) -> None:
    (folder / "child.yaml").write_text(CHILD)


def test_hand_computed_subprocess_under_both_engines(tmp_path: Path):
    # build 1 h, then the child process (its phase holds the one lab: smoke 2 h, report
    # 1 h), then ship 1 h; releases an hour apart from Monday 10:00. Release 1: build
    # 10-11, sanity 11-14 (smoke 11-13, report 13-14, the lab 11-14), ship 14-15.
    # Release 2: build 11-12; its child's gate waits for the lab 12-14, so smoke runs
    # 14-16 (2 h environment wait, caused by its build), report 16-17, sanity 12-17
    # (5 h of work: the subprocess's span), ship 17-18
    write_child(tmp_path)
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
                  - activity: {id: ship, type: automated, duration: 1h,
                               depends-on: [sanity]}
        """))
    _, compiled = both(tmp_path / "parent.yaml", releases=2, runs=1, cadence="every 1h",
                       start=START)
    assert compiled.engine == "compiled", compiled.engine_note
    log = compiled.log.set_index(["release_id", "phase_id", "activity_id"])
    t = lambda s: pd.Timestamp(s, tz="UTC")  # noqa: E731
    expected = {  # (release, phase, activity): start, end, environment wait, work
        ("R001", "main", "build"): ("10:00", "11:00", 0.0, 1.0),
        ("R001", "main.sanity/checks", "smoke"): ("11:00", "13:00", 0.0, 2.0),
        ("R001", "main.sanity/checks", "report"): ("13:00", "14:00", 0.0, 1.0),
        ("R001", "main", "sanity"): ("11:00", "14:00", 0.0, 3.0),
        ("R001", "main", "ship"): ("14:00", "15:00", 0.0, 1.0),
        ("R002", "main", "build"): ("11:00", "12:00", 0.0, 1.0),
        ("R002", "main.sanity/checks", "smoke"): ("14:00", "16:00", 2.0, 2.0),
        ("R002", "main.sanity/checks", "report"): ("16:00", "17:00", 0.0, 1.0),
        ("R002", "main", "sanity"): ("12:00", "17:00", 0.0, 5.0),
        ("R002", "main", "ship"): ("17:00", "18:00", 0.0, 1.0),
    }
    assert len(log) == len(expected)
    for where, (start, end, env_h, work_h) in expected.items():
        row = log.loc[where]
        assert row["start"] == t(f"2026-03-02 {start}"), where
        assert row["end"] == t(f"2026-03-02 {end}"), where
        assert row["wait_environment_h"] == pytest.approx(env_h), where
        assert row["work_h"] == pytest.approx(work_h), where
    assert log.loc[("R002", "main.sanity/checks", "smoke"), "ready"] == t("2026-03-02 12:00")
    assert log.loc[("R002", "main.sanity/checks", "smoke"), "cause"] == \
        log.loc[("R002", "main", "build"), "row"]
    assert log.loc[("R002", "main", "sanity"), "activity_type"] == "subprocess"
    usage = compiled.usage
    assert list(usage["resource"]) == ["lab", "lab"]
    assert list(usage["granted"]) == [t("2026-03-02 11:00"), t("2026-03-02 14:00")]
    assert list(usage["requested"]) == [t("2026-03-02 11:00"), t("2026-03-02 12:00")]
    assert list(usage["released"]) == [t("2026-03-02 14:00"), t("2026-03-02 17:00")]
    assert list(compiled.releases["lead_time_h"]) == pytest.approx([5.0, 7.0])


def test_a_subprocess_row_follows_its_block_after_simpys_three_steps(tmp_path: Path):
    # long runs a child process of one 2 h activity; quick, after a 1 h pause, a child
    # with one instant activity. Releases at 10:00 and 11:00. At 12:00 release 1's child
    # activity ends first (its timer is the older), then release 2's pause: its quick
    # starts (two process starts) and its block ends as it began, so its row follows one
    # step later; release 1's long waits three steps after its block's end (the block's
    # event, the condition, the block's process), so it is recorded after release 2's
    # quick although its block ended first
    write_child(tmp_path)
    (tmp_path / "long.yaml").write_text(textwrap.dedent("""\
        process:
          id: long
          phases:
            - phase:
                id: l
                activities:
                  - activity: {id: work, type: automated, duration: 2h}
        """))
    (tmp_path / "instant.yaml").write_text(textwrap.dedent("""\
        process:
          id: instant
          phases:
            - phase:
                id: i
                activities:
                  - activity: {id: tick, type: automated}
        """))
    (tmp_path / "parent.yaml").write_text(textwrap.dedent("""\
        process:
          id: parent
          phases:
            - phase:
                id: main
                activities:
                  - activity: {id: long, type: subprocess, process: long.yaml}
                  - activity: {id: pause, type: wait, duration: 1h}
                  - activity: {id: quick, type: subprocess, process: instant.yaml,
                               depends-on: [pause]}
        """))
    _, compiled = both(tmp_path / "parent.yaml", releases=2, runs=1, cadence="every 1h",
                       start=START)
    assert compiled.engine == "compiled", compiled.engine_note
    log = compiled.log.set_index(["release_id", "phase_id", "activity_id"])
    noon = pd.Timestamp("2026-03-02 12:00", tz="UTC")
    long1 = log.loc[("R001", "main", "long")]
    quick2 = log.loc[("R002", "main", "quick")]
    assert long1["end"] == noon and long1["work_h"] == pytest.approx(2.0)
    assert quick2["start"] == quick2["end"] == noon
    assert log.loc[("R001", "main.long/l", "work"), "row"] < \
        log.loc[("R002", "main", "pause"), "row"] < \
        log.loc[("R002", "main.quick/i", "tick"), "row"] < quick2["row"] < long1["row"]


SUB_CHILD = """\
process:
  id: child
  calendars: {office: {timezone: UTC, hours: Mon-Fri 09:00-17:00}}
  teams: {QA: {capacity: 1, calendar: office}}
  environments: {lab: {capacity: 1}}
  phases:
    - phase:
        id: checks
        uses: [lab]
        activities:
          - activity: {id: smoke, type: automated, duration: {uniform: [1h, 3h]},
                       failure: {probability: 0.2, retries: 1}}
          - activity: {id: manual, type: manual, owner: QA, duration: {uniform: [1h, 5h]}}
          - activity: {id: report, type: automated, depends-on: [smoke], duration: 30m}
    - phase:
        id: sign
        depends-on: [checks]
        activities:
          - activity: {id: ok, type: manual, owner: QA,
                       approval: {wait: {uniform: [10m, 2h]}, approvers: 2, required: 1}}
          - activity: {id: nested, type: subprocess, process: grandchild.yaml}
"""

GRANDCHILD = """\
process:
  id: grandchild
  phases:
    - phase:
        id: g
        activities:
          - activity: {id: instant, type: automated}
          - activity: {id: later, type: wait, depends-on: [instant], duration: {uniform: [0h, 1h]}}
"""

SUB_PARENT = """\
process:
  id: parent
  inputs: {deep: {type: boolean, default: true}}
  phases:
    - phase:
        id: main
        activities:
          - activity: {id: build, type: automated, duration: {uniform: [30m, 2h]}}
          - activity: {id: sanity, type: subprocess, process: child.yaml,
                       depends-on: [build]}
          - activity: {id: quick, type: subprocess, process: grandchild.yaml}
          - activity: {id: never, type: subprocess, process: grandchild.yaml,
                       if: <+releaseInput.deep> == false}
          - activity: {id: side, type: automated, duration: {uniform: [1h, 8h]},
                       failure: {probability: 0.1}}
          - activity: {id: ship, type: automated, duration: 1h,
                       depends-on: [sanity, quick, never]}
    - phase:
        id: after
        depends-on: [main]
        not-before: "Tue 09:00"
        activities:
          - activity: {id: tidy, type: subprocess, process: grandchild.yaml}
"""


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_subprocesses_give_the_same_tables(tmp_path: Path, seed: int):
    # subprocesses with their own teams, environments, failures (aborting the release
    # while its other branches run), approvals, a nested subprocess, one that ends at
    # once (no durations), a skipped one and one in a phase behind a weekly anchor
    (tmp_path / "child.yaml").write_text(SUB_CHILD)
    (tmp_path / "grandchild.yaml").write_text(GRANDCHILD)
    (tmp_path / "parent.yaml").write_text(SUB_PARENT)
    _, compiled = both(tmp_path / "parent.yaml", releases=8, runs=3, cadence="every 5h",
                       start=START, seed=seed)
    assert compiled.engine == "compiled", compiled.engine_note
    assert set(compiled.log["activity_type"]) >= {"subprocess", "approval", "manual"}
    assert (compiled.log["phase_id"] == "main.sanity/sign.nested/g").any()
    assert (compiled.log["status"] == "skipped").any()


TEAM_TRAIN = """
process:
  id: hand
  calendars: {office: {timezone: UTC, hours: Mon-Fri 09:00-17:00}}
  teams: {Dev: {capacity: 1, calendar: office}}
  phases:
    - phase:
        id: p
        owners: [Dev]
        activities:
          - activity: {id: a, type: manual, duration: {fixed: 6h}}
          - activity: {id: b, type: manual, duration: {fixed: 4h}}
"""


def test_hand_computed_team_queue_under_both_engines():
    # one developer, two parallel 6 h and 4 h tasks per release, releases a day apart
    # from Monday 10:00: a runs 10:00-16:00, b waits for the developer from 10:00 and runs
    # 16:00-17:00 and Tuesday 09:00-12:00; release 2 (Tuesday 10:00) queues behind b
    bp = load_blueprint(textwrap.dedent(TEAM_TRAIN))
    _, compiled = both(bp, releases=2, runs=1, cadence="daily", start=START)
    assert compiled.engine == "compiled"
    log = compiled.log.set_index(["release_id", "activity_id"])
    t = lambda s: pd.Timestamp(s, tz="UTC")  # noqa: E731
    assert log.loc[("R001", "a"), "end"] == t("2026-03-02 16:00")
    assert log.loc[("R001", "b"), "start"] == t("2026-03-02 16:00")
    assert log.loc[("R001", "b"), "end"] == t("2026-03-03 12:00")
    assert log.loc[("R001", "b"), "wait_team_h"] == pytest.approx(6.0)
    assert log.loc[("R002", "a"), "start"] == t("2026-03-03 12:00")
    assert log.loc[("R002", "a"), "end"] == t("2026-03-04 10:00")
    assert log.loc[("R002", "b"), "start"] == t("2026-03-04 10:00")
    assert log.loc[("R002", "b"), "end"] == t("2026-03-04 14:00")
    assert list(compiled.usage["resource"]) == ["Dev"] * 4


FLIGHT_TRAIN = """
process:
  id: flight
  phases:
    - phase:
        id: p
        activities:
          - activity: {id: a, type: automated, duration: {fixed: 10h}}
"""


@pytest.mark.parametrize(("limit", "starts", "ends"), [
    # one at a time: each starts when the one before ends
    (1, ["03-02 10:00", "03-02 20:00", "03-03 06:00"],
     ["03-02 20:00", "03-03 06:00", "03-03 16:00"]),
    # two: the third (scheduled 18:00) takes the first one's slot at 20:00
    (2, ["03-02 10:00", "03-02 14:00", "03-02 20:00"],
     ["03-02 20:00", "03-03 00:00", "03-03 06:00"]),
])
def test_hand_computed_max_in_flight_under_both_engines(limit: int, starts: list[str],
                                                        ends: list[str]):
    # releases of one 10 h activity scheduled every 4 h from Monday 10:00
    bp = load_blueprint(textwrap.dedent(FLIGHT_TRAIN))
    _, compiled = both(bp, releases=3, runs=1, cadence="every 4h", start=START,
                       max_in_flight=limit)
    assert compiled.engine == "compiled", compiled.engine_note
    t = lambda s: pd.Timestamp(f"2026-{s}", tz="UTC")  # noqa: E731
    rels = compiled.releases
    assert list(rels["scheduled"]) == [t("03-02 10:00"), t("03-02 14:00"), t("03-02 18:00")]
    assert list(rels["start"]) == [t(s) for s in starts]
    assert list(rels["end"]) == [t(s) for s in ends]
    assert list(compiled.log["start"]) == [t(s) for s in starts]
    assert list(compiled.log["end"]) == [t(s) for s in ends]


SERIAL_TRAIN = """
process:
  id: serial
  phases:
    - phase:
        id: build
        activities:
          - activity: {id: b, type: automated, duration: {fixed: 2h}}
    - phase:
        id: deploy
        depends-on: [build]
        activities:
          - activity: {id: d, type: automated, duration: {fixed: 6h}}
          - activity: {id: e, type: automated, depends-on: [d], duration: {fixed: 1h}}
"""


def test_hand_computed_serialize_waits_under_both_engines():
    # releases every 4 h from Monday 10:00; build takes 2 h, deploy (serialised) 7 h. R1
    # deploys 12:00-19:00; R2 is ready to deploy at 16:00 and waits 3 h for R1 to leave
    # (19:00-02:00); R3 is ready at 20:00 and waits 6 h for R2 (02:00-09:00)
    bp = load_blueprint(textwrap.dedent(SERIAL_TRAIN))
    _, compiled = both(bp, releases=3, runs=1, cadence="every 4h", start=START,
                       serialize=["deploy"])
    assert compiled.engine == "compiled", compiled.engine_note
    t = lambda s: pd.Timestamp(f"2026-{s}", tz="UTC")  # noqa: E731
    log = compiled.log.set_index(["release_id", "activity_id"])
    for release, ready, start, wait in (("R001", "03-02 12:00", "03-02 12:00", 0.0),
                                        ("R002", "03-02 16:00", "03-02 19:00", 3.0),
                                        ("R003", "03-02 20:00", "03-03 02:00", 6.0)):
        assert log.loc[(release, "d"), "ready"] == t(ready), release
        assert log.loc[(release, "d"), "start"] == t(start), release
        assert log.loc[(release, "d"), "wait_serialize_h"] == pytest.approx(wait), release
        # once in the phase, nothing waits
        assert log.loc[(release, "e"), "wait_serialize_h"] == 0.0, release
        assert log.loc[(release, "b"), "wait_serialize_h"] == 0.0, release
    assert list(compiled.releases["end"]) == [t("03-02 19:00"), t("03-03 02:00"),
                                              t("03-03 09:00")]
    # the first release waits for nobody (no previous release), and build is not serialised
    assert compiled.log["wait_serialize_h"].sum() == pytest.approx(9.0)


FREEZE_TRAIN = """
process:
  id: frozen
  calendars:
    ops: {timezone: UTC, hours: 24/7, freezes: [[2026-03-03, 2026-03-03], [2026-03-05, 2026-03-05]]}
  environments:
    prod: {capacity: 1, production: true, calendar: ops}
    stage: {capacity: 1}
  phases:
    - phase:
        id: p0
        activities:
          - activity: {id: build, type: automated, duration: 20h}
          - activity: {id: ship, type: automated, depends-on: [build], uses: [prod], duration: 1h}
          - activity: {id: soak, type: wait, depends-on: [ship], duration: 29h}
    - phase:
        id: p1
        depends-on: [p0]
        uses: [prod]
        activities:
          - activity: {id: deploy, type: automated, uses: [stage], duration: 1h}
          - activity: {id: notes, type: automated, duration: 30m}
          - activity: {id: skipme, type: automated, if: "false", duration: 1h}
          - activity: {id: check, type: automated, depends-on: [deploy], duration: 2h}
"""


def test_hand_computed_freeze_waits_under_both_engines():
    # freezes all Tuesday 3 and Thursday 5 March (UTC). build runs Mon 10:00 - Tue 06:00;
    # ship (its own production environment) waits out Tuesday's freeze: 18 h. soak ends
    # Thu 06:00, when p1's gate (production) waits out Thursday's freeze, 18 h: deploy
    # (a process: it holds stage too), notes (launched directly) and the skipped skipme
    # each carry the gate's 18 h; check is ready after the gate opened: none
    bp = load_blueprint(textwrap.dedent(FREEZE_TRAIN))
    _, compiled = both(bp, releases=1, runs=1, start=START)
    assert compiled.engine == "compiled", compiled.engine_note
    log = compiled.log.set_index("activity_id")
    expected = {"build": 0.0, "ship": 18.0, "soak": 0.0, "deploy": 18.0, "notes": 18.0,
                "skipme": 18.0, "check": 0.0}
    for activity, hours in expected.items():
        assert log.loc[activity, "wait_freeze_h"] == pytest.approx(hours), activity
        assert log.loc[activity, "wait_environment_h"] == pytest.approx(hours), activity
    assert log.loc["skipme", "status"] == "skipped"
    t = lambda s: pd.Timestamp(s, tz="UTC")  # noqa: E731
    assert log.loc["ship", "start"] == t("2026-03-04 00:00")
    assert log.loc["notes", "start"] == t("2026-03-06 00:00")
    assert log.loc["check", "end"] == t("2026-03-06 03:00")


@st.composite
def random_trains(draw: st.DrawFn) -> str:
    """Teams, environments (production ones with freezes), anchors, planned slots,
    k-of-n approvals and failures (retries, aborts) on random DAGs."""
    lines = ["process:", "  id: prop",
             "  calendars:",
             "    office: {timezone: Europe/Berlin, hours: Mon-Fri 09:00-17:00, "
             "holidays: [2026-03-06], freezes: [[2026-03-16, 2026-03-18]]}",
             "    ops: {timezone: America/New_York, hours: Mon-Sat 07:00-19:00}",
             f"  teams: {{Dev: {{capacity: {draw(st.integers(1, 2))}, calendar: office}}, "
             f"QA: {{capacity: 1, calendar: ops}}}}",
             "  environments: {stage: {capacity: 1}, "
             "prod: {capacity: 1, production: true, calendar: office}}",
             "  phases:"]
    n_phases = draw(st.integers(1, 3))
    for p in range(n_phases):
        lines += ["    - phase:", f"        id: p{p}",
                  f"        owners: [{draw(st.sampled_from(['Dev', 'QA']))}]"]
        if p:
            deps = sorted(draw(st.sets(st.integers(0, p - 1), min_size=1, max_size=2)))
            lines.append(f"        depends-on: [{', '.join(f'p{d}' for d in deps)}]")
        uses = draw(st.sampled_from([[], [], ["stage"], ["prod"], ["prod", "stage"]]))
        if uses:
            lines.append(f"        uses: [{', '.join(uses)}]")
        gate = draw(st.integers(0, 5))
        if gate == 0:
            lines.append(f"        not-before: {draw(st.sampled_from(['Mon', 'Wed']))} "
                         f"{draw(st.integers(8, 16))}:00")
        elif gate == 1:
            lines.append(f"        not-before: {{at: Thu 12:00, week: {draw(st.integers(1, 2))}}}")
        lines.append("        activities:")
        for a in range(draw(st.integers(1, 4))):
            kind = draw(st.sampled_from(["manual", "manual", "automated", "wait", "approval"]))
            deps = sorted(draw(st.sets(st.integers(0, a - 1), max_size=2))) if a else []
            parts = [f"id: a{a}", f"type: {'manual' if kind == 'approval' else kind}",
                     f"depends-on: [{', '.join(f'a{d}' for d in deps)}]"]
            if kind == "approval":
                n = draw(st.integers(1, 3))
                parts.append(f"approval: {{approvers: {n}, required: {draw(st.integers(1, n))}, "
                             "wait: {lognormal: {median: 3h, p90: 12h}}}")
            else:
                parts.append("duration: {triangular: [1h, 3h, 9h]}")
            if kind == "automated" and draw(st.booleans()):
                parts.append(f"failure: {{probability: {draw(st.sampled_from([0.1, 0.4]))}, "
                             f"retries: {draw(st.integers(0, 2))}}}")
            if kind != "approval" and draw(st.integers(0, 5)) == 0:
                parts.append(f"uses: [{draw(st.sampled_from(['stage', 'prod']))}]")
            anchor = draw(st.integers(0, 6))
            if anchor == 0:
                parts.append(f"not-before: Thu {draw(st.integers(9, 15))}:30")
            elif anchor == 1:
                parts.append("not-before: {at: Tue 10:00, week: 2}")
            if draw(st.integers(0, 6)) == 0:
                parts.append("calendar: ops")
            lines.append(f"          - activity: {{{', '.join(parts)}}}")
    return "\n".join(lines) + "\n"


@st.composite
def release_policies(draw: st.DrawFn) -> dict[str, object]:
    """Some of the time an in-flight limit, serialised phases (of p0 .. p2), or both."""
    out: dict[str, object] = {}
    choice = draw(st.integers(0, 4))
    if choice in (1, 3):
        out["max_in_flight"] = draw(st.integers(1, 2))
    if choice in (2, 3):
        out["serialize"] = sorted(draw(st.sets(st.integers(0, 2), min_size=1, max_size=3)))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_trains(), st.integers(0, 2**16), st.sampled_from(["every 3d", "daily", "weekly"]),
       release_policies())
def test_random_trains_give_the_same_tables(text: str, seed: int, cadence: str,
                                            policies: dict[str, object]):
    bp = load_blueprint(text)
    if "serialize" in policies:  # the phases the train has
        policies = {**policies, "serialize": [
            f"p{i}" for i in policies["serialize"]  # type: ignore[attr-defined]
            if f"p{i}" in bp.phase_ids]}
    _, compiled = both(bp, releases=6, runs=2, cadence=cadence, start=START, seed=seed,
                       **policies)
    assert compiled.engine == "compiled", compiled.engine_note


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**63), st.integers(0, 2**32 - 1), st.lists(st.integers(0, 10**6),
       min_size=1, max_size=4, unique=True), st.integers(0, 30), st.integers(1, 40),
       st.integers(1, 9))
def test_compiled_philox_is_numpys(key: int, stream: int, runs: list[int], execution: int,
                                   releases: int, draws: int):
    from phasesim.simulation.fast.philox import uniforms
    from phasesim.simulation.streams import Streams

    expected = Streams(key).uniforms(stream, runs, execution, releases, draws)
    got = uniforms(np.uint64(key), np.uint64(stream), np.array(runs, dtype=np.int64),
                   execution, releases, draws)
    assert np.array_equal(expected, got)


def harness_core() -> str:
    """The Harness train without what the compiled engine does not run yet: the QA
    rejection removed and the hotfix rollbacks turned into aborts (its DAG, calendars,
    anchors, slots, teams, environments and failures stay)."""
    text = (ROOT / "data/blueprints/harness-system-release.yaml").read_text()
    assert "reject: {probability: 0.05, goto: alpha_fixes}" in text
    text = text.replace("reject: {probability: 0.05, goto: alpha_fixes}", "")
    return text.replace("on-failure: hotfix", "on-failure: abort")


def test_two_runs_of_ten_thousand_weekly_harness_releases():
    bp = load_blueprint(harness_core())
    _, compiled = both(bp, releases=10_000, runs=2, cadence="weekly",
                       start=pd.Timestamp("2026-01-05 09:00", tz="America/Los_Angeles"),
                       seed=11)
    assert compiled.engine == "compiled"
    assert len(compiled.releases) == 20_000
    # the train is a real one: waits, aborts and shared teams all occur
    assert (compiled.releases["status"] == "aborted").any()
    assert (compiled.log["wait_team_h"] > 0).any()
    assert (compiled.log["wait_anchor_h"] > 0).any()


@pytest.mark.parametrize("engine", ["simpy", "compiled"])
def test_keep_log_false_keeps_the_release_table_only(engine: str):
    path = ROOT / "data/blueprints/parallel.yaml"
    options = {"releases": 5, "runs": 4, "seed": 2, "progress": False, "engine": engine}
    full = simulate(path, **options)  # type: ignore[arg-type]
    light = simulate(path, keep_log=False, **options)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(full.releases, light.releases)
    pd.testing.assert_frame_equal(full.summary(), light.summary())
    assert len(light.log) == 0 and list(light.log.columns) == list(full.log.columns)
    assert len(light.usage) == 0 and list(light.usage.columns) == list(full.usage.columns)
    assert len(full.log) > 0
