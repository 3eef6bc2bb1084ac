"""How release history changes over time: phase trends and delivery metrics per period.

Periods are calendar periods in UTC named by an offset alias (``"MS"`` months, ``"W"``
weeks, ``"QS"`` quarters, ``"D"`` days); every period from the first to the last appears,
empty ones included, so gaps show.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from phasesim.analysis._prepare import (
    FAILURE_STATUSES,
    NAT,
    BlueprintLike,
    Level,
    hotfix_codes,
    hotfix_only,
    resolve,
)
from phasesim.analysis._tables import hours, label_columns, period_start, periods
from phasesim.analysis.bottlenecks import per_phase, shared_walk, walk_level

if TYPE_CHECKING:
    from phasesim.analysis.history import History

__all__ = ["delivery_metrics", "trends"]

IntArray = npt.NDArray[np.int64]


def trends(
    log: pd.DataFrame | History,
    freq: str = "MS",
    *,
    blueprint: BlueprintLike | None = None,
    level: Level = "phase",
    hotfix_phases: Collection[str] | None = None,
) -> pd.DataFrame:
    """Per period, each phase's duration and critical share, and where the top one changed.

    Releases belong to the period of their start; the runs of a simulated log are pooled.

    Parameters
    ----------
    log : pandas.DataFrame or History
        An event log (canonical schema), or a :class:`~phasesim.analysis.History` of one.
    freq : str, default "MS"
        Period: an offset alias such as ``"MS"``, ``"W"``, ``"QS"``.
    blueprint : Blueprint, optional
        Dependencies for the critical path (see :func:`bottlenecks`).
    level : {"phase", "activity"}, default "phase"
        Phases or activities.
    hotfix_phases : collection of str, optional
        As for :func:`bottlenecks`: releases made only of hotfix phases are left out of
        the critical shares.

    Returns
    -------
    pandas.DataFrame
        One row per period and phase (or activity) that ran in the period, in time and
        flow order: ``period`` (UTC start), ``phase_id`` (``activity_id``), ``count``
        (completed executions), ``median_h``, ``p90_h``, ``critical_share`` (mean share
        of the lead time on the critical path, over the period's completed releases),
        ``top`` (the largest critical share of the period) and ``top_changed`` (the top
        differs from the previous period's that had one).

    Examples
    --------
    >>> import pandas as pd
    >>> from phasesim.analysis import trends
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> log = pd.DataFrame({
    ...     "release_id": ["jan", "jan", "feb", "feb"],
    ...     "phase_id": ["qa", "prod", "qa", "prod"],
    ...     "start": t("2026-01-05 00:00", "2026-01-05 03:00",
    ...                "2026-02-02 00:00", "2026-02-02 01:00"),
    ...     "end": t("2026-01-05 03:00", "2026-01-05 04:00",
    ...              "2026-02-02 01:00", "2026-02-02 04:00")})
    >>> out = trends(log)
    >>> out["month"] = out["period"].dt.strftime("%Y-%m")
    >>> out[["month", "phase_id", "median_h", "critical_share", "top", "top_changed"]]
         month phase_id  median_h  critical_share    top  top_changed
    0  2026-01       qa       3.0            0.75   True        False
    1  2026-01     prod       1.0            0.25  False        False
    2  2026-02       qa       1.0            0.25  False        False
    3  2026-02     prod       3.0            0.75   True         True
    """
    frame_in, prepared, blueprint, hotfix_phases = resolve(log, blueprint, hotfix_phases)
    items = prepared.items(level)
    label = items["phase" if level == "phase" else "activity"].to_numpy(dtype=np.int64)
    rel_start = prepared.releases["start_ns"].to_numpy(dtype=np.int64)
    rel_period, full = periods(rel_start, freq)
    n_per = len(full)
    cols = ["period", *label_columns(prepared, level, np.zeros(0, np.int64)).columns]
    cols += ["count", "median_h", "p90_h", "critical_share", "top", "top_changed"]
    if n_per == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    per_code = np.asarray(full.get_indexer(rel_period), dtype=np.int64)

    closed = items["end_ns"].to_numpy() != NAT
    rel = items["rel"].to_numpy(dtype=np.int64)
    dur = hours(
        items["end_ns"].to_numpy(dtype=np.int64), items["start_ns"].to_numpy(dtype=np.int64)
    )
    frame = pd.DataFrame(
        {"period": per_code[rel[closed]], "label": label[closed], "duration": dur[closed]}
    )
    g = frame.groupby(["period", "label"], sort=True)["duration"]
    table = pd.DataFrame({"count": g.size(), "median_h": g.median(), "p90_h": g.quantile(0.9)})

    walk = walk_level(frame_in, blueprint, level)
    contrib = shared_walk(log, prepared, walk, blueprint, hotfix_phases)
    usable = contrib.lead > 0
    critical = contrib.critical[usable]
    if walk != level:  # phases were assumed: each activity's hours go to its phase
        critical = per_phase(prepared, critical)
    share = critical / contrib.lead[usable][:, None]
    mean_share = (
        pd.DataFrame(share).groupby(per_code[contrib.rel[usable]]).mean().reindex(range(n_per))
    ).to_numpy(dtype=float)
    table = table.reset_index()
    if mean_share.shape[1]:
        table["critical_share"] = mean_share[
            table["period"].to_numpy(dtype=np.int64), table["label"].to_numpy(dtype=np.int64)
        ]
    else:
        table["critical_share"] = np.nan

    flow = prepared.labels(level).index.to_numpy(dtype=np.int64)
    flow_pos = np.empty(max(int(flow.max(initial=-1)) + 1, 0), dtype=np.int64)
    flow_pos[flow] = np.arange(len(flow))
    table = table.iloc[
        np.lexsort((flow_pos[table["label"].to_numpy(dtype=np.int64)], table["period"].to_numpy()))
    ].reset_index(drop=True)

    cs = table["critical_share"].to_numpy(dtype=float)
    has_share = ~np.isnan(cs)
    top = np.zeros(len(table), dtype=bool)
    if has_share.any():
        best = table.loc[has_share].groupby("period")["critical_share"].idxmax()
        top[best.to_numpy(dtype=np.int64)] = True
    top_rows = table.loc[top, ["period", "label"]]
    previous = top_rows["label"].shift(1)
    changed = (top_rows["label"] != previous) & previous.notna()
    top_changed = np.zeros(len(table), dtype=bool)
    top_changed[top_rows.index[changed.to_numpy()]] = True

    per_idx = table["period"].to_numpy(dtype=np.int64)
    out = pd.DataFrame({"period": period_start(full[per_idx])})
    out = pd.concat(
        [out, label_columns(prepared, level, table["label"].to_numpy(dtype=np.int64))], axis=1
    )
    out["count"] = table["count"].to_numpy(dtype=np.int64)
    out["median_h"] = table["median_h"].to_numpy(dtype=float)
    out["p90_h"] = table["p90_h"].to_numpy(dtype=float)
    out["critical_share"] = cs
    out["top"] = top
    out["top_changed"] = top_changed
    return out


def delivery_metrics(
    log: pd.DataFrame | History,
    freq: str = "MS",
    *,
    hotfix_phases: Collection[str] | None = None,
) -> pd.DataFrame:
    """Release frequency, lead time, change failure rate and time to restore per period.

    Completed releases belong to the period of their end. A *hotfix release* is one whose
    phases are all hotfix or rollback phases; the others are regular releases.

    - ``releases``: regular releases completed; ``releases_per_week`` the same per 7 days
      of the period.
    - lead time (median and 90th percentile) of the regular releases.
    - ``change_failures``: regular releases that ended failed, rejected or aborted, or that
      ran a hotfix or rollback phase; ``change_failure_rate`` their share.
    - time to restore: in a release with a hotfix phase, from the end of the failed phase
      it followed (or from its own start, if no phase before it failed) to the end of the
      hotfix; for a hotfix release, its lead time.

    Parameters
    ----------
    log : pandas.DataFrame or History
        An event log (canonical schema), or a :class:`~phasesim.analysis.History` of one.
    freq : str, default "MS"
        Period: an offset alias such as ``"MS"``, ``"W"``, ``"QS"``.
    hotfix_phases : collection of str, optional
        Phase ids that are hotfixes or rollbacks; by default those whose id contains
        ``hotfix``, ``rollback`` or ``revert``.

    Returns
    -------
    pandas.DataFrame
        One row per run and period: ``run``, ``period`` (UTC start), ``days``,
        ``releases``, ``releases_per_week``, ``lead_time_median_h``, ``lead_time_p90_h``,
        ``change_failures``, ``change_failure_rate``, ``hotfix_releases``, ``restores``,
        ``time_to_restore_median_h``.

    Examples
    --------
    >>> import pandas as pd
    >>> from phasesim.analysis import delivery_metrics
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> log = pd.DataFrame({
    ...     "release_id": ["r1", "r2", "r2"], "phase_id": ["prod", "prod", "hotfix"],
    ...     "status": ["succeeded", "failed", "succeeded"],
    ...     "start": t("2026-01-05 00:00", "2026-01-12 00:00", "2026-01-12 03:00"),
    ...     "end": t("2026-01-05 02:00", "2026-01-12 02:00", "2026-01-12 05:00")})
    >>> m = delivery_metrics(log)
    >>> m[["releases", "lead_time_median_h", "change_failure_rate", "time_to_restore_median_h"]]
       releases  lead_time_median_h  change_failure_rate  time_to_restore_median_h
    0         2                 3.5                  0.5                       3.0
    """
    _, prepared, _, hotfix_phases = resolve(log, None, hotfix_phases)
    releases = prepared.releases
    phases = prepared.phases
    n_rel = len(releases)
    rel = phases["rel"].to_numpy(dtype=np.int64)
    is_hotfix = np.isin(phases["phase"].to_numpy(), hotfix_codes(prepared, hotfix_phases))
    hotfix_release = hotfix_only(prepared, hotfix_phases)
    has_hotfix = (np.bincount(rel, weights=is_hotfix, minlength=n_rel) > 0) & ~hotfix_release

    completed = ~releases["open"].to_numpy(dtype=bool) & (releases["start_ns"].to_numpy() != NAT)
    status = releases["status"].to_numpy(dtype=object)
    failed_end = np.isin(status, FAILURE_STATUSES)
    change_failure = ~hotfix_release & (failed_end | has_hotfix)
    lead = releases["lead_time_h"].to_numpy(dtype=float)

    restore = np.full(n_rel, np.nan)
    restore[hotfix_release] = lead[hotfix_release]
    restore[has_hotfix] = _in_release_restore(phases, is_hotfix, n_rel)[has_hotfix]

    end = releases["end_ns"].to_numpy(dtype=np.int64)
    per, full = periods(np.where(completed, end, NAT), freq)
    columns = [
        "run",
        "period",
        "days",
        "releases",
        "releases_per_week",
        "lead_time_median_h",
        "lead_time_p90_h",
        "change_failures",
        "change_failure_rate",
        "hotfix_releases",
        "restores",
        "time_to_restore_median_h",
    ]
    if len(full) == 0:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
    code = np.asarray(full.get_indexer(per), dtype=np.int64)
    run = releases["run"].to_numpy(dtype=np.int64)
    regular = completed & ~hotfix_release
    frame = pd.DataFrame(
        {
            "run": run[completed],
            "period": code[completed],
            "regular": regular[completed],
            "lead": np.where(regular, lead, np.nan)[completed],
            "failure": (change_failure & regular)[completed],
            "hotfix_release": hotfix_release[completed],
            "restore": restore[completed],
        }
    )
    g = frame.groupby(["run", "period"], sort=True)
    table = g.agg(
        releases=("regular", "sum"),
        lead_time_median_h=("lead", "median"),
        change_failures=("failure", "sum"),
        hotfix_releases=("hotfix_release", "sum"),
        restores=("restore", "count"),
        time_to_restore_median_h=("restore", "median"),
    )
    table["lead_time_p90_h"] = g["lead"].quantile(0.9)
    runs = np.unique(run[completed])
    index = pd.MultiIndex.from_product([runs, np.arange(len(full))], names=["run", "period"])
    table = table.reindex(index)
    for c in ("releases", "change_failures", "hotfix_releases", "restores"):
        table[c] = table[c].fillna(0).astype(np.int64)
    table = table.reset_index()
    per_idx = table["period"].to_numpy(dtype=np.int64)
    starts = full[per_idx].start_time
    ends = (full[per_idx] + 1).start_time
    days = np.asarray((ends - starts) / pd.Timedelta(days=1), dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(
            table["releases"] > 0,
            table["change_failures"] / table["releases"].where(table["releases"] > 0, 1),
            np.nan,
        )
    out = pd.DataFrame(
        {
            "run": table["run"].to_numpy(dtype=np.int64),
            "period": period_start(full[per_idx]),
            "days": days,
            "releases": table["releases"].to_numpy(),
            "releases_per_week": table["releases"].to_numpy() / (days / 7.0),
            "lead_time_median_h": table["lead_time_median_h"].to_numpy(dtype=float),
            "lead_time_p90_h": table["lead_time_p90_h"].to_numpy(dtype=float),
            "change_failures": table["change_failures"].to_numpy(),
            "change_failure_rate": rate.astype(float),
            "hotfix_releases": table["hotfix_releases"].to_numpy(),
            "restores": table["restores"].to_numpy(),
            "time_to_restore_median_h": table["time_to_restore_median_h"].to_numpy(dtype=float),
        }
    )
    return out[columns]


def _in_release_restore(
    phases: pd.DataFrame, is_hotfix: npt.NDArray[np.bool_], n_rel: int
) -> npt.NDArray[np.float64]:
    """Hours from the failure a hotfix followed to the hotfix's end, per release code."""
    rel = phases["rel"].to_numpy(dtype=np.int64)
    start = phases["start_ns"].to_numpy(dtype=np.int64)
    end = phases["end_ns"].to_numpy(dtype=np.int64)
    big = np.iinfo(np.int64).max
    fix_start = np.full(n_rel, big, dtype=np.int64)
    np.minimum.at(fix_start, rel[is_hotfix], start[is_hotfix])
    fix_end = np.full(n_rel, NAT, dtype=np.int64)
    np.maximum.at(fix_end, rel[is_hotfix], end[is_hotfix])
    failed = phases["failed"].to_numpy(dtype=bool) & ~is_hotfix & (end != NAT)
    before = failed & (end <= fix_start[rel])
    failure_end = np.full(n_rel, NAT, dtype=np.int64)
    np.maximum.at(failure_end, rel[before], end[before])
    origin = np.where(failure_end != NAT, failure_end, np.where(fix_start == big, NAT, fix_start))
    return hours(fix_end, origin)
