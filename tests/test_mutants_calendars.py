"""Working time checked against a brute-force oracle, in any order of queries.

The calendar builds its working intervals lazily, a local year at a time, grows them
forwards and backwards as queries arrive, and snaps float noise. None of that may change an
answer. The oracle below knows nothing of it: it walks a 15-minute grid of UTC instants,
converts each to local time with pandas and asks whether the local weekday and time of day
lie in a window and the local date is not a holiday. Every window edge and every DST
change of Europe/Berlin (01:00 UTC) lies on that grid, so on grid points the oracle's
answers are exact: a moment is working iff its grid cell is, working hours between two
grid points are a quarter of the working cells between them, and so on.

The queries come in a shuffled order that jumps back and forth across years, so every
path of building, growing and re-building the spans is taken, on one shared calendar and
on fresh ones.
"""

from __future__ import annotations

from datetime import UTC, date

import numpy as np
import pandas as pd
import pytest

from phasesim.calendars import Calendar, WeeklyAnchor, to_epoch_hours

ZONE = "Europe/Berlin"
# a Friday evening window running into a whole Saturday (merged over midnight), a night
# window on Sundays (the DST changes happen inside it), office hours on weekdays
HOURS = "Mon-Thu 09:00-17:00, Fri 09:00-12:00, Fri 22:00-24:00, Sat 00:00-24:00, Sun 01:00-04:00"
WINDOWS = {
    0: [(540, 1020)], 1: [(540, 1020)], 2: [(540, 1020)], 3: [(540, 1020)],
    4: [(540, 720), (1320, 1440)], 5: [(0, 1440)], 6: [(60, 240)],
}
HOLIDAYS = (date(2025, 12, 25), date(2026, 1, 1), date(2026, 3, 28), date(2027, 1, 1))
FIRST, LAST = "2024-12-01", "2028-02-01"  # UTC; the oracle's grid
STEP_H = 0.25


def oracle_grid() -> tuple[np.ndarray, np.ndarray]:
    """(cell starts in epoch hours, working flag of each 15-minute cell)."""
    grid = pd.date_range(FIRST, LAST, freq="15min", tz="UTC", inclusive="left")
    local = grid.tz_convert(ZONE)
    minute = np.asarray(local.hour * 60 + local.minute)
    weekday = np.asarray(local.day_of_week)
    working = np.zeros(len(grid), dtype=bool)
    for day, windows in WINDOWS.items():
        for start, end in windows:
            working |= (weekday == day) & (minute >= start) & (minute < end)
    holiday = np.isin(np.asarray(local.date), np.array(HOLIDAYS, dtype=object))
    working &= ~holiday
    hours = (grid - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(hours=1)
    return np.asarray(hours, dtype=float), working


def calendar() -> Calendar:
    return Calendar("ops", ZONE, HOURS, holidays=HOLIDAYS)


def shuffled_points(rng: np.random.Generator, cells: np.ndarray, n: int) -> np.ndarray:
    """Grid indices in a random order, half of them within a few days of a year's end."""
    year_ends = [to_epoch_hours(f"{y}-12-31 23:00Z") for y in (2024, 2025, 2026, 2027)]
    near = [int(np.searchsorted(cells, e)) for e in year_ends]
    picks = rng.integers(1, len(cells) - 1, n // 2)
    close = rng.choice(near, n - n // 2) + rng.integers(-300, 300, n - n // 2)
    out = np.concatenate([picks, close])
    rng.shuffle(out)
    return np.clip(out, 1, len(cells) - 2)


@pytest.mark.parametrize("fresh", [False, True], ids=["shared", "fresh"])
def test_is_working_and_next_working_match_the_oracle(fresh: bool):
    cells, working = oracle_grid()
    rng = np.random.default_rng(7)
    shared = calendar()
    next_open = np.full(len(cells), np.inf)
    idx = np.flatnonzero(working)
    pos = np.searchsorted(idx, np.arange(len(cells)))
    ok = pos < len(idx)
    next_open[ok] = cells[idx[pos[ok]]]
    for i in shuffled_points(rng, cells, 400):
        cal = calendar() if fresh else shared
        t = float(cells[i])
        assert cal.is_working_h(t) == working[i], (i, t)
        assert cal.next_working_h(t) == pytest.approx(next_open[i], abs=1e-9), (i, t)
        # a moment a little inside the cell answers as the cell does
        assert cal.is_working_h(t + 0.1) == working[i], (i, t)


@pytest.mark.parametrize("fresh", [False, True], ids=["shared", "fresh"])
def test_working_hours_between_match_the_oracle(fresh: bool):
    cells, working = oracle_grid()
    worked = np.concatenate([[0.0], np.cumsum(working) * STEP_H])  # before cell i
    rng = np.random.default_rng(11)
    shared = calendar()
    points = shuffled_points(rng, cells, 600)
    for i, j in zip(points[::2], points[1::2], strict=True):
        a, b = sorted((int(i), int(j)))
        cal = calendar() if fresh else shared
        expected = worked[b] - worked[a]
        assert cal.working_hours_between_h(float(cells[a]), float(cells[b])) == \
            pytest.approx(expected, abs=1e-9), (a, b)
        assert cal.working_hours_between_h(float(cells[b]), float(cells[a])) == \
            pytest.approx(-expected, abs=1e-9), (a, b)


@pytest.mark.parametrize("fresh", [False, True], ids=["shared", "fresh"])
def test_add_working_hours_match_the_oracle(fresh: bool):
    """add(t, h) is the moment the h-th working hour after t ends: the end of the working
    cell in which the cumulative work reaches h (a window's end, not the next start)."""
    cells, working = oracle_grid()
    worked = np.cumsum(working) * STEP_H  # work up to the end of cell i
    rng = np.random.default_rng(3)
    shared = calendar()
    for i in shuffled_points(rng, cells, 300):
        cal = calendar() if fresh else shared
        quarters = int(rng.choice([0, 1, 3, 7, 32, 33, 41, 160, 400, 3000, 9000]))
        before = worked[i - 1]
        target = before + quarters * STEP_H
        if target > worked[-1] - 200:
            continue  # beyond the oracle's grid
        if quarters == 0:
            expected = float(cells[i])
        else:
            k = int(np.searchsorted(worked, target - 1e-9))
            expected = float(cells[k]) + STEP_H
        got = cal.add_working_hours_h(float(cells[i]), quarters * STEP_H)
        assert got == pytest.approx(expected, abs=1e-9), (i, quarters)


def test_working_intervals_match_the_oracle():
    cells, working = oracle_grid()
    cal = calendar()
    rng = np.random.default_rng(5)
    for i in shuffled_points(rng, cells, 40):
        j = min(int(i) + int(rng.integers(1, 4000)), len(cells) - 1)
        got = cal.working_intervals_h(float(cells[i]), float(cells[j]))
        flags = working[i:j]
        edges = np.diff(np.concatenate([[0], flags.astype(int), [0]]))
        starts = cells[i:j + 1][np.flatnonzero(edges == 1)]
        ends = cells[i:j + 1][np.flatnonzero(edges == -1)]
        expected = np.column_stack([starts, ends]).reshape(-1, 2)
        np.testing.assert_allclose(got, expected, atol=1e-9)


def test_next_anchor_forwards_and_backwards_matches_the_oracle():
    """Anchors asked for out of order (a memo grows both ways) are the first local
    Tuesday 10:00 at or after t, by pandas' own conversion."""
    cal = calendar()
    anchor = WeeklyAnchor.parse("Tue 10:00")
    tuesdays = pd.date_range("2024-12-03 10:00", "2028-02-01", freq="7D", tz=ZONE)
    times = np.asarray((tuesdays - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(hours=1))
    rng = np.random.default_rng(9)
    queries = np.concatenate([
        rng.uniform(times[60], times[-2], 40),
        rng.uniform(times[0], times[5], 10),  # far behind the memo: extend backwards
        times[[3, 70, 100]],  # exactly on an anchor
        times[[4, 71]] + 1e-7,  # float noise after an anchor
        times[[5, 72]] - 1e-3,  # just before one
    ])
    rng.shuffle(queries)
    for t in queries:
        k = int(np.searchsorted(times, t - 4e-6 / 3600))
        assert cal.next_anchor_h(float(t), anchor) == pytest.approx(times[k], abs=1e-9), t
        fresh = calendar()
        assert fresh.next_anchor_h(float(t), "Tue 10:00") == pytest.approx(times[k], abs=1e-9)


def test_the_anchor_memo_holds_consecutive_anchors_grown_by_the_documented_steps():
    """The memo behind next_anchor_h: the first answer, then 52 anchors more each time a
    query passes its end, and, for a query before its start, every anchor from that one
    up to the first (no duplicate, no gap). Its contents are what the binary search reads,
    so a duplicate or a missing week would be a wrong answer waiting for the right query."""
    cal = calendar()
    anchor = WeeklyAnchor.parse("Tue 10:00")
    tuesdays = pd.date_range("2025-01-07 10:00", "2028-12-31", freq="7D", tz=ZONE)
    times = list(np.asarray((tuesdays - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(hours=1)))
    i0 = 20
    assert cal.next_anchor_h(times[i0] - 30.0, anchor) == times[i0]
    assert cal._anchor_memo[anchor] == [times[i0]]
    # ten weeks on: one year's worth (52) appended
    assert cal.next_anchor_h(times[i0 + 10] - 1.0, anchor) == times[i0 + 10]
    assert cal._anchor_memo[anchor] == times[i0:i0 + 53]
    # five weeks before the first: those five put in front, the first not repeated
    assert cal.next_anchor_h(times[i0 - 5] - 1.0, anchor) == times[i0 - 5]
    assert cal._anchor_memo[anchor] == times[i0 - 5:i0 + 53]
    # within a day before the first: 166 h is not yet a week, nothing is added
    assert cal.next_anchor_h(times[i0 - 5] - 20.0, anchor) == times[i0 - 5]
    assert cal._anchor_memo[anchor] == times[i0 - 5:i0 + 53]
    # one week before (167 or 168 h): that one anchor is added
    assert cal.next_anchor_h(times[i0 - 6] - 0.5, anchor) == times[i0 - 6]
    assert cal._anchor_memo[anchor] == times[i0 - 6:i0 + 53]
    # exactly at the last: no growth; a microsecond past it: 52 more
    assert cal.next_anchor_h(times[i0 + 52], anchor) == times[i0 + 52]
    assert len(cal._anchor_memo[anchor]) == 59
    assert cal.next_anchor_h(times[i0 + 52] + 1e-3, anchor) == times[i0 + 53]
    assert cal._anchor_memo[anchor] == times[i0 - 6:i0 + 105]
    # a second anchor has its own list
    assert cal.next_anchor_h(times[i0], "Tue 10:30") == times[i0] + 0.5
    assert cal._anchor_memo[WeeklyAnchor.parse("Tue 10:30")] == [times[i0] + 0.5]


def test_an_anchor_167_hours_back_across_spring_forward_is_found():
    """Berlin's Tuesdays 10:00 around 2025-03-30 are 167 h apart (09:00Z, then 08:00Z).
    Asked 4 us after the earlier one (on it, by the snap) with only the later one in the
    memo, the memo must grow backwards."""
    cal = Calendar("x", ZONE, "Mon-Fri 09:00-17:00")
    before, after = to_epoch_hours("2025-03-25 09:00Z"), to_epoch_hours("2025-04-01 08:00Z")
    assert after - before == 167.0
    assert cal.next_anchor_h(after - 1.0, "Tue 10:00") == after
    from phasesim.calendars import _SNAP_H

    assert cal.next_anchor_h(before + _SNAP_H, "Tue 10:00") == before
    assert cal._anchor_memo[WeeklyAnchor.parse("Tue 10:00")] == [before, after]


def test_a_moment_a_rounding_error_before_new_year():
    """Berlin's 2028 starts at 2027-12-31 23:00Z, inside the Friday 22:00-24:00 window
    that runs on into Saturday 1 January 2028 (a working day here). The float just
    before it (0.2 us earlier) rounds to the new year's microsecond when its local year
    is looked up; the calendar must still answer for the old year's last working minute,
    on a fresh calendar and on one whose built years start in 2028."""
    new_year = to_epoch_hours("2027-12-31 23:00Z")
    t = float(np.nextafter(new_year, 0.0))
    assert new_year - t < 0.5e-6 / 3600
    for first in (None, new_year + 7 * 24 + 12):  # Saturday 8 January 2028, noon
        cal = calendar()
        if first is not None:
            assert cal.is_working_h(first)  # builds 2028 only
        assert cal.is_working_h(t)
        assert cal.next_working_h(t) == t
        assert cal.working_hours_between_h(t, new_year + 2.0) == pytest.approx(2.0, abs=1e-9)
        assert cal.add_working_hours_h(t, 1.0) == pytest.approx(new_year + 1.0, abs=1e-9)


def test_exactly_at_new_year_after_the_old_year_was_built():
    """The built span of 2027 ends at 2028's first instant; that instant belongs to 2028
    (Saturday 1 January, working all day; Sunday 01:00-04:00 local), not to the
    end of the old span."""
    new_year = to_epoch_hours("2027-12-31 23:00Z")
    cal = calendar()
    assert not cal.is_working_h(to_epoch_hours("2027-06-06 12:00Z"))  # a Sunday: builds 2027
    assert cal.is_working_h(new_year)
    assert cal.next_working_h(new_year) == new_year
    cal = calendar()
    cal.is_working_h(to_epoch_hours("2027-06-06 12:00Z"))
    np.testing.assert_allclose(cal.working_intervals_h(new_year, new_year + 30.0),
                               [[new_year, new_year + 24.0], [new_year + 25.0, new_year + 28.0]])


def test_the_first_and_last_supported_years():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    cal = Calendar("x", ZONE, "Mon-Fri 09:00-17:00")
    for moment in (datetime(2, 1, 3, 10, tzinfo=UTC),
                   datetime(9998, 12, 28, 10, tzinfo=UTC)):
        local = moment.astimezone(ZoneInfo(ZONE))
        expected = local.weekday() < 5 and 9 <= local.hour < 17
        assert cal.is_working_h(to_epoch_hours(moment)) == expected
    with pytest.raises(ValueError, match=r"^working time is only available for the years "
                       r"2\.\.9998, asked for 9999$"):
        cal.is_working_h(to_epoch_hours(datetime(9999, 6, 1, tzinfo=UTC)))
    with pytest.raises(ValueError, match=r"asked for 1$"):
        cal.is_working_h(to_epoch_hours(datetime(1, 6, 1, tzinfo=UTC)))
    late = to_epoch_hours(datetime(9998, 12, 28, 10, tzinfo=UTC))
    with pytest.raises(ValueError, match=r"^no working time left before the end of the "
                       r"year 9998$"):
        cal.add_working_hours_h(late, 100.0)
    with pytest.raises(ValueError, match="no working time left"):
        cal.next_working_h(to_epoch_hours(datetime(9998, 12, 31, 20, tzinfo=UTC)))


def test_an_always_open_calendar():
    cal = Calendar.always()
    assert (cal.name, cal.timezone, cal.hours) == ("24/7", "UTC", "24/7")
    assert Calendar.always("ops", "Europe/Berlin").name == "ops"
    assert cal.is_always_open and cal.is_working_h(5.0)
    np.testing.assert_array_equal(cal.working_intervals_h(1.0, 3.5), [[1.0, 3.5]])
    for a, b in ((3.0, 3.0), (3.0, 1.0)):
        assert cal.working_intervals_h(a, b).shape == (0, 2)
    for bad in (np.inf, -np.inf, np.nan):
        with pytest.raises(ValueError, match=r"^expected finite epoch hours, found "):
            cal.is_working_h(bad)
        with pytest.raises(ValueError, match="expected finite epoch hours"):
            cal.working_intervals_h(bad, 3.0)
        with pytest.raises(ValueError, match="expected finite epoch hours"):
            cal.working_intervals_h(1.0, bad)


def test_adding_a_window_plus_the_snap_ends_at_the_window():
    """Monday 2026-01-12 09:00-17:00 Berlin (08:00-16:00Z): 8 h plus the 4 us snap from
    09:00 is the window's end, not 4 us into Tuesday's window."""
    from phasesim.calendars import _SNAP_H

    cal = Calendar("x", ZONE, "Mon-Fri 09:00-17:00")
    start, end = to_epoch_hours("2026-01-12 08:00Z"), to_epoch_hours("2026-01-12 16:00Z")
    assert cal.add_working_hours_h(start, (end - start) + _SNAP_H) == end


def test_messages_for_bad_moments_and_weekdays():
    from datetime import datetime, timedelta, tzinfo

    from phasesim.calendars import _weekday

    class NoOffset(tzinfo):
        def utcoffset(self, dt: datetime | None) -> timedelta | None:
            return None

        def dst(self, dt: datetime | None) -> timedelta | None:
            return None

    assert to_epoch_hours(datetime(1970, 1, 2, 6, tzinfo=NoOffset())) == 30.0  # as UTC
    with pytest.raises(TypeError, match=r"^expected a datetime, pandas Timestamp or ISO "
                       r"string, found int 3$"):
        to_epoch_hours(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^expected a date and time, found NaT$"):
        to_epoch_hours("NaT")
    with pytest.raises(ValueError, match=r"^epoch hours 1000000000000\.0 lie outside the "
                       r"supported years$"):
        Calendar("x", "UTC", "Mon 09:00-17:00").next_anchor_h(1e12, "Mon 10:00")
    with pytest.raises(ValueError, match=r"^expected a weekly time such as 'Thu 12:00', "
                       r"found 3$"):
        WeeklyAnchor.parse(3)  # type: ignore[arg-type]
    # four letters or fewer: an abbreviation is suggested first; five or more: a full name
    for word, hint in (("Satu", "Sat"), ("Mondy", "Monday"), ("Satxxxx", "Sat")):
        with pytest.raises(ValueError, match=rf"^unknown weekday '{word}' \(did you mean "
                           rf"'{hint}'\?\)$"):
            _weekday(word)


def test_dashes_in_hours_may_be_en_or_em_dashes():
    from phasesim.calendars import parse_hours

    assert parse_hours("Mon\u2013Fri 09:00\u201417:00") == parse_hours("Mon-Fri 09:00-17:00")
