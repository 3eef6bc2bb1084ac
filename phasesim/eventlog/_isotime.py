"""A strict, compiled reader of the one timestamp spelling most logs use.

``YYYY-MM-DD`` ``T`` (or a space) ``HH:MM:SS``, optional ``.`` and 1 to 9 digits of
fractional seconds, then ``Z`` or an offset ``+HH:MM`` / ``-HH:MM``: read straight from
the bytes of a pyarrow string array by a numba loop, with every field checked (month
1-12, day within its month with Gregorian leap years, hour 0-23, minute and second 0-59,
offset hours 0-23 and minutes 0-59, year 1678-2261 so that the UTC instant is within
pandas' nanosecond range).

It is only a fast path: a cell it does not accept (any other spelling, blanks, a bad
field) is flagged, and :func:`phasesim.eventlog.audit.parse_timestamps` reads the
flagged cells as before. So what is accepted and what each cell reads as does not change;
``tests/test_isotime.py`` checks that every cell accepted here reads the same by the
general path, over many valid and invalid spellings.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

#: ``code`` of a cell the fast path does not read (blank, missing, other spelling, bad).
REJECTED = -1


@njit(cache=True)
def _digits(data: Any, i: int, n: int) -> int:
    """The number written by ``n`` ASCII digits from ``data[i]``, or -1."""
    value = 0
    for k in range(i, i + n):
        d = data[k] - 48
        if d < 0 or d > 9:
            return -1
        value = value * 10 + d
    return value


@njit(cache=True)
def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a Gregorian date (H. Hinnant's algorithm)."""
    if m <= 2:
        y -= 1
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    mp = m - 3 if m > 2 else m + 9
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@njit(cache=True)
def _parse(data: Any, offsets: Any, valid: Any, ns: Any, code: Any) -> int:
    """Fill ``ns`` (UTC nanoseconds) and ``code`` (the offset as ``sign * 10000 + HH * 100
    + MM`` with sign 1 for ``-``, 0 for ``Z``; ``REJECTED`` where not read); return the
    number of cells read."""
    month_days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    count = 0
    for r in range(len(ns)):
        code[r] = -1
        ns[r] = 0
        if not valid[r]:
            continue
        i = offsets[r]
        end = offsets[r + 1]
        if end - i < 20:
            continue
        year = _digits(data, i, 4)
        if year < 1678 or year > 2261 or data[i + 4] != 45:  # "-"
            continue
        month = _digits(data, i + 5, 2)
        if month < 1 or month > 12 or data[i + 7] != 45:
            continue
        day = _digits(data, i + 8, 2)
        limit = month_days[month - 1]
        if month == 2 and (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
            limit = 29
        if day < 1 or day > limit:
            continue
        sep = data[i + 10]
        if sep != 84 and sep != 32:  # "T" or " "
            continue
        hour = _digits(data, i + 11, 2)
        if hour < 0 or hour > 23 or data[i + 13] != 58:  # ":"
            continue
        minute = _digits(data, i + 14, 2)
        if minute < 0 or minute > 59 or data[i + 16] != 58:
            continue
        second = _digits(data, i + 17, 2)
        if second < 0 or second > 59:
            continue
        j = i + 19
        frac = 0
        if data[j] == 46:  # "."
            j += 1
            width = 0
            while j < end and width < 10 and 48 <= data[j] <= 57:
                frac = frac * 10 + (data[j] - 48)
                j += 1
                width += 1
            if width == 0 or width > 9:
                continue
            for _ in range(9 - width):
                frac *= 10
        rest = end - j
        if rest == 1 and data[j] == 90:  # "Z"
            off_min = 0
            label = 0
        elif rest == 6 and (data[j] == 43 or data[j] == 45) and data[j + 3] == 58:
            oh = _digits(data, j + 1, 2)
            om = _digits(data, j + 4, 2)
            if oh < 0 or oh > 23 or om < 0 or om > 59:
                continue
            off_min = oh * 60 + om
            label = oh * 100 + om
            if data[j] == 45:
                off_min = -off_min
                label += 10000
        else:
            continue
        days = _days_from_civil(year, month, day)
        seconds = days * 86400 + hour * 3600 + minute * 60 + second - off_min * 60
        ns[r] = seconds * 1_000_000_000 + frac
        code[r] = label
        count += 1
    return count


def label_of(code: int) -> str:
    """The offset label (as ``parse_timestamps`` names offsets) of a ``code``."""
    sign = "-" if code >= 10000 else "+"
    hhmm = code % 10000
    return f"{sign}{hhmm // 100:02d}:{hhmm % 100:02d}"


def parse_arrow(
    chunks: Any,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    """Read the cells of a pyarrow string (or large string) ChunkedArray or Array.

    Returns UTC nanoseconds and offset codes per cell (:data:`REJECTED` where the cell
    is not in the one spelling; its nanoseconds are then 0 and mean nothing).
    """
    import pyarrow as pa

    arrays = chunks.chunks if isinstance(chunks, pa.ChunkedArray) else [chunks]
    n = sum(len(a) for a in arrays)
    ns = np.zeros(n, dtype=np.int64)
    code = np.full(n, REJECTED, dtype=np.int32)
    at = 0
    for arr in arrays:
        m = len(arr)
        if m == 0:
            continue
        _validity, off_buf, data_buf = arr.buffers()
        wide = pa.types.is_large_string(arr.type)
        offsets = np.frombuffer(off_buf, dtype=np.int64 if wide else np.int32)
        offsets = offsets[arr.offset: arr.offset + m + 1].astype(np.int64)
        data = (np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None
                else np.zeros(0, dtype=np.uint8))
        if len(data) < int(offsets[-1]) + 1:  # room for the one-past-the-end peeks
            data = np.concatenate([data, np.zeros(32, dtype=np.uint8)])
        valid = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
        _parse(data, offsets, valid, ns[at: at + m], code[at: at + m])
        at += m
    return ns, code
