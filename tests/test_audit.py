"""One test per audit rule of read_log, on tiny hand-made logs: exact counts, examples,
and what happens to the row; and strict mode for each rule that drops or fixes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from phasesim.errors import LogError
from phasesim.eventlog import AUDIT_COLUMNS, AUDIT_RULES, audit_log, audit_table, read_log
from phasesim.eventlog.adapters.github import GITHUB_RULES
from phasesim.eventlog.adapters.harness import HARNESS_RULES

UTC = "UTC"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "event-log.md"


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=UTC)


def frame(*rows: tuple[object, ...], columns: tuple[str, ...] = (
        "release_id", "phase_id", "activity_id", "status", "start", "end")) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(columns))


def audit_row(log: pd.DataFrame, rule: str) -> pd.Series:
    return audit_table(log).set_index("rule").loc[rule]


def count(log: pd.DataFrame, rule: str) -> int:
    return int(audit_row(log, rule)["count"])


def examples(log: pd.DataFrame, rule: str) -> list[str]:
    return list(audit_row(log, rule)["examples"])


GOOD = ("r1", "build", "compile", "succeeded", "2026-03-02T09:00Z", "2026-03-02T10:00Z")


# -- the table itself ---------------------------------------------------------------------


def test_audit_table_lists_every_rule_in_order_with_zero_counts() -> None:
    log = read_log(frame(GOOD))
    audit = audit_table(log)
    assert isinstance(log.attrs["audit"], list)  # plain records in attrs
    assert tuple(audit.columns) == AUDIT_COLUMNS
    assert audit["rule"].tolist() == [r.name for r in AUDIT_RULES]
    assert audit["action"].tolist() == [r.action for r in AUDIT_RULES]
    clean = audit.set_index("rule").drop(index=["status_assumed", "attempt_assigned"],
                                         errors="ignore")
    assert (clean["count"] == 0).all()
    assert count(log, "attempt_assigned") == 1
    assert log.attrs["source"] == "<DataFrame>"
    assert log.attrs["rows"] == {"read": 1, "kept": 1}


def test_every_rule_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for rule in (*AUDIT_RULES, *GITHUB_RULES, *HARNESS_RULES):
        assert f"`{rule.name}`" in text, rule.name


def test_logs_with_audits_concatenate() -> None:
    a = read_log(frame(GOOD))
    b = read_log(frame(("r2", *GOOD[1:])))
    both = pd.concat([a, b], ignore_index=True)
    assert len(both) == 2
    same = pd.concat([a, a.copy()])
    assert audit_table(same).equals(audit_table(a))


def test_audit_survives_a_parquet_round_trip(tmp_path: Path) -> None:
    log = read_log(frame(GOOD, GOOD))
    log.to_parquet(tmp_path / "log.parquet")
    again = pd.read_parquet(tmp_path / "log.parquet")
    assert count(again, "duplicate") == 1
    assert again.attrs["source"] == "<DataFrame>"


def test_audit_log_reports_without_changing_the_frame() -> None:
    raw = frame(GOOD, ("r1", "test", "unit", "succeeded", "2026-03-02T12:00Z",
                       "2026-03-02T11:00Z"))
    before = raw.copy()
    audit = audit_log(raw)
    assert int(audit.set_index("rule").loc["end_before_start", "count"]) == 1
    pd.testing.assert_frame_equal(raw, before)


# -- one test per rule ----------------------------------------------------------------------


def test_unparsable_timestamp_becomes_nat_then_missing_start_drops_the_row() -> None:
    log = read_log(frame(GOOD, ("r1", "test", "unit", "succeeded", "yesterday-ish",
                                "2026-03-02T11:00Z")))
    assert count(log, "unparsable_timestamp") == 1
    assert examples(log, "unparsable_timestamp") == ["1"]
    assert count(log, "missing_start") == 1
    assert log["activity_id"].tolist() == ["compile"]


def test_unparsable_planned_time_keeps_the_row() -> None:
    raw = frame((*GOOD, "not a date"), columns=(
        "release_id", "phase_id", "activity_id", "status", "start", "end", "planned_end"))
    log = read_log(raw)
    assert count(log, "unparsable_timestamp") == 1
    assert len(log) == 1 and pd.isna(log.loc[0, "planned_end"])


def test_mixed_timezones_are_converted_and_counted() -> None:
    log = read_log(frame(
        ("r1", "a", "x", "succeeded", "2026-03-02T09:00:00+02:00", "2026-03-02T10:00:00+02:00"),
        ("r1", "b", "y", "succeeded", "2026-03-30T09:00:00+03:00", "2026-03-30T10:00:00+03:00"),
        ("r1", "c", "z", "succeeded", "2026-04-01T09:00:00+02:00", "2026-04-01T10:00:00+02:00"),
    ))
    assert count(log, "mixed_timezones") == 1
    assert examples(log, "mixed_timezones") == ["1"]
    assert "+02:00 (4 cells), +03:00 (2 cells)" in audit_row(log, "mixed_timezones")[
        "description"]
    assert log["start"].tolist() == [ts("2026-03-02 07:00"), ts("2026-03-30 06:00"),
                                     ts("2026-04-01 07:00")]


def test_naive_and_aware_mixed_counts_the_naive_rows() -> None:
    naive = (*GOOD[:2], "y", "succeeded", "2026-03-02 11:00", "2026-03-02 12:00")
    log = read_log(frame(GOOD, naive), tz="Europe/Berlin")
    assert count(log, "mixed_timezones") == 1
    assert log.loc[1, "start"] == ts("2026-03-02 10:00")


def test_duplicate_rows_are_dropped_keeping_the_first() -> None:
    log = read_log(frame(GOOD, GOOD, ("r1", "test", "unit", "succeeded",
                                      "2026-03-02T10:00Z", "2026-03-02T11:00Z"), GOOD))
    assert count(log, "duplicate") == 2
    assert examples(log, "duplicate") == ["1", "3"]
    assert len(log) == 2
    assert log["source_row"].tolist() == [0, 2]


def test_same_times_with_different_status_are_not_duplicates() -> None:
    log = read_log(frame(GOOD, (*GOOD[:3], "failed", *GOOD[4:])))
    assert count(log, "duplicate") == 0
    assert count(log, "overlapping_retry") == 1


def test_lifecycle_unused_events_are_counted() -> None:
    raw = pd.DataFrame({
        "case:concept:name": ["c"] * 4,
        "concept:name": ["a"] * 4,
        "lifecycle:transition": ["start", "suspend", "resume", "complete"],
        "time:timestamp": ["2026-03-02T09:00Z", "2026-03-02T09:10Z", "2026-03-02T09:20Z",
                           "2026-03-02T09:30Z"],
    })
    log = read_log(raw)
    assert count(log, "lifecycle_unused") == 2
    assert examples(log, "lifecycle_unused") == ["1", "2"]
    assert log[["start", "end"]].values.tolist() == [[ts("2026-03-02 09:00"),
                                                      ts("2026-03-02 09:30")]]


def test_unknown_status_rows_are_dropped_and_values_listed() -> None:
    log = read_log(frame(GOOD, ("r1", "test", "unit", "done-ish", *GOOD[4:]),
                         ("r1", "test", "lint", "done-ish", *GOOD[4:])))
    assert count(log, "unknown_status") == 2
    assert "'done-ish' (2)" in audit_row(log, "unknown_status")["description"]
    assert log["status"].tolist() == ["succeeded"]


@pytest.mark.parametrize(
    ("word", "status"),
    [("success", "succeeded"), ("SUCCESS", "succeeded"), ("Completed", "succeeded"),
     ("failure", "failed"), ("TIMED_OUT", "failed"), ("timed_out", "failed"),
     ("cancelled", "aborted"), ("canceled", "aborted"), ("Aborted", "aborted"),
     ("ignored", "skipped"), ("Skipped", "skipped"), ("rejected", "rejected"),
     ("running", "in_progress"), ("In Progress", "in_progress"), ("pending", "in_progress"),
     ("queued", "in_progress"), ("on-hold", "in_progress")],
)
def test_status_vocabulary(word: str, status: str) -> None:
    end = None if status == "in_progress" else GOOD[5]
    log = read_log(frame((*GOOD[:3], word, GOOD[4], end)))
    assert log["status"].tolist() == [status]


def test_unknown_activity_type_is_set_to_manual() -> None:
    raw = frame((*GOOD, "robot"), (*GOOD[:2], "b", *GOOD[3:], "Pipeline"),
                columns=("release_id", "phase_id", "activity_id", "status", "start", "end",
                         "activity_type"))
    log = read_log(raw)
    assert count(log, "unknown_activity_type") == 1
    types = dict(zip(log["activity_id"], log["activity_type"], strict=True))
    assert types == {"compile": "manual", "b": "automated"}


def test_missing_id_rows_are_dropped() -> None:
    log = read_log(frame(GOOD, (None, *GOOD[1:]), ("r1", None, None, *GOOD[3:])))
    assert count(log, "missing_id") == 2
    assert examples(log, "missing_id") == ["1", "2"]
    assert len(log) == 1


def test_never_started_reads_as_zero_duration_at_the_end() -> None:
    log = read_log(frame(("r1", "test", "lint", "failed", None, "2026-03-02T10:00Z"),
                         ("r1", "test", "unit", "canceled", None, "2026-03-02T11:00Z")))
    assert count(log, "never_started") == 2
    assert count(log, "missing_start") == 0
    assert (log["start"] == log["end"]).all()
    assert log["status"].tolist() == ["failed", "aborted"]


def test_not_started_rows_are_dropped() -> None:
    log = read_log(frame(GOOD, ("r1", "deploy", "prod", "queued", None, None)))
    assert count(log, "not_started") == 1
    assert examples(log, "not_started") == ["1"]
    assert count(log, "in_progress") == 0
    assert len(log) == 1


def test_missing_start_rows_are_dropped() -> None:
    log = read_log(frame(GOOD, ("r1", "test", "unit", "succeeded", None, "2026-03-02T11:00Z")))
    assert count(log, "missing_start") == 1
    assert len(log) == 1


def test_missing_end_of_a_finished_row_is_dropped() -> None:
    log = read_log(frame(GOOD, ("r1", "test", "unit", "succeeded", "2026-03-02T11:00Z", None)))
    assert count(log, "missing_end") == 1
    assert examples(log, "missing_end") == ["1"]
    assert len(log) == 1


def test_end_before_start_rows_are_dropped() -> None:
    log = read_log(frame(GOOD, ("r1", "test", "unit", "succeeded", "2026-03-02T12:00Z",
                                "2026-03-02T11:00Z")))
    assert count(log, "end_before_start") == 1
    assert len(log) == 1


def test_in_progress_with_end_clears_the_end() -> None:
    log = read_log(frame(GOOD, ("r1", "test", "unit", "running", "2026-03-02T10:00Z",
                                "2026-03-02T11:00Z")))
    assert count(log, "in_progress_with_end") == 1
    assert log.loc[1, "status"] == "in_progress"
    assert pd.isna(log.loc[1, "end"])


def test_zero_duration_is_flagged_and_kept() -> None:
    log = read_log(frame(GOOD, ("r1", "test", "unit", "succeeded", "2026-03-02T10:00Z",
                                "2026-03-02T10:00Z")))
    assert count(log, "zero_duration") == 1
    assert len(log) == 2


def test_invalid_attempts_are_renumbered_by_start() -> None:
    raw = frame((*GOOD, 1), (*GOOD[:4], "2026-03-02T11:00Z", "2026-03-02T12:00Z", "two"),
                ("r1", "test", "unit", "succeeded", "2026-03-02T11:00Z", "2026-03-02T12:00Z",
                 "3"),
                columns=("release_id", "phase_id", "activity_id", "status", "start", "end",
                         "attempt"))
    log = read_log(raw)
    assert count(log, "invalid_number") == 1
    assert log[["activity_id", "attempt"]].values.tolist() == [
        ["compile", 1], ["compile", 2], ["unit", 3]]


def test_invalid_run_becomes_zero() -> None:
    raw = frame((-1, *GOOD), columns=("run", "release_id", "phase_id", "activity_id",
                                       "status", "start", "end"))
    log = read_log(raw)
    assert count(log, "invalid_number") == 1
    assert log["run"].tolist() == [0]


def test_overlapping_retry_is_flagged_and_kept() -> None:
    log = read_log(frame(
        GOOD,
        ("r1", "build", "compile", "succeeded", "2026-03-02T09:30Z", "2026-03-02T10:30Z"),
        ("r1", "build", "compile", "succeeded", "2026-03-02T11:00Z", "2026-03-02T12:00Z"),
    ))
    assert count(log, "overlapping_retry") == 1
    assert examples(log, "overlapping_retry") == ["1"]
    assert log["attempt"].tolist() == [1, 2, 3]


def test_unsorted_input_is_flagged_and_returned_sorted() -> None:
    log = read_log(frame(
        ("r1", "test", "unit", "succeeded", "2026-03-02T11:00Z", "2026-03-02T12:00Z"),
        GOOD,
        ("r2", "build", "compile", "succeeded", "2026-03-01T09:00Z", "2026-03-01T10:00Z"),
    ))
    assert count(log, "unsorted") == 1
    assert examples(log, "unsorted") == ["1"]
    assert log[["release_id", "activity_id"]].values.tolist() == [
        ["r2", "compile"], ["r1", "compile"], ["r1", "unit"]]


def test_in_progress_releases_stay_with_end_nat() -> None:
    log = read_log(frame(GOOD, ("r2", "build", "compile", "running", "2026-03-03T09:00Z",
                                None),
                         ("r2", "test", "unit", None, "2026-03-03T10:00Z", None)))
    assert count(log, "in_progress") == 1
    assert examples(log, "in_progress") == ["r2"]
    assert log["status"].tolist() == ["succeeded", "in_progress", "in_progress"]
    assert log["end"].isna().tolist() == [False, True, True]


def test_status_assumed_without_a_status_column() -> None:
    raw = frame(GOOD[:3] + GOOD[4:], ("r1", "test", "unit", "2026-03-02T10:00Z", None),
                columns=("release_id", "phase_id", "activity_id", "start", "end"))
    log = read_log(raw)
    assert count(log, "status_assumed") == 2
    assert log["status"].tolist() == ["succeeded", "in_progress"]


def test_phase_assumed_without_a_phase_column() -> None:
    raw = frame(("r1", "compile", GOOD[4], GOOD[5]),
                columns=("release_id", "activity_id", "start", "end"))
    log = read_log(raw)
    assert count(log, "phase_assumed") == 1
    assert log.loc[0, "phase_id"] == "compile"


def test_attempt_assigned_by_start_order() -> None:
    log = read_log(frame(
        ("r1", "build", "compile", "failed", "2026-03-02T11:00Z", "2026-03-02T12:00Z"),
        ("r1", "build", "compile", "failed", "2026-03-02T09:00Z", "2026-03-02T10:00Z"),
        ("r1", "build", "compile", "succeeded", "2026-03-02T13:00Z", "2026-03-02T14:00Z"),
    ))
    assert count(log, "attempt_assigned") == 3
    assert log["attempt"].tolist() == [1, 2, 3]
    assert log["source_row"].tolist() == [1, 0, 2]


# -- strict mode -----------------------------------------------------------------------------

STRICT_CASES = {
    "unparsable_timestamp": ("r1", "b", "c", "succeeded", "soon", "2026-03-02T10:00Z"),
    "duplicate": GOOD,
    "unknown_status": ("r1", "b", "c", "meh", "2026-03-02T09:00Z", "2026-03-02T10:00Z"),
    "never_started": ("r1", "b", "c", "failed", None, "2026-03-02T10:00Z"),
    "not_started": ("r1", "b", "c", "queued", None, None),
    "missing_end": ("r1", "b", "c", "succeeded", "2026-03-02T09:00Z", None),
    "end_before_start": ("r1", "b", "c", "succeeded", "2026-03-02T11:00Z", "2026-03-02T10:00Z"),
    "in_progress_with_end": ("r1", "b", "c", "running", "2026-03-02T09:00Z",
                             "2026-03-02T10:00Z"),
    "missing_id": (None, "b", "c", "succeeded", "2026-03-02T09:00Z", "2026-03-02T10:00Z"),
}


@pytest.mark.parametrize("rule", sorted(STRICT_CASES))
def test_strict_raises_for_rules_that_drop_or_fix(rule: str, tmp_path: Path) -> None:
    path = tmp_path / "releases.csv"
    frame(GOOD, STRICT_CASES[rule]).to_csv(path, index=False)
    with pytest.raises(LogError) as info:
        read_log(path, strict=True)
    problems = info.value.problems
    assert all(p.file == str(path) for p in problems)
    assert problems[0].line == 3  # the second data row; the header is row 1
    assert str(path) in str(info.value)
    # the same file reads without strict, and the rule counts the row
    assert count(read_log(path), rule) == 1


def test_strict_names_row_and_column_of_the_end() -> None:
    raw = frame(GOOD, STRICT_CASES["end_before_start"])
    with pytest.raises(LogError) as info:
        read_log(raw, strict=True)
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.column, problem.path) == (
        "<DataFrame>", 1, 6, "end")
    assert "end 2026-03-02 10:00:00 UTC is before start 2026-03-02 11:00:00 UTC" in str(
        problem)


def test_strict_does_not_raise_for_flags() -> None:
    log = read_log(frame(
        ("r1", "test", "unit", "running", "2026-03-02T11:00Z", None),
        GOOD,
        ("r1", "build", "compile", "failed", "2026-03-02T09:00Z", "2026-03-02T09:30Z"),
        ("r1", "build", "lint", "succeeded", "2026-03-02T10:00Z", "2026-03-02T10:00Z"),
    ), strict=True)
    assert count(log, "unsorted") == 1
    assert count(log, "in_progress") == 1
    assert count(log, "zero_duration") == 1
    assert count(log, "overlapping_retry") == 1


def test_strict_lists_ten_problems_per_rule_and_summarises_the_rest() -> None:
    rows = [("r1", "b", f"c{i}", "meh", "2026-03-02T09:00Z", "2026-03-02T10:00Z")
            for i in range(13)]
    with pytest.raises(LogError) as info:
        read_log(frame(*rows), strict=True)
    problems = info.value.problems
    assert len(problems) == 11
    assert "unknown_status: 3 more row(s)" in problems[-1].message
