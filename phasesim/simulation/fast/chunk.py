"""What a worker does with the compiled engine: draw, run the loop, pack columns.

The random numbers are the SimPy engine's (same keyed Philox addresses, same inverse
transforms), drawn in numpy for every release of every run of the chunk before the
compiled loop runs; the columns are those of :func:`phasesim.simulation.batch.run_chunk`.
"""

from __future__ import annotations

import inspect
import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from phasesim.simulation.fast.arrays import FastModel, repeats, slot_times

__all__ = ["CompiledEngineError", "run_chunk"]

_STATUS = ["succeeded", "failed", "skipped", "aborted", "rejected"]
#: years of calendar tables past the last scheduled start; grown when a run reaches them
_HORIZON_YEARS = 2
#: passes drawn at first (its tries each) for a node that can run again after a resumed
#: rollback, and for one that reruns after a rejection; doubled when a run needs more
_PASSES = 3
_REWORK_PASSES = 2


class CompiledEngineError(RuntimeError):
    """The compiled engine met something it does not simulate (the runner falls back)."""


def _kernel_args() -> list[str]:
    from phasesim.simulation.fast.kernel import run_many

    return list(inspect.signature(run_many.py_func).parameters)


def draw_tables(fm: FastModel, key: int, runs: Sequence[int], releases: int,
                depth: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """coins and hours, ``(runs, nodes, executions, releases)``, as the engine draws
    (the same Philox addresses as :class:`Streams`, computed by :mod:`.philox`):
    executions ``0 .. depth[node] - 1`` of each node (its tries by default; more for
    those that can run again, after a rejection or a resumed rollback)."""
    run_array = np.asarray(runs, dtype=np.int64)
    key64 = np.uint64(key)
    n_runs = len(runs)
    n_nodes = len(fm.nodes)  # with the nodes of subprocesses (each keeps its own stream)
    tries = fm.arrays["node_tries"] if depth is None else depth
    most = max(fm.max_tries, int(tries.max()) if len(tries) else 1)
    coins = np.zeros((n_runs, n_nodes, most, releases))
    hours = np.zeros((n_runs, n_nodes, most, releases))
    runs_key = run_array.tobytes()
    for index, spec in enumerate(fm.nodes):
        if spec.skipped or spec.kind == "subprocess":  # a subprocess draws nothing itself
            continue
        for e in range(int(tries[index])):
            law = (spec.wait_spec, spec.approvers, spec.required) \
                if spec.kind == "approval" else (spec.duration,)
            address = (key, spec.stream, e, releases, runs_key, law)
            kept = _KEPT.get(address)
            if kept is None:
                kept = _draw(spec, key64, run_array, e, releases)
                _KEPT.put(address, kept)
            coins[:, index, e], hours[:, index, e] = kept
    return coins, hours


def _draw(spec: Any, key: np.uint64, runs: np.ndarray, e: int, releases: int
          ) -> tuple[np.ndarray, np.ndarray]:
    """The coin and the hours of execution ``e`` of one node, ``(runs, releases)`` each."""
    from phasesim.simulation.fast.philox import uniforms

    if spec.kind == "approval":
        assert spec.wait_spec is not None
        u = uniforms(key, np.uint64(spec.stream), runs, e, releases, 1 + spec.approvers)
        waits = np.sort(spec.wait_spec.quantile(u[:, :, 1:]), axis=2)
        return u[:, :, 0].copy(), waits[:, :, spec.required - 1].copy()
    u = uniforms(key, np.uint64(spec.stream), runs, e, releases, 2)
    hours = spec.duration.quantile(u[:, :, 1]) if spec.duration is not None \
        else np.zeros((len(runs), releases))
    return u[:, :, 0].copy(), hours


class _Kept:
    """The draws of recent (node, execution) addresses, least recently used dropped
    first: the variants of a sensitivity analysis or a comparison share a seed, so every
    activity they do not change draws the same numbers with the same law again.

    An address is everything the draws depend on: the key, the node's stream, the
    execution, the runs, the releases and the law (the duration, or the approval's wait,
    approvers and required); a law that cannot be hashed is never kept. An entry is at
    most ``entry`` bytes and all together at most ``total``.
    """

    def __init__(self, entry: int = 256 * 1024, total: int = 32 * 1024 * 1024) -> None:
        self.entry, self.total, self.size = entry, total, 0
        self.items: OrderedDict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = \
            OrderedDict()
        self.lock = threading.Lock()  # joblib's threading backend shares the process

    def get(self, address: tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray] | None:
        with self.lock:
            try:
                value = self.items.get(address)
            except TypeError:  # an unhashable law
                return None
            if value is not None:
                self.items.move_to_end(address)
            return value

    def put(self, address: tuple[Any, ...], value: tuple[np.ndarray, np.ndarray]) -> None:
        nbytes = value[0].nbytes + value[1].nbytes
        if nbytes > self.entry:
            return
        for a in value:
            a.flags.writeable = False  # shared by every later call
        with self.lock:
            try:
                old = self.items.pop(address, None)
            except TypeError:
                return
            if old is not None:
                self.size -= old[0].nbytes + old[1].nbytes
            self.items[address] = value
            self.size += nbytes
            while self.size > self.total:
                _, dropped = self.items.popitem(last=False)
                self.size -= dropped[0].nbytes + dropped[1].nbytes

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.size = 0


_KEPT = _Kept()


def _reworked(fm: FastModel) -> np.ndarray:
    """Which nodes can run again after a rejection: the rejecting approvals and their
    rework blocks."""
    out = np.zeros(len(fm.nodes), dtype=np.bool_)  # a subprocess's nodes: never
    for spec in fm.model.nodes:
        if spec.reject_p > 0.0:
            out[[spec.index, *spec.reject_block]] = True
    return out


def _year(hours: float) -> int:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(hours=hours)).year


def run_chunk(fm: FastModel, runs: Sequence[int], starts: Sequence[Sequence[float]],
              key: int, policies: dict[str, Any], keep_log: bool = True
              ) -> tuple[dict[str, Any], ...]:
    """Simulate ``runs`` with the compiled loop; the columns of ``batch.run_chunk``
    (without log and usage rows when not ``keep_log``)."""
    from phasesim.simulation.engine import DEFAULT_MAX_REWORK
    from phasesim.simulation.fast.kernel import E_DRAWS, E_HORIZON, E_UNSUPPORTED, OK, run_many

    releases = len(starts[0]) if starts else 0
    max_rework = policies.get("max_rework")
    max_rework = DEFAULT_MAX_REWORK if max_rework is None else int(max_rework)
    # executions drawn per node: its tries, for a few passes when it can run again (one
    # more pass per rework, so never more than max_rework + 1 of them)
    tries = fm.arrays["node_tries"]
    rolled, reworked = repeats(fm), _reworked(fm)
    again = rolled | reworked
    depth = np.where(rolled, _PASSES, np.where(reworked, _REWORK_PASSES, 1)) * tries
    deepest = (max_rework + 1) * tries
    depth = np.where(again, np.minimum(depth, deepest), depth)
    coins, hours = draw_tables(fm, key, runs, releases, depth)
    sched = np.asarray(starts, dtype=np.float64).reshape(len(runs), releases)
    slot_cache: dict[tuple[float, ...], np.ndarray] = {}
    slots = np.empty((len(runs), releases, max(1, len(fm.slots))))
    for i in range(len(runs)):
        skey = tuple(sched[i].tolist())
        if skey not in slot_cache:
            slot_cache[skey] = slot_times(fm, sched[i])
        slots[i] = slot_cache[skey]
    now = policies.get("now")
    kernel_starts = sched
    if now is not None and releases:
        # a forecast with nothing in flight: the clock starts at now and the first
        # release arrives after a timer of its own (now + (start - now), as SimPy adds)
        if float(sched[:, 0].min()) < now:
            raise CompiledEngineError("releases scheduled before the forecast's now are "
                                      "not compiled yet")
        kernel_starts = sched.copy()
        later = sched[:, 0] > now
        kernel_starts[later, 0] = now + (sched[later, 0] - now)
    lo = _year(float(sched[:, 0].min())) - 1
    hi = _year(float(sched[:, -1].max())) + _HORIZON_YEARS
    names = _kernel_args()
    serialize = set(policies.get("serialize") or ())
    # the model's own phases only (the engine serialises no subprocess's phase: their
    # ids are prefixed and its block has no previous release); the flat arrays' length
    phase_serial = np.zeros(fm.arrays["phase_in_main"].shape[0], dtype=np.bool_)
    phase_serial[:len(fm.model.phases)] = [ph.id in serialize for ph in fm.model.phases]
    max_in_flight = int(policies.get("max_in_flight") or 0)  # 0: no limit
    run_ids = np.asarray(runs, dtype=np.int64)
    pieces: list[tuple[np.ndarray, tuple[Any, ...]]] = []

    def kernel(idx: np.ndarray, depth: np.ndarray, coins: np.ndarray,
               hours: np.ndarray) -> None:
        """Run the runs ``idx`` (positions in ``runs``; ``coins``/``hours`` drawn for
        them at ``depth``) and add their rows to ``pieces``, in run order. A run that
        needs more executions than drawn is run again alone with deeper draws; the runs
        before it keep their rows and the runs after it go on with these draws."""
        nonlocal hi
        while True:
            values = {**fm.arrays, **fm.tables(lo, hi), "n_teams": fm.n_teams,
                      "starts": kernel_starts[idx], "slot_time": slots[idx], "coins": coins,
                      "hours_tab": hours, "node_depth": depth, "max_rework": max_rework,
                      "phase_serial": phase_serial, "max_in_flight": max_in_flight}
            out = run_many(*[values[n] for n in names])
            err, at = int(out[0]), int(out[1])
            if err == E_HORIZON and hi < 9000:
                hi += 4 * (hi - lo + 1)
                continue
            if err == E_DRAWS and bool(np.any(depth[again] < deepest[again])):
                # a release was sent back more often than drawn for: that run again,
                # alone, with deeper draws (the others' draws do not change)
                if at > 0:
                    pieces.append((idx[:at], out))
                one = idx[at:at + 1]
                deeper = np.where(again, np.minimum(2 * depth, deepest), depth)
                kernel(one, deeper, *draw_tables(fm, key, run_ids[one], releases, deeper))
                idx, coins, hours = idx[at + 1:], coins[at + 1:], hours[at + 1:]
                if len(idx) == 0:
                    return
                continue
            if err == E_UNSUPPORTED:
                raise CompiledEngineError("rejection rework of an activity that has not run "
                                          "yet (or is rolling back) is not compiled yet")
            if err == E_DRAWS:
                raise CompiledEngineError("a run needed more executions than its rework cap "
                                          "allows")
            if err != OK:
                raise CompiledEngineError("a run reached past the calendars' tables")
            pieces.append((idx, out))
            return

    kernel(np.arange(len(runs), dtype=np.int64), depth, coins, hours)
    out = _joined(pieces, releases)
    rf, ri, row_run, uf, ui, use_run, relf, reli = out
    done = reli[:, 4] == 1  # a deadlocked release has no row, as in the engine
    release_index = np.tile(np.arange(releases, dtype=np.int64), len(runs))
    rel_run = np.repeat(run_ids, releases)
    # whether a rollback phase ran, from the rows (before they are dropped)
    ran_rollback = _rolled_back(fm, rf, ri, row_run, releases, len(runs))
    # row numbers restart with each run
    if not keep_log:
        rf, ri, row_run, uf, ui, use_run = rf[:0], ri[:0], row_run[:0], uf[:0], ui[:0], \
            use_run[:0]
    counts = np.bincount(row_run, minlength=len(runs))
    row = np.arange(len(row_run)) - np.repeat(np.cumsum(counts) - counts, counts)
    return _pack(fm, rf, ri, run_ids[row_run], row, uf, ui, run_ids[use_run], relf[done],
                 reli[done], rel_run[done], sched.reshape(-1)[done], release_index[done],
                 max_rework, ran_rollback[done])


def _joined(pieces: list[tuple[np.ndarray, tuple[Any, ...]]], releases: int
            ) -> tuple[np.ndarray, ...]:
    """The kernel's rows of consecutive pieces of runs as if one call had made them: each
    piece is (its runs' positions, ``run_many``'s answer for them, complete for those
    runs); ``row_run`` and ``use_run`` become positions in the whole chunk."""
    if len(pieces) == 1:  # the usual case: one call ran every run
        return tuple(pieces[0][1][2:])
    parts: list[list[np.ndarray]] = [[] for _ in range(8)]
    for idx, out in pieces:
        rf, ri, row_run, uf, ui, use_run, relf, reli = out[2:]
        for k, a in enumerate((rf, ri, idx[row_run], uf, ui, idx[use_run],
                               relf[:len(idx) * releases], reli[:len(idx) * releases])):
            parts[k].append(a)
    return tuple(np.concatenate(p) for p in parts)


def _rolled_back(fm: FastModel, rf: np.ndarray, ri: np.ndarray, row_run: np.ndarray,
                 releases: int, n_runs: int) -> np.ndarray:
    """Whether a rollback phase ran, for every (run, release) of the chunk in order
    (:func:`phasesim.simulation.batch.rolled_back` on the kernel's rows)."""
    from phasesim.simulation.batch import rolled_back

    rollback = {ph.id for ph in fm.model.phases if ph.rollback}
    grid = np.arange(n_runs * releases, dtype=np.int64)
    if not rollback:
        return np.zeros(len(grid), dtype=np.bool_)
    in_rollback = np.array([s.phase_id in rollback for s in fm.nodes], dtype=np.bool_)
    return rolled_back(row_run, ri[:, 0], in_rollback[ri[:, 1]],
                       ri[:, 2] == _STATUS.index("skipped"), rf[:, 0], rf[:, 1],
                       grid // max(releases, 1), grid % max(releases, 1))


def _pack(fm: FastModel, rf: np.ndarray, ri: np.ndarray, run: np.ndarray, row: np.ndarray,
          uf: np.ndarray, ui: np.ndarray, use_run: np.ndarray, relf: np.ndarray,
          reli: np.ndarray, rel_run: np.ndarray, sched: np.ndarray, rel_index: np.ndarray,
          max_rework: int = 0, ran_rollback: np.ndarray | None = None
          ) -> tuple[dict[str, Any], ...]:
    from phasesim.simulation.fast.kernel import REL_CAPPED, REL_FAILED

    nodes = fm.nodes
    node = ri[:, 1]
    log = {
        "row": row.astype(np.int64), "run": run, "release": ri[:, 0].copy(),
        "phase_id": ([s.phase_id for s in nodes], node.astype(np.int32)),
        "activity_id": ([s.activity_id for s in nodes], node.astype(np.int32)),
        "activity_type": ([s.kind for s in nodes], node.astype(np.int32)),
        "owner": ([s.owner for s in nodes], node.astype(np.int32)),
        "status": (_STATUS, ri[:, 2].astype(np.int32)),
        "attempt": ri[:, 3].copy(),
        "ready": rf[:, 0].copy(), "start": rf[:, 1].copy(), "end": rf[:, 2].copy(),
        "wait_serialize_h": rf[:, 3].copy(), "wait_anchor_h": rf[:, 4].copy(),
        "wait_environment_h": rf[:, 5].copy(), "wait_team_h": rf[:, 6].copy(),
        "wait_freeze_h": rf[:, 9].copy(),
        "offhours_h": rf[:, 7].copy(), "work_h": rf[:, 8].copy(),
        "rework": ri[:, 4].astype(np.bool_), "cause": ri[:, 5].copy(),
    }
    aborted = reli[:, 1] == 1
    reasons = [""] + [f"{nodes[n].key} failed {t} time(s)" for n in range(len(nodes))
                      for t in range(1, fm.max_tries + 1)]
    reason_code = np.where(aborted, 1 + reli[:, 2] * fm.max_tries + reli[:, 3] - 1, 0)
    # rolled back (the release failed), or aborted at the rework cap (rejections and
    # resumed rollbacks), at node reli[:, 2]
    end = reli[:, 1]
    rolled = len(reasons)
    reasons += [f"rolled back after {s.key} failed" for s in nodes]
    reasons += [f"rework cap of {max_rework} reached at {s.key}" for s in nodes]
    reason_code = np.where(end == REL_FAILED, rolled + reli[:, 2], reason_code)
    reason_code = np.where(end == REL_CAPPED, rolled + len(nodes) + reli[:, 2], reason_code)
    status = np.where(end == REL_FAILED, 2, np.where(end == 0, 0, 1))
    rels = {
        "run": rel_run, "release": rel_index, "scheduled": sched,
        "start": relf[:, 0].copy(), "end": relf[:, 1].copy(),
        "status": (["succeeded", "aborted", "failed"], status.astype(np.int32)),
        "reason": (reasons, reason_code.astype(np.int32)),
        "attempts": reli[:, 0].copy(), "rework": reli[:, 5].copy(),
        "capped": end == REL_CAPPED,
        "rolled": np.zeros(len(rel_run), dtype=np.bool_) if ran_rollback is None
        else ran_rollback,
    }
    usage = {
        "run": use_run,
        "kind": (["team", "environment"], ui[:, 0].astype(np.int32)),
        "resource": (fm.pool_names, ui[:, 1].astype(np.int32)),
        "release": ui[:, 2].copy(),
        "requested": uf[:, 0].copy(), "granted": uf[:, 1].copy(), "released": uf[:, 2].copy(),
    }
    return log, rels, usage
