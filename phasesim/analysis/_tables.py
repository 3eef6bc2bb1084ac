"""Small helpers shared by the analysis modules (private)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from phasesim.analysis._precedence import SOURCE_BLUEPRINT, SOURCE_LOG, precedence
from phasesim.analysis._prepare import (
    NAT,
    NS_PER_HOUR,
    BlueprintLike,
    Level,
    PreparedLog,
)

__all__ = ["READY_SOURCES", "hours", "label_columns", "release_columns", "waits"]

#: Where ``ready`` came from, by the code in the ``ready_source`` column of :func:`waits`.
READY_SOURCES = np.array(["log", "blueprint", "previous", "release_start"], dtype=object)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def hours(later: IntArray, earlier: IntArray) -> FloatArray:
    """``later - earlier`` in hours; NaN where either is NaT."""
    missing = (later == NAT) | (earlier == NAT)
    diff = np.where(missing, 0, later - earlier).astype(np.float64) / NS_PER_HOUR
    return np.where(missing, np.nan, diff)


def release_columns(prepared: PreparedLog, rel: IntArray) -> pd.DataFrame:
    """``run`` and ``release_id`` of the given release codes."""
    releases = prepared.releases
    return pd.DataFrame(
        {
            "run": releases["run"].to_numpy()[rel],
            "release_id": pd.array(releases["release_id"].to_numpy()[rel], dtype="string"),
        }
    )


def label_columns(prepared: PreparedLog, level: Level, codes: IntArray) -> pd.DataFrame:
    """``phase_id`` (and ``activity_id`` at the activity level) of label codes."""
    if level == "phase":
        return pd.DataFrame({"phase_id": pd.array(prepared.phase_ids[codes], dtype="string")})
    return pd.DataFrame(
        {
            "phase_id": pd.array(
                prepared.phase_ids[prepared.activity_phase[codes]], dtype="string"
            ),
            "activity_id": pd.array(prepared.activity_ids[codes], dtype="string"),
        }
    )


def waits(
    prepared: PreparedLog, level: Level, blueprint: BlueprintLike | None = None
) -> pd.DataFrame:
    """When each execution became ready, how, and how long it waited and worked.

    ``ready`` is the log's own where it has one; else the end of the dependency that
    finished last (blueprint); else the end of the execution that finished last before
    it started (previous); else the start of the release. ``ready_source`` is a code
    into :data:`READY_SOURCES`.
    """
    items = prepared.items(level)
    prec = precedence(prepared, level, blueprint)
    rel = items["rel"].to_numpy(dtype=np.int64)
    start = items["start_ns"].to_numpy(dtype=np.int64)
    end = items["end_ns"].to_numpy(dtype=np.int64)
    logged = items["ready_ns"].to_numpy(dtype=np.int64)
    rel_start = prepared.releases["start_ns"].to_numpy(dtype=np.int64)[rel]
    pred_end = np.where(prec.pred >= 0, end[np.maximum(prec.pred, 0)], rel_start)
    has_log = logged != NAT
    ready = np.where(has_log, logged, pred_end)
    source = np.select(
        [has_log, prec.source == SOURCE_BLUEPRINT, prec.source == SOURCE_LOG], [0, 1, 2], default=3
    ).astype(np.int8)
    return pd.DataFrame(
        {
            "ready_ns": ready,
            "ready_source": source,
            "wait_h": np.clip(hours(start, ready), 0.0, None),
            "work_h": hours(end, start),
        }
    )


#: Offset aliases that pandas periods spell differently.
_PERIOD_ALIASES = {
    "MS": "M",
    "ME": "M",
    "QS": "Q",
    "QE": "Q",
    "YS": "Y",
    "YE": "Y",
    "AS": "Y",
    "A": "Y",
    "BMS": "M",
    "BME": "M",
    "SMS": "M",
}


def period_alias(freq: str) -> str:
    """The pandas period alias for an offset alias such as ``"MS"`` or ``"W"``."""
    head, sep, anchor = freq.partition("-")
    mapped = _PERIOD_ALIASES.get(head.upper())
    if mapped is None:
        return freq
    if mapped == "M":
        return mapped
    return mapped + (sep + anchor if anchor else "")


def periods(ns: IntArray, freq: str) -> tuple[pd.PeriodIndex, pd.PeriodIndex]:
    """The period of each time (UTC) and every period from the first to the last.

    NaT times get NaT periods. ``freq`` is an offset alias (``"MS"``, ``"W"``, ``"QS"``,
    ``"D"`` ...).
    """
    alias = period_alias(freq)
    naive = pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("M8[ns]"))
    try:
        per = naive.to_period(alias)
    except ValueError as exc:
        from phasesim.errors import LogError, Problem

        raise LogError(
            [Problem(f"unknown period frequency {freq!r}: {exc}", hint='try "MS", "W" or "QS"')]
        ) from exc
    known = per[~np.asarray(per.isna(), dtype=bool)]
    if len(known) == 0:
        return per, pd.PeriodIndex([], freq=per.freq)
    full = pd.period_range(known.min(), known.max(), freq=per.freq)
    return per, full


def period_start(per: pd.PeriodIndex) -> pd.Series:
    """The UTC start timestamp of each period."""
    return pd.Series(per.start_time).dt.tz_localize("UTC")
