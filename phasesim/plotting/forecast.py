"""The fan chart of a forecast: what has happened, and when the rest will finish."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from phasesim.plotting._text import literal, literals
from phasesim.plotting.history import _axes, phase_colors

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from phasesim.forecasting import Forecast

__all__ = ["plot_forecast"]


def _num(values: Any, zone: str) -> np.ndarray:
    """Moments as matplotlib date numbers of local (``zone``) wall-clock time."""
    from matplotlib import dates as mdates

    series = pd.Series(pd.to_datetime(pd.Series(values), utc=True))
    naive = series.dt.tz_convert(zone).dt.tz_localize(None)
    out = np.full(len(series), np.nan)
    ok = naive.notna().to_numpy()
    if ok.any():
        out[ok] = mdates.date2num(naive[ok].to_numpy())
    return out


def plot_forecast(fc: Forecast, ax: Axes | None = None, *, observed: bool = True,
                  title: str | None = None) -> Axes:
    """Per release (one lane each, top to bottom in start order): the observed phases as
    bars (the phase running at ``now`` up to ``now``), each remaining phase's finish as a
    dot at P50 with a thick whisker to P80 and a thin one to P95, the release's finish as
    a black diamond, and a dashed line at ``now``. Dates are local to the blueprint's
    timezone."""
    from matplotlib import dates as mdates
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    ax = _axes(ax)
    zone = fc.timezone
    main = [ph.id for ph in fc.blueprint.phases if not ph.rollback]
    colors = phase_colors(main)
    releases = list(fc.releases.index)
    n_ph = max(len(main), 1) + 1  # a sub-row per phase, and one for the release
    now = _num([fc.now], zone)[0]
    log = fc.log
    first = log[(log["run"] == 0) & log["observed"].astype(bool)] if len(log) else log
    for lane, rid in enumerate(releases):
        y0 = lane
        if observed and len(first):
            mine = first[first["release_id"] == rid]
            for k, pid in enumerate(main):
                rows = mine[mine["phase_id"] == pid]
                if not len(rows):
                    continue
                a = _num([rows["start"].min()], zone)[0]
                running = pid in fc.releases.loc[rid, "phase"].split(" + ")
                b = now if running else _num([rows["end"].max()], zone)[0]
                y = y0 + (k + 0.5) / n_ph * 0.8 - 0.4
                ax.barh(y, b - a, left=a, height=0.8 / n_ph, color=colors[pid],
                        alpha=0.45 if running else 0.9, edgecolor="none")
        phases = fc.phases[fc.phases["release_id"] == rid]
        for _, row in phases.iterrows():
            pid = row["phase_id"]
            k = main.index(pid) if pid in main else 0
            y = y0 + (k + 0.5) / n_ph * 0.8 - 0.4
            p50, p80, p95 = _num([row["finish_p50"], row["finish_p80"],
                                  row["finish_p95"]], zone)
            if not np.isfinite(p50):
                continue
            ax.plot([p50, p95], [y, y], color=colors[pid], lw=1, solid_capstyle="butt")
            ax.plot([p50, p80], [y, y], color=colors[pid], lw=3.5, solid_capstyle="butt")
            ax.plot([p50], [y], "o", color=colors[pid], ms=4.5, mec="white", mew=0.6)
        rel = fc.releases.loc[rid]
        if "finish_p50" in rel and pd.notna(rel["finish_p50"]):
            p50, p80, p95 = _num([rel["finish_p50"], rel["finish_p80"], rel["finish_p95"]],
                                 zone)
            y = y0 + (n_ph - 0.5) / n_ph * 0.8 - 0.4
            ax.plot([p50, p95], [y, y], color="black", lw=1)
            ax.plot([p50, p80], [y, y], color="black", lw=3)
            ax.plot([p50], [y], "D", color="black", ms=5)
    for lane in range(1, len(releases)):
        ax.axhline(lane - 0.5, color="#dddddd", lw=0.8)
    ax.axvline(now, color="#444444", ls="--", lw=1.2)
    ax.annotate(f"now: {fc.now:%a %d %b %H:%M}", (now, 0.0),
                xycoords=("data", "axes fraction"), xytext=(3, 3),
                textcoords="offset points", va="bottom", fontsize=8, color="#444444")
    labels = [f"{rid}\n({fc.releases.loc[rid, 'status']})" for rid in releases]
    ax.set_yticks(range(len(releases)), literals(labels))
    ax.set_ylim(max(len(releases), 1) - 0.5, -0.5)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=10))
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.set_xlabel(f"date ({zone})")
    ax.grid(axis="x", alpha=0.3)
    handles: list[Any] = [Patch(color=colors[p], label=literal(p)) for p in main]
    handles.append(Line2D([], [], color="black", marker="D", lw=3,
                          label="release: P50, P80, P95"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              frameon=False, title="bars: observed\ndots: finish P50-P80-P95",
              title_fontsize=8)
    ax.set_title(literal(title) if title is not None else
                 literal(f"Forecast of {fc.blueprint.name} from {fc.now:%Y-%m-%d %H:%M} "
                         f"({fc.runs} runs)"))
    return ax
