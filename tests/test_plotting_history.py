"""History plots on the Agg backend: the Axes comes back with the expected artists."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.container import BarContainer, ErrorbarContainer
from numpy.testing import assert_allclose

from phasesim.analysis import bottlenecks, trends
from phasesim.errors import LogError
from phasesim.eventlog.schema import validate_log
from phasesim.plotting import (
    plot_bottlenecks,
    plot_gantt,
    plot_lead_time,
    plot_phase_durations,
    plot_timeline,
    plot_trends,
)

T0 = pd.Timestamp("2026-01-05 00:00", tz="UTC")


def make_log(rows: Sequence[tuple[object, ...]]) -> pd.DataFrame:
    """Rows (release, phase, activity, start h, end h[, status, attempt])."""
    records = []
    for rel, phase, act, start, end, *rest in rows:
        records.append(
            {
                "run": 0,
                "release_id": rel,
                "phase_id": phase,
                "activity_id": act,
                "activity_type": "manual" if act else "phase",
                "status": rest[0] if rest else ("succeeded" if end is not None else "in_progress"),
                "attempt": rest[1] if len(rest) > 1 else 1,
                "start": T0 + pd.Timedelta(hours=float(start)),  # type: ignore[arg-type]
                "end": pd.NaT if end is None else T0 + pd.Timedelta(hours=float(end)),  # type: ignore[arg-type]
            }
        )
    return validate_log(pd.DataFrame(records))


# r1: build.compile 0-1, qa.suite fails 1-2, retried 2-3, qa.docs 1-1.5, prod.push 3-4
# r2 (a week later): build.compile 168-169, qa.suite 169-171, prod.push 171-173
# r3 (February): build.compile 720-721, qa.suite 721-722, prod.push running since 722
LOG = make_log(
    [
        ("r1", "build", "compile", 0, 1),
        ("r1", "qa", "suite", 1, 2, "failed", 1),
        ("r1", "qa", "suite", 2, 3, "succeeded", 2),
        ("r1", "qa", "docs", 1, 1.5),
        ("r1", "prod", "push", 3, 4),
        ("r2", "build", "compile", 168, 169),
        ("r2", "qa", "suite", 169, 171),
        ("r2", "prod", "push", 171, 173),
        ("r3", "build", "compile", 720, 721),
        ("r3", "qa", "suite", 721, 722),
        ("r3", "prod", "push", 722, None),
    ]
)


@pytest.fixture
def ax() -> Iterator[Axes]:
    fig, axes = plt.subplots()
    yield axes
    plt.close(fig)


def test_gantt_bars_labels_critical_and_failed(ax: Axes) -> None:
    out = plot_gantt(LOG, "r1", ax=ax)
    assert out is ax
    # five executions in order of start: compile, suite #1, docs, suite #2, push
    assert len(ax.patches) == 5
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["build · compile", "qa · suite", "qa · docs", "qa · suite #2", "prod · push"]
    # critical path: compile -> suite #1 -> suite #2 -> push (docs runs beside suite)
    edges = [p.get_linewidth() > 0 for p in ax.patches]
    assert edges == [True, True, False, True, True]
    hatches = [p.get_hatch() for p in ax.patches]
    assert hatches == [None, "//", None, None, None]
    # bar widths are the durations in days
    assert_allclose([p.get_width() * 24 for p in ax.patches], [1, 1, 0.5, 1, 1])
    assert ax.get_title() == "Release r1"


def test_gantt_running_execution_and_unknown_release(ax: Axes) -> None:
    plot_gantt(LOG, "r3", ax=ax)
    assert len(ax.patches) == 3
    # the running push is drawn to the latest known time (its own start): a sliver
    assert ax.patches[-1].get_linestyle() == "--"
    with pytest.raises(LogError, match="not in the log"):
        plot_gantt(LOG, "nope", ax=ax)
    with pytest.raises(LogError, match="run 3"):
        plot_gantt(LOG, "r1", ax=ax, run=3)


def test_gantt_phase_only_log_uses_current_axes() -> None:
    phases = make_log([("p1", "build", None, 0, 1), ("p1", "prod", None, 1, 3)])
    fig = plt.figure()
    try:
        out = plot_gantt(phases, "p1")
        assert out is fig.axes[0]
        assert [t.get_text() for t in out.get_yticklabels()] == ["build", "prod"]
    finally:
        plt.close(fig)


def test_bottleneck_pareto_bars_intervals_and_cumulative(ax: Axes) -> None:
    table = bottlenecks(LOG, n_boot=100, seed=0)
    plot_bottlenecks(table, ax=ax)
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bars) == 3  # the share, its avoidable and its designed waits
    assert len(bars[0].patches) == len(table) == 3
    assert_allclose([p.get_height() for p in bars[0].patches], table["critical_share"])
    # no types, plans nor blueprint: every wait is avoidable, none designed
    scale = table["critical_share"] / table["critical_h_mean"]
    assert_allclose([p.get_height() for p in bars[1].patches],
                    table["avoidable_h_mean"] * scale)
    assert_allclose([p.get_height() for p in bars[2].patches], 0.0)
    assert any(isinstance(c, ErrorbarContainer) for c in ax.containers)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == [f"{p} *" for p in table["phase_id"]]  # two releases: too few to rank
    cumulative = ax.get_lines()[-1].get_ydata()
    assert_allclose(np.asarray(cumulative)[-1], 1.0)


def test_bottleneck_pareto_from_a_log_at_activity_level(ax: Axes) -> None:
    plot_bottlenecks(LOG, ax=ax, level="activity", top=2)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert len(labels) == 2
    assert all("." in label for label in labels)


def test_phase_durations_boxes_in_flow_order(ax: Axes) -> None:
    plot_phase_durations(LOG, ax=ax)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["build", "qa", "prod"]
    assert len(ax.patches) == 3  # one box per phase
    acts = plt.figure().add_subplot()
    plot_phase_durations(LOG, ax=acts, level="activity")
    # suite and docs both start a median 1 h into the release: the tie goes by name
    assert [t.get_text() for t in acts.get_yticklabels()] == [
        "build.compile",
        "qa.docs",
        "qa.suite",
        "prod.push",
    ]
    plt.close(acts.figure)


def test_lead_time_points_by_status_and_rolling_median(ax: Axes) -> None:
    plot_lead_time(LOG, ax=ax)
    # two completed releases (r3 still running): r1 lead 4 h, r2 lead 5 h, both succeeded
    assert len(ax.collections) == 1
    offsets = ax.collections[0].get_offsets()
    assert_allclose(np.asarray(offsets)[:, 1], [4.0, 5.0])
    assert ax.get_lines()[0].get_label().startswith("rolling median")


def test_trends_lines_per_phase_and_change_marker(ax: Axes) -> None:
    table = trends(LOG)
    plot_trends(table, ax=ax, value="critical_share")
    lines = [line for line in ax.get_lines() if line.get_label() in {"build", "qa", "prod"}]
    assert len(lines) == 3
    # January: r1 and r2; February: r3 is still running, so its phases have only durations
    qa = next(line for line in lines if line.get_label() == "qa")
    assert len(qa.get_xdata()) == 2
    assert ax.get_ylabel() == "critical-path share"


def test_timeline_swimlanes_and_work_in_progress(ax: Axes) -> None:
    plot_timeline(LOG, ax=ax)
    # one bar per phase span: 3 releases x 3 phases
    assert len(ax.patches) == 9
    assert [t.get_text() for t in ax.get_yticklabels()] == ["r1", "r2", "r3"]
    twins = [a for a in ax.figure.axes if a is not ax]
    assert len(twins) == 1
    (step,) = twins[0].get_lines()
    # in flight: 1 (r1), 0, 1 (r2), 0, 1 (r3, still running)
    assert list(step.get_ydata()) == [1, 0, 1, 0, 1]
    only_last = plt.figure().add_subplot()
    plot_timeline(LOG, ax=only_last, last=2, wip=False)
    assert [t.get_text() for t in only_last.get_yticklabels()] == ["r2", "r3"]
    assert len(only_last.figure.axes) == 1
    plt.close(only_last.figure)


def test_lead_time_marks_hotfix_releases_apart(ax: Axes) -> None:
    log = make_log(
        [
            ("r1", "build", None, 0, 4),
            ("r2", "build", None, 10, 16),
            ("hf1", "hotfix", None, 5, 6),  # an ad-hoc hotfix release: lead 1 h
        ]
    )
    plot_lead_time(log, ax=ax)
    assert [c.get_label() for c in ax.collections] == ["succeeded", "hotfix release"]
    assert_allclose(np.asarray(ax.collections[1].get_offsets())[:, 1], [1.0])
    # the rolling median covers r1 and r2 only: median(4, 6) = 5 at both
    assert_allclose(ax.get_lines()[0].get_ydata(), [5.0, 5.0])


def test_plots_of_an_empty_log_draw_nothing(ax: Axes) -> None:
    from phasesim.eventlog.schema import empty_log

    empty = empty_log()
    for plot in (
        plot_phase_durations,
        plot_lead_time,
        plot_timeline,
        plot_bottlenecks,
        plot_trends,
    ):
        out = plot(empty, ax=ax)
        assert out is ax
    assert len(ax.patches) == 0
