"""Descriptive analyses on tiny logs whose answers are worked out by hand in comments."""

from __future__ import annotations

from types import SimpleNamespace

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from phasesim.analysis import (
    activity_stats,
    lead_times,
    phase_stats,
    planned_vs_actual,
    waiting_vs_working,
    work_in_progress,
)
from phasesim.errors import LogError
from phasesim.eventlog.schema import validate_log

T0 = pd.Timestamp("2026-01-05 00:00", tz="UTC")


def at(hours: float | None) -> pd.Timestamp:
    return pd.NaT if hours is None else T0 + pd.Timedelta(hours=hours)


def make_log(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Rows with times in hours after T0: rel, phase, act, start, end, and optionally
    status, attempt, ready, planned_start, planned_end, run."""
    records = []
    for r in rows:
        end = r.get("end")
        records.append(
            {
                "run": r.get("run", 0),
                "release_id": r["rel"],
                "phase_id": r["phase"],
                "activity_id": r.get("act"),
                "activity_type": "manual" if r.get("act") else "phase",
                "owner": r.get("owner"),
                "status": r.get("status", "succeeded" if end is not None else "in_progress"),
                "attempt": r.get("attempt", 1),
                "ready": at(r.get("ready")),  # type: ignore[arg-type]
                "start": at(r.get("start")),  # type: ignore[arg-type]
                "end": at(end),  # type: ignore[arg-type]
                "planned_start": at(r.get("planned_start")),  # type: ignore[arg-type]
                "planned_end": at(r.get("planned_end")),  # type: ignore[arg-type]
            }
        )
    return validate_log(pd.DataFrame(records))


# --- lead_times -------------------------------------------------------------------------


def test_lead_times_per_release_with_status_and_hotfix() -> None:
    log = make_log(
        [
            # r2 starts first: build 0-2, deploy 3-5 fails, hotfix 5-6 -> lead 6 h,
            # status of the last-ending row (hotfix) = succeeded, hotfix True
            {"rel": "r2", "phase": "build", "start": 0, "end": 2},
            {"rel": "r2", "phase": "deploy", "start": 3, "end": 5, "status": "failed"},
            {"rel": "r2", "phase": "hotfix", "start": 5, "end": 6},
            # r1: build 10-11, deploy 11-14 -> lead 4 h
            {"rel": "r1", "phase": "build", "start": 10, "end": 11},
            {"rel": "r1", "phase": "deploy", "start": 11, "end": 14},
            # r3 still deploying: no end, no lead time
            {"rel": "r3", "phase": "build", "start": 20, "end": 21},
            {"rel": "r3", "phase": "deploy", "start": 21, "end": None},
        ]
    )
    out = lead_times(log)
    assert out["release_id"].tolist() == ["r2", "r1", "r3"]
    assert_allclose(out["lead_time_h"].to_numpy(), [6.0, 4.0, np.nan])
    assert out["status"].tolist() == ["succeeded", "succeeded", "in_progress"]
    assert out["hotfix"].tolist() == [True, False, False]
    assert out["hotfix_release"].tolist() == [False, False, False]
    assert out["failed_phases"].tolist() == [1, 0, 0]
    assert out["start"].iloc[1] == at(10)
    assert out["end"].iloc[1] == at(14)
    assert pd.isna(out["end"].iloc[2])


def test_lead_times_final_failure_and_runs_kept_apart() -> None:
    # the same release id in two runs is two releases; run 1's last row failed
    log = make_log(
        [
            {"rel": "r1", "phase": "build", "start": 0, "end": 1, "run": 0},
            {"rel": "r1", "phase": "build", "start": 0, "end": 3, "run": 1, "status": "failed"},
        ]
    )
    out = lead_times(log)
    assert out[["run", "release_id"]].values.tolist() == [[0, "r1"], [1, "r1"]]
    assert_allclose(out["lead_time_h"], [1.0, 3.0])
    assert out["status"].tolist() == ["succeeded", "failed"]


def test_lead_times_explicit_hotfix_phases() -> None:
    log = make_log([{"rel": "r1", "phase": "patch", "start": 0, "end": 1}])
    assert lead_times(log)["hotfix"].tolist() == [False]
    custom = lead_times(log, hotfix_phases=["patch"])
    assert custom["hotfix"].tolist() == [True]
    assert custom["hotfix_release"].tolist() == [True]


def test_missing_columns_raise_log_error() -> None:
    with pytest.raises(LogError, match="lacks column"):
        lead_times(pd.DataFrame({"release_id": ["r1"], "start": [T0]}))


# --- phase_stats ------------------------------------------------------------------------


def test_phase_stats_spans_from_activities_and_spread() -> None:
    # phase "qa" in three releases; its span is first start to last end of its activities
    #   r1: suite 0-1                      -> 1 h
    #   r2: suite 0-1, approve 1-2         -> 2 h
    #   r3: suite 0-2, approve 1-6 (both)  -> 6 h (parallel activities: the span, not a sum)
    # durations [1, 2, 6]: mean 3, median 2, std sqrt(((1-3)^2+(2-3)^2+(6-3)^2)/2) = sqrt(7)
    # p90 (linear): 2 + 0.8 * (6 - 2) = 5.2; q25 = 1.5, q75 = 4 -> iqr 2.5
    log = make_log(
        [
            {"rel": "r1", "phase": "qa", "act": "suite", "start": 0, "end": 1},
            {"rel": "r2", "phase": "qa", "act": "suite", "start": 0, "end": 1},
            {"rel": "r2", "phase": "qa", "act": "approve", "start": 1, "end": 2},
            {"rel": "r3", "phase": "qa", "act": "suite", "start": 0, "end": 2},
            {"rel": "r3", "phase": "qa", "act": "approve", "start": 1, "end": 6},
        ]
    )
    out = phase_stats(log)
    row = out.iloc[0]
    assert row["phase_id"] == "qa"
    assert row["count"] == 3
    assert_allclose(
        [row["mean_h"], row["median_h"], row["std_h"], row["p90_h"], row["iqr_h"]],
        [3.0, 2.0, np.sqrt(7.0), 5.2, 2.5],
    )
    # the only phase holds every hour of every lead time
    assert_allclose(row["lead_share"], 1.0)
    assert bool(row["small_sample"]) is True
    assert bool(phase_stats(log, min_count=3)["small_sample"].iloc[0]) is False


def test_phase_stats_flow_order_waits_and_lead_share() -> None:
    # two releases, phases build -> qa -> prod (flow order from the median start offset,
    # not alphabetical):
    #   r1: build 0-1, qa 3-5 (waits 2 after build), prod 5-6           lead 6
    #   r2: build 0-2, qa 2-3, prod 7-8 (waits 4 after qa)             lead 8
    # waits: build 0, 0; qa 2, 0; prod 0, 4
    # lead_share: build (1+2)/14, qa (2+1)/14, prod (1+1)/14
    log = make_log(
        [
            {"rel": "r1", "phase": "build", "start": 0, "end": 1},
            {"rel": "r1", "phase": "qa", "start": 3, "end": 5},
            {"rel": "r1", "phase": "prod", "start": 5, "end": 6},
            {"rel": "r2", "phase": "build", "start": 0, "end": 2},
            {"rel": "r2", "phase": "qa", "start": 2, "end": 3},
            {"rel": "r2", "phase": "prod", "start": 7, "end": 8},
        ]
    )
    out = phase_stats(log).set_index("phase_id")
    assert out.index.tolist() == ["build", "qa", "prod"]
    assert_allclose(out["wait_mean_h"], [0.0, 1.0, 2.0])
    assert_allclose(out["wait_median_h"], [0.0, 1.0, 2.0])
    assert_allclose(out["lead_share"], [3 / 14, 3 / 14, 2 / 14])
    assert_allclose(out["mean_h"], [1.5, 1.5, 1.0])


def test_phase_stats_failure_retry_rework_rates() -> None:
    # r1 qa: suite fails (attempt 1), retried (attempt 2, succeeds) -> failed + retried
    # r2 qa: suite succeeds, later redone (attempt 2 after a success) -> reworked
    # r3 qa: suite succeeds once
    # rates over three phase executions: failure 1/3, retry 1/3, rework 1/3
    log = make_log(
        [
            {"rel": "r1", "phase": "qa", "act": "suite", "start": 0, "end": 1, "status": "failed"},
            {"rel": "r1", "phase": "qa", "act": "suite", "start": 1, "end": 2, "attempt": 2},
            {"rel": "r2", "phase": "qa", "act": "suite", "start": 0, "end": 1},
            {"rel": "r2", "phase": "qa", "act": "suite", "start": 5, "end": 6, "attempt": 2},
            {"rel": "r3", "phase": "qa", "act": "suite", "start": 0, "end": 1},
        ]
    )
    row = phase_stats(log).iloc[0]
    assert_allclose(
        [row["failure_rate"], row["retry_rate"], row["rework_rate"]], [1 / 3, 1 / 3, 1 / 3]
    )
    # per execution of the activity: 5 executions, 1 failed, 1 retry, 1 rework
    act = activity_stats(log).iloc[0]
    assert act["count"] == 5
    assert_allclose([act["failure_rate"], act["retry_rate"], act["rework_rate"]], [0.2, 0.2, 0.2])
    # durations of the five executions are all 1 h
    assert_allclose(act["mean_h"], 1.0)


def test_phase_stats_leaves_out_in_progress_and_skipped() -> None:
    log = make_log(
        [
            {"rel": "r1", "phase": "qa", "start": 0, "end": 2},
            {"rel": "r2", "phase": "qa", "start": 0, "end": None},  # still running
            {"rel": "r3", "phase": "qa", "start": 0, "end": 0, "status": "skipped"},
        ]
    )
    row = phase_stats(log).iloc[0]
    assert row["count"] == 1
    assert_allclose(row["mean_h"], 2.0)


def test_phase_only_log_and_empty_activity_stats() -> None:
    log = make_log([{"rel": "r1", "phase": "qa", "start": 0, "end": 2}])
    assert len(phase_stats(log)) == 1
    acts = activity_stats(log)
    assert len(acts) == 0
    assert {"phase_id", "activity_id", "count", "mean_h", "small_sample"} <= set(acts.columns)


def test_phase_rows_only_where_a_phase_has_no_activities() -> None:
    # qa has activity rows (0-1, 2-3) and a phase row 0-10: activities win -> 3 h;
    # prod has only its phase row 4-6 -> 2 h
    log = make_log(
        [
            {"rel": "r1", "phase": "qa", "start": 0, "end": 10},
            {"rel": "r1", "phase": "qa", "act": "a", "start": 0, "end": 1},
            {"rel": "r1", "phase": "qa", "act": "b", "start": 2, "end": 3},
            {"rel": "r1", "phase": "prod", "start": 4, "end": 6},
        ]
    )
    out = phase_stats(log).set_index("phase_id")
    assert_allclose(out.loc[["qa", "prod"], "mean_h"], [3.0, 2.0])
    assert_allclose(lead_times(log)["lead_time_h"], [6.0])


def test_activity_stats_order_and_values() -> None:
    # build: compile 0-1 then package 1-3; deploy: push 4-5
    # flow order by phase, then by median start: compile, package, push
    # waits (no ready): compile 0 (release start), package 0 (after compile), push 1
    log = make_log(
        [
            {"rel": "r1", "phase": "build", "act": "package", "start": 1, "end": 3},
            {"rel": "r1", "phase": "build", "act": "compile", "start": 0, "end": 1},
            {"rel": "r1", "phase": "deploy", "act": "push", "start": 4, "end": 5},
        ]
    )
    out = activity_stats(log)
    assert out["activity_id"].tolist() == ["compile", "package", "push"]
    assert out["phase_id"].tolist() == ["build", "build", "deploy"]
    assert_allclose(out["mean_h"], [1.0, 2.0, 1.0])
    assert_allclose(out["wait_mean_h"], [0.0, 0.0, 1.0])
    # lead time 5 h: shares 1/5, 2/5, 1/5
    assert_allclose(out["lead_share"], [0.2, 0.4, 0.2])


# --- waiting_vs_working -----------------------------------------------------------------


def test_waiting_sources_log_previous_release_start() -> None:
    # build 0-1 (release start -> wait 0); qa 3-4 with ready 2 from the log -> wait 1;
    # prod 6-7 with no ready: previous end is qa's 4 -> wait 2
    log = make_log(
        [
            {"rel": "r1", "phase": "build", "start": 0, "end": 1},
            {"rel": "r1", "phase": "qa", "start": 3, "end": 4, "ready": 2},
            {"rel": "r1", "phase": "prod", "start": 6, "end": 7},
        ]
    )
    out = waiting_vs_working(log)
    assert out["phase_id"].tolist() == ["build", "qa", "prod"]
    assert out["ready_source"].tolist() == ["release_start", "log", "previous"]
    assert_allclose(out["wait_h"], [0.0, 1.0, 2.0])
    assert_allclose(out["work_h"], [1.0, 1.0, 1.0])
    assert out["ready"].tolist() == [at(0), at(2), at(4)]


def test_waiting_from_blueprint_dependencies() -> None:
    # prod depends on build only (blueprint); docs ran 1-5 beside it.
    # build 0-2, docs 1-5, prod 6-7: without the blueprint, prod waited for docs (ended 5)
    # -> wait 1; with it, prod was ready when build ended at 2 -> wait 4.
    log = make_log(
        [
            {"rel": "r1", "phase": "build", "start": 0, "end": 2},
            {"rel": "r1", "phase": "docs", "start": 1, "end": 5},
            {"rel": "r1", "phase": "prod", "start": 6, "end": 7},
        ]
    )
    phase_graph = nx.DiGraph([("build", "prod")])
    phase_graph.add_node("docs")
    blueprint = SimpleNamespace(graph=nx.DiGraph(), phase_graph=phase_graph)
    plain = waiting_vs_working(log).set_index("phase_id")
    with_bp = waiting_vs_working(log, blueprint).set_index("phase_id")
    assert_allclose(plain.loc["prod", "wait_h"], 1.0)
    assert plain.loc["prod", "ready_source"] == "previous"
    assert_allclose(with_bp.loc["prod", "wait_h"], 4.0)
    assert with_bp.loc["prod", "ready_source"] == "blueprint"
    # docs is a root of the blueprint: falls back to the log ordering, nothing ended
    # before 1 -> release start
    assert with_bp.loc["docs", "ready_source"] == "release_start"
    assert_allclose(with_bp.loc["docs", "wait_h"], 1.0)


def test_waiting_at_activity_level_with_blueprint_graph() -> None:
    # build.compile 0-1, build.lint 0-3, deploy.push 4-5; push depends on compile
    # -> ready 1, wait 3 (without the blueprint: lint ended last at 3 -> wait 1)
    log = make_log(
        [
            {"rel": "r1", "phase": "build", "act": "compile", "start": 0, "end": 1},
            {"rel": "r1", "phase": "build", "act": "lint", "start": 0, "end": 3},
            {"rel": "r1", "phase": "deploy", "act": "push", "start": 4, "end": 5},
        ]
    )
    graph = nx.DiGraph()
    for phase, act in (("build", "compile"), ("build", "lint"), ("deploy", "push")):
        graph.add_node(f"{phase}.{act}", phase_id=phase, activity_id=act)
    graph.add_edge("build.compile", "deploy.push")
    blueprint = SimpleNamespace(graph=graph, phase_graph=nx.DiGraph([("build", "deploy")]))
    out = waiting_vs_working(log, blueprint, level="activity").set_index("activity_id")
    assert_allclose(out.loc["push", "wait_h"], 3.0)
    assert out.loc["push", "attempt"] == 1
    plain = waiting_vs_working(log, level="activity").set_index("activity_id")
    assert_allclose(plain.loc["push", "wait_h"], 1.0)


def test_ready_after_start_counts_as_no_wait() -> None:
    log = make_log([{"rel": "r1", "phase": "qa", "start": 2, "end": 3, "ready": 5}])
    assert_allclose(waiting_vs_working(log)["wait_h"], [0.0])


def test_instant_execution_waits_for_what_ended_when_it_happened() -> None:
    # a 8-8.5, b 9-10, c 10-10 (an instant): c was ready when b ended at 10 -> wait 0
    # (not 1.5 from a's end at 8.5); b waited 0.5 after a; a waited 0 (release start)
    log = make_log(
        [
            {"rel": "r1", "phase": "a", "start": 8, "end": 8.5},
            {"rel": "r1", "phase": "b", "start": 9, "end": 10},
            {"rel": "r1", "phase": "c", "start": 10, "end": 10},
        ]
    )
    out = waiting_vs_working(log).set_index("phase_id")
    assert out.loc["c", "ready"] == at(10)
    assert_allclose(out.loc[["a", "b", "c"], "wait_h"], [0.0, 0.5, 0.0])
    assert out.loc[["a", "b", "c"], "ready_source"].tolist() == [
        "release_start",
        "previous",
        "previous",
    ]


# --- planned_vs_actual ------------------------------------------------------------------


def test_planned_vs_actual_slip_and_the_phase_that_took_it() -> None:
    # r1: qa planned 0-8, ran 0-10 -> start slip 0, end slip 2, added 2
    #     prod planned 10-12, ran 13-18 -> start slip 3, end slip 6, added 3 (took most)
    #     docs has no plan -> not listed
    log = make_log(
        [
            {
                "rel": "r1",
                "phase": "qa",
                "start": 0,
                "end": 10,
                "planned_start": 0,
                "planned_end": 8,
            },
            {
                "rel": "r1",
                "phase": "prod",
                "start": 13,
                "end": 18,
                "planned_start": 10,
                "planned_end": 12,
            },
            {"rel": "r1", "phase": "docs", "start": 1, "end": 2},
        ]
    )
    out = planned_vs_actual(log)
    assert out["phase_id"].tolist() == ["qa", "prod"]
    assert_allclose(out["start_slip_h"], [0.0, 3.0])
    assert_allclose(out["end_slip_h"], [2.0, 6.0])
    assert_allclose(out["slip_added_h"], [2.0, 3.0])
    assert out["took_most_slip"].tolist() == [False, True]


def test_planned_vs_actual_without_plans_is_empty() -> None:
    log = make_log([{"rel": "r1", "phase": "qa", "start": 0, "end": 1}])
    out = planned_vs_actual(log)
    assert len(out) == 0
    assert "slip_added_h" in out.columns


# --- work_in_progress -------------------------------------------------------------------


def test_work_in_progress_counts_overlapping_releases() -> None:
    # r1 0-5, r2 2-4, r3 4-(open): +1@0, +1@2, (-1, +1)@4, -1@5
    # -> 1 from 0, 2 from 2, 2 from 4, 1 from 5
    log = make_log(
        [
            {"rel": "r1", "phase": "a", "start": 0, "end": 5},
            {"rel": "r2", "phase": "a", "start": 2, "end": 4},
            {"rel": "r3", "phase": "a", "start": 4, "end": None},
        ]
    )
    out = work_in_progress(log)
    assert out["time"].tolist() == [at(0), at(2), at(4), at(5)]
    assert out["releases"].tolist() == [1, 2, 2, 1]


def test_flow_order_ignores_one_phase_releases() -> None:
    # hf1 is only a hotfix, starting at its own release start (offset 0), which says
    # nothing about where hotfix sits in the flow; in r1 it runs between prod_1 and prod_2
    log = make_log(
        [
            {"rel": "r1", "phase": "prod_1", "start": 0, "end": 1},
            {"rel": "r1", "phase": "hotfix", "start": 1, "end": 2},
            {"rel": "r1", "phase": "prod_2", "start": 2, "end": 3},
            {"rel": "hf1", "phase": "hotfix", "start": 10, "end": 11},
            {"rel": "hf2", "phase": "hotfix", "start": 20, "end": 21},
            {"rel": "hf3", "phase": "rollback", "start": 30, "end": 31},
        ]
    )
    # rollback only ever runs alone: last
    assert phase_stats(log)["phase_id"].tolist() == ["prod_1", "hotfix", "prod_2", "rollback"]


def test_every_analysis_takes_an_empty_log() -> None:
    from phasesim.analysis import (
        bottlenecks,
        critical_paths,
        delivery_metrics,
        trends,
    )
    from phasesim.eventlog.schema import empty_log

    for analysis in (
        lead_times,
        phase_stats,
        activity_stats,
        waiting_vs_working,
        planned_vs_actual,
        work_in_progress,
        bottlenecks,
        critical_paths,
        trends,
        delivery_metrics,
    ):
        out = analysis(empty_log())
        assert isinstance(out, pd.DataFrame)
        assert len(out) == 0, analysis.__name__


def test_timestamps_as_text_and_no_optional_columns() -> None:
    # a bare frame: four columns, naive text times taken as UTC
    log = pd.DataFrame(
        {
            "release_id": ["r1", "r1"],
            "phase_id": ["a", "b"],
            "start": ["2026-01-05 00:00", "2026-01-05 01:00"],
            "end": ["2026-01-05 01:00", "2026-01-05 03:00"],
        }
    )
    out = lead_times(log)
    assert_allclose(out["lead_time_h"], [3.0])
    assert out["start"].iloc[0] == T0
    assert out["status"].tolist() == ["succeeded"]
