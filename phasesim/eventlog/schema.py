"""The canonical event-log schema: one contract for simulated and historical releases.

One row per activity execution (or per phase execution, where a log has only phases).
The simulator writes this frame, :func:`phasesim.read_log` produces it from files, and
every analysis reads it. See ``ARCHITECTURE.md`` for the meaning of each column.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from phasesim.errors import LogError, Problem

__all__ = [
    "ACTIVITY_TYPES",
    "COLUMNS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "STATUSES",
    "TIMESTAMP_COLUMNS",
    "EventLog",
    "empty_log",
    "validate_log",
]

#: The event log is a pandas DataFrame in this schema (an alias, for type hints).
EventLog = pd.DataFrame

#: Column -> pandas dtype, in canonical order.
COLUMNS: dict[str, str] = {
    "run": "int64",
    "release_id": "string",
    "phase_id": "string",
    "activity_id": "string",
    "activity_type": "string",
    "owner": "string",
    "status": "string",
    "attempt": "int64",
    "ready": "datetime64[ns, UTC]",
    "start": "datetime64[ns, UTC]",
    "end": "datetime64[ns, UTC]",
    "planned_start": "datetime64[ns, UTC]",
    "planned_end": "datetime64[ns, UTC]",
}
OPTIONAL_COLUMNS = ("activity_id", "owner", "ready", "planned_start", "planned_end")
REQUIRED_COLUMNS = tuple(c for c in COLUMNS if c not in OPTIONAL_COLUMNS)
TIMESTAMP_COLUMNS = ("ready", "start", "end", "planned_start", "planned_end")

STATUSES = frozenset(
    {"succeeded", "failed", "rejected", "skipped", "aborted", "in_progress"}
)
ACTIVITY_TYPES = frozenset(
    {"manual", "automated", "approval", "wait", "subprocess", "phase"}
)


def empty_log() -> EventLog:
    """Return an empty event log with every canonical column and dtype."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in COLUMNS.items()})


def validate_log(frame: pd.DataFrame, *, source: str | None = None) -> EventLog:
    """Check a frame against the schema and return it with canonical dtypes and order.

    Missing optional columns are added (NA / NaT); extra columns are kept after the
    canonical ones. Raises :class:`~phasesim.errors.LogError` naming every missing
    column, unknown status or activity type, and the first rows where they occur.
    """
    return conform(frame, source=source, copy=True)


def conform(frame: pd.DataFrame, *, source: str | None, copy: bool) -> EventLog:
    """:func:`validate_log`; with ``copy=False`` the columns of ``frame`` itself are
    replaced (for a frame no one else holds: ``read_log``'s own, saving a full copy)."""
    problems: list[Problem] = []
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        problems.append(
            Problem(
                f"missing column(s) {', '.join(missing)}",
                file=source,
                hint="read files with phasesim.read_log, which maps common column names",
            )
        )
        raise LogError(problems, source)
    out = frame.copy() if copy else frame
    for col, dtype in COLUMNS.items():
        if col not in out.columns:
            out[col] = pd.Series(pd.NA if dtype == "string" else pd.NaT, index=out.index)
        try:
            if dtype.startswith("datetime64"):
                values = out[col]
                if not isinstance(values.dtype, pd.DatetimeTZDtype):
                    values = pd.to_datetime(values, utc=True)
                out[col] = values.dt.tz_convert("UTC").astype(pd.api.types.pandas_dtype(dtype))
            else:
                out[col] = out[col].astype(pd.api.types.pandas_dtype(dtype))
        except (TypeError, ValueError) as exc:
            problems.append(Problem(f"column {col!r} cannot be read as {dtype}: {exc}",
                                    file=source))
    for col, allowed in (("status", STATUSES), ("activity_type", ACTIVITY_TYPES)):
        if col in out.columns and not problems:
            bad = ~out[col].isin(allowed) & out[col].notna()
            if bad.any():
                rows = _rows(out.index[bad.to_numpy()])
                found = sorted(set(out.loc[bad, col].astype(str)))[:5]
                problems.append(
                    Problem(
                        f"column {col!r} has unknown value(s) {found} at row(s) {rows}",
                        file=source,
                        hint=f"use one of {sorted(allowed)}",
                    )
                )
    if problems:
        raise LogError(problems, source)
    extra = [c for c in out.columns if c not in COLUMNS]
    return out[list(COLUMNS) + extra]


def _rows(index: Iterable[object], limit: int = 5) -> str:
    items = list(index)
    text = ", ".join(str(i) for i in items[:limit])
    return text + (f" and {len(items) - limit} more" if len(items) > limit else "")
