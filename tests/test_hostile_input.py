"""Hostile and odd input (issue 14): a clear, located error, never a hang or a traceback."""

from __future__ import annotations

import textwrap
import time

import pytest

from phasesim import BlueprintError, load_blueprint, simulate
from phasesim.blueprint.yamlsource import MAX_YAML_NODES, parse_yaml
from phasesim.errors import PhasesimError, ScenarioError
from phasesim.whatif.scenario import load_scenario

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


# -- item 2: raw tracebacks become file:line errors -----------------------------------------

def test_deep_nesting_is_a_located_problem_not_a_recursion_error():
    data, found = parse_yaml("a: " + "[" * 5000 + "]" * 5000, "deep.yaml")
    assert data is None
    (problem,) = found
    # the root mapping is level 1, so the 100th "[" (column 3 + 100) is level 101
    assert (problem.file, problem.line, problem.column) == ("deep.yaml", 1, 103)
    assert "nest more than 100 levels deep" in problem.message


def test_nesting_at_the_limit_still_loads():
    data, found = parse_yaml("[" * 100 + "]" * 100, "ok.yaml")
    assert found == []
    depth = 0
    while isinstance(data, list) and data:
        data, depth = data[0], depth + 1
    assert depth == 99 and data == []


def test_nul_byte_is_located():
    data, found = parse_yaml("process:\n  id: p\x00\n", "nul.yaml")
    assert data is None
    (problem,) = found
    assert (problem.file, problem.line, problem.column) == ("nul.yaml", 2, 8)
    assert "U+0000" in problem.message


def test_nul_byte_in_a_blueprint_file(tmp_path):
    file = tmp_path / "bp.yaml"
    file.write_text(BLUEPRINT.replace("RETRIES", "1").replace("id: p", "id: p\x00"))
    with pytest.raises(BlueprintError) as info:
        load_blueprint(file)
    assert f"{file}:2:8" in str(info.value)


def test_impossible_holiday_is_located():
    text = BLUEPRINT.replace("RETRIES", "1").replace(
        "  phases:", "  calendars:\n    office: {holidays: [2026-02-27, 2026-02-30]}"
        "\n  phases:")
    with pytest.raises(BlueprintError) as info:
        load_blueprint(text)
    (problem,) = info.value.problems
    assert (problem.line, problem.column) == (4, 37)
    assert "found '2026-02-30' (day is out of range for month)" in problem.message


def test_impossible_freeze_day_is_located():
    text = BLUEPRINT.replace("RETRIES", "1").replace(
        "  phases:", "  calendars:\n    office: {freezes: [[2026-12-20, 2027-13-01]]}"
        "\n  phases:")
    with pytest.raises(BlueprintError) as info:
        load_blueprint(text)
    (problem,) = info.value.problems
    assert problem.line == 4
    assert "month must be in 1..12" in problem.message


@pytest.mark.parametrize(("argv", "message"), [
    (["simulate", "BP", "--seed", "-5"], "--seed: a seed cannot be negative, found -5"),
    (["simulate", "BP", "--seed", "x"], "--seed: expected a whole number such as 42"),
    (["simulate", "BP", "--target", "soon"], "--target: expected a duration such as"),
    (["compare", "BP", "BP", "--seed", "-1"], "--seed: a seed cannot be negative"),
    (["compare", "BP", "BP", "--target", "soon"], "--target: expected a duration"),
    (["report", "LOG", "-o", "x.html", "--seed", "-5"], "--seed: a seed cannot be negative"),
])
def test_cli_arguments_fail_before_anything_is_printed(argv, message, capsys):
    from phasesim.cli import main

    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert message in err


def test_harness_report_format_on_a_csv_names_the_file(tmp_path, capsys):
    from phasesim.cli import main
    from phasesim.errors import LogError
    from phasesim.eventlog import read_log

    csv = tmp_path / "log.csv"
    csv.write_text("release,phase\nr1,build\n")
    with pytest.raises(LogError) as info:
        read_log(csv, format="harness-report")
    (problem,) = info.value.problems
    assert problem.file == str(csv)
    assert "cannot open as an Excel workbook" in problem.message
    assert main(["report", str(csv), "--format", "harness-report",
                 "-o", str(tmp_path / "r.html")]) == 1
    err = capsys.readouterr().err
    assert str(csv) in err and "Traceback" not in err
    assert not (tmp_path / "r.html").exists()


# -- item 3: text from a log reaches matplotlib literally ------------------------------------

def _drawn(text_artist) -> str:
    """The string matplotlib renders for a Text artist, and fail if it would be mathtext."""
    shown, ismath = text_artist._preprocess_math(text_artist.get_text())
    assert ismath is False, text_artist.get_text()
    return shown


def _hostile_log():
    import pandas as pd

    from phasesim.eventlog.schema import validate_log

    t0 = pd.Timestamp("2026-01-05", tz="UTC")
    rows = [("r$1$", "$b$uild", "$x^2$", 0, 1), ("r$1$", "$b$uild", r"$\frac{$", 1, 3),
            ("r2", "$b$uild", "$x^2$", 168, 170)]
    return validate_log(pd.DataFrame([
        {"run": 0, "release_id": r, "phase_id": p, "activity_id": a,
         "activity_type": "manual", "status": "succeeded", "attempt": 1,
         "start": t0 + pd.Timedelta(hours=s), "end": t0 + pd.Timedelta(hours=e)}
        for r, p, a, s, e in rows]))


def test_log_names_with_dollars_are_drawn_literally(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from phasesim.plotting import plot_gantt, plot_phase_durations, plot_timeline

    log = _hostile_log()
    fig, axes = plt.subplots(3, 1)
    plot_phase_durations(log, ax=axes[0], level="activity")
    plot_gantt(log, "r$1$", ax=axes[1])
    plot_timeline(log, ax=axes[2], wip=False)
    fig.savefig(tmp_path / "hostile.png")  # mathtext would raise on "$\frac{$"
    durations = sorted(_drawn(t) for t in axes[0].get_yticklabels())
    assert durations == ["$b$uild.$\\frac{$", "$b$uild.$x^2$"]
    gantt = [_drawn(t) for t in axes[1].get_yticklabels()]
    assert len(gantt) == 2 and all("$x^2$" in g or "$\\frac{$" in g for g in gantt)
    assert _drawn(axes[1].title) == "Release r$1$"
    assert sorted(_drawn(t) for t in axes[2].get_yticklabels()) == ["r$1$", "r2"]
    legend = axes[2].get_legend()
    assert legend is not None and [_drawn(t) for t in legend.get_texts()] == ["$b$uild"]
    plt.close(fig)


def test_literal_escapes_every_dollar():
    from phasesim.plotting._text import literal

    assert literal("$x^2$") == r"\$x^2\$"
    assert literal("no dollars") == "no dollars"
    assert literal(12) == "12"


def test_blueprint_names_with_dollars_in_the_dag(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from phasesim.plotting import plot_dag

    bp = load_blueprint(BLUEPRINT.replace("RETRIES", "1").replace(
        "{id: compile, type: automated, duration: 1h}",
        "{id: compile, name: '$\\frac{$ cost', type: automated, duration: 1h}"))
    fig, ax = plt.subplots()
    plot_dag(bp, ax=ax)
    fig.savefig(tmp_path / "dag.png")
    texts = [_drawn(t) for t in ax.texts]
    assert "$\\frac{$ cost" in texts
    plt.close(fig)


# -- item 4: dates past pandas' range in a log ---------------------------------------------

def test_log_cell_dated_2263_is_counted_not_fatal(tmp_path):
    from phasesim.errors import LogError
    from phasesim.eventlog import audit_table, read_log

    csv = tmp_path / "far.csv"
    csv.write_text("release_id,phase_id,activity_id,start,end\n"
                   "r1,build,compile,2026-01-05 09:00,2026-01-05 10:00\n"
                   "r1,build,test,2026-01-05 10:00,2263-01-05 10:00\n")
    log = read_log(csv)
    assert len(log) == 2
    assert log["end"].isna().tolist() == [False, True]
    assert str(log["end"].iloc[0]) == "2026-01-05 10:00:00+00:00"
    counts = audit_table(log).set_index("rule")["count"]
    assert counts["unparsable_timestamp"] == 1
    with pytest.raises(LogError) as info:
        read_log(csv, strict=True)
    (problem,) = [p for p in info.value.problems if "2263" in p.message]
    assert (problem.file, problem.line) == (str(csv), 3)
    assert "outside 1677-09-21 to 2262-04-11" in problem.message


def test_log_frame_with_second_resolution_dates_past_2262():
    import pandas as pd

    from phasesim.eventlog import audit_table, read_log

    frame = pd.DataFrame({
        "release_id": ["r1", "r1"], "phase_id": ["b", "b"], "activity_id": ["c", "t"],
        "start": pd.Series(["2026-01-05T09:00", "2026-01-05T10:00"], dtype="datetime64[s]"),
        "end": pd.Series(["2026-01-05T10:00", "2263-01-05T10:00"], dtype="datetime64[s]")})
    log = read_log(frame)
    assert log["end"].isna().tolist() == [False, True]
    assert audit_table(log).set_index("rule")["count"]["unparsable_timestamp"] == 1


# -- item 4: durations beyond the documented maximum --------------------------------------

@pytest.mark.parametrize(("text", "hours"), [("1000000h", 1e6), ("5952w", 999_936.0),
                                             (1_000_000, 1e6)])
def test_durations_up_to_a_million_hours_are_accepted(text: object, hours: float):
    from phasesim.units import parse_duration

    assert parse_duration(text) == hours


@pytest.mark.parametrize("text", ["1e308", 1e308, "1000001h", "5953w", "41667d"])
def test_durations_beyond_a_million_hours_are_refused(text: object):
    from phasesim.units import parse_duration

    with pytest.raises(ValueError, match=r"cannot exceed 1,000,000h \(about 114 years\)"):
        parse_duration(text)


def test_blueprint_duration_of_1e308_is_located():
    text = BLUEPRINT.replace("RETRIES", "1").replace(
        "{id: compile, type: automated, duration: 1h}",
        "{id: compile, type: automated, duration: 1e308}")
    with pytest.raises(BlueprintError) as info:
        load_blueprint(text)
    (problem,) = info.value.problems
    assert problem.line == 7
    assert "cannot exceed 1,000,000h" in problem.message


def test_distribution_parameter_beyond_ten_years_is_located():
    text = BLUEPRINT.replace("RETRIES", "1").replace(
        "{id: compile, type: automated, duration: 1h}",
        "{id: compile, type: automated, duration: {pert: [1h, 2h, 1e300]}}")
    with pytest.raises(BlueprintError) as info:
        load_blueprint(text)
    (problem,) = info.value.problems
    assert problem.line == 7
    assert "cannot exceed 1,000,000h" in problem.message


@pytest.mark.parametrize(("factor", "ok"), [(1000, True), ("1.0e+300", False), (1000.5, False)])
def test_scenario_scale_is_capped(factor: object, ok: bool):
    bp = load_blueprint(BLUEPRINT.replace("RETRIES", "1"))
    text = f"name: huge\nchanges:\n  - {{activity: build.compile, scale: {factor}}}\n"
    if ok:
        scenario = load_scenario(text, base=bp)
        assert scenario.name == "huge"
        return
    with pytest.raises(ScenarioError) as info:
        load_scenario(text, base=bp)
    (problem,) = info.value.problems
    assert (problem.line, problem.path) == (3, "changes[0].scale")
    assert "a scale factor is at most 1000" in problem.message
