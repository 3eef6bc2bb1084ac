"""Tests of phasesim.simulation.cadence written against its mutants (issue 15).

Start times are worked out by hand from the calendar: weekly releases at 09:00 in Berlin
move from 08:00 to 07:00 UTC when summer time starts (2026-03-29), a monthly cadence
steps from the first start (31 Jan, 28 Feb, 31 Mar), random arrivals are the inverse
CDF of the given uniforms.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from phasesim.calendars import to_epoch_hours
from phasesim.distributions import Exponential
from phasesim.simulation.cadence import Cadence, parse_cadence


def h(text: str) -> float:
    return to_epoch_hours(pd.Timestamp(text, tz="UTC"))


MON = h("2026-03-02 10:00")  # a Monday


@pytest.mark.parametrize(("text", "expected"), [
    ("daily", Cadence("daily", 1.0)),
    (" Weekly ", Cadence("weekly", 1.0)),
    ("biweekly", Cadence("weekly", 2.0)),
    ("fortnightly", Cadence("weekly", 2.0)),
    ("monthly", Cadence("monthly", 1.0)),
    ("quarterly", Cadence("monthly", 3.0)),
    ("every 2w", Cadence("weekly", 2.0)),
    ("every 14d", Cadence("weekly", 2.0)),
    ("every 3d", Cadence("daily", 3.0)),
    ("2d", Cadence("daily", 2.0)),
    ("every 36h", Cadence("hours", 36.0)),
    ("Every 1d 12h", Cadence("hours", 36.0)),
    ("every 1.5h", Cadence("hours", 1.5)),
    ("every 1h", Cadence("hours", 1.0)),
    ("every 30m", Cadence("hours", 0.5)),
])
def test_named_and_every_cadences(text: str, expected: Cadence) -> None:
    cadence = parse_cadence(text)
    assert cadence == expected
    assert type(cadence.interval) is float


@pytest.mark.parametrize(("spec", "message"), [
    ("hourly", "unknown cadence 'hourly'; use daily, weekly, biweekly, monthly, 'every 2w', "
     "a mapping {freq, interval, weekday, time, timezone}, a list of start times, or "
     "{interarrival: <duration>}"),
    ("every 0h", "bad cadence 'every 0h': the interval must be positive"),
    (5, "expected a cadence such as 'weekly', found 5"),
    ([], "the cadence list of start times is empty"),
    ({"interarrival": {"exponential": {"mean": "2h"}}, "freq": "weekly"},
     "random arrivals take only 'interarrival', found ['freq']"),
    ({"day": 1, "freq": "weekly"}, "unknown cadence key(s) ['day']; use freq, interval, "
     "weekday, time, timezone or interarrival"),
    ({"freq": "hourly"}, "unknown cadence freq 'hourly'; use daily, weekly or monthly"),
    ({"interval": 0}, "cadence interval must be a whole number >= 1, found 0"),
    ({"interval": True}, "cadence interval must be a whole number >= 1, found True"),
    ({"interval": 1.5}, "cadence interval must be a whole number >= 1, found 1.5"),
])
def test_bad_cadences_exact_message(spec: object, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_cadence(spec)
    assert str(info.value) == message


@pytest.mark.parametrize(("spec", "prefix"), [
    ("every 3 parsecs", "bad cadence 'every 3 parsecs': "),
    (["2026-03-02 10:00", "soon"], "bad start time in the cadence list: "),
    ({"interarrival": "3x"}, "bad cadence interarrival: "),
    ({"weekday": "funday"}, "bad cadence weekday: unknown weekday 'funday'"),
    ({"time": "25:00"}, "bad cadence time '25:00': "),
    ({"timezone": "Mars/Olympus"},
     "bad cadence timezone: calendar 'cadence': unknown timezone 'Mars/Olympus'"),
])
def test_bad_cadence_parts_are_named(spec: object, prefix: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_cadence(spec)
    assert str(info.value).startswith(prefix)
    assert len(str(info.value)) > len(prefix)


def test_mappings() -> None:
    assert parse_cadence({}) == Cadence("weekly", 1.0)
    assert parse_cadence({"freq": "Biweekly", "interval": 2}) == Cadence("weekly", 4.0)
    assert parse_cadence({"freq": "daily", "weekday": None, "time": None}) == \
        Cadence("daily", 1.0)
    full = parse_cadence({"freq": "weekly", "weekday": "thursday", "time": "9:30",
                          "timezone": "Europe/Berlin"})
    assert full == Cadence("weekly", 1.0, 3, (9, 30), "Europe/Berlin")
    random = parse_cadence({"interarrival": {"exponential": {"mean": "2h"}}})
    assert random == Cadence("random", interarrival=Exponential(2.0))
    assert random.is_random and not full.is_random
    assert parse_cadence(full) is full


def test_lists_are_sorted_epoch_hours() -> None:
    expected = Cadence("list", times=(h("2026-03-02 10:00"), h("2026-03-09 10:00")))
    assert parse_cadence(["2026-03-09 10:00", "2026-03-02 10:00"]) == expected
    assert parse_cadence(pd.Series(["2026-03-09 10:00", "2026-03-02 10:00"])) == expected
    assert parse_cadence(np.array(["2026-03-02T10:00", "2026-03-09T10:00"],
                                  dtype="datetime64[m]")) == expected


def test_list_starts_at_or_after_the_start() -> None:
    cadence = parse_cadence(["2026-03-01 10:00", "2026-03-02 10:00", "2026-03-09 10:00"])
    assert list(cadence.starts(2, MON)) == [MON, MON + 168]
    # half an hour before the start is before it
    early = parse_cadence(["2026-03-02 09:30", "2026-03-02 10:00"])
    assert list(early.starts(1, MON)) == [MON]
    with pytest.raises(ValueError) as info:
        cadence.starts(3, MON)
    assert str(info.value) == ("the cadence lists 2 start(s) at or after the start, but 3 "
                               "releases were asked for")


def test_hours_and_daily_steps() -> None:
    assert list(Cadence("hours", 36.0).starts(3, 100.0)) == [100.0, 136.0, 172.0]
    assert list(parse_cadence("every 2d").starts(3, MON)) == [MON, MON + 48, MON + 96]
    assert list(parse_cadence("every 2w").starts(2, MON)) == [MON, MON + 336]
    # the first release starts at the start exactly (not rounded to the millisecond)
    odd = MON + 1e-7
    assert parse_cadence("weekly").starts(2, odd)[0] == odd


def test_weekly_at_local_time_across_summer_time() -> None:
    cadence = parse_cadence({"freq": "weekly", "weekday": "monday", "time": "09:00",
                             "timezone": "Europe/Berlin"})
    starts = cadence.starts(3, h("2026-03-23 00:00"))
    assert list(starts) == [h("2026-03-23 08:00"), h("2026-03-30 07:00"),
                            h("2026-04-06 07:00")]


def test_monthly_steps_from_the_first_start() -> None:
    starts = parse_cadence("monthly").starts(3, h("2026-01-31 10:00"))
    assert list(starts) == [h("2026-01-31 10:00"), h("2026-02-28 10:00"),
                            h("2026-03-31 10:00")]
    quarterly = parse_cadence("quarterly").starts(2, h("2026-01-15 10:00"))
    assert list(quarterly) == [h("2026-01-15 10:00"), h("2026-04-15 10:00")]


def test_first_start_at_the_next_weekday_or_time() -> None:
    thursday = parse_cadence({"weekday": "thursday"})
    assert thursday.starts(2, MON)[0] == h("2026-03-05 00:00")
    assert thursday.starts(1, h("2026-03-05 00:00"))[0] == h("2026-03-05 00:00")  # at: kept
    nine = parse_cadence({"freq": "daily", "time": "09:00"})
    assert list(nine.starts(2, MON)) == [h("2026-03-03 09:00"), h("2026-03-04 09:00")]
    half = parse_cadence({"weekday": "thursday", "time": "09:30"})
    assert half.starts(1, MON)[0] == h("2026-03-05 09:30")
    daily = parse_cadence({"freq": "daily", "time": "9:30"})
    assert daily.starts(1, MON)[0] == h("2026-03-03 09:30")
    berlin = parse_cadence({"freq": "daily", "time": "09:00", "timezone": "Europe/Berlin"})
    assert berlin.starts(1, MON)[0] == h("2026-03-03 08:00")  # 09:00 CET


def test_random_arrivals_are_the_inverse_cdf_of_the_uniforms() -> None:
    cadence = parse_cadence({"interarrival": {"exponential": {"mean": "2h"}}})
    u = np.array([0.5, 1 - math.exp(-1.0), 0.9])  # one more than needed: ignored
    starts = cadence.starts(3, 10.0, u)
    assert starts == pytest.approx([10.0, 10.0 + 2 * math.log(2.0),
                                    10.0 + 2 * math.log(2.0) + 2.0], rel=1e-15)
    assert list(cadence.starts(1, 10.0, u)) == [10.0]
