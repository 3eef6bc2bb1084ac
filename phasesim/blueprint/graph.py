"""The blueprint as a graph: for-each expansion, the activity DAG, and the critical path.

Node ids are ``"phase_id.activity_id"`` (an instance of a ``for-each`` activity has the
id ``"template[item]"``). An edge ``u -> v`` means that ``v`` waits for ``u``. A phase
``B`` that depends on ``A`` is expanded into edges from ``A``'s exit activities (those no
other activity of ``A`` waits for) to ``B``'s entry activities (those that wait for no
other activity of ``B``); every activity of ``B`` therefore waits for all of ``A``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import networkx as nx
import pandas as pd

from phasesim.blueprint.expressions import is_reference_only
from phasesim.units import format_hours, format_number

if TYPE_CHECKING:
    from phasesim.blueprint.model import Activity, Blueprint, Phase

__all__ = [
    "CriticalPath",
    "activity_table",
    "build_graph",
    "build_phase_graph",
    "critical_path",
    "expand_phase",
    "node_id",
    "resolve_reference",
]

_INPUT_PREFIXES = ("releaseInput.global.", "releaseInput.", "pipeline.variables.")
_VARIABLE_PREFIXES = ("phase.variables.", "process.variables.", "variables.")


def node_id(phase_id: str, activity_id: str) -> str:
    """The graph node id of an activity (instance)."""
    return f"{phase_id}.{activity_id}"


def resolve_reference(bp: Blueprint, reference: str, phase: Phase | None = None) -> Any:
    """Value of ``<+reference>`` for the bound inputs and variables (KeyError if none)."""
    for prefix in _INPUT_PREFIXES:
        if reference.startswith(prefix):
            return bp.input_values[reference[len(prefix):]]
    for prefix in _VARIABLE_PREFIXES:
        if reference.startswith(prefix):
            name = reference[len(prefix):]
            if phase is not None and name in phase.variables and prefix != "process.variables.":
                return phase.variables[name]
            return bp.variables[name]
    raise KeyError(reference)


def _items(bp: Blueprint, phase: Phase, act: Activity) -> list[Any] | None:
    if act.for_each is None:
        return None
    if isinstance(act.for_each, list):
        return list(act.for_each)
    ref = is_reference_only(act.for_each)
    value = resolve_reference(bp, ref, phase) if ref else []
    return list(value) if isinstance(value, list | tuple) else [value]


def expand_phase(bp: Blueprint, phase: Phase) -> tuple[Activity, ...]:
    """The activities of ``phase`` with each ``for-each`` repeated once per item."""
    out: list[Activity] = []
    for act in phase.activities:
        items = _items(bp, phase, act)
        if items is None:
            out.append(act)
        else:
            out.extend(replace(act, id=f"{act.id}[{item}]", name=f"{act.name} [{item}]", item=item)
                       for item in items)
    return tuple(out)


def is_skipped(bp: Blueprint, phase: Phase, act: Activity | None = None) -> bool:
    """Whether the ``if:`` of the phase (or the activity) is false for the bound inputs."""
    for cond in (phase.condition, act.condition if act is not None else None):
        if cond is not None and not cond.evaluate_bool(
                lambda ref: resolve_reference(bp, ref, phase)):
            return True
    return False


def build_phase_graph(bp: Blueprint) -> nx.DiGraph:
    """DiGraph over phase ids; edge ``a -> b`` when ``b`` depends on ``a``."""
    graph = nx.DiGraph()
    for ph in bp.phases:
        graph.add_node(ph.id, phase=ph, rollback=ph.rollback, name=ph.name)
    for ph in bp.phases:
        for dep in ph.depends_on:
            graph.add_edge(dep, ph.id)
    return graph


def build_graph(bp: Blueprint, *, durations: bool = True) -> nx.DiGraph:
    """The activity DAG of a blueprint (see the module docstring); ``durations=False``
    leaves out the mean durations (``duration_h``), which the simulator does not need and
    which for a k-of-n approval means numerical integration."""
    graph = nx.DiGraph()
    templates: dict[tuple[str, str], list[Activity]] = {}
    phases = {ph.id: ph for ph in bp.phases}
    for ph in bp.phases:
        phase_skipped = is_skipped(bp, ph)
        for act in ph.activities:
            templates[(ph.id, act.id)] = []
        for inst in bp.instances(ph):
            templates[(ph.id, inst.template_id)].append(inst)
            graph.add_node(
                node_id(ph.id, inst.id),
                phase_id=ph.id,
                activity_id=inst.id,
                phase=ph,
                activity=inst,
                rollback=ph.rollback,
                skipped=phase_skipped or is_skipped(bp, ph, inst),
                **({"duration_h": inst.mean_duration_h()} if durations else {}),
            )

    def template_nodes(pid: str, tid: str, seen: frozenset[tuple[str, str]] = frozenset()
                       ) -> list[str]:
        """Nodes standing for a template; an empty for-each passes its dependencies on."""
        insts = templates.get((pid, tid), [])
        if insts:
            return [node_id(pid, a.id) for a in insts]
        template = phases[pid].activity(tid)
        out: list[str] = []
        for dep in template.depends_on:
            key = _split(dep, pid)
            if key not in seen:
                out.extend(template_nodes(*key, seen=seen | {key}))
        return out

    entries: dict[str, list[str]] = {}
    for ph in bp.phases:
        for act in ph.activities:
            for inst in templates[(ph.id, act.id)]:
                target = node_id(ph.id, inst.id)
                for dep in act.depends_on:
                    pid, tid = _split(dep, ph.id)
                    dep_insts = templates.get((pid, tid), [])
                    paired = (inst.item is not None and dep_insts
                              and phases[pid].activity(tid).for_each == act.for_each
                              and any(d.item == inst.item for d in dep_insts))
                    if paired:
                        sources = [node_id(pid, d.id) for d in dep_insts if d.item == inst.item]
                    else:
                        sources = template_nodes(pid, tid)
                    for src in sources:
                        graph.add_edge(src, target)
        local = [n for n, d in graph.nodes(data=True) if d["phase_id"] == ph.id]
        entries[ph.id] = [n for n in local
                          if not any(graph.nodes[p]["phase_id"] == ph.id
                                     for p in graph.predecessors(n))]

    def exits(pid: str, seen: frozenset[str] = frozenset()) -> list[str]:
        local = [n for n, d in graph.nodes(data=True) if d["phase_id"] == pid]
        if local:
            return [n for n in local
                    if not any(graph.nodes[s]["phase_id"] == pid for s in graph.successors(n))]
        out: list[str] = []
        for dep in phases[pid].depends_on:
            if dep not in seen:
                out.extend(exits(dep, seen | {dep}))
        return out

    phase_exits = {ph.id: exits(ph.id) for ph in bp.phases}
    for ph in bp.phases:
        for dep in ph.depends_on:
            for src in phase_exits[dep]:
                for dst in entries[ph.id]:
                    graph.add_edge(src, dst)
    return graph


def _split(ref: str, phase_id: str) -> tuple[str, str]:
    if "." in ref:
        pid, aid = ref.split(".", 1)
        return pid, aid
    return phase_id, ref


@dataclass(frozen=True)
class CriticalPath:
    """Result of the critical-path method.

    Attributes
    ----------
    path : tuple of str
        Node ids on the critical path, in order.
    length_h : float
        Its length in hours (mean durations).
    table : pandas.DataFrame
        Per node: ``phase_id``, ``activity_id``, ``duration_h``, ``es_h``, ``ef_h``,
        ``ls_h``, ``lf_h``, ``slack_h``, ``skipped`` (its ``if:`` is false for the
        inputs: zero time, never critical), ``critical``.
    """

    path: tuple[str, ...]
    length_h: float
    table: pd.DataFrame

    def __repr__(self) -> str:
        return f"<CriticalPath {format_hours(round(self.length_h, 4))}: {' -> '.join(self.path)}>"

    def _repr_html_(self) -> str:
        head = (f"<p><b>Critical path</b>: {html.escape(' → '.join(self.path))} "
                f"({self.length_h:.2f} h)</p>")
        return head + self.table.to_html(float_format=lambda v: format_number(v, ".2f"))


def critical_path(bp: Blueprint) -> CriticalPath:
    """Critical-path method over the activity DAG, rollback phases left out.

    Skipped activities (their ``if`` is false for the bound inputs) take zero time, are
    never on the path (what depends on them waits for what they waited for) and are
    marked ``skipped`` in the table, never ``critical``. Ties are broken by node order,
    so the result is deterministic.
    """
    full = bp.graph
    graph = full.subgraph(n for n, d in full.nodes(data=True) if not d["rollback"])
    order = list(nx.lexicographical_topological_sort(graph, key=_order_key(graph)))
    dur = {n: 0.0 if graph.nodes[n]["skipped"] else float(graph.nodes[n]["duration_h"])
           for n in order}
    es: dict[str, float] = {}
    for n in order:
        es[n] = max((es[p] + dur[p] for p in graph.predecessors(n)), default=0.0)
    ef = {n: es[n] + dur[n] for n in order}
    length = max(ef.values(), default=0.0)
    lf: dict[str, float] = {}
    for n in reversed(order):
        lf[n] = min((lf[s] - dur[s] for s in graph.successors(n)), default=length)
    ls = {n: lf[n] - dur[n] for n in order}
    tol = 1e-9 * max(1.0, length)
    path: list[str] = []
    current = max(order, key=lambda n: (ef[n], -order.index(n))) if order else None
    while current is not None:
        path.append(current)
        preds = [p for p in graph.predecessors(current) if abs(ef[p] - es[current]) <= tol]
        current = min(preds, key=order.index) if preds else None
    path.reverse()
    skipped = {n: bool(graph.nodes[n]["skipped"]) for n in order}
    path = [n for n in path if not skipped[n]]
    table = pd.DataFrame(
        {
            "phase_id": [graph.nodes[n]["phase_id"] for n in order],
            "activity_id": [graph.nodes[n]["activity_id"] for n in order],
            "duration_h": [dur[n] for n in order],
            "es_h": [es[n] for n in order],
            "ef_h": [ef[n] for n in order],
            "ls_h": [ls[n] for n in order],
            "lf_h": [lf[n] for n in order],
            "slack_h": [max(0.0, ls[n] - es[n]) for n in order],
        },
        index=pd.Index(order, name="node"),
    )
    table["skipped"] = [skipped[n] for n in order]
    table["critical"] = (table["slack_h"] <= tol) & ~table["skipped"]
    return CriticalPath(tuple(path), float(length), table)


def _order_key(graph: nx.DiGraph) -> Any:
    position = {n: i for i, n in enumerate(graph.nodes)}
    return lambda n: position[n]


def describe_duration(act: Activity) -> str:
    """Short text of an activity's time: its duration, gate or subprocess."""
    if act.approval is not None:
        gate = (f"{act.approval.required} of {act.approval.approvers} approve, "
                f"each {act.approval.wait}")
        if act.approval.reject is not None:
            gate += (f"; reject {act.approval.reject.probability:g} -> "
                     f"{act.approval.reject.goto}")
        return gate
    if act.subprocess is not None:
        return f"subprocess {act.process}"
    return str(act.duration) if act.duration is not None else "0h"


def activity_table(bp: Blueprint) -> pd.DataFrame:
    """One row per activity instance, in blueprint order, with CPM figures."""
    cpm = critical_path(bp).table
    rows = []
    for node, data in bp.graph.nodes(data=True):
        ph, act = data["phase"], data["activity"]
        rows.append({
            "phase": ph.id,
            "activity": act.id,
            "name": act.name,
            "type": act.kind,
            "owner": bp.team_of(ph, act),
            "duration": describe_duration(act),
            "mean_h": data["duration_h"],
            "depends_on": ", ".join(_split_name(p, ph.id) for p in bp.graph.predecessors(node)),
            "if": str(act.condition or ph.condition or ""),
            "not_before": str(act.not_before or ""),
            "uses": ", ".join((*ph.uses, *act.uses)),
            "failure": (f"p={act.failure.probability:g}, retries={act.failure.retries}, "
                        f"-> {act.failure.on_failure}") if act.failure else "",
            "skipped": data["skipped"],
            "rollback": data["rollback"],
            "slack_h": cpm["slack_h"].get(node, float("nan")),
            "critical": bool(cpm["critical"].get(node, False)),
        })
    return pd.DataFrame(rows)


def _split_name(node: str, phase_id: str) -> str:
    pid, aid = node.split(".", 1)
    return aid if pid == phase_id else node


def blueprint_html(bp: Blueprint) -> str:
    """HTML for Jupyter: a heading, the shared resources and the activity table."""
    cpm = critical_path(bp)
    esc = html.escape
    parts = [f"<div><h4>Blueprint {esc(bp.name)} <code>{esc(bp.id)}</code></h4>"]
    if bp.description:
        parts.append(f"<p>{esc(bp.description)}</p>")
    resources = [f"{len(bp.phases)} phases", f"{len(bp.graph)} activities"]
    if bp.teams:
        resources.append("teams: " + ", ".join(
            f"{esc(t.id)} ({t.capacity})" for t in bp.teams.values()))
    if bp.environments:
        resources.append("environments: " + ", ".join(
            f"{esc(e.id)} ({e.capacity}{', prod' if e.production else ''})"
            for e in bp.environments.values()))
    parts.append("<p>" + "; ".join(resources) + "</p>")
    parts.append(f"<p>Critical path ({cpm.length_h:.2f} h of work, before calendars and "
                 f"queues): {esc(' → '.join(cpm.path))}</p>")
    table = activity_table(bp).drop(columns=["skipped", "rollback"])
    parts.append(table.to_html(index=False, escape=True, na_rep="",
                               float_format=lambda v: format_number(v, ".2f")))
    parts.append("</div>")
    return "\n".join(parts)


def inputs_summary(values: Mapping[str, Any]) -> str:
    """``name=value`` pairs of bound inputs, for one-line displays."""
    return ", ".join(f"{k}={v!r}" for k, v in values.items())
