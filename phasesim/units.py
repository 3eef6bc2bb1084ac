"""Durations as text (``"45m"``, ``"4h"``, ``"2d"``, ``"1w"``) and as float hours.

phasesim measures every duration in hours. A bare number means hours. The units are
``s``, ``m``/``min``, ``h``, ``d`` (24 h) and ``w`` (168 h); several may be combined, as
in ``"1d 4h"`` or ``"1h30m"``.
"""

from __future__ import annotations

import math
import re

__all__ = ["UNIT_HOURS", "format_hours", "parse_duration"]

UNIT_HOURS: dict[str, float] = {
    "s": 1 / 3600,
    "sec": 1 / 3600,
    "m": 1 / 60,
    "min": 1 / 60,
    "h": 1.0,
    "hr": 1.0,
    "d": 24.0,
    "w": 168.0,
}

_PART = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]+)\s*")


def parse_duration(value: object) -> float:
    """Return a duration in hours.

    Parameters
    ----------
    value : str, int or float
        ``"45m"``, ``"4h"``, ``"2d"``, ``"1w"``, ``"1d 4h"``, or a number of hours.

    Raises
    ------
    ValueError
        For an unknown unit, a negative value, or text that is not a duration; the
        message says what was found.

    Examples
    --------
    >>> parse_duration("45m")
    0.75
    >>> parse_duration("1d 4h")
    28.0
    >>> parse_duration(2)
    2.0
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as '4h', found {value!r}")
    if isinstance(value, int | float):
        hours = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            hours = float(text)
        except ValueError:
            hours = _parse_text(text)
    else:
        raise ValueError(f"expected a duration such as '4h', found {value!r}")
    if math.isnan(hours) or math.isinf(hours):
        raise ValueError(f"a duration must be finite, found {value!r}")
    if hours < 0:
        raise ValueError(f"a duration cannot be negative, found {value!r}")
    return hours


def _parse_text(text: str) -> float:
    if text.startswith("-"):
        raise ValueError(f"a duration cannot be negative, found {text!r}")
    pos, total = 0, 0.0
    if not text:
        raise ValueError("expected a duration such as '4h', found an empty text")
    while pos < len(text):
        match = _PART.match(text, pos)
        if match is None:
            raise ValueError(
                f"expected a duration such as '45m', '4h', '2d' or '1w', found {text!r}"
            )
        number, unit = match.groups()
        factor = UNIT_HOURS.get(unit.lower())
        if factor is None:
            raise ValueError(
                f"unknown unit {unit!r} in {text!r}; use s, m, h, d or w"
            )
        total += float(number) * factor
        pos = match.end()
    return total


def format_hours(hours: float) -> str:
    """Format hours as the shortest exact duration text, e.g. ``"45m"`` or ``"2d"``.

    Examples
    --------
    >>> format_hours(0.75)
    '45m'
    >>> format_hours(48)
    '2d'
    >>> format_hours(1.5)
    '90m'
    """
    if hours == 0:
        return "0h"
    for unit, factor in (("w", 168.0), ("d", 24.0), ("h", 1.0), ("m", 1 / 60)):
        count = hours / factor
        if abs(count - round(count)) < 1e-9 * max(1.0, abs(count)):
            return f"{round(count)}{unit}"
    return f"{hours:g}h"
