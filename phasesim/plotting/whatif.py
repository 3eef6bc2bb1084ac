"""Plots of what-if estimates: scenario comparisons and sensitivity (tornado) charts.

Each draws what :mod:`phasesim.whatif` computed; each takes ``ax=None`` (the
current Axes) and returns the Axes. Matplotlib is imported only when a plot is drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from phasesim.plotting._scale import more_note, titled
from phasesim.plotting._text import literal, literals

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from phasesim.whatif import Comparison

__all__ = ["plot_comparison", "plot_differences", "plot_tornado"]

_BASE_COLOR = "#023047"
_COLORS = ("#e76f51", "#2a9d8f", "#e9c46a", "#9b5de5", "#219ebc", "#f4a261", "#577590",
           "#d62828")


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.gca()


def _unit(hours: np.ndarray, unit: str) -> tuple[float, str]:
    """Divisor and label: ``"h"``, ``"d"``, or ``"auto"`` (days from two days up)."""
    if unit == "auto":
        finite = np.abs(hours[np.isfinite(hours)])
        unit = "d" if len(finite) and finite.max() >= 48.0 else "h"
    if unit not in ("h", "d"):
        raise ValueError(f"unit must be 'h', 'd' or 'auto', found {unit!r}")
    return (24.0, "days") if unit == "d" else (1.0, "hours")


def _colors(names: list[str]) -> dict[str, str]:
    out = {"base": _BASE_COLOR}
    for i, name in enumerate(n for n in names if n != "base"):
        out[name] = _COLORS[i % len(_COLORS)]
    return out


def plot_comparison(comparison: Comparison, ax: Axes | None = None, *,
                    deltas: bool = True, metric: str = "lead time P80",
                    quantile_line: float | None = 0.8) -> Axes:
    """Lead-time CDFs of the base and every scenario, overlaid; the differences to the
    base as an inset.

    Parameters
    ----------
    comparison : Comparison
        What :func:`phasesim.compare` returned.
    ax : Axes, optional
        Where to draw the CDFs (default: the current Axes).
    deltas : bool
        Draw :func:`plot_differences` of ``metric`` in an inset at the lower right (where
        CDFs that rise from the left leave room).
    metric : str
        The metric of the inset, e.g. ``"lead time P80"`` or ``"lead time mean"``.
    quantile_line : float or None
        Draw a horizontal line at this share (0.8: where the P80s are read off).

    Returns
    -------
    Axes
        The CDF Axes (the inset is ``ax.child_axes[0]``).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from phasesim import load_blueprint
    >>> from phasesim.whatif import compare
    >>> bp = load_blueprint('''
    ... phase:
    ...   id: p
    ...   activities:
    ...     - activity: {id: a, type: automated, duration: {uniform: [1h, 3h]}}
    ... ''')
    >>> cmp = compare(bp, [{"name": "faster", "changes": [{"activity": "a", "scale": 0.5}]}],
    ...               releases=3, runs=4, progress=False)
    >>> ax = plot_comparison(cmp)
    >>> [line.get_label() for line in ax.get_lines()][:2]
    ['base', 'faster']
    """
    ax = _axes(ax)
    lead = comparison.lead_times
    scale, label = _unit(lead.to_numpy(dtype=float).ravel(), "auto")
    colors = _colors(list(lead.columns))
    for name in lead.columns:
        values = np.sort(lead[name].dropna().to_numpy(dtype=float)) / scale
        if len(values) == 0:
            continue
        share = np.arange(1, len(values) + 1) / len(values)
        ax.step(values, share, where="post", color=colors[name],
                linewidth=2.0 if name == "base" else 1.4, label=literal(name))
    if quantile_line is not None:
        ax.axhline(quantile_line, color="grey", linewidth=0.8, linestyle=":")
        ax.annotate(f"P{round(quantile_line * 100)}", (0.0, quantile_line),
                    xycoords=("axes fraction", "data"), xytext=(2, 2),
                    textcoords="offset points", fontsize=7, color="grey")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"lead time ({label})")
    ax.set_ylabel("share of releases finished")
    p = comparison.params
    ax.set_title(f"Lead time: base and {len(lead.columns) - 1} scenario(s), "
                 f"{p.get('runs')} runs × {p.get('releases')} releases")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    if deltas and len(lead.columns) > 1:
        inset = ax.inset_axes((0.62, 0.1, 0.35, 0.38))
        plot_differences(comparison, ax=inset, metric=metric, small=True)
    return ax


def plot_differences(comparison: Comparison, ax: Axes | None = None, *,
                     metric: str = "lead time P80", unit: str = "auto",
                     small: bool = False) -> Axes:
    """Each scenario's difference to the base in ``metric``, with its 95% interval
    (paired, common random numbers; the interval resamples whole runs).

    Parameters
    ----------
    comparison : Comparison
    ax : Axes, optional
    metric : str
        A metric of ``comparison.table`` without a resource: ``"lead time P80"``,
        ``"lead time mean"``, ``"lead time P50"``, ``"lead time P95"``, ``"throughput"``.
    unit : {"auto", "h", "d"}
        For lead-time metrics: hours, days, or days when a difference reaches two days.
    small : bool
        Smaller fonts (for an inset).

    Returns
    -------
    Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from phasesim import load_blueprint
    >>> from phasesim.whatif import compare
    >>> bp = load_blueprint('''
    ... phase:
    ...   id: p
    ...   activities:
    ...     - activity: {id: a, type: automated, duration: 2h}
    ... ''')
    >>> cmp = compare(bp, [{"name": "faster", "changes": [{"activity": "a", "scale": 0.5}]}],
    ...               releases=2, runs=3, progress=False)
    >>> plot_differences(cmp).get_xlabel()
    'Δ lead time P80 (hours)'
    """
    ax = _axes(ax)
    t = comparison.table
    rows = t[(t["metric"] == metric) & t["resource"].isna() & (t["scenario"] != "base")]
    if rows.empty:
        known = sorted(set(t.loc[t["resource"].isna(), "metric"]))
        raise ValueError(f"no metric {metric!r} in the comparison; metrics: {known}")
    hours = rows["unit"].iloc[0] == "h"
    diff = rows[["diff", "diff_low", "diff_high"]].to_numpy(dtype=float)
    scale, label = _unit(diff.ravel(), unit) if hours else (1.0, str(rows["unit"].iloc[0]))
    diff = diff / scale
    colors = _colors(["base", *rows["scenario"]])
    y = np.arange(len(rows))
    for i, name in enumerate(rows["scenario"]):
        d, lo, hi = diff[i]
        err = [[d - lo], [hi - d]] if np.isfinite(lo) and np.isfinite(hi) else None
        ax.errorbar(d, y[i], xerr=err, fmt="o", color=colors[name], capsize=3,
                    markersize=4 if small else 6)
    ax.axvline(0.0, color="grey", linewidth=0.8)
    size = 7 if small else 9
    ax.set_yticks(y, literals(rows["scenario"]), fontsize=size)
    ax.invert_yaxis()
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.tick_params(axis="x", labelsize=size)
    ax.set_xlabel(f"Δ {metric} ({label})" if label else f"Δ {metric}", fontsize=size)
    if not small:
        ax.set_title(f"Difference to base: {metric} (95% interval, paired runs)")
    return ax


def plot_tornado(table: pd.DataFrame, ax: Axes | None = None, *, metric: str | None = None,
                 top: int = 15, unit: str = "auto") -> Axes:
    """Sensitivity as a tornado chart: one bar per activity (or phase), the change in
    lead time when its time is scaled, largest reduction on top, with 95% intervals.

    Parameters
    ----------
    table : DataFrame
        What :func:`phasesim.sensitivity` returned.
    ax : Axes, optional
    metric : str, optional
        ``"quantile"`` (the table's ``delta_pXX_h``), ``"mean"`` (``delta_mean_h``), or a
        column name; default: what the table was ranked by.
    top : int
        Show the ``top`` targets with the largest effect (targets without numbers —
        no time, never run — are left out; those whose change moved nothing, not even
        the interval, are named in the title instead of drawn as empty bars).
    unit : {"auto", "h", "d"}

    Returns
    -------
    Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from phasesim import load_blueprint
    >>> from phasesim.whatif import sensitivity
    >>> bp = load_blueprint('''
    ... phase:
    ...   id: p
    ...   activities:
    ...     - activity: {id: long, type: automated, duration: 10h}
    ...     - activity: {id: short, type: automated, duration: 2h}
    ... ''')
    >>> ax = plot_tornado(sensitivity(bp, 0.5, runs=3, progress=False))
    >>> [t.get_text() for t in ax.get_yticklabels()]  # short runs beside long: no effect
    ['p.long']
    >>> ax.get_title().splitlines()[-1]
    'no effect: p.short'
    """
    ax = _axes(ax)
    attrs = table.attrs
    quantile_col = str(attrs.get("metric", next(
        (c for c in table.columns if c.startswith("delta_p") and c.endswith("_h")
         and not c.endswith(("_low_h", "_high_h"))), "delta_mean_h")))
    if metric is None:
        metric = str(attrs.get("rank_by", "quantile"))
    column = {"quantile": quantile_col, "mean": "delta_mean_h"}.get(metric, metric)
    if column not in table.columns:
        raise ValueError(f"no column {column!r} in the sensitivity table")
    low_col, high_col = column.replace("_h", "_low_h"), column.replace("_h", "_high_h")
    rows = table[table[column].notna()]
    # targets whose change moved nothing (not even their interval) get no empty bar:
    # the title lists them
    spread = rows[[c for c in (low_col, high_col) if c in rows.columns]].abs().fillna(0.0)
    idle = (rows[column] == 0) & (spread.sum(axis=1) == 0)
    no_effect = [str(i) for i in rows.index[idle.to_numpy(dtype=bool)]]
    rows = rows[~idle.to_numpy(dtype=bool)]
    rows = rows.reindex(rows[column].abs().sort_values(ascending=False, kind="stable").index)
    total = len(rows)
    rows = rows.head(top)
    values = rows[[column, low_col, high_col]].to_numpy(dtype=float)
    scale, label = _unit(values.ravel(), unit)
    values = values / scale
    y = np.arange(len(rows))
    colors = ["#2a9d8f" if v < 0 else "#e76f51" if v > 0 else "#adb5bd" for v in values[:, 0]]
    ax.barh(y, values[:, 0], color=colors, height=0.7)
    finite = np.isfinite(values[:, 1]) & np.isfinite(values[:, 2])
    if finite.any():
        ax.errorbar(values[finite, 0], y[finite],
                    xerr=[values[finite, 0] - values[finite, 1],
                          values[finite, 2] - values[finite, 0]],
                    fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_yticks(y, literals(rows.index), fontsize=8)
    ax.invert_yaxis()
    what = attrs.get("label", "P80") if column == quantile_col else \
        "mean" if column == "delta_mean_h" else column
    ax.set_xlabel(f"change in {what} lead time ({label})")
    factor = attrs.get("factor")
    by = attrs.get("by", "activity")
    notes = [more_note(len(rows), total, f"{by} targets")]
    if no_effect:
        names = ", ".join(no_effect[:6]) + (f" and {len(no_effect) - 6} more"
                                            if len(no_effect) > 6 else "")
        notes.append(f"no effect: {literal(names)}")
    if factor is not None:
        titled(ax, f"Sensitivity: each {by}'s time × {factor:g}, one at a time "
                   f"(95% intervals)", *notes)
    elif any(notes):
        titled(ax, "", *notes)
    return ax
