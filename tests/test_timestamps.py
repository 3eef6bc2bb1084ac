"""parse_timestamps: the fast path (one ISO format guessed from the first cell, offsets
from the distinct endings) gives exactly what the cell-by-cell path gives."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from phasesim.eventlog import audit
from phasesim.eventlog.audit import _parse_any, _to_text, parse_timestamps

BERLIN = ZoneInfo("Europe/Berlin")


def utc(*stamps: str | None) -> list[pd.Timestamp]:
    return [pd.Timestamp(s, tz="UTC") if s else pd.NaT for s in stamps]


def test_first_cell_format_fast_and_other_spellings_the_long_way() -> None:
    cells = pd.Series([
        "2026-03-01T10:00:00+01:00",   # the guessed format, an offset
        "2026-03-01T10:00:00Z",        # the same format, Z
        "2026-03-01 10:00:00",         # naive: read in Berlin (+01:00 in March)
        "2026-03-01T10:00:00.5+0530",  # fractions: the long way
        "garbage",
        "",
        "2026-03-01T10:00+02",         # no seconds, hours-only offset
        "2026-13-01T10:00:00+01:00",   # month 13
    ], dtype="string")
    out, bad, labels = parse_timestamps(cells, BERLIN)
    assert out.tolist() == utc(
        "2026-03-01 09:00", "2026-03-01 10:00", "2026-03-01 09:00",
        "2026-03-01 04:30:00.5", None, None, "2026-03-01 08:00", None)
    assert bad.tolist() == [False, False, False, False, True, False, False, True]
    assert labels.tolist() == ["+01:00", "+00:00", "naive", "+05:30", "naive", pd.NA,
                               "+02:00", "+01:00"]
    # the same as the long way for every cell
    text = _to_text(cells)
    present = text.notna().to_numpy()
    slow, slow_labels = _parse_any(text[present], BERLIN)
    assert slow.tolist() == out[present].tolist()
    assert slow_labels.tolist() == labels[present].tolist()


def test_naive_first_cell_localises_and_drops_missing_local_times() -> None:
    cells = pd.Series(["2026-03-29 01:30:00", "2026-03-29 02:30:00",  # 02:30 does not exist
                       "2026-03-29 03:30:00", "2026-03-29T03:30:00-04:00", None])
    out, bad, labels = parse_timestamps(cells, BERLIN)
    assert out.tolist() == utc("2026-03-29 00:30", None, "2026-03-29 01:30",
                               "2026-03-29 07:30", None)
    assert bad.tolist() == [False, True, False, False, False]
    assert labels.tolist() == ["naive", "naive", "naive", "-04:00", pd.NA]


@pytest.mark.parametrize("ending,label", [("Z", "+00:00"), ("+05:45", "+05:45"),
                                          ("-0330", "-03:30"), ("+00:00", "+00:00")])
def test_offsets_from_the_distinct_endings(
    ending: str, label: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow: list[int] = []

    def counted(text: pd.Series, tz: ZoneInfo | None) -> tuple[pd.Series, pd.Series]:
        slow.append(len(text))
        return _parse_any(text, tz)

    monkeypatch.setattr(audit, "_parse_any", counted)
    cells = pd.Series([f"2026-01-0{d}T0{h}:1{m}:0{s}{ending}" for d in range(1, 4)
                       for h in range(3) for m in range(3) for s in range(3)])
    out, bad, labels = parse_timestamps(cells, None)
    assert not bad.any() and set(labels) == {label}
    assert slow == []  # every cell on the fast path
    expected = pd.to_datetime(cells, format="ISO8601", utc=True)
    assert np.array_equal(out.to_numpy(), expected.dt.as_unit("ns").to_numpy())
