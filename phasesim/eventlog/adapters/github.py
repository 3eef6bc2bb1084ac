"""GitHub Actions: workflow runs and jobs as the REST API returns them.

A workflow **run** is a release (``release_id`` = the run id), its **jobs** are phases
(``phase_id`` = the job name) and their **steps** are activities (``activity_id`` = the
step name, ``activity_type`` ``automated``).

Sources: JSON files as the API returns them (a list of runs or jobs,
``{"workflow_runs": [...]}``, ``{"jobs": [...]}``, or JSON lines), DevLake raw tables
(``_raw_github_api_runs`` and ``_raw_github_api_jobs`` exported as CSV, the record in the
``data`` column), or such a table as a DataFrame. Give runs and jobs together as a list of
paths; each record is recognised by its fields (a job has ``run_id`` or ``steps``).

What becomes of each record:

* a **job** gives one phase row (``activity_id`` NA, ``activity_type`` ``phase``) with
  the job's own status and times, and one activity row per step. Analyses take a phase's
  span from its activity rows where there are any, so the job row adds its status
  (``failure``, ``cancelled``, ``TIMED_OUT``, ``in_progress``) without double counting:
  a job concluded ``failure`` with succeeded steps is failed, and a job in progress
  whose steps all finished is not a completed execution. Job times are UTC while step
  times carry the runner's local offset (``+08:00``, ``-07:00``): all become UTC, and the
  ``mixed_timezones`` rule counts the rows.
* a **run** with jobs in the input gives its workflow name (extra column ``workflow``) to
  their rows. A run **without** jobs in the input becomes one phase row of its own
  (``phase_id`` = the workflow name), from ``run_started_at`` to ``updated_at`` (runs have
  no completion time; ``updated_at`` is the usual stand-in); ``ready`` is ``created_at``.
* jobs whose run is not in the input still make a release, named by their ``run_id``.

Statuses: the ``conclusion`` where there is one, else the ``status`` (``queued``,
``in_progress``, ``waiting``, ``pending``, ``requested`` are in progress; a ``completed``
record without a conclusion is an unknown status). Case does not matter (``SUCCESS``).
Besides the common vocabulary: ``neutral`` -> succeeded (GitHub lets a neutral check
pass), ``stale`` -> aborted (GitHub gave up on it), ``action_required`` -> in progress
(waiting for someone to approve the run), ``startup_failure`` and ``timed_out`` -> failed.

Extra columns: ``workflow``, ``job_id``, ``run_attempt`` (the API's attempt of the whole
run; ``attempt`` is numbered per phase and step by start as usual).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from phasesim.errors import LogError, Problem
from phasesim.eventlog.adapters._common import Adapter, Record, records_of, stage, text
from phasesim.eventlog.audit import Auditor, AuditRule, Field, Staged

__all__ = ["ADAPTER", "GITHUB_RULES", "GITHUB_STATUSES"]

GITHUB_RULES: tuple[AuditRule, ...] = (
    AuditRule("github_no_conclusion", "flagged",
              "runs, jobs and steps with a null or empty conclusion: their status field "
              "gives the status (queued, in_progress, ... are in progress)"),
    AuditRule("github_run_without_jobs", "assumed",
              "runs whose jobs are not in the input: one phase row per run, named by the "
              "workflow, from run_started_at to updated_at"),
    AuditRule("github_job_without_run", "assumed",
              "jobs whose run is not in the input: the release is named by run_id and has "
              "no workflow name"),
)

#: GitHub words beyond the common status vocabulary (normalised).
GITHUB_STATUSES: dict[str, str] = {
    "neutral": "succeeded",
    "stale": "aborted",
    "action_required": "in_progress",
    "startup_failure": "failed",
    "timed_out": "failed",
}
#: Status words that say nothing about the outcome when the conclusion is missing.
_NOT_AN_OUTCOME = frozenset({"completed"})
_UNFINISHED = frozenset({"queued", "in_progress", "waiting", "pending", "requested"})

_FIELDS = {
    "run": {"start": Field("run_started_at"), "end": Field("updated_at"),
            "status": Field("conclusion"), "ready": Field("created_at"),
            "phase_id": Field("name"), "release_id": Field("id")},
    "job": {"start": Field("started_at"), "end": Field("completed_at"),
            "status": Field("conclusion"), "ready": Field("created_at"),
            "phase_id": Field("name"), "release_id": Field("run_id")},
    "step": {"start": Field("started_at"), "end": Field("completed_at"),
             "status": Field("conclusion"), "activity_id": Field("name")},
}


def _is_job(data: dict[str, Any]) -> bool:
    return "run_id" in data or "steps" in data


def _is_run(data: dict[str, Any]) -> bool:
    return "workflow_id" in data or "run_number" in data or "head_branch" in data


def _status(data: dict[str, Any]) -> tuple[str | None, bool]:
    """The raw status word of a record and whether its conclusion was missing."""
    conclusion = text(data.get("conclusion"))
    if conclusion is not None:
        return conclusion, False
    status = text(data.get("status"))
    if status is not None and status.lower() in _NOT_AN_OUTCOME:
        return f"{status} (no conclusion)", True
    return status, True


def load(sources: list[Path] | pd.DataFrame, auditor: Auditor, label: str) -> Staged:
    """Read runs and jobs (files or a DevLake frame) into a staged frame."""
    records = records_of(sources, ("workflow_runs", "jobs"), label)
    runs: dict[str, tuple[Record, dict[str, Any]]] = {}
    jobs: list[Record] = []
    unknown: list[Record] = []
    for rec in records:
        if _is_job(rec.data):
            jobs.append(rec)
        elif _is_run(rec.data):
            runs[str(rec.data.get("id"))] = (rec, rec.data)
        else:
            unknown.append(rec)
    if unknown:
        raise LogError(
            [Problem(f"a record that is neither a workflow run nor a job (fields: "
                     f"{', '.join(sorted(rec.data)[:8])})", file=rec.file,
                     line=rec.row if rec.row >= 0 else None, path=rec.where,
                     hint="give GitHub Actions runs and jobs as the REST API returns them")
             for rec in unknown[:5]],
            label,
        )
    multi = len({r.file for r in records}) > 1
    rows: list[dict[str, Any]] = []
    no_conclusion: list[str] = []
    job_runs: set[str] = set()
    orphans: list[str] = []

    def where_of(rec: Record, suffix: str = "") -> str:
        return f"{rec.where}{suffix}" if rec.where else suffix.lstrip(".")

    def ex(rec: Record, suffix: str = "") -> str:
        place = str(rec.row) if rec.row >= 0 else where_of(rec, suffix)
        return f"{Path(rec.file).name}:{place}" if multi else place

    for rec in jobs:
        job = rec.data
        run_id = text(job.get("run_id")) or "unknown"
        job_runs.add(run_id)
        run = runs.get(run_id)
        workflow = text(run[1].get("name")) if run else text(job.get("workflow_name"))
        if run is None:
            orphans.append(ex(rec))
        status, missing = _status(job)
        if missing:
            no_conclusion.append(ex(rec))
        common = {
            "release_id": run_id, "phase_id": text(job.get("name")) or "job",
            "workflow": workflow, "job_id": text(job.get("id")),
            "run_attempt": text(job.get("run_attempt")),
            "_file": rec.file, "_row": rec.row,
        }
        rows.append({
            **common, "activity_id": None, "status": status,
            "start": job.get("started_at"), "end": job.get("completed_at"),
            "ready": job.get("created_at"), "owner": text(job.get("runner_name")),
            "_where": rec.where, "_kind": "job",
        })
        for i, step in enumerate(job.get("steps") or []):
            if not isinstance(step, dict):
                continue
            s_status, s_missing = _status(step)
            if s_missing:
                no_conclusion.append(ex(rec, f".steps[{i}]"))
            rows.append({
                **common, "activity_id": text(step.get("name")) or f"step {i + 1}",
                "status": s_status, "start": step.get("started_at"),
                "end": step.get("completed_at"), "ready": None,
                "owner": text(job.get("runner_name")),
                "_where": where_of(rec, f".steps[{i}]"), "_kind": "step",
            })
    lonely: list[str] = []
    for run_id, (rec, data) in runs.items():
        if run_id in job_runs:
            continue
        lonely.append(ex(rec))
        status, missing = _status(data)
        if missing:
            no_conclusion.append(ex(rec))
        raw_status = text(data.get("status"))
        finished = raw_status is None or raw_status.lower() not in _UNFINISHED
        rows.append({
            "release_id": run_id, "phase_id": text(data.get("name")) or "workflow",
            "activity_id": None, "status": status,
            "start": data.get("run_started_at") or data.get("created_at"),
            "end": data.get("updated_at") if finished and not missing else None,
            "ready": data.get("created_at"), "owner": None,
            "workflow": text(data.get("name")), "job_id": None,
            "run_attempt": text(data.get("run_attempt")),
            "_file": rec.file, "_row": rec.row, "_where": rec.where, "_kind": "run",
        })
    auditor.record("github_no_conclusion", len(no_conclusion), no_conclusion[:5])
    auditor.record("github_run_without_jobs", len(lonely), lonely[:5])
    auditor.record("github_job_without_run", len(orphans), orphans[:5])
    return stage(
        rows, source=label, fmt="github-actions", fields=_FIELDS, statuses=GITHUB_STATUSES,
        default_type="automated", multi_file=multi, rows_read=len(records),
    )


ADAPTER = Adapter(
    name="github-actions",
    load=load,
    rules=GITHUB_RULES,
    description="GitHub Actions workflow runs and jobs (REST API JSON or DevLake tables)",
)
