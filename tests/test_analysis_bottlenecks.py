"""Realised critical paths and bottleneck ranking, on logs worked out by hand.

The vectorised walk is also checked against a plain per-release reference walk on random
logs (hypothesis), and its invariants: path pieces never overlap and add up to the lead
time; critical and variance shares add up to 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

import hypothesis.strategies as st
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from numpy.testing import assert_allclose

from phasesim.analysis import bottlenecks, critical_paths
from phasesim.eventlog.schema import validate_log

T0 = pd.Timestamp("2026-01-05 00:00", tz="UTC")


def make_log(rows: Sequence[tuple[object, ...]]) -> pd.DataFrame:
    """Rows (release, phase, activity or None, start h, end h[, status, attempt, ready h])."""
    records = []
    for row in rows:
        rel, phase, act, start, end, *rest = row
        status = rest[0] if len(rest) > 0 else "succeeded"
        attempt = rest[1] if len(rest) > 1 else 1
        ready = rest[2] if len(rest) > 2 else None
        records.append(
            {
                "run": 0,
                "release_id": rel,
                "phase_id": phase,
                "activity_id": act,
                "activity_type": "manual" if act else "phase",
                "status": status if end is not None else "in_progress",
                "attempt": attempt,
                "ready": pd.NaT if ready is None else T0 + pd.Timedelta(hours=float(ready)),
                "start": T0 + pd.Timedelta(hours=float(start)),  # type: ignore[arg-type]
                "end": pd.NaT if end is None else T0 + pd.Timedelta(hours=float(end)),  # type: ignore[arg-type]
            }
        )
    return validate_log(pd.DataFrame(records))


def blueprint(phase_edges: list[tuple[str, str]], phases: list[str]) -> SimpleNamespace:
    """A stand-in blueprint: only the two graphs the analyses read."""
    phase_graph = nx.DiGraph()
    phase_graph.add_nodes_from(phases)
    phase_graph.add_edges_from(phase_edges)
    return SimpleNamespace(graph=nx.DiGraph(), phase_graph=phase_graph)


# Release r1, the parallel case of issue 4:
#   build  0-2
#   docs   0-5   the longest phase (5 h), beside build and test
#   test   2-6   after build
#   deploy 6-8   after test
# Walking back from deploy (ends last, 8): the latest end at or before 6 is test's 6;
# before test's start 2: build's 2; before build's start 0: nothing.
# Path build (0-2), test (2-6), deploy (6-8): 2 + 4 + 2 = 8 = lead time. docs: 0.
PARALLEL = [
    ("r1", "build", None, 0, 2),
    ("r1", "docs", None, 0, 5),
    ("r1", "test", None, 2, 6),
    ("r1", "deploy", None, 6, 8),
]


def test_longest_parallel_phase_is_not_the_bottleneck() -> None:
    log = make_log(PARALLEL)
    path = critical_paths(log)
    assert path["phase_id"].tolist() == ["build", "test", "deploy"]
    assert path["step"].tolist() == [1, 2, 3]
    assert_allclose(path["wait_h"], [0, 0, 0])
    assert_allclose(path["work_h"], [2, 4, 2])
    assert_allclose(path["share"], [0.25, 0.5, 0.25])
    ranked = bottlenecks(log, n_boot=0).set_index("phase_id")
    assert ranked.index.tolist() == ["test", "build", "deploy", "docs"]
    assert_allclose(ranked["critical_share"], [0.5, 0.25, 0.25, 0.0])
    assert_allclose(ranked["on_path_rate"], [1, 1, 1, 0])
    assert ranked.loc["docs", "releases"] == 1
    assert ranked["rank"].tolist() == [1, 2, 3, 4]


def test_gaps_are_attributed_as_waiting_to_the_item_after_them() -> None:
    # build 0-1; approve 3-4 (waited 2 h after build); ship 4-5.5; nothing else
    # lead 5.5: build 1/5.5, approve (2 wait + 1 work) 3/5.5, ship 1.5/5.5
    log = make_log(
        [("r1", "build", None, 0, 1), ("r1", "approve", None, 3, 4), ("r1", "ship", None, 4, 5.5)]
    )
    path = critical_paths(log)
    assert_allclose(path["wait_h"], [0, 2, 0])
    assert_allclose(path["critical_h"], [1, 3, 1.5])
    ranked = bottlenecks(log, n_boot=0).set_index("phase_id")
    assert_allclose(ranked.loc["approve", "critical_share"], 3 / 5.5)
    assert_allclose(ranked.loc["approve", "wait_share"], 2 / 5.5)
    assert_allclose(ranked.loc["approve", "wait_h_mean"], 2.0)
    assert_allclose(ranked.loc["approve", "critical_h_mean"], 3.0)


def test_ready_from_the_log_picks_the_predecessor() -> None:
    # a 0-1, b 0-3, c starts 4 but was ready at 1.5 (it waited for a, not b):
    # the predecessor is the latest end at or before 1.5 -> a; c holds 1-5: wait 3, work 1
    log = make_log(
        [
            ("r1", "a", None, 0, 1),
            ("r1", "b", None, 0, 3),
            ("r1", "c", None, 4, 5, "succeeded", 1, 1.5),
        ]
    )
    path = critical_paths(log)
    assert path["phase_id"].tolist() == ["a", "c"]
    assert_allclose(path["wait_h"], [0, 3])


def test_blueprint_dependencies_decide_the_path() -> None:
    # Without a blueprint, deploy (6-8) waited for docs, which ended last before it (at 5.5
    # here, test ended at 4). The blueprint says deploy depends on test only.
    log = make_log(
        [
            ("r1", "build", None, 0, 2),
            ("r1", "docs", None, 0, 5.5),
            ("r1", "test", None, 2, 4),
            ("r1", "deploy", None, 6, 8),
        ]
    )
    plain = critical_paths(log)
    assert plain["phase_id"].tolist() == ["docs", "deploy"]
    # docs 0-5.5 from the release start, deploy 5.5-8 (0.5 wait)
    assert_allclose(plain["critical_h"], [5.5, 2.5])
    bp = blueprint(
        [("build", "test"), ("test", "deploy"), ("build", "docs")],
        ["build", "docs", "test", "deploy"],
    )
    with_bp = critical_paths(log, bp)
    # deploy <- test (blueprint) <- build (blueprint): 2 + 2 + (2 wait + 2 work) = 8
    assert with_bp["phase_id"].tolist() == ["build", "test", "deploy"]
    assert_allclose(with_bp["wait_h"], [0, 0, 2])
    assert_allclose(with_bp["critical_h"], [2, 2, 4])
    ranked = bottlenecks(log, bp, n_boot=0).set_index("phase_id")
    assert_allclose(
        ranked.loc[["deploy", "build", "test", "docs"], "critical_share"], [0.5, 0.25, 0.25, 0.0]
    )


def test_hotfix_without_dependencies_follows_the_log_ordering() -> None:
    # prod_1 0-2 fails, hotfix 2-5 (no depends-on in the blueprint), prod_2 5-6 depends on
    # prod_1. prod_2 ends last; its blueprint predecessor prod_1 ended at 2, so prod_2
    # holds 2-6 (3 h waiting while the hotfix ran).
    log = make_log(
        [
            ("r1", "prod_1", None, 0, 2, "failed"),
            ("r1", "hotfix", None, 2, 5),
            ("r1", "prod_2", None, 5, 6),
        ]
    )
    bp = blueprint([("prod_1", "prod_2")], ["prod_1", "prod_2", "hotfix"])
    path = critical_paths(log, bp)
    assert path["phase_id"].tolist() == ["prod_1", "prod_2"]
    assert_allclose(path["wait_h"], [0, 3])
    # without the blueprint the hotfix is on the path
    assert critical_paths(log)["phase_id"].tolist() == ["prod_1", "hotfix", "prod_2"]
    # and when the hotfix itself ends the release, it follows what ended before it
    log2 = make_log([("r1", "prod_1", None, 0, 2, "failed"), ("r1", "hotfix", None, 3, 5)])
    path2 = critical_paths(log2, bp)
    assert path2["phase_id"].tolist() == ["prod_1", "hotfix"]
    assert_allclose(path2["wait_h"], [0, 1])


def test_activity_level_path_and_attempts() -> None:
    # qa.suite fails 0-1, retried 1-2; qa.approve 2-3; prod.push 3-3.5 and prod.notes 3-3.2
    # path: suite#1 (0-1), suite#2 (1-2), approve (2-3), push (3-3.5)
    log = make_log(
        [
            ("r1", "qa", "suite", 0, 1, "failed", 1),
            ("r1", "qa", "suite", 1, 2, "succeeded", 2),
            ("r1", "qa", "approve", 2, 3),
            ("r1", "prod", "push", 3, 3.5),
            ("r1", "prod", "notes", 3, 3.2),
        ]
    )
    path = critical_paths(log, level="activity")
    assert path["activity_id"].tolist() == ["suite", "suite", "approve", "push"]
    assert path["attempt"].tolist() == [1, 2, 1, 1]
    ranked = bottlenecks(log, level="activity", n_boot=0)
    top = ranked.iloc[0]
    assert (top["phase_id"], top["activity_id"]) == ("qa", "suite")
    assert_allclose(top["critical_share"], 2 / 3.5)
    notes = ranked.set_index("activity_id").loc["notes"]
    assert_allclose(notes["critical_share"], 0.0)


def test_zero_length_items_and_ties_end() -> None:
    # gate 1-1 (zero length), mark 1-1 (zero length), a 0-1, b 1-3: the walk must end and
    # the pieces still add up to 3
    log = make_log(
        [
            ("r1", "a", None, 0, 1),
            ("r1", "gate", None, 1, 1),
            ("r1", "mark", None, 1, 1),
            ("r1", "b", None, 1, 3),
        ]
    )
    path = critical_paths(log)
    assert_allclose(path["critical_h"].sum(), 3.0)
    assert path["phase_id"].iloc[-1] == "b"
    assert path["phase_id"].iloc[0] == "a"
    assert path["step"].is_monotonic_increasing


def test_in_progress_releases_are_left_out() -> None:
    log = make_log([*PARALLEL, ("r2", "build", None, 10, 11), ("r2", "test", None, 11, None)])
    assert set(critical_paths(log)["release_id"]) == {"r1"}
    ranked = bottlenecks(log, n_boot=0).set_index("phase_id")
    assert ranked.loc["build", "releases"] == 1


def test_variance_share_worked_by_hand() -> None:
    # three releases, sequential build -> test:
    #   r1: build 1, test 1   lead 2
    #   r2: build 1, test 3   lead 4
    #   r3: build 3, test 3   lead 6
    # mean lead 4, var(L) = ((2-4)^2 + 0 + (6-4)^2) / 3 = 8/3
    # build C = [1, 1, 3]: cov = E[CL] - E[C]E[L] = (2 + 4 + 18)/3 - (5/3)(4) = 8 - 20/3 = 4/3
    #   -> var_share 0.5; test C = [1, 3, 3]: cov = (2 + 12 + 18)/3 - (7/3)(4) = 4/3 -> 0.5
    # critical shares: build mean(1/2, 1/4, 1/2) = 5/12, test mean(1/2, 3/4, 1/2) = 7/12
    log = make_log(
        [
            ("r1", "build", None, 0, 1),
            ("r1", "test", None, 1, 2),
            ("r2", "build", None, 0, 1),
            ("r2", "test", None, 1, 4),
            ("r3", "build", None, 0, 3),
            ("r3", "test", None, 3, 6),
        ]
    )
    ranked = bottlenecks(log, n_boot=0).set_index("phase_id")
    assert ranked.index.tolist() == ["test", "build"]
    assert_allclose(ranked.loc[["build", "test"], "var_share"], [0.5, 0.5])
    assert_allclose(ranked.loc[["build", "test"], "critical_share"], [5 / 12, 7 / 12])
    assert ranked["critical_share_low"].isna().all()


def test_equal_lead_times_have_no_variance_share() -> None:
    log = make_log([("r1", "a", None, 0, 1), ("r2", "a", None, 0, 1)])
    ranked = bottlenecks(log, n_boot=50)
    assert ranked["var_share"].isna().all()
    assert_allclose(ranked["critical_share"], [1.0])
    assert_allclose(ranked[["critical_share_low", "critical_share_high"]].to_numpy(), [[1, 1]])


def _many_releases(n: int, seed: int) -> pd.DataFrame:
    """n releases of build -> (docs || test) -> deploy with random durations."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[object, ...]] = []
    for i in range(n):
        t = 100.0 * i
        b = rng.uniform(1, 3)
        docs = rng.uniform(1, 6)
        test = rng.uniform(2, 5)
        dep = rng.uniform(0.5, 1)
        rows += [
            (f"r{i:03d}", "build", None, t, t + b),
            (f"r{i:03d}", "docs", None, t + b, t + b + docs),
            (f"r{i:03d}", "test", None, t + b, t + b + test),
            (f"r{i:03d}", "deploy", None, t + b + max(docs, test), t + b + max(docs, test) + dep),
        ]
    return make_log(rows)


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    log = _many_releases(40, seed=1)
    a = bottlenecks(log, n_boot=200, seed=7)
    b = bottlenecks(log, n_boot=200, seed=7)
    c = bottlenecks(log, n_boot=200, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["critical_share_low"], c["critical_share_low"])
    assert (a["critical_share_low"] <= a["critical_share"]).all()
    assert (a["critical_share"] <= a["critical_share_high"]).all()
    assert (a["var_share_low"] <= a["var_share_high"]).all()
    assert_allclose(a["critical_share"].sum(), 1.0)
    assert_allclose(a["var_share"].sum(), 1.0)
    assert (a["rank_low"] <= a["rank_high"]).all()
    assert a["rank_low"].between(1, 4).all() and a["rank_high"].between(1, 4).all()
    assert set(a.columns) >= {"rank_low", "rank_high", "small_sample"}
    # ranks are whole numbers, shown as 1, not 1.00; without a bootstrap they are missing
    assert a["rank_low"].dtype == "Int64" and a["rank_high"].dtype == "Int64"
    assert "1.00" not in a[["rank_low"]].to_string()
    assert bottlenecks(log, n_boot=0)["rank_low"].isna().all()
    # generator as a seed works too
    bottlenecks(log, n_boot=20, seed=np.random.default_rng(3))


def test_small_sample_flags() -> None:
    log = _many_releases(12, seed=2)
    ranked = bottlenecks(log, n_boot=0, min_releases=12)
    assert not ranked["small_sample"].any()
    ranked = bottlenecks(log, n_boot=0, min_releases=13)
    assert ranked["small_sample"].all()


def test_phase_only_log_has_no_activity_ranking() -> None:
    ranked = bottlenecks(make_log(PARALLEL), level="activity", n_boot=0)
    assert len(ranked) == 0
    assert "critical_share" in ranked.columns


def test_exact_ties_share_the_time_equally_and_are_counted() -> None:
    # x 0-1, a 1-2, b 1-2 (a and b tie exactly): lead 2 h; x holds 1 h = 0.5, a and b
    # share the walked step's 1 h: 0.5 h each = 0.25 each. One tied step.
    log = make_log([("r1", "x", None, 0, 1), ("r1", "a", None, 1, 2), ("r1", "b", None, 1, 2)])
    ranked = bottlenecks(log, n_boot=0).set_index("phase_id")
    assert_allclose(ranked.loc[["x", "a", "b"], "critical_share"], [0.5, 0.25, 0.25])
    assert_allclose(ranked.loc[["x", "a", "b"], "critical_h_mean"], [1.0, 0.5, 0.5])
    assert ranked.loc[["x", "a", "b"], "on_path_rate"].tolist() == [1.0, 1.0, 1.0]
    assert ranked.attrs["ties"] == 1
    path = critical_paths(log)
    assert path["ties"].tolist() == [0, 1]
    # no tie: b 1-2.5 ends last alone
    untied = make_log(
        [("r1", "x", None, 0, 1), ("r1", "a", None, 1, 2), ("r1", "b", None, 1, 2.5)]
    )
    assert bottlenecks(untied, n_boot=0).attrs["ties"] == 0


def test_assumed_phases_rank_their_executions_not_their_span() -> None:
    # no phase column: check 0-1, applicant 1-10, check 10-11. The span of "check" (0-11)
    # would swallow the loop; over executions check holds 1 + 1 = 2 h of 11, applicant 9.
    from phasesim import read_log

    t = [(T0 + pd.Timedelta(hours=h)).isoformat() for h in (0, 1, 10, 11)]
    log = read_log(
        pd.DataFrame(
            {
                "release_id": ["r1"] * 3,
                "activity_id": ["check", "applicant", "check"],
                "start": [t[0], t[1], t[2]],
                "end": [t[1], t[2], t[3]],
            }
        )
    )
    ranked = bottlenecks(log, n_boot=0)
    assert ranked["phase_id"].tolist() == ["applicant", "check"]
    assert "activity_id" not in ranked.columns
    assert_allclose(ranked["critical_share"], [9 / 11, 2 / 11])
    assert ranked.attrs["walked"] == "executions"
    path = critical_paths(log)
    assert path["phase_id"].tolist() == ["check", "applicant", "check"]
    assert_allclose(path["critical_h"], [1.0, 9.0, 1.0])
    # a log with real phases keeps its spans
    phased = make_log([("r1", "p", "a", 0, 1), ("r1", "q", "b", 1, 10), ("r1", "p", "c", 10, 11)])
    assert bottlenecks(phased, n_boot=0).attrs["walked"] == "phase"


# --- the vectorised walk against a per-release reference ---------------------------------


def reference_paths(log: pd.DataFrame) -> dict[str, list[tuple[str, float, float]]]:
    """Plain Python walk per release: (phase, wait_h, work_h) in path order."""
    spans = (
        log.groupby(["release_id", "phase_id"], observed=True)
        .agg(start=("start", "min"), end=("end", "max"))
        .reset_index()
    )
    out: dict[str, list[tuple[str, float, float]]] = {}
    for rel, g in spans.groupby("release_id"):
        # by end; an instant after the others that end at that moment; shorter first
        items = [
            (r.end, r.start == r.end, -r.start.value, r.phase_id, r.start)
            for r in g.itertuples(index=False)
        ]
        items.sort()
        rel_start = min(i[4] for i in items)
        pos = len(items) - 1
        path = []
        while pos >= 0:
            end, _, _, phase, start = items[pos]
            prev = [j for j in range(pos) if items[j][0] <= start]
            before = items[prev[-1]][0] if prev else rel_start
            hours = pd.Timedelta(hours=1)
            path.append((str(phase), (start - before) / hours, (end - start) / hours))
            pos = prev[-1] if prev else -1
        out[str(rel)] = path[::-1]
    return out


durations = st.lists(
    st.tuples(
        st.integers(0, 3),  # phase
        st.integers(0, 12),  # start (quarter hours)
        st.integers(0, 8),  # duration (quarter hours); zero-length items included
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(durations, min_size=1, max_size=5))
def test_vectorised_walk_matches_reference(releases: list[list[tuple[int, int, int]]]) -> None:
    rows: list[tuple[object, ...]] = []
    for i, items in enumerate(releases):
        seen = set()
        for phase, start, dur in items:
            if phase in seen:  # one span per phase keeps the reference simple
                continue
            seen.add(phase)
            rows.append((f"r{i}", f"p{phase}", None, start / 4, (start + dur) / 4))
    log = make_log(rows)
    got = critical_paths(log)
    expected = reference_paths(log)
    for rel, g in got.groupby("release_id"):
        ref = expected[str(rel)]
        assert g["phase_id"].tolist() == [r[0] for r in ref]
        assert_allclose(g["wait_h"], [r[1] for r in ref])
        assert_allclose(g["work_h"], [r[2] for r in ref])
        # the pieces never overlap and add up to the lead time
        assert (g["wait_h"] >= 0).all()
        spans = log.loc[log["release_id"] == rel]
        lead = (spans["end"].max() - spans["start"].min()) / pd.Timedelta(hours=1)
        assert_allclose(g["critical_h"].sum(), lead)
    ranked = bottlenecks(log, n_boot=0)
    if len(ranked) and (ranked["critical_share"] > 0).any():
        assert_allclose(ranked["critical_share"].sum(), 1.0)


@pytest.mark.parametrize("level", ["phase", "activity"])
def test_shares_add_up_per_release_at_both_levels(level: str) -> None:
    rows: list[tuple[object, ...]] = []
    rng = np.random.default_rng(5)
    for i in range(30):
        t = 50.0 * i
        for p in range(4):
            for a in range(3):
                s = t + rng.uniform(0, 20)
                rows.append((f"r{i}", f"p{p}", f"a{a}", s, s + rng.uniform(0, 5)))
    log = make_log(rows)
    path = critical_paths(log, level=level)  # type: ignore[arg-type]
    per_release = path.groupby("release_id")["share"].sum()
    assert_allclose(per_release.to_numpy(), 1.0)
    ranked = bottlenecks(log, level=level, n_boot=0)  # type: ignore[arg-type]
    assert_allclose(ranked["critical_share"].sum(), 1.0)
    assert_allclose(ranked["var_share"].sum(), 1.0)


def test_hotfix_only_releases_are_left_out_unless_asked() -> None:
    # r1 as PARALLEL (lead 8); hf1 is an ad-hoc release made only of a hotfix phase.
    # Left out: shares as for r1 alone. Kept (hotfix_phases=()): hotfix holds all of hf1,
    # so the mean shares halve for r1's phases and hotfix gets 0.5.
    log = make_log([*PARALLEL, ("hf1", "hotfix", None, 20, 21)])
    ranked = bottlenecks(log, n_boot=0).set_index("phase_id")
    assert "hotfix" not in ranked.index
    assert_allclose(ranked.loc["test", "critical_share"], 0.5)
    kept = bottlenecks(log, n_boot=0, hotfix_phases=()).set_index("phase_id")
    assert_allclose(kept.loc[["hotfix", "test", "build"], "critical_share"], [0.5, 0.25, 0.125])
    assert set(critical_paths(log)["release_id"]) == {"r1"}
    assert set(critical_paths(log, hotfix_phases=())["release_id"]) == {"r1", "hf1"}
