"""Hostile and odd input (issue 14): a clear, located error, never a hang or a traceback."""

from __future__ import annotations

import textwrap
import time

import pytest

from phasesim import BlueprintError, load_blueprint, simulate
from phasesim.analysis.scenario import load_scenario
from phasesim.blueprint.yamlsource import MAX_YAML_NODES, parse_yaml
from phasesim.errors import PhasesimError, ScenarioError

BLUEPRINT = textwrap.dedent("""\
    process:
      id: p
      phases:
        - phase:
            id: build
            activities:
              - activity: {id: compile, type: automated, duration: 1h}
              - activity: {id: ship, type: automated, duration: 1h, depends-on: [compile],
                           failure: {probability: 0.5, retries: RETRIES}}
    """)


def laughs(levels: int) -> str:
    """A "billion laughs" document: level k holds ten aliases of level k-1."""
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for k in range(1, levels):
        prev, name = chr(96 + k), chr(97 + k)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    return "\n".join(lines) + "\n"


# -- item 1: hangs --------------------------------------------------------------------------

def test_billion_laughs_is_refused_quickly_at_the_first_alias():
    started = time.perf_counter()
    data, found = parse_yaml(laughs(9), "laughs.yaml")
    assert time.perf_counter() - started < 5
    assert data is None
    (problem,) = found
    # line 2 is "b: &b [*a, ...": the first alias stands in column 8
    assert (problem.file, problem.line, problem.column) == ("laughs.yaml", 2, 8)
    assert f"more than {MAX_YAML_NODES:,} values" in problem.message


def test_small_alias_use_still_loads():
    # 1 + 3 + 3*3 values: far below the limit
    data, found = parse_yaml("a: &a [x, y, z]\nb: [*a, *a, *a]\n", "ok.yaml")
    assert found == []
    assert data == {"a": ["x", "y", "z"], "b": [["x", "y", "z"]] * 3}


def test_billion_laughs_in_a_blueprint_and_a_scenario():
    with pytest.raises(BlueprintError) as info:
        load_blueprint(laughs(9))
    assert "<string>:2:8" in str(info.value)
    with pytest.raises(ScenarioError) as sinfo:
        load_scenario(laughs(9))
    assert "<string>:2:8" in str(sinfo.value)


def test_retries_are_capped_with_the_documented_maximum():
    with pytest.raises(BlueprintError) as info:
        load_blueprint(BLUEPRINT.replace("RETRIES", "1000000000"))
    (problem,) = info.value.problems
    assert (problem.line, problem.path) == (9, "phases[0].activities[1].failure.retries")
    assert "must be at most 100, found 1000000000" in problem.message
    bp = load_blueprint(BLUEPRINT.replace("RETRIES", "100"))
    ship = dict((a.id, a) for _, a in bp.iter_activities())["ship"]
    assert ship.failure is not None and ship.failure.retries == 100


def test_approvers_are_capped():
    text = BLUEPRINT.replace("type: automated, duration: 1h, depends-on",
                             "type: manual, duration: 1h, depends-on").replace(
        "failure: {probability: 0.5, retries: RETRIES}",
        "approval: {wait: 1h, approvers: 101, required: 1}")
    with pytest.raises(BlueprintError) as info:
        load_blueprint(text)
    assert "approvers: must be at most 100, found 101" in str(info.value)


@pytest.mark.parametrize("value", [-1, 1001, 10**9, 2.5, True])
def test_max_rework_is_validated(value: object):
    bp = load_blueprint(BLUEPRINT.replace("RETRIES", "1"))
    with pytest.raises(PhasesimError, match="max_rework must be a whole number from 0 to 1000"):
        simulate(bp, releases=1, runs=1, seed=1, max_rework=value)  # type: ignore[arg-type]
