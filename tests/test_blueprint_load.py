"""Loading the documented shapes, the graph, the critical path and round trips."""

from __future__ import annotations

import textwrap
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phasesim import Blueprint, load_blueprint
from phasesim.blueprint import Slot
from phasesim.calendars import WeeklyAnchor
from phasesim.distributions import LogNormal, Pert

ROOT = Path(__file__).resolve().parents[1]
BLUEPRINTS = ROOT / "data" / "blueprints"
DOCS = ROOT.parent / "shared" / "reference" / "phases-overview.md"


def test_build_phase_example_is_the_documentation_verbatim():
    text = DOCS.read_text()
    start = text.index("```yaml\nphase:") + len("```yaml\n")
    example = text[start:text.index("```", start)]
    assert (BLUEPRINTS / "build-phase.yaml").read_text() == example


def test_build_phase_example_loads_with_exact_edges_and_order():
    bp = load_blueprint(BLUEPRINTS / "build-phase.yaml")
    assert bp.shape == "phase"
    assert bp.id == "build_phase"
    (phase,) = bp.phases
    assert phase.name == "Build Phase"
    assert phase.owners == ("Development Team",)
    assert phase.depends_on == ()
    assert [(a.id, a.name, a.type, a.depends_on) for a in phase.activities] == [
        ("branch_cut", "Branch Cut", "manual", ()),
        ("run_ci_pipeline", "Run CI Pipeline", "automated", ("branch_cut",)),
        ("security_scan", "Security Scan", "automated", ("run_ci_pipeline",)),
    ]
    assert list(bp.graph.nodes) == ["build_phase.branch_cut", "build_phase.run_ci_pipeline",
                                    "build_phase.security_scan"]
    assert sorted(bp.graph.edges) == [
        ("build_phase.branch_cut", "build_phase.run_ci_pipeline"),
        ("build_phase.run_ci_pipeline", "build_phase.security_scan"),
    ]
    assert list(nx.topological_sort(bp.graph)) == list(bp.graph.nodes)
    assert bp.team_of(phase, phase.activities[0]) == "Development Team"
    assert bp.critical_path().length_h == 0.0


def test_bare_list_of_phases():
    bp = load_blueprint(textwrap.dedent("""\
        - phase:
            id: a
            activities: [{activity: {id: x, type: automated, duration: 1h}}]
        - phase:
            id: b
            depends-on: [a]
            activities: [{activity: {id: y, type: automated, duration: 2h}}]
        """))
    assert bp.shape == "list"
    assert bp.phase_ids == ("a", "b")
    assert list(bp.graph.edges) == [("a.x", "b.y")]
    assert bp.critical_path().length_h == 3.0


def test_store_reference_activities_and_subprocess():
    bp = load_blueprint(BLUEPRINTS / "store-activities.yaml")
    phase = bp.phase("deploy")
    build, perf, sanity = phase.activities
    assert build.store == "AutoPipe" and build.type == "automated"
    assert build.data == {"pipeline": "build_push", "inputSet": "default"}
    assert build.description == "Runs the CI pipeline from the activity store."
    assert perf.condition is not None
    assert perf.condition.references() == ("releaseInput.run_perf",
                                           "releaseInput.environment")
    assert sanity.subprocess is not None
    assert sanity.subprocess.input_values == {"environment": "staging"}
    # subprocess: max(20m, 10m) + 5m = 25m on its critical path
    assert sanity.mean_duration_h() == pytest.approx(25 / 60)
    prod = load_blueprint(BLUEPRINTS / "store-activities.yaml",
                          inputs={"environment": "production"})
    assert prod.phase("deploy").activity("sanity").subprocess.input_values == {
        "environment": "production"}
    assert prod.graph.nodes["deploy.perf_test"]["skipped"]
    assert not bp.graph.nodes["deploy.perf_test"]["skipped"]


def test_harness_system_release_structure():
    bp = load_blueprint(BLUEPRINTS / "harness-system-release.yaml")
    assert bp.phase_ids == ("branch_cut", "alpha_fixes", "qa_signoff", "beta_rollout",
                            "beta_soak", "prod_1", "prod_2", "prod_3", "hotfix")
    assert bp.phase("hotfix").rollback
    assert bp.phase("alpha_fixes").activity("alpha_cutoff").not_before == Slot(
        WeeklyAnchor(3, 12, 0), 1)
    assert bp.phase("prod_2").not_before == Slot(WeeklyAnchor(2, 9, 0), 3)
    assert bp.phase("branch_cut").not_before == WeeklyAnchor(0, 9, 0)
    assert bp.environments["prod-0"].production
    assert bp.teams["QA"].capacity == 2
    assert bp.calendars["business"].timezone == "America/Los_Angeles"
    # for-each over the four default services, and the approval waits for all of them
    fixes = [n for n in bp.graph if n.startswith("alpha_fixes.alpha_fix[")]
    assert fixes == [f"alpha_fixes.alpha_fix[{s}]" for s in ("platform", "pipeline", "ci",
                                                             "cd")]
    assert set(bp.graph.predecessors("alpha_fixes.alpha_fix_approval")) == set(fixes)
    # phase dependency: entry activities of alpha_fixes wait for branch_cut's exit
    assert set(bp.graph.predecessors(fixes[0])) == {"branch_cut.deploy_qa"}
    # rollback phase is not connected to the main flow
    assert not list(bp.graph.predecessors("hotfix.investigate"))
    assert "hotfix.investigate" not in bp.critical_path().path
    two = load_blueprint(BLUEPRINTS / "harness-system-release.yaml",
                         inputs={"services": ["api", "web"]})
    assert [n for n in two.graph if n.startswith("alpha_fixes.alpha_fix[")] == [
        "alpha_fixes.alpha_fix[api]", "alpha_fixes.alpha_fix[web]"]
    assert len(two.graph) == len(bp.graph) - 4


def test_every_bundled_blueprint_loads():
    files = sorted(BLUEPRINTS.glob("*.yaml"))
    assert len(files) >= 7
    for path in files:
        assert isinstance(load_blueprint(path), Blueprint), path


def test_parallel_critical_path_hand_computed():
    bp = load_blueprint(BLUEPRINTS / "parallel.yaml")
    # build 0.5 -> performance_test uniform(3,5) mean 4 -> integration 1 -> deploy 0.5 = 6;
    # security_scan: triangular(1,2,3) mean 2 (+ dependency audit 20m in parallel) is shorter
    cpm = bp.critical_path()
    assert cpm.length_h == pytest.approx(6.0)
    assert cpm.path == ("build.compile", "performance_test.load_test",
                        "integration.integration_tests", "deployment.deploy")
    table = cpm.table
    assert table.loc["security_scan.sast", "slack_h"] == pytest.approx(2.0)
    assert table.loc["security_scan.dependency_audit", "slack_h"] == pytest.approx(3 + 2 / 3)
    assert table.loc["integration.integration_tests", "es_h"] == pytest.approx(4.5)
    assert bool(table.loc["performance_test.load_test", "critical"])


def test_conditional_phase_skipped_for_inputs():
    bp = load_blueprint(BLUEPRINTS / "conditional.yaml")
    assert not bp.graph.nodes["production_deploy.deploy"]["skipped"]
    staging = bp.bind({"environment": "staging"})
    assert staging.graph.nodes["production_deploy.deploy"]["skipped"]
    # the gate: 2 of 3 lognormal waits; deploy pert... skipped -> 0 on the path
    with_deploy = bp.critical_path().length_h
    without = staging.critical_path().length_h
    assert with_deploy - without == pytest.approx(
        bp.phase("production_deploy").activities[0].duration.mean())


def test_approval_mean_is_order_statistic():
    bp = load_blueprint(textwrap.dedent("""\
        phase:
          id: gate
          activities:
            - activity:
                id: approve
                type: manual
                approval: {wait: {exponential: {mean: 1h}}, approvers: 3, required: 2}
        """))
    # 2nd smallest of 3 exponential(1): 1/3 + 1/2
    assert bp.critical_path().length_h == pytest.approx(1 / 3 + 1 / 2, rel=1e-6)


def test_for_each_pairs_instances_over_the_same_list():
    bp = load_blueprint(textwrap.dedent("""\
        process:
          id: p
          inputs: {services: {type: list, default: [api, web]}}
          phases:
            - phase:
                id: ship
                activities:
                  - activity: {id: build, type: automated, for-each: <+releaseInput.services>}
                  - activity: {id: deploy, type: automated, depends-on: [build],
                               for-each: <+releaseInput.services>}
                  - activity: {id: announce, type: manual, depends-on: [deploy]}
        """))
    assert sorted(bp.graph.edges) == [
        ("ship.build[api]", "ship.deploy[api]"),
        ("ship.build[web]", "ship.deploy[web]"),
        ("ship.deploy[api]", "ship.announce"),
        ("ship.deploy[web]", "ship.announce"),
    ]
    empty = bp.bind({"services": []})
    assert list(empty.graph.nodes) == ["ship.announce"]


def test_durations_and_keys_are_typed():
    bp = load_blueprint(BLUEPRINTS / "harness-system-release.yaml")
    act = bp.phase("branch_cut").activity("build_artifacts")
    assert act.duration == Pert(40 / 60, 1.0, 2.5)
    assert act.failure is not None and act.failure.retries == 2
    gate = bp.phase("qa_signoff").activity("qa_approval")
    assert gate.kind == "approval"
    assert gate.approval is not None
    assert gate.approval.wait == LogNormal(0.5, 2.0)
    assert gate.approval.reject is not None and gate.approval.reject.goto == "alpha_fixes"


@pytest.mark.parametrize("name", sorted(p.name for p in BLUEPRINTS.glob("*.yaml")))
def test_round_trip(name: str, tmp_path: Path):
    bp = load_blueprint(BLUEPRINTS / name)
    out = tmp_path / name
    text = bp.to_yaml(str(out))
    if (BLUEPRINTS / "processes").exists():
        (tmp_path / "processes").mkdir(exist_ok=True)
        for sub in (BLUEPRINTS / "processes").glob("*.yaml"):
            (tmp_path / "processes" / sub.name).write_text(sub.read_text())
    again = load_blueprint(out)
    assert again == bp
    assert again.to_yaml() == text


def test_html_repr_escapes_and_lists_activities():
    bp = load_blueprint(textwrap.dedent("""\
        phase:
          id: p
          name: <script>alert(1)</script>
          activities:
            - activity: {id: a, name: "<b>bold</b>", type: manual, duration: 2h}
        """))
    page = bp._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "<table" in page


def test_to_frame_columns():
    frame = load_blueprint(BLUEPRINTS / "linear.yaml").to_frame()
    assert list(frame["phase"]) == ["planning", "branch_cut", "build", "qa_testing",
                                    "deploy_staging", "deploy_production", "monitoring"]
    assert frame["critical"].all()
    assert frame.loc[0, "owner"] == "Release Management"


# -- property tests on random DAG blueprints --------------------------------------------

@st.composite
def random_dags(draw: st.DrawFn) -> tuple[list[list[int]], list[float]]:
    n = draw(st.integers(1, 12))
    deps = [sorted(draw(st.sets(st.integers(0, i - 1), max_size=3))) if i else []
            for i in range(n)]
    hours = [draw(st.integers(0, 40)) / 4 for _ in range(n)]
    return deps, hours


def _yaml_of(deps: list[list[int]], hours: list[float]) -> str:
    lines = ["phase:", "  id: p", "  activities:"]
    for i, (d, h) in enumerate(zip(deps, hours, strict=True)):
        dep = ", ".join(f"a{j}" for j in d)
        lines.append(f"    - activity: {{id: a{i}, type: automated, duration: {h}, "
                     f"depends-on: [{dep}]}}")
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None)
@given(random_dags())
def test_random_dags_graph_cpm_and_round_trip(dag: tuple[list[list[int]], list[float]]):
    deps, hours = dag
    bp = load_blueprint(_yaml_of(deps, hours))
    expected_edges = {(f"p.a{j}", f"p.a{i}") for i, d in enumerate(deps) for j in d}
    assert set(bp.graph.edges) == expected_edges
    # CPM equals networkx's longest path with node weights moved onto edges
    weighted = nx.DiGraph()
    weighted.add_node("start")
    for i, h in enumerate(hours):
        weighted.add_edge("start", f"p.a{i}", w=0.0)
        weighted.add_edge(f"p.a{i}", "end", w=h)
        for j in deps[i]:
            weighted.add_edge(f"p.a{j}", f"p.a{i}", w=hours[j])
    expected = nx.dag_longest_path_length(weighted, weight="w")
    cpm = bp.critical_path()
    assert cpm.length_h == pytest.approx(expected)
    # the path is a chain of dependencies whose durations add up to the length
    assert all((u, v) in bp.graph.edges for u, v in zip(cpm.path, cpm.path[1:], strict=False))
    assert sum(hours[int(n.split(".a")[1])] for n in cpm.path) == pytest.approx(expected)
    assert load_blueprint(bp.to_yaml()) == bp
