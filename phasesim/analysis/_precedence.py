"""Which execution each execution waited for (private to :mod:`phasesim.analysis`).

For every execution (a phase span or an activity row) of a release, its *predecessor* is
the execution of the same release that it waited for:

- with a blueprint, the dependency (or an earlier attempt of the same activity) that ended
  last at or before the execution became ready;
- otherwise, or when no dependency ended before it (a root of the blueprint, a phase the
  blueprint does not know, or a hotfix that no phase depends on), whatever execution of
  the release ended last at or before that time ("log ordering").

The time searched from is ``ready`` where the log has it, else ``start``. Every execution
is placed in one order per release: by end, then instants (start == end) after the
executions that end at that moment, then the shorter first, then by label. A
predecessor always comes earlier in that order, so following predecessors ends.

All of it is computed at once for every release with sorting and one ``searchsorted``:
no Python loop over releases.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from phasesim.analysis._prepare import NAT, BlueprintLike, Level, PreparedLog

__all__ = ["SOURCE_BLUEPRINT", "SOURCE_LOG", "SOURCE_NONE", "Precedence", "precedence"]

_MAX = np.iinfo(np.int64).max
SOURCE_NONE = 0
SOURCE_BLUEPRINT = 1
SOURCE_LOG = 2

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Precedence:
    """Predecessors of the executions of one level.

    Attributes
    ----------
    pred : ndarray of int64
        Row number (in the level's table) of each execution's predecessor, -1 if none.
    source : ndarray of int8
        ``SOURCE_BLUEPRINT``, ``SOURCE_LOG`` or ``SOURCE_NONE`` for each execution.
    last : ndarray of int64
        Per release code, the row of the execution that ended last (-1 if none ended).
    """

    pred: IntArray
    source: npt.NDArray[np.int8]
    last: IntArray


def precedence(
    prepared: PreparedLog, level: Level, blueprint: BlueprintLike | None = None
) -> Precedence:
    """Find the predecessor of every execution of ``level`` in ``prepared``."""
    items = prepared.items(level)
    n = len(items)
    rel = items["rel"].to_numpy(dtype=np.int64)
    label = items["phase" if level == "phase" else "activity"].to_numpy(dtype=np.int64)
    start = items["start_ns"].to_numpy(dtype=np.int64)
    end = items["end_ns"].to_numpy(dtype=np.int64)
    ready = items["ready_ns"].to_numpy(dtype=np.int64)
    t = np.where(ready != NAT, np.minimum(ready, start), start)
    end_key = np.where(end == NAT, _MAX, end)
    # an instant (start == end) comes after the executions that end at the same moment,
    # so that what ended when it happened can be what it waited for
    instant = (end != NAT) & (start == end)

    # the dense rank of the end among every end and search time: (release, end rank,
    # instant) folds into one key, so the order is one sort of three keys, not five
    uniq, inverse = np.unique(np.concatenate([end_key, t]), return_inverse=True)
    width = np.int64(len(uniq) + 1)
    primary = (rel * width + inverse[:n]) * 2 + instant
    order = np.lexsort((label, -start, primary))
    del primary
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n, dtype=np.int64)

    # log ordering: the last execution (in the order) with end <= t, before this one
    sorted_key = rel[order] * width + inverse[:n][order]
    query = rel * width + inverse[n:]
    q = np.searchsorted(sorted_key, query, side="right").astype(np.int64) - 1
    q = np.minimum(q, pos - 1)
    valid = q >= 0
    valid[valid] = rel[order[q[valid]]] == rel[valid]
    pred = np.where(valid, order[np.where(valid, q, 0)], -1)
    source = np.where(valid, SOURCE_LOG, SOURCE_NONE).astype(np.int8)

    if blueprint is not None and n:
        bp_pred = _blueprint_predecessors(prepared, level, blueprint, rel, label, t, end_key, pos)
        use_bp = bp_pred >= 0
        pred = np.where(use_bp, bp_pred, pred)
        source = np.where(use_bp, SOURCE_BLUEPRINT, source).astype(np.int8)

    n_rel = len(prepared.releases)
    last = np.full(n_rel, -1, dtype=np.int64)
    closed = end != NAT
    if closed.any():
        # open executions sort last in their release: take the last closed one
        idx = np.flatnonzero(closed[order])
        r = rel[order][idx]
        keep = np.r_[r[1:] != r[:-1], True]
        last[r[keep]] = order[idx[keep]]
    return Precedence(pred=pred.astype(np.int64), source=source, last=last)


def _blueprint_edges(
    prepared: PreparedLog, level: Level, blueprint: BlueprintLike
) -> tuple[IntArray, IntArray, int]:
    """Edges (u, v) between the label codes of the log, and the number of labels."""
    if level == "phase":
        graph = blueprint.phase_graph
        code = {str(p): i for i, p in enumerate(prepared.phase_ids)}
        node_code = {node: code.get(str(node), -1) for node in graph.nodes}
        n_labels = len(prepared.phase_ids)
    else:
        graph = blueprint.graph
        pair_code = {
            (str(prepared.phase_ids[p]), str(a)): i
            for i, (p, a) in enumerate(
                zip(prepared.activity_phase, prepared.activity_ids, strict=True)
            )
        }
        node_code = {}
        for node, attrs in graph.nodes(data=True):
            phase_id = attrs.get("phase_id")
            activity_id = attrs.get("activity_id")
            if phase_id is None or activity_id is None:
                phase_id, _, activity_id = str(node).partition(".")
            found = pair_code.get((str(phase_id), str(activity_id)))
            if found is None:
                # a for-each instance "fix[ci]" stands for the log's "fix" if that is all
                # the log has
                base = str(activity_id).split("[", 1)[0]
                found = pair_code.get((str(phase_id), base), -1)
            node_code[node] = found
        n_labels = len(prepared.activity_ids)
    pairs = sorted(
        {
            (node_code[u], node_code[v])
            for u, v in graph.edges
            if node_code[u] >= 0 and node_code[v] >= 0 and node_code[u] != node_code[v]
        }
    )
    u = np.array([p[0] for p in pairs], dtype=np.int64)
    v = np.array([p[1] for p in pairs], dtype=np.int64)
    return u, v, n_labels


def _blueprint_predecessors(
    prepared: PreparedLog,
    level: Level,
    blueprint: BlueprintLike,
    rel: IntArray,
    label: IntArray,
    t: IntArray,
    end_key: IntArray,
    pos: IntArray,
) -> IntArray:
    u, v, n_labels = _blueprint_edges(prepared, level, blueprint)
    labels = np.arange(n_labels, dtype=np.int64)
    # an earlier attempt of the same label is a predecessor too (retries, rework)
    edges = pd.DataFrame(
        {"label": np.concatenate([v, labels]), "u_label": np.concatenate([u, labels])}
    )
    n = len(rel)
    idx = np.arange(n, dtype=np.int64)
    left = pd.DataFrame({"v": idx, "rel": rel, "label": label, "t": t, "pos": pos})
    right = pd.DataFrame({"u": idx, "rel": rel, "u_label": label, "end": end_key, "pos_u": pos})
    pairs = left.merge(edges, on="label").merge(right, on=["rel", "u_label"])
    ok = (pairs["end"].to_numpy() <= pairs["t"].to_numpy()) & (
        pairs["pos_u"].to_numpy() < pairs["pos"].to_numpy()
    )
    pairs = pairs.loc[ok]
    best = pairs.groupby("v")["pos_u"].max()
    order = np.empty(n, dtype=np.int64)
    order[pos] = idx
    bp_pred = np.full(n, -1, dtype=np.int64)
    bp_pred[best.index.to_numpy(dtype=np.int64)] = order[best.to_numpy(dtype=np.int64)]
    return bp_pred
