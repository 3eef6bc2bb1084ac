"""What a release log says about each activity of a blueprint (private to calibration).

:func:`observe` matches log rows to the blueprint's activities and measures, per
activity as written in the blueprint (a ``for-each`` activity once):

- **durations** in hours, ``end - start`` of each execution: in *working hours* of the
  activity's calendar (:meth:`~phasesim.Blueprint.calendar_of`) for manual work and
  approval gates, on the wall clock for automated and wait activities - so a gate that
  opened on Monday 10:00 after a request on Friday 16:00 in a ``Mon-Fri 09:00-17:00``
  calendar took 2 hours, not 66. Succeeded rows count; failed tries of automated
  activities too (a failed try takes a duration drawn like any other), and rejected
  passes of approval gates (the rejection is decided apart from the approvers' waits).
- **tries and failures** of automated activities, and the longest run of immediate
  retries: a try is a retry when the previous try of the same execution failed and it
  became ready when that one ended (``ready`` equal to its end; where the log has no
  ``ready``, when nothing else in the release started in between - a rollback phase
  does);
- **passes and rejections** of approval gates.

``for-each`` instances (``alpha_fix[platform]``) pool into their template (``alpha_fix``)
when the blueprint's activity is a ``for-each``; any other activity matches its id
exactly. Where a phase has only phase-level rows (``activity_id`` NA), they are
observations of the phase's activity if it has exactly one (not ``for-each``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from phasesim.blueprint import Activity, Blueprint, Phase
from phasesim.calendars import Calendar

__all__ = ["LogView", "Observations", "measuring_calendar", "observe"]

FloatArray = npt.NDArray[np.float64]

_INSTANCE = re.compile(r"^(?P<template>[^\[\]]+)\[(?P<item>.*)\]$")
_NS_PER_HOUR = 3_600 * 10**9
#: Rows whose duration can be measured.
_ENDED = ("succeeded", "failed", "rejected")
#: A retry's ready time may differ from the failed try's end by this much (ns): rounding.
_SAME_INSTANT_NS = 10**9


@dataclass(frozen=True)
class Observations:
    """What the log says about one blueprint activity.

    Attributes
    ----------
    phase_id, activity_id : str
        The blueprint's phase and activity (the template of a ``for-each``).
    kind : str
        ``manual``, ``automated``, ``approval``, ``wait`` or ``subprocess``.
    source : str
        ``"activity rows"``, or ``"phase rows"`` for a one-activity phase of a phase-only
        log.
    instances : tuple of str
        The log's activity ids pooled here (``alpha_fix[platform]``, ...).
    calendar : Calendar or None
        The calendar whose working hours measured the durations; None for the wall clock.
    durations_h : numpy.ndarray
        One duration per counted execution, in hours.
    rows, skipped, unfinished : int
        Matched rows; of those, skipped ones, and ones without a measurable duration
        (aborted, in progress, no start or end).
    tries, failures, max_retries : int
        Automated activities: succeeded and failed tries, the failed ones, and the
        longest run of immediate retries seen (0 when none).
    passes, rejections : int
        Approval gates: succeeded and rejected passes, the rejected ones.
    """

    phase_id: str
    activity_id: str
    kind: str
    source: str
    instances: tuple[str, ...]
    calendar: Calendar | None
    durations_h: FloatArray = field(repr=False)
    rows: int = 0
    skipped: int = 0
    unfinished: int = 0
    tries: int = 0
    failures: int = 0
    max_retries: int = 0
    passes: int = 0
    rejections: int = 0

    @property
    def time_base(self) -> str:
        """``"working hours (NAME)"`` or ``"wall clock"``."""
        if self.calendar is None:
            return "wall clock"
        return f"working hours ({self.calendar.name})"


@dataclass(frozen=True)
class LogView:
    """The result of :func:`observe`.

    Attributes
    ----------
    activities : dict
        ``(phase_id, activity_id) -> Observations`` for every blueprint activity the log
        has rows for.
    phase_level_only : dict
        ``phase_id -> number of phase rows`` for phases the log has only phase rows for,
        whose activities cannot be told apart (more than one, or a ``for-each``).
    unmatched : pandas.DataFrame
        ``phase_id``, ``activity_id`` (NA for phase rows), ``rows``: log rows that match
        no blueprint activity (nor a phase used above, nor a subprocess's own phases).
    """

    activities: dict[tuple[str, str], Observations]
    phase_level_only: dict[str, int]
    unmatched: pd.DataFrame


def _ns(values: pd.Series) -> npt.NDArray[np.int64]:
    """Timestamps as int64 nanoseconds (NaT as the int64 minimum)."""
    return values.to_numpy(dtype="datetime64[ns]").astype(np.int64)


def measuring_calendar(blueprint: Blueprint, phase: Phase, activity: Activity
                       ) -> Calendar | None:
    """The calendar whose working hours an activity's durations are measured in: its
    calendar for manual work and approvals (None when it has none or it is always
    open), None (the wall clock) for automated, wait and subprocess activities."""
    if activity.kind not in ("manual", "approval"):
        return None
    calendar = blueprint.calendar_of(phase, activity)
    if calendar is None or calendar.is_always_open:
        return None
    return calendar


def _durations(rows: pd.DataFrame, calendar: Calendar | None) -> FloatArray:
    start = _ns(rows["start"]) / _NS_PER_HOUR
    end = _ns(rows["end"]) / _NS_PER_HOUR
    if calendar is None:
        return np.asarray(end - start, dtype=np.float64)
    return np.array([calendar.working_hours_between_h(float(a), float(b))
                     for a, b in zip(start, end, strict=True)], dtype=np.float64)


def _max_retries(rows: pd.DataFrame, log: pd.DataFrame) -> int:
    """The longest run of immediate retries among ``rows`` (tries of one activity)."""
    if rows.empty:
        return 0
    if not (rows["status"] == "failed").to_numpy(dtype=bool).any():
        return 0  # a retry follows a failed try: every pass is one try
    tries = rows.sort_values(["run", "release_id", "activity_id", "attempt", "start"],
                             kind="stable")
    key = (tries["run"].astype(str) + "\x1f" + tries["release_id"].astype(str) + "\x1f"
           + tries["activity_id"].astype(str)).to_numpy()
    same = np.zeros(len(tries), dtype=bool)
    same[1:] = key[1:] == key[:-1]
    failed = (tries["status"] == "failed").to_numpy(dtype=bool)
    prev_failed = np.zeros(len(tries), dtype=bool)
    prev_failed[1:] = failed[:-1]
    prev_end = np.full(len(tries), np.iinfo(np.int64).min, dtype=np.int64)
    ends = _ns(tries["end"])
    prev_end[1:] = ends[:-1]
    ready = _ns(tries["ready"])
    start = _ns(tries["start"])
    nat = np.iinfo(np.int64).min
    candidate = same & prev_failed
    retry = candidate & (ready != nat) & (np.abs(ready - prev_end) <= _SAME_INSTANT_NS)
    unknown = np.flatnonzero(candidate & (ready == nat))
    if unknown.size:
        by_release = {k: np.sort(_ns(g["start"]))
                      for k, g in log.groupby(["run", "release_id"], sort=False)}
        runs = tries["run"].to_numpy()
        releases = tries["release_id"].astype(str).to_numpy()
        for i in unknown:
            starts = by_release[(runs[i], releases[i])]
            between = np.searchsorted(starts, start[i], "left") - \
                np.searchsorted(starts, prev_end[i], "right")
            retry[i] = between <= 0
    pass_no = np.cumsum(~retry)
    return int(np.bincount(pass_no).max()) - 1


def observe(blueprint: Blueprint, log: pd.DataFrame) -> LogView:
    """Match log rows to the blueprint's activities and measure them (see the module).

    Parameters
    ----------
    blueprint : Blueprint
    log : pandas.DataFrame
        An event log in the canonical schema.

    Returns
    -------
    LogView
    """
    frame = pd.DataFrame({col: log[col] for col in (
        "run", "release_id", "phase_id", "activity_id", "status", "attempt", "ready", "start",
        "end")})
    frame.attrs = {}  # a read log carries its audit there, which pandas copies on every step
    frame["phase_id"] = frame["phase_id"].astype("string")
    frame["activity_id"] = frame["activity_id"].astype("string")
    templates: dict[tuple[str, str], tuple[Phase, Activity]] = {
        (ph.id, act.id): (ph, act) for ph in blueprint.phases for act in ph.activities}
    is_activity = frame["activity_id"].notna().to_numpy()
    pairs = frame.loc[is_activity, ["phase_id", "activity_id"]].drop_duplicates()
    match: dict[tuple[str, str], str] = {}
    for phase_id, activity_id in pairs.itertuples(index=False, name=None):
        if (phase_id, activity_id) in templates:
            match[(phase_id, activity_id)] = activity_id
            continue
        found = _INSTANCE.match(activity_id)
        if found is not None:
            entry = templates.get((phase_id, found["template"]))
            if entry is not None and entry[1].for_each is not None:
                match[(phase_id, activity_id)] = found["template"]
    keys = list(zip(frame["phase_id"].fillna(""), frame["activity_id"].fillna(""),
                    strict=True))
    frame["template"] = pd.array([match.get(k) for k in keys], dtype="string")
    frame.loc[~is_activity, "template"] = pd.NA

    matched_phases = set(frame.loc[frame["template"].notna(), "phase_id"].astype(str))
    phase_level_only: dict[str, int] = {}
    phase_rows = frame[~is_activity]
    for phase_id, group in phase_rows.groupby("phase_id", sort=False):
        phase_id = str(phase_id)
        if phase_id in matched_phases or phase_id not in blueprint.phase_ids:
            continue
        phase = blueprint.phase(phase_id)
        if len(phase.activities) == 1 and phase.activities[0].for_each is None:
            frame.loc[group.index, "template"] = phase.activities[0].id
        else:
            phase_level_only[phase_id] = len(group)

    activities: dict[tuple[str, str], Observations] = {}
    for (phase_id, template), rows in frame[frame["template"].notna()].groupby(
            ["phase_id", "template"], sort=False):
        phase, act = templates[(str(phase_id), str(template))]
        kind = act.kind
        calendar = measuring_calendar(blueprint, phase, act)
        status = rows["status"].astype(str)
        timed = rows["start"].notna() & rows["end"].notna() & (rows["end"] >= rows["start"])
        ended = status.isin(_ENDED) & timed
        counted = ended & ((status == "succeeded")
                           | ((status == "failed") & (kind == "automated"))
                           | ((status == "rejected") & (kind == "approval")))
        tries = ended & status.isin(["succeeded", "failed"])
        passes = ended & status.isin(["succeeded", "rejected"])
        is_automated = kind == "automated"
        is_gate = kind == "approval"
        activities[(phase.id, act.id)] = Observations(
            phase_id=phase.id,
            activity_id=act.id,
            kind=kind,
            source="activity rows" if rows["activity_id"].notna().all() else "phase rows",
            instances=tuple(sorted(set(rows["activity_id"].dropna().astype(str)))),
            calendar=calendar,
            durations_h=_durations(rows[counted], calendar) if kind != "subprocess"
            else np.empty(0),
            rows=len(rows),
            skipped=int((status == "skipped").sum()),
            unfinished=int(((status != "skipped") & ~ended).sum()),
            tries=int(tries.sum()) if is_automated else 0,
            failures=int((tries & (status == "failed")).sum()) if is_automated else 0,
            max_retries=_max_retries(rows[tries], frame) if is_automated else 0,
            passes=int(passes.sum()) if is_gate else 0,
            rejections=int((passes & (status == "rejected")).sum()) if is_gate else 0,
        )

    left = frame[frame["template"].isna()]
    left = left[~(left["activity_id"].isna() & left["phase_id"].isin(phase_level_only))]
    # a subprocess's own phases are named "phase.activity/child_phase": they are its rows
    inner = tuple(f"{ph.id}.{act.id}/" for ph, act in templates.values()
                  if act.kind == "subprocess")
    if inner:
        left = left[~left["phase_id"].fillna("").str.startswith(inner).to_numpy(dtype=bool)]
    unmatched = (left.groupby(["phase_id", "activity_id"], dropna=False, sort=True)
                 .size().rename("rows").reset_index())
    return LogView(activities, phase_level_only, unmatched)
