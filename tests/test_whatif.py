"""What-if estimates: scenarios, common random numbers, compare, sensitivity, cadence sweeps.

Small deterministic blueprints pin exact values (a change with a fixed effect shows as
exactly that difference, with a zero-width interval); the Harness train checks that the
bundled scenarios load and that identical scenarios give identical logs.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phasesim.blueprint import load_blueprint
from phasesim.blueprint.model import Slot
from phasesim.calendars import WeeklyAnchor
from phasesim.cli import main
from phasesim.distributions import Fixed, parse_duration_spec
from phasesim.errors import PhasesimError, ScenarioError
from phasesim.plotting.whatif import plot_comparison, plot_differences, plot_tornado
from phasesim.whatif import Comparison, cadence_sweep, compare, sensitivity
from phasesim.whatif.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "data" / "blueprints" / "harness-system-release.yaml"
SCENARIOS = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))
START = pd.Timestamp("2026-03-02 10:00", tz="UTC")  # a Monday
QUIET = {"progress": False, "start": START}


def bp_of(text: str):
    return load_blueprint(textwrap.dedent(text))


# A blueprint with one of every changeable thing.
RICH = """\
    process:
      id: rich
      calendars:
        office: {timezone: UTC, hours: Mon-Fri 09:00-17:00}
      teams:
        Dev: {capacity: 2, calendar: office}
        QA: 1
      environments:
        staging: {capacity: 1}
      phases:
        - phase:
            id: build
            owners: [Dev]
            activities:
              - activity: {id: code, type: manual, duration: {pert: [2h, 4h, 9h]}}
              - activity: {id: compile, type: automated, depends-on: [code],
                           duration: 30m, failure: {probability: 0.1, retries: 1}}
              - activity: {id: package, type: automated, depends-on: [compile],
                           duration: 10m}
        - phase:
            id: test
            owners: [QA]
            depends-on: [build]
            not-before: Tue 09:00
            uses: [staging]
            activities:
              - activity: {id: suite, type: automated, duration: {triangular: [1h, 2h, 4h]}}
              - activity:
                  id: signoff
                  type: manual
                  depends-on: [suite]
                  approval:
                    wait: {lognormal: {median: 1h, p90: 4h}}
                    approvers: 2
                    required: 2
                    reject: {probability: 0.1, goto: suite}
        - phase:
            id: ship
            depends-on: [test]
            activities:
              - activity: {id: deploy, type: automated, depends-on: [build.package],
                           duration: 20m}
              - activity: {id: announce, type: wait, depends-on: [deploy],
                           not-before: Fri 12:00}
    """


@pytest.fixture(scope="module")
def rich():
    return bp_of(RICH)


def apply(bp, *changes, name="s"):
    return load_scenario({"name": name, "changes": list(changes)}, base=bp).apply()


# ---------------------------------------------------------------------------------------
# Change kinds, exact resulting fields
# ---------------------------------------------------------------------------------------


def test_scale_and_set_durations(rich):
    code = rich.phase("build").activity("code")
    out = apply(rich, {"activity": "build.code", "scale": 0.5})
    assert out.phase("build").activity("code").duration == code.duration.scaled(0.5)
    assert out.phase("build").activity("code").duration.mean() == pytest.approx(
        0.5 * code.duration.mean())
    # a bare id that is unique is enough
    out = apply(rich, {"activity": "compile", "duration": "2h"})
    assert out.phase("build").activity("compile").duration == Fixed(2.0)
    out = apply(rich, {"activity": "test.suite", "duration": {"uniform": ["1h", "3h"]}})
    assert out.phase("test").activity("suite").duration == parse_duration_spec(
        {"uniform": ["1h", "3h"]})
    # scaling a gate scales its approval wait
    gate = rich.phase("test").activity("signoff").approval
    out = apply(rich, {"activity": "test.signoff", "scale": 0.25})
    assert out.phase("test").activity("signoff").approval.wait == gate.wait.scaled(0.25)
    # everything else is left as it was
    assert out.phase("build") == rich.phase("build")


def test_approval_quorum_wait_and_rejection(rich):
    out = apply(rich, {"activity": "test.signoff",
                       "approval": {"approvers": 3, "wait": "30m",
                                    "reject": {"probability": 0.02}}})
    gate = out.phase("test").activity("signoff").approval
    assert (gate.approvers, gate.required, gate.wait) == (3, 2, Fixed(0.5))
    assert (gate.reject.probability, gate.reject.goto) == (0.02, "suite")
    out = apply(rich, {"activity": "test.signoff", "approval": {"required": 1,
                                                                "reject": None}})
    gate = out.phase("test").activity("signoff").approval
    assert (gate.approvers, gate.required, gate.reject) == (2, 1, None)


def test_failure_probability_and_retries(rich):
    out = apply(rich, {"activity": "build.compile", "failure": {"probability": 0.01,
                                                                "retries": 3}})
    failure = out.phase("build").activity("compile").failure
    assert (failure.probability, failure.retries, failure.on_failure) == (0.01, 3, "abort")
    out = apply(rich, {"activity": "build.package", "failure": {"probability": 0.2}})
    assert out.phase("build").activity("package").failure.probability == 0.2
    out = apply(rich, {"activity": "build.compile", "failure": None})
    assert out.phase("build").activity("compile").failure is None


def test_team_environment_and_calendar_changes(rich):
    out = apply(rich, {"team": "Dev", "capacity": 5},
                {"calendar": "follow_the_sun", "hours": "24/7"},
                {"team": "QA", "calendar": "follow_the_sun"},
                {"environment": "staging", "capacity": 2},
                {"calendar": "office", "hours": "Mon-Fri 08:00-18:00"})
    assert out.teams["Dev"].capacity == 5 and out.teams["Dev"].calendar == "office"
    assert out.teams["QA"].calendar == "follow_the_sun"
    assert out.calendars["follow_the_sun"].hours == "24/7"
    assert out.calendars["office"].hours == "Mon-Fri 08:00-18:00"
    assert out.calendars["office"].timezone == "UTC"
    assert out.environments["staging"].capacity == 2
    assert rich.teams["Dev"].capacity == 2  # the base is untouched (frozen)


def test_anchor_phase_changes_and_cadence(rich):
    sc = load_scenario({"name": "s", "changes": [
        {"phase": "test", "not-before": None, "scale": 2},
        {"activity": "ship.announce", "not-before": "Thu 15:00"},
        {"activity": "build.package", "not-before": {"at": "Wed 10:00", "week": 2}},
        {"cadence": "every 2w"}]}, base=rich)
    out = sc.apply()
    assert out.phase("test").not_before is None
    assert out.phase("ship").activity("announce").not_before == WeeklyAnchor(3, 15, 0)
    assert out.phase("build").activity("package").not_before == Slot(WeeklyAnchor(2, 10, 0),
                                                                      2)
    suite = rich.phase("test").activity("suite").duration
    assert out.phase("test").activity("suite").duration == suite.scaled(2.0)
    assert sc.cadence == "every 2w"
    assert sc.to_frame()["change"].tolist() == [
        "phase test: not-before none; time x2", "activity ship.announce: not-before Thu 15:00",
        "activity build.package: not-before Wed 10:00 (week 2)", "cadence: every 2w"]


def test_removal_rewires_dependencies(rich):
    out = apply(rich, {"activity": "build.compile", "remove": True})
    build = out.phase("build")
    assert [a.id for a in build.activities] == ["code", "package"]
    assert build.activity("package").depends_on == ("code",)
    # a removed activity that others in other phases named passes its dependencies on
    out = apply(rich, {"activity": "build.package", "remove": True})
    assert out.phase("ship").activity("deploy").depends_on == ("build.compile",)
    assert ("build.compile", "ship.deploy") in out.graph.edges
    # an entry activity: its dependents in the phase become entry activities
    out = apply(rich, {"activity": "build.code", "remove": True})
    assert out.phase("build").activity("compile").depends_on == ()
    assert "build.code" not in out.graph
    assert ("build.package", "test.suite") in out.graph.edges


def test_removing_an_entry_activity_hands_on_its_phase_wait():
    bp = bp_of("""\
        process:
          id: p
          phases:
            - phase:
                id: a
                activities:
                  - activity: {id: x, type: automated, duration: 1h}
            - phase:
                id: b
                depends-on: [a]
                activities:
                  - activity: {id: y, type: automated, duration: 1h}
                  - activity: {id: z, type: automated, duration: 1h}
            - phase:
                id: c
                activities:
                  - activity: {id: w, type: automated, depends-on: [b.y], duration: 1h}
        """)
    out = apply(bp, {"activity": "b.y", "remove": True})
    assert out.phase("c").activity("w").depends_on == ("a.x",)
    assert ("a.x", "c.w") in {(u, v) for u, v in out.graph.edges}


def test_parallel_phases_change_edges_and_shorten_by_hand_computed_amount():
    # build 2h -> test 3h -> docs 1h, all fixed: lead time 6h. Docs in parallel with
    # test (both after build): 2h + max(3h, 1h) = 5h, one hour less for every release.
    bp = bp_of("""\
        process:
          id: p
          phases:
            - phase:
                id: build
                activities: [{activity: {id: compile, type: automated, duration: 2h}}]
            - phase:
                id: test
                depends-on: [build]
                activities: [{activity: {id: suite, type: automated, duration: 3h}}]
            - phase:
                id: docs
                depends-on: [test]
                activities: [{activity: {id: publish, type: automated, duration: 1h}}]
        """)
    sc = {"name": "docs in parallel", "changes": [{"phase": "docs", "depends-on": ["build"]}]}
    out = load_scenario(sc, base=bp).apply()
    assert ("test.suite", "docs.publish") in bp.graph.edges
    assert ("test.suite", "docs.publish") not in out.graph.edges
    assert ("build.compile", "docs.publish") in out.graph.edges
    assert bp.critical_path().length_h == 6.0
    assert out.critical_path().length_h == 5.0
    cmp = compare(bp, [sc], releases=4, runs=3, **QUIET)
    assert (cmp.lead_times["base"] == 6.0).all()
    assert (cmp.differences["docs in parallel"] == -1.0).all()
    rows = cmp.table[cmp.table["scenario"] == "docs in parallel"].set_index("metric")
    for metric in ("lead time mean", "lead time P50", "lead time P80", "lead time P95"):
        assert rows.loc[metric, ["diff", "diff_low", "diff_high"]].tolist() == [-1.0] * 3
        assert rows.loc[metric, "value"] == 5.0


# ---------------------------------------------------------------------------------------
# Validation: every problem, with file:line:column
# ---------------------------------------------------------------------------------------


BASE_TEXT = """\
    phase:
      id: build
      activities:
        - activity: {id: compile, type: automated, duration: 2h}
        - activity: {id: test, type: automated, depends-on: [compile], duration: 1h}
        - activity: {id: milestone, type: wait, depends-on: [test]}
    """


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "blueprints").mkdir()
    (tmp_path / "blueprints" / "build.yaml").write_text(textwrap.dedent(BASE_TEXT))
    (tmp_path / "scenarios").mkdir()
    return tmp_path


def write(folder: Path, text: str) -> Path:
    path = folder / "scenarios" / "s.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def raises(path: Path, message: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert message in str(info.value), str(info.value)
    return info.value


def test_unknown_activity_with_did_you_mean(folder: Path):
    path = write(folder, """\
        name: typo
        base: ../blueprints/build.yaml
        changes:
          - activity: build.compil
            scale: 0.5
        """)
    raises(path, f"{path}:4:15: changes[0].activity: unknown activity 'build.compil' in "
           "blueprint 'build' (did you mean 'build.compile'?)")
    path = write(folder, """\
        base: ../blueprints/build.yaml
        changes:
          - {activity: tset, scale: 0.5}
        """)
    raises(path, f"{path}:3:16: changes[0].activity: unknown activity 'tset' in blueprint "
           "'build' (did you mean 'build.test'?)")


def test_bad_factor(folder: Path):
    path = write(folder, """\
        base: ../blueprints/build.yaml
        changes:
          - activity: build.test
            scale: -0.5
          - activity: build.compile
            scale: fast
        """)
    error = raises(path, f"{path}:4:12: changes[0].scale: bad factor -0.5: a scale factor "
                   "must be a positive number")
    assert f"{path}:6:12: changes[1].scale: bad factor 'fast'" in str(error)


def test_unknown_change_kind_and_key(folder: Path):
    path = write(folder, """\
        base: ../blueprints/build.yaml
        changes:
          - service: api
            scale: 2
          - activity: build.test
            scael: 2
          - activty: build.test
            scale: 2
        """)
    error = raises(path, f"{path}:3:5: changes[0]: unknown change kind: no activity, phase, "
                   "team, environment, calendar or cadence key, found 'service', 'scale'")
    text = str(error)
    assert f"{path}:6:5: changes[1].scael: unknown key 'scael' in an activity change " \
           "(did you mean 'scale'?)" in text
    assert f"{path}:7:5: changes[2]: unknown change kind" in text
    assert "(did you mean 'activity'?)" in text
    assert len(error.problems) == 3


def test_change_that_creates_a_cycle(folder: Path):
    path = write(folder, """\
        base: ../blueprints/build.yaml
        changes:
          - activity: build.compile
            depends-on: [milestone]
        """)
    raises(path, f"{path}:4:17: changes[0].depends-on: after this change the blueprint is "
           "not valid: dependency cycle: ")
    error = raises(path, "build.compile -> build.test -> build.milestone")
    assert len(error.problems) == 1


def test_unknown_base_file(folder: Path):
    path = write(folder, """\
        name: lost
        base: ../blueprints/biuld.yaml
        changes:
          - {activity: build.test, scale: 0.5}
        """)
    raises(path, f"{path}:2:7: base: base blueprint file '../blueprints/biuld.yaml' not found "
           "(did you mean 'build.yaml'?")


def test_every_problem_is_listed_at_once(folder: Path):
    path = write(folder, """\
        base: ../blueprints/build.yaml
        changes:
          - {activity: build.milestone, scale: 0.5}
          - {activity: build.test, approval: {approvers: 2}}
          - {activity: build.test, duration: 1x}
          - {team: QA, capacity: 0}
          - {cadence: every sometimes}
        """)
    error = raises(path, f"{path}:3:40: changes[0].scale: activity 'build.milestone' takes "
                   "no time")
    text = str(error)
    assert f"{path}:4:38: changes[1].approval: activity 'build.test' is not an approval " \
           "gate" in text
    assert f"{path}:5:38: changes[2].duration: bad duration:" in text
    assert f"{path}:6:26: changes[3].capacity: capacity must be a whole number of at " \
           "least 1, found 0" in text
    assert f"{path}:7:15: changes[4].cadence: bad cadence:" in text
    assert len(error.problems) == 5


def test_dict_scenarios_are_checked_too(rich):
    with pytest.raises(ScenarioError, match=re.escape(
            "<dict>: changes[0].approval: 3 approvals required but only 2 approvers")):
        apply(rich, {"activity": "test.signoff", "approval": {"required": 3}})
    with pytest.raises(ScenarioError, match=re.escape(
            "<dict>: changes[0].remove: the rejection of test.signoff goes back to "
            "'test.suite'")):
        apply(rich, {"activity": "test.suite", "remove": True},
              {"activity": "test.signoff", "approval": {"reject": None}})
    # in the other order the rejection is gone first, and the removal is fine
    out = apply(rich, {"activity": "test.signoff", "approval": {"reject": None}},
                {"activity": "test.suite", "remove": True})
    assert [a.id for a in out.phase("test").activities] == ["signoff"]
    with pytest.raises(ScenarioError, match="calendar 'nights' is new and no team"):
        apply(rich, {"calendar": "nights", "hours": "Mon-Fri 20:00-23:00"})
    with pytest.raises(ScenarioError, match="has no base blueprint"):
        load_scenario({"changes": []}).apply()
    with pytest.raises(ScenarioError, match=re.escape("unknown scenario key 'chnages' "
                                                      "(did you mean 'changes'?)")):
        load_scenario({"chnages": []})


def test_bundled_harness_scenarios_load_and_change_the_graph():
    assert [p.name for p in SCENARIOS] == [
        "faster-qa-signoff.yaml", "one-more-approver.yaml", "parallel-regression-suite.yaml",
        "prod-2-and-3-together.yaml"]
    base = load_blueprint(HARNESS)
    loaded = {p.stem: load_scenario(p) for p in SCENARIOS}
    for sc in loaded.values():
        assert isinstance(sc, Scenario) and sc.base == base
    out = loaded["parallel-regression-suite"].apply()
    assert ("branch_cut.deploy_qa", "qa_signoff.regression_suite") in out.graph.edges
    assert ("alpha_fixes.alpha_cutoff", "qa_signoff.regression_suite") not in out.graph.edges
    assert ("alpha_fixes.alpha_cutoff", "qa_signoff.qa_approval") in out.graph.edges
    gate = loaded["one-more-approver"].apply().phase("qa_signoff").activity("qa_approval")
    assert (gate.approval.approvers, gate.approval.required) == (3, 2)


# ---------------------------------------------------------------------------------------
# Common random numbers and compare
# ---------------------------------------------------------------------------------------


def test_identical_scenario_gives_exactly_zero_difference():
    cmp = compare(HARNESS, [{"name": "same", "changes": []},
                            {"name": "times one", "changes": [
                                {"activity": "qa_signoff.qa_approval", "scale": 1.0}]}],
                  releases=6, cadence="every 2w", runs=4, seed=3, **QUIET)
    base = cmp.results["base"].log
    for name in ("same", "times one"):
        pd.testing.assert_frame_equal(cmp.results[name].log, base)
        diff = cmp.differences[name]
        assert ((diff == 0.0) | (diff.isna() & cmp.lead_times["base"].isna())).all()
        rows = cmp.table[(cmp.table["scenario"] == name)]
        assert (rows[["diff", "diff_low", "diff_high"]].fillna(0.0) == 0.0).all().all()


LONG_AND_SHORT = """\
    process:
      id: branches
      calendars:
        office: {timezone: UTC, hours: Mon-Fri 09:00-17:00}
      phases:
        - phase:
            id: p
            calendar: office
            activities:
              - activity: {id: long, type: manual, duration: {pert: [8h, 10h, 12h]}}
              - activity: {id: mid, type: automated, duration: {uniform: [4h, 6h]}}
              - activity: {id: gate, type: manual, depends-on: [long, mid],
                           approval: {wait: {lognormal: {median: 1h, p90: 3h}},
                                      reject: {probability: 0.2, goto: long}}}
              - activity: {id: done, type: wait, depends-on: [gate], not-before: Wed 12:00}
    """


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(factor=st.floats(0.2, 0.95), seed=st.integers(0, 2**16))
def test_shortening_a_critical_activity_never_lengthens_any_release(factor: float, seed: int):
    # Without shared teams or environments releases do not interact, and every release
    # gets the same outcome coins and the same (scaled) durations: calendars, anchors and
    # rework are all monotone in time, so no release can get longer. With a shared FIFO
    # queue this need not hold: a release that arrives earlier at a busy team can take the
    # member another release would have had (a queueing anomaly), so the property is
    # tested where there is no queue.
    bp = bp_of(LONG_AND_SHORT)
    cmp = compare(bp, [{"name": "faster", "changes": [{"activity": "p.long",
                                                       "scale": factor}]}],
                  releases=5, cadence="every 3d", runs=8, seed=seed, n_boot=50, **QUIET)
    diff = cmp.differences["faster"].to_numpy()
    assert np.all(diff <= 1e-9)
    # not vacuous (a weekly anchor may absorb the gain): every execution of the shortened
    # activity worked exactly factor x as long as in the base, rework included
    key = ["run", "release_id", "attempt"]
    base, fast = (cmp.results[n].log.query("activity_id == 'long'").set_index(key)
                  .sort_index() for n in ("base", "faster"))
    assert base.index.equals(fast.index) and len(base) >= 40
    np.testing.assert_allclose(fast["work_h"], factor * base["work_h"], rtol=1e-9)


def test_compare_deterministic_effect_is_exact_with_zero_width_interval():
    bp = bp_of("""\
        phase:
          id: build
          activities:
            - activity: {id: compile, type: automated, duration: 2h}
            - activity: {id: test, type: automated, depends-on: [compile], duration: 1h}
        """)
    cmp = compare(bp, [{"name": "slower compile",
                        "changes": [{"activity": "compile", "duration": "2h30m"}]}],
                  releases=3, runs=5, seed=1, **QUIET)
    assert isinstance(cmp, Comparison)
    rows = cmp.table[cmp.table["scenario"] == "slower compile"].set_index("metric")
    assert rows.loc["lead time P80", ["value", "diff", "diff_low", "diff_high"]].tolist() \
        == [3.5, 0.5, 0.5, 0.5]
    assert rows.loc["lead time P80", ["ci_low", "ci_high"]].tolist() == [3.5, 3.5]
    summary = cmp.summary()
    assert summary.loc["slower compile", "delta_p80_d"] * 24 == pytest.approx(0.5)
    assert "slower compile" in cmp._repr_html_()
    assert repr(cmp).startswith("<Comparison of 1 scenario(s) with base P80 0.1 d")


def test_compare_matches_simulate_summary_and_utilization():
    cmp = compare(HARNESS, [SCENARIOS[1]], releases=4, cadence="every 2w", runs=6, seed=2,
                  target="25d", **QUIET)
    base = cmp.results["base"]
    summary = base.summary()
    rows = cmp.table[(cmp.table["scenario"] == "base") & cmp.table["resource"].isna()] \
        .set_index("metric")
    for metric in ("lead time mean", "lead time P50", "lead time P80", "lead time P95",
                   "throughput", "share succeeded"):
        assert rows.loc[metric, "value"] == pytest.approx(summary.loc[metric, "value"])
    assert "share within 25d" in rows.index
    util = base.utilization()
    busy = cmp.table[(cmp.table["scenario"] == "base") & (cmp.table["metric"] == "busy share")]
    for row in busy.itertuples():
        kind, name = row.resource.split(" ", 1)
        assert row.value == pytest.approx(util.loc[(kind, name), "busy_share"])
    # the scenario's own P80 difference agrees with the paired lead times
    lead = cmp.lead_times
    p80 = np.nanquantile(lead["one more approver"], 0.8) - np.nanquantile(lead["base"], 0.8)
    diff = cmp.table.set_index(["scenario", "metric"]).loc[
        ("one more approver", "lead time P80"), "diff"]
    assert diff == pytest.approx(p80)


def test_scenario_cadence_is_used_and_names_must_differ():
    bp = bp_of(BASE_TEXT)
    cmp = compare(bp, [{"name": "fortnightly", "changes": [{"cadence": "every 2w"}]}],
                  releases=3, runs=2, **QUIET)
    assert cmp.results["fortnightly"].params["cadence"] == "every 2w"
    assert cmp.results["base"].params["cadence"] == "weekly"
    gaps = cmp.results["fortnightly"].releases.groupby("run")["scheduled"].diff().dropna()
    assert (gaps == pd.Timedelta(weeks=2)).all()
    with pytest.raises(PhasesimError, match="two scenarios are called 'x'"):
        compare(bp, [{"name": "x", "changes": []}, {"name": "x", "changes": []}], runs=2,
                **QUIET)
    with pytest.raises(PhasesimError, match="may not be called 'base'"):
        compare(bp, {"name": "base", "changes": []}, runs=2, **QUIET)


# ---------------------------------------------------------------------------------------
# Sensitivity
# ---------------------------------------------------------------------------------------


def test_sensitivity_ranks_the_true_critical_activity_first():
    # Two parallel branches; the 'long' one (8-12h of automated work) always outlasts the
    # 'mid' one (at most 6h), even shortened by 20%: shortening 'long' by 20% shortens
    # every release by 20% of its time, shortening 'mid' changes nothing at all.
    bp = bp_of("""\
        phase:
          id: p
          activities:
            - activity: {id: long, type: automated, duration: {pert: [8h, 10h, 12h]}}
            - activity: {id: mid, type: automated, duration: {uniform: [4h, 6h]}}
            - activity: {id: done, type: wait, depends-on: [long, mid]}
        """)
    table = sensitivity(bp, 0.8, runs=60, seed=4, **QUIET)
    assert table.index.tolist() == ["p.long", "p.mid", "p.done"]
    base_p80 = table.attrs["base_p80_h"]
    assert table.loc["p.long", "delta_p80_h"] == pytest.approx(-0.2 * base_p80)
    assert table.loc["p.long", "p80_h"] == pytest.approx(0.8 * base_p80)
    assert table.loc["p.long", "delta_p80_low_h"] < table.loc["p.long", "delta_p80_h"] \
        < table.loc["p.long", "delta_p80_high_h"] < 0
    assert table.loc["p.long", "shorter_share"] == 1.0
    assert table.loc["p.mid", ["delta_p80_h", "delta_p80_low_h", "delta_p80_high_h",
                               "delta_mean_h", "shorter_share", "longer_share"]].tolist() \
        == [0.0] * 6
    assert table.loc["p.done", "note"] == "takes no time (a milestone or a not-before timer)"
    assert np.isnan(table.loc["p.done", "delta_p80_h"])
    assert table.loc["p.long", "scaled"] == "duration"


def test_sensitivity_by_phase_and_mean_ranking_and_parallel_workers():
    bp = bp_of("""\
        process:
          id: p
          inputs: {extra: false}
          phases:
            - phase:
                id: a
                activities:
                  - activity: {id: x, type: automated, duration: 4h}
                  - activity: {id: opt, type: automated, duration: 9h,
                               if: <+releaseInput.extra> == true}
            - phase:
                id: b
                depends-on: [a]
                activities:
                  - activity: {id: y, type: automated, duration: 1h}
        """)
    by_phase = sensitivity(bp, 0.5, by="phase", runs=4, **QUIET)
    assert by_phase.index.tolist() == ["a", "b"]
    assert by_phase["delta_p80_h"].tolist() == [-2.0, -0.5]
    assert by_phase.loc["a", "scaled"] == "2 of 2 activities"
    by_mean = sensitivity(bp, 0.5, runs=4, rank_by="mean", quantile=0.5, n_jobs=2, **QUIET)
    assert by_mean.index.tolist() == ["a.x", "b.y", "a.opt"]
    assert by_mean["delta_mean_h"].tolist()[:2] == [-2.0, -0.5]
    assert "delta_p50_h" in by_mean.columns
    assert by_mean.loc["a.opt", "note"] == "never runs with these inputs (its if: is false)"
    with pytest.raises(PhasesimError, match="factor must be a positive number"):
        sensitivity(bp, 0.0, runs=2, **QUIET)


ROLLING = """\
    process:
      id: rolling
      phases:
        - phase:
            id: deploy
            activities:
              - activity:
                  id: push
                  type: automated
                  duration: {uniform: [1h, 3h]}
                  failure: {probability: 0.3, retries: 0, on-failure: back}
              - activity: {id: notes, type: automated, duration: {uniform: [1h, 4h]}}
              - activity: {id: verify, type: automated, duration: 1h,
                           depends-on: [push, notes]}
        - phase:
            id: back
            rollback: true
            resume: true
            activities:
              - activity: {id: revert, type: automated, duration: {uniform: [1h, 2h]}}
    """


def test_sensitivity_without_the_log_gives_what_it_gives_with_it(
        monkeypatch: pytest.MonkeyPatch):
    # sensitivity simulates with keep_log=False (it reads the release table only); with
    # every simulation forced to keep its log, each number it reports is the same, and
    # the samples it reads (lead times, outcomes with succeeded_after_rollback) are equal
    from phasesim.whatif import comparison

    bp = bp_of(ROLLING)
    options = {"releases": 2, "runs": 30, "seed": 3, "n_boot": 200, **QUIET}
    seen: list[object] = []
    real = comparison.simulate

    def spy(*args: object, **kwargs: object):
        seen.append(kwargs.get("keep_log"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(comparison, "simulate", spy)
    light = sensitivity(bp, 0.8, **options)  # type: ignore[arg-type]
    assert seen == [False] * 5  # the base and push, notes, verify, revert
    monkeypatch.setattr(comparison, "simulate",
                        lambda *a, **k: real(*a, **{**k, "keep_log": True}))
    full = sensitivity(bp, 0.8, **options)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(light, full)
    assert light.attrs == full.attrs
    assert light["delta_p80_h"].notna().sum() == 4
    sim = {"releases": 2, "runs": 30, "seed": 3, "start": START, "progress": False}
    kept = comparison._Sample.of(real(bp, **sim))  # type: ignore[arg-type]
    dropped = comparison._Sample.of(real(bp, keep_log=False, **sim))  # type: ignore[arg-type]
    assert np.array_equal(kept.lead, dropped.lead, equal_nan=True)
    assert kept.status.tolist() == dropped.status.tolist()
    assert 0 < (dropped.status == "succeeded_after_rollback").sum() < 60


# ---------------------------------------------------------------------------------------
# Cadence sweep
# ---------------------------------------------------------------------------------------


def test_cadence_sweep_flags_an_overloaded_cadence():
    # One person, 200 h of work per release (wall clock): every week (168 h) the queue
    # grows by 32 h a release; every two weeks (336 h) there is slack.
    bp = bp_of("""\
        process:
          id: one_person
          teams: {Solo: 1}
          phases:
            - phase:
                id: work
                owners: [Solo]
                activities:
                  - activity: {id: build, type: manual, duration: 200h}
        """)
    sweep = cadence_sweep(bp, ["2w", "1w"], releases=9, runs=3, **QUIET)
    assert sweep.index.tolist() == ["1w", "2w"]  # most frequent first
    weekly, fortnightly = sweep.loc["1w"], sweep.loc["2w"]
    assert weekly["interval_h"] == 168.0 and fortnightly["interval_h"] == 336.0
    # release i waits 32 h x i: the last third (i = 6..8) waits 96 h longer than the
    # middle third (i = 3..5)
    assert weekly[["growth_h", "growth_low_h", "growth_high_h"]].tolist() == [96.0] * 3
    assert weekly["busy_share_max"] == pytest.approx(1.0)
    assert weekly["bottleneck"] == "team Solo"
    assert not weekly["sustainable"]
    assert "queues grow" in weekly["reason"] and "team Solo is busy 100%" in \
        weekly["reason"]
    assert weekly["queueing_h"] == pytest.approx(32 * 4)  # the mean of 32 h x (0..8)
    assert fortnightly["queueing_h"] == 0.0
    assert fortnightly["growth_h"] == 0.0
    assert fortnightly["lead_p80_h"] == 200.0
    # 8 of the 9 holds of 200 h fall inside the 8 x 336 h while releases arrive
    assert fortnightly["busy_share_max"] == pytest.approx(8 * 200 / (8 * 336))
    assert fortnightly["sustainable"] and fortnightly["reason"] == "queues stable"
    assert sweep["first_sustainable"].tolist() == [False, True]
    assert sweep.attrs["first_sustainable"] == "2w"
    # the weekly queue: release i waits 32 h x i, mean over 9 releases 128 h
    assert weekly["lead_mean_h"] == pytest.approx(200 + 32 * 4)
    assert weekly["wait_p95_h"] > 200
    assert weekly["warning"].startswith("P95 wait for team Solo is ")
    assert weekly["warning"].endswith("(more than the interval between releases, 1w)")
    assert fortnightly["warning"] == ""


def test_cadence_sweep_states_its_criterion_and_warns_on_a_sustainable_crowd():
    # No resources, 130 h of automated work every 24 h: nothing ever queues, so it is
    # sustainable, but release i runs over [24i, 24i + 130): at t = 120, releases 0..5 are
    # in flight (release 0 ends at 130), 6 at the peak, more than the default limit of 5.
    crowd = bp_of("""\
        process:
          id: crowd
          phases:
            - phase:
                id: work
                activities:
                  - activity: {id: soak, type: automated, duration: 130h}
        """)
    sweep = cadence_sweep(crowd, ["24h"], releases=9, runs=1, **QUIET)
    row = sweep.loc["24h"]
    assert row["sustainable"] and row["reason"] == "queues stable"
    assert row["in_flight_max"] == 6.0
    assert row["warning"] == "6 releases in flight at the peak (more than 5)"
    assert sweep.attrs["criterion"].startswith("sustainable: the queues do not grow")
    assert "more than 5 releases in flight at the peak" in sweep.attrs["criterion"]
    assert "longer than the interval between releases" in sweep.attrs["criterion"]
    assert cadence_sweep(crowd, ["24h"], releases=9, runs=1, in_flight_limit=6,
                         **QUIET).loc["24h", "warning"] == ""
    # One person, two 10 h jobs per release every 24 h: one of them waits 10 h for the
    # other each time (busy 20/24 of the time, no growth), so the P95 wait is 10 h:
    # within the 24 h interval by default, a warning with a limit of 8 h.
    pair = bp_of("""\
        process:
          id: pair
          teams: {Solo: 1}
          phases:
            - phase:
                id: work
                owners: [Solo]
                activities:
                  - activity: {id: a, type: manual, duration: 10h}
                  - activity: {id: b, type: manual, duration: 10h}
        """)
    row = cadence_sweep(pair, ["24h"], releases=9, runs=1, **QUIET).loc["24h"]
    assert row["sustainable"] and row["wait_p95_h"] == 10.0 and row["warning"] == ""
    strict = cadence_sweep(pair, ["24h"], releases=9, runs=1, wait_limit_h=8, **QUIET)
    assert strict.loc["24h", "sustainable"]
    assert strict.loc["24h", "warning"] == "P95 wait for team Solo is 10h (more than 8h)"
    assert "longer than 8h" in strict.attrs["criterion"]


def test_cadence_sweep_is_not_fooled_by_a_freeze():
    # A deployment freeze makes releases 7 and 8 wait for weeks, but that is the calendar,
    # not a queue: the queueing delay (lead time minus the uncontended lead time of the
    # same release, common random numbers) counts only the 2 h release 8 waits for prod
    # while release 7 deploys when the freeze ends. The lead time of the last third
    # grows by 162 h over the middle third; the queueing delay by 2/3 h.
    bp = bp_of("""\
        process:
          id: frozen
          calendars:
            ops: {timezone: UTC, hours: 24/7, freezes: [[2026-04-13, 2026-04-26]]}
          environments:
            prod: {capacity: 1, production: true, calendar: ops}
          phases:
            - phase:
                id: deploy
                uses: [prod]
                activities:
                  - activity: {id: roll_out, type: automated, duration: 2h}
        """)
    sweep = cadence_sweep(bp, ["1w"], releases=9, runs=2, **QUIET)
    row = sweep.loc["1w"]
    lead = compare(bp, [], releases=9, cadence="every 1w", runs=1, **QUIET) \
        .lead_times["base"].to_numpy()
    assert lead.tolist() == [2.0] * 6 + [328.0, 162.0, 2.0]
    assert lead[6:].mean() - lead[3:6].mean() == 162.0
    assert row["growth_h"] == pytest.approx(2 / 3)
    assert row["queueing_h"] == pytest.approx(2 / 9)
    assert row["sustainable"] and row["reason"] == "queues stable"


# ---------------------------------------------------------------------------------------
# Plots and the command line
# ---------------------------------------------------------------------------------------


def test_plots_return_axes_with_their_artists():
    bp = bp_of(LONG_AND_SHORT)
    cmp = compare(bp, [{"name": "a", "changes": [{"activity": "p.long", "scale": 0.5}]},
                       {"name": "b", "changes": [{"activity": "p.gate", "scale": 0.5}]}],
                  releases=3, runs=4, n_boot=50, **QUIET)
    _, ax = plt.subplots()
    out = plot_comparison(cmp, ax=ax)
    assert out is ax
    assert [line.get_label() for line in ax.get_lines()][:3] == ["base", "a", "b"]
    assert len(ax.child_axes) == 1
    assert [t.get_text() for t in ax.child_axes[0].get_yticklabels()] == ["a", "b"]
    _, ax2 = plt.subplots()
    assert plot_differences(cmp, ax=ax2, metric="lead time mean") is ax2
    with pytest.raises(ValueError, match="no metric 'lead time P99'"):
        plot_differences(cmp, ax=ax2, metric="lead time P99")
    table = sensitivity(bp, 0.5, runs=5, n_boot=50, **QUIET)
    _, ax3 = plt.subplots()
    assert plot_tornado(table, ax=ax3) is ax3
    moved = table["delta_p80_h"].notna() & ~(
        (table["delta_p80_h"] == 0) & (table["delta_p80_low_h"].fillna(0) == 0)
        & (table["delta_p80_high_h"].fillna(0) == 0))
    assert len(ax3.patches) == moved.sum()  # no empty bars for targets with no effect
    assert ax3.get_yticklabels()[0].get_text() == table.index[0]
    plt.close("all")


def test_cli_compare(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out_csv = tmp_path / "table.csv"
    code = main(["compare", str(HARNESS), str(SCENARIOS[3]), "--runs", "2", "--releases",
                 "2", "--cadence", "every 2w", "--seed", "5", "--no-progress", "--target",
                 "25d", "-o", str(out_csv)])
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith("<Comparison of 1 scenario(s)")
    lines = out.splitlines()
    assert lines[1].split()[:3] == ["P50", "(d)", "P80"]
    assert lines[3].split()[0] == "base"
    assert lines[4].startswith("Prod 2 and 3 together")
    assert "share within 25d: base" in out
    table = pd.read_csv(out_csv)
    assert set(table["scenario"]) == {"base", "Prod 2 and 3 together"}


def test_cli_compare_errors_are_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nchanges:\n  - activity: qa_signoff.qa_aproval\n    scale: 0.5\n")
    code = main(["compare", str(HARNESS), str(bad), "--runs", "2", "--no-progress"])
    assert code == 1
    err = capsys.readouterr().err
    assert f"{bad}:3:15: changes[0].activity: unknown activity 'qa_signoff.qa_aproval'" in err
    assert "(did you mean 'qa_signoff.qa_approval'?)" in err
    assert "Traceback" not in err
