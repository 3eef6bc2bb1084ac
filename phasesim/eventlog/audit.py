"""The data audit: what :func:`phasesim.read_log` checks, counts and does about it.

Real release logs are untidy. ``read_log`` never drops or changes a row silently: every
rule below is counted, with the first few rows as examples, in the audit table that the
log carries as ``log.attrs["audit"]`` (one row per rule, in this order, zero counts
included). With ``strict=True`` every rule whose action is *dropped* or *fixed* and that
found something becomes a :class:`~phasesim.errors.LogError` instead, listing the file,
row and column of each problem (the first :data:`PROBLEMS_PER_RULE` per rule).

Actions: **dropped** - the row is removed from the log; **fixed** - a value is changed as
described; **flagged** - the row is kept as it is and only counted; **assumed** - the
source does not say, and a documented convention fills the value in.

========================  ========  ==================================================
rule                      action    what it counts and does
========================  ========  ==================================================
unparsable_timestamp      fixed     rows with a timestamp cell that is not a date (or
                                    lies past 2262-04-11); the cell becomes missing
                                    (NaT) and the rules for missing times below
                                    decide the row's fate
mixed_timezones           flagged   timestamps written with more than one UTC offset (or
                                    naive and aware mixed); every time is converted to
                                    UTC anyway; counts rows with an offset other than
                                    the most common one
duplicate                 dropped   rows identical in every column (after the times are
                                    parsed) to an earlier row; the first is kept
lifecycle_unused          dropped   lifecycle events other than schedule, start,
                                    complete, abort and skip (suspend, resume, ...)
activity_assumed          fixed     rows whose activity cell is empty (blank, NaN,
                                    NA, null) in a log with an activity column: the
                                    row is kept as an activity named after its phase
                                    (``activity_id = phase_id``), so its time counts;
                                    an ``activity_type`` of ``phase`` keeps it a
                                    phase-level row
unknown_status            dropped   a status that no vocabulary maps to the canonical
                                    statuses (the values found are listed)
unknown_activity_type     fixed     an activity type phasesim does not know; set to
                                    ``manual``
missing_id                dropped   no release id, or neither a phase nor an activity
                                    name
never_started             fixed     no start but an end, and the status says the row
                                    ended without running (failed, aborted, skipped,
                                    rejected): start is set to end (zero duration)
not_started               dropped   no start and the status is in progress (queued,
                                    pending, scheduled): it has not begun yet
missing_start             dropped   no start time otherwise
missing_end               dropped   a start but no end although the status says the
                                    row finished
end_before_start          dropped   end earlier than start
in_progress_with_end      fixed     status in progress but an end time given: the
                                    status wins and end is cleared (NaT)
zero_duration             flagged   end equal to start (counted before
                                    ``never_started`` sets any start); skipped rows
                                    and ``wait`` milestones take no time by design
                                    and are not counted
invalid_number            fixed     ``run`` or ``attempt`` not a whole number >= 0 / >=
                                    1: run becomes 0; the attempts of that release,
                                    phase and activity are renumbered by start
overlapping_retry         flagged   an execution of the same release, phase and activity
                                    that starts before an earlier one ended (parallel
                                    copies or a retry started too early)
unsorted                  flagged   rows whose start is earlier than the start of the
                                    row above them in the same release; the log is
                                    returned sorted anyway
in_progress               flagged   releases with work still in progress (counted in
                                    releases; they stay in the log with status
                                    ``in_progress`` and ``end`` NaT)
status_assumed            assumed   rows without a status: ``succeeded`` with an end,
                                    ``in_progress`` without
phase_assumed             assumed   rows of a log without a phase column: each activity
                                    is its own phase (``phase_id = activity_id``)
attempt_assigned          assumed   rows of a log without attempts: 1, 2, ... per
                                    release, phase and activity in start order
========================  ========  ==================================================

Format adapters add rules of their own (see :mod:`phasesim.eventlog.adapters`).

The rules run in the order of the table, so a row dropped by one rule is not counted by
the rules after it. Rows are numbered as in the source (see :func:`phasesim.read_log`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
import pandas as pd

from phasesim.errors import LogError, Problem
from phasesim.eventlog.schema import (
    ACTIVITY_TYPES,
    COLUMNS,
    STATUSES,
    TIMESTAMP_COLUMNS,
    EventLog,
    conform,
)

__all__ = [
    "ACTIVITY_TYPE_VOCABULARY",
    "AUDIT_COLUMNS",
    "AUDIT_RULES",
    "PROBLEMS_PER_RULE",
    "STATUS_VOCABULARY",
    "AuditRule",
    "audit_log",
    "audit_table",
    "normalise_status",
]

Action = Literal["dropped", "fixed", "flagged", "assumed"]
BoolArray = npt.NDArray[np.bool_]

#: How many problems per rule a strict error lists (the rest are summarised).
PROBLEMS_PER_RULE = 10
#: How many examples per rule the audit table shows.
EXAMPLES_PER_RULE = 5
#: The columns of the audit table.
AUDIT_COLUMNS = ("rule", "count", "action", "examples", "description")


@dataclass(frozen=True)
class AuditRule:
    """One audit rule: its name, what it does, and what it counts.

    Attributes
    ----------
    name : str
        The rule's name, the ``rule`` column of the audit table.
    action : {"dropped", "fixed", "flagged", "assumed"}
        What happens to the rows it finds.
    description : str
        What it counts and does, in one sentence.
    unit : str
        What ``count`` counts: ``"rows"`` or ``"releases"``.
    """

    name: str
    action: Action
    description: str
    unit: str = "rows"

    @property
    def raises_in_strict(self) -> bool:
        """Whether ``strict=True`` turns a non-zero count into an error."""
        return self.action in ("dropped", "fixed")


def _rule(name: str, action: Action, description: str, unit: str = "rows") -> AuditRule:
    return AuditRule(name, action, description, unit)


#: The common rules, in the order they run (adapters add their own after these).
AUDIT_RULES: tuple[AuditRule, ...] = (
    _rule("unparsable_timestamp", "fixed",
          "timestamp cells that are not dates are set to missing (NaT); the rules for "
          "missing times then decide"),
    _rule("mixed_timezones", "flagged",
          "timestamps carry more than one UTC offset (or naive and aware are mixed); all "
          "are converted to UTC; counts rows with an offset other than the most common"),
    _rule("duplicate", "dropped",
          "rows identical in every column to an earlier row; the first is kept"),
    _rule("lifecycle_unused", "dropped",
          "lifecycle events other than schedule, start, complete, abort and skip"),
    _rule("activity_assumed", "fixed",
          "an empty activity cell (blank, NaN, NA) in a log with an activity column: kept "
          "as an activity named after its phase (activity_id = phase_id)"),
    _rule("unknown_status", "dropped", "statuses that map to none of the canonical statuses"),
    _rule("unknown_activity_type", "fixed", "unknown activity types are set to 'manual'"),
    _rule("missing_id", "dropped", "no release id, or no phase and no activity name"),
    _rule("never_started", "fixed",
          "no start, an end, and a status saying it ended without running (failed, "
          "aborted, skipped, rejected): start is set to end (zero duration)"),
    _rule("not_started", "dropped",
          "no start and still in progress (queued, pending, scheduled): not begun yet"),
    _rule("missing_start", "dropped", "no start time"),
    _rule("missing_end", "dropped", "a start but no end although the status says finished"),
    _rule("end_before_start", "dropped", "end earlier than start"),
    _rule("in_progress_with_end", "fixed",
          "status in progress but an end given: the status wins, end is cleared"),
    _rule("zero_duration", "flagged",
          "end equal to start (kept; skipped rows and wait milestones not counted)"),
    _rule("invalid_number", "fixed",
          "run or attempt not a whole number: run set to 0; the attempts of that release, "
          "phase and activity renumbered by start"),
    _rule("overlapping_retry", "flagged",
          "starts before an earlier execution of the same release, phase and activity "
          "ended (parallel copies, or a retry started early); kept"),
    _rule("unsorted", "flagged",
          "starts before the row above it in the same release; the log is returned "
          "sorted by release and start"),
    _rule("in_progress", "flagged",
          "releases with work in progress: kept, status in_progress, end NaT",
          unit="releases"),
    _rule("status_assumed", "assumed",
          "no status given: succeeded with an end, in_progress without"),
    _rule("phase_assumed", "assumed",
          "no phase column: each activity is its own phase (phase_id = activity_id)"),
    _rule("attempt_assigned", "assumed",
          "no attempt column: 1, 2, ... per release, phase and activity by start"),
)
_RULES = {r.name: r for r in AUDIT_RULES}

# --------------------------------------------------------------------------------------
# Vocabularies
# --------------------------------------------------------------------------------------

#: Status words (normalised: lower case, spaces and hyphens as ``_``) -> canonical status.
STATUS_VOCABULARY: dict[str, str] = {
    **dict.fromkeys(
        ["succeeded", "success", "successful", "succeed", "completed", "complete", "done",
         "passed", "pass", "ok", "approved", "finished", "resolved"],
        "succeeded",
    ),
    **dict.fromkeys(
        ["failed", "failure", "fail", "error", "errored", "timed_out", "timedout", "timeout",
         "startup_failure", "expired", "broken"],
        "failed",
    ),
    **dict.fromkeys(
        ["aborted", "abort", "cancelled", "canceled", "cancel", "stopped", "terminated",
         "killed", "withdrawn"],
        "aborted",
    ),
    **dict.fromkeys(["skipped", "skip", "ignored", "not_run", "notrun", "excluded"], "skipped"),
    **dict.fromkeys(
        ["in_progress", "inprogress", "running", "started", "pending", "queued", "waiting",
         "requested", "created", "scheduled", "on_hold", "paused", "input_required",
         "notstarted", "not_started", "preparing", "waiting_for_resource", "active"],
        "in_progress",
    ),
    **dict.fromkeys(["rejected", "denied", "declined", "disapproved"], "rejected"),
}

#: Activity type words (normalised) -> canonical activity type.
ACTIVITY_TYPE_VOCABULARY: dict[str, str] = {
    **dict.fromkeys(["manual", "human", "user", "task", "user_task", "manual_task"], "manual"),
    **dict.fromkeys(
        ["automated", "automatic", "auto", "pipeline", "ci", "cd", "job", "script", "service",
         "service_task", "system", "step"],
        "automated",
    ),
    **dict.fromkeys(["approval", "approve", "review", "sign_off", "signoff"], "approval"),
    **dict.fromkeys(["wait", "timer", "signal", "delay", "hold"], "wait"),
    **dict.fromkeys(["subprocess", "sub_process", "process", "call_activity"], "subprocess"),
    "phase": "phase",
}
_FINISHED = ("succeeded", "failed", "rejected", "skipped", "aborted")
_ENDED_WITHOUT_RUNNING = ("failed", "aborted", "skipped", "rejected")
_SEP = re.compile(r"[\s\-]+")


def normalise_status(value: object) -> str:
    """Normalise a status word for lookup: lower case, spaces and hyphens become ``_``.

    Examples
    --------
    >>> normalise_status(" In Progress ")
    'in_progress'
    >>> normalise_status("TIMED_OUT")
    'timed_out'
    """
    return _SEP.sub("_", str(value).strip().lower())


# --------------------------------------------------------------------------------------
# The audit table
# --------------------------------------------------------------------------------------


@dataclass
class _Entry:
    rule: AuditRule
    count: int = 0
    examples: list[str] = field(default_factory=list)
    detail: str = ""
    problems: list[Problem] = field(default_factory=list)
    more: int = 0


class Auditor:
    """Collects the audit while a log is read (used by ``read_log`` and the adapters)."""

    def __init__(self, source: str, extra_rules: Iterable[AuditRule] = ()) -> None:
        self.source = source
        self.entries: dict[str, _Entry] = {r.name: _Entry(r) for r in AUDIT_RULES}
        for rule in extra_rules:
            self.entries[rule.name] = _Entry(rule)

    def record(
        self,
        rule: str,
        count: int,
        examples: Sequence[str] = (),
        *,
        detail: str = "",
        problems: Sequence[Problem] = (),
        total_problems: int | None = None,
    ) -> None:
        """Add ``count`` findings of ``rule`` with examples and (for strict) problems."""
        entry = self.entries[rule]
        entry.count += int(count)
        room = EXAMPLES_PER_RULE - len(entry.examples)
        entry.examples.extend(list(examples)[: max(room, 0)])
        if detail:
            entry.detail = f"{entry.detail}; {detail}" if entry.detail else detail
        room = PROBLEMS_PER_RULE - len(entry.problems)
        entry.problems.extend(list(problems)[: max(room, 0)])
        shown = min(len(problems), max(room, 0))
        total = len(problems) if total_problems is None else total_problems
        entry.more += total - shown

    def records(self) -> list[dict[str, Any]]:
        """The audit as plain records (JSON-able, so logs still write to Parquet)."""
        rows = []
        for e in self.entries.values():
            text = e.rule.description
            if e.rule.unit != "rows":
                text += f" (counted in {e.rule.unit})"
            if e.detail:
                text += f"; {e.detail}"
            rows.append(
                {
                    "rule": e.rule.name,
                    "count": e.count,
                    "action": e.rule.action,
                    "examples": list(e.examples),
                    "description": text,
                }
            )
        return rows

    def problems(self) -> list[Problem]:
        """Problems of every rule that raises in strict mode, capped per rule."""
        out: list[Problem] = []
        for e in self.entries.values():
            if not e.rule.raises_in_strict or e.count == 0:
                continue
            out.extend(e.problems)
            if e.more > 0:
                out.append(
                    Problem(
                        f"{e.rule.name}: {e.more} more row(s) like the above",
                        file=self.source,
                        hint=e.rule.description,
                    )
                )
        return out


# --------------------------------------------------------------------------------------
# Staged frames: the canonical columns plus where each row came from
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """Where a canonical column comes from in the source: its name and 1-based column."""

    name: str
    column: int | None = None


@dataclass
class Staged:
    """A source read into canonical column names, not yet audited.

    ``frame`` holds canonical columns (those the source has), extra columns under their
    own names, and the internal columns ``_file`` (str), ``_row`` (int row number as
    documented in ``read_log``, or -1 where there is none), ``_where`` (a path inside a
    nested record, e.g. ``jobs[3].steps[2]``, or ``""``) and ``_kind`` (the key of
    ``fields`` that names the row's source fields). Lifecycle logs add ``_row_end``.
    """

    frame: pd.DataFrame
    source: str
    format: str
    fields: dict[str, dict[str, Field]]
    statuses: Mapping[str, str] = field(default_factory=dict)
    default_type: str = "manual"
    multi_file: bool = False
    rows_read: int = 0
    phase_assumed: bool = False

    def has(self, column: str) -> bool:
        return column in self.frame.columns


def _locate_rows(
    staged: Staged, frame: pd.DataFrame, column: str | None, row_col: str = "_row"
) -> list[tuple[str | None, int | None, int | None, str]]:
    """File, line, column and path of each row of ``frame`` for ``column``."""
    out: list[tuple[str | None, int | None, int | None, str]] = []
    if len(frame) == 0:
        return out
    rows_src = frame[row_col] if row_col in frame.columns else frame["_row"]
    for file, row, where, kind in zip(
        frame["_file"].tolist(), rows_src.tolist(), frame["_where"].tolist(),
        frame["_kind"].tolist(), strict=True,
    ):
        fld = staged.fields.get(str(kind), {}).get(column) if column else None
        name = fld.name if fld else (column or "")
        path = f"{where}.{name}" if where and name else (where or name)
        line = int(row) if row is not None and not pd.isna(row) and int(row) >= 0 else None
        out.append((str(file), line, fld.column if fld else None, path))
    return out


def _example_strings(staged: Staged, frame: pd.DataFrame, row_col: str = "_row") -> list[str]:
    head = frame.head(EXAMPLES_PER_RULE)
    out = []
    rows_src = head[row_col] if row_col in head.columns else head["_row"]
    for file, row, where in zip(
        head["_file"].tolist(), rows_src.tolist(), head["_where"].tolist(), strict=True
    ):
        has_row = row is not None and not pd.isna(row) and int(row) >= 0
        text = str(int(row)) if has_row else str(where)
        if has_row and "[" in str(where):  # one of several records on the row
            text += f" {where}"
        if staged.multi_file:
            text = f"{Path(str(file)).name}:{text}"
        out.append(text)
    return out


def record_rows(
    auditor: Auditor,
    staged: Staged,
    rule: str,
    mask: BoolArray | pd.Series,
    *,
    column: str | None,
    message: Callable[[pd.Series], str],
    hint: str | None = None,
    detail: str = "",
    frame: pd.DataFrame | None = None,
    row_col: str = "_row",
) -> int:
    """Record the rows of ``frame`` (default: the staged frame) selected by ``mask``."""
    frame = staged.frame if frame is None else frame
    selected = np.asarray(mask, dtype=bool)
    count = int(selected.sum())
    if count == 0:
        auditor.record(rule, 0, detail=detail)
        return 0
    head = frame.iloc[np.flatnonzero(selected)[:PROBLEMS_PER_RULE]]
    picked = head
    problems = [
        Problem(message(row), file=file, line=line, column=col, path=path, hint=hint)
        for (file, line, col, path), (_, row) in zip(
            _locate_rows(staged, head, column, row_col), head.iterrows(), strict=True
        )
    ]
    auditor.record(
        rule,
        count,
        _example_strings(staged, picked, row_col),
        detail=detail,
        problems=problems,
        total_problems=count,
    )
    return count


# --------------------------------------------------------------------------------------
# Timestamps
# --------------------------------------------------------------------------------------

#: A UTC offset at the end of a text timestamp, after a time of day (so that the "-05" of
#: a plain date "2026-01-05" is not read as an offset).
_OFFSET_AFTER_TIME = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)$"
_NAIVE = "naive"


def check_timezone(tz: object, source: str) -> ZoneInfo | None:
    """The ``tz`` argument as a ZoneInfo (None for UTC), or a LogError naming it."""
    if tz is None:
        return None
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise LogError(
            [
                Problem(
                    f"unknown time zone {tz!r} given as tz=",
                    file=source,
                    hint="use an IANA name such as 'UTC' or 'America/Los_Angeles'",
                )
            ],
            source,
        ) from exc


def _offset_label(suffix: str) -> str:
    if suffix in ("Z", "z"):
        return "+00:00"
    digits = suffix[1:].replace(":", "")
    if len(digits) == 2:
        digits += "00"
    return f"{suffix[0]}{digits[:2]}:{digits[2:]}"


def _to_text(values: pd.Series) -> pd.Series:
    """Object cells (datetimes from Excel or JSON, numbers) as text, missing kept."""
    if isinstance(values.dtype, pd.StringDtype) or values.dtype == object or str(
        values.dtype
    ) == "str":
        def text(v: object) -> object:
            if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
                return None
            if isinstance(v, pd.Timestamp):
                return v.isoformat()
            if hasattr(v, "isoformat") and not isinstance(v, str):
                return v.isoformat()
            return str(v)

        if values.dtype == object:
            values = values.map(text)
        out = values.astype("string").str.strip()
        return out.mask(out == "")
    return values.astype("string")


#: Columns from this many cells on go the compiled way first: below, importing numba and
#: loading the parser (about 0.7 s once a process) would cost more than it saves.
COMPILED_MIN_CELLS = 50_000


def parse_timestamps(
    values: pd.Series, tz: ZoneInfo | None
) -> tuple[pd.Series, BoolArray, pd.Series | None]:
    """Parse one column to UTC.

    Returns the parsed values (``datetime64[ns, UTC]``), a mask of cells that had a value
    but could not be read (including local times that do not exist or are ambiguous in
    ``tz`` on a daylight-saving change), and, for text, the UTC offset label of each cell
    (``"naive"`` for cells without one, NA where empty).

    Text in the one spelling ``2026-03-01T10:00:00[.f]+01:00`` (or ``Z``) of a column of
    :data:`COMPILED_MIN_CELLS` cells or more is read by a compiled parser over the
    column's bytes (:mod:`phasesim.eventlog._isotime`); every
    other cell goes the general way (:func:`_parse_general`), which is the reference:
    a cell reads the same either way.
    """
    chunks = _arrow_text(values) if len(values) >= COMPILED_MIN_CELLS else None
    if chunks is None:
        return _parse_general(values, tz)
    from phasesim.eventlog import _isotime

    ns, code = _isotime.parse_arrow(chunks)
    read = code != _isotime.REJECTED
    # the few distinct offsets, by counting (codes are below 20,000) rather than sorting
    safe = np.where(read, code, 0)
    uniq = np.flatnonzero(np.bincount(safe[read], minlength=1))
    lookup = np.full(int(uniq.max(initial=0)) + 1, -1, dtype=np.int32)
    lookup[uniq] = np.arange(len(uniq), dtype=np.int32)
    names = [_isotime.label_of(int(c)) for c in uniq]
    out_ns = np.where(read, ns, _NAT)
    label_codes = np.where(read, lookup[safe], -1).astype(np.int32)
    del safe, ns, code
    if read.all():
        out = _from_ns(out_ns, values.index)
        return out, np.zeros(len(values), dtype=bool), _text(label_codes, names, values.index)
    rest = ~read
    part, bad_part, part_labels = _parse_general(values[rest], tz)
    out_ns[rest] = _ns(part)
    out = _from_ns(out_ns, values.index)
    bad = np.zeros(len(values), dtype=bool)
    bad[rest] = bad_part
    labels = _text(label_codes, names, values.index).astype(object)
    if part_labels is not None:
        labels[rest] = part_labels.astype(object).to_numpy()
    return out, bad, labels.astype("string")


def _arrow_text(values: pd.Series) -> Any:
    """The column as a pyarrow string array (no copy for pyarrow-backed text), or None
    where it is no plain text column (datetimes, numbers, objects that are not all str)."""
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype) or str(dtype) == "str":
        array = values.array
        try:
            import pyarrow as pa

            arrow = array.__arrow_array__()
            if isinstance(arrow, pa.ChunkedArray | pa.Array) and (
                pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type)
            ):
                return arrow
        except (AttributeError, TypeError, ImportError):
            return None
    return None


def _parse_general(
    values: pd.Series, tz: ZoneInfo | None
) -> tuple[pd.Series, BoolArray, pd.Series | None]:
    """:func:`parse_timestamps` of any column, cell spellings of every kind."""
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        utc = _as_ns(values.dt.tz_convert("UTC"), pd.DatetimeTZDtype("ns", "UTC"))
        return utc, np.asarray(utc.isna() & values.notna(), dtype=bool), None
    if pd.api.types.is_datetime64_dtype(dtype):
        local = values.dt.tz_localize(tz or "UTC", ambiguous="NaT", nonexistent="NaT")
        utc = _as_ns(local.dt.tz_convert("UTC"), pd.DatetimeTZDtype("ns", "UTC"))
        bad = np.asarray(utc.isna() & values.notna(), dtype=bool)
        return utc, bad, None
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        present = np.asarray(values.notna(), dtype=bool)
        empty = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
        return empty, present, None
    text = _to_text(values)
    present = np.asarray(text.notna(), dtype=bool)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    labels = pd.Series(pd.NA, index=values.index, dtype="string")
    rest = present.copy()
    fmt = _iso_format(text, present)
    if fmt is not None:
        # The fast path: one explicit ISO format (guessed from the first cell) for every
        # cell it reads exactly; an offset in the format means each of them has one, and
        # their offsets come from the few distinct endings. Other cells go the long way.
        aware = fmt.endswith("%z")
        target: Any = pd.DatetimeTZDtype("ns", "UTC") if aware else np.dtype("datetime64[ns]")
        fast = _as_ns(pd.to_datetime(text, format=fmt, utc=aware, errors="coerce"), target)
        ok = present & np.asarray(fast.notna(), dtype=bool)
        if aware and ok.any():
            found = _offset_labels(text[ok])
            known = np.asarray(found.notna(), dtype=bool)
            ok[np.flatnonzero(ok)[~known]] = False
            if ok.all():  # the usual case: every cell in the one format
                out, labels = fast, found
            else:
                labels[ok] = found[known].to_numpy()
                out[ok] = fast[ok]
        elif ok.any():
            local = fast[ok].dt.tz_localize(tz or "UTC", ambiguous="NaT", nonexistent="NaT")
            if ok.all():
                out = local.dt.tz_convert("UTC")
                labels = pd.Series(_NAIVE, index=values.index, dtype="string")
            else:
                out[ok] = local.dt.tz_convert("UTC")
                labels[ok] = _NAIVE
        rest &= ~ok
    if rest.any():
        part, part_labels = _parse_any(text[rest], tz)
        out[rest] = part
        labels[rest] = part_labels
    bad = present & np.asarray(out.isna(), dtype=bool)
    return out.astype("datetime64[ns, UTC]"), bad, labels


def _iso_format(text: pd.Series, present: BoolArray) -> str | None:
    """The strptime format of the first cell, if it is an ISO 8601 one, else None."""
    if not present.any():
        return None
    try:
        from pandas.tseries.api import guess_datetime_format

        fmt = guess_datetime_format(str(text.iloc[int(np.argmax(present))]))
    except (ImportError, ValueError, TypeError):
        return None
    return fmt if fmt and fmt.startswith("%Y-%m-%d") else None


_OFFSET_AT_END = re.compile(r"(Z|z|[+-]\d{2}(?::?\d{2})?)$")


def _offset_labels(text: pd.Series) -> pd.Series:
    """The UTC offset label of cells that end in an offset, from their distinct last six
    characters (a few thousand at most, however many cells); NA where none is found."""
    codes, tails = pd.factorize(text.str.slice(start=-6))
    found = [_OFFSET_AT_END.search(str(t)) for t in tails]
    names = np.array([_offset_label(m.group(1)) if m else None for m in found], dtype=object)
    return pd.Series(names[codes], index=text.index, dtype="string")


def _parse_any(text: pd.Series, tz: ZoneInfo | None) -> tuple[pd.Series, pd.Series]:
    """Cells of any spelling: the offset of each by a regular expression, then ISO 8601,
    then cell by cell (see :func:`_parse_text`)."""
    suffix = text.str.extract(_OFFSET_AFTER_TIME, expand=False)
    is_offset = np.asarray(suffix.notna(), dtype=bool)
    labels = pd.Series(_NAIVE, index=text.index, dtype="string")
    if is_offset.any():
        uniq = {s: _offset_label(str(s)) for s in suffix[is_offset].unique()}
        labels[is_offset] = suffix[is_offset].map(uniq)
    naive = ~is_offset
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    if is_offset.any():
        out[is_offset] = _parse_text(text[is_offset], utc=True)
    if naive.any():
        parsed = _parse_text(text[naive], utc=False)
        local = parsed.dt.tz_localize(tz or "UTC", ambiguous="NaT", nonexistent="NaT")
        out[naive] = local.dt.tz_convert("UTC")
    return out, labels


def _parse_text(text: pd.Series, *, utc: bool) -> pd.Series:
    """ISO 8601 first (fast); other spellings cell by cell; failures stay NaT."""
    target = pd.DatetimeTZDtype("ns", "UTC") if utc else np.dtype("datetime64[ns]")
    try:
        parsed = _as_ns(pd.to_datetime(text, utc=utc, format="ISO8601", errors="coerce"),
                        target)
    except (TypeError, ValueError):
        # a cell without an offset by the pattern that pandas reads with one (``...:46.Z``,
        # ``20260301T100000Z``): cell by cell, and such cells are not dates
        parsed = pd.Series([_one_cell(v, utc) for v in text], index=text.index,
                           dtype=target)
    failed = np.asarray(parsed.isna() & text.notna(), dtype=bool)
    if failed.any():
        try:
            retry = pd.to_datetime(text[failed], utc=utc, format="mixed", errors="coerce")
            parsed[failed] = _as_ns(retry, target)
        except (TypeError, ValueError):
            pass  # cells mixing offsets with names dateutil cannot place: left as NaT
    return parsed


def _one_cell(value: object, utc: bool) -> object:
    """One cell by ISO 8601 (NaT where it is no date, or has an offset where none was
    seen); the slow path of :func:`_parse_text`."""
    if value is None or value is pd.NA:
        return pd.NaT
    try:
        stamp = pd.Timestamp(str(value))
    except (TypeError, ValueError, OverflowError):
        return pd.NaT
    if stamp is pd.NaT or not utc:
        return pd.NaT if stamp.tzinfo is not None else stamp
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _as_ns(values: pd.Series, target: Any) -> pd.Series:
    """``values.astype(target)`` (nanoseconds), dates outside pandas' range (before
    1677-09-21 or after 2262-04-11) becoming NaT instead of ``OutOfBoundsDatetime``."""
    try:
        return values.astype(target)
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        pass
    lo, hi = pd.Timestamp.min, pd.Timestamp.max
    if isinstance(target, pd.DatetimeTZDtype):
        lo, hi = lo.tz_localize("UTC"), hi.tz_localize("UTC")
    inside = [bool(pd.notna(v)) and lo <= v <= hi for v in values]
    return values.where(pd.Series(inside, index=values.index, dtype=bool)).astype(target)


def audit_timestamps(staged: Staged, tz: ZoneInfo | None, auditor: Auditor) -> None:
    """Parse every timestamp column of the staged frame; record unparsable and mixed."""
    frame = staged.frame
    columns = [c for c in (*TIMESTAMP_COLUMNS, "_time") if c in frame.columns]
    bad_any = np.zeros(len(frame), dtype=bool)
    first_bad: dict[int, str] = {}
    raw_values: dict[str, pd.Series] = {}
    label_cols: dict[str, pd.Series] = {}
    for col in columns:
        raw = frame[col]
        parsed, bad, labels = parse_timestamps(raw, tz)
        if bad.any():
            raw_values[col] = raw
            for pos in np.flatnonzero(bad & ~bad_any)[:PROBLEMS_PER_RULE]:
                first_bad.setdefault(int(pos), col)
            bad_any |= bad
        frame[col] = parsed
        if labels is not None:
            label_cols[col] = labels
    zone = getattr(tz, "key", None) or "UTC"

    if bad_any.any():
        positions = np.flatnonzero(bad_any)
        head = frame.iloc[positions[:PROBLEMS_PER_RULE]]
        problems = []
        for pos, (file, line, _, where), kind in zip(
            positions, _locate_rows(staged, head, None), head["_kind"].tolist(), strict=False
        ):
            col = first_bad.get(int(pos), columns[0])
            value = raw_values[col].iloc[int(pos)] if col in raw_values else None
            fld = staged.fields.get(str(kind), {}).get(col)
            name = fld.name if fld else _display(col)
            path = f"{where}.{name}" if where else name
            problems.append(
                Problem(
                    f"{_display(col)} {value!r} is not a date (or does not exist in time "
                    f"zone {zone} on a daylight-saving change, or lies outside 1677-09-21 "
                    f"to 2262-04-11)",
                    file=file, line=line, column=fld.column if fld else None, path=path,
                    hint="write timestamps as ISO 8601, e.g. 2026-03-02T09:00:00Z",
                )
            )
        auditor.record(
            "unparsable_timestamp", int(bad_any.sum()), _example_strings(staged, head),
            problems=problems, total_problems=int(bad_any.sum()),
        )
    if label_cols:
        _audit_mixed(staged, label_cols, zone, auditor)


def fmt_time(value: object) -> str:
    """A timestamp for messages: ``2026-03-02 09:00:00 UTC`` (milliseconds if any)."""
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return repr(value)
    if pd.isna(stamp):
        return "NaT"
    text = stamp.strftime("%Y-%m-%d %H:%M:%S")
    if stamp.microsecond:
        text += f".{stamp.microsecond // 1000:03d}"
    return text + (" UTC" if stamp.tzinfo is not None else "")


def _display(col: str) -> str:
    return "timestamp" if col == "_time" else col


def _audit_mixed(
    staged: Staged, label_cols: dict[str, pd.Series], zone: str, auditor: Auditor
) -> None:
    counts: dict[str, int] = {}
    for labels in label_cols.values():
        for label, n in labels.value_counts().items():
            counts[str(label)] = counts.get(str(label), 0) + int(n)
    if len(counts) <= 1:
        return
    common = max(counts, key=lambda k: counts[k])
    other = np.zeros(len(staged.frame), dtype=bool)
    for labels in label_cols.values():
        other |= np.asarray((labels != common).fillna(False), dtype=bool)
    found = ", ".join(
        f"{'naive (read as ' + zone + ')' if k == _NAIVE else k} ({v} cells)"
        for k, v in sorted(counts.items(), key=lambda kv: -kv[1])
    )
    record_rows(
        auditor, staged, "mixed_timezones", other, column=None,
        message=lambda row: "timestamps in more than one UTC offset",
        detail=f"offsets found: {found}",
    )


# --------------------------------------------------------------------------------------
# Duplicates
# --------------------------------------------------------------------------------------

_KEYS = ("release_id", "phase_id", "activity_id")
_CODES = ("_rel", "_ph", "_act")


def ensure_codes(frame: pd.DataFrame) -> None:
    """Add integer codes of release, phase and activity (in name order; -1 for NA)."""
    for col, code in zip(_KEYS, _CODES, strict=True):
        if code not in frame.columns:
            if col in frame.columns:
                values = frame[col]
                if values.dtype == object:
                    # as the ids will read (text), so that mixed cells (a date, a
                    # number, a boolean) sort, and in the order of the final ids
                    values = values.map(_id_text)
                frame[code] = pd.factorize(values, sort=True)[0].astype(np.int64)
            else:
                frame[code] = np.full(len(frame), -1, dtype=np.int64)


def data_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of a staged frame that hold data (not the internal ``_`` ones)."""
    return [c for c in frame.columns if not str(c).startswith("_")] + (
        ["_lifecycle", "_time"] if "_lifecycle" in frame.columns else []
    )


def audit_duplicates(staged: Staged, auditor: Auditor) -> None:
    """Drop rows identical (in every data column) to an earlier row; record them."""
    frame = staged.frame
    ensure_codes(frame)
    cols = [c for c in data_columns(frame) if c not in _KEYS] + list(_CODES)
    if len(frame) == 0:
        auditor.record("duplicate", 0)
        return
    # Candidates first: rows whose ids and times hash alike (cheap), then the exact test
    # on every data column of those rows only.
    digest = np.zeros(len(frame), dtype=np.uint64)
    for col in [*_CODES, *(c for c in (*TIMESTAMP_COLUMNS, "_time") if c in frame.columns)]:
        values = frame[col]
        ints = _ns(values) if isinstance(values.dtype, pd.DatetimeTZDtype) else np.asarray(
            values.to_numpy(dtype=np.int64))
        digest = (digest ^ ints.view(np.uint64)) * np.uint64(0x9E3779B97F4A7C15)
    candidate = np.asarray(pd.Series(digest).duplicated(keep=False), dtype=bool)
    if not candidate.any():
        auditor.record("duplicate", 0)
        return
    positions = np.flatnonzero(candidate)
    hashable = frame[cols].iloc[positions]
    objects = [c for c in cols if hashable[c].dtype == object]
    if objects:
        hashable = hashable.copy()
        for c in objects:
            hashable[c] = hashable[c].map(lambda v: v if _is_hashable(v) else repr(v))
    dup = np.zeros(len(frame), dtype=bool)
    dup[positions] = np.asarray(hashable.duplicated(keep="first"), dtype=bool)
    if not dup.any():
        auditor.record("duplicate", 0)
        return
    group = hashable.groupby(cols, dropna=False, sort=False).ngroup().to_numpy()
    first = pd.Series(positions).groupby(group).transform("min").to_numpy()
    first_row = np.full(len(frame), -1, dtype=np.int64)
    first_row[positions] = frame["_row"].to_numpy(dtype=np.int64)[first]
    frame["_first"] = first_row

    def message(row: pd.Series) -> str:
        first = int(row["_first"])
        return f"repeats row {first}" if first >= 0 else "repeats an earlier record"

    record_rows(auditor, staged, "duplicate", dup, column=None, message=message,
                hint="remove the repeated row")
    staged.frame = frame.loc[~dup].drop(columns="_first")


def audit_blank_activities(staged: Staged, auditor: Auditor, *, applies: bool) -> None:
    """Name empty activity cells after their phase (rule ``activity_assumed``).

    A log with an activity column whose cell reads NaN, NA or nothing would otherwise
    give a phase-level row, whose times the analyses replace by those of the phase's
    activities: a 7-hour release would report the 1 hour of its one named activity.
    ``applies`` is False for adapters (their phase rows are meant) and for logs without
    an activity column.
    """
    frame = staged.frame
    if not applies or "activity_id" not in frame.columns or "phase_id" not in frame.columns:
        auditor.record("activity_assumed", 0)
        return
    activity = frame["activity_id"]
    blank = np.array(activity.isna(), dtype=bool)
    blank |= _per_value(activity, lambda v: isinstance(v, str) and not v.strip())
    blank &= np.asarray(frame["phase_id"].notna(), dtype=bool)
    if "activity_type" in frame.columns and blank.any():
        said = frame["activity_type"].map(
            lambda v: ACTIVITY_TYPE_VOCABULARY.get(normalise_status(v))
            if isinstance(v, str) else None)
        blank &= np.asarray(said != "phase", dtype=bool)
    record_rows(
        auditor, staged, "activity_assumed", blank, column="activity_id",
        message=lambda row: f"no activity name: read as activity {row['phase_id']!r} of "
        "its phase",
        hint="name the activity, or give the row activity_type 'phase' if it is about the "
        "phase itself")
    if blank.any():
        values = frame["activity_id"].astype("object")
        values[blank] = frame["phase_id"].astype("object")[blank]
        frame["activity_id"] = values
        if "_act" in frame.columns:
            del frame["_act"]  # recomputed by finish()


def _per_value(values: pd.Series, test: Callable[[object], bool]) -> BoolArray:
    """``test`` of every cell, called once per distinct value (NA cells: False).

    A column of a few hundred names in millions of rows costs one factorize instead of
    millions of Python calls; cells that cannot be hashed (a list) are tested one by one.
    """
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:
        return np.array([bool(test(v)) for v in values], dtype=bool)
    hits = np.array([bool(test(u)) for u in uniques] + [False], dtype=bool)
    return hits[np.where(codes < 0, len(uniques), codes)]


def _is_hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


# --------------------------------------------------------------------------------------
# Statuses, types, times, numbers, order
# --------------------------------------------------------------------------------------

#: Canonical statuses in code order (the status column is built from these codes).
_STATUS_ORDER = ("succeeded", "failed", "rejected", "skipped", "aborted", "in_progress")
_S = {s: np.int8(i) for i, s in enumerate(_STATUS_ORDER)}
_TYPE_ORDER = tuple(sorted(ACTIVITY_TYPES))
_BLANK_WORDS = frozenset({"", "nan", "none", "null", "<na>", "nat"})


def _word_codes(
    values: pd.Series, vocabulary: Mapping[str, str], order: Sequence[str]
) -> tuple[npt.NDArray[np.int8], BoolArray, BoolArray]:
    """Map words through a vocabulary to codes into ``order``.

    Returns (codes, -1 where blank or unknown; blank mask; unknown mask).
    """
    if values.dtype == object:
        values = values.map(lambda v: v if _is_hashable(v) else repr(v))  # a list cell
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    index = {w: i for i, w in enumerate(order)}
    keys = [normalise_status(u) for u in uniques]
    u_code = np.array([index.get(vocabulary.get(k, ""), -1) for k in keys] + [-1],
                      dtype=np.int8)
    u_blank = np.array([k in _BLANK_WORDS for k in keys] + [True], dtype=bool)
    u_unknown = ~u_blank & (u_code < 0)
    codes = np.where(codes < 0, len(uniques), codes)
    return u_code[codes], u_blank[codes], u_unknown[codes]


def _listed(values: pd.Series, mask: BoolArray) -> str:
    found = pd.Series(values.to_numpy()[mask]).astype(str).value_counts()
    return ", ".join(f"{k!r} ({v})" for k, v in found.head(10).items())


def finish(staged: Staged, auditor: Auditor) -> EventLog:
    """Run the remaining rules on a staged frame and return the canonical log."""
    frame = staged.frame
    ensure_codes(frame)
    for col in ("start", "end"):
        if col not in frame.columns:
            frame[col] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    end_known = np.asarray(frame["end"].notna(), dtype=bool)

    # -- status ------------------------------------------------------------------------
    vocabulary = {**STATUS_VOCABULARY,
                  **{normalise_status(k): v for k, v in staged.statuses.items()}}
    vocabulary = {k: v for k, v in vocabulary.items() if v in STATUSES}
    if "status" in frame.columns:
        status, blank, unknown = _word_codes(frame["status"], vocabulary, _STATUS_ORDER)
        record_rows(
            auditor, staged, "unknown_status", unknown, column="status",
            message=lambda row: f"status {row['status']!r} is not a known status",
            hint=f"use one of {', '.join(sorted(STATUSES))}, or map the values in a "
            "DataFrame before calling read_log",
            detail=f"values found: {_listed(frame['status'], unknown)}" if unknown.any()
            else "",
        )
    else:
        status = np.full(len(frame), -1, dtype=np.int8)
        blank = np.ones(len(frame), dtype=bool)
        unknown = np.zeros(len(frame), dtype=bool)
    if blank.any():
        status = np.where(blank, np.where(end_known, _S["succeeded"], _S["in_progress"]),
                          status).astype(np.int8)
    record_rows(auditor, staged, "status_assumed", blank, column="status",
                message=lambda row: "no status")

    # -- activity type -----------------------------------------------------------------
    phase_row = np.asarray(frame["_act"].to_numpy() < 0, dtype=bool)
    default = _TYPE_ORDER.index(staged.default_type)
    if "activity_type" in frame.columns:
        types, blank_t, unknown_t = _word_codes(
            frame["activity_type"], ACTIVITY_TYPE_VOCABULARY, _TYPE_ORDER
        )
        unknown_t &= ~phase_row & ~unknown
        record_rows(
            auditor, staged, "unknown_activity_type", unknown_t, column="activity_type",
            message=lambda row: f"activity type {row['activity_type']!r} is unknown; "
            f"read as {staged.default_type!r}",
            hint=f"use one of {', '.join(sorted(ACTIVITY_TYPES))}",
            detail=f"values found: {_listed(frame['activity_type'], unknown_t)}"
            if unknown_t.any() else "",
        )
        types = np.where(blank_t | (types < 0), default, types).astype(np.int8)
    else:
        types = np.full(len(frame), default, dtype=np.int8)
        auditor.record("unknown_activity_type", 0)
    types = np.where(phase_row, _TYPE_ORDER.index("phase"), types).astype(np.int8)

    # -- ids ---------------------------------------------------------------------------
    no_id = (frame["_rel"].to_numpy() < 0) | (frame["_ph"].to_numpy() < 0)
    no_id &= ~unknown
    record_rows(
        auditor, staged, "missing_id", no_id,
        column="release_id" if (frame["_rel"].to_numpy()[no_id] < 0).any() else "phase_id",
        message=lambda row: "no release id" if pd.isna(row.get("release_id"))
        else "no phase (or activity) name",
        hint="every row needs the release it belongs to and its phase or activity",
    )

    # -- times -------------------------------------------------------------------------
    start_ns = _ns(frame["start"])
    end_ns = _ns(frame["end"])
    has_s = start_ns != _NAT
    has_e = end_ns != _NAT
    live = ~unknown & ~no_id
    # a skipped row takes no time by definition, and a wait activity of no time is a
    # milestone: neither is a suspicious zero duration (a simulated log has both)
    by_design = (status == _S["skipped"]) | (types == _TYPE_ORDER.index("wait"))
    zero = live & has_s & has_e & (start_ns == end_ns) & ~by_design
    ended_early = np.isin(status, [_S[s] for s in _ENDED_WITHOUT_RUNNING])
    in_prog = status == _S["in_progress"]
    finished = ~in_prog & (status >= 0)
    never = live & ~has_s & has_e & ended_early
    not_started = live & ~has_s & in_prog
    missing_start = live & ~has_s & ~never & ~not_started
    missing_end = live & has_s & ~has_e & finished
    backwards = live & has_s & has_e & (end_ns < start_ns)
    end_row = "_row_end" if "_row_end" in frame.columns else "_row"
    frame["status"] = _text(status, _STATUS_ORDER, frame.index)
    record_rows(
        auditor, staged, "never_started", never, column="start",
        message=lambda row: f"no start; status {row['status']} at {fmt_time(row['end'])}: "
        "read as zero duration", hint="give the start time if the row did run",
    )
    record_rows(
        auditor, staged, "not_started", not_started, column="start",
        message=lambda row: "no start and still in progress (not begun)",
        hint="expected for queued or pending work; it has no duration yet",
    )
    record_rows(
        auditor, staged, "missing_start", missing_start, column="start",
        message=lambda row: f"no start time (status {row['status']})",
        hint="give the row a start time or remove it",
    )
    record_rows(
        auditor, staged, "missing_end", missing_end, column="end",
        message=lambda row: f"no end time although the status is {row['status']}",
        hint="give the end time, or status in_progress if it is still running",
        row_col=end_row,
    )
    record_rows(
        auditor, staged, "end_before_start", backwards, column="end",
        message=lambda row: f"end {fmt_time(row['end'])} is before start "
        f"{fmt_time(row['start'])}",
        hint="correct the times (swapped columns?) or remove the row", row_col=end_row,
    )
    keep = live & ~(not_started | missing_start | missing_end | backwards)
    with_end = keep & has_e & in_prog
    record_rows(
        auditor, staged, "in_progress_with_end", with_end, column="end",
        message=lambda row: f"status in progress but end {fmt_time(row['end'])} given; "
        "end cleared", hint="give the final status if the row has finished", row_col=end_row,
    )
    record_rows(auditor, staged, "zero_duration", zero, column="end",
                message=lambda row: "end equals start")
    start_ns = np.where(never, end_ns, start_ns)
    end_ns = np.where(with_end, _NAT, end_ns)
    frame["start"] = _from_ns(start_ns, frame.index)
    frame["end"] = _from_ns(end_ns, frame.index)
    if "activity_type" in frame.columns:  # rebuilt from ``types`` once the rows are in order
        del frame["activity_type"]
    if never.any():
        # the analyses count these for status and failure, never as durations
        frame["never_started"] = pd.Series(never, index=frame.index)
    if not keep.all():
        frame = frame.loc[keep]
        start_ns, end_ns, status, types = start_ns[keep], end_ns[keep], status[keep], types[keep]
    staged.frame = frame

    # -- run and attempt ---------------------------------------------------------------
    renumber = _audit_numbers(staged, auditor)
    frame = staged.frame
    run = frame["run"].to_numpy(dtype=np.int64)
    rel = frame["_rel"].to_numpy(dtype=np.int64)
    relkey = run * (int(rel.max(initial=0)) + 1) + rel

    # -- order -------------------------------------------------------------------------
    n = len(frame)
    by_rel = np.argsort(relkey, kind="stable")
    rk = relkey[by_rel]
    s_sorted = start_ns[by_rel]
    new_rel = np.r_[True, rk[1:] != rk[:-1]] if n else np.zeros(0, dtype=bool)
    descent = np.zeros(n, dtype=bool)
    if n > 1:
        descent[by_rel[1:]] = ~new_rel[1:] & (s_sorted[1:] < s_sorted[:-1])
    record_rows(auditor, staged, "unsorted", descent, column="start",
                message=lambda row: "starts before the row above it in its release")
    # releases ordered by first start, then run and name
    block = np.cumsum(new_rel) - 1
    first = (np.minimum.reduceat(s_sorted, np.flatnonzero(new_rel)) if n
             else np.zeros(0, dtype=np.int64))
    rel_first = np.empty(n, dtype=np.int64)
    rel_first[by_rel] = first[block]
    release_rank = np.empty(len(first), dtype=np.int64)
    starts_of_blocks = by_rel[np.flatnonzero(new_rel)] if n else by_rel
    release_rank[np.lexsort((rel[starts_of_blocks], run[starts_of_blocks], first))] = (
        np.arange(len(first)))
    rrank = np.empty(n, dtype=np.int64)
    rrank[by_rel] = release_rank[block]
    ph = frame["_ph"].to_numpy(dtype=np.int64)
    act = frame["_act"].to_numpy(dtype=np.int64)
    n_act = int(act.max(initial=-1)) + 2
    item = ph * n_act + act + 1
    end_key = np.where(end_ns == _NAT, _MAXI, end_ns)
    order = np.lexsort((frame["_row"].to_numpy(dtype=np.int64), item, end_key, start_ns,
                        rrank))
    # one take of the rows; the status and type texts are decoded from their reordered
    # codes rather than taken (a text column costs a take of every string)
    frame = frame.drop(columns="status")
    if n and bool((order == np.arange(n)).all()):  # already in order: no take at all
        frame = frame.reset_index(drop=True)
    else:
        staged.frame = frame = _taken(frame, order)
    start_ns, end_key, rrank, item = start_ns[order], end_key[order], rrank[order], item[order]
    status = status[order]
    frame["status"] = _text(status, _STATUS_ORDER, frame.index)
    frame["activity_type"] = _text(types[order], _TYPE_ORDER, frame.index)
    if renumber is not None:
        renumber = renumber[order]
    staged.frame = frame

    # -- attempts and overlaps (groups of release, phase and activity, in start order) --
    n_item = int(item.max(initial=0)) + 1
    gkey = rrank * n_item + item
    by_g = np.argsort(gkey, kind="stable")
    g = gkey[by_g]
    new_g = np.r_[True, g[1:] != g[:-1]] if n else np.zeros(0, dtype=bool)
    pos = np.arange(n)
    ordinal_g = pos - np.maximum.accumulate(np.where(new_g, pos, 0)) + 1
    ordinal = np.empty(n, dtype=np.int64)
    ordinal[by_g] = ordinal_g
    if "attempt" not in frame.columns:
        frame["attempt"] = ordinal
        record_rows(auditor, staged, "attempt_assigned", np.ones(n, dtype=bool), column=None,
                    message=lambda row: "attempt numbered by start")
    elif renumber is not None and renumber.any():
        bad_groups = np.unique(gkey[renumber])
        regroup = np.isin(gkey, bad_groups)
        frame["attempt"] = np.where(regroup, ordinal, frame["attempt"].to_numpy(np.int64))
    reach = (pd.Series(end_key[by_g]).groupby(np.cumsum(new_g)).cummax().to_numpy()
             if n else np.zeros(0, dtype=np.int64))
    prev = np.r_[_NAT, reach[:-1]] if n else reach
    overlap_g = ~new_g & (start_ns[by_g] < prev)
    overlap = np.zeros(n, dtype=bool)
    overlap[by_g] = overlap_g
    record_rows(
        auditor, staged, "overlapping_retry", overlap, column="start",
        message=lambda row: f"{row['phase_id']}/{row.get('activity_id')} starts before an "
        "earlier execution of it ended",
    )
    record_rows(auditor, staged, "phase_assumed",
                np.full(n, staged.phase_assumed, dtype=bool), column=None,
                message=lambda row: "phase = activity")

    # -- in progress -------------------------------------------------------------------
    open_rows = status == _S["in_progress"]
    ids = pd.unique(frame["release_id"].to_numpy()[open_rows]) if open_rows.any() else []
    auditor.record("in_progress", len(ids), [str(i) for i in ids[:EXAMPLES_PER_RULE]])
    return _assemble(staged)


def _text(codes: npt.NDArray[np.integer[Any]], labels: Sequence[str], index: pd.Index
          ) -> pd.Series:
    """Codes into ``labels`` (-1 = NA) as a string column, without a Python loop."""
    import pyarrow as pa

    mask = codes < 0
    indices = pa.array(np.where(mask, 0, codes).astype(np.int32), mask=mask)
    decoded = pa.DictionaryArray.from_arrays(
        indices, pa.array(list(labels), type=pa.string())).dictionary_decode()
    return pd.Series(pd.arrays.ArrowStringArray(decoded), index=index)


def _taken(frame: pd.DataFrame, order: npt.NDArray[np.int64]) -> pd.DataFrame:
    """``frame.iloc[order]`` with a fresh index, column by column, each source column let
    go once taken (the whole frame twice at once was the peak of ``read_log``)."""
    index = pd.RangeIndex(len(order))
    attrs = dict(frame.attrs)
    columns = list(frame.columns)
    taken: dict[Any, pd.Series] = {}
    for col in columns:
        values = frame[col]
        if values.dtype.kind in "biuf" and not isinstance(values.dtype,
                                                          pd.api.extensions.ExtensionDtype):
            taken[col] = pd.Series(values.to_numpy()[order], index=index, name=col)
        else:
            taken[col] = pd.Series(values.array.take(order), index=index, name=col)
        del values
        del frame[col]
    out = pd.DataFrame(taken, index=index, columns=columns)
    out.attrs = attrs
    return out


#: Largest run or attempt number read (more is no count: 1e308 is an invalid number).
_MAX_NUMBER = 2**31 - 1


def _audit_numbers(staged: Staged, auditor: Auditor) -> BoolArray | None:
    """Check run and attempt; return the rows whose attempt was not a whole number."""
    frame = staged.frame
    n = len(frame)
    bad_run = np.zeros(n, dtype=bool)
    bad_attempt: BoolArray | None = None
    if "run" in frame.columns:
        run = _whole(frame["run"])
        bad_run = ~np.isfinite(run) | (run < 0) | (run > _MAX_NUMBER)
        frame["run"] = np.where(bad_run, 0, run).astype(np.int64)
    else:
        frame["run"] = np.zeros(n, dtype=np.int64)
    if "attempt" in frame.columns:
        attempt = _whole(frame["attempt"])
        bad_attempt = ~np.isfinite(attempt) | (attempt < 1) | (attempt > _MAX_NUMBER)
        frame["attempt"] = np.where(bad_attempt, 0, attempt).astype(np.int64)
    staged.frame = frame
    bad = bad_run | (bad_attempt if bad_attempt is not None else False)
    record_rows(
        auditor, staged, "invalid_number", bad,
        column="attempt" if bad_attempt is not None and bad_attempt.any() else "run",
        message=lambda row: "run or attempt is not a whole number (run >= 0, attempt >= 1)",
        hint="write whole numbers, or leave attempt out to have attempts numbered",
    )
    return bad_attempt


def _whole(values: pd.Series) -> npt.NDArray[np.float64]:
    """Whole numbers as floats; NaN for missing, text or fractions."""
    if pd.api.types.is_integer_dtype(values.dtype) and not values.hasnans:
        return values.to_numpy(dtype=np.float64)
    number = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    finite = np.isfinite(number)
    whole = np.zeros(len(number), dtype=bool)
    whole[finite] = np.mod(number[finite], 1) == 0
    return np.where(whole, number, np.nan)


_NAT = np.iinfo(np.int64).min
_MAXI = np.iinfo(np.int64).max


def _ns(values: pd.Series) -> npt.NDArray[np.int64]:
    """A tz-aware column as int64 nanoseconds since the epoch (NaT as int64 min)."""
    naive = values.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    return np.asarray(naive.to_numpy().view(np.int64), dtype=np.int64)


def _from_ns(values: npt.NDArray[np.int64], index: pd.Index) -> pd.Series:
    stamps = np.asarray(values, dtype=np.int64).view("M8[ns]")
    return pd.Series(stamps, index=index).dt.tz_localize("UTC")


def _assemble(staged: Staged) -> EventLog:
    frame = staged.frame
    extras = [c for c in frame.columns if c not in COLUMNS and not str(c).startswith("_")]
    for col in ("release_id", "phase_id", "activity_id", "owner"):
        if col in frame.columns:
            frame[col] = _ids(frame[col])
    out = frame[[c for c in COLUMNS if c in frame.columns] + extras]
    rows = frame["_row"].to_numpy(dtype=np.int64)
    out["source_row"] = pd.array(rows, dtype="Int64")
    if (rows < 0).any():
        out.loc[rows < 0, "source_row"] = pd.NA
    staged.frame = out  # let the working frame go
    del frame
    return conform(out, source=staged.source, copy=False)


def _ids(values: pd.Series) -> pd.Series:
    """Identifiers as text: whole floats (Excel's 12.0) lose their ``.0``."""
    if pd.api.types.is_float_dtype(values.dtype):
        whole = values.dropna()
        if len(whole) and (whole % 1 == 0).all():
            return values.astype("Int64").astype("string")
    if values.dtype == object:
        return values.map(_id_text).astype("string")
    return values.astype("string")


def _id_text(value: object) -> str | None:
    """One identifier cell as text (None where missing); ``12.0`` reads ``12``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        if np.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
    if not _is_hashable(value):
        return repr(value)
    return str(value)


def finalise(log: EventLog, auditor: Auditor, staged: Staged, *, strict: bool) -> EventLog:
    """Raise for strict mode, else attach the audit and source to the log's attrs."""
    problems = auditor.problems()
    if strict and problems:
        raise LogError(problems, staged.source)
    log.attrs["audit"] = auditor.records()
    log.attrs["source"] = staged.source
    log.attrs["format"] = staged.format
    log.attrs["rows"] = {
        "read": int(staged.rows_read),
        "kept": len(log),
    }
    # whether the source says how things ended (a status column or lifecycle events);
    # without, every finished row reads "succeeded" and failure rates are unknown
    log.attrs["status_given"] = any(
        "status" in f or "_lifecycle" in f for f in staged.fields.values()
    )
    return log


def empty_reason(log: pd.DataFrame, *, named: bool = True) -> str:
    """Why a log read by ``read_log`` has nothing in it, naming its source (or, with
    ``named=False``, calling it "the log", for a message that gives the file apart).

    Examples
    --------
    >>> log = pd.DataFrame()
    >>> log.attrs.update(source="x.csv", rows={"read": 0, "kept": 0})
    >>> empty_reason(log)
    'x.csv holds no rows (a header only?)'
    """
    source = (log.attrs.get("source") if named else None) or "the log"
    rows = log.attrs.get("rows") or {}
    read = rows.get("read")
    if read == 0:
        return f"{source} holds no rows (a header only?)"
    if read is not None and rows.get("kept") == 0:
        return f"all {read} rows of {source} were dropped by the audit (see audit_table)"
    return f"{source} has no usable rows"


# --------------------------------------------------------------------------------------
# Public helper: audit a frame that is already canonical
# --------------------------------------------------------------------------------------


def audit_table(log: pd.DataFrame) -> pd.DataFrame:
    """The audit of a log read by :func:`phasesim.read_log`, as a DataFrame.

    ``log.attrs["audit"]`` holds it as plain records, which survive writing the log to
    Parquet and reading it back; this turns them into one row per rule with ``rule``,
    ``count``, ``action``, ``examples`` and ``description``. A log that was not read by
    ``read_log`` (e.g. a simulated one) gives an empty table.

    Examples
    --------
    >>> import pandas as pd
    >>> from phasesim import read_log
    >>> log = read_log(pd.DataFrame({"release_id": ["r1"], "phase_id": ["build"],
    ...     "start": ["2026-01-05T09:00Z"], "end": ["2026-01-05T10:00Z"]}))
    >>> audit_table(log).set_index("rule").loc["duplicate", "count"]
    np.int64(0)
    """
    records = log.attrs.get("audit")
    if isinstance(records, pd.DataFrame):
        return records.copy()
    table = pd.DataFrame(list(records or []), columns=list(AUDIT_COLUMNS))
    table["count"] = table["count"].astype("int64")
    return table


def audit_log(log: pd.DataFrame) -> pd.DataFrame:
    """Run the audit on a frame that already has canonical column names.

    The frame is not changed: this reports what :func:`phasesim.read_log` would count,
    fix or drop (rows are numbered by position, from 0). Use it on a simulated log or a
    frame built by hand.

    Parameters
    ----------
    log : pandas.DataFrame
        Columns as in the canonical schema; timestamps may be text or datetimes.

    Returns
    -------
    pandas.DataFrame
        One row per rule: ``rule``, ``count``, ``action``, ``examples``,
        ``description``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({
    ...     "release_id": ["r1", "r1"], "phase_id": ["build", "test"],
    ...     "start": ["2026-01-05T09:00Z", "2026-01-05T12:00Z"],
    ...     "end": ["2026-01-05T10:00Z", "2026-01-05T11:00Z"],
    ...     "status": ["succeeded", "succeeded"]})
    >>> audit = audit_log(frame)
    >>> int(audit.set_index("rule").loc["end_before_start", "count"])
    1
    """
    from phasesim.eventlog.read import read_log

    return audit_table(read_log(log))
