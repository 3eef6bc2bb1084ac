"""Harness release reports: the ``.xlsx`` export of a release group (at most 90 days).

The workbook has one sheet per view. Two are read:

* **Phase Execution Details** - one row per phase execution: release name and/or id,
  phase name and/or identifier, status, start time, end time, duration. Each row becomes
  a phase row (``activity_id`` NA, ``activity_type`` ``phase``), ``phase_id`` the phase
  identifier (else its name), ``release_id`` the release id (else its name). Duration is
  not read: it is end minus start.
* **Release Group Report** - one row per release: release name/id, status, version,
  expected and actual start and end, total duration. The expected (planned) start of a
  release becomes ``planned_start`` of its first phase row that ran, the expected end
  ``planned_end`` of its last (so that plan-versus-actual slips add up to the release's),
  and every row gets the extra columns ``release_name``, ``version`` and
  ``release_status`` (the release's status as the report words it).

The other sheets (Manual Task Execution Details, Subprocess Execution Details) have no
start and end per execution; their rows are counted by the ``harness_unread_sheets`` rule.

A sheet may start with title lines: the header is the first row (of the first 30) that
names a phase (or release) and a start column; headers are matched ignoring case, spaces
and punctuation. Times are Excel date cells or text; cells without an offset are read in
``tz`` (the export writes the viewer's local time, so pass e.g.
``tz="America/Los_Angeles"``). Phase statuses follow the product's words: Completed,
Failed, Running / In Progress, Pending, Skipped, On Hold, Scheduled. Rows are numbered as
Excel shows them.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from phasesim.errors import LogError, Problem
from phasesim.eventlog.adapters._common import Adapter, stage, text
from phasesim.eventlog.audit import Auditor, AuditRule, Field, Staged

__all__ = ["ADAPTER", "HARNESS_RULES", "PHASE_SHEET", "RELEASE_SHEET"]

PHASE_SHEET = "Phase Execution Details"
RELEASE_SHEET = "Release Group Report"

HARNESS_RULES: tuple[AuditRule, ...] = (
    AuditRule("harness_release_without_phases", "dropped",
              "releases of the Release Group Report with no row in Phase Execution "
              "Details: nothing to put in the log", unit="releases"),
    AuditRule("harness_phase_without_release", "flagged",
              "phase rows whose release is not in the Release Group Report: kept, "
              "without release name, version or plan"),
    AuditRule("harness_planned", "assumed",
              "expected start and end of a release become planned_start of its first "
              "phase row and planned_end of its last", unit="releases"),
    AuditRule("harness_unread_sheets", "flagged",
              "rows of sheets without start and end per execution (Manual Task and "
              "Subprocess Execution Details); not part of the event log"),
)

_PHASE_HEADERS = {
    "release_id": ("releaseid", "releaseidentifier"),
    "release_name": ("releasename", "release"),
    "phase_id": ("phaseidentifier", "phaseid"),
    "phase_name": ("phasename", "phase"),
    "status": ("status", "phasestatus"),
    "start": ("starttime", "startedat", "start", "actualstart", "actualstarttime"),
    "end": ("endtime", "endedat", "end", "actualend", "actualendtime", "completedat"),
}
_RELEASE_HEADERS = {
    "release_id": ("releaseid", "releaseidentifier"),
    "release_name": ("releasename", "release"),
    "status": ("status", "releasestatus"),
    "version": ("version", "releaseversion"),
    "planned_start": ("expectedstart", "expectedstarttime", "plannedstart",
                      "expectedstartdate"),
    "planned_end": ("expectedend", "expectedendtime", "plannedend", "expectedenddate"),
}
_SQUASH = re.compile(r"[^a-z0-9]+")


def _key(value: object) -> str:
    return _SQUASH.sub("", str(value).lower()) if value is not None else ""


def _find_sheet(names: list[str], wanted: str) -> str | None:
    return next((n for n in names if _key(n) == _key(wanted)), None)


def _table(
    rows: list[tuple[Any, ...]], headers: dict[str, tuple[str, ...]], need: tuple[str, ...]
) -> tuple[int, dict[str, tuple[int, str]]] | None:
    """Find the header row: (its 1-based number, canonical -> (0-based col, header))."""
    for number, cells in enumerate(rows[:30], start=1):
        keys = [_key(c) for c in cells]
        found: dict[str, tuple[int, str]] = {}
        for canonical, aliases in headers.items():
            for alias in aliases:
                if alias in keys:
                    col = keys.index(alias)
                    if all(col != c for c, _ in found.values()):
                        found[canonical] = (col, str(cells[col]).strip())
                        break
        if all(any(n in found for n in group.split("|")) for group in need):
            return number, found
    return None


def load(sources: list[Path] | pd.DataFrame, auditor: Auditor, label: str) -> Staged:
    """Read a Harness release report workbook into a staged frame."""
    if isinstance(sources, pd.DataFrame) or len(sources) != 1:
        raise LogError(
            [Problem("the harness-report format reads one .xlsx file", file=label,
                     hint="pass the path of the exported workbook")],
            label,
        )
    path = sources[0]
    file = str(path)
    sheets = _read_workbook(path)
    names = list(sheets)
    phase_name = _find_sheet(names, PHASE_SHEET)
    if phase_name is None:
        raise LogError(
            [Problem(f"no sheet {PHASE_SHEET!r}; the sheets are {names}", file=file,
                     hint="export the release report with phase execution details")],
            file,
        )
    phase_rows = sheets[phase_name]
    found = _table(phase_rows, _PHASE_HEADERS, ("release_id|release_name",
                                                "phase_id|phase_name", "start", "end"))
    if found is None:
        raise LogError(
            [Problem(f"sheet {phase_name!r}: no header row with release, phase, start time "
                     "and end time columns in the first 30 rows", file=file,
                     hint="the export's columns are Release Name/ID, Phase Name, Phase "
                     "Identifier, Status, Start Time, End Time, Duration")],
            file,
        )
    header_row, cols = found

    def cell(cells: tuple[Any, ...], name: str) -> Any:
        if name not in cols or cols[name][0] >= len(cells):
            return None
        return cells[cols[name][0]]

    rows: list[dict[str, Any]] = []
    for number, cells in enumerate(phase_rows[header_row:], start=header_row + 1):
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        rid = text(cell(cells, "release_id")) or text(cell(cells, "release_name"))
        pid = text(cell(cells, "phase_id")) or text(cell(cells, "phase_name"))
        rows.append({
            "release_id": _id(rid), "phase_id": pid, "activity_id": None,
            "status": text(cell(cells, "status")),
            "start": cell(cells, "start"), "end": cell(cells, "end"),
            "release_name": text(cell(cells, "release_name")),
            "phase_name": text(cell(cells, "phase_name")),
            "_file": file, "_row": number, "_where": phase_name, "_kind": "phase",
        })
    fields = {"phase": {c: Field(h, i + 1) for c, (i, h) in cols.items()}}
    if "phase_id" not in fields["phase"] and "phase_name" in fields["phase"]:
        fields["phase"]["phase_id"] = fields["phase"]["phase_name"]
    _join_releases(rows, sheets, names, file, auditor)
    unread = [(n, r) for n, r in sheets.items() if n not in (phase_name, _find_sheet(
        names, RELEASE_SHEET))]
    counts = []
    total = 0
    for name, sheet_rows in unread:
        header = _table(sheet_rows, {"x": ("status", "taskname", "task", "phase",
                                           "releaseid", "subprocess")}, ("x",))
        start = header[0] if header else 0
        n = sum(1 for r in sheet_rows[start:] if any(c not in (None, "") for c in r))
        counts.append(f"{name}: {n} rows")
        total += n
    auditor.record("harness_unread_sheets", total, detail="; ".join(counts))
    return stage(
        rows, source=label, fmt="harness-report", fields=fields, statuses={},
        default_type="manual", multi_file=False, rows_read=len(rows),
    )


def _id(value: str | None) -> str | None:
    """Excel stores numeric ids as numbers: 12.0 -> "12"."""
    if value is not None and re.fullmatch(r"\d+\.0", value):
        return value[:-2]
    return value


def _read_workbook(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    file = str(path)
    try:
        book = load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError,
            InvalidFileException) as exc:
        raise LogError(
            [Problem(f"cannot open as an Excel workbook: {exc}", file=file,
                     hint="the harness-report format reads the .xlsx export; for other "
                          "files leave out format= or pass the right one")],
            file,
        ) from exc
    try:
        return {ws.title: list(ws.iter_rows(min_row=1, values_only=True))
                for ws in book.worksheets}
    finally:
        book.close()


def _join_releases(
    rows: list[dict[str, Any]], sheets: dict[str, list[tuple[Any, ...]]], names: list[str],
    file: str, auditor: Auditor,
) -> None:
    name = _find_sheet(names, RELEASE_SHEET)
    releases: dict[str, dict[str, Any]] = {}
    if name is not None:
        found = _table(sheets[name], _RELEASE_HEADERS, ("release_id|release_name", "status"))
        if found is not None:
            header_row, cols = found
            for number, cells in enumerate(sheets[name][header_row:], start=header_row + 1):
                if all(c is None or str(c).strip() == "" for c in cells):
                    continue

                def get(key: str, cells: tuple[Any, ...] = cells) -> Any:
                    if key not in cols or cols[key][0] >= len(cells):
                        return None
                    return cells[cols[key][0]]

                rid = _id(text(get("release_id")) or text(get("release_name")))
                if rid is None:
                    continue
                releases[rid] = {
                    "release_name": text(get("release_name")), "version": text(get("version")),
                    "release_status": text(get("status")),
                    "planned_start": get("planned_start"), "planned_end": get("planned_end"),
                    "row": number,
                }
    seen: dict[str, list[int]] = {}
    lonely: list[str] = []
    for i, row in enumerate(rows):
        rid = row["release_id"]
        seen.setdefault(str(rid), []).append(i)
        info = releases.get(str(rid))
        if info is None:
            lonely.append(str(row["_row"]))
            row.update(version=None, release_status=None, planned_start=None,
                       planned_end=None)
            continue
        row["release_name"] = row.get("release_name") or info["release_name"]
        row.update(version=info["version"], release_status=info["release_status"],
                   planned_start=None, planned_end=None)
    auditor.record("harness_phase_without_release", len(lonely) if releases else 0,
                   lonely[:5] if releases else [],
                   detail="" if releases else "the workbook has no Release Group Report")
    planned = 0
    missing: list[str] = []
    for rid, info in releases.items():
        idx = seen.get(rid)
        if not idx:
            missing.append(rid)
            continue
        if info["planned_start"] is not None or info["planned_end"] is not None:
            planned += 1
            ran = [i for i in idx if rows[i]["start"] is not None] or idx
            first = min(ran, key=lambda i: (_sortable(rows[i]["start"]), i))
            last = max(ran, key=lambda i: (_sortable(rows[i]["end"]), -i))
            rows[first]["planned_start"] = info["planned_start"]
            rows[last]["planned_end"] = info["planned_end"]
    problems = [
        Problem(f"release {rid!r} has no phase rows", file=file,
                line=releases[rid]["row"], path=str(name),
                hint="export the report with its phase execution details")
        for rid in missing[:10]
    ]
    auditor.record("harness_release_without_phases", len(missing), missing[:5],
                   problems=problems, total_problems=len(missing))
    auditor.record("harness_planned", planned, [])


def _sortable(value: Any) -> pd.Timestamp:
    """A cell as a comparable time (text parsed loosely); missing (still running) sorts
    last."""
    try:
        stamp = pd.Timestamp(value) if value is not None else pd.NaT
    except (ValueError, TypeError):
        stamp = pd.NaT
    if stamp is pd.NaT or pd.isna(stamp):
        return pd.Timestamp.max
    return stamp.tz_localize(None) if stamp.tzinfo else stamp


ADAPTER = Adapter(
    name="harness-report",
    load=load,
    rules=HARNESS_RULES,
    description="Harness release report export (.xlsx)",
)
