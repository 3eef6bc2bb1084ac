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

from phasesim.plotting._scale import number, thin_labels, titled
from phasesim.plotting._text import literal, literals
from phasesim.plotting.history import _axes, _dates, _hbars, phase_colors, timezone_of

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


def _left_out(data: Any) -> str:
    """Words for the releases without a lead time ("12 aborted left out"), or ""."""
    if hasattr(data, "lead_times") and hasattr(data, "releases"):
        rel = data.releases
        status = rel.loc[~rel.index.isin(data.lead_times.dropna().index), "status"]
    else:
        from phasesim.analysis import lead_times

        table = lead_times(data)
        status = table.loc[table["lead_time_h"].isna(), "status"]
    counts = status.astype(str).value_counts()
    counts = counts[counts > 0]
    if counts.empty:
        return ""
    words = ", ".join(f"{n} {str(k).replace('_', ' ')}" for k, n in counts.items())
    return f"{words} left out"


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
                   target: float | str | None = None, tail: float = 0.995) -> Axes:
    """Histogram of lead times (days) with the empirical CDF on a second axis and
    vertical lines at P50, P80 and P95 (and at ``target``, a duration, if given).

    Only finished releases have a lead time: the title says how many were left out
    (aborted, or still in progress). A long tail is cut at the ``tail`` quantile
    (P99.5; ``tail=1`` draws everything) when what lies beyond would widen the axis by
    more than half, and the title says how many releases lie beyond; the percentiles
    and the CDF still count them.

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
    days = days[~np.isnan(days)]
    left_out = _left_out(data)
    if len(days) == 0:
        ax.set_title("no finished releases" + (f" ({left_out})" if left_out else ""))
        return ax
    # a long tail would squeeze the bulk into a few bins: clip the axis at P99.5
    clip = float(np.quantile(days, tail)) if tail < 1 else float(days[-1])
    # cut only a tail that would stretch the axis by more than half its width
    if days[-1] - days[0] <= 1.5 * (clip - days[0]):
        clip = float(days[-1])
    beyond = int((days > clip).sum())
    shown = days[days <= clip]
    low = float(shown[0])
    if target is not None:
        limit = parse_duration(target) / 24.0
        low = min(low, limit)
        clip = max(clip, limit) if beyond == 0 else clip
    spread = max(clip - low, 1e-3)
    edges = np.linspace(float(shown[0]), float(shown[0]) + max(clip - float(shown[0]), 1e-3),
                        bins + 1)
    ax.hist(shown, bins=list(edges), color="#8ecae6", edgecolor="white", label="releases")
    ax.set_xlim(low - 0.03 * spread, clip + 0.03 * spread)
    ax.set_xlabel("lead time (days)")
    ax.set_ylabel("releases")
    cdf = ax.twinx()
    cdf.step(days, np.arange(1, len(days) + 1) / len(days), where="post", color="#023047",
             linewidth=1.5, label="CDF")
    cdf.set_ylim(0, 1.02)
    cdf.set_ylabel("share finished")
    marks: list[tuple[str, float, str, str]] = []
    for q, style in ((0.5, ":"), (0.8, "--"), (0.95, "-.")):
        value = float(np.quantile(days, q))
        marks.append((f"P{round(q * 100)} {number(value)} d", value, style, "#d62828"))
    if target is not None:
        share = float((days <= limit).mean())
        marks.append((f"target {number(limit)} d: {share:.0%} on time", limit, "-", "black"))
    # labels one above the other (never on top of each other when P50 = P80), each
    # beside its line
    for k, (text, value, style, color) in enumerate(marks):
        ax.axvline(value, color=color, linestyle=style, linewidth=1.2 if color != "black"
                   else 1.5)
        right_half = value > low + 0.8 * spread  # near the right edge: label on the left
        cdf.annotate(text, (value, 0.97 - 0.08 * k), xycoords=("data", "axes fraction"),
                    xytext=(-3 if right_half else 3, 0), textcoords="offset points",
                    va="top", ha="right" if right_half else "left", fontsize=8,
                    color=color, bbox={"boxstyle": "square,pad=0.1", "fc": "white",
                                       "ec": "none", "alpha": 0.8}, zorder=5)
    notes = [left_out] if left_out else []
    if beyond:
        notes.append(f"axis cut at P{tail * 100:g} ({number(clip)} d): {beyond} longer "
                     f"release{'s' if beyond != 1 else ''} not drawn")
    titled(ax, f"Lead time of {len(days)} finished releases", *notes)
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

    tz = timezone_of(result.blueprint)
    readies, starts, ends = (_dates(rows[c], tz) for c in ("ready", "start", "end"))
    used: set[str] = set()
    for y, (_, row) in enumerate(rows.iterrows()):
        t = readies[y]
        freeze = float(row.get("wait_freeze_h", 0.0) or 0.0)
        for cause, column in _WAIT_COLUMNS:
            hours = float(row.get(column, 0.0) or 0.0)
            # the freeze is drawn on its own, before the queue for the environment
            width = (hours - freeze if cause == "environment" else hours) / 24.0
            if width > 0:
                ax.barh(y, width, left=t, height=0.5, color=WAIT_COLORS[cause], alpha=0.8)
                used.add(cause)
                t += width
        start, end = starts[y], ends[y]
        kind = ("approval" if row["activity_type"] == "approval"
                else "soak" if row["activity_type"] == "wait" else "work")
        color = WAIT_COLORS[kind]
        failed = row["status"] in ("failed", "rejected")
        offhours = row["offhours_h"] > 0
        used.add("offhours" if offhours else kind)
        ax.barh(y, max(end - start, 1e-4), left=start, height=0.7,
                color=WAIT_COLORS["offhours"] if offhours else color,
                edgecolor="black" if on_chain[y] else "none",
                linewidth=1.5 if on_chain[y] else 0, hatch="//" if failed else None)
        if offhours and row["work_h"] > 0:
            # the working share of a bar that spans nights: a thinner bar in its colour
            ax.barh(y, (end - start) * row["work_h"] / (row["work_h"] + row["offhours_h"]),
                    left=start, height=0.3, color=color)
            used.add(kind)
    names = [f"{r.phase_id} · {r.activity_id}"
             if labels == "activity" and str(r.phase_id) != str(r.activity_id)
             else str(r.activity_id)
             for r in rows.itertuples()]
    names = [n + (f" #{a}" if a > 1 else "") for n, a in zip(names, rows["attempt"],
                                                                 strict=True)]
    thin_labels(ax, "y", range(len(rows)), literals(names), fontsize=7)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.xaxis_date()
    ax.set_xlabel(f"time ({tz})")
    lead = float(result.releases.set_index(["run", "release_id"])["lead_time_h"]
                 .loc[(run, release_id)])
    ax.set_title(f"Release {literal(release_id)} (run {run}): {number(lead / 24)} days")
    order = ["work", "soak", "approval", "offhours", "team", "environment", "freeze",
             "anchor", "serialize"]
    handles: list[Any] = [Patch(color=WAIT_COLORS[c], label=_class_label(c))
                          for c in order if c in used]
    if bool(on_chain.any()):
        handles.append(Patch(facecolor="white", edgecolor="black", label="critical path"))
    if bool(rows["status"].isin(["failed", "rejected"]).any()):
        handles.append(Patch(facecolor="white", edgecolor="grey", hatch="//",
                             label="failed or rejected"))
    ax.legend(handles=handles, fontsize=7, loc="lower left", bbox_to_anchor=(1.0, 0.0),
              frameon=False)
    return ax


def plot_train(result: SimulationResult, run: int = 0, ax: Axes | None = None, *,
               phases: bool = True) -> Axes:
    """Releases of one run as swimlanes over the calendar: one lane per release, its
    phases as coloured segments over a thin line for the release's whole span (so the
    waits between phases show), so overlapping releases show as stacked lanes. Phases
    shorter than 0.3% of the chart are drawn that wide so they stay visible. Shading
    behind the lanes counts releases in flight. Times are in the blueprint's calendar
    time zone."""
    ax = _axes(ax)
    log = result.log[(result.log["run"] == run) & (result.log["status"] != "skipped")]
    rel = result.releases[result.releases["run"] == run].sort_values("scheduled")
    order = {r: i for i, r in enumerate(rel["release_id"])}
    colors = phase_colors(list(result.blueprint.phase_ids) + sorted(
        set(log["phase_id"]) - set(result.blueprint.phase_ids)))
    spans = log.groupby(["release_id", "phase_id"]).agg(start=("start", "min"),
                                                         end=("end", "max")).reset_index()

    tz = timezone_of(result.blueprint)

    def num(values: pd.Series) -> np.ndarray[Any, np.dtype[np.float64]]:
        return _dates(values, tz)

    scheduled, ended = num(rel["scheduled"]), num(rel["end"])
    lanes = np.arange(len(rel))
    span = float(np.nanmax(ended) - np.nanmin(scheduled)) if len(rel) else 1.0
    # each release's whole span as a thin line: the waits between its phases show, and
    # a release does not look finished before it is
    ax.hlines(lanes, scheduled, ended, color="#6c757d", linewidth=0.8, zorder=1)
    ax.scatter(ended, lanes, marker="|", color="#6c757d", s=30, zorder=1)
    if phases and len(spans):
        left, right = num(spans["start"]), num(spans["end"])
        # phases shorter than 0.3% of the chart (about 2 h on a 4-week train, 11 h on
        # five months) are drawn that wide, so they stay visible
        width = np.maximum(right - left, 0.003 * span)
        _hbars(ax, [order[str(r)] for r in spans["release_id"]], width, left, height=0.7,
               colors=[colors.get(str(p), "#999999") for p in spans["phase_id"]])
    ax.scatter(scheduled, lanes, marker="|", color="black", s=40, zorder=3,
               label="scheduled start")
    thin_labels(ax, "y", lanes, literals(rel["release_id"]), fontsize=7)
    if len(rel):
        ax.set_ylim(len(rel) - 0.5, -0.5)
    ax.xaxis_date()
    ax.set_xlabel(f"date ({tz})")
    grid = np.linspace(scheduled.min(), ended.max(), 400)
    in_flight = ((scheduled[None, :] <= grid[:, None]) & (ended[None, :] > grid[:, None])
                 ).sum(axis=1)
    top = ax.twinx()
    top.fill_between(grid, in_flight, step="post", color="grey", alpha=0.12, linewidth=0)
    (line,) = top.step(grid, in_flight, where="post", color="#495057", linewidth=0.8,
                       alpha=0.8, label="releases in flight")
    top.set_ylabel("releases in flight")
    top.set_ylim(0, max(int(in_flight.max()), 1) * 1.1)
    from matplotlib.ticker import MaxNLocator

    top.yaxis.set_major_locator(MaxNLocator(integer=True))
    # the lanes above the in-flight shading, so the line never covers a bar
    ax.set_zorder(top.get_zorder() + 1)
    ax.patch.set_visible(False)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    present = set(spans["phase_id"].astype(str))
    handles: list[Any] = [Patch(color=c, label=literal(p)) for p, c in colors.items()
                          if p in present]
    handles += [Line2D([], [], color="#6c757d", linewidth=0.8, label="release span "
                       "(waits between phases)"), line]
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.1, 1.0),
              frameon=False)
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
    # beside the axes: a long designed wait at the bottom must not run under it
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
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


#: Words for the pandas period codes a user passes as ``freq``.
_PERIOD_WORDS = {"D": "day", "W": "week", "MS": "month", "ME": "month", "M": "month",
                 "QS": "quarter", "QE": "quarter", "Q": "quarter", "YS": "year", "h": "hour"}


def period_words(freq: str) -> str:
    """A period code in words: ``"W"`` is "week", ``"2W"`` "2 weeks", ``"W-MON"``
    "week".

    >>> period_words("W"), period_words("MS"), period_words("2W"), period_words("W-MON")
    ('week', 'month', '2 weeks', 'week')
    """
    code = str(freq).split("-", 1)[0]
    digits = "".join(ch for ch in code if ch.isdigit())
    unit = _PERIOD_WORDS.get(code[len(digits):], code[len(digits):])
    if digits and digits != "1":
        return f"{digits} {unit}s"
    return unit


def _idle_teams(result: SimulationResult, busy: set[str]) -> str:
    """Words naming the teams of the blueprint with no busy time in ``result``, or ""."""
    approvers: list[str] = []
    idle: list[str] = []
    bp = result.blueprint
    teams = [(bp.team_of(ph, a), a) for ph in bp.phases for a in ph.activities]
    for team in bp.teams:
        if team in busy:
            continue
        owned = [a for t, a in teams if t == team]
        (approvers if owned and all(a.is_approval for a in owned) else idle).append(team)
    parts = []
    if approvers:
        parts.append("only approve (no capacity held): " + ", ".join(approvers))
    if idle:
        parts.append("no busy time: " + ", ".join(idle))
    return "teams not shown, " + "; ".join(parts) if parts else ""


def plot_utilization(result: SimulationResult, ax: Axes | None = None, *, freq: str = "W",
                     kind: str | None = None) -> Axes:
    """Busy share of each team and environment per period (lines), so a user sees which
    shared resource saturates when releases overlap. Teams with no busy time (those
    that only approve: an approval holds no capacity) are named in the title."""
    from matplotlib.ticker import PercentFormatter

    ax = _axes(ax)
    table = result.utilization(freq=freq).reset_index()
    if kind is not None:
        table = table[table["kind"] == kind]
    for (k, name), group in table.groupby(["kind", "resource"]):
        periods = pd.to_datetime(group["period"]).dt.tz_convert("UTC").dt.tz_localize(None)
        ax.plot(periods, group["busy_share"], marker=".", linewidth=1,
                linestyle="-" if k == "team" else "--", label=literal(f"{name} ({k})"))
    period = period_words(freq)
    ax.set_ylabel("busy share")
    peak = float(table["busy_share"].max()) if len(table) else 0.0
    ax.set_ylim(0, min(1.05, max(0.1, peak * 1.15)))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(f"{period} starting (UTC)")
    note = ""
    if kind in (None, "team"):
        note = _idle_teams(result, set(table.loc[table["kind"] == "team", "resource"]))
    titled(ax, f"Utilisation per {period}", literal(note))
    if len(table):
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return ax
