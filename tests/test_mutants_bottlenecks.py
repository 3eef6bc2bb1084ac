"""Tests aimed at mutmut survivors of ``phasesim/analysis/bottlenecks.py`` (issue 15).

Each log is tiny and its expected numbers are worked out by hand in the test.
"""

from __future__ import annotations

import textwrap
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from phasesim import load_blueprint
from phasesim.analysis import bottlenecks, critical_paths

T0 = pd.Timestamp("2026-01-05 00:00", tz="UTC")


def _log(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    """Rows (release, phase, start h, end h) from T0."""
    return pd.DataFrame(
        {
            "release_id": [r[0] for r in rows],
            "phase_id": [r[1] for r in rows],
            "start": [T0 + pd.Timedelta(hours=r[2]) for r in rows],
            "end": [T0 + pd.Timedelta(hours=r[3]) for r in rows],
        }
    )


def test_wait_and_work_hours_of_a_gap_on_the_path() -> None:
    # build 0-1, deploy 2-3: deploy waited 1 h and worked 1 h; lead 3 h
    log = _log([("r1", "build", 0, 1), ("r1", "deploy", 2, 3)])
    paths = critical_paths(log)
    assert paths["phase_id"].tolist() == ["build", "deploy"]
    assert paths["step"].tolist() == [1, 2]
    assert_allclose(paths["wait_h"], [0.0, 1.0])
    assert_allclose(paths["work_h"], [1.0, 1.0])
    assert_allclose(paths["critical_h"], [1.0, 2.0])
    assert_allclose(paths["share"], [1 / 3, 2 / 3])
    assert paths["ties"].tolist() == [0, 0]
    out = bottlenecks(log, n_boot=0).set_index("phase_id")
    assert_allclose(out.loc["deploy", "critical_share"], 2 / 3)
    assert_allclose(out.loc["deploy", "wait_share"], 1 / 3)
    assert_allclose(out.loc["deploy", "wait_h_mean"], 1.0)
    assert_allclose(out.loc["deploy", "critical_h_mean"], 2.0)
    assert_allclose(out.loc["build", "wait_share"], 0.0)
    assert out.loc["deploy", "rank"] == 1
    assert out.loc["build", "rank"] == 2


def test_parallel_phase_off_the_path_gets_nothing() -> None:
    # docs 0-5 runs beside build 0-2 / test 2-6; deploy 6-8 waited for test
    log = _log([("r1", "build", 0, 2), ("r1", "docs", 0, 5), ("r1", "test", 2, 6),
                ("r1", "deploy", 6, 8)])
    out = bottlenecks(log, n_boot=0).set_index("phase_id")
    assert_allclose(out.loc[["build", "docs", "test", "deploy"], "critical_share"],
                    [0.25, 0.0, 0.5, 0.25])
    assert_allclose(out.loc[["build", "docs", "test", "deploy"], "on_path_rate"],
                    [1.0, 0.0, 1.0, 1.0])
    assert out["releases"].tolist() == [1, 1, 1, 1]
    assert out.loc["test", "rank"] == 1
    assert out.loc["docs", "rank"] == 4


def test_two_releases_shares_ranks_and_var_share() -> None:
    # r1: build 1 h, deploy 1 h (lead 2); r2: build 3 h, deploy 1 h (lead 4)
    log = _log([("r1", "build", 0, 1), ("r1", "deploy", 1, 2),
                ("r2", "build", 168, 171), ("r2", "deploy", 171, 172)])
    out = bottlenecks(log, n_boot=0)
    assert out["phase_id"].tolist() == ["build", "deploy"]
    assert out["rank"].tolist() == [1, 2]
    # build: (1/2 + 3/4) / 2; deploy (1/2 + 1/4) / 2
    assert_allclose(out["critical_share"], [0.625, 0.375])
    assert_allclose(out["critical_h_mean"], [2.0, 1.0])
    assert_allclose(out["work_h_mean"], [2.0, 1.0])
    # lead varies by 2 h, all of it build's: cov(C, L) / var(L) = 1 and 0
    assert_allclose(out["var_share"], [1.0, 0.0], atol=1e-12)
    assert out["releases"].tolist() == [2, 2]
    assert out["small_sample"].tolist() == [True, True]
    assert bottlenecks(log, n_boot=0, min_releases=2)["small_sample"].tolist() == [False, False]
    assert bottlenecks(log, n_boot=0, min_releases=3)["small_sample"].tolist() == [True, True]
    assert out["rank_low"].isna().all() and out["rank_high"].isna().all()
    assert out["critical_share_low"].isna().all()


def test_exact_ties_share_equally() -> None:
    # a and b both 0-2, c 2-4: the first step's 2 h are split between a and b
    log = _log([("r1", "a", 0, 2), ("r1", "b", 0, 2), ("r1", "c", 2, 4)])
    out = bottlenecks(log, n_boot=0)
    assert out["phase_id"].tolist() == ["c", "a", "b"]
    assert out["rank"].tolist() == [1, 2, 3]
    assert_allclose(out["critical_share"], [0.5, 0.25, 0.25])
    assert_allclose(out["critical_h_mean"], [2.0, 1.0, 1.0])
    assert_allclose(out["on_path_rate"], [1.0, 1.0, 1.0])
    assert out.attrs["ties"] == 1
    paths = critical_paths(log)
    assert paths["ties"].tolist() == [1, 0]


def test_bootstrap_bounds_exact_on_identical_releases() -> None:
    # three identical releases: every resample gives the same shares, so the interval
    # bounds equal the estimate and the rank interval is the rank itself
    rows = []
    for i in range(3):
        rows += [(f"r{i}", "build", 168 * i, 168 * i + 3), (f"r{i}", "deploy", 168 * i + 3,
                                                            168 * i + 4)]
    out = bottlenecks(_log(rows), n_boot=50, seed=1)
    assert_allclose(out["critical_share"], [0.75, 0.25])
    assert_allclose(out["critical_share_low"], [0.75, 0.25])
    assert_allclose(out["critical_share_high"], [0.75, 0.25])
    assert out["rank_low"].tolist() == [1, 2]
    assert out["rank_high"].tolist() == [1, 2]
    # no lead-time variance: the variance share is undefined
    assert out["var_share"].isna().all()
    assert out["var_share_low"].isna().all()


def test_bootstrap_bounds_between_extremes() -> None:
    # two releases, build's share 1/2 and 3/4: resample means lie in [1/2, 3/4]
    log = _log([("r1", "build", 0, 1), ("r1", "deploy", 1, 2),
                ("r2", "build", 168, 171), ("r2", "deploy", 171, 172)])
    out = bottlenecks(log, n_boot=400, seed=0, confidence=0.95).set_index("phase_id")
    # with 400 resamples of 2 the all-r1 and all-r2 draws each have ~100 cases (> 2.5%)
    assert_allclose(out.loc["build", "critical_share_low"], 0.5)
    assert_allclose(out.loc["build", "critical_share_high"], 0.75)
    assert_allclose(out.loc["deploy", "critical_share_low"], 0.25)
    assert_allclose(out.loc["deploy", "critical_share_high"], 0.5)
    assert out.loc["build", "rank_low"] == 1 and out.loc["build", "rank_high"] == 1
    assert out.loc["deploy", "rank_low"] == 2
    assert np.isfinite(out.loc["build", "var_share_high"])


def test_release_of_zero_lead_time_is_left_out() -> None:
    # r2's executions take no time: its lead is 0 and it cannot give shares
    log = _log([("r1", "build", 0, 1), ("r1", "deploy", 1, 2),
                ("r2", "build", 168, 168), ("r2", "deploy", 168, 168)])
    out = bottlenecks(log, n_boot=0)
    assert out["releases"].tolist() == [1, 1]
    assert_allclose(out["critical_share"], [0.5, 0.5])
    assert_allclose(out["critical_h_mean"], [1.0, 1.0])


def _acts(rows: list[tuple[str, str, str, float, float]], **extra: object) -> pd.DataFrame:
    """Rows (release, phase, activity, start h, end h) from T0, plus extra columns."""
    frame = pd.DataFrame(
        {
            "release_id": [r[0] for r in rows],
            "phase_id": [r[1] for r in rows],
            "activity_id": [r[2] for r in rows],
            "start": [T0 + pd.Timedelta(hours=r[3]) for r in rows],
            "end": [T0 + pd.Timedelta(hours=r[4]) for r in rows],
        }
    )
    for name, values in extra.items():
        frame[name] = values
    return frame


# build 0-3; ship (anchored Mon 10:00, T0 is a Monday) deploy 10-11 then verify 12-13;
# notify's mail has its own not-before (Mon 15:00) and runs 15-16
ANCHORS_BP = """\
    process:
      id: p
      phases:
        - phase:
            id: build
            activities:
              - activity: {id: compile, type: automated, duration: 3h}
        - phase:
            id: ship
            depends-on: [build]
            not-before: Mon 10:00
            activities:
              - activity: {id: deploy, type: automated, duration: 1h}
              - activity: {id: verify, type: automated, duration: 1h, depends-on: [deploy]}
        - phase:
            id: notify
            depends-on: [ship]
            activities:
              - activity: {id: mail, type: automated, duration: 1h, not-before: Mon 15:00}
    """


def _anchors_log() -> pd.DataFrame:
    return _acts([("r1", "build", "compile", 0, 3), ("r1", "ship", "deploy", 10, 11),
                  ("r1", "ship", "verify", 12, 13), ("r1", "notify", "mail", 15, 16)])


def test_activity_anchors_entry_activities_and_own_not_before() -> None:
    # activity level, path compile -> deploy -> verify -> mail (lead 16 h):
    # deploy waited 3-10 = 7 h: ship's not-before covers its first activity -> designed 7;
    # verify waited 11-12 = 1 h after deploy (not an entry activity): avoidable 1;
    # mail waited 13-15 = 2 h and has its own not-before: designed 2
    bp = load_blueprint(textwrap.dedent(ANCHORS_BP))
    paths = critical_paths(_anchors_log(), bp, level="activity")
    assert paths["activity_id"].tolist() == ["compile", "deploy", "verify", "mail"]
    assert_allclose(paths["wait_h"], [0.0, 7.0, 1.0, 2.0])
    assert_allclose(paths["designed_h"], [0.0, 7.0, 0.0, 2.0])
    assert_allclose(paths["avoidable_h"], [0.0, 0.0, 1.0, 0.0])
    ranked = bottlenecks(_anchors_log(), bp, level="activity", n_boot=0).set_index(
        "activity_id")
    # deploy: 8 h on the path = 1 work + 7 designed; verify 2 = 1 work + 1 avoidable
    assert_allclose(ranked.loc[["deploy", "verify", "mail", "compile"], "designed_h_mean"],
                    [7.0, 0.0, 2.0, 0.0])
    assert_allclose(ranked.loc[["deploy", "verify", "mail", "compile"], "avoidable_h_mean"],
                    [0.0, 1.0, 0.0, 0.0])
    assert_allclose(ranked.loc[["deploy", "verify", "mail", "compile"], "work_h_mean"],
                    [1.0, 1.0, 1.0, 3.0])


def test_phase_anchor_makes_the_span_wait_designed() -> None:
    # phase level: ship's span 10-13 waited 3-10 = 7 h for its not-before: designed 7;
    # notify (the phase has no not-before of its own) waited 13-15: avoidable 2
    bp = load_blueprint(textwrap.dedent(ANCHORS_BP))
    paths = critical_paths(_anchors_log(), bp)
    assert paths["phase_id"].tolist() == ["build", "ship", "notify"]
    assert_allclose(paths["wait_h"], [0.0, 7.0, 2.0])
    assert_allclose(paths["work_h"], [3.0, 3.0, 1.0])
    assert_allclose(paths["designed_h"], [0.0, 7.0, 0.0])
    assert_allclose(paths["avoidable_h"], [0.0, 0.0, 2.0])
    # without the blueprint nothing says why ship waited: avoidable
    plain = critical_paths(_anchors_log())
    assert_allclose(plain["designed_h"], [0.0, 0.0, 0.0])
    assert_allclose(plain["avoidable_h"], [0.0, 7.0, 2.0])


def test_phase_span_soaks_approvals_and_the_first_activitys_log_anchor() -> None:
    # build 0-3; ship: deploy 10-11 (the log says 5 h anchor + 1 h freeze), notes 10.5-12
    # (anchor 0); watch: two parallel 24 h soaks 12-36 and an approval 12-14; gate: an
    # approval 36-38 then check 38-39.
    log = _acts(
        [("r1", "build", "compile", 0, 3), ("r1", "ship", "deploy", 10, 11),
         ("r1", "ship", "notes", 10.5, 12), ("r1", "watch", "soak1", 12, 36),
         ("r1", "watch", "soak2", 12, 36), ("r1", "watch", "ok", 12, 14),
         ("r1", "gate", "approve", 36, 38), ("r1", "gate", "check", 38, 39)],
        activity_type=["automated", "automated", "automated", "wait", "wait", "approval",
                       "approval", "automated"],
        wait_anchor_h=[np.nan, 5.0, 0.0, np.nan, np.nan, np.nan, np.nan, np.nan],
        wait_freeze_h=[0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    )
    paths = critical_paths(log)
    assert paths["phase_id"].tolist() == ["build", "ship", "watch", "gate"]
    assert_allclose(paths["wait_h"], [0.0, 7.0, 0.0, 0.0])
    assert_allclose(paths["work_h"], [3.0, 2.0, 24.0, 3.0])
    # ship's wait: the anchor of the activity that started it (deploy: 5 + 1 = 6 h
    # designed), the other 1 h avoidable. watch: soaks sum to 48 h, capped by the 24 h
    # span, so 24 designed; the approval then has 24 - 24 = 0 h left: 0 avoidable.
    # gate: its 2 h approval is avoidable, the rest work.
    assert_allclose(paths["designed_h"], [0.0, 6.0, 24.0, 0.0])
    assert_allclose(paths["avoidable_h"], [0.0, 1.0, 0.0, 2.0])
    ranked = bottlenecks(log, n_boot=0).set_index("phase_id")
    assert_allclose(ranked.loc[["build", "ship", "watch", "gate"], "work_h_mean"],
                    [3.0, 2.0, 0.0, 1.0])
    # at the activity level notes (10.5-12, ended ship) waited 3-10.5 = 7.5 h and its
    # log anchor is 0: all avoidable; soak1/soak2 tie; the approval's 2 h avoidable
    acts = critical_paths(log, level="activity")
    assert acts["activity_id"].tolist()[:2] == ["compile", "notes"]
    assert_allclose(acts["designed_h"], [0.0, 0.0, 24.0, 0.0, 0.0])
    assert_allclose(acts["avoidable_h"], [0.0, 7.5, 0.0, 2.0, 0.0])


def test_phases_assumed_from_the_audit_or_the_names() -> None:
    # p: a 0-1 and c 10-11, q: b 1-10. As phase spans p runs 0-11 and swallows q: p holds
    # the whole 11 h (it ends last and nothing ended before its start 0).
    log = _acts([("r1", "p", "a", 0, 1), ("r1", "q", "b", 1, 10), ("r1", "p", "c", 10, 11)])
    spans = bottlenecks(log, n_boot=0)
    assert spans.attrs["walked"] == "phase"
    assert spans["phase_id"].tolist() == ["p", "q"]
    assert_allclose(spans["critical_share"], [1.0, 0.0])
    # an audit record saying phases were assumed (read_log of several files, one without
    # a phase column): walk the executions, q holds 9 of 11 h and p, one row for both of
    # its executions, 1 + 1 = 2 h (a bug fixed: p was listed once per activity, 1/11 each)
    for count in (3, "3"):
        log.attrs["audit"] = [{"rule": "phase_assumed", "count": count}]
        walked = bottlenecks(log, n_boot=0)
        assert walked.attrs["walked"] == "executions"
        assert "activity_id" not in walked.columns
        assert walked["phase_id"].tolist() == ["q", "p"]
        assert_allclose(walked["critical_share"], [9 / 11, 2 / 11])
        assert_allclose(walked["critical_h_mean"], [9.0, 2.0])
        assert_allclose(walked["on_path_rate"], [1.0, 1.0])
        assert walked["releases"].tolist() == [1, 1]
    # a zero count, a missing or empty count, another rule or a non-record: phases kept
    for audit in ([{"rule": "phase_assumed", "count": 0}], [{"rule": "phase_assumed"}],
                  [{"rule": "phase_assumed", "count": None}],
                  [{"rule": "duplicate", "count": 3}], ["phase_assumed"], []):
        log.attrs["audit"] = audit
        assert bottlenecks(log, n_boot=0).attrs["walked"] == "phase", audit
    # the audit does not count when a blueprint is given: its phase graph decides
    log.attrs["audit"] = [{"rule": "phase_assumed", "count": 3}]
    graphs = SimpleNamespace(graph=nx.DiGraph(), phase_graph=nx.DiGraph([("q", "p")]))
    assert bottlenecks(log, graphs, n_boot=0).attrs["walked"] == "phase"


def test_phases_assumed_when_every_phase_is_named_as_its_activity() -> None:
    # check 0-1, applicant 1-10, check 10-11, with phase = activity on every row: walked
    # over executions, applicant 9/11, check 1/11 + 1/11 = 2/11
    log = _acts([("r1", "check", "check", 0, 1), ("r1", "applicant", "applicant", 1, 10),
                 ("r1", "check", "check", 10, 11)])
    ranked = bottlenecks(log, n_boot=0)
    assert ranked.attrs["walked"] == "executions"
    assert ranked["phase_id"].tolist() == ["applicant", "check"]
    assert_allclose(ranked["critical_share"], [9 / 11, 2 / 11])
    # one row named otherwise, or a row without an activity: phase spans, check 0-11
    # holds it all
    for other in (log.replace({"activity_id": {"applicant": "wait"}}),
                  log.assign(activity_id=["check", None, "check"])):
        ranked = bottlenecks(other, n_boot=0)
        assert ranked.attrs["walked"] == "phase"
        assert_allclose(ranked.set_index("phase_id").loc["check", "critical_share"], 1.0)
    # no activity column at all: phase spans
    assert bottlenecks(log.drop(columns="activity_id"), n_boot=0).attrs["walked"] == "phase"


def test_empty_ranking_has_every_column_with_its_dtype() -> None:
    # the only release is still running: nothing is completed, the table is empty but
    # keeps its columns (small_sample bool, the numbers float)
    log = _log([("r1", "build", 0, 1)])
    log["end"] = pd.Series([pd.NaT], dtype=log["end"].dtype)
    out = bottlenecks(log, n_boot=0)
    cols = ["rank", "rank_low", "rank_high", "releases", "on_path_rate", "critical_h_mean",
            "wait_h_mean", "work_h_mean", "designed_h_mean", "avoidable_h_mean",
            "critical_share", "critical_share_low", "critical_share_high", "wait_share",
            "var_share", "var_share_low", "var_share_high", "small_sample"]
    assert out.columns.tolist() == ["phase_id", *cols]
    assert len(out) == 0
    assert out["small_sample"].dtype == bool
    assert all(out[c].dtype == np.float64 for c in cols[:-1])


def test_bootstrap_var_share_bounds_and_confidence() -> None:
    # r1 lead 2 (build 1), r2 lead 4 (build 3). A resample of two releases is r1 r1, r2 r2
    # (no lead variance: NaN, left out) or one of each, where all the variance is build's:
    # build's var_share bounds are 1, deploy's 0.
    log = _log([("r1", "build", 0, 1), ("r1", "deploy", 1, 2),
                ("r2", "build", 168, 171), ("r2", "deploy", 171, 172)])
    out = bottlenecks(log, n_boot=400, seed=0).set_index("phase_id")
    assert_allclose(out.loc[["build", "deploy"], "var_share_low"], [1.0, 0.0], atol=1e-9)
    assert_allclose(out.loc[["build", "deploy"], "var_share_high"], [1.0, 0.0], atol=1e-9)
    # build's resample mean share is 1/2, 5/8 or 3/4 with probability 1/4, 1/2, 1/4: at
    # confidence 0.4 the 30% and 70% points both fall in the middle, 5/8 (with 2000
    # resamples the observed fractions are within 0.01 of 1/4; a 20% point would give 1/2)
    narrow = bottlenecks(log, n_boot=2000, seed=0, confidence=0.4).set_index("phase_id")
    assert_allclose(narrow.loc["build", ["critical_share_low", "critical_share_high"]],
                    [0.625, 0.625])
    assert_allclose(narrow.loc["deploy", ["critical_share_low", "critical_share_high"]],
                    [0.375, 0.375])


def test_one_resample_gives_bounds() -> None:
    # n_boot=1 is one resample, not none: on identical releases its bounds are the
    # estimate (3/4, 1/4) and the rank interval the rank
    rows = []
    for i in range(2):
        rows += [(f"r{i}", "build", 168 * i, 168 * i + 3),
                 (f"r{i}", "deploy", 168 * i + 3, 168 * i + 4)]
    out = bottlenecks(_log(rows), n_boot=1, seed=0)
    assert_allclose(out["critical_share_low"], [0.75, 0.25])
    assert_allclose(out["critical_share_high"], [0.75, 0.25])
    assert out["rank_low"].tolist() == [1, 2] and out["rank_high"].tolist() == [1, 2]


def test_bootstrap_in_chunks_gives_the_same_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    # the counts are made chunk by chunk to bound memory; 2 releases with room for 4
    # cells make chunks of 2, 2 and 1 resample of the 5: the same as one chunk of 5
    import importlib

    bn = importlib.import_module("phasesim.analysis.bottlenecks")
    log = _log([("r1", "build", 0, 1), ("r1", "deploy", 1, 2),
                ("r2", "build", 168, 171), ("r2", "deploy", 171, 172)])
    whole = bottlenecks(log, n_boot=5, seed=3)
    monkeypatch.setattr(bn, "_BOOT_CELLS", 4)
    chunked = bottlenecks(log, n_boot=5, seed=3)
    pd.testing.assert_frame_equal(whole, chunked)


def test_equal_lead_times_with_float_noise_have_no_variance_share() -> None:
    # three releases of 1000 h + 6 min: the same lead, but the mean of squares minus the
    # squared mean is ~1e-10 (rounding), not 0; that is no variance (below 1e-12 of the
    # mean square), so var_share is NaN, not rounding noise over rounding noise
    rows = []
    for i in range(3):
        t = 2000.0 * i
        rows += [(f"r{i}", "build", t, t + 1000), (f"r{i}", "deploy", t + 1000, t + 1000.1)]
    out = bottlenecks(_log(rows), n_boot=0)
    assert out["var_share"].isna().all()
    assert_allclose(out["critical_share"], [1000 / 1000.1, 0.1 / 1000.1])


def test_critical_paths_columns_and_a_lead_under_an_hour() -> None:
    # build 0-0.25, deploy 0.25-0.5: lead 0.5 h, shares 1/2 each
    log = _log([("r1", "build", 0, 0.25), ("r1", "deploy", 0.25, 0.5)])
    paths = critical_paths(log)
    assert paths.columns.tolist()[:4] == ["run", "release_id", "step", "phase_id"]
    assert_allclose(paths["share"], [0.5, 0.5])
    assert paths["end"].tolist() == [T0 + pd.Timedelta(hours=0.25),
                                     T0 + pd.Timedelta(hours=0.5)]
    # phases assumed: the path over executions shows no activity nor attempt column
    assumed = _acts([("r1", "check", "check", 0, 1), ("r1", "fix", "fix", 1, 3)])
    walked = critical_paths(assumed)
    assert "activity_id" not in walked.columns and "attempt" not in walked.columns
    assert walked["phase_id"].tolist() == ["check", "fix"]
    assert_allclose(walked["share"], [1 / 3, 2 / 3])
    # at the activity level they stay
    assert "attempt" in critical_paths(assumed, level="activity").columns


# --- survivors of the 4 December run (out/mutate/bn9) ---------------------------------


def test_one_execution_holds_the_whole_lead_time() -> None:
    # a log of one execution (build 0-2): it is the whole path, share 1, 2 h; the
    # releases column counts releases, so it is an integer column
    out = bottlenecks(_log([("r1", "build", 0, 2)]), n_boot=0)
    assert out["phase_id"].tolist() == ["build"]
    assert_allclose(out["critical_share"], [1.0])
    assert_allclose(out["critical_h_mean"], [2.0])
    assert_allclose(out["on_path_rate"], [1.0])
    assert out["releases"].tolist() == [1]
    assert out["releases"].dtype == np.int64
    assert out["rank"].dtype == np.int64


def test_a_tie_after_a_wait_shares_wait_designed_and_avoidable_hours() -> None:
    # x 0-1; a and b both 2-4 (a tie), planned to start at 1.5. The step a|b waited
    # 1-2 = 1 h: 0.5 h until the plan (designed), 0.5 h late (avoidable); it worked 2 h.
    # a and b take half of each: critical 1.5, wait 0.5, designed 0.25, avoidable 0.25,
    # work 1.0 each; x 1 h. Lead 4: shares 0.375, 0.375, 0.25.
    log = _log([("r1", "x", 0, 1), ("r1", "a", 2, 4), ("r1", "b", 2, 4)])
    log["planned_start"] = [pd.NaT, T0 + pd.Timedelta(hours=1.5), T0 + pd.Timedelta(hours=1.5)]
    out = bottlenecks(log, n_boot=0).set_index("phase_id")
    assert_allclose(out.loc[["a", "b", "x"], "critical_share"], [0.375, 0.375, 0.25])
    assert_allclose(out.loc[["a", "b", "x"], "critical_h_mean"], [1.5, 1.5, 1.0])
    assert_allclose(out.loc[["a", "b", "x"], "wait_h_mean"], [0.5, 0.5, 0.0])
    assert_allclose(out.loc[["a", "b", "x"], "wait_share"], [0.125, 0.125, 0.0])
    assert_allclose(out.loc[["a", "b", "x"], "designed_h_mean"], [0.25, 0.25, 0.0])
    assert_allclose(out.loc[["a", "b", "x"], "avoidable_h_mean"], [0.25, 0.25, 0.0])
    assert_allclose(out.loc[["a", "b", "x"], "work_h_mean"], [1.0, 1.0, 1.0])
    assert out.attrs["ties"] == 1


def test_a_tie_in_the_second_release_is_found() -> None:
    # r1: x 0-1 alone; r2: a and b both 168-170, c 170-172. The tie is in r2 (not the
    # first release): a and b hold 1 h each of r2's 4 h, c 2 h; the means are over both
    # releases (0 where the phase did not run), so a: (0 + 1) / 2 = 0.5 h
    log = _log([("r1", "x", 0, 1), ("r2", "a", 168, 170), ("r2", "b", 168, 170),
                ("r2", "c", 170, 172)])
    out = bottlenecks(log, n_boot=0)
    assert out.attrs["ties"] == 1
    paths = critical_paths(log)
    assert paths["release_id"].tolist() == ["r1", "r2", "r2"]
    assert paths["ties"].tolist() == [0, 1, 0]
    by = out.set_index("phase_id")
    assert_allclose(by.loc[["a", "b", "c", "x"], "critical_share"],
                    [0.125, 0.125, 0.25, 0.5])
    assert_allclose(by.loc[["a", "b", "c", "x"], "critical_h_mean"], [0.5, 0.5, 1.0, 0.5])


def test_same_end_but_a_later_start_is_no_tie() -> None:
    # d 0-2 and e 1-2 end together but e started later: no tie. d (the longer one comes
    # later in the order of ends) ended last and waited for nothing: it holds all 2 h
    log = _log([("r1", "d", 0, 2), ("r1", "e", 1, 2)])
    out = bottlenecks(log, n_boot=0).set_index("phase_id")
    assert out.attrs["ties"] == 0
    assert_allclose(out.loc[["d", "e"], "critical_share"], [1.0, 0.0])
    assert_allclose(out.loc[["d", "e"], "on_path_rate"], [1.0, 0.0])
    paths = critical_paths(log)
    assert paths["phase_id"].tolist() == ["d"]
    assert paths["ties"].tolist() == [0]


def _ns(**fields: object) -> SimpleNamespace:
    return SimpleNamespace(**fields)


def test_a_duck_typed_blueprint_without_optional_attributes() -> None:
    # the blueprint is anything with graph and phase_graph; phases (and activities)
    # without a not_before (or for_each) attribute are simply not anchored (repeated).
    # Phase level, path build 0-3 -> ship 10-13 -> notify 15-16: only ship has a
    # not_before, so its 7 h wait is designed and notify's 2 h avoidable
    graphs = _ns(graph=nx.DiGraph(), phase_graph=nx.DiGraph([("build", "ship"),
                                                             ("ship", "notify")]),
                 phases=[_ns(id="build"), _ns(id="ship", not_before="Mon 10:00"),
                         _ns(id="notify")])
    paths = critical_paths(_anchors_log(), graphs)
    assert paths["phase_id"].tolist() == ["build", "ship", "notify"]
    assert_allclose(paths["wait_h"], [0.0, 7.0, 2.0])
    assert_allclose(paths["designed_h"], [0.0, 7.0, 0.0])
    assert_allclose(paths["avoidable_h"], [0.0, 0.0, 2.0])
    # activity level, activities without for_each: compile -> deploy (ship's entry,
    # anchored by the phase: 7 h designed) -> verify (after deploy: 1 h avoidable) ->
    # mail (its own not_before: 2 h designed)
    act = _ns(id="compile", template_id="compile", not_before=None, depends_on=[])
    phases = [
        _ns(id="build", not_before=None, activities=[act]),
        _ns(id="ship", not_before="Mon 10:00", activities=[
            _ns(id="deploy", template_id="deploy", not_before=None, depends_on=[]),
            _ns(id="verify", template_id="verify", not_before=None, depends_on=["deploy"])]),
        _ns(id="notify", not_before=None, activities=[
            _ns(id="mail", template_id="mail", not_before="Mon 15:00", depends_on=[])]),
    ]
    graphs = _ns(graph=nx.DiGraph(), phase_graph=graphs.phase_graph, phases=phases)
    paths = critical_paths(_anchors_log(), graphs, level="activity")
    assert paths["activity_id"].tolist() == ["compile", "deploy", "verify", "mail"]
    assert_allclose(paths["wait_h"], [0.0, 7.0, 1.0, 2.0])
    assert_allclose(paths["designed_h"], [0.0, 7.0, 0.0, 2.0])
    assert_allclose(paths["avoidable_h"], [0.0, 0.0, 1.0, 0.0])


def test_for_each_instance_names_with_brackets() -> None:
    # ship has a for-each template deploy (anchored by its own not_before) and a plain
    # activity x (also anchored). In the log, deploy[a[1]] is an instance of deploy (the
    # template is the name up to the first bracket): its 7 h wait after compile is
    # designed. x[1] is no instance (x is not repeated): its 1 h wait after deploy[a[1]]
    # gets no anchor, it is avoidable
    phases = [
        _ns(id="build", not_before=None, activities=[
            _ns(id="compile", template_id="compile", not_before=None, depends_on=[],
                for_each=None)]),
        _ns(id="ship", not_before=None, activities=[
            _ns(id="deploy", template_id="deploy", not_before="Mon 10:00", depends_on=[],
                for_each=["a[1]"]),
            _ns(id="x", template_id="x", not_before="Mon 10:00", depends_on=[],
                for_each=None)]),
    ]
    graphs = _ns(graph=nx.DiGraph(), phase_graph=nx.DiGraph([("build", "ship")]),
                 phases=phases)
    log = _acts([("r1", "build", "compile", 0, 3), ("r1", "ship", "deploy[a[1]]", 10, 11),
                 ("r1", "ship", "x[1]", 12, 13)])
    paths = critical_paths(log, graphs, level="activity")
    assert paths["activity_id"].tolist() == ["compile", "deploy[a[1]]", "x[1]"]
    assert_allclose(paths["wait_h"], [0.0, 7.0, 1.0])
    assert_allclose(paths["designed_h"], [0.0, 7.0, 0.0])
    assert_allclose(paths["avoidable_h"], [0.0, 0.0, 1.0])


def test_phase_span_soaks_of_the_second_release_exactly() -> None:
    # r1: compile 0-1, soak 1-3; r2: compile 168-169, soak 169-173 (two phases, two
    # releases: the soak sums are looked up per release and phase). watch's span is all
    # soak: designed 2 h and 4 h, exactly (whole hours of nanoseconds), so its work is 0
    log = _acts([("r1", "build", "compile", 0, 1), ("r1", "watch", "soak", 1, 3),
                 ("r2", "build", "compile", 168, 169), ("r2", "watch", "soak", 169, 173)],
                activity_type=["automated", "wait", "automated", "wait"])
    paths = critical_paths(log)
    assert paths["phase_id"].tolist() == ["build", "watch", "build", "watch"]
    assert paths["designed_h"].tolist() == [0.0, 2.0, 0.0, 4.0]
    assert paths["avoidable_h"].tolist() == [0.0, 0.0, 0.0, 0.0]
    out = bottlenecks(log, n_boot=0).set_index("phase_id")
    assert out.loc["watch", "designed_h_mean"] == 3.0
    assert out.loc["watch", "work_h_mean"] == 0.0
    assert out.loc["build", "work_h_mean"] == 1.0


def test_retried_and_failed_soaks_are_avoidable() -> None:
    # activity level: prep 0-1, then the soak bake: attempt 1 failed 1-2, attempt 2 (a
    # retry) 2-5. Path prep -> bake#1 -> bake#2. A failed try's own time is avoidable
    # (1 h; its wait, 0 h, keeps its class) and a retry is avoidable as a whole (3 h):
    # nothing designed although bake is a soak
    log = _acts([("r1", "p", "prep", 0, 1), ("r1", "p", "bake", 1, 2),
                 ("r1", "p", "bake", 2, 5)],
                activity_type=["automated", "wait", "wait"], attempt=[1, 1, 2],
                status=["succeeded", "failed", "succeeded"])
    paths = critical_paths(log, level="activity")
    assert paths["activity_id"].tolist() == ["prep", "bake", "bake"]
    assert paths["attempt"].tolist() == [1, 1, 2]
    assert_allclose(paths["designed_h"], [0.0, 0.0, 0.0])
    assert_allclose(paths["avoidable_h"], [0.0, 1.0, 3.0])
    out = bottlenecks(log, level="activity", n_boot=0).set_index("activity_id")
    assert_allclose(out.loc[["prep", "bake"], "designed_h_mean"], [0.0, 0.0])
    assert_allclose(out.loc[["prep", "bake"], "avoidable_h_mean"], [0.0, 4.0])
    assert_allclose(out.loc[["prep", "bake"], "work_h_mean"], [1.0, 0.0])


def test_work_hours_are_never_negative_rounding() -> None:
    # prep 0-60 min, the soak bake 61-64 min: bake waited 1 min (avoidable) and soaked
    # 3 min (designed), so its work is 0; in floats (1/60 + 1/20) - 1/20 - 1/60 is
    # -3.5e-18, which the table shows as 0, not as a negative number
    start = [T0, T0 + pd.Timedelta(minutes=61)]
    end = [T0 + pd.Timedelta(minutes=60), T0 + pd.Timedelta(minutes=64)]
    log = pd.DataFrame({"release_id": ["r1", "r1"], "phase_id": ["p", "p"],
                        "activity_id": ["prep", "bake"], "start": start, "end": end,
                        "activity_type": ["automated", "wait"]})
    out = bottlenecks(log, level="activity", n_boot=0).set_index("activity_id")
    assert out.loc["bake", "work_h_mean"] == 0.0
    assert (out["work_h_mean"] >= 0).all()
    assert_allclose(out.loc["bake", "designed_h_mean"], 3 / 60)
    assert_allclose(out.loc["bake", "avoidable_h_mean"], 1 / 60)
    assert_allclose(out.loc["prep", "work_h_mean"], 1.0)


def test_a_blueprint_keeps_phase_spans_in_critical_paths() -> None:
    # the audit says phases were assumed, but a blueprint is given: its phase graph
    # decides, the path is walked over phase spans. p's span 0-11 ended last; the one it
    # depends on (q) ended after p started, and nothing ended before 0: one step, 11 h
    log = _acts([("r1", "p", "a", 0, 1), ("r1", "q", "b", 1, 10), ("r1", "p", "c", 10, 11)])
    log.attrs["audit"] = [{"rule": "phase_assumed", "count": 3}]
    graphs = SimpleNamespace(graph=nx.DiGraph(), phase_graph=nx.DiGraph([("q", "p")]))
    paths = critical_paths(log, graphs)
    assert paths["phase_id"].tolist() == ["p"]
    assert_allclose(paths["wait_h"], [0.0])
    assert_allclose(paths["work_h"], [11.0])
    assert_allclose(paths["share"], [1.0])


def test_a_history_walks_at_the_level_blueprint_and_hotfixes_asked_for() -> None:
    from phasesim.analysis import History

    # phase level of a log without activities: build 0-1, deploy 2-3 (waited 1 h)
    plain = _log([("r1", "build", 0, 1), ("r1", "deploy", 2, 3)])
    paths = critical_paths(History(plain))
    assert paths["phase_id"].tolist() == ["build", "deploy"]
    assert_allclose(paths["wait_h"], [0.0, 1.0])
    ranked = bottlenecks(History(plain), n_boot=0).set_index("phase_id")
    assert_allclose(ranked.loc[["build", "deploy"], "critical_share"], [1 / 3, 2 / 3])
    # a blueprint given to the call (the History has none): ship's 7 h wait is designed
    bp = load_blueprint(textwrap.dedent(ANCHORS_BP))
    paths = critical_paths(History(_anchors_log()), bp)
    assert_allclose(paths["designed_h"], [0.0, 7.0, 0.0])
    # hotfix phases () given to the call: the hotfix-only release r2 is kept
    log = _log([("r1", "build", 0, 1), ("r2", "hotfix", 168, 170)])
    assert critical_paths(History(log))["release_id"].tolist() == ["r1"]
    kept = critical_paths(History(log), hotfix_phases=())
    assert kept["release_id"].tolist() == ["r1", "r2"]
    assert_allclose(kept["work_h"], [1.0, 2.0])


def test_phases_assumed_for_one_row_and_an_audit_count_of_one() -> None:
    # a log of one row whose phase is named as its activity: walked over executions
    one = _acts([("r1", "check", "check", 0, 1)])
    out = bottlenecks(one, n_boot=0)
    assert out.attrs["walked"] == "executions"
    assert_allclose(out["critical_share"], [1.0])
    # an audit record of one assumed phase is enough
    log = _acts([("r1", "p", "a", 0, 1), ("r1", "q", "b", 1, 10), ("r1", "p", "c", 10, 11)])
    log.attrs["audit"] = [{"rule": "phase_assumed", "count": 1}]
    walked = bottlenecks(log, n_boot=0)
    assert walked.attrs["walked"] == "executions"
    assert_allclose(walked.set_index("phase_id").loc[["q", "p"], "critical_share"],
                    [9 / 11, 2 / 11])


def test_assumed_phases_fold_every_column_into_their_phase() -> None:
    # phases assumed (audit), walked over executions, then summed per phase. Phases p
    # (activities a, z), q (b, a soak), s (d). r1: a 0-1, d 0-0.5, b 3-5, z 5-6; path
    # a (1 h) -> b (waited 1-3: 2 h avoidable; soaked 2 h: designed) -> z (1 h); d is off
    # the path. r2: a 168-169, b 169-170: path a -> b (1 h soak, no wait); no z, no s.
    # Lead 6 and 2. p: 2 h and 1 h; q: 4 h (2 wait) and 1 h; s: nothing, in r1 only.
    log = _acts([("r1", "p", "a", 0, 1), ("r1", "s", "d", 0, 0.5), ("r1", "q", "b", 3, 5),
                 ("r1", "p", "z", 5, 6), ("r2", "p", "a", 168, 169),
                 ("r2", "q", "b", 169, 170)],
                activity_type=["automated", "automated", "wait", "automated", "automated",
                               "wait"])
    log.attrs["audit"] = [{"rule": "phase_assumed", "count": 3}]
    out = bottlenecks(log, n_boot=0)
    assert out.attrs["walked"] == "executions"
    assert out["phase_id"].tolist() == ["q", "p", "s"]
    by = out.set_index("phase_id").loc[["p", "q", "s"]]
    # shares: p (2/6 + 1/2) / 2 = 5/12, q (4/6 + 1/2) / 2 = 7/12
    assert_allclose(by["critical_share"], [5 / 12, 7 / 12, 0.0])
    assert_allclose(by["critical_h_mean"], [1.5, 2.5, 0.0])
    assert by["releases"].tolist() == [2, 2, 1]
    assert_allclose(by["on_path_rate"], [1.0, 1.0, 0.0])
    assert_allclose(by["wait_h_mean"], [0.0, 1.0, 0.0])
    assert_allclose(by["wait_share"], [0.0, 1 / 6, 0.0])
    assert_allclose(by["designed_h_mean"], [0.0, 1.5, 0.0])
    assert_allclose(by["avoidable_h_mean"], [0.0, 1.0, 0.0])
    assert_allclose(by["work_h_mean"], [1.5, 0.0, 0.0], atol=1e-12)


def test_critical_paths_of_no_completed_release_keep_integer_columns() -> None:
    # the only release is still running: no path, and the step and ties columns stay
    # integers
    log = _log([("r1", "build", 0, 1)])
    log["end"] = pd.Series([pd.NaT], dtype=log["end"].dtype)
    paths = critical_paths(log)
    assert len(paths) == 0
    assert paths["ties"].dtype == np.int64
    assert paths["step"].dtype == np.int64


def test_rank_interval_breaks_equal_shares_by_flow_order() -> None:
    # two identical releases of a 1 h, b 1 h, c 2 h, d 2 h in sequence: every resample
    # has shares 1/6, 1/6, 1/3, 1/3; equal shares rank in flow order, so the rank
    # interval of each phase is its rank: c 1, d 2, a 3, b 4
    rows = []
    for i in range(2):
        t = 168.0 * i
        rows += [(f"r{i}", "a", t, t + 1), (f"r{i}", "b", t + 1, t + 2),
                 (f"r{i}", "c", t + 2, t + 4), (f"r{i}", "d", t + 4, t + 6)]
    out = bottlenecks(_log(rows), n_boot=20, seed=0)
    assert out["phase_id"].tolist() == ["c", "d", "a", "b"]
    assert out["rank"].tolist() == [1, 2, 3, 4]
    assert out["rank_low"].tolist() == [1, 2, 3, 4]
    assert out["rank_high"].tolist() == [1, 2, 3, 4]


def test_no_runtime_warnings() -> None:
    import warnings

    # identical releases (no lead-time variance in any resample), two releases (some
    # resamples without variance), and a release of zero lead time in critical_paths:
    # the undefined values are NaN, silently
    rows = []
    for i in range(3):
        rows += [(f"r{i}", "build", 168 * i, 168 * i + 3), (f"r{i}", "deploy", 168 * i + 3,
                                                            168 * i + 4)]
    same = _log(rows)
    two = _log([("r1", "build", 0, 1), ("r1", "deploy", 1, 2),
                ("r2", "build", 168, 171), ("r2", "deploy", 171, 172)])
    zero = _log([("r1", "build", 0, 1), ("r1", "deploy", 1, 2),
                 ("r2", "build", 168, 168), ("r2", "deploy", 168, 168)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = bottlenecks(same, n_boot=20, seed=0)
        assert out["var_share_low"].isna().all() and out["var_share_high"].isna().all()
        out = bottlenecks(two, n_boot=50, seed=0).set_index("phase_id")
        assert_allclose(out.loc[["build", "deploy"], "var_share_low"], [1.0, 0.0], atol=1e-9)
        paths = critical_paths(zero)
    assert_allclose(paths["share"], [0.5, 0.5, np.nan, np.nan])


def test_bootstrap_defaults_are_1000_resamples_of_seed_0() -> None:
    # the defaults (n_boot 1000, seed 0) give the same table as asking for them; eight
    # releases of different shares make the intervals depend on both
    rows = []
    for i, (b, d) in enumerate([(1, 1), (3, 1), (2, 5), (1, 4), (5, 2), (7, 3), (2, 9),
                                (4, 4)]):
        t = 168.0 * i
        rows += [(f"r{i}", "build", t, t + b), (f"r{i}", "deploy", t + b, t + b + d)]
    log = _log(rows)
    default = bottlenecks(log)
    pd.testing.assert_frame_equal(default, bottlenecks(log, n_boot=1000, seed=0))
    assert not default.equals(bottlenecks(log, n_boot=1000, seed=1))
    assert not default.equals(bottlenecks(log, n_boot=1001, seed=0))


def test_share_is_nan_silently_when_the_lead_time_is_not_positive() -> None:
    # a frame read_log would have cleaned: b "ends" at -1 h, before it starts (1 h) and
    # before a (0-0). The release runs from 0 to 0: lead 0. a ended last and waited for
    # b's end (-1): a holds 0 - (-1) = 1 h, b from the release start 0 to -1: -1 h. No
    # share of a lead time of 0: NaN (not +-inf), and no division warning
    import warnings

    log = _log([("r1", "a", 0, 0), ("r1", "b", 1, -1)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        paths = critical_paths(log)
    assert paths["phase_id"].tolist() == ["b", "a"]
    assert_allclose(paths["critical_h"], [-1.0, 1.0])
    assert paths["share"].isna().all()
