"""Working-time arithmetic: hand-computed timelines, parsing rules and properties.

Every expected timestamp below was worked out by hand from a wall calendar; the comments
give the arithmetic. Europe/Berlin is UTC+1 in winter (CET) and UTC+2 in summer (CEST),
switching on 2026-03-29 02:00 -> 03:00 and 2026-10-25 03:00 -> 02:00.
America/Los_Angeles is UTC-8 (PST) and UTC-7 (PDT) from 2026-03-08.
"""

from __future__ import annotations

import doctest
import math
import pickle
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phasesim import calendars
from phasesim.calendars import (
    Calendar,
    WeeklyAnchor,
    from_epoch_hours,
    parse_hours,
    to_epoch_hours,
)

BERLIN = "Europe/Berlin"
LA = "America/Los_Angeles"
OFFICE = Calendar("office", BERLIN, "Mon-Fri 09:00-17:00", holidays=(date(2026, 12, 25),))


def berlin(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=BERLIN)


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def h(ts: pd.Timestamp | str) -> float:
    return to_epoch_hours(ts)


# --------------------------------------------------------------------------------------
# add_working_hours: exact timelines
# --------------------------------------------------------------------------------------


def test_friday_afternoon_two_hours_end_monday_ten():
    # Fri 2026-01-09 16:00-17:00 is 1 h; the other 1 h is Mon 2026-01-12 09:00-10:00.
    end = OFFICE.add_working_hours(berlin("2026-01-09 16:00"), 2)
    assert end == berlin("2026-01-12 10:00")
    assert end == utc("2026-01-12 09:00")
    assert str(end.tz) == "UTC"


def test_start_on_saturday_begins_monday_nine():
    saturday = berlin("2026-01-10 12:00")
    assert OFFICE.next_working(saturday) == berlin("2026-01-12 09:00")
    assert OFFICE.add_working_hours(saturday, 1) == berlin("2026-01-12 10:00")
    assert not OFFICE.is_working(saturday)


def test_holiday_friday_is_skipped():
    # Thu 2026-12-24 16:00-17:00 is 1 h; Fri 12-25 is a holiday; the second hour is
    # Mon 2026-12-28 09:00-10:00.
    end = OFFICE.add_working_hours(berlin("2026-12-24 16:00"), 2)
    assert end == berlin("2026-12-28 10:00")
    assert not OFFICE.is_working(berlin("2026-12-25 10:00"))
    assert OFFICE.next_working(berlin("2026-12-25 10:00")) == berlin("2026-12-28 09:00")


def test_exactly_filling_a_window_ends_at_its_end_not_next_morning():
    monday = berlin("2026-01-12 09:00")
    assert OFFICE.add_working_hours(monday, 8) == berlin("2026-01-12 17:00")
    assert OFFICE.add_working_hours_h(h(monday), 8.0) == h(berlin("2026-01-12 17:00"))
    assert OFFICE.add_working_hours(monday, 16) == berlin("2026-01-13 17:00")
    assert OFFICE.add_working_hours(monday, 40) == berlin("2026-01-16 17:00")
    # Mon 09:00 + 41 h: the week's 40 h, then 1 h on the next Monday.
    assert OFFICE.add_working_hours(monday, 41) == berlin("2026-01-19 10:00")


def test_zero_hours_returns_start_unchanged_even_outside_hours():
    saturday = h(berlin("2026-01-10 12:34:56.789"))
    assert OFFICE.add_working_hours_h(saturday, 0.0) == saturday
    assert OFFICE.add_working_hours(berlin("2026-01-10 12:00"), 0) == berlin("2026-01-10 12:00")


def test_start_at_window_end_continues_next_morning():
    assert OFFICE.add_working_hours(berlin("2026-01-12 17:00"), 1) == berlin("2026-01-13 10:00")
    assert OFFICE.add_working_hours(berlin("2026-01-12 16:59"), 1) == berlin("2026-01-13 09:59")


def test_timedelta_hours_are_accepted():
    end = OFFICE.add_working_hours(berlin("2026-01-12 09:00"), timedelta(minutes=90))
    assert end == berlin("2026-01-12 10:30")
    assert OFFICE.add_working_hours(berlin("2026-01-12 09:00"), pd.Timedelta("8h")) == berlin(
        "2026-01-12 17:00"
    )


def test_half_hour_offset_and_window_ends_exactly():
    # Asia/Kolkata is UTC+05:30, so window bounds are not whole epoch hours: 09:30 IST is
    # 04:00 UTC and 18:00 IST is 12:30 UTC. An 8.5 h window must still end exactly.
    cal = Calendar("india", "Asia/Kolkata", "Mon-Fri 09:30-18:00")
    start = pd.Timestamp("2026-01-12 09:30", tz="Asia/Kolkata")
    assert cal.add_working_hours(start, 8.5) == utc("2026-01-12 12:30")
    assert cal.add_working_hours(start, 17) == utc("2026-01-13 12:30")
    assert cal.add_working_hours(start, 8.5 + 1 / 60) == utc("2026-01-13 04:01")
    assert cal.add_working_hours_h(h(start), 8.5) == h(utc("2026-01-12 12:30"))
    # Fri 17:55 IST + 10 min: 5 min on Friday, 5 min from Mon 09:30 IST (04:00 UTC).
    friday = pd.Timestamp("2026-01-16 17:55", tz="Asia/Kolkata")
    assert cal.add_working_hours(friday, 1 / 6) == utc("2026-01-19 04:05")


def test_split_day_and_overnight_windows():
    split = Calendar("split", "UTC", "Mon-Fri 09:00-12:00 13:00-17:00")
    # Mon 11:00 + 2 h: 11-12 is 1 h, lunch, 13-14 is the second hour.
    assert split.add_working_hours("2026-01-12 11:00", 2) == utc("2026-01-12 14:00")
    assert split.add_working_hours("2026-01-12 11:00", 1) == utc("2026-01-12 12:00")

    night = Calendar("night", "UTC", "Mon-Fri 22:00-06:00")
    # Friday's shift runs Fri 22:00 - Sat 06:00 (8 h); Sunday night has no shift.
    assert night.add_working_hours("2026-01-09 23:30", 1) == utc("2026-01-10 00:30")
    assert night.add_working_hours("2026-01-09 22:00", 8) == utc("2026-01-10 06:00")
    assert night.add_working_hours("2026-01-09 22:00", 9) == utc("2026-01-12 23:00")
    assert not night.is_working("2026-01-12 03:00")  # Monday 03:00: Sunday has no shift
    assert night.is_working("2026-01-13 03:00")  # Tuesday 03:00: Monday's shift


# --------------------------------------------------------------------------------------
# working_hours_between
# --------------------------------------------------------------------------------------


def test_working_hours_between_across_weekend_and_holiday():
    # Thu 2026-12-24 12-17 = 5 h, Fri holiday, weekend, Mon 28 9-17 = 8 h, Tue 9-12 = 3 h.
    a, b = berlin("2026-12-24 12:00"), berlin("2026-12-29 12:00")
    assert OFFICE.working_hours_between(a, b) == 16.0
    assert OFFICE.working_hours_between(b, a) == -16.0
    # A plain week: five 8 h days.
    assert OFFICE.working_hours_between(berlin("2026-01-12"), berlin("2026-01-19")) == 40.0
    # Fri 16:00 -> Mon 10:00 is 1 h + 1 h.
    assert (
        OFFICE.working_hours_between(berlin("2026-01-09 16:00"), berlin("2026-01-12 10:00")) == 2.0
    )
    # Inside one window, and inside a weekend.
    assert (
        OFFICE.working_hours_between(berlin("2026-01-12 10:00"), berlin("2026-01-12 11:30")) == 1.5
    )
    assert OFFICE.working_hours_between(berlin("2026-01-10"), berlin("2026-01-11 23:00")) == 0.0


def test_working_hours_between_is_additive():
    a, b, c = berlin("2026-12-22 10:00"), berlin("2026-12-26 03:00"), berlin("2027-01-05 15:00")
    ab, bc = OFFICE.working_hours_between(a, b), OFFICE.working_hours_between(b, c)
    # Tue 22: 7 h, Wed 23: 8, Thu 24: 8, Fri 25 holiday -> 23 h; then Mon 28 - Thu 31: 32,
    # Fri 2027-01-01 (not a holiday here): 8, Mon 4: 8, Tue 5: 6 -> 54 h.
    assert (ab, bc) == (23.0, 54.0)
    assert OFFICE.working_hours_between(a, c) == 77.0


# --------------------------------------------------------------------------------------
# Daylight saving time
# --------------------------------------------------------------------------------------


def test_dst_spring_forward_week_in_berlin():
    # Fri 2026-03-27 16:00 CET (15:00 UTC): 1 h on Friday; DST starts Sunday; the other 7 h
    # are Mon 2026-03-30 09:00-16:00 CEST, ending 14:00 UTC.
    start = berlin("2026-03-27 16:00")
    assert start == utc("2026-03-27 15:00")
    end = OFFICE.add_working_hours(start, 8)
    assert end == berlin("2026-03-30 16:00")
    assert end == utc("2026-03-30 14:00")
    assert OFFICE.working_hours_between(start, end) == 8.0
    assert (end - start) == pd.Timedelta(hours=71)  # the weekend lost an hour
    # Mon 09:00 CEST is 07:00 UTC: the window moved in UTC, not in local time.
    assert OFFICE.next_working(berlin("2026-03-28 12:00")) == utc("2026-03-30 07:00")


def test_dst_fall_back_week_in_berlin():
    # Fri 2026-10-23 16:00 CEST (14:00 UTC) + 8 h -> Mon 2026-10-26 16:00 CET (15:00 UTC).
    start = berlin("2026-10-23 16:00")
    assert start == utc("2026-10-23 14:00")
    end = OFFICE.add_working_hours(start, 8)
    assert end == berlin("2026-10-26 16:00")
    assert end == utc("2026-10-26 15:00")
    assert (end - start) == pd.Timedelta(hours=73)


def test_dst_days_have_23_and_25_elapsed_hours():
    weekend = Calendar("weekend", BERLIN, "Sat-Sun 00:00-24:00")
    assert weekend.working_hours_between(berlin("2026-03-28"), berlin("2026-03-30")) == 47.0
    assert weekend.working_hours_between(berlin("2026-10-24"), berlin("2026-10-26")) == 49.0
    assert weekend.working_hours_between(berlin("2026-01-10"), berlin("2026-01-12")) == 48.0


def test_window_over_the_dst_change_itself():
    # Sunday 01:00-04:00 local: on 2026-03-29 local 02:00-03:00 does not exist (2 h of
    # work); on 2026-10-25 local 02:00-03:00 happens twice (4 h).
    night = Calendar("night", BERLIN, "Sun 01:00-04:00")
    assert night.working_hours_between(berlin("2026-03-22"), berlin("2026-03-23")) == 3.0
    assert night.working_hours_between(berlin("2026-03-29"), berlin("2026-03-30")) == 2.0
    assert night.working_hours_between(berlin("2026-10-25"), berlin("2026-10-26")) == 4.0
    # 01:00 CET is 00:00 UTC; 1.5 h later is 01:30 UTC = 03:30 CEST.
    assert night.add_working_hours(berlin("2026-03-29 01:00"), 1.5) == utc("2026-03-29 01:30")
    # The window ends at 04:00 CEST = 02:00 UTC.
    assert night.add_working_hours(berlin("2026-03-29 01:00"), 2) == utc("2026-03-29 02:00")


def test_24_7_with_a_holiday_in_dst_weekend():
    cal = Calendar("ops", BERLIN, "24/7", holidays=(date(2026, 3, 29),))
    assert not cal.is_always_open
    # Sat 28th: 24 h; Sun 29th (23 h long) is off.
    assert cal.working_hours_between(berlin("2026-03-28"), berlin("2026-03-30")) == 24.0
    # Sat 12:00 CET + 13 h: 12 h to midnight, Sunday off, then Mon 00:00-01:00 CEST.
    assert cal.add_working_hours(berlin("2026-03-28 12:00"), 13) == utc("2026-03-29 23:00")


# --------------------------------------------------------------------------------------
# next_anchor
# --------------------------------------------------------------------------------------


def test_next_anchor_thursday_noon():
    thu = WeeklyAnchor.parse("Thu 12:00")
    assert OFFICE.next_anchor(berlin("2026-01-13 10:00"), thu) == berlin("2026-01-15 12:00")
    assert OFFICE.next_anchor(berlin("2026-01-15 12:00"), thu) == berlin("2026-01-15 12:00")
    assert OFFICE.next_anchor(berlin("2026-01-15 12:01"), thu) == berlin("2026-01-22 12:00")
    assert OFFICE.next_anchor(berlin("2026-01-15 11:59"), "Thu 12:00") == berlin("2026-01-15 12:00")
    noon = h(berlin("2026-01-15 12:00"))
    assert OFFICE.next_anchor_h(noon, thu) == noon
    # Float noise just after the anchor does not cost a week.
    assert OFFICE.next_anchor_h(noon + 1e-12, thu) == noon


def test_next_anchor_in_los_angeles_across_dst():
    cal = Calendar("business", LA, "Mon-Fri 09:00-17:00")
    thu = WeeklyAnchor.parse("Thu 12:00")
    # Thu 2026-03-05 12:00 PST = 20:00 UTC.
    assert cal.next_anchor(pd.Timestamp("2026-03-03 10:00", tz=LA), thu) == utc("2026-03-05 20:00")
    # From Fri 03-06 the next Thursday is 03-12, after DST began: 12:00 PDT = 19:00 UTC.
    assert cal.next_anchor(pd.Timestamp("2026-03-06 09:00", tz=LA), thu) == utc("2026-03-12 19:00")
    # Mon 09:00 from Sunday 2026-11-01 (DST ended that morning): 09:00 PST = 17:00 UTC.
    assert cal.next_anchor(pd.Timestamp("2026-11-01 20:00", tz=LA), "Mon 09:00") == utc(
        "2026-11-02 17:00"
    )
    # "Sun 02:30" does not exist on 2026-03-08; it maps to 03:30 PDT = 10:30 UTC.
    assert cal.next_anchor(pd.Timestamp("2026-03-07 12:00", tz=LA), "Sun 02:30") == utc(
        "2026-03-08 10:30"
    )
    # The timezone is the calendar's, not the input's: 20:00 UTC Thu is 12:00 PST.
    assert cal.next_anchor(utc("2026-03-05 19:00"), thu) == utc("2026-03-05 20:00")


def test_next_anchor_ignores_holidays():
    assert OFFICE.next_anchor(berlin("2026-12-24 18:00"), "Fri 09:00") == berlin("2026-12-25 09:00")


# --------------------------------------------------------------------------------------
# freeze_end
# --------------------------------------------------------------------------------------


def test_freeze_end_inside_and_outside():
    cal = Calendar(
        "prod", BERLIN, "Mon-Fri 09:00-17:00", freezes=((date(2026, 12, 20), date(2027, 1, 4)),)
    )
    end = berlin("2027-01-05 00:00")
    assert end == utc("2027-01-04 23:00")
    assert cal.freeze_end(berlin("2026-12-24 10:00")) == end
    assert cal.freeze_end(berlin("2026-12-20 00:00")) == end  # first moment
    assert cal.freeze_end(berlin("2027-01-04 23:59")) == end  # last day is inside
    assert cal.freeze_end(berlin("2026-12-19 23:59")) is None
    assert cal.freeze_end(end) is None  # the end is outside
    assert cal.freeze_end_h(h(berlin("2026-06-01"))) is None
    # A freeze does not remove working time.
    assert cal.working_hours_between(berlin("2026-12-21"), berlin("2026-12-22")) == 8.0


def test_touching_and_overlapping_freezes_chain():
    touching = Calendar(
        "prod",
        BERLIN,
        freezes=(
            (date(2027, 1, 1), date(2027, 1, 4)),
            (date(2026, 12, 20), date(2026, 12, 31)),
        ),
    )
    assert touching.freeze_end(berlin("2026-12-22 08:00")) == berlin("2027-01-05")
    assert touching.freezes[0] == (date(2026, 12, 20), date(2026, 12, 31))  # sorted
    overlapping = Calendar(
        "prod",
        BERLIN,
        freezes=(  # type: ignore[arg-type]  # ISO strings are accepted
            ("2026-12-20", "2027-01-02"),
            ("2026-12-24", "2026-12-26"),
            ("2027-01-01", "2027-01-08"),
        ),
    )
    assert overlapping.freeze_end(berlin("2026-12-25")) == berlin("2027-01-09")
    gap = Calendar(
        "prod",
        BERLIN,
        freezes=(
            (date(2026, 12, 20), date(2026, 12, 30)),
            (date(2027, 1, 1), date(2027, 1, 4)),
        ),
    )
    assert gap.freeze_end(berlin("2026-12-22")) == berlin("2026-12-31")
    assert gap.freeze_end(berlin("2026-12-31 12:00")) is None


# --------------------------------------------------------------------------------------
# Parsing hours and anchors
# --------------------------------------------------------------------------------------

WEEKDAYS = tuple((d, 9.0, 17.0) for d in range(5))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon-Fri 09:00-17:00", WEEKDAYS),
        ("  mon - fri   9:00 - 17:00 ", WEEKDAYS),
        ("Monday-Friday 9-17", WEEKDAYS),
        ("weekdays 09:00-17:00", WEEKDAYS),
        (
            "Mon-Thu 09:00-17:00; Fri 09:00-13:00",
            (*((d, 9.0, 17.0) for d in range(4)), (4, 9.0, 13.0)),
        ),
        (
            "Mon-Thu 09:00-17:00, Fri 09:00-13:00",
            (*((d, 9.0, 17.0) for d in range(4)), (4, 9.0, 13.0)),
        ),
        ("Mon 09:00-12:00 13:00-17:00", ((0, 9.0, 12.0), (0, 13.0, 17.0))),
        ("Mon 09:00-12:00, 13:00-17:00", ((0, 9.0, 12.0), (0, 13.0, 17.0))),
        ("Sat 10:00-14:00", ((5, 10.0, 14.0),)),
        ("Mon,Wed,Fri 09:00-17:00", ((0, 9.0, 17.0), (2, 9.0, 17.0), (4, 9.0, 17.0))),
        (
            "Mon, Wed 09:00-10:00, Sat 10:00-11:00",
            ((0, 9.0, 10.0), (2, 9.0, 10.0), (5, 10.0, 11.0)),
        ),
        (
            "Fri-Mon 10:00-11:00",
            ((0, 10.0, 11.0), (4, 10.0, 11.0), (5, 10.0, 11.0), (6, 10.0, 11.0)),
        ),
        ("Sun 20:00-24:00", ((6, 20.0, 24.0),)),
        ("Sun 22:00-02:00", ((0, 0.0, 2.0), (6, 22.0, 24.0))),
        ("Fri 22:00-00:00", ((4, 22.0, 24.0),)),
        ("Mon 08:30-12:15", ((0, 8.5, 12.25),)),
        ("Mon 09:00-12:00 11:00-14:00; Mon 14:00-15:00", ((0, 9.0, 15.0),)),
        ("Mon-Fri 09:00-17:00;", WEEKDAYS),
        ("24/7", tuple((d, 0.0, 24.0) for d in range(7))),
        ("Always", tuple((d, 0.0, 24.0) for d in range(7))),
        ("daily 00:00-24:00", tuple((d, 0.0, 24.0) for d in range(7))),
        ("", ()),
    ],
)
def test_parse_hours_valid(text, expected):
    assert parse_hours(text) == expected


def test_parse_hours_crossing_midnight_on_every_weekday():
    assert parse_hours("Mon-Fri 22:00-06:00") == (
        (0, 22.0, 24.0),
        (1, 0.0, 6.0),
        (1, 22.0, 24.0),
        (2, 0.0, 6.0),
        (2, 22.0, 24.0),
        (3, 0.0, 6.0),
        (3, 22.0, 24.0),
        (4, 0.0, 6.0),
        (4, 22.0, 24.0),
        (5, 0.0, 6.0),
    )


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("Mon-Fry 09:00-17:00", r"unknown weekday 'Fry' \(did you mean 'Fri'\?\)"),
        ("Mon-Fri 09:00-25:00", r"bad time '25:00' \(expected HH:MM from 00:00 to 24:00\)"),
        ("Mon-Fri 09:70-17:00", r"bad time '09:70'"),
        ("Mon-Fri 24:00-02:00", r"bad time '24:00' \(expected HH:MM from 00:00 to 23:59\)"),
        ("Mon-Fri 09:00-09:00", r"window '09:00-09:00' is empty"),
        ("Mon-Fri", r"days 'Mon - Fri' have no time window"),
        ("Mon-Fri 09:00", r"expected a time window such as '09:00-17:00' after '09:00'"),
        ("09:00-17:00", r"expected a weekday such as 'Mon', found '09:00'"),
        ("Mon-Fri 09:00-17:00 Sat 10:00-12:00", r"expected ';' between groups, found 'Sat'"),
        ("Mon-Fri 09:00-17:00;; Sat 10:00-12:00", r"expected a weekday such as 'Mon', found ';'"),
        ("Mon-Fri 9.00-17.00", r"unexpected '\.00-17\.00'"),
        ("Mon-Fri 09:00-17:00 / Sat", r"unexpected '/'"),
        ("Mon-Fri 09:00-17:00", None),
    ],
)
def test_parse_hours_invalid(text, match):
    if match is None:
        parse_hours(text)
        return
    with pytest.raises(ValueError, match=match) as info:
        parse_hours(text)
    message = str(info.value)
    assert message.startswith(f"bad hours {text!r}: ")
    assert "expected e.g. 'Mon-Fri 09:00-17:00'" in message


def test_parse_hours_rejects_non_text():
    with pytest.raises(ValueError, match="hours must be text"):
        parse_hours(40)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "anchor", "canonical"),
    [
        ("Thu 12:00", WeeklyAnchor(3, 12, 0), "Thu 12:00"),
        ("Thursday 12:00", WeeklyAnchor(3, 12, 0), "Thu 12:00"),
        ("mon 9:00", WeeklyAnchor(0, 9, 0), "Mon 09:00"),
        ("Fri", WeeklyAnchor(4, 0, 0), "Fri 00:00"),
        ("SUN 23:59", WeeklyAnchor(6, 23, 59), "Sun 23:59"),
        ("thurs 7", WeeklyAnchor(3, 7, 0), "Thu 07:00"),
        ("  Tue   08:05 ", WeeklyAnchor(1, 8, 5), "Tue 08:05"),
    ],
)
def test_weekly_anchor_parse_and_round_trip(text, anchor, canonical):
    parsed = WeeklyAnchor.parse(text)
    assert parsed == anchor
    assert str(parsed) == canonical
    assert WeeklyAnchor.parse(str(parsed)) == parsed


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("Thr 12:00", r"^unknown weekday 'Thr' in 'Thr 12:00' \(did you mean 'Thu'\?\)$"),
        ("Thurday 12:00", r"unknown weekday 'Thurday' .*\(did you mean 'Thursday'\?\)"),
        ("Xyz 12:00", r"unknown weekday 'Xyz' in 'Xyz 12:00' \(expected Mon..Sun\)"),
        ("Thu 25:00", r"^bad time '25:00' in 'Thu 25:00' \(expected HH:MM from 00:00 to 23:59\)$"),
        ("Thu 24:00", r"bad time '24:00'"),
        ("Thu 12:60", r"bad time '12:60'"),
        ("Thu noon", r"bad time 'noon'"),
        ("Thu 12:00 UTC", r"bad weekly time 'Thu 12:00 UTC' \(expected a weekday and a time"),
        ("", r"bad weekly time ''"),
    ],
)
def test_weekly_anchor_parse_invalid(text, match):
    with pytest.raises(ValueError, match=match):
        WeeklyAnchor.parse(text)


@pytest.mark.parametrize(
    ("args", "match"),
    [((7, 0), "weekday must be 0"), ((0, 24), "hour must be 0..23"), ((0, 0, 60), "minute")],
)
def test_weekly_anchor_fields_are_validated(args, match):
    with pytest.raises(ValueError, match=match):
        WeeklyAnchor(*args)


# --------------------------------------------------------------------------------------
# Calendar construction
# --------------------------------------------------------------------------------------


def test_bad_timezone_suggests_the_closest_name():
    with pytest.raises(
        ValueError,
        match=r"^calendar 'x': unknown timezone 'Europe/Berln' \(did you mean 'Europe/Berlin'\?\)$",
    ):
        Calendar("x", "Europe/Berln")
    with pytest.raises(ValueError, match=r"did you mean 'America/Los_Angeles'\?"):
        Calendar("x", "america/los angeles")
    with pytest.raises(ValueError, match=r"unknown timezone '' \(expected an IANA name\)"):
        Calendar("x", "")


def test_no_working_hours_is_rejected():
    with pytest.raises(ValueError, match=r"^calendar 'x' has no working hours"):
        Calendar("x", hours="")
    with pytest.raises(ValueError, match=r"^calendar 'x' has no working hours"):
        Calendar("x", hours="   ")


def test_bad_hours_freezes_and_holidays_are_all_reported_at_once():
    with pytest.raises(ValueError) as info:
        Calendar(
            "x",
            "Mars/Olympus",
            "Mon-Fri 09:00-17:00 Sat",
            holidays=("2026-13-01",),  # type: ignore[arg-type]
            freezes=((date(2026, 12, 20), date(2026, 12, 1)), ("2026-01-01",)),  # type: ignore[arg-type]
        )
    message = str(info.value)
    assert message.startswith("calendar 'x': unknown timezone 'Mars/Olympus'")
    assert "bad hours 'Mon-Fri 09:00-17:00 Sat'" in message
    assert "holiday '2026-13-01' is not a date (expected YYYY-MM-DD)" in message
    assert "freeze 2026-12-20..2026-12-01 ends before it starts" in message
    assert "freeze ('2026-01-01',) is not a pair of dates" in message


def test_construction_normalises_dates_and_equality_ignores_caches():
    a = Calendar(
        "c",
        BERLIN,
        "Mon-Fri 09:00-17:00",
        holidays=["2026-12-25", date(2026, 1, 1), date(2026, 12, 25)],  # type: ignore[arg-type]
        freezes=[["2026-12-20", "2027-01-04"]],  # type: ignore[arg-type]
    )
    assert a.holidays == (date(2026, 1, 1), date(2026, 12, 25))
    assert a.freezes == ((date(2026, 12, 20), date(2027, 1, 4)),)
    b = Calendar(
        "c",
        BERLIN,
        "Mon-Fri 09:00-17:00",
        holidays=(date(2026, 1, 1), date(2026, 12, 25)),
        freezes=((date(2026, 12, 20), date(2027, 1, 4)),),
    )
    a.add_working_hours("2026-06-01", 100)  # fills a's cache only
    assert a == b
    assert hash(a) == hash(b)
    assert "_timeline" not in repr(a)
    assert repr(a).startswith("Calendar(name='c', timezone='Europe/Berlin'")
    copy = pickle.loads(pickle.dumps(a))
    assert copy == a
    assert copy.add_working_hours("2026-06-01", 100) == a.add_working_hours("2026-06-01", 100)


def test_always_open_calendars():
    assert Calendar.always().is_always_open
    assert Calendar.always("wall", BERLIN).timezone == BERLIN
    assert Calendar("x", hours="always").is_always_open
    assert Calendar("x", hours="Mon-Sun 00:00-24:00").is_always_open
    assert Calendar("x", hours="Mon-Sun 00:00-12:00 12:00-24:00").is_always_open
    assert not Calendar("x", hours="24/7", holidays=(date(2026, 1, 1),)).is_always_open
    assert not OFFICE.is_always_open
    wall = Calendar.always("wall", BERLIN)
    # Across the spring DST change: 24 working hours are 24 elapsed hours.
    assert wall.add_working_hours(berlin("2026-03-28 12:00"), 24) == berlin("2026-03-29 13:00")
    assert wall.working_hours_between(berlin("2026-03-29"), berlin("2026-03-30")) == 23.0


def test_weekly_hours_and_windows():
    assert OFFICE.weekly_hours == 40.0
    assert OFFICE.windows == WEEKDAYS
    assert Calendar.always().weekly_hours == 168.0


def test_working_intervals_h():
    monday = h(berlin("2026-01-12 10:00"))
    got = OFFICE.working_intervals_h(monday, monday + 48)
    expected = np.array(
        [
            [h(berlin("2026-01-12 10:00")), h(berlin("2026-01-12 17:00"))],
            [h(berlin("2026-01-13 09:00")), h(berlin("2026-01-13 17:00"))],
            [h(berlin("2026-01-14 09:00")), h(berlin("2026-01-14 10:00"))],
        ]
    )
    np.testing.assert_array_equal(got, expected)
    assert OFFICE.working_intervals_h(monday + 7.5, monday + 8).shape == (0, 2)


# --------------------------------------------------------------------------------------
# Conversions and input checks
# --------------------------------------------------------------------------------------


def test_to_epoch_hours_accepts_datetimes_timestamps_and_text():
    expected = 491169.0  # 2026-01-12 09:00 UTC = 1768208400 s
    assert to_epoch_hours(datetime(2026, 1, 12, 9)) == expected  # naive = UTC
    assert to_epoch_hours(datetime(2026, 1, 12, 10, tzinfo=timezone(timedelta(hours=1)))) == (
        expected
    )
    assert to_epoch_hours(pd.Timestamp("2026-01-12 10:00", tz=BERLIN)) == expected
    assert to_epoch_hours(pd.Timestamp("2026-01-12 09:00")) == expected
    assert to_epoch_hours(pd.Timestamp("2026-01-12 09:00", tz="UTC").as_unit("ns")) == expected
    assert to_epoch_hours(pd.Timestamp("2026-01-12 09:00", tz="UTC").as_unit("s")) == expected
    assert to_epoch_hours("2026-01-12T09:00:00Z") == expected
    assert to_epoch_hours(np.datetime64("2026-01-12T09:00")) == expected
    assert to_epoch_hours("1969-12-31 23:00") == -1.0


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (date(2026, 1, 12), TypeError, "found the date"),
        (491169.0, TypeError, "expected a datetime, pandas Timestamp or ISO string"),
        (pd.NaT, ValueError, "NaT"),
        ("next tuesday", ValueError, "expected a date and time"),
    ],
)
def test_to_epoch_hours_rejects(value, error, match):
    with pytest.raises(error, match=match):
        to_epoch_hours(value)


def test_from_epoch_hours_rounds_to_the_millisecond():
    assert from_epoch_hours(491169.0) == utc("2026-01-12 09:00")
    assert from_epoch_hours(491169.0 - 1e-10) == utc("2026-01-12 09:00")
    assert from_epoch_hours(11.0 - 1e-12) == utc("1970-01-01 11:00")
    assert from_epoch_hours(1.5 / 3600) == utc("1970-01-01 00:00:01.500")
    assert from_epoch_hours(-1.0) == utc("1969-12-31 23:00")
    with pytest.raises(ValueError, match="finite"):
        from_epoch_hours(math.nan)


def test_bad_query_arguments():
    t = h(berlin("2026-01-12 09:00"))
    with pytest.raises(ValueError, match=r"hours must be finite and >= 0, found -1\.0"):
        OFFICE.add_working_hours_h(t, -1.0)
    with pytest.raises(ValueError, match="hours must be finite"):
        OFFICE.add_working_hours_h(t, math.nan)
    with pytest.raises(ValueError, match="hours must be finite"):
        OFFICE.add_working_hours_h(t, math.inf)
    for method in (OFFICE.is_working_h, OFFICE.next_working_h, Calendar.always().next_working_h):
        with pytest.raises(ValueError, match="finite epoch hours"):
            method(math.nan)
    with pytest.raises(ValueError, match="finite epoch hours"):
        OFFICE.working_hours_between_h(t, math.inf)
    with pytest.raises(ValueError, match="years"):
        OFFICE.is_working_h(-1e8)  # about 9438 BC


# --------------------------------------------------------------------------------------
# Far dates and determinism of the lazy cache
# --------------------------------------------------------------------------------------


def test_far_past_and_future():
    cal = Calendar("office", BERLIN, "Mon-Fri 09:00-17:00")
    # Fri 1999-12-31 16:00 CET + 2 h -> Mon 2000-01-03 10:00 CET (over New Year).
    assert cal.add_working_hours(berlin("1999-12-31 16:00"), 2) == berlin("2000-01-03 10:00")
    # Fri 2090-06-30 16:00 CEST + 2 h -> Mon 2090-07-03 10:00 CEST = 08:00 UTC.
    assert cal.add_working_hours(berlin("2090-06-30 16:00"), 2) == utc("2090-07-03 08:00")
    # 2100-01-01 is a Friday; 1990-01-01 a Monday.
    assert cal.next_working(berlin("2100-01-01 18:00")) == berlin("2100-01-04 09:00")
    assert cal.working_hours_between(berlin("1990-01-01"), berlin("1990-01-08")) == 40.0
    # A year of weekdays in 1999: 261 weekdays x 8 h.
    assert cal.working_hours_between(berlin("1999-01-01"), berlin("2000-01-01")) == 261 * 8.0


def test_results_do_not_depend_on_which_years_were_built_first():
    rng = np.random.default_rng(7)
    lo, hi = h(utc("1990-01-01")), h(utc("2100-01-01"))
    queries = [
        (float(t), float(x))
        for t, x in zip(rng.uniform(lo, hi, 200), rng.exponential(30.0, 200), strict=True)
    ]

    def answers(cal: Calendar, order: list[int]) -> dict[int, tuple[float, float, float]]:
        out = {}
        for i in order:
            t, x = queries[i]
            end = cal.add_working_hours_h(t, x)
            out[i] = (end, cal.working_hours_between_h(t - 100.0, t), cal.next_working_h(t))
        return out

    def make() -> Calendar:
        return Calendar(
            "c",
            "Asia/Kolkata",
            "Mon-Fri 09:30-13:00 13:45-18:10",
            holidays=(date(2026, 1, 26), date(2050, 8, 15)),
        )

    forward = answers(make(), list(range(200)))
    backward = answers(make(), list(range(199, -1, -1)))
    one_by_one = {i: answers(make(), [i])[i] for i in range(0, 200, 20)}
    assert forward == backward  # exact float equality
    assert all(forward[i] == v for i, v in one_by_one.items())


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------

PROPERTY_CALENDARS = [
    OFFICE,
    Calendar(
        "business",
        LA,
        "Mon-Fri 09:00-17:00",
        holidays=(date(2026, 1, 19), date(2026, 11, 26), date(2026, 11, 27)),
    ),
    Calendar("india", "Asia/Kolkata", "Mon-Fri 09:30-13:00 13:45-18:10"),
    Calendar("night", "UTC", "Mon-Fri 22:00-06:00"),
    Calendar("dst-night", BERLIN, "Sun 01:00-04:00; Sat 02:30-02:45"),
    Calendar("ops", BERLIN, "24/7", holidays=(date(2026, 3, 29), date(2026, 10, 25))),
    Calendar("nepal", "Asia/Kathmandu", "Sun-Fri 10:00-17:00"),
]
LO, HI = h(utc("2020-01-01")), h(utc("2031-01-01"))
moments = st.floats(min_value=LO, max_value=HI, allow_nan=False)
amounts = st.one_of(
    st.floats(min_value=0.0, max_value=2000.0, allow_nan=False),
    st.sampled_from([0.0, 0.25, 1.0, 1 / 60, 2.0, 3.5, 7.0, 8.0, 8.5, 16.0, 40.0, 168.0]),
)
calendars_ = st.sampled_from(PROPERTY_CALENDARS)
aligned = st.integers(min_value=int(LO * 4), max_value=int(HI * 4)).map(lambda q: q / 4)
anchors = st.builds(WeeklyAnchor, st.integers(0, 6), st.integers(0, 23), st.integers(0, 59))


@settings(deadline=None, max_examples=300)
@given(calendars_, st.one_of(moments, aligned), amounts)
def test_add_then_between_gives_back_the_hours(cal, start, hours):
    end = cal.add_working_hours_h(start, hours)
    assert end >= start
    assert cal.working_hours_between_h(start, end) == pytest.approx(hours, abs=1e-6)
    if hours > 1e-3:
        # Work ends inside working time: the moments just before the end are working.
        assert cal.working_hours_between_h(end - 1e-4, end) > 0


@settings(deadline=None, max_examples=300)
@given(calendars_, st.one_of(moments, aligned), amounts, amounts)
def test_add_is_monotone_and_additive(cal, start, h1, h2):
    low, high = sorted((h1, h2))
    assert cal.add_working_hours_h(start, low) <= cal.add_working_hours_h(start, high)
    two_steps = cal.add_working_hours_h(cal.add_working_hours_h(start, h1), h2)
    one_step = cal.add_working_hours_h(start, h1 + h2)
    assert cal.working_hours_between_h(min(one_step, two_steps), max(one_step, two_steps)) < 1e-6


@settings(deadline=None, max_examples=200)
@given(st.sampled_from(["UTC", BERLIN, LA]), moments, amounts)
def test_always_open_is_plain_addition(zone, start, hours):
    cal = Calendar.always("wall", zone)
    assert cal.add_working_hours_h(start, hours) == start + hours
    assert cal.working_hours_between_h(start, start + hours) == pytest.approx(hours, abs=1e-9)


@settings(deadline=None, max_examples=200)
@given(calendars_, st.one_of(moments, aligned))
def test_next_working_is_working_and_skips_no_work(cal, t):
    nxt = cal.next_working_h(t)
    assert nxt >= t
    assert cal.is_working_h(nxt)
    assert cal.working_hours_between_h(t, nxt) == 0.0
    assert cal.is_working_h(t) == (nxt == t)


@settings(deadline=None, max_examples=200)
@given(calendars_, st.one_of(moments, aligned), anchors)
def test_next_anchor_is_the_first_matching_local_time(cal, t, anchor):
    got = cal.next_anchor_h(t, anchor)
    assert got >= t - 1e-9
    assert got - t <= 7 * 24 + 1
    local = from_epoch_hours(got).tz_convert(cal.timezone)
    wall = (local.hour, local.minute)
    in_gap = (
        pd.Timestamp(  # the anchor's wall time did not exist that day
            local.date().isoformat() + f" {anchor.hour:02d}:{anchor.minute:02d}"
        ).tz_localize(cal.timezone, nonexistent="NaT", ambiguous=True)
        is pd.NaT
    )
    assert local.weekday() == anchor.weekday
    assert wall == (anchor.hour, anchor.minute) or in_gap
    # No earlier occurrence: the one a week before the answer lies before t.
    assert cal.next_anchor_h(got - 7 * 24 - 2, anchor) < t


@settings(deadline=None, max_examples=100)
@given(calendars_, moments, amounts)
def test_fresh_and_shared_calendars_agree_exactly(cal, start, hours):
    fresh = Calendar(cal.name, cal.timezone, cal.hours, cal.holidays, cal.freezes)
    assert fresh.add_working_hours_h(start, hours) == cal.add_working_hours_h(start, hours)
    assert fresh.working_hours_between_h(start, start + hours) == cal.working_hours_between_h(
        start, start + hours
    )


def test_docstring_examples_run():
    result = doctest.testmod(calendars, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 20
    assert result.failed == 0


@settings(max_examples=300, deadline=None)
@given(
    st.floats(min_value=490_000.0, max_value=520_000.0),
    st.sampled_from(["Mon 09:00", "Thu 12:00", "Sun 02:30", "Sat 23:59"]),
)
def test_anchor_memo_agrees_with_direct_computation(t: float, text: str) -> None:
    # the memo answers from a list of consecutive anchors; across DST changes too
    cal = Calendar("berlin", "Europe/Berlin")
    anchor = WeeklyAnchor.parse(text)
    cal.next_anchor_h(t + 2000.0, anchor)  # a memo built for a later time first
    assert cal.next_anchor_h(t, anchor) == cal._next_anchor_slow(t, anchor)


def test_midnight_memo_agrees_with_pandas_and_survives_being_cleared() -> None:
    cal = Calendar("ny", "America/New_York")
    rng = np.random.default_rng(5)
    moments = rng.uniform(490_000.0, 500_000.0, size=calendars._MIDNIGHT_MEMO + 50)
    for t in [*moments, *moments[:50]]:  # past the cap, then asked again
        days = int(t) % 9
        expected = (from_epoch_hours(t).tz_convert("America/New_York").normalize()
                    .tz_localize(None) + pd.Timedelta(days=days)).tz_localize("America/New_York")
        assert cal.local_midnight_h(t, days) == to_epoch_hours(expected)
    assert len(cal._midnight_memo) <= calendars._MIDNIGHT_MEMO
