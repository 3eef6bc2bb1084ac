"""Where each release of a log stands at ``now``: the engine's starting state.

The rules (``docs/forecast.md``): a log row is *known* at ``now`` when it started at or
before ``now``; a known row that had not ended by ``now`` (status ``in_progress``, no
end, or an end after ``now``) is *running*. Rows are matched to the blueprint's
activities by ``phase_id`` and ``activity_id`` (for-each instances such as
``deploy[api]`` included); every known row that matches nothing is kept in
``unmatched`` with the reason. Each release is then

* ``finished`` - every activity of the main process done, or the release ended
  (an ``aborted`` row, a failure with no tries left that aborts, a rollback that does not
  resume), or only rollback phases ran (an ad-hoc hotfix release);
* ``in flight`` - anything else, with a :class:`~phasesim.simulation.engine.ReleaseState`;
* ``unplaced`` - its state cannot be placed on the blueprint, with the reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from phasesim.simulation.compiled import CompiledModel
from phasesim.simulation.engine import ActivityState, ReleaseState

__all__ = ["ReleaseInfo", "State", "read_state"]

_DONE = frozenset({"succeeded", "skipped"})


@dataclass
class ReleaseInfo:
    """One release of the log at ``now``."""

    release_id: str
    status: str  # "in flight", "finished", "unplaced"
    started: float  # first start, epoch hours
    state: ReleaseState | None = None
    phase: str = ""  # what it is doing at now, in words (phase ids)
    reasons: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # row numbers behind the reasons
    done_phases: dict[str, float] = field(default_factory=dict)  # phase id -> end
    train: bool = False  # it ran activities of the main process (not only rollbacks)


@dataclass
class State:
    releases: list[ReleaseInfo]
    unmatched: pd.DataFrame
    known: pd.DataFrame  # the known rows, with "row" (row numbers) and "key"

    @property
    def in_flight(self) -> list[ReleaseInfo]:
        return [r for r in self.releases if r.status == "in flight"]


def _epoch(values: pd.Series) -> np.ndarray:
    """Timestamps as epoch hours (nan for NaT)."""
    ts = pd.to_datetime(values, utc=True)
    ns = ts.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
    return np.where(ts.isna().to_numpy(), np.nan, ns / 3.6e12)


def row_numbers(log: pd.DataFrame) -> np.ndarray:
    """The row number of every row: ``source_row`` (as ``read_log`` gives it) where
    present, else the position in the frame from 1."""
    if "source_row" in log.columns:
        values = pd.to_numeric(log["source_row"], errors="coerce")
        return np.where(values.isna(), np.arange(1, len(log) + 1), values).astype(int)
    return np.arange(1, len(log) + 1)


def _pass_failures(statuses: Sequence[str], retries: int) -> int:
    """Failed tries of the current pass: the trailing run of ``failed`` rows, less the
    passes of ``retries + 1`` tries that a resumed rollback closed (``retries + 1`` when
    the pass is used up)."""
    failures = 0
    for status in reversed(list(statuses)):
        if status != "failed":
            break
        failures += 1
    if failures == 0:
        return 0
    return (failures - 1) % (retries + 1) + 1


def read_state(model: CompiledModel, log: pd.DataFrame, now: float) -> State:
    """The state of every release of ``log`` at ``now`` (epoch hours)."""
    frame = log.reset_index(drop=True)
    rows = pd.DataFrame({
        "row": row_numbers(frame),
        "release_id": frame["release_id"].astype(str),
        "phase_id": frame["phase_id"].astype("string"),
        "activity_id": frame["activity_id"].astype("string") if "activity_id" in frame
        else pd.Series(pd.NA, index=frame.index, dtype="string"),
        "status": frame["status"].astype(str),
        "start_h": _epoch(frame["start"]),
        "end_h": _epoch(frame["end"]),
        "approvals": pd.to_numeric(frame["approvals"], errors="coerce")
        if "approvals" in frame else np.nan,
    })
    known = rows[np.isfinite(rows["start_h"]) & (rows["start_h"] <= now + 1e-9)].copy()
    running = ~np.isfinite(known["end_h"]) | (known["end_h"] > now + 1e-9) \
        | (known["status"] == "in_progress")
    known["running"] = running.to_numpy()
    nodes = {spec.key: spec for spec in model.nodes}
    phases = {ph.id: ph for ph in model.phases}
    phase_level = known["activity_id"].isna()
    keys = known["phase_id"].fillna("") + "." + known["activity_id"].fillna("")
    # A phase-level row (milestone tables, logs of phases) stands for its phase's only
    # activity when the phase has exactly one.
    single = {pid: model.nodes[ph.nodes[0]].key for pid, ph in phases.items()
              if len(ph.nodes) == 1}
    alone = phase_level & known["phase_id"].isin(list(single))
    keys = keys.where(~alone, known["phase_id"].map(single))
    phase_level = phase_level & ~alone
    known["key"] = keys.where(~phase_level, pd.NA)
    reason = pd.Series("", index=known.index, dtype=object)
    unknown_phase = ~known["phase_id"].isin(list(phases))
    reason[unknown_phase] = "phase " + known["phase_id"].fillna("<NA>")[unknown_phase] \
        + " is not in the blueprint"
    unknown_activity = ~unknown_phase & ~phase_level & ~known["key"].isin(list(nodes))
    reason[unknown_activity] = pd.Series([
        f"phase {p} has no activity {a} (activities: "
        f"{', '.join(model.nodes[n].activity_id for n in phases[p].nodes)})"
        for p, a in zip(known.loc[unknown_activity, "phase_id"],
                        known.loc[unknown_activity, "activity_id"], strict=True)],
        index=known.index[unknown_activity], dtype=object)
    known["reason"] = reason
    unmatched = known[reason != ""][["row", "release_id", "phase_id", "activity_id",
                                     "status", "reason"]].reset_index(drop=True)
    releases = [
        _release(model, str(rid), group, now)
        for rid, group in known.groupby("release_id", sort=False)
    ]
    releases.sort(key=lambda r: (r.started, r.release_id))
    return State(releases, unmatched, known)


def _release(model: CompiledModel, rid: str, rows: pd.DataFrame, now: float
             ) -> ReleaseInfo:
    """Place one release's known rows on the model (see the module's rules)."""
    nodes = {spec.key: spec for spec in model.nodes}
    phases = {ph.id: ph for ph in model.phases}
    info = ReleaseInfo(rid, "in flight", float(rows["start_h"].min()))
    matched = rows[rows["reason"] == ""].dropna(subset=["key"]).sort_values(
        ["start_h", "row"], kind="stable")
    bad = rows[rows["reason"] != ""]
    main = set(model.main_nodes)
    main_keys = [model.nodes[n].key for n in model.main_nodes]
    in_main = np.array([nodes[k].index in main for k in matched["key"]], dtype=bool)
    info.train = bool(in_main.any())
    if matched.empty and bad.empty:
        if rows["running"].any():
            info.status = "unplaced"
            info.reasons.append("it has phase-level rows only (no activity_id): a "
                                "forecast places activities")
            info.rows = rows.loc[rows["running"], "row"].tolist()
        else:
            info.status = "finished"
        return info
    if not in_main.any():
        if matched["running"].any():
            info.status = "unplaced"
            info.reasons.append("only rollback phases have run and one is still running: "
                                "a forecast starts from the main process")
            info.rows = matched.loc[matched["running"], "row"].tolist()
        else:
            info.status = "finished"
        return info
    if (matched["status"] == "aborted").any() and not matched["running"].any():
        info.status = "finished"
        return info
    done: dict[str, float] = {}
    running: dict[str, ActivityState] = {}
    attempts: dict[str, int] = {}
    used_tries: dict[str, int] = {}  # failed tries of the pass, a retry due
    again: set[str] = set()  # their next row is rework
    rework = 0
    for key, group in matched.groupby("key", sort=False):
        key = str(key)
        spec = nodes[key]
        attempts[key] = len(group)
        last = group.iloc[-1]
        status = str(last["status"])
        rework += int((group["status"] == "rejected").sum())
        if spec.index not in main:  # a rollback phase: its rows count as attempts only
            if last["running"]:
                info.reasons.append(f"it is rolling back at now: {key} of rollback phase "
                                    f"{spec.phase_id} is running, and the engine cannot "
                                    f"start a release part-way through a rollback (forecast "
                                    f"from after the rollback ended)")
                info.rows.append(int(last["row"]))
            continue
        if last["running"]:
            if len(group[group["running"]]) > 1:
                info.reasons.append(f"{key} has {int(group['running'].sum())} rows running "
                                    f"at once")
                info.rows.extend(group.loc[group["running"], "row"].tolist())
                continue
            if spec.sub is not None:
                info.reasons.append(f"{key} is a subprocess activity running at now: the "
                                    f"engine cannot start a release inside a subprocess "
                                    f"(its inner activities are not placed; forecast from "
                                    f"before it started or after it ended)")
                info.rows.append(int(last["row"]))
                continue
            attempts[key] = len(group) - 1
            used = _pass_failures(group["status"].iloc[:-1].tolist(), spec.retries)
            if used > spec.retries:  # that pass was used up: the rollback resumed it
                used = 0
            if used or (len(group) > 1 and group["status"].iloc[-2] == "rejected"):
                again.add(key)  # a retry, or a rerun after a rejection: rework
            start = float(last["start_h"])
            elapsed = (spec.calendar.working_hours_between_h(start, now)
                       if spec.kind in ("manual", "approval") else now - start)
            given = int(last["approvals"]) if np.isfinite(last["approvals"]) else 0
            running[key] = ActivityState(start=start, elapsed_h=elapsed, given=given,
                                         used=used)
        elif status in _DONE:
            done[key] = float(last["end_h"])
        elif status == "failed":
            failures = _pass_failures(group["status"].tolist(), spec.retries)
            if spec.fail_p > 0 and failures > spec.retries and spec.on_failure is None:
                info.status = "finished"
                return info
            if failures <= spec.retries:  # a retry is due: only the tries left
                used_tries[key] = failures
                again.add(key)
    state_rework = rework
    # an activity with no row is done if work that depends on it ran (a log that leaves
    # out skipped activities): at the latest end of its predecessors
    seen = set(matched["key"])
    dependents: dict[int, list[int]] = {}
    for spec in model.nodes:
        for p in spec.all_preds:
            dependents.setdefault(p, []).append(spec.index)
    for n in model.main_nodes:
        spec = model.nodes[n]
        if spec.key in seen:
            continue
        stack, found, visited = list(dependents.get(n, ())), False, set()
        while stack and not found:
            m = stack.pop()
            if m in visited:
                continue
            visited.add(m)
            found = model.nodes[m].key in seen
            stack.extend(dependents.get(m, ()))
        if found:
            ends = [done.get(model.nodes[p].key, info.started) for p in spec.all_preds]
            done[spec.key] = max(ends, default=info.started)
    # rework: a rejected gate runs again, and so does its block where it has not yet
    for key, group in matched.groupby("key", sort=False):
        last = group.iloc[-1]
        if str(last["status"]) != "rejected" or last["running"]:
            continue
        spec = nodes[str(key)]
        again.add(spec.key)
        for n in spec.reject_block:
            other = model.nodes[n].key
            if other in done and done[other] <= float(last["end_h"]) + 1e-9:
                del done[other]
            if other not in done:  # it runs (or is running) again after the rejection
                again.add(other)
    # rollbacks: a failure with no tries left ran its rollback phase
    for key, group in matched.groupby("key", sort=False):
        spec = nodes[str(key)]
        last = group.iloc[-1]
        if str(last["status"]) != "failed" or last["running"] or spec.on_failure is None:
            continue
        failures = _pass_failures(group["status"].tolist(), spec.retries)
        if failures <= spec.retries:
            continue  # a retry is due: it runs again as the next attempt
        phase = model.phases[spec.on_failure]
        after = matched[matched["key"].isin([model.nodes[n].key for n in phase.nodes])
                        & (matched["start_h"] >= float(last["end_h"]) - 1e-9)]
        if after.empty or after["running"].any() or len(after["key"].unique()) < len(
                phase.nodes):
            info.status = "unplaced"
            if not info.reasons:  # else a running rollback activity said it already
                info.reasons.append(f"it is rolling back at now: {key} failed with no "
                                    f"tries left and rollback phase {phase.id} has not "
                                    f"finished, and the engine cannot start a release "
                                    f"part-way through a rollback (forecast from after "
                                    f"the rollback ended)")
                info.rows.append(int(last["row"]))
            return info
        if not phase.resume:
            info.status = "finished"
            return info
        state_rework += 1
        again.add(spec.key)  # it runs again after the rollback, as rework
    # unmatched activities in a phase the release still needs
    for _, row in bad.iterrows():
        pid = row["phase_id"]
        if pd.isna(pid) or pid not in phases:
            continue
        left = [model.nodes[n].key for n in phases[pid].nodes if model.nodes[n].key not in done]
        if left and not phases[pid].rollback:
            info.reasons.append(f"it ran {row['activity_id']}, which phase {pid} does not "
                                f"have, and phase {pid} is not finished")
            info.rows.append(int(row["row"]))
    if info.reasons:
        info.status = "unplaced"
        return info
    if all(k in done for k in main_keys) and not running:
        info.status = "finished"
        return info
    entered: dict[str, float] = {}
    for ph in model.phases:
        if ph.rollback:
            continue
        keys = [model.nodes[n].key for n in ph.nodes]
        touched = [k for k in keys if k in done or k in running]
        if touched and not all(k in done for k in keys):
            entered[ph.id] = float(matched.loc[matched["key"].isin(touched), "start_h"].min())
        elif keys and all(k in done for k in keys):
            info.done_phases[ph.id] = max(done[k] for k in keys)
    info.state = ReleaseState(
        started=info.started, done=done, running=running, entered=entered,
        attempts={k: v for k, v in attempts.items() if v > 0}, rework=state_rework,
        used=used_tries, again=frozenset(k for k in again if k not in done))
    info.phase = " + ".join(entered) if entered else "between phases"
    return info


def release_problems(releases: Sequence[ReleaseInfo]) -> list[tuple[str, list[int], str]]:
    """(release, row numbers, reason) of each release that cannot be placed."""
    return [(r.release_id, r.rows, reason) for r in releases if r.status == "unplaced"
            for reason in r.reasons]


def to_epoch(value: Any) -> float:
    return float(pd.Timestamp(value).value / 3.6e12)
