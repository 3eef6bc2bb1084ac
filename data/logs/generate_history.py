"""Generate the sample release history of the Harness system release (2026).

Run from the repository root (deterministic: same files every time)::

    .venv/bin/python data/logs/generate_history.py

It writes

* ``data/logs/harness-history.csv`` - the event log in the canonical schema (one row per
  activity execution, UTC timestamps in ISO 8601 with ``Z``), read with
  ``phasesim.read_log("data/logs/harness-history.csv")``;
* ``data/logs/harness-release-report.xlsx`` - the same history as Harness's release
  report export shows it for the last 90 days (times in America/Los_Angeles), read with
  ``phasesim.read_log(path, tz="America/Los_Angeles")``.

The process is ``data/blueprints/harness-system-release.yaml``: phase and activity ids,
owners (the teams), types and dependencies are the blueprint's. The *parameters* below
are the history's own (a later calibration test fits them back from the log), so they are
kept simple and explicit. Everything a release does:

1. **Cadence.** A release is cut every Monday 09:00 America/Los_Angeles (the next working
   time when Monday is a holiday) from 2026-01-05 to 2026-12-14; no release is cut during
   the code freeze. Release ids are ``R2026-01`` ... in cut order.
2. **Plan.** Every phase has a planned slot relative to the cut (see ``PLAN``); its rows
   carry it as ``planned_start``/``planned_end``. A phase with a slot (``not-before`` in
   the blueprint) does not start before it; when its inputs are late it starts as soon as
   they are ready. The hotfix phase has no plan.
3. **Time.** Manual work and approvals take *working hours* on the business calendar
   (Mon-Fri 09:00-17:00 America/Los_Angeles, the blueprint's holidays); automated work takes
   *clock hours* but starts in working time; the soak is 120 clock hours. Activities of a
   phase start when their ``depends-on`` are done; ``for-each`` instances
   (``alpha_fix[platform]``, ...) run in parallel; a phase is done when all its activities
   are, and ``ready`` is when an activity's dependencies were done.
4. **Durations** (hours) per activity: ``DURATIONS``. ``lognormal`` is given by its median
   and 90th percentile, ``pert`` and ``triangular`` by (min, mode, max). A failed attempt
   takes a duration drawn from the same distribution.
5. **Failures**: ``FAILURES`` gives per activity the probability that an attempt fails,
   how many retries follow at once, and what happens when the last retry fails: ``abort``
   (the release stops) or ``hotfix`` (the hotfix phase runs - a rollback - and then the
   failed phase runs again from its first activity, at most twice).
6. **QA approval** (the bottleneck that appeared): working-hour duration lognormal with
   median 0.5 h and p90 3 h when it starts before 2026-07-01, median 2 h and p90 8 h from
   then on. With probability 0.05 it is *rejected*: the alpha fixes phase and QA sign-off
   run again (rework, attempt 2, ...).
7. **Releases with a database migration**: probability 0.25 (the ``db_migration`` activity
   runs in the beta rollout only then).
8. **Environments**: prod-0 ... prod-3 hold one deployment phase at a time (releases are
   served in cut order); other environments are not modelled.
9. **Code freeze** 2026-12-21 .. 2027-01-01: no activity of beta_rollout or prod_1..3
   starts inside it; such work waits for the first working time after it.
10. **Ad-hoc hotfix releases**: ``HOTFIX_RELEASES`` of them, ``HF2026-01`` ..., each only the
    hotfix phase, starting at a random working time (outside the freeze).
11. **Export time** ``AS_OF`` = 2027-01-04 12:15 America/Los_Angeles: work that starts later
    is not in the log; work running then has status ``in_progress`` and no end. So the
    history ends with two releases in flight (R2026-49 and R2026-50, deploying after the
    freeze): the state ``phasesim forecast`` starts from (``make demo``, notebook 06).

Randomness: one ``numpy.random.Generator`` per release, seeded ``[SEED, k]``; times are
rounded to whole seconds when written.
"""

from __future__ import annotations

import math
import re
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:  # running the script from a source tree
    sys.path.insert(0, str(ROOT))

from phasesim.calendars import Calendar, to_epoch_hours  # noqa: E402

# --------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------

SEED = 2026
TIMEZONE = "America/Los_Angeles"
FIRST_CUT = date(2026, 1, 5)
LAST_CUT = date(2026, 12, 14)
AS_OF = "2027-01-04 12:15"  # local time of the export
REPORT_DAYS = 90
SERVICES = ("platform", "pipeline", "ci", "cd")
HOLIDAYS = ("2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-07-03",
            "2026-09-07", "2026-11-26", "2026-11-27", "2026-12-25", "2027-01-01")
FREEZE = ("2026-12-21", "2027-01-01")
FROZEN_PHASES = ("beta_rollout", "prod_1", "prod_2", "prod_3")
DB_MIGRATION_PROBABILITY = 0.25
QA_SLOWER_FROM = date(2026, 7, 1)
QA_REJECT_PROBABILITY = 0.05
MAX_QA_ROUNDS = 3
MAX_HOTFIXES_PER_PHASE = 2
HOTFIX_RELEASES = 8

#: Activity -> (distribution, parameters in hours, time base). ``work`` = working hours
#: on the business calendar; ``clock`` = wall-clock hours (started in working time).
DURATIONS: dict[str, tuple[str, tuple[float, ...], str]] = {
    "cut_branches": ("triangular", (20 / 60, 30 / 60, 1.0), "clock"),
    "build_artifacts": ("pert", (40 / 60, 1.0, 2.5), "clock"),
    "deploy_qa": ("triangular", (15 / 60, 25 / 60, 1.0), "clock"),
    "alpha_fix": ("lognormal", (4.0, 12.0), "work"),
    "alpha_fix_approval": ("lognormal", (2.0, 6.0), "work"),
    "regression_suite": ("pert", (1.5, 2.0, 4.0), "clock"),
    "qa_approval": ("lognormal", (0.5, 3.0), "work"),  # from 2026-07-01: QA_APPROVAL_H2
    "stakeholder_approval": ("lognormal", (1.0, 4.0), "work"),
    "db_migration": ("triangular", (0.5, 1.0, 3.0), "clock"),
    "deploy_prod0": ("pert", (0.5, 0.75, 2.0), "clock"),
    "sanity_prod0": ("triangular", (20 / 60, 30 / 60, 1.0), "clock"),
    "soak": ("fixed", (120.0,), "clock"),
    "beta_fix": ("lognormal", (3.0, 10.0), "work"),
    "beta_fix_approval": ("lognormal", (2.0, 8.0), "work"),
    "deploy_prod1": ("pert", (0.75, 1.0, 3.0), "clock"),
    "verify_prod1": ("triangular", (0.5, 1.0, 2.0), "work"),
    "deploy_prod2": ("pert", (0.75, 1.0, 3.0), "clock"),
    "verify_prod2": ("triangular", (0.5, 1.0, 2.0), "work"),
    "deploy_prod3": ("pert", (0.75, 1.0, 3.0), "clock"),
    "verify_prod3": ("triangular", (0.5, 1.0, 2.0), "work"),
    "investigate": ("lognormal", (2.0, 6.0), "work"),
    "hotfix_fix": ("pert", (1.0, 1.5, 4.0), "clock"),
    "hotfix_sanity": ("triangular", (20 / 60, 30 / 60, 1.0), "clock"),
}
QA_APPROVAL_H2 = ("lognormal", (2.0, 8.0), "work")

#: Activity -> (probability that an attempt fails, retries, what the last failure does).
FAILURES: dict[str, tuple[float, int, str]] = {
    "build_artifacts": (0.06, 2, "abort"),
    "deploy_qa": (0.04, 1, "abort"),
    "regression_suite": (0.10, 2, "abort"),
    "db_migration": (0.05, 0, "hotfix"),
    "deploy_prod0": (0.10, 1, "hotfix"),
    "deploy_prod1": (0.15, 1, "hotfix"),
    "deploy_prod2": (0.15, 1, "hotfix"),
    "deploy_prod3": (0.15, 1, "hotfix"),
}

#: Phase -> (owner team, activity -> (type, owner override or None)).
PHASES: dict[str, tuple[str, dict[str, tuple[str, str | None]]]] = {
    "branch_cut": ("Release Engineering", {
        "cut_branches": ("automated", None), "build_artifacts": ("automated", None),
        "deploy_qa": ("automated", None)}),
    "alpha_fixes": ("Developers", {
        "alpha_fix": ("manual", None), "alpha_fix_approval": ("approval", "Service Owners"),
        "alpha_cutoff": ("wait", None)}),
    "qa_signoff": ("QA", {
        "regression_suite": ("automated", None), "qa_approval": ("approval", None),
        "stakeholder_approval": ("approval", "Stakeholders")}),
    "beta_rollout": ("SRE", {
        "db_migration": ("automated", None), "deploy_prod0": ("automated", None),
        "sanity_prod0": ("automated", None)}),
    "beta_soak": ("Developers", {
        "soak": ("wait", None), "beta_fix": ("manual", None),
        "beta_fix_approval": ("approval", "Service Owners")}),
    "prod_1": ("SRE", {"deploy_prod1": ("automated", None), "verify_prod1": ("manual", None)}),
    "prod_2": ("SRE", {"deploy_prod2": ("automated", None), "verify_prod2": ("manual", None)}),
    "prod_3": ("SRE", {"deploy_prod3": ("automated", None), "verify_prod3": ("manual", None)}),
    "hotfix": ("Developers", {
        "investigate": ("manual", None), "hotfix_fix": ("automated", None),
        "hotfix_sanity": ("automated", None)}),
}
PHASE_NAMES = {
    "branch_cut": "Branch Cut", "alpha_fixes": "Alpha Fixes", "qa_signoff": "QA Sign-off",
    "beta_rollout": "Beta Rollout (Prod 0)", "beta_soak": "Soak and Beta Fixes",
    "prod_1": "Prod 1 Deployment", "prod_2": "Prod 2 Deployment",
    "prod_3": "Prod 3 Deployment", "hotfix": "Emergency Hotfix",
}
ACTIVITY_NAMES = {
    "cut_branches": "Cut release branches", "build_artifacts": "Build release artifacts",
    "deploy_qa": "Deploy to QA", "alpha_fix": "Alpha fix",
    "alpha_fix_approval": "Service owner approval of alpha fixes",
    "alpha_cutoff": "Alpha fixes close (Thursday noon)",
    "regression_suite": "Automated regression suite", "qa_approval": "QA approval",
    "stakeholder_approval": "Stakeholder approval", "db_migration": "Database migration",
    "deploy_prod0": "Deploy to Prod 0", "sanity_prod0": "Sanity tests on Prod 0",
    "soak": "Soak on Prod 0", "beta_fix": "Beta fix",
    "beta_fix_approval": "Service owner approval of beta fixes",
    "deploy_prod1": "Deploy to Prod 1", "verify_prod1": "Verify Prod 1",
    "deploy_prod2": "Deploy to Prod 2", "verify_prod2": "Verify Prod 2",
    "deploy_prod3": "Deploy to Prod 3", "verify_prod3": "Verify Prod 3",
    "investigate": "Investigate the failure", "hotfix_fix": "Build and deploy the hotfix",
    "hotfix_sanity": "Sanity test the hotfix",
}
#: Phase -> planned (start, end) as (days after the cut's Monday, local "HH:MM").
PLAN: dict[str, tuple[tuple[int, str], tuple[int, str]]] = {
    "branch_cut": ((0, "09:00"), (0, "12:00")),
    "alpha_fixes": ((0, "12:00"), (3, "12:00")),
    "qa_signoff": ((3, "12:00"), (3, "17:00")),
    "beta_rollout": ((4, "09:00"), (4, "12:00")),
    "beta_soak": ((4, "12:00"), (11, "17:00")),
    "prod_1": ((14, "09:00"), (14, "12:00")),
    "prod_2": ((16, "09:00"), (16, "12:00")),
    "prod_3": ((21, "09:00"), (21, "12:00")),
}
ENVIRONMENT = {"beta_rollout": "prod-0", "prod_1": "prod-1", "prod_2": "prod-2",
               "prod_3": "prod-3"}
#: Anchors inside a phase (blueprint ``not-before`` of an activity), days after the cut.
ACTIVITY_SLOTS = {"alpha_cutoff": (3, "12:00"), "qa_approval": (3, "16:00")}

CALENDAR = Calendar(
    "business", TIMEZONE, "Mon-Fri 09:00-17:00", holidays=HOLIDAYS, freezes=(FREEZE,)
)
Z90 = 1.2815515655446004  # the 90th percentile of the standard normal


# --------------------------------------------------------------------------------------
# Sampling and time
# --------------------------------------------------------------------------------------


def sample(spec: tuple[str, tuple[float, ...], str], rng: np.random.Generator) -> float:
    """Draw a duration in hours from ``(distribution, parameters, base)``."""
    kind, p, _ = spec
    if kind == "fixed":
        return p[0]
    if kind == "lognormal":
        median, p90 = p
        return float(median * math.exp(math.log(p90 / median) / Z90 * rng.standard_normal()))
    if kind == "triangular":
        return float(rng.triangular(*p))
    if kind == "pert":
        lo, mode, hi = p
        a = 1 + 4 * (mode - lo) / (hi - lo)
        b = 1 + 4 * (hi - mode) / (hi - lo)
        return float(lo + (hi - lo) * rng.beta(a, b))
    raise ValueError(f"unknown distribution {kind!r}")


def local(day: date, hhmm: str) -> float:
    """A local wall time on ``day`` as epoch hours."""
    return to_epoch_hours(pd.Timestamp(f"{day} {hhmm}").tz_localize(TIMEZONE))


def stamp(h: float | None) -> pd.Timestamp:
    """Epoch hours as a UTC timestamp rounded to the second (NaT for None)."""
    if h is None:
        return pd.NaT
    return pd.Timestamp(round(h * 3600), unit="s", tz="UTC")


def begin(t: float, phase: str) -> float:
    """When work ready at ``t`` can begin: working time, outside the freeze if frozen."""
    t = CALENDAR.next_working_h(t)
    if phase in FROZEN_PHASES:
        end = CALENDAR.freeze_end_h(t)
        if end is not None:
            t = CALENDAR.next_working_h(end)
    return t


# --------------------------------------------------------------------------------------
# One release
# --------------------------------------------------------------------------------------


@dataclass
class Release:
    """What happened in one release: its rows and its phase executions."""

    release_id: str
    cut: date | None
    rng: np.random.Generator
    rows: list[dict[str, Any]] = field(default_factory=list)
    phases: list[dict[str, Any]] = field(default_factory=list)
    attempts: dict[tuple[str, str], int] = field(default_factory=dict)
    aborted: bool = False
    db_migration: bool = False

    def plan(self, phase: str) -> tuple[float | None, float | None]:
        if self.cut is None or phase not in PLAN:
            return None, None
        (d0, t0), (d1, t1) = PLAN[phase]
        start = CALENDAR.next_working_h(local(self.cut + timedelta(days=d0), t0))
        return start, local(self.cut + timedelta(days=d1), t1)

    def slot(self, activity: str) -> float | None:
        if self.cut is None or activity not in ACTIVITY_SLOTS:
            return None
        days, hhmm = ACTIVITY_SLOTS[activity]
        return local(self.cut + timedelta(days=days), hhmm)

    def run(self, phase: str, activity: str, ready: float, *, base: str = "",
            not_before: float | None = None) -> tuple[float, bool]:
        """Run one activity with its retries; return (end, succeeded)."""
        kind, owner = PHASES[phase][1][base or activity]
        spec = DURATIONS.get(base or activity)
        if activity == "qa_approval" and self.cut is not None:
            start_day = pd.Timestamp(stamp(max(ready, not_before or ready))).tz_convert(TIMEZONE)
            if start_day.date() >= QA_SLOWER_FROM:
                spec = QA_APPROVAL_H2
        p_fail, retries, _ = FAILURES.get(base or activity, (0.0, 0, "abort"))
        t = ready
        for _ in range(retries + 1):
            start = begin(max(t, not_before or t), phase)
            if kind == "wait" and spec is None:  # alpha_cutoff: wait for its slot
                start, end = ready, max(ready, not_before or ready)
            elif spec is not None and spec[2] == "work":
                start = CALENDAR.next_working_h(start)
                end = CALENDAR.add_working_hours_h(start, sample(spec, self.rng))
            elif spec is not None:
                end = start + sample(spec, self.rng)
            else:
                raise ValueError(f"no duration for {activity}")
            failed = bool(self.rng.random() < p_fail)
            status = "failed" if failed else "succeeded"
            if activity == "qa_approval" and self.rng.random() < QA_REJECT_PROBABILITY:
                status, failed = "rejected", True
            self.add(phase, activity, kind, owner, status, ready, start, end)
            if not failed or status == "rejected":
                return end, not failed
            t = ready = end
        return t, False

    def add(self, phase: str, activity: str, kind: str, owner: str | None, status: str,
            ready: float, start: float, end: float) -> None:
        key = (phase, activity)
        self.attempts[key] = self.attempts.get(key, 0) + 1
        planned_start, planned_end = self.plan(phase)
        self.rows.append({
            "run": 0, "release_id": self.release_id, "phase_id": phase,
            "activity_id": activity, "activity_type": kind,
            "owner": owner or PHASES[phase][0], "status": status,
            "attempt": self.attempts[key], "ready": ready, "start": start, "end": end,
            "planned_start": planned_start, "planned_end": planned_end,
        })

    def phase(self, phase: str, ready: float, env_free: dict[str, float]) -> tuple[float, bool]:
        """Run a phase (its activities in dependency order); return (end, succeeded)."""
        first = len(self.rows)
        planned, _ = self.plan(phase)
        env = ENVIRONMENT.get(phase)
        t0 = max(ready, planned or ready, env_free.get(env, ready) if env else ready)
        t0 = begin(t0, phase)
        ok = True
        if phase == "branch_cut":
            t, ok = self.run(phase, "cut_branches", ready, not_before=t0)
            if ok:
                t, ok = self.run(phase, "build_artifacts", t)
            if ok:
                t, ok = self.run(phase, "deploy_qa", t)
        elif phase in ("alpha_fixes", "beta_soak"):
            fix = "alpha_fix" if phase == "alpha_fixes" else "beta_fix"
            ends = [self.run(phase, f"{fix}[{svc}]", ready, base=fix, not_before=t0)[0]
                    for svc in SERVICES]
            t, _ = self.run(phase, f"{fix}_approval", max(ends))
            if phase == "alpha_fixes":
                t, _ = self.run(phase, "alpha_cutoff", t, not_before=self.slot("alpha_cutoff"))
            else:
                soak_end, _ = self.run(phase, "soak", ready, not_before=t0)
                t = max(t, soak_end)
        elif phase == "qa_signoff":
            t, ok = self.run(phase, "regression_suite", ready, not_before=t0)
            if ok:
                t, ok = self.run(phase, "qa_approval", t, not_before=self.slot("qa_approval"))
            if ok:
                t, ok = self.run(phase, "stakeholder_approval", t)
        elif phase == "beta_rollout":
            t = ready
            if self.db_migration:
                t, ok = self.run(phase, "db_migration", ready, not_before=t0)
            if ok:
                t, ok = self.run(phase, "deploy_prod0", t, not_before=t0)
            if ok:
                t, ok = self.run(phase, "sanity_prod0", t)
        elif phase.startswith("prod_"):
            n = phase[-1]
            t, ok = self.run(phase, f"deploy_prod{n}", ready, not_before=t0)
            if ok:
                t, ok = self.run(phase, f"verify_prod{n}", t)
        elif phase == "hotfix":
            t, _ = self.run(phase, "investigate", ready, not_before=t0)
            t, _ = self.run(phase, "hotfix_fix", t)
            t, _ = self.run(phase, "hotfix_sanity", t)
        else:
            raise ValueError(phase)
        mine = self.rows[first:]
        if env and mine:
            env_free[env] = max(r["end"] for r in mine)
        status = "Completed" if ok else "Failed"
        self.phases.append({"phase_id": phase, "start": min(r["start"] for r in mine),
                            "end": max(r["end"] for r in mine), "status": status})
        return t, ok


def train_release(k: int, cut: date, env_free: dict[str, float]) -> Release:
    """Simulate the k-th weekly release, cut on Monday ``cut``."""
    rel = Release(f"R2026-{k:02d}", cut, np.random.default_rng([SEED, k]))
    rel.db_migration = bool(rel.rng.random() < DB_MIGRATION_PROBABILITY)
    t, _ = rel.plan("branch_cut")
    assert t is not None
    t, ok = rel.phase("branch_cut", t, env_free)
    if not ok:
        rel.aborted = True
        return rel
    for _ in range(MAX_QA_ROUNDS):
        t, _ = rel.phase("alpha_fixes", t, env_free)
        t, ok = rel.phase("qa_signoff", t, env_free)
        if ok or rel.rows[-1]["status"] != "rejected":
            break
    if not ok:
        rel.aborted = True
        return rel
    for phase in ("beta_rollout", "beta_soak", "prod_1", "prod_2", "prod_3"):
        for _ in range(MAX_HOTFIXES_PER_PHASE + 1):
            end, ok = rel.phase(phase, t, env_free)
            if ok:
                t = end
                break
            t, _ = rel.phase("hotfix", end, env_free)  # a rollback, then the phase again
        if not ok:
            rel.aborted = True
            return rel
    return rel


def hotfix_releases(rng: np.random.Generator) -> list[Release]:
    """Ad-hoc hotfix releases at random working times of 2026 (outside the freeze)."""
    days = pd.bdate_range(FIRST_CUT, date(2026, 12, 18)).date
    picked = sorted(rng.choice(days, size=HOTFIX_RELEASES, replace=False))
    out = []
    for i, day in enumerate(picked, start=1):
        rel = Release(f"HF2026-{i:02d}", None, np.random.default_rng([SEED, 1000 + i]))
        t = local(day, f"{int(rng.integers(9, 16)):02d}:{int(rng.integers(0, 60)):02d}")
        rel.phase("hotfix", t, {})
        out.append(rel)
    return out


# --------------------------------------------------------------------------------------
# The whole history and its files
# --------------------------------------------------------------------------------------


def cut_days() -> list[date]:
    freeze0, freeze1 = (date.fromisoformat(d) for d in FREEZE)
    out, day = [], FIRST_CUT
    while day <= LAST_CUT:
        if not freeze0 <= day <= freeze1:
            out.append(day)
        day += timedelta(days=7)
    return out


def generate() -> tuple[pd.DataFrame, list[Release], float]:
    """Simulate the year; return the event log, the releases, and the export time."""
    as_of = to_epoch_hours(pd.Timestamp(AS_OF).tz_localize(TIMEZONE))
    env_free: dict[str, float] = {}
    releases = [train_release(k, cut, env_free) for k, cut in enumerate(cut_days(), 1)]
    releases += hotfix_releases(np.random.default_rng([SEED, 999]))
    rows = []
    for rel in releases:
        for row in rel.rows:
            if row["start"] > as_of:
                continue  # has not happened at export time
            row = dict(row)
            if row["end"] > as_of:
                row["status"], row["end"] = "in_progress", None
            rows.append(row)
    log = pd.DataFrame(rows)
    for col in ("ready", "start", "end", "planned_start", "planned_end"):
        log[col] = [stamp(v) if v is not None and not pd.isna(v) else pd.NaT
                    for v in log[col]]
    log = log.sort_values(["start", "release_id", "phase_id", "activity_id"], kind="stable")
    return log.reset_index(drop=True), releases, as_of


def write_csv(log: pd.DataFrame, path: Path) -> None:
    out = log.copy()
    for col in ("ready", "start", "end", "planned_start", "planned_end"):
        out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    out.to_csv(path, index=False, lineterminator="\n")


def _duration_text(hours: float) -> str:
    minutes = round(hours * 60)
    d, rest = divmod(minutes, 24 * 60)
    h, m = divmod(rest, 60)
    return " ".join(f"{v}{u}" for v, u in ((d, "d"), (h, "h"), (m, "m")) if v) or "0m"


def _local_naive(h: float | None) -> datetime | None:
    if h is None:
        return None
    return stamp(h).tz_convert(TIMEZONE).tz_localize(None).to_pydatetime()


def write_report(releases: list[Release], as_of: float, path: Path) -> None:
    """The Harness release report export for the ``REPORT_DAYS`` before ``as_of``."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    since = as_of - REPORT_DAYS * 24
    book = Workbook()
    sheets = {
        "Release Group Report": ["Release Name", "Release ID", "Status", "Version",
                                 "Expected Start", "Expected End", "Actual Start",
                                 "Actual End", "Total Duration"],
        "Phase Execution Details": ["Release Name", "Release ID", "Phase Name",
                                    "Phase Identifier", "Status", "Start Time", "End Time",
                                    "Duration"],
        "Manual Task Execution Details": ["Release ID", "Phase Identifier", "Task Name",
                                          "Expected Duration", "Actual Duration", "Status"],
        "Subprocess Execution Details": ["Release ID", "Phase Identifier", "Subprocess",
                                         "Status", "Start Time", "End Time", "Duration"],
    }
    book.remove(book.active)
    ws = {}
    stamp_text = stamp(as_of).tz_convert(TIMEZONE).strftime("%Y-%m-%d %H:%M %Z")
    for title, header in sheets.items():
        sheet = book.create_sheet(title)
        sheet.append([f"{title}: Harness System Release"])
        sheet.append([f"Exported {stamp_text}; last {REPORT_DAYS} days; times in {TIMEZONE}"])
        sheet.append([])
        sheet.append(header)
        for cell in sheet[4]:
            cell.font = Font(bold=True)
        sheet["A1"].font = Font(bold=True, size=13)
        ws[title] = sheet
    for rel in releases:
        executed = [p for p in rel.phases if p["start"] <= as_of]
        if not executed or min(p["start"] for p in executed) < since:
            continue
        name = f"Harness System Release {rel.release_id}"
        running = any(p["end"] > as_of for p in executed)
        end = None if running else max(p["end"] for p in executed)
        start = min(p["start"] for p in executed)
        status = "Running" if running else "Aborted" if rel.aborted else "Success"
        plan_start = rel.plan("branch_cut")[0]
        plan_end = rel.plan("prod_3")[1]
        version = f"1.{rel.release_id[-2:].lstrip('0') or '0'}.0"
        if rel.release_id.startswith("HF"):
            version = f"hotfix-{rel.release_id[-2:]}"
        ws["Release Group Report"].append([
            name, rel.release_id, status, version, _local_naive(plan_start),
            _local_naive(plan_end), _local_naive(start), _local_naive(end),
            _duration_text(end - start) if end is not None else None,
        ])
        for p in executed:
            open_ = p["end"] > as_of
            ws["Phase Execution Details"].append([
                name, rel.release_id, PHASE_NAMES[p["phase_id"]], p["phase_id"],
                "Running" if open_ else p["status"], _local_naive(p["start"]),
                None if open_ else _local_naive(p["end"]),
                None if open_ else _duration_text(p["end"] - p["start"]),
            ])
        for row in rel.rows:
            kind = PHASES[row["phase_id"]][1][row["activity_id"].split("[")[0]][0]
            if kind not in ("manual", "approval") or row["start"] > as_of:
                continue
            spec = DURATIONS.get(row["activity_id"].split("[")[0])
            expected = _duration_text(spec[1][0] if spec and spec[0] == "lognormal"
                                      else spec[1][1] if spec else 0.0)
            open_ = row["end"] > as_of
            ws["Manual Task Execution Details"].append([
                rel.release_id, row["phase_id"], ACTIVITY_NAMES[row["activity_id"].split("[")[0]]
                + (f" ({row['activity_id'].split('[')[1].rstrip(']')})" if "[" in
                   row["activity_id"] else ""),
                expected, None if open_ else _duration_text(row["end"] - row["start"]),
                "Running" if open_ else {"succeeded": "Succeeded", "failed": "Failed",
                                         "rejected": "Rejected"}[row["status"]],
            ])
    for sheet in ws.values():
        for row in sheet.iter_rows(min_row=5):
            for cell in row:
                if isinstance(cell.value, datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm:ss"
        for col, width in zip("ABCDEFGHI", (34, 12, 24, 18, 20, 20, 20, 20, 14), strict=True):
            sheet.column_dimensions[col].width = width
    book.properties.creator = "phasesim data/logs/generate_history.py"
    book.properties.created = datetime(2027, 1, 4, 20, 15, 0)
    book.properties.modified = datetime(2027, 1, 4, 20, 15, 0)
    book.save(path)
    _fixed_zip_times(path)


def _fixed_zip_times(path: Path) -> None:
    """Give every member of the .xlsx (a zip) a fixed time, and the workbook a fixed
    modification time (openpyxl writes the clock's), so the bytes repeat."""
    with zipfile.ZipFile(path) as src:
        members = [(info, src.read(info.filename)) for info in src.infolist()]
    members = [
        (info, re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2027-01-04T20:15:00Z", data)
         if info.filename == "docProps/core.xml" else data)
        for info, data in members
    ]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in members:
            fixed = zipfile.ZipInfo(info.filename, date_time=(2027, 1, 4, 12, 15, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            out.writestr(fixed, data)


def main() -> int:
    log, releases, as_of = generate()
    csv_path = HERE / "harness-history.csv"
    xlsx_path = HERE / "harness-release-report.xlsx"
    write_csv(log, csv_path)
    write_report(releases, as_of, xlsx_path)
    print(f"wrote {csv_path.relative_to(ROOT)}: {len(log)} rows, "
          f"{log['release_id'].nunique()} releases")
    print(f"wrote {xlsx_path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
