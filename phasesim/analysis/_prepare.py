"""The tables every analysis starts from (private to :mod:`phasesim.analysis`).

An event log is turned once into three tables keyed by integer codes, with times as
int64 nanoseconds since the epoch (UTC), so that each analysis is a handful of vectorised
group-bys and joins however many releases the log holds:

``releases``
    one row per release, keyed by ``(run, release_id)``: first start, last end, status.
``phases``
    one row per release and phase: the phase *span*. Where the log has activity rows for
    the phase, the span runs from their first start to their last end; otherwise it comes
    from the phase rows themselves.
``activities``
    one row per activity execution (each attempt is a row of its own).

Rows without a start and skipped rows take no time and are left out of ``phases`` and
``activities``; they still count towards a release being in progress. Rows that ended
without running (``never_started``, read with start = end) are kept for status and
failure, with ``timed`` False: they give no time to a span and no duration.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from phasesim.errors import LogError, Problem

__all__ = [
    "FAILURE_STATUSES",
    "NAT",
    "NS_PER_HOUR",
    "STATUS_NAMES",
    "BlueprintLike",
    "Level",
    "PreparedLog",
    "hotfix_codes",
    "hotfix_only",
    "prepare",
    "resolve",
    "timestamps",
]

#: The int64 value of NaT.
NAT = np.iinfo(np.int64).min
_MAX = np.iinfo(np.int64).max
NS_PER_HOUR = 3_600 * 10**9
#: Statuses that count as a failed execution.
FAILURE_STATUSES = ("failed", "rejected", "aborted")
#: Status codes of the prepared tables: index into this array.
STATUS_NAMES = np.array(
    ["succeeded", "failed", "rejected", "skipped", "aborted", "in_progress"], dtype=object
)
SUCCEEDED, SKIPPED, IN_PROGRESS = 0, 3, 5
FAILURE_CODES = np.array([1, 2, 4], dtype=np.int8)
#: Phase ids that name a hotfix or rollback when no explicit list is given.
HOTFIX_PATTERN = re.compile(r"hotfix|rollback|roll_back|revert", re.IGNORECASE)

Level = Literal["phase", "activity"]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class BlueprintLike(Protocol):
    """What the analyses need from a blueprint: its two dependency graphs.

    ``graph`` is a ``networkx.DiGraph`` over activity nodes (attributes ``phase_id`` and
    ``activity_id``) with an edge ``u -> v`` when ``v`` depends on ``u``; ``phase_graph``
    is the same over phase ids. :class:`phasesim.Blueprint` has both.
    """

    @property
    def graph(self) -> Any: ...

    @property
    def phase_graph(self) -> Any: ...


@dataclass(frozen=True)
class PreparedLog:
    """An event log as integer-coded tables (see the module docstring)."""

    releases: pd.DataFrame
    phases: pd.DataFrame
    activities: pd.DataFrame
    phase_ids: npt.NDArray[np.object_]
    activity_phase: IntArray
    activity_ids: npt.NDArray[np.object_]
    phase_order: IntArray
    activity_order: IntArray

    def items(self, level: Level) -> pd.DataFrame:
        """The executions of one level: phase spans or activity rows."""
        return self.phases if level == "phase" else self.activities

    def labels(self, level: Level) -> pd.DataFrame:
        """Label code -> ``phase_id`` (and ``activity_id``), in flow order."""
        if level == "phase":
            return pd.DataFrame(
                {"phase_id": self.phase_ids[self.phase_order]}, index=self.phase_order
            )
        order = self.activity_order
        return pd.DataFrame(
            {
                "phase_id": self.phase_ids[self.activity_phase[order]],
                "activity_id": self.activity_ids[order],
            },
            index=order,
        )


def resolve(
    data: Any,
    blueprint: BlueprintLike | None = None,
    hotfix_phases: Collection[str] | None = None,
) -> tuple[pd.DataFrame, PreparedLog, BlueprintLike | None, Collection[str] | None]:
    """The frame, prepared tables, blueprint and hotfix phases an analysis works with.

    ``data`` is an event log (prepared here) or a :class:`~phasesim.analysis.History`
    (prepared once, shared); a History's blueprint and hotfix phases stand in for the
    ones not given.
    """
    from phasesim.analysis.history import History

    if isinstance(data, History):
        return (data.log, data.prepared, blueprint if blueprint is not None else
                data.blueprint, hotfix_phases if hotfix_phases is not None else
                data.hotfix_phases)
    return data, prepare(data), blueprint, hotfix_phases


def timestamps(ns: npt.ArrayLike) -> pd.Series:
    """Int64 nanoseconds (NAT for missing) -> a tz-aware UTC Series."""
    values = np.asarray(ns, dtype=np.int64)
    return pd.Series(values.view("M8[ns]")).dt.tz_localize("UTC")


def hotfix_codes(prepared: PreparedLog, hotfix_phases: Collection[str] | None) -> IntArray:
    """Codes of the phases that are hotfixes or rollbacks."""
    ids = prepared.phase_ids
    if hotfix_phases is None:
        mask = np.array([bool(HOTFIX_PATTERN.search(str(p))) for p in ids], dtype=bool)
    else:
        wanted = {str(p) for p in hotfix_phases}
        mask = np.array([str(p) in wanted for p in ids], dtype=bool)
    return np.flatnonzero(mask).astype(np.int64)


def hotfix_only(prepared: PreparedLog, hotfix_phases: Collection[str] | None) -> BoolArray:
    """Per release code: every phase of the release is a hotfix or rollback phase."""
    phases = prepared.phases
    n_rel = len(prepared.releases)
    rel = phases["rel"].to_numpy(dtype=np.int64)
    is_hotfix = np.isin(phases["phase"].to_numpy(), hotfix_codes(prepared, hotfix_phases))
    n_phases = np.bincount(rel, minlength=n_rel)
    n_hotfix = np.bincount(rel, weights=is_hotfix, minlength=n_rel)
    return np.asarray((n_phases > 0) & (n_hotfix == n_phases), dtype=bool)


def _ns(frame: pd.DataFrame, column: str, mask: BoolArray | None = None) -> IntArray:
    """A timestamp column as int64 nanoseconds since the epoch (UTC); NAT where missing."""
    n = len(frame) if mask is None else int(mask.sum())
    if column not in frame.columns:
        return np.full(n, NAT, dtype=np.int64)
    values = frame[column]
    if mask is not None and not mask.all():
        values = values.loc[mask]
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        try:
            values = pd.to_datetime(values, utc=True)
        except (TypeError, ValueError) as exc:
            raise LogError(
                [
                    Problem(
                        f"column {column!r} is not a timestamp: {exc}",
                        hint="read the log with phasesim.read_log",
                    )
                ]
            ) from exc
    if values.dt.unit != "ns":
        values = values.dt.as_unit("ns")
    return np.asarray(values.array.asi8, dtype=np.int64)


def _codes(values: pd.Series) -> tuple[IntArray, npt.NDArray[np.object_]]:
    """Integer codes (-1 for missing) and the sorted distinct values, as text."""
    codes, uniques = pd.factorize(values, sort=True)
    names = pd.Series(uniques).astype(str).to_numpy(dtype=object)
    return np.asarray(codes, dtype=np.int64), names


def _check(log: pd.DataFrame) -> None:
    if not isinstance(log, pd.DataFrame):
        raise LogError(
            [Problem(f"expected an event log (a pandas DataFrame), got {type(log).__name__}")]
        )
    missing = [c for c in ("release_id", "phase_id", "start", "end") if c not in log.columns]
    if missing:
        raise LogError(
            [
                Problem(
                    f"the event log lacks column(s) {', '.join(missing)}",
                    hint="read files with phasesim.read_log, or check with validate_log",
                )
            ]
        )


def _last_per_group(key: IntArray, *sort_keys: IntArray) -> tuple[IntArray, IntArray]:
    """Index of the last row of each key when rows are sorted by ``sort_keys`` within it."""
    order = np.lexsort((*reversed(sort_keys), key))
    k = key[order]
    last = np.r_[k[1:] != k[:-1], True] if len(k) else np.zeros(0, dtype=bool)
    return k[last], order[last]


#: Columns of a span table, besides ``key``.
_SPAN_COLUMNS = (
    "timed",
    "start_ns",
    "end_ns",
    "ready_ns",
    "planned_start_ns",
    "planned_end_ns",
    "open",
    "failed",
    "retried",
    "reworked",
    "n_rows",
    "status",
)


def _span_table(key: IntArray, rows: dict[str, npt.NDArray[Any]]) -> pd.DataFrame:
    """Reduce rows to one span per key: min start, max end, any flags, final status.

    One sort by (key, end, start) and ``reduceat``: the last row of each key is the one
    that ended last, whose status is the span's.
    """
    if len(key) == 0:
        return pd.DataFrame({c: np.zeros(0, np.int64) for c in _SPAN_COLUMNS}).rename_axis("key")
    start = rows["start_ns"]
    end = rows["end_ns"]
    order = np.lexsort((start, end, key))
    k = key[order]
    first = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    last = np.r_[first[1:] - 1, len(k) - 1]

    def low(values: IntArray) -> IntArray:
        out = np.minimum.reduceat(np.where(values == NAT, _MAX, values)[order], first)
        return np.where(out == _MAX, NAT, out)

    def high(values: IntArray) -> IntArray:
        return np.maximum.reduceat(values[order], first)

    def anyof(values: BoolArray) -> BoolArray:
        return np.logical_or.reduceat(values[order], first)

    is_open = anyof(rows["open"])
    status = rows["status"][order][last]
    # rows that never started (``never_started``) give no time where the span has others
    timed_rows = rows["timed"]
    timed = anyof(timed_rows)
    start_all = np.minimum.reduceat(start[order], first)
    start_timed = np.minimum.reduceat(np.where(timed_rows, start, _MAX)[order], first)
    end_timed = high(np.where(timed_rows, end, NAT))
    spans = pd.DataFrame(
        {
            "timed": timed,
            "start_ns": np.where(timed, start_timed, start_all),
            "end_ns": np.where(is_open, NAT, np.where(timed, end_timed, high(end))),
            "ready_ns": low(rows["ready_ns"]),
            "planned_start_ns": low(rows["planned_start_ns"]),
            "planned_end_ns": high(rows["planned_end_ns"]),
            "open": is_open,
            "failed": anyof(rows["failed"]),
            "retried": anyof(rows["retried"]),
            "reworked": anyof(rows["reworked"]),
            "n_rows": np.diff(np.r_[first, len(k)]),
            "status": np.where(is_open, IN_PROGRESS, status).astype(np.int8),
        },
        index=pd.Index(k[first], name="key"),
    )
    return spans


def _flow_order(
    labels: IntArray, offsets: npt.NDArray[np.float64], names: npt.NDArray[np.object_]
) -> IntArray:
    """Label codes sorted by their median start offset in the release, then by name."""
    median = (
        pd.Series(offsets).groupby(labels).median().reindex(range(len(names))).to_numpy(dtype=float)
    )
    median = np.where(np.isnan(median), np.inf, median)
    return np.lexsort((names.astype(str), median)).astype(np.int64)


def prepare(log: pd.DataFrame) -> PreparedLog:
    """Build the release, phase-span and activity tables of an event log.

    Parameters
    ----------
    log : pandas.DataFrame
        An event log in the canonical schema (see ``ARCHITECTURE.md``). Only
        ``release_id``, ``phase_id``, ``start`` and ``end`` are required here; ``run``
        defaults to 0, ``status`` to succeeded (in_progress without an end), ``attempt``
        to 1, the other times to NaT.

    Returns
    -------
    PreparedLog
    """
    _check(log)
    keep = log["release_id"].notna().to_numpy() & log["phase_id"].notna().to_numpy()
    if not keep.all():
        log = log.loc[keep]
    n = len(log)
    run = (
        log["run"].to_numpy(dtype=np.int64, na_value=0)
        if "run" in log.columns
        else np.zeros(n, dtype=np.int64)
    )
    start = _ns(log, "start")
    end = _ns(log, "end")
    status = _status_codes(log, end)
    attempt = (
        log["attempt"].to_numpy(dtype=np.int64, na_value=1)
        if "attempt" in log.columns
        else np.ones(n, dtype=np.int64)
    )

    rid_codes, rid_names = _codes(log["release_id"])
    rel_key = run * max(len(rid_names), 1) + rid_codes
    rel_codes, rel_uniques = pd.factorize(rel_key, sort=True)
    rel = np.asarray(rel_codes, dtype=np.int64)
    rel_keys = np.asarray(rel_uniques, dtype=np.int64)
    ph, phase_ids = _codes(log["phase_id"])
    if "activity_id" in log.columns:
        act_raw, act_names = _codes(log["activity_id"])
    else:
        act_raw, act_names = np.full(n, -1, dtype=np.int64), np.array([], dtype=object)
    has_act = act_raw >= 0
    width = len(act_names) + 1
    act_codes, pair_uniques = pd.factorize(ph[has_act] * width + act_raw[has_act], sort=True)
    act = np.full(n, -1, dtype=np.int64)
    act[has_act] = act_codes
    pairs = np.asarray(pair_uniques, dtype=np.int64)
    activity_phase = pairs // width
    activity_ids = act_names[pairs % width]

    skipped = status == SKIPPED
    is_open = ((end == NAT) & ~skipped) | (status == IN_PROGRESS)
    end = np.where(is_open, NAT, end)
    failed = np.isin(status, FAILURE_CODES)
    retried, reworked = _retries(rel, ph, act, attempt, start, status, len(phase_ids), width)

    n_rel = len(rel_keys)
    rel_open = np.bincount(rel, weights=is_open, minlength=n_rel) > 0
    item = (start != NAT) & ~skipped
    if not item.all():
        rel, ph, act, attempt, start, end = (x[item] for x in (rel, ph, act, attempt, start, end))
        status, is_open, failed, retried, reworked = (
            x[item] for x in (status, is_open, failed, retried, reworked)
        )
    timed = (
        ~log["never_started"].fillna(False).to_numpy(dtype=bool)
        if "never_started" in log.columns
        else np.ones(len(log), dtype=bool)
    )
    if not item.all():
        timed = timed[item]
    rows: dict[str, npt.NDArray[Any]] = {
        "timed": timed,
        "start_ns": start,
        "end_ns": end,
        "ready_ns": _ns(log, "ready", item),
        "planned_start_ns": _ns(log, "planned_start", item),
        "planned_end_ns": _ns(log, "planned_end", item),
        "open": is_open,
        "failed": failed,
        "retried": retried,
        "reworked": reworked,
        "status": status,
    }

    n_ph = len(phase_ids)
    is_act = act >= 0
    soak, approval, anchor_h = _designed_columns(log, item)
    activities = pd.DataFrame(
        {
            "rel": rel[is_act],
            "phase": ph[is_act],
            "activity": act[is_act],
            "attempt": attempt[is_act],
            **{c: v[is_act] for c, v in rows.items()},
            "soak": soak[is_act],
            "approval": approval[is_act],
            "anchor_h": anchor_h[is_act],
        }
    )
    from_act = _span_table(rel[is_act] * n_ph + ph[is_act], {c: v[is_act] for c, v in rows.items()})
    is_ph = ~is_act
    from_phase = _span_table(rel[is_ph] * n_ph + ph[is_ph], {c: v[is_ph] for c, v in rows.items()})
    # a phase row beside activity rows (a job and its steps) gives the times to the
    # activities but keeps its own outcome: a job concluded failure with succeeded
    # steps failed; a job still running whose steps all ended is not finished
    own = from_phase.index.intersection(from_act.index)
    if len(own):
        mine = from_phase.loc[own]
        still_open = from_act.loc[own, "open"].to_numpy() | mine["open"].to_numpy()
        from_act.loc[own, "open"] = still_open
        from_act.loc[own, "failed"] = (
            from_act.loc[own, "failed"].to_numpy() | mine["failed"].to_numpy()
        )
        from_act.loc[own, "status"] = np.where(
            still_open, IN_PROGRESS, mine["status"].to_numpy()
        ).astype(np.int8)
        from_act.loc[own, "end_ns"] = np.where(
            still_open, NAT, from_act.loc[own, "end_ns"].to_numpy()
        )
    from_phase = from_phase.loc[~from_phase.index.isin(from_act.index)]
    from_act["from_activities"] = True
    from_phase["from_activities"] = False
    spans = pd.concat([from_act, from_phase]) if len(from_phase) else from_act
    spans = spans.sort_index()
    key = spans.index.to_numpy(dtype=np.int64)
    spans.insert(0, "rel", key // n_ph)
    spans.insert(1, "phase", key % n_ph)
    phases = spans.reset_index(drop=True)

    releases = _release_table(phases, rel_keys, rid_names, rel_open)
    rel_start = releases["start_ns"].to_numpy()

    # flow order from releases with more than one phase: an ad-hoc release made of one
    # phase says nothing about where that phase sits in the flow
    ph_rel = phases["rel"].to_numpy()
    ph_offset = (phases["start_ns"].to_numpy() - rel_start[ph_rel]) / NS_PER_HOUR
    multi = np.bincount(ph_rel, minlength=len(releases))[ph_rel] > 1
    ph_offset = np.where(multi, ph_offset, np.nan)
    phase_order = _flow_order(phases["phase"].to_numpy(), ph_offset, phase_ids)
    rank = np.empty(n_ph, dtype=np.int64)
    rank[phase_order] = np.arange(n_ph)
    act_offset = (
        activities["start_ns"].to_numpy() - rel_start[activities["rel"].to_numpy()]
    ) / NS_PER_HOUR
    n_act = len(activity_ids)
    act_median = (
        pd.Series(act_offset)
        .groupby(activities["activity"].to_numpy())
        .median()
        .reindex(range(n_act))
        .to_numpy(dtype=float)
    )
    act_median = np.where(np.isnan(act_median), np.inf, act_median)
    activity_order = np.lexsort(
        (activity_ids.astype(str), act_median, rank[activity_phase])
    ).astype(np.int64)
    return PreparedLog(
        releases=releases,
        phases=phases,
        activities=activities,
        phase_ids=phase_ids,
        activity_phase=activity_phase.astype(np.int64),
        activity_ids=activity_ids,
        phase_order=phase_order,
        activity_order=activity_order,
    )


def _designed_columns(
    log: pd.DataFrame, item: BoolArray
) -> tuple[BoolArray, BoolArray, Any]:
    """Per kept row: whether it is a ``wait`` activity (a soak: designed time), whether it
    is an approval (its time is an avoidable wait), and the
    designed wait before it where the log says (a simulated log's ``wait_anchor_h`` plus
    ``wait_freeze_h``; NaN where the log does not say). See :mod:`phasesim.attribution`."""
    kept = log.loc[item] if not item.all() else log
    n = len(kept)
    if "activity_type" in kept.columns:
        kind = kept["activity_type"].astype("string").str.lower()
        soak = (kind == "wait").to_numpy(dtype=bool, na_value=False)
        approval = (kind == "approval").to_numpy(dtype=bool, na_value=False)
    else:
        soak = approval = np.zeros(n, dtype=bool)
    anchor = np.full(n, np.nan)
    if "wait_anchor_h" in kept.columns:
        anchor = kept["wait_anchor_h"].to_numpy(dtype=float, na_value=np.nan)
        if "wait_freeze_h" in kept.columns:
            anchor = anchor + kept["wait_freeze_h"].to_numpy(dtype=float, na_value=0.0)
    return soak, approval, anchor


def _status_codes(log: pd.DataFrame, end: IntArray) -> npt.NDArray[np.int8]:
    """Status as small integer codes (see ``STATUS_NAMES``); missing ones from ``end``."""
    derived = np.where(end == NAT, IN_PROGRESS, SUCCEEDED).astype(np.int8)
    if "status" not in log.columns:
        return derived
    codes, uniques = pd.factorize(log["status"])
    lookup = {name: i for i, name in enumerate(STATUS_NAMES)}
    mapped = np.array(
        [lookup.get(str(u).strip().lower(), SUCCEEDED) for u in uniques] + [-1], dtype=np.int8
    )
    out = mapped[np.asarray(codes)]
    return np.where(out < 0, derived, out).astype(np.int8)


def _retries(
    rel: IntArray,
    ph: IntArray,
    act: IntArray,
    attempt: IntArray,
    start: IntArray,
    status: npt.NDArray[np.int8],
    n_ph: int,
    width: int,
) -> tuple[BoolArray, BoolArray]:
    """A retry follows a failed attempt of the same activity (or phase); rework repeats
    an attempt that had succeeded."""
    n = len(rel)
    again = attempt > 1
    if not again.any():
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    grp = (rel * n_ph + ph) * (width + 1) + (act + 1)
    order = np.lexsort((start, attempt, grp))
    g = grp[order]
    same = np.r_[False, g[1:] == g[:-1]]
    prev_ok = np.r_[False, status[order][:-1] == SUCCEEDED] & same
    retried = np.empty(n, dtype=bool)
    reworked = np.empty(n, dtype=bool)
    retried[order] = again[order] & ~prev_ok
    reworked[order] = again[order] & prev_ok
    return retried, reworked


def _release_table(
    phases: pd.DataFrame,
    rel_keys: IntArray,
    rid_names: npt.NDArray[np.object_],
    rel_open: BoolArray,
) -> pd.DataFrame:
    n_rel = len(rel_keys)
    n_ids = max(len(rid_names), 1)
    rel = phases["rel"].to_numpy()
    start = np.full(n_rel, _MAX, dtype=np.int64)
    np.minimum.at(start, rel, phases["start_ns"].to_numpy())
    start[start == _MAX] = NAT
    end = np.full(n_rel, NAT, dtype=np.int64)
    np.maximum.at(end, rel, phases["end_ns"].to_numpy())
    is_open = rel_open.copy()
    end[is_open | (start == NAT)] = NAT
    status = np.full(n_rel, "skipped", dtype=object)
    keys, last = _last_per_group(rel, phases["end_ns"].to_numpy(), phases["start_ns"].to_numpy())
    status[keys] = STATUS_NAMES[phases["status"].to_numpy()[last]]
    status[is_open] = "in_progress"
    failures = np.bincount(rel, weights=phases["failed"].to_numpy(), minlength=n_rel)
    lead = np.where(is_open | (start == NAT), np.nan, (end - start) / NS_PER_HOUR)
    return pd.DataFrame(
        {
            "run": rel_keys // n_ids,
            "release_id": rid_names[rel_keys % n_ids] if len(rid_names) else [],
            "start_ns": start,
            "end_ns": end,
            "lead_time_h": lead,
            "status": status,
            "open": is_open,
            "failed_phases": failures.astype(np.int64),
        }
    )
