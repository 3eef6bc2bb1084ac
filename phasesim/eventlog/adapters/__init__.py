"""Format adapters: tool exports that need more than a column mapping.

==================  ========================================================  ==============
``format=``         source                                                    module
==================  ========================================================  ==============
``harness-report``  Harness release report workbook (.xlsx)                   ``harness``
``github-actions``  GitHub Actions runs and jobs (API JSON, DevLake CSV)      ``github``
``gitlab``          GitLab CI jobs (API JSON, DevLake CSV)                    ``gitlab``
``milestones``      a milestone table: release, milestone, date, planned      ``milestones``
``python-releases`` CPython's ``python-releases.toml``                        ``milestones``
==================  ========================================================  ==============

Each adapter turns its source into canonical columns (plus extra columns of its own) and
hands them to the common audit; adapter-specific audit rules follow the common ones in
the audit table. :func:`detect_file` recognises these sources when ``format`` is not
given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from phasesim.eventlog.adapters import github, gitlab, harness, milestones
from phasesim.eventlog.adapters._common import Adapter, is_devlake

__all__ = ["ADAPTERS", "Adapter", "detect_file", "detect_frame"]

#: ``format=`` name -> adapter.
ADAPTERS: dict[str, Adapter] = {
    a.name: a for a in (harness.ADAPTER, github.ADAPTER, gitlab.ADAPTER,
                        milestones.MILESTONES, milestones.PYTHON_RELEASES)
}


def _kind_of(record: Any) -> str | None:
    if not isinstance(record, dict):
        return None
    if "stage" in record and ("pipeline" in record or "pipeline_id" in record):
        return "gitlab"
    if {"run_id", "steps"} & record.keys() or {"workflow_id", "run_number"} <= record.keys():
        return "github-actions"
    return None


def detect_frame(frame: pd.DataFrame) -> str | None:
    """The adapter for a DataFrame that is a DevLake raw table or a milestone table, else
    None."""
    if milestones.is_milestone_table(frame.columns):
        return "milestones"
    if not is_devlake(frame.columns) or len(frame) == 0:
        return None
    try:
        first = json.loads(str(frame["data"].iloc[0]))
    except (json.JSONDecodeError, TypeError):
        return None
    return _kind_of(first)


def detect_file(path: Path, base: str) -> str | None:
    """The adapter for a file whose extension says ``base`` (csv, json, excel), or None."""
    try:
        if base == "toml":
            toml_text = path.read_text(encoding="utf-8", errors="replace")
            return "python-releases" if "[[release." in toml_text else None
        if base == "excel":
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True)
            try:
                names = [harness._key(n) for n in book.sheetnames]
            finally:
                book.close()
            return "harness-report" if harness._key(harness.PHASE_SHEET) in names else None
        if base == "csv":
            head = pd.read_csv(path, dtype=str, nrows=1, encoding="utf-8-sig")
            return detect_frame(head)
        if base in ("json", "jsonl"):
            text = path.read_text(encoding="utf-8-sig").strip()
            try:
                data: Any = json.loads(text)
            except json.JSONDecodeError:
                first = text.splitlines()[0] if text else ""
                data = [json.loads(first)] if first else []
            if isinstance(data, dict):
                lists = [v for k, v in data.items() if k in ("workflow_runs", "jobs")
                         and isinstance(v, list)]
                data = lists[0] if lists else [data]
            if isinstance(data, list) and data:
                return _kind_of(data[0])
    except (OSError, ValueError, KeyError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None  # the generic reader reports what is wrong with the file
    except Exception:  # openpyxl raises its own classes for broken workbooks
        return None
    return None
