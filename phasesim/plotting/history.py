"""Plots of release history: Gantt, bottleneck Pareto, phase durations, lead time, trends,
timeline. Each computes with :mod:`phasesim.analysis` first and then draws; each takes
``ax=None`` (the current Axes) and returns the Axes it drew on. Matplotlib is imported
only when a plot is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from phasesim.analysis import (
    History,
    bottlenecks,
    critical_paths,
    lead_times,
    trends,
    waiting_vs_working,
    work_in_progress,
)
from phasesim.analysis._prepare import BlueprintLike
from phasesim.errors import LogError, Problem
from phasesim.plotting._scale import more_note, thin_labels, titled
from phasesim.plotting._text import literal, literals

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "phase_colors",
    "plot_bottlenecks",
    "plot_gantt",
    "plot_lead_time",
    "plot_phase_durations",
    "plot_timeline",
    "plot_trends",
]

STATUS_COLORS = {
    "succeeded": "#2a9d8f",
    "failed": "#e63946",
    "rejected": "#f4a261",
    "aborted": "#6d597a",
    "skipped": "#adb5bd",
    "in_progress": "#457b9d",
}
#: Colours of the release outcomes of :mod:`phasesim.outcomes` that have a lead time.
OUTCOME_COLORS = {
    "succeeded": "#2a9d8f",
    "succeeded_after_rollback": "#e9c46a",
    "failed": "#e63946",
}


_UNIT_HOURS = {"h": 1.0, "d": 24.0, "min": 1 / 60}
_UNIT_WORDS = {"h": "hours", "d": "days", "min": "minutes"}


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.gca()


def timezone_of(blueprint: object | None) -> str:
    """The time zone to draw a blueprint's times in: that of its calendars (the most
    used one when they differ), else UTC.

    >>> timezone_of(None)
    'UTC'
    """
    calendars = getattr(blueprint, "calendars", None) or {}
    zones = [str(c.timezone) for c in calendars.values() if getattr(c, "timezone", None)]
    if not zones:
        return "UTC"
    return max(dict.fromkeys(zones), key=zones.count)


def phase_colors(phase_ids: Sequence[str]) -> dict[str, tuple[float, float, float, float]]:
    """A colour per phase, in the given order (tab10, or tab20 beyond ten phases)."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if len(phase_ids) <= 10 else "tab20"]
    return {str(p): cmap(i % cmap.N) for i, p in enumerate(phase_ids)}


def _flow_phases(log: pd.DataFrame | History) -> list[str]:
    from phasesim.analysis import phase_stats

    return [str(p) for p in phase_stats(log)["phase_id"]]


def _date_axis(ax: Axes) -> None:
    """Dates on the x axis with concise labels that do not overlap."""
    from matplotlib import dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _dates(values: pd.Series, tz: str = "UTC") -> np.ndarray[Any, np.dtype[np.float64]]:
    """Matplotlib date numbers of the times, as wall-clock times in ``tz``."""
    from matplotlib import dates as mdates

    naive = values.dt.tz_convert(tz).dt.tz_localize(None)
    return np.asarray(mdates.date2num(naive.to_numpy()), dtype=float)


def plot_gantt(
    log: pd.DataFrame | History,
    release_id: str,
    ax: Axes | None = None,
    run: int = 0,
    *,
    blueprint: BlueprintLike | None = None,
    critical: bool = True,
) -> Axes:
    """Draw one release as a Gantt chart: a bar per activity execution (or phase).

    Bars are coloured by phase; executions with a failed, rejected or aborted row are
    hatched; those
    on the release's realised critical path have a black edge; executions still running
    are drawn up to the latest time in the release with a dashed edge.

    Parameters
    ----------
    log : pandas.DataFrame or History
        An event log (canonical schema), or a History of one (the analyses of the release
        then come from its prepared tables).
    release_id : str
        The release to draw.
    ax : matplotlib.axes.Axes, optional
        Where to draw; the current Axes by default.
    run : int, default 0
        The run of a simulated log.
    blueprint : Blueprint, optional
        Dependencies for the critical path.
    critical : bool, default True
        Outline the critical path.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> import pandas as pd
    >>> from phasesim.plotting import plot_gantt
    >>> log = pd.DataFrame({
    ...     "release_id": ["r1", "r1"], "phase_id": ["build", "deploy"],
    ...     "start": pd.to_datetime(["2026-01-05 09:00", "2026-01-05 11:00"], utc=True),
    ...     "end": pd.to_datetime(["2026-01-05 10:00", "2026-01-05 12:30"], utc=True)})
    >>> ax = plot_gantt(log, "r1", ax=ax)
    >>> len(ax.patches)
    2
    """
    ax = _axes(ax)
    frame = log.log if isinstance(log, History) else log
    mask = (frame["release_id"].astype("string") == str(release_id)).to_numpy(dtype=bool)
    if "run" in frame.columns:
        mask &= (frame["run"] == run).to_numpy(dtype=bool)
    one = frame.loc[mask]
    if one.empty:
        raise LogError(
            [
                Problem(
                    f"release {release_id!r} (run {run}) is not in the log",
                    hint="check lead_times(log) for the release ids",
                )
            ]
        )
    level: Literal["phase", "activity"] = (
        "activity" if "activity_id" in one.columns and one["activity_id"].notna().any() else "phase"
    )
    source: pd.DataFrame | History = log if isinstance(log, History) else one
    items = _rows_of(waiting_vs_working(source, blueprint, level=level), release_id, run)
    colors = phase_colors(_flow_phases(log))
    keys = _execution_keys(items, level)
    on_path: set[tuple[str, str, int, int]] = set()
    if critical:
        path = _rows_of(critical_paths(source, blueprint, level=level), release_id, run)
        on_path = set(_execution_keys(path, level))
    tz = timezone_of(blueprint)
    start = _dates(items["start"], tz)
    latest = pd.concat([items["start"], items["end"]]).max()
    end = _dates(items["end"].where(items["end"].notna(), latest), tz)
    running = items["end"].isna().to_numpy(dtype=bool)
    failed = items["failed"].to_numpy(dtype=bool)
    # a wait activity (a soak) is a designed wait, not work: drawn pale and dotted
    soak = np.zeros(len(keys), dtype=bool)
    if level == "activity" and "activity_type" in one.columns:
        waits = {(str(p), str(a)) for p, a, t in zip(one["phase_id"], one["activity_id"],
                                                     one["activity_type"], strict=True)
                 if str(t) == "wait"}
        soak = np.array([(k[0], k[1]) in waits for k in keys], dtype=bool)
    many = len(keys) > 60
    labels = []
    critical_rows = np.zeros(len(keys), dtype=bool)
    for i, (phase, act, attempt, _) in enumerate(keys):
        # with assumed phases (phase == activity) the name is said once
        label = f"{phase} · {act}" if act and act != phase else (act or phase)
        labels.append(label + (f" #{attempt}" if attempt > 1 else ""))
        critical_rows[i] = keys[i] in on_path
    if len(keys):
        bars = ax.barh(
            np.arange(len(keys)),
            np.maximum(end - start, 1e-4),
            left=start,
            height=0.6 if not many else 0.8,
            color=[colors.get(k[0], "#999999") for k in keys],
            edgecolor=["black" if c else "none" for c in critical_rows],
            linewidth=[(0.6 if many else 1.8) if c else 0.0 for c in critical_rows],
        )
        for patch, hatch, dashed, pale in zip(bars.patches, failed, running, soak,
                                              strict=True):
            if hatch:
                patch.set_hatch("//")
            elif pale:
                patch.set_hatch("..")
                patch.set_alpha(0.4)
            if dashed:
                patch.set_linestyle("--")
    step = thin_labels(ax, "y", range(len(labels)), literals(labels),
                       fontsize=8.0 if not many else 7.0)
    if len(labels):
        ax.set_ylim(len(labels) - 0.5, -0.5)
    _date_axis(ax)
    title = f"Release {literal(release_id)}" + (f" (run {run})" if run else "")
    titled(ax, title, f"{len(labels)} {level} executions, 1 in {step} labelled"
           if step > 1 else "")
    ax.set_xlabel(f"time ({tz})")
    from matplotlib.patches import Patch

    handles = []
    if critical and critical_rows.any():
        handles.append(Patch(facecolor="white", edgecolor="black", label="critical path"))
    if failed.any():
        handles.append(Patch(facecolor="white", edgecolor="grey", hatch="//", label="failed"))
    if running.any():
        handles.append(Patch(facecolor="white", edgecolor="black", linestyle="--",
                             label="still running"))
    if (soak & ~failed).any():
        handles.append(Patch(facecolor="white", edgecolor="grey", hatch="..",
                             label="wait activity (designed wait)"))
    if handles:
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            fontsize=8,
            frameon=False,
        )
    return ax


def _rows_of(table: pd.DataFrame, release_id: str, run: int) -> pd.DataFrame:
    """The rows of one release (and run) of an analysis table."""
    mask = (table["release_id"].astype("string") == str(release_id)).to_numpy(dtype=bool)
    if "run" in table.columns:
        mask &= (table["run"] == run).to_numpy(dtype=bool)
    return table.loc[mask].reset_index(drop=True)


#: Above this many bars, a chart draws them as one collection (thousands of Rectangle
#: patches take seconds each to create and to save).
MANY_BARS = 300


def _hbars(ax: Axes, y: Any, width: Any, left: Any, *, height: float, colors: Sequence[Any]
           ) -> Any:
    """Horizontal bars: ``barh`` when few, one ``PolyCollection`` when many."""
    y, width, left = (np.asarray(v, dtype=float) for v in (y, width, left))
    if len(y) <= MANY_BARS:
        return ax.barh(y, width, left=left, height=height, color=list(colors), linewidth=0)
    from matplotlib.collections import PolyCollection

    lo, hi = y - height / 2, y + height / 2
    right = left + width
    verts = np.stack([np.column_stack([left, lo]), np.column_stack([left, hi]),
                      np.column_stack([right, hi]), np.column_stack([right, lo])], axis=1)
    coll = PolyCollection(list(verts), facecolors=list(colors), linewidths=0)
    ax.add_collection(coll)
    ax.update_datalim(np.column_stack([np.r_[left, right], np.r_[lo, hi]]))
    ax.autoscale_view()
    return coll


def _short(text: str, width: int = 32) -> str:
    """A label cut to ``width`` characters (with an ellipsis), so long names fit.

    >>> _short("a" * 40, 10)
    'aaaaaaaaa…'
    """
    return text if len(text) <= width else text[: width - 1] + "…"


def _execution_keys(frame: pd.DataFrame, level: str) -> list[tuple[str, str, int, int]]:
    """(phase, activity, attempt, start ns) of each row of a table of executions."""
    n = len(frame)
    phases = [str(p) for p in frame["phase_id"].tolist()]
    if level == "activity":
        acts = [str(a) for a in frame["activity_id"].tolist()]
        attempts = [int(a) for a in frame["attempt"].tolist()]
    else:
        acts, attempts = [""] * n, [1] * n
    starts = [int(t) for t in np.asarray(frame["start"].array.asi8)]
    return list(zip(phases, acts, attempts, starts, strict=True))


def _bottleneck_table(data: pd.DataFrame, level: Literal["phase", "activity"]) -> pd.DataFrame:
    if "critical_share" in data.columns:
        return data
    return bottlenecks(data, level=level)


def plot_bottlenecks(
    data: pd.DataFrame,
    ax: Axes | None = None,
    *,
    level: Literal["phase", "activity"] = "phase",
    top: int | None = 20,
) -> Axes:
    """Pareto chart of the critical-path share of each phase, with its interval.

    Bars are the mean share of the lead time each phase holds on the critical path, best
    ranked first, with the bootstrap interval as error bars; the hatched part of each bar
    is avoidable waiting before or inside the phase, the dotted part designed waiting
    (anchors, slots, soaks; see :mod:`phasesim.attribution`), the rest work. The line is
    the cumulative share. Phases with too few releases to rank are marked ``*``.

    Parameters
    ----------
    data : pandas.DataFrame
        A table from :func:`phasesim.analysis.bottlenecks`, or an event log (then the
        table is computed with default settings).
    ax : matplotlib.axes.Axes, optional
        Where to draw; the current Axes by default.
    level : {"phase", "activity"}, default "phase"
        Used when ``data`` is an event log.
    top : int or None, default 20
        Draw only the ``top`` best ranked (the title says how many more there are);
        ``None`` draws all.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> import pandas as pd
    >>> from phasesim.analysis import bottlenecks
    >>> from phasesim.plotting import plot_bottlenecks
    >>> log = pd.DataFrame({
    ...     "release_id": ["r1", "r1"], "phase_id": ["build", "deploy"],
    ...     "start": pd.to_datetime(["2026-01-05 09:00", "2026-01-05 11:00"], utc=True),
    ...     "end": pd.to_datetime(["2026-01-05 10:00", "2026-01-05 12:30"], utc=True)})
    >>> ax = plot_bottlenecks(bottlenecks(log, n_boot=0), ax=ax)
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['deploy *', 'build *']
    """
    ax = _axes(ax)
    table = _bottleneck_table(data, level)
    total = len(table)
    if top is not None:
        table = table.head(top)
    what = "phases"
    if "activity_id" in table.columns:
        what = "activities"
        names = [
            a if str(p) == str(a) else f"{p}.{a}"
            for p, a in zip(table["phase_id"], table["activity_id"], strict=True)
        ]
    else:
        names = [str(p) for p in table["phase_id"]]
    labels = [n + (" *" if s else "") for n, s in zip(names, table["small_sample"], strict=True)]
    x = np.arange(len(table))
    share = table["critical_share"].to_numpy(dtype=float)
    low = table["critical_share_low"].to_numpy(dtype=float)
    high = table["critical_share_high"].to_numpy(dtype=float)
    colors = phase_colors([str(p) for p in pd.unique(table["phase_id"])])
    ax.bar(
        x,
        share,
        color=[colors[str(p)] for p in table["phase_id"]],
        label="critical share",
    )
    if {"designed_h_mean", "avoidable_h_mean", "critical_h_mean"} <= set(table.columns):
        # the avoidable waits hatched from the bottom, the designed ones dotted above them
        # (parts of each bar in proportion to its hours; see phasesim.attribution)
        crit_h = table["critical_h_mean"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(crit_h > 0, share / crit_h, 0.0)
        avoid = table["avoidable_h_mean"].to_numpy(dtype=float) * scale
        designed = table["designed_h_mean"].to_numpy(dtype=float) * scale
        ax.bar(x, avoid, color="none", edgecolor="#343a40", hatch="///", linewidth=0.0,
               label="of which avoidable waits")
        ax.bar(x, designed, bottom=avoid, color="none", edgecolor="#343a40", hatch="..",
               linewidth=0.0, label="of which designed waits")
    else:
        ax.bar(
            x,
            table["wait_share"].to_numpy(dtype=float),
            color="none",
            edgecolor="#343a40",
            hatch="///",
            linewidth=0.0,
            label="of which waiting",
        )
    has_ci = ~(np.isnan(low) | np.isnan(high))
    if has_ci.any():
        ax.errorbar(
            x[has_ci],
            share[has_ci],
            yerr=np.vstack([share - low, high - share])[:, has_ci],
            fmt="none",
            ecolor="black",
            capsize=3,
            label="95% interval",
        )
    ax.plot(x, np.cumsum(share), color="black", marker="o", markersize=3, label="cumulative")
    ax.set_xticks(x, literals(_short(n) for n in labels), rotation=45, ha="right",
                  fontsize=8 if len(labels) <= 12 else 7)
    # fit the data (small shares of many activities would be flat on a 0-1 axis)
    peak = np.nanmax(np.r_[np.cumsum(share), high[has_ci], 0.0]) if len(share) else 1.0
    ax.set_ylim(0, min(1.05, max(0.05, float(peak) * 1.12)))
    ax.set_ylabel("share of lead time on the critical path")
    titled(ax, "Bottlenecks (realised critical path)", more_note(len(table), total, what))
    if bool(np.asarray(table["small_sample"], dtype=bool).any()):
        ax.text(
            1.0,
            1.0,
            "* too few releases to rank",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=8,
        )
    ax.legend(loc="center right", fontsize=8)
    return ax


def plot_phase_durations(
    log: pd.DataFrame | History,
    ax: Axes | None = None,
    *,
    level: Literal["phase", "activity"] = "phase",
    top: int | None = 25,
    unit: Literal["h", "d", "min"] = "h",
) -> Axes:
    """Box plots of the duration of each phase (or activity), in flow order from the top.

    With more than ``top`` of them, only the ``top`` with the longest median duration are
    drawn (still in flow order) and the title says how many more there are.

    Parameters
    ----------
    log : pandas.DataFrame
        An event log (canonical schema).
    ax : matplotlib.axes.Axes, optional
        Where to draw; the current Axes by default.
    level : {"phase", "activity"}, default "phase"
        Phase spans or activity executions.
    top : int or None, default 25
        The most to draw; ``None`` draws all.
    unit : {"h", "d", "min"}, default "h"
        Durations in hours, days or minutes.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> import pandas as pd
    >>> from phasesim.plotting import plot_phase_durations
    >>> log = pd.DataFrame({
    ...     "release_id": ["r1", "r1", "r2", "r2"],
    ...     "phase_id": ["build", "deploy", "build", "deploy"],
    ...     "start": pd.to_datetime(["2026-01-05 09:00", "2026-01-05 11:00",
    ...                              "2026-01-12 09:00", "2026-01-12 10:00"], utc=True),
    ...     "end": pd.to_datetime(["2026-01-05 10:00", "2026-01-05 12:00",
    ...                            "2026-01-12 10:00", "2026-01-12 13:00"], utc=True)})
    >>> ax = plot_phase_durations(log, ax=ax)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['build', 'deploy']
    """
    ax = _axes(ax)
    items = waiting_vs_working(log, level=level)
    items = items.loc[items["work_h"].notna()]
    keys = ["phase_id", "activity_id"] if level == "activity" else ["phase_id"]
    if level == "activity":
        from phasesim.analysis import activity_stats

        order = activity_stats(log)[keys]
    else:
        from phasesim.analysis import phase_stats

        order = phase_stats(log)[keys]
    names: list[str] = []
    values: list[np.ndarray[Any, np.dtype[np.float64]]] = []
    grouped = {
        tuple(str(k) for k in (key if isinstance(key, tuple) else (key,))): g["work_h"]
        for key, g in items.groupby(keys, sort=False)
    }
    for row in order.itertuples(index=False):
        key = tuple(str(v) for v in row)
        if key in grouped:
            names.append(".".join(dict.fromkeys(key)))
            values.append(grouped[key].to_numpy(dtype=float) / _UNIT_HOURS[unit])
    total = len(names)
    if top is not None and total > top:
        medians = np.array([np.median(v) if len(v) else -np.inf for v in values])
        keep = sorted(np.argsort(-medians, kind="stable")[:top])
        names = [names[i] for i in keep]
        values = [values[i] for i in keep]
    colors = phase_colors([n.split(".")[0] for n in dict.fromkeys(names)])
    positions = np.arange(len(names))
    if values:
        parts = ax.boxplot(
            values,
            positions=positions,
            orientation="horizontal",
            patch_artist=True,
            widths=0.6,
            medianprops={"color": "black"},
            flierprops={"markersize": 3},
        )
        for box, name in zip(parts["boxes"], names, strict=True):
            box.set_facecolor(colors.get(name.split(".")[0], "#cccccc"))
    thin_labels(ax, "y", positions, literals(_short(n) for n in names),
                fontsize=8 if len(names) <= 15 else 7)
    if names:
        ax.set_ylim(len(names) - 0.5, -0.5)
    ax.set_xlabel(f"duration ({_UNIT_WORDS[unit]})")
    what = "phases" if level == "phase" else "activities"
    titled(ax, f"{'Phase' if level == 'phase' else 'Activity'} durations",
           more_note(len(names), total, f"{what} (by median)"))
    return ax


def plot_lead_time(log: pd.DataFrame | History, ax: Axes | None = None, *, window: int = 5,
                   unit: Literal["h", "d", "min"] = "h") -> Axes:
    """Lead time of each finished release by its start, coloured by its outcome
    (:mod:`phasesim.outcomes`; aborted releases are left out), with the
    rolling median of ``window`` releases. Ad-hoc hotfix releases (made only of hotfix
    phases) are crosses, left out of the median.

    Parameters
    ----------
    log : pandas.DataFrame
        An event log (canonical schema).
    ax : matplotlib.axes.Axes, optional
        Where to draw; the current Axes by default.
    window : int, default 5
        Releases in the rolling median.
    unit : {"h", "d", "min"}, default "h"
        Lead times in hours, days or minutes.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> import pandas as pd
    >>> from phasesim.plotting import plot_lead_time
    >>> log = pd.DataFrame({
    ...     "release_id": ["r1", "r2"], "phase_id": ["build", "build"],
    ...     "start": pd.to_datetime(["2026-01-05 09:00", "2026-01-12 09:00"], utc=True),
    ...     "end": pd.to_datetime(["2026-01-05 10:00", "2026-01-12 12:00"], utc=True)})
    >>> ax = plot_lead_time(log, ax=ax)
    >>> ax.get_ylabel()
    'lead time (hours)'
    """
    from phasesim.outcomes import FINISHED, LABELS

    ax = _axes(ax)
    per = _UNIT_HOURS[unit]
    table = lead_times(log)
    # finished releases (succeeded, after a rollback, failed): aborted ones left out
    done = table.loc[table["lead_time_h"].notna() & table["outcome"].isin(FINISHED)]
    done = done.sort_values("start")
    adhoc = done["hotfix_release"].to_numpy(dtype=bool)
    regular = done.loc[~adhoc]
    x = _dates(regular["start"])
    for outcome, color in OUTCOME_COLORS.items():
        sel = (regular["outcome"] == outcome).to_numpy(dtype=bool)
        if sel.any():
            ax.scatter(
                x[sel],
                regular["lead_time_h"].to_numpy(dtype=float)[sel] / per,
                s=18,
                color=color,
                label=LABELS[outcome],
                zorder=3,
            )
    if adhoc.any():
        ax.scatter(
            _dates(done.loc[adhoc, "start"]),
            done.loc[adhoc, "lead_time_h"].to_numpy(dtype=float) / per,
            s=22,
            marker="x",
            color="#6c757d",
            label="hotfix release",
            zorder=3,
        )
    if len(regular):
        rolling = regular["lead_time_h"].rolling(window, center=True, min_periods=1).median()
        ax.plot(
            x,
            rolling.to_numpy(dtype=float) / per,
            color="black",
            linewidth=1.2,
            label=f"rolling median ({window})",
        )
    _date_axis(ax)
    ax.set_ylabel(f"lead time ({_UNIT_WORDS[unit]})")
    ax.set_xlabel("release start (UTC)")
    ax.set_title("Lead time per release")
    if len(done):
        ax.legend(fontsize=8)
    return ax


def plot_trends(
    data: pd.DataFrame,
    ax: Axes | None = None,
    *,
    value: Literal["median_h", "p90_h", "critical_share"] = "median_h",
    freq: str = "MS",
    top: int | None = 10,
    unit: Literal["h", "d", "min"] = "h",
) -> Axes:
    """One line per phase over the periods; dotted lines where the top bottleneck changed.

    With more than ``top`` phases (or activities), only the ``top`` with the largest mean
    ``value`` are drawn and the title says how many more there are.

    Parameters
    ----------
    data : pandas.DataFrame
        A table from :func:`phasesim.analysis.trends`, or an event log (then the table
        is computed with ``freq``).
    ax : matplotlib.axes.Axes, optional
        Where to draw; the current Axes by default.
    value : {"median_h", "p90_h", "critical_share"}, default "median_h"
        What to draw.
    freq : str, default "MS"
        Period, when ``data`` is an event log.
    top : int or None, default 10
        The most lines to draw; ``None`` draws all.
    unit : {"h", "d", "min"}, default "h"
        Durations in hours, days or minutes (not shares).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> import pandas as pd
    >>> from phasesim.plotting import plot_trends
    >>> log = pd.DataFrame({
    ...     "release_id": ["jan", "feb"], "phase_id": ["qa", "qa"],
    ...     "start": pd.to_datetime(["2026-01-05 09:00", "2026-02-02 09:00"], utc=True),
    ...     "end": pd.to_datetime(["2026-01-05 10:00", "2026-02-02 12:00"], utc=True)})
    >>> ax = plot_trends(log, ax=ax)
    >>> [line.get_label() for line in ax.get_lines()]
    ['qa']
    """
    ax = _axes(ax)
    table = data if "top_changed" in data.columns else trends(data, freq=freq)
    label_cols = ["phase_id", "activity_id"] if "activity_id" in table.columns else ["phase_id"]
    names = pd.Series(
        [".".join(str(v) for v in row) for row in table[label_cols].itertuples(index=False)],
        index=table.index,
        dtype=object,
    )
    colors = phase_colors([str(p) for p in pd.unique(table["phase_id"])])
    all_names = list(pd.unique(names))
    drawn = all_names
    if top is not None and len(all_names) > top:
        means = table[value].astype(float).groupby(names.to_numpy(), sort=False).mean()
        best = set(means.sort_values(ascending=False, kind="stable").index[:top])
        drawn = [n for n in all_names if n in best]
    for name in drawn:
        sel = (names == name).to_numpy(dtype=bool)
        part = table.loc[sel]
        ax.plot(
            _dates(part["period"]),
            part[value].to_numpy(dtype=float) / (1.0 if value == "critical_share" else
                                                  _UNIT_HOURS[unit]),
            marker="o",
            markersize=3,
            color=colors.get(str(part["phase_id"].iloc[0]), "#777777"),
            label=literal(name),
        )
    for row in table.loc[table["top_changed"].to_numpy(dtype=bool)].itertuples(index=False):
        x = _dates(pd.Series([row.period]))[0]
        ax.axvline(x, color="grey", linestyle=":", linewidth=1)
        top_name = ".".join(dict.fromkeys(str(getattr(row, c)) for c in label_cols))
        ax.annotate(
            f"top: {literal(top_name)}",
            (x, 1.0),
            xycoords=("data", "axes fraction"),
            rotation=90,
            va="top",
            ha="right",
            fontsize=7,
            color="grey",
        )
    _date_axis(ax)
    ax.set_ylabel(
        {
            "median_h": f"median duration ({_UNIT_WORDS[unit]})",
            "p90_h": f"P90 duration ({_UNIT_WORDS[unit]})",
            "critical_share": "critical-path share",
        }[value]
    )
    titled(
        ax,
        {
            "median_h": "Median duration per period",
            "p90_h": "P90 duration per period",
            "critical_share": "Critical-path share per period",
        }[value],
        more_note(len(drawn), len(all_names), "phases" if len(label_cols) == 1 else "activities"),
    )
    if len(table):
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax


def plot_timeline(
    log: pd.DataFrame | History,
    ax: Axes | None = None,
    *,
    run: int = 0,
    last: int | None = None,
    wip: bool = True,
) -> Axes:
    """Releases as swimlanes over calendar time, phases as coloured bars, and the number of
    releases in flight as a step line on a second axis.

    Parameters
    ----------
    log : pandas.DataFrame
        An event log (canonical schema).
    ax : matplotlib.axes.Axes, optional
        Where to draw; the current Axes by default.
    run : int, default 0
        The run of a simulated log.
    last : int, optional
        Draw only the ``last`` releases to start.
    wip : bool, default True
        Draw work in progress on a twin axis.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes of the swimlanes (the work-in-progress axis is its twin).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> import pandas as pd
    >>> from phasesim.plotting import plot_timeline
    >>> log = pd.DataFrame({
    ...     "release_id": ["r1", "r1", "r2"], "phase_id": ["build", "deploy", "build"],
    ...     "start": pd.to_datetime(["2026-01-05 09:00", "2026-01-05 11:00",
    ...                              "2026-01-05 10:00"], utc=True),
    ...     "end": pd.to_datetime(["2026-01-05 10:00", "2026-01-05 12:30",
    ...                            "2026-01-05 12:00"], utc=True)})
    >>> ax = plot_timeline(log, ax=ax)
    >>> len(ax.patches), [t.get_text() for t in ax.get_yticklabels()]
    (3, ['r1', 'r2'])
    """
    ax = _axes(ax)
    frame = log.log if isinstance(log, History) else log
    if "run" in frame.columns:
        this_run = (frame["run"] == run).to_numpy(dtype=bool)
        if not (isinstance(log, History) and this_run.all()):
            log = frame.loc[this_run]
    spans = waiting_vs_working(log)
    releases = lead_times(log)
    releases = releases.loc[releases["start"].notna()]
    if last is not None:
        releases = releases.tail(last)
    lane = {str(r): i for i, r in enumerate(releases["release_id"])}
    spans = spans.loc[spans["release_id"].astype(str).isin(lane).to_numpy(dtype=bool)]
    order = _flow_phases(log)
    colors = phase_colors(order)
    latest = pd.concat([spans["start"], spans["end"]]).max() if len(spans) else pd.NaT
    start = _dates(spans["start"]) if len(spans) else np.zeros(0)
    end = _dates(spans["end"].where(spans["end"].notna(), latest)) if len(spans) else np.zeros(0)
    y = np.array([lane[str(r)] for r in spans["release_id"]], dtype=float)
    phase_names = [str(p) for p in spans["phase_id"]]
    if len(spans):
        # thousands of phases (CI logs) draw as one collection
        _hbars(ax, y, np.maximum(end - start, 1e-4), start, height=0.7,
               colors=[colors.get(p, "#999999") for p in phase_names])
    thin_labels(ax, "y", range(len(lane)), literals(lane),
                fontsize=max(5.0, min(9.0, 400 / max(len(lane), 1))))
    if lane:
        ax.set_ylim(len(lane) - 0.5, -0.5)
    _date_axis(ax)
    ax.set_xlabel("time (UTC)")
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    present = [p for p in order if p in set(phase_names)]
    legend_note = ""
    if len(present) > 12:
        held = (pd.Series(end - start).groupby(np.array(phase_names)).sum())
        legend_note = f"colours of the 12 longest of {len(present)} phases"
        best = set(held.sort_values(ascending=False, kind="stable").index[:12])
        present = [p for p in present if p in best]
    titled(ax, "Releases over time", legend_note)
    handles: list[Any] = [Patch(color=colors[p], label=literal(p)) for p in present]
    if wip and len(lane):
        steps = work_in_progress(log)
        twin = ax.twinx()
        twin.fill_between(
            _dates(steps["time"]),
            steps["releases"].to_numpy(),
            step="post",
            color="grey",
            alpha=0.12,
            linewidth=0,
            zorder=0,
        )
        (line,) = twin.step(
            _dates(steps["time"]),
            steps["releases"].to_numpy(),
            where="post",
            color="#495057",
            linewidth=0.7,
            alpha=0.8,
            label="releases in flight",
        )
        twin.set_ylabel("releases in flight")
        twin.set_ylim(0, max(1, int(steps["releases"].max())) * 1.1)
        twin.yaxis.set_major_locator(MaxNLocator(integer=True))
        # the swimlanes above the in-flight shading, not under it
        ax.set_zorder(twin.get_zorder() + 1)
        ax.patch.set_visible(False)
        handles.append(line)
    if handles:
        ax.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(1.1, 1.0), fontsize=7, frameon=False
        )
    return ax
