"""What-if estimates: compare scenarios, find where effort pays, choose a cadence.

- :func:`compare` simulates a base blueprint and scenarios with the same seed (common
  random numbers) and reports each scenario's lead time, throughput and utilisation with
  the *difference* to the base and its 95% interval.
- :func:`sensitivity` shortens each activity (or phase) in turn and reports the change in
  a lead-time quantile: the forward-looking bottleneck.
- :func:`cadence_sweep` simulates the train at several cadences and says which are
  sustainable (queues that do not grow).

How the intervals are made (``docs/what-if.md`` has the long form): releases are paired
across scenarios by ``(run, release_id)``. Releases of one run share teams and
environments and are correlated, so intervals resample whole runs (a cluster
bootstrap); in every bootstrap replicate the *same* runs are drawn for the base and for
the scenario, and the statistic of the difference is computed on them (for a quantile,
the scenario's quantile minus the base's). With common random numbers most of the noise
cancels, so differences are far more precise than either estimate alone; a change with a
deterministic effect gives a zero-width interval.
"""

from __future__ import annotations

import html
import itertools
import os
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from phasesim.blueprint import Blueprint, load_blueprint
from phasesim.errors import PhasesimError
from phasesim.simulation import SimulationResult, parse_cadence, simulate
from phasesim.units import format_hours, format_number, parse_duration
from phasesim.whatif.scenario import Scenario, load_scenario, scale_target

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["DEFAULT_START", "Comparison", "cadence_sweep", "compare", "sensitivity"]

#: The first release's start when none is given (a Monday, as in ``simulate``).
DEFAULT_START = "2026-01-05 09:00"
_QUANTILES = (("P50", 0.5), ("P80", 0.8), ("P95", 0.95))
_BOOT_CHUNK = 64


# ---------------------------------------------------------------------------------------
# Paired resampling of runs
# ---------------------------------------------------------------------------------------


@dataclass
class _Sample:
    """One simulation's numbers laid out by run, for paired resampling of whole runs.

    ``lead`` is runs x releases (hours; NaN where the release was aborted); the other
    arrays hold one value per run, in the same run order.
    """

    runs: np.ndarray
    release_ids: list[str]
    lead: np.ndarray
    status: np.ndarray
    weeks: float
    busy: dict[str, np.ndarray] = field(default_factory=dict)
    wait_sum: dict[str, np.ndarray] = field(default_factory=dict)
    wait_n: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def of(cls, result: SimulationResult, resources: bool = True) -> _Sample:
        from phasesim.outcomes import FINISHED

        rel = result.releases
        # runs x releases, laid out by position (one row per run and release, as a
        # pivot would; a cell no release fills is NaN)
        runs, at_run = np.unique(rel["run"].to_numpy(), return_inverse=True)
        ids, at_id = np.unique(rel["release_id"].to_numpy(dtype=object), return_inverse=True)
        if len(np.unique(at_run * len(ids) + at_id)) != len(rel):
            raise PhasesimError("a run lists the same release twice")
        status = np.full((len(runs), len(ids)), np.nan, dtype=object)
        status[at_run, at_id] = result.outcomes.to_numpy(dtype=object)
        values = np.full((len(runs), len(ids)), np.nan)
        values[at_run, at_id] = rel["lead_time_h"].to_numpy(dtype=float)
        values = np.where(np.isin(status, FINISHED), values, np.nan)
        # the mean over runs of (last end - first scheduled start), in seconds as
        # pandas' total_seconds gives them; a release that never ended adds nothing
        ns = lambda c: rel[c].to_numpy(dtype="datetime64[ns]").astype(np.int64)  # noqa: E731
        ended = rel["end"].notna().to_numpy()
        first = np.full(len(runs), np.iinfo(np.int64).max)
        last = np.full(len(runs), np.iinfo(np.int64).min)
        np.minimum.at(first, at_run, ns("scheduled"))
        np.maximum.at(last, at_run[ended], ns("end")[ended])
        seconds = np.where(np.bincount(at_run[ended], minlength=len(runs)) > 0,
                           (last - first) / 1e9, np.nan)
        weeks = max(float(np.mean(seconds)) / 3600.0 / 168.0, 1e-9)
        out = cls(runs, [str(i) for i in ids], values, status, weeks)
        if resources:
            out._resources(result)
        return out

    def _resources(self, result: SimulationResult) -> None:
        usage = result.usage
        if usage.empty:
            return
        hours = _epoch_hours
        released = usage["released"].fillna(usage["granted"])
        length = hours(released).max() - hours(usage["requested"]).min()
        capacity = {("team", k): v.capacity for k, v in result.blueprint.teams.items()}
        capacity |= {("environment", k): v.capacity
                     for k, v in result.blueprint.environments.items()}
        busy_h = hours(released) - hours(usage["granted"])
        frame = pd.DataFrame({"run": usage["run"].to_numpy(), "kind": usage["kind"].astype(str),
                              "resource": usage["resource"].astype(str), "busy": busy_h,
                              "wait": usage["wait_h"].to_numpy(dtype=float)})
        for (kind, name), group in frame.groupby(["kind", "resource"], sort=True):
            label = f"{kind} {name}"
            per_run = group.groupby("run")
            cap = capacity.get((str(kind), str(name)), 1)
            self.busy[label] = per_run["busy"].sum().reindex(self.runs, fill_value=0.0) \
                .to_numpy() / (cap * length) if length > 0 else np.zeros(len(self.runs))
            self.wait_sum[label] = per_run["wait"].sum().reindex(self.runs, fill_value=0.0) \
                .to_numpy()
            self.wait_n[label] = per_run["wait"].size().reindex(self.runs, fill_value=0) \
                .to_numpy(dtype=float)


def _epoch_hours(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype="datetime64[ns]").astype("int64") / 3.6e12


#: A statistic of a sample on resampled runs: (sample, run picks (B x runs)) -> B values.
_Stat = Callable[[_Sample, np.ndarray], np.ndarray]


def _pooled(matrix: np.ndarray, picks: np.ndarray) -> np.ndarray:
    """Rows of ``matrix`` (one per run) for each replicate, flattened: B x (runs*cols)."""
    return matrix[picks].reshape(picks.shape[0], -1)


def resampled_quantile(matrix: np.ndarray, picks: np.ndarray, q: float) -> np.ndarray:
    """``np.nanquantile(_pooled(matrix, picks), q, axis=1)``, bit for bit, without
    building the pooled samples (``matrix``: runs x values; ``picks``: replicates x runs
    picked, rows of ``matrix``).

    A replicate repeats run ``r``'s row as often as ``r`` is picked, so its ``k``-th
    order statistic is found among the finite values sorted once, each weighted by its
    run's count in the replicate: it is the first value whose cumulative weight passes
    ``k``. The interpolation is numpy's ``linear`` method (its index ``(n - 1) q`` and
    its two-sided ``lerp``), so the result is the one ``nanquantile`` gives; NaN where a
    replicate has no finite value.
    """
    n_boot = picks.shape[0]
    n_runs = matrix.shape[0]  # runs x values; picks index its rows
    finite = np.isfinite(matrix)
    order = np.argsort(matrix[finite])  # equal values may come in any order
    values = matrix[finite][order]
    run_of = np.nonzero(finite)[0][order]  # the run of each sorted value
    out = np.full(n_boot, np.nan)
    if n_boot == 0 or len(values) == 0:
        return out
    rows = np.arange(n_boot)
    counts = np.bincount((picks + n_runs * rows[:, None]).ravel(),
                         minlength=n_boot * n_runs).reshape(n_boot, n_runs)
    cum = np.cumsum(counts[:, run_of], axis=1)  # B x values, non-decreasing in each row
    n = cum[:, -1]
    ok = n > 0
    virtual = (n - 1) * q
    prev = np.floor(virtual)
    gamma = virtual - prev
    low = prev.astype(np.int64)  # at most n - 1, as virtual is
    high = np.minimum(low + 1, n - 1)  # at the top, gamma is 0: b is not used
    # rows shifted apart so that one search finds every row's positions
    width = int(n.max()) + 1
    shifted = (cum + width * rows[:, None]).ravel()
    base = len(values) * rows

    def nth(k: np.ndarray) -> np.ndarray:
        at = np.searchsorted(shifted, k + width * rows, side="right") - base
        return values[np.where(ok, at, 0)]  # a replicate with no value is NaN below

    a, b = nth(low), nth(high)
    diff = b - a
    lerp = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)
    out[ok] = lerp[ok]
    return out


def _quantile_stat(q: float) -> _Stat:
    def stat(s: _Sample, picks: np.ndarray) -> np.ndarray:
        return resampled_quantile(s.lead, picks, q)
    return stat


def _mean_lead(s: _Sample, picks: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(_pooled(s.lead, picks), axis=1)


def _share_stat(status: str) -> _Stat:
    def stat(s: _Sample, picks: np.ndarray) -> np.ndarray:
        return (_pooled(s.status, picks) == status).mean(axis=1)
    return stat


def _throughput(s: _Sample, picks: np.ndarray) -> np.ndarray:
    from phasesim.outcomes import SHIPPED

    succeeded = np.isin(s.status, SHIPPED).sum(axis=1).astype(float)
    return succeeded[picks].mean(axis=1) / s.weeks


def _within_stat(hours: float) -> _Stat:
    def stat(s: _Sample, picks: np.ndarray) -> np.ndarray:
        lead = _pooled(s.lead, picks)
        return (np.nan_to_num(lead, nan=np.inf) <= hours).mean(axis=1)
    return stat


def _busy_stat(label: str) -> _Stat:
    def stat(s: _Sample, picks: np.ndarray) -> np.ndarray:
        values = s.busy.get(label, np.zeros(len(s.runs)))
        return values[picks].mean(axis=1)
    return stat


def _wait_stat(label: str) -> _Stat:
    def stat(s: _Sample, picks: np.ndarray) -> np.ndarray:
        total = s.wait_sum.get(label, np.zeros(len(s.runs)))[picks].sum(axis=1)
        count = s.wait_n.get(label, np.zeros(len(s.runs)))[picks].sum(axis=1)
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return stat


def _picks(n_runs: int, n_boot: int, seed: int) -> np.ndarray:
    """Run indices of every bootstrap replicate (B x runs); B = 0 with one run."""
    if n_runs < 2 or n_boot < 1:
        return np.empty((0, n_runs), dtype=np.int64)
    return np.random.default_rng(seed).integers(0, n_runs, size=(n_boot, n_runs))


def _evaluate(stat: _Stat, sample: _Sample, picks: np.ndarray) -> tuple[float, np.ndarray]:
    """The statistic on all runs, and on every replicate (computed in chunks)."""
    point = float(stat(sample, np.arange(len(sample.runs))[None, :])[0])
    parts = [stat(sample, picks[i:i + _BOOT_CHUNK])
             for i in range(0, picks.shape[0], _BOOT_CHUNK)]
    return point, np.concatenate(parts) if parts else np.empty(0)


def _interval(values: np.ndarray) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return (np.nan, np.nan)
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def _paired(stat: _Stat, base: _Sample, other: _Sample, picks: np.ndarray
            ) -> dict[str, float]:
    """Value and interval of ``stat`` on ``other``, and of its difference to ``base``."""
    value, boot = _evaluate(stat, other, picks)
    base_value, base_boot = _evaluate(stat, base, picks)
    low, high = _interval(boot)
    diff_low, diff_high = _interval(boot - base_boot)
    return {"value": value, "ci_low": low, "ci_high": high, "diff": value - base_value,
            "diff_low": diff_low, "diff_high": diff_high}


def _check_paired(base: _Sample, other: _Sample, name: str) -> None:
    if not (np.array_equal(base.runs, other.runs) and base.release_ids == other.release_ids):
        raise PhasesimError(f"scenario {name!r} did not simulate the same runs and releases "
                            "as the base; they cannot be paired")


# ---------------------------------------------------------------------------------------
# compare
# ---------------------------------------------------------------------------------------


@dataclass
class Comparison:
    """What :func:`compare` returns.

    Attributes
    ----------
    table : DataFrame
        Tidy: one row per scenario (``base`` first) and metric, with columns
        ``scenario``, ``metric``, ``resource`` (for utilisation rows), ``value``,
        ``ci_low``, ``ci_high``, ``diff``, ``diff_low``, ``diff_high`` (the difference
        scenario minus base and its 95% interval; NaN on the base's own rows) and ``unit``.
    results : dict of str to SimulationResult
        Every simulation, ``"base"`` first.
    scenarios : dict of str to Scenario
    lead_times : DataFrame
        Lead time (hours) of every release, index ``(run, release_id)``, one column per
        simulation; NaN where the release was aborted.
    params : dict
        The arguments of the comparison, the seed included.

    Examples
    --------
    >>> from phasesim import load_blueprint
    >>> bp = load_blueprint('''
    ... phase:
    ...   id: p
    ...   activities:
    ...     - activity: {id: a, type: automated, duration: {uniform: [1h, 3h]}}
    ... ''')
    >>> cmp = compare(bp, [{"name": "half", "changes": [{"activity": "a", "scale": 0.5}]}],
    ...               releases=4, runs=5, progress=False)
    >>> import numpy as np
    >>> np.allclose(cmp.differences["half"], -0.5 * cmp.lead_times["base"])
    True
    """

    table: pd.DataFrame
    results: dict[str, SimulationResult]
    scenarios: dict[str, Scenario]
    lead_times: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def differences(self) -> pd.DataFrame:
        """Per release (paired by run and release id): each scenario's lead time minus
        the base's, in hours."""
        base = self.lead_times["base"]
        return self.lead_times.drop(columns="base").sub(base, axis=0)

    def summary(self) -> pd.DataFrame:
        """One row per simulation: P50/P80/P95 and mean lead time (days); the differences
        to the base of P50, P80 and the mean (``delta_p80_d``, ``delta_p80_low_d``,
        ``delta_p80_high_d``, ...; days, 95% intervals); throughput and share succeeded."""
        t = self.table[self.table["resource"].isna()]
        rows = []
        for name in self.results:
            part = t[t["scenario"] == name].set_index("metric")

            def get(metric: str, col: str, part: pd.DataFrame = part) -> float:
                return float(part.loc[metric, col])  # type: ignore[arg-type]

            row: dict[str, Any] = {"scenario": name}
            for metric, key in (("lead time P50", "p50"), ("lead time P80", "p80"),
                                ("lead time P95", "p95"), ("lead time mean", "mean")):
                row[f"{key}_d"] = get(metric, "value") / 24.0
            for metric, key in (("lead time P50", "p50"), ("lead time P80", "p80"),
                                ("lead time mean", "mean")):
                for col in ("diff", "diff_low", "diff_high"):
                    row[f"{col.replace('diff', 'delta_' + key)}_d"] = get(metric, col) / 24
            row["throughput_per_week"] = get("throughput", "value")
            row["share_succeeded"] = get("share succeeded", "value")
            rows.append(row)
        return pd.DataFrame(rows).set_index("scenario")

    def formatted(self) -> pd.DataFrame:
        """:meth:`summary` as text: days with one decimal, differences with intervals."""
        s = self.summary()
        out = pd.DataFrame(index=s.index)
        for key in ("p50", "p80", "p95", "mean"):
            out[f"{key.upper() if key != 'mean' else 'mean'} (d)"] = s[f"{key}_d"].map(
                lambda v: format_number(v, ".1f"))
        for key in ("p50", "p80", "mean"):
            label = f"Δ {key.upper() if key != 'mean' else 'mean'} (d) [95% CI]"
            out[label] = [
                "" if name == "base" else
                f"{format_number(d, '+.2f')} [{format_number(lo, '+.2f')}, "
                f"{format_number(hi, '+.2f')}]" if np.isfinite(lo) else format_number(d, "+.2f")
                for name, d, lo, hi in zip(s.index, s[f"delta_{key}_d"],
                                           s[f"delta_{key}_low_d"], s[f"delta_{key}_high_d"],
                                           strict=True)]
        out["releases/week"] = s["throughput_per_week"].map(lambda v: f"{v:.3f}")
        out["succeeded"] = s["share_succeeded"].map(lambda v: f"{v:.1%}")
        return out

    def plot_comparison(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Lead-time CDFs overlaid, with the P80 differences as an inset."""
        from phasesim.plotting.whatif import plot_comparison

        return plot_comparison(self, ax=ax, **kwargs)

    def plot_differences(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Each scenario's difference to the base with its 95% interval."""
        from phasesim.plotting.whatif import plot_differences

        return plot_differences(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        s = self.summary()
        parts = [f"{name} {row.delta_p80_d:+.1f} d" for name, row in s.iloc[1:].iterrows()]
        return (f"<Comparison of {len(s) - 1} scenario(s) with base P80 "
                f"{s['p80_d'].iloc[0]:.1f} d: ΔP80 {', '.join(parts) or 'none'}>")

    def _repr_html_(self) -> str:
        p = self.params
        head = (f"<h4>What-if comparison: {html.escape(str(p.get('blueprint')))}</h4>"
                f"<p>{p.get('runs')} runs × {p.get('releases')} releases, cadence "
                f"{html.escape(str(p.get('cadence')))}, seed {html.escape(str(p.get('seed')))}; "
                "differences paired by run and release (common random numbers), intervals "
                "resample whole runs.</p>")
        return head + self.formatted().to_html(escape=True)


def _as_scenarios(scenarios: Any, base: Blueprint) -> list[Scenario]:
    if isinstance(scenarios, Scenario | Mapping | str | os.PathLike):
        scenarios = [scenarios]
    out = [load_scenario(item, base=base) for item in scenarios]
    names = [sc.name for sc in out]
    for name in names:
        if name == "base":
            raise PhasesimError("a scenario may not be called 'base' (the name of the "
                                "blueprint it changes); give it another 'name:'")
        if names.count(name) > 1:
            raise PhasesimError(f"two scenarios are called {name!r}; give each its own "
                                "'name:'")
    return out


def _seed(seed: int | None) -> int:
    if seed is None:
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise PhasesimError(f"seed must be a whole number (or None), found {seed!r}")
    if seed < 0:
        raise PhasesimError(f"seed cannot be negative, found {seed}; use a whole number "
                            "from 0 such as 42")
    return int(seed)


def _load(blueprint: Blueprint | str | os.PathLike[str],
          inputs: Mapping[str, Any] | None) -> Blueprint:
    if isinstance(blueprint, Blueprint):
        return blueprint.bind(inputs)
    return load_blueprint(blueprint, inputs=inputs)


def compare(
    base: Blueprint | str | os.PathLike[str],
    scenarios: Any,
    *,
    releases: int = 26,
    cadence: Any = "weekly",
    start: Any = DEFAULT_START,
    runs: int = 200,
    inputs: Mapping[str, Any] | None = None,
    seed: int | None = 0,
    n_jobs: int = 1,
    progress: bool = True,
    target: str | float | None = None,
    max_in_flight: int | None = None,
    serialize: Sequence[str] = (),
    n_boot: int = 1000,
) -> Comparison:
    """Simulate a base blueprint and scenarios with common random numbers; compare them.

    Parameters
    ----------
    base : Blueprint or path
        The blueprint the scenarios change (it takes the place of their ``base:``).
    scenarios : Scenario, mapping, path, or a list of them
        See :func:`~phasesim.whatif.scenario.load_scenario`. Names must be unique.
    releases, cadence, start, runs, inputs, max_in_flight, serialize
        As for :func:`phasesim.simulate`; a scenario's own ``cadence`` change takes the
        place of ``cadence`` for that scenario.
    seed : int or None
        One seed for every simulation: that is what makes the random numbers common.
        None draws one (kept in ``params["seed"]``). Also seeds the bootstrap.
    n_jobs : int
        Parallel workers for the runs of each simulation.
    progress : bool
        Progress bars while simulating.
    target : str or float, optional
        A lead-time target (``"25d"`` or hours): adds the share of releases within it.
    n_boot : int
        Bootstrap replicates for the intervals (whole runs resampled; at least 2 runs
        are needed for intervals, else they are NaN).

    Returns
    -------
    Comparison
        ``table`` (tidy), ``summary()`` (one row per scenario), ``results``,
        ``lead_times``, ``differences``.

    Examples
    --------
    >>> from phasesim import load_blueprint
    >>> bp = load_blueprint('''
    ... phase:
    ...   id: build
    ...   activities:
    ...     - activity: {id: compile, type: automated, duration: 2h}
    ...     - activity: {id: test, type: automated, depends-on: [compile], duration: 1h}
    ... ''')
    >>> faster = {"name": "faster tests", "changes": [{"activity": "test", "scale": 0.5}]}
    >>> cmp = compare(bp, [faster], releases=2, runs=3, progress=False)
    >>> float(cmp.summary().loc["faster tests", "delta_p80_d"] * 24)
    -0.5
    """
    seed = _seed(seed)
    bp = _load(base, inputs)
    items = _as_scenarios(scenarios, bp)
    blueprints = {"base": bp} | {sc.name: sc.apply(bp) for sc in items}
    cadences = {"base": cadence} | {sc.name: sc.cadence if sc.cadence is not None else cadence
                                    for sc in items}
    results: dict[str, SimulationResult] = {}
    for name, variant in blueprints.items():
        results[name] = simulate(variant, releases=releases, cadence=cadences[name],
                                 start=start, runs=runs, seed=seed, n_jobs=n_jobs,
                                 progress=progress, max_in_flight=max_in_flight,
                                 serialize=serialize)
    samples = {name: _Sample.of(result) for name, result in results.items()}
    base_sample = samples["base"]
    for name, sample in samples.items():
        _check_paired(base_sample, sample, name)
    picks = _picks(len(base_sample.runs), n_boot, seed)
    stats: list[tuple[str, str | None, str, _Stat]] = [
        ("lead time mean", None, "h", _mean_lead),
        *[(f"lead time {label}", None, "h", _quantile_stat(q)) for label, q in _QUANTILES],
        ("share succeeded", None, "", _share_stat("succeeded")),
        ("share aborted", None, "", _share_stat("aborted")),
        ("throughput", None, "releases/week", _throughput),
    ]
    if target is not None:
        stats.append((f"share within {target}", None, "", _within_stat(parse_duration(target))))
    labels = sorted({label for s in samples.values() for label in s.busy})
    for label in labels:
        stats.append(("busy share", label, "", _busy_stat(label)))
    for label in labels:
        if label.startswith("team "):
            stats.append(("wait mean", label, "h", _wait_stat(label)))
    rows = []
    for name, sample in samples.items():
        for metric, resource, unit, stat in stats:
            row = _paired(stat, base_sample, sample, picks)
            if name == "base":
                row.update(diff=np.nan, diff_low=np.nan, diff_high=np.nan)
            rows.append({"scenario": name, "metric": metric, "resource": resource, **row,
                         "unit": unit})
    table = pd.DataFrame(rows, columns=["scenario", "metric", "resource", "value", "ci_low",
                                        "ci_high", "diff", "diff_low", "diff_high", "unit"])
    index = pd.MultiIndex.from_product([base_sample.runs, base_sample.release_ids],
                                       names=["run", "release_id"])
    lead_times = pd.DataFrame({name: s.lead.ravel() for name, s in samples.items()},
                              index=index)
    return Comparison(table=table, results=results, scenarios={sc.name: sc for sc in items},
                      lead_times=lead_times,
                      params={"blueprint": bp.name, "releases": releases, "cadence": cadence,
                              "start": start, "runs": runs, "seed": seed, "n_boot": n_boot,
                              "target": target, "cadences": cadences})


# ---------------------------------------------------------------------------------------
# sensitivity
# ---------------------------------------------------------------------------------------


def _simulate_group(blueprints: list[Blueprint], options: dict[str, Any]) -> list[_Sample]:
    """Simulate blueprints one after the other, each reduced to what sensitivity needs
    (its release table: ``options`` has ``keep_log=False``).

    The variants of one blueprint share its calendars; sent to a worker together they
    stay shared, so the calendars' working-time tables are built once per worker.
    """
    return [_Sample.of(simulate(bp, **options), resources=False) for bp in blueprints]


def _targets(bp: Blueprint, by: str) -> list[dict[str, Any]]:
    graph = bp.graph
    nodes: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for _, data in graph.nodes(data=True):
        key = (data["phase_id"], data["activity"].template_id)
        nodes.setdefault(key, []).append(data)
    out = []
    for ph in bp.phases:
        if by == "phase":
            inst = [d for a in ph.activities for d in nodes.get((ph.id, a.id), [])]
            out.append({"target": ph.id, "phase_id": ph.id, "activity_id": None,
                        "type": "rollback phase" if ph.rollback else "phase",
                        "mean_time_h": float(sum(d["duration_h"] for d in inst
                                                 if not d["skipped"])),
                        "runs": any(not d["skipped"] for d in inst)})
            continue
        for act in ph.activities:
            inst = nodes.get((ph.id, act.id), [])
            out.append({"target": f"{ph.id}.{act.id}", "phase_id": ph.id,
                        "activity_id": act.id, "type": act.kind,
                        "mean_time_h": act.mean_duration_h(),
                        "runs": any(not d["skipped"] for d in inst),
                        "instances": len(inst)})
    return out


def sensitivity(
    blueprint: Blueprint | str | os.PathLike[str],
    factor: float = 0.8,
    *,
    by: str = "activity",
    releases: int = 1,
    cadence: Any = "weekly",
    start: Any = DEFAULT_START,
    runs: int = 500,
    inputs: Mapping[str, Any] | None = None,
    seed: int | None = 0,
    n_jobs: int = 1,
    progress: bool = True,
    quantile: float = 0.8,
    rank_by: str = "quantile",
    n_boot: int = 1000,
) -> pd.DataFrame:
    """Shorten each activity (or phase) in turn by ``factor``; rank by the lead-time change.

    Every variant is simulated with the same seed as the base (common random numbers), so
    a variant differs from the base only where its one change acts: the difference in the
    lead-time quantile (and mean) is what shortening that activity buys. Where effort
    pays most, the lead time shrinks most: the forward-looking bottleneck.

    Parameters
    ----------
    blueprint : Blueprint or path
    factor : float
        Multiplies the time of the target: its ``duration``, its approval ``wait``, or
        every time inside its subprocess (0.8: 20% shorter; above 1: longer).
    by : {"activity", "phase"}
        Change one activity (as written: a ``for-each`` activity with all its instances)
        or every activity of one phase at a time.
    releases, cadence, start, runs, inputs
        As for :func:`phasesim.simulate`. With ``releases=1`` (the default) releases do
        not compete for teams, so the answer is about the process itself; more releases
        add queueing at shared teams and environments.
    seed : int or None
        One seed for every simulation (None draws one, kept in ``attrs["seed"]``).
    n_jobs : int
        Parallel workers; the variants are spread over them (each simulated whole).
    progress : bool
        Show a progress bar over the variants.
    quantile : float
        The lead-time quantile reported (0.8: P80).
    rank_by : {"quantile", "mean"}
        Sort by the change in the quantile (ties by the mean) or in the mean: the largest
        reduction first for ``factor < 1``, the largest increase first for ``factor > 1``
        (which asks what would hurt most if it took longer).
    n_boot : int
        Bootstrap replicates (whole runs resampled, the same runs for base and variant).

    Returns
    -------
    DataFrame
        Indexed by ``target`` (``phase.activity`` or the phase id), ranked with the largest
        effect first, with ``phase_id``, ``activity_id``, ``type``, ``mean_time_h``
        (expected time of the target in the base; for a phase, the sum over its activity
        instances), ``scaled`` (what was scaled), ``pXX_h`` (the variant's quantile),
        ``delta_pXX_h`` with ``delta_pXX_low_h`` / ``delta_pXX_high_h`` (95% interval),
        ``delta_mean_h`` with its interval, ``shorter_share`` / ``longer_share`` (share
        of releases that got shorter / longer) and ``note``. Targets that take no time,
        or never run with these inputs, are listed last with a note and no numbers.
        ``attrs`` holds the base's quantile and mean, the factor and the settings.

    Examples
    --------
    >>> from phasesim import load_blueprint
    >>> bp = load_blueprint('''
    ... phase:
    ...   id: p
    ...   activities:
    ...     - activity: {id: long, type: automated, duration: 10h}
    ...     - activity: {id: short, type: automated, duration: 2h}
    ...     - activity: {id: done, type: wait, depends-on: [long, short]}
    ... ''')
    >>> table = sensitivity(bp, 0.5, runs=3, progress=False)
    >>> table.index.tolist()
    ['p.long', 'p.short', 'p.done']
    >>> table["delta_p80_h"].tolist()[:2]
    [-5.0, 0.0]
    """
    if by not in ("activity", "phase"):
        raise PhasesimError(f"by must be 'activity' or 'phase', found {by!r}")
    if rank_by not in ("quantile", "mean"):
        raise PhasesimError(f"rank_by must be 'quantile' or 'mean', found {rank_by!r}")
    if not 0.0 < quantile < 1.0:
        raise PhasesimError(f"quantile must be between 0 and 1, found {quantile!r}")
    if isinstance(factor, bool) or not isinstance(factor, int | float) or \
            not np.isfinite(factor) or factor <= 0:
        raise PhasesimError(f"factor must be a positive number such as 0.8, found {factor!r}")
    seed = _seed(seed)
    bp = _load(blueprint, inputs)
    # only the release table is read (lead times and outcomes): no log or usage rows
    options = {"releases": releases, "cadence": cadence, "start": start, "runs": runs,
               "seed": seed, "n_jobs": 1, "progress": False, "keep_log": False}
    rows = _targets(bp, by)
    variants: list[tuple[int, Blueprint]] = []
    for k, row in enumerate(rows):
        runs_at_all = row.pop("runs")
        if row.pop("instances", 1) == 0:
            row["note"] = "no instances for these inputs (an empty for-each)"
            continue
        if not runs_at_all:
            row["note"] = "never runs with these inputs (its if: is false)"
            continue
        changed, what = scale_target(bp, row["target"], float(factor))
        if changed is None:
            row["note"] = what
            continue
        row["scaled"] = what
        variants.append((k, changed))
    samples = _run_all([bp, *(v for _, v in variants)], options, n_jobs, progress,
                       f"sensitivity of {bp.id}")
    base = samples[0]
    picks = _picks(len(base.runs), n_boot, seed)
    name = f"p{round(quantile * 100):d}"
    q_stat = _quantile_stat(quantile)
    base_q = _evaluate(q_stat, base, picks[:0])[0]
    base_mean = _evaluate(_mean_lead, base, picks[:0])[0]
    for (k, _), sample in zip(variants, samples[1:], strict=True):
        q = _paired(q_stat, base, sample, picks)
        m = _paired(_mean_lead, base, sample, picks)
        diff = sample.lead - base.lead
        n = np.isfinite(diff).sum()
        rows[k].update({
            f"{name}_h": q["value"], f"delta_{name}_h": q["diff"],
            f"delta_{name}_low_h": q["diff_low"], f"delta_{name}_high_h": q["diff_high"],
            "delta_mean_h": m["diff"], "delta_mean_low_h": m["diff_low"],
            "delta_mean_high_h": m["diff_high"],
            "shorter_share": float((diff < -1e-9).sum() / n) if n else np.nan,
            "longer_share": float((diff > 1e-9).sum() / n) if n else np.nan,
            "note": "",
        })
    columns = ["target", "phase_id", "activity_id", "type", "mean_time_h", "scaled",
               f"{name}_h", f"delta_{name}_h", f"delta_{name}_low_h", f"delta_{name}_high_h",
               "delta_mean_h", "delta_mean_low_h", "delta_mean_high_h", "shorter_share",
               "longer_share", "note"]
    table = pd.DataFrame(rows).reindex(columns=columns)
    first, second = (f"delta_{name}_h", "delta_mean_h") if rank_by == "quantile" else \
        ("delta_mean_h", f"delta_{name}_h")
    # the largest effect first: the largest reduction when shortening (factor < 1), the
    # largest increase when lengthening (factor > 1)
    table = table.sort_values([first, second], ascending=factor <= 1, kind="stable",
                              na_position="last").set_index("target")
    table.attrs.update({"factor": float(factor), "quantile": quantile, "by": by,
                        "rank_by": rank_by,
                        "metric": f"delta_{name}_h", "label": name.upper(),
                        f"base_{name}_h": base_q, "base_quantile_h": base_q,
                        "base_mean_h": base_mean, "runs": runs, "releases": releases,
                        "seed": seed, "blueprint": bp.name})
    return table


def _run_all(blueprints: list[Blueprint], options: dict[str, Any], n_jobs: int,
             progress: bool, desc: str) -> list[_Sample]:
    """Simulate every blueprint (each whole, one seed), in order; with ``n_jobs`` workers
    each worker takes one contiguous group of blueprints."""
    from tqdm.auto import tqdm

    workers = (os.cpu_count() or 1) if n_jobs < 0 else max(1, n_jobs)
    workers = min(workers, len(blueprints))
    bar = tqdm(total=len(blueprints), disable=not progress, unit="sim", desc=desc,
               leave=False)
    try:
        if workers == 1:
            out = []
            for bp in blueprints:
                out.extend(_simulate_group([bp], options))
                bar.update(1)
            return out
        from joblib import Parallel, delayed

        bounds = np.linspace(0, len(blueprints), workers + 1).round().astype(int)
        groups = [blueprints[a:b] for a, b in itertools.pairwise(bounds)]
        jobs = (delayed(_simulate_group)(group, options) for group in groups)
        results: list[_Sample] = []
        for part in Parallel(n_jobs=workers, return_as="generator")(jobs):
            results.extend(part)
            bar.update(len(part))
        return results
    finally:
        bar.close()


# ---------------------------------------------------------------------------------------
# cadence_sweep
# ---------------------------------------------------------------------------------------

#: Capacity of a team or environment that never makes anyone wait.
_UNLIMITED = 1_000_000
_SHORT = re.compile(r"^\s*\d+(?:\.\d+)?\s*[a-z]+(?:\s*\d+(?:\.\d+)?\s*[a-z]+)*\s*$", re.I)


def _cadence_spec(cadence: Any) -> Any:
    """``"2w"`` means every two weeks; everything else is as :func:`parse_cadence` reads."""
    if isinstance(cadence, str) and _SHORT.match(cadence):
        return f"every {cadence.strip()}"
    return cadence


def _in_flight(rel: pd.DataFrame) -> tuple[float, float]:
    """Time-average and peak number of releases in flight, averaged over runs."""
    means, peaks = [], []
    for _, group in rel.groupby("run"):
        starts = _epoch_hours(group["scheduled"])
        ends = _epoch_hours(group["end"].fillna(group["scheduled"]))
        span = ends.max() - starts.min()
        means.append(float((ends - starts).sum() / span) if span > 0 else 1.0)
        times = np.concatenate([starts, ends])
        steps = np.concatenate([np.ones(len(starts)), -np.ones(len(ends))])
        order = np.lexsort((steps, times))  # at equal times, ends (-1) before starts
        peaks.append(float(np.cumsum(steps[order]).max()))
    return float(np.mean(means)), float(np.mean(peaks))


def _busy_while_arriving(result: SimulationResult) -> pd.Series:
    """Busy share of each team and environment from the first to the last scheduled start
    of each run: a resource busy all that time has no slack while releases keep coming."""
    usage = result.usage
    if usage.empty:
        return pd.Series(dtype=float)
    rel = result.releases
    first = rel.groupby("run")["scheduled"].min()
    last = rel.groupby("run")["scheduled"].max()
    lo = _epoch_hours(first.reindex(usage["run"]).reset_index(drop=True))
    hi = _epoch_hours(last.reindex(usage["run"]).reset_index(drop=True))
    window = float((_epoch_hours(last) - _epoch_hours(first)).sum())
    if window <= 0:
        return pd.Series(dtype=float)
    granted = _epoch_hours(usage["granted"])
    released = _epoch_hours(usage["released"].fillna(usage["granted"]))
    busy = np.clip(np.minimum(released, hi) - np.maximum(granted, lo), 0.0, None)
    capacity = {("team", k): v.capacity for k, v in result.blueprint.teams.items()}
    capacity |= {("environment", k): v.capacity
                 for k, v in result.blueprint.environments.items()}
    frame = pd.DataFrame({"label": usage["kind"].astype(str) + " " +
                          usage["resource"].astype(str),
                          "cap": [capacity.get((str(k), str(r)), 1) for k, r in
                                  zip(usage["kind"], usage["resource"], strict=True)],
                          "busy": busy})
    grouped = frame.groupby("label")
    return grouped["busy"].sum() / (grouped["cap"].first() * window)


def _uncontended(bp: Blueprint) -> Blueprint:
    """The blueprint with every team and environment large enough for everyone: the same
    releases, durations, outcomes, anchors and calendars, and no queue anywhere."""
    return replace(bp, teams={k: replace(t, capacity=_UNLIMITED) for k, t in bp.teams.items()},
                   environments={k: replace(e, capacity=_UNLIMITED)
                                 for k, e in bp.environments.items()})


def _growth(delay: np.ndarray, picks: np.ndarray) -> tuple[float, float, float]:
    """Queueing delay of the last third of releases minus the middle third (mean over
    runs) and its 95% interval (resampling runs). ``delay`` is runs x releases."""
    k = delay.shape[1]
    if k < 6:
        return (np.nan, np.nan, np.nan)
    _, middle, last = np.array_split(np.arange(k), 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        per_run = np.nanmean(delay[:, last], axis=1) - np.nanmean(delay[:, middle], axis=1)
    ok = np.isfinite(per_run)
    if not ok.any():
        return (np.nan, np.nan, np.nan)
    point = float(per_run[ok].mean())
    if picks.shape[0] == 0:
        return point, point, point
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        boot = np.nanmean(np.where(ok, per_run, np.nan)[picks], axis=1)
    low, high = _interval(boot)
    return point, low, high


def cadence_sweep(
    blueprint: Blueprint | str | os.PathLike[str],
    cadences: Iterable[Any] = ("1w", "2w", "4w"),
    *,
    releases: int = 26,
    start: Any = DEFAULT_START,
    runs: int = 100,
    inputs: Mapping[str, Any] | None = None,
    seed: int | None = 0,
    n_jobs: int = 1,
    progress: bool = True,
    max_in_flight: int | None = None,
    serialize: Sequence[str] = (),
    growth_tolerance: float = 0.05,
    busy_limit: float = 0.98,
    n_boot: int = 1000,
    in_flight_limit: float = 5,
    wait_limit_h: float | None = None,
) -> pd.DataFrame:
    """Simulate the train at each cadence; report lead time, queues and sustainability.

    Parameters
    ----------
    blueprint : Blueprint or path
    cadences : iterable
        ``"1w"``, ``"2w"``, ``"3d"`` (every so long), or anything :func:`phasesim.simulate`
        takes as a cadence (``"weekly"``, a release-group mapping, ...).
    releases, start, runs, inputs, max_in_flight, serialize
        As for :func:`phasesim.simulate` (every cadence with the same seed).
    seed : int or None
    n_jobs, progress
        Workers and progress bars of each simulation.
    growth_tolerance : float
        Growth of the queueing delay tolerated between the middle and the last third of
        the releases, as a share of the interval between releases.
    busy_limit : float
        Busy share (while releases arrive) at or above which a team or environment has
        no slack left.
    n_boot : int
        Bootstrap replicates for the intervals (whole runs resampled).
    in_flight_limit : float
        A cadence with more releases than this in flight at its peak (``in_flight_max``)
        gets a ``warning``, sustainable or not.
    wait_limit_h : float or None
        A cadence whose worst P95 wait for a team or environment (``wait_p95_h``) is
        longer than this gets a ``warning``; None: longer than the interval between
        releases (``interval_h``).

    Returns
    -------
    DataFrame
        One row per cadence, most frequent first, indexed by the cadence as given:
        ``interval_h`` (median gap between starts), ``lead_p80_h`` with its 95% interval,
        ``lead_mean_h``, ``in_flight_mean`` (time-average releases in flight) and
        ``in_flight_max`` (peak, mean over runs), ``queueing_h`` (mean queueing delay per
        release, see Notes), ``queue_mean`` and ``queue_resource`` (the longest mean queue
        at a team or environment), ``wait_p95_h`` (the worst P95 wait for one),
        ``busy_share_max`` and ``bottleneck`` (the busiest, while releases arrive),
        ``growth_h`` with ``growth_low_h`` / ``growth_high_h`` (queueing delay of the last
        third of the releases minus the middle third), ``sustainable``, ``reason``,
        ``warning`` (empty, or what a release manager should look at although the
        queues are stable: too many releases in flight, a long P95 wait; see
        ``in_flight_limit`` and ``wait_limit_h``) and ``first_sustainable`` (the most
        frequent sustainable cadence). ``attrs["first_sustainable"]`` names that cadence
        (or None); ``attrs["criterion"]`` says in words what *sustainable* and a warning
        mean with the limits used.

    Notes
    -----
    **Queueing delay.** Each cadence is simulated twice with the same seed: as it is, and
    with every team and environment large enough that nobody waits (and without
    ``max_in_flight`` and ``serialize``). Common random numbers give both the same
    durations, outcomes, anchors, holidays and freezes, so a release's lead time minus its
    uncontended lead time is what queueing cost it (including a weekly anchor missed
    because of a queue), and calendar seasons (a December freeze, say) cancel out.

    A cadence is *sustainable* when its queues are stable. Two tests, both must pass:

    1. **No trend.** Work that arrives faster than it is done queues up, and each release
       waits longer than the one before. The first third of the releases is a warm-up
       (they find the teams idle); the growth of the queueing delay from the middle third
       to the last third is compared with ``growth_tolerance`` times the interval between
       releases (an overloaded train falls behind by ``(load - 1)`` intervals per
       release, so 5% over a third of 26 releases catches a load above about 1.006). A
       train whose growth has a 95% interval (resampling whole runs) entirely above that
       tolerance is unsustainable. Fewer than 6 releases leave this test out.
    2. **Slack.** A team or environment busy ``busy_limit`` (98%) or more of the time while
       releases keep arriving has no slack: its queue can only grow.

    Sustainable says only that the queues do not grow; it says nothing about how long
    they are. A cadence can be sustainable with many releases in flight or a long wait
    for one team, so those get a ``warning`` (the criterion is in
    ``attrs["criterion"]``).

    Examples
    --------
    >>> from phasesim import load_blueprint
    >>> bp = load_blueprint('''
    ... process:
    ...   id: p
    ...   teams: {T: 1}
    ...   phases:
    ...     - phase:
    ...         id: work
    ...         owners: [T]
    ...         activities:
    ...           - activity: {id: build, type: manual, duration: 30h}
    ... ''')
    >>> sweep = cadence_sweep(bp, ["24h", "48h"], releases=9, runs=2, progress=False)
    >>> sweep["sustainable"].tolist(), sweep.attrs["first_sustainable"]
    ([False, True], '48h')
    """
    seed = _seed(seed)
    bp = _load(blueprint, inputs)
    reference = _uncontended(bp)
    rows = []
    for label in cadences:
        spec = _cadence_spec(label)
        try:
            parse_cadence(spec)
        except (TypeError, ValueError) as exc:
            raise PhasesimError(f"cadence {label!r}: {exc}") from None
        result = simulate(bp, releases=releases, cadence=spec, start=start, runs=runs,
                          seed=seed, n_jobs=n_jobs, progress=progress,
                          max_in_flight=max_in_flight, serialize=serialize)
        free = simulate(reference, releases=releases, cadence=spec, start=start, runs=runs,
                        seed=seed, n_jobs=n_jobs, progress=progress)
        sample = _Sample.of(result, resources=False)
        free_sample = _Sample.of(free, resources=False)
        _check_paired(sample, free_sample, str(label))
        delay = sample.lead - free_sample.lead
        picks = _picks(len(sample.runs), n_boot, seed)
        p80 = _paired(_quantile_stat(0.8), sample, sample, picks)
        mean_lead = _evaluate(_mean_lead, sample, picks[:0])[0]
        growth, growth_low, growth_high = _growth(delay, picks)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            queueing = float(np.nanmean(delay))
        gaps = result.releases.sort_values(["run", "scheduled"]).groupby("run")["scheduled"] \
            .diff().dropna().dt.total_seconds() / 3600.0
        in_flight_mean, in_flight_max = _in_flight(result.releases)
        table = result.utilization()
        busy = _busy_while_arriving(result)
        if not table.empty:
            table = table.reset_index()
            table["label"] = table["kind"].astype(str) + " " + table["resource"].astype(str)
        row: dict[str, Any] = {
            "cadence": str(label),
            "interval_h": float(gaps.median()) if len(gaps) else np.nan,
            "lead_p80_h": p80["value"], "lead_p80_low_h": p80["ci_low"],
            "lead_p80_high_h": p80["ci_high"], "lead_mean_h": mean_lead,
            "in_flight_mean": in_flight_mean, "in_flight_max": in_flight_max,
            "queueing_h": queueing, "queue_mean": 0.0, "queue_resource": None, "wait_p95_h": 0.0,
            "busy_share_max": 0.0, "bottleneck": None,
            "growth_h": growth, "growth_low_h": growth_low, "growth_high_h": growth_high,
        }
        if not table.empty:
            worst = table.iloc[int(np.argmax(table["queue_mean"].to_numpy()))]
            row.update(queue_mean=float(worst["queue_mean"]), queue_resource=worst["label"],
                       wait_p95_h=float(table["wait_p95_h"].max()))
        wait_resource = None
        if not table.empty:
            waits = table["wait_p95_h"].to_numpy(dtype=float)
            if np.isfinite(waits).any():
                wait_resource = str(table["label"].iloc[int(np.nanargmax(waits))])
        if len(busy):
            row.update(busy_share_max=float(busy.max()), bottleneck=str(busy.idxmax()))
        reasons = []
        interval = row["interval_h"]
        if np.isfinite(growth_low) and growth_low > growth_tolerance * interval:
            reasons.append(f"queues grow: the last third of releases waits "
                           f"{format_hours(growth)} longer than the middle third")
        if row["busy_share_max"] >= busy_limit:
            reasons.append(f"{row['bottleneck']} is busy {row['busy_share_max']:.0%} of the "
                           "time while releases arrive")
        row["sustainable"] = not reasons
        row["reason"] = "; ".join(reasons) if reasons else "queues stable"
        warns = []
        if row["in_flight_max"] > in_flight_limit:
            warns.append(f"{row['in_flight_max']:g} releases in flight at the peak (more "
                         f"than {in_flight_limit:g})")
        limit = interval if wait_limit_h is None else wait_limit_h
        if np.isfinite(limit) and row["wait_p95_h"] > limit:
            than = ("the interval between releases, " if wait_limit_h is None else "")
            warns.append(f"P95 wait for {wait_resource} is {format_hours(row['wait_p95_h'])} "
                         f"(more than {than}{format_hours(limit)})")
        row["warning"] = "; ".join(warns)
        rows.append(row)
    out = pd.DataFrame(rows).sort_values("interval_h", kind="stable").set_index("cadence")
    ok = out.index[out["sustainable"]]
    first = ok[0] if len(ok) else None
    out["first_sustainable"] = out.index == first
    out.attrs["first_sustainable"] = first
    wait_words = ("the interval between releases" if wait_limit_h is None
                  else format_hours(wait_limit_h))
    out.attrs.update({"releases": releases, "runs": runs, "seed": seed,
                      "growth_tolerance": growth_tolerance, "busy_limit": busy_limit,
                      "in_flight_limit": in_flight_limit, "wait_limit_h": wait_limit_h})
    out.attrs["criterion"] = (
        f"sustainable: the queues do not grow (the queueing delay of the last third of the "
        f"releases is not above the middle third's by more than {growth_tolerance:.0%} of "
        f"the interval between releases, 95% interval) and no team or environment is busy "
        f"{busy_limit:.0%} or more of the time while releases arrive; it says nothing about "
        f"how long the queues are. warning: more than {in_flight_limit:g} releases in "
        f"flight at the peak, or a P95 wait for a team or environment longer than "
        f"{wait_words}.")
    return out
