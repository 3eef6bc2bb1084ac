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

from phasesim._report_tables import report_unit, table_html, with_unit
from phasesim.analysis import History
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
from phasesim.plotting.simulation import period_words

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from phasesim.backtesting import Backtest

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
.scroll { max-width: 100%; overflow-x: auto; margin: 0.8em 0; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #dee2e6; padding: 0.25em 0.5em; text-align: right; }
th { background: #f1f3f5; vertical-align: bottom; min-width: 4em; max-width: 12em; }
td { white-space: nowrap; max-width: 28em; overflow: hidden; text-overflow: ellipsis; }
td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; height: auto; }
code { overflow-wrap: anywhere; }
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
releases is marked as too few to rank. Each piece is split into <em>work</em>,
<em>designed waits</em> (weekly anchors,
planned slots and planned starts, soak or <code>wait</code> activities, freezes: the process
waiting on purpose) and <em>avoidable waits</em> (queues for teams and environments,
approvals, rework, and waits with no known reason); a history log tells less than a
simulated one, so the split is inferred where it can be (docs/analysis.md).</p>
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


def _kpis(items: list[tuple[str, str]]) -> str:
    return (
        '<div class="kpis">'
        + "".join(
            f'<div class="kpi">{html.escape(label)}<b>{html.escape(value)}</b></div>'
            for label, value in items
        )
        + "</div>"
    )


def _biggest_avoidable(ranked: pd.DataFrame, unit: str) -> tuple[str, str] | None:
    """(card text, sentence) naming the phase that holds the most avoidable waiting on
    the critical path (see :mod:`phasesim.attribution`), or None without one."""
    if not len(ranked) or "avoidable_h_mean" not in ranked.columns:
        return None
    row = ranked.iloc[int(np.argmax(ranked["avoidable_h_mean"].to_numpy(dtype=float)))]
    hours = float(row["avoidable_h_mean"])
    if not hours > 0:
        return None
    name = str(row["phase_id"])
    critical = float(row["critical_h_mean"])
    card = f"{name} ({with_unit(hours, unit)})"
    sentence = (
        f"The biggest avoidable delay is in {name}: {with_unit(hours, unit)} per release of "
        f"queues, approvals, rework or unexplained waiting on the critical path, of the "
        f"{with_unit(critical, unit)} it holds."
    )
    designed = ranked.iloc[int(np.argmax(ranked["designed_h_mean"].to_numpy(dtype=float)))]
    if float(designed["designed_h_mean"]) > 0:
        sentence += (
            f" The largest wait by design is in {designed['phase_id']}: "
            f"{with_unit(float(designed['designed_h_mean']), unit)} per release of anchors, "
            "planned slots or soaks, which only a change to the process shortens."
        )
    return card, sentence


def render_report(
    log: pd.DataFrame,
    *,
    blueprint: BlueprintLike | None = None,
    title: str | None = None,
    freq: str = "MS",
    n_boot: int = 1000,
    seed: int = 0,
    backtest: Backtest | None = None,
) -> str:
    """The HTML text of the report (see :func:`write_report`)."""
    esc = html.escape
    title = title or "Release history: bottleneck report"
    history = History(log, blueprint)  # prepared once; the walks are shared too
    leads = history.lead_times()
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
    from phasesim.outcomes import FINISHED, LABELS, OUTCOMES

    done = leads.loc[leads["lead_time_h"].notna() & leads["outcome"].isin(FINISHED)]
    counts = leads["outcome"].value_counts()
    outcome_text = ", ".join(
        f"{int(counts.get(name, 0))} {LABELS[name]}" for name in OUTCOMES if counts.get(name, 0)
    )
    stats = history.phase_stats()
    ranked = history.bottlenecks(n_boot=n_boot, seed=seed)
    has_activities = "activity_id" in log.columns and bool(log["activity_id"].notna().any())
    # with no phase column each activity is its own phase: the phase tables say it all
    phases_assumed = has_activities and bool(
        (log["phase_id"].astype(str) == log["activity_id"].astype(str)).all()
    )
    if phases_assumed:
        has_activities = False
    runs = sorted({int(r) for r in leads["run"]})
    delivery = history.delivery_metrics(freq)
    # one time unit for the whole report: days, or hours when releases take under 2 days
    unit = report_unit(float(done["lead_time_h"].median()))
    # a log without a status column (or lifecycle events) reads every row "succeeded":
    # its failure figures are unknown, not zero
    status_given = bool(log.attrs.get("status_given", "status" in log.columns))
    hotfix_only = int(done["hotfix_release"].sum()) if "hotfix_release" in done else 0
    in_progress = int((leads["status"] == "in_progress").sum())
    if len(runs) <= 1 and "run" in delivery.columns:
        delivery = delivery.drop(columns="run")
    if not status_given:
        delivery = delivery.drop(
            columns=[c for c in ("change_failures", "change_failure_rate") if c in delivery]
        )
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    first, last = leads["start"].min(), leads["end"].max()
    span = f"{first:%Y-%m-%d} to {last:%Y-%m-%d}" if pd.notna(first) and pd.notna(last) else "n/a"
    parts.append(
        f'<p class="meta">{len(leads)} releases ({esc(outcome_text)})'
        + (f" in {len(runs)} runs" if len(runs) > 1 else "")
        + f", {len(stats)} phases, from {esc(span)} (UTC). "
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by phasesim"
        + (" with a blueprint for dependencies" if blueprint is not None else "")
        + ".</p>"
    )
    completed = delivery["releases"].sum()
    cfr = (
        delivery["change_failures"].sum() / completed
        if completed and "change_failures" in delivery
        else float("nan")
    )
    avoidable = _biggest_avoidable(ranked, unit)
    parts.append(
        _kpis(
            [
                (
                    f"Median lead time ({len(done)} completed)",
                    with_unit(float(done["lead_time_h"].median()), unit),
                ),
                ("90th percentile", with_unit(float(done["lead_time_h"].quantile(0.9)), unit)),
                (
                    "Change failure rate",
                    "n/a (no status in the log)"
                    if not status_given
                    else "n/a" if cfr != cfr else f"{cfr:.0%}",
                ),
                ("Biggest avoidable delay", "n/a" if avoidable is None else avoidable[0]),
            ]
        )
    )
    if avoidable is not None:
        parts.append(f'<p class="headline">{esc(avoidable[1])}</p>')

    parts.append("<h2>Data audit</h2>")
    audit = audit_table(log)
    if len(audit):
        shown = audit.loc[audit["count"] > 0] if "count" in audit.columns else audit
        parts.append(
            '<p class="note">What reading the log found, and what was done about it '
            "(rules with nothing found are left out).</p>"
        )
        parts.append(
            table_html(shown, unit, what="rules", labels={"count": "rows"})
            if len(shown)
            else "<p>Nothing to report.</p>"
        )
    else:
        parts.append(
            '<p class="note">This log carries no audit (it was not read with '
            "phasesim.read_log).</p>"
        )

    parts.append("<h2>Bottlenecks</h2>")
    parts.append(
        '<p class="note">Share of each release\'s lead time that each phase holds on the '
        "realised critical path (hatched: avoidable waits; dotted: designed waits), with 95% "
        "bootstrap intervals; "
        "see the method below.</p>"
    )
    if len(ranked):
        parts.append(
            '<div class="figures">'
            + _figure(lambda ax: plot_bottlenecks(ranked, ax=ax), (8.5, 4.5))
            + "</div>"
        )
    ranked_n = len(done) - hotfix_only
    parts.append(
        f'<p class="note">Ranked over {ranked_n} of {len(done)} completed releases'
        + (
            f": {hotfix_only} hotfix-only release{'s' if hotfix_only != 1 else ''} left out "
            "(all of their lead time is the hotfix; they count in the delivery figures)"
            if hotfix_only
            else ""
        )
        + (f"; {in_progress} in progress have no lead time yet" if in_progress else "")
        + ". <i>releases</i>: completed releases in which the phase ran; * too few to rank."
        "</p>"
    )
    parts.append(table_html(ranked, unit, what="phases"))
    if has_activities:
        acts = history.bottlenecks(level="activity", n_boot=n_boot, seed=seed)
        parts.append("<h3>Activities on the critical path</h3>")
        parts.append(table_html(acts, unit, max_rows=15, what="activities"))

    parts.append("<h2>Phase durations and waiting</h2>")
    parts.append(
        '<div class="figures">'
        + _figure(lambda ax: plot_phase_durations(history, ax=ax, unit=unit), (8.0, 4.5))
        + "</div>"
    )
    parts.append(
        '<p class="note">Durations and waits of every execution, hotfix-only releases and '
        "releases in progress included; <i>executions</i> counts them.</p>"
    )
    parts.append(table_html(stats, unit, what="phases"))
    if has_activities:
        parts.append("<h3>Activities</h3>")
        act_stats = history.activity_stats().sort_values("mean_h", ascending=False)
        parts.append(table_html(act_stats, unit, max_rows=20, what="activities (longest first)"))

    parts.append("<h2>Lead time and releases in flight</h2>")
    parts.append(
        '<div class="figures">'
        + _figure(lambda ax: plot_lead_time(history, ax=ax, unit=unit))
        + _figure(
            lambda ax: plot_timeline(history, ax=ax, run=runs[0], last=60),
            (9.0, max(4.0, 0.13 * min(len(leads), 60) + 1.5)),
        )
        + "</div>"
    )

    parts.append("<h2>Trends</h2>")
    trend = history.trends(freq)
    if len(trend):
        parts.append(
            '<div class="figures">'
            + _figure(lambda ax: plot_trends(trend, ax=ax, unit=unit))
            + _figure(lambda ax: plot_trends(trend, ax=ax, value="critical_share"))
            + "</div>"
        )
        changes = trend.loc[trend["top_changed"]]
        if len(changes):
            parts.append("<p>Periods where the top bottleneck changed:</p>")
            parts.append(table_html(changes, unit, what="changes"))
        else:
            parts.append("<p>The top bottleneck did not change between periods.</p>")

    parts.append("<h2>Delivery</h2>")
    parts.append(
        f'<p class="note">Completed releases by the {esc(period_words(freq))} they ended in, '
        "hotfix-only releases included"
        + ("" if status_given else "; the log has no status, so change failures are unknown")
        + ".</p>"
    )
    parts.append(table_html(delivery, unit, what="periods"))

    plans = history.planned_vs_actual()
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
        parts.append(table_html(summary, unit, what="phases"))

    if len(done):
        latest = done.sort_values("start").iloc[-1]
        parts.append(f"<h2>Latest completed release: {esc(str(latest['release_id']))}</h2>")
        parts.append(
            _figure(
                lambda ax: plot_gantt(
                    history,
                    str(latest["release_id"]),
                    ax=ax,
                    run=int(latest["run"]),
                    blueprint=blueprint,
                ),
                (9.0, min(14.0, max(5.5, 0.16 * int((log["release_id"].astype(str)
                                                      == str(latest["release_id"])).sum())
                                     + 1.5))),
            )
        )

    if backtest is not None:
        parts.extend(_backtest_section(backtest))

    parts.append("<h2>Method</h2>")
    parts.append(METHOD_HTML)
    parts.append("</body></html>")
    return "\n".join(parts)


def _backtest_section(bt: Backtest) -> list[str]:
    """How far past forecasts were off: the model beside the baseline, and the plots."""
    used = int((bt.origins["scored"] > 0).sum()) if len(bt.origins) else 0
    out = [
        "<h2>Backtest: how far to trust a forecast</h2>",
        f"<p>Forecasts made at {used} past moments ({html.escape(bt.fitted)} model, fitted on the "
        f"history before each moment only), scored against what happened next, beside a "
        f"baseline that knows only past lead times. {html.escape(bt.summary())}</p>",
        table_html(bt._shown().reset_index(names="method"), "d", what="methods"),
    ]
    if len(bt.forecasts):
        out.append('<div class="figures">'
                   + _figure(lambda ax: bt.plot_reliability(ax=ax))
                   + _figure(lambda ax: bt.plot_errors(ax=ax)) + "</div>")
    if len(bt.skipped):
        reasons = bt.skipped["reason"].value_counts()
        items = "".join(f"<li>{n} × {html.escape(str(r))}</li>" for r, n in reasons.items())
        out.append(f"<p>Not scored:</p><ul>{items}</ul>")
    return out


def write_report(
    log: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    blueprint: BlueprintLike | None = None,
    title: str | None = None,
    freq: str = "MS",
    n_boot: int = 1000,
    seed: int = 0,
    backtest: Backtest | None = None,
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
    backtest : Backtest, optional
        A :func:`phasesim.backtest` of this history: adds a section on how far past
        forecasts were off, the model beside the baseline, with its plots.

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
    text = render_report(log, blueprint=blueprint, title=title, freq=freq, n_boot=n_boot,
                         seed=seed, backtest=backtest)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
