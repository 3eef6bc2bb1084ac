"""Tables of the HTML report made for people: human column names with units, one time
unit for the whole report, intervals beside their value, percentages, a row limit that
says how many more rows there are, and a wrapper that scrolls when a table is wider
than the page."""

from __future__ import annotations

import html
import re
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
    "MAX_ROWS", "column_label", "percent", "present", "report_unit", "table_html", "with_unit",
]

#: Rows a report table shows before it says "and N more".
MAX_ROWS = 25

#: Column names in words; ``{u}`` is the report's time unit.
LABELS = {
    "run": "run",
    "release_id": "release",
    "phase_id": "phase",
    "activity_id": "activity",
    "rank": "rank (range)",
    "releases": "releases",
    "on_path_rate": "on the critical path (share of releases)",
    "critical_h_mean": "time on the critical path, mean ({u})",
    "wait_h_mean": "of which waiting, mean ({u})",
    "critical_share": "share of lead time",
    "wait_share": "of which waiting",
    "var_share": "share of lead-time variance",
    "count": "executions",
    "mean_h": "mean ({u})",
    "median_h": "median ({u})",
    "p90_h": "P90 ({u})",
    "std_h": "std. dev. ({u})",
    "iqr_h": "IQR ({u})",
    "wait_mean_h": "wait, mean ({u})",
    "wait_median_h": "wait, median ({u})",
    "failure_rate": "failure rate",
    "retry_rate": "retry rate",
    "rework_rate": "rework rate",
    "lead_share": "share of lead time",
    "period": "period",
    "days": "days in period",
    "releases_per_week": "releases per week",
    "lead_time_median_h": "lead time, median ({u})",
    "lead_time_p90_h": "lead time, P90 ({u})",
    "change_failures": "change failures",
    "change_failure_rate": "change failure rate",
    "hotfix_releases": "hotfix releases",
    "restores": "restores",
    "time_to_restore_median_h": "time to restore, median ({u})",
    "top": "top bottleneck",
    "planned": "releases with a plan",
    "end_slip_mean_h": "end slip, mean ({u})",
    "slip_added_mean_h": "slip added, mean ({u})",
    "took_most_slip": "took the most slip (releases)",
    "rule": "rule",
    "action": "action",
    "examples": "examples",
    "description": "what it means",
}

_UNIT_WORDS = {"d": "days", "h": "hours", "min": "minutes"}
_UNIT_HOURS = {"d": 24.0, "h": 1.0, "min": 1 / 60}
Unit = Literal["d", "h", "min"]


def report_unit(median_lead_h: float) -> Unit:
    """The time unit of a report: days when the median lead time is two days or more,
    minutes when it is under two hours (CI pipelines), else hours.

    >>> report_unit(72.0), report_unit(5.0), report_unit(0.5), report_unit(float("nan"))
    ('d', 'h', 'min', 'h')
    """
    if median_lead_h != median_lead_h:
        return "h"
    return "d" if median_lead_h >= 48 else "h" if median_lead_h >= 2 else "min"


def with_unit(hours: float, unit: str) -> str:
    """A duration in the report's unit: ``"3.2 days"`` or ``"5.0 h"``; ``"n/a"`` for NaN.

    >>> with_unit(36.0, "d"), with_unit(1.25, "h"), with_unit(0.25, "min")
    ('1.5 days', '1.2 h', '15.0 min')
    >>> with_unit(float("nan"), "d")
    'n/a'
    """
    if hours != hours:
        return "n/a"
    suffix = {"d": " days", "h": " h", "min": " min"}[unit]
    return f"{_num(hours / _UNIT_HOURS[unit], 1)}{suffix}"


def _num(value: float, digits: int) -> str:
    text = f"{value:,.{digits}f}"
    return text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text


def column_label(name: str, unit: Unit) -> str:
    """A column's name in words, with the unit of hours columns.

    >>> column_label("mean_h", "d"), column_label("queue_wait_h", "h")
    ('mean (days)', 'queue wait (hours)')
    """
    words = _UNIT_WORDS[unit]
    if name in LABELS:
        return LABELS[name].format(u=words)
    if re.search(r"(^|_)h($|_)", name):
        base = re.sub(r"(^|_)h($|_)", " ", name).replace("_", " ").strip()
        return f"{base} ({words})"
    return name.replace("_", " ")


def _is_share(name: str) -> bool:
    return name.endswith(("_share", "_rate")) and name != "releases_per_week"


def present(frame: pd.DataFrame, unit: Unit, *, digits: int | None = None,
            labels: dict[str, str] | None = None) -> pd.DataFrame:
    """A table for reading: hours columns in ``unit``, shares and rates as percentages,
    ``X_low``/``X_high`` beside ``X`` as "34% (30–38%)", ``rank_low``/``rank_high`` as
    "2 (1–3)", ``small_sample`` as a "*" on the first column, dates as dates, every
    number without "-0.00"; columns named in words (:func:`column_label`).

    >>> t = pd.DataFrame({"phase_id": ["qa"], "rank": [1], "rank_low": [1],
    ...     "rank_high": [2], "critical_share": [0.5], "critical_share_low": [0.25],
    ...     "critical_share_high": [0.75], "mean_h": [36.0], "small_sample": [True]})
    >>> present(t, "d").iloc[0].tolist()
    ['qa *', '1 (1–2)', '50% (25% to 75%)', '1.50']
    """
    scale = _UNIT_HOURS[unit]
    digits = digits if digits is not None else (2 if unit == "d" else 1)
    out: dict[str, pd.Series] = {}
    cols = list(frame.columns)
    skip = {c for c in cols if c.endswith(("_low", "_high")) and c.rsplit("_", 1)[0] in cols}
    skip |= {"small_sample", "top_changed"}
    for col in cols:
        if col in skip:
            continue
        values = frame[col]
        low, high = frame.get(f"{col}_low"), frame.get(f"{col}_high")
        if col == "rank":
            out[col] = pd.Series([_rank(v, lo, hi) for v, lo, hi in zip(
                values, low if low is not None else [None] * len(values),
                high if high is not None else [None] * len(values), strict=True)],
                index=frame.index, dtype=object)
        elif _is_share(col) and pd.api.types.is_numeric_dtype(values):
            out[col] = pd.Series([_pct(v, lo, hi) for v, lo, hi in zip(
                values, low if low is not None else [np.nan] * len(values),
                high if high is not None else [np.nan] * len(values), strict=True)],
                index=frame.index, dtype=object)
        elif re.search(r"(^|_)h($|_)", col) and pd.api.types.is_numeric_dtype(values):
            out[col] = values.astype(float).map(
                lambda v: "" if v != v else _num(v / scale, digits))
        elif isinstance(values.dtype, pd.DatetimeTZDtype):
            midnight = bool((values.dropna().dt.strftime("%H:%M") == "00:00").all())
            out[col] = values.dt.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M")
        elif pd.api.types.is_bool_dtype(values):
            out[col] = values.map({True: "yes", False: ""})
        elif pd.api.types.is_integer_dtype(values):
            out[col] = values.map(lambda v: "" if pd.isna(v) else f"{int(v):,}")
        elif pd.api.types.is_float_dtype(values):
            places = 0 if bool(np.all(np.mod(values.dropna().to_numpy(), 1) == 0)) else 2
            out[col] = values.map(lambda v, p=places: "" if v != v else _num(v, p))
        else:
            out[col] = values.map(_cell)
    table = pd.DataFrame(out, index=frame.index)
    if "small_sample" in frame.columns and len(table.columns):
        first = table.columns[0]
        marks = frame["small_sample"].to_numpy(dtype=bool)
        table[first] = [f"{v} *" if m else str(v) for v, m in zip(table[first], marks,
                                                                   strict=True)]
    with_interval = {c for c in table.columns if f"{c}_low" in frame.columns}
    table.columns = [
        (labels or {}).get(c) or column_label(c, unit)
        + (" (95% interval)" if c in with_interval and c != "rank" else "")
        for c in table.columns
    ]
    return table.reset_index(drop=True)


def _rank(value: Any, low: Any, high: Any) -> str:
    if value is None or pd.isna(value):
        return ""
    text = f"{int(value)}"
    known = low is not None and high is not None and not pd.isna(low) and not pd.isna(high)
    if known and int(low) != int(high):
        text += f" ({int(low)}–{int(high)})"
    return text


def percent(value: float) -> str:
    """A share as a percentage: whole percents, one decimal under 10%.

    >>> percent(0.237), percent(0.004), percent(-0.0001), percent(float("nan"))
    ('24%', '0.4%', '0.0%', 'n/a')
    """
    if value != value:
        return "n/a"
    return f"{_num(100 * value, 1 if abs(value) < 0.1 else 0)}%"


def _pct(value: float, low: float, high: float) -> str:
    if value != value:
        return ""
    text = percent(value)
    if low == low and high == high:
        text += f" ({percent(low)} to {percent(high)})"
    return text


def _cell(value: object) -> object:
    if isinstance(value, list | tuple | np.ndarray):
        items = list(value)
        more = f" and {len(items) - 5} more" if len(items) > 5 else ""
        return ", ".join(str(v) for v in items[:5]) + more
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return value


def table_html(frame: pd.DataFrame, unit: Unit, *, max_rows: int = MAX_ROWS,
               what: str = "rows", digits: int | None = None,
               labels: dict[str, str] | None = None) -> str:
    """An escaped HTML table in a scrolling wrapper, at most ``max_rows`` rows, then
    "and N more <what> not shown"."""
    shown = present(frame.head(max_rows), unit, digits=digits, labels=labels)
    text = shown.to_html(index=False, escape=True, na_rep="", border=0)
    out = f'<div class="scroll">{text}</div>'
    if len(frame) > max_rows:
        out += (f'<p class="note">The first {max_rows} of {len(frame):,} {html.escape(what)}'
                f"; and {len(frame) - max_rows:,} more not shown.</p>")
    return out
