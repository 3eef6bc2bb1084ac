"""Hostile and odd input (issue 14), second part: horizon, log cells, for-each, rework,
messages and a fuzz test. Every case asserts a located PhasesimError or a valid result."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from phasesim import BlueprintError, load_blueprint, simulate
from phasesim.errors import PhasesimError

# -- a goto to the gate's own phase ---------------------------------------------------------

OWN_PHASE = textwrap.dedent("""\
    process:
      id: p
      phases:
        - phase:
            id: qa
            activities:
              - activity: {id: a, type: automated, duration: 1h}
              - activity: {id: b, type: automated, duration: 2h}
              - activity: {id: g, type: manual, depends-on: [a],
                           approval: {wait: 3h, reject: {probability: P, goto: qa}}}
              - activity: {id: d, type: automated, duration: 4h, depends-on: [g]}
    """)


def _timeline(result) -> list[tuple[str, str, int, str, str]]:
    log = result.log.sort_values(["start", "activity_id"], kind="stable")
    return [(r.activity_id, r.status, int(r.attempt), r.start.strftime("%d %H:%M"),
             r.end.strftime("%d %H:%M")) for r in log.itertuples()]


def test_goto_own_phase_reworks_up_to_the_gate_only():
    from phasesim.simulation.compiled import compile_blueprint

    bp = load_blueprint(OWN_PHASE.replace("P", "0.6"))
    model = compile_blueprint(bp)
    gate = next(n for n in model.nodes if n.activity_id == "g")
    # a and b rerun; the gate's descendant d does not (it waits for the gate to pass)
    assert sorted(model.nodes[i].activity_id for i in gate.reject_block) == ["a", "b"]
    # seed 6 rejects once: a 1h, b 2h, then the 3h gate from 10:00; rework at 13:00;
    # the gate waits for the whole block (b ends 15:00), passes at 18:00; d 18-22
    result = simulate(bp, releases=1, runs=1, seed=6, start="2026-01-05 09:00",
                      progress=False)
    assert _timeline(result) == [
        ("a", "succeeded", 1, "05 09:00", "05 10:00"),
        ("b", "succeeded", 1, "05 09:00", "05 11:00"),
        ("g", "rejected", 1, "05 10:00", "05 13:00"),
        ("a", "succeeded", 2, "05 13:00", "05 14:00"),
        ("b", "succeeded", 2, "05 13:00", "05 15:00"),
        ("g", "succeeded", 2, "05 15:00", "05 18:00"),
        ("d", "succeeded", 1, "05 18:00", "05 22:00"),
    ]


def test_goto_own_phase_never_runs_the_descendant_before_the_gate_passes():
    bp = load_blueprint(OWN_PHASE.replace("P", "1.0"))
    result = simulate(bp, releases=1, runs=1, seed=1, start="2026-01-05 09:00",
                      max_rework=1, progress=False)
    # always rejected: one rework, the second rejection reaches the cap; d never runs
    assert _timeline(result) == [
        ("a", "succeeded", 1, "05 09:00", "05 10:00"),
        ("b", "succeeded", 1, "05 09:00", "05 11:00"),
        ("g", "rejected", 1, "05 10:00", "05 13:00"),
        ("a", "succeeded", 2, "05 13:00", "05 14:00"),
        ("b", "succeeded", 2, "05 13:00", "05 15:00"),
        ("g", "rejected", 2, "05 15:00", "05 18:00"),
    ]
    assert result.releases["status"].tolist() == ["aborted"]


# -- simulate's arguments from Python; a scenario changing reject.goto ----------------------

@pytest.mark.parametrize(("kwargs", "message"), [
    ({"seed": -5}, "seed cannot be negative, found -5"),
    ({"seed": 2.5}, "seed must be a whole number from 0 (or None for a fresh one), found 2.5"),
    ({"seed": "7"}, "seed must be a whole number from 0 (or None for a fresh one), found '7'"),
    ({"seed": True}, "found True"),
    ({"seed": 1, "releases": "3"}, "releases must be a whole number, found '3'"),
    ({"seed": 1, "runs": 2.0}, "runs must be a whole number, found 2.0"),
])
def test_simulate_refuses_bad_arguments_clearly(kwargs, message):
    bp = load_blueprint(OWN_PHASE.replace("P", "0.5"))
    with pytest.raises(PhasesimError) as info:
        simulate(bp, progress=False, **{"releases": 1, "runs": 1, **kwargs})
    assert message in str(info.value)


def test_simulate_accepts_seed_zero_and_numpy_integers():
    import numpy as np

    bp = load_blueprint(OWN_PHASE.replace("P", "0.0"))
    a = simulate(bp, releases=1, runs=1, seed=0, progress=False)
    b = simulate(bp, releases=1, runs=1, seed=np.int64(0), progress=False)
    assert a.log["end"].tolist() == b.log["end"].tolist()
    # no rejection: a 1h, gate 10:00-13:00, d 13:00-17:00
    assert a.log["end"].max() == pd.Timestamp("2026-01-05 17:00", tz="UTC")


def test_compare_refuses_a_negative_seed():
    from phasesim.whatif import compare

    bp = load_blueprint(OWN_PHASE.replace("P", "0.5"))
    with pytest.raises(PhasesimError, match="seed cannot be negative, found -1"):
        compare(bp, [], seed=-1)


@pytest.mark.parametrize(("goto", "message"), [
    ("d", "rework target 'd' is not upstream of its gate qa.g"),
    ("nowhere", "unknown goto target 'nowhere'"),
])
def test_scenario_changing_goto_is_validated_like_a_blueprint(goto, message):
    from phasesim.errors import ScenarioError
    from phasesim.whatif.scenario import load_scenario

    bp = load_blueprint(OWN_PHASE.replace("P", "0.5"))
    text = ("name: x\nchanges:\n"
            f"  - {{activity: qa.g, approval: {{reject: {{probability: 0.2, goto: {goto}}}}}}}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(text, base=bp)
    (problem,) = info.value.problems
    assert problem.line == 3
    assert message in problem.message


@pytest.mark.parametrize("goto", ["a", "g", "qa"])
def test_scenario_changing_goto_upstream_is_accepted(goto):
    from phasesim.whatif.scenario import load_scenario

    bp = load_blueprint(OWN_PHASE.replace("P", "0.5"))
    text = ("name: x\nchanges:\n"
            f"  - {{activity: qa.g, approval: {{reject: {{probability: 0.2, goto: {goto}}}}}}}\n")
    new = load_scenario(text, base=bp).apply()
    gate = new.phases[0].activities[2]
    assert gate.approval is not None and gate.approval.reject is not None
    assert (gate.approval.reject.goto, gate.approval.reject.probability) == (goto, 0.2)


# -- for-each items and inputs --------------------------------------------------------------

FOR_EACH = textwrap.dedent("""\
    process:
      id: p
      inputs:
        - {name: services, type: list, default: DEFAULT}
        - {name: count, type: number, default: 1}
      phases:
        - phase:
            id: deploy
            activities:
              - activity: {id: ship, type: automated, duration: 1h, for-each: FE}
    """)


def _for_each(fe: str, default: str = "[a]", inputs=None):
    return load_blueprint(FOR_EACH.replace("FE", fe).replace("DEFAULT", default),
                          inputs=inputs)


@pytest.mark.parametrize(("items", "column", "message"), [
    # "...for-each: " ends in column 74, "[" is column 75: the first item stands in 76
    ("[api, web, api]", 86, "for-each item 'api' repeats item 0"),
    ("[api, null]", 81, "a for-each item is null"),
    ("[api, {x: 1}]", 81, "a for-each item is a mapping, not a name"),
    ("[api, [x]]", 81, "a for-each item is a list, not a name"),
    ("[api, '']", 81, "a for-each item is an empty name"),
    ("[api, ' ']", 81, "a for-each item is an empty name"),
    ("[api, eu.west]", 81, "for-each item 'eu.west' contains '.'"),
    ("[api, 'x[1]']", 81, "for-each item 'x[1]' contains '['"),
    ("[api, on]", 81, "a for-each item is the boolean true"),
])
def test_bad_literal_for_each_items_are_located(items, column, message):
    with pytest.raises(BlueprintError) as info:
        _for_each(items)
    (problem,) = info.value.problems
    assert (problem.line, problem.column) == (10, column)
    assert problem.path.startswith("phases[0].activities[0].for-each[")
    assert message in problem.message


def test_good_for_each_items_expand_in_order():
    bp = _for_each("[api, web-1, 3, 'on']")
    ids = [a.id for a in bp.instances(bp.phases[0])]
    assert ids == ["ship[api]", "ship[web-1]", "ship[3]", "ship[on]"]
    assert _for_each("[]").instances(_for_each("[]").phases[0]) == ()


def test_bad_items_in_an_input_default_point_at_the_default():
    with pytest.raises(BlueprintError) as info:
        _for_each("'<+releaseInput.services>'", default="[api, web, api, null]")
    problems = info.value.problems
    # "    - {name: services, type: list, default: " is 44 characters
    assert [(p.line, p.column, p.path) for p in problems] == [
        (4, 45, "inputs.services[2]"), (4, 45, "inputs.services[3]")]
    assert "repeats item 0" in problems[0].message and "null" in problems[1].message


@pytest.mark.parametrize("value", [["x", "x"], ["x", None], ["x", "a.b"], ["x", {"k": 1}]])
def test_bad_items_given_as_inputs_are_refused(value):
    with pytest.raises(BlueprintError) as info:
        _for_each("'<+releaseInput.services>'", inputs={"services": value})
    (problem,) = info.value.problems
    assert problem.path == "inputs.services[1]"
    assert "--input services=" in (problem.hint or "")
    bp = _for_each("'<+releaseInput.services>'")
    with pytest.raises(BlueprintError) as bound:
        bp.bind({"services": value})
    assert [p.path for p in bound.value.problems] == ["inputs.services[1]"]


def test_duplicate_input_items_from_the_cli(tmp_path, capsys):
    from phasesim.cli import main

    file = tmp_path / "bp.yaml"
    file.write_text(FOR_EACH.replace("FE", "'<+releaseInput.services>'").replace(
        "DEFAULT", "[a]"))
    code = main(["simulate", str(file), "--input", "services=[api, web, api]", "--runs", "1",
                 "--releases", "1", "--seed", "1"])
    err = capsys.readouterr().err
    assert code == 1
    assert "inputs.services[2]: for-each item 'api' repeats item 0" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("declaration", "where", "message"), [
    ("{name: services, type: lst, default: [a]}", (4, 30), "unknown input type 'lst'"),
    ("{name: services, type: list, default: x}", (4, 45), "default 'x' is not a list"),
    ("{name: services, type: list}", (4, 7), "input 'services' has no value"),
])
def test_a_bad_for_each_input_is_one_located_problem(declaration, where, message):
    text = FOR_EACH.replace("FE", "'<+releaseInput.services>'").replace(
        "{name: services, type: list, default: DEFAULT}", declaration)
    with pytest.raises(BlueprintError) as info:
        load_blueprint(text)
    (problem,) = info.value.problems  # and no second "unknown input" problem
    assert (problem.line, problem.column) == where
    assert message in problem.message


def test_a_wrongly_typed_input_value_names_the_declaration_line():
    with pytest.raises(BlueprintError) as info:
        _for_each("'<+releaseInput.services>'", inputs={"services": "api"})
    (problem,) = info.value.problems
    assert (problem.line, problem.path) == (4, "inputs.services")
    assert "input 'services' must be a list, found 'api'" in problem.message


# -- the simulation horizon -----------------------------------------------------------------

HORIZON_BP = textwrap.dedent("""\
    process:
      id: p
      calendars:
        office: {hours: Mon-Fri 09:00-17:00, CAL}
      teams:
        QA: {capacity: 1, calendar: office}
      phases:
        - phase:
            id: build
            activities:
              - activity: {id: a, type: automated, duration: 48h}
              - activity: {id: b, type: automated, duration: 48h, depends-on: [a]}
              - activity: {id: c, type: manual, owner: QA, duration: 1h, depends-on: [b]}
    """)


def test_the_horizon_is_documented_and_inside_pandas():
    from phasesim.calendars import HORIZON, HORIZON_H, HORIZON_START, from_epoch_hours

    assert (str(HORIZON.date()), str(HORIZON_START.date())) == ("2262-01-01", "1678-01-01")
    assert from_epoch_hours(HORIZON_H) == pd.Timestamp("2262-01-01", tz="UTC")
    assert pd.Timestamp(HORIZON) < pd.Timestamp.max.tz_localize("UTC")
    from pathlib import Path

    docs = (Path(__file__).parents[1] / "docs" / "simulation.md").read_text()
    assert "## The simulation horizon" in docs and "2262-01-01" in docs


def test_work_past_the_horizon_is_cut_and_the_release_reported():
    bp = load_blueprint(HORIZON_BP.replace(", CAL", ""))
    with pytest.warns(UserWarning, match=r"1 release\(s\) ran past the simulation horizon"):
        result = simulate(bp, releases=1, runs=1, seed=1, start="2261-12-29 09:00",
                          progress=False)
    # a: 29th 09:00 -> 31st 09:00; b from 31st 09:00 would end 2262-01-02 09:00: it is cut
    # at the horizon (15 h of work), aborted; c would start past the horizon: not run
    log = result.log
    assert log["activity_id"].tolist() == ["a", "b"]
    assert log["status"].tolist() == ["succeeded", "aborted"]
    assert log["end"].tolist() == [pd.Timestamp("2261-12-31 09:00", tz="UTC"),
                                   pd.Timestamp("2262-01-01 00:00", tz="UTC")]
    assert log["work_h"].tolist() == [48.0, 15.0]
    (rel,) = result.releases.itertuples()
    assert (rel.status, rel.reason) == ("aborted", "beyond the simulation horizon "
                                                   "(2262-01-01 UTC)")
    assert rel.lead_time_h == 63.0 and rel.end == pd.Timestamp("2262-01-01", tz="UTC")


def test_a_release_inside_the_horizon_is_untouched():
    import warnings

    bp = load_blueprint(HORIZON_BP.replace(", CAL", ""))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = simulate(bp, releases=1, runs=1, seed=1, start="2261-12-20 09:00",
                          progress=False)
    # a Fri 20th 09:00 - Sun 22nd 09:00, b - Tue 24th 09:00, c (office hours) 09:00-10:00
    assert result.log["end"].tolist() == [pd.Timestamp(f"2261-12-{t}", tz="UTC")
                                          for t in ("22 09:00", "24 09:00", "24 10:00")]
    assert result.releases["status"].tolist() == ["succeeded"]


def test_team_work_past_the_horizon_frees_its_member_there():
    bp = load_blueprint(HORIZON_BP.replace(", CAL", "").replace(
        "type: automated, duration: 48h, depends-on: [a]",
        "type: manual, owner: QA, duration: 1000000h, depends-on: [a]"))
    with pytest.warns(UserWarning):
        result = simulate(bp, releases=2, runs=1, seed=1, cadence="daily",
                          start="2261-12-01 09:00", progress=False)
    assert (result.log["end"] <= pd.Timestamp("2262-01-01", tz="UTC")).all()
    assert (result.usage["released"] <= pd.Timestamp("2262-01-01", tz="UTC")).all()
    assert result.releases["status"].tolist() == ["aborted", "aborted"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"start": "2262-01-01"}, "release 1 would start at 2262-01-01 00:00:00+00:00"),
    ({"start": "2263-06-01"}, "release 1 would start at 2263-06-01"),
    ({"start": "1600-01-01"}, "release 1 would start at 1600-01-01"),
    ({"start": "2261-12-20", "releases": 3}, "release 3 would start at 2262-01-03"),
    ({"cadence": ["2026-01-05", "2270-01-05"], "releases": 2, "start": "2026-01-05"},
     "release 2 would start"),
])
def test_release_starts_outside_the_horizon_are_refused(kwargs, message):
    bp = load_blueprint(HORIZON_BP.replace(", CAL", ""))
    args = {"releases": 1, "runs": 1, "seed": 1, "progress": False, "cadence": "weekly",
            **kwargs}
    with pytest.raises(PhasesimError) as info:
        simulate(bp, **args)
    assert message in str(info.value)
    assert "outside the simulation horizon (1678-01-01 to 2262-01-01 UTC)" in str(info.value)


@pytest.mark.parametrize(("cal", "column", "date"), [
    # "    office: {hours: Mon-Fri 09:00-17:00, " is 41 characters
    ("holidays: [2026-12-25, 2262-01-01]", 65, "2262-01-01"),
    ("holidays: [1500-01-01]", 53, "1500-01-01"),
    ("freezes: [[2261-12-20, 2263-01-04]]", 52, "2263-01-04"),  # the pair's column
])
def test_calendar_dates_outside_the_horizon_are_located(cal, column, date):
    with pytest.raises(BlueprintError) as info:
        load_blueprint(HORIZON_BP.replace("CAL", cal))
    (problem,) = info.value.problems
    assert (problem.line, problem.column) == (4, column)
    assert f"date {date} lies outside the simulation horizon" in problem.message


def test_slot_weeks_are_capped():
    text = HORIZON_BP.replace(", CAL", "").replace(
        "{id: a, type: automated, duration: 48h}",
        "{id: a, type: automated, duration: 48h, not-before: {at: Mon 09:00, week: WEEK}}")
    load_blueprint(text.replace("WEEK", "520"))
    with pytest.raises(BlueprintError) as info:
        load_blueprint(text.replace("WEEK", "1000000000"))
    (problem,) = info.value.problems
    assert problem.line == 11
    assert "week: must be at most 520, found 1000000000" in str(problem)


# -- empty activity cells in a log ----------------------------------------------------------

SEVEN_HOURS = ("release_id,phase_id,activity_id,start,end\n"
               "r1,build,compile,2026-01-05 09:00,2026-01-05 10:00\n"
               "r1,build,NaN,2026-01-05 10:00,2026-01-05 14:00\n"
               "r1,build,,2026-01-05 14:00,2026-01-05 15:00\n"
               "r1,build,NA,2026-01-05 15:00,2026-01-05 16:00\n")


def test_empty_activity_cells_keep_their_time_and_are_counted(tmp_path):
    from phasesim import lead_times
    from phasesim.eventlog import audit_table, read_log

    csv = tmp_path / "log.csv"
    csv.write_text(SEVEN_HOURS)
    log = read_log(csv)
    # 09:00 to 16:00: 7 h, not the 1 h of the one named activity
    assert lead_times(log)["lead_time_h"].tolist() == [7.0]
    assert log["activity_id"].tolist() == ["compile", "build", "build", "build"]
    assert (log["activity_type"] == "phase").sum() == 0
    audit = audit_table(log).set_index("rule")
    assert audit.loc["activity_assumed", "count"] == 3
    assert audit.loc["activity_assumed", "action"] == "fixed"


def test_empty_activity_cells_are_located_in_strict_mode(tmp_path):
    from phasesim.errors import LogError
    from phasesim.eventlog import read_log

    csv = tmp_path / "log.csv"
    csv.write_text(SEVEN_HOURS)
    with pytest.raises(LogError) as info:
        read_log(csv, strict=True)
    found = [p for p in info.value.problems if "no activity name" in p.message]
    assert [(p.file, p.line) for p in found] == [(str(csv), 3), (str(csv), 4), (str(csv), 5)]
    assert "read as activity 'build' of its phase" in found[0].message


def test_blank_activity_cells_in_a_frame():
    from phasesim.eventlog import audit_table, read_log

    t = pd.Timestamp("2026-01-05 09:00", tz="UTC")
    frame = pd.DataFrame({
        "release_id": ["r1"] * 4, "phase_id": ["qa", "qa", "qa", "ship"],
        "activity_id": ["smoke", None, "  ", float("nan")],
        "start": [t, t + pd.Timedelta(hours=1), t + pd.Timedelta(hours=2),
                  t + pd.Timedelta(hours=5)],
        "end": [t + pd.Timedelta(hours=1), t + pd.Timedelta(hours=2),
                t + pd.Timedelta(hours=3), t + pd.Timedelta(hours=6)]})
    log = read_log(frame)
    assert log["activity_id"].tolist() == ["smoke", "qa", "qa", "ship"]
    assert audit_table(log).set_index("rule").loc["activity_assumed", "count"] == 3


def test_a_row_typed_phase_stays_a_phase_row():
    from phasesim.eventlog import audit_table, read_log

    t = pd.Timestamp("2026-01-05 09:00", tz="UTC")
    frame = pd.DataFrame({
        "release_id": ["r1", "r1"], "phase_id": ["qa", "qa"],
        "activity_id": [None, "smoke"], "activity_type": ["Phase", "automated"],
        "start": [t, t], "end": [t + pd.Timedelta(hours=2), t + pd.Timedelta(hours=1)]})
    log = read_log(frame).sort_values("activity_type")
    assert log["activity_id"].isna().tolist() == [False, True]
    assert log["activity_type"].tolist() == ["automated", "phase"]
    assert audit_table(log).set_index("rule").loc["activity_assumed", "count"] == 0


def test_a_phase_only_log_is_unchanged(tmp_path):
    from phasesim.eventlog import audit_table, read_log

    csv = tmp_path / "phases.csv"
    csv.write_text("release_id,phase_id,start,end\n"
                   "r1,build,2026-01-05 09:00,2026-01-05 10:00\n"
                   "r1,test,2026-01-05 10:00,2026-01-05 13:00\n")
    log = read_log(csv)
    assert log["activity_id"].isna().all()
    assert (log["activity_type"] == "phase").all()
    assert audit_table(log).set_index("rule").loc["activity_assumed", "count"] == 0


# -- vague messages made precise ------------------------------------------------------------

GOOD = textwrap.dedent("""\
    process:
      id: p
      phases:
        - phase:
            id: build
            activities:
              - activity: {id: a, type: automated, duration: 1h}
    """)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_latin1_blueprint_names_the_encoding_and_the_bad_byte(tmp_path, bom):
    file = tmp_path / "bp.yaml"
    file.write_bytes(bom + GOOD.replace("id: p", "id: p\n  name: Caf\xe9 run").encode("latin-1"))
    with pytest.raises(BlueprintError) as info:
        load_blueprint(file)
    (problem,) = info.value.problems
    # line 3 is "  name: Café run": the é is its 12th byte
    assert (problem.file, problem.line, problem.column) == (str(file), 3, 12)
    assert "the file is not UTF-8 text: byte 0xE9 cannot be decoded" in problem.message
    assert "'é' in Windows-1252" in (problem.hint or "")


def test_a_latin1_scenario_and_log_are_located(tmp_path):
    from phasesim.errors import LogError, ScenarioError
    from phasesim.eventlog import read_log
    from phasesim.whatif.scenario import load_scenario

    scenario = tmp_path / "s.yaml"
    scenario.write_bytes("name: caf\xe9\nchanges: []\n".encode("latin-1"))
    with pytest.raises(ScenarioError) as sinfo:
        load_scenario(scenario)
    assert [(p.line, p.column) for p in sinfo.value.problems] == [(1, 10)]
    csv = tmp_path / "log.csv"
    csv.write_bytes("release_id,phase_id,start,end\nr1,b,2026-01-05 09:00,2026-01-05 10:00\n"
                    "r2,caf\xe9,2026-01-05 09:00,2026-01-05 10:00\n".encode("latin-1"))
    with pytest.raises(LogError) as linfo:
        read_log(csv)
    (problem,) = linfo.value.problems
    assert (problem.file, problem.line, problem.column) == (str(csv), 3, 7)
    jsonl = tmp_path / "log.jsonl"
    jsonl.write_bytes('{"release_id": "r\xe9"}\n'.encode("latin-1"))
    with pytest.raises(LogError) as jinfo:
        read_log(jsonl)
    assert [(p.line, p.column) for p in jinfo.value.problems] == [(1, 18)]


@pytest.mark.parametrize(("written", "value"), [("on", "true"), ("off", "false"),
                                                ("yes", "true"), ("No", "false")])
def test_a_yaml_boolean_id_says_to_quote_it(written, value):
    with pytest.raises(BlueprintError) as info:
        load_blueprint(GOOD.replace("id: build", f"id: {written}"))
    (problem,) = info.value.problems
    assert (problem.line, problem.column) == (5, 13)
    assert f"YAML reads the unquoted {written!r} as the boolean {value}" in problem.message
    assert problem.hint == f"quote it: id: '{written}'"
    bp = load_blueprint(GOOD.replace("id: build", f"id: '{written}'"))
    assert bp.phase_ids == (written,)


def test_yaml_booleans_as_names_and_texts_say_to_quote_them():
    text = GOOD.replace("{id: a, type: automated, duration: 1h}",
                        "{id: a, type: automated, duration: 1h, name: yes}\n"
                        "          - activity: {id: b, type: automated, depends-on: [a, on]}")
    with pytest.raises(BlueprintError) as info:
        load_blueprint(text)
    messages = sorted(str(p) for p in info.value.problems)
    assert len(messages) == 2
    assert "activities[0].name: expected a text, found the boolean true: YAML reads the " \
        "unquoted 'yes' as one (quote it: 'yes')" in messages[0]
    assert "activities[1].depends-on: expected names, found a boolean" in messages[1]


def test_a_team_key_written_on_stays_on():
    text = GOOD.replace("  phases:", "  teams:\n    on: {capacity: 2}\n  phases:").replace(
        "type: automated, duration: 1h", "type: manual, duration: 1h, owner: 'on'")
    bp = load_blueprint(text)
    assert list(bp.teams) == ["on"] and bp.teams["on"].capacity == 2


def _parent(tmp_path, process: str):
    file = tmp_path / "parent.yaml"
    file.write_text(GOOD.replace("{id: a, type: automated, duration: 1h}",
                                 f"{{id: a, type: subprocess, process: '{process}'}}"))
    return file


def _subprocess_problem(file, **kwargs):
    with pytest.raises(BlueprintError) as info:
        load_blueprint(file, **kwargs)
    (problem,) = info.value.problems
    # "          - activity: {id: a, type: subprocess, process: " is 57 characters
    assert (problem.file, problem.line, problem.column) == (str(file), 7, 58)
    assert problem.path == "phases[0].activities[0].process"
    return problem


def test_subprocess_paths_that_are_no_blueprint_are_named_at_the_parents_line(tmp_path):
    import os

    (tmp_path / "folder").mkdir()
    (tmp_path / "image.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (tmp_path / "plain.yaml").write_text("just: a mapping\n")
    (tmp_path / "scalar.yaml").write_text("hello\n")
    (tmp_path / "empty.yaml").write_text("")
    os.mkfifo(tmp_path / "pipe.yaml")  # reading it would hang: it is never opened
    cases = {"folder": "this is a folder, not a blueprint file",
             "image.yaml": "the file is binary, not text",
             "plain.yaml": "is not a blueprint: it holds a mapping",
             "scalar.yaml": "is not a blueprint: it holds a text",
             "empty.yaml": "is not a blueprint: it holds nothing",
             "pipe.yaml": "this is a device or other special file, not a blueprint file",
             "missing.yaml": "subprocess file 'missing.yaml' not found"}
    for process, message in cases.items():
        problem = _subprocess_problem(_parent(tmp_path, process))
        assert message in problem.message, process


def test_a_latin1_subprocess_file_gives_the_bad_bytes_line(tmp_path):
    (tmp_path / "child.yaml").write_bytes(GOOD.replace("id: p", "id: p\n  name: \xe9")
                                          .encode("latin-1"))
    problem = _subprocess_problem(_parent(tmp_path, "child.yaml"))
    assert "byte 0xE9 cannot be decoded (at line 3, column 9 of it)" in problem.message


def test_subprocess_paths_leaving_the_folder_tree_are_refused(tmp_path):
    import os

    inner = tmp_path / "inner"
    (inner / "sub").mkdir(parents=True)
    (tmp_path / "outside.yaml").write_text(GOOD)
    (inner / "sub" / "child.yaml").write_text(GOOD)
    os.symlink(tmp_path / "outside.yaml", inner / "link.yaml")
    for process in ("../outside.yaml", str(tmp_path / "outside.yaml"), "link.yaml",
                    "/etc/passwd", "sub/../../outside.yaml"):
        problem = _subprocess_problem(_parent(inner, process))
        assert f"lies outside the blueprint's folder {os.path.realpath(inner)}" in \
            problem.message, process
        assert "allow_outside=True (--allow-outside)" in (problem.hint or "")
    assert load_blueprint(_parent(inner, "sub/child.yaml")).phase_ids == ("build",)
    bp = load_blueprint(_parent(inner, "../outside.yaml"), allow_outside=True)
    assert bp.phases[0].activities[0].subprocess is not None
    problem = _subprocess_problem(_parent(inner, "/dev/null"), allow_outside=True)
    assert "device or other special file" in problem.message


def test_cli_allow_outside(tmp_path, capsys):
    from phasesim.cli import main

    inner = tmp_path / "inner"
    inner.mkdir()
    (tmp_path / "outside.yaml").write_text(GOOD)
    parent = _parent(inner, "../outside.yaml")
    assert main(["validate", str(parent)]) == 1
    assert "lies outside the blueprint's folder" in capsys.readouterr().out
    assert main(["validate", str(parent), "--allow-outside"]) == 0
    # the flag does not stay on after the command
    with pytest.raises(BlueprintError):
        load_blueprint(parent)


def test_a_header_only_log_is_named(tmp_path, capsys):
    from phasesim.cli import main

    csv = tmp_path / "header.csv"
    csv.write_text("release_id,phase_id,activity_id,start,end\n")
    assert main(["report", str(csv), "-o", str(tmp_path / "r.html")]) == 1
    err = capsys.readouterr().err
    assert f"{csv}: the log holds no rows (a header only?)" in err
    assert "<string>" not in err
    assert main(["calibrate", "data/blueprints/linear.yaml", str(csv), "-o",
                 str(tmp_path / "c.yaml")]) == 1
    assert f"nothing to calibrate from ({csv} holds no rows" in capsys.readouterr().err


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_other_csv_delimiters_are_detected(tmp_path, sep):
    from phasesim.eventlog import read_log

    csv = tmp_path / "log.csv"
    csv.write_text(sep.join(["release_id", "phase_id", "start", "end"]) + "\n"
                   + sep.join(["r1", "build", "2026-01-05 09:00", "2026-01-05 10:30"]) + "\n")
    log = read_log(csv)
    assert log[["release_id", "phase_id"]].values.tolist() == [["r1", "build"]]
    assert (log["end"] - log["start"]).tolist() == [pd.Timedelta(minutes=90)]


def _workbook(path):
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"note": ["exported by the release tool"]}).to_excel(
            writer, sheet_name="Cover", index=False)
        pd.DataFrame({"release_id": ["r1"], "phase_id": ["build"],
                      "start": ["2026-01-05 09:00"], "end": ["2026-01-05 11:00"]}).to_excel(
            writer, sheet_name="Data", index=False)


def test_excel_data_on_a_later_sheet(tmp_path, capsys):
    from phasesim.cli import main
    from phasesim.errors import LogError
    from phasesim.eventlog import read_log

    book = tmp_path / "log.xlsx"
    _workbook(book)
    with pytest.raises(LogError) as info:
        read_log(book)
    first = info.value.problems[0]
    assert first.message == ("the first sheet, 'Cover', holds no log; the workbook's sheets "
                             "are 'Cover', 'Data'")
    assert first.hint == "sheet 'Data' has log columns: pass sheet='Data' (--sheet 'Data')"
    for sheet in ("Data", 1):
        log = read_log(book, sheet=sheet)
        assert log["release_id"].tolist() == ["r1"]
        assert (log["end"] - log["start"]).tolist() == [pd.Timedelta(hours=2)]
    with pytest.raises(LogError, match="no sheet 'Dta' in the workbook; its sheets are "
                                       "'Cover', 'Data'"):
        read_log(book, sheet="Dta")
    with pytest.raises(LogError, match=r"sheet=2 but the workbook has 2 sheet\(s\)"):
        read_log(book, sheet=2)
    csv = tmp_path / "log.csv"
    csv.write_text("release_id,phase_id,start,end\n")
    with pytest.raises(LogError, match="sheet= applies to Excel workbooks, not to format"):
        read_log(csv, sheet="Data")
    assert main(["report", str(book), "--sheet", "Data", "-o", str(tmp_path / "r.html")]) == 0
    assert (tmp_path / "r.html").exists()


def test_cli_reports_the_horizon_as_a_note(tmp_path, capsys):
    from phasesim.cli import main

    file = tmp_path / "bp.yaml"
    file.write_text(GOOD.replace("duration: 1h", "duration: 1000000h"))
    assert main(["simulate", str(file), "--runs", "1", "--releases", "1", "--seed", "1",
                 "--start", "2200-01-01", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "phasesim simulate: note: 1 release(s) ran past the simulation horizon" in err
    assert "UserWarning" not in err


def test_huge_run_and_attempt_numbers_are_invalid_numbers():
    import warnings

    from phasesim.eventlog import audit_table, read_log

    frame = pd.DataFrame({"release_id": ["r1"] * 3, "phase_id": ["a", "b", "c"],
                          "run": [1e308, float("inf"), 2], "attempt": [1e300, 2, "3"],
                          "start": ["2026-01-05 09:00"] * 3, "end": ["2026-01-05 10:00"] * 3})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log = read_log(frame)
    assert log["run"].tolist() == [0, 0, 2]
    assert log["attempt"].tolist() == [1, 2, 3]
    assert audit_table(log).set_index("rule").loc["invalid_number", "count"] == 2
