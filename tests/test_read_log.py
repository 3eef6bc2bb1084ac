"""read_log: formats, column conventions, lifecycle pairing, time zones, errors; the
PurchasingExample process-mining log; and the generated Harness history in data/logs."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
import yaml

from phasesim.errors import LogError
from phasesim.eventlog import COLUMNS, audit_table, read_log, validate_log

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = ROOT.parent / "shared" / "data" / "external"
HISTORY = ROOT / "data" / "logs" / "harness-history.csv"
BLUEPRINT = ROOT / "data" / "blueprints" / "harness-system-release.yaml"
LA = "America/Los_Angeles"


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def count(log: pd.DataFrame, rule: str) -> int:
    return int(audit_table(log).set_index("rule").loc[rule, "count"])


def external(name: str) -> Path:
    path = EXTERNAL / name
    if not path.is_file():
        pytest.skip(f"real data not found at {path} (see ../shared/data/external/SOURCES.md)")
    return path


#: A tiny canonical log: two releases, one with a retry, one in progress, unsorted.
CANONICAL = pd.DataFrame({
    "release_id": ["r2", "r1", "r1", "r1"],
    "phase_id": ["build", "build", "build", "test"],
    "activity_id": ["compile", "compile", "compile", "unit"],
    "activity_type": ["automated"] * 4,
    "owner": ["ci", "ci", "ci", "qa"],
    "status": ["running", "failed", "succeeded", "succeeded"],
    "start": ["2026-03-03T09:00:00Z", "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z",
              "2026-03-02T11:00:00Z"],
    "end": [None, "2026-03-02T09:30:00Z", "2026-03-02T10:45:00Z", "2026-03-02T12:00:00Z"],
})
EXPECTED = [
    ["r1", "build", "compile", "failed", 1, ts("2026-03-02 09:00"), ts("2026-03-02 09:30")],
    ["r1", "build", "compile", "succeeded", 2, ts("2026-03-02 10:00"), ts("2026-03-02 10:45")],
    ["r1", "test", "unit", "succeeded", 1, ts("2026-03-02 11:00"), ts("2026-03-02 12:00")],
    ["r2", "build", "compile", "in_progress", 1, ts("2026-03-03 09:00"), pd.NaT],
]
KEY = ["release_id", "phase_id", "activity_id", "status", "attempt", "start", "end"]


def rows(log: pd.DataFrame) -> list[list[object]]:
    out = log[KEY].astype(object).where(log[KEY].notna(), pd.NaT).values.tolist()
    return [[x.item() if isinstance(x, np.generic) else x for x in row] for row in out]


# -- the canonical schema and formats ------------------------------------------------------


def test_canonical_frame_reads_to_the_schema() -> None:
    log = read_log(CANONICAL)
    assert list(log.columns) == [*COLUMNS, "source_row"]
    assert {c: str(t) for c, t in log.dtypes.items() if c in COLUMNS} == COLUMNS
    assert rows(log) == EXPECTED
    assert log["source_row"].tolist() == [1, 2, 3, 0]
    assert count(log, "unsorted") == 0  # r2 comes first but is its own release
    assert count(log, "in_progress") == 1
    validate_log(log)


def _write(frame: pd.DataFrame, path: Path) -> None:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif path.suffix == ".jsonl":
        lines = [json.dumps({k: v for k, v in r.items() if v is not None})
                 for r in frame.astype(object).where(frame.notna(), None).to_dict("records")]
        path.write_text("\n".join(lines[:2]) + "\n\n" + "\n".join(lines[2:]) + "\n")
    elif path.suffix == ".json":
        frame.to_json(path, orient="records")
    elif path.suffix == ".xlsx":
        frame.to_excel(path, index=False)


@pytest.mark.parametrize(
    ("name", "rows_in_file"),
    [("log.csv", [2, 3, 4, 5]), ("log.parquet", [1, 2, 3, 4]), ("log.xlsx", [2, 3, 4, 5]),
     ("log.jsonl", [1, 2, 4, 5]), ("log.json", [1, 2, 3, 4])],
)
def test_each_file_format_reads_the_same_log(name: str, rows_in_file: list[int],
                                             tmp_path: Path) -> None:
    path = tmp_path / name
    _write(CANONICAL, path)
    log = read_log(path)
    assert rows(log) == EXPECTED
    # source rows: r1's rows are the file's 2nd..4th records, r2's the first
    assert log["source_row"].tolist() == rows_in_file[1:] + rows_in_file[:1]
    assert log.attrs["source"] == str(path)


def test_format_argument_overrides_the_extension(tmp_path: Path) -> None:
    path = tmp_path / "export.data"
    CANONICAL.to_csv(path, index=False)
    with pytest.raises(LogError, match="cannot tell the format"):
        read_log(path)
    assert rows(read_log(path, format="csv")) == EXPECTED


def test_several_files_read_together_name_their_rows(tmp_path: Path) -> None:
    a, b = tmp_path / "jan.csv", tmp_path / "feb.csv"
    CANONICAL.iloc[:2].to_csv(a, index=False)
    CANONICAL.iloc[2:].assign(end=["2026-03-02T09:00:00Z", "2026-03-02T12:00:00Z"]).to_csv(
        b, index=False)
    log = read_log([a, b])
    assert len(log) == 3  # feb.csv's first row ends before it starts
    assert audit_table(log).set_index("rule").loc["end_before_start", "examples"] == [
        "feb.csv:2"]


# -- conventions ------------------------------------------------------------------------------


def test_process_mining_convention_with_offsets() -> None:
    raw = pd.DataFrame({
        "case:concept:name": [7, 7],
        "concept:name": ["Create Request", "Approve"],
        "org:resource": ["Kim", "Karel"],
        "start_timestamp": ["2011-01-01T12:37:00+02:00", "2011-03-28T09:00:00+03:00"],
        "time:timestamp": ["2011-01-01T12:45:00+02:00", "2011-03-28T09:30:00+03:00"],
    })
    log = read_log(raw)
    assert log[["release_id", "phase_id", "activity_id", "owner"]].values.tolist() == [
        ["7", "Create Request", "Create Request", "Kim"], ["7", "Approve", "Approve", "Karel"]]
    assert log["start"].tolist() == [ts("2011-01-01 10:37"), ts("2011-03-28 06:00")]
    assert log["end"].tolist() == [ts("2011-01-01 10:45"), ts("2011-03-28 06:30")]
    assert log["activity_type"].tolist() == ["manual", "manual"]
    assert count(log, "mixed_timezones") == 1
    assert count(log, "phase_assumed") == 2


def test_lifecycle_log_pairs_first_in_first_out() -> None:
    raw = pd.DataFrame({
        "case:concept:name": ["c1"] * 8 + ["c2"] * 4,
        "concept:name": ["review"] * 4 + ["deploy"] * 4 + ["fix"] * 4,
        "lifecycle:transition": [
            "schedule", "start", "start", "complete",  # c1 review: two overlapping runs
            "start", "complete", "start", "ate_abort",  # c1 deploy: ok, then aborted
            "complete", "start", "complete", "start"],  # c2 fix: orphan, pair, open
        "time:timestamp": [
            "2026-03-02 08:00", "2026-03-02 09:00", "2026-03-02 09:30", "2026-03-02 10:00",
            "2026-03-02 11:00", "2026-03-02 11:30", "2026-03-02 12:00", "2026-03-02 12:10",
            "2026-03-02 08:00", "2026-03-02 09:00", "2026-03-02 10:00", "2026-03-02 11:00"],
        "org:resource": ["ann"] * 12,
    })
    log = read_log(raw, tz=LA)
    got = log[["release_id", "activity_id", "status", "start", "end", "ready"]]
    pst = pd.Timedelta(hours=8)
    assert got.astype(object).where(got.notna(), None).values.tolist() == [
        ["c1", "review", "succeeded", ts("2026-03-02 09:00") + pst, ts("2026-03-02 10:00") + pst,
         ts("2026-03-02 08:00") + pst],
        ["c1", "review", "in_progress", ts("2026-03-02 09:30") + pst, None, None],
        ["c1", "deploy", "succeeded", ts("2026-03-02 11:00") + pst,
         ts("2026-03-02 11:30") + pst, None],
        ["c1", "deploy", "aborted", ts("2026-03-02 12:00") + pst, ts("2026-03-02 12:10") + pst,
         None],
        ["c2", "fix", "succeeded", ts("2026-03-02 09:00") + pst, ts("2026-03-02 10:00") + pst,
         None],
        ["c2", "fix", "in_progress", ts("2026-03-02 11:00") + pst, None, None],
    ]
    assert count(log, "missing_start") == 1  # the orphan complete of c2
    assert audit_table(log).set_index("rule").loc["missing_start", "examples"] == ["8"]
    assert count(log, "overlapping_retry") == 1
    assert log["source_row"].tolist() == [1, 2, 4, 6, 9, 11]


def test_lifecycle_pairing_fifo_when_a_complete_comes_first() -> None:
    raw = pd.DataFrame({
        "case_id": ["c"] * 5, "activity": ["a"] * 5,
        "lifecycle": ["complete", "start", "start", "complete", "complete"],
        "timestamp": ["2026-03-02T08:00Z", "2026-03-02T09:00Z", "2026-03-02T09:10Z",
                      "2026-03-02T09:20Z", "2026-03-02T09:40Z"],
    })
    log = read_log(raw)
    assert log[["start", "end"]].values.tolist() == [
        [ts("2026-03-02 09:00"), ts("2026-03-02 09:20")],
        [ts("2026-03-02 09:10"), ts("2026-03-02 09:40")]]
    assert count(log, "missing_start") == 1


def test_case_activity_start_end_resource_enabled_convention() -> None:
    raw = pd.DataFrame({
        "Case ID": ["R-1", "R-1"], "Activity": ["Build", "Approve"],
        "Resource": ["CI", "Lee"], "Enabled_Time": ["2026-03-02 08:50", "2026-03-02 10:00"],
        "Start_Time": ["2026-03-02 09:00", "2026-03-02 10:30"],
        "End_Time": ["2026-03-02 09:40", "2026-03-02 11:00"],
        "Outcome": ["passed", "approved"], "Ticket": ["T1", "T2"],
    })
    log = read_log(raw)
    assert log[["release_id", "activity_id", "owner", "status", "Ticket"]].values.tolist() == [
        ["R-1", "Build", "CI", "succeeded", "T1"], ["R-1", "Approve", "Lee", "succeeded", "T2"]]
    assert log["ready"].tolist() == [ts("2026-03-02 08:50"), ts("2026-03-02 10:00")]


@pytest.mark.parametrize("mapping", [
    {"Pipeline": "release_id", "Stage": "phase_id", "Job": "activity_id", "From": "start",
     "To": "end", "Result": "status"},
    {"release_id": "Pipeline", "phase_id": "Stage", "activity_id": "Job", "start": "From",
     "end": "To", "status": "Result"},
])
def test_columns_mapping_in_either_direction(mapping: dict[str, str]) -> None:
    raw = pd.DataFrame({"Pipeline": ["p1"], "Stage": ["test"], "Job": ["lint"],
                        "From": ["2026-03-02T09:00Z"], "To": ["2026-03-02T09:05Z"],
                        "Result": ["SUCCESS"]})
    log = read_log(raw, columns=mapping)
    assert log[["release_id", "phase_id", "activity_id", "status"]].values.tolist() == [
        ["p1", "test", "lint", "succeeded"]]


def test_columns_mapping_errors_name_the_columns() -> None:
    raw = pd.DataFrame({"Pipeline": ["p1"], "From": ["x"], "To": ["y"]})
    with pytest.raises(LogError) as info:
        read_log(raw, columns={"Pipline": "release_id", "From": "begin"})
    text = str(info.value)
    assert "'Pipline'" in text and "the columns are: 'Pipeline', 'From', 'To'" in text
    assert "'begin' is not a target" in text


def test_phase_only_log() -> None:
    raw = pd.DataFrame({"release": ["v1", "v1"], "phase": ["build", "deploy"],
                        "status": ["Completed", "Failed"],
                        "start_time": ["2026-03-02 09:00", "2026-03-02 10:00"],
                        "end_time": ["2026-03-02 09:30", "2026-03-02 11:00"]})
    log = read_log(raw)
    assert log["activity_id"].isna().all()
    assert log["activity_type"].tolist() == ["phase", "phase"]
    assert log["status"].tolist() == ["succeeded", "failed"]
    assert count(log, "phase_assumed") == 0


def test_missing_columns_are_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    pd.DataFrame({"name": ["x"], "when": ["2026-03-02"]}).to_csv(path, index=False)
    with pytest.raises(LogError) as info:
        read_log(path)
    text = str(info.value)
    assert f"{path}: no release column" in text
    assert "the columns are: 'name', 'when'" in text
    assert "columns={'YourColumn': 'release_id'}" in text


def test_interval_log_without_start_times_is_a_clear_error() -> None:
    raw = pd.DataFrame({"case:concept:name": ["c"], "concept:name": ["a"],
                        "time:timestamp": ["2026-03-02T09:00Z"]})
    with pytest.raises(LogError, match="no start time column"):
        read_log(raw)


# -- time zones ---------------------------------------------------------------------------------


def test_tz_applies_to_naive_times_only() -> None:
    raw = CANONICAL.iloc[1:3].assign(start=["2026-03-02 09:00", "2026-03-02T10:00:00+01:00"],
                                     end=["2026-03-02 09:30", "2026-07-02 10:45"])
    log = read_log(raw, tz=LA)
    # sorted by start: the +01:00 row (09:00 UTC) comes before 09:00 in Los Angeles
    assert log["start"].tolist() == [ts("2026-03-02 09:00"), ts("2026-03-02 17:00")]
    assert log["end"].tolist() == [ts("2026-07-02 17:45"), ts("2026-03-02 17:30")]


def test_times_that_do_not_exist_in_tz_are_unparsable() -> None:
    raw = CANONICAL.iloc[2:3].assign(start=["2026-03-08 02:30"], end=["2026-03-08 04:00"])
    log = read_log(raw, tz=LA)
    assert count(log, "unparsable_timestamp") == 1
    assert len(log) == 0


def test_unknown_tz_is_a_clear_error() -> None:
    with pytest.raises(LogError, match="unknown time zone 'Mars/Olympus'"):
        read_log(CANONICAL, tz="Mars/Olympus")


def test_other_date_spellings_are_read() -> None:
    raw = CANONICAL.iloc[1:2].assign(start=["March 2, 2026 9:00"], end=["03/02/2026 09:30"])
    log = read_log(raw)
    assert log[["start", "end"]].values.tolist() == [[ts("2026-03-02 09:00"),
                                                      ts("2026-03-02 09:30")]]


# -- file errors --------------------------------------------------------------------------------


def test_missing_file_is_a_log_error(tmp_path: Path) -> None:
    with pytest.raises(LogError, match="file not found"):
        read_log(tmp_path / "nope.csv")


def test_bad_json_line_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text('{"release_id": "r1"}\n\n{"release_id": \n')
    with pytest.raises(LogError) as info:
        read_log(path)
    assert info.value.problems[0].line == 3
    assert f"{path}:3:" in str(info.value)


def test_broken_parquet_is_a_log_error(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(LogError, match="cannot read as parquet"):
        read_log(path)


def test_unknown_format_lists_the_formats() -> None:
    with pytest.raises(LogError, match="use one of csv, parquet"):
        read_log(CANONICAL, format="yaml")


def test_a_log_writes_to_parquet_and_reads_back(tmp_path: Path) -> None:
    log = read_log(CANONICAL)
    log.to_parquet(tmp_path / "again.parquet")
    again = read_log(tmp_path / "again.parquet")
    assert rows(again) == EXPECTED


# -- real data: the PurchasingExample process-mining log -----------------------------------------


def test_purchasing_example_reads_by_the_generic_convention() -> None:
    log = read_log(external("pix_PurchasingExample.csv"))
    assert len(log) == 9_119
    assert log["release_id"].nunique() == 608
    assert log["activity_id"].nunique() == 21
    assert log["owner"].nunique() == 27
    assert (log["phase_id"] == log["activity_id"]).all()
    assert count(log, "zero_duration") == 1_244  # flagged, not dropped
    assert int((log["start"] == log["end"]).sum()) == 1_244
    assert count(log, "mixed_timezones") == 3_899  # +02:00 / +03:00 daylight saving
    assert count(log, "unsorted") == 4_420
    assert count(log, "duplicate") == 0
    assert log.attrs["rows"] == {"read": 9_119, "kept": 9_119}
    first = log.loc[log["release_id"] == "1"].iloc[0]
    assert first["activity_id"] == "Create Purchase Requisition"
    assert first["start"] == ts("2011-01-01 05:00")  # 07:00+02:00
    assert first["source_row"] == 3


# -- the generated history in data/logs ---------------------------------------------------------


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return read_log(HISTORY)


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_history",
                                                  ROOT / "data" / "logs" / "generate_history.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_history_file_is_small_and_clean(history: pd.DataFrame) -> None:
    assert HISTORY.stat().st_size < 5_000_000
    validate_log(history)
    audit = audit_table(history).set_index("rule")
    problems = audit.loc[audit["action"].isin(["dropped", "fixed"]), "count"]
    assert (problems == 0).all(), problems[problems > 0]
    assert history.attrs["rows"]["read"] == history.attrs["rows"]["kept"] == len(history)
    assert len(history) == 1_409


def test_history_files_are_what_the_script_generates(tmp_path: Path) -> None:
    generator = _generator()
    log, releases, as_of = generator.generate()
    generator.write_csv(log, tmp_path / "history.csv")
    generator.write_report(releases, as_of, tmp_path / "report.xlsx")
    assert (tmp_path / "history.csv").read_bytes() == HISTORY.read_bytes()
    assert (tmp_path / "report.xlsx").read_bytes() == (
        ROOT / "data" / "logs" / "harness-release-report.xlsx").read_bytes()


def test_history_ids_match_the_blueprint(history: pd.DataFrame) -> None:
    process = yaml.safe_load(BLUEPRINT.read_text())["process"]
    phases = {p["phase"]["id"]: p["phase"] for p in process["phases"]}
    activities = {(pid, a["activity"]["id"]) for pid, p in phases.items()
                  for a in p["activities"]}
    services = process["inputs"]["services"]["default"]
    seen = set(zip(history["phase_id"], history["activity_id"].str.replace(
        r"\[.*\]$", "", regex=True), strict=True))
    assert seen == activities
    instances = set(history.loc[history["activity_id"].str.startswith("alpha_fix["),
                                "activity_id"])
    assert instances == {f"alpha_fix[{s}]" for s in services}
    teams = set(process["teams"])
    assert set(history["owner"]) <= teams


def test_history_has_weekly_releases_hotfixes_and_rollbacks(history: pd.DataFrame) -> None:
    ids = history["release_id"].unique()
    train = sorted(i for i in ids if i.startswith("R2026-"))
    assert len(train) == 50
    assert sorted(i for i in ids if i.startswith("HF2026-")) == [f"HF2026-{i:02d}"
                                                                 for i in range(1, 9)]
    cuts = (history.loc[history["activity_id"] == "cut_branches", "start"]
            .dt.tz_convert(LA).sort_values())
    gaps = cuts.diff().dropna().dt.days
    assert set(gaps) <= {6, 7, 8, 21}  # holidays move a cut a day; the freeze skips two
    rollbacks = history.loc[history["release_id"].str.startswith("R")
                            & (history["phase_id"] == "hotfix"), "release_id"].unique()
    assert len(rollbacks) >= 3
    for rid in rollbacks:
        rel = history.loc[history["release_id"] == rid]
        first_hotfix = rel.loc[rel["phase_id"] == "hotfix", "start"].min()
        before = rel.loc[rel["end"] <= first_hotfix]
        assert before.iloc[-1]["status"] == "failed"
        assert before.iloc[-1]["activity_id"].startswith(("deploy_prod", "db_migration"))
    assert (history["status"] == "failed").sum() > 20
    assert (history["attempt"] > 1).sum() > 20
    assert (history["status"] == "rejected").sum() >= 1


def test_no_production_deployment_starts_in_the_freeze(history: pd.DataFrame) -> None:
    local = history["start"].dt.tz_convert(LA)
    frozen = (local >= pd.Timestamp("2026-12-21", tz=LA)) & (
        local < pd.Timestamp("2027-01-02", tz=LA))
    prod = history["phase_id"].isin(["beta_rollout", "prod_1", "prod_2", "prod_3"])
    assert not (frozen & prod).any()
    # ... while work that waited for it starts on the first working day after
    assert (local[prod].dt.date == pd.Timestamp("2027-01-04").date()).sum() >= 3


def test_qa_approval_got_slower_in_the_second_half(history: pd.DataFrame) -> None:
    qa = history.loc[history["activity_id"] == "qa_approval"]
    hours = (qa["end"] - qa["start"]).dt.total_seconds() / 3600
    h2 = qa["start"].dt.tz_convert(LA) >= pd.Timestamp("2026-07-01", tz=LA)
    assert hours[h2].median() > 4 * hours[~h2].median()


def test_manual_work_happens_in_business_hours(history: pd.DataFrame) -> None:
    manual = history.loc[history["activity_type"].isin(["manual", "approval"])]
    local = manual["start"].dt.tz_convert(LA)
    assert (local.dt.day_of_week < 5).all()
    assert ((local.dt.hour >= 9) & (local.dt.hour < 17)).all()


def test_history_has_plans_ready_times_and_releases_in_progress(history: pd.DataFrame) -> None:
    train = history.loc[history["phase_id"] != "hotfix"]
    assert train["planned_start"].notna().all() and train["planned_end"].notna().all()
    assert history["ready"].notna().all()
    assert (history["ready"] <= history["start"]).all()
    assert count(history, "in_progress") == 2
    assert sorted(history.loc[history["status"] == "in_progress", "release_id"]) == [
        "R2026-49", "R2026-50"]


_TINY_CSV = (
    "release_id,phase_id,start,end\n"
    "r1,build,2026-01-05T08:00:00Z,2026-01-05T09:30:00Z\n"
    "r1,test,2026-01-05T09:30:00Z,2026-01-05T10:00:00Z\n"
)


def test_compressed_logs_read_like_the_plain_file(tmp_path: Path) -> None:
    import gzip
    import zipfile

    plain = read_log(_put(tmp_path / "log.csv", _TINY_CSV))
    assert plain["start"].tolist() == [pd.Timestamp("2026-01-05 08:00", tz="UTC"),
                                       pd.Timestamp("2026-01-05 09:30", tz="UTC")]
    gz = tmp_path / "log.csv.gz"
    gz.write_bytes(gzip.compress(_TINY_CSV.encode()))
    zipped = tmp_path / "log.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("export/log.csv", _TINY_CSV)
    lines = "\n".join(
        json.dumps({"release_id": "r1", "phase_id": p, "start": s, "end": e})
        for p, s, e in (("build", "2026-01-05T08:00:00Z", "2026-01-05T09:30:00Z"),
                        ("test", "2026-01-05T09:30:00Z", "2026-01-05T10:00:00Z"))
    )
    jgz = tmp_path / "log.jsonl.gz"
    jgz.write_bytes(gzip.compress(lines.encode()))
    cols = ["release_id", "phase_id", "start", "end"]
    for path in (gz, zipped, jgz):
        log = read_log(path)
        pd.testing.assert_frame_equal(log[cols], plain[cols])
        assert log.attrs["source"] == str(path)
    assert read_log(gz).attrs["format"] == "csv"
    assert read_log(jgz).attrs["format"] == "jsonl"


def test_compressed_logs_that_cannot_be_read_are_clear_errors(tmp_path: Path) -> None:
    import zipfile

    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as archive:
        archive.writestr("a.csv", _TINY_CSV)
        archive.writestr("b.csv", _TINY_CSV)
    with pytest.raises(LogError, match=r"exactly one file; it holds 2 \(a.csv, b.csv\)"):
        read_log(two)
    broken = _put(tmp_path / "broken.csv.gz", "not gzip at all")
    with pytest.raises(LogError, match="cannot decompress"):
        read_log(broken)
    zst = _put(tmp_path / "log.csv.zst", "whatever")
    if importlib.util.find_spec("zstandard") is None:
        with pytest.raises(LogError, match="pip install zstandard"):
            read_log(zst)
    else:
        with pytest.raises(LogError, match="cannot decompress"):
            read_log(zst)


def _put(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
