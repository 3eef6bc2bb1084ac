"""GitLab CI: jobs as the REST API returns them (``GET /projects/:id/jobs``).

A **pipeline** is a release (``release_id`` = the pipeline id), a **stage** is a phase and
a **job** is an activity (``activity_type`` ``automated``); ``ready`` is the job's
``created_at``, ``start`` its ``started_at``, ``end`` its ``finished_at``, ``owner`` the
runner's description where there is one.

Sources: a JSON file (a list of jobs, or JSON lines), a DevLake raw table
(``_raw_gitlab_api_job`` exported as CSV, the record in the ``data`` column), or such a
table as a DataFrame.

Statuses: besides the common vocabulary, ``manual`` (a manual job nobody ran) is skipped;
``created``, ``waiting_for_resource``, ``preparing``, ``pending``, ``running`` and
``scheduled`` are in progress. Jobs that failed or were canceled before they started have
``started_at: null``: the ``never_started`` rule counts them, places them at
``finished_at`` and marks them (``never_started`` column), so the analyses count them for
status and failure but not as durations.

Extra columns: ``job_id``, ``pipeline_status``, ``ref``, ``allow_failure``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from phasesim.eventlog.adapters._common import Adapter, records_of, stage, text
from phasesim.eventlog.audit import Auditor, AuditRule, Field, Staged

__all__ = ["ADAPTER", "GITLAB_STATUSES"]

#: GitLab words beyond the common status vocabulary (normalised).
GITLAB_STATUSES: dict[str, str] = {
    "manual": "skipped",
    "waiting_for_resource": "in_progress",
    "preparing": "in_progress",
    "created": "in_progress",
    "scheduled": "in_progress",
}
GITLAB_RULES: tuple[AuditRule, ...] = ()

_FIELDS = {
    "job": {"start": Field("started_at"), "end": Field("finished_at"),
            "status": Field("status"), "ready": Field("created_at"),
            "phase_id": Field("stage"), "activity_id": Field("name"),
            "release_id": Field("pipeline.id")},
}


def load(sources: list[Path] | pd.DataFrame, auditor: Auditor, label: str) -> Staged:
    """Read GitLab jobs (files or a DevLake frame) into a staged frame."""
    records = records_of(sources, ("jobs",), label)
    multi = len({r.file for r in records}) > 1
    rows: list[dict[str, Any]] = []
    for rec in records:
        job = rec.data
        pipeline: dict[str, Any] = job["pipeline"] if isinstance(job.get("pipeline"), dict) else {}
        runner: dict[str, Any] = job["runner"] if isinstance(job.get("runner"), dict) else {}
        pipeline_id = text(pipeline.get("id")) or text(job.get("pipeline_id")) or "unknown"
        rows.append({
            "release_id": pipeline_id,
            "phase_id": text(job.get("stage")) or "default",
            "activity_id": text(job.get("name")) or f"job {job.get('id')}",
            "status": text(job.get("status")),
            "ready": job.get("created_at"),
            "start": job.get("started_at"),
            "end": job.get("finished_at"),
            "owner": text(runner.get("description")),
            "job_id": text(job.get("id")),
            "pipeline_status": text(pipeline.get("status")),
            "ref": text(job.get("ref")),
            "allow_failure": job.get("allow_failure"),
            "_file": rec.file, "_row": rec.row, "_where": rec.where, "_kind": "job",
        })
    return stage(
        rows, source=label, fmt="gitlab", fields=_FIELDS, statuses=GITLAB_STATUSES,
        default_type="automated", multi_file=multi, rows_read=len(records),
    )


ADAPTER = Adapter(
    name="gitlab",
    load=load,
    rules=GITLAB_RULES,
    description="GitLab CI jobs (REST API JSON or DevLake tables)",
)
