"""phasesim.History: the log prepared once and shared by the analyses and the report."""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import phasesim
from phasesim import History, read_log
from phasesim.analysis import _prepare
from phasesim.report import render_report

#: The module (``phasesim.analysis.bottlenecks`` as an attribute is the function).
bn_module = importlib.import_module("phasesim.analysis.bottlenecks")


def t(*stamps: str) -> pd.DatetimeIndex:
    return pd.to_datetime(list(stamps), utc=True)


@pytest.fixture
def log() -> pd.DataFrame:
    """Two releases of build (compile, unit) then deploy (push), in hours from 00:00."""
    frame = pd.DataFrame({
        "release_id": ["r1"] * 3 + ["r2"] * 3,
        "phase_id": ["build", "build", "deploy"] * 2,
        "activity_id": ["compile", "unit", "push"] * 2,
        "start": t("2026-01-05 00:00", "2026-01-05 01:00", "2026-01-05 03:00",
                   "2026-02-02 00:00", "2026-02-02 02:00", "2026-02-02 03:00"),
        "end": t("2026-01-05 01:00", "2026-01-05 02:00", "2026-01-05 04:00",
                 "2026-02-02 02:00", "2026-02-02 03:00", "2026-02-02 07:00"),
    })
    return read_log(frame)


def test_methods_are_the_functions(log: pd.DataFrame) -> None:
    h = History(log)
    assert_frame_equal(h.bottlenecks(n_boot=50), phasesim.bottlenecks(log, n_boot=50))
    assert_frame_equal(h.bottlenecks(level="activity", n_boot=0),
                       phasesim.bottlenecks(log, level="activity", n_boot=0))
    assert_frame_equal(h.phase_stats(), phasesim.phase_stats(log))
    assert_frame_equal(h.activity_stats(min_count=1), phasesim.activity_stats(log, min_count=1))
    assert_frame_equal(h.lead_times(), phasesim.lead_times(log))
    assert_frame_equal(h.trends("MS"), phasesim.trends(log, "MS"))
    assert_frame_equal(h.delivery_metrics("MS"), phasesim.delivery_metrics(log, "MS"))
    assert_frame_equal(h.waiting_vs_working(level="activity"),
                       phasesim.waiting_vs_working(log, level="activity"))
    assert_frame_equal(h.critical_paths(), phasesim.critical_paths(log))
    assert_frame_equal(h.work_in_progress(), phasesim.work_in_progress(log))
    assert_frame_equal(h.planned_vs_actual(), phasesim.planned_vs_actual(log))
    # the functions take a History in place of the log
    assert_frame_equal(phasesim.lead_times(h), phasesim.lead_times(log))
    # hand-computed: r1 lead 4 h (build 2 h, wait 1 h, deploy 1 h); r2 7 h
    assert h.lead_times()["lead_time_h"].tolist() == [4.0, 7.0]
    ranked = h.bottlenecks(n_boot=0).set_index("phase_id")
    # build holds 2/4 and 3/7 (its span), deploy 2/4 (1 h wait + 1 h) and 4/7
    assert ranked.loc["build", "critical_share"] == pytest.approx((2 / 4 + 3 / 7) / 2)
    assert ranked.loc["deploy", "critical_share"] == pytest.approx((2 / 4 + 4 / 7) / 2)


def test_prepared_once_and_walked_once_per_level(
    log: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: dict[str, int] = {"prepare": 0, "walk": 0}
    real_prepare, real_walk = _prepare.prepare, bn_module.contributions

    def prepare(frame: pd.DataFrame) -> Any:
        calls["prepare"] += 1
        return real_prepare(frame)

    def walk(*args: Any, **kwargs: Any) -> Any:
        calls["walk"] += 1
        return real_walk(*args, **kwargs)

    monkeypatch.setattr(_prepare, "prepare", prepare)
    monkeypatch.setattr(bn_module, "contributions", walk)
    h = History(log)
    h.bottlenecks(n_boot=0)
    h.trends()
    h.phase_stats()
    h.bottlenecks(n_boot=10)
    assert calls == {"prepare": 1, "walk": 1}  # trends and bottlenecks share the walk
    h.bottlenecks(level="activity", n_boot=0)
    assert calls == {"prepare": 1, "walk": 2}

    calls.update(prepare=0, walk=0)
    html = render_report(log, n_boot=20)
    assert "Bottlenecks" in html
    # the report: one prepare, one walk of phase spans and one of activities
    assert calls == {"prepare": 1, "walk": 2}
    # without the History the same analyses prepare on every call
    calls.update(prepare=0, walk=0)
    phasesim.bottlenecks(log, n_boot=0)
    phasesim.trends(log)
    assert calls == {"prepare": 2, "walk": 2}


def test_trends_walk_executions_when_phases_were_assumed() -> None:
    """check 0-1 h, applicant 1-10 h, check 10-11 h, no phase column: check's span would
    hold all 11 h; walked by executions, check holds 2 h and applicant 9 h."""
    frame = pd.DataFrame({
        "case": ["c1"] * 3, "activity": ["check", "applicant", "check"],
        "start": t("2026-01-05 00:00", "2026-01-05 01:00", "2026-01-05 10:00"),
        "end": t("2026-01-05 01:00", "2026-01-05 10:00", "2026-01-05 11:00"),
    })
    log = read_log(frame)
    out = phasesim.trends(log).set_index("phase_id")
    assert out.loc["check", "critical_share"] == pytest.approx(2 / 11)
    assert out.loc["applicant", "critical_share"] == pytest.approx(9 / 11)
    assert out["top"].to_dict() == {"check": False, "applicant": True}
    ranked = phasesim.bottlenecks(log, n_boot=0).set_index("phase_id")
    assert ranked.attrs["walked"] == "executions"
    assert np.allclose(ranked.loc[["check", "applicant"], "critical_share"], [2 / 11, 9 / 11])
    # shared walk: the History gives the same shares
    h = History(log)
    assert_frame_equal(h.trends(), phasesim.trends(log))


def test_repr_and_html(log: pd.DataFrame) -> None:
    h = History(log)
    assert repr(h) == ("History(2 releases (2 completed), 2 phases, 3 activities, "
                       "2026-01-05 to 2026-02-02)")
    page = h._repr_html_()
    assert "<td>2 (2 completed)</td>" in page and "<td>5.5 h</td>" in page
    assert ".bottlenecks()" in page


def test_blueprint_and_hotfix_phases_stand_in(log: pd.DataFrame) -> None:
    h = History(log, hotfix_phases=("deploy",))
    # deploy is a hotfix phase: no release is made only of it, but each "ran a hotfix"
    assert h.delivery_metrics()["change_failures"].sum() == 2
    assert phasesim.delivery_metrics(log)["change_failures"].sum() == 0
    assert History(h).log is log
