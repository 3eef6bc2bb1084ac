"""When releases start: a cadence, an explicit list, or random arrivals.

Forms accepted by :func:`parse_cadence`:

- ``"daily"``, ``"weekly"``, ``"biweekly"`` / ``"fortnightly"``, ``"monthly"``,
  ``"quarterly"``;
- ``"every 2w"``, ``"every 3d"``, ``"every 36h"`` (or without ``every``);
- a release-group mapping ``{freq: weekly, interval: 2, weekday: thursday,
  time: "09:00", timezone: Europe/Berlin}`` (``freq``: daily, weekly, monthly);
- a list of start datetimes;
- random arrivals ``{interarrival: <duration spec>}``, e.g.
  ``{interarrival: {exponential: {mean: 3d}}}`` for ad-hoc hotfix releases.

Periodic cadences step in the cadence's timezone (UTC by default), so a weekly release at
09:00 stays at 09:00 local time across daylight-saving changes. With a ``weekday`` (and
``time``), the first release starts at the first such moment at or after ``start``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from phasesim.calendars import Calendar, WeeklyAnchor, from_epoch_hours, to_epoch_hours
from phasesim.distributions import DurationSpec, parse_duration_spec
from phasesim.units import parse_duration

__all__ = ["Cadence", "parse_cadence"]

_NAMED = {
    "daily": ("daily", 1), "weekly": ("weekly", 1), "biweekly": ("weekly", 2),
    "fortnightly": ("weekly", 2), "monthly": ("monthly", 1), "quarterly": ("monthly", 3),
}
_EVERY = re.compile(r"^\s*(?:every\s+)?(\d+(?:\.\d+)?\s*[a-z]+(?:\s*\d+(?:\.\d+)?\s*[a-z]+)*)\s*$",
                    re.IGNORECASE)
_KEYS = ("freq", "interval", "weekday", "time", "timezone")


@dataclass(frozen=True)
class Cadence:
    """A rule for release start times; :meth:`starts` turns it into epoch hours."""

    freq: str  # daily, weekly, monthly, hours, list, random
    interval: float = 1.0
    weekday: int | None = None
    time: tuple[int, int] | None = None
    timezone: str = "UTC"
    times: tuple[float, ...] = ()
    interarrival: DurationSpec | None = None

    @property
    def is_random(self) -> bool:
        return self.freq == "random"

    def starts(self, n: int, start: float, uniforms: np.ndarray | None = None
               ) -> np.ndarray:
        """Start times (epoch hours, ascending) of ``n`` releases from ``start``.

        Random arrivals take ``n - 1`` uniform numbers in (0, 1), turned into the gaps
        between releases by the interarrival distribution's inverse CDF.
        """
        if self.freq == "list":
            times = np.array([t for t in self.times if t >= start - 1e-9])
            if len(times) < n:
                raise ValueError(f"the cadence lists {len(times)} start(s) at or after the "
                                 f"start, but {n} releases were asked for")
            return times[:n]
        if self.freq == "random":
            assert self.interarrival is not None and uniforms is not None
            gaps = self.interarrival.quantile(np.asarray(uniforms, dtype=float)[:n - 1])
            return start + np.concatenate([[0.0], np.cumsum(gaps)])
        first = self._first(start)
        if self.freq == "hours":
            return first + self.interval * np.arange(n)
        local = from_epoch_hours(first).tz_convert(self.timezone)
        step = {"daily": pd.DateOffset(days=int(self.interval)),
                "weekly": pd.DateOffset(weeks=int(self.interval)),
                "monthly": pd.DateOffset(months=int(self.interval))}[self.freq]
        out = np.empty(n)
        for i in range(n):
            out[i] = to_epoch_hours(local + step * i) if i else first
        return out

    def _first(self, start: float) -> float:
        if self.weekday is None and self.time is None:
            return start
        calendar = Calendar.always("cadence", self.timezone)
        hour, minute = self.time or (0, 0)
        if self.weekday is not None:
            return calendar.next_anchor_h(start, WeeklyAnchor(self.weekday, hour, minute))
        return min(calendar.next_anchor_h(start, WeeklyAnchor(d, hour, minute))
                   for d in range(7))


def parse_cadence(spec: object) -> Cadence:
    """Read a cadence (see the module docstring); ValueError says what was wrong.

    Examples
    --------
    >>> parse_cadence("every 2w")
    Cadence(freq='weekly', interval=2.0, weekday=None, time=None, timezone='UTC', times=(), interarrival=None)
    >>> parse_cadence({"freq": "weekly", "weekday": "thursday", "time": "09:00"}).weekday
    3
    """  # noqa: E501
    if isinstance(spec, Cadence):
        return spec
    if isinstance(spec, str):
        text = spec.strip().lower()
        if text in _NAMED:
            freq, interval = _NAMED[text]
            return Cadence(freq, float(interval))
        match = _EVERY.match(text)
        if match:
            try:
                hours = parse_duration(match.group(1))
            except ValueError as exc:
                raise ValueError(f"bad cadence {spec!r}: {exc}") from None
            if hours <= 0:
                raise ValueError(f"bad cadence {spec!r}: the interval must be positive")
            if hours % 168 == 0:
                return Cadence("weekly", hours / 168)
            if hours % 24 == 0:
                return Cadence("daily", hours / 24)
            return Cadence("hours", hours)
        raise ValueError(f"unknown cadence {spec!r}; use daily, weekly, biweekly, monthly, "
                         "'every 2w', a mapping {freq, interval, weekday, time, timezone}, a "
                         "list of start times, or {interarrival: <duration>}")
    if isinstance(spec, Mapping):
        return _from_mapping(spec)
    if isinstance(spec, (Sequence, np.ndarray | pd.Index | pd.Series)):
        try:
            times = sorted(to_epoch_hours(t) for t in spec)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"bad start time in the cadence list: {exc}") from None
        if not times:
            raise ValueError("the cadence list of start times is empty")
        return Cadence("list", times=tuple(times))
    raise ValueError(f"expected a cadence such as 'weekly', found {spec!r}")


def _from_mapping(spec: Mapping[str, Any]) -> Cadence:
    if "interarrival" in spec:
        extra = set(spec) - {"interarrival"}
        if extra:
            raise ValueError(f"random arrivals take only 'interarrival', found {sorted(extra)}")
        try:
            return Cadence("random", interarrival=parse_duration_spec(spec["interarrival"]))
        except ValueError as exc:
            raise ValueError(f"bad cadence interarrival: {exc}") from None
    unknown = set(spec) - set(_KEYS)
    if unknown:
        raise ValueError(f"unknown cadence key(s) {sorted(unknown)}; use {', '.join(_KEYS)} "
                         "or interarrival")
    freq = str(spec.get("freq", "weekly")).lower()
    if freq in _NAMED:
        freq, base = _NAMED[freq]
    else:
        raise ValueError(f"unknown cadence freq {freq!r}; use daily, weekly or monthly")
    interval = spec.get("interval", 1)
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise ValueError(f"cadence interval must be a whole number >= 1, found {interval!r}")
    weekday = None
    if spec.get("weekday") is not None:
        try:
            weekday = WeeklyAnchor.parse(str(spec["weekday"])).weekday
        except ValueError as exc:
            raise ValueError(f"bad cadence weekday: {exc}") from None
    time = None
    if spec.get("time") is not None:
        try:
            anchor = WeeklyAnchor.parse(f"Mon {spec['time']}")
        except ValueError as exc:
            raise ValueError(f"bad cadence time {spec['time']!r}: {exc}") from None
        time = (anchor.hour, anchor.minute)
    timezone = str(spec.get("timezone", "UTC"))
    try:
        Calendar("cadence", timezone)
    except ValueError as exc:
        raise ValueError(f"bad cadence timezone: {exc}") from None
    return Cadence(freq, float(interval * base), weekday, time, timezone)
