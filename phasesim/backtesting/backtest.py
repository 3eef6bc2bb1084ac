"""Backtest: forecasts made in the past, scored against what happened next.

At each origin ``t`` the log is cut as it stood at ``t`` (:func:`log_as_of`), a model is
fitted on that history only (the given blueprint calibrated, or one discovered), the
releases in flight at ``t`` and those that started within the horizon are forecast, and
each forecast is scored against the release's actual lead time. A naive baseline, the
empirical quantiles of the lead times finished before ``t``, is scored the same way, so
the table says whether the process model earns its keep. ``docs/backtest.md`` states every
rule with an example.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from phasesim.backtesting.cut import log_as_of
from phasesim.backtesting.scores import coverage, crps, log_distances, pinball_loss
from phasesim.errors import PhasesimError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from phasesim.blueprint import Blueprint

__all__ = ["QUANTILES", "Backtest", "backtest"]

#: The quantiles every forecast is scored at.
QUANTILES = (0.5, 0.8, 0.95)
_METHODS = ("model", "baseline")


def backtest(
    log: pd.DataFrame | str | os.PathLike[str],
    *,
    blueprint: Blueprint | str | os.PathLike[str] | None = None,
    origins: str | Sequence[Any] = "monthly",
    horizon: Any = "8w",
    runs: int = 500,
    seed: int | None = 0,
    n_jobs: int = 1,
    min_history: int = 8,
    distances: bool = True,
    until: str | None = None,
    progress: bool = True,
) -> Backtest:
    """Score forecasts made at past ``origins`` against what happened after each.

    Parameters
    ----------
    log : DataFrame or path
        The whole release history (an event log, or any file :func:`phasesim.read_log`
        reads).
    blueprint : Blueprint or path, optional
        The model to backtest: at each origin it is calibrated on the history before the
        origin (:func:`phasesim.calibrate`). Without one, a blueprint is discovered from
        that history (:func:`phasesim.discover`) at each origin.
    origins : "monthly", "weekly" or list of timezone-aware moments
        ``"monthly"`` is the first of every month (00:00 UTC), ``"weekly"`` every Monday
        00:00 UTC, from the first moment with at least ``min_history`` releases finished
        to the log's last timestamp. Origins with nothing to score are left out and
        counted in ``Backtest.origins``.
    horizon : duration
        Releases that start within this long after an origin are forecast too (``"8w"``).
    runs, seed, n_jobs
        Monte Carlo runs of each forecast; the seed of origin ``i`` is the ``i``-th child
        of ``SeedSequence(seed)``, so one origin's numbers do not depend on the others.
    min_history : int
        Releases that must have finished before an origin for it to be used.
    distances : bool
        Also compute the distances between the simulated and the actual log after each
        origin (``Backtest.distances``).
    until : str, optional
        Score the time to the end of this phase (e.g. ``"final"``: when does x.y.0 ship)
        instead of the whole release's lead time.
    """
    from tqdm.auto import tqdm

    from phasesim.analysis import lead_times
    from phasesim.eventlog import read_log
    from phasesim.units import parse_duration

    frame = log if isinstance(log, pd.DataFrame) else read_log(log)
    try:
        horizon_h = parse_duration(horizon)
    except ValueError as exc:
        raise PhasesimError(f"horizon={horizon!r}: {exc}") from None
    if runs < 1:
        raise PhasesimError(f"runs must be at least 1, not {runs}")
    bp = _load(blueprint)
    truth = _truth(lead_times(frame), frame, until)
    points = _origins(origins, truth, frame, min_history)
    children = np.random.SeedSequence(seed).spawn(len(points))

    rows: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    dists: list[pd.DataFrame] = []
    skipped: list[dict[str, Any]] = []
    for i, t in enumerate(tqdm(points, disable=not progress, unit="origin")):
        note, scored, dist, skip = _one_origin(
            frame, truth, bp, t, horizon_h, runs, children[i], n_jobs, min_history,
            distances, until)
        notes.append(note)
        rows.extend(scored)
        skipped.extend(skip)
        if dist is not None:
            dists.append(dist.assign(origin=t))
    forecasts = pd.DataFrame(rows, columns=_FORECAST_COLUMNS)
    origin_table = pd.DataFrame(notes)
    distance_table = (pd.concat(dists, ignore_index=True)[["origin", "measure", "value", "unit"]]
                      if dists else pd.DataFrame(columns=["origin", "measure", "value", "unit"]))
    skipped_table = pd.DataFrame(skipped, columns=["origin", "release_id", "reason"])
    return Backtest(forecasts=forecasts, origins=origin_table, distances=distance_table,
                    skipped=skipped_table, horizon_h=horizon_h, runs=runs, seed=seed,
                    fitted="calibrated" if bp is not None else "discovered")


def _load(blueprint: Any) -> Blueprint | None:
    if blueprint is None:
        return None
    from phasesim.blueprint import Blueprint, load_blueprint

    return blueprint if isinstance(blueprint, Blueprint) else load_blueprint(blueprint)


def _truth(lt: pd.DataFrame, frame: pd.DataFrame, until: str | None) -> pd.DataFrame:
    """One row per release of the whole log: start, end, lead time, outcome (with
    ``until``, the end is that phase's and the release is in progress until it)."""
    lt = lt[lt["run"] == lt["run"].min()] if len(lt) else lt
    hotfix = lt["hotfix"].astype(bool) if "hotfix" in lt else False
    out = pd.DataFrame({
        "start": lt["start"], "end": lt["end"],
        "lead_time_h": lt["lead_time_h"].astype(float),
        "status": lt["status"].astype(str),
        "hotfix": hotfix if not isinstance(hotfix, bool) else False,
    })
    out.index = pd.Index(lt["release_id"].astype(str), name="release_id")
    if until is None:
        return out
    phases = frame["phase_id"].astype(str)
    if until not in set(phases):
        known = ", ".join(sorted(set(phases))[:12])
        raise PhasesimError(f"until={until!r} is not a phase of the log; its phases are "
                            f"{known}")
    rows = frame[(phases == until) & (frame["status"].astype(str) == "succeeded")]
    rows = rows[rows["run"] == frame["run"].min()] if "run" in rows else rows
    ends = rows.groupby(rows["release_id"].astype(str))["end"].max()
    out["end"] = ends.reindex(out.index)
    out["lead_time_h"] = (out["end"] - out["start"]).dt.total_seconds() / 3600.0
    out["status"] = np.where(out["end"].isna(), "in_progress", "succeeded")
    return out


def _origins(origins: str | Sequence[Any], truth: pd.DataFrame, frame: pd.DataFrame,
             min_history: int) -> list[pd.Timestamp]:
    last = pd.concat([frame["start"], frame["end"]]).max()
    if isinstance(origins, str):
        freq = {"monthly": "MS", "weekly": "W-MON"}.get(origins)
        if freq is None:
            raise PhasesimError(f"origins={origins!r}: use 'monthly', 'weekly' or a list of "
                                "moments with their timezone")
        done = truth.loc[truth["status"] != "in_progress", "end"].dropna().sort_values()
        if len(done) < min_history:
            raise PhasesimError(
                f"only {len(done)} releases finished in the log; a backtest needs "
                f"min_history={min_history} before its first origin (lower min_history)")
        first = done.iloc[min_history - 1]
        return list(pd.date_range(first.ceil("D"), last, freq=freq, tz="UTC"))
    out = []
    for value in origins:
        t = pd.Timestamp(value)
        if t.tzinfo is None:
            raise PhasesimError(f"origin {value!r} has no timezone: give one, e.g. "
                                "'2026-06-01 00:00Z'")
        out.append(t.tz_convert("UTC"))
    return sorted(out)


_FORECAST_COLUMNS = [
    "origin", "release_id", "kind", "start", "actual_lead_h", "actual_end",
    *(f"{m}_p{round(q * 100)}_h" for m in _METHODS for q in QUANTILES),
    "model_crps_h", "baseline_crps_h",
]


def _one_origin(frame: pd.DataFrame, truth: pd.DataFrame, bp: Blueprint | None,
                t: pd.Timestamp, horizon_h: float, runs: int, seed: np.random.SeedSequence,
                n_jobs: int, min_history: int, distances: bool, until: str | None
                ) -> tuple[dict[str, Any], list[dict[str, Any]], pd.DataFrame | None,
                           list[dict[str, Any]]]:
    from phasesim.forecasting import forecast

    past = log_as_of(frame, t)
    note: dict[str, Any] = {"origin": t, "history": 0, "in_flight": 0, "future": 0,
                            "scored": 0, "fit_warnings": 0, "note": ""}
    finished = truth[(truth["end"] <= t) & (truth["status"] != "in_progress")
                     & (truth["status"] != "aborted") & ~truth["hotfix"]]
    note["history"] = len(finished)
    if len(finished) < min_history:
        note["note"] = f"only {len(finished)} releases finished before it"
        return note, [], None, []
    # Who is scored: releases in flight at t, and those that start within the horizon.
    begun = truth[(truth["start"] < t) & ~truth["hotfix"]]
    flight = begun[~begun.index.isin(finished.index) & ~(begun["end"] <= t)]
    upcoming = truth[(truth["start"] >= t) & ~truth["hotfix"]
                     & (truth["start"] < t + pd.Timedelta(hours=horizon_h))
                     ].sort_values("start")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = _fit(bp, past)
    note["fit_warnings"] = len(caught)
    fc = forecast(model, past, now=t, future=len(upcoming), runs=runs, seed=seed,
                  n_jobs=n_jobs, progress=False)
    samples = _samples(fc, until)
    base = finished["lead_time_h"].to_numpy(float)
    skipped: list[dict[str, Any]] = []
    scored: list[dict[str, Any]] = []
    pairs: list[tuple[str, str, str]] = [(r, r, "in_flight") for r in flight.index]
    pairs += list(zip(upcoming.index, [f"next-{k + 1}" for k in range(len(upcoming))],
                      ["future"] * len(upcoming), strict=True))
    for rid, fid, kind in pairs:
        actual = cast(pd.Series, truth.loc[rid])
        reason = _unscorable(actual, fid, samples)
        if reason:
            skipped.append({"origin": t, "release_id": rid, "reason": reason})
            continue
        start_h = _h(actual["start"]) if kind == "in_flight" else samples[fid][1]
        model_lead = samples[fid][0] - start_h
        elapsed = max(0.0, _h(t) - _h(actual["start"])) if kind == "in_flight" else 0.0
        base_lead = _baseline(base, elapsed)
        y = float(actual["lead_time_h"])
        row = {"origin": t, "release_id": rid, "kind": kind, "start": actual["start"],
               "actual_lead_h": y, "actual_end": actual["end"]}
        for name, ens in (("model", model_lead), ("baseline", base_lead)):
            for q in QUANTILES:
                row[f"{name}_p{round(q * 100)}_h"] = float(np.quantile(ens, q))
            row[f"{name}_crps_h"] = crps(ens, y)
        scored.append(row)
    note.update(in_flight=len(flight), future=len(upcoming), scored=len(scored))
    dist = None
    if distances and scored:
        dist = _distances(fc, frame, t, [p for p in pairs if p[0] in {r["release_id"]
                                                                     for r in scored}])
    return note, scored, dist, skipped


def _fit(bp: Blueprint | None, past: pd.DataFrame) -> Blueprint:
    if bp is not None:
        from phasesim.calibration import calibrate

        return calibrate(bp, past).blueprint
    from phasesim.discovery import discover

    return discover(past).blueprint


def _h(ts: Any) -> float:
    return float((pd.Timestamp(ts) - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(hours=1))


def _samples(fc: Any, until: str | None) -> dict[str, tuple[np.ndarray, float]]:
    """Per forecast release: the finish of every run (hours since the epoch; NaN for a
    run that never reached ``until``) and its start (hours since the epoch)."""
    log = fc.log
    end = log["end"] if until is None else log["end"].where(
        log["phase_id"].astype(str) == until)
    hours = (end - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(hours=1)
    starts = (log["start"] - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(hours=1)
    grouped = pd.DataFrame({"run": log["run"].to_numpy(), "rid": log["release_id"].astype(str),
                            "end": hours.to_numpy(float), "start": starts.to_numpy(float)})
    agg = grouped.groupby(["rid", "run"], sort=True).agg(end=("end", "max"),
                                                          start=("start", "min"))
    out: dict[str, tuple[np.ndarray, float]] = {}
    for rid, part in agg.groupby(level="rid", sort=False):
        ends = part["end"].droplevel("rid").reindex(range(fc.runs)).to_numpy(float)
        out[str(rid)] = (ends, float(part["start"].min()))
    return out


def _unscorable(actual: pd.Series, fid: str, samples: dict[str, Any]) -> str:
    if actual["status"] == "in_progress" or pd.isna(actual["end"]):
        return "not finished by the end of the log (its outcome is unknown)"
    if actual["status"] == "aborted":
        return "aborted: it has no lead time to score"
    if fid not in samples:
        return "the forecast could not place it (see Forecast.unplaced)"
    if not np.isfinite(samples[fid][0]).all():
        return "some forecast runs did not finish it (or never reached the until phase)"
    return ""


def _baseline(past: np.ndarray, elapsed: float) -> np.ndarray:
    """The naive forecast: past lead times, those longer than the time already spent."""
    longer = past[past > elapsed]
    return longer if longer.size else np.array([elapsed])


def _distances(fc: Any, frame: pd.DataFrame, t: pd.Timestamp,
               pairs: list[tuple[str, str, str]]) -> pd.DataFrame:
    sim = fc.log[~fc.log["observed"].astype(bool)]
    sim = sim[sim["release_id"].astype(str).isin({p[1] for p in pairs})]
    real = frame[frame["release_id"].astype(str).isin({p[0] for p in pairs})
                 & (frame["start"] >= t)]
    return log_distances(sim, real)


def _interval(table: pd.DataFrame, method: str, p: int) -> str:
    if not table.at[method, "n"]:
        return "n/a"
    row = table.loc[method].to_dict()
    share, low, high = (float(row[f"coverage_p{p}{s}"]) for s in ("", "_low", "_high"))
    return f"{share:.0%} [{low:.0%}–{high:.0%}]"


@dataclass
class Backtest:
    """What :func:`backtest` returns.

    Attributes
    ----------
    forecasts : DataFrame
        One row per origin and scored release: ``kind`` (``in_flight`` or ``future``),
        the actual lead time, the model's and the baseline's P50/P80/P95 lead times
        (hours) and CRPS.
    origins : DataFrame
        One row per origin: releases finished before it (``history``), in flight,
        starting within the horizon, scored, and a note when it was left out.
    distances : DataFrame
        Per origin, the distances between the simulated and the actual log after it.
    skipped : DataFrame
        Every release that was not scored, with the reason.
    """

    forecasts: pd.DataFrame
    origins: pd.DataFrame
    distances: pd.DataFrame
    skipped: pd.DataFrame
    horizon_h: float
    runs: int
    seed: Any
    fitted: str
    _table: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def table(self) -> pd.DataFrame:
        """The model and the baseline side by side: coverage of each quantile with its
        95% binomial interval, pinball loss, mean CRPS and the P50's error in days."""
        if self._table is None:
            self._table = self._score()
        return self._table

    def _score(self) -> pd.DataFrame:
        f = self.forecasts
        y = f["actual_lead_h"].to_numpy(float)
        rows = []
        for m in _METHODS:
            row: dict[str, Any] = {"method": m, "n": len(f)}
            for q in QUANTILES:
                col = f"{m}_p{round(q * 100)}_h"
                share, low, high, _ = coverage(y, f[col].to_numpy(float))
                p = round(q * 100)
                row[f"coverage_p{p}"] = share
                row[f"coverage_p{p}_low"] = low
                row[f"coverage_p{p}_high"] = high
                row[f"pinball_p{p}_h"] = pinball_loss(y, f[col].to_numpy(float), q)
            row["crps_h"] = float(f[f"{m}_crps_h"].mean()) if len(f) else float("nan")
            err = (f[f"{m}_p50_h"].to_numpy(float) - y) / 24.0
            row["p50_abs_error_d"] = float(np.mean(np.abs(err))) if len(f) else float("nan")
            row["p50_bias_d"] = float(np.mean(err)) if len(f) else float("nan")
            rows.append(row)
        return pd.DataFrame(rows).set_index("method")

    def reliability(self) -> pd.DataFrame:
        """Nominal vs observed coverage for each method and quantile (long format)."""
        t = self.table
        rows = []
        for m in _METHODS:
            for q in QUANTILES:
                p = round(q * 100)
                rows.append({"method": m, "nominal": q, "observed": t.at[m, f"coverage_p{p}"],
                             "low": t.at[m, f"coverage_p{p}_low"],
                             "high": t.at[m, f"coverage_p{p}_high"], "n": t.at[m, "n"]})
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """Two lines a person can read: is the model calibrated, does it beat the
        baseline?"""
        t = self.table
        if not len(self.forecasts):
            return "No release could be scored (see Backtest.origins and .skipped)."
        m, b = t.loc["model"], t.loc["baseline"]
        used = int((self.origins["scored"] > 0).sum())
        return (
            f"{len(self.forecasts)} forecasts at {used} origins: the model's P80 covered "
            f"{m['coverage_p80']:.0%} (95% interval {m['coverage_p80_low']:.0%}–"
            f"{m['coverage_p80_high']:.0%}), the baseline's {b['coverage_p80']:.0%}.\n"
            f"Mean CRPS {m['crps_h'] / 24:.2f} d for the model vs {b['crps_h'] / 24:.2f} d "
            f"for the baseline; P50 off by {m['p50_abs_error_d']:.1f} d vs "
            f"{b['p50_abs_error_d']:.1f} d on average "
            f"({'the model is better' if m['crps_h'] < b['crps_h'] else 'the baseline is better'})."
        )

    def plot_reliability(self, ax: Axes | None = None) -> Axes:
        """Nominal vs observed coverage with 95% binomial intervals; the diagonal is a
        calibrated forecast."""
        from phasesim.plotting.backtest import plot_reliability

        return plot_reliability(self, ax=ax)

    def plot_errors(self, ax: Axes | None = None) -> Axes:
        """Error of the P50 lead time (days, forecast minus actual) at each origin."""
        from phasesim.plotting.backtest import plot_errors

        return plot_errors(self, ax=ax)

    def _shown(self) -> pd.DataFrame:
        """The table as a person reads it: coverage with its interval, days."""
        table = self.table
        return pd.DataFrame({
            "releases scored": table["n"].to_numpy(),
            **{f"P{round(q * 100)} coverage": [
                _interval(table, str(m), round(q * 100)) for m in table.index]
               for q in QUANTILES},
            "mean CRPS (days)": (table["crps_h"] / 24).round(2).to_numpy(),
            "P50 mean abs. error (days)": table["p50_abs_error_d"].round(1).to_numpy(),
            "P50 bias (days)": table["p50_bias_d"].round(1).to_numpy(),
        }, index=pd.Index(["process model", "baseline (past lead times)"], name=""))

    def __repr__(self) -> str:
        return (f"<Backtest: {self.fitted} model, horizon {self.horizon_h / 24:g} d, "
                f"{self.runs} runs per forecast>\n{self.summary()}\n\n{self.to_text()}")

    def to_text(self) -> str:
        """The model and the baseline side by side, as plain text."""
        return self._shown().to_string()

    def _repr_html_(self) -> str:
        from html import escape

        return (f"<div><p><b>Backtest</b> ({escape(self.fitted)} model, horizon "
                f"{self.horizon_h / 24:g} d, {self.runs} runs per forecast)</p>"
                f"<p>{escape(self.summary()).replace(chr(10), '<br>')}</p>"
                f"{self._shown().to_html(escape=True)}</div>")
