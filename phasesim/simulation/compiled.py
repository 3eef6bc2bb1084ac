"""A blueprint compiled into flat, index-based tables for the simulation engine.

The engine runs hundreds of thousands of activity executions; looking things up in the
frozen blueprint objects each time would dominate. Compiling once resolves every
activity's calendar, team, environments, anchor and random-stream key, and each phase's
gating, so the engine only indexes lists.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from phasesim.calendars import Calendar, WeeklyAnchor

if TYPE_CHECKING:
    # compiling runs where the blueprint was loaded; a parallel worker only unpickles
    # the result, so it never imports networkx or the blueprint package
    import networkx as nx

    from phasesim.blueprint.model import Activity, Blueprint, NotBefore, Phase
    from phasesim.distributions import DurationSpec

__all__ = ["CompiledModel", "NodeSpec", "PhaseSpec", "compile_blueprint"]

#: The wall clock: automated and wait activities, and anything without a calendar.
WALL_CLOCK = Calendar.always("wall clock")


@dataclass(slots=True)
class NodeSpec:
    """One activity instance, resolved for the engine."""

    index: int
    key: str  # "phase_id.activity_id"
    phase: int
    phase_id: str
    activity_id: str
    kind: str  # manual, automated, approval, wait, subprocess
    owner: str | None
    team: str | None  # a declared team whose capacity manual work takes
    calendar: Calendar  # working time of manual work and approvals
    freeze_calendars: tuple[Calendar, ...]
    duration: DurationSpec | None
    anchor: WeeklyAnchor | None
    anchor_calendar: Calendar
    uses: tuple[str, ...]
    skipped: bool
    stream: int  # stable id of the node's random stream (CRN across scenarios)
    slot_week: int = 0  # > 0: the anchor is the planned slot of the release's week
    preds: tuple[int, ...] = ()  # activity-level predecessors (phase edges excluded)
    all_preds: tuple[int, ...] = ()  # every predecessor in the blueprint's graph
    succs: tuple[int, ...] = ()
    # approvals
    approvers: int = 0
    required: int = 0
    reject_p: float = 0.0
    reject_block: tuple[int, ...] = ()  # nodes re-run after a rejection, topological
    # failures
    fail_p: float = 0.0
    retries: int = 0
    on_failure: int | None = None  # rollback phase index; None = abort
    # subprocesses
    sub: CompiledModel | None = None
    wait_spec: DurationSpec | None = None
    #: no environments of its own, no rejection, no subprocess: the engine may schedule
    #: it without a SimPy process when its team is free and it does not roll back
    simple: bool = False

    def set_simple(self) -> None:
        self.simple = not self.uses and self.reject_p == 0.0 and self.sub is None


@dataclass(slots=True)
class PhaseSpec:
    """One phase's gating: what must happen before its entry activities may start."""

    index: int
    id: str
    nodes: tuple[int, ...]
    deps: tuple[int, ...]  # phase indices
    anchor: WeeklyAnchor | None
    anchor_calendar: Calendar
    uses: tuple[str, ...]
    freeze_calendars: tuple[Calendar, ...]
    skipped: bool
    rollback: bool
    resume: bool
    slot_week: int = 0


@dataclass
class CompiledModel:
    """Everything the engine needs about one blueprint (and its subprocesses)."""

    blueprint_id: str
    nodes: list[NodeSpec]
    phases: list[PhaseSpec]
    main_nodes: tuple[int, ...]  # non-rollback nodes in topological order
    team_capacity: dict[str, int] = field(default_factory=dict)
    environment_capacity: dict[str, int] = field(default_factory=dict)
    prefix: str = ""
    #: the engine's book-keeping of each block of nodes, built once (see engine._Plan)
    plans: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        return len(self.nodes)


def _anchor(value: NotBefore | None) -> WeeklyAnchor | None:
    from phasesim.blueprint.model import Slot

    return value.at if isinstance(value, Slot) else value


def _slot_week(value: NotBefore | None) -> int:
    from phasesim.blueprint.model import Slot

    return value.week if isinstance(value, Slot) else 0


def _stream_id(text: str) -> int:
    """A stable 32-bit id of a text (independent of Python's hash seed)."""
    return zlib.crc32(text.encode("utf-8"))


def _freeze_calendars(bp: Blueprint, uses: tuple[str, ...], own: Calendar | None
                      ) -> tuple[Calendar, ...]:
    """Calendars whose freezes block starting work that uses production environments."""
    out: list[Calendar] = []
    for name in uses:
        env = bp.environments.get(name)
        if env is None or not env.production:
            continue
        cal = bp.calendars.get(env.calendar) if env.calendar else own
        if cal is not None and cal.freezes and cal not in out:
            out.append(cal)
    return tuple(out)


def compile_blueprint(bp: Blueprint, prefix: str = "") -> CompiledModel:
    """Compile a bound blueprint for the engine.

    ``prefix`` names the phases of a subprocess inside its parent
    (``"parent_phase.activity/"``), so the event log keeps them apart.
    """
    import networkx as nx

    from phasesim.blueprint.graph import build_graph, is_skipped

    graph = build_graph(bp, durations=False)
    order = list(nx.lexicographical_topological_sort(
        graph, key={n: i for i, n in enumerate(graph.nodes)}.__getitem__))
    index = {n: i for i, n in enumerate(graph.nodes)}
    phase_index = {ph.id: k for k, ph in enumerate(bp.phases)}
    nodes: list[NodeSpec] = []
    for node, data in graph.nodes(data=True):
        ph, act = data["phase"], data["activity"]
        nodes.append(_node(bp, node, index[node], phase_index[ph.id], ph, act, data, prefix))
    for spec in nodes:
        node = spec.key if not prefix else spec.key[len(prefix):]
        own_phase = graph.nodes[node]["phase_id"]
        local = [index[p] for p in graph.predecessors(node)
                 if _is_activity_edge(graph, p, node, own_phase)]
        spec.preds = tuple(sorted(local))
        spec.all_preds = tuple(sorted(index[p] for p in graph.predecessors(node)))
    succs: dict[int, list[int]] = {i: [] for i in range(len(nodes))}
    for spec in nodes:
        for p in spec.preds:
            succs[p].append(spec.index)
    for spec in nodes:
        spec.succs = tuple(succs[spec.index])
    phases = []
    for k, ph in enumerate(bp.phases):
        own = bp.calendars.get(ph.calendar) if ph.calendar else None
        phases.append(PhaseSpec(
            index=k, id=prefix + ph.id,
            nodes=tuple(index[n] for n in graph.nodes
                        if graph.nodes[n]["phase_id"] == ph.id),
            deps=tuple(phase_index[d] for d in ph.depends_on),
            anchor=_anchor(ph.not_before),
            slot_week=_slot_week(ph.not_before),
            anchor_calendar=own or WALL_CLOCK,
            uses=ph.uses,
            freeze_calendars=_freeze_calendars(bp, ph.uses, own),
            skipped=is_skipped(bp, ph),
            rollback=ph.rollback,
            resume=ph.resume,
        ))
    model = CompiledModel(
        blueprint_id=bp.id,
        nodes=nodes,
        phases=phases,
        main_nodes=tuple(index[n] for n in order if not graph.nodes[n]["rollback"]),
        team_capacity={t.id: t.capacity for t in bp.teams.values()},
        environment_capacity={e.id: e.capacity for e in bp.environments.values()},
        prefix=prefix,
    )
    for spec in nodes:
        node = spec.key[len(prefix):]
        act = graph.nodes[node]["activity"]
        if act.approval is not None and act.approval.reject is not None:
            spec.reject_block = _rework_block(bp, graph, index, order, node,
                                              act.approval.reject.goto,
                                              graph.nodes[node]["phase_id"])
        if act.failure is not None and act.failure.on_failure != "abort":
            spec.on_failure = phase_index[act.failure.on_failure]
        spec.set_simple()
        if spec.sub is not None:
            for team, cap in spec.sub.team_capacity.items():
                model.team_capacity.setdefault(team, cap)
            for env, cap in spec.sub.environment_capacity.items():
                model.environment_capacity.setdefault(env, cap)
    return model


def _is_activity_edge(graph: nx.DiGraph, pred: str, node: str, phase_id: str) -> bool:
    """Whether ``pred -> node`` comes from an activity's own depends-on (not a phase's)."""
    act = graph.nodes[node]["activity"]
    pred_phase = graph.nodes[pred]["phase_id"]
    pred_template = graph.nodes[pred]["activity"].template_id
    for dep in act.depends_on:
        pid, _, aid = dep.rpartition(".")
        if (pid or phase_id) == pred_phase and aid == pred_template:
            return True
    return False


def _node(bp: Blueprint, key: str, i: int, k: int, ph: Phase, act: Activity,
          data: dict[str, Any], prefix: str) -> NodeSpec:
    team = bp.team_of(ph, act)
    calendar = bp.calendar_of(ph, act)
    own = bp.calendars.get(act.calendar or ph.calendar or "")
    anchor_cal = own or calendar
    spec = NodeSpec(
        index=i,
        key=prefix + key,
        phase=k,
        phase_id=prefix + ph.id,
        activity_id=act.id,
        kind=act.kind,
        owner=team,
        team=team if team in bp.teams else None,
        calendar=calendar or WALL_CLOCK,
        freeze_calendars=_freeze_calendars(bp, act.uses, own),
        duration=act.duration,
        anchor=_anchor(act.not_before),
        slot_week=_slot_week(act.not_before),
        anchor_calendar=anchor_cal or WALL_CLOCK,
        uses=act.uses,
        skipped=bool(data["skipped"]),
        stream=_stream_id(prefix + key),
    )
    if act.approval is not None:
        spec.approvers = act.approval.approvers
        spec.required = act.approval.required
        spec.wait_spec = act.approval.wait
        if act.approval.reject is not None:
            spec.reject_p = act.approval.reject.probability
    if act.failure is not None:
        spec.fail_p = act.failure.probability
        spec.retries = act.failure.retries
    if act.subprocess is not None:
        spec.sub = compile_blueprint(act.subprocess, prefix=f"{prefix}{key}/")
    return spec


def _rework_block(bp: Blueprint, graph: nx.DiGraph, index: dict[str, int], order: list[str],
                  gate: str, goto: str, phase_id: str) -> tuple[int, ...]:
    """Nodes that run again when the gate rejects: from ``goto`` up to the gate.

    ``goto`` is a phase (all its activities) or an activity (``id`` in the gate's phase,
    or ``phase.id``). The block is every node that is the target or lies on a path from
    the target to the gate, excluding the gate itself, in topological order. For the
    gate's own phase the targets are its activities except the gate's descendants.
    """
    import networkx as nx

    phase_ids = {ph.id for ph in bp.phases}
    if goto in phase_ids:
        targets = [n for n in graph.nodes if graph.nodes[n]["phase_id"] == goto]
        if goto == phase_id:
            # the gate's own phase: its activities up to the gate; those after the gate
            # wait for it to pass and run once then, not inside the rework
            after = nx.descendants(graph, gate)
            targets = [n for n in targets if n not in after]
    else:
        pid, _, aid = goto.rpartition(".")
        pid = pid or phase_id
        targets = [n for n in graph.nodes if graph.nodes[n]["phase_id"] == pid
                   and graph.nodes[n]["activity"].template_id == aid]
    ancestors = nx.ancestors(graph, gate)
    block: set[str] = set()
    for target in targets:
        block.add(target)
        block |= nx.descendants(graph, target) & ancestors
    block.discard(gate)
    return tuple(index[n] for n in order if n in block)
