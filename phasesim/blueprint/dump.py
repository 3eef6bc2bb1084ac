"""Write a blueprint back to YAML that :func:`load_blueprint` reads as an equal object."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from phasesim.blueprint.model import Activity, Blueprint, Phase
    from phasesim.calendars import Calendar

__all__ = ["blueprint_to_data", "blueprint_to_yaml"]


def _put(out: dict[str, Any], key: str, value: Any, default: Any = None) -> None:
    if value is not None and value != default and value != () and value != {}:
        out[key] = list(value) if isinstance(value, tuple) else value


def _not_before(value: Any) -> Any:
    from phasesim.blueprint.model import Slot

    if isinstance(value, Slot):
        return {"at": str(value.at), "week": value.week}
    return str(value)


def _calendar(cal: Calendar) -> dict[str, Any]:
    out: dict[str, Any] = {"timezone": cal.timezone, "hours": cal.hours}
    _put(out, "holidays", list(cal.holidays))
    _put(out, "freezes", [[a, b] for a, b in cal.freezes])
    return out


def _activity(act: Activity) -> dict[str, Any]:
    body: dict[str, Any] = {"id": act.id}
    _put(body, "name", act.name, act.id)
    if act.store is None or act.type != "automated":
        body["type"] = act.type
    _put(body, "description", act.description)
    _put(body, "depends-on", act.depends_on)
    if act.duration is not None:
        body["duration"] = act.duration.to_data()
    _put(body, "owner", act.owner)
    _put(body, "calendar", act.calendar)
    if act.condition is not None:
        body["if"] = act.condition.text
    if act.approval is not None:
        gate: dict[str, Any] = {"wait": act.approval.wait.to_data(),
                                "approvers": act.approval.approvers,
                                "required": act.approval.required}
        if act.approval.reject is not None:
            gate["reject"] = {"probability": act.approval.reject.probability,
                              "goto": act.approval.reject.goto}
        body["approval"] = gate
    if act.failure is not None:
        body["failure"] = {"probability": act.failure.probability,
                           "retries": act.failure.retries,
                           "on-failure": act.failure.on_failure}
    if act.not_before is not None:
        body["not-before"] = _not_before(act.not_before)
    _put(body, "uses", act.uses)
    _put(body, "for-each", act.for_each)
    _put(body, "process", act.process)
    _put(body, "inputs", dict(act.inputs))
    _put(body, "data", dict(act.data))
    _put(body, "outputs", dict(act.outputs))
    if act.store is not None:
        return {"activity": act.store, **body}
    return {"activity": body}


def _phase(ph: Phase) -> dict[str, Any]:
    body: dict[str, Any] = {"id": ph.id}
    _put(body, "name", ph.name, ph.id)
    _put(body, "description", ph.description)
    _put(body, "owners", ph.owners)
    body["depends-on"] = list(ph.depends_on)
    if ph.condition is not None:
        body["if"] = ph.condition.text
    if ph.not_before is not None:
        body["not-before"] = _not_before(ph.not_before)
    _put(body, "calendar", ph.calendar)
    _put(body, "uses", ph.uses)
    if ph.rollback:
        body["rollback"] = True
    if ph.resume:
        body["resume"] = True
    _put(body, "variables", dict(ph.variables))
    _put(body, "outputs", dict(ph.outputs))
    body["activities"] = [_activity(a) for a in ph.activities]
    return {"phase": body}


def blueprint_to_data(bp: Blueprint) -> Any:
    """The blueprint as plain data in the shape it was read in."""
    sidecars: dict[str, Any] = {}
    if bp.inputs:
        inputs: dict[str, Any] = {}
        for spec in bp.inputs:
            entry: dict[str, Any] = {"type": spec.type}
            _put(entry, "default", spec.default)
            _put(entry, "description", spec.description)
            inputs[spec.name] = entry
        sidecars["inputs"] = inputs
    _put(sidecars, "variables", dict(bp.variables))
    if bp.calendars:
        sidecars["calendars"] = {n: _calendar(c) for n, c in bp.calendars.items()}
    if bp.teams:
        sidecars["teams"] = {}
        for team in bp.teams.values():
            entry = {"capacity": team.capacity}
            _put(entry, "calendar", team.calendar)
            _put(entry, "description", team.description)
            sidecars["teams"][team.id] = entry
    if bp.environments:
        sidecars["environments"] = {}
        for env in bp.environments.values():
            entry = {"capacity": env.capacity}
            if env.production:
                entry["production"] = True
            _put(entry, "calendar", env.calendar)
            _put(entry, "description", env.description)
            sidecars["environments"][env.id] = entry
    phases = [_phase(ph) for ph in bp.phases]
    if bp.shape == "list" and not sidecars:
        return phases
    if bp.shape == "phase" and len(phases) == 1:
        return {**phases[0], **sidecars}
    body: dict[str, Any] = {"id": bp.id}
    _put(body, "name", bp.name, bp.id)
    _put(body, "description", bp.description)
    body.update(sidecars)
    body["phases"] = phases
    return {"process": body}


class _Dumper(yaml.SafeDumper):
    """Safe dumper that indents lists under their key, as the product docs do."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def blueprint_to_yaml(bp: Blueprint, path: str | None = None) -> str:
    """YAML text of the blueprint; written to ``path`` too when given."""
    text = yaml.dump(blueprint_to_data(bp), Dumper=_Dumper, sort_keys=False,
                     allow_unicode=True, width=100, default_flow_style=None)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text
