"""Milestone tables: ``format="milestones"`` and ``format="python-releases"``.

Much release history is a list of milestones, not intervals: a release's alphas, betas,
release candidates and final, each with the date it happened (and perhaps the date it
was planned for). Both formats turn such a list into the event-log schema:

- each milestone is a phase row (``phase_id`` = the milestone, ``activity_type`` =
  ``phase``) that runs **from the previous milestone of its release to its own date**;
  the first milestone of a release starts at the release's own start when the source
  gives one (CPython's ``start-of-development``), else it is a zero-length row at its
  date (counted by ``milestone_first``);
- planned dates become ``planned_end`` of their milestone and ``planned_start`` of the
  next one;
- a milestone without an actual date is not reached yet: the first such one of a release
  (after a reached one) is the phase in progress (``status`` in_progress, no end); later
  ones are left out (counted by ``milestone_not_reached``).

``milestones`` reads a table (CSV, Parquet or a DataFrame) with the columns ``release``,
``milestone``, ``date`` and optionally ``planned`` (also ``planned_date``, ``expected``)
and ``release_start``. ``python-releases`` reads CPython's ``python-releases.toml`` (the
release-management repository's history of every release: ``[[release."3.12"]]`` items
with ``stage``, ``state`` = actual or expected, ``date``): a release is a feature version
(``3.12``), in numeric order; its milestones are ``alpha_1`` ... ``beta_1`` ...
``candidate_1`` ... ``final`` and then the maintenance releases ``micro_1``,
``micro_2`` ... (``micro_1_candidate_1`` for a maintenance release candidate).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pandas as pd

from phasesim.errors import LogError, Problem
from phasesim.eventlog.adapters._common import Adapter, stage, text
from phasesim.eventlog.audit import Auditor, AuditRule, Field, Staged

__all__ = ["MILESTONES", "MILESTONE_RULES", "PYTHON_RELEASES", "PYTHON_RULES",
           "milestone_rows"]

MILESTONE_RULES: tuple[AuditRule, ...] = (
    AuditRule("milestone_first", "assumed",
              "the first milestone of a release, with no release start given: a "
              "zero-length phase at its date", unit="releases"),
    AuditRule("milestone_not_reached", "dropped",
              "milestones with only a planned date after the one in progress: not reached, "
              "left out"),
)
PYTHON_RULES: tuple[AuditRule, ...] = (
    *MILESTONE_RULES,
    AuditRule("python_stage_unparsed", "dropped",
              "release items whose stage is not '<x.y.z> [alpha|beta|candidate N|final]' "
              "or whose date is missing"),
    AuditRule("python_release_start", "assumed",
              "a version's first milestone starts at its start-of-development date",
              unit="releases"),
)

_ALIASES = {
    "release": ("release", "release_id", "version"),
    "milestone": ("milestone", "phase", "phase_id", "stage"),
    "date": ("date", "actual", "actual_date", "end"),
    "planned": ("planned", "planned_date", "expected", "expected_date", "planned_end"),
    "release_start": ("release_start", "start_of_development"),
}


_LAST = pd.Timestamp.max.tz_localize("UTC")


def _ts(value: Any) -> pd.Timestamp | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        return None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def milestone_rows(items: list[dict[str, Any]], auditor: Auditor, file: str,
                   kind: str = "milestone") -> list[dict[str, Any]]:
    """Adapter rows from milestone items.

    Each item has ``release``, ``milestone``, ``date`` (actual, or None), ``planned``
    (or None), ``_row`` (its place in the source), and optionally ``release_start`` and
    extra columns (kept). Items keep the order of their releases' first appearance;
    within a release they are ordered by date (actual, else planned), then as given.
    """
    releases: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for i, item in enumerate(items):
        releases.setdefault(str(item["release"]), []).append((i, item))
    rows: list[dict[str, Any]] = []
    first_assumed: list[str] = []
    not_reached: list[str] = []
    for rel, entries in releases.items():
        def when(pair: tuple[int, dict[str, Any]]) -> tuple[pd.Timestamp, int]:
            item = pair[1]
            t = _ts(item.get("date")) or _ts(item.get("planned")) or _LAST
            return t, pair[0]

        ordered = sorted(entries, key=when)
        start = next((_ts(it.get("release_start")) for _, it in ordered
                      if _ts(it.get("release_start")) is not None), None)
        if start is None:
            first_assumed.append(rel)
        prev_actual: pd.Timestamp | None = start
        prev_planned: pd.Timestamp | None = None
        in_progress = False
        first = True
        for _, item in ordered:
            actual = _ts(item.get("date"))
            planned = _ts(item.get("planned"))
            extra = {k: v for k, v in item.items()
                     if k not in ("release", "milestone", "date", "planned", "release_start")}
            row = {"release_id": rel, "phase_id": str(item["milestone"]),
                   "activity_id": None, "activity_type": "phase",
                   "planned_start": prev_planned, "planned_end": planned,
                   "_file": file, "_where": "", "_kind": kind, **extra}
            if actual is not None:
                begin = prev_actual if prev_actual is not None else actual
                if first and start is not None and actual < start:
                    begin = actual
                row.update(start=begin, end=actual, status="succeeded")
                prev_actual = actual
            elif not in_progress and prev_actual is not None:
                row.update(start=prev_actual, end=None, status="in_progress")
                in_progress = True
            else:
                not_reached.append(f"{rel} {item['milestone']}")
                prev_planned = planned or prev_planned
                continue
            prev_planned = planned
            first = False
            rows.append(row)
    auditor.record("milestone_first", len(first_assumed), first_assumed[:5])
    auditor.record("milestone_not_reached", len(not_reached), not_reached[:5])
    return rows


def _column(frame: pd.DataFrame, name: str) -> str | None:
    norm = {re.sub(r"[\s\-]+", "_", str(c).strip().lower()): c for c in frame.columns}
    for alias in _ALIASES[name]:
        if alias in norm:
            return str(norm[alias])
    return None


def is_milestone_table(columns: Any) -> bool:
    """Whether a table has release, milestone and date columns but no start/end."""
    frame = pd.DataFrame(columns=[str(c) for c in columns])
    norm = {re.sub(r"[\s\-]+", "_", str(c).strip().lower()) for c in frame.columns}
    return (all(_column(frame, n) for n in ("release", "milestone", "date"))
            and "start" not in norm and "milestone" in norm)


def _load_table(sources: list[Path] | pd.DataFrame, auditor: Auditor, label: str) -> Staged:
    if isinstance(sources, pd.DataFrame):
        frame, file = sources, label
    else:
        parts = []
        for path in sources:
            try:
                parts.append(pd.read_parquet(path) if path.suffix.lower() in (".parquet", ".pq")
                             else pd.read_csv(path, dtype=str, encoding="utf-8-sig"))
            except (ValueError, OSError, pd.errors.ParserError) as exc:
                raise LogError([Problem(f"cannot read the milestone table: {exc}",
                                        file=str(path))], label) from exc
        frame = pd.concat(parts, ignore_index=True)
        file = ", ".join(str(p) for p in sources)
    cols = {n: _column(frame, n) for n in _ALIASES}
    missing = [n for n in ("release", "milestone", "date") if cols[n] is None]
    if missing:
        raise LogError(
            [Problem(f"the milestone table has no {', '.join(missing)} column; its columns "
                     f"are {list(map(str, frame.columns))}", file=file,
                     hint="a milestone table has release, milestone, date and optionally "
                     "planned columns")],
            label,
        )
    items = []
    for i, rec in enumerate(frame.to_dict("records")):
        items.append({
            "release": text(rec[cols["release"]]), "milestone": text(rec[cols["milestone"]]),
            "date": rec[cols["date"]],
            "planned": rec[cols["planned"]] if cols["planned"] else None,
            "release_start": rec[cols["release_start"]] if cols["release_start"] else None,
            "_row": i + 2 if not isinstance(sources, pd.DataFrame) else i,
        })
    fields = {"milestone": {"release_id": Field(str(cols["release"])),
                            "phase_id": Field(str(cols["milestone"])),
                            "end": Field(str(cols["date"]))}}
    rows = milestone_rows([it for it in items if it["release"] and it["milestone"]],
                          auditor, file)
    return stage(rows, source=label, fmt="milestones", fields=fields, statuses={},
                 default_type="phase", multi_file=False, rows_read=len(items))


# ---------------------------------------------------------------------------------------
# CPython's python-releases.toml
# ---------------------------------------------------------------------------------------

_STAGE = re.compile(r"^(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<micro>\d+))?"
                    r"(?:\s+(?P<kind>alpha|beta|candidate|final)(?:\s+(?P<n>\d+))?)?$")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


def python_milestone(stage_text: str) -> str | None:
    """The milestone id of a CPython stage: ``"3.12.0 beta 2"`` -> ``"beta_2"``,
    ``"3.12.0 final"`` and ``"3.12.0"`` -> ``"final"``, ``"3.12.4"`` -> ``"micro_4"``,
    ``"2.7.1 candidate 1"`` -> ``"micro_1_candidate_1"``; None when it does not parse.

    Examples
    --------
    >>> [python_milestone(s) for s in ("3.12.0 alpha 1", "3.13.0", "3.9.7", "x")]
    ['alpha_1', 'final', 'micro_7', None]
    """
    match = _STAGE.match(stage_text.strip())
    if not match:
        return None
    micro = int(match.group("micro") or 0)
    kind = match.group("kind") or "final"
    n = match.group("n")
    if kind != "final" and n is None:
        return None
    name = "final" if kind == "final" else f"{kind}_{n}"
    if micro == 0:
        return name
    return f"micro_{micro}" if kind == "final" else f"micro_{micro}_{name}"


def _load_python(sources: list[Path] | pd.DataFrame, auditor: Auditor, label: str) -> Staged:
    import tomllib

    if isinstance(sources, pd.DataFrame) or len(sources) != 1:
        raise LogError([Problem("the python-releases format reads one .toml file",
                                file=label, hint="pass the path of python-releases.toml")],
                       label)
    path = sources[0]
    file = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise LogError([Problem(f"not valid TOML: {exc}", file=file)], label) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise LogError([Problem(f"cannot read: {exc}", file=file)], label) from exc
    releases = data.get("release")
    if not isinstance(releases, dict):
        raise LogError([Problem("no [[release.\"x.y\"]] tables", file=file,
                                hint="python-releases.toml lists each version's stages "
                                "under [[release.\"3.12\"]]")], label)
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    items: list[dict[str, Any]] = []
    unparsed: list[str] = []
    started: list[str] = []
    read = 0
    for version in sorted(releases, key=_version_key):
        entries = releases[version] if isinstance(releases[version], list) else []
        meta = metadata.get(version, {}) if isinstance(metadata, dict) else {}
        start = meta.get("start-of-development") if isinstance(meta, dict) else None
        if isinstance(start, dt.date):
            started.append(version)
        for j, entry in enumerate(entries):
            read += 1
            stage_text = str(entry.get("stage", "")) if isinstance(entry, dict) else ""
            milestone = python_milestone(stage_text)
            when = entry.get("date") if isinstance(entry, dict) else None
            if milestone is None or not isinstance(when, dt.date):
                unparsed.append(f"{version}: {stage_text or entry!r}")
                continue
            actual = entry.get("state") == "actual"
            items.append({
                "release": version, "milestone": milestone,
                "date": when if actual else None, "planned": None if actual else when,
                "release_start": start if isinstance(start, dt.date) else None,
                "stage": stage_text, "state": str(entry.get("state", "")),
                "release_manager": (meta.get("release-manager")
                                    if isinstance(meta, dict) else None),
                "release_order": len({it["release"] for it in items} | {version}) - 1,
                "_row": -1, "_where": f'release."{version}"[{j}]',
            })
    auditor.record("python_stage_unparsed", len(unparsed), unparsed[:5])
    auditor.record("python_release_start", len(started), started[:5])
    rows = milestone_rows(items, auditor, file, kind="python")
    fields = {"python": {"release_id": Field("release"), "phase_id": Field("stage"),
                         "end": Field("date")}}
    return stage(rows, source=label, fmt="python-releases", fields=fields, statuses={},
                 default_type="phase", multi_file=False, rows_read=read)


MILESTONES = Adapter(
    name="milestones",
    load=_load_table,
    rules=MILESTONE_RULES,
    description="milestone table: release, milestone, date, planned (CSV, Parquet, frame)",
)
PYTHON_RELEASES = Adapter(
    name="python-releases",
    load=_load_python,
    rules=PYTHON_RULES,
    description="CPython's python-releases.toml (release-management history)",
)
