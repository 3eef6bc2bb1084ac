"""Scenarios: a base blueprint plus a short list of changes, validated like a blueprint.

A scenario is written as a mapping (in Python, or as a small YAML file)::

    name: Faster QA sign-off
    description: QA approvers answer twice as fast.
    base: ../blueprints/harness-system-release.yaml   # relative to this file
    changes:
      - activity: qa_signoff.qa_approval
        scale: 0.5

Each change names one *target* (``activity``, ``phase``, ``team``, ``environment``,
``calendar`` or ``cadence``) and says what to change; the vocabulary is documented in
``docs/what-if.md`` and in :data:`CHANGE_KEYS`. :func:`load_scenario` checks every change,
applies them to the base and re-validates the resulting blueprint, collecting every
problem into one :class:`~phasesim.errors.ScenarioError` whose lines name
``file:line:column``, the path inside the scenario and a did-you-mean where a name is
misspelt. A change that breaks the blueprint (a dependency cycle, a rejection that goes
back to a removed activity) is reported at the change that did it.

Nothing here simulates: :meth:`Scenario.apply` returns a new frozen
:class:`~phasesim.blueprint.Blueprint`. Changed activities keep their ids, so the
simulator gives them the same random numbers as in the base (common random numbers).
"""

from __future__ import annotations

import difflib
import html
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from phasesim._files import decode
from phasesim.blueprint import Activity, Approval, Blueprint, Failure, Phase, Rejection
from phasesim.blueprint.load import load_blueprint
from phasesim.blueprint.model import Slot
from phasesim.blueprint.yamlsource import LocatedDict, LocatedList, parse_yaml
from phasesim.calendars import Calendar, WeeklyAnchor
from phasesim.distributions import DurationSpec, parse_duration_spec
from phasesim.errors import BlueprintError, Problem, ScenarioError
from phasesim.simulation.cadence import parse_cadence

__all__ = ["CHANGE_KEYS", "MAX_SCALE", "Change", "Scenario", "load_scenario", "scale_target"]

#: Largest ``scale`` factor a scenario change may apply.
MAX_SCALE = 1000.0

#: For each target of a change, the keys that say what to change.
CHANGE_KEYS: dict[str, tuple[str, ...]] = {
    "activity": ("scale", "duration", "approval", "failure", "depends-on", "not-before",
                 "remove"),
    "phase": ("scale", "depends-on", "not-before"),
    "team": ("capacity", "calendar"),
    "environment": ("capacity", "calendar"),
    "calendar": ("timezone", "hours", "holidays", "freezes"),
    "cadence": (),
}
_TARGETS = tuple(CHANGE_KEYS)
_TOP_KEYS = ("name", "description", "base", "changes")
_APPROVAL_KEYS = ("wait", "approvers", "required", "reject")
_REJECT_KEYS = ("probability", "goto")
_FAILURE_KEYS = ("probability", "retries", "on-failure")
#: Changes made only of these keys cannot make a valid blueprint invalid.
_SAFE_KEYS = frozenset({"scale", "duration", "capacity", "not-before"})

_Where = tuple[int, int]


def _did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def _kind_of(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a text"
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------
# Changes
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One change of a scenario.

    Attributes
    ----------
    target : str
        ``activity``, ``phase``, ``team``, ``environment``, ``calendar`` or ``cadence``.
    ref : str or None
        What it changes: ``"phase_id.activity_id"`` (or a bare activity id that is unique),
        a phase id, a team, environment or calendar name; None for a cadence.
    values : mapping
        The parsed changes, by key (``{"scale": 0.5}``, ``{"approval": {"approvers": 3}}``,
        ``{"cadence": "every 1w"}``).
    file, path : str
        Where the change was written (``path`` such as ``changes[2]``).
    where : mapping
        1-based ``(line, column)`` of the change (key ``""``), of its target name
        (``"@target"``) and of each value.
    """

    target: str
    ref: str | None
    values: Mapping[str, Any] = field(default_factory=dict, hash=False)
    file: str | None = None
    path: str = ""
    where: Mapping[str, _Where] = field(default_factory=dict, hash=False, compare=False)

    def problem(self, message: str, key: str | None = None, hint: str | None = None,
                subpath: str | None = None) -> Problem:
        """A problem located at this change (at ``key``'s value when known)."""
        loc = self.where.get(key or "@target") or self.where.get("")
        inner = subpath or key or self.target
        path = f"{self.path}.{inner}" if self.path else inner
        return Problem(message, file=self.file, line=loc[0] if loc else None,
                       column=loc[1] if loc else None, path=path, hint=hint)

    def describe(self) -> str:
        """One line in words, e.g. ``activity qa_signoff.qa_approval: time x0.5``."""
        if self.target == "cadence":
            return f"cadence: {self.values['cadence']}"
        parts = []
        for key, value in self.values.items():
            if key == "scale":
                parts.append(f"time x{value:g}")
            elif key == "remove":
                parts.append("removed (dependents inherit its dependencies)")
            elif isinstance(value, Mapping):
                inner = ", ".join(f"{k}={_text(v)}" for k, v in value.items())
                parts.append(f"{key} {{{inner}}}")
            else:
                parts.append(f"{key} {_text(value)}")
        return f"{self.target} {self.ref}: " + "; ".join(parts)

    @property
    def structural(self) -> bool:
        """Whether the change could make a valid blueprint invalid (then it is re-checked)."""
        return self.target in ("activity", "phase", "team", "environment", "calendar") and \
            not set(self.values) <= _SAFE_KEYS


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, DurationSpec):
        return str(value.to_data())
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}={_text(v)}" for k, v in value.items()) + "}"
    return str(value)


class _Reader:
    """Reads the changes of a scenario document, collecting problems with locations."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    @staticmethod
    def at(container: Any, key: str | int | None = None, *, of_key: bool = False
           ) -> _Where | None:
        if isinstance(container, LocatedDict):
            if key is None:
                loc = container.where
            else:
                table = container.key_where if of_key else container.value_where
                loc = table.get(str(key), container.where)
            return (loc.line, loc.column)
        if isinstance(container, LocatedList):
            if isinstance(key, int) and key < len(container.item_where):
                loc = container.item_where[key]
            else:
                loc = container.where
            return (loc.line, loc.column)
        return None

    def problem(self, where: _Where | None, path: str, message: str,
                hint: str | None = None) -> None:
        self.problems.append(Problem(message, file=self.file,
                                     line=where[0] if where else None,
                                     column=where[1] if where else None, path=path, hint=hint))

    # -- a change ----------------------------------------------------------------------
    def change(self, raw: Any, path: str, where: _Where | None) -> Change | None:
        if not isinstance(raw, dict):
            self.problem(where, path, f"expected a change mapping, found {_kind_of(raw)}",
                         "write e.g. '- {activity: qa_signoff.qa_approval, scale: 0.5}'")
            return None
        targets = [k for k in raw if k in _TARGETS]
        if "calendar" in targets and ("team" in targets or "environment" in targets):
            targets.remove("calendar")  # the calendar of a team or environment
        if not targets:
            first = next(iter(raw), "")
            self.problem(self.at(raw, first, of_key=True) or where, path,
                         f"unknown change kind: no {', '.join(_TARGETS[:-1])} or cadence "
                         f"key, found {', '.join(repr(k) for k in raw) or 'nothing'}",
                         _did_you_mean(str(first), _TARGETS)
                         or f"start the change with one of {', '.join(_TARGETS)}")
            return None
        if len(targets) > 1:
            self.problem(self.at(raw, targets[1], of_key=True) or where, path,
                         f"one change names both {targets[0]!r} and {targets[1]!r}",
                         "write them as two changes")
            return None
        target = targets[0]
        locs: dict[str, _Where] = {}
        if where is not None:
            locs[""] = where
        tloc = self.at(raw, target)
        if tloc is not None:
            locs["@target"] = tloc
        allowed = CHANGE_KEYS[target]
        values: dict[str, Any] = {}
        ok = True
        for key in raw:
            if key == target:
                continue
            if key not in allowed:
                ok = False
                hint = _did_you_mean(str(key), allowed) or (
                    f"a {target} change takes {', '.join(allowed)}" if allowed
                    else "a cadence change has only 'cadence:'")
                article = "an" if target[0] in "ae" else "a"
                self.problem(self.at(raw, key, of_key=True) or where, f"{path}.{key}",
                             f"unknown key {key!r} in {article} {target} change", hint)
                continue
            loc = self.at(raw, key)
            if loc is not None:
                locs[key] = loc
            parsed = self.value(target, key, raw, f"{path}.{key}")
            if parsed is _BAD:
                ok = False
            else:
                values[key] = parsed
        if target == "cadence":
            cadence = _plain(raw["cadence"])
            try:
                parse_cadence(cadence)
            except (TypeError, ValueError) as exc:
                self.problem(tloc or where, f"{path}.cadence", f"bad cadence: {exc}",
                             "write e.g. 'every 2w', weekly or "
                             "'{freq: weekly, interval: 2, weekday: monday}'")
                return None
            return Change("cadence", None, {"cadence": cadence}, self.file, path, locs)
        ref = raw[target]
        if not isinstance(ref, str) or not ref:
            self.problem(tloc or where, f"{path}.{target}",
                         f"expected the name of a {target}, found {_kind_of(ref)}")
            return None
        if ok and not values:
            self.problem(tloc or where, path, f"the change of {target} {ref!r} changes nothing",
                         f"add one of {', '.join(allowed)}")
            return None
        if "remove" in values and len(values) > 1:
            other = next(k for k in values if k != "remove")
            self.problem(self.at(raw, other, of_key=True) or where, f"{path}.{other}",
                         "'remove' cannot be combined with other changes",
                         "write the other changes for the activities that stay")
            return None
        if "scale" in values and "duration" in values:
            self.problem(self.at(raw, "duration", of_key=True) or where, f"{path}.duration",
                         "'scale' and 'duration' both change the duration", "keep one")
            return None
        if not ok:
            return None
        return Change(target, ref, values, self.file, path, locs)

    def value(self, target: str, key: str, raw: Any, path: str) -> Any:
        value = raw[key]
        where = self.at(raw, key)
        if key == "scale":
            return self.factor(value, where, path)
        if key in ("duration",):
            return self.duration(raw, key, path)
        if key == "remove":
            if value is not True:
                self.problem(where, path, f"'remove' takes true, found {value!r}",
                             "write 'remove: true', or leave the key out")
                return _BAD
            return True
        if key == "depends-on":
            if value is None:
                return ()
            if isinstance(value, str):
                return (value,)
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return tuple(value)
            self.problem(where, path, f"expected a list of ids, found {_kind_of(value)}",
                         "write e.g. 'depends-on: [branch_cut]' ([] to start at once)")
            return _BAD
        if key == "not-before":
            return self.not_before(raw, path)
        if key == "capacity":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                self.problem(where, path, f"capacity must be a whole number of at least 1, "
                             f"found {value!r}")
                return _BAD
            return value
        if key == "calendar":
            if value is None or isinstance(value, str):
                return value
            self.problem(where, path, f"expected a calendar name, found {_kind_of(value)}")
            return _BAD
        if key == "approval":
            return self.approval(raw, path)
        if key == "failure":
            return self.failure(raw, path)
        if target == "calendar":
            return self.calendar_field(key, value, where, path)
        raise AssertionError(f"unhandled change key {key!r}")  # pragma: no cover

    def not_before(self, raw: Any, path: str) -> Any:
        """A weekly anchor (``"Fri 13:00"``), a planned slot (``{at: Fri 13:00, week:
        1}``) or null (no anchor), as ``not-before`` takes in a blueprint."""
        value = raw["not-before"]
        where = self.at(raw, "not-before")
        if value is None:
            return None
        at, week = value, None
        if isinstance(value, dict):
            if self.submapping(value, path, ("at", "week"), "a not-before slot") is None:
                return _BAD
            if value.get("at") is None:
                self.problem(where, path, "a not-before slot needs 'at'",
                             "e.g. {at: Fri 09:00, week: 1}")
                return _BAD
            at, where = value["at"], self.at(value, "at") or where
            week = self.count(value, "week", path, 1) if "week" in value else 1
            if week is _BAD:
                return _BAD
        try:
            anchor = WeeklyAnchor.parse(str(at))
        except ValueError as exc:
            self.problem(where, path, str(exc),
                         None if "did you mean" in str(exc)
                         else "write a weekday and a time, e.g. 'Thu 12:00', a slot "
                         "{at: Thu 12:00, week: 1}, or null")
            return _BAD
        return anchor if week is None else Slot(anchor, week)

    def factor(self, value: Any, where: _Where | None, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float) or \
                not math.isfinite(value) or value <= 0:
            self.problem(where, path,
                         f"bad factor {value!r}: a scale factor must be a positive number",
                         "e.g. 0.5 halves the time, 1.2 makes it 20% longer")
            return _BAD
        if value > MAX_SCALE:
            self.problem(where, path,
                         f"bad factor {value!r}: a scale factor is at most {MAX_SCALE:g}",
                         "e.g. 0.5 halves the time, 1.2 makes it 20% longer")
            return _BAD
        return float(value)

    def duration(self, raw: Any, key: str, path: str) -> Any:
        value = raw[key]
        try:
            return parse_duration_spec(_plain(value))
        except ValueError as exc:
            holder: Any = raw
            where = self.at(raw, key)
            for step in (key, *getattr(exc, "path", ())):
                in_dict = isinstance(holder, dict) and isinstance(step, str) and step in holder
                in_list = isinstance(holder, list) and isinstance(step, int) and \
                    step < len(holder)
                if not (in_dict or in_list):
                    break
                where = self.at(holder, step) or where
                holder = holder[step]
            self.problem(where, path, f"bad duration: {exc}")
            return _BAD

    def probability(self, raw: Any, key: str, path: str) -> Any:
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or \
                not 0.0 <= value <= 1.0:
            hint = "write percentages as fractions, e.g. 0.05 for 5%" if \
                isinstance(value, int | float) and not isinstance(value, bool) and value > 1 \
                else None
            self.problem(self.at(raw, key), f"{path}.{key}",
                         f"a probability must be between 0 and 1, found {value!r}", hint)
            return _BAD
        return float(value)

    def count(self, raw: Any, key: str, path: str, minimum: int) -> Any:
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.problem(self.at(raw, key), f"{path}.{key}",
                         f"expected a whole number of at least {minimum}, found {value!r}")
            return _BAD
        return value

    def submapping(self, raw: Any, path: str, allowed: tuple[str, ...], what: str
                   ) -> dict[str, Any] | None:
        if not isinstance(raw, dict):
            self.problem(None, path, f"expected a mapping of {what} keys, found "
                         f"{_kind_of(raw)}")
            return None
        good = True
        for key in raw:
            if key not in allowed:
                good = False
                self.problem(self.at(raw, key, of_key=True), f"{path}.{key}",
                             f"unknown key {key!r} in {what}",
                             _did_you_mean(str(key), allowed) or
                             f"{what} takes {', '.join(allowed)}")
        return dict(raw) if good else None

    def approval(self, raw: Any, path: str) -> Any:
        body = raw["approval"]
        if not isinstance(body, dict) or not body:
            self.problem(self.at(raw, "approval"), path,
                         f"expected a mapping such as '{{approvers: 3}}', found "
                         f"{_kind_of(body)}", "give wait, approvers, required or reject")
            return _BAD
        keys = self.submapping(body, path, _APPROVAL_KEYS, "an approval")
        if keys is None:
            return _BAD
        out: dict[str, Any] = {}
        bad = False
        for key in keys:
            if key == "wait":
                parsed = self.duration(body, "wait", f"{path}.wait")
            elif key in ("approvers", "required"):
                parsed = self.count(body, key, path, 1)
            else:
                parsed = self.rejection(body, f"{path}.reject")
            bad = bad or parsed is _BAD
            out[key] = parsed
        return _BAD if bad else out

    def rejection(self, raw: Any, path: str) -> Any:
        body = raw["reject"]
        if body is None:
            return None
        if not isinstance(body, dict):
            self.problem(self.at(raw, "reject"), path,
                         f"expected '{{probability: ..., goto: ...}}' or null, found "
                         f"{_kind_of(body)}")
            return _BAD
        if self.submapping(body, path, _REJECT_KEYS, "a rejection") is None:
            return _BAD
        out: dict[str, Any] = {}
        if "probability" in body:
            out["probability"] = self.probability(body, "probability", path)
        if "goto" in body:
            goto = body["goto"]
            if not isinstance(goto, str):
                self.problem(self.at(body, "goto"), f"{path}.goto",
                             f"expected a phase or activity id, found {_kind_of(goto)}")
                return _BAD
            out["goto"] = goto
        return _BAD if _BAD in out.values() else out

    def failure(self, raw: Any, path: str) -> Any:
        body = raw["failure"]
        if body is None:
            return None
        if not isinstance(body, dict) or not body:
            self.problem(self.at(raw, "failure"), path,
                         f"expected a mapping such as '{{probability: 0.02}}' or null, found "
                         f"{_kind_of(body)}")
            return _BAD
        if self.submapping(body, path, _FAILURE_KEYS, "a failure") is None:
            return _BAD
        out: dict[str, Any] = {}
        if "probability" in body:
            out["probability"] = self.probability(body, "probability", path)
        if "retries" in body:
            out["retries"] = self.count(body, "retries", path, 0)
        if "on-failure" in body:
            target = body["on-failure"]
            if not isinstance(target, str):
                self.problem(self.at(body, "on-failure"), f"{path}.on-failure",
                             f"expected a rollback phase id or 'abort', found "
                             f"{_kind_of(target)}")
                return _BAD
            out["on-failure"] = target
        return _BAD if _BAD in out.values() else out

    def calendar_field(self, key: str, value: Any, where: _Where | None, path: str) -> Any:
        plain = _plain(value)
        kwargs: dict[str, Any]
        if key in ("timezone", "hours"):
            if not isinstance(plain, str):
                self.problem(where, path, f"expected a text, found {_kind_of(plain)}")
                return _BAD
            kwargs = {key: plain}
        elif key == "holidays":
            plain = tuple(plain) if isinstance(plain, list) else plain
            kwargs = {"holidays": plain}
        else:
            plain = tuple(tuple(p) if isinstance(p, list) else p for p in plain) \
                if isinstance(plain, list) else plain
            kwargs = {"freezes": plain}
        try:
            Calendar("check", **kwargs)
        except (TypeError, ValueError) as exc:
            self.problem(where, path, str(exc).replace("calendar 'check': ", ""))
            return _BAD
        return plain


class _Bad:
    """Marks a value that could not be read (its problem is already recorded)."""


_BAD: Any = _Bad()


# ---------------------------------------------------------------------------------------
# The scenario
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A base blueprint plus changes; build one with :func:`load_scenario`.

    Attributes
    ----------
    name : str
    changes : tuple of Change
    description : str or None
    base : Blueprint or None
        The blueprint named by the scenario's ``base:`` (or given to
        :func:`load_scenario`); :meth:`apply` uses it when called without one.
    source : str or None
        The scenario file, ``"<string>"`` or ``"<dict>"``.

    Examples
    --------
    >>> from phasesim import load_blueprint
    >>> bp = load_blueprint('''
    ... phase:
    ...   id: build
    ...   activities:
    ...     - activity: {id: compile, type: automated, duration: 2h}
    ...     - activity: {id: test, type: automated, depends-on: [compile], duration: 1h}
    ... ''')
    >>> fast = load_scenario({"name": "fast tests",
    ...                       "changes": [{"activity": "build.test", "scale": 0.5}]}, base=bp)
    >>> fast.apply().critical_path().length_h
    2.5
    """

    name: str
    changes: tuple[Change, ...] = ()
    description: str | None = None
    base: Blueprint | None = field(default=None, compare=False, repr=False)
    source: str | None = field(default=None, compare=False)

    @property
    def cadence(self) -> Any:
        """The cadence the scenario sets (its last ``cadence`` change), or None."""
        found = [c.values["cadence"] for c in self.changes if c.target == "cadence"]
        return found[-1] if found else None

    def apply(self, base: Blueprint | None = None) -> Blueprint:
        """Return the base blueprint with every change applied, validated.

        Parameters
        ----------
        base : Blueprint, optional
            The blueprint to change; defaults to :attr:`base`.

        Raises
        ------
        ScenarioError
            Listing every change that does not fit the base (an unknown activity, a
            quorum above the number of approvers, a removal that leaves a rejection
            nowhere to go) and every change after which the blueprint is invalid (a
            dependency cycle), each at the change's ``file:line:column``.
        """
        bp = base if base is not None else self.base
        if bp is None:
            raise ScenarioError([Problem(
                "the scenario has no base blueprint", file=self.source, path="base",
                hint="write 'base: path/to/blueprint.yaml' or pass base=...")], self.source)
        changed, problems = _apply_all(bp, self.changes)
        if problems:
            raise ScenarioError(problems, self.source)
        return changed

    def to_frame(self) -> pd.DataFrame:
        """One row per change: target kind, what it changes, and the change in words."""
        return pd.DataFrame(
            [{"target": c.target, "ref": c.ref, "change": c.describe(), "path": c.path}
             for c in self.changes], columns=["target", "ref", "change", "path"])

    def __repr__(self) -> str:
        n = len(self.changes)
        return f"<Scenario {self.name!r}: {n} change{'s' if n != 1 else ''}>"

    def _repr_html_(self) -> str:
        head = f"<h4>Scenario: {html.escape(self.name)}</h4>"
        if self.description:
            head += f"<p>{html.escape(self.description)}</p>"
        return head + self.to_frame().drop(columns="path").to_html(index=False, escape=True)


def load_scenario(source: Scenario | Mapping[str, Any] | str | os.PathLike[str],
                  base: Blueprint | str | os.PathLike[str] | None = None) -> Scenario:
    """Read and validate a scenario: a base blueprint plus changes.

    Parameters
    ----------
    source : path, YAML text, mapping or Scenario
        A scenario file (``.yaml``), YAML text, or the same mapping in Python:
        ``{"name": ..., "description": ..., "base": ..., "changes": [...]}``. A relative
        ``base`` is relative to the scenario file (to the working directory for text and
        mappings).
    base : Blueprint or path, optional
        The blueprint to change; it takes the place of the scenario's own ``base:``.

    Returns
    -------
    Scenario
        With :attr:`Scenario.base` set when a base is known (then every change has been
        applied to it and the result validated).

    Raises
    ------
    ScenarioError
        Listing every problem, each with ``file:line:column`` and its path in the
        scenario, e.g. ``faster.yaml:6:15: changes[0].activity: unknown activity
        'qa_aproval' (did you mean 'qa_signoff.qa_approval'?)``.

    Examples
    --------
    >>> sc = load_scenario('''
    ... name: weekly train
    ... changes:
    ...   - cadence: every 1w
    ...   - team: QA
    ...     capacity: 3
    ... ''')
    >>> sc.cadence, sc.changes[1].describe()
    ('every 1w', 'team QA: capacity 3')
    """
    base_bp: Blueprint | None = None
    if base is not None:
        try:
            base_bp = base if isinstance(base, Blueprint) else load_blueprint(base)
        except BlueprintError as exc:
            raise ScenarioError(exc.problems, exc.source) from None
    if isinstance(source, Scenario):
        scenario = replace(source, base=base_bp) if base_bp is not None else source
        if scenario.base is not None:
            scenario.apply()
        return scenario
    data, name, folder = _read(source)
    reader = _Reader(name)
    loaded = _document(data, reader, name, folder, base_bp)
    problems = list(reader.problems)
    if loaded is not None and loaded.base is not None:
        problems.extend(_apply_all(loaded.base, loaded.changes)[1])
    if problems or loaded is None:
        problems.sort(key=lambda p: (p.file != name, p.line is None, p.line or 0,
                                     p.column or 0))
        raise ScenarioError(problems, name)
    return loaded


def _read(source: Mapping[str, Any] | str | os.PathLike[str]) -> tuple[Any, str, Path]:
    if isinstance(source, Mapping):
        return source, "<dict>", Path.cwd()
    if isinstance(source, os.PathLike) or (
            isinstance(source, str) and "\n" not in source and not source.lstrip()
            .startswith("{") and (source.endswith((".yaml", ".yml")) or Path(source).exists())):
        path = Path(source)
        if not path.exists():
            raise ScenarioError([Problem("scenario file not found", file=str(path),
                                         hint="check the path")], str(path))
        if not path.is_file():
            raise ScenarioError([Problem("this is a folder or a device, not a scenario "
                                         "file", file=str(path))], str(path))
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ScenarioError([Problem(f"cannot read the file: {exc.strerror or exc}",
                                         file=str(path))], str(path)) from None
        text, problem = decode(raw, str(path))
        if problem is not None or text is None:
            raise ScenarioError([problem or Problem("cannot read the file", file=str(path))],
                                str(path))
        data, problems = parse_yaml(text, str(path))
        if problems:
            raise ScenarioError(problems, str(path))
        return data, str(path), path.resolve().parent
    data, problems = parse_yaml(str(source), "<string>")
    if problems:
        raise ScenarioError(problems, "<string>")
    return data, "<string>", Path.cwd()


def _document(data: Any, reader: _Reader, name: str, folder: Path,
              base_bp: Blueprint | None) -> Scenario | None:
    if not isinstance(data, dict):
        reader.problem(reader.at(data), "", f"expected a scenario mapping with 'changes:', "
                       f"found {_kind_of(data)}",
                       "write 'name: ...', 'base: blueprint.yaml' and 'changes: [...]'")
        return None
    for key in data:
        if key not in _TOP_KEYS:
            reader.problem(reader.at(data, key, of_key=True), str(key),
                           f"unknown scenario key {key!r}",
                           _did_you_mean(str(key), _TOP_KEYS) or
                           f"a scenario has {', '.join(_TOP_KEYS)}")
    title = data.get("name")
    if title is None:
        title = Path(name).stem if not name.startswith("<") else "scenario"
    elif not isinstance(title, str) or not title.strip():
        reader.problem(reader.at(data, "name"), "name",
                       f"expected a scenario name, found {_kind_of(title)}")
        title = "scenario"
    description = data.get("description")
    if description is not None and not isinstance(description, str):
        reader.problem(reader.at(data, "description"), "description",
                       f"expected a text, found {_kind_of(description)}")
        description = None
    if base_bp is None and data.get("base") is not None:
        base_bp = _base(data, reader, folder)
    raw = data.get("changes")
    changes: list[Change] = []
    if raw is None:
        reader.problem(reader.at(data), "", "the scenario has no 'changes'",
                       "add 'changes:' with a list such as "
                       "'- {activity: qa_signoff.qa_approval, scale: 0.5}'")
    elif not isinstance(raw, list):
        reader.problem(reader.at(data, "changes"), "changes",
                       f"expected a list of changes, found {_kind_of(raw)}")
    else:
        for i, item in enumerate(raw):
            change = reader.change(item, f"changes[{i}]", reader.at(raw, i))
            if change is not None:
                changes.append(change)
    return Scenario(str(title), tuple(changes), description, base_bp, name)


def _base(data: Any, reader: _Reader, folder: Path) -> Blueprint | None:
    value = data["base"]
    where = reader.at(data, "base")
    if not isinstance(value, str):
        reader.problem(where, "base", f"expected the path of a blueprint file, found "
                       f"{_kind_of(value)}")
        return None
    path = folder / value
    if not path.is_file():
        hint = f"looked for {path.resolve()}"
        near = _did_you_mean(Path(value).name, [p.name for p in path.parent.glob("*.y*ml")]) \
            if path.parent.is_dir() else None
        reader.problem(where, "base", f"base blueprint file {value!r} not found",
                       f"{near} {hint}" if near else hint)
        return None
    try:
        return load_blueprint(path)
    except BlueprintError as exc:
        reader.problem(where, "base", f"the base blueprint {value!r} is not valid "
                       f"({len(exc.problems)} problem(s) listed below)")
        reader.problems.extend(exc.problems)
        return None


# ---------------------------------------------------------------------------------------
# Applying changes
# ---------------------------------------------------------------------------------------


def _activity_refs(bp: Blueprint) -> list[str]:
    return [f"{ph.id}.{act.id}" for ph in bp.phases for act in ph.activities]


def _find_activity(bp: Blueprint, change: Change, problems: list[Problem]
                   ) -> tuple[int, int] | None:
    ref = change.ref or ""
    if "[" in ref:
        problems.append(change.problem(
            f"{ref!r} names one instance of a for-each activity",
            hint=f"changes apply to the activity as written: use {ref.split('[', 1)[0]!r}"))
        return None
    if "." in ref:
        pid, aid = ref.split(".", 1)
        for i, ph in enumerate(bp.phases):
            if ph.id == pid:
                for j, act in enumerate(ph.activities):
                    if act.id == aid:
                        return i, j
    else:
        hits = [(i, j) for i, ph in enumerate(bp.phases)
                for j, act in enumerate(ph.activities) if act.id == ref]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            where = ", ".join(f"{bp.phases[i].id}.{ref}" for i, _ in hits)
            problems.append(change.problem(f"activity {ref!r} is in several phases",
                                           hint=f"write one of {where}"))
            return None
    choices = _activity_refs(bp)
    bare = [c.split(".", 1)[1] for c in choices]
    hint = _did_you_mean(ref, choices)
    if hint is None:
        close = difflib.get_close_matches(ref.split(".")[-1], bare, n=1, cutoff=0.6)
        if close:
            hint = f"did you mean {choices[bare.index(close[0])]!r}?"
    problems.append(change.problem(
        f"unknown activity {ref!r} in blueprint {bp.id!r}",
        hint=hint or "write 'phase_id.activity_id'; see blueprint.to_frame()"))
    return None


def _find_phase(bp: Blueprint, change: Change, problems: list[Problem]) -> int | None:
    for i, ph in enumerate(bp.phases):
        if ph.id == change.ref:
            return i
    problems.append(change.problem(
        f"unknown phase {change.ref!r} in blueprint {bp.id!r}",
        hint=_did_you_mean(change.ref or "", bp.phase_ids)
        or f"phases: {', '.join(bp.phase_ids)}"))
    return None


def _with_activity(bp: Blueprint, i: int, j: int, act: Activity | None) -> Blueprint:
    ph = bp.phases[i]
    acts = list(ph.activities)
    if act is None:
        del acts[j]
    else:
        acts[j] = act
    return _with_phase(bp, i, replace(ph, activities=tuple(acts)))


def _with_phase(bp: Blueprint, i: int, phase: Phase) -> Blueprint:
    phases = list(bp.phases)
    phases[i] = phase
    return replace(bp, phases=tuple(phases))


def scale_activity(act: Activity, factor: float) -> tuple[Activity | None, str]:
    """The activity with its time multiplied by ``factor``, and what was scaled.

    Scales the ``duration``, or an approval's ``wait``, or every time inside a
    subprocess. Returns ``(None, reason)`` for an activity that takes no time.

    Examples
    --------
    >>> from phasesim.blueprint import Activity
    >>> from phasesim.distributions import Fixed
    >>> act, what = scale_activity(Activity("a", "a", duration=Fixed(4.0)), 0.5)
    >>> act.duration, what
    (Fixed(hours=2.0), 'duration')
    >>> scale_activity(Activity("m", "milestone", type="wait"), 0.5)
    (None, 'takes no time (a milestone or a not-before timer)')
    """
    if act.approval is not None:
        gate = replace(act.approval, wait=act.approval.wait.scaled(factor))
        return replace(act, approval=gate), "approval wait"
    if act.subprocess is not None:
        sub, n = _scale_blueprint(act.subprocess, factor)
        if n == 0:
            return None, "its process takes no time"
        return replace(act, subprocess=sub), f"{n} activities of its process"
    if act.duration is None:
        return None, "takes no time (a milestone or a not-before timer)"
    return replace(act, duration=act.duration.scaled(factor)), "duration"


def _scale_blueprint(bp: Blueprint, factor: float) -> tuple[Blueprint, int]:
    phases = []
    n = 0
    for ph in bp.phases:
        scaled, k = _scale_phase(ph, factor)
        phases.append(scaled)
        n += k
    return replace(bp, phases=tuple(phases)), n


def _scale_phase(ph: Phase, factor: float) -> tuple[Phase, int]:
    acts = []
    n = 0
    for act in ph.activities:
        scaled, _ = scale_activity(act, factor)
        acts.append(scaled if scaled is not None else act)
        n += scaled is not None
    return replace(ph, activities=tuple(acts)), n


def scale_target(bp: Blueprint, target: str, factor: float) -> tuple[Blueprint | None, str]:
    """Scale the time of one activity (``"phase.activity"``) or phase (``"phase"``).

    The fast path of :func:`phasesim.sensitivity`: no re-validation is needed, since
    scaling a time by a positive factor cannot make a blueprint invalid. Returns
    ``(None, reason)`` when the target takes no time.

    Examples
    --------
    >>> from phasesim import load_blueprint
    >>> bp = load_blueprint('''
    ... phase:
    ...   id: p
    ...   activities:
    ...     - activity: {id: a, type: automated, duration: 2h}
    ...     - activity: {id: b, type: automated, depends-on: [a], duration: 1h}
    ... ''')
    >>> scale_target(bp, "p.a", 0.5)[0].critical_path().length_h
    2.0
    >>> scale_target(bp, "p", 2.0)[1]
    '2 of 2 activities'
    """
    pid, _, aid = target.partition(".")
    i = bp.phase_ids.index(pid)
    ph = bp.phases[i]
    if not aid:
        scaled, n = _scale_phase(ph, factor)
        if n == 0:
            return None, "no activity of the phase takes time"
        return _with_phase(bp, i, scaled), f"{n} of {len(ph.activities)} activities"
    j = [a.id for a in ph.activities].index(aid)
    act, what = scale_activity(ph.activities[j], factor)
    return (_with_activity(bp, i, j, act), what) if act is not None else (None, what)


def _apply_all(bp: Blueprint, changes: Iterable[Change]) -> tuple[Blueprint, list[Problem]]:
    """Apply changes in order; a change that does not fit is reported and left out."""
    problems: list[Problem] = []
    created: dict[str, Change] = {}
    used: set[str] = set()
    for change in changes:
        if change.target == "cadence":
            continue
        found: list[Problem] = []
        new = _apply_change(bp, change, found, created)
        if change.target in ("team", "environment") and change.values.get("calendar"):
            used.add(change.values["calendar"])
        if found or new is None:
            problems.extend(found)
            continue
        if change.structural:
            invalid = _revalidate(new)
            if invalid:
                problems.extend(_blame(change, invalid))
                continue
        bp = new
    for name, change in created.items():
        if name not in used:
            problems.append(change.problem(
                f"calendar {name!r} is new and no team or environment of the scenario uses it",
                hint=_did_you_mean(name, [c for c in bp.calendars if c != name]) or
                "add a change such as '{team: QA, calendar: " + name + "}'"))
    return bp, problems


def _apply_change(bp: Blueprint, change: Change, problems: list[Problem],
                  created: dict[str, Change]) -> Blueprint | None:
    if change.target == "activity":
        return _apply_activity(bp, change, problems)
    if change.target == "phase":
        return _apply_phase(bp, change, problems)
    if change.target in ("team", "environment"):
        return _apply_resource(bp, change, problems)
    return _apply_calendar(bp, change, problems, created)


def _check_activity_deps(bp: Blueprint, ph: Phase, own: str, deps: tuple[str, ...],
                         change: Change, problems: list[Problem]) -> None:
    local = [a.id for a in ph.activities]
    everywhere = _activity_refs(bp)
    for dep in deps:
        if dep == own or dep == f"{ph.id}.{own}":
            problems.append(change.problem(f"activity {own!r} cannot depend on itself",
                                           "depends-on"))
        elif dep not in local and dep not in everywhere:
            problems.append(change.problem(
                f"unknown activity {dep!r} in depends-on", "depends-on",
                _did_you_mean(dep, local + everywhere)
                or "name an activity of this phase, or 'phase_id.activity_id'"))


def _apply_activity(bp: Blueprint, change: Change, problems: list[Problem]
                    ) -> Blueprint | None:
    found = _find_activity(bp, change, problems)
    if found is None:
        return None
    i, j = found
    ph = bp.phases[i]
    act = ph.activities[j]
    values = change.values
    start = len(problems)
    if "remove" in values:
        return _remove_activity(bp, i, j, change, problems)
    if "scale" in values:
        scaled, why = scale_activity(act, values["scale"])
        if scaled is None:
            problems.append(change.problem(
                f"activity {change.ref!r} {why}: there is nothing to scale", "scale",
                "scale an activity with a duration, an approval or a subprocess"))
        else:
            act = scaled
    if "duration" in values:
        if act.approval is not None:
            problems.append(change.problem(
                f"activity {change.ref!r} is an approval gate: it takes an approval wait, "
                "not a duration", "duration", "write 'approval: {wait: ...}' instead"))
        elif act.type == "subprocess":
            problems.append(change.problem(
                f"activity {change.ref!r} is a subprocess: its time is its process's",
                "duration", "use 'scale' to scale every time inside it"))
        else:
            act = replace(act, duration=values["duration"])
    if "approval" in values:
        act = _change_approval(act, values["approval"], change, problems) or act
    if "failure" in values:
        act = _change_failure(act, values["failure"], change, problems)
    if "depends-on" in values:
        deps = values["depends-on"]
        _check_activity_deps(bp, ph, act.id, deps, change, problems)
        act = replace(act, depends_on=deps)
    if "not-before" in values:
        act = replace(act, not_before=values["not-before"])
    if len(problems) > start:
        return None
    return _with_activity(bp, i, j, act)


def _change_approval(act: Activity, values: Mapping[str, Any], change: Change,
                     problems: list[Problem]) -> Activity | None:
    gate = act.approval
    if gate is None:
        problems.append(change.problem(
            f"activity {change.ref!r} is not an approval gate", "approval",
            "only manual activities with 'approval:' have waits, approvers and quorums"))
        return None
    approvers = values.get("approvers", gate.approvers)
    required = values.get("required", gate.required)
    if required > approvers:
        problems.append(change.problem(
            f"{required} approvals required but only {approvers} approvers", "approval",
            "lower 'required' or raise 'approvers'"))
        return None
    reject = gate.reject
    if "reject" in values:
        new = values["reject"]
        if new is None:
            reject = None
        else:
            probability = new.get("probability", reject.probability if reject else None)
            goto = new.get("goto", reject.goto if reject else None)
            if goto is None or probability is None:
                missing = "goto" if goto is None else "probability"
                problems.append(change.problem(
                    f"activity {change.ref!r} has no rejection yet: give both probability "
                    f"and goto (missing {missing!r})", "approval", subpath="approval.reject"))
                return None
            reject = Rejection(probability, goto)
    return replace(act, approval=Approval(values.get("wait", gate.wait), approvers, required,
                                          reject))


def _change_failure(act: Activity, values: Mapping[str, Any] | None, change: Change,
                    problems: list[Problem]) -> Activity:
    if values is None:
        return replace(act, failure=None)
    if act.type != "automated":
        problems.append(change.problem(
            f"'failure' applies to automated activities, {change.ref!r} is {act.kind!r}",
            "failure", "change the rejection of an approval with 'approval: {reject: ...}'"))
        return act
    old = act.failure
    probability = values.get("probability", old.probability if old else None)
    if probability is None:
        problems.append(change.problem(
            f"activity {change.ref!r} has no failure yet: give its probability", "failure",
            subpath="failure.probability"))
        return act
    return replace(act, failure=Failure(probability, values.get("retries",
                                                                old.retries if old else 0),
                                        values.get("on-failure",
                                                   old.on_failure if old else "abort")))


def _resolve(ref: str, phase: Phase, bp: Blueprint) -> tuple[str, str] | None:
    if any(a.id == ref for a in phase.activities):
        return phase.id, ref
    pid, dot, aid = ref.partition(".")
    if dot:
        for ph in bp.phases:
            if ph.id == pid and any(a.id == aid for a in ph.activities):
                return pid, aid
    return None


def _remove_activity(bp: Blueprint, i: int, j: int, change: Change, problems: list[Problem]
                     ) -> Blueprint | None:
    ph = bp.phases[i]
    act = ph.activities[j]
    gone = (ph.id, act.id)
    start = len(problems)
    if len(ph.activities) == 1:
        problems.append(change.problem(
            f"activity {change.ref!r} is the only activity of phase {ph.id!r}", "remove",
            "a phase needs at least one activity; change the phase's depends-on instead"))
        return None
    for other in bp.phases:
        for a in other.activities:
            reject = a.approval.reject if a.approval else None
            if reject is not None and _resolve(reject.goto, other, bp) == gone:
                problems.append(change.problem(
                    f"the rejection of {other.id}.{a.id} goes back to {change.ref!r}",
                    "remove", "change that approval's 'reject: {goto: ...}' in an earlier "
                    "change of this scenario"))
    if len(problems) > start:
        return None
    # the removed activity's dependencies, as (phase, activity) pairs
    inherited = [_resolve(dep, ph, bp) or (ph.id, dep) for dep in act.depends_on]
    # an entry activity waited for its phase's dependencies: activities of other phases
    # that waited for it now wait for the exit activities of those phases
    upstream = inherited or [(dep, a.id) for dep in ph.depends_on
                             for a in _exits(bp.phases[bp.phase_ids.index(dep)])]
    phases = []
    for other in bp.phases:
        acts = []
        for a in other.activities:
            if (other.id, a.id) == gone:
                continue
            deps: list[str] = []
            for dep in a.depends_on:
                if _resolve(dep, other, bp) == gone:
                    new = [d_act if d_phase == other.id else f"{d_phase}.{d_act}"
                           for d_phase, d_act in (inherited if other.id == ph.id
                                                  else upstream)]
                else:
                    new = [dep]
                deps.extend(d for d in new if d not in deps)
            acts.append(replace(a, depends_on=tuple(deps)) if tuple(deps) != a.depends_on
                        else a)
        phases.append(replace(other, activities=tuple(acts)))
    return replace(bp, phases=tuple(phases))


def _exits(phase: Phase) -> list[Activity]:
    """Activities of a phase that nothing else in the phase waits for."""
    waited = {dep for a in phase.activities for dep in a.depends_on}
    return [a for a in phase.activities if a.id not in waited]


def _apply_phase(bp: Blueprint, change: Change, problems: list[Problem]) -> Blueprint | None:
    i = _find_phase(bp, change, problems)
    if i is None:
        return None
    ph = bp.phases[i]
    start = len(problems)
    values = change.values
    if "scale" in values:
        scaled, n = _scale_phase(ph, values["scale"])
        if n == 0:
            problems.append(change.problem(f"no activity of phase {ph.id!r} takes time",
                                           "scale"))
        ph = scaled
    if "depends-on" in values:
        deps = values["depends-on"]
        for dep in deps:
            if dep == ph.id:
                problems.append(change.problem(f"phase {ph.id!r} cannot depend on itself",
                                               "depends-on"))
            elif dep not in bp.phase_ids:
                problems.append(change.problem(
                    f"unknown phase {dep!r} in depends-on", "depends-on",
                    _did_you_mean(dep, bp.phase_ids) or f"phases: {', '.join(bp.phase_ids)}"))
        if ph.rollback and deps:
            problems.append(change.problem(
                f"rollback phase {ph.id!r} cannot have depends-on", "depends-on",
                "it starts when a failure or rejection sends a release there"))
        ph = replace(ph, depends_on=deps)
    if "not-before" in values:
        ph = replace(ph, not_before=values["not-before"])
    if len(problems) > start:
        return None
    return _with_phase(bp, i, ph)


def _apply_resource(bp: Blueprint, change: Change, problems: list[Problem]
                    ) -> Blueprint | None:
    attr = "teams" if change.target == "team" else "environments"
    table: Mapping[str, Any] = getattr(bp, attr)
    name = change.ref or ""
    if name not in table:
        problems.append(change.problem(
            f"unknown {change.target} {name!r} in blueprint {bp.id!r}",
            hint=_did_you_mean(name, table) or (
                f"{attr}: {', '.join(table)}" if table else f"the blueprint declares no {attr}")))
        return None
    item = table[name]
    values = change.values
    calendar = values.get("calendar", item.calendar)
    if "calendar" in values and calendar is not None and calendar not in bp.calendars:
        problems.append(change.problem(
            f"unknown calendar {calendar!r}", "calendar",
            _did_you_mean(calendar, bp.calendars) or
            "declare it with a change such as '{calendar: " + calendar + ", hours: ...}'"))
        return None
    new = replace(item, capacity=values.get("capacity", item.capacity), calendar=calendar)
    if change.target == "team":
        return replace(bp, teams={**bp.teams, name: new})
    return replace(bp, environments={**bp.environments, name: new})


def _apply_calendar(bp: Blueprint, change: Change, problems: list[Problem],
                    created: dict[str, Change]) -> Blueprint | None:
    name = change.ref or ""
    values = change.values
    old = bp.calendars.get(name)
    if old is None and "hours" not in values:
        problems.append(change.problem(
            f"unknown calendar {name!r} in blueprint {bp.id!r}",
            hint=_did_you_mean(name, bp.calendars) or
            "to add a new calendar give its 'hours' (and 'timezone')"))
        return None
    kwargs: dict[str, Any] = {} if old is None else {
        "timezone": old.timezone, "hours": old.hours, "holidays": old.holidays,
        "freezes": old.freezes}
    kwargs.update({k: v for k, v in values.items()})
    try:
        calendar = Calendar(name, **kwargs)
    except ValueError as exc:
        problems.append(change.problem(str(exc), next(iter(values))))
        return None
    if old is None:
        created[name] = change
    return replace(bp, calendars={**bp.calendars, name: calendar})


def _revalidate(bp: Blueprint) -> list[Problem]:
    """Problems of the changed blueprint, found by writing it out and loading it again.

    Subprocess files are named relative to the base blueprint's file; they are made
    absolute so the text loads from anywhere.
    """
    data = bp.to_dict()
    folder = Path(bp.source).resolve().parent if bp.source and not bp.source.startswith("<") \
        else Path.cwd()
    _absolute_processes(data, folder)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    try:
        # the subprocess files are the base's, checked when it was loaded
        load_blueprint(text, inputs=dict(bp.input_values) or None, allow_outside=True)
    except BlueprintError as exc:
        return exc.problems
    return []


def _absolute_processes(data: Any, folder: Path) -> None:
    if isinstance(data, dict):
        if data.get("type") == "subprocess" and isinstance(data.get("process"), str):
            data["process"] = str((folder / data["process"]).resolve())
        for value in data.values():
            _absolute_processes(value, folder)
    elif isinstance(data, list):
        for value in data:
            _absolute_processes(value, folder)


def _blame(change: Change, invalid: list[Problem]) -> list[Problem]:
    """The re-validation's problems, placed at the change that caused them."""
    key = next((k for k in ("depends-on", "remove", "approval", "failure", "calendar")
                if k in change.values), None)
    out = []
    for p in invalid:
        where = f" (at {p.path} of the changed blueprint)" if p.path else ""
        out.append(change.problem(
            f"after this change the blueprint is not valid: {p.message}{where}", key,
            hint=p.hint))
    return out
