"""discover: a blueprint from an event log.

Hand-made logs pin each rule on a few releases with hand-computed answers; logs simulated
from known blueprints (linear, parallel, the Harness train without contention) check
that the structure comes back exactly, the durations within 5%, and that simulating the
discovered blueprint reproduces the source's lead times.
"""

from __future__ import annotations

import re
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

import phasesim
from phasesim.discovery import Discovery, discover
from phasesim.errors import LogError, PhasesimError

DATA = Path(__file__).resolve().parents[1] / "data" / "blueprints"
T0 = pd.Timestamp("2026-01-05 09:00", tz="UTC")  # a Monday


def _row(rel: str, phase: str, act: str, start_h: float, end_h: float, *,
         kind: str = "automated", status: str = "succeeded", attempt: int = 1,
         owner: str | None = None, day: int = 0) -> dict[str, object]:
    base = T0 + pd.Timedelta(days=7 * day)
    return {"run": 0, "release_id": rel, "phase_id": phase, "activity_id": act,
            "activity_type": kind, "owner": owner, "status": status, "attempt": attempt,
            "start": base + pd.Timedelta(hours=start_h),
            "end": base + pd.Timedelta(hours=end_h)}


def _hand_log() -> pd.DataFrame:
    """Four weekly releases of phase p (a, b, c, d) then phase q (e).

    a 0-1h, b 1-2h (after a), c 0.5-1.5h (overlaps a and b), d 2-3h in R1 and R2 only
    (after b and c), then q.e 3-4h. In R4, b starts at 1.25h, before c ends: b follows c
    in 3 of 4 releases.
    """
    rows = []
    for i, rel in enumerate(["R1", "R2", "R3", "R4"]):
        b_start = 1.25 if rel == "R4" else 1.0
        c_end = 1.5 if rel == "R4" else 0.9
        rows += [_row(rel, "p", "a", 0, 1, day=i), _row(rel, "p", "b", b_start, 2, day=i),
                 _row(rel, "p", "c", 0.5, c_end, day=i)]
        if rel in ("R1", "R2"):
            rows.append(_row(rel, "p", "d", 2, 3, day=i))
        rows.append(_row(rel, "q", "e", 3, 4, day=i))
    return phasesim.validate_log(pd.DataFrame(rows))


def _edges(bp: phasesim.Blueprint) -> set[tuple[str, str]]:
    return set(bp.graph.edges)


def _contract(graph: nx.DiGraph, nodes: list[str]) -> set[tuple[str, str]]:
    """The edges with ``nodes`` taken out (their predecessors joined to their successors)."""
    g = graph.copy()
    for n in nodes:
        for p in list(g.predecessors(n)):
            for s in list(g.successors(n)):
                g.add_edge(p, s)
        g.remove_node(n)
    return set(nx.transitive_reduction(g).edges)


# ---------------------------------------------------------------------------------------
# Hand-made logs
# ---------------------------------------------------------------------------------------


def test_hand_log_dag_optional_activity_and_phase_order() -> None:
    d = discover(_hand_log(), min_support=0.9)
    bp = d.blueprint
    p = bp.phase("p")
    deps = {a.id: set(a.depends_on) for a in p.activities}
    # b follows c in only 3 of 4 releases (< 0.9): concurrent; d after b and c
    assert deps == {"a": set(), "c": set(), "b": {"a"}, "d": {"b", "c"}}
    assert bp.phase("q").depends_on == ("p",)
    d_act = p.activity("d")
    assert d_act.condition is not None
    spec = next(s for s in bp.inputs if s.name == "run_p_d")
    assert spec.type == "boolean" and spec.default is True  # ran in 2 of 4: 50%
    assert "50%" in (spec.description or "")
    ev = d.evidence.set_index("element")
    assert ev.loc["p.c || p.b", "support"] == pytest.approx(0.75)
    assert ev.loc["p.d", "kind"].tolist() == ["optional", "duration"]
    assert ev.loc["p.d", "n"].tolist() == [4, 2]  # 2 of 4 releases; 2 durations
    assert ev.loc["p -> q", "support"] == 1.0 and ev.loc["p -> q", "n"] == 4


def test_min_support_decides_an_edge() -> None:
    d = discover(_hand_log(), min_support=0.75)
    deps = {a.id: set(a.depends_on) for a in d.blueprint.phase("p").activities}
    assert deps["b"] == {"a", "c"}  # b after c in 3 of 4 releases = 0.75
    assert deps["d"] == {"b"}  # c -> d is transitive through b now: removed


def test_rare_activity_is_left_out_and_counted() -> None:
    log = _hand_log()
    extra = _row("R3", "p", "z", 2, 2.5, day=2)
    log = phasesim.validate_log(pd.concat([log, pd.DataFrame([extra])], ignore_index=True))
    d = discover(log, leave_out_below=0.3)  # z ran in 1 of 4 = 25%
    assert "z" not in [a.id for a in d.blueprint.phase("p").activities]
    assert d.left_out.to_dict("records") == [
        {"phase_id": "p", "activity_id": "z", "releases": 1, "frequency": 0.25}]
    assert "Left out as too rare: 1 activity (p.z 25%)" in d.to_yaml()


def test_cadence_weekly_from_release_starts() -> None:
    d = discover(_hand_log())
    assert d.cadence == {"freq": "weekly", "interval": 1, "weekday": "monday",
                         "time": "09:00", "timezone": "UTC"}
    assert d.start == T0


def test_cadence_empirical_when_gaps_differ() -> None:
    rows = [_row(f"R{i}", "p", "a", h, h + 1) for i, h in enumerate([0, 30, 50, 130])]
    d = discover(pd.DataFrame(rows))
    assert d.cadence == {"interarrival": {"empirical": [30.0, 20.0, 80.0]}}


def test_team_capacity_is_the_peak_of_concurrent_manual_work() -> None:
    # three manual jobs of team T: 0-4h, 1-3h, 2-5h (three at once at 2h-3h), and one
    # that starts when another ends (4h-6h: no fourth)
    rows = [_row(f"R{i}", "p", "w", s, e, kind="manual", owner="T")
            for i, (s, e) in enumerate([(0, 4), (1, 3), (2, 5), (4, 6)])]
    d = discover(pd.DataFrame(rows))
    assert d.blueprint.teams["T"].capacity == 3


def test_yaml_has_a_comment_on_each_element_and_reads_back_equal(tmp_path: Path) -> None:
    d = discover(_hand_log())
    path = tmp_path / "bp.yaml"
    text = d.to_yaml(path)
    assert path.read_text() == text
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith(("- phase:", "- activity:")):
            assert lines[i - 1].strip().startswith("#"), line
    assert "# ran in 2 of 4 releases of its phase; after c, b" in text
    again = phasesim.load_blueprint(path)
    assert again.to_dict() == d.blueprint.to_dict()


def test_repr_and_html() -> None:
    assert phasesim.discover is discover and phasesim.Discovery is Discovery
    assert {"discover", "Discovery"} <= set(dir(phasesim))
    d = discover(_hand_log())
    assert repr(d) == "<Discovery of 2 phases, 5 activities from 4 releases>"
    page = d._repr_html_()
    assert "<table" in page and "p.c || p.b" in page


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(PhasesimError, match="min_support"):
        discover(_hand_log(), min_support=0)
    with pytest.raises(PhasesimError, match="unknown timezone"):
        discover(_hand_log(), timezone="Mars/Olympus")
    with pytest.raises(LogError, match=r"none of the phases \['zzz'\] is in the log"):
        discover(_hand_log(), phases=["zzz"])
    with pytest.raises(PhasesimError, match="phases must be None, 'activities'"):
        discover(_hand_log(), phases="all")
    log = _hand_log().assign(start=pd.NaT)
    with pytest.raises(LogError, match="no row has both a start and an end"):
        discover(log)


def test_rejection_loop_becomes_reject_goto() -> None:
    # fix (manual) then gate (approval); R1's gate rejects and fix runs again
    rows = []
    for i, rel in enumerate(["R1", "R2", "R3"]):
        rows += [_row(rel, "p", "fix", 0, 1, kind="manual", day=i)]
        if rel == "R1":
            rows += [_row(rel, "p", "gate", 1, 2, kind="approval", status="rejected", day=i),
                     _row(rel, "p", "fix", 2, 3, kind="manual", attempt=2, day=i),
                     _row(rel, "p", "gate", 3, 4, kind="approval", attempt=2, day=i)]
        else:
            rows += [_row(rel, "p", "gate", 1, 2, kind="approval", day=i)]
    d = discover(pd.DataFrame(rows), min_samples=3)
    gate = d.blueprint.phase("p").activity("gate")
    assert gate.approval is not None and gate.approval.reject is not None
    assert gate.approval.reject.goto == "fix"
    assert gate.approval.reject.probability == 0.25  # 1 rejection in 4 passes
    assert d.blueprint.phase("p").activity("gate").depends_on == ("fix",)


# ---------------------------------------------------------------------------------------
# Logs simulated from known blueprints
# ---------------------------------------------------------------------------------------


def _harness_without_contention() -> str:
    text = (DATA / "harness-system-release.yaml").read_text()
    text = re.sub(r"capacity: \d+", "capacity: 50", text)
    text = re.sub(r"      holidays: \[.*?\]\n", "", text, flags=re.S)
    return re.sub(r"      freezes:\n        - \[2026-12-21, 2027-01-01\]\n", "", text)


CASES = {
    "linear": (str(DATA / "linear.yaml"), "weekly", "Europe/Berlin"),
    "parallel": (str(DATA / "parallel.yaml"), "weekly", "UTC"),
    "harness": (_harness_without_contention(), "every 2w", "America/Los_Angeles"),
}


@pytest.fixture(scope="module")
def simulated() -> dict[str, tuple[phasesim.Blueprint, pd.DataFrame, Discovery]]:
    out = {}
    for name, (source, cadence, tz) in CASES.items():
        bp = phasesim.load_blueprint(source)
        log = phasesim.simulate(bp, releases=500, cadence=cadence, runs=1, seed=11,
                                progress=False).log
        out[name] = (bp, log, discover(log, timezone=tz))
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_activity_dag_recovered_exactly(simulated: dict, name: str) -> None:
    bp, _, d = simulated[name]
    # db_migration never runs (its input is false): it is left out, and the source's
    # graph is compared with it taken out
    left = [f"{r.phase_id}.{r.activity_id}" for r in d.left_out.itertuples()]
    assert left == (["beta_rollout.db_migration"] if name == "harness" else [])
    assert _edges(d.blueprint) == _contract(bp.graph, left)
    assert {p.id: p.rollback for p in d.blueprint.phases} == {
        p.id: p.rollback for p in bp.phases}


@pytest.mark.parametrize("name", list(CASES))
def test_median_durations_within_5_percent(simulated: dict, name: str) -> None:
    """Within 5% of the median the simulator drew (its ``work_h`` column: the durations
    in the log, in the time base they were sampled in), and within 10% of the source's
    own median (a lognormal median from 500 draws has a standard error near 3%)."""
    bp, log, d = simulated[name]
    drawn = log[log["status"].eq("succeeded")].assign(
        template=log["activity_id"].str.replace(r"\[.*\]$", "", regex=True))
    drawn_median = drawn.groupby(["phase_id", "template"])["work_h"].median()
    checked = 0
    for phase, act in bp.iter_activities():
        if act.duration is None or act.approval is not None or phase.rollback:
            continue
        if act.id == "db_migration":
            continue
        got = d.blueprint.phase(phase.id).activity(act.template_id).duration
        assert got is not None, act.id
        where = f"{phase.id}.{act.id}"
        sample = drawn_median[(phase.id, act.template_id)]
        assert got.quantile(0.5) == pytest.approx(sample, rel=0.05), where
        assert got.quantile(0.5) == pytest.approx(act.duration.quantile(0.5), rel=0.10), where
        checked += 1
    assert checked >= 6


@pytest.mark.parametrize("name", list(CASES))
def test_discover_then_simulate_reproduces_lead_times(simulated: dict, name: str) -> None:
    _, log, d = simulated[name]
    again = phasesim.simulate(d.blueprint, releases=500, cadence=d.cadence, start=d.start,
                              runs=1, seed=12, progress=False).log
    a = phasesim.lead_times(log)["lead_time_h"]
    b = phasesim.lead_times(again)["lead_time_h"]
    for q in (0.5, 0.8):
        assert b.quantile(q) == pytest.approx(a.quantile(q), rel=0.05), q


def test_cadence_recovered(simulated: dict) -> None:
    assert simulated["linear"][2].cadence == {
        "freq": "weekly", "interval": 1, "weekday": "monday", "time": "09:00",
        "timezone": "UTC"}
    # the Harness releases are held to the branch cut's Mon 09:00 Los Angeles anchor
    assert simulated["harness"][2].cadence == {
        "freq": "weekly", "interval": 2, "weekday": "monday", "time": "09:00",
        "timezone": "America/Los_Angeles"}


def test_calendar_and_slots_of_the_harness(simulated: dict) -> None:
    _, _, d = simulated["harness"]
    cal = d.blueprint.calendars["work"]
    assert cal.timezone == "America/Los_Angeles"
    assert d.evidence.set_index("element").loc["calendar work", "value"] == \
        "Mon-Fri 09:00-17:00"
    slots = {(p.id, a.id): str(a.not_before) for p, a in d.blueprint.iter_activities()
             if a.not_before is not None}
    assert slots == {
        ("alpha_fixes", "alpha_cutoff"): "Thu 12:00 (week 1)",
        ("qa_signoff", "qa_approval"): "Thu 16:00 (week 1)",
        ("prod_1", "deploy_prod1"): "Mon 09:00 (week 3)",
        ("prod_2", "deploy_prod2"): "Wed 09:00 (week 3)",
        ("prod_3", "deploy_prod3"): "Mon 09:00 (week 4)",
    }


def test_rework_and_rollback_of_the_harness(simulated: dict) -> None:
    _, _, d = simulated["harness"]
    bp = d.blueprint
    qa = bp.phase("qa_signoff").activity("qa_approval")
    assert qa.approval is not None and qa.approval.reject is not None
    assert qa.approval.reject.goto == "alpha_fixes"
    assert bp.phase("hotfix").rollback and bp.phase("hotfix").resume
    deploy = bp.phase("beta_rollout").activity("deploy_prod0")
    assert deploy.failure is not None and deploy.failure.on_failure == "hotfix"
    alpha = bp.phase("alpha_fixes").activity("alpha_fix")
    assert alpha.for_each is not None


def test_team_capacity_recovered_under_contention() -> None:
    bp = phasesim.load_blueprint("""
process:
  id: busy
  teams: {T: 2}
  phases:
    - phase:
        id: work
        owners: [T]
        activities:
          - activity: {id: job, type: manual, duration: {lognormal: {median: 40h, p90: 60h}}}
""")
    log = phasesim.simulate(bp, releases=100, cadence="daily", runs=1, seed=3,
                            progress=False).log
    d = discover(log)
    assert d.blueprint.teams["T"].capacity == 2
    assert d.calibration.table.loc[0, "n"] == 100


def test_weekly_anchor_recovered() -> None:
    # ready between Mon 10:00 and Wed 21:00; deploy waits for the next Wed 10:00, so it
    # goes in week 1 or week 2 of the release: a weekly anchor, not a slot
    bp = phasesim.load_blueprint("""
process:
  id: train
  phases:
    - phase:
        id: prep
        activities:
          - activity: {id: build, type: automated, duration: 1h}
          - activity: {id: soak, type: automated, depends-on: [build],
                       duration: {uniform: [0h, 59h]}}
    - phase:
        id: ship
        depends-on: [prep]
        not-before: Wed 10:00
        activities:
          - activity: {id: deploy, type: automated, duration: 30m}
""")
    log = phasesim.simulate(bp, releases=200, cadence="weekly", runs=1, seed=5,
                            progress=False).log
    d = discover(log)
    deploy = d.blueprint.phase("ship").activity("deploy")
    assert str(deploy.not_before) == "Wed 10:00"
    ev = d.evidence.set_index("element").loc["ship.deploy"]
    row = ev[ev["kind"] == "not-before"].iloc[0]
    assert row["value"] == "weekly anchor Wed 10:00" and row["support"] == 1.0


# ---------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------


def test_cli_discover_prints_what_it_found_and_writes_the_yaml(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from phasesim.cli import main

    log_path = tmp_path / "history.csv"
    _hand_log().to_csv(log_path, index=False)
    out = tmp_path / "bp.yaml"
    evidence = tmp_path / "evidence.csv"
    assert main(["discover", str(log_path), "-o", str(out), "--evidence", str(evidence)]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == "2 phases, 5 activities, 0 teams from 4 releases (18 rows)"
    assert "phase order: p -> q (depends-on)" in text
    assert "activity dependencies: p.a -> p.b (depends-on); p.c -> p.d (depends-on); " \
        "p.b -> p.d (depends-on)" in text
    assert "optional activities: p.d (if run_p_d)" in text
    assert "cadence: every 1 week on Mon 09:00 (UTC)" in text
    assert f"wrote {out}" in text
    bp = phasesim.load_blueprint(out)
    assert bp.id == "history" and [p.id for p in bp.phases] == ["p", "q"]
    assert "p.c || p.b" in evidence.read_text()


def test_cli_discover_bad_input_is_a_message(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from phasesim.cli import main

    log_path = tmp_path / "history.csv"
    _hand_log().to_csv(log_path, index=False)
    assert main(["discover", str(log_path), "-o", str(tmp_path / "x.yaml"),
                 "--timezone", "Mars/Olympus"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("phasesim discover: unknown timezone 'Mars/Olympus'")
    assert not (tmp_path / "x.yaml").exists()
    with pytest.raises(SystemExit) as done:
        main(["discover", str(log_path), "-o", "x.yaml", "--min-support", "1.5"])
    assert done.value.code == 2


def test_durations_fitted_on_a_sample_of_releases_when_there_are_many() -> None:
    d = discover(_hand_log(), fit_releases=2, min_samples=3)
    row = d.evidence[d.evidence["kind"] == "fit-sample"].iloc[0]
    assert (row["n"], row["support"], row["value"]) == (2, 0.5, "2 of 4 releases")
    table = d.calibration.table.set_index("activity_id")
    assert table.loc["a", "n"] == 2 and table.loc["e", "n"] == 2
    # the structure still rests on all four releases
    assert d.evidence.set_index("element").loc["p -> q", "n"] == 4


def test_a_phase_in_some_releases_gets_an_if_and_a_rare_one_is_left_out() -> None:
    log = _hand_log()
    extra = [_row("R1", "r", "x", 4, 5, day=0), _row("R2", "r", "x", 4, 5, day=1),
             _row("R3", "r", "x", 4, 5, day=2), _row("R4", "s", "y", 4, 5, day=3)]
    log = phasesim.validate_log(pd.concat([log, pd.DataFrame(extra)], ignore_index=True))
    d = discover(log, leave_out_below=0.3)
    bp = d.blueprint
    assert [p.id for p in bp.phases] == ["p", "q", "r"]  # s ran in 1 of 4: left out
    assert bp.phase("r").condition is not None and bp.phase("r").depends_on == ("q",)
    spec = next(s for s in bp.inputs if s.name == "run_r")
    assert spec.default is True and spec.description == "phase r ran in 75% of releases"
    assert d.left_out.to_dict("records") == [
        {"phase_id": "s", "activity_id": "y", "releases": 1, "frequency": 0.25}]


def test_first_start_and_done_on_codes_whatever_the_row_order() -> None:
    """The first start is the earliest start of any try, done the end of the first
    succeeded try; the groups come in the order of their first row, sorted or not."""
    from phasesim.discovery.discover import _first_start_and_done, _prepare

    rows = [_row("R1", "p", "a", 0, 1, status="failed"),
            _row("R1", "p", "a", 1.5, 2, attempt=2),
            _row("R1", "p", "b", 2, 3),
            _row("R1", "p", "b", 3.5, 5, status="failed", attempt=2),  # after success
            _row("R2", "p", "a", 0, 1, day=1),
            _row("R2", "p", "b", 1, 2, status="failed", day=1),
            _row("R2", "p", "b", 2, 4, attempt=2, day=1)]
    t0 = T0.value / 3.6e12
    expected = {("R1", "a"): (0, 2), ("R1", "b"): (2, 3), ("R2", "a"): (168, 169),
                ("R2", "b"): (169, 172)}
    prepared = _prepare(phasesim.validate_log(pd.DataFrame(rows)), None)
    for order in (list(range(7)), [6, 2, 5, 0, 4, 1, 3]):
        frame = prepared.iloc[order]  # shuffled: the keys no longer come sorted
        names = frame["rel_name"].array.categories
        per = _first_start_and_done(frame)
        got = {(names[r], t): (round(s - t0, 6), round(d - t0, 6)) for r, t, s, d in
               zip(per["rel"], per["template"], per["s"], per["d"], strict=True)}
        assert got == expected
        # in the order of the first row of each (release, activity)
        firsts = list(dict.fromkeys((names[r], str(a)) for r, a in
                                    zip(frame["rel"], frame["activity_id"], strict=True)))
        assert [(names[r], t) for r, t in zip(per["rel"], per["template"],
                                              strict=True)] == firsts
