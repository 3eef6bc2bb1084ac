"""A standalone HTML report of release history: one file, plots embedded, nothing fetched.

:func:`write_report` runs the analyses of :mod:`phasesim.analysis` on an event log and
writes their tables (escaped), their plots (PNG, base64-embedded), the data audit that
:func:`phasesim.read_log` attached to the log, and the method in plain words. Every text
that comes from the log is HTML-escaped; the file contains no scripts.
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from phasesim.analysis import (
    activity_stats,
    bottlenecks,
    delivery_metrics,
    lead_times,
    phase_stats,
    planned_vs_actual,
    trends,
)
from phasesim.analysis._prepare import BlueprintLike
from phasesim.errors import LogError, Problem
from phasesim.eventlog.audit import audit_table
from phasesim.plotting.history import (
    plot_bottlenecks,
    plot_gantt,
    plot_lead_time,
    plot_phase_durations,
    plot_timeline,
    plot_trends,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["METHOD_HTML", "render_report", "write_report"]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1150px; color: #212529; line-height: 1.45; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #dee2e6; margin-top: 2em; }
.meta { color: #6c757d; }
.figures { display: flex; flex-wrap: wrap; gap: 1.2em; }
.kpis { display: flex; flex-wrap: wrap; gap: 1em; }
.kpi { border: 1px solid #dee2e6; border-radius: 6px; padding: 0.6em 1em; min-width: 10em; }
.kpi b { display: block; font-size: 1.4em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.8em 0; }
th, td { border: 1px solid #dee2e6; padding: 0.25em 0.5em; text-align: right; }
th { background: #f1f3f5; } td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; }
.note { font-size: 0.9em; color: #495057; }
"""

#: The method of each analysis in plain words (the report's last section).
METHOD_HTML = """
<h3>Releases and phases</h3>
<p>A release is one <code>(run, release_id)</code>. Its lead time runs from the first start to
the last end of anything in it; a release with anything still running has none yet and is
left out of the duration, bottleneck and delivery figures (it stays in the timeline). A
phase's duration in a release is its span: from the first start to the last end of its
activities (or of its own rows, where the log has only phases), retries included. Skipped
rows and rows without a start take no time.</p>
<h3>Waiting</h3>
<p>Waiting is the time between becoming ready and starting. Ready is the log's own
<code>ready</code> time where it has one; else, with a blueprint, the end of the dependency
that finished last before the start; else the end of whatever finished last in the release
before it started; else the start of the release.</p>
<h3>Bottlenecks: the realised critical path</h3>
<p>For each completed release, start from what ended last and walk back, each time to the
phase it waited for (with a blueprint, its dependency that ended last before it started;
otherwise whatever ended last before it started), until reaching one that waited only for
the release to start. Each phase on that path is given the time from its predecessor's end
to its own end: the wait before it plus its own duration. These pieces add up to the lead
time, so the shares of a release add up to 1. A phase that runs beside a longer one is not
on the path and gets nothing. The <em>critical share</em> is the average share over the
releases (releases made only of a hotfix or rollback phase are left out: all of their lead
time is the hotfix; they count in the delivery metrics); the <em>waiting share</em> is the
part of it spent waiting; the <em>share of variance</em> is cov(phase's critical hours,
lead time) / var(lead time): how much of the release-to-release spread in lead time that
phase accounts for (these add up to 1 too).
Intervals come from resampling releases with replacement (bootstrap, seeded, 95%), ranks
with the range of ranks over the resamples. A phase that ran in fewer than 10 completed
releases is marked as too few to rank.</p>
<h3>Statistics, trends and delivery</h3>
<p>Per phase: count, mean, median, 90th percentile, standard deviation and interquartile
range of the duration; failure rate (executions with a failed, rejected or aborted row);
retry rate (an attempt after a failure) and rework rate (an attempt redoing work that had
succeeded); share of lead time (summed duration over summed lead time; parallel phases make
these add up to more than 1). Trends group releases by the calendar period (UTC) of their
start and mark the period where the phase with the largest critical share changed. Delivery
metrics group completed releases by the period of their end: releases per week, lead time,
change failure rate (releases that ended failed, rejected or aborted, or ran a hotfix or
rollback phase) and time to restore (from the failure a hotfix followed to the hotfix's
end; for a release made only of hotfix phases, its lead time). Plans, where the log has
them: slip is actual minus planned; the slip a phase added is its end slip minus its start
slip.</p>
"""


def _figure(draw: Callable[[Axes], object], size: tuple[float, float] = (8.0, 4.2)) -> str:
    """Draw on a fresh Figure (no pyplot state) and return an ``<img>`` with the PNG."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    ax = fig.add_subplot()
    draw(ax)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    alt = html.escape(ax.get_title() or "figure", quote=True)
    return f'<img alt="{alt}" src="data:image/png;base64,{data}">'


def _table(frame: pd.DataFrame, *, max_rows: int | None = None, digits: int = 2) -> str:
    """A DataFrame as an escaped HTML table, times in minutes, floats rounded."""
    out = frame.copy()
    if max_rows is not None and len(out) > max_rows:
        out = out.head(max_rows)
    for col in out.columns:
        values = out[col]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            out[col] = values.dt.strftime("%Y-%m-%d %H:%M")
        elif values.dtype == object:
            out[col] = values.map(_cell)
    text = out.to_html(
        index=False,
        escape=True,
        na_rep="",
        border=0,
        float_format=lambda v: f"{v:.{digits}f}",
    )
    if max_rows is not None and len(frame) > max_rows:
        text += f'<p class="note">First {max_rows} of {len(frame)} rows.</p>'
    return text


def _cell(value: object) -> object:
    if isinstance(value, list | tuple | np.ndarray):
        return ", ".join(str(v) for v in list(value)[:5])
    return value


def _kpis(items: list[tuple[str, str]]) -> str:
    return (
        '<div class="kpis">'
        + "".join(
            f'<div class="kpi">{html.escape(label)}<b>{html.escape(value)}</b></div>'
            for label, value in items
        )
        + "</div>"
    )


def _hours(value: float) -> str:
    if value != value:  # NaN
        return "n/a"
    return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} d"


def render_report(
    log: pd.DataFrame,
    *,
    blueprint: BlueprintLike | None = None,
    title: str | None = None,
    freq: str = "MS",
    n_boot: int = 1000,
    seed: int = 0,
) -> str:
    """The HTML text of the report (see :func:`write_report`)."""
    esc = html.escape
    title = title or "Release history: bottleneck report"
    leads = lead_times(log)
    if leads["start"].notna().sum() == 0:
        from phasesim.eventlog.audit import empty_reason

        source = log.attrs.get("source")
        message = empty_reason(log, named=False) if log.empty and source else \
            "the log has no release with a started phase to report on"
        raise LogError(
            [
                Problem(
                    message, file=source,
                    hint="check the audit of read_log: rows may have been dropped",
                )
            ],
            source,
        )
    done = leads.loc[leads["lead_time_h"].notna()]
    stats = phase_stats(log)
    ranked = bottlenecks(log, blueprint, n_boot=n_boot, seed=seed)
    has_activities = "activity_id" in log.columns and bool(log["activity_id"].notna().any())
    runs = sorted({int(r) for r in leads["run"]})
    delivery = delivery_metrics(log, freq=freq)
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    first, last = leads["start"].min(), leads["end"].max()
    span = f"{first:%Y-%m-%d} to {last:%Y-%m-%d}" if pd.notna(first) and pd.notna(last) else "n/a"
    parts.append(
        f'<p class="meta">{len(leads)} releases ({len(done)} completed, '
        f"{int((leads['status'] == 'in_progress').sum())} in progress)"
        + (f" in {len(runs)} runs" if len(runs) > 1 else "")
        + f", {len(stats)} phases, from {esc(span)} (UTC). "
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by phasesim"
        + (" with a blueprint for dependencies" if blueprint is not None else "")
        + ".</p>"
    )
    completed = delivery["releases"].sum()
    cfr = delivery["change_failures"].sum() / completed if completed else float("nan")
    top = ranked.iloc[0] if len(ranked) else None
    parts.append(
        _kpis(
            [
                ("Median lead time", _hours(float(done["lead_time_h"].median()))),
                ("90th percentile", _hours(float(done["lead_time_h"].quantile(0.9)))),
                ("Change failure rate", "n/a" if cfr != cfr else f"{cfr:.0%}"),
                (
                    "Top bottleneck",
                    "n/a" if top is None else f"{top['phase_id']} ({top['critical_share']:.0%})",
                ),
            ]
        )
    )

    parts.append("<h2>Data audit</h2>")
    audit = audit_table(log)
    if len(audit):
        shown = audit.loc[audit["count"] > 0] if "count" in audit.columns else audit
        parts.append(
            '<p class="note">What reading the log found, and what was done about it '
            "(rules with nothing found are left out).</p>"
        )
        parts.append(_table(shown) if len(shown) else "<p>Nothing to report.</p>")
    else:
        parts.append(
            '<p class="note">This log carries no audit (it was not read with '
            "phasesim.read_log).</p>"
        )

    parts.append("<h2>Bottlenecks</h2>")
    parts.append(
        '<p class="note">Share of each release\'s lead time that each phase holds on the '
        "realised critical path (hatched: waiting before it), with 95% bootstrap intervals; "
        "see the method below.</p>"
    )
    if len(ranked):
        parts.append(
            '<div class="figures">'
            + _figure(lambda ax: plot_bottlenecks(ranked, ax=ax), (8.5, 4.5))
            + "</div>"
        )
    parts.append(_table(ranked))
    if has_activities:
        acts = bottlenecks(log, blueprint, level="activity", n_boot=n_boot, seed=seed)
        parts.append("<h3>Activities on the critical path</h3>")
        parts.append(_table(acts, max_rows=15))

    parts.append("<h2>Phase durations and waiting</h2>")
    parts.append(
        '<div class="figures">'
        + _figure(lambda ax: plot_phase_durations(log, ax=ax), (8.0, 4.5))
        + "</div>"
    )
    parts.append(_table(stats))
    if has_activities:
        parts.append("<h3>Activities</h3>")
        act_stats = activity_stats(log).sort_values("mean_h", ascending=False)
        parts.append(_table(act_stats, max_rows=20))

    parts.append("<h2>Lead time and releases in flight</h2>")
    parts.append(
        '<div class="figures">'
        + _figure(lambda ax: plot_lead_time(log, ax=ax))
        + _figure(
            lambda ax: plot_timeline(log, ax=ax, run=runs[0], last=60),
            (9.0, max(4.0, 0.13 * min(len(leads), 60) + 1.5)),
        )
        + "</div>"
    )

    parts.append("<h2>Trends</h2>")
    trend = trends(log, freq=freq, blueprint=blueprint)
    if len(trend):
        parts.append(
            '<div class="figures">'
            + _figure(lambda ax: plot_trends(trend, ax=ax))
            + _figure(lambda ax: plot_trends(trend, ax=ax, value="critical_share"))
            + "</div>"
        )
        changes = trend.loc[trend["top_changed"]]
        if len(changes):
            parts.append("<p>Periods where the top bottleneck changed:</p>")
            parts.append(_table(changes))
        else:
            parts.append("<p>The top bottleneck did not change between periods.</p>")

    parts.append("<h2>Delivery</h2>")
    parts.append(_table(delivery))

    plans = planned_vs_actual(log)
    if len(plans):
        parts.append("<h2>Planned and actual</h2>")
        summary = (
            plans.groupby("phase_id", sort=False)
            .agg(
                planned=("release_id", "size"),
                end_slip_mean_h=("end_slip_h", "mean"),
                slip_added_mean_h=("slip_added_h", "mean"),
                took_most_slip=("took_most_slip", "sum"),
            )
            .reset_index()
        )
        parts.append(_table(summary))

    if len(done):
        latest = done.sort_values("start").iloc[-1]
        parts.append(f"<h2>Latest completed release: {esc(str(latest['release_id']))}</h2>")
        parts.append(
            _figure(
                lambda ax: plot_gantt(
                    log,
                    str(latest["release_id"]),
                    ax=ax,
                    run=int(latest["run"]),
                    blueprint=blueprint,
                ),
                (9.0, 5.5),
            )
        )

    parts.append("<h2>Method</h2>")
    parts.append(METHOD_HTML)
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(
    log: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    blueprint: BlueprintLike | None = None,
    title: str | None = None,
    freq: str = "MS",
    n_boot: int = 1000,
    seed: int = 0,
) -> Path:
    """Write a self-contained HTML report of a release history.

    The report holds key figures, the data audit (from ``log.attrs["audit"]``, where the
    log came from :func:`phasesim.read_log`), the bottleneck ranking with its Pareto
    chart, phase and activity statistics with box plots, lead times, a timeline with the
    releases in flight, trends per period, delivery metrics, plans against actuals where
    the log has plans, a Gantt chart of the latest completed release, and the method in
    plain words. Plots are embedded as PNG; every text from the log is escaped.

    Parameters
    ----------
    log : pandas.DataFrame
        An event log (canonical schema).
    path : str or path-like
        Where to write the HTML file.
    blueprint : Blueprint, optional
        Anything with ``graph`` and ``phase_graph``: dependencies for the critical path
        and waiting.
    title : str, optional
        The report's title.
    freq : str, default "MS"
        Period of the trends and delivery metrics.
    n_boot : int, default 1000
        Bootstrap resamples of the bottleneck intervals.
    seed : int, default 0
        Seed of the bootstrap.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> from phasesim.report import write_report
    >>> log = pd.DataFrame({
    ...     "release_id": ["r1", "r1"], "phase_id": ["build", "deploy"],
    ...     "start": pd.to_datetime(["2026-01-05 09:00", "2026-01-05 11:00"], utc=True),
    ...     "end": pd.to_datetime(["2026-01-05 10:00", "2026-01-05 12:30"], utc=True)})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = write_report(log, pathlib.Path(tmp) / "report.html", n_boot=0)
    ...     text = out.read_text(encoding="utf-8")
    >>> text.startswith("<!DOCTYPE html>"), "<script" in text
    (True, False)
    """
    text = render_report(log, blueprint=blueprint, title=title, freq=freq, n_boot=n_boot, seed=seed)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
