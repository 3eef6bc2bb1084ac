"""Charts stay readable: labels that do not overprint, axes that fit the data, caps with
"and M more", times in the blueprint's time zone, legends of what is drawn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib import dates as mdates
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from matplotlib.text import Text
from numpy.testing import assert_allclose

from phasesim import load_blueprint, simulate
from phasesim.eventlog.schema import validate_log
from phasesim.plotting import (
    plot_bottlenecks,
    plot_dag,
    plot_gantt,
    plot_gantt_waits,
    plot_lead_time_distribution,
    plot_phase_durations,
    plot_timeline,
    plot_train,
    plot_trends,
    plot_utilization,
)
from phasesim.plotting._scale import label_step, more_note, number, visible_labels
from phasesim.plotting.history import timezone_of
from phasesim.plotting.simulation import period_words

BLUEPRINTS = Path(__file__).resolve().parents[1] / "data" / "blueprints"
T0 = pd.Timestamp("2026-01-05 00:00", tz="UTC")

# Three phases in a Los Angeles calendar: build (4 h of Dev), tag (5 min, automated),
# gate (a 2 h approval owned by Board, which therefore never holds capacity). Releases
# start Mondays 09:00 UTC = 01:00 in Los Angeles; Dev starts at 09:00 LA = 17:00 UTC.
TINY = """
process:
  id: tiny
  name: Tiny
  calendars:
    la: {timezone: America/Los_Angeles, hours: Mon-Fri 09:00-17:00}
  teams:
    Dev: {capacity: 1, calendar: la}
    Board: {capacity: 1, calendar: la}
  phases:
    - phase:
        id: build
        owners: [Dev]
        activities:
          - activity: {id: code, type: manual, duration: 4h}
    - phase:
        id: tag
        owners: [Dev]
        depends-on: [build]
        activities:
          - activity: {id: ping, type: automated, duration: 5m}
    - phase:
        id: gate
        owners: [Board]
        depends-on: [tag]
        activities:
          - activity: {id: approve, type: manual, approval: {wait: 2h, approvers: 1, required: 1}}
"""


@pytest.fixture(scope="module")
def tiny() -> object:
    return simulate(load_blueprint(TINY), releases=3, runs=1, seed=1, progress=False)


@pytest.fixture
def fig_ax() -> Iterator[tuple[Figure, object]]:
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    yield fig, fig.add_subplot()


def _renderer(fig: object) -> object:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)  # type: ignore[arg-type]
    canvas.draw()
    return canvas.get_renderer()


def _boxes(fig: Figure, texts: list[object]) -> list[object]:
    renderer = _renderer(fig)
    return [t.get_window_extent(renderer) for t in texts]  # type: ignore[attr-defined]


def _no_overlap(boxes: list[object]) -> bool:
    return not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])  # type: ignore[attr-defined]


def hours_log(rows: list[tuple[str, str, str, float, float | None]],
              status: str | None = None) -> pd.DataFrame:
    return validate_log(pd.DataFrame(
        [{"run": 0, "release_id": r, "phase_id": p, "activity_id": a, "activity_type": "manual",
          "status": status or ("succeeded" if e is not None else "in_progress"), "attempt": 1,
          "start": T0 + pd.Timedelta(hours=s),
          "end": pd.NaT if e is None else T0 + pd.Timedelta(hours=e)}
         for r, p, a, s, e in rows]))


# -- small helpers --------------------------------------------------------------------

def test_numbers_never_read_minus_zero_and_steps_and_notes() -> None:
    assert [number(-0.004, 2), number(-0.04, 1), number(-1.25, 1)] == ["0.00", "0.0", "-1.2"]
    assert [label_step(40, 40), label_step(41, 40), label_step(280, 40)] == [1, 2, 7]
    assert more_note(20, 400, "activities") == (
        "top 20 of 400 activities; and 380 more not shown")
    assert [period_words("W"), period_words("D"), period_words("4W")] == [
        "week", "day", "4 weeks"]
    cal = SimpleNamespace(calendars={"a": SimpleNamespace(timezone="America/Los_Angeles"),
                                     "b": SimpleNamespace(timezone="Europe/Berlin"),
                                     "c": SimpleNamespace(timezone="America/Los_Angeles")})
    assert timezone_of(cal) == "America/Los_Angeles"
    assert timezone_of(SimpleNamespace(calendars={})) == "UTC"


# -- lead-time distribution -----------------------------------------------------------

def _days_log(days: list[float]) -> pd.DataFrame:
    return hours_log([(f"r{i:02d}", "p", "a", 0.0, 24.0 * d) for i, d in enumerate(days)])


def test_lead_time_labels_stack_when_p50_equals_p80_and_target_is_drawn(fig_ax) -> None:
    fig, ax = fig_ax
    # nine releases of 2 days and one of 5: P50 = P80 = 2.0 d, P95 = 2 + 0.55 * 3 = 3.65 d
    log = _days_log([2.0] * 9 + [5.0])
    plot_lead_time_distribution(log, ax=ax, target="3d", tail=1.0)
    cdf = fig.axes[1]
    texts = [t for t in cdf.texts]
    assert [t.get_text() for t in texts] == [
        "P50 2.0 d", "P80 2.0 d", "P95 3.6 d", "target 3.0 d: 90% on time"]
    assert _no_overlap(_boxes(fig, texts))
    lines = [line.get_xdata()[0] for line in ax.get_lines()]
    assert_allclose(lines, [2.0, 2.0, 3.65, 3.0])
    assert ax.get_title() == "Lead time of 10 finished releases"


def test_lead_time_long_tail_is_cut_and_said(fig_ax) -> None:
    fig, ax = fig_ax
    # 19 releases of 1..1.9 days and one of 100 days; cut at P95 = 1.9 + 0.05 * 98.1
    days = [1.0 + 0.05 * i for i in range(19)] + [100.0]
    plot_lead_time_distribution(_days_log(days), ax=ax, tail=0.95)
    clip = 1.9 + 0.05 * 98.1
    low, high = ax.get_xlim()
    assert_allclose([low, high], [1.0 - 0.03 * (clip - 1.0), clip + 0.03 * (clip - 1.0)])
    assert ax.get_title().splitlines() == [
        "Lead time of 20 finished releases",
        "axis cut at P95 (6.8 d): 1 longer release not drawn"]
    # the percentiles still count the tail: P95 = 1.9 + 0.05 * (100 - 1.9) = 6.8 d
    assert fig.axes[1].texts[2].get_text() == "P95 6.8 d"


def test_lead_time_title_says_aborted_and_running_releases_are_left_out(fig_ax) -> None:
    _fig, ax = fig_ax
    releases = pd.DataFrame({"status": ["succeeded", "failed", "aborted", "aborted"],
                             "lead_time_h": [24.0, 48.0, 5.0, 6.0]})
    fake = SimpleNamespace(releases=releases, lead_times=releases["lead_time_h"].iloc[:2])
    plot_lead_time_distribution(fake, ax=ax)
    assert ax.get_title() == "Lead time of 2 finished releases\n2 aborted left out"
    fig2 = Figure()
    ax2 = fig2.add_subplot()
    log = hours_log([("a", "p", "x", 0, 24), ("b", "p", "x", 0, None)])
    plot_lead_time_distribution(log, ax=ax2)
    assert ax2.get_title() == "Lead time of 1 finished releases\n1 in progress left out"


# -- simulation plots on the tiny blueprint ---------------------------------------------

def test_utilisation_in_words_fitted_and_names_approving_teams(tiny, fig_ax) -> None:
    _fig, ax = fig_ax
    plot_utilization(tiny, ax=ax)
    # Dev is busy 4 h in the first (48 h) period: 1/12; the axis runs to max(0.1, 1/12*1.15)
    assert_allclose(ax.get_ylim(), (0.0, 0.1))
    assert ax.get_xlabel() == "week starting (UTC)"
    assert ax.get_title() == ("Utilisation per week\nteams not shown, only approve (no "
                              "capacity held): Board")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Dev (team)"]
    assert "%" in ax.yaxis.get_major_formatter()(0.05, 0)


def test_train_spans_short_phases_and_in_flight_behind_lanes(tiny, fig_ax) -> None:
    fig, ax = fig_ax
    plot_train(tiny, ax=ax)
    twin = fig.axes[1]
    # never more than one release in flight: the right axis ends at 1.1, not 3
    assert_allclose(twin.get_ylim(), (0.0, 1.1))
    assert ax.get_zorder() > twin.get_zorder()
    assert ax.get_xlabel() == "date (America/Los_Angeles)"
    # span: first scheduled (Jan 5 09:00 UTC) to last end (Jan 19 23:05 UTC)
    span = (pd.Timestamp("2026-01-19 23:05") - pd.Timestamp("2026-01-05 09:00")) / pd.Timedelta(
        days=1)
    widths = sorted(round(p.get_width(), 6) for p in ax.patches)
    # per release: tag (5 min) drawn 0.3% of the span wide, gate 2 h, build 4 h
    assert_allclose(widths, sorted([0.003 * span] * 3 + [2 / 24] * 3 + [4 / 24] * 3),
                    atol=1e-6)
    spans = ax.collections[0]  # the release spans (hlines)
    assert len(spans.get_segments()) == 3
    first = spans.get_segments()[0]
    local = pd.Timestamp("2026-01-05 09:00", tz="UTC").tz_convert("America/Los_Angeles")
    assert_allclose(first[0][0], mdates.date2num(local.tz_localize(None)))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["build", "tag", "gate", "release span (waits between phases)",
                      "releases in flight"]


def test_gantt_waits_in_local_time_and_legend_of_what_is_drawn(tiny, fig_ax) -> None:
    _fig, ax = fig_ax
    plot_gantt_waits(tiny, "R001", ax=ax)
    assert ax.get_xlabel() == "time (America/Los_Angeles)"
    # code starts Jan 5 17:00 UTC = 09:00 in Los Angeles
    code = min(ax.patches, key=lambda p: p.get_x())
    assert_allclose(code.get_x(), mdates.date2num(pd.Timestamp("2026-01-05 09:00")))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "team" not in legend and "environment" not in legend and "serialize" not in legend
    assert legend[:2] == ["work", "approval (avoidable wait)"]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "build · code", "tag · ping", "gate · approve"]


# -- history plots at scale ---------------------------------------------------------

def _wide_log(n_acts: int, n_rel: int = 3) -> pd.DataFrame:
    """``n_acts`` activities one after the other (activity k takes k+1 minutes), each its
    own phase (phase == activity), in ``n_rel`` releases a day apart."""
    rows = []
    for r in range(n_rel):
        t = 24.0 * r
        for k in range(n_acts):
            d = (k + 1) / 60
            rows.append((f"r{r}", f"job{k:03d}", f"job{k:03d}", t, t + d))
            t += d
    return hours_log(rows)


def test_pareto_and_box_plot_of_400_activities_are_capped(fig_ax) -> None:
    fig, ax = fig_ax
    log = _wide_log(400, n_rel=2)
    plot_bottlenecks(log, ax=ax)
    assert len(ax.get_xticklabels()) == 20
    assert ax.get_title().endswith("top 20 of 400 phases; and 380 more not shown")
    # every activity is on the path: job399 (the longest, 400 min) holds the largest share
    assert ax.get_xticklabels()[0].get_text() == "job399 *"
    top_share = 400 / sum(range(1, 401))
    assert ax.get_ylim()[1] < 0.2  # fits the data, not 0..1
    assert ax.get_ylim()[1] == pytest.approx(
        max(0.05, float(np.cumsum(sorted(np.arange(1, 401) / sum(range(1, 401)))[::-1])[19])
            * 1.12))
    assert top_share == pytest.approx(0.004987, abs=1e-6)
    # labels at 45 degrees: neighbours are apart by more than a line of text
    _renderer(fig)  # lay the figure out
    ticks = [t for t in ax.get_xticklabels() if t.get_text()]
    anchors = [ax.transData.transform((x, 0))[0] for x in ax.get_xticks()]
    height = ticks[0].get_fontsize() * fig.dpi / 72
    assert min(np.diff(anchors)) * np.sin(np.pi / 4) > height

    fig2 = Figure(figsize=(8, 4.5), layout="constrained")
    ax2 = fig2.add_subplot()
    plot_phase_durations(log, ax=ax2)
    names = visible_labels(ax2)
    # the 25 longest by median are job375..job399, drawn in flow order
    assert len(ax2.get_yticks()) <= 25 and names[0] == "job375"
    assert ax2.get_title().endswith("top 25 of 400 phases (by median); and 375 more not shown")
    assert _no_overlap(_boxes(fig2, [t for t in ax2.get_yticklabels() if t.get_text()]))


def test_gantt_says_a_name_once_and_thins_forty_labels(fig_ax) -> None:
    fig = Figure(figsize=(9, 5.5), layout="constrained")
    ax = fig.add_subplot()
    log = _wide_log(80, n_rel=1)
    plot_gantt(log, "r0", ax=ax)
    labels = [t for t in ax.get_yticklabels() if t.get_text()]
    # 80 rows on a 5.5 in figure (about 4.2 in of Axes, 7 labels an inch): 1 in 3
    assert [t.get_text() for t in labels[:3]] == ["job000", "job003", "job006"]
    assert len(labels) == 27
    assert _no_overlap(_boxes(fig, labels))
    assert ax.get_title() == "Release r0\n80 activity executions, 1 in 3 labelled"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["critical path"]
    assert len(ax.patches) == 80


def test_timeline_of_thousands_of_phases_is_one_collection(fig_ax) -> None:
    _fig, ax = fig_ax
    log = _wide_log(200, n_rel=2)  # 400 bars
    plot_timeline(log, ax=ax, wip=False)
    assert len(ax.patches) == 0
    (bars,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bars.get_paths()) == 400
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(legend) == 12 and legend[-1] == "job199"
    assert ax.get_title() == "Releases over time\ncolours of the 12 longest of 200 phases"


def test_trends_draw_the_top_ten_lines(fig_ax) -> None:
    _fig, ax = fig_ax
    rows = []
    for month in range(2):
        for k in range(15):
            start = 24.0 * 31 * month
            rows.append((f"m{month}", f"p{k:02d}", f"p{k:02d}", start, start + k + 1))
    log = hours_log(rows)
    plot_trends(log, ax=ax)
    assert [line.get_label() for line in ax.get_lines()] == [f"p{k:02d}" for k in range(5, 15)]
    assert ax.get_title() == ("Median duration per period\ntop 10 of 15 phases; and 5 more not "
                              "shown")


# -- plot_dag ----------------------------------------------------------------------------

def _box_labels_fit(ax: object, fig: object) -> tuple[float, bool]:
    renderer = _renderer(fig)
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]  # type: ignore[attr-defined]
    labels = [t for t in ax.texts  # type: ignore[attr-defined]
              if type(t) is Text and t.get_text() and t.get_fontweight() != "bold"]
    assert len(boxes) == len(labels)
    fits = True
    for box, text in zip(boxes, labels, strict=True):
        outer = box.get_window_extent(renderer)
        inner = text.get_window_extent(renderer)
        fits &= (inner.x0 >= outer.x0 - 1 and inner.x1 <= outer.x1 + 1
                 and inner.y0 >= outer.y0 - 1 and inner.y1 <= outer.y1 + 1)
    return min(t.get_fontsize() for t in labels), fits


@pytest.mark.parametrize("size", [None, (12, 5), (30, 12)])
def test_dag_labels_fit_their_boxes(size: tuple[float, float] | None) -> None:
    bp = load_blueprint(BLUEPRINTS / "harness-system-release.yaml")
    if size is None:
        fig = plt.figure()
        ax = plot_dag(bp)
    else:
        fig, ax = plt.subplots(figsize=size)
        plot_dag(bp, ax=ax)
    smallest, fits = _box_labels_fit(ax, fig)
    plt.close(fig)
    assert fits
    if size is None:
        # at its own size the drawing is readable: at least 7 pt
        assert smallest >= 7.0


def test_tornado_leaves_out_targets_with_no_effect(fig_ax) -> None:
    from phasesim.plotting import plot_tornado

    _fig, ax = fig_ax
    table = pd.DataFrame(
        {"delta_p80_h": [-5.0, 0.0, 2.0, 0.0],
         "delta_p80_low_h": [-6.0, 0.0, 1.0, -1.0],
         "delta_p80_high_h": [-4.0, 0.0, 3.0, 1.0]},
        index=["p.long", "p.idle", "p.slow", "p.noisy"])
    table.attrs = {"metric": "delta_p80_h", "rank_by": "quantile", "label": "P80",
                   "factor": 0.5, "by": "activity"}
    plot_tornado(table, ax=ax, unit="h")
    # p.idle moved nothing, not even its interval: named, not drawn; p.noisy (0 with an
    # interval) keeps its bar
    assert [t.get_text() for t in ax.get_yticklabels()] == ["p.long", "p.slow", "p.noisy"]
    assert len(ax.patches) == 3
    assert ax.get_title().splitlines()[-1] == "no effect: p.idle"


def test_history_gantt_in_the_blueprints_time_zone(tiny, fig_ax) -> None:
    _fig, ax = fig_ax
    plot_gantt(tiny.log, "R001", ax=ax, blueprint=tiny.blueprint)
    assert ax.get_xlabel() == "time (America/Los_Angeles)"
    # code runs 17:00-21:00 UTC on Jan 5: 09:00-13:00 in Los Angeles
    first = ax.patches[0]
    assert_allclose([first.get_x(), first.get_x() + first.get_width()],
                    mdates.date2num([pd.Timestamp("2026-01-05 09:00"),
                                     pd.Timestamp("2026-01-05 13:00")]))
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "build · code", "tag · ping", "gate · approve"]
