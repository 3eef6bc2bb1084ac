"""Helpers shared by the format adapters: records from JSON files and DevLake tables."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from phasesim.errors import LogError, Problem
from phasesim.eventlog.audit import Auditor, AuditRule, Field, Staged

#: The columns of a DevLake raw table (``_raw_*`` tables exported as CSV).
DEVLAKE_COLUMNS = frozenset({"id", "params", "data", "url", "input", "created_at"})


@dataclass(frozen=True)
class Record:
    """One API record and where it came from.

    ``row`` is the CSV row (header = row 1) of a DevLake table, or -1 for JSON files;
    ``where`` is the path of the record inside the file: ``data`` for a DevLake row,
    ``jobs[3]`` or ``[3]`` for JSON.
    """

    data: dict[str, Any]
    file: str
    row: int
    where: str


@dataclass(frozen=True)
class Adapter:
    """A format adapter: how to load its sources, and the audit rules it adds."""

    name: str
    load: Callable[[list[Path] | pd.DataFrame, Auditor, str], Staged]
    rules: tuple[AuditRule, ...]
    description: str


def is_devlake(columns: object) -> bool:
    """Whether a table's columns are those of a DevLake raw table."""
    names = {str(c) for c in columns} if columns is not None else set()  # type: ignore[attr-defined]
    return {"data", "params"} <= names and len(names & DEVLAKE_COLUMNS) >= 4


def devlake_records(frame: pd.DataFrame, file: str, first_row: int = 2) -> Iterator[Record]:
    """Records of a DevLake table: the JSON in its ``data`` column, row by row."""
    position = [str(c) for c in frame.columns].index("data") + 1
    for i, text in enumerate(frame["data"].tolist()):
        row = i + first_row
        if text is None or (isinstance(text, float) and pd.isna(text)):
            raise LogError(
                [Problem("empty data cell", file=file, line=row, column=position, path="data",
                         hint="each row of a DevLake raw table holds one API record")],
                file,
            )
        try:
            data = json.loads(text) if isinstance(text, str) else text
        except json.JSONDecodeError as exc:
            raise LogError(
                [Problem(f"the data cell is not valid JSON: {exc.msg} (at character "
                         f"{exc.pos})", file=file, line=row, column=position, path="data")],
                file,
            ) from exc
        if not isinstance(data, dict):
            raise LogError(
                [Problem(f"the data cell holds {type(data).__name__}, not a JSON object",
                         file=file, line=row, column=position, path="data")],
                file,
            )
        yield Record(data, file, row, "data")


def read_devlake_csv(path: Path) -> pd.DataFrame:
    """Read a DevLake raw CSV table as text, or raise a LogError naming the file."""
    try:
        frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    except (ValueError, OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise LogError([Problem(f"cannot read as CSV: {exc}", file=str(path))],
                       str(path)) from exc
    if not is_devlake(frame.columns):
        raise LogError(
            [Problem(f"not a DevLake raw table: the columns are {list(frame.columns)}",
                     file=str(path),
                     hint="expected id, params, data, url, input, created_at; or give the "
                     "API JSON")],
            str(path),
        )
    return frame


def json_records(path: Path, keys: tuple[str, ...]) -> Iterator[Record]:
    """Records of an API JSON file: a list, an object holding a list under one of
    ``keys`` (e.g. ``{"workflow_runs": [...]}``), a single object, or JSON lines."""
    file = str(path)
    text = path.read_text(encoding="utf-8-sig")
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) > 1:
            yield from _json_lines(text, file)
            return
        raise LogError(
            [Problem(f"not valid JSON: {exc.msg}", file=file, line=exc.lineno,
                     column=exc.colno)],
            file,
        ) from exc
    prefix = ""
    if isinstance(data, dict):
        for key in keys:
            if isinstance(data.get(key), list):
                data, prefix = data[key], key
                break
        else:
            data = [data]
            prefix = "<object>"
    if not isinstance(data, list):
        raise LogError([Problem("expected a JSON list or object of records", file=file)], file)
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise LogError(
                [Problem(f"record {i} is {type(item).__name__}, not an object", file=file,
                         path=f"{prefix}[{i}]")],
                file,
            )
        where = "" if prefix == "<object>" else f"{prefix}[{i}]"
        yield Record(item, file, -1, where)


def _json_lines(text: str, file: str) -> Iterator[Record]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LogError([Problem(f"not valid JSON: {exc.msg}", file=file, line=number,
                                    column=exc.colno)], file) from exc
        if not isinstance(item, dict):
            raise LogError([Problem("expected a JSON object", file=file, line=number)], file)
        yield Record(item, file, number, "")


def records_of(
    sources: list[Path] | pd.DataFrame, keys: tuple[str, ...], label: str
) -> list[Record]:
    """Every record of the sources: DevLake CSV tables, API JSON files, or a DevLake frame."""
    out: list[Record] = []
    if isinstance(sources, pd.DataFrame):
        if not is_devlake(sources.columns) and "data" not in sources.columns:
            raise LogError(
                [Problem("a DataFrame for this format must be a DevLake raw table (with "
                         "a 'data' column of JSON)", file=label,
                         hint="or pass the exported files")],
                label,
            )
        return list(devlake_records(sources, label, first_row=0))
    for path in sources:
        if path.suffix.lower() in (".csv", ".tsv", ".txt"):
            out.extend(devlake_records(read_devlake_csv(path), str(path)))
        else:
            out.extend(json_records(path, keys))
    return out


def text(value: object) -> str | None:
    """A JSON value as stripped text; None, NaN and blank text become None."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    out = str(value).strip()
    return out or None


def stage(
    rows: list[dict[str, Any]],
    *,
    source: str,
    fmt: str,
    fields: dict[str, dict[str, Field]],
    statuses: dict[str, str],
    default_type: str,
    multi_file: bool,
    rows_read: int,
) -> Staged:
    """Build a Staged frame from adapter rows (dicts with canonical keys and internals)."""
    frame = pd.DataFrame.from_records(rows)
    for col in ("release_id", "phase_id", "activity_id", "status", "start", "end", "_file",
                "_row", "_where", "_kind"):
        if col not in frame.columns:
            frame[col] = pd.Series([None] * len(frame), dtype=object)
    frame["_row"] = frame["_row"].fillna(-1).astype("int64")
    frame["activity_id"] = frame["activity_id"].astype("string")
    return Staged(
        frame=frame, source=source, format=fmt, fields=fields, statuses=statuses,
        default_type=default_type, multi_file=multi_file, rows_read=rows_read,
    )
