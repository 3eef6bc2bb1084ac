"""One test per validation rule: every problem is reported with its place and a fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from phasesim import BlueprintError, load_blueprint


def load(text: str, **kwargs: object):
    return load_blueprint(textwrap.dedent(text), **kwargs)  # type: ignore[arg-type]


def problems(text: str, **kwargs: object) -> list[str]:
    with pytest.raises(BlueprintError) as info:
        load(text, **kwargs)
    return [str(p) for p in info.value.problems]


PROCESS = """\
process:
  id: p
  {extra}
  phases:
    - phase:
        id: build
        owners: [Dev]
        activities:
          - activity: {{id: compile, type: automated, duration: 1h}}
          - activity: {{id: test, type: automated, depends-on: [compile], duration: 2h}}
    - phase:
        id: deploy
        depends-on: [build]
        activities:
          - activity: {{id: ship, type: automated, duration: 30m}}
"""


def test_valid_baseline_loads():
    bp = load(PROCESS.format(extra=""))
    assert bp.critical_path().length_h == pytest.approx(3.5)


def test_yaml_syntax_error_has_line():
    found = problems("process:\n  id: p\n  phases: [\n    - phase: {id: a\n")
    assert len(found) == 1
    assert found[0].startswith("<string>:")
    assert "YAML syntax error" in found[0]


def test_unknown_key_did_you_mean():
    text = PROCESS.format(extra="").replace("owners: [Dev]", "ownrs: [Dev]")
    (found,) = problems(text)
    assert "<string>:7:9" in found
    assert "unknown key 'ownrs' in phase" in found
    assert "did you mean 'owners'?" in found


def test_unknown_key_on_activity_and_process():
    text = PROCESS.format(extra="descripton: x").replace(
        "{id: ship, type: automated, duration: 30m}",
        "{id: ship, type: automated, durration: 30m}")
    found = problems(text)
    assert any("unknown key 'descripton'" in p and "did you mean 'description'" in p
               for p in found)
    assert any("unknown key 'durration'" in p and "did you mean 'duration'" in p
               for p in found)


def test_duplicate_phase_ids():
    text = PROCESS.format(extra="").replace("id: deploy", "id: build")
    found = problems(text)
    assert any("duplicate phase id 'build'" in p for p in found)


def test_duplicate_activity_ids():
    text = PROCESS.format(extra="").replace("{id: test,", "{id: compile,").replace(
        "depends-on: [compile], ", "")
    found = problems(text)
    assert any("duplicate activity id 'compile' in phase 'build'" in p for p in found)


def test_duplicate_yaml_keys():
    text = PROCESS.format(extra="name: a\n  name: b")
    (found,) = problems(text)
    assert "duplicate key 'name'" in found and "<string>:4:3" in found


def test_unknown_activity_dependency_did_you_mean():
    text = PROCESS.format(extra="").replace("depends-on: [compile]", "depends-on: [compil]")
    (found,) = problems(text)
    assert "phases[0].activities[1].depends-on: unknown activity 'compil'" in found
    assert "did you mean 'compile'?" in found
    assert "<string>:10:" in found


def test_unknown_phase_dependency():
    text = PROCESS.format(extra="").replace("depends-on: [build]", "depends-on: [biuld]")
    (found,) = problems(text)
    assert "phases[1].depends-on: unknown phase 'biuld'" in found
    assert "did you mean 'build'?" in found


def test_cross_phase_activity_dependency():
    text = PROCESS.format(extra="").replace(
        "{id: ship, type: automated, duration: 30m}",
        "{id: ship, type: automated, duration: 30m, depends-on: [build.test]}")
    bp = load(text)
    assert ("build.test", "deploy.ship") in bp.graph.edges
    bad = text.replace("build.test", "build.tset")
    (found,) = problems(bad)
    assert "unknown activity 'build.tset'" in found and "did you mean 'build.test'" in found


def test_activity_cycle_is_printed():
    text = PROCESS.format(extra="").replace(
        "{id: compile, type: automated, duration: 1h}",
        "{id: compile, type: automated, duration: 1h, depends-on: [test]}")
    (found,) = problems(text)
    assert "dependency cycle:" in found
    assert "build.compile" in found and "build.test" in found


def test_phase_cycle_is_printed():
    text = PROCESS.format(extra="").replace(
        "        id: build\n", "        id: build\n        depends-on: [deploy]\n")
    (found,) = problems(text)
    assert "dependency cycle: phase build -> phase deploy -> phase build" in found \
        or "dependency cycle: phase deploy -> phase build -> phase deploy" in found


def test_self_dependencies():
    text = PROCESS.format(extra="").replace("depends-on: [compile]", "depends-on: [test]")
    (found,) = problems(text)
    assert "activity 'test' depends on itself" in found
    text = PROCESS.format(extra="").replace("depends-on: [build]", "depends-on: [deploy]")
    (found,) = problems(text)
    assert "phase 'deploy' depends on itself" in found


@pytest.mark.parametrize(
    ("duration", "message"),
    [
        ("-1h", "negative"),
        ("{triangular: [3h, 2h, 1h]}", "triangular"),
        ("{uniform: [2h, 1h]}", "uniform"),
        ("5x", "unknown unit 'x'"),
        ("{lognormal: {median: 4h, p90: 2h}}", "p90"),
        ("{lognormall: {median: 1h, p90: 2h}}", "did you mean 'lognormal'"),
    ],
)
def test_bad_durations(duration: str, message: str):
    text = PROCESS.format(extra="").replace("duration: 30m", f"duration: {duration}")
    (found,) = problems(text)
    assert "phases[1].activities[0].duration: bad duration" in found
    assert message in found


def test_bad_probabilities():
    text = PROCESS.format(extra="").replace(
        "{id: ship, type: automated, duration: 30m}",
        "{id: ship, type: automated, duration: 30m, failure: {probability: 5, retries: 1}}")
    (found,) = problems(text)
    assert "a probability must be between 0 and 1, found 5" in found
    assert "0.05 for 5%" in found


def test_unknown_team_calendar_environment():
    text = PROCESS.format(extra="""teams: {Dev: {capacity: 2, calendar: ofice}}
  calendars: {office: {timezone: UTC}}
  environments: {prod: {capacity: 1}}""").replace(
        "{id: ship, type: automated, duration: 30m}",
        "{id: ship, type: manual, duration: 30m, owner: Ops, uses: [prd]}")
    found = problems(text)
    assert any("teams.Dev.calendar: unknown calendar 'ofice'" in p
               and "did you mean 'office'" in p for p in found)
    assert any("unknown team 'Ops'" in p for p in found)
    assert any("unknown environment 'prd'" in p and "did you mean 'prod'" in p for p in found)


def test_owners_are_labels_without_teams():
    bp = load(PROCESS.format(extra=""))
    assert bp.phase("build").owners == ("Dev",)


def test_unknown_goto_target():
    text = PROCESS.format(extra="").replace(
        "{id: ship, type: automated, duration: 30m}",
        "{id: ship, type: manual, approval: {wait: 1h, reject: {probability: 0.1, "
        "goto: biuld}}}")
    (found,) = problems(text)
    assert "unknown goto target 'biuld'" in found and "did you mean 'build'" in found


BLOCK_SHIP = """\
          - activity:
              id: ship
              type: manual
              approval:
                wait: 1h
                reject:
                  probability: 0.1
                  goto: biuld
          - activity:
              id: push
              type: automated
              failure:
                probability: 0.1
                on-failure: rolback
"""


def test_goto_and_on_failure_problems_point_at_their_own_lines():
    text = PROCESS.format(extra="").replace(
        "          - activity: {id: ship, type: automated, duration: 30m}\n", BLOCK_SHIP)
    assert text.splitlines()[21].strip() == "goto: biuld"  # line 22
    assert text.splitlines()[27].strip() == "on-failure: rolback"  # line 28
    found = problems(text)
    assert len(found) == 2
    assert found[0].startswith("<string>:22:25: phases[1].activities[0].approval.reject.goto: "
                               "unknown goto target 'biuld'")
    assert found[1].startswith("<string>:28:29: phases[1].activities[1].failure.on-failure: "
                               "unknown on-failure phase 'rolback'")


def test_unknown_on_failure_phase():
    text = PROCESS.format(extra="").replace(
        "{id: ship, type: automated, duration: 30m}",
        "{id: ship, type: automated, failure: {probability: 0.1, on-failure: rolback}}")
    (found,) = problems(text)
    assert "unknown on-failure phase 'rolback'" in found


def test_bad_expression_position():
    text = PROCESS.format(extra="inputs: {env: {type: string, default: prod}}").replace(
        "        id: deploy\n",
        "        id: deploy\n        if: <+releaseInput.env> = \"prod\"\n")
    (found,) = problems(text)
    assert "bad expression" in found
    assert "'=='" in found
    assert "phases[1].if" in found


def test_unknown_input_in_condition():
    text = PROCESS.format(extra="inputs: {env: {type: string, default: prod}}").replace(
        "        id: deploy\n",
        "        id: deploy\n        if: <+releaseInput.evn> == \"prod\"\n")
    (found,) = problems(text)
    assert "unknown input <+releaseInput.evn>" in found and "did you mean 'env'" in found


@pytest.mark.parametrize(
    ("calendar", "message"),
    [
        ("{timezone: Europe/Berln}", "Europe/Berlin"),
        ("{hours: Mon-Fri 09:00-25:00}", "25:00"),
        ("{hours: Mon-Fry 09:00-17:00}", "Fry"),
        ("{freezes: [[2026-12-20, 2026-12-01]]}", "before it starts"),
        ("{holidays: [christmas]}", "expected a date"),
    ],
)
def test_bad_calendars(calendar: str, message: str):
    text = PROCESS.format(extra=f"calendars: {{office: {calendar}}}")
    found = problems(text)
    assert any(p.startswith("<string>:") and "calendars.office" in p and message in p
               for p in found), found


def test_bad_anchor():
    text = PROCESS.format(extra="").replace(
        "        id: deploy\n", "        id: deploy\n        not-before: Thr 12:00\n")
    (found,) = problems(text)
    assert "phases[1].not-before" in found and "Thr" in found


def test_type_errors():
    text = PROCESS.format(extra="").replace("owners: [Dev]", "owners: 3").replace(
        "{id: ship, type: automated, duration: 30m}", "{id: ship, type: automatic}")
    found = problems(text)
    assert any("owners: expected a list of names, found a number" in p for p in found)
    assert any("unknown activity type 'automatic'" in p and "did you mean 'automated'" in p
               for p in found)


def test_approval_rules():
    text = PROCESS.format(extra="").replace(
        "{id: ship, type: automated, duration: 30m}",
        "{id: ship, type: automated, approval: {wait: 1h, approvers: 1, required: 2}}")
    found = problems(text)
    assert any("an approval gate must be a manual activity" in p for p in found)
    assert any("2 approvals required but only 1 approvers" in p for p in found)


def test_rollback_rules():
    text = PROCESS.format(extra="").replace(
        "        id: deploy\n", "        id: deploy\n        rollback: true\n")
    (found,) = problems(text)
    assert "rollback phase 'deploy' cannot have depends-on" in found


def test_missing_subprocess_file(tmp_path: Path):
    path = tmp_path / "main.yaml"
    path.write_text(textwrap.dedent("""\
        process:
          id: main
          phases:
            - phase:
                id: a
                activities:
                  - activity: {id: sub, type: subprocess, process: nothere.yaml}
        """))
    with pytest.raises(BlueprintError, match=r"main.yaml:7:\d+: .*subprocess file "
                                             r"'nothere.yaml' not found"):
        load_blueprint(path)


def test_subprocess_cycle(tmp_path: Path):
    body = """\
        process:
          id: {name}
          phases:
            - phase:
                id: a
                activities:
                  - activity: {{id: sub, type: subprocess, process: {other}.yaml}}
        """
    (tmp_path / "one.yaml").write_text(textwrap.dedent(body.format(name="one", other="two")))
    (tmp_path / "two.yaml").write_text(textwrap.dedent(body.format(name="two", other="one")))
    with pytest.raises(BlueprintError, match=r"subprocess cycle: one.yaml -> two.yaml -> "
                                             r"one.yaml"):
        load_blueprint(tmp_path / "one.yaml")


def test_subprocess_depth_limit(tmp_path: Path):
    leaf = """\
        process:
          id: leaf
          phases:
            - phase: {id: a, activities: [{activity: {id: x, type: automated}}]}
        """
    (tmp_path / "l4.yaml").write_text(textwrap.dedent(leaf))
    body = """\
        process:
          id: {name}
          phases:
            - phase:
                id: a
                activities:
                  - activity: {{id: sub, type: subprocess, process: {other}.yaml}}
        """
    for i in range(4):
        (tmp_path / f"l{i}.yaml").write_text(textwrap.dedent(body.format(name=f"l{i}",
                                                                          other=f"l{i + 1}")))
    load_blueprint(tmp_path / "l1.yaml")  # l1 -> l2 -> l3 -> l4: three levels below l1
    with pytest.raises(BlueprintError, match="nest more than 3 levels"):
        load_blueprint(tmp_path / "l0.yaml")


def test_every_problem_is_listed_at_once():
    text = PROCESS.format(extra="ownres: x").replace("depends-on: [build]",
                                                     "depends-on: [nope]").replace(
        "duration: 30m", "duration: 3q")
    found = problems(text)
    assert len(found) == 3


def test_unknown_and_wrong_inputs():
    text = PROCESS.format(extra="inputs: {services: {type: list, default: [a, b]}}")
    with pytest.raises(BlueprintError, match=r"unknown input 'servics'.*did you mean "
                                             r"'services'"):
        load(text, inputs={"servics": ["x"]})
    with pytest.raises(BlueprintError, match="input 'services' must be a list"):
        load(text, inputs={"services": "x"})
    with pytest.raises(BlueprintError, match="input 'env' has no value"):
        load(PROCESS.format(extra="inputs: {env: {type: string}}"))


def test_for_each_needs_list_input():
    text = PROCESS.format(extra="inputs: {env: {type: string, default: x}}").replace(
        "{id: ship, type: automated, duration: 30m}",
        "{id: ship, type: automated, for-each: <+releaseInput.env>}")
    (found,) = problems(text)
    assert "for-each needs a list input" in found


def test_phase_without_activities():
    text = PROCESS.format(extra="").replace(
        "        activities:\n          - activity: {id: ship, type: automated, duration: 30m}\n",
        "        activities: []\n")
    (found,) = problems(text)
    assert "phase 'deploy' has no activities" in found


def test_unsafe_yaml_tags_are_refused():
    text = "phase: !!python/object/apply:os.system [echo hacked]\n"
    (found,) = problems(text)
    assert "is not allowed" in found


def test_missing_file_names_it(tmp_path: Path):
    with pytest.raises(BlueprintError, match=r"nothere\.yaml: file not found"):
        load_blueprint(tmp_path / "nothere.yaml")


def test_wrong_document_shape():
    (found,) = problems("phases:\n  - phase: {id: a}\n")
    assert "wrap the document in 'process:'" in found


def test_resume_needs_rollback():
    text = PROCESS.format(extra="").replace(
        "        id: deploy\n", "        id: deploy\n        resume: true\n")
    (found,) = problems(text)
    assert "'resume' applies to rollback phases, 'deploy' is not one" in found


def test_duration_problem_points_at_the_inner_value():
    text = PROCESS.format(extra="").replace(
        "duration: 30m", "duration: {lognormal: {median: 4h, p90: 2h}}")
    (found,) = problems(text)
    # line 15 holds the activity; the column is that of the p90 value
    line = text.splitlines()[14]
    assert f"<string>:15:{line.index('2h') + 1}:" in found


def test_bad_slots():
    deploy = "        id: deploy\n"
    text = PROCESS.format(extra="").replace(
        deploy, deploy + "        not-before: {at: Fri 09:00, week: 0}\n")
    (found,) = problems(text)
    assert "phases[1].not-before.week: must be at least 1, found 0" in found
    text = PROCESS.format(extra="").replace(
        deploy, deploy + "        not-before: {week: 2, at: Fryday 9:00}\n")
    (found,) = problems(text)
    assert "Fryday" in found
    text = PROCESS.format(extra="").replace(
        deploy, deploy + "        not-before: {at: Fri 09:00, weak: 2}\n")
    (found,) = problems(text)
    assert "unknown key 'weak' in a not-before slot" in found and "did you mean 'week'" in found


GOTO = """\
process:
  id: p
  phases:
    - phase:
        id: build
        activities:
          - activity: {{id: compile, type: automated, duration: 1h}}
    - phase:
        id: qa
        depends-on: [build]
        activities:
          - activity: {{id: {first}, type: manual, duration: 1h}}
          - activity:
              id: gate
              type: manual
              depends-on: [{first}]
              approval:
                wait: 1h
                reject:
                  probability: 0.1
                  goto: {goto}
          - activity: {{id: sign_off, type: manual, depends-on: [gate], duration: 1h}}
    - phase:
        id: release
        depends-on: [qa]
        activities:
          - activity: {{id: ship, type: automated, duration: 30m}}
"""


def test_goto_naming_a_phase_and_an_activity_is_ambiguous():
    text = GOTO.format(first="build", goto="build")
    assert text.splitlines()[20].strip() == "goto: build"  # line 21
    with pytest.raises(BlueprintError,
                       match=r"<string>:21:\d+: phases\[1\]\.activities\[1\]\.approval\.reject"
                             r"\.goto: ambiguous goto target 'build': it names both phase "
                             r"'build' and activity 'build' of phase 'qa'.*write 'qa\.build'"):
        load(text)
    # the qualified name picks the activity; the activity's own phase is unambiguous
    load(GOTO.format(first="build", goto="qa.build"))
    assert load(GOTO.format(first="tests", goto="build")).id == "p"


@pytest.mark.parametrize("goto, what", [
    ("sign_off", "activity qa.sign_off"),    # depends on the gate
    ("release", "phase 'release'"),          # a later phase
    ("release.ship", "activity release.ship"),
])
def test_goto_downstream_of_its_gate_is_refused(goto: str, what: str):
    text = GOTO.format(first="tests", goto=goto)
    assert text.splitlines()[20].strip() == f"goto: {goto}"  # line 21
    with pytest.raises(BlueprintError) as info:
        load(text)
    found = [str(p) for p in info.value.problems]
    assert len(found) == 1
    assert found[0].startswith(
        f"<string>:21:25: phases[1].activities[1].approval.reject.goto: rework target "
        f"{goto!r} is not upstream of its gate qa.gate: {what} does not run before the "
        "approval")
    with pytest.raises(BlueprintError, match=r"<string>:21:\d+: .*not upstream of its gate"):
        load(text)


@pytest.mark.parametrize("goto", ["tests", "gate", "qa", "build", "build.compile"])
def test_goto_upstream_of_its_gate_is_accepted(goto: str):
    bp = load(GOTO.format(first="tests", goto=goto))
    assert [ph.id for ph in bp.phases] == ["build", "qa", "release"]


def test_goto_to_a_parallel_phase_is_refused():
    text = GOTO.format(first="tests", goto="side").replace(
        "    - phase:\n        id: release",
        "    - phase:\n        id: side\n        activities:\n"
        "          - activity: {id: docs, type: manual, duration: 1h}\n"
        "    - phase:\n        id: release")
    with pytest.raises(BlueprintError,
                       match=r"<string>:21:\d+: .*rework target 'side' is not upstream of "
                             r"its gate qa\.gate: phase 'side'"):
        load(text)
