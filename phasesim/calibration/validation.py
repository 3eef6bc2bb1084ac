"""``validate_model``: does a simulated model reproduce the lead times of history?

Both sides are measured the same way, with :func:`phasesim.lead_times` on the event log
(the simulator writes the same schema): a release's lead time runs from its first start
to its last end. Releases still in progress are left out (their lead time is not known
yet), and so are releases made only of hotfix or rollback phases (ad-hoc hotfixes, see
``hotfix_phases`` in :mod:`phasesim.analysis`).

The comparison:

- the quantiles (``target_quantiles``, P50/P80/P95 by default) of both, in hours and
  days, and their difference (``np.quantile``, linear interpolation);
- the two-sample Kolmogorov-Smirnov test (:func:`scipy.stats.ks_2samp`) and the
  Wasserstein distance (:func:`scipy.stats.wasserstein_distance`, hours);
- a **backtest**: for each quantile ``q``, the share of historical releases whose lead time
  was within the simulated ``Pq``. A well-calibrated model gives about ``q`` (80% of
  history within the simulated P80); the Wilson 95% interval and the two-sided binomial
  test against ``q`` (:func:`scipy.stats.binomtest`) say whether the difference is more
  than chance.
"""

from __future__ import annotations

import html
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from phasesim.analysis import lead_times
from phasesim.errors import PhasesimError
from phasesim.units import format_number

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["ModelCheck", "plot_validation", "validate_model"]


@dataclass(frozen=True)
class ModelCheck:
    """What :func:`validate_model` returns.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per target quantile (index ``P50``, ``P80``, ...): ``history_h``,
        ``simulated_h``, ``history_d``, ``simulated_d``, ``difference_h`` (simulated minus
        history), ``relative_difference`` (over history), and the backtest:
        ``history_within`` (share of historical releases within the simulated quantile),
        ``within_low``, ``within_high`` (Wilson 95%), ``binom_pvalue`` (against ``q``).
    history, simulated : pandas.Series
        Lead times in hours of the releases compared (index ``(run, release_id)``).
    ks_statistic, ks_pvalue : float
        Two-sample Kolmogorov-Smirnov test of the two distributions.
    wasserstein_h : float
        Wasserstein distance between them, in hours.
    """

    table: pd.DataFrame
    history: pd.Series = field(repr=False)
    simulated: pd.Series = field(repr=False)
    ks_statistic: float
    ks_pvalue: float
    wasserstein_h: float

    @property
    def within_p80(self) -> float:
        """Share of historical releases within the simulated P80 (NaN without a P80)."""
        return float(self.table["history_within"].get("P80", np.nan))

    def summary(self) -> pd.DataFrame:
        """The table with the distances as two extra rows (``KS``, ``Wasserstein``)."""
        extra = pd.DataFrame(
            {"history_h": [np.nan, np.nan], "simulated_h": [np.nan, np.nan],
             "difference_h": [self.ks_statistic, self.wasserstein_h],
             "binom_pvalue": [self.ks_pvalue, np.nan]},
            index=["KS statistic (p-value)", "Wasserstein (h)"])
        return pd.concat([self.table, extra])

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Draw both ECDFs with the quantile markers (:func:`plot_validation`)."""
        return plot_validation(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        parts = []
        for name, row in self.table.iterrows():
            parts.append(f"{name} {row['history_d']:.1f} d vs {row['simulated_d']:.1f} d")
        within = self.within_p80
        tail = f"; {within:.0%} of history within simulated P80" if np.isfinite(within) \
            else ""
        return (f"<ModelCheck {len(self.history)} historical vs {len(self.simulated)} "
                f"simulated releases: {', '.join(parts)}{tail}>")

    def _repr_html_(self) -> str:
        head = (f"<h4>Model check: {len(self.history)} historical vs "
                f"{len(self.simulated)} simulated releases</h4>"
                f"<p>KS {self.ks_statistic:.3f} (p = {self.ks_pvalue:.3g}), Wasserstein "
                f"{self.wasserstein_h:.1f} h. {html.escape(_verdict(self))}</p>")
        return head + self.table.to_html(escape=True, na_rep="",
                                         float_format=lambda v: format_number(v, ",.3g"))


def _verdict(check: ModelCheck) -> str:
    if "P80" not in check.table.index:
        return ""
    row = check.table.loc["P80"]
    return (f"{row['history_within']:.0%} of historical releases finished within the "
            f"simulated P80 (95% interval {row['within_low']:.0%} to {row['within_high']:.0%};"
            f" a calibrated model gives about 80%).")


def _completed(log: pd.DataFrame, hotfix_phases: Collection[str] | None,
               what: str) -> pd.Series:
    table = lead_times(log, hotfix_phases=hotfix_phases)
    keep = (table["status"] != "in_progress") & ~table["hotfix_release"].astype(bool) & \
        table["lead_time_h"].notna()
    done = table[keep.to_numpy(dtype=bool)]
    if done.empty:
        raise PhasesimError(f"the {what} has no completed releases (other than hotfix-only "
                            "ones) to compare")
    index = pd.MultiIndex.from_arrays([done["run"].to_numpy(),
                                       done["release_id"].astype(str).to_numpy()],
                                      names=["run", "release_id"])
    return pd.Series(done["lead_time_h"].to_numpy(dtype=float), index=index,
                     name="lead_time_h")


def validate_model(
    result: Any,
    log: pd.DataFrame,
    *,
    target_quantiles: Sequence[float] = (0.5, 0.8, 0.95),
    hotfix_phases: Collection[str] | None = None,
) -> ModelCheck:
    """Compare simulated lead times with historical ones, and backtest the quantiles.

    Parameters
    ----------
    result : SimulationResult or pandas.DataFrame
        A simulation (of the calibrated blueprint, on the history's cadence), or its
        event log.
    log : pandas.DataFrame
        The historical event log.
    target_quantiles : sequence of float
        Quantiles to compare and backtest, each in (0, 1).
    hotfix_phases : collection of str, optional
        Phase ids that are hotfixes or rollbacks (releases made only of them are left
        out); by default phases whose id contains ``hotfix``, ``rollback`` or ``revert``.

    Returns
    -------
    ModelCheck

    Raises
    ------
    PhasesimError
        If a quantile is outside (0, 1), or either side has no completed release.

    Examples
    --------
    >>> import phasesim  # doctest: +SKIP
    >>> check = phasesim.validate_model(result, history)  # doctest: +SKIP
    >>> check.table[["history_d", "simulated_d", "history_within"]]  # doctest: +SKIP
    """
    qs = [float(q) for q in target_quantiles]
    if not qs or any(not 0.0 < q < 1.0 for q in qs):
        raise PhasesimError(f"target_quantiles must be in (0, 1), found {list(target_quantiles)}")
    sim_log = result.log if hasattr(result, "log") and hasattr(result, "releases") else result
    if not isinstance(sim_log, pd.DataFrame) or not isinstance(log, pd.DataFrame):
        raise PhasesimError("validate_model takes a SimulationResult (or its log) and the "
                            "historical event log (a DataFrame)")
    history = _completed(log, hotfix_phases, "historical log")
    simulated = _completed(sim_log, hotfix_phases, "simulation")
    h = history.to_numpy()
    s = simulated.to_numpy()
    rows = []
    for q in qs:
        hq, sq = float(np.quantile(h, q)), float(np.quantile(s, q))
        within = int((h <= sq).sum())
        test = stats.binomtest(within, len(h), p=q)
        ci = test.proportion_ci(confidence_level=0.95, method="wilson")
        rows.append({
            "quantile": q, "history_h": hq, "simulated_h": sq,
            "history_d": hq / 24.0, "simulated_d": sq / 24.0, "difference_h": sq - hq,
            "relative_difference": (sq - hq) / hq if hq else np.nan,
            "history_within": within / len(h), "within_low": float(ci.low),
            "within_high": float(ci.high), "binom_pvalue": float(test.pvalue),
        })
    table = pd.DataFrame(rows, index=[_label(q) for q in qs])
    ks = stats.ks_2samp(h, s)
    return ModelCheck(table=table, history=history, simulated=simulated,
                      ks_statistic=float(ks.statistic), ks_pvalue=float(ks.pvalue),
                      wasserstein_h=float(stats.wasserstein_distance(h, s)))


def _label(q: float) -> str:
    pct = q * 100
    return f"P{pct:.0f}" if abs(pct - round(pct)) < 1e-9 else f"P{pct:g}"


def plot_validation(check: ModelCheck, ax: Axes | None = None, *,
                    colors: tuple[str, str] = ("#264653", "#e76f51")) -> Axes:
    """Draw the historical and simulated lead-time ECDFs (days) with their quantiles.

    Parameters
    ----------
    check : ModelCheck
        From :func:`validate_model`.
    ax : matplotlib Axes, optional
        Where to draw (the current Axes by default).
    colors : tuple of str
        Colours of history and simulation.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import pandas as pd
    >>> def log(ends):
    ...     n = len(ends)
    ...     return pd.DataFrame({"run": 0, "release_id": [f"r{i}" for i in range(n)],
    ...         "phase_id": "p", "activity_type": "automated", "status": "succeeded",
    ...         "attempt": 1, "start": pd.Timestamp("2026-01-05", tz="UTC"),
    ...         "end": pd.to_datetime(ends, utc=True)})
    >>> check = validate_model(log(["2026-01-26", "2026-01-27"]),
    ...                        log(["2026-01-26", "2026-01-28"]))
    >>> ax = plot_validation(check)
    >>> [line.get_label() for line in ax.get_lines()][:2]
    ['history (2 releases)', 'simulated (2 releases)']
    """
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.gca()
    sides = ((check.history, colors[0], "history", "history_d", "--"),
             (check.simulated, colors[1], "simulated", "simulated_d", ":"))
    for values, color, label, _, _ in sides:
        days = np.sort(values.to_numpy(dtype=float)) / 24.0
        share = np.arange(1, len(days) + 1) / len(days)
        ax.step(np.r_[days[0], days], np.r_[0.0, share], where="post", color=color,
                label=f"{label} ({len(days)} releases)")
    for _, color, label, col, style in sides:
        for name, q in zip(check.table.index, check.table["quantile"], strict=True):
            x = float(check.table.loc[name, col])
            ax.axvline(x, color=color, linestyle=style, linewidth=0.9, alpha=0.8)
            ax.plot([x], [q], marker="o", color=color, markersize=4)
            ax.annotate(f"{name} {x:.1f} d", (x, q), textcoords="offset points",
                        xytext=(4, -10 if label == "history" else 4), fontsize=8,
                        color=color)
    ax.set_xlabel("lead time (days)")
    ax.set_ylabel("share of releases")
    ax.set_ylim(0.0, 1.02)
    title = (f"History vs simulation: KS {check.ks_statistic:.2f}, Wasserstein "
             f"{check.wasserstein_h / 24.0:.1f} d")
    ax.set_title(title)
    ax.legend(loc="lower right")
    return ax
