"""Read release logs from files or DataFrames into the canonical event log.

:func:`read_log` is the one entry point. It reads a table (CSV, Parquet, JSON lines,
Excel, or a DataFrame) whose columns follow one of the common conventions, or a tool's
export through a format adapter (``harness-report``, ``github-actions``, ``gitlab``);
audits it (see :mod:`phasesim.eventlog.audit`); and returns a DataFrame in the schema of
:mod:`phasesim.eventlog.schema`.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from phasesim._files import decode
from phasesim.errors import LogError, Problem
from phasesim.eventlog import adapters
from phasesim.eventlog.audit import (
    Auditor,
    Field,
    Staged,
    audit_blank_activities,
    audit_duplicates,
    audit_timestamps,
    check_timezone,
    finalise,
    finish,
    normalise_status,
    record_rows,
)
from phasesim.eventlog.schema import COLUMNS, EventLog

__all__ = ["COLUMN_ALIASES", "FORMATS", "read_log"]

Source = str | os.PathLike[str] | pd.DataFrame | Sequence[str | os.PathLike[str]]

#: Formats ``read_log`` understands (``format=``); ``None`` picks one from the file.
FORMATS: tuple[str, ...] = (
    "csv", "parquet", "jsonl", "json", "excel", *adapters.ADAPTERS,
)
_EXTENSIONS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
    ".xlsx": "excel", ".xlsm": "excel",
    ".toml": "toml",
}

#: Canonical column -> source names it is read from (compared in lower case, with spaces
#: and hyphens as ``_``), first match wins. ``time:timestamp`` is the completion time of
#: an interval log, or the event time of a lifecycle log.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "run": ("run",),
    "release_id": ("release_id", "case:concept:name", "case_id", "caseid", "case", "release",
                   "release_name"),
    "phase_id": ("phase_id", "phase", "phase_name", "stage"),
    "activity_id": ("activity_id", "concept:name", "activity", "activity_name", "task",
                    "task_name", "step"),
    "activity_type": ("activity_type", "activity_kind"),
    "owner": ("owner", "org:resource", "resource", "team", "org:group", "assignee"),
    "status": ("status", "state", "outcome", "conclusion", "result"),
    "attempt": ("attempt", "attempt_number", "retry"),
    "ready": ("ready", "enabled_time", "enable_time", "enabled_timestamp", "ready_time"),
    "start": ("start", "start_timestamp", "start_time", "started_at", "start_date"),
    "end": ("end", "end_timestamp", "end_time", "complete_timestamp", "completed_at",
            "finished_at", "end_date", "time:timestamp"),
    "planned_start": ("planned_start", "expected_start", "scheduled_start"),
    "planned_end": ("planned_end", "expected_end", "scheduled_end"),
}
_LIFECYCLE_ALIASES = ("lifecycle:transition", "lifecycle", "transition", "event_type")
_EVENT_TIME_ALIASES = ("time:timestamp", "timestamp", "time", "event_time")
#: Extra targets a ``columns=`` mapping may name besides the canonical columns.
_EXTRA_TARGETS = {"lifecycle": "_lifecycle", "timestamp": "_time"}

_START_EVENTS = frozenset({"start", "started", "begin"})
_END_EVENTS = {
    **dict.fromkeys(["complete", "completed", "end", "finish", "finished", "done"], None),
    **dict.fromkeys(["ate_abort", "pi_abort", "abort", "aborted", "withdraw", "cancel",
                     "cancelled", "canceled"], "aborted"),
    **dict.fromkeys(["autoskip", "manualskip", "skip", "skipped"], "skipped"),
}
_SCHEDULE_EVENTS = frozenset({"schedule", "assign", "enable", "enabled", "ready"})


def read_log(
    source: Source,
    *,
    format: str | None = None,
    columns: Mapping[str, str] | None = None,
    tz: str | None = None,
    strict: bool = False,
    sheet: str | int | None = None,
) -> EventLog:
    """Read a release log into the canonical event log, auditing it on the way.

    Parameters
    ----------
    source : path, DataFrame, or list of paths
        A file (``.csv``, ``.tsv``, ``.parquet``, ``.jsonl``/``.ndjson``, ``.json``,
        ``.xlsx``), a DataFrame, or several files read together (e.g. the runs and jobs
        files of GitHub Actions, or monthly CSV exports with the same columns).
    format : str, optional
        One of :data:`FORMATS`. By default it follows the file: its extension, and for
        ``.csv``, ``.json`` and ``.xlsx`` a look inside, which recognises DevLake raw
        tables and API JSON of GitHub Actions and GitLab, and Harness release reports
        (a workbook with a "Phase Execution Details" sheet).
    columns : mapping, optional
        Source column -> canonical column (as for ``DataFrame.rename``), e.g.
        ``{"Pipeline": "release_id", "Stage": "phase_id"}``; canonical -> source works
        too. Besides the canonical columns, ``"lifecycle"`` and ``"timestamp"`` name the
        transition and event-time columns of a lifecycle log. Columns not named are
        matched by :data:`COLUMN_ALIASES`.
    tz : str, optional
        IANA time zone of timestamps written without an offset (default UTC). Offsets in
        the data always win; everything is converted to UTC.
    strict : bool, default False
        Raise :class:`~phasesim.errors.LogError` instead of dropping or fixing rows: it
        lists, for every audit rule that would drop or change something, the file, row,
        column and value of each case (up to 10 per rule).
    sheet : str or int, optional
        The sheet of an Excel workbook that holds the log (a name, or a position from
        0); the first sheet by default. When the first sheet has no log columns, the
        error lists the workbook's sheets.

    Returns
    -------
    EventLog
        A DataFrame with the canonical columns, then any extra source columns, then
        ``source_row`` (the row each event came from). ``attrs["audit"]`` is the audit
        as plain records (:func:`~phasesim.eventlog.audit.audit_table` gives the
        table), ``attrs["source"]`` the
        source, ``attrs["format"]`` the format read (``"dataframe"`` for a DataFrame),
        ``attrs["rows"]`` the numbers of
        rows read and kept.

    Raises
    ------
    LogError
        The file cannot be read, a needed column is missing (the message lists the
        columns found and how to map them), or ``strict=True`` and the audit found rows
        to drop or fix.

    Notes
    -----
    **Column conventions.** Canonical names; the process-mining convention
    (``case:concept:name`` release, ``concept:name`` activity, ``org:resource`` owner,
    ``start_timestamp`` start, ``time:timestamp`` completion, ``lifecycle:transition``);
    ``case_id``/``activity``/``start_time``/``end_time``/``resource``/``enabled_time``;
    and more spellings in :data:`COLUMN_ALIASES`.

    **Lifecycle logs** (one row per event, with a ``lifecycle:transition`` of ``start``
    and ``complete``, and no start column) are paired into intervals per release, phase
    and activity, first in first out: each complete closes the earliest start still open.
    ``ate_abort``/``pi_abort``/``withdraw`` close an interval as aborted, ``autoskip`` and
    ``manualskip`` as skipped; the k-th ``schedule``/``assign`` gives the k-th start its
    ``ready`` time. A start never closed is in progress; a complete never opened has no
    start (see the ``never_started`` and ``missing_start`` rules).

    **No phase column**: each activity is its own phase (``phase_id = activity_id``), so
    phase-level analyses rank activities. **No activity column**: a phase-only log; rows
    get ``activity_id`` NA and ``activity_type`` ``"phase"``.

    **No status column**: ``succeeded`` where there is an end, ``in_progress`` without.
    **No activity type**: ``manual`` (adapters say ``automated`` for CI steps and jobs).
    **No attempt**: 1, 2, ... per release, phase and activity in start order.

    **Row numbers** (audit examples, error messages, ``source_row``): CSV and Excel count
    the header as row 1, so the first data row is row 2 - the line number of a CSV file
    without line breaks inside cells, and the row number Excel shows; JSON lines use the
    line number; Parquet and JSON arrays number records from 1; a DataFrame uses the
    position from 0 (its index for a default index).

    The result is sorted: releases by their first start, rows by start within each.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({
    ...     "case:concept:name": ["r1", "r1"], "concept:name": ["build", "test"],
    ...     "start_timestamp": ["2026-01-05T09:00:00+02:00", "2026-01-05T10:00:00+02:00"],
    ...     "time:timestamp": ["2026-01-05T09:30:00+02:00", "2026-01-05T11:00:00+02:00"]})
    >>> log = read_log(frame)
    >>> log[["release_id", "phase_id", "status"]].values.tolist()
    [['r1', 'build', 'succeeded'], ['r1', 'test', 'succeeded']]
    >>> str(log.loc[0, "start"])
    '2026-01-05 07:00:00+00:00'
    """
    sources, label = _sources(source)
    if isinstance(sources, pd.DataFrame) or not any(
        p.suffix.lower() in COMPRESSED for p in sources
    ):
        return _read(sources, label, format, columns, tz, strict, sheet)
    with tempfile.TemporaryDirectory(prefix="phasesim-") as tmp:
        unpacked = [_decompressed(p, Path(tmp) / str(i)) for i, p in enumerate(sources)]
        return _read(unpacked, label, format, columns, tz, strict, sheet)


def _read(
    sources: list[Path] | pd.DataFrame,
    label: str,
    format: str | None,
    columns: Mapping[str, str] | None,
    tz: str | None,
    strict: bool,
    sheet: str | int | None = None,
) -> EventLog:
    fmt = _resolve_format(sources, format, label)
    if sheet is not None and fmt != "excel":
        raise LogError([Problem(f"sheet= applies to Excel workbooks, not to format {fmt!r}",
                                file=label, hint="leave sheet= out")], label)
    zone = check_timezone(tz, label)
    if fmt in adapters.ADAPTERS:
        if columns:
            raise LogError(
                [Problem(f"columns= does not apply to format {fmt!r}", file=label,
                         hint="leave columns out; the adapter knows the fields")],
                label,
            )
        adapter = adapters.ADAPTERS[fmt]
        auditor = Auditor(label, adapter.rules)
        staged = adapter.load(sources, auditor, label)
    else:
        auditor = Auditor(label)
        staged = _stage_tables(sources, fmt, columns, label, sheet)
    audit_timestamps(staged, zone, auditor)
    audit_duplicates(staged, auditor)
    if staged.has("_lifecycle"):
        _pair_lifecycle(staged, auditor)
    else:
        auditor.record("lifecycle_unused", 0)
    audit_blank_activities(staged, auditor, applies=fmt not in adapters.ADAPTERS and any(
        "activity_id" in f for f in staged.fields.values()) and not staged.phase_assumed)
    log = finish(staged, auditor)
    log = finalise(log, auditor, staged, strict=strict)
    if "release_order" in log.columns:  # an adapter's own order of releases (versions)
        order = pd.to_numeric(log["release_order"], errors="coerce")
        log = log.iloc[order.argsort(kind="stable").to_numpy()].reset_index(drop=True)
    return log


# --------------------------------------------------------------------------------------
# Sources and formats
# --------------------------------------------------------------------------------------


def _sources(source: Source) -> tuple[list[Path] | pd.DataFrame, str]:
    if isinstance(source, pd.DataFrame):
        return source, "<DataFrame>"
    if isinstance(source, str | os.PathLike):
        paths = [Path(source)]
    elif isinstance(source, Sequence) and source and all(
        isinstance(s, str | os.PathLike) for s in source
    ):
        paths = [Path(s) for s in source]
    else:
        raise LogError(
            [Problem(f"cannot read a log from {type(source).__name__} {source!r:.60}",
                     hint="give a file path, a list of paths, or a pandas DataFrame")]
        )
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise LogError(
            [Problem("file not found" if not p.exists() else "not a file", file=str(p),
                     hint="check the path (relative paths start in the current directory: "
                     f"{Path.cwd()})") for p in missing],
            ", ".join(str(p) for p in paths),
        )
    return paths, ", ".join(str(p) for p in paths)


#: Compressed files read_log opens (the inner name's extension gives the format).
COMPRESSED = (".gz", ".zip", ".zst")


def _decompressed(path: Path, folder: Path) -> Path:
    """A compressed file's content in ``folder`` under its inner name; else ``path``."""
    ext = path.suffix.lower()
    if ext not in COMPRESSED:
        return path
    folder.mkdir(parents=True, exist_ok=True)
    label = str(path)
    try:
        if ext == ".zip":
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.infolist() if not m.is_dir()]
                if len(members) != 1:
                    names = ", ".join(m.filename for m in members[:5]) or "none"
                    raise LogError(
                        [Problem(f"a .zip log must hold exactly one file; it holds "
                                 f"{len(members)} ({names})", file=label,
                                 hint="unzip it and give the files as a list of paths")],
                        label,
                    )
                target = folder / Path(members[0].filename).name
                with archive.open(members[0]) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
            return target
        target = folder / path.stem
        if ext == ".gz":
            with gzip.open(path, "rb") as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            return target
        try:
            import zstandard
        except ImportError:
            raise LogError(
                [Problem("reading .zst files needs the zstandard module", file=label,
                         hint="pip install zstandard, or decompress the file first")],
                label,
            ) from None
        with path.open("rb") as raw, target.open("wb") as dst:
            zstandard.ZstdDecompressor().copy_stream(raw, dst)
        return target
    except LogError:
        raise
    except Exception as exc:  # gzip, zipfile and zstandard raise their own error classes
        raise LogError(
            [Problem(f"cannot decompress: {_first_line(exc)}", file=label,
                     hint=f"check that the file is a valid {ext} archive")],
            label,
        ) from exc


def _resolve_format(sources: list[Path] | pd.DataFrame, fmt: str | None, label: str) -> str:
    if fmt is not None:
        key = fmt.strip().lower().replace("_", "-")
        key = {"xlsx": "excel", "ndjson": "jsonl", "pq": "parquet", "github": "github-actions",
               "harness": "harness-report"}.get(key, key)
        if key not in FORMATS:
            raise LogError(
                [Problem(f"unknown format {fmt!r}", file=label,
                         hint=f"use one of {', '.join(FORMATS)}")],
                label,
            )
        return key
    if isinstance(sources, pd.DataFrame):
        return adapters.detect_frame(sources) or "dataframe"
    found = {p: _detect(p) for p in sources}
    kinds = set(found.values())
    if len(kinds) > 1:
        listed = ", ".join(f"{p.name}: {k}" for p, k in found.items())
        raise LogError(
            [Problem(f"the files are of different formats ({listed})", file=label,
                     hint="read them separately, or pass format= to read them alike")],
            label,
        )
    return kinds.pop()


def _detect(path: Path) -> str:
    ext = path.suffix.lower()
    if ext == ".xls":
        raise LogError(
            [Problem("old Excel (.xls) files are not supported", file=str(path),
                     hint="save the workbook as .xlsx")],
            str(path),
        )
    base = _EXTENSIONS.get(ext)
    if base is None:
        raise LogError(
            [Problem(f"cannot tell the format from the extension {ext or '(none)'!r}",
                     file=str(path), hint=f"pass format=, one of {', '.join(FORMATS)}")],
            str(path),
        )
    found = adapters.detect_file(path, base)
    if found is None and base == "toml":
        raise LogError(
            [Problem("a .toml file is read as CPython's python-releases.toml, and this one "
                     "has no [[release.\"x.y\"]] tables", file=str(path),
                     hint="pass format=, one of " + ", ".join(FORMATS))],
            str(path),
        )
    return found or base


# --------------------------------------------------------------------------------------
# Tables: load, map columns, stage
# --------------------------------------------------------------------------------------


def _text_of(path: Path) -> str:
    """A text file's content, or a LogError naming the encoding and the bad byte's line."""
    text, problem = decode(path.read_bytes(), str(path))
    if problem is not None or text is None:
        raise LogError([problem or Problem("cannot read the file", file=str(path))],
                       str(path))
    return text


#: Delimiters a CSV file may use; the header line decides (a comma unless the header has
#: none and another of these).
CSV_DELIMITERS = (",", ";", "\t", "|")


def _delimiter(path: Path, text: str) -> str:
    r"""The delimiter of a CSV file: a tab for ``.tsv``, else the header line's.

    Examples
    --------
    >>> _delimiter(Path("x.csv"), "release;phase;start\nr1;b;2026-01-05\n")
    ';'
    >>> _delimiter(Path("x.csv"), "release,phase name;x\n")
    ','
    """
    if path.suffix.lower() == ".tsv":
        return "\t"
    header = next((line for line in text.splitlines() if line.strip()), "")
    if "," in header:
        return ","
    counts = {d: header.count(d) for d in CSV_DELIMITERS[1:]}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _load_table(path: Path, fmt: str, sheet: str | int | None = None
                ) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a file as a raw table; return it and its row numbers (see ``read_log``)."""
    label = str(path)
    try:
        if fmt == "csv":
            frame = _read_csv(path)
            return frame, np.arange(len(frame), dtype=np.int64) + 2
        if fmt == "parquet":
            frame = pd.read_parquet(path)
            return frame, np.arange(len(frame), dtype=np.int64) + 1
        if fmt in ("jsonl", "json"):
            return _load_json(path, fmt)
        if fmt == "excel":
            with pd.ExcelFile(path, engine="openpyxl") as book:
                names = [str(n) for n in book.sheet_names]
                frame = pd.read_excel(book, sheet_name=_sheet_name(names, sheet, label),
                                      dtype=object)
            return frame, np.arange(len(frame), dtype=np.int64) + 2
    except LogError:
        raise
    except (ValueError, OSError, UnicodeDecodeError, zipfile.BadZipFile, KeyError,
            ImportError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise LogError(
            [Problem(f"cannot read as {fmt}: {_first_line(exc)}", file=label,
                     hint=f"check that the file is {fmt}, or pass the right format=")],
            label,
        ) from exc
    except Exception as exc:  # pyarrow raises its own error classes for broken files
        raise LogError(
            [Problem(f"cannot read as {fmt}: {type(exc).__name__}: {_first_line(exc)}",
                     file=label, hint=f"check that the file is {fmt}")],
            label,
        ) from exc
    raise LogError([Problem(f"cannot read format {fmt!r} as a table", file=label)], label)


#: Files from this size on are read with pyarrow's multi-threaded CSV reader first.
_PYARROW_BYTES = 8 * 1024**2


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV file as text columns, in the delimiter of its header line. Large files go to
    pyarrow's reader (about twice as fast); anything it does not read as pandas' own
    reader would (bytes that are not UTF-8, line breaks inside cells, ragged rows,
    duplicate names) falls back to pandas' reader of the decoded text, whose errors and
    results are the reference."""
    if path.stat().st_size >= _PYARROW_BYTES:
        with path.open("rb") as handle:
            head = handle.read(65536).decode("utf-8-sig", errors="replace")
        sep = _delimiter(path, head)
        try:
            import pyarrow  # noqa: F401 - pandas' pyarrow engine needs it

            frame = pd.read_csv(path, sep=sep, dtype=str, encoding="utf-8-sig",
                                engine="pyarrow")
            if list(frame.columns) == list(pd.read_csv(path, sep=sep, dtype=str, nrows=0,
                                                       encoding="utf-8-sig").columns):
                return frame
        except Exception:  # pyarrow raises its own error classes; pandas' reader decides
            pass
    text = _text_of(path)
    return pd.read_csv(io.StringIO(text), sep=_delimiter(path, text), dtype=str)


def _sheet_name(names: list[str], sheet: str | int | None, label: str) -> str:
    """The sheet to read: ``sheet`` (a name or position), else the first."""
    listed = ", ".join(map(repr, names))
    if sheet is None:
        return names[0]
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if 0 <= sheet < len(names):
            return names[sheet]
        raise LogError([Problem(f"sheet={sheet} but the workbook has {len(names)} sheet(s): "
                                f"{listed}", file=label, hint="positions count from 0")],
                       label)
    if sheet in names:
        return str(sheet)
    raise LogError([Problem(f"no sheet {sheet!r} in the workbook; its sheets are {listed}",
                            file=label, hint="pass one of them as sheet=")], label)


def _other_sheets(path: Path, columns: Mapping[str, str] | None) -> Problem | None:
    """When a workbook's first sheet is no log: its sheets, and one that looks like a log."""
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            names = [str(n) for n in book.sheet_names]
            if len(names) < 2:
                return None
            fits = None
            for name in names[1:]:
                head = pd.read_excel(book, sheet_name=name, dtype=object, nrows=1)
                try:
                    _stage_one(head, np.arange(len(head), dtype=np.int64) + 2, str(path),
                               columns)
                except LogError:
                    continue
                fits = name
                break
    except Exception:  # the first sheet was read; anything else only loses the hint
        return None
    return Problem(
        f"the first sheet, {names[0]!r}, holds no log; the workbook's sheets are "
        + ", ".join(map(repr, names)), file=str(path),
        hint=(f"sheet {fits!r} has log columns: pass sheet={fits!r} (--sheet {fits!r})"
              if fits else "pass the sheet that holds the log as sheet= (--sheet)"))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _load_json(path: Path, fmt: str) -> tuple[pd.DataFrame, np.ndarray]:
    text = _text_of(path)
    stripped = text.lstrip()
    if fmt == "json" and stripped.startswith(("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LogError(
                [Problem(f"not valid JSON: {exc.msg}", file=str(path), line=exc.lineno,
                         column=exc.colno)],
                str(path),
            ) from exc
        if isinstance(data, dict):
            lists = [v for v in data.values() if isinstance(v, list)]
            data = lists[0] if len(lists) == 1 else [data]
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise LogError(
                [Problem("expected a JSON array of records (objects)", file=str(path),
                         hint="write one object per event, or JSON lines")],
                str(path),
            )
        frame = pd.DataFrame.from_records(data)
        return frame, np.arange(len(frame), dtype=np.int64) + 1
    lines = text.splitlines()
    numbers = [i + 1 for i, line in enumerate(lines) if line.strip()]
    records: list[Any] = []
    for number in numbers:
        line = lines[number - 1]
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LogError(
                [Problem(f"not valid JSON: {exc.msg}", file=str(path), line=number,
                         column=exc.colno, hint="each line must hold one JSON object")],
                str(path),
            ) from exc
        if not isinstance(record, dict):
            raise LogError(
                [Problem(f"expected a JSON object, found {type(record).__name__}",
                         file=str(path), line=number)],
                str(path),
            )
        records.append(record)
    frame = pd.DataFrame.from_records(records)
    return frame, np.asarray(numbers, dtype=np.int64)


def _norm(name: object) -> str:
    return normalise_status(name)


def _map_columns(
    names: Sequence[str], columns: Mapping[str, str] | None, file: str
) -> dict[str, str]:
    """Source column -> target (a canonical column, ``_lifecycle`` or ``_time``)."""
    targets = {**{c: c for c in COLUMNS}, **_EXTRA_TARGETS}
    mapping: dict[str, str] = {}
    problems: list[Problem] = []
    for key, value in (columns or {}).items():
        if key in names and value in targets:
            src, dst = key, targets[value]
        elif value in names and key in targets:
            src, dst = value, targets[key]
        else:
            bad_target = value if key in names else key
            if key not in names and value not in names:
                message = f"columns={{{key!r}: {value!r}}}: neither is a column of the file"
                hint = f"the columns are: {', '.join(map(repr, names))}"
            else:
                message = f"columns={{{key!r}: {value!r}}}: {bad_target!r} is not a target"
                hint = f"map to one of {', '.join(targets)}"
            problems.append(Problem(message, file=file, hint=hint))
            continue
        if dst in mapping.values():
            problems.append(Problem(f"columns= maps two columns to {dst!r}", file=file))
        mapping[src] = dst
    if problems:
        raise LogError(problems, file)
    taken = set(mapping.values())
    normal = {name: _norm(name) for name in names if name not in mapping}
    for canonical, aliases in COLUMN_ALIASES.items():
        if canonical in taken:
            continue
        for alias in aliases:
            hit = next((n for n, k in normal.items() if k == alias and n not in mapping), None)
            if hit is not None:
                mapping[hit] = canonical
                taken.add(canonical)
                break
    if "_lifecycle" not in taken:
        hit = next((n for n, k in normal.items() if k in _LIFECYCLE_ALIASES
                    and n not in mapping), None)
        if hit is not None:
            mapping[hit] = "_lifecycle"
    return mapping


def _stage_tables(
    sources: list[Path] | pd.DataFrame, fmt: str, columns: Mapping[str, str] | None,
    label: str, sheet: str | int | None = None,
) -> Staged:
    parts: list[pd.DataFrame] = []
    fields: dict[str, dict[str, Field]] = {}
    flags: list[tuple[bool, bool]] = []
    items: list[tuple[str, pd.DataFrame, np.ndarray]]
    if isinstance(sources, pd.DataFrame):
        items = [("<DataFrame>", sources, np.arange(len(sources), dtype=np.int64))]
    else:
        items = [(str(p), *_load_table(p, fmt, sheet)) for p in sources]
    multi = len(items) > 1
    for file, raw, rows in items:
        kind = file if multi else ""
        try:
            frame, flds, lifecycle, phase_assumed = _stage_one(raw, rows, file, columns)
        except LogError as exc:
            other = _other_sheets(Path(file), columns) if fmt == "excel" and sheet is None \
                else None
            if other is None:
                raise
            raise LogError([other, *exc.problems], exc.source) from None
        frame["_kind"] = _constant(kind, len(frame))
        fields[kind] = flds
        parts.append(frame)
        flags.append((lifecycle, phase_assumed))
    if len({f[0] for f in flags}) > 1:
        raise LogError(
            [Problem("some files are lifecycle logs and some are not", file=label,
                     hint="read them separately")],
            label,
        )
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return Staged(
        frame=frame, source=label, format=fmt,
        fields=fields, multi_file=multi, rows_read=len(frame),
        phase_assumed=any(f[1] for f in flags),
    )


def _stage_one(
    raw: pd.DataFrame, rows: np.ndarray, file: str, columns: Mapping[str, str] | None
) -> tuple[pd.DataFrame, dict[str, Field], bool, bool]:
    names = [str(c) for c in raw.columns]
    raw = raw.set_axis(names, axis=1)
    mapping = _map_columns(names, columns, file)
    inverse = {v: k for k, v in mapping.items()}
    lifecycle = "_lifecycle" in inverse and "start" not in inverse
    if lifecycle:
        values = raw[inverse["_lifecycle"]].dropna().map(_norm)
        lifecycle = bool(values.isin(_START_EVENTS).any())
    if lifecycle and "_time" not in inverse:
        event_time = inverse.get("end") if "end" in inverse and _norm(inverse["end"]) in (
            _EVENT_TIME_ALIASES) else None
        if event_time is None:
            normal = {n: _norm(n) for n in names if n not in mapping}
            event_time = next((n for n, k in normal.items() if k in _EVENT_TIME_ALIASES), None)
        if event_time is not None:
            mapping[event_time] = "_time"
            inverse = {v: k for k, v in mapping.items()}
    if not lifecycle and "_lifecycle" in inverse:
        del mapping[inverse["_lifecycle"]]  # kept as an extra column under its own name
        inverse = {v: k for k, v in mapping.items()}
    _require(inverse, names, file, lifecycle)
    frame = pd.DataFrame(index=raw.index)
    for src in names:
        frame[mapping.get(src, src)] = _hashable(raw[src])
    position = {name: i + 1 for i, name in enumerate(names)}
    fields = {dst: Field(src, position[src]) for src, dst in mapping.items()}
    if lifecycle:
        fields["start"] = fields["end"] = fields["_time"]
    phase_assumed = "phase_id" not in frame.columns
    if "activity_id" not in frame.columns:
        frame["activity_id"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    if phase_assumed:
        frame["phase_id"] = frame["activity_id"]
        fields["phase_id"] = fields["activity_id"]
    frame["_file"] = _constant(file, len(frame))
    frame["_row"] = rows
    frame["_where"] = _constant("", len(frame))
    return frame.reset_index(drop=True), fields, lifecycle, phase_assumed


def _hashable(values: pd.Series) -> pd.Series:
    """A column whose list or mapping cells (nested JSON, a frame's odd cell) become
    their text, so that ids, words and duplicates can be compared."""
    if values.dtype != object:
        return values
    odd = values.map(lambda v: isinstance(v, list | dict | set | tuple))
    if not odd.any():
        return values
    return values.where(~odd, values.map(repr))


def _constant(value: str, n: int) -> pd.Categorical[str]:
    """A column of one repeated text, cheaply (a categorical)."""
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=pd.Index([value]))


def _require(inverse: dict[str, str], names: list[str], file: str, lifecycle: bool) -> None:
    problems: list[Problem] = []
    found = f"the columns are: {', '.join(map(repr, names))}"

    def need(what: str, canonical: str, extra: str = "") -> None:
        aliases = ", ".join(COLUMN_ALIASES.get(canonical, ()))
        problems.append(
            Problem(
                f"no {what} column (looked for {aliases}{extra}); {found}",
                file=file,
                hint=f"map one with columns={{'YourColumn': '{canonical}'}}",
            )
        )

    if "release_id" not in inverse:
        need("release", "release_id")
    if "phase_id" not in inverse and "activity_id" not in inverse:
        need("phase or activity", "phase_id", " or " + ", ".join(COLUMN_ALIASES["activity_id"]))
    if lifecycle:
        if "_time" not in inverse:
            problems.append(
                Problem(f"a lifecycle log without an event time column; {found}", file=file,
                        hint="map it with columns={'YourColumn': 'timestamp'}")
            )
    else:
        if "start" not in inverse:
            need("start time", "start",
                 " or a lifecycle:transition column with start and complete events")
        if "end" not in inverse:
            need("end time", "end")
    if problems:
        raise LogError(problems, file)


# --------------------------------------------------------------------------------------
# Lifecycle logs
# --------------------------------------------------------------------------------------


def _pair_lifecycle(staged: Staged, auditor: Auditor) -> None:
    """Pair start and complete events into intervals (FIFO per release/phase/activity)."""
    frame = staged.frame
    kind = frame["_lifecycle"].map(lambda v: None if pd.isna(v) else _norm(v))
    is_start = np.asarray(kind.isin(_START_EVENTS), dtype=bool)
    is_end = np.asarray(kind.isin(list(_END_EVENTS)), dtype=bool)
    is_sched = np.asarray(kind.isin(_SCHEDULE_EVENTS), dtype=bool)
    unused = ~(is_start | is_end | is_sched)
    keys = [c for c in ("run", "release_id", "phase_id", "activity_id") if c in frame.columns]
    key = frame.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
    time_ns = _as_ns(frame["_time"])
    rows = frame["_row"].to_numpy(dtype=np.int64)
    # Events without a time cannot be placed: they are unused too.
    untimed = (is_start | is_end | is_sched) & (time_ns == _NAT)
    unused |= untimed

    start_idx = np.flatnonzero(is_start & ~untimed)
    end_idx = np.flatnonzero(is_end & ~untimed)
    sched_idx = np.flatnonzero(is_sched & ~untimed)
    s_order = start_idx[np.lexsort((rows[start_idx], time_ns[start_idx], key[start_idx]))]
    e_order = end_idx[np.lexsort((rows[end_idx], time_ns[end_idx], key[end_idx]))]
    c_order = sched_idx[np.lexsort((rows[sched_idx], time_ns[sched_idx], key[sched_idx]))]
    s_rank = _rank(key[s_order])
    e_rank = _rank(key[e_order])
    c_rank = _rank(key[c_order])

    n_keys = int(key.max()) + 1 if len(key) else 0
    n_starts = np.bincount(key[s_order], minlength=n_keys)
    e_keys = key[e_order]
    # Rank pairing (the k-th complete closes the k-th start) is FIFO unless some complete
    # comes before the start of its rank; such keys are paired event by event below.
    has_partner = e_rank < n_starts[e_keys] if len(e_keys) else np.zeros(0, dtype=bool)
    partner_time = np.full(len(e_order), _NAT, dtype=np.int64)
    if has_partner.any():
        s_time = pd.Series(
            time_ns[s_order], index=pd.MultiIndex.from_arrays([key[s_order], s_rank])
        )
        idx = pd.MultiIndex.from_arrays([e_keys[has_partner], e_rank[has_partner]])
        partner_time[has_partner] = s_time.reindex(idx).to_numpy(dtype=np.int64)
    bad_keys = np.unique(e_keys[has_partner & (partner_time > time_ns[e_order])])
    pair_start = np.full(len(frame), -1, dtype=np.int64)
    pair_end = np.full(len(frame), -1, dtype=np.int64)
    n_ends = np.bincount(e_keys, minlength=n_keys)
    width = int(max(n_starts.max(initial=0), n_ends.max(initial=0))) + 1
    ok_s = ~np.isin(key[s_order], bad_keys)
    ok_e = ~np.isin(e_keys, bad_keys)
    pair_start[s_order[ok_s]] = key[s_order][ok_s] * width + s_rank[ok_s]
    pair_end[e_order[ok_e]] = e_keys[ok_e] * width + e_rank[ok_e]
    next_id = n_keys * width
    for k in bad_keys:
        ev = np.concatenate([s_order[key[s_order] == k], e_order[e_keys == k]])
        ev = ev[np.lexsort((rows[ev], ~is_start[ev], time_ns[ev]))]
        queue: list[int] = []
        for i in ev:
            if is_start[i]:
                pair_start[i] = next_id
                queue.append(next_id)
                next_id += 1
            elif queue:
                pair_end[i] = queue.pop(0)
            else:
                pair_end[i] = next_id
                next_id += 1

    # Schedule events give the k-th start its ready time, if not later than the start.
    ready = np.full(len(frame), _NAT, dtype=np.int64)
    used_sched = np.zeros(len(frame), dtype=bool)
    if len(c_order):
        s_index = pd.Series(s_order, index=pd.MultiIndex.from_arrays([key[s_order], s_rank]))
        target = s_index.reindex(pd.MultiIndex.from_arrays([key[c_order], c_rank]))
        target_arr = target.to_numpy(dtype=float)
        has = ~np.isnan(target_arr)
        tgt = target_arr[has].astype(np.int64)
        fits = time_ns[c_order][has] <= time_ns[tgt]
        ready[tgt[fits]] = time_ns[c_order][has][fits]
        used_sched[c_order[has][fits]] = True
    unused |= is_sched & ~used_sched

    record_rows(
        auditor, staged, "lifecycle_unused", unused, column="_lifecycle",
        message=lambda row: f"lifecycle event {row['_lifecycle']!r} is not used"
        + ("" if pd.notna(row["_time"]) else " (no time)"),
        hint="only schedule, start, complete, abort and skip events make intervals",
    )
    data = [c for c in frame.columns if c not in ("_lifecycle", "_time")]
    starts = frame.loc[pair_start >= 0, data].copy()
    starts["_pair"] = pair_start[pair_start >= 0]
    starts["start"] = frame.loc[pair_start >= 0, "_time"].to_numpy()
    scheduled = _from_ns(ready[pair_start >= 0], starts.index)
    if "ready" in starts.columns:  # a ready column of the source wins
        scheduled = starts["ready"].where(starts["ready"].notna(), scheduled)
    starts["ready"] = scheduled
    ends = frame.loc[pair_end >= 0, data].copy()
    ends["_pair"] = pair_end[pair_end >= 0]
    ends["end"] = frame.loc[pair_end >= 0, "_time"].to_numpy()
    closing = kind[pair_end >= 0].map(lambda k: _END_EVENTS.get(k) if k else None)
    ends["_closing"] = closing.to_numpy()
    merged = starts.merge(ends, on="_pair", how="outer", suffixes=("", "_e"), sort=False)
    opened = merged["_row"].notna().to_numpy()
    for col in data:
        if col + "_e" in merged.columns:
            merged[col] = merged[col].where(opened, merged[col + "_e"])
    merged["_row_end"] = merged["_row_e"].where(merged["_row_e"].notna(), merged["_row"])
    closing_status = merged["_closing"]
    if "status" in merged.columns:
        end_status = merged["status_e"].where(merged["status_e"].notna(), merged["status"])
        merged["status"] = end_status.where(closing_status.isna(), closing_status)
    elif closing_status.notna().any():
        merged["status"] = closing_status
    merged["ready"] = pd.to_datetime(merged["ready"], utc=True)
    merged["_row"] = merged["_row"].astype(np.int64)
    merged["_row_end"] = merged["_row_end"].astype(np.int64)
    merged = merged[[c for c in merged.columns if not c.endswith("_e") and c not in (
        "_pair", "_closing")]]
    merged = merged.drop(columns=[c for c in ("_rel", "_ph", "_act") if c in merged.columns])
    merged = merged.sort_values(["_file", "_row"], kind="stable").reset_index(drop=True)
    staged.frame = merged


_NAT = np.iinfo(np.int64).min


def _as_ns(values: pd.Series) -> np.ndarray:
    naive = values.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    return np.asarray(naive.to_numpy().view(np.int64), dtype=np.int64)


def _from_ns(values: np.ndarray, index: pd.Index) -> pd.Series:
    stamps = np.asarray(values, dtype=np.int64).view("M8[ns]")
    return pd.Series(stamps, index=index).dt.tz_localize("UTC")


def _rank(sorted_keys: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within runs of equal keys of a sorted array."""
    n = len(sorted_keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    first = np.maximum.accumulate(np.where(new, np.arange(n), 0))
    return np.arange(n, dtype=np.int64) - first
