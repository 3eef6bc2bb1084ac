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


REWORK_TRAIN = """
process:
  id: rework
  phases:
    - phase:
        id: p
        activities:
          - activity: {id: a, type: automated, duration: 2h}
    - phase:
        id: q
        depends-on: [p]
        activities:
          - activity: {id: b, type: automated, duration: 1h}
          - activity:
              id: gate
              type: manual
              depends-on: [b]
              approval: {wait: {fixed: 3h}, approvers: 1, required: 1,
                         reject: {probability: 0.5, goto: p}}
"""


def test_hand_computed_rejection_rework_under_both_engines():
    # seed 0 rejects once: a 10-12, b 12-13, gate 13-16 rejected; the block (a, then b,
    # p's and q's activities up to the gate) runs again 16-19, then the gate 19-22 passes
    bp = load_blueprint(textwrap.dedent(REWORK_TRAIN))
    _, compiled = both(bp, releases=1, runs=1, start=START, seed=0)
    assert compiled.engine == "compiled", compiled.engine_note
    log = compiled.log
    t = lambda h: START + pd.Timedelta(hours=h)  # noqa: E731
    assert list(log["activity_id"]) == ["a", "b", "gate", "a", "b", "gate"]
    assert list(log["status"]) == ["succeeded"] * 2 + ["rejected"] + ["succeeded"] * 3
    assert list(log["start"]) == [t(0), t(2), t(3), t(6), t(8), t(9)]
    assert list(log["end"]) == [t(2), t(3), t(6), t(8), t(9), t(12)]
    assert list(log["rework"]) == [False] * 3 + [True] * 3
    assert list(log["attempt"]) == [1, 1, 1, 2, 2, 2]
    # the rerun of a is caused by the rejection; the gate's second pass by b's rerun
    assert list(log["cause"]) == [-1, 0, 1, 2, 3, 4]
    rel = compiled.releases.iloc[0]
    assert rel["status"] == "succeeded" and rel["end"] == t(12)
    assert rel["rework"] == 1 and not rel["capped"]


@pytest.mark.parametrize(("change", "word"), [
    # p gets an anchor: the rework would pass p's gate again
    (("        id: p\n", "        id: p\n        not-before: Mon 09:00\n"),
     "into a phase with a gate"),
    # a rejects back to its phase p, which q's block holds too (a nested rework)
    (("{id: a, type: automated, duration: 2h}",
      "{id: a, type: manual, approval: {wait: 1h, approvers: 1, required: 1, "
      "reject: {probability: 0.5, goto: p}}}"), "rework of overlapping blocks"),
])
def test_rework_blocks_the_compiled_engine_does_not_run_fall_back(change: tuple[str, str],
                                                                  word: str):
    text = textwrap.dedent(REWORK_TRAIN)
    assert change[0] in text
    bp = load_blueprint(text.replace(*change))
    _, compiled = both(bp, releases=2, runs=1, start=START, seed=0)
    assert compiled.engine == "simpy" and word in compiled.engine_note


def test_many_rejections_draw_more_numbers_under_both_engines():
    # seed 15 rejects five times: the compiled run first has numbers for two passes of
    # the block, runs again with more; each pass (a 2 h, b 1 h, gate 3 h) takes 6 h
    bp = load_blueprint(textwrap.dedent(REWORK_TRAIN))
    _, compiled = both(bp, releases=1, runs=1, start=START, seed=15)
    assert compiled.engine == "compiled", compiled.engine_note
    gate = compiled.log[compiled.log["activity_id"] == "gate"]
    assert list(gate["status"]) == ["rejected"] * 5 + ["succeeded"]
    assert list(gate["attempt"]) == [1, 2, 3, 4, 5, 6]
    rel = compiled.releases.iloc[0]
    assert rel["end"] == START + pd.Timedelta(hours=36) and rel["rework"] == 5


def test_runs_around_one_that_needs_more_numbers_keep_theirs_under_both_engines():
    # 40 runs of one release, each rejected at the gate with probability 1/2: the runs
    # rejected more than twice need more numbers than drawn at first and run again alone;
    # every other run, before and after them, keeps the rows of the first call. Each
    # pass (a 2 h, b 1 h, gate 3 h) takes 6 h, so a release rejected k times takes
    # 6 (k + 1) h, and every run is also equal to the SimPy engine's
    bp = load_blueprint(textwrap.dedent(REWORK_TRAIN))
    _, compiled = both(bp, releases=1, runs=40, start=START, seed=4)
    assert compiled.engine == "compiled", compiled.engine_note
    rel = compiled.releases.sort_values("run")
    deep = rel.index[rel["rework"] > 2].tolist()
    assert deep and deep[0] > 0 and deep[-1] < len(rel) - 1  # not only at the ends
    assert (rel["lead_time_h"] == 6.0 * (rel["rework"] + 1)).all()
    gates = compiled.log[compiled.log["activity_id"] == "gate"].groupby("run")["status"]
    assert (gates.apply(lambda s: (s == "rejected").sum()).to_numpy()
            == rel["rework"].to_numpy()).all()


@pytest.mark.parametrize(("seed", "probability", "cap", "rejections"),
                         [(3, "0.5", 1, 2), (1, "1.0", 0, 1)])
def test_hand_computed_rework_cap_under_both_engines(seed: int, probability: str, cap: int,
                                                     rejections: int):
    # seed 3 rejects twice: with a cap of 1 the second rejection (at 12 h) aborts the
    # release; a certain rejection with a cap of 0 aborts it at the first one (6 h)
    text = textwrap.dedent(REWORK_TRAIN).replace("probability: 0.5", f"probability: "
                                                 f"{probability}")
    bp = load_blueprint(text)
    _, compiled = both(bp, releases=1, runs=1, start=START, seed=seed, max_rework=cap)
    assert compiled.engine == "compiled", compiled.engine_note
    log = compiled.log
    assert list(log["activity_id"]) == ["a", "b", "gate"] * rejections
    assert list(log["status"]) == (["succeeded"] * 2 + ["rejected"]) * rejections
    rel = compiled.releases.iloc[0]
    assert rel["status"] == "aborted" and rel["capped"]
    assert rel["rework"] == rejections
    assert rel["reason"] == f"rework cap of {cap} reached at q.gate"
    assert rel["end"] == START + pd.Timedelta(hours=6 * rejections)


def test_rework_of_work_still_under_way_falls_back_to_simpy():
    # the gate sends its whole phase back while b (10 h) still runs: the engine would
    # run b twice at once, which the compiled engine does not; auto runs SimPy
    text = textwrap.dedent("""
        process:
          id: early
          phases:
            - phase:
                id: p
                activities:
                  - activity: {id: a, type: automated, duration: 1h}
                  - activity: {id: b, type: automated, duration: 10h}
                  - activity:
                      id: gate
                      type: manual
                      depends-on: [a]
                      approval: {wait: {fixed: 1h}, approvers: 1, required: 1,
                                 reject: {probability: 1.0, goto: p}}
        """)
    bp = load_blueprint(text)
    reference, compiled = both(bp, releases=1, runs=1, start=START, max_rework=1)
    assert compiled.engine == "simpy"
    assert "rejection rework of an activity that has not run yet" in compiled.engine_note
    # the rework's b (12-22 h) runs while the first b (10-20 h) still does
    rows = reference.log.sort_values("row")
    assert list(rows["activity_id"]) == ["a", "gate", "a", "b", "b", "gate"]
    assert list(rows["end"] - START) == [pd.Timedelta(hours=h) for h in (1, 2, 3, 10, 12, 13)]
    with pytest.raises(PhasesimError, match="has not run yet"):
        simulate(bp, releases=1, runs=1, start=START, max_rework=1, progress=False,
                 engine="compiled")


ROLLBACK_TRAIN = """
process:
  id: rolling
  environments: {prod: {capacity: 1}}
  phases:
    - phase:
        id: build
        activities:
          - activity: {id: compile, type: automated, duration: 1h}
    - phase:
        id: deploy
        depends-on: [build]
        activities:
          - activity:
              id: ship
              type: automated
              duration: 2h
              failure: {probability: 1, retries: RETRIES, on-failure: back}
          - activity: {id: notes, type: automated, duration: 5h}
    - phase:
        id: back
        rollback: true
        resume: RESUME
        uses: [prod]
        activities:
          - activity: {id: revert, type: automated, duration: 30m}
          - activity: {id: verify, type: automated, depends-on: [revert], duration: 1h}
"""


def rows(log: pd.DataFrame) -> list[tuple[object, ...]]:
    t0 = START
    return [(r.activity_id, r.status, r.attempt, (r.start - t0) / pd.Timedelta("1h"),
             (r.end - t0) / pd.Timedelta("1h"), bool(r.rework))
            for r in log.sort_values("row").itertuples()]


def test_hand_computed_resumed_rollbacks_up_to_the_rework_cap_under_both_engines():
    # ship always fails (2 h, from 11:00); each failure runs the rollback block (revert
    # 30 min, then verify 1 h, holding prod), and ship resumes at once: fails at 13:00,
    # 16:30 and 20:00; the third is rework 3 > max_rework 2: aborted at 20:00. notes
    # (5 h, parallel) is not touched
    bp = load_blueprint(textwrap.dedent(ROLLBACK_TRAIN.replace("RETRIES", "0")
                                        .replace("RESUME", "true")))
    _, compiled = both(bp, releases=1, runs=1, start=START, max_rework=2)
    assert compiled.engine == "compiled", compiled.engine_note
    assert rows(compiled.log) == [
        ("compile", "succeeded", 1, 0.0, 1.0, False),
        ("ship", "failed", 1, 1.0, 3.0, False),
        ("revert", "succeeded", 1, 3.0, 3.5, True),
        ("verify", "succeeded", 1, 3.5, 4.5, True),
        ("notes", "succeeded", 1, 1.0, 6.0, False),
        ("ship", "failed", 2, 4.5, 6.5, True),
        ("revert", "succeeded", 2, 6.5, 7.0, True),
        ("verify", "succeeded", 2, 7.0, 8.0, True),
        ("ship", "failed", 3, 8.0, 10.0, True),
    ]
    # rows in the order recorded; the block's first row is caused by the failed one, the
    # resumed pass by verify's row
    assert compiled.log.sort_values("row")["cause"].tolist() == [-1, 0, 1, 2, 0, 3, 5, 6, 7]
    rel = compiled.releases.iloc[0]
    assert (rel["status"], rel["reason"]) == ("aborted", "rework cap of 2 reached at deploy.ship")
    assert (rel["attempts"], rel["rework"], bool(rel["capped"])) == (3, 3, True)
    assert rel["end"] == START + pd.Timedelta("10h")
    # the rollback phase held prod for each of its two runs
    usage = compiled.usage
    assert usage["resource"].tolist() == ["prod", "prod"]
    assert [(g - START) / pd.Timedelta("1h") for g in usage["granted"]] == [3.0, 6.5]
    assert [(g - START) / pd.Timedelta("1h") for g in usage["released"]] == [4.5, 8.0]


def test_rollbacks_past_the_passes_drawn_at_first_draw_more_under_both_engines():
    # the default cap of 20: ship fails 21 times (the compiled engine draws three passes
    # at first, then runs again with more), each cycle 2 h + 1.5 h of rollback block
    bp = load_blueprint(textwrap.dedent(ROLLBACK_TRAIN.replace("RETRIES", "0")
                                        .replace("RESUME", "true")))
    _, compiled = both(bp, releases=2, runs=1, start=START)
    assert compiled.engine == "compiled", compiled.engine_note
    ship = compiled.log[(compiled.log["activity_id"] == "ship")
                        & (compiled.log["release_id"] == "R001")]
    assert ship["attempt"].tolist() == list(range(1, 22))
    assert [(e - START) / pd.Timedelta("1h") for e in ship["end"]] == \
        [3.0 + 3.5 * i for i in range(21)]
    assert compiled.releases["rework"].tolist() == [21, 21]
    assert compiled.releases["capped"].tolist() == [True, True]


def test_hand_computed_rollback_without_resume_fails_the_release_under_both_engines():
    # ship fails twice (a retry): 11:00-13:00-15:00; the block runs 15:00-16:30, then the
    # release fails, cutting notes (11:00-16:00 done before) - with resume false
    bp = load_blueprint(textwrap.dedent(ROLLBACK_TRAIN.replace("RETRIES", "1")
                                        .replace("RESUME", "false")
                                        .replace("duration: 5h", "duration: 6h")))
    _, compiled = both(bp, releases=1, runs=1, start=START)
    assert compiled.engine == "compiled", compiled.engine_note
    assert rows(compiled.log) == [
        ("compile", "succeeded", 1, 0.0, 1.0, False),
        ("ship", "failed", 1, 1.0, 3.0, False),
        ("ship", "failed", 2, 3.0, 5.0, True),
        ("revert", "succeeded", 1, 5.0, 5.5, True),
        ("verify", "succeeded", 1, 5.5, 6.5, True),
        ("notes", "aborted", 1, 1.0, 6.5, False),
    ]
    rel = compiled.releases.iloc[0]
    assert (rel["status"], rel["reason"]) == ("failed", "rolled back after deploy.ship failed")
    assert (rel["attempts"], rel["rework"], bool(rel["capped"])) == (2, 1, False)
    assert rel["outcome"] == "failed"


def test_parallel_rollbacks_to_one_phase_fall_back():
    text = textwrap.dedent(ROLLBACK_TRAIN.replace("RETRIES", "0").replace("RESUME", "true"))
    text = text.replace("{id: notes, type: automated, duration: 5h}",
                        "{id: notes, type: automated, duration: 5h, "
                        "failure: {probability: 0.5, on-failure: back}}")
    result = simulate(load_blueprint(text), releases=2, runs=1, seed=1, progress=False,
                      start=START)
    assert result.engine == "simpy"
    assert "parallel rollbacks to one phase" in result.engine_note


def test_rework_of_an_activity_waiting_for_its_rollback_falls_back_to_simpy():
    # c fails at 1 h and waits for its rollback block (fix, 10 h); the gate sends the
    # whole phase back at 2 h: the engine runs c again while the first c still waits,
    # which the compiled engine does not; auto runs SimPy
    text = textwrap.dedent("""
        process:
          id: busy
          phases:
            - phase:
                id: p
                activities:
                  - activity: {id: a, type: automated, duration: 1h}
                  - activity:
                      id: c
                      type: automated
                      duration: 1h
                      failure: {probability: 1.0, retries: 0, on-failure: back}
                  - activity:
                      id: gate
                      type: manual
                      depends-on: [a]
                      approval: {wait: {fixed: 1h}, approvers: 1, required: 1,
                                 reject: {probability: 1.0, goto: p}}
            - phase:
                id: back
                rollback: true
                resume: true
                activities:
                  - activity: {id: fix, type: automated, duration: 10h}
        """)
    bp = load_blueprint(text)
    reference, compiled = both(bp, releases=1, runs=1, start=START, max_rework=3)
    assert compiled.engine == "simpy"
    assert "(or is rolling back)" in compiled.engine_note
    assert rows(reference.log) == [
        ("a", "succeeded", 1, 0.0, 1.0, False), ("c", "failed", 1, 0.0, 1.0, False),
        ("gate", "rejected", 1, 1.0, 2.0, False), ("a", "succeeded", 2, 2.0, 3.0, True),
        ("c", "failed", 2, 2.0, 3.0, True), ("fix", "succeeded", 1, 1.0, 11.0, True),
        ("c", "failed", 3, 11.0, 12.0, True), ("fix", "aborted", 2, 3.0, 12.0, True)]
    with pytest.raises(PhasesimError, match="or is rolling back"):
        simulate(bp, releases=1, runs=1, start=START, max_rework=3, progress=False,
                 engine="compiled")


def test_rejection_rework_in_a_rollback_phase_falls_back():
    text = textwrap.dedent(ROLLBACK_TRAIN.replace("RETRIES", "0").replace("RESUME", "true"))
    text = text.replace("{id: verify, type: automated, depends-on: [revert], duration: 1h}",
                        "{id: verify, type: manual, depends-on: [revert], approval: "
                        "{wait: 1h, approvers: 1, required: 1, "
                        "reject: {probability: 0.5, goto: revert}}}")
    _, compiled = both(load_blueprint(text), releases=2, runs=1, start=START, max_rework=3)
    assert compiled.engine == "simpy"
    assert "rejection rework in a rollback phase" in compiled.engine_note


MIXED_TRAIN = """
process:
  id: mixed
  phases:
    - phase:
        id: p
        activities:
          - activity:
              id: a
              type: automated
              duration: 2h
              failure: {probability: 0.5, retries: 0, on-failure: back}
    - phase:
        id: q
        depends-on: [p]
        activities:
          - activity: {id: b, type: automated, duration: 1h}
          - activity:
              id: gate
              type: manual
              depends-on: [b]
              approval: {wait: {fixed: 3h}, approvers: 1, required: 1,
                         reject: {probability: 0.5, goto: p}}
    - phase:
        id: back
        rollback: true
        resume: RESUME
        activities:
          - activity: {id: fix, type: automated, duration: 1h}
"""


@pytest.mark.parametrize(("resume", "seed", "expected", "release"), [
    # the gate rejects at 6 h; a fails in the block's rerun (6-8 h), fix runs 8-9 h, a
    # resumes and passes, b reruns, the gate rejects again; the second block passes and
    # so does the gate: three reworks (two rejections, one rollback) under the cap of 4
    ("true", 30, [("a", "succeeded", 1, 0, 2, False), ("b", "succeeded", 1, 2, 3, False),
                  ("gate", "rejected", 1, 3, 6, False), ("a", "failed", 2, 6, 8, True),
                  ("fix", "succeeded", 1, 8, 9, True), ("a", "succeeded", 3, 9, 11, True),
                  ("b", "succeeded", 2, 11, 12, True), ("gate", "rejected", 2, 12, 15, True),
                  ("a", "succeeded", 4, 15, 17, True), ("b", "succeeded", 3, 17, 18, True),
                  ("gate", "succeeded", 3, 18, 21, True)],
     ("succeeded", "", 4, 3, False, 21)),
    # without resume the rollback inside the rework block fails the release at 9 h
    ("false", 2, [("a", "succeeded", 1, 0, 2, False), ("b", "succeeded", 1, 2, 3, False),
                  ("gate", "rejected", 1, 3, 6, False), ("a", "failed", 2, 6, 8, True),
                  ("fix", "succeeded", 1, 8, 9, True)],
     ("failed", "rolled back after p.a failed", 2, 2, False, 9)),
    # the rejection and then four rollbacks of a: the fifth rework passes the cap of 4
    ("true", 2, [("a", "succeeded", 1, 0, 2, False), ("b", "succeeded", 1, 2, 3, False),
                 ("gate", "rejected", 1, 3, 6, False), ("a", "failed", 2, 6, 8, True),
                 ("fix", "succeeded", 1, 8, 9, True), ("a", "failed", 3, 9, 11, True),
                 ("fix", "succeeded", 2, 11, 12, True), ("a", "failed", 4, 12, 14, True),
                 ("fix", "succeeded", 3, 14, 15, True), ("a", "failed", 5, 15, 17, True)],
     ("aborted", "rework cap of 4 reached at p.a", 5, 5, True, 17)),
])
def test_hand_computed_rollback_inside_a_rework_block_under_both_engines(
        resume: str, seed: int, expected: list[tuple[object, ...]],
        release: tuple[object, ...]):
    # rejections and rollbacks share the rework count, as in the engine
    bp = load_blueprint(textwrap.dedent(MIXED_TRAIN.replace("RESUME", resume)))
    _, compiled = both(bp, releases=1, runs=1, start=START, seed=seed, max_rework=4)
    assert compiled.engine == "compiled", compiled.engine_note
    assert rows(compiled.log) == [(a, s, n, float(t0), float(t1), rw)
                                  for a, s, n, t0, t1, rw in expected]
    # each row is caused by the one before it (the block's first by the rejection, the
    # rollback's by the failure, the resumed pass by fix)
    assert compiled.log.sort_values("row")["cause"].tolist() == list(range(-1, len(expected) - 1))
    rel = compiled.releases.iloc[0]
    status, reason, attempts, rework, capped, end = release
    assert (rel["status"], rel["reason"]) == (status, reason)
    assert (rel["attempts"], rel["rework"], bool(rel["capped"])) == (attempts, rework, capped)
    assert rel["end"] == START + pd.Timedelta(hours=end)


@st.composite
def random_trains(draw: st.DrawFn) -> str:
    """Teams, environments (production ones with freezes), anchors, planned slots,
    k-of-n approvals (one of them, now and then, rejecting back to an activity it depends
    on), failures (retries, aborts) and rollback phases (resuming or not, one failing
    activity rolling back to it) on random DAGs."""
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
    rejecting = False
    rollback = draw(st.booleans())  # a rollback phase, where the first failure goes
    rolled = False
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
                reject = ""
                if deps and not rejecting and draw(st.booleans()):
                    rejecting = True
                    reject = (f", reject: {{probability: {draw(st.sampled_from([0.2, 0.5]))}, "
                              f"goto: a{draw(st.sampled_from(deps))}}}")
                parts.append(f"approval: {{approvers: {n}, required: {draw(st.integers(1, n))}, "
                             f"wait: {{lognormal: {{median: 3h, p90: 12h}}}}{reject}}}")
            else:
                parts.append("duration: {triangular: [1h, 3h, 9h]}")
            if kind == "automated" and draw(st.booleans()):
                back = rollback and not rolled
                rolled = rolled or back
                parts.append(f"failure: {{probability: {draw(st.sampled_from([0.1, 0.4]))}, "
                             f"retries: {draw(st.integers(0, 2))}"
                             f"{', on-failure: rb' if back else ''}}}")
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
    if rollback:
        lines += ["    - phase:", "        id: rb", "        rollback: true",
                  f"        resume: {draw(st.sampled_from(['true', 'false']))}",
                  f"        owners: [{draw(st.sampled_from(['Dev', 'QA']))}]"]
        uses = draw(st.sampled_from([[], ["stage"], ["prod"]]))
        if uses:
            lines.append(f"        uses: [{', '.join(uses)}]")
        lines.append("        activities:")
        for a in range(draw(st.integers(1, 2))):
            kind = draw(st.sampled_from(["manual", "automated"]))
            deps = "a0" if a and draw(st.booleans()) else ""
            fail = ", failure: {probability: 0.1}" if kind == "automated" and \
                draw(st.integers(0, 3)) == 0 else ""
            lines.append(f"          - activity: {{id: a{a}, type: {kind}, depends-on: [{deps}], "
                         f"duration: {{triangular: [30m, 1h, 4h]}}{fail}}}")
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
       st.sampled_from([1, 20]), release_policies())
def test_random_trains_give_the_same_tables(text: str, seed: int, cadence: str,
                                            max_rework: int, policies: dict[str, object]):
    bp = load_blueprint(text)
    if "serialize" in policies:  # the phases the train has
        policies = {**policies, "serialize": [
            f"p{i}" for i in policies["serialize"]  # type: ignore[attr-defined]
            if f"p{i}" in bp.phase_ids]}
    _, compiled = both(bp, releases=6, runs=2, cadence=cadence, start=START, seed=seed,
                       max_rework=max_rework, **policies)
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
    """The Harness train as shipped: its DAG, calendars, anchors, slots, teams,
    environments, failures, the QA rejection back to the alpha fixes and the hotfix
    rollbacks (all of which the compiled engine runs)."""
    text = (ROOT / "data/blueprints/harness-system-release.yaml").read_text()
    assert "reject: {probability: 0.05, goto: alpha_fixes}" in text
    assert "on-failure: hotfix" in text
    return text


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
    assert (compiled.log["status"] == "rejected").any() and compiled.releases["rework"].gt(1).any()
    # and the hotfix phase ran after failed production deployments, which then resumed
    assert (compiled.log["phase_id"] == "hotfix").any()


@pytest.mark.parametrize("engine", ["simpy", "compiled"])
def test_keep_log_false_keeps_the_release_table_only(engine: str):
    path = ROOT / "data/blueprints/parallel.yaml"
    options = {"releases": 5, "runs": 4, "seed": 2, "progress": False, "engine": engine}
    full = simulate(path, **options)  # type: ignore[arg-type]
    light = simulate(path, keep_log=False, **options)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(full.releases, light.releases)
    pd.testing.assert_frame_equal(full.summary(), light.summary())
    assert len(light.log) == 0 and list(light.log.columns) == list(full.log.columns)
    assert light.log.dtypes.to_dict() == full.log.dtypes.to_dict()
    assert len(light.usage) == 0 and list(light.usage.columns) == list(full.usage.columns)
    assert len(full.log) > 0
    # the empty log is built once and handed out as a copy: changing one changes no other
    light.log["extra"] = 1
    again = simulate(path, keep_log=False, **options)  # type: ignore[arg-type]
    assert list(again.log.columns) == list(full.log.columns)


def test_timestamps_are_hours_since_the_epoch_to_the_millisecond():
    from phasesim.simulation.runner import _timestamps

    out = _timestamps(np.array([0.0, 1.5, np.nan, -1.0, 1 / 3600 / 1000 * 0.4, np.inf]))
    assert str(out.dtype) == "datetime64[ns, UTC]"
    epoch = pd.Timestamp("1970-01-01", tz="UTC")
    assert out[0] == epoch and out[1] == epoch + pd.Timedelta(minutes=90)
    assert out[3] == epoch - pd.Timedelta(hours=1)
    assert out[4] == epoch  # 0.4 ms rounds to the millisecond
    assert out.isna().tolist() == [False, False, True, False, False, True]
    assert len(_timestamps(np.array([]))) == 0
    # past what a nanosecond timestamp holds (about 2262): pandas' own error, not a wrap
    with pytest.raises(pd.errors.OutOfBoundsDatetime):
        _timestamps(np.array([1.0, 300 * 8766.0]))


def test_kept_draws_are_the_draws_and_stay_within_their_budget():
    # the draws of one (node, execution) address are kept and given again: the same
    # numbers as drawn afresh, read-only; the least recently used go first when the
    # total passes its budget, an entry over the entry size is never kept, and a law
    # that cannot be hashed is drawn every time
    from phasesim.simulation.fast import chunk

    kept = chunk._Kept(entry=100, total=250)
    a = (np.zeros(4), np.ones(4))  # 64 bytes
    b = (np.zeros(5), np.ones(5))  # 80 bytes
    kept.put(("a",), a)
    kept.put(("b",), b)
    assert kept.get(("a",)) is a and kept.size == 144
    with pytest.raises(ValueError):
        a[0][0] = 1.0  # read-only: a later call cannot change what another was given
    kept.put(("c",), (np.zeros(6), np.ones(6)))  # 96 bytes: 240 in all, nothing dropped
    kept.put(("d",), (np.zeros(2), np.ones(2)))  # 32 more: b (used least recently) goes
    assert kept.get(("b",)) is None and kept.get(("a",)) is a and kept.size == 192
    kept.put(("big",), (np.zeros(7), np.ones(7)))  # 112 bytes > 100: not kept
    assert kept.get(("big",)) is None
    assert kept.get(("law", [1])) is None  # unhashable: never kept, no error
    kept.put(("law", [1]), a)
    kept.clear()
    assert kept.size == 0 and kept.get(("a",)) is None

    bp = load_blueprint(ROOT / "data/blueprints/harness-system-release.yaml")
    options = {"releases": 2, "runs": 6, "seed": 5, "progress": False, "engine": "compiled"}
    chunk._KEPT.clear()
    first = simulate(bp, **options)  # type: ignore[arg-type]
    assert chunk._KEPT.size > 0
    again = simulate(bp, **options)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(first.log, again.log)
    assert_same(simulate(bp, **{**options, "engine": "simpy"}).log, again.log, "log")
    # a variant with one activity's law changed draws that activity afresh (its law is
    # in the address) and keeps the others': still the reference engine's log
    from phasesim.whatif.scenario import scale_target

    target = f"{bp.phases[0].id}.{bp.phases[0].activities[0].id}"
    variant, _ = scale_target(bp, target, 0.5)
    fast = simulate(variant, **options)  # type: ignore[arg-type]
    assert_same(simulate(variant, **{**options, "engine": "simpy"}).log, fast.log, "log")
    assert not fast.log["work_h"].equals(again.log["work_h"])


@pytest.mark.parametrize("engine", ["simpy", "compiled"])
def test_keep_log_false_keeps_succeeded_after_rollback(engine: str):
    # ship fails half the time and its rollback phase (revert, verify) runs, then ship
    # resumes: a release succeeded after rollback exactly when the full log has a revert
    # row for it. The flag is made by the workers with the rows, so dropping the rows
    # (keep_log=False) keeps it; it was lost before (no release was ever
    # succeeded_after_rollback without the log)
    text = textwrap.dedent(ROLLBACK_TRAIN.replace("RETRIES", "0").replace("RESUME", "true"))
    assert "probability: 1," in text
    bp = load_blueprint(text.replace("probability: 1,", "probability: 0.5,"))
    options = {"releases": 20, "runs": 3, "seed": 4, "start": START, "progress": False,
               "engine": engine}
    full = simulate(bp, **options)  # type: ignore[arg-type]
    light = simulate(bp, keep_log=False, **options)  # type: ignore[arg-type]
    assert full.engine == light.engine == engine
    reverted = full.log.loc[full.log["activity_id"] == "revert", ["run", "release_id"]]
    ran = pd.MultiIndex.from_frame(full.releases[["run", "release_id"]]).isin(
        pd.MultiIndex.from_frame(reverted.astype({"release_id": object})))
    expected = np.where(full.releases["status"] != "succeeded", "aborted",
                        np.where(ran, "succeeded_after_rollback", "succeeded"))
    assert full.releases["outcome"].tolist() == expected.tolist()
    counts = light.releases["outcome"].value_counts()
    assert counts["succeeded_after_rollback"] == ran.sum() > 0
    assert counts["succeeded"] > 0
    pd.testing.assert_frame_equal(full.releases, light.releases)
    pd.testing.assert_frame_equal(full.summary(), light.summary())
    assert len(light.log) == 0


def test_a_subprocess_in_a_rework_block_falls_back(tmp_path: Path):
    # a rework block that would rerun a subprocess is not compiled (refused, not verified)
    write_child(tmp_path)
    text = textwrap.dedent(REWORK_TRAIN)
    old = "{id: a, type: automated, duration: 2h}"
    assert old in text
    path = tmp_path / "parent.yaml"
    path.write_text(text.replace(old, "{id: a, type: subprocess, process: child.yaml}"))
    with pytest.raises(PhasesimError, match="a subprocess inside a rejection rework block"):
        simulate(path, releases=2, runs=1, seed=0, progress=False, engine="compiled")
    result = simulate(path, releases=2, runs=1, seed=0, progress=False)
    assert result.engine == "simpy" and "p.a" in result.engine_note


def test_a_subprocess_in_a_rollback_phase_falls_back(tmp_path: Path):
    # a rollback block that would run a subprocess is not compiled (refused, not verified)
    write_child(tmp_path)
    text = textwrap.dedent(ROLLBACK_TRAIN.replace("RETRIES", "0").replace("RESUME", "true"))
    old = "{id: verify, type: automated, depends-on: [revert], duration: 1h}"
    assert old in text
    path = tmp_path / "parent.yaml"
    path.write_text(text.replace(
        old, "{id: verify, type: subprocess, process: child.yaml, depends-on: [revert]}"))
    with pytest.raises(PhasesimError, match="a subprocess inside a rollback phase"):
        simulate(path, releases=2, runs=1, seed=0, progress=False, engine="compiled")
    result = simulate(path, releases=2, runs=1, seed=0, progress=False)
    assert result.engine == "simpy" and "back.verify" in result.engine_note
