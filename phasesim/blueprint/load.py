"""Load a blueprint: safe YAML with locations -> validate everything -> frozen objects.

:func:`load_blueprint` collects every problem it finds (each with ``file:line:column``,
the path inside the document and a fix where one is obvious), then raises one
:class:`~phasesim.errors.BlueprintError` listing them all.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import difflib
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import networkx as nx

from phasesim._files import decode
from phasesim.blueprint.expressions import (
    Expression,
    ExpressionError,
    is_reference_only,
    parse_expression,
)
from phasesim.blueprint.model import (
    ACTIVITY_TYPES,
    INPUT_TYPES,
    Activity,
    Approval,
    Blueprint,
    Environment,
    Failure,
    InputSpec,
    NotBefore,
    Phase,
    Rejection,
    Slot,
    Team,
)
from phasesim.blueprint.schema import SIDECAR_KEYS, known_keys
from phasesim.blueprint.yamlsource import Located, LocatedDict, LocatedList, parse_yaml
from phasesim.calendars import HORIZON, HORIZON_START, Calendar, WeeklyAnchor
from phasesim.distributions import DurationSpec, parse_duration_spec
from phasesim.errors import BlueprintError, Problem

__all__ = ["MAX_APPROVERS", "MAX_RETRIES", "MAX_SUBPROCESS_DEPTH", "bind_inputs",
           "load_blueprint"]

#: Subprocesses nest at most this many levels below the top process.
MAX_SUBPROCESS_DEPTH = 3
#: Most ``failure.retries`` an activity may have (each retry is one more simulated try).
MAX_RETRIES = 100
#: Most ``approval.approvers`` an activity may have.
MAX_APPROVERS = 100

_ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_INPUT_REFS = ("releaseInput.global.", "releaseInput.", "pipeline.variables.")
_VARIABLE_REFS = ("variables.", "process.variables.", "phase.variables.")


def load_blueprint(
    source: str | os.PathLike[str] | Blueprint,
    inputs: Mapping[str, Any] | None = None,
    *,
    allow_outside: bool | None = None,
) -> Blueprint:
    """Load, validate and return a release process blueprint.

    Parameters
    ----------
    source : path, YAML text or Blueprint
        A ``.yaml`` file, YAML text (anything with a newline or a ``:``), or a
        Blueprint to bind to other inputs.
    inputs : mapping, optional
        Values for the process ``inputs`` (defaults fill the rest); ``for-each`` and
        ``if`` are evaluated on them.
    allow_outside : bool, optional
        Let subprocess files lie outside the blueprint's folder tree (its folder and the
        folders below it; the current folder for YAML text). Off by default, so that a
        shared blueprint cannot make phasesim read arbitrary files; the CLI's
        ``--allow-outside`` turns it on.

    Returns
    -------
    Blueprint

    Raises
    ------
    BlueprintError
        Listing every problem found, each with ``file:line:column`` and its path.

    Examples
    --------
    >>> bp = load_blueprint('''
    ... phase:
    ...   id: build
    ...   activities:
    ...     - activity: {id: compile, type: automated, duration: 30m}
    ...     - activity: {id: test, type: automated, depends-on: [compile], duration: 1h}
    ... ''')
    >>> bp.critical_path().length_h
    1.5
    """
    if isinstance(source, Blueprint):
        return bind_inputs(source, inputs)
    text, name, base = _read_source(source)
    loader = _Loader(name, base, depth=0, stack=(os.path.realpath(name),))
    loader.root = os.path.realpath(base)
    loader.allow_outside = ALLOW_OUTSIDE.get() if allow_outside is None else allow_outside
    blueprint = loader.load(text, inputs)
    if loader.problems or blueprint is None:
        problems = sorted(loader.problems, key=lambda p: (
            p.file != name, p.file or "", p.line is None, p.line or 0, p.column or 0))
        raise BlueprintError(problems, name)
    return blueprint


def bind_inputs(blueprint: Blueprint, inputs: Mapping[str, Any] | None) -> Blueprint:
    """Return ``blueprint`` bound to ``inputs`` (over its defaults), validated."""
    if not inputs:
        return blueprint
    problems: list[Problem] = []
    values = _bind_values(blueprint.inputs, inputs, problems, blueprint.source)
    for name in _for_each_inputs(blueprint):
        if name in inputs and isinstance(values.get(name), list):
            problems.extend(Problem(message, file=blueprint.source, path=f"inputs.{name}[{k}]",
                                    hint=f"{hint}; the value was given as inputs={{{name!r}: "
                                         f"...}} (--input {name}=...)")
                            for k, message, hint in _bad_items(values[name]))
    if problems:
        raise BlueprintError(problems, blueprint.source)
    phases = tuple(_bind_subprocesses(ph, values, blueprint.source) for ph in blueprint.phases)
    return replace(blueprint, input_values=values, phases=phases)


#: Latest week a planned slot ``{at, week}`` may name (ten years).
MAX_SLOT_WEEK = 520
_HORIZON_HINT = ("simulated time must stay inside pandas' timestamps; see 'The simulation "
                 "horizon' in docs/simulation.md")


def _beyond_horizon(day: dt.date) -> str | None:
    """Why a calendar date lies outside the simulation horizon, or None."""
    if HORIZON_START.date() <= day < HORIZON.date():
        return None
    return (f"date {day} lies outside the simulation horizon "
            f"({HORIZON_START.date()} to {HORIZON.date()})")


def _is_blueprint_document(data: Any) -> bool:
    """Whether parsed YAML is shaped like a blueprint (a process, a phase or phases)."""
    if isinstance(data, LocatedList):
        return True
    return isinstance(data, LocatedDict) and bool({"process", "phase", "phases"} & set(data))


def _for_each_inputs(blueprint: Blueprint) -> set[str]:
    """Names of the inputs that a ``for-each`` of the blueprint runs over."""
    out = set()
    for ph in blueprint.phases:
        for act in ph.activities:
            ref = is_reference_only(act.for_each) if isinstance(act.for_each, str) else None
            if ref:
                out.add(ref.split(".")[-1])
    return out


#: Characters a for-each item may not hold: '.' separates a phase from an activity in
#: node ids and log keys, brackets enclose the item in ``activity[item]``.
_ITEM_FORBIDDEN = (".", "[", "]")


def _bad_items(items: list[Any]) -> list[tuple[int, str, str]]:
    """Why for-each items cannot name activity instances: (index, message, hint)."""
    out = []
    first: dict[str, int] = {}
    for k, item in enumerate(items):
        kind = _kind_of(item)
        if item is None:
            out.append((k, "a for-each item is null (empty)", "give every item a name, such "
                        "as [api, web]"))
            continue
        if isinstance(item, bool):
            out.append((k, f"a for-each item is the boolean {str(item).lower()}",
                        "YAML reads on, off, yes, no, true and false as booleans; quote the "
                        "name, as in ['on', 'off']"))
            continue
        if isinstance(item, Mapping | list | tuple | set):
            out.append((k, f"a for-each item is {kind}, not a name",
                        "items are plain names such as api or eu-west"))
            continue
        if isinstance(item, float) and not math.isfinite(item):
            out.append((k, f"a for-each item is {item}", "items are plain names such as api"))
            continue
        if not isinstance(item, str | int | float):
            out.append((k, f"a for-each item is {kind}", "items are plain names such as api"))
            continue
        text = str(item)
        if not text.strip():
            out.append((k, "a for-each item is an empty name", "give every item a name, such "
                        "as [api, web]"))
            continue
        bad = [c for c in _ITEM_FORBIDDEN if c in text]
        if bad:
            out.append((k, f"for-each item {text!r} contains {bad[0]!r}",
                        "an instance is named activity[item] and '.' separates a phase from "
                        "an activity; use '-' or '_' instead"))
            continue
        if text in first:
            out.append((k, f"for-each item {text!r} repeats item {first[text]} (items count "
                        "from 0)", "each item makes one instance; remove the repeat"))
            continue
        first[text] = k
    return out


def _read_source(source: str | os.PathLike[str]) -> tuple[str, str, Path]:
    if isinstance(source, os.PathLike) or (
        isinstance(source, str) and "\n" not in source and ":" not in source.replace("\\", "/")
        .split("/", 1)[0][2:]
        and (source.endswith((".yaml", ".yml")) or Path(source).exists())
    ):
        path = Path(source)
        if not path.exists():
            raise BlueprintError(
                [Problem("file not found", file=str(path), hint="check the path")], str(path))
        data, problem = _read_bytes(path)
        text = None
        if problem is None and data is not None:
            text, problem = decode(data, str(path))
        if problem is not None or text is None:
            raise BlueprintError([problem or Problem("cannot read the file", file=str(path))],
                                 str(path))
        return text, str(path), path.resolve().parent
    return str(source), "<string>", Path.cwd()


#: Largest blueprint file read (a blueprint is a few kilobytes; this refuses a wrong file
#: such as a disk image quickly).
MAX_BLUEPRINT_BYTES = 10_000_000

#: The default of ``allow_outside`` (the CLI's ``--allow-outside`` sets it for a command).
ALLOW_OUTSIDE: contextvars.ContextVar[bool] = contextvars.ContextVar("allow_outside",
                                                                    default=False)


def _read_bytes(path: Path) -> tuple[bytes | None, Problem | None]:
    """The bytes of a blueprint file, or why it is not one (a folder, a device, too big)."""
    name = str(path)
    if path.is_dir():
        return None, Problem("this is a folder, not a blueprint file", file=name,
                             hint="name a .yaml file")
    if not path.is_file():
        return None, Problem("this is a device or other special file, not a blueprint "
                             "file", file=name, hint="name a .yaml file")
    try:
        size = path.stat().st_size
        if size > MAX_BLUEPRINT_BYTES:
            return None, Problem(f"the file is {size:,} bytes, far too large for a "
                                 f"blueprint (at most {MAX_BLUEPRINT_BYTES:,})", file=name,
                                 hint="is this the right file?")
        data = path.read_bytes()
    except OSError as exc:
        return None, Problem(f"cannot read the file: {exc.strerror or exc}", file=name)
    return data, None  # decode() tells a binary file (a NUL byte in valid UTF-8 is located)


def _did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def _kind_of(value: object) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a text",
            type(None): "nothing"}.get(type(value), "a list" if isinstance(value, list)
                                       else "a mapping" if isinstance(value, dict)
                                       else type(value).__name__)


class _Loader:
    """Builds one blueprint (and its subprocesses), collecting problems."""

    def __init__(self, name: str, base: Path, depth: int, stack: tuple[str, ...]) -> None:
        self.name = name
        self.base = base
        self.depth = depth
        self.stack = stack
        self.problems: list[Problem] = []
        self.data: Any = None
        #: the folder tree subprocess files must stay in, unless allow_outside
        self.root = os.path.realpath(base)
        self.allow_outside = False
        self.unparsable = False  # the text is not YAML (a syntax error, a bad character)
        #: where each input is declared (and its default written), for binding problems
        self.input_where: dict[str, tuple[Located | None, Located | None]] = {}
        #: inputs declared but not valid: references to them are not "unknown" as well
        self.bad_inputs: set[str] = set()
        self.given_inputs: Mapping[str, Any] = {}

    # -- problem reporting -------------------------------------------------------------
    def problem(self, where: Located | None, path: str, message: str,
                hint: str | None = None) -> None:
        self.problems.append(Problem(
            message, file=self.name, line=where.line if where else None,
            column=where.column if where else None, path=path, hint=hint))

    @staticmethod
    def at(container: Any, key: str | int | None = None, *, of_key: bool = False
           ) -> Located | None:
        if isinstance(container, LocatedDict):
            if key is None:
                return container.where
            table = container.key_where if of_key else container.value_where
            return table.get(str(key), container.where)
        if isinstance(container, LocatedList):
            if isinstance(key, int) and key < len(container.item_where):
                return container.item_where[key]
            return container.where
        return None

    def check_keys(self, data: LocatedDict, kind: str, path: str,
                   extra: tuple[str, ...] = ()) -> None:
        allowed = known_keys(kind) + extra
        for key in data:
            if key not in allowed:
                hint = _did_you_mean(key, allowed) or f"allowed keys: {', '.join(allowed)}"
                self.problem(self.at(data, key, of_key=True), path,
                             f"unknown key {key!r} in {kind}", hint)

    def mapping(self, parent: Any, key: str | int, path: str, what: str
                ) -> LocatedDict | None:
        value = parent[key]
        if value is None:
            return None
        if not isinstance(value, LocatedDict):
            self.problem(self.at(parent, key), path,
                         f"expected a mapping of {what}, found {_kind_of(value)}")
            return None
        return value

    def text(self, data: LocatedDict, key: str, path: str, default: str | None = None
             ) -> str | None:
        value = data.get(key, default)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, bool):
            written = getattr(data, "bool_text", {}).get(key, str(value).lower())
            self.problem(self.at(data, key), f"{path}.{key}",
                         f"expected a text, found the boolean {str(value).lower()}: YAML "
                         f"reads the unquoted {written!r} as one", f"quote it: '{written}'")
            return default
        self.problem(self.at(data, key), f"{path}.{key}",
                     f"expected a text, found {_kind_of(value)}")
        return default

    def ident(self, data: LocatedDict, path: str, what: str) -> str | None:
        if "id" not in data:
            self.problem(self.at(data), path, f"{what} has no 'id'",
                         f"add an id such as 'id: my_{what}'")
            return None
        value = data["id"]
        if isinstance(value, bool):
            written = getattr(data, "bool_text", {}).get("id", str(value).lower())
            self.problem(self.at(data, "id"), f"{path}.id",
                         f"bad {what} id: YAML reads the unquoted {written!r} as the boolean "
                         f"{str(value).lower()}", f"quote it: id: '{written}'")
            return None
        if not isinstance(value, str) or not _ID_RE.match(value):
            self.problem(self.at(data, "id"), f"{path}.id",
                         f"bad {what} id {value!r}",
                         "use letters, digits, '_' and '-', starting with a letter or '_'")
            return None
        return value

    def names(self, data: LocatedDict, key: str, path: str) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        if isinstance(value, bool) or (isinstance(value, list) and any(
                isinstance(v, bool) for v in value)):
            self.problem(self.at(data, key), f"{path}.{key}",
                         "expected names, found a boolean: YAML reads an unquoted on, off, "
                         "yes, no, true or false as one", "quote the name, as in ['on']")
            return ()
        self.problem(self.at(data, key), f"{path}.{key}",
                     f"expected a list of names, found {_kind_of(value)}")
        return ()

    def integer(self, data: LocatedDict, key: str, path: str, default: int, minimum: int,
                maximum: int | None = None) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(self.at(data, key), f"{path}.{key}",
                         f"expected a whole number, found {value!r}")
            return default
        if value < minimum:
            self.problem(self.at(data, key), f"{path}.{key}",
                         f"must be at least {minimum}, found {value}")
            return default
        if maximum is not None and value > maximum:
            self.problem(self.at(data, key), f"{path}.{key}",
                         f"must be at most {maximum}, found {value}",
                         "see the limits in docs/blueprint-format.md")
            return default
        return value

    def probability(self, data: LocatedDict, key: str, path: str) -> float:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(self.at(data, key), f"{path}.{key}",
                         f"expected a probability between 0 and 1, found {value!r}")
            return 0.0
        if not 0.0 <= value <= 1.0:
            hint = "write percentages as fractions, e.g. 0.05 for 5%" if value > 1 else None
            self.problem(self.at(data, key), f"{path}.{key}",
                         f"a probability must be between 0 and 1, found {value!r}", hint)
            return 0.0
        return float(value)

    def boolean(self, data: LocatedDict, key: str, path: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.problem(self.at(data, key), f"{path}.{key}",
                         f"expected true or false, found {value!r}")
            return False
        return value

    def duration(self, data: LocatedDict, key: str, path: str) -> DurationSpec | None:
        if data.get(key) is None:
            return None
        try:
            return parse_duration_spec(data[key])
        except ValueError as exc:
            holder: Any = data
            where = self.at(data, key)
            for step in (key, *getattr(exc, "path", ())):
                in_dict = isinstance(holder, LocatedDict) and isinstance(step, str) \
                    and step in holder
                in_list = isinstance(holder, LocatedList) and isinstance(step, int) \
                    and step < len(holder)
                if in_dict or in_list:
                    where, holder = self.at(holder, step), holder[step]
                else:
                    break
            self.problem(where, f"{path}.{key}", f"bad duration: {exc}")
            return None

    def expression(self, data: LocatedDict, key: str, path: str) -> Expression | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            value = "true" if value else "false"
        if not isinstance(value, str):
            self.problem(self.at(data, key), f"{path}.{key}",
                         f"expected a condition such as "
                         f"'<+releaseInput.environment> == \"production\"', found {value!r}")
            return None
        try:
            return parse_expression(value)
        except ExpressionError as exc:
            where = self.at(data, key)
            if where is not None:
                where = Located(where.line, where.column + exc.position)
            self.problem(where, f"{path}.{key}", f"bad expression: {exc.args[0]}",
                         f"in {value!r} at position {exc.position}")
            return None

    def anchor(self, data: LocatedDict, key: str, path: str) -> NotBefore | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, LocatedDict):
            return self.slot(value, f"{path}.{key}")
        try:
            return WeeklyAnchor.parse(str(value))
        except ValueError as exc:
            message = str(exc)
            self.problem(self.at(data, key), f"{path}.{key}", message,
                         None if "did you mean" in message
                         else "write a weekday and a time, e.g. 'Thu 12:00'")
            return None

    def slot(self, body: LocatedDict, path: str) -> Slot | None:
        for key in body:
            if key not in ("at", "week"):
                self.problem(self.at(body, key, of_key=True), path,
                             f"unknown key {key!r} in a not-before slot",
                             _did_you_mean(key, ("at", "week")) or "use 'at' and 'week'")
        if body.get("at") is None:
            self.problem(self.at(body), path, "a not-before slot needs 'at'",
                         "e.g. {at: Fri 09:00, week: 1}")
            return None
        week = self.integer(body, "week", path, 1, 1, MAX_SLOT_WEEK)
        try:
            return Slot(WeeklyAnchor.parse(str(body["at"])), week)
        except ValueError as exc:
            message = str(exc)
            self.problem(self.at(body, "at"), f"{path}.at", message,
                         None if "did you mean" in message
                         else "write a weekday and a time, e.g. 'Fri 09:00'")
            return None

    def free_mapping(self, data: LocatedDict, key: str, path: str) -> Mapping[str, Any]:
        value = data.get(key)
        if value is None:
            return {}
        if isinstance(value, LocatedDict):
            return _plain(value)
        if isinstance(value, list) and key == "outputs":
            return {"items": _plain(value)}
        self.problem(self.at(data, key), f"{path}.{key}",
                     f"expected a mapping, found {_kind_of(value)}")
        return {}

    def at_declaration(self, problem: Problem) -> Problem:
        """A problem with an input's value, placed at the line declaring the input."""
        name = problem.path.removeprefix("inputs.")
        where = self.input_where.get(name, (None, None))[0]
        if problem.line is not None or where is None:
            return problem
        return replace(problem, line=where.line, column=where.column)

    # -- the document ------------------------------------------------------------------
    def load(self, text: str, inputs: Mapping[str, Any] | None) -> Blueprint | None:
        data, problems = parse_yaml(text, self.name)
        self.data = data
        self.problems.extend(problems)
        if problems and data is None:
            self.unparsable = True
            return None
        if data is None:
            self.problem(Located(1, 1), "", "the document is empty",
                         "start with 'process:', 'phase:' or a list of '- phase:' items")
            return None
        blueprint = self.document(data)
        if blueprint is None:
            return None
        self.given_inputs = dict(inputs or {})
        found: list[Problem] = []
        values = _bind_values(blueprint.inputs, inputs or {}, found, self.name)
        self.problems.extend(self.at_declaration(p) for p in found)
        blueprint = replace(blueprint, input_values=values)
        self.cross_check(blueprint)
        if self.problems:
            return None
        return replace(blueprint, phases=tuple(
            _bind_subprocesses(ph, values, self.name) for ph in blueprint.phases))

    def document(self, data: Any) -> Blueprint | None:
        if isinstance(data, LocatedList):
            listed = self.phase_list(data, "")
            first = listed[0] if listed else None
            return self.blueprint(LocatedDict(), first.id if first else "process",
                                  first.name if first else "process", None, listed, "list",
                                  data)
        if not isinstance(data, LocatedDict):
            self.problem(self.at(data) or Located(1, 1), "",
                         f"expected a 'process:' or 'phase:' document, found "
                         f"{_kind_of(data)}",
                         "start with 'process:', 'phase:' or a list of '- phase:' items")
            return None
        if "process" in data:
            self.check_keys(data, "process", "", extra=("process",))
            body = self.mapping(data, "process", "process", "process keys")
            if body is None:
                return None
            self.check_keys(body, "process", "process")
            for key in SIDECAR_KEYS:
                if key in data and key in body:
                    self.problem(self.at(data, key, of_key=True), key,
                                 f"{key!r} is given both inside and beside 'process:'",
                                 "keep one")
            merged = _merge(body, data, SIDECAR_KEYS)
            pid = self.ident(body, "process", "process") or "process"
            name = self.text(body, "name", "process") or pid
            phases_data = body.get("phases")
            if phases_data is None:
                self.problem(self.at(body), "process", "the process has no 'phases'",
                             "add 'phases:' with a list of '- phase:' items")
                phases: list[Phase] = []
            elif not isinstance(phases_data, LocatedList):
                self.problem(self.at(body, "phases"), "phases",
                             f"expected a list of '- phase:' items, found "
                             f"{_kind_of(phases_data)}")
                phases = []
            else:
                phases = self.phase_list(phases_data, "")
            return self.blueprint(merged, pid, name, self.text(body, "description", "process"),
                                  phases, "process", body)
        if "phase" in data:
            allowed = ("phase", *SIDECAR_KEYS)
            for key in data:
                if key not in allowed:
                    self.problem(self.at(data, key, of_key=True), "",
                                 f"unknown top-level key {key!r}",
                                 _did_you_mean(key, allowed) or
                                 f"allowed: {', '.join(allowed)}")
            body = self.mapping(data, "phase", "phases[0]", "phase keys")
            phase = self.phase(body, "phases[0]") if body is not None else None
            phases = [phase] if phase else []
            return self.blueprint(data, phase.id if phase else "phase",
                                  phase.name if phase else "phase",
                                  phase.description if phase else None, phases, "phase", data)
        hint = _did_you_mean(next(iter(data), ""), ("process", "phase", "phases"))
        if "phases" in data or "activities" in data:
            hint = "wrap the document in 'process:' (or 'phase:' for a single phase)"
        self.problem(self.at(data), "",
                     "expected a 'process:' or 'phase:' document, or a list of '- phase:' items",
                     hint)
        return None

    def blueprint(self, data: LocatedDict, pid: str, name: str, description: str | None,
                  phases: list[Phase], shape: str, body: LocatedDict | LocatedList
                  ) -> Blueprint:
        calendars = self.calendars(data)
        if not phases and not self.problems:
            self.problem(self.at(body) if isinstance(body, LocatedDict | LocatedList) else None,
                         "phases", "the blueprint has no phases",
                         "add at least one '- phase:' with activities")
        return Blueprint(
            id=pid,
            name=name,
            description=description,
            phases=tuple(phases),
            inputs=self.inputs(data),
            variables=self.free_mapping(data, "variables", "variables") if isinstance(
                data, LocatedDict) else {},
            calendars=calendars,
            teams=self.teams(data),
            environments=self.environments(data),
            shape=shape,
            source=self.name,
        )

    # -- sections ----------------------------------------------------------------------
    def inputs(self, data: LocatedDict) -> tuple[InputSpec, ...]:
        raw = data.get("inputs")
        if raw is None:
            return ()
        entries: list[tuple[str, Any, Located | None, str]] = []
        if isinstance(raw, LocatedDict):
            entries = [(k, v, self.at(raw, k), f"inputs.{k}") for k, v in raw.items()]
        elif isinstance(raw, LocatedList):
            for i, item in enumerate(raw):
                if not isinstance(item, LocatedDict) or not isinstance(item.get("name"), str):
                    self.problem(self.at(raw, i), f"inputs[{i}]",
                                 "expected a mapping with a 'name'")
                    continue
                entries.append((item["name"], item, self.at(raw, i), f"inputs[{i}]"))
        else:
            self.problem(self.at(data, "inputs"), "inputs",
                         f"expected a mapping of inputs, found {_kind_of(raw)}")
            return ()
        specs = []
        for name, value, where, path in entries:
            if not _ID_RE.match(name):
                self.problem(where, path, f"bad input name {name!r}",
                             "use letters, digits, '_' and '-'")
                continue
            self.bad_inputs.add(name)  # until it is found valid
            self.input_where[name] = (where, self.at(value, "default") if isinstance(
                value, LocatedDict) and "default" in value else where)
            if isinstance(value, LocatedDict):
                self.check_keys(value, "input", path)
                typ = value.get("type")
                default = _plain(value.get("default"))
                if typ is None:
                    typ = _infer_type(default) or "string"
                if typ not in INPUT_TYPES:
                    self.problem(self.at(value, "type"), f"{path}.type",
                                 f"unknown input type {typ!r}",
                                 _did_you_mean(str(typ), INPUT_TYPES)
                                 or f"use one of {', '.join(INPUT_TYPES)}")
                    continue
                if default is not None and not _is_type(default, typ):
                    self.problem(self.at(value, "default"), f"{path}.default",
                                 f"default {default!r} is not a {typ}")
                    continue
                description = self.text(value, "description", path)
            else:
                default, typ, description = _plain(value), _infer_type(value), None
                if typ is None:
                    self.problem(where, path, f"expected an input definition, found {value!r}",
                                 "write '{type: string, default: ...}'")
                    continue
            specs.append(InputSpec(name, typ, default, description))
            self.bad_inputs.discard(name)
        return tuple(specs)

    def calendars(self, data: LocatedDict) -> dict[str, Calendar]:
        raw = self.mapping(data, "calendars", "calendars", "calendars") \
            if "calendars" in data else None
        out: dict[str, Calendar] = {}
        for name, body in (raw or {}).items():
            path = f"calendars.{name}"
            if not isinstance(body, LocatedDict):
                self.problem(self.at(raw, name), path,
                             f"expected a calendar mapping, found {_kind_of(body)}",
                             "write '{timezone: Europe/Berlin, hours: Mon-Fri 09:00-17:00}'")
                continue
            self.check_keys(body, "calendar", path)
            holidays = self.dates(body, "holidays", path)
            freezes = self.freezes(body, path)
            kwargs: dict[str, Any] = {"holidays": holidays, "freezes": freezes}
            ok = True
            for key in ("timezone", "hours"):
                value = self.text(body, key, path)
                if value is not None:
                    kwargs[key] = value
            for key in ("timezone", "hours"):
                if key not in kwargs:
                    continue
                try:
                    Calendar(name, **{key: kwargs[key]})
                except ValueError as exc:
                    ok = False
                    self.problem(self.at(body, key), f"{path}.{key}", str(exc))
            if not ok:
                continue
            try:
                out[name] = Calendar(name, **kwargs)
            except ValueError as exc:
                self.problem(self.at(body), path, str(exc))
        return out

    def dates(self, body: LocatedDict, key: str, path: str) -> tuple[dt.date, ...]:
        raw = body.get(key)
        if raw is None:
            return ()
        if not isinstance(raw, LocatedList):
            self.problem(self.at(body, key), f"{path}.{key}", "expected a list of dates")
            return ()
        out = []
        for i, value in enumerate(raw):
            day = _as_date(value)
            if day is None:
                self.problem(self.at(raw, i), f"{path}.{key}[{i}]",
                             f"expected a date such as 2026-12-25, found {value!r}"
                             f"{_date_reason(value)}")
            elif (beyond := _beyond_horizon(day)) is not None:
                self.problem(self.at(raw, i), f"{path}.{key}[{i}]", beyond, _HORIZON_HINT)
            else:
                out.append(day)
        return tuple(out)

    def freezes(self, body: LocatedDict, path: str) -> tuple[tuple[dt.date, dt.date], ...]:
        raw = body.get("freezes")
        if raw is None:
            return ()
        if not isinstance(raw, LocatedList):
            self.problem(self.at(body, "freezes"), f"{path}.freezes",
                         "expected a list of [first day, last day] pairs")
            return ()
        out = []
        for i, pair in enumerate(raw):
            here = f"{path}.freezes[{i}]"
            if isinstance(pair, LocatedDict):
                pair = [pair.get("start"), pair.get("end")]
            days = [_as_date(v) for v in pair] if isinstance(pair, list) else []
            if len(days) != 2 or days[0] is None or days[1] is None:
                reasons = "".join(_date_reason(v) for v in pair) if isinstance(
                    pair, list) else ""
                self.problem(self.at(raw, i), here,
                             f"expected [first day, last day], found {_plain(pair)!r}"
                             f"{reasons}", "e.g. [2026-12-20, 2027-01-04]")
                continue
            if days[1] < days[0]:
                self.problem(self.at(raw, i), here,
                             f"freeze ends ({days[1]}) before it starts ({days[0]})")
                continue
            beyond = _beyond_horizon(days[0]) or _beyond_horizon(days[1])
            if beyond is not None:
                self.problem(self.at(raw, i), here, beyond, _HORIZON_HINT)
                continue
            out.append((days[0], days[1]))
        return tuple(out)

    def teams(self, data: LocatedDict) -> dict[str, Team]:
        raw = self.mapping(data, "teams", "teams", "teams") if "teams" in data else None
        out: dict[str, Team] = {}
        for name, body in (raw or {}).items():
            path = f"teams.{name}"
            if isinstance(body, int) and not isinstance(body, bool):
                body = LocatedDict(capacity=body)
                body.where = self.at(raw, name) or Located(0, 0)
                body.key_where, body.value_where = {}, {"capacity": body.where}
            if not isinstance(body, LocatedDict):
                self.problem(self.at(raw, name), path,
                             f"expected a team mapping, found {_kind_of(body)}",
                             "write '{capacity: 2, calendar: business}'")
                continue
            self.check_keys(body, "team", path)
            out[name] = Team(name, self.integer(body, "capacity", path, 1, 1),
                             self.text(body, "calendar", path),
                             self.text(body, "description", path))
        return out

    def environments(self, data: LocatedDict) -> dict[str, Environment]:
        raw = self.mapping(data, "environments", "environments", "environments") \
            if "environments" in data else None
        out: dict[str, Environment] = {}
        for name, body in (raw or {}).items():
            path = f"environments.{name}"
            if body is None:
                body = LocatedDict()
                body.where = self.at(raw, name) or Located(0, 0)
                body.key_where, body.value_where = {}, {}
            if not isinstance(body, LocatedDict):
                self.problem(self.at(raw, name), path,
                             f"expected an environment mapping, found {_kind_of(body)}",
                             "write '{capacity: 1, production: true}'")
                continue
            self.check_keys(body, "environment", path)
            out[name] = Environment(name, self.integer(body, "capacity", path, 1, 1),
                                    self.boolean(body, "production", path),
                                    self.text(body, "calendar", path),
                                    self.text(body, "description", path))
        return out

    # -- phases and activities -----------------------------------------------------------
    def phase_list(self, items: LocatedList, prefix: str) -> list[Phase]:
        phases = []
        for i, item in enumerate(items):
            path = f"{prefix}phases[{i}]"
            if not isinstance(item, LocatedDict) or "phase" not in item:
                self.problem(self.at(items, i), path, "expected a '- phase:' item",
                             "write each phase as '- phase: {id: ..., activities: [...]}'")
                continue
            for key in item:
                if key != "phase":
                    self.problem(self.at(item, key, of_key=True), path,
                                 f"unknown key {key!r} beside 'phase:'",
                                 "indent it under 'phase:'")
            body = self.mapping(item, "phase", path, "phase keys")
            if body is None:
                continue
            phase = self.phase(body, path)
            if phase is not None:
                phases.append(phase)
        return phases

    def phase(self, body: LocatedDict, path: str) -> Phase | None:
        self.check_keys(body, "phase", path)
        pid = self.ident(body, path, "phase")
        acts_raw = body.get("activities")
        activities: list[Activity] = []
        if acts_raw is None or (isinstance(acts_raw, list) and not acts_raw):
            self.problem(self.at(body, "activities") if acts_raw is not None else self.at(body),
                         path, f"phase {pid!r} has no activities",
                         "add at least one '- activity:' (a 'wait' activity for a pure "
                         "milestone)")
        elif not isinstance(acts_raw, LocatedList):
            self.problem(self.at(body, "activities"), f"{path}.activities",
                         f"expected a list of '- activity:' items, found {_kind_of(acts_raw)}")
        else:
            for j in range(len(acts_raw)):
                act = self.activity(acts_raw, j, f"{path}.activities[{j}]")
                if act is not None:
                    activities.append(act)
        if pid is None:
            return None
        return Phase(
            id=pid,
            name=self.text(body, "name", path) or pid,
            activities=tuple(activities),
            description=self.text(body, "description", path),
            owners=self.names(body, "owners", path),
            depends_on=self.names(body, "depends-on", path),
            condition=self.expression(body, "if", path),
            not_before=self.anchor(body, "not-before", path),
            calendar=self.text(body, "calendar", path),
            uses=self.names(body, "uses", path),
            rollback=self.boolean(body, "rollback", path),
            resume=self.boolean(body, "resume", path),
            variables=self.free_mapping(body, "variables", path),
            outputs=self.free_mapping(body, "outputs", path),
        )

    def activity(self, items: LocatedList, j: int, path: str) -> Activity | None:
        item = items[j]
        if not isinstance(item, LocatedDict):
            self.problem(self.at(items, j), path, "expected a '- activity:' item",
                         "write '- activity: {id: ..., type: manual}'")
            return None
        store: str | None = None
        if "activity" in item and isinstance(item["activity"], LocatedDict):
            for key in item:
                if key != "activity":
                    self.problem(self.at(item, key, of_key=True), path,
                                 f"unknown key {key!r} beside a nested 'activity:'",
                                 "indent it under 'activity:'")
            body = item["activity"]
            default_type = None
        elif "activity" in item and isinstance(item["activity"], str):
            store = item["activity"]
            body = item
            default_type = "automated"
        elif "activity" in item:
            self.problem(self.at(item, "activity"), path,
                         f"expected 'activity:' to hold a mapping or a store name, found "
                         f"{_kind_of(item['activity'])}")
            return None
        else:
            self.problem(self.at(items, j), path, "expected a '- activity:' item",
                         "write '- activity: {id: ..., type: manual}'")
            return None
        self.check_keys(body, "activity", path, extra=("activity",) if store else ())
        aid = self.ident(body, path, "activity")
        typ = body.get("type", default_type)
        if typ is None:
            self.problem(self.at(body), path, f"activity {aid!r} has no 'type'",
                         f"add 'type:' with one of {', '.join(ACTIVITY_TYPES)}")
            typ = "automated"
        elif typ not in ACTIVITY_TYPES:
            hint = _did_you_mean(str(typ), ACTIVITY_TYPES)
            if typ == "approval":
                hint = "an approval is 'type: manual' with an 'approval:' mapping"
            self.problem(self.at(body, "type"), f"{path}.type",
                         f"unknown activity type {typ!r}",
                         hint or f"use one of {', '.join(ACTIVITY_TYPES)}")
            typ = "automated"
        approval = self.approval(body, path) if "approval" in body else None
        failure = self.failure(body, path) if "failure" in body else None
        if approval is not None and typ != "manual":
            self.problem(self.at(body, "approval", of_key=True), f"{path}.approval",
                         f"an approval gate must be a manual activity, this one is {typ!r}",
                         "set 'type: manual'")
        if approval is not None and body.get("duration") is not None:
            self.problem(self.at(body, "duration", of_key=True), f"{path}.duration",
                         "an approval gate takes its 'approval.wait', not a 'duration'",
                         "move the time into 'approval: {wait: ...}'")
        if failure is not None and typ != "automated":
            self.problem(self.at(body, "failure", of_key=True), f"{path}.failure",
                         f"'failure' applies to automated activities, this one is {typ!r}")
        process = self.text(body, "process", path)
        if typ == "subprocess" and process is None:
            self.problem(self.at(body), path, "a subprocess activity needs 'process:'",
                         "name the process file, e.g. 'process: hotfix.yaml'")
        if process is not None and typ != "subprocess":
            self.problem(self.at(body, "process", of_key=True), f"{path}.process",
                         f"'process' applies to subprocess activities, this one is {typ!r}",
                         "set 'type: subprocess'")
        inputs_raw = body.get("inputs")
        if inputs_raw is not None and not isinstance(inputs_raw, LocatedDict):
            self.problem(self.at(body, "inputs"), f"{path}.inputs",
                         f"expected a mapping of inputs, found {_kind_of(inputs_raw)}")
        subprocess = None
        if typ == "subprocess" and process is not None:
            subprocess = self.subprocess(body, process, path)
        for_each = body.get("for-each")
        if for_each is not None and not (isinstance(for_each, str) and is_reference_only(
                for_each)) and not isinstance(for_each, list):
            self.problem(self.at(body, "for-each"), f"{path}.for-each",
                         f"expected a reference such as <+releaseInput.services> or a list, "
                         f"found {for_each!r}")
            for_each = None
        if isinstance(for_each, LocatedList):
            for k, message, hint in _bad_items(list(for_each)):
                self.problem(self.at(for_each, k), f"{path}.for-each[{k}]", message, hint)
        if aid is None:
            return None
        data = body.get("data")
        if data is not None and not isinstance(data, LocatedDict):
            self.problem(self.at(body, "data"), f"{path}.data",
                         f"expected a mapping, found {_kind_of(data)}")
            data = None
        return Activity(
            id=aid,
            name=self.text(body, "name", path) or aid,
            type=typ,
            description=self.text(body, "description", path),
            depends_on=self.names(body, "depends-on", path),
            duration=self.duration(body, "duration", path),
            owner=self.text(body, "owner", path),
            calendar=self.text(body, "calendar", path),
            condition=self.expression(body, "if", path),
            approval=approval,
            failure=failure,
            not_before=self.anchor(body, "not-before", path),
            uses=self.names(body, "uses", path),
            for_each=_plain(for_each),
            store=store,
            data=_plain(data) if data is not None else {},
            process=process,
            subprocess=subprocess,
            inputs=_plain(inputs_raw) if isinstance(inputs_raw, LocatedDict) else {},
            outputs=self.free_mapping(body, "outputs", path),
        )

    def approval(self, body: LocatedDict, path: str) -> Approval | None:
        raw = self.mapping(body, "approval", f"{path}.approval", "approval keys")
        if raw is None:
            return None
        here = f"{path}.approval"
        self.check_keys(raw, "approval", here)
        if raw.get("wait") is None:
            self.problem(self.at(raw), here, "an approval needs a 'wait'",
                         "add e.g. 'wait: {lognormal: {median: 2h, p90: 8h}}'")
            return None
        wait = self.duration(raw, "wait", here)
        approvers = self.integer(raw, "approvers", here, 1, 1, MAX_APPROVERS)
        required = self.integer(raw, "required", here, 1, 1, MAX_APPROVERS)
        if required > approvers:
            self.problem(self.at(raw, "required"), f"{here}.required",
                         f"{required} approvals required but only {approvers} approvers",
                         "lower 'required' or raise 'approvers'")
        reject = None
        if raw.get("reject") is not None:
            rraw = self.mapping(raw, "reject", f"{here}.reject", "reject keys")
            if rraw is not None:
                self.check_keys(rraw, "reject", f"{here}.reject")
                goto = self.text(rraw, "goto", f"{here}.reject")
                if goto is None:
                    self.problem(self.at(rraw), f"{here}.reject",
                                 "a rejection needs 'goto'",
                                 "name the activity or phase the release goes back to")
                prob = self.probability(rraw, "probability", f"{here}.reject")
                if goto is not None:
                    reject = Rejection(prob, goto)
        if wait is None:
            return None
        return Approval(wait, approvers, min(required, approvers), reject)

    def failure(self, body: LocatedDict, path: str) -> Failure | None:
        raw = self.mapping(body, "failure", f"{path}.failure", "failure keys")
        if raw is None:
            return None
        here = f"{path}.failure"
        self.check_keys(raw, "failure", here)
        return Failure(self.probability(raw, "probability", here),
                       self.integer(raw, "retries", here, 0, 0, MAX_RETRIES),
                       self.text(raw, "on-failure", here) or "abort")

    def subprocess(self, body: LocatedDict, process: str, path: str) -> Blueprint | None:
        file = (self.base / process).resolve()
        where = self.at(body, "process")
        real = os.path.realpath(file)
        if not self.allow_outside and os.path.commonpath([self.root, real]) != self.root:
            self.problem(where, f"{path}.process",
                         f"subprocess file {process!r} lies outside the blueprint's folder "
                         f"{self.root}",
                         "keep subprocess files in the blueprint's folder or below it, or "
                         "pass allow_outside=True (--allow-outside) for a blueprint you trust")
            return None
        if not file.exists():
            self.problem(where, f"{path}.process", f"subprocess file {process!r} not found",
                         f"looked for {file}")
            return None
        if real in self.stack:
            chain = " -> ".join(Path(p).name for p in (*self.stack, real))
            self.problem(where, f"{path}.process", f"subprocess cycle: {chain}",
                         "a process cannot run itself")
            return None
        if self.depth + 1 > MAX_SUBPROCESS_DEPTH:
            self.problem(where, f"{path}.process",
                         f"subprocesses nest more than {MAX_SUBPROCESS_DEPTH} levels deep",
                         "flatten the innermost process into its parent")
            return None
        child = _Loader(str(file) if not self.name.startswith("<") else process,
                        file.parent, self.depth + 1, (*self.stack, real))
        child.root, child.allow_outside = self.root, self.allow_outside
        data, problem = _read_bytes(file)
        text = None
        if problem is None and data is not None:
            text, problem = decode(data, str(file))
        if problem is not None or text is None:
            message = problem.message if problem else "cannot read the file"
            if problem is not None and problem.line is not None:
                message += f" (at line {problem.line}, column {problem.column} of it)"
            self.problem(where, f"{path}.process", f"subprocess file {process!r}: {message}",
                         problem.hint if problem else None)
            return None
        raw_inputs = body.get("inputs")
        literal = {k: v for k, v in _plain(raw_inputs).items()
                   if not (isinstance(v, str) and is_reference_only(v))} \
            if isinstance(raw_inputs, LocatedDict) else {}
        result = child.load(text, literal)
        # a file that is no blueprint at all is named at the parent's line (a blueprint
        # with a YAML syntax error keeps its own located problems)
        if result is None and not child.unparsable and not _is_blueprint_document(
                child.data):
            found = "nothing" if child.data is None else _kind_of(child.data)
            self.problem(where, f"{path}.process",
                         f"subprocess file {process!r} is not a blueprint: it holds "
                         f"{found}, not a 'process:' or 'phase:' document",
                         "name a blueprint file")
            return None
        self.problems.extend(child.problems)
        return result

    # -- cross references ----------------------------------------------------------------
    def input_items(self, name: str, value: Any) -> None:
        """Problems with the items of a list input that a for-each runs over."""
        if not isinstance(value, list):
            return
        given = name in self.given_inputs
        where = None if given else self.input_where.get(name, (None, None))[1]
        for k, message, hint in _bad_items(value):
            if given:
                hint = f"{hint}; the value was given as inputs={{{name!r}: ...}} " \
                       f"(--input {name}=...)"
            self.problem(where, f"inputs.{name}[{k}]", message, hint)

    def cross_check(self, bp: Blueprint) -> None:
        where = _WhereIndex(self.data)
        phase_ids = [ph.id for ph in bp.phases]
        seen: dict[str, int] = {}
        for i, ph in enumerate(bp.phases):
            if ph.id in seen:
                self.problem(where.phase(i), f"phases[{i}].id",
                             f"duplicate phase id {ph.id!r}",
                             f"phases[{seen[ph.id]}] has the same id; rename one")
            seen.setdefault(ph.id, i)
        rollback = {ph.id for ph in bp.phases if ph.rollback}
        teams, envs, cals = set(bp.teams), set(bp.environments), set(bp.calendars)
        inputs: dict[str, InputSpec | None] = {spec.name: spec for spec in bp.inputs}
        inputs.update(dict.fromkeys(self.bad_inputs - set(inputs)))
        variables = set(bp.variables)
        items_checked: set[str] = set()

        def ref_check(name: str | None, known: set[str], what: str, path: str,
                      loc: Located | None, declared: bool = True) -> None:
            if name is not None and declared and name not in known:
                hint = _did_you_mean(name, known) or (
                    f"declare it under '{what}s:'" if not known
                    else f"known {what}s: {', '.join(sorted(known))}")
                self.problem(loc, path, f"unknown {what} {name!r}", hint)

        def expr_check(expr: Expression | None, path: str, loc: Located | None,
                       phase: Phase | None) -> None:
            if expr is None:
                return
            local = set(phase.variables) if phase is not None else set()
            for ref in expr.references():
                message = _reference_problem(ref, inputs, variables | local)
                if message:
                    self.problem(loc, path, message[0], message[1])

        for team_def in bp.teams.values():
            ref_check(team_def.calendar, cals, "calendar", f"teams.{team_def.id}.calendar",
                      where.section("teams", team_def.id, "calendar"))
        for env_def in bp.environments.values():
            ref_check(env_def.calendar, cals, "calendar",
                      f"environments.{env_def.id}.calendar",
                      where.section("environments", env_def.id, "calendar"))

        graph = nx.DiGraph()
        # execution order of activities: a phase's dependency runs all its activities first
        order = nx.DiGraph()
        gotos: list[tuple[Located | None, str, str, tuple[str, str] | None,
                          tuple[str, str]]] = []
        for i, ph in enumerate(bp.phases):
            pp = f"phases[{i}]"
            for act in ph.activities:
                order.add_edge(("start", ph.id), ("act", ph.id, act.id))
                order.add_edge(("act", ph.id, act.id), ("end", ph.id))
            for dep in ph.depends_on:
                if dep != ph.id:
                    order.add_edge(("end", dep), ("start", ph.id))
            for dep in ph.depends_on:
                loc = where.phase(i, "depends-on")
                if dep == ph.id:
                    self.problem(loc, f"{pp}.depends-on", f"phase {ph.id!r} depends on itself",
                                 "remove it from its own depends-on")
                elif dep not in seen:
                    self.problem(loc, f"{pp}.depends-on", f"unknown phase {dep!r}",
                                 _did_you_mean(dep, phase_ids)
                                 or f"known phases: {', '.join(phase_ids)}")
                elif dep in rollback and not ph.rollback:
                    self.problem(loc, f"{pp}.depends-on",
                                 f"phase {ph.id!r} depends on rollback phase {dep!r}, which "
                                 "runs only when a failure or rejection sends a release there",
                                 "remove the dependency")
                else:
                    graph.add_edge(("phase", dep), ("phase", ph.id))
            if ph.resume and not ph.rollback:
                self.problem(where.phase(i, "resume"), f"{pp}.resume",
                             f"'resume' applies to rollback phases, {ph.id!r} is not one",
                             "add 'rollback: true' or remove 'resume'")
            if ph.rollback and ph.depends_on:
                self.problem(where.phase(i, "depends-on"), f"{pp}.depends-on",
                             f"rollback phase {ph.id!r} cannot have depends-on: it starts "
                             "when a failure or rejection sends a release there",
                             "remove 'depends-on' or 'rollback'")
            for owner in ph.owners:
                ref_check(owner, teams, "team", f"{pp}.owners", where.phase(i, "owners"),
                          declared=bool(teams))
            ref_check(ph.calendar, cals, "calendar", f"{pp}.calendar",
                      where.phase(i, "calendar"))
            for env in ph.uses:
                ref_check(env, envs, "environment", f"{pp}.uses", where.phase(i, "uses"))
            expr_check(ph.condition, f"{pp}.if", where.phase(i, "if"), ph)
            act_ids: dict[str, int] = {}
            for j, act in enumerate(ph.activities):
                ap = f"{pp}.activities[{j}]"
                if act.id in act_ids:
                    self.problem(where.activity(i, j, "id"), f"{ap}.id",
                                 f"duplicate activity id {act.id!r} in phase {ph.id!r}",
                                 f"activities[{act_ids[act.id]}] has the same id; rename one")
                act_ids.setdefault(act.id, j)
            for j, act in enumerate(ph.activities):
                ap = f"{pp}.activities[{j}]"
                node = ("act", ph.id, act.id)
                graph.add_edge(node, ("phase", ph.id))
                for dep in act.depends_on:
                    loc = where.activity(i, j, "depends-on")
                    target = self.activity_ref(dep, ph, bp)
                    if target == (ph.id, act.id):
                        self.problem(loc, f"{ap}.depends-on",
                                     f"activity {act.id!r} depends on itself",
                                     "remove it from its own depends-on")
                    elif target is None:
                        choices = list(act_ids) + [f"{p.id}.{a.id}" for p in bp.phases
                                                   for a in p.activities if p.id != ph.id]
                        self.problem(loc, f"{ap}.depends-on", f"unknown activity {dep!r}",
                                     _did_you_mean(dep, choices) or
                                     "name an activity of this phase, or "
                                     "'phase_id.activity_id' for another phase")
                    else:
                        graph.add_edge(("act", *target), node)
                        order.add_edge(("act", *target), node)
                ref_check(act.owner, teams, "team", f"{ap}.owner", where.activity(i, j, "owner"),
                          declared=bool(teams))
                ref_check(act.calendar, cals, "calendar", f"{ap}.calendar",
                          where.activity(i, j, "calendar"))
                for env in act.uses:
                    ref_check(env, envs, "environment", f"{ap}.uses",
                              where.activity(i, j, "uses"))
                expr_check(act.condition, f"{ap}.if", where.activity(i, j, "if"), ph)
                if isinstance(act.for_each, str):
                    ref = is_reference_only(act.for_each) or ""
                    message = _reference_problem(ref, inputs, variables | set(ph.variables))
                    if message:
                        self.problem(where.activity(i, j, "for-each"), f"{ap}.for-each",
                                     message[0], message[1])
                    elif (spec := inputs.get(ref.split(".")[-1])) is not None and \
                            spec.type != "list":
                        self.problem(where.activity(i, j, "for-each"), f"{ap}.for-each",
                                     f"for-each needs a list input, {ref!r} is a "
                                     f"{spec.type}",
                                     "declare the input with 'type: list'")
                    elif spec is not None and spec.name not in items_checked:
                        items_checked.add(spec.name)
                        self.input_items(spec.name, bp.input_values.get(spec.name))
                if act.approval and act.approval.reject:
                    goto = act.approval.reject.goto
                    goto_loc = where.activity_nested(i, j, "approval", "reject", "goto")
                    goto_act = self.activity_ref(goto, ph, bp)
                    if goto not in seen and goto_act is None:
                        self.problem(goto_loc, f"{ap}.approval.reject.goto",
                                     f"unknown goto target {goto!r}",
                                     _did_you_mean(goto, [*phase_ids, *act_ids])
                                     or "name a phase, or an activity of this phase")
                    elif goto in seen and goto_act is not None:
                        self.problem(goto_loc, f"{ap}.approval.reject.goto",
                                     f"ambiguous goto target {goto!r}: it names both phase "
                                     f"{goto!r} and activity {goto_act[1]!r} of phase "
                                     f"{goto_act[0]!r}",
                                     f"write '{goto_act[0]}.{goto_act[1]}' for the activity, "
                                     f"or rename the phase or the activity to mean the phase")
                    else:
                        gotos.append((goto_loc, f"{ap}.approval.reject.goto", goto, goto_act,
                                      (ph.id, act.id)))
                if act.failure and act.failure.on_failure != "abort" and \
                        act.failure.on_failure not in seen:
                    self.problem(where.activity_nested(i, j, "failure", "on-failure"),
                                 f"{ap}.failure.on-failure",
                                 f"unknown on-failure phase {act.failure.on_failure!r}",
                                 _did_you_mean(act.failure.on_failure, [*phase_ids, "abort"])
                                 or "name a rollback phase, or 'abort'")
                if act.type == "subprocess" and act.subprocess is not None:
                    for key, value in act.inputs.items():
                        declared = {s.name for s in act.subprocess.inputs}
                        if key not in declared:
                            self.problem(where.activity(i, j, "inputs"), f"{ap}.inputs.{key}",
                                         f"subprocess {act.process!r} has no input {key!r}",
                                         _did_you_mean(key, declared))
                        sub_ref = is_reference_only(value) if isinstance(value, str) else None
                        if sub_ref:
                            message = _reference_problem(sub_ref, inputs, variables)
                            if message:
                                self.problem(where.activity(i, j, "inputs"),
                                             f"{ap}.inputs.{key}", message[0], message[1])
        self.rework_check(bp, order, gotos)
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            return
        chain = [_node_name(u) for u, _ in cycle] + [_node_name(cycle[0][0])]
        self.problem(where.first_phase(cycle), "", "dependency cycle: " + " -> ".join(chain),
                     "remove one of these depends-on entries")

    def rework_check(self, bp: Blueprint, order: nx.DiGraph,
                     gotos: list[tuple[Located | None, str, str, tuple[str, str] | None,
                                       tuple[str, str]]]) -> None:
        """A rework target must be upstream of (or equal to) its gate.

        An activity target is the gate itself or an activity the gate waits for (through
        activity or phase dependencies); a phase target is the gate's own phase, a phase
        the gate waits for, or a rollback phase.
        """
        rollback = {ph.id for ph in bp.phases if ph.rollback}
        for loc, path, goto, goto_act, (gate_phase, gate_id) in gotos:
            gate = ("act", gate_phase, gate_id)
            if goto_act is not None:
                source: tuple[str, ...] = ("act", *goto_act)
                if goto_act == (gate_phase, gate_id):
                    continue
                what = f"activity {goto_act[0]}.{goto_act[1]}"
            else:
                if goto in rollback or goto == gate_phase:
                    continue
                source = ("start", goto)
                what = f"phase {goto!r}"
            if source in order and gate in order and nx.has_path(order, source, gate):
                continue
            self.problem(loc, path,
                         f"rework target {goto!r} is not upstream of its gate "
                         f"{gate_phase}.{gate_id}: {what} does not run before the approval, "
                         "so every rejection would run it out of order",
                         "name the gate itself, an activity or phase the gate waits for "
                         "(directly or through depends-on), its own phase, or a rollback "
                         "phase")

    @staticmethod
    def activity_ref(ref: str, phase: Phase, bp: Blueprint) -> tuple[str, str] | None:
        """Resolve an activity reference to ``(phase_id, activity_id)``."""
        if any(a.id == ref for a in phase.activities):
            return phase.id, ref
        if "." in ref:
            pid, aid = ref.split(".", 1)
            for ph in bp.phases:
                if ph.id == pid and any(a.id == aid for a in ph.activities):
                    return pid, aid
        return None


class _WhereIndex:
    """Finds the YAML location of a phase or activity key after the objects are built,
    in the located document the loader parsed; the frozen model holds no positions."""

    def __init__(self, data: Any) -> None:
        self._data = data

    def _root(self) -> Any:
        data = self._data
        if isinstance(data, LocatedDict) and isinstance(data.get("process"), LocatedDict):
            return data["process"], data
        return data, data

    def _phases(self) -> LocatedList | None:
        body, _ = self._root()
        if isinstance(body, LocatedList):
            return body
        if isinstance(body, LocatedDict):
            if isinstance(body.get("phases"), LocatedList):
                return body["phases"]
            if "phase" in body:
                fake = LocatedList([body])
                fake.where = body.where
                fake.item_where = [body.where]
                return fake
        return None

    def phase_body(self, i: int) -> LocatedDict | None:
        items = self._phases()
        if items is None or i >= len(items) or not isinstance(items[i], LocatedDict):
            return None
        body = items[i].get("phase")
        return body if isinstance(body, LocatedDict) else None

    def phase(self, i: int, key: str | None = None) -> Located | None:
        body = self.phase_body(i)
        if body is None:
            return None
        return _Loader.at(body, key)

    def _activity_item(self, i: int, j: int) -> tuple[bool, Any]:
        """``(found, body)`` of activity ``j`` of phase ``i`` (the ``activity:`` mapping
        where the item wraps one)."""
        body = self.phase_body(i)
        acts = body.get("activities") if body is not None else None
        if not isinstance(acts, LocatedList) or j >= len(acts):
            return False, None
        item = acts[j]
        if isinstance(item, LocatedDict) and isinstance(item.get("activity"), LocatedDict):
            item = item["activity"]
        return True, item

    def activity(self, i: int, j: int, key: str | None = None) -> Located | None:
        found, item = self._activity_item(i, j)
        return _Loader.at(item, key) if found else None

    def activity_nested(self, i: int, j: int, *keys: str) -> Located | None:
        """The location of ``activity.keys[0].keys[1]...`` (e.g. approval, reject, goto):
        the deepest key that is there, so a problem points at its own line."""
        found, item = self._activity_item(i, j)
        if not found:
            return None
        for key in keys[:-1]:
            if not isinstance(item, LocatedDict) or not isinstance(item.get(key), LocatedDict):
                return _Loader.at(item, key)
            item = item[key]
        return _Loader.at(item, keys[-1])

    def section(self, section: str, name: str, key: str) -> Located | None:
        body, top = self._root()
        for holder in (body, top):
            if isinstance(holder, LocatedDict) and isinstance(holder.get(section), LocatedDict):
                entry = holder[section].get(name)
                if isinstance(entry, LocatedDict):
                    return _Loader.at(entry, key)
                return _Loader.at(holder[section], name)
        return None

    def first_phase(self, cycle: list[tuple[Any, Any]]) -> Located | None:
        node = cycle[0][1]
        items = self._phases()
        if items is None:
            return None
        pid = node[1]
        for i in range(len(items)):
            body = self.phase_body(i)
            if body is not None and body.get("id") == pid:
                return self.phase(i, "depends-on") if node[0] == "phase" else body.where
        return None


def _node_name(node: tuple[str, ...]) -> str:
    return f"phase {node[1]}" if node[0] == "phase" else f"{node[1]}.{node[2]}"


def _reference_problem(ref: str, inputs: Mapping[str, InputSpec | None], variables: set[str]
                       ) -> tuple[str, str | None] | None:
    """Why a ``<+...>`` reference cannot be resolved (message, hint), or None."""
    for prefix in _INPUT_REFS:
        if ref.startswith(prefix):
            name = ref[len(prefix):]
            if name in inputs:
                return None
            return (f"unknown input <+{ref}>",
                    _did_you_mean(name, inputs) or "declare it under 'inputs:'")
    for prefix in _VARIABLE_REFS:
        if ref.startswith(prefix):
            name = ref[len(prefix):]
            if name in variables:
                return None
            return (f"unknown variable <+{ref}>",
                    _did_you_mean(name, variables) or "declare it under 'variables:'")
    return (f"cannot evaluate <+{ref}>: conditions may refer to <+releaseInput.NAME> and "
            "<+variables.NAME>", "outputs of activities are not simulated")


def _merge(body: LocatedDict, top: LocatedDict, keys: tuple[str, ...]) -> LocatedDict:
    out = LocatedDict(body)
    out.where = body.where
    out.key_where = dict(body.key_where)
    out.value_where = dict(body.value_where)
    out.bool_text = dict(getattr(body, "bool_text", {}))
    for key in keys:
        if key in top and key not in body:
            out[key] = top[key]
            out.key_where[key] = top.key_where[key]
            out.value_where[key] = top.value_where[key]
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _date_reason(value: Any) -> str:
    """Why a text that looks like a date is none (``" (day is out of range for month)"``)."""
    if isinstance(value, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value):
        try:
            dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            return f" ({exc})"
    return ""


def _infer_type(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return None


def _is_type(value: Any, typ: str) -> bool:
    return _infer_type(value) == typ


def _bind_values(specs: tuple[InputSpec, ...], given: Mapping[str, Any],
                 problems: list[Problem], source: str | None) -> dict[str, Any]:
    known = {s.name: s for s in specs}
    values: dict[str, Any] = {s.name: s.default for s in specs if s.default is not None}
    for key, value in given.items():
        spec = known.get(key)
        if spec is None:
            problems.append(Problem(
                f"unknown input {key!r}", file=source, path=f"inputs.{key}",
                hint=_did_you_mean(key, known) or
                (f"declared inputs: {', '.join(known)}" if known else "the process declares "
                 "no inputs")))
            continue
        if isinstance(value, tuple):
            value = list(value)
        if not _is_type(value, spec.type):
            problems.append(Problem(f"input {key!r} must be a {spec.type}, found {value!r}",
                                    file=source, path=f"inputs.{key}"))
            continue
        values[key] = value
    for spec in specs:
        if spec.name not in values:
            problems.append(Problem(
                f"input {spec.name!r} has no value", file=source, path=f"inputs.{spec.name}",
                hint="give it a 'default:' or pass inputs={...}"))
    return values


def _bind_subprocesses(phase: Phase, values: Mapping[str, Any], source: str | None) -> Phase:
    """Bind each subprocess to the inputs its activity passes (literal or referenced)."""
    changed = False
    acts = []
    for act in phase.activities:
        if act.subprocess is not None and act.inputs:
            resolved: dict[str, Any] = {}
            for key, value in act.inputs.items():
                ref = is_reference_only(value) if isinstance(value, str) else None
                if ref is not None:
                    name = ref.rsplit(".", 1)[-1]
                    if name in values:
                        resolved[key] = values[name]
                else:
                    resolved[key] = value
            act = replace(act, subprocess=bind_inputs(act.subprocess, resolved))
            changed = True
        acts.append(act)
    return replace(phase, activities=tuple(acts)) if changed else phase

