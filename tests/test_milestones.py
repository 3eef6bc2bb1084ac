"""Milestone tables into the event log: the generic reader and CPython's history."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import phasesim
from phasesim.errors import LogError
from phasesim.eventlog.adapters.milestones import python_milestone

PYTHON_TOML = Path("/work/shared/data/external/python-releases.toml")

TABLE = """release,milestone,date,planned
1.10,beta,2026-02-10,2026-02-03
1.10,final,2026-03-03,2026-03-01
1.10,alpha,2026-01-06,2026-01-06
1.9,alpha,2025-10-01,
1.9,beta,2025-11-15,
1.9,final,2025-12-20,
1.11,alpha,2026-04-01,2026-04-01
1.11,beta,,2026-05-01
1.11,final,,2026-06-01
"""


def _ts(text: str | None) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC") if text else pd.NaT


@pytest.fixture()
def table(tmp_path: Path) -> Path:
    path = tmp_path / "milestones.csv"
    path.write_text(TABLE)
    return path


def test_three_versions_exact_spans(table: Path) -> None:
    log = phasesim.read_log(table)  # recognised as a milestone table
    assert log.attrs["format"] == "milestones"
    got = [(r.release_id, r.phase_id, r.status, r.start, r.end, r.planned_start,
            r.planned_end) for r in log.itertuples()]
    # a phase runs from the previous milestone to its own; the first is zero-length;
    # 1.11's beta is in progress (from alpha), its final is not reached (left out)
    assert got == [
        ("1.9", "alpha", "succeeded", _ts("2025-10-01"), _ts("2025-10-01"), pd.NaT, pd.NaT),
        ("1.9", "beta", "succeeded", _ts("2025-10-01"), _ts("2025-11-15"), pd.NaT, pd.NaT),
        ("1.9", "final", "succeeded", _ts("2025-11-15"), _ts("2025-12-20"), pd.NaT, pd.NaT),
        ("1.10", "alpha", "succeeded", _ts("2026-01-06"), _ts("2026-01-06"), pd.NaT,
         _ts("2026-01-06")),
        ("1.10", "beta", "succeeded", _ts("2026-01-06"), _ts("2026-02-10"),
         _ts("2026-01-06"), _ts("2026-02-03")),
        ("1.10", "final", "succeeded", _ts("2026-02-10"), _ts("2026-03-03"),
         _ts("2026-02-03"), _ts("2026-03-01")),
        ("1.11", "alpha", "succeeded", _ts("2026-04-01"), _ts("2026-04-01"), pd.NaT,
         _ts("2026-04-01")),
        ("1.11", "beta", "in_progress", _ts("2026-04-01"), pd.NaT, _ts("2026-04-01"),
         _ts("2026-05-01")),
    ]
    assert set(log["activity_type"]) == {"phase"}
    audit = phasesim.audit_table(log).set_index("rule")
    assert audit.loc["milestone_first", "count"] == 3
    assert audit.loc["milestone_not_reached", "count"] == 1
    assert list(audit.loc["milestone_not_reached", "examples"]) == ["1.11 final"]


def test_a_dataframe_milestone_table_is_recognised() -> None:
    frame = pd.DataFrame({"release": ["r1", "r1"], "milestone": ["cut", "ship"],
                          "date": ["2026-01-01", "2026-01-08"]})
    log = phasesim.read_log(frame)
    assert log["end"].sub(log["start"]).tolist() == [pd.Timedelta(0), pd.Timedelta(days=7)]


def test_a_table_without_a_date_column_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("release,milestone,when\n1,a,2026-01-01\n")
    with pytest.raises(LogError, match="no date column"):
        phasesim.read_log(path, format="milestones")


def test_python_milestone_names() -> None:
    assert [python_milestone(s) for s in (
        "3.12.0 alpha 1", "3.12.0 candidate 3", "3.12.0 final", "3.12.0", "3.12.4",
        "2.7.1 candidate 1", "2.0", "3.12.0 beta", "nonsense")] == [
        "alpha_1", "candidate_3", "final", "final", "micro_4", "micro_1_candidate_1",
        "final", None, None]


@pytest.mark.skipif(not PYTHON_TOML.exists(), reason="shared data not present")
def test_python_releases_reads_every_release_and_counts_what_it_skips() -> None:
    log = phasesim.read_log(PYTHON_TOML)  # recognised by its [[release."x.y"]] tables
    assert log.attrs["format"] == "python-releases"
    audit = phasesim.audit_table(log).set_index("rule")
    # 651 release items: 631 rows, 20 planned maintenance releases not reached yet
    assert len(log) == 631
    assert audit.loc["milestone_not_reached", "count"] == 20
    assert audit.loc["python_stage_unparsed", "count"] == 0
    assert len(log) + audit.loc["milestone_not_reached", "count"] == 651
    versions = list(dict.fromkeys(log["release_id"]))
    assert versions[:3] == ["1.6", "2.0", "2.1"]
    assert versions.index("3.9") < versions.index("3.10") < versions.index("3.11")
    assert len(versions) == 26
    py312 = log[log["release_id"] == "3.12"].set_index("phase_id")
    # alpha 1 runs from the start of development (2022-05-08) to 2022-10-24
    assert py312.loc["alpha_1", "start"] == _ts("2022-05-08")
    assert py312.loc["alpha_1", "end"] == _ts("2022-10-24")
    assert py312.loc["beta_1", "start"] == _ts("2023-04-04")  # alpha 7's date
    assert py312.loc["beta_1", "end"] == _ts("2023-05-22")
    assert py312.loc["final", "end"] == _ts("2023-10-02")
    assert (log["status"] == "in_progress").sum() == 4
