"""Fuzzing (issue 14): odd blueprint text and odd log frames give a located PhasesimError or
a valid result, never anything else (no traceback of another kind, no hang).

Blueprints: text mutations of the shipped blueprints (lines dropped, repeated, swapped,
re-indented, cut short; values replaced by hostile ones), value mutations of their parsed
form, and random YAML documents. A blueprint that loads is also simulated briefly.
Logs: random frames (columns under canonical and alias names; cells of text, numbers,
NaN, NA, booleans, dates inside and outside pandas' range); a log that reads is also
analysed. ``PHASESIM_FUZZ_EXAMPLES`` raises the number of examples for a longer local run.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import warnings
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from phasesim import Blueprint, load_blueprint, simulate
from phasesim.errors import LogError, PhasesimError, Problem

BLUEPRINTS = Path(__file__).parents[1] / "data" / "blueprints"
SOURCES = {p.name: p.read_text(encoding="utf-8") for p in sorted(BLUEPRINTS.glob("*.yaml"))}
EXAMPLES = int(os.environ.get("PHASESIM_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=EXAMPLES or 60, deadline=None, derandomize=not EXAMPLES,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])

#: Values that have broken parsers before: YAML booleans and nulls, numbers at the edges,
#: dates past pandas' range or impossible, aliases, tags, markup, control characters.
HOSTILE = ["on", "off", "yes", "null", "~", "''", "-1", "0", "1e308", "-1e308", ".nan",
           ".inf", "1000000001", "2.5", "true", "[]", "{}", "[a, a, a]", "[null]",
           "'a.b'", "2263-01-01", "2026-02-30", "1600-01-01", "'$\\frac{$'", "*x", "&x y",
           "!!python/object:os.system", "'\\x00'", "Café", "'<+releaseInput.nope>'",
           "'<+x'", "1h", "0s", "-5m", "{pert: [3h, 2h, 1h]}", "{lognormal: {median: 0}}",
           "Mon 25:00", "{at: Fri 09:00, week: 100000}", "'*'", "\"\\u202e\"",
           "[[2026-01-01, 2025-01-01]]", "'\\t'", "999999999999999999999999"]


def _located(exc: PhasesimError) -> None:
    """A PhasesimError that names where: every problem has a file, and a blueprint's a
    line or a path too (a log's problem may concern the whole file: a missing column)."""
    problems: list[Problem] = list(getattr(exc, "problems", []))
    if not problems:
        assert str(exc).strip(), "an empty message"
        return
    for problem in problems:
        assert problem.file, f"no file: {problem}"
        if not isinstance(exc, LogError):
            assert problem.line is not None or problem.path, f"no location: {problem}"
        assert problem.message.strip(), f"no message: {problem}"


def _simulate_briefly(bp: Blueprint) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = simulate(bp, releases=2, runs=1, seed=3, progress=False, max_rework=3)
    except PhasesimError as exc:
        _located(exc)
        return
    log = result.log
    assert len(result.releases) == 2
    assert log["start"].notna().all() and (log["end"] >= log["start"]).all()


def _check_blueprint_text(text: str) -> None:
    try:
        bp = load_blueprint(text)
    except PhasesimError as exc:
        _located(exc)
        return
    assert isinstance(bp, Blueprint)
    assert bp.phases
    _simulate_briefly(bp)


# -- blueprint text -------------------------------------------------------------------------

@st.composite
def mutated_text(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(sorted(SOURCES)))
    lines = SOURCES[name].splitlines()
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["drop", "repeat", "swap", "indent", "value", "cut",
                                     "key", "char"]))
        line = lines[i]
        if kind == "drop":
            del lines[i]
        elif kind == "repeat":
            lines.insert(i, line)
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "indent":
            shift = draw(st.sampled_from([-4, -2, -1, 1, 2, 4]))
            lines[i] = " " * max(0, shift) + line[max(0, -shift):]
        elif kind == "value" and ":" in line:
            head, _, _ = line.partition(":")
            lines[i] = f"{head}: {draw(st.sampled_from(HOSTILE))}"
        elif kind == "cut":
            lines[i] = line[:draw(st.integers(0, len(line)))]
        elif kind == "key" and ":" in line:
            _, _, tail = line.partition(":")
            key = draw(st.sampled_from(["id", "type", "duration", "depends-on", "for-each",
                                        "approval", "failure", "not-before", "process", "if",
                                        "uses", "owner", "calendar", "x"]))
            lines[i] = f"{line[:len(line) - len(line.lstrip())]}{key}:{tail}"
        elif kind == "char":
            at = draw(st.integers(0, len(line)))
            lines[i] = line[:at] + draw(st.sampled_from(
                ["{", "}", "[", "]", "'", '"', "#", "&", "*", "!", "|", ">", "\t", ",",
                 "\x00", "\ufeff", "é"])) + line[at:]
    return "\n".join(lines) + "\n"


@FUZZ
@given(mutated_text())
def test_mutated_blueprint_text(text: str) -> None:
    _check_blueprint_text(text)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out.extend(_paths(value, (*prefix, i)))
    return out


PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
    | st.dates(min_value=dt.date(1, 1, 1)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12)


def _parsed(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, ValueError):
        return text


#: The hostile values as YAML reads them (where it can).
PARSED = [_parsed(v) for v in HOSTILE]


@st.composite
def mutated_values(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(sorted(SOURCES)))
    data = yaml.safe_load(SOURCES[name])
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)[1:]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        replacement = draw(PLAIN | st.sampled_from(HOSTILE) | st.sampled_from(PARSED))
        if draw(st.booleans()) or not isinstance(parent, list):
            parent[path[-1]] = replacement
        else:
            del parent[path[-1]]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@FUZZ
@given(mutated_values())
def test_mutated_blueprint_values(text: str) -> None:
    _check_blueprint_text(text)


@FUZZ
@given(PLAIN)
def test_random_yaml_documents(data: Any) -> None:
    _check_blueprint_text(yaml.safe_dump({"process": data} if isinstance(data, dict) else data,
                                         allow_unicode=True) + "\n")


# -- log frames -----------------------------------------------------------------------------

COLUMNS = ["release_id", "phase_id", "activity_id", "start", "end", "status", "attempt",
           "run", "activity_type", "owner", "ready", "case:concept:name", "concept:name",
           "time:timestamp", "start_timestamp", "lifecycle:transition", "stage", "task",
           " Start ", "END", "planned_start", "source_row", "x"]

STAMPS = st.datetimes(min_value=dt.datetime(2025, 12, 1), max_value=dt.datetime(2026, 2, 1))
CELLS = st.one_of(
    st.sampled_from(["r1", "r2", "build", "test", "deploy", "", " ", "NaN", "NA", "null",
                     "succeeded", "failed", "in progress", "start", "complete", "phase",
                     "manual", "bogus", "2263-01-01", "2026-02-30", "1600-01-01 00:00",
                     "2026-01-05 09:00", "2026-01-05T10:00:00+05:00", "-1", "1e308", "$x$"]),
    STAMPS, STAMPS.map(str), st.integers(-3, 5), st.floats(allow_nan=True, allow_infinity=True),
    st.none(), st.just(pd.NA), st.just(pd.NaT), st.booleans(), st.just(["a"]),
    st.just({"k": 1}), st.text(max_size=6), st.dates().map(str),
    st.datetimes(min_value=dt.datetime(1, 1, 1)).map(lambda t: t.isoformat()))


@st.composite
def log_frames(draw: st.DrawFn) -> pd.DataFrame:
    names = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=8, unique=True))
    for needed in ("release_id", "phase_id", "start", "end"):
        if draw(st.integers(0, 4)) and needed not in names:
            names.append(needed)
    n = draw(st.integers(0, 8))
    data = {}
    for name in names:
        if name in ("start", "end", "ready") and draw(st.booleans()):
            data[name] = draw(st.lists(STAMPS | st.none(), min_size=n, max_size=n))
        else:
            data[name] = draw(st.lists(CELLS, min_size=n, max_size=n))
    return pd.DataFrame(data, dtype=object)


def _analyse(log: pd.DataFrame) -> None:
    from phasesim import bottlenecks, lead_times, phase_stats, trends

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for analysis in (lead_times, phase_stats, trends,
                         lambda g: bottlenecks(g, n_boot=0)):
            try:
                analysis(log)
            except PhasesimError as exc:
                _located(exc)


@pytest.mark.filterwarnings("error::RuntimeWarning")  # reading odd cells warns of nothing
@FUZZ
@given(log_frames(), st.booleans())
def test_random_log_frames(frame: pd.DataFrame, strict: bool) -> None:
    from phasesim.eventlog import read_log
    from phasesim.eventlog.schema import validate_log

    try:
        log = read_log(frame, strict=strict)
    except PhasesimError as exc:
        _located(exc)
        return
    validate_log(log)
    ends = log["end"].dropna()
    assert ends.empty or ends.max() <= pd.Timestamp.max.tz_localize("UTC")
    known = log["start"].notna() & log["end"].notna()
    assert (log.loc[known, "end"] >= log.loc[known, "start"]).all()
    _analyse(log)


def test_the_fuzz_sources_are_valid() -> None:
    # the mutations start from blueprints that load (else the fuzzing tests nothing)
    for name, text in SOURCES.items():
        if "process: processes/" in text:
            continue  # a subprocess path is relative to the file, not to this text
        assert load_blueprint(text).phases, name
    assert math.isfinite(len(HOSTILE))


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_each_shipped_blueprint_loads_from_its_file(name: str) -> None:
    assert load_blueprint(BLUEPRINTS / name).phases
