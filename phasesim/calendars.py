"""Working calendars: when manual work and approvals can advance.

Manual work and approval waits in a release advance only inside working hours: they pause
overnight, at weekends and on holidays. Automated work uses the wall clock. A
:class:`Calendar` answers the questions the simulator asks ("when do 6 working hours begun
now end?", "how many working hours lie between these two moments?", "when is the next
Thursday 12:00?", "is a production freeze on?").

Times come in two forms:

* **epoch hours** - float hours since 1970-01-01 00:00 UTC. The ``*_h`` methods take and
  return these; they are what the simulator calls, hundreds of thousands of times.
* **datetimes** - aware ``datetime`` or ``pandas.Timestamp`` (naive means UTC); the methods
  without ``_h`` wrap the float ones and return aware UTC ``pandas.Timestamp`` values,
  rounded to the millisecond (see :func:`from_epoch_hours`).

How it is fast: a calendar turns its weekly local windows into sorted working intervals in
UTC, one local calendar year at a time, when a query first needs that year (so 1990 or 2100
work too), and keeps the cumulative working time at each interval start. A query is then
one ``bisect`` plus arithmetic. Interval bounds and cumulative sums are kept as exact
integer microseconds, so an answer does not depend on which years happened to be built
before: the same query always returns the same float.

Semantics
---------
* Windows are local wall-clock times in the calendar's timezone. On a DST-change day a
  window's UTC bounds shift; a window that contains the change is an hour shorter (spring)
  or longer (autumn) in elapsed time. A wall time in a spring-forward gap maps to the moment
  after the gap, an ambiguous autumn wall time to its first occurrence (``fold=0``).
* A holiday removes all windows of that local day, including the after-midnight part of an
  overnight window that falls on it.
* Freezes do not remove working time; they only block starting production deployments, and
  the simulator asks :meth:`Calendar.freeze_end_h`.
* Working intervals are half-open ``[start, end)``: work that exactly fills a window ends at
  the window end (17:00), not the next morning. Work begun outside working time begins at
  the next window; adding 0 hours returns the start unchanged.
* ``working_hours_between(a, b)`` is negative when ``b < a`` (like
  :func:`numpy.busday_count`), so spans add up: ``between(a, b) + between(b, c) ==
  between(a, c)``.
* To absorb float noise, a result that would land within 4 microseconds after a window
  start snaps back to the previous window end, and a time at most 4 microseconds after a
  weekly anchor counts as on the anchor.
"""

from __future__ import annotations

import difflib
import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import numpy as np

if TYPE_CHECKING:  # pandas loads on first use: the engine's workers never need it
    import pandas as pd

__all__ = [
    "HORIZON",
    "HORIZON_H",
    "HORIZON_START",
    "HORIZON_START_H",
    "Calendar",
    "WeeklyAnchor",
    "from_epoch_hours",
    "parse_hours",
    "to_epoch_hours",
]

_US_PER_HOUR = 3_600_000_000
_US_PER_MINUTE = 60_000_000
_US_PER_DAY = 86_400_000_000
_SNAP_US = 4
_SNAP_H = _SNAP_US / _US_PER_HOUR
#: Remembered local midnights per calendar (random arrivals never repeat one).
_MIDNIGHT_MEMO = 4096
_INF = math.inf
_ONE_US = timedelta(microseconds=1)
_ONE_DAY = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.toordinal()
# Local years a calendar can build; one year of margin inside datetime's 1..9999.
_MIN_YEAR, _MAX_YEAR = 2, 9998

_DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_NAMES: dict[str, int] = {
    **{name: i for i, name in enumerate(_DAY_FULL)},
    **{name[:3]: i for i, name in enumerate(_DAY_FULL)},
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}
_DAY_GROUPS: dict[str, tuple[int, ...]] = {
    "daily": tuple(range(7)),
    "weekdays": tuple(range(5)),
    "weekends": (5, 6),
}
_ALWAYS_WORDS = frozenset({"24/7", "24x7", "always"})
_ALL_WEEK: tuple[tuple[int, float, float], ...] = tuple((d, 0.0, 24.0) for d in range(7))
_HOURS_EXAMPLE = "e.g. 'Mon-Fri 09:00-17:00' or 'Mon-Thu 09:00-17:00; Fri 09:00-13:00'"

_TIME_RE = re.compile(r"(\d{1,2})(?::(\d{2}))?")
_TOKEN_RE = re.compile(r"\s*(?:(?P<word>[A-Za-z]+)|(?P<time>\d+(?::\d+)?)|(?P<sym>[-–—,;]))")


# --------------------------------------------------------------------------------------
# Epoch hours <-> datetimes
# --------------------------------------------------------------------------------------

_UNIT_PER_HOUR = {"s": 3600, "ms": 3_600_000, "us": _US_PER_HOUR, "ns": 3_600_000_000_000}

#: The simulation horizon: simulated time (release starts, calendar dates, the end of every
#: activity) lies between these two moments (UTC), inside the range of pandas' nanosecond
#: timestamps (1677-09-21 to 2262-04-11). Work that would pass :data:`HORIZON` is cut there
#: and its release reported as aborted "beyond the simulation horizon".
HORIZON_START = datetime(1678, 1, 1, tzinfo=UTC)
HORIZON = datetime(2262, 1, 1, tzinfo=UTC)
#: The horizon in epoch hours.
HORIZON_START_H = ((HORIZON_START - _EPOCH_UTC) // _ONE_US) / _US_PER_HOUR
HORIZON_H = ((HORIZON - _EPOCH_UTC) // _ONE_US) / _US_PER_HOUR


def to_epoch_hours(t: datetime | pd.Timestamp | np.datetime64 | str) -> float:
    """Return a moment as float hours since 1970-01-01 00:00 UTC.

    Parameters
    ----------
    t : datetime, pandas.Timestamp, numpy.datetime64 or str
        An aware moment, or a naive one, which is taken as UTC. A string is parsed by
        :class:`pandas.Timestamp` (ISO 8601, with or without an offset).

    Returns
    -------
    float
        Epoch hours (UTC).

    Raises
    ------
    TypeError
        For a number, a bare ``date`` or any other type.
    ValueError
        For text that is not a moment, or NaT.

    Examples
    --------
    >>> to_epoch_hours("1970-01-02 06:00")
    30.0
    >>> to_epoch_hours("2026-01-12 10:00+01:00")
    491169.0
    """
    import pandas as pd

    if isinstance(t, str | np.datetime64):
        try:
            t = pd.Timestamp(t)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"expected a date and time such as '2026-01-12 09:00', found {t!r}"
            ) from exc
    if t is pd.NaT:
        raise ValueError("expected a date and time, found NaT")
    if isinstance(t, pd.Timestamp):
        # asm8 counts units of the Timestamp's resolution since the epoch: UTC for an aware
        # Timestamp, wall time (= UTC by our convention) for a naive one.
        return int(t.asm8.view("i8")) / _UNIT_PER_HOUR[t.unit]
    if isinstance(t, datetime):
        if t.tzinfo is None or t.utcoffset() is None:
            t = t.replace(tzinfo=UTC)
        return ((t - _EPOCH_UTC) // _ONE_US) / _US_PER_HOUR
    if isinstance(t, date):
        raise TypeError(f"expected a datetime, found the date {t!r}; add a time of day")
    raise TypeError(
        f"expected a datetime, pandas Timestamp or ISO string, found {type(t).__name__} {t!r}"
    )


def from_epoch_hours(h: float) -> pd.Timestamp:
    """Return epoch hours as an aware UTC :class:`pandas.Timestamp`.

    The result is rounded to the nearest millisecond, which removes float noise (an epoch
    hour in this century is exact to about half a microsecond) without losing the
    sub-second precision of short automated steps.

    Parameters
    ----------
    h : float
        Hours since 1970-01-01 00:00 UTC.

    Returns
    -------
    pandas.Timestamp
        Aware, in UTC, microsecond resolution.

    Examples
    --------
    >>> from_epoch_hours(491169.0)
    Timestamp('2026-01-12 09:00:00+0000', tz='UTC')
    >>> from_epoch_hours(10.999999999999)
    Timestamp('1970-01-01 11:00:00+0000', tz='UTC')
    """
    import pandas as pd

    if not math.isfinite(h):
        raise ValueError(f"expected finite epoch hours, found {h!r}")
    return pd.Timestamp(round(h * 3_600_000) * 1000, unit="us", tz="UTC")


# --------------------------------------------------------------------------------------
# Weekdays, times, weekly anchors
# --------------------------------------------------------------------------------------


def _weekday(word: str, where: str = "") -> int:
    """Return 0..6 for a weekday name (``Mon``, ``monday``, ``Thurs``; any case)."""
    index = _DAY_NAMES.get(word.lower())
    if index is not None:
        return index
    # Suggest the canonical spelling: an abbreviation for a short word, else a full name.
    short = [name.lower() for name in _DAY_ABBR]
    full = list(_DAY_FULL)
    first, second = (short, full) if len(word) <= 4 else (full, short)
    close = difflib.get_close_matches(word.lower(), first, n=1) or difflib.get_close_matches(
        word.lower(), second, n=1
    )
    hint = f" (did you mean {close[0].title()!r}?)" if close else " (expected Mon..Sun)"
    place = f" in {where!r}" if where else ""
    raise ValueError(f"unknown weekday {word!r}{place}{hint}")


def _minutes(token: str, allow_24: bool, where: str = "") -> int:
    """Return minutes after midnight for ``H``, ``HH``, ``H:MM`` or ``HH:MM``."""
    match = _TIME_RE.fullmatch(token)
    top = "24:00" if allow_24 else "23:59"
    if match is not None:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if minute < 60 and (hour < 24 or (allow_24 and hour == 24 and minute == 0)):
            return hour * 60 + minute
    place = f" in {where!r}" if where else ""
    raise ValueError(f"bad time {token!r}{place} (expected HH:MM from 00:00 to {top})")


@dataclass(frozen=True)
class WeeklyAnchor:
    """A weekday and a local time of day, such as ``Thu 12:00``.

    Used for weekly rhythms: "not before Monday 09:00", "fixes until Thursday noon".

    Attributes
    ----------
    weekday : int
        0 = Monday ... 6 = Sunday.
    hour : int
        0..23.
    minute : int
        0..59.

    Examples
    --------
    >>> WeeklyAnchor.parse("Thursday 12:00")
    WeeklyAnchor(weekday=3, hour=12, minute=0)
    >>> str(WeeklyAnchor.parse("mon 9:30"))
    'Mon 09:30'
    """

    weekday: int
    hour: int
    minute: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), found {self.weekday!r}")
        if not 0 <= self.hour <= 23:
            raise ValueError(f"hour must be 0..23, found {self.hour!r}")
        if not 0 <= self.minute <= 59:
            raise ValueError(f"minute must be 0..59, found {self.minute!r}")

    @classmethod
    def parse(cls, text: str) -> WeeklyAnchor:
        """Parse ``"Thu 12:00"``, ``"Thursday 12:00"``, ``"mon 9:00"`` or ``"Fri"`` (00:00).

        Parameters
        ----------
        text : str
            A weekday name (three letters or in full, any case), optionally followed by a
            time ``H``, ``HH``, ``H:MM`` or ``HH:MM`` from 00:00 to 23:59.

        Returns
        -------
        WeeklyAnchor

        Raises
        ------
        ValueError
            Naming the bad part, with a suggestion for a misspelt weekday.

        Examples
        --------
        >>> WeeklyAnchor.parse("Fri")
        WeeklyAnchor(weekday=4, hour=0, minute=0)
        >>> WeeklyAnchor.parse("Thr 12:00")
        Traceback (most recent call last):
        ...
        ValueError: unknown weekday 'Thr' in 'Thr 12:00' (did you mean 'Thu'?)
        """
        if not isinstance(text, str):
            raise ValueError(f"expected a weekly time such as 'Thu 12:00', found {text!r}")
        parts = text.split()
        if len(parts) not in (1, 2):
            raise ValueError(
                f"bad weekly time {text!r} (expected a weekday and a time such as 'Thu 12:00')"
            )
        weekday = _weekday(parts[0], text)
        minutes = _minutes(parts[1], False, text) if len(parts) == 2 else 0
        return cls(weekday, minutes // 60, minutes % 60)

    def __str__(self) -> str:
        return f"{_DAY_ABBR[self.weekday]} {self.hour:02d}:{self.minute:02d}"


# --------------------------------------------------------------------------------------
# Weekly working hours
# --------------------------------------------------------------------------------------


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos, end = 0, len(text.rstrip())
    while pos < end:
        match = _TOKEN_RE.match(text, pos)
        if match is None or match.end() == pos:
            bad = text[pos:].strip().split()[0]
            raise _hours_error(text, f"unexpected {bad!r}")
        kind = match.lastgroup or ""
        value = match.group(kind)
        tokens.append((kind, "-" if value in "–—" else value))
        pos = match.end()
    return tokens


def _hours_error(text: str, detail: str) -> ValueError:
    return ValueError(f"bad hours {text!r}: {detail}; expected {_HOURS_EXAMPLE}")


def _merge_minutes(windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def parse_hours(text: str) -> tuple[tuple[int, float, float], ...]:
    """Parse weekly working hours into ``(weekday, start_hour, end_hour)`` windows.

    Grammar (case-insensitive; spaces are free)::

        hours   := "24/7" | "always" | "" | group (SEP group)* [SEP]
        group   := days window+          windows may also be separated by ","
        days    := day ("," day)*        a day list: "Mon,Wed,Fri"
        day     := NAME | NAME "-" NAME | "daily" | "weekdays" | "weekends"
        window  := TIME "-" TIME         TIME is H, HH, H:MM or HH:MM; the end may be 24:00
        SEP     := ";" | ","

    A comma is unambiguous: followed by a weekday name it continues a day list (or, after
    a time, starts the next group); followed by a time it adds a window to the group. A day
    range may wrap around the week (``Fri-Mon``). A window whose end is before its start
    crosses midnight and is split: ``Fri 22:00-06:00`` gives Friday 22-24 and Saturday
    0-6. Overlapping or touching windows of a day are merged. An empty text gives no
    windows.

    Parameters
    ----------
    text : str
        Weekly hours in local time.

    Returns
    -------
    tuple of (int, float, float)
        ``(weekday, start_hour, end_hour)`` with 0 = Monday and
        ``0 <= start_hour < end_hour <= 24``, sorted by weekday and start.

    Raises
    ------
    ValueError
        Naming the bad part and the expected form.

    Examples
    --------
    >>> parse_hours("Mon-Tue 09:00-12:00 13:00-17:30")
    ((0, 9.0, 12.0), (0, 13.0, 17.5), (1, 9.0, 12.0), (1, 13.0, 17.5))
    >>> parse_hours("Mon,Wed 10:00-14:00; Sat 22:00-02:00")
    ((0, 10.0, 14.0), (2, 10.0, 14.0), (5, 22.0, 24.0), (6, 0.0, 2.0))
    >>> len(parse_hours("24/7"))
    7
    >>> parse_hours("Mon-Fry 09:00-17:00")
    Traceback (most recent call last):
    ...
    ValueError: bad hours 'Mon-Fry 09:00-17:00': unknown weekday 'Fry' (did you mean 'Fri'?); \
expected e.g. 'Mon-Fri 09:00-17:00' or 'Mon-Thu 09:00-17:00; Fri 09:00-13:00'
    """
    if not isinstance(text, str):
        raise ValueError(f"hours must be text {_HOURS_EXAMPLE}, found {text!r}")
    stripped = text.strip()
    if stripped.lower() in _ALWAYS_WORDS:
        return _ALL_WEEK
    if not stripped:
        return ()
    tokens = _tokenize(text)
    n = len(tokens)
    per_day: list[list[tuple[int, int]]] = [[] for _ in range(7)]

    def at(i: int) -> tuple[str, str]:
        return tokens[i] if i < n else ("end", "")

    def describe(i: int) -> str:
        return "the end" if i >= n else repr(tokens[i][1])

    i = 0
    while i < n:
        days: list[int] = []
        first_token = i
        while True:
            kind, word = at(i)
            if kind != "word":
                raise _hours_error(text, f"expected a weekday such as 'Mon', found {describe(i)}")
            i += 1
            group = _DAY_GROUPS.get(word.lower())
            try:
                if group is not None:
                    days.extend(group)
                elif at(i) == ("sym", "-") and at(i + 1)[0] == "word":
                    first, last = _weekday(word), _weekday(at(i + 1)[1])
                    days.extend((first + k) % 7 for k in range((last - first) % 7 + 1))
                    i += 2
                else:
                    days.append(_weekday(word))
            except ValueError as exc:
                raise _hours_error(text, str(exc)) from None
            if at(i) == ("sym", ",") and at(i + 1)[0] == "word":
                i += 1
                continue
            break
        count = 0
        while at(i)[0] == "time":
            if not (at(i + 1) == ("sym", "-") and at(i + 2)[0] == "time"):
                raise _hours_error(
                    text,
                    f"expected a time window such as '09:00-17:00' after {tokens[i][1]!r}, "
                    f"found {describe(i + 1)}",
                )
            try:
                start = _minutes(tokens[i][1], False)
                end = _minutes(tokens[i + 2][1], True)
            except ValueError as exc:
                raise _hours_error(text, str(exc)) from None
            if start == end:
                raise _hours_error(text, f"window '{tokens[i][1]}-{tokens[i + 2][1]}' is empty")
            for day in days:
                if end > start:
                    per_day[day].append((start, end))
                else:  # crosses midnight
                    per_day[day].append((start, 1440))
                    if end > 0:
                        per_day[(day + 1) % 7].append((0, end))
            i += 3
            count += 1
            if at(i) == ("sym", ",") and at(i + 1)[0] == "time":
                i += 1
        if count == 0:
            days_text = " ".join(value for _, value in tokens[first_token:i])
            raise _hours_error(text, f"days {days_text!r} have no time window, found {describe(i)}")
        if i < n:
            kind, value = tokens[i]
            if kind != "sym" or value not in ",;":
                raise _hours_error(text, f"expected ';' between groups, found {value!r}")
            i += 1
    return tuple(
        (day, start / 60, end / 60)
        for day in range(7)
        for start, end in _merge_minutes(per_day[day])
    )


# --------------------------------------------------------------------------------------
# Timezones and local dates
# --------------------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    """Return the zone, or raise ValueError with a did-you-mean suggestion."""
    if isinstance(name, str) and name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    names = {key.lower(): key for key in available_timezones()}
    close = difflib.get_close_matches(str(name).lower(), list(names), n=1)
    hint = f" (did you mean {names[close[0]]!r}?)" if close else " (expected an IANA name)"
    raise ValueError(f"unknown timezone {name!r}{hint}")


def _local_us(zone: ZoneInfo, day: date, minute: int) -> int:
    """Return UTC epoch microseconds of local wall time ``day`` + ``minute`` (fold=0)."""
    wall = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
    offset = wall.replace(tzinfo=zone).utcoffset() or timedelta(0)
    return (wall - _EPOCH) // _ONE_US - offset // _ONE_US


def _offset_us(zone: ZoneInfo, day: date) -> int:
    offset = datetime(day.year, day.month, day.day, tzinfo=zone).utcoffset() or timedelta(0)
    return offset // _ONE_US


def _as_date(value: object) -> date:
    if isinstance(value, datetime):  # includes pandas.Timestamp
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value.strip())
    raise ValueError(f"{value!r} is not a date")


# --------------------------------------------------------------------------------------
# The working-interval timeline
# --------------------------------------------------------------------------------------


class _Span:
    """An immutable snapshot of the working intervals of the local years lo..hi."""

    __slots__ = (
        "cov_hi",
        "cov_hi_us",
        "cov_lo",
        "cum",
        "ends",
        "ends_us",
        "hi",
        "lo",
        "starts",
        "starts_us",
    )

    def __init__(
        self,
        lo: int,
        hi: int,
        cov_lo_us: int,
        cov_hi_us: int,
        starts_us: list[int],
        ends_us: list[int],
    ) -> None:
        self.lo, self.hi = lo, hi
        self.cov_lo = cov_lo_us / _US_PER_HOUR
        self.cov_hi = cov_hi_us / _US_PER_HOUR
        self.cov_hi_us = cov_hi_us
        self.starts_us = starts_us
        self.ends_us = ends_us
        self.starts = [s / _US_PER_HOUR for s in starts_us]
        self.ends = [e / _US_PER_HOUR for e in ends_us]
        # cum[k] = working microseconds before interval k (from an arbitrary origin: only
        # differences are used, and integer differences are exact).
        self.cum = [0, *accumulate(e - s for s, e in zip(starts_us, ends_us, strict=True))]


def _pad(span: _Span) -> int:
    """Years to add when a span grows: a quarter of it, at least 1 and at most 10."""
    return min(10, max(1, (span.hi - span.lo + 1) // 4))


class _Timeline:
    """Lazily built working intervals of one calendar, in UTC epoch microseconds."""

    def __init__(
        self,
        zone: ZoneInfo,
        day_windows: tuple[tuple[tuple[int, int], ...], ...],
        holidays: frozenset[date],
    ) -> None:
        self.zone = zone
        self.day_windows = day_windows
        self.holidays = holidays
        self.weekly_us = sum(e - s for day in day_windows for s, e in day) * _US_PER_MINUTE
        self.years: dict[int, tuple[list[int], list[int]]] = {}
        self.span: _Span | None = None

    # -- building ------------------------------------------------------------------------

    def _year(self, year: int) -> tuple[list[int], list[int]]:
        chunk = self.years.get(year)
        if chunk is not None:
            return chunk
        zone, windows, holidays = self.zone, self.day_windows, self.holidays
        starts: list[int] = []
        ends: list[int] = []
        day = date(year, 1, 1)
        offset = _offset_us(zone, day)
        while day.year == year:
            following = day + _ONE_DAY
            next_offset = _offset_us(zone, following)
            todays = windows[day.weekday()]
            if todays and day not in holidays:
                base = (day.toordinal() - _EPOCH_ORDINAL) * _US_PER_DAY - offset
                for smin, emin in todays:
                    if offset == next_offset:  # no offset change today: plain arithmetic
                        s = base + smin * _US_PER_MINUTE
                        e = base + emin * _US_PER_MINUTE
                    else:
                        s = _local_us(zone, day, smin)
                        e = _local_us(zone, day, emin)
                    if e <= s:  # a window inside a spring-forward gap
                        continue
                    if ends and s <= ends[-1]:
                        ends[-1] = max(ends[-1], e)
                    else:
                        starts.append(s)
                        ends.append(e)
            day, offset = following, next_offset
        chunk = (starts, ends)
        self.years[year] = chunk
        return chunk

    def _build(self, lo: int, hi: int) -> _Span:
        starts: list[int] = []
        ends: list[int] = []
        for year in range(lo, hi + 1):
            ys, ye = self._year(year)
            if not ys:
                continue
            if ends and ys[0] <= ends[-1]:  # an interval running over New Year
                ends[-1] = max(ends[-1], ye[0])
                starts.extend(ys[1:])
                ends.extend(ye[1:])
            else:
                starts.extend(ys)
                ends.extend(ye)
        span = _Span(
            lo,
            hi,
            _local_us(self.zone, date(lo, 1, 1), 0),
            _local_us(self.zone, date(hi + 1, 1, 1), 0),
            starts,
            ends,
        )
        self.span = span
        return span

    def _local_year(self, t: float) -> int:
        if not math.isfinite(t):
            raise ValueError(f"expected finite epoch hours, found {t!r}")
        try:
            return (_EPOCH_UTC + timedelta(hours=t)).astimezone(self.zone).year
        except OverflowError:
            raise ValueError(
                f"epoch hours {t!r} lie outside the years {_MIN_YEAR}..{_MAX_YEAR}"
            ) from None

    def cover(self, t: float) -> _Span:
        """Return a span whose years include the moment ``t``."""
        span = self.span
        if span is not None and span.cov_lo <= t < span.cov_hi:
            return span
        year = self._local_year(t)
        if not _MIN_YEAR <= year <= _MAX_YEAR:
            raise ValueError(
                f"working time is only available for the years {_MIN_YEAR}..{_MAX_YEAR}, "
                f"asked for {year}"
            )
        if span is None:
            span = self._build(year, year)
        elif year < span.lo:
            span = self._build(max(_MIN_YEAR, min(year, span.lo - _pad(span))), span.hi)
        elif year > span.hi:
            span = self._build(span.lo, min(_MAX_YEAR, max(year, span.hi + _pad(span))))
        if not span.cov_lo <= t < span.cov_hi:
            # t is a rounding error away from New Year: take the neighbouring years too.
            span = self._build(max(_MIN_YEAR, span.lo - 1), min(_MAX_YEAR, span.hi + 1))
        return span

    def grow(self, span: _Span, hours: float = 0.0) -> _Span:
        """Return a span reaching further into the future (enough for ``hours`` more)."""
        current = self.span
        if current is not None and current.hi > span.hi and current.lo <= span.lo:
            return current
        if span.hi >= _MAX_YEAR:
            raise ValueError(f"no working time left before the end of the year {_MAX_YEAR}")
        weeks = hours * _US_PER_HOUR / self.weekly_us
        years = max(_pad(span), math.ceil(weeks / 52) + 1)
        return self._build(span.lo, min(span.hi + years, _MAX_YEAR))

    # -- queries -------------------------------------------------------------------------

    def is_working(self, t: float) -> bool:
        span = self.cover(t)
        k = bisect_right(span.starts, t) - 1
        return k >= 0 and t < span.ends[k]

    def next_working(self, t: float) -> float:
        span = self.cover(t)
        while True:
            ends = span.ends
            k = bisect_right(ends, t)
            if k == len(ends):
                span = self.grow(span)
                continue
            start = span.starts[k]
            return t if start <= t else start

    def add(self, t: float, hours: float) -> float:
        span = self.span
        if span is None or not span.cov_lo <= t < span.cov_hi:
            span = self.cover(t)
        while True:
            ends = span.ends
            n = len(ends)
            k = bisect_right(ends, t)
            if k == n:
                span = self.grow(span, hours)
                continue
            start = span.starts[k]
            if start < t:
                start = t
            end = ends[k]
            if hours <= end - start + _SNAP_H:
                # An interval ending at the edge of the built years may continue past it;
                # only then (result near that edge) do more years matter.
                if (
                    k == n - 1
                    and span.ends_us[k] == span.cov_hi_us
                    and (hours > end - start - _SNAP_H)
                ):
                    span = self.grow(span, hours)
                    continue
                result = start + hours
                return result if result < end else end
            # Crossing windows: exact integer microseconds from here on, so the answer
            # does not depend on which years are built.
            start_us = span.starts_us[k]
            if start == t:
                start_us = max(start_us, round(t * _US_PER_HOUR))
            cum = span.cum
            target = cum[k + 1] + round(hours * _US_PER_HOUR) - (span.ends_us[k] - start_us)
            m = bisect_left(cum, target - _SNAP_US, k + 2)
            j = m - 1
            if m == n + 1 or (
                j == n - 1 and span.ends_us[j] == span.cov_hi_us and target + _SNAP_US >= cum[n]
            ):
                span = self.grow(span, hours)
                continue
            result_us = span.starts_us[j] + target - cum[j]
            if result_us >= span.ends_us[j]:
                return span.ends[j]
            return result_us / _US_PER_HOUR

    @staticmethod
    def _worked_us(span: _Span, t: float) -> int:
        k = bisect_right(span.starts, t) - 1
        if k < 0:
            return span.cum[0]
        cum = span.cum
        x = round(t * _US_PER_HOUR) - span.starts_us[k]
        length = cum[k + 1] - cum[k]
        return cum[k] + (x if 0 < x < length else (0 if x <= 0 else length))

    def cover_both(self, a: float, b: float) -> _Span:
        span = self.span
        if span is not None and span.cov_lo <= a < span.cov_hi and span.cov_lo <= b < span.cov_hi:
            return span
        span = self.cover(a)
        if not span.cov_lo <= b < span.cov_hi:
            span = self.cover(b)
            if not span.cov_lo <= a < span.cov_hi:
                span = self.cover(a)
        return span

    def between(self, a: float, b: float) -> float:
        span = self.cover_both(a, b)
        return (self._worked_us(span, b) - self._worked_us(span, a)) / _US_PER_HOUR

    def intervals(self, a: float, b: float) -> np.ndarray:
        span = self.cover_both(a, b)
        lo = bisect_right(span.ends, a)
        hi = bisect_left(span.starts, b)
        out = np.column_stack(
            (np.asarray(span.starts[lo:hi], dtype=float), np.asarray(span.ends[lo:hi], dtype=float))
        ).reshape(-1, 2)
        if len(out):
            out[0, 0] = max(out[0, 0], a)
            out[-1, 1] = min(out[-1, 1], b)
        return out


# --------------------------------------------------------------------------------------
# Calendar
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    """Working hours, holidays and freezes in one timezone.

    Parameters
    ----------
    name : str
        The calendar's name, used in messages.
    timezone : str
        IANA timezone name, e.g. ``"Europe/Berlin"``.
    hours : str
        Weekly working hours in local time, see :func:`parse_hours`.
    holidays : tuple of datetime.date
        Whole local days off (ISO strings are accepted). Stored sorted and unique.
    freezes : tuple of (datetime.date, datetime.date)
        Inclusive local date ranges during which production deployments may not start.
        Stored sorted.

    Raises
    ------
    ValueError
        Listing every problem found: an unknown timezone (with a suggestion), bad hours, a
        holiday or freeze that is not a date, a freeze that ends before it starts, or no
        working hours at all.

    Notes
    -----
    The ``*_h`` methods work on float epoch hours (UTC) and are what the simulator calls;
    the others accept aware datetimes or Timestamps (naive = UTC) and return aware UTC
    Timestamps rounded to the millisecond. Working intervals are built lazily, one local
    year at a time, and cached on the instance (outside equality and hashing).

    Examples
    --------
    >>> cal = Calendar("office", "Europe/Berlin", "Mon-Fri 09:00-17:00",
    ...                holidays=(date(2026, 12, 25),))
    >>> cal.add_working_hours("2026-01-09 16:00+01:00", 2)  # Friday 16:00 Berlin
    Timestamp('2026-01-12 09:00:00+0000', tz='UTC')
    >>> cal.working_hours_between("2026-01-12 00:00+01:00", "2026-01-19 00:00+01:00")
    40.0
    """

    name: str
    timezone: str = "UTC"
    hours: str = "24/7"
    holidays: tuple[date, ...] = ()
    freezes: tuple[tuple[date, date], ...] = ()
    _timeline: _Timeline = field(init=False, repr=False, compare=False, hash=False)
    _always: bool = field(init=False, repr=False, compare=False, hash=False)
    _windows: tuple[tuple[int, float, float], ...] = field(
        init=False, repr=False, compare=False, hash=False
    )
    _freeze_starts: list[float] = field(init=False, repr=False, compare=False, hash=False)
    _freeze_ends: list[float] = field(init=False, repr=False, compare=False, hash=False)
    _anchor_memo: dict[WeeklyAnchor, list[float]] = field(
        init=False, repr=False, compare=False, hash=False
    )
    _midnight_memo: dict[tuple[float, int], float] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        problems: list[str] = []
        zone: ZoneInfo | None = None
        try:
            zone = _zone(self.timezone)
        except ValueError as exc:
            problems.append(str(exc))
        windows: tuple[tuple[int, float, float], ...] | None = None
        try:
            windows = parse_hours(self.hours)
        except ValueError as exc:
            problems.append(str(exc))
        holidays: set[date] = set()
        for item in _as_items(self.holidays):
            try:
                holidays.add(_as_date(item))
            except ValueError:
                problems.append(f"holiday {item!r} is not a date (expected YYYY-MM-DD)")
        freezes: list[tuple[date, date]] = []
        for item in _as_items(self.freezes):
            try:
                if isinstance(item, str) or not isinstance(item, Iterable):
                    raise ValueError(item)
                first, last = (_as_date(x) for x in item)
            except ValueError:
                problems.append(
                    f"freeze {item!r} is not a pair of dates "
                    "(expected e.g. ('2026-12-20', '2027-01-04'))"
                )
                continue
            if last < first:
                problems.append(f"freeze {first}..{last} ends before it starts")
            freezes.append((first, last))
        if problems:
            raise ValueError(f"calendar {self.name!r}: " + "; ".join(problems))
        assert zone is not None and windows is not None
        if not windows:
            raise ValueError(
                f"calendar {self.name!r} has no working hours (hours is {self.hours!r}; "
                f"give {_HOURS_EXAMPLE}, or '24/7')"
            )
        set_ = object.__setattr__
        set_(self, "_anchor_memo", {})
        set_(self, "_midnight_memo", {})
        set_(self, "holidays", tuple(sorted(holidays)))
        set_(self, "freezes", tuple(sorted(freezes)))
        per_day: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for day, start, end in windows:
            per_day[day].append((round(start * 60), round(end * 60)))
        day_windows = tuple(tuple(w) for w in per_day)
        set_(self, "_windows", windows)
        set_(self, "_always", windows == _ALL_WEEK and not holidays)
        set_(self, "_timeline", _Timeline(zone, day_windows, frozenset(holidays)))
        starts: list[float] = []
        ends: list[float] = []
        for first, last in self.freezes:
            s = _local_us(zone, first, 0) / _US_PER_HOUR
            e = _local_us(zone, last + _ONE_DAY, 0) / _US_PER_HOUR
            if ends and s <= ends[-1]:  # overlapping or touching freezes chain
                ends[-1] = max(ends[-1], e)
            else:
                starts.append(s)
                ends.append(e)
        set_(self, "_freeze_starts", starts)
        set_(self, "_freeze_ends", ends)

    @classmethod
    def always(cls, name: str = "24/7", timezone: str = "UTC") -> Calendar:
        """Return a calendar that is always open (the wall clock).

        Examples
        --------
        >>> Calendar.always().add_working_hours_h(100.0, 30.0)
        130.0
        """
        return cls(name, timezone, "24/7")

    # -- properties ----------------------------------------------------------------------

    @property
    def is_always_open(self) -> bool:
        """True when every hour of the week is working time and there are no holidays.

        Examples
        --------
        >>> Calendar("ops", hours="Mon-Sun 00:00-24:00").is_always_open
        True
        >>> Calendar("office", hours="Mon-Fri 09:00-17:00").is_always_open
        False
        """
        return self._always

    @property
    def windows(self) -> tuple[tuple[int, float, float], ...]:
        """The weekly windows ``(weekday, start_hour, end_hour)``, see :func:`parse_hours`.

        Examples
        --------
        >>> Calendar("office", hours="Mon 09:00-17:00").windows
        ((0, 9.0, 17.0),)
        """
        return self._windows

    @property
    def weekly_hours(self) -> float:
        """Nominal working hours per week (ignoring holidays and DST).

        Examples
        --------
        >>> Calendar("office", hours="Mon-Fri 09:00-17:00").weekly_hours
        40.0
        """
        return sum(end - start for _, start, end in self._windows)

    # -- float API (epoch hours, UTC) ----------------------------------------------------

    def is_working_h(self, t: float) -> bool:
        """Return whether the moment ``t`` (epoch hours) lies in working time.

        Windows are half-open: 17:00 is not working time in a 09:00-17:00 window.

        Examples
        --------
        >>> cal = Calendar("office", hours="Mon-Fri 09:00-17:00")
        >>> cal.is_working_h(9.0), cal.is_working_h(17.0)  # Thursday 1970-01-01
        (True, False)
        """
        if self._always:
            _check_finite(t)
            return True
        return self._timeline.is_working(t)

    def next_working_h(self, t: float) -> float:
        """Return ``t`` if it is working time, else the start of the next window.

        Examples
        --------
        >>> Calendar("office", hours="Mon-Fri 09:00-17:00").next_working_h(17.0)
        33.0
        """
        if self._always:
            _check_finite(t)
            return t
        return self._timeline.next_working(t)

    def add_working_hours_h(self, start: float, hours: float) -> float:
        """Return when ``hours`` working hours begun at ``start`` end (epoch hours).

        Work begun outside working time begins at the next window; work that exactly fills
        a window ends at the window's end. ``hours == 0`` returns ``start`` unchanged.

        Parameters
        ----------
        start : float
            Epoch hours (UTC).
        hours : float
            Working hours, finite and ``>= 0``.

        Returns
        -------
        float
            Epoch hours (UTC), never earlier than ``start``.

        Examples
        --------
        >>> cal = Calendar("office", hours="Mon-Fri 09:00-17:00")
        >>> cal.add_working_hours_h(16.0, 2.0)  # Thu 1970-01-01 16:00 -> Fri 10:00
        34.0
        """
        if not 0.0 <= hours < _INF:
            raise ValueError(f"hours must be finite and >= 0, found {hours!r}")
        if hours == 0.0:
            return start
        if self._always:
            _check_finite(start)
            return start + hours
        return self._timeline.add(start, hours)

    def working_hours_between_h(self, a: float, b: float) -> float:
        """Return the working hours inside ``[a, b]`` (epoch hours).

        Negative when ``b < a`` (``between(a, b) == -between(b, a)``, as with
        :func:`numpy.busday_count`), so that sums over consecutive spans add up.

        Examples
        --------
        >>> Calendar("office", hours="Mon-Fri 09:00-17:00").working_hours_between_h(0.0, 96.0)
        16.0
        """
        if self._always:
            _check_finite(a)
            _check_finite(b)
            return b - a
        return self._timeline.between(a, b)

    def next_anchor_h(self, t: float, anchor: WeeklyAnchor | str) -> float:
        """Return the first moment ``>= t`` that is ``anchor`` in the calendar's timezone.

        The anchor is a local weekday and time; holidays and working hours do not move it.
        ``t`` itself is returned when it is exactly on the anchor (or at most 4 microseconds
        after it, to absorb float noise). An anchor time inside a spring-forward gap maps to
        the moment after the gap.

        Examples
        --------
        >>> cal = Calendar("office", hours="Mon-Fri 09:00-17:00")
        >>> cal.next_anchor_h(0.0, WeeklyAnchor.parse("Fri 09:00"))  # from Thu 00:00
        33.0
        """
        if isinstance(anchor, str):
            anchor = WeeklyAnchor.parse(anchor)
        _check_finite(t)
        # anchors are about a week apart (an hour more or less across DST): a memo of two
        # years of consecutive anchors answers by binary search
        times = self._anchor_memo.get(anchor)
        if times is None:
            times = self._anchor_memo[anchor] = [self._next_anchor_slow(t, anchor)]
        if t - _SNAP_H < times[0] - 166.0:
            # extend backwards: consecutive anchors from the one at or after t
            before = [self._next_anchor_slow(t, anchor)]
            while before[-1] + 166.0 < times[0]:
                before.append(self._next_anchor_slow(before[-1] + 1.0, anchor))
            # anchors are at least 167 h apart, so the loop stops on times[0] itself
            times[:0] = before[:-1]
        while times[-1] < t - _SNAP_H:
            # extend forwards a year at a time
            for _ in range(52):
                times.append(self._next_anchor_slow(times[-1] + 1.0, anchor))
        return times[bisect_left(times, t - _SNAP_H)]

    def local_midnight_h(self, t: float, days: int = 0) -> float:
        """Return local 00:00 of the day ``days`` after the local day of ``t``.

        Examples
        --------
        >>> cal = Calendar("office", "Europe/Berlin")
        >>> t = cal.local_midnight_h(to_epoch_hours("2026-03-27 10:00+01:00"), 3)
        >>> t == to_epoch_hours("2026-03-30 00:00+02:00")  # Monday, after the DST change
        True
        """
        # a release train asks again for the same releases' days, run after run
        memo = self._midnight_memo
        hit = memo.get((t, days))
        if hit is not None:
            return hit
        _check_finite(t)
        zone = self._timeline.zone
        local = (_EPOCH_UTC + timedelta(microseconds=round(t * _US_PER_HOUR))).astimezone(zone)
        if len(memo) >= _MIDNIGHT_MEMO:
            memo.clear()
        out = memo[(t, days)] = \
            _local_us(zone, local.date() + timedelta(days=days), 0) / _US_PER_HOUR
        return out

    def _next_anchor_slow(self, t: float, anchor: WeeklyAnchor) -> float:
        zone = self._timeline.zone
        try:
            local = (_EPOCH_UTC + timedelta(microseconds=round(t * _US_PER_HOUR))).astimezone(zone)
        except OverflowError:
            raise ValueError(f"epoch hours {t!r} lie outside the supported years") from None
        day = local.date() + timedelta(days=(anchor.weekday - local.weekday()) % 7)
        minute = anchor.hour * 60 + anchor.minute
        while True:
            candidate = _local_us(zone, day, minute) / _US_PER_HOUR
            if candidate >= t - _SNAP_H:
                return candidate
            day += timedelta(days=7)

    def freeze_end_h(self, t: float) -> float | None:
        """Return the end of the freeze containing ``t``, or None outside every freeze.

        A freeze ``(first, last)`` covers local ``first 00:00`` up to (not including)
        ``last + 1 day 00:00``; freezes that overlap or touch are chained into one.

        Examples
        --------
        >>> cal = Calendar("office", freezes=((date(1970, 1, 1), date(1970, 1, 2)),))
        >>> cal.freeze_end_h(10.0), cal.freeze_end_h(48.0)
        (48.0, None)
        """
        _check_finite(t)
        k = bisect_right(self._freeze_starts, t) - 1
        if k >= 0 and t < self._freeze_ends[k]:
            return self._freeze_ends[k]
        return None

    def working_intervals_h(self, a: float, b: float) -> np.ndarray:
        """Return the working intervals inside ``[a, b]`` as an ``(n, 2)`` array of epoch hours.

        The first and last intervals are clipped to ``a`` and ``b``; useful for shading
        working time in plots.

        Examples
        --------
        >>> Calendar("office", hours="Mon-Fri 09:00-17:00").working_intervals_h(0.0, 48.0)
        array([[ 9., 17.],
               [33., 41.]])
        """
        if self._always:
            _check_finite(a)
            _check_finite(b)
            return np.array([[a, b]]) if b > a else np.empty((0, 2))
        return self._timeline.intervals(a, b)

    # -- datetime API --------------------------------------------------------------------

    def is_working(self, t: datetime | pd.Timestamp | str) -> bool:
        """Datetime form of :meth:`is_working_h`.

        Examples
        --------
        >>> Calendar("office", "Europe/Berlin", "Mon-Fri 09:00-17:00").is_working(
        ...     "2026-01-12 08:30Z")
        True
        """
        return self.is_working_h(to_epoch_hours(t))

    def next_working(self, t: datetime | pd.Timestamp | str) -> pd.Timestamp:
        """Datetime form of :meth:`next_working_h`.

        Examples
        --------
        >>> Calendar("office", "Europe/Berlin", "Mon-Fri 09:00-17:00").next_working(
        ...     "2026-01-10 12:00+01:00")  # a Saturday
        Timestamp('2026-01-12 08:00:00+0000', tz='UTC')
        """
        return from_epoch_hours(self.next_working_h(to_epoch_hours(t)))

    def add_working_hours(
        self, start: datetime | pd.Timestamp | str, hours: float | timedelta
    ) -> pd.Timestamp:
        """Datetime form of :meth:`add_working_hours_h`; ``hours`` may be a timedelta.

        Examples
        --------
        >>> cal = Calendar("office", "Europe/Berlin", "Mon-Fri 09:00-17:00")
        >>> cal.add_working_hours("2026-01-12 09:00+01:00", 16).tz_convert("Europe/Berlin")
        Timestamp('2026-01-13 17:00:00+0100', tz='Europe/Berlin')
        """
        if isinstance(hours, timedelta):
            hours = hours / timedelta(hours=1)
        return from_epoch_hours(self.add_working_hours_h(to_epoch_hours(start), float(hours)))

    def working_hours_between(
        self, a: datetime | pd.Timestamp | str, b: datetime | pd.Timestamp | str
    ) -> float:
        """Datetime form of :meth:`working_hours_between_h`.

        Examples
        --------
        >>> cal = Calendar("office", "Europe/Berlin", "Mon-Fri 09:00-17:00")
        >>> cal.working_hours_between("2026-01-09 16:00+01:00", "2026-01-12 10:00+01:00")
        2.0
        """
        return self.working_hours_between_h(to_epoch_hours(a), to_epoch_hours(b))

    def next_anchor(
        self, t: datetime | pd.Timestamp | str, anchor: WeeklyAnchor | str
    ) -> pd.Timestamp:
        """Datetime form of :meth:`next_anchor_h`.

        Examples
        --------
        >>> cal = Calendar("office", "America/Los_Angeles", "Mon-Fri 09:00-17:00")
        >>> cal.next_anchor("2026-03-03 10:00-08:00", "Thu 12:00")
        Timestamp('2026-03-05 20:00:00+0000', tz='UTC')
        """
        return from_epoch_hours(self.next_anchor_h(to_epoch_hours(t), anchor))

    def freeze_end(self, t: datetime | pd.Timestamp | str) -> pd.Timestamp | None:
        """Datetime form of :meth:`freeze_end_h`.

        Examples
        --------
        >>> cal = Calendar("office", "Europe/Berlin",
        ...                freezes=((date(2026, 12, 20), date(2027, 1, 4)),))
        >>> cal.freeze_end("2026-12-24 10:00+01:00")
        Timestamp('2027-01-04 23:00:00+0000', tz='UTC')
        """
        end = self.freeze_end_h(to_epoch_hours(t))
        return None if end is None else from_epoch_hours(end)


def _as_items(value: object) -> Iterable[object]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        return (value,)
    return value


def _check_finite(t: float) -> None:
    if not -_INF < t < _INF:
        raise ValueError(f"expected finite epoch hours, found {t!r}")
