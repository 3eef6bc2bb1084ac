"""Tests of phasesim.units: duration texts <-> float hours."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phasesim.units import format_hours, parse_duration


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("45m", 0.75),
        ("4h", 4.0),
        ("2d", 48.0),
        ("1w", 168.0),
        ("1d 4h", 28.0),
        ("1h30m", 1.5),
        ("2h30m", 2.5),
        ("90s", 0.025),
        ("1h 30min", 1.5),
        ("  3h  ", 3.0),
        ("2.5", 2.5),
        ("0.5h", 0.5),
        (".5h", 0.5),
        ("0", 0.0),
        (2, 2.0),
        (2.5, 2.5),
        (0, 0.0),
    ],
)
def test_parse_duration(text: object, hours: float) -> None:
    assert parse_duration(text) == hours
    assert isinstance(parse_duration(text), float)


@pytest.mark.parametrize("value", [-0.0, "-0", "-0.0", "0"])
def test_parse_duration_of_minus_zero_is_plus_zero(value: object) -> None:
    assert math.copysign(1.0, parse_duration(value)) == 1.0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1h", "cannot be negative, found '-1h'"),
        (-1, "cannot be negative, found -1"),
        ("3x", r"unknown unit 'x' in '3x'; use s/sec \(seconds\), m/min \(minutes\), "
               r"h/hr \(hours\), d \(24 h\) or w \(168 h\)$"),
        ("4 hours", "unknown unit 'hours'"),
        ("", "^expected a duration such as '4h', found an empty text$"),
        ("   ", "^expected a duration such as '4h', found an empty text$"),
        ("1h30", "expected a duration such as '45m', '4h', '2d' or '1w', found '1h30'"),
        ("soon", "found 'soon'"),
        (True, "expected a duration such as '4h', found True"),
        (False, "found False"),
        (None, "found None"),
        ([1, 2], r"found \[1, 2\]"),
        (float("nan"), "must be finite"),
        (float("inf"), "must be finite"),
        ("inf", "must be finite"),
    ],
)
def test_parse_duration_errors(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(value)


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (0.0, "0h"),
        (0.75, "45m"),
        (1.5, "90m"),
        (4.0, "4h"),
        (48.0, "2d"),
        (168.0, "1w"),
        (28.0, "28h"),
        (1 / 3, "20m"),
        (0.123, "0.123h"),
        (1 / 3600, "1s"),
        (7 / 3600, "7s"),
        # 7979 / 60 * 60 is 7979 + 9e-13: whole minutes within float noise
        (7979 / 60, "7979m"),
    ],
)
def test_format_hours(hours: float, text: str) -> None:
    assert format_hours(hours) == text


@given(st.integers(min_value=0, max_value=10**7))
def test_format_hours_round_trips_whole_minutes(minutes: int) -> None:
    hours = minutes / 60
    assert parse_duration(format_hours(hours)) == pytest.approx(hours, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("hours", [1e-7, 1e-6, 1 / 7, 0.1, 2 / 3])
def test_format_hours_reads_back_exactly(hours: float) -> None:
    assert parse_duration(format_hours(hours)) == hours
