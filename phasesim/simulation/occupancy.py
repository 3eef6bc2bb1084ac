"""Busy share and queue length of shared resources, from their hold intervals.

The time integral of "members busy" up to ``t`` is ``sum over holds of the part of
[granted, released] before t``; with the holds' grant and release times sorted, it is
``n_g(t) t - S_g(t) - (n_r(t) t - S_r(t))`` (counts and sums of grant and release times
before ``t``): a ``searchsorted`` per period edge, however many holds there are. Waiting
(``[requested, granted]``) is integrated the same way; its time average is the mean queue
length (Little's law).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["integral_at", "utilization_table"]


def integral_at(starts: np.ndarray, ends: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``sum_i |[starts_i, ends_i] ∩ (-inf, t]|`` for every ``t`` (all float hours)."""
    s = np.sort(starts)
    e = np.sort(ends)
    cs = np.concatenate([[0.0], np.cumsum(s)])
    ce = np.concatenate([[0.0], np.cumsum(e)])
    ns = np.searchsorted(s, t, side="right")
    ne = np.searchsorted(e, t, side="right")
    return (ns * t - cs[ns]) - (ne * t - ce[ne])


def _hours(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype="datetime64[ns]").astype("int64") / 3.6e12


def utilization_table(usage: pd.DataFrame, capacity: Mapping[tuple[str, str], int], *,
                      freq: str | None = None) -> pd.DataFrame:
    """Per resource (and period): busy share, mean queue length, mean and P95 wait."""
    if usage.empty:
        return pd.DataFrame(columns=["kind", "resource", "capacity", "busy_share",
                                     "queue_mean", "wait_mean_h", "wait_p95_h", "holds"])
    released = usage["released"].fillna(usage["granted"])
    lo = _hours(usage["requested"]).min()
    hi = _hours(released).max()
    n_runs = usage["run"].nunique()
    if freq is None:
        edges = np.array([lo, hi])
        labels: Sequence[pd.Timestamp | str] = ["all"]
    else:
        start = pd.Timestamp(lo * 3.6e12, unit="ns", tz="UTC").floor("D")
        stamps = list(pd.date_range(start, pd.Timestamp(hi * 3.6e12, unit="ns", tz="UTC"),
                                    freq=freq))
        if not stamps or stamps[0] > start:
            stamps.insert(0, start)
        stamps.append(stamps[-1] + pd.tseries.frequencies.to_offset(freq))
        edges = _hours(pd.Series(stamps))
        labels = stamps[:-1]
    rows = []
    for (kind, name), group in usage.groupby(["kind", "resource"], sort=True):
        cap = capacity.get((str(kind), str(name)), 1)
        g = _hours(group["granted"])
        r = _hours(group["released"].fillna(group["granted"]))
        q = _hours(group["requested"])
        busy = np.diff(integral_at(g, r, edges))
        waiting = np.diff(integral_at(q, g, edges))
        length = np.diff(edges) * n_runs
        for i, label in enumerate(labels):
            in_period = (q >= edges[i]) & (q < edges[i + 1]) if freq else np.ones(
                len(q), dtype=bool)
            waits = (g - q)[in_period]
            rows.append({
                "kind": kind, "resource": name, "period": label, "capacity": cap,
                "busy_share": busy[i] / (cap * length[i]) if length[i] > 0 else np.nan,
                "queue_mean": waiting[i] / length[i] if length[i] > 0 else np.nan,
                "wait_mean_h": float(waits.mean()) if len(waits) else np.nan,
                "wait_p95_h": float(np.quantile(waits, 0.95)) if len(waits) else np.nan,
                "holds": int(in_period.sum()),
            })
    out = pd.DataFrame(rows)
    if freq is None:
        out = out.drop(columns="period")
        return out.set_index(["kind", "resource"])
    return out.set_index(["kind", "resource", "period"])
