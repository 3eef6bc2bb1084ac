"""Descriptive statistics of release history: lead times, phases, activities, waiting.

Every function takes an event log in the canonical schema (historical, from
:func:`phasesim.read_log`, or simulated, with several ``run`` values) and returns a tidy
DataFrame. A release is identified by ``(run, release_id)``. Durations are float hours in
columns ending ``_h``; timestamps are UTC.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from phasesim.analysis._prepare import (
    NAT,
    STATUS_NAMES,
    BlueprintLike,
    Level,
    PreparedLog,
    _last_per_group,
    hotfix_codes,
    hotfix_only,
    resolve,
    timestamps,
)
from phasesim.analysis._tables import (
    READY_SOURCES,
    hours,
    label_columns,
    release_columns,
    waits,
)

if TYPE_CHECKING:
    from phasesim.analysis.history import History

__all__ = [
    "activity_stats",
    "lead_times",
    "phase_stats",
    "planned_vs_actual",
    "waiting_vs_working",
    "work_in_progress",
]

IntArray = npt.NDArray[np.int64]

#: Below this many executions a phase or activity is flagged ``small_sample``.
MIN_COUNT = 10


def lead_times(
    log: pd.DataFrame | History, *, hotfix_phases: Collection[str] | None = None
) -> pd.DataFrame:
    """Start, end, lead time and outcome of every release.

    Parameters
    ----------
    log : pandas.DataFrame or History
        An event log (canonical schema), or a :class:`~phasesim.analysis.History` of one.
    hotfix_phases : collection of str, optional
        Phase ids that are hotfixes or rollbacks. By default, every phase whose id contains
        ``hotfix``, ``rollback`` or ``revert``.

    Returns
    -------
    pandas.DataFrame
        One row per release, ordered by run and start: ``run``, ``release_id``, ``start``
        (first start), ``end`` (last end; NaT while in progress), ``lead_time_h``,
        ``status`` (the status of the execution that ended last; ``in_progress`` while
        anything is open), ``outcome`` (succeeded, succeeded_after_rollback, failed,
        aborted or in_progress: :mod:`phasesim.outcomes`), ``failed_phases`` (phases
        with a failed, rejected or aborted execution), ``hotfix`` (a hotfix or rollback
        phase ran) and ``hotfix_release`` (the release is made only of such phases: an
        ad-hoc hotfix).

    Examples
    --------
    >>> import pandas as pd
    >>> from phasesim.analysis import lead_times
    >>> log = pd.DataFrame({
    ...     "release_id": ["r1", "r1"], "phase_id": ["build", "deploy"],
    ...     "start": pd.to_datetime(["2026-01-05 09:00", "2026-01-05 11:00"], utc=True),
    ...     "end": pd.to_datetime(["2026-01-05 10:00", "2026-01-05 12:30"], utc=True)})
    >>> lead_times(log)[["release_id", "lead_time_h", "status"]]
      release_id  lead_time_h     status
    0         r1          3.5  succeeded
    """
    _, prepared, _, hotfix_phases = resolve(log, None, hotfix_phases)
    return _lead_times(prepared, hotfix_phases)


#: Tie-break among executions that ended at the same moment: the failure tells.
_SEVERITY = np.array([0, 3, 3, 0, 2, 1], dtype=np.int64)  # by status code


def release_outcomes(
    prepared: PreparedLog, hotfix_phases: Collection[str] | None = None
) -> npt.NDArray[np.object_]:
    """Per release code, its outcome (:mod:`phasesim.outcomes`): from the status of the
    last phase span outside hotfix and rollback phases (at the same end, failed or
    rejected before aborted before succeeded), whether such a phase ran, and whether
    anything is still open. A release made only of hotfix phases is judged by them."""
    from phasesim.outcomes import outcomes

    releases = prepared.releases
    phases = prepared.phases
    n_rel = len(releases)
    rel = phases["rel"].to_numpy(dtype=np.int64)
    is_hotfix = np.isin(phases["phase"].to_numpy(), hotfix_codes(prepared, hotfix_phases))
    only = hotfix_only(prepared, hotfix_phases)
    use = ~is_hotfix | only[rel]
    end = phases["end_ns"].to_numpy(dtype=np.int64)
    status = phases["status"].to_numpy(dtype=np.int64)
    final = np.full(n_rel, "skipped", dtype=object)
    keys, last = _last_per_group(rel[use], end[use], _SEVERITY[status[use]])
    final[keys] = STATUS_NAMES[status[use][last]]
    rolled = np.zeros(n_rel, dtype=bool)
    rolled[rel[is_hotfix & ~only[rel]]] = True
    return outcomes(final, open_=releases["open"].to_numpy(dtype=bool), rolled_back=rolled)


def _lead_times(prepared: PreparedLog, hotfix_phases: Collection[str] | None) -> pd.DataFrame:
    releases = prepared.releases
    n_rel = len(releases)
    phases = prepared.phases
    is_hotfix = np.isin(phases["phase"].to_numpy(), hotfix_codes(prepared, hotfix_phases))
    hotfix = np.zeros(n_rel, dtype=bool)
    hotfix[phases["rel"].to_numpy()[is_hotfix]] = True
    start = releases["start_ns"].to_numpy()
    order = np.lexsort(
        (
            releases["release_id"].to_numpy().astype(str),
            np.where(start == NAT, np.iinfo(np.int64).max, start),
            releases["run"].to_numpy(),
        )
    )
    out = release_columns(prepared, order.astype(np.int64))
    out["start"] = timestamps(start[order])
    out["end"] = timestamps(releases["end_ns"].to_numpy()[order])
    out["lead_time_h"] = releases["lead_time_h"].to_numpy()[order]
    out["status"] = pd.array(releases["status"].to_numpy()[order], dtype="string")
    out["outcome"] = pd.array(release_outcomes(prepared, hotfix_phases)[order], dtype="string")
    out["failed_phases"] = releases["failed_phases"].to_numpy()[order]
    out["hotfix"] = hotfix[order]
    out["hotfix_release"] = hotfix_only(prepared, hotfix_phases)[order]
    return out


def _duration_table(
    prepared: PreparedLog,
    level: Level,
    min_count: int,
) -> pd.DataFrame:
    items = prepared.items(level)
    label = items["phase" if level == "phase" else "activity"].to_numpy(dtype=np.int64)
    w = waits(prepared, level)
    rel = items["rel"].to_numpy(dtype=np.int64)
    closed = items["end_ns"].to_numpy() != NAT
    # executions that never started count for failure, not for durations
    timed = items["timed"].to_numpy(dtype=bool)[closed]
    frame = pd.DataFrame(
        {
            "label": label[closed],
            "duration": np.where(timed, w["work_h"].to_numpy()[closed], np.nan),
            "wait": np.where(timed, w["wait_h"].to_numpy()[closed], np.nan),
            "failed": items["failed"].to_numpy()[closed],
            "retried": items["retried"].to_numpy()[closed],
            "reworked": items["reworked"].to_numpy()[closed],
        }
    )
    completed = ~prepared.releases["open"].to_numpy()
    in_completed = completed[rel[closed]]
    frame["counted"] = np.where(in_completed, frame["duration"].to_numpy(), 0.0)
    g = frame.groupby("label", sort=True)
    stats = g.agg(
        count=("duration", "size"),
        mean_h=("duration", "mean"),
        median_h=("duration", "median"),
        std_h=("duration", "std"),
        wait_mean_h=("wait", "mean"),
        wait_median_h=("wait", "median"),
        failure_rate=("failed", "mean"),
        retry_rate=("retried", "mean"),
        rework_rate=("reworked", "mean"),
        counted=("counted", "sum"),
    )
    stats["p90_h"] = g["duration"].quantile(0.9)
    stats["iqr_h"] = g["duration"].quantile(0.75) - g["duration"].quantile(0.25)
    total_lead = float(np.nansum(prepared.releases["lead_time_h"].to_numpy()[completed]))
    stats["lead_share"] = stats["counted"] / total_lead if total_lead > 0 else np.nan
    labels = prepared.labels(level)
    stats = stats.reindex(labels.index)
    stats["count"] = stats["count"].fillna(0).astype(np.int64)
    out = labels.reset_index(drop=True).astype("string")
    for col in (
        "count",
        "mean_h",
        "median_h",
        "p90_h",
        "std_h",
        "iqr_h",
        "wait_mean_h",
        "wait_median_h",
        "failure_rate",
        "retry_rate",
        "rework_rate",
        "lead_share",
    ):
        out[col] = stats[col].to_numpy()
    for col in ("failure_rate", "retry_rate", "rework_rate"):
        out[col] = out[col].astype(float)
    out["small_sample"] = out["count"].to_numpy() < min_count
    return out


def phase_stats(log: pd.DataFrame | History, *, min_count: int = MIN_COUNT) -> pd.DataFrame:
    """Duration, waiting and failure statistics of each phase, in flow order.

    A phase's duration in a release is its span: from the first start to the last end of
    its activities (or of its own rows, in a log with only phases), retries included.
    Phases still in progress are left out.

    Parameters
    ----------
    log : pandas.DataFrame or History
        An event log (canonical schema), or a :class:`~phasesim.analysis.History` of one.
    min_count : int, default 10
        Phases with fewer completed executions are flagged ``small_sample``.

    Returns
    -------
    pandas.DataFrame
        One row per phase, ordered by the median time from the release start to the phase
        start: ``phase_id``, ``count``, ``mean_h``, ``median_h``, ``p90_h``, ``std_h``,
        ``iqr_h`` (spread: interquartile range), ``wait_mean_h`` and ``wait_median_h``
        (waiting before the start, see :func:`waiting_vs_working`), ``failure_rate``
        (share of executions with a failed, rejected or aborted row), ``retry_rate``
        (with a retry after a failure), ``rework_rate`` (with an attempt that redid
        succeeded work), ``lead_share`` (summed duration over summed lead time of the
        completed releases; parallel phases make these add up to more than 1) and
        ``small_sample``.

    Examples
    --------
    >>> import pandas as pd
    >>> from phasesim.analysis import phase_stats
    >>> log = pd.DataFrame({
    ...     "release_id": ["r1", "r1", "r2", "r2"],
    ...     "phase_id": ["build", "deploy", "build", "deploy"],
    ...     "start": pd.to_datetime(["2026-01-05 09:00", "2026-01-05 11:00",
    ...                              "2026-01-12 09:00", "2026-01-12 10:00"], utc=True),
    ...     "end": pd.to_datetime(["2026-01-05 10:00", "2026-01-05 12:00",
    ...                            "2026-01-12 10:00", "2026-01-12 13:00"], utc=True)})
    >>> phase_stats(log)[["phase_id", "count", "mean_h", "wait_mean_h"]]
      phase_id  count  mean_h  wait_mean_h
    0    build      2     1.0          0.0
    1   deploy      2     2.0          0.5
    """
    return _duration_table(resolve(log)[1], "phase", min_count)


def activity_stats(log: pd.DataFrame | History, *, min_count: int = MIN_COUNT) -> pd.DataFrame:
    """Duration, waiting and failure statistics of each activity, in flow order.

    Each execution (each attempt) of an activity counts once. Executions still in
    progress are left out. A log with only phases gives an empty table.

    Parameters
    ----------
    log : pandas.DataFrame or History
        An event log (canonical schema), or a :class:`~phasesim.analysis.History` of one.
    min_count : int, default 10
        Activities with fewer completed executions are flagged ``small_sample``.

    Returns
    -------
    pandas.DataFrame
        One row per (phase, activity): ``phase_id``, ``activity_id`` and the columns of
        :func:`phase_stats`, where the rates are shares of executions.

    Examples
    --------
    >>> import pandas as pd
    >>> from phasesim.analysis import activity_stats
    >>> log = pd.DataFrame({
    ...     "release_id": ["r1", "r1", "r1"], "phase_id": ["qa", "qa", "qa"],
    ...     "activity_id": ["suite", "suite", "approve"],
    ...     "status": ["failed", "succeeded", "succeeded"], "attempt": [1, 2, 1],
    ...     "start": pd.to_datetime(["2026-01-05 09:00", "2026-01-05 10:00",
    ...                              "2026-01-05 12:00"], utc=True),
    ...     "end": pd.to_datetime(["2026-01-05 10:00", "2026-01-05 12:00",
    ...                            "2026-01-05 13:00"], utc=True)})
    >>> activity_stats(log)[["activity_id", "count", "mean_h", "failure_rate", "retry_rate"]]
      activity_id  count  mean_h  failure_rate  retry_rate
    0       suite      2     1.5           0.5         0.5
    1     approve      1     1.0           0.0         0.0
    """
    return _duration_table(resolve(log)[1], "activity", min_count)


def waiting_vs_working(
    log: pd.DataFrame | History,
    blueprint: BlueprintLike | None = None,
    *,
    level: Level = "phase",
) -> pd.DataFrame:
    """How long each phase (or activity) execution waited before it started, and worked.

    ``wait = start - ready``, where ``ready`` is, in order of preference:

    1. the log's own ``ready`` column (``ready_source == "log"``);
    2. with a blueprint, the end of the dependency that finished last at or before the
       start (``"blueprint"``; an earlier attempt of the same item counts as one);
    3. the end of the execution of the same release that finished last at or before the
       start (``"previous"``);
    4. the start of the release (``"release_start"``).

    A ``ready`` after the start counts as no wait.

    Parameters
    ----------
    log : pandas.DataFrame or History
        An event log (canonical schema), or a :class:`~phasesim.analysis.History` of one.
    blueprint : Blueprint, optional
        Anything with ``graph`` and ``phase_graph`` dependency graphs.
    level : {"phase", "activity"}, default "phase"
        Phase spans or activity executions.

    Returns
    -------
    pandas.DataFrame
        One row per execution: ``run``, ``release_id``, ``phase_id`` (``activity_id``,
        ``attempt`` at the activity level), ``ready``, ``start``, ``end``, ``wait_h``,
        ``work_h`` (NaN while in progress), ``ready_source``, ``status`` (of the row that
        ended last), ``failed`` (a failed, rejected or aborted row), and ``designed_h``
        and ``avoidable_h``: the parts of ``wait_h + work_h`` that are designed waits
        (anchors, plans, soaks) and avoidable waits (the rest of the wait, approvals,
        rework), the rest being work (see :mod:`phasesim.attribution`).

    Examples
    --------
    >>> import pandas as pd
    >>> from phasesim.analysis import waiting_vs_working
    >>> log = pd.DataFrame({
    ...     "release_id": ["r1", "r1"], "phase_id": ["build", "deploy"],
    ...     "start": pd.to_datetime(["2026-01-05 09:00", "2026-01-05 11:00"], utc=True),
    ...     "end": pd.to_datetime(["2026-01-05 10:00", "2026-01-05 12:30"], utc=True)})
    >>> waiting_vs_working(log)[["phase_id", "wait_h", "work_h", "ready_source"]]
      phase_id  wait_h  work_h   ready_source
    0    build     0.0     1.0  release_start
    1   deploy     1.0     1.5       previous
    """
    _, prepared, blueprint, _ = resolve(log, blueprint)
    items = prepared.items(level)
    label = items["phase" if level == "phase" else "activity"].to_numpy(dtype=np.int64)
    w = waits(prepared, level, blueprint)
    rel = items["rel"].to_numpy(dtype=np.int64)
    start = items["start_ns"].to_numpy(dtype=np.int64)
    order = np.lexsort((start, rel))
    out = pd.concat(
        [
            release_columns(prepared, rel[order]),
            label_columns(prepared, level, label[order]),
        ],
        axis=1,
    )
    if level == "activity":
        out["attempt"] = items["attempt"].to_numpy()[order]
    out["ready"] = timestamps(w["ready_ns"].to_numpy()[order])
    out["start"] = timestamps(start[order])
    out["end"] = timestamps(items["end_ns"].to_numpy()[order])
    out["wait_h"] = w["wait_h"].to_numpy()[order]
    out["work_h"] = w["work_h"].to_numpy()[order]
    out["ready_source"] = pd.array(
        READY_SOURCES[w["ready_source"].to_numpy(dtype=np.int64)[order]], dtype="string"
    )
    out["status"] = pd.array(
        STATUS_NAMES[items["status"].to_numpy(dtype=np.int64)[order]], dtype="string"
    )
    out["failed"] = items["failed"].to_numpy(dtype=bool)[order]
    # the wait and work split into designed and avoidable (the rest of both is work),
    # inferred as for the critical path (phasesim.attribution, docs/analysis.md)
    from phasesim.analysis.bottlenecks import _classes

    wait = np.nan_to_num(w["wait_h"].to_numpy(dtype=float), nan=0.0)
    work = np.nan_to_num(w["work_h"].to_numpy(dtype=float), nan=0.0)
    ready_ns = w["ready_ns"].to_numpy(dtype=np.int64)
    before = np.where(ready_ns == NAT, start, np.minimum(ready_ns, start))
    designed, avoidable = _classes(
        prepared, level, blueprint, np.arange(len(items), dtype=np.int64), wait, work, before
    )
    out["designed_h"] = designed[order]
    out["avoidable_h"] = avoidable[order]
    return out


def planned_vs_actual(log: pd.DataFrame | History) -> pd.DataFrame:
    """Slip of each phase against its plan, and the phase that took most of it.

    Only phases with a ``planned_start`` or ``planned_end`` appear. A phase's plan runs
    from the earliest planned start to the latest planned end of its rows.

    Parameters
    ----------
    log : pandas.DataFrame or History
        An event log (canonical schema), or a :class:`~phasesim.analysis.History` of one with plans.

    Returns
    -------
    pandas.DataFrame
        One row per release and planned phase, in order of start: ``run``,
        ``release_id``, ``phase_id``, ``planned_start``, ``planned_end``, ``start``,
        ``end``, ``start_slip_h`` (start - planned start), ``end_slip_h`` (end - planned
        end), ``slip_added_h`` (``end_slip_h - start_slip_h``: how much the phase itself
        added to the slip; negative when it caught up) and ``took_most_slip`` (the phase of
        its release that added the most slip, where any phase added some).

    Examples
    --------
    >>> import pandas as pd
    >>> from phasesim.analysis import planned_vs_actual
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> log = pd.DataFrame({
    ...     "release_id": ["r1", "r1"], "phase_id": ["qa", "prod"],
    ...     "planned_start": t("2026-01-05 09:00", "2026-01-06 09:00"),
    ...     "planned_end": t("2026-01-05 17:00", "2026-01-06 12:00"),
    ...     "start": t("2026-01-05 09:00", "2026-01-07 09:00"),
    ...     "end": t("2026-01-06 17:00", "2026-01-07 11:00")})
    >>> planned_vs_actual(log)[["phase_id", "end_slip_h", "slip_added_h", "took_most_slip"]]
      phase_id  end_slip_h  slip_added_h  took_most_slip
    0       qa        24.0          24.0            True
    1     prod        23.0          -1.0           False
    """
    prepared = resolve(log)[1]
    phases = prepared.phases
    ps = phases["planned_start_ns"].to_numpy(dtype=np.int64)
    pe = phases["planned_end_ns"].to_numpy(dtype=np.int64)
    keep = np.flatnonzero((ps != NAT) | (pe != NAT))
    rel = phases["rel"].to_numpy(dtype=np.int64)[keep]
    start = phases["start_ns"].to_numpy(dtype=np.int64)[keep]
    end = phases["end_ns"].to_numpy(dtype=np.int64)[keep]
    ps, pe = ps[keep], pe[keep]
    order = np.lexsort((start, rel))
    rel, start, end, ps, pe = rel[order], start[order], end[order], ps[order], pe[order]
    out = pd.concat(
        [
            release_columns(prepared, rel),
            label_columns(prepared, "phase", phases["phase"].to_numpy(dtype=np.int64)[keep][order]),
        ],
        axis=1,
    )
    out["planned_start"] = timestamps(ps)
    out["planned_end"] = timestamps(pe)
    out["start"] = timestamps(start)
    out["end"] = timestamps(end)
    out["start_slip_h"] = hours(start, ps)
    out["end_slip_h"] = hours(end, pe)
    out["slip_added_h"] = out["end_slip_h"] - out["start_slip_h"]
    added = out["slip_added_h"].where(out["slip_added_h"] > 0)
    most = np.zeros(len(out), dtype=bool)
    positive = added.notna().to_numpy()
    if positive.any():
        # only the phases that added slip: a release with none has no such phase (and
        # pandas' idxmax refuses a group that is all NaN)
        idx = added[positive].groupby(rel[positive]).idxmax()
        most[idx.to_numpy(dtype=np.int64)] = True
    out["took_most_slip"] = most
    return out


def work_in_progress(log: pd.DataFrame | History) -> pd.DataFrame:
    """Number of releases in flight over time (a step function).

    A release is in flight from its first start to its last end; one still in progress
    stays in flight.

    Parameters
    ----------
    log : pandas.DataFrame or History
        An event log (canonical schema), or a :class:`~phasesim.analysis.History` of one.

    Returns
    -------
    pandas.DataFrame
        One row per moment the count changes, per run: ``run``, ``time`` and
        ``releases`` (the number in flight from that moment on).

    Examples
    --------
    >>> import pandas as pd
    >>> from phasesim.analysis import work_in_progress
    >>> log = pd.DataFrame({
    ...     "release_id": ["r1", "r2"], "phase_id": ["build", "build"],
    ...     "start": pd.to_datetime(["2026-01-05 09:00", "2026-01-05 10:00"], utc=True),
    ...     "end": pd.to_datetime(["2026-01-05 11:00", "2026-01-05 12:00"], utc=True)})
    >>> work_in_progress(log)[["time", "releases"]]
                           time  releases
    0 2026-01-05 09:00:00+00:00         1
    1 2026-01-05 10:00:00+00:00         2
    2 2026-01-05 11:00:00+00:00         1
    3 2026-01-05 12:00:00+00:00         0
    """
    prepared = resolve(log)[1]
    releases = prepared.releases
    start = releases["start_ns"].to_numpy(dtype=np.int64)
    end = releases["end_ns"].to_numpy(dtype=np.int64)
    run = releases["run"].to_numpy(dtype=np.int64)
    started = start != NAT
    ended = started & (end != NAT)
    events = pd.DataFrame(
        {
            "run": np.concatenate([run[started], run[ended]]),
            "time": np.concatenate([start[started], end[ended]]),
            "change": np.concatenate(
                [np.ones(int(started.sum()), np.int64), -np.ones(int(ended.sum()), np.int64)]
            ),
        }
    )
    steps = events.groupby(["run", "time"], sort=True)["change"].sum().reset_index()
    steps["releases"] = steps.groupby("run")["change"].cumsum().astype(np.int64)
    steps["time"] = timestamps(steps["time"].to_numpy(dtype=np.int64))
    return steps[["run", "time", "releases"]]
