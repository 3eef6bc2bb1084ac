"""Work, designed waits and avoidable waits (phasesim.attribution), hand-computed."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from phasesim import load_blueprint, simulate
from phasesim.attribution import CAUSE_CLASS, CLASSES, infer_designed_wait, split_rows

START = pd.Timestamp("2026-03-02 10:00", tz="UTC")  # a Monday

# build 3 h (Mon 10:00-13:00), ship waits for Fri 09:00 (92 h, designed), deploys 1 h,
# then a 24 h soak (a `wait` activity: designed): lead 120 h = 4 work + 116 designed
ANCHOR_SOAK = """\
    process:
      id: p
      phases:
        - phase:
            id: build
            activities:
              - activity: {id: compile, type: automated, duration: 3h}
        - phase:
            id: ship
            depends-on: [build]
            not-before: Fri 09:00
            activities:
              - activity: {id: deploy, type: automated, duration: 1h}
        - phase:
            id: watch
            depends-on: [ship]
            activities:
              - activity: {id: soak, type: wait, duration: 24h}
    """

# two releases start together; one Ops member: the second waits 2 h for the team
TEAM = """\
    process:
      id: p
      teams: {Ops: {capacity: 1}}
      phases:
        - phase:
            id: a
            owners: [Ops]
            activities:
              - activity: {id: fix, type: manual, duration: 2h}
    """


def run(text: str, cadence: object = "weekly", releases: int = 1):
    return simulate(load_blueprint(textwrap.dedent(text)), releases=releases, runs=1,
                    seed=1, cadence=cadence, start=START, progress=False)


def test_anchor_and_soak_are_designed_waits():
    result = run(ANCHOR_SOAK)
    assert result.releases["lead_time_h"].iloc[0] == pytest.approx(120.0)
    by_class = result.wait_breakdown(group="class").iloc[0]
    assert by_class[list(CLASSES)].astype(float).tolist() == pytest.approx([4.0, 116.0, 0.0])
    causes = result.wait_breakdown().iloc[0]
    assert causes["anchor"] == pytest.approx(92.0)
    assert causes["soak"] == pytest.approx(24.0)
    assert causes["work"] == pytest.approx(4.0)
    crit = result.criticality()
    assert crit.loc[("ship", "deploy"), ["work_h", "designed_h", "avoidable_h"]].tolist() \
        == pytest.approx([1.0, 92.0, 0.0])
    assert crit.loc[("watch", "soak"), ["work_h", "designed_h"]].tolist() == pytest.approx(
        [0.0, 24.0])
    # ranked by work + avoidable: the 3 h build first, the soak (nothing to spare) last
    assert list(crit.index.get_level_values("activity_id")) == ["compile", "deploy", "soak"]


def test_team_queue_is_an_avoidable_wait():
    result = run(TEAM, cadence=[START, START], releases=2)
    waits = result.wait_breakdown(group="class")
    assert waits["work"].tolist() == pytest.approx([2.0, 2.0])
    assert waits["avoidable"].tolist() == pytest.approx([0.0, 2.0])
    assert waits["designed"].tolist() == pytest.approx([0.0, 0.0])
    assert waits.attrs["classes"]["team"] == "avoidable"
    crit = result.criticality()
    assert crit.loc[("a", "fix"), "avoidable_h"] == pytest.approx(1.0)  # 2 h / 2 releases


def test_split_rows_classes_each_cause():
    log = pd.DataFrame({
        "activity_type": ["approval", "manual", "automated"],
        "status": ["succeeded", "succeeded", "failed"],
        "rework": [False, False, False],
        "wait_serialize_h": [1.0, 0.0, 0.0], "wait_anchor_h": [0.0, 5.0, 0.0],
        "wait_environment_h": [0.0, 2.0, 0.0], "wait_team_h": [0.0, 0.0, 0.0],
        "offhours_h": [0.0, 14.0, 0.0], "work_h": [3.0, 2.0, 1.0],
        "wait_freeze_h": [0.0, 1.5, 0.0]})
    parts = split_rows(log)
    # approval 3 + serialize 1 avoidable; manual: 2 work, 5 anchor + 1.5 freeze designed,
    # 0.5 environment + 14 off-hours avoidable; a failed try is all rework
    assert parts["work_h"].tolist() == [0.0, 2.0, 0.0]
    assert parts["designed_h"].tolist() == [0.0, 6.5, 0.0]
    assert parts["avoidable_h"].tolist() == [4.0, 14.5, 1.0]
    assert parts.loc[2, "rework"] == 1.0
    assert set(CAUSE_CLASS.values()) == set(CLASSES)


def test_infer_designed_wait_for_history():
    nat = np.iinfo(np.int64).min
    h = 3_600 * 10**9
    wait = np.array([10.0, 10.0, 10.0, 10.0, 10.0])
    before = np.zeros(5, dtype=np.int64)
    planned = np.array([nat, 4 * h, 30 * h, nat, nat], dtype=np.int64)
    anchor = np.array([np.nan, np.nan, np.nan, 3.0, np.nan])
    anchored = np.array([False, False, False, False, True])
    out = infer_designed_wait(wait, before, planned, anchor, anchored)
    # nothing known: avoidable; planned 4 h after: 4 designed; plan beyond the start:
    # the whole wait; the log's own anchor hours; a blueprint anchor: the whole wait
    assert out.tolist() == [0.0, 4.0, 10.0, 3.0, 10.0]


def test_criticality_plot_stacks_the_classes():
    result = run(ANCHOR_SOAK)
    fig, ax = plt.subplots()
    result.plot_criticality(ax=ax)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["work", "avoidable wait", "designed wait"]
    widths = {(round(p.get_y() + p.get_height() / 2), p.get_facecolor()[:3]): p.get_width()
              for p in ax.patches}
    # the deploy row (second from the top: y = 1 of 0..2 bottom-up) holds 92 h designed
    assert max(widths.values()) == pytest.approx(92.0 / 24.0)
    plt.close(fig)


def history_log(planned: bool = True) -> pd.DataFrame:
    t = lambda *s: pd.to_datetime(list(s), utc=True)  # noqa: E731
    log = pd.DataFrame({
        "release_id": ["r1"] * 4,
        "phase_id": ["build", "ship", "watch", "gate"],
        "activity_id": ["compile", "deploy", "soak", "approve"],
        "activity_type": ["automated", "automated", "wait", "approval"],
        "start": t("2026-03-02 00:00", "2026-03-02 10:00", "2026-03-02 11:00",
                   "2026-03-03 11:00"),
        "end": t("2026-03-02 03:00", "2026-03-02 11:00", "2026-03-03 11:00",
                 "2026-03-03 13:00"),
    })
    log["planned_start"] = t("NaT", "2026-03-02 08:00" if planned else "NaT", "NaT", "NaT")
    return log


HISTORY_BP = """\
    process:
      id: p
      phases:
        - phase:
            id: build
            activities:
              - activity: {id: compile, type: automated, duration: 3h}
        - phase:
            id: ship
            depends-on: [build]
            not-before: Mon 10:00
            activities:
              - activity: {id: deploy, type: automated, duration: 1h}
        - phase:
            id: watch
            depends-on: [ship]
            activities:
              - activity: {id: soak, type: wait, duration: 24h}
        - phase:
            id: gate
            depends-on: [watch]
            activities:
              - activity: {id: approve, type: manual, approval: {wait: 2h}}
    """


@pytest.mark.parametrize("level", ["phase", "activity"])
def test_history_split_inferred_from_types_and_plans(level: str):
    from phasesim.analysis import bottlenecks, critical_paths

    # lead 37 h: compile 3 h work; deploy waited 7 h, 5 of them until its planned start
    # (designed) and 2 late (avoidable), then 1 h work; the 24 h soak is designed; the
    # 2 h approval is avoidable: work 4, designed 29, avoidable 4
    paths = critical_paths(history_log(), level=level)  # type: ignore[arg-type]
    assert paths["designed_h"].tolist() == pytest.approx([0.0, 5.0, 24.0, 0.0])
    assert paths["avoidable_h"].tolist() == pytest.approx([0.0, 2.0, 0.0, 2.0])
    ranked = bottlenecks(history_log(), n_boot=0, level=level).set_index("phase_id")  # type: ignore[arg-type]
    assert ranked.loc["ship", ["work_h_mean", "designed_h_mean", "avoidable_h_mean"]] \
        .tolist() == pytest.approx([1.0, 5.0, 2.0])
    assert ranked.loc["watch", "designed_h_mean"] == pytest.approx(24.0)
    assert ranked.loc["gate", "avoidable_h_mean"] == pytest.approx(2.0)
    totals = ranked[["work_h_mean", "designed_h_mean", "avoidable_h_mean"]].sum()
    assert totals.tolist() == pytest.approx([4.0, 29.0, 4.0])


def test_history_wait_before_an_anchored_phase_is_designed():
    from phasesim.analysis import bottlenecks

    bp = load_blueprint(textwrap.dedent(HISTORY_BP))
    ranked = bottlenecks(history_log(planned=False), bp, n_boot=0).set_index("phase_id")
    assert ranked.loc["ship", ["designed_h_mean", "avoidable_h_mean"]].tolist() == \
        pytest.approx([7.0, 0.0])
    # without the blueprint nor a plan nothing says why it waited: avoidable
    plain = bottlenecks(history_log(planned=False), n_boot=0).set_index("phase_id")
    assert plain.loc["ship", ["designed_h_mean", "avoidable_h_mean"]].tolist() == \
        pytest.approx([0.0, 7.0])


def test_report_headline_names_the_biggest_avoidable_delay():
    from phasesim.report import render_report

    text = render_report(history_log(), n_boot=0)
    assert "Biggest avoidable delay" in text
    # ship and gate both hold 2 h avoidable; ship comes first in the ranking (8 h > 2 h)
    assert "The biggest avoidable delay is in ship: 2.0 h per release" in text
    assert "The largest wait by design is in watch: 24.0 h per release" in text


FREEZE = """\
    process:
      id: frozen
      calendars:
        ops: {timezone: UTC, freezes: [[2026-12-21, 2027-01-01]]}
      environments:
        prod: {capacity: 1, production: true, calendar: ops}
      phases:
        - phase:
            id: stage
            activities:
              - activity: {id: deploy, type: automated, duration: 1h}
        - phase:
            id: release
            depends-on: [stage]
            %s
            activities:
              - activity: {id: deploy, type: automated, duration: 5h%s}
    """


@pytest.mark.parametrize("where", ["phase", "activity"])
def test_a_freeze_is_a_designed_wait_and_an_environment_queue_avoidable(where: str):
    text = FREEZE % (("uses: [prod]", "") if where == "phase" else ("", ", uses: [prod]"))
    start = pd.Timestamp("2026-12-22 10:00", tz="UTC")
    result = simulate(load_blueprint(textwrap.dedent(text)), releases=2,
                      cadence=[start, start], start=start, runs=1, seed=1, progress=False)
    rows = result.log[result.log["phase_id"] == "release"].set_index("release_id")
    # both wait out the freeze, 12-22 11:00 -> 01-02 00:00 = 253 h (designed); the second
    # then queues 5 h for prod behind the first (avoidable)
    assert rows["wait_freeze_h"].tolist() == pytest.approx([253.0, 253.0])
    assert rows["wait_environment_h"].tolist() == pytest.approx([253.0, 258.0])
    waits = result.wait_breakdown()
    assert waits["freeze"].tolist() == pytest.approx([253.0, 253.0])
    assert waits["environment"].tolist() == pytest.approx([0.0, 5.0])
    by_class = result.wait_breakdown(group="class")
    assert by_class["designed"].tolist() == pytest.approx([253.0, 253.0])
    assert by_class["avoidable"].tolist() == pytest.approx([0.0, 5.0])
    assert by_class["work"].tolist() == pytest.approx([6.0, 6.0])


def test_criticality_plot_names_designed_only_activities_it_leaves_out():
    result = run(ANCHOR_SOAK)
    fig, ax = plt.subplots()
    result.plot_criticality(ax=ax, top=2)  # compile and deploy; the soak is left out
    notes = [t.get_text() for t in ax.texts if t.get_text().startswith("Designed")]
    assert notes == ["Designed waits only, not shown: watch · soak (1.0 d)"]
    plt.close(fig)


def test_history_gantt_draws_a_soak_as_a_designed_wait():
    from phasesim.plotting import plot_gantt

    fig, ax = plt.subplots()
    plot_gantt(history_log(), "r1", ax=ax)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "wait activity (designed wait)" in labels
    names = [t.get_text() for t in ax.get_yticklabels()]
    bars = sorted(ax.patches, key=lambda p: p.get_y())  # one bar per row, top first
    soak = bars[names.index("watch · soak")]
    assert soak.get_hatch() == ".." and soak.get_alpha() == 0.4
    assert bars[names.index("ship · deploy")].get_hatch() is None
    plt.close(fig)


def test_a_failed_try_keeps_its_slot_designed_and_its_own_time_is_rework():
    log = pd.DataFrame({
        "activity_type": ["automated", "automated"], "status": ["failed", "succeeded"],
        "rework": [False, True],
        "wait_serialize_h": [0.0, 0.0], "wait_anchor_h": [92.0, 0.0],
        "wait_environment_h": [0.0, 0.0], "wait_team_h": [0.0, 0.0],
        "offhours_h": [0.0, 0.0], "work_h": [1.0, 1.5]})
    parts = split_rows(log)
    # the first try waited 92 h for its slot (designed) and failed after 1 h (rework);
    # the retry is rework as a whole
    assert parts["anchor"].tolist() == [92.0, 0.0]
    assert parts["rework"].tolist() == [1.0, 1.5]
    assert parts["designed_h"].tolist() == [92.0, 0.0]
    assert parts["avoidable_h"].tolist() == [1.0, 1.5]
    assert parts["work_h"].tolist() == [0.0, 0.0]

    from phasesim.analysis import critical_paths

    t = lambda *s: pd.to_datetime(list(s), utc=True)  # noqa: E731
    history = pd.DataFrame({
        "release_id": ["r1"] * 3, "phase_id": ["build", "ship", "ship"],
        "activity_id": ["compile", "deploy", "deploy"], "attempt": [1, 1, 2],
        "status": ["succeeded", "failed", "succeeded"],
        "start": t("2026-03-02 00:00", "2026-03-02 10:00", "2026-03-02 11:00"),
        "end": t("2026-03-02 03:00", "2026-03-02 11:00", "2026-03-02 12:00"),
        "planned_start": t("NaT", "2026-03-02 08:00", "2026-03-02 08:00")})
    paths = critical_paths(history, level="activity")
    # deploy #1 waited 7 h: 5 until its plan (designed), 2 late; failed after 1 h (avoidable)
    assert paths["designed_h"].tolist() == pytest.approx([0.0, 5.0, 0.0])
    assert paths["avoidable_h"].tolist() == pytest.approx([0.0, 3.0, 1.0])


def test_waiting_vs_working_splits_designed_and_avoidable():
    from phasesim.analysis import waiting_vs_working

    table = waiting_vs_working(history_log(), level="activity").set_index("activity_id")
    assert table["designed_h"].to_dict() == pytest.approx(
        {"compile": 0.0, "deploy": 5.0, "soak": 24.0, "approve": 0.0})
    assert table["avoidable_h"].to_dict() == pytest.approx(
        {"compile": 0.0, "deploy": 2.0, "soak": 0.0, "approve": 2.0})


FOR_EACH_BP = """\
    process:
      id: regions
      inputs:
        regions: {type: list, default: [eu, us]}
      phases:
        - phase:
            id: ship
            activities:
              - activity: {id: build, type: automated, duration: 1h}
              - activity:
                  id: deploy
                  type: automated
                  duration: 1h
                  depends-on: [build]
                  for-each: <+releaseInput.regions>
                  not-before: Mon 09:00
    """


def test_history_for_each_instance_takes_its_templates_anchor():
    from phasesim.analysis import critical_paths

    # build 00:00-01:00, then deploy[eu] and deploy[us] wait for their Mon 09:00 anchor:
    # eu 09:00-10:00, us 09:00-11:00 (the longer one is on the path). The 8 h before
    # deploy[us] are designed because its template `deploy` is anchored; the instance's
    # name in the log is `deploy[us]`, not `deploy`.
    log = pd.DataFrame({
        "release_id": ["r1"] * 3,
        "phase_id": ["ship"] * 3,
        "activity_id": ["build", "deploy[eu]", "deploy[us]"],
        "start": pd.to_datetime(["2026-01-05 00:00", "2026-01-05 09:00", "2026-01-05 09:00"],
                                utc=True),
        "end": pd.to_datetime(["2026-01-05 01:00", "2026-01-05 10:00", "2026-01-05 11:00"],
                              utc=True),
    })
    bp = load_blueprint(textwrap.dedent(FOR_EACH_BP))
    paths = critical_paths(log, bp, level="activity")
    assert paths["activity_id"].tolist() == ["build", "deploy[us]"]
    assert paths["designed_h"].tolist() == pytest.approx([0.0, 8.0])
    assert paths["avoidable_h"].tolist() == pytest.approx([0.0, 0.0])
    assert paths["work_h"].tolist() == pytest.approx([1.0, 2.0])
    # a name with brackets that is not a for-each instance gets nothing from `deploy`
    other = log.replace({"deploy[us]": "deployx[us]"})
    plain = critical_paths(other, bp, level="activity")
    assert plain["designed_h"].tolist() == pytest.approx([0.0, 0.0])
    assert plain["avoidable_h"].tolist() == pytest.approx([0.0, 8.0])
