"""What a worker does with the compiled engine: draw, run the loop, pack columns.

The random numbers are the SimPy engine's (same keyed Philox addresses, same inverse
transforms), drawn in numpy for every release of every run of the chunk before the
compiled loop runs; the columns are those of :func:`phasesim.simulation.batch.run_chunk`.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from phasesim.simulation.fast.arrays import FastModel, slot_times

__all__ = ["CompiledEngineError", "run_chunk"]

_STATUS = ["succeeded", "failed", "skipped", "aborted", "rejected"]
#: years of calendar tables past the last scheduled start; grown when a run reaches them
_HORIZON_YEARS = 2


class CompiledEngineError(RuntimeError):
    """The compiled engine met something it does not simulate (the runner falls back)."""


def _kernel_args() -> list[str]:
    from phasesim.simulation.fast.kernel import run_releases

    return list(inspect.signature(run_releases.py_func).parameters)


def draw_tables(fm: FastModel, key: int, runs: Sequence[int], releases: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """coins and hours, ``(nodes, executions, runs * releases)``, as the engine draws
    (the same Philox addresses as :class:`Streams`, computed by :mod:`.philox`)."""
    from phasesim.simulation.fast.philox import uniforms

    model = fm.model
    run_array = np.asarray(runs, dtype=np.int64)
    key64 = np.uint64(key)

    def draw(stream: int, e: int, count: int) -> np.ndarray:
        return uniforms(key64, np.uint64(stream), run_array, e, releases, count)

    n = len(runs) * releases
    coins = np.zeros((model.n_nodes, fm.max_tries, n))
    hours = np.zeros((model.n_nodes, fm.max_tries, n))
    tries = fm.arrays["node_tries"]
    for spec in model.nodes:
        if spec.skipped:
            continue
        for e in range(int(tries[spec.index])):
            if spec.kind == "approval":
                assert spec.wait_spec is not None
                u = draw(spec.stream, e, 1 + spec.approvers).reshape(n, 1 + spec.approvers)
                waits = np.sort(spec.wait_spec.quantile(u[:, 1:]), axis=1)
                h = waits[:, spec.required - 1]
            else:
                u = draw(spec.stream, e, 2).reshape(n, 2)
                h = spec.duration.quantile(u[:, 1]) if spec.duration is not None \
                    else np.zeros(n)
            coins[spec.index, e] = u[:, 0]
            hours[spec.index, e] = h
    return coins, hours


def _year(hours: float) -> int:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(hours=hours)).year


def run_chunk(fm: FastModel, runs: Sequence[int], starts: Sequence[Sequence[float]],
              key: int, policies: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """Simulate ``runs`` with the compiled loop; the columns of ``batch.run_chunk``."""
    from phasesim.simulation.fast.kernel import E_HORIZON, OK, run_releases

    releases = len(starts[0]) if starts else 0
    coins, hours = draw_tables(fm, key, runs, releases)
    names = _kernel_args()
    model_args = fm.arrays
    rows_f, rows_i, use_f, use_i, rel_run, rel_f, rel_i, row_run, use_run, rel_index = \
        [], [], [], [], [], [], [], [], [], []
    sched_all = []
    slot_cache: dict[tuple[float, ...], np.ndarray] = {}
    for i, run in enumerate(runs):
        sched = np.asarray(starts[i], dtype=np.float64)
        skey = tuple(sched.tolist())
        slots = slot_cache.get(skey)
        if slots is None:
            slots = slot_cache[skey] = slot_times(fm, sched)
        lo = _year(float(sched[0])) - 1
        hi = _year(float(sched[-1])) + _HORIZON_YEARS
        sl = slice(i * releases, (i + 1) * releases)
        while True:
            tables = fm.tables(lo, hi)
            values = {**model_args, **tables, "n_teams": fm.n_teams, "starts": sched,
                      "slot_time": slots, "coins": np.ascontiguousarray(coins[:, :, sl]),
                      "hours_tab": np.ascontiguousarray(hours[:, :, sl])}
            err, rf, ri, nr, uf, ui, nu, relf, reli = run_releases(*[values[n] for n in names])
            if err == E_HORIZON and hi < 9000:
                hi += 4 * (hi - lo + 1)
                continue
            break
        if err != OK:
            raise CompiledEngineError("a run reached past the calendars' tables")
        rows_f.append(rf[:nr])
        rows_i.append(ri[:nr])
        row_run.append(np.full(nr, run, dtype=np.int64))
        use_f.append(uf[:nu])
        use_i.append(ui[:nu])
        use_run.append(np.full(nu, run, dtype=np.int64))
        done = reli[:, 4] == 1  # a deadlocked release has no row, as in the engine
        rel_f.append(relf[done])
        rel_i.append(reli[done])
        rel_run.append(np.full(int(done.sum()), run, dtype=np.int64))
        rel_index.append(np.flatnonzero(done))
        sched_all.append(sched[done])
    return _pack(fm, rows_f, rows_i, row_run, use_f, use_i, use_run, rel_f, rel_i, rel_run,
                 sched_all, rel_index)


def _cat(parts: list[np.ndarray], width: int, dtype: Any) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros((0, width), dtype=dtype)


def _pack(fm: FastModel, rows_f: list[np.ndarray], rows_i: list[np.ndarray],
          row_run: list[np.ndarray], use_f: list[np.ndarray], use_i: list[np.ndarray],
          use_run: list[np.ndarray], rel_f: list[np.ndarray], rel_i: list[np.ndarray],
          rel_run: list[np.ndarray], sched: list[np.ndarray], rel_index: list[np.ndarray]
          ) -> tuple[dict[str, Any], ...]:
    nodes = fm.model.nodes
    rf = _cat(rows_f, 9, np.float64)
    ri = _cat(rows_i, 6, np.int64)
    run = np.concatenate(row_run) if row_run else np.zeros(0, dtype=np.int64)
    node = ri[:, 1]
    # row numbers restart with each run
    n_per_run = [len(x) for x in row_run]
    row = np.concatenate([np.arange(k) for k in n_per_run]) if n_per_run else \
        np.zeros(0, dtype=np.int64)
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
        "offhours_h": rf[:, 7].copy(), "work_h": rf[:, 8].copy(),
        "rework": ri[:, 4].astype(np.bool_), "cause": ri[:, 5].copy(),
    }
    relf = _cat(rel_f, 2, np.float64)
    reli = _cat(rel_i, 5, np.int64)
    n_rel = len(relf)
    aborted = reli[:, 1] == 1
    reasons = [""] + [f"{nodes[n].key} failed {t} time(s)" for n in range(len(nodes))
                      for t in range(1, fm.max_tries + 1)]
    reason_code = np.where(aborted, 1 + reli[:, 2] * fm.max_tries + reli[:, 3] - 1, 0)
    rels = {
        "run": np.concatenate(rel_run) if rel_run else np.zeros(0, dtype=np.int64),
        "release": np.concatenate(rel_index).astype(np.int64) if rel_index else
        np.zeros(0, dtype=np.int64),
        "scheduled": np.concatenate(sched) if sched else np.zeros(0),
        "start": relf[:, 0].copy(), "end": relf[:, 1].copy(),
        "status": (["succeeded", "aborted"], aborted.astype(np.int32)),
        "reason": (reasons, reason_code.astype(np.int32)),
        "attempts": reli[:, 0].copy(), "rework": np.zeros(n_rel, dtype=np.int64),
        "capped": np.zeros(n_rel, dtype=np.bool_),
    }
    uf = _cat(use_f, 3, np.float64)
    ui = _cat(use_i, 3, np.int64)
    usage = {
        "run": np.concatenate(use_run) if use_run else np.zeros(0, dtype=np.int64),
        "kind": (["team", "environment"], ui[:, 0].astype(np.int32)),
        "resource": (fm.pool_names, ui[:, 1].astype(np.int32)),
        "release": ui[:, 2].copy(),
        "requested": uf[:, 0].copy(), "granted": uf[:, 1].copy(), "released": uf[:, 2].copy(),
    }
    return log, rels, usage
