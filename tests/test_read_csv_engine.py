"""Large CSV files are read by pyarrow's reader first: read_log gives the same log, audit
and errors as with pandas' own reader (the threshold is set to 0 here to force it)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from phasesim.errors import LogError
from phasesim.eventlog import audit_table, read_log
from phasesim.eventlog import read as read_module

FILES = {
    # a BOM, an NA word, an empty cell, null, a naive time among offsets, padded text
    "mixed.csv": "\ufeffcase,activity,start,end,note\n"
                 "r1,a,2026-01-05T09:00:00+01:00,2026-01-05T10:00:00+01:00,NA\n"
                 "r1,b,2026-01-05T10:00:00+01:00,2026-01-05T11:00:00+01:00,\n"
                 "r2,a,2026-01-06T09:00:00Z,2026-01-06T10:00:00Z,null\n"
                 "r2,b,2026-01-06 10:00,2026-01-06 12:00, x \n",
    # a line break inside a quoted cell
    "newline.csv": "case,activity,start,end\n"
                   "r1,a,2026-01-05T09:00:00Z,2026-01-05T10:00:00Z\n"
                   'r1,"b\nc",2026-01-05T10:00:00Z,2026-01-05T11:00:00Z\n',
    # a ragged row: pyarrow refuses it, pandas fills the missing cell
    "ragged.csv": "case,activity,start,end,owner\n"
                  "r1,a,2026-01-05T09:00:00Z,2026-01-05T10:00:00Z,ann\n"
                  "r1,b,2026-01-05T10:00:00Z,2026-01-05T11:00:00Z\n",
}


def read_both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[pd.DataFrame, pd.DataFrame]:
    monkeypatch.setattr(read_module, "_PYARROW_BYTES", 1 << 60)
    pandas_only = read_log(path)
    monkeypatch.setattr(read_module, "_PYARROW_BYTES", 0)
    return pandas_only, read_log(path)


@pytest.mark.parametrize("name", sorted(FILES))
def test_same_log_and_audit_either_way(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / name
    path.write_text(FILES[name], encoding="utf-8")
    slow, fast = read_both(path, monkeypatch)
    assert_frame_equal(slow, fast)
    assert_frame_equal(audit_table(slow), audit_table(fast))


def test_hand_checked_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(FILES["mixed.csv"], encoding="utf-8")
    _, fast = read_both(path, monkeypatch)
    assert fast["release_id"].tolist() == ["r1", "r1", "r2", "r2"]
    assert fast["start"].tolist() == [pd.Timestamp(s, tz="UTC") for s in (
        "2026-01-05 08:00", "2026-01-05 09:00", "2026-01-06 09:00", "2026-01-06 10:00")]
    assert fast["note"].isna().tolist() == [True, True, True, False]
    assert fast["note"].iloc[3] == " x "


def test_errors_are_pandas_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "broken.csv"
    path.write_text('case,activity,start,end\nr1,"a,2026-01-05,2026-01-05\n', encoding="utf-8")
    monkeypatch.setattr(read_module, "_PYARROW_BYTES", 0)
    with pytest.raises(LogError, match="cannot read as csv"):
        read_log(path)
