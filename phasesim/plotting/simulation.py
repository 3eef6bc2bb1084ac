"""Plots of simulated release trains: lead-time distribution, Gantt with waits by cause,
the train of overlapping releases, criticality and resource utilisation.

Each computes first (with :class:`~phasesim.simulation.SimulationResult` or
:mod:`phasesim.analysis`), then draws; each takes ``ax=None`` (the current Axes) and
returns the Axes. Matplotlib is imported only when a plot is drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from phasesim.plotting._text import literal, literals
from phasesim.plotting.history import _axes, _dates, phase_colors

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from phasesim.simulation.result import SimulationResult

__all__ = [
    "CLASS_COLORS",
    "WAIT_COLORS",
    "plot_criticality",
    "plot_gantt_waits",
    "plot_lead_time_distribution",
    "plot_train",
    "plot_utilization",
]

#: Colours of the wait causes (shared by the Gantt and the breakdown bars).
WAIT_COLORS = {
    "work": "#2a9d8f",
    "soak": "#bde0fe",
    "approval": "#e9c46a",
    "offhours": "#d9d9d9",
    "team": "#e76f51",
    "environment": "#9b5de5",
    "freeze": "#a2d2ff",
    "anchor": "#8ecae6",
    "serialize": "#577590",
    "rework": "#e63946",
    "in_flight": "#adb5bd",
}
_WAIT_COLUMNS = (("serialize", "wait_serialize_h"), ("anchor", "wait_anchor_h"),
                 ("freeze", "wait_freeze_h"), ("environment", "wait_environment_h"),
                 ("team", "wait_team_h"))
#: Colours of the three classes of :mod:`phasesim.attribution`.
CLASS_COLORS = {"work": "#2a9d8f", "designed": "#8ecae6", "avoidable": "#e76f51"}


def _class_label(cause: str) -> str:
    """``anchor (designed wait)``: a cause with its class, for legends."""
    from phasesim.attribution import CAUSE_CLASS

    cls = CAUSE_CLASS.get(cause, "work")
    return cause if cls == "work" else f"{cause} ({cls} wait)"


def _lead_times(data: Any) -> pd.Series:
    """Lead times in hours of a SimulationResult, or of an event log's releases."""
    if hasattr(data, "lead_times") and hasattr(data, "releases"):
        return data.lead_times
    from phasesim.analysis import lead_times
    from phasesim.outcomes import FINISHED

    table = lead_times(data)
    # finished releases only (succeeded, after rollback, failed), as for a simulation
    return table.loc[table["outcome"].isin(FINISHED), "lead_time_h"].dropna()


def plot_lead_time_distribution(data: Any, ax: Axes | None = None, *, bins: int = 40,
                   target: float | str | None = None) -> Axes:
    """Histogram of lead times (days) with the empirical CDF on a second axis and
    vertical lines at P50, P80 and P95 (and at ``target``, a duration, if given).

    ``data`` is a :class:`~phasesim.simulation.SimulationResult` or an event log, so
    simulated and historical lead times draw the same way.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import pandas as pd
    >>> log = pd.DataFrame({"release_id": ["a", "b"], "phase_id": ["p", "p"],
    ...     "start": pd.to_datetime(["2026-01-05", "2026-01-12"], utc=True),
    ...     "end": pd.to_datetime(["2026-01-07", "2026-01-15"], utc=True)})
    >>> ax = plot_lead_time_distribution(log)
    >>> ax.get_xlabel()
    'lead time (days)'
    """
    from phasesim.units import parse_duration

    ax = _axes(ax)
    days = np.sort(_lead_times(data).to_numpy(dtype=float)) / 24.0
    if len(days) == 0:
        ax.set_title("no finished releases")
        return ax
    ax.hist(days, bins=bins, color="#8ecae6", edgecolor="white", label="releases")
    ax.set_xlabel("lead time (days)")
    ax.set_ylabel("releases")
    cdf = ax.twinx()
    cdf.step(days, np.arange(1, len(days) + 1) / len(days), where="post", color="#023047",
             linewidth=1.5, label="CDF")
    cdf.set_ylim(0, 1.02)
    cdf.set_ylabel("share finished")
    for q, style in ((0.5, ":"), (0.8, "--"), (0.95, "-.")):
        value = float(np.quantile(days, q))
        ax.axvline(value, color="#d62828", linestyle=style, linewidth=1.2)
        ax.annotate(f"P{round(q * 100)} {value:.1f} d", (value, 1.0),
                    xycoords=("data", "axes fraction"), rotation=90, va="top", ha="right",
                    fontsize=8, color="#d62828")
    if target is not None:
        limit = parse_duration(target) / 24.0
        share = float((days <= limit).mean())
        ax.axvline(limit, color="black", linewidth=1.5)
        ax.annotate(f"target {limit:.1f} d: {share:.0%} on time", (limit, 0.5),
                    xycoords=("data", "axes fraction"), rotation=90, va="center",
                    ha="right", fontsize=8)
    ax.set_title(f"Lead time of {len(days)} releases")
    return ax


def plot_gantt_waits(result: SimulationResult, release_id: str | None = None, run: int = 0,
                     ax: Axes | None = None, *, labels: str = "activity") -> Axes:
    """One simulated release as a Gantt chart: a bar per activity execution, preceded by
    its waits shaded by cause (serialisation, anchor, freeze, environment, team; the
    legend names each one's class: designed or avoidable); a soak is coloured as a
    designed wait; off-hours
    inside manual work are drawn lighter, failed and rejected tries hatched, and the
    realised critical path outlined. ``release_id`` defaults to the median-lead-time
    release of ``run``."""
    from matplotlib.patches import Patch

    ax = _axes(ax)
    log = result.log
    if release_id is None:
        rel = result.releases[result.releases["run"] == run].sort_values("lead_time_h")
        release_id = str(rel["release_id"].iloc[len(rel) // 2])
    mask = (log["run"] == run) & (log["release_id"] == release_id)
    rows = log[mask & (log["status"] != "skipped")].sort_values(["start", "end"])
    if rows.empty:
        from phasesim.errors import PhasesimError

        raise PhasesimError(f"release {release_id!r} is not in run {run} of the result")
    on_chain = result.critical_rows()[rows.index].to_numpy(dtype=bool)

    readies, starts, ends = (_dates(rows[c]) for c in ("ready", "start", "end"))
    for y, (_, row) in enumerate(rows.iterrows()):
        t = readies[y]
        freeze = float(row.get("wait_freeze_h", 0.0) or 0.0)
        for cause, column in _WAIT_COLUMNS:
            hours = float(row.get(column, 0.0) or 0.0)
            # the freeze is drawn on its own, before the queue for the environment
            width = (hours - freeze if cause == "environment" else hours) / 24.0
            if width > 0:
                ax.barh(y, width, left=t, height=0.5, color=WAIT_COLORS[cause], alpha=0.8)
                t += width
        start, end = starts[y], ends[y]
        kind = row["activity_type"]
        color = WAIT_COLORS["approval" if kind == "approval" else "soak" if kind == "wait"
                            else "work"]
        failed = row["status"] in ("failed", "rejected")
        ax.barh(y, max(end - start, 1e-4), left=start, height=0.7,
                color=WAIT_COLORS["offhours"] if row["offhours_h"] > 0 else color,
                edgecolor="black" if on_chain[y] else "none",
                linewidth=1.5 if on_chain[y] else 0, hatch="//" if failed else None)
        if row["offhours_h"] > 0 and row["work_h"] > 0:
            # the working share of a bar that spans nights: a thinner bar in its colour
            ax.barh(y, (end - start) * row["work_h"] / (row["work_h"] + row["offhours_h"]),
                    left=start, height=0.3, color=color)
    names = [f"{r.phase_id} · {r.activity_id}" if labels == "activity" else str(r.activity_id)
             for r in rows.itertuples()]
    names = [n + (f" #{a}" if a > 1 else "") for n, a in zip(names, rows["attempt"],
                                                                 strict=True)]
    ax.set_yticks(range(len(rows)), literals(names), fontsize=7)
    ax.invert_yaxis()
    ax.xaxis_date()
    ax.set_xlabel("time (UTC)")
    lead = float(result.releases.set_index(["run", "release_id"])["lead_time_h"]
                 .loc[(run, release_id)])
    ax.set_title(f"Release {literal(release_id)} (run {run}): {lead / 24:.1f} days")
    used = ["work", "soak", "approval", "offhours", "team", "environment", "freeze",
            "anchor", "serialize"]
    ax.legend(handles=[Patch(color=WAIT_COLORS[c], label=_class_label(c)) for c in used]
              + [Patch(facecolor="white", edgecolor="black", label="critical path")],
              fontsize=7, loc="lower left", bbox_to_anchor=(1.0, 0.0), frameon=False)
    return ax


def plot_train(result: SimulationResult, run: int = 0, ax: Axes | None = None, *,
               phases: bool = True) -> Axes:
    """Releases of one run as swimlanes over the calendar: one lane per release, its
    phases as coloured segments, so overlapping releases show as stacked lanes. A line
    at the top counts releases in flight."""
    ax = _axes(ax)
    log = result.log[(result.log["run"] == run) & (result.log["status"] != "skipped")]
    rel = result.releases[result.releases["run"] == run].sort_values("scheduled")
    order = {r: i for i, r in enumerate(rel["release_id"])}
    colors = phase_colors(list(result.blueprint.phase_ids) + sorted(
        set(log["phase_id"]) - set(result.blueprint.phase_ids)))
    spans = log.groupby(["release_id", "phase_id"]).agg(start=("start", "min"),
                                                         end=("end", "max")).reset_index()

    num = _dates
    if phases:
        left, right = num(spans["start"]), num(spans["end"])
        for i, row in enumerate(spans.itertuples()):
            ax.barh(order[str(row.release_id)], max(right[i] - left[i], 1e-4), left=left[i],
                    height=0.7, color=colors.get(str(row.phase_id), "#999999"), linewidth=0)
    scheduled, ended = num(rel["scheduled"]), num(rel["end"])
    ax.scatter(scheduled, range(len(rel)), marker="|", color="black", s=40, zorder=3,
               label="scheduled start")
    ax.set_yticks(range(len(rel)), literals(rel["release_id"]), fontsize=7)
    ax.invert_yaxis()
    ax.xaxis_date()
    ax.set_xlabel("date (UTC)")
    grid = np.linspace(scheduled.min(), ended.max(), 400)
    in_flight = ((scheduled[None, :] <= grid[:, None]) & (ended[None, :] > grid[:, None])
                 ).sum(axis=1)
    top = ax.twinx()
    top.plot(grid, in_flight, color="black", linewidth=1, alpha=0.6)
    top.set_ylabel("releases in flight")
    top.set_ylim(0, max(in_flight.max(), 1) * 3)
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=c, label=literal(p)) for p, c in colors.items()
                       if p in set(spans["phase_id"])], fontsize=7, loc="lower left",
              bbox_to_anchor=(1.08, 0.0), frameon=False)
    ax.set_title(f"Release train, run {run}: {len(rel)} releases, up to "
                 f"{int(in_flight.max())} in flight")
    return ax


def plot_criticality(result: SimulationResult, ax: Axes | None = None, *, top: int = 15
                     ) -> Axes:
    """Activities on the realised critical path, ranked by what could be spared: each
    bar splits its mean contribution to lead time (days per release) into work,
    avoidable waits (queues, approvals, off-hours, rework) and designed waits (anchors,
    slots, soaks, freezes; hatched, drawn last). Ranked by work plus avoidable waits (see
    :meth:`SimulationResult.criticality`), annotated with the share of releases in
    which the activity was critical."""
    ax = _axes(ax)
    full = result.criticality()
    table = full.head(top).iloc[::-1]
    # activities left out of the top that hold designed waits only (a soak, a slot):
    # named under the plot, so a long soak is not lost from sight
    rest = full.iloc[top:]
    rest = rest[(rest["designed_h"] > 0) & (rest["work_h"] + rest["avoidable_h"] <= 0)]
    labels = literals([f"{p} · {a}" for p, a in table.index])
    y = np.arange(len(table))
    left = np.zeros(len(table))
    for cls in ("work", "avoidable", "designed"):
        width = table[f"{cls}_h"].to_numpy(dtype=float) / 24.0
        ax.barh(y, width, left=left, color=CLASS_COLORS[cls],
                hatch="//" if cls == "designed" else None, edgecolor="white",
                linewidth=0.5, label=f"{cls} wait" if cls != "work" else "work")
        left += width
    for yi, total, share in zip(y, left, table["critical_share"], strict=True):
        ax.annotate(f"{share:.0%}", (total, yi), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=7)
    ax.set_yticks(y, labels)
    ax.set_xlabel("mean contribution to lead time (days per release)")
    ax.set_title("Where the lead time goes: work and avoidable waits first\n"
                 "(designed waits hatched; % = share of releases critical)", fontsize=10)
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(fontsize=7, loc="lower right", frameon=False)
    if len(rest):
        head = rest.head(4)
        names = ", ".join(f"{p} · {a} ({h / 24:.1f} d)" for p, a, h in zip(
            head.index.get_level_values(0), head.index.get_level_values(1),
            head["designed_h"], strict=True))
        more = f" and {len(rest) - 4} more" if len(rest) > 4 else ""
        ax.annotate(literal(f"Designed waits only, not shown: {names}{more}"),
                    (0.0, 0.0), xycoords="axes fraction", xytext=(0, -30),
                    textcoords="offset points", fontsize=7, va="top", color="#555555")
    return ax


def plot_utilization(result: SimulationResult, ax: Axes | None = None, *, freq: str = "W",
                     kind: str | None = None) -> Axes:
    """Busy share of each team and environment per period (lines), so a user sees which
    shared resource saturates when releases overlap."""
    ax = _axes(ax)
    table = result.utilization(freq=freq).reset_index()
    if kind is not None:
        table = table[table["kind"] == kind]
    for (k, name), group in table.groupby(["kind", "resource"]):
        periods = pd.to_datetime(group["period"]).dt.tz_convert("UTC").dt.tz_localize(None)
        ax.plot(periods, group["busy_share"], marker=".", linewidth=1,
                linestyle="-" if k == "team" else "--", label=literal(f"{name} ({k})"))
    ax.set_ylabel("busy share")
    ax.set_ylim(0, 1.05)
    ax.set_title(f"Utilisation per {freq}")
    if len(table):
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return ax
