"""A compiled model as flat numpy arrays, for the numba event loop.

Built once per model (and per horizon: calendars become tables of working intervals,
anchors tables of their weekly moments, covering the years the runs can reach). Only the
Python side imports this; workers get the arrays pickled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from phasesim.calendars import (
    _US_PER_HOUR,
    Calendar,
    WeeklyAnchor,
    _local_us,
)
from phasesim.simulation.compiled import CompiledModel, NodeSpec, PhaseSpec

__all__ = ["FastModel", "build", "unsupported"]

_KINDS = {"manual": 0, "automated": 1, "approval": 2, "wait": 3, "subprocess": 4}


def unsupported(model: CompiledModel, policies: dict[str, Any]) -> str | None:
    """Why the compiled engine cannot run this model with these policies (None: it can)."""
    # a forecast's starting state: only the clock's start is compiled (releases that all
    # start at or after it, none in flight, nothing busy), see fast.chunk.run_chunk
    states = [s for s in policies.get("states") or () if s is not None]
    if states:
        return (f"the forecast's starting state is not compiled yet ({len(states)} "
                f"release(s) in flight at now: their finished, running and entered work)")
    if any(policies.get("busy") or {}):
        return "busy teams or environments at the start (busy) are not compiled yet"
    extra = sorted(set(policies) - {"max_in_flight", "serialize", "max_rework", "now",
                                    "states", "busy"})
    if extra:
        return f"{', '.join(extra)} is not compiled yet"
    flat = _flat(model)[0]
    for spec in flat[len(model.nodes):]:  # the nodes of subprocesses
        if spec.reject_p > 0.0 or spec.on_failure is not None:
            return (f"rejection rework or a rollback inside a subprocess is not compiled "
                    f"yet ({spec.key})")
    in_rework = {m for spec in model.nodes if spec.reject_p > 0.0 for m in spec.reject_block}
    for spec in flat:
        if spec.sub is not None and any(ph.rollback for ph in spec.sub.phases):
            return f"a subprocess with rollback phases is not compiled yet ({spec.key})"
        if spec.sub is not None and (spec.reject_p > 0.0 or spec.on_failure is not None):
            return (f"a subprocess that rejects or rolls back is not compiled yet "
                    f"({spec.key})")
    for spec in model.nodes:
        # a rework or rollback block that reruns a subprocess is not handled
        if spec.kind == "subprocess" or spec.sub is not None:
            if spec.index in in_rework:
                return (f"a subprocess inside a rejection rework block is not compiled "
                        f"yet ({spec.key})")
            if model.phases[spec.phase].rollback:
                return (f"a subprocess inside a rollback phase is not compiled yet "
                        f"({spec.key})")
    for spec in flat:
        if spec.kind == "subprocess" and spec.sub is None:
            return f"a subprocess without its process is not compiled ({spec.key})"
        if spec.sub is not None and spec.uses:
            # the engine gives them back three steps after a halt, when the subprocess's
            # process resumes; the loop does not replay that yet
            return (f"a subprocess holding environments of its own is not compiled yet "
                    f"({spec.key})")
        if spec.reject_p > 0.0 and spec.index < len(model.nodes) \
                and spec is model.nodes[spec.index]:
            why = _rework_unsupported(model, spec)
            if why is not None:
                return f"{why} ({spec.key})"
        if spec.on_failure is not None and spec is model.nodes[spec.index] \
                and model.phases[spec.phase].rollback:
            return f"a rollback from inside a rollback phase is not compiled yet ({spec.key})"
        if spec.kind not in _KINDS:
            return f"activity type {spec.kind!r} is not compiled ({spec.key})"
    return _concurrent_rollbacks(model)


def _concurrent_rollbacks(model: CompiledModel) -> str | None:
    """Why two rollbacks of the same phase could run at once in a release (activities
    in parallel branches that both roll back to it), which the compiled engine, keeping
    one block per rollback phase and release, does not run; None when they cannot."""
    nodes = model.nodes
    ancestors: dict[int, set[int]] = {}
    for n in model.main_nodes:  # topological: predecessors come first
        seen: set[int] = set()
        for p in nodes[n].all_preds:
            seen.add(p)
            seen |= ancestors.get(p, set())
        ancestors[n] = seen
    by_phase: dict[int, list[int]] = {}
    for spec in nodes:
        if spec.on_failure is not None:
            by_phase.setdefault(spec.on_failure, []).append(spec.index)
    for k, failing in by_phase.items():
        for i, a in enumerate(failing):
            for b in failing[i + 1:]:
                if a not in ancestors.get(b, set()) and b not in ancestors.get(a, set()):
                    return (f"parallel rollbacks to one phase are not compiled yet "
                            f"({nodes[a].key} and {nodes[b].key} roll back to "
                            f"{model.phases[k].id})")
    return None


def _rework_unsupported(model: CompiledModel, gate: Any) -> str | None:
    """Why the rework block of a rejecting approval is not compiled (None: it is).

    Compiled: a block outside rollback phases, of activities that reject nothing
    themselves, whose phases (other than the gate's own, open while the gate runs) have
    no gate of their own to pass again (anchor, environments, freezes), and that shares
    no phase with the block of another rejecting approval."""
    nodes, phases = model.nodes, model.phases
    mine = {gate.phase} | {nodes[m].phase for m in gate.reject_block}
    if any(phases[k].rollback for k in mine):
        return "rejection rework in a rollback phase is not compiled yet"
    for m in gate.reject_block:
        if nodes[m].reject_p > 0.0:
            return "nested rejection rework is not compiled yet"
        ph = phases[nodes[m].phase]
        if ph.index != gate.phase and not ph.skipped and (
                ph.anchor is not None or ph.uses or ph.freeze_calendars):
            return "rejection rework into a phase with a gate is not compiled yet"
    for other in model.nodes:
        if other.reject_p > 0.0 and other.index != gate.index:
            theirs = {other.phase} | {nodes[m].phase for m in other.reject_block}
            if mine & theirs:
                return "rejection rework of overlapping blocks is not compiled yet"
    return None


@dataclass
class FastModel:
    """The arrays of one model; ``calendar_arrays(years)`` adds the time tables."""

    model: CompiledModel
    arrays: dict[str, np.ndarray]
    calendars: list[Calendar]
    freezes: list[Calendar]
    anchors: list[tuple[WeeklyAnchor, Calendar]]
    slots: list[tuple[WeeklyAnchor, Calendar, int]]
    n_teams: int
    pool_names: list[str]
    max_tries: int
    #: every node of the arrays: the model's, then each subprocess's (flattened)
    nodes: list[NodeSpec] = field(default_factory=list)
    _tables: dict[tuple[int, int], dict[str, np.ndarray]] = field(default_factory=dict)

    def tables(self, lo_year: int, hi_year: int) -> dict[str, np.ndarray]:
        key = (lo_year, hi_year)
        out = self._tables.get(key)
        if out is None:
            # shared by the models of one session that use the same calendars and anchors
            # (the scenarios of a sensitivity analysis, say)
            shared = (tuple(self.calendars), tuple(self.freezes), tuple(self.anchors),
                      lo_year, hi_year)
            out = _TABLES.get(shared)
            if out is None:
                if len(_TABLES) >= 64:
                    _TABLES.clear()
                out = _TABLES[shared] = _time_tables(self, lo_year, hi_year)
            self._tables[key] = out
        return out


#: time tables by (calendars, freezes, anchors, years)
_TABLES: dict[tuple[Any, ...], dict[str, np.ndarray]] = {}


def _csr(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    idx = np.array([v for x in lists for v in x], dtype=np.int64)
    return ptr, idx


def _flat(model: CompiledModel) -> tuple[list[NodeSpec],
                                        list[tuple[CompiledModel, int, int, int]]]:
    """Every node of a model and its subprocesses, and where each (sub)model sits:
    (model, first node, first phase, the node that runs it or -1). The model's own
    nodes and phases keep their indices; each subprocess's follow, in the order of the
    nodes that run them (breadth first)."""
    blocks: list[tuple[CompiledModel, int, int, int]] = [(model, 0, 0, -1)]
    n_nodes, n_phases = len(model.nodes), len(model.phases)
    i = 0
    while i < len(blocks):
        m, noff, _, _ = blocks[i]
        for spec in m.nodes:
            if spec.sub is not None:
                blocks.append((spec.sub, n_nodes, n_phases, noff + spec.index))
                n_nodes += len(spec.sub.nodes)
                n_phases += len(spec.sub.phases)
        i += 1
    return [spec for m, _, _, _ in blocks for spec in m.nodes], blocks


def build(model: CompiledModel) -> FastModel:
    """Flatten a compiled model (without rework or rollbacks); a subprocess's nodes and
    phases join the arrays after the model's, its members listed under the node that
    runs it (``sub_mem_*``, ``sub_ph_*``)."""
    nodes, blocks = _flat(model)
    phases: list[PhaseSpec] = [ph for m, _, _, _ in blocks for ph in m.phases]
    N, P = len(nodes), len(phases)
    node_off = [b[1] for b in blocks for _ in b[0].nodes]
    phase_off = [b[2] for b in blocks for _ in b[0].nodes]
    node_sub = [b[3] for b in blocks for _ in b[0].nodes]
    ph_node_off = [b[1] for b in blocks for _ in b[0].phases]
    ph_phase_off = [b[2] for b in blocks for _ in b[0].phases]
    phase_sub = [b[3] for b in blocks for _ in b[0].phases]
    ph_model = [b[0] for b in blocks for _ in b[0].phases]
    team_names = list(model.team_capacity)
    env_names = list(model.environment_capacity)
    pool_index = {("team", t): i for i, t in enumerate(team_names)}
    pool_index.update({("env", e): len(team_names) + i for i, e in enumerate(env_names)})
    pool_cap = np.array([model.team_capacity[t] for t in team_names]
                        + [model.environment_capacity[e] for e in env_names], dtype=np.int64)
    calendars: list[Calendar] = []
    cal_index: dict[Calendar, int] = {}

    def cal(c: Calendar) -> int:
        if c not in cal_index:
            cal_index[c] = len(calendars)
            calendars.append(c)
        return cal_index[c]

    freezes: list[Calendar] = []
    frz_index: dict[Calendar, int] = {}

    def frz(c: Calendar) -> int:
        if c not in frz_index:
            frz_index[c] = len(freezes)
            freezes.append(c)
        return frz_index[c]

    anchors: list[tuple[WeeklyAnchor, Calendar]] = []
    anc_index: dict[tuple[WeeklyAnchor, Calendar], int] = {}
    slots: list[tuple[WeeklyAnchor, Calendar, int]] = []
    slot_index: dict[tuple[WeeklyAnchor, Calendar, int], int] = {}

    def anchor(a: WeeklyAnchor | None, c: Calendar, week: int) -> tuple[int, int]:
        if a is None:
            return -1, -1
        if (a, c) not in anc_index:
            anc_index[(a, c)] = len(anchors)
            anchors.append((a, c))
        s = -1
        if week:
            if (a, c, week) not in slot_index:
                slot_index[(a, c, week)] = len(slots)
                slots.append((a, c, week))
            s = slot_index[(a, c, week)]
        return anc_index[(a, c)], s

    ar: dict[str, Any] = {}
    ar["node_phase"] = np.array([phase_off[i] + s.phase for i, s in enumerate(nodes)],
                                dtype=np.int64)
    ar["node_kind"] = np.array([_KINDS[s.kind] for s in nodes], dtype=np.int64)
    ar["node_skip"] = np.array([s.skipped for s in nodes], dtype=np.bool_)
    ar["node_team"] = np.array([pool_index[("team", s.team)] if s.team is not None else -1
                                for s in nodes], dtype=np.int64)
    ar["node_cal"] = np.array([cal(s.calendar) for s in nodes], dtype=np.int64)
    node_anchor = [anchor(s.anchor, s.anchor_calendar, s.slot_week) for s in nodes]
    ar["node_anchor"] = np.array([a for a, _ in node_anchor], dtype=np.int64)
    ar["node_slot"] = np.array([b for _, b in node_anchor], dtype=np.int64)
    ar["node_has_uses"] = np.array([bool(s.uses) for s in nodes], dtype=np.bool_)
    ar["node_fail_p"] = np.array([s.fail_p for s in nodes], dtype=np.float64)
    ar["node_tries"] = np.array([s.retries + 1 if s.fail_p > 0.0 else 1 for s in nodes],
                                dtype=np.int64)
    members = list(model.main_nodes)
    bp = _block_preds(model)  # the model's own nodes (with rollback blocks), then subs'
    ar["pred_ptr"], ar["pred_idx"] = _csr([bp[i] if i < len(model.nodes)
                                           else [node_off[i] + p for p in s.preds]
                                           for i, s in enumerate(nodes)])
    succs: list[list[int]] = [[] for _ in range(N)]
    for m, noff, _, _ in blocks:  # as the engine's plan: successors in the block's order
        for n in m.main_nodes:
            for p in m.nodes[n].preds:
                succs[noff + p].append(noff + n)
    _rollback_succs(model, succs)  # the model's own rollback phases (none in a subprocess)
    ar["succ_ptr"], ar["succ_idx"] = _csr(succs)
    ar["members"] = np.array(members, dtype=np.int64)
    envs = model.environment_capacity
    uses = [[pool_index[("env", e)] for e in sorted(s.uses) if e in envs] for s in nodes]
    uses += [[pool_index[("env", e)] for e in sorted(ph.uses) if e in envs] for ph in phases]
    ar["use_ptr"], ar["use_idx"] = _csr(uses)
    fz = [[frz(c) for c in s.freeze_calendars] for s in nodes]
    fz += [[frz(c) for c in ph.freeze_calendars] for ph in phases]
    ar["frz_ent_ptr"], ar["frz_ent_idx"] = _csr(fz)
    # phases, in the order the engine's plan meets them (first appearance in the block)
    # (of each block: the model's main nodes, and each subprocess's)
    seen: dict[int, None] = {}
    block_seen: list[dict[int, None]] = []
    for m, _noff, poff, _ in blocks:
        block_seen.append({})
        for n in m.main_nodes:
            block_seen[-1].setdefault(poff + m.nodes[n].phase, None)
        seen.update(block_seen[-1])
    in_main = np.zeros(P, dtype=np.bool_)
    in_main[list(seen)] = True
    ar["phase_in_main"] = in_main  # in its block: the model's or its subprocess's
    phase_anchor = [anchor(ph.anchor, ph.anchor_calendar, ph.slot_week) for ph in phases]
    ar["phase_anchor"] = np.array([a for a, _ in phase_anchor], dtype=np.int64)
    ar["phase_slot"] = np.array([b for _, b in phase_anchor], dtype=np.int64)
    ar["phase_skip"] = np.array([ph.skipped for ph in phases], dtype=np.bool_)
    ar["phase_has_gate"] = np.array([bool(ph.anchor is not None or ph.uses
                                          or ph.freeze_calendars) for ph in phases],
                                    dtype=np.bool_)
    ar["dep_ptr"], ar["dep_idx"] = _csr([[ph_phase_off[k] + d for d in ph.deps]
                                         for k, ph in enumerate(phases)])
    ar["up_ptr"], ar["up_idx"] = _csr([[ph_node_off[k] + n for d in ph.deps
                                        for n in ph_model[k].phases[d].nodes]
                                       for k, ph in enumerate(phases)])
    dependents: list[list[int]] = [[] for _ in range(P)]
    for own in block_seen:
        for k in own:
            dependents[k] = [j for j in own
                             if k - ph_phase_off[k] in phases[j].deps]
    ar["dpt_ptr"], ar["dpt_idx"] = _csr(dependents)
    counts = np.zeros(P, dtype=np.int64)
    for i, spec in enumerate(nodes):  # every phase's nodes (a rollback phase's too)
        counts[phase_off[i] + spec.phase] += 1
    # rejection rework: each rejecting approval's block (in the block's order), and for
    # each member its block's gate, predecessors and successors inside the block
    ar["node_reject_p"] = np.array([s.reject_p for s in nodes], dtype=np.float64)
    node_rj = np.full(N, -1, dtype=np.int64)
    rj_blocks: list[list[int]] = [[] for _ in range(N)]
    rj_preds: list[list[int]] = [[] for _ in range(N)]
    rj_succs: list[list[int]] = [[] for _ in range(N)]
    for s in model.nodes:  # the model's own (refused inside a subprocess)
        if s.reject_p <= 0.0:
            continue
        block = list(s.reject_block)
        rj_blocks[s.index] = block
        inside = set(block)
        for b in block:
            node_rj[b] = s.index
            rj_preds[b] = [p for p in nodes[b].all_preds if p in inside]
        for b in block:  # as the engine's plan: successors in the block's order
            for p in rj_preds[b]:
                rj_succs[p].append(b)
    ar["node_rj"] = node_rj
    ar["rj_ptr"], ar["rj_idx"] = _csr(rj_blocks)
    ar["rjp_ptr"], ar["rjp_idx"] = _csr(rj_preds)
    ar["rjs_ptr"], ar["rjs_idx"] = _csr(rj_succs)
    ar["wl_off"] = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    ar["pool_cap"] = pool_cap
    # rollback phases: where a failure sends a release, resume, each phase's nodes
    # (padded for a subprocess's nodes and phases: no rollback inside one is compiled)
    n_own, p_own = len(model.nodes), len(model.phases)
    ar["node_on_fail"] = np.array([-1 if i >= n_own or s.on_failure is None
                                   else s.on_failure for i, s in enumerate(nodes)],
                                  dtype=np.int64)
    ar["phase_resume"] = np.array([k < p_own and ph.rollback and ph.resume
                                   for k, ph in enumerate(phases)], dtype=np.bool_)
    ar["phn_ptr"], ar["phn_idx"] = _csr([[ph_node_off[k] + n for n in ph.nodes]
                                         for k, ph in enumerate(phases)])
    # subprocesses: the block each node and phase belongs to (the node that runs it, or
    # -1), and the members and phases of the block each subprocess node runs
    ar["node_sub"] = np.array(node_sub, dtype=np.int64)
    ar["phase_sub"] = np.array(phase_sub, dtype=np.int64)
    sub_members: list[list[int]] = [[] for _ in range(N)]
    sub_phases: list[list[int]] = [[] for _ in range(N)]
    for (m, noff, _, owner), own in zip(blocks, block_seen, strict=True):
        if owner >= 0:
            sub_members[owner] = [noff + n for n in m.main_nodes]
            sub_phases[owner] = sorted(own)
    ar["sub_mem_ptr"], ar["sub_mem_idx"] = _csr(sub_members)
    ar["sub_ph_ptr"], ar["sub_ph_idx"] = _csr(sub_phases)
    max_tries = int(ar["node_tries"].max()) if N else 1
    return FastModel(model, ar, calendars, freezes, anchors, slots, len(team_names),
                     team_names + env_names, max_tries, nodes)


def _block_preds(model: CompiledModel) -> list[list[int]]:
    """Each node's predecessors in its block: the main process's activity edges, and for
    a rollback phase's nodes (run as a block of their own) their predecessors in it."""
    out = []
    for s in model.nodes:
        if model.phases[s.phase].rollback:
            block = set(model.phases[s.phase].nodes)
            out.append([p for p in s.all_preds if p in block])
        else:
            out.append(list(s.preds))
    return out


def _rollback_succs(model: CompiledModel, succs: list[list[int]]) -> None:
    """Add the successors of a rollback phase's nodes in its block, in the block's
    order (the phase's nodes), as the engine's plan of that block."""
    preds = _block_preds(model)
    for ph in model.phases:
        if ph.rollback:
            for n in ph.nodes:
                for p in preds[n]:
                    succs[p].append(n)


def repeats(fm: FastModel) -> np.ndarray:
    """Which nodes may run more passes than one in a release: those that roll back to a
    phase that resumes, and that phase's nodes (each rollback runs them again)."""
    arr = fm.arrays
    out = np.zeros(len(fm.nodes), dtype=np.bool_)  # a subprocess's nodes: never
    for spec in fm.model.nodes:
        k = int(arr["node_on_fail"][spec.index])
        if (k >= 0 and arr["phase_resume"][k]) or arr["phase_resume"][spec.phase]:
            out[spec.index] = True
    return out


def _time_tables(fm: FastModel, lo: int, hi: int) -> dict[str, np.ndarray]:
    """Working intervals of each calendar, freezes, and anchor moments, years lo..hi."""
    always, ptr, starts_us, ends_us, cum, cov_hi = [], [0], [], [], [], []
    for c in fm.calendars:
        if c.is_always_open:
            always.append(True)
            ptr.append(ptr[-1])
            cum.append([0])
            cov_hi.append(0)
            continue
        always.append(False)
        tl = c._timeline
        s_us: list[int] = []
        e_us: list[int] = []
        for year in range(lo, hi + 1):  # as _Timeline._build, without touching its cache
            ys, ye = tl._year(year)
            if not ys:
                continue
            if e_us and ys[0] <= e_us[-1]:
                e_us[-1] = max(e_us[-1], ye[0])
                s_us.extend(ys[1:])
                e_us.extend(ye[1:])
            else:
                s_us.extend(ys)
                e_us.extend(ye)
        starts_us.extend(s_us)
        ends_us.extend(e_us)
        ptr.append(ptr[-1] + len(s_us))
        lengths = np.array(e_us, dtype=np.int64) - np.array(s_us, dtype=np.int64)
        cum.append([0, *np.cumsum(lengths).tolist()])
        cov_hi.append(_local_us(tl.zone, date(hi + 1, 1, 1), 0))
    su = np.array(starts_us, dtype=np.int64)
    eu = np.array(ends_us, dtype=np.int64)
    out = {
        "cal_always": np.array(always, dtype=np.bool_),
        "cal_ptr": np.array(ptr, dtype=np.int64),
        "cal_starts": np.array([s / _US_PER_HOUR for s in starts_us], dtype=np.float64),
        "cal_ends": np.array([e / _US_PER_HOUR for e in ends_us], dtype=np.float64),
        "cal_starts_us": su,
        "cal_ends_us": eu,
        "cal_cum": np.array([v for x in cum for v in x], dtype=np.int64),
        "cal_cov_hi_us": np.array(cov_hi, dtype=np.int64),
    }
    fptr, fs, fe = [0], [], []
    for c in fm.freezes:
        fs.extend(c._freeze_starts)
        fe.extend(c._freeze_ends)
        fptr.append(len(fs))
    out["frz_ptr"] = np.array(fptr, dtype=np.int64)
    out["frz_starts"] = np.array(fs, dtype=np.float64)
    out["frz_ends"] = np.array(fe, dtype=np.float64)
    lo_h = _local_us(Calendar.always()._timeline.zone, date(lo, 1, 1), 0) / _US_PER_HOUR
    hi_h = _local_us(Calendar.always()._timeline.zone, date(hi + 1, 1, 1), 0) / _US_PER_HOUR
    aptr, times = [0], []
    for a, c in fm.anchors:
        t = c._next_anchor_slow(lo_h, a)
        while t < hi_h:
            times.append(t)
            t = c._next_anchor_slow(t + 1.0, a)
        aptr.append(len(times))
    out["anc_ptr"] = np.array(aptr, dtype=np.int64)
    out["anc_times"] = np.array(times, dtype=np.float64)
    return out


def slot_times(fm: FastModel, scheduled: np.ndarray) -> np.ndarray:
    """Each release's planned-slot moments: ``(releases, slots)``."""
    out = np.zeros((len(scheduled), max(1, len(fm.slots))))
    for s, (a, c, week) in enumerate(fm.slots):
        for i, t in enumerate(scheduled.tolist()):
            out[i, s] = c.next_anchor_h(c.local_midnight_h(t, 7 * (week - 1)), a)
    return out
