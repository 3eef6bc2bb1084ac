"""``SimulationResult``: the simulated event log and what it says about lead time.

Every table is computed from three frames the engine recorded: ``log`` (the canonical
event log plus the engine's wait columns), ``releases`` (one row per run x release) and
``usage`` (every hold of a team member or an environment). Uncertainty is honest about
the simulation's structure: releases of one run share resources and are correlated, so
confidence intervals resample whole runs (a cluster bootstrap over replications).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from phasesim.units import format_number, parse_duration

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from phasesim.blueprint import Blueprint

__all__ = ["WAIT_CAUSES", "SimulationResult", "critical_chain"]

#: Categories of the per-release lead-time breakdown, in display order.
WAIT_CAUSES = ("work", "soak", "approval", "offhours", "team", "environment", "freeze",
               "anchor", "serialize", "rework", "in_flight")

_QUANTILES = (("p50", 0.5), ("p80", 0.8), ("p95", 0.95))


def critical_chain(log: pd.DataFrame, *, keep_skipped: bool = False) -> pd.Series:
    """Boolean Series: whether each row is on its release's realised critical path.

    The path runs back from the row that ended last, through the row that made each row
    ready (its ``cause``), to the release's start; skipped rows are passed through, never
    on the path. Needs the engine's ``row`` and ``cause``
    columns; vectorised over releases (one step per loop turn, not one release).
    """
    n = len(log)
    on = np.zeros(n, dtype=bool)
    if n == 0:
        return pd.Series(on, index=log.index)
    runs = log["run"].to_numpy()
    rows = log["row"].to_numpy()
    # position of (run, row) in the frame
    order = np.lexsort((rows, runs))
    run_keys, first = np.unique(runs[order], return_index=True)
    base = dict(zip(run_keys.tolist(), first.tolist(), strict=True))
    start_of_run = np.array([base[r] for r in runs])
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    by_pos = order  # frame index positions sorted by (run, row)
    cause = log["cause"].to_numpy()
    parent = np.where(cause >= 0, start_of_run + cause, -1)
    parent_frame = np.where(parent >= 0, by_pos[np.clip(parent, 0, n - 1)], -1)
    ends = log["end"].to_numpy(dtype="datetime64[ns]").astype("int64")
    keys = log["run"].astype(str) + "\x1f" + log["release_id"].astype(str)
    last = pd.Series(ends).groupby(keys.to_numpy()).idxmax().to_numpy()
    current = last.astype(np.int64)
    while current.size:
        on[current] = True
        current = parent_frame[current]
        current = current[current >= 0]
        current = current[~on[current]]
    # a skipped activity (its if: was false) passes the path on to what it waited for
    # but is not on it (``keep_skipped`` keeps it, for the accounting of its gate's wait)
    if not keep_skipped:
        on &= log["status"].to_numpy() != "skipped"
    return pd.Series(on, index=log.index)


def _chain_parts(log: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows on the critical path and their split (:func:`phasesim.attribution.split_rows`).

    A skipped row can hold time on the path: the wait of its phase's gate, when it is the
    phase's first activity. That time is handed on to the row it made ready, so skipped
    activities are never on the path and the parts still add up to the lead time.
    """
    from phasesim.attribution import split_rows

    chain = log[critical_chain(log, keep_skipped=True)]
    parts = split_rows(chain)
    skipped = (chain["status"] == "skipped").to_numpy()
    if skipped.any():
        key = pd.MultiIndex.from_arrays([chain["run"].to_numpy(), chain["row"].to_numpy()])
        position = pd.Series(np.arange(len(chain)), index=key)
        cause_key = pd.MultiIndex.from_arrays([chain["run"].to_numpy(),
                                               chain["cause"].to_numpy()])
        # the chain row each row made ready (its successor on the path), -1 if none
        successor = np.full(len(chain), -1, dtype=np.int64)
        parent = position.reindex(cause_key).to_numpy()
        has = ~np.isnan(parent)
        successor[parent[has].astype(np.int64)] = np.flatnonzero(has)
        values = parts.to_numpy(dtype=float)
        for i in np.flatnonzero(skipped)[::-1]:  # later rows first: a chain of skips
            j = successor[i]
            while j >= 0 and skipped[j]:
                j = successor[j]
            if j >= 0:
                values[j] += values[i]
        parts = pd.DataFrame(values, index=parts.index, columns=parts.columns)
        keep = ~skipped
        chain, parts = chain[keep], parts[keep]
    return chain, parts


def _cluster_bootstrap(values: np.ndarray, clusters: np.ndarray, stat: Any, n_boot: int,
                       seed: int) -> tuple[float, float]:
    """95% percentile interval of ``stat`` resampling whole clusters (runs)."""
    labels, inverse = np.unique(clusters, return_inverse=True)
    k = len(labels)
    if k < 2:
        return (np.nan, np.nan)
    rng = np.random.default_rng(seed)
    groups = [values[inverse == i] for i in range(k)]
    stats = np.empty(n_boot)
    for b in range(n_boot):
        pick = rng.integers(0, k, size=k)
        stats[b] = stat(np.concatenate([groups[i] for i in pick]))
    low, high = np.nanpercentile(stats, [2.5, 97.5])
    return float(low), float(high)


def _quantile_ci(values: np.ndarray, q: float) -> tuple[float, float]:
    """Distribution-free 95% interval of a quantile (order statistics, scipy)."""
    from scipy import stats

    if len(values) < 2:
        return (np.nan, np.nan)
    ci = stats.quantile_test(values, q=float(np.quantile(values, q)), p=q) \
        .confidence_interval(confidence_level=0.95)
    return float(ci.low), float(ci.high)


@dataclass
class SimulationResult:
    """What :func:`phasesim.simulate` returns.

    Attributes
    ----------
    log : DataFrame
        The event log (canonical schema) plus the engine's columns: ``wait_serialize_h``,
        ``wait_anchor_h``, ``wait_environment_h`` (``wait_freeze_h`` of it spent in
        freezes), ``wait_team_h``, ``offhours_h``,
        ``work_h``, ``rework``, ``row`` and ``cause`` (the row that made it ready).
    releases : DataFrame
        One row per run x release: ``scheduled``, ``start``, ``end``, ``lead_time_h``
        (end minus scheduled start), ``status``, ``reason``, ``attempts``, ``rework``,
        ``capped``.
    usage : DataFrame
        Every hold of a team member or environment: ``requested``, ``granted``,
        ``released``, ``wait_h``, ``busy_h``.
    blueprint : Blueprint
    params : dict
        The arguments of the simulation, the seed included.
    engine : str
        Which engine ran: ``"compiled"`` (numba) or ``"simpy"`` (the reference).
    engine_note : str
        Why ``engine="auto"`` fell back to SimPy (empty when it did not).
    """

    log: pd.DataFrame
    releases: pd.DataFrame
    usage: pd.DataFrame
    blueprint: Blueprint
    params: dict[str, Any] = field(default_factory=dict)
    engine: str = "simpy"
    engine_note: str = ""

    # -- headline numbers ------------------------------------------------------------
    @property
    def seed(self) -> Any:
        return self.params.get("seed")

    @property
    def outcomes(self) -> pd.Series:
        """Each release's outcome (:mod:`phasesim.outcomes`), by run and release."""
        rel = self.releases
        if "outcome" in rel.columns:
            return rel["outcome"]
        from phasesim.outcomes import outcomes

        status = rel["status"].to_numpy(dtype=object)
        capped = rel["capped"].to_numpy(dtype=bool) if "capped" in rel.columns else None
        final = np.where((status == "aborted") & ~(capped if capped is not None else False),
                         "failed", status)
        return pd.Series(outcomes(final, capped=capped), index=rel.index, dtype="string")

    def _finished(self) -> pd.Series:
        from phasesim.outcomes import FINISHED

        return self.outcomes.isin(FINISHED)

    @property
    def lead_times(self) -> pd.Series:
        """Lead time (hours) of every finished release: succeeded, succeeded after
        rollback or failed (aborted ones are left out)."""
        return self.releases.loc[self._finished(), "lead_time_h"]

    def summary(self, target: str | float | None = None, *, n_boot: int = 400,
                seed: int = 0) -> pd.DataFrame:
        """Lead time mean, P50, P80, P95 (hours and days) of the finished releases, with
        95% intervals; the share of each outcome (succeeded, succeeded after rollback,
        failed, aborted: :mod:`phasesim.outcomes`; they add up to 1); throughput
        (releases that went out, per week); and the share finished within ``target`` (a
        duration such as ``"21d"``, or hours) if given.

        Intervals resample whole runs (cluster bootstrap, ``n_boot`` times); with one
        run they fall back to distribution-free order-statistic intervals treating
        releases as independent.
        """
        from phasesim.outcomes import LABELS, OUTCOMES, SHIPPED

        rel = self.releases
        outcome = self.outcomes
        finished = self._finished()
        done = rel[finished]
        values = done["lead_time_h"].to_numpy(dtype=float)
        clusters = done["run"].to_numpy()
        rows: list[dict[str, Any]] = []

        def add(metric: str, value: float, ci: tuple[float, float], unit: str) -> None:
            rows.append({"metric": metric, "value": value, "ci_low": ci[0], "ci_high": ci[1],
                         "unit": unit})

        multi = len(np.unique(clusters)) > 1
        if len(values):
            add("lead time mean", float(values.mean()),
                _cluster_bootstrap(values, clusters, np.mean, n_boot, seed) if multi
                else _mean_ci(values), "h")
            for name, q in _QUANTILES:
                stat = _quantile_stat(q)
                ci = (_cluster_bootstrap(values, clusters, stat, n_boot, seed) if multi
                      else _quantile_ci(values, q))
                add(f"lead time {name.upper()}", float(np.quantile(values, q)), ci, "h")
        n = len(rel)
        for name in OUTCOMES[:-1]:  # a simulated release is never left in progress
            hit = (outcome == name).to_numpy(dtype=float)
            share = float(hit.mean()) if n else np.nan
            add(f"share {LABELS[name]}", share,
                _cluster_bootstrap(hit, rel["run"].to_numpy(), np.mean, n_boot, seed)
                if multi else (np.nan, np.nan), "")
        weeks = self._weeks_per_run()
        per_run = rel[outcome.isin(SHIPPED)].groupby("run").size() \
            .reindex(rel["run"].unique(), fill_value=0)
        throughput = per_run / weeks
        add("throughput", float(throughput.mean()),
            _cluster_bootstrap(throughput.to_numpy(dtype=float),
                               throughput.index.to_numpy(), np.mean, n_boot, seed)
            if multi else (np.nan, np.nan), "releases/week")
        if target is not None:
            hours = parse_duration(target)
            ok = finished & (rel["lead_time_h"] <= hours)
            add(f"share within {target}", float(ok.mean()),
                _cluster_bootstrap(ok.to_numpy(dtype=float), rel["run"].to_numpy(), np.mean,
                                   n_boot, seed) if multi else (np.nan, np.nan), "")
        out = pd.DataFrame(rows).set_index("metric")
        out["days"] = np.where(out["unit"] == "h", out["value"] / 24.0, np.nan)
        return out

    def _weeks_per_run(self) -> float:
        rel = self.releases
        span = (rel.groupby("run")["end"].max() - rel.groupby("run")["scheduled"].min())
        hours = span.dt.total_seconds().to_numpy() / 3600.0
        return float(max(np.mean(hours) / 168.0, 1e-9))

    def finish_dates(self, target: Any = None) -> pd.DataFrame:
        """Per release (across runs): scheduled start, P50/P80/P95 finish dates, and the
        probability of finishing by ``target``.

        ``target`` is a date/time for every release, a duration after each release's
        scheduled start (``"21d"``), or a mapping release_id -> date/time.
        """
        rel = self.releases
        done = self._finished()
        finished = rel[done]
        grouped = finished.groupby("release_id")
        out = pd.DataFrame({"scheduled": rel.groupby("release_id")["scheduled"].first()})
        for name, q in _QUANTILES:
            out[f"finish_{name}"] = grouped["end"].quantile(q).dt.round("s")
        out["share_aborted"] = (~done).groupby(rel["release_id"]).mean()
        if target is not None:
            deadline = _deadlines(rel, target)
            ok = done & (rel["end"] <= deadline)
            out["deadline"] = deadline.groupby(rel["release_id"]).first()
            out["p_on_time"] = ok.groupby(rel["release_id"]).mean()
        return out

    # -- why ---------------------------------------------------------------------------
    def critical_rows(self) -> pd.Series:
        """Whether each log row is on its release's realised critical path."""
        return critical_chain(self.log)

    def criticality(self) -> pd.DataFrame:
        """Per activity: the share of releases in which it was on the realised critical
        path, its mean contribution to lead time (hours per release) split into
        ``work_h``, ``designed_h`` (anchors, slots, soak ``wait`` activities, freezes) and
        ``avoidable_h`` (queues for teams and environments, serialisation, approvals,
        off-hours, rework; see :mod:`phasesim.attribution`), including its phase's gate
        when it is the phase's first activity; ``waiting_h`` is ``designed_h +
        avoidable_h`` and ``working_h`` equals ``work_h``; and its mean duration when it
        ran. Sorted by ``work_h + avoidable_h`` (what the release could have been spared
        or sped up), then by contribution."""
        log = self.log
        n_rel = max(len(self.releases), 1)
        keys = ["phase_id", "activity_id"]
        crit, parts = _chain_parts(log)
        span = parts[["work_h", "designed_h", "avoidable_h"]].sum(axis=1)
        per_release = crit.assign(span_h=span).groupby(
            [*keys, "run", "release_id"], observed=True)["span_h"].sum()
        by_act = per_release.groupby(level=keys)
        ran = log[log["status"] != "skipped"]
        duration = ((ran["end"] - ran["start"]).dt.total_seconds() / 3600.0).groupby(
            [ran["phase_id"], ran["activity_id"]]).mean()
        classes = parts[["work_h", "designed_h", "avoidable_h"]].groupby(
            [crit["phase_id"], crit["activity_id"]]).sum()
        out = pd.DataFrame({
            "critical_share": by_act.size() / n_rel,
            "contribution_h": by_act.sum() / n_rel,
        })
        for name in ("work_h", "designed_h", "avoidable_h"):
            out[name] = classes[name].reindex(out.index) / n_rel
        out["waiting_h"] = out["designed_h"] + out["avoidable_h"]
        out["working_h"] = out["work_h"]
        out = out.reindex(pd.MultiIndex.from_frame(log[keys].drop_duplicates()),
                          fill_value=0.0)
        out["mean_duration_h"] = duration.reindex(out.index)
        out["_key"] = out["work_h"] + out["avoidable_h"]
        out = out.sort_values(["_key", "contribution_h"], ascending=False, kind="stable")
        return out.drop(columns="_key")

    def wait_breakdown(self, by: str = "release", *, group: str = "cause") -> pd.DataFrame:
        """Why releases take as long as they do.

        ``by="release"``: per run x release, the lead time split along its realised
        critical path into ``work``, ``soak`` (``wait`` activities), ``approval``
        (approval waits in working hours), ``offhours`` (nights, weekends and holidays
        inside manual work and approvals), ``team`` (waiting for a free member),
        ``environment`` (waiting for an environment), ``freeze`` (waiting out a freeze or
        a deployment window), ``anchor`` (not-before moments and planned slots),
        ``serialize`` (the previous release still in a serialised phase), ``rework``
        (failed tries, rejected passes, rollback phases and everything re-run after them)
        and ``in_flight`` (waiting to start under ``max_in_flight``); the columns sum to
        ``lead_time_h``. ``group="class"`` sums them into ``work``, ``designed`` and
        ``avoidable`` (see :mod:`phasesim.attribution`); ``attrs["classes"]`` maps each
        cause to its class either way.

        ``by="activity"``: per activity, the mean over all its executions of each
        wait, plus ``dependencies_h`` (from the release's start to the activity being
        ready).
        """
        from phasesim.attribution import CAUSE_CLASS, CLASSES

        log = self.log
        if by == "activity":
            return self._waits_by_activity()
        if by != "release":
            raise ValueError(f"by must be 'release' or 'activity', found {by!r}")
        if group not in ("cause", "class"):
            raise ValueError(f"group must be 'cause' or 'class', found {group!r}")
        chain, parts = _chain_parts(log)
        parts = parts[[c for c in WAIT_CAUSES if c != "in_flight"]].copy()
        parts["run"] = chain["run"].to_numpy()
        parts["release_id"] = chain["release_id"].to_numpy()
        out = parts.groupby(["run", "release_id"]).sum()
        rel = self.releases.set_index(["run", "release_id"])
        out = out.reindex(rel.index, fill_value=0.0)
        out["in_flight"] = (rel["start"] - rel["scheduled"]).dt.total_seconds() / 3600.0
        out["lead_time_h"] = rel["lead_time_h"]
        out["status"] = rel["status"]
        out = out[[*WAIT_CAUSES, "lead_time_h", "status"]]
        if group == "class":
            classes = pd.DataFrame({cls: out[[c for c in WAIT_CAUSES if CAUSE_CLASS[c] == cls]]
                                    .sum(axis=1) for cls in CLASSES}, index=out.index)
            out = pd.concat([classes, out[["lead_time_h", "status"]]], axis=1)
        out.attrs["classes"] = dict(CAUSE_CLASS)
        return out

    def _waits_by_activity(self) -> pd.DataFrame:
        log = self.log[self.log["status"] != "skipped"]
        rel = self.releases.set_index(["run", "release_id"])["start"]
        release_start = rel.reindex(pd.MultiIndex.from_frame(log[["run", "release_id"]]))
        dependencies = (log["ready"].to_numpy() - release_start.to_numpy()) / \
            np.timedelta64(1, "h")
        frame = log.assign(dependencies_h=dependencies)
        cols = ["dependencies_h", "wait_serialize_h", "wait_anchor_h", "wait_environment_h",
                *(["wait_freeze_h"] if "wait_freeze_h" in frame.columns else []),
                "wait_team_h", "offhours_h", "work_h"]
        out = frame.groupby(["phase_id", "activity_id"])[cols].mean()
        out["executions"] = frame.groupby(["phase_id", "activity_id"]).size()
        out["rework_share"] = frame.groupby(["phase_id", "activity_id"])["rework"].mean()
        return out

    def utilization(self, freq: str | None = None) -> pd.DataFrame:
        """Per team and environment: capacity, busy share, mean and P95 wait for it,
        and mean queue length, over the whole horizon (``freq=None``) or per period
        (``freq="W"``, ``"MS"``...: one row per resource and period)."""
        from phasesim.simulation.occupancy import utilization_table

        capacity = {("team", k): v for k, v in _capacities(self.blueprint, "teams").items()}
        capacity |= {("environment", k): v
                     for k, v in _capacities(self.blueprint, "environments").items()}
        return utilization_table(self.usage, capacity, freq=freq)

    # -- display -----------------------------------------------------------------------
    def __repr__(self) -> str:
        lt = self.lead_times
        p80 = f"{lt.quantile(0.8) / 24:.1f} d" if len(lt) else "n/a"
        return (f"<SimulationResult {self.blueprint.id}: {self.params.get('runs')} runs x "
                f"{self.params.get('releases')} releases, lead time P80 {p80}>")

    def _repr_html_(self) -> str:
        table = self.summary().copy()
        p = self.params
        head = (f"<h4>Simulation of {html.escape(self.blueprint.name)}</h4>"
                f"<p>{p.get('runs')} runs × {p.get('releases')} releases, cadence "
                f"{html.escape(str(p.get('cadence')))}, seed {html.escape(str(p.get('seed')))}"
                "</p>")
        return head + table.to_html(float_format=lambda v: format_number(v, ",.2f"), na_rep="",
                                    escape=True)

    # -- plots -------------------------------------------------------------------------
    def plot_lead_time(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Histogram and CDF of lead times with P50/P80/P95 lines."""
        from phasesim.plotting.simulation import plot_lead_time_distribution

        return plot_lead_time_distribution(self, ax=ax, **kwargs)

    def plot_gantt(self, release_id: str | None = None, run: int = 0,
                   ax: Axes | None = None, **kwargs: Any) -> Axes:
        """One release: activities as bars, waits shaded by cause."""
        from phasesim.plotting.simulation import plot_gantt_waits

        return plot_gantt_waits(self, release_id=release_id, run=run, ax=ax, **kwargs)

    def plot_train(self, run: int = 0, ax: Axes | None = None, **kwargs: Any) -> Axes:
        from phasesim.plotting.simulation import plot_train

        return plot_train(self, run=run, ax=ax, **kwargs)

    def plot_criticality(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        from phasesim.plotting.simulation import plot_criticality

        return plot_criticality(self, ax=ax, **kwargs)

    def plot_utilization(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        from phasesim.plotting.simulation import plot_utilization

        return plot_utilization(self, ax=ax, **kwargs)


def _quantile_stat(q: float) -> Any:
    return lambda x: float(np.quantile(x, q))


def _mean_ci(values: np.ndarray) -> tuple[float, float]:
    from scipy import stats

    if len(values) < 2 or np.std(values) == 0:
        return (float(values.mean()), float(values.mean())) if len(values) else (np.nan,
                                                                                 np.nan)
    ci = stats.ttest_1samp(values, 0.0).confidence_interval(0.95)
    return float(ci.low), float(ci.high)


def _capacities(bp: Blueprint, what: str) -> dict[str, int]:
    items: Mapping[str, Any] = getattr(bp, what)
    return {name: item.capacity for name, item in items.items()}


def _deadlines(rel: pd.DataFrame, target: Any) -> pd.Series:
    if isinstance(target, Mapping):
        stamps = {k: pd.Timestamp(v) for k, v in target.items()}
        out = rel["release_id"].map(lambda r: stamps.get(r, pd.NaT))
        return pd.to_datetime(out, utc=True)
    if isinstance(target, int | float) or (isinstance(target, str) and not any(
            ch in target for ch in "-:/")):
        hours = parse_duration(target)
        return rel["scheduled"] + pd.to_timedelta(hours, unit="h")
    stamp = pd.Timestamp(target)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return pd.Series(stamp, index=rel.index)
