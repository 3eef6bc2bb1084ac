"""Plots of a backtest: reliability (nominal vs observed coverage) and P50 errors.

Each takes ``ax=None`` (the current Axes) and returns the Axes; matplotlib is imported
only when a plot is drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from phasesim.backtesting import Backtest

__all__ = ["plot_errors", "plot_reliability"]

_COLORS = {"model": "#e76f51", "baseline": "#577590"}
_LABELS = {"model": "process model", "baseline": "baseline (past lead times)"}


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.gca()


def plot_reliability(bt: Backtest, ax: Axes | None = None) -> Axes:
    """Observed share of releases finished by their P50/P80/P95 forecast against the
    nominal share, with 95% Clopper–Pearson intervals, for the model and the baseline.
    Points on the diagonal are calibrated; below it, forecasts are too optimistic."""
    ax = _axes(ax)
    rel = bt.reliability()
    ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="calibrated", zorder=1)
    for k, (method, part) in enumerate(rel.groupby("method", sort=False)):
        shift = (k - 0.5) * 0.012  # side by side, so the intervals do not overprint
        x = part["nominal"].to_numpy(float) + shift
        y = part["observed"].to_numpy(float)
        err = np.vstack([y - part["low"].to_numpy(float), part["high"].to_numpy(float) - y])
        ax.errorbar(x, y, yerr=err, fmt="o", color=_COLORS[str(method)], capsize=3,
                    label=_LABELS[str(method)], zorder=2)
    n = int(rel["n"].max()) if len(rel) else 0
    ax.set(xlim=(0.4, 1.0), ylim=(0.0, 1.02), xlabel="forecast quantile (nominal coverage)",
           ylabel="share of releases finished by it",
           title=f"Backtest reliability ({n} forecasts, 95% binomial intervals)")
    ax.set_xticks([0.5, 0.8, 0.95], ["P50", "P80", "P95"])
    ax.yaxis.set_major_formatter(_percent())
    ax.legend(loc="lower right", frameon=False)
    ax.grid(alpha=0.3)
    return ax


def plot_errors(bt: Backtest, ax: Axes | None = None) -> Axes:
    """Error of each forecast's P50 lead time in days (forecast minus actual: above zero
    the forecast was pessimistic), per origin, for the model and the baseline."""
    import matplotlib.dates as mdates

    ax = _axes(ax)
    f = bt.forecasts
    ax.axhline(0, color="0.4", lw=1)
    if len(f):
        origins = f["origin"].dt.tz_convert("UTC").dt.tz_localize(None)
        for k, method in enumerate(("model", "baseline")):
            err = (f[f"{method}_p50_h"] - f["actual_lead_h"]).to_numpy(float) / 24.0
            offset = np.timedelta64((2 * k - 1) * 18, "h")  # dodge the two methods
            ax.scatter(origins.to_numpy() + offset, err, s=16, alpha=0.75,
                       color=_COLORS[method], label=_LABELS[method])
        ax.xaxis.set_major_locator(mdates.AutoDateLocator())
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.set(xlabel="forecast origin", ylabel="P50 error (days, forecast − actual)",
           title="How far off the median forecast was")
    ax.legend(loc="best", frameon=False)
    ax.grid(alpha=0.3)
    return ax


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0, decimals=0)
