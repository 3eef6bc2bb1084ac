"""The compiled timestamp reader (phasesim.eventlog._isotime) against the general path.

Every cell the compiled reader accepts must read exactly as the general path
(``_parse_general``, the parser before it) reads it: the same instant, the same offset
label, the same verdict. Cells it does not accept go the general way, so whole columns
must come out the same too.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from phasesim import read_log
from phasesim.errors import LogError
from phasesim.eventlog import _isotime, audit
from phasesim.eventlog.audit import _parse_general, parse_timestamps

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def _compiled_for_every_column(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled path for the small columns here too (large columns only, else)."""
    monkeypatch.setattr(audit, "COMPILED_MIN_CELLS", 0)

EDGES = [
    "2026-03-01T10:00:00+01:00", "2026-03-01 10:00:00+01:00", "2026-03-01t10:00:00+01:00",
    "2026-03-01T10:00:00Z", "2026-03-01T10:00:00z", "2026-03-01T10:00:00",
    "2024-02-29T12:00:00+00:00", "2025-02-29T12:00:00+00:00", "1900-02-29T00:00:00Z",
    "2000-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
    "2026-04-30T00:00:00Z", "2026-12-31T23:59:59Z", "2026-01-01T24:00:00Z",
    "2026-01-01T23:60:00Z", "2026-01-01T23:59:60Z", "2026-00-10T00:00:00Z",
    "2026-13-10T00:00:00Z", "2026-01-00T00:00:00Z", "2026-01-32T00:00:00Z",
    "2026-03-01T10:00:00+23:59", "2026-03-01T10:00:00+24:00", "2026-03-01T10:00:00+99:00",
    "2026-03-01T10:00:00-00:00", "2026-03-01T10:00:00+00:60", "2026-03-01T10:00:00-12:30",
    "2026-03-01T10:00:00+14:00", "2026-03-01T10:00:00+0100", "2026-03-01T10:00:00+01",
    "2026-03-01T10:00:00.5+01:00", "2026-03-01T10:00:00.123456789+01:00",
    "2026-03-01T10:00:00.1234567891+01:00", "2026-03-01T10:00:00.+01:00",
    "2026-03-01T10:00:00,5+01:00", "2026-03-01T10:00:00.000001Z", "2026-03-01T10:00:00.5Z",
    " 2026-03-01T10:00:00+01:00", "2026-03-01T10:00:00+01:00 ", "2026-03-01T10:00+01:00",
    "1677-09-21T00:12:44Z", "1677-09-22T00:00:00Z", "1678-01-01T00:00:00Z",
    "2261-12-31T23:59:59Z", "2262-04-11T23:47:16Z", "2262-04-12T00:00:00Z",
    "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-0３-01T10:00:00Z",
    "2026/03/01T10:00:00Z", "2026-03-01T10:00:00+01:00x", "", "garbage", "2026-03-01",
    "20260301T100000Z", "2026-03-01T1a:00:00Z", "+2026-03-01T10:00:00Z",
]


def _mutants(rng: np.random.Generator, n: int) -> list[str]:
    """Valid cells with random fields, then one character changed in some of them."""
    years = rng.integers(1670, 2270, n)
    out = []
    alphabet = "0123456789:-+.TZ ztx"
    for i in range(n):
        y, mo, d = int(years[i]), int(rng.integers(0, 14)), int(rng.integers(0, 33))
        h, mi, s = int(rng.integers(0, 25)), int(rng.integers(0, 61)), int(rng.integers(0, 61))
        frac = "" if rng.random() < 0.6 else "." + "".join(
            str(int(c)) for c in rng.integers(0, 10, int(rng.integers(0, 11))))
        kind = rng.random()
        if kind < 0.25:
            off = "Z"
        else:
            sign = "+" if rng.random() < 0.6 else "-"
            off = f"{sign}{int(rng.integers(0, 26)):02d}:{int(rng.integers(0, 62)):02d}"
        sep = "T" if rng.random() < 0.8 else " "
        text = f"{y:04d}-{mo:02d}-{d:02d}{sep}{h:02d}:{mi:02d}:{s:02d}{frac}{off}"
        if rng.random() < 0.3:
            k = int(rng.integers(0, len(text)))
            text = text[:k] + alphabet[int(rng.integers(0, len(alphabet)))] + text[k + 1:]
        out.append(text)
    return out


def _same(cells: list[str | None]) -> None:
    column = pd.Series(cells, dtype="string")
    fast, bad, labels = parse_timestamps(column, BERLIN)
    ref, ref_bad, ref_labels = _parse_general(column, BERLIN)
    assert fast.dtype == ref.dtype
    pd.testing.assert_series_equal(fast, ref)
    assert bad.tolist() == ref_bad.tolist()
    assert labels is not None and ref_labels is not None
    pd.testing.assert_series_equal(labels, ref_labels)


@pytest.mark.parametrize("cell", EDGES)
def test_each_edge_cell_reads_as_the_general_path(cell: str) -> None:
    _same([cell])


def test_random_cells_one_by_one_and_as_a_column() -> None:
    cells = _mutants(np.random.default_rng(9), 1500)
    ns, code = _isotime.parse_arrow(pa.array(cells, type=pa.string()))
    accepted = code != _isotime.REJECTED
    assert 300 < accepted.sum() < 1400  # both kinds are well represented
    for i in np.flatnonzero(accepted):  # accepted: the same instant and label one by one
        ref, ref_bad, ref_labels = _parse_general(pd.Series([cells[i]], dtype="string"), None)
        assert not ref_bad[0], cells[i]
        assert int(ref.iloc[0].value) == int(ns[i]), cells[i]
        assert ref_labels is not None and ref_labels.iloc[0] == _isotime.label_of(code[i])
    _same([*cells, None, *EDGES])


def test_hand_computed_instants_and_labels() -> None:
    cells = ["2026-03-01T10:00:00+01:00", "2024-02-29T23:30:00.25-02:30",
             "1970-01-01T00:00:00Z", "2026-03-01 10:00:00-00:00"]
    ns, code = _isotime.parse_arrow(pa.chunked_array([cells[:2], cells[2:]]))
    assert ns.tolist() == [
        1772355600 * 10**9,                   # 2026-03-01 09:00 UTC
        1709258400 * 10**9 + 250_000_000,     # 2024-03-01 02:00:00.25 UTC
        0, 1772359200 * 10**9,                # 2026-03-01 10:00 UTC
    ]
    assert [_isotime.label_of(c) for c in code] == ["+01:00", "-02:30", "+00:00", "-00:00"]


def test_sliced_chunks_nulls_and_large_strings() -> None:
    base = pa.array(["x", "2026-03-01T10:00:00Z", None, "2026-03-01T11:00:00+01:00"])
    ns, code = _isotime.parse_arrow(base.slice(1))
    assert code.tolist()[1] == _isotime.REJECTED
    assert ns[0] == ns[2] == 1772359200 * 10**9
    ns_l, code_l = _isotime.parse_arrow(base.cast(pa.large_string()))
    assert code_l.tolist()[0] == _isotime.REJECTED and ns_l[1] == ns[0]


def test_invalid_date_in_a_large_csv_names_its_row(tmp_path) -> None:
    rows = ["case:concept:name,concept:name,start_timestamp,time:timestamp"]
    for i in range(4):
        rows.append(f"r{i},a,2025-02-2{6 + i}T10:00:00+01:00,2025-03-01T11:00:00+01:00")
    path = tmp_path / "log.csv"
    path.write_text("\n".join(rows) + "\n")
    log = read_log(path)
    audit = {r["rule"]: r for r in log.attrs["audit"]}
    assert audit["unparsable_timestamp"]["count"] == 1
    assert audit["unparsable_timestamp"]["examples"] == ["5"]  # 2025-02-29, line 5
    with pytest.raises(LogError) as caught:
        read_log(path, strict=True)
    assert "'2025-02-29T10:00:00+01:00' is not a date" in str(caught.value)
    assert "line 5" in str(caught.value) or ":5" in str(caught.value)


def test_a_cell_pandas_reads_with_an_offset_among_naive_ones_is_no_date() -> None:
    # "...:46.Z" has no offset by the pattern but pandas reads a Z: it used to raise
    # pandas' "Mixed timezones detected" out of read_log; now it is an unparsable cell
    frame = pd.DataFrame({"release_id": ["r1", "r1"], "phase_id": ["a", "b"],
                          "start": ["2026-03-01 10:00:00", "2026-03-01T10:00:46.Z"],
                          "end": ["2026-03-01 11:00:00", "2026-03-01 12:00:00"]})
    log = read_log(frame)
    audit = {r["rule"]: r for r in log.attrs["audit"]}
    assert audit["unparsable_timestamp"]["count"] == 1
    assert audit["unparsable_timestamp"]["examples"] == ["1"]
    assert log["phase_id"].tolist() == ["a"]  # b has no start: dropped as missing_start
    assert str(log.loc[0, "start"]) == "2026-03-01 10:00:00+00:00"


def test_small_columns_go_the_general_way(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = _isotime.parse_arrow

    def spy(chunks: object) -> object:
        calls.append(len(chunks))  # type: ignore[arg-type]
        return real(chunks)

    monkeypatch.setattr(_isotime, "parse_arrow", spy)
    column = pd.Series(["2026-03-01T10:00:00+01:00"] * 3, dtype="string")
    monkeypatch.setattr(audit, "COMPILED_MIN_CELLS", 4)
    out, _, labels = parse_timestamps(column, None)
    assert calls == []
    monkeypatch.setattr(audit, "COMPILED_MIN_CELLS", 3)
    out_c, _, labels_c = parse_timestamps(column, None)
    assert calls == [3]
    assert out.tolist() == out_c.tolist() == [pd.Timestamp("2026-03-01 09:00", tz="UTC")] * 3
    assert labels is not None and labels_c is not None
    assert labels.tolist() == labels_c.tolist() == ["+01:00"] * 3
