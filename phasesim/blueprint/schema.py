"""The blueprint format as a JSON Schema, and the keys the loader accepts.

One source of truth: the loader takes its known keys (for unknown-key errors with a
did-you-mean) from :data:`PROPERTIES`, and ``phasesim schema`` prints
:func:`json_schema` for editors (e.g. the YAML language server's ``$schema``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["PROPERTIES", "json_schema", "known_keys"]

_ID = {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_-]*$"}
_TEXT = {"type": "string"}
_IDS = {"type": "array", "items": {"type": "string"}}
_STR_OR_LIST = {"oneOf": [{"type": "string"}, _IDS]}
_HOURS = {
    "description": "hours, or a duration text such as 45m, 4h, 2d (24 h), 1w",
    "oneOf": [{"type": "number", "minimum": 0},
              {"type": "string", "pattern": r"^\s*(\d+(\.\d*)?\s*[a-zA-Z]+\s*)+$"}],
}
_PAIR = {"type": "array", "items": _HOURS, "minItems": 2, "maxItems": 2}
_TRIPLE = {"type": "array", "items": _HOURS, "minItems": 3, "maxItems": 3}


def _one_key(name: str, value: dict[str, Any]) -> dict[str, Any]:
    # a distribution, optionally cut at a largest duration (max:)
    return {"type": "object", "properties": {name: value, "max": _HOURS}, "required": [name],
            "additionalProperties": False}


_DURATION: dict[str, Any] = {
    "description": "fixed duration, or one distribution (values in hours or duration text)",
    "oneOf": [
        _HOURS,
        _one_key("triangular", _TRIPLE),
        _one_key("pert", _TRIPLE),
        _one_key("uniform", _PAIR),
        _one_key("lognormal", {"type": "object", "required": ["median", "p90"],
                               "properties": {"median": _HOURS, "p90": _HOURS}}),
        _one_key("normal", {"type": "object", "required": ["mean", "sd"],
                            "properties": {"mean": _HOURS, "sd": _HOURS}}),
        _one_key("exponential", {"type": "object", "required": ["mean"],
                                 "properties": {"mean": _HOURS}}),
        _one_key("gamma", {"type": "object", "required": ["mean", "sd"],
                           "properties": {"mean": _HOURS, "sd": _HOURS}}),
        _one_key("weibull", {"type": "object", "required": ["shape", "scale"],
                             "properties": {"shape": {"type": "number", "exclusiveMinimum": 0},
                                            "scale": _HOURS}}),
        _one_key("empirical", {"type": "array", "items": _HOURS, "minItems": 1}),
    ],
}
_PROBABILITY = {"type": "number", "minimum": 0, "maximum": 1}
_EXPRESSION = {"type": ["string", "boolean"],
               "description": 'condition, e.g. <+releaseInput.environment> == "production"'}
_ANCHOR = {
    "oneOf": [
        {"type": "string", "description": "the next such weekly moment, e.g. 'Thu 12:00'"},
        {"type": "object", "description": "a planned slot: at that moment of the release's "
         "week-th week; a late release goes at once",
         "properties": {"at": {"type": "string"}, "week": {"type": "integer", "minimum": 1}},
         "required": ["at"], "additionalProperties": False},
    ]
}

#: Every object of the format: key -> JSON Schema of its value.
PROPERTIES: dict[str, dict[str, Any]] = {
    "process": {
        "id": _ID, "name": _TEXT, "description": _TEXT,
        "inputs": {"type": ["object", "array"]},
        "variables": {"type": "object"},
        "phases": {"type": "array", "items": {"$ref": "#/$defs/phase_item"}},
        "calendars": {"type": "object", "additionalProperties": {"$ref": "#/$defs/calendar"}},
        "teams": {"type": "object", "additionalProperties": {"$ref": "#/$defs/team"}},
        "environments": {"type": "object",
                         "additionalProperties": {"$ref": "#/$defs/environment"}},
        "outputs": {"type": ["object", "array"]},
    },
    "phase": {
        "id": _ID, "name": _TEXT, "description": _TEXT,
        "owners": _STR_OR_LIST,
        "depends-on": _STR_OR_LIST,
        "activities": {"type": "array", "items": {"$ref": "#/$defs/activity_item"}},
        "if": _EXPRESSION,
        "not-before": _ANCHOR,
        "calendar": _TEXT,
        "uses": _STR_OR_LIST,
        "rollback": {"type": "boolean"},
        "resume": {"type": "boolean",
                   "description": "rollback phases: afterwards retry what failed"},
        "variables": {"type": "object"},
        "outputs": {"type": ["object", "array"]},
    },
    "activity": {
        "id": _ID, "name": _TEXT, "description": _TEXT,
        "type": {"enum": ["manual", "automated", "subprocess", "wait"]},
        "depends-on": _STR_OR_LIST,
        "duration": _DURATION,
        "owner": _TEXT,
        "calendar": _TEXT,
        "if": _EXPRESSION,
        "approval": {"$ref": "#/$defs/approval"},
        "failure": {"$ref": "#/$defs/failure"},
        "not-before": _ANCHOR,
        "uses": _STR_OR_LIST,
        "for-each": {"type": ["string", "array"],
                     "description": "e.g. <+releaseInput.services>, or a list"},
        "data": {"type": "object"},
        "process": {"type": "string", "description": "subprocess file, relative to this one"},
        "inputs": {"type": "object"},
        "outputs": {"type": ["object", "array"]},
    },
    "approval": {
        "wait": _DURATION,
        "approvers": {"type": "integer", "minimum": 1},
        "required": {"type": "integer", "minimum": 1},
        "reject": {"type": "object", "required": ["probability", "goto"],
                   "properties": {"probability": _PROBABILITY, "goto": _TEXT},
                   "additionalProperties": False},
    },
    "reject": {"probability": _PROBABILITY, "goto": _TEXT},
    "failure": {
        "probability": _PROBABILITY,
        "retries": {"type": "integer", "minimum": 0},
        "on-failure": {"type": "string", "description": "a phase id, or abort"},
    },
    "calendar": {
        "timezone": {"type": "string", "description": "IANA name, e.g. Europe/Berlin"},
        "hours": {"type": "string", "description": "e.g. 'Mon-Fri 09:00-17:00' or '24/7'"},
        "holidays": {"type": "array", "items": {"type": "string", "format": "date"}},
        "freezes": {"type": "array", "items": {"type": "array", "minItems": 2, "maxItems": 2,
                                               "items": {"type": "string", "format": "date"}}},
        "description": _TEXT,
    },
    "team": {
        "capacity": {"type": "integer", "minimum": 1},
        "calendar": _TEXT,
        "description": _TEXT,
    },
    "environment": {
        "capacity": {"type": "integer", "minimum": 1},
        "production": {"type": "boolean"},
        "calendar": _TEXT,
        "description": _TEXT,
    },
    "input": {
        "type": {"enum": ["string", "number", "boolean", "list"]},
        "default": {},
        "description": _TEXT,
        "name": _TEXT,
    },
}

_REQUIRED = {
    "phase": ["id", "activities"],
    "activity": ["id"],
    "approval": ["wait"],
    "failure": ["probability"],
    "reject": ["probability", "goto"],
}
#: Keys that may stand beside ``process:`` or ``phase:`` at the top of a document.
SIDECAR_KEYS = ("calendars", "teams", "environments", "inputs", "variables")


def known_keys(kind: str) -> tuple[str, ...]:
    """The keys an object of this kind accepts."""
    return tuple(PROPERTIES[kind])


def json_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of the blueprint format, for editors."""

    def obj(kind: str) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "object", "properties": PROPERTIES[kind],
                               "additionalProperties": False}
        if kind in _REQUIRED:
            out["required"] = _REQUIRED[kind]
        return out

    sidecars = {k: PROPERTIES["process"][k] for k in SIDECAR_KEYS}
    activity_item = {
        "type": "object",
        "description": "- activity: {...} (nested) or - activity: StoreName with sibling keys",
        "properties": {"activity": {"oneOf": [{"$ref": "#/$defs/activity"},
                                              {"type": "string"}]},
                       **PROPERTIES["activity"]},
        "required": ["activity"],
        "additionalProperties": False,
    }
    phase_item = _one_key("phase", {"$ref": "#/$defs/phase"})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://phasesim.dev/schema/blueprint.json",
        "title": "phasesim release process blueprint",
        "oneOf": [
            {"type": "object", "required": ["process"],
             "properties": {"process": {"$ref": "#/$defs/process"}, **sidecars},
             "additionalProperties": False},
            {"type": "object", "required": ["phase"],
             "properties": {"phase": {"$ref": "#/$defs/phase"}, **sidecars},
             "additionalProperties": False},
            {"type": "array", "items": {"$ref": "#/$defs/phase_item"}},
        ],
        "$defs": {
            **{kind: obj(kind) for kind in PROPERTIES if kind != "reject"},
            "activity_item": activity_item,
            "phase_item": phase_item,
        },
    }
