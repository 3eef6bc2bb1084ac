"""Durations as text (``"45m"``, ``"4h"``, ``"2d"``, ``"1w"``) and as float hours.

phasesim measures every duration in hours. A bare number means hours. The units are
``s``/``sec``, ``m``/``min``, ``h``/``hr``, ``d`` (24 h) and ``w`` (168 h); several may
be combined, as in ``"1d 4h"`` or ``"1h30m"``. No duration may exceed
:data:`MAX_DURATION_H` (about 114 years): a longer one (``1e308``) is refused instead of
overflowing the simulation clock.
"""

from __future__ import annotations

import math
import numbers
import re

import numpy as np

__all__ = ["MAX_DURATION_H", "UNIT_HOURS", "format_hours", "format_number", "parse_duration"]

#: Longest duration accepted, in hours: a million hours, about 114 years.
MAX_DURATION_H = 1_000_000.0

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

#: The accepted units, for messages: every key of :data:`UNIT_HOURS`.
_UNITS_TEXT = "s/sec (seconds), m/min (minutes), h/hr (hours), d (24 h) or w (168 h)"

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
        For an unknown unit, a negative value, a value over :data:`MAX_DURATION_H`, or
        text that is not a duration; the message says what was found.

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
    if isinstance(value, numbers.Real):
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
    if hours > MAX_DURATION_H:
        raise ValueError(f"a duration cannot exceed {MAX_DURATION_H:,.0f}h (about 114 "
                         f"years), found {value!r}")
    return hours + 0.0  # -0.0 -> 0.0


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
                f"unknown unit {unit!r} in {text!r}; use {_UNITS_TEXT}"
            )
        total += float(number) * factor
        pos = match.end()
    return total


def format_hours(hours: float) -> str:
    """Format hours as the shortest exact duration text, e.g. ``"45m"`` or ``"2d"``.

    The text always reads back (with :func:`parse_duration`) as exactly the same float:
    whole weeks, days, hours, minutes or seconds where they are exact, else the shortest
    decimal hours that round-trip.

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
    for unit, per_hour in (("w", 1 / 168), ("d", 1 / 24), ("h", 1.0), ("m", 60.0),
                           ("s", 3600.0)):
        count = hours * per_hour
        whole = round(count)
        if whole >= 1 and abs(count - whole) < 1e-9 * whole:
            text = f"{whole}{unit}"
            if parse_duration(text) == hours:
                return text
    return np.format_float_positional(hours, trim="-") + "h"


def format_number(value: float, spec: str = ".2f") -> str:
    """Format a number for a table or a label, never as ``-0.00``.

    A value that the format rounds to zero is written as a plain zero, whatever its
    sign (float noise such as ``-1e-17`` from a subtraction, or ``-0.0``).

    Examples
    --------
    >>> format_number(-1e-17), format_number(-0.004), format_number(-0.006)
    ('0.00', '0.00', '-0.01')
    >>> format_number(-0.0001, ".0%"), format_number(-0.00001, ",.3g")
    ('0%', '-1e-05')
    >>> format_number(-0.001, "+.2f"), format_number(0.5, "+.2f")
    ('+0.00', '+0.50')
    """
    text = format(value, spec)
    if text.startswith("-") and not any(c in "123456789" for c in text.split("e")[0]):
        return ("+" if "+" in spec else "") + text[1:]
    return text
