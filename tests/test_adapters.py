"""Format adapters on real exports (../shared/data/external) and on the Harness report
sample in data/logs: exact row and release counts, statuses, time zones, audit counts."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from phasesim.errors import LogError
from phasesim.eventlog import audit_table, read_log

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = ROOT.parent / "shared" / "data" / "external"
REPORT = ROOT / "data" / "logs" / "harness-release-report.xlsx"
HISTORY = ROOT / "data" / "logs" / "harness-history.csv"
LA = "America/Los_Angeles"


def external(name: str) -> Path:
    path = EXTERNAL / name
    if not path.is_file():
        pytest.skip(f"real data not found at {path} (see ../shared/data/external/SOURCES.md)")
    return path


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def audit(log: pd.DataFrame) -> pd.DataFrame:
    table = audit_table(log).set_index("rule")
    assert isinstance(table, pd.DataFrame)
    return table


def count(log: pd.DataFrame, rule: str) -> int:
    return int(audit(log).loc[rule, "count"])


# -- GitHub Actions -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def github() -> pd.DataFrame:
    return read_log([external("devlake_raw_github_api_runs.csv"),
                     external("devlake_raw_github_api_jobs.csv")])


def job(log: pd.DataFrame, job_id: str) -> pd.Series:
    rows = log.loc[(log["job_id"] == job_id) & log["activity_id"].isna()]
    assert len(rows) == 1
    return rows.iloc[0]


def test_github_runs_and_jobs_are_recognised_and_counted(github: pd.DataFrame) -> None:
    assert github.attrs["format"] == "github-actions"
    assert github.attrs["rows"] == {"read": 70, "kept": 333}
    assert github["release_id"].nunique() == 45  # 35 runs + 10 runs known only by jobs
    phase_rows = github["activity_id"].isna()
    assert int(phase_rows.sum()) == 70  # 35 jobs + 35 runs without jobs
    assert int((~phase_rows).sum()) == 263  # the jobs' steps
    assert set(github.loc[~phase_rows, "activity_type"]) == {"automated"}
    assert set(github.loc[phase_rows, "activity_type"]) == {"phase"}
    assert count(github, "github_run_without_jobs") == 35
    assert count(github, "github_job_without_run") == 35
    assert github.loc[github["job_id"].notna(), "workflow"].isna().all()


def test_github_step_offsets_equal_the_utc_job_times(github: pd.DataFrame) -> None:
    first = job(github, "1924918171")  # steps at +08:00, job in Z
    steps = github.loc[(github["job_id"] == "1924918171") & github["activity_id"].notna()]
    assert len(steps) == 10
    assert first["start"] == ts("2021-02-18 06:59:13") == steps["start"].min()
    assert first["end"] == ts("2021-02-18 07:01:18") == steps["end"].max()
    setup = steps.loc[steps["activity_id"] == "Set up job"].iloc[0]
    assert setup["end"] == ts("2021-02-18 06:59:16")  # 14:59:16+08:00
    pacific = job(github, "1924932184")  # steps at -08:00
    steps = github.loc[(github["job_id"] == "1924932184") & github["activity_id"].notna()]
    assert pacific["start"] == steps["start"].min() == ts("2021-02-18 07:02:02")
    assert count(github, "mixed_timezones") == 91
    assert "+08:00 (484 cells)" in audit(github).loc["mixed_timezones", "description"]


@pytest.mark.parametrize(("job_id", "status"), [
    ("2011825638", "succeeded"),  # success
    ("2011825640", "succeeded"),  # SUCCESS
    ("2011825642", "failed"),  # FAILURE
    ("2011825643", "aborted"),  # CANCELLED
    ("2011825644", "failed"),  # TIMED_OUT
    ("2011825645", "failed"),  # STARTUP_FAILURE
    ("2011825646", "in_progress"),  # in_progress, conclusion ""
    ("2011825650", "succeeded"),  # NEUTRAL
    ("2011825651", "skipped"),  # SKIPPED
    ("2011825652", "aborted"),  # STALE
    ("2011825653", "in_progress"),  # ACTION_REQUIRED
    ("1924918171", "aborted"),  # cancelled
    ("1924932237", "in_progress"),  # in_progress, conclusion null
])
def test_github_job_statuses(github: pd.DataFrame, job_id: str, status: str) -> None:
    row = job(github, job_id)
    assert row["status"] == status
    assert pd.isna(row["end"]) == (status == "in_progress")


def test_github_null_conclusions_and_in_progress_runs(github: pd.DataFrame) -> None:
    assert count(github, "github_no_conclusion") == 14  # 7 jobs, 7 runs
    assert audit(github).loc["github_no_conclusion", "examples"][0] == (
        "devlake_raw_github_api_jobs.csv:13")
    assert count(github, "in_progress_with_end") == 9
    assert count(github, "in_progress") == 10
    runs = github.loc[github["job_id"].isna()].set_index("release_id")
    for run_id in ("2566218975", "2559507315"):  # real runs still in progress
        assert runs.loc[run_id, "status"] == "in_progress"
        assert pd.isna(runs.loc[run_id, "end"])
    done = runs.loc["2983238245"]
    assert (done["phase_id"], done["status"]) == ("CodeQL", "succeeded")
    assert (done["start"], done["end"]) == (ts("2022-09-03 05:15:09"), ts("2022-09-03 05:16:16"))
    rerun = runs.loc["2589885639"]  # run_attempt 2: ready at creation, start at the re-run
    assert rerun["ready"] == ts("2022-06-30 12:23:37")
    assert rerun["start"] == ts("2022-07-01 13:34:14")


def test_github_matrix_jobs_with_one_name_are_numbered_and_flagged(github: pd.DataFrame) -> None:
    legs = github.loc[(github["release_id"] == "577324554") & (github["phase_id"] == "deployubuntu")
                      & github["activity_id"].isna()]
    assert legs["attempt"].tolist() == [1, 2]
    assert count(github, "overlapping_retry") == 120


def test_github_json_files_read_like_the_devlake_tables(tmp_path: Path,
                                                        github: pd.DataFrame) -> None:
    runs = [json.loads(d) for d in pd.read_csv(
        external("devlake_raw_github_api_runs.csv"))["data"]]
    jobs = [json.loads(d) for d in pd.read_csv(
        external("devlake_raw_github_api_jobs.csv"))["data"]]
    (tmp_path / "runs.json").write_text(json.dumps({"total_count": 35, "workflow_runs": runs}))
    (tmp_path / "jobs.json").write_text(json.dumps({"total_count": 35, "jobs": jobs}))
    (tmp_path / "jobs-list.json").write_text(json.dumps(jobs))
    log = read_log([tmp_path / "runs.json", tmp_path / "jobs.json"])
    assert log.attrs["format"] == "github-actions"
    cols = ["release_id", "phase_id", "activity_id", "status", "attempt", "start", "end"]
    pd.testing.assert_frame_equal(log[cols], github[cols])
    assert log["source_row"].isna().all()
    assert audit(log).loc["github_no_conclusion", "examples"][0] == "jobs.json:jobs[11]"
    alone = read_log(tmp_path / "jobs-list.json")
    assert alone["release_id"].nunique() == 10
    assert len(alone) == 298


def test_github_devlake_frame_is_recognised() -> None:
    frame = pd.read_csv(external("devlake_raw_github_api_jobs.csv"))
    log = read_log(frame)
    assert log.attrs["format"] == "github-actions"
    assert len(log) == 298
    assert audit(log).loc["github_no_conclusion", "examples"][0] == "11"  # position 11


def test_github_records_of_another_kind_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps([{"id": 1, "title": "not a run"}]))
    with pytest.raises(LogError, match="neither a workflow run nor a job"):
        read_log(path, format="github-actions")


def test_adapters_do_not_take_a_column_mapping() -> None:
    with pytest.raises(LogError, match="columns= does not apply"):
        read_log(external("devlake_raw_github_api_jobs.csv"), columns={"a": "release_id"})


# -- GitLab -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gitlab() -> pd.DataFrame:
    return read_log(external("devlake_raw_gitlab_api_job.csv"))


def test_gitlab_jobs(gitlab: pd.DataFrame) -> None:
    assert gitlab.attrs["format"] == "gitlab"
    assert len(gitlab) == 75
    assert gitlab["release_id"].nunique() == 58
    assert set(gitlab["phase_id"]) == {"test", "build"}
    assert gitlab["status"].value_counts().to_dict() == {
        "failed": 43, "succeeded": 22, "in_progress": 6, "aborted": 2, "skipped": 2}
    assert count(gitlab, "never_started") == 35  # started_at: null
    assert count(gitlab, "in_progress_with_end") == 6
    assert count(gitlab, "in_progress") == 1


def test_gitlab_job_without_start_is_zero_length_at_its_finish(gitlab: pd.DataFrame) -> None:
    row = gitlab.loc[gitlab["job_id"] == "152"].iloc[0]
    assert (row["release_id"], row["status"], row["source_row"]) == ("73", "failed", 2)
    assert row["start"] == row["end"] == ts("2022-08-25 23:00:08.594")
    assert row["ready"] == ts("2022-08-25 21:19:10.938")
    manual = gitlab.loc[gitlab["job_id"] == "65"].iloc[0]
    assert manual["status"] == "skipped"


def test_gitlab_strict_names_file_row_and_field() -> None:
    path = external("devlake_raw_gitlab_api_job.csv")
    with pytest.raises(LogError) as info:
        read_log(path, strict=True)
    first = info.value.problems[0]
    assert (first.file, first.line, first.path) == (str(path), 2, "data.started_at")
    assert "never_started: 25 more row(s)" in str(info.value)


# -- Harness release report -------------------------------------------------------------------


@pytest.fixture(scope="module")
def report() -> pd.DataFrame:
    return read_log(REPORT, tz=LA)


def test_harness_report_sample(report: pd.DataFrame) -> None:
    assert report.attrs["format"] == "harness-report"
    assert report["release_id"].unique().tolist() == [f"R2026-{k}" for k in range(41, 51)]
    assert len(report) == 77
    assert set(report["activity_type"]) == {"phase"}
    assert report["activity_id"].isna().all()
    assert report["source_row"].tolist()[:2] == [5, 6]  # Excel rows, after 3 title lines
    assert count(report, "harness_planned") == 10
    assert count(report, "harness_unread_sheets") == 145
    assert "Manual Task Execution Details: 145 rows" in audit(report).loc[
        "harness_unread_sheets", "description"]
    assert count(report, "harness_release_without_phases") == 0
    assert count(report, "in_progress") == 2
    first = report.iloc[0]
    assert (first["release_name"], first["version"], first["release_status"]) == (
        "Harness System Release R2026-41", "1.41.0", "Success")


def test_harness_report_phases_match_the_history(report: pd.DataFrame) -> None:
    history = read_log(HISTORY)
    spans = history.groupby(["release_id", "phase_id"]).agg(
        start=("start", "min"), end=("end", "max"), open=("end", lambda e: e.isna().any()))
    for row in report.itertuples():
        span = spans.loc[(row.release_id, row.phase_id)]
        assert row.start == span["start"], (row.release_id, row.phase_id)
        if span["open"]:
            assert pd.isna(row.end) and row.status == "in_progress"
        else:
            assert row.end == span["end"], (row.release_id, row.phase_id)
    plans = history.loc[history["release_id"] == "R2026-41"]
    rel = report.loc[report["release_id"] == "R2026-41"]
    assert rel["planned_start"].iloc[0] == plans.loc[
        plans["phase_id"] == "branch_cut", "planned_start"].iloc[0]
    assert rel["planned_end"].iloc[-1] == plans.loc[
        plans["phase_id"] == "prod_3", "planned_end"].iloc[0]
    assert rel["planned_start"].iloc[1:].isna().all()


def test_harness_report_times_are_local(report: pd.DataFrame) -> None:
    utc = read_log(REPORT)  # naive cells read as UTC: 7 or 8 hours early
    shift = (report["start"] - utc["start"]).dt.total_seconds() / 3600
    assert set(shift) == {7.0, 8.0}


def _workbook(path: Path, phases: list[list[object]], releases: list[list[object]] | None,
              title: bool = True) -> None:
    book = Workbook()
    ws = book.active
    ws.title = "Phase Execution Details"
    if title:
        ws.append(["Phase Execution Details"])
        ws.append([])
    ws.append(["Release ID", "Phase Name", "Phase Identifier", "Status", "Start Time",
               "End Time", "Duration"])
    for row in phases:
        ws.append(row)
    if releases is not None:
        rs = book.create_sheet("Release Group Report")
        rs.append(["Release Name", "Release ID", "Status", "Version", "Expected Start",
                   "Expected End", "Actual Start", "Actual End", "Total Duration"])
        for row in releases:
            rs.append(row)
    book.save(path)


def test_harness_report_statuses_ids_and_unmatched_releases(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    t = datetime(2026, 3, 2, 9, 0)
    _workbook(path, [
        [12, "Build", "build", "Completed", t, datetime(2026, 3, 2, 10), "1h"],
        [12, "Deploy", "deploy", "Failed", datetime(2026, 3, 2, 11), datetime(2026, 3, 2, 12),
         "1h"],
        [12, "Verify", "verify", "Skipped", None, None, None],
        [12, "Prod", "prod", "Pending", None, None, None],
        [13, "Build", "build", "In Progress", datetime(2026, 3, 3, 9), None, None],
        [14, "Build", "build", "On Hold", "2026-03-04 09:00", None, None],
    ], [
        ["Rel 12", 12, "Failed", "2.0", t, datetime(2026, 3, 5), t, None, None],
        ["Rel 13", 13, "Running", "2.1", None, None, None, None, None],
        ["Rel 15", 15, "NotStarted", "2.2", None, None, None, None, None],
    ])
    log = read_log(path)
    assert log[["release_id", "phase_id", "status"]].values.tolist() == [
        ["12", "build", "succeeded"], ["12", "deploy", "failed"],
        ["13", "build", "in_progress"], ["14", "build", "in_progress"]]
    assert log["source_row"].tolist() == [4, 5, 8, 9]
    assert count(log, "missing_start") == 1  # the skipped phase had no times
    assert count(log, "not_started") == 1  # the pending one
    assert count(log, "harness_release_without_phases") == 1
    assert audit(log).loc["harness_release_without_phases", "examples"] == ["15"]
    assert count(log, "harness_phase_without_release") == 1
    assert log.loc[0, "planned_start"] == ts("2026-03-02 09:00")
    assert log.loc[1, "planned_end"] == ts("2026-03-05 00:00")
    with pytest.raises(LogError) as info:
        read_log(path, strict=True)
    lines = {(p.line, p.path) for p in info.value.problems}
    assert (6, "Phase Execution Details.Start Time") in lines
    assert (4, "Release Group Report") in lines


def test_harness_report_without_the_phase_sheet_lists_the_sheets(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    book = Workbook()
    book.active.title = "Summary"
    book.save(path)
    with pytest.raises(LogError, match=r"no sheet 'Phase Execution Details'; the sheets are "
                                       r"\['Summary'\]"):
        read_log(path, format="harness-report")


def test_harness_report_header_without_times_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    book = Workbook()
    ws = book.active
    ws.title = "Phase Execution Details"
    ws.append(["Release ID", "Phase Name", "Status"])
    book.save(path)
    with pytest.raises(LogError, match="no header row with release, phase, start time"):
        read_log(path)


def _devlake_csv(path: Path, records: list[dict[str, object]]) -> Path:
    pd.DataFrame({
        "id": range(1, len(records) + 1),
        "params": ['{"ConnectionId":1,"Name":"o/r"}'] * len(records),
        "data": [json.dumps(r) for r in records],
        "url": ["https://api.github.com/x"] * len(records),
        "input": ["null"] * len(records),
        "created_at": ["2026-01-05 00:00:00"] * len(records),
    }).to_csv(path, index=False)
    return path


def _step(name: str, start: str, end: str | None, conclusion: str | None = "success",
          status: str = "completed") -> dict[str, object]:
    return {"name": name, "status": status, "conclusion": conclusion,
            "started_at": start, "completed_at": end}


def test_github_job_status_counts_beside_succeeded_steps(tmp_path: Path) -> None:
    from phasesim.analysis import lead_times, phase_stats

    def run(run_id: int) -> dict[str, object]:
        return {"id": run_id, "name": "CI", "head_branch": "main", "run_number": run_id,
                "status": "completed", "conclusion": "failure", "workflow_id": 1,
                "created_at": "2026-01-05T08:00:00Z", "run_started_at": "2026-01-05T08:00:00Z",
                "updated_at": "2026-01-05T10:00:00Z"}

    def job(job_id: int, run_id: int, name: str, conclusion: str | None,
            status: str = "completed", end: str | None = "2026-01-05T09:00:00Z",
            ) -> dict[str, object]:
        return {"id": job_id, "run_id": run_id, "name": name, "status": status,
                "conclusion": conclusion, "created_at": "2026-01-05T08:00:00Z",
                "started_at": "2026-01-05T08:00:00Z", "completed_at": end,
                "steps": [_step("setup", "2026-01-05T16:00:00+08:00",
                                "2026-01-05T16:30:00+08:00"),
                          _step("test", "2026-01-05T08:30:00Z", "2026-01-05T09:00:00Z")]}

    runs = _devlake_csv(tmp_path / "runs.csv", [run(1), run(2), run(3)])
    jobs = _devlake_csv(tmp_path / "jobs.csv", [
        job(11, 1, "build", "failure"),            # failed although both steps succeeded
        job(21, 2, "build", "cancelled"),          # every job of run 2 cancelled
        job(22, 2, "lint", "cancelled"),
        job(31, 3, "build", None, status="in_progress", end=None),  # steps all ended
    ])
    log = read_log([runs, jobs])
    leads = lead_times(log).set_index("release_id")
    assert leads.loc[["1", "2", "3"], "status"].tolist() == ["failed", "aborted", "in_progress"]
    assert leads.loc["1", "lead_time_h"] == 1.0
    assert pd.isna(leads.loc["3", "lead_time_h"])
    stats = phase_stats(log).set_index("phase_id")
    # build: completed in runs 1 (failed) and 2 (aborted, which counts as a failure);
    # run 3 is still running. Read from the steps alone, both would be 0.
    assert stats.loc["build", "count"] == 2
    assert stats.loc["build", "failure_rate"] == 1.0
    assert stats.loc["lint", "failure_rate"] == 1.0


def test_gitlab_jobs_that_never_ran_count_for_failure_not_durations(tmp_path: Path) -> None:
    from phasesim.analysis import activity_stats, phase_stats

    def glab(job_id: int, pipeline: int, stage: str, name: str, status: str,
             start: str | None, end: str) -> dict[str, object]:
        return {"id": job_id, "status": status, "stage": stage, "name": name, "ref": "main",
                "allow_failure": False, "created_at": "2026-01-05T07:00:00Z",
                "started_at": start, "finished_at": end,
                "pipeline": {"id": pipeline, "status": status}}

    path = tmp_path / "jobs.json"
    path.write_text(json.dumps([
        glab(1, 10, "build", "compile", "success", "2026-01-05T08:00:00Z",
             "2026-01-05T10:00:00Z"),
        glab(2, 10, "test", "unit", "failed", None, "2026-01-05T12:00:00Z"),  # never ran
        glab(3, 20, "build", "compile", "success", "2026-01-05T08:00:00Z",
             "2026-01-05T09:00:00Z"),
        glab(4, 20, "test", "unit", "success", "2026-01-05T09:00:00Z",
             "2026-01-05T10:00:00Z"),
    ]))
    log = read_log(path, format="gitlab")
    assert count(log, "never_started") == 1
    assert log["never_started"].fillna(False).tolist() == [False, True, False, False]
    acts = activity_stats(log).set_index("activity_id")
    # unit: two executions, one failed; the only duration is pipeline 20's 1 h (not 0.5)
    assert acts.loc["unit", "count"] == 2
    assert acts.loc["unit", "failure_rate"] == 0.5
    assert acts.loc["unit", "mean_h"] == 1.0
    assert acts.loc["unit", "median_h"] == 1.0
    phases = phase_stats(log).set_index("phase_id")
    assert phases.loc["test", "failure_rate"] == 0.5
    assert phases.loc["test", "mean_h"] == 1.0
