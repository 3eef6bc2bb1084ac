"""``calibrate``: fit a blueprint's durations, failure and rejection rates to release history.

The method, in the order it is applied to each activity of the blueprint (as written: a
``for-each`` activity once, its instances pooled); see ``docs/calibration.md``:

1. **Observations** (:mod:`phasesim.calibration.observations`): durations in working
   hours of the activity's calendar for manual work and approval gates, wall clock for
   automated and wait activities; tries and failures; gate passes and rejections.
2. **Duration**: nothing to fit where the blueprint gives none (a milestone, a pure
   ``not-before`` timer) or for a subprocess; with no observations the blueprint's spec
   is kept; with every observation equal (a fixed soak) a fixed duration; with fewer than
   ``min_samples`` the observations themselves (:class:`~phasesim.distributions.Empirical`,
   resampled by the simulator) and a :class:`UserWarning`; else the best of lognormal,
   gamma, Weibull and PERT by maximum likelihood, chosen by AIC or Wasserstein distance
   (:func:`~phasesim.calibration.fit_duration`). An approval gate opens at the ``k``-th of
   ``n`` approvals: what is fitted is the wait of one approver whose ``k``-th of ``n``
   draws has the observed gate times as its likelihood (for an empirical gate, the gate
   sample's quantiles at ``I_u(k, n - k + 1)``, ``u = (j - 1/2) / m``).
3. **Failure rate** of an automated activity: failed tries / tries (maximum likelihood;
   Wilson 95% interval from :meth:`scipy.stats.binomtest`); ``retries`` rises to the
   longest run of immediate retries seen when that is more than the blueprint's.
   **Rejection rate** of a gate: rejected passes / passes. Fewer than ``min_samples``
   tries or passes keep the blueprint's rate.
4. Fitted numbers are **rounded** for a readable file: durations to the minute (to the
   second below 10 minutes), a Weibull shape to 3 significant digits, probabilities to 3
   decimals. The new blueprint is written to YAML and loaded back, so it is validated
   like any file.
"""

from __future__ import annotations

import difflib
import html
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from phasesim.blueprint import Activity, Approval, Blueprint, Failure, Phase, load_blueprint
from phasesim.calibration.fitting import (
    CRITERIA,
    FAMILIES,
    DurationFit,
    fit_duration,
    goodness_of_fit,
    spec_parameters,
)
from phasesim.calibration.observations import Observations, measuring_calendar, observe
from phasesim.distributions import (
    DurationSpec,
    DurationSpecError,
    Empirical,
    Fixed,
    Gamma,
    LogNormal,
    Pert,
    Truncated,
    Weibull,
)
from phasesim.errors import CalibrationError, PhasesimError
from phasesim.eventlog import read_log, validate_log
from phasesim.units import format_number, parse_duration

__all__ = ["Calibration", "calibrate"]

#: The percentile compared with the largest observation (see ``tail_limit``).
TAIL_QUANTILE = 0.999

#: Columns of :attr:`Calibration.table`, in order.
TABLE_COLUMNS = (
    "phase_id", "activity_id", "kind", "gate", "time_base", "n", "old_spec", "new_spec",
    "family", "parameters", "aic", "ks_statistic", "ks_pvalue", "wasserstein_h",
    "mean_observed_h", "mean_old_h", "mean_new_h", "outcome", "trials", "events", "p_old",
    "p_new", "p_low", "p_high", "retries_old", "retries_new", "note",
)


# ---------------------------------------------------------------------------------------
# Rounding for a readable file
# ---------------------------------------------------------------------------------------


def _hours_text(seconds: int) -> float:
    """Whole seconds as hours that read back exactly from their text (``"2h31m"``)."""
    h, rest = divmod(max(int(seconds), 1), 3600)
    m, s = divmod(rest, 60)
    return parse_duration("".join(f"{v}{u}" for v, u in ((h, "h"), (m, "m"), (s, "s")) if v))


def round_hours(hours: float) -> float:
    """Round a duration to the minute (to the second below 10 minutes), as hours that
    read back exactly from their duration text (``"2h31m"``); at least a second.

    Examples
    --------
    >>> round_hours(2.5166), round_hours(0.01)
    (2.5166666666666666, 0.01)
    """
    if hours <= 0:
        return 0.0
    return _hours_text(round(hours * 3600) if hours < 1 / 6 else round(hours * 60) * 60)


def _round_seconds(hours: float) -> float:
    return 0.0 if hours <= 0 else _hours_text(round(hours * 3600))


def _rounded(spec: DurationSpec, hours: Callable[[float], float]) -> DurationSpec:
    if isinstance(spec, Fixed):
        return Fixed(hours(spec.hours))
    if isinstance(spec, LogNormal):
        return LogNormal(hours(spec.median), hours(spec.p90))
    if isinstance(spec, Gamma):
        return Gamma(hours(spec.mean_h), hours(spec.sd_h))
    if isinstance(spec, Weibull):
        return Weibull(float(f"{spec.shape:.3g}"), hours(spec.scale_h))
    if isinstance(spec, Pert):
        return Pert(hours(spec.low), hours(spec.mode), hours(spec.high))
    if isinstance(spec, Empirical):
        return Empirical(tuple(hours(v) for v in spec.samples))
    return spec


def round_spec(spec: DurationSpec) -> DurationSpec:
    """The spec with its numbers rounded for a readable blueprint: to the minute (to the
    second below 10 minutes); to the second where the minute would change its kind (a
    lognormal's p90 onto its median, a spread to 0); unrounded where even that would.

    Examples
    --------
    >>> str(round_spec(Gamma(mean_h=2.51, sd_h=0.9))), str(round_spec(Pert(2.0, 2.001, 2.003)))
    ('gamma(mean=2h31m, sd=54m)', 'pert(2h, 2h4s, 2h11s)')
    """
    for hours in (round_hours, _round_seconds):
        try:
            out = _rounded(spec, hours)
        except DurationSpecError:
            continue
        if out.sd() > 0 or spec.sd() == 0:
            return out
    return spec


def round_probability(p: float) -> float:
    """A probability to 3 decimals (1 significant digit when that would give 0)."""
    rounded = round(p, 3)
    return rounded if rounded > 0 or p == 0 else float(f"{p:.1g}")


# ---------------------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """What :func:`calibrate` returns.

    Attributes
    ----------
    blueprint : Blueprint
        The calibrated blueprint (validated: written to YAML and loaded back).
    original : Blueprint
        The blueprint it started from.
    table : pandas.DataFrame
        One row per activity of the blueprint: ``phase_id``, ``activity_id``, ``kind``,
        ``gate`` (``"k of n"`` for approvals), ``time_base`` (working hours of a calendar,
        or wall clock), ``n`` (durations observed), ``old_spec``, ``new_spec`` (text; for a
        gate, one approver's wait), ``family`` (lognormal, gamma, weibull, pert,
        empirical, fixed, or NA when kept), ``parameters``, ``aic``, ``ks_statistic``,
        ``ks_pvalue``, ``wasserstein_h`` (fit quality against the observed durations or
        gate times), ``mean_observed_h``, ``mean_old_h``, ``mean_new_h`` (for a gate, the
        mean time to open), ``outcome`` (``failure`` or ``rejection``), ``trials``,
        ``events``, ``p_old``, ``p_new``, ``p_low``, ``p_high`` (Wilson 95% interval),
        ``retries_old``, ``retries_new``, and ``note`` (what was done, in words).
    candidates : pandas.DataFrame
        Every family tried for every fitted activity: ``phase_id``, ``activity_id``,
        ``family``, ``parameters``, ``spec`` (the fitted
        :class:`~phasesim.distributions.DurationSpec`, unrounded; for a gate, one
        approver's wait), ``loglik``, ``aic``, ``ks_statistic``, ``ks_pvalue``,
        ``wasserstein_h``, ``chosen``.
    unmatched : pandas.DataFrame
        Log rows that match no activity of the blueprint: ``phase_id``, ``activity_id``,
        ``rows``.
    params : dict
        ``min_samples``, ``criterion``, ``families``, ``seed``, ``rows`` and ``source`` of
        the log.
    """

    blueprint: Blueprint
    original: Blueprint
    table: pd.DataFrame
    candidates: pd.DataFrame
    unmatched: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)

    def to_yaml(self, path: str | os.PathLike[str] | None = None) -> str:
        """The calibrated blueprint as YAML, with a header comment; written to ``path``
        too when given. :func:`phasesim.load_blueprint` reads it back equal to
        :attr:`blueprint` (with the same inputs).

        Examples
        --------
        >>> calibration.to_yaml("calibrated.yaml")  # doctest: +SKIP
        """
        source = self.params.get("source") or "a release log"
        counts = self._counts()
        header = (
            f"# Calibrated by phasesim from {source} ({self.params.get('rows', 0):,} rows):\n"
            f"# {counts['fitted']} durations fitted ({self.params.get('criterion')}), "
            f"{counts['empirical']} empirical, {counts['kept']} kept as they were.\n"
            "# Durations rounded to the minute; probabilities to 3 decimals.\n"
        )
        text = header + self.blueprint.to_yaml()
        if path is not None:
            with open(path, "w", encoding="utf-8") as out:
                out.write(text)
        return text

    def _counts(self) -> dict[str, int]:
        family = self.table["family"]
        fitted = family.isin(list(FAMILIES)).sum()
        empirical = (family == "empirical").sum()
        return {"fitted": int(fitted + (family == "fixed").sum()),
                "empirical": int(empirical),
                "kept": int(family.isna().sum())}

    def summary(self) -> pd.DataFrame:
        """The table's main columns: what changed, how well it fits, and why."""
        cols = ["phase_id", "activity_id", "kind", "n", "old_spec", "new_spec", "family",
                "aic", "ks_statistic", "wasserstein_h", "mean_old_h", "mean_new_h",
                "p_old", "p_new", "note"]
        return self.table[cols]

    def __repr__(self) -> str:
        c = self._counts()
        return (f"<Calibration of {self.original.id!r} from {self.params.get('rows', 0):,} "
                f"rows: {c['fitted']} fitted, {c['empirical']} empirical, {c['kept']} kept>")

    def _repr_html_(self) -> str:
        c = self._counts()
        head = (f"<h4>Calibration of {html.escape(self.original.name)}</h4>"
                f"<p>From {html.escape(str(self.params.get('source') or 'a release log'))} "
                f"({self.params.get('rows', 0):,} rows): {c['fitted']} durations fitted by "
                f"{html.escape(str(self.params.get('criterion')))}, {c['empirical']} "
                f"empirical, {c['kept']} kept.</p>")
        return head + self.summary().to_html(index=False, escape=True, na_rep="",
                                             float_format=lambda v: format_number(v, ",.3g"))


# ---------------------------------------------------------------------------------------
# Per activity
# ---------------------------------------------------------------------------------------


def _gate_order(act: Activity) -> tuple[int, int]:
    if act.approval is None:
        return (1, 1)
    return (act.approval.required, act.approval.approvers)


def _mean(spec: DurationSpec | None, order: tuple[int, int]) -> float:
    if spec is None:
        return 0.0
    return spec.order_statistic_mean(*order)


def _empirical(x: np.ndarray, order: tuple[int, int]) -> Empirical:
    """Observations as an empirical spec; for a k-of-n gate, per-approver values whose
    k-th of n reproduces the observed gate times (quantile transformation)."""
    if order == (1, 1):
        return Empirical(tuple(float(v) for v in x))
    k, n = order
    u = (np.arange(len(x)) + 0.5) / len(x)
    levels = special.betainc(k, n - k + 1, u)
    return Empirical(tuple(float(v) for v in np.quantile(x, levels)))


def _time_base(calendar: Any) -> str:
    return "wall clock" if calendar is None else f"working hours ({calendar.name})"


def _proportion(events: int, trials: int) -> tuple[float, float]:
    ci = stats.binomtest(events, trials).proportion_ci(confidence_level=0.95,
                                                       method="wilson")
    return float(ci.low), float(ci.high)


@dataclass
class _Row:
    """One activity's line of the table, filled in as the steps go."""

    values: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def _calibrate_duration(obs: Observations | None, act: Activity, phase: Phase,
                        row: _Row, fits: list[pd.DataFrame], *, min_samples: int,
                        criterion: str, families: Sequence[str], ks_boot: int,
                        seed: int, tail_limit: float = 10.0,
                        truncate: bool = False) -> DurationSpec | None:
    """The activity's new duration (or approval wait); fills the row."""
    order = _gate_order(act)
    old = act.approval.wait if act.approval is not None else act.duration
    where = f"{phase.id}.{act.id}"
    if act.kind == "subprocess":
        row.notes.append("kept: a subprocess (calibrate its process file on its own)")
        return old
    if old is None:
        row.notes.append("kept: no duration in the blueprint (a milestone or anchor)")
        return old
    if obs is None or len(obs.durations_h) == 0:
        extra = ""
        if obs is not None and obs.skipped:
            extra = f" ({obs.skipped} skipped)"
        row.notes.append(f"kept: no observations{extra}")
        return old
    x = obs.durations_h
    row.values["mean_observed_h"] = float(x.mean())
    positive = x[x > 0]
    constant = float(np.ptp(x)) <= 1e-9 * max(float(np.max(x)), 1.0)
    if len(x) < min_samples or (len(positive) < min_samples and not constant):
        count = f"{len(x)}" if len(positive) == len(x) or len(x) < min_samples else \
            f"{len(positive)} non-zero"
        new: DurationSpec = round_spec(_empirical(x, order))
        row.values["family"] = "empirical"
        row.notes.append(f"empirical: {count} < min_samples={min_samples}")
        warnings.warn(
            f"{where}: only {count} observed durations (fewer than min_samples="
            f"{min_samples}); using them as an empirical distribution", UserWarning,
            stacklevel=3)
        return new
    if constant:
        new = round_spec(Fixed(float(x[0])))
        row.values["family"] = "fixed"
        row.notes.append(f"fixed: all {len(x)} observations are {new}")
        return new
    fit: DurationFit = fit_duration(positive, families=families, criterion=criterion,
                                    order=order, ks_boot=ks_boot, seed=seed)
    table = fit.table()
    table.insert(0, "activity_id", act.id)
    table.insert(0, "phase_id", phase.id)
    fits.append(table)
    new = round_spec(fit.spec)
    try:
        ks, pvalue, distance = goodness_of_fit(new, positive, order)
    except TypeError:  # a zero-width spec has no continuous distribution to compare with
        ks, pvalue, distance = fit.best.ks_statistic, fit.best.ks_pvalue, fit.best.wasserstein_h
    if ks_boot > 0:
        pvalue = fit.best.ks_pvalue
    row.values.update(family=fit.best.family, aic=fit.best.aic, ks_statistic=ks,
                      ks_pvalue=pvalue, wasserstein_h=distance)
    label = "AIC" if criterion == "aic" else "Wasserstein distance"
    row.notes.append(f"fitted: {fit.best.family} by {label} of {len(fit.candidates)}")
    if len(positive) < len(x):
        row.notes.append(f"{len(x) - len(positive)} zero durations left out of the fit")
    return _tail_check(new, x, where, row, order, tail_limit=tail_limit, truncate=truncate)


def _tail_check(spec: DurationSpec, x: np.ndarray, where: str, row: _Row,
                order: tuple[int, int], *, tail_limit: float, truncate: bool) -> DurationSpec:
    """Warn when the fit's 99.9th percentile is beyond ``tail_limit`` times the largest
    observation (a tail the data does not support); with ``truncate``, cut the fit there
    (``max:``). For a ``k`` of ``n`` gate the percentile is the gate's (the ``k``-th of
    ``n`` approvers' waits), as its observations are gate times."""
    largest = float(np.max(x))
    if largest <= 0:
        return spec
    k, n = order
    level = float(special.betaincinv(k, n - k + 1, TAIL_QUANTILE)) if n > 1 else TAIL_QUANTILE
    p999 = float(spec.quantile(level))
    bound = round_hours(tail_limit * largest)
    if p999 <= tail_limit * largest:
        return spec
    cap = str(Fixed(bound))  # as the blueprint will say it
    what = f"{k}-of-{n} gate with the fitted wait {spec}" if n > 1 else f"fitted {spec}"
    message = (f"{where}: the {what} puts its 99.9th percentile at "
               f"{_readable(p999)}, more than {tail_limit:g} x the largest "
               f"of the {len(x)} observations ({_readable(largest)})")
    if truncate:
        cut = Truncated(spec, bound)
        row.notes.append(f"cut at max {cap}: the fit's P99.9 was {_readable(p999)}")
        warnings.warn(f"{message}; cut at max: {cap}", UserWarning, stacklevel=4)
        return cut
    row.notes.append(f"long tail: P99.9 {_readable(p999)} > {tail_limit:g} x largest "
                     f"observed; truncate=True would cut it at max {cap}")
    warnings.warn(f"{message}; calibrate with truncate=True (phasesim calibrate --truncate) "
                  f"to cut it at max: {cap}", UserWarning, stacklevel=4)
    return spec


def _readable(hours: float) -> str:
    """Hours for a message: ``"37 min"``, ``"10 h"``, ``"237 h (9.9 days)"``."""
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 48:
        return f"{hours:.3g} h"
    return f"{hours:,.0f} h ({hours / 24:,.1f} days)"


def _calibrate_failure(obs: Observations | None, act: Activity, row: _Row, *,
                       min_samples: int) -> Failure | None:
    old = act.failure
    if act.kind != "automated" or obs is None or obs.tries == 0:
        if old is not None:
            row.values.update(outcome="failure", trials=0, events=0, p_old=old.probability,
                              retries_old=old.retries)
            row.notes.append("failure rate kept: no tries")
        return old
    p_old = old.probability if old is not None else 0.0
    retries_old = old.retries if old is not None else 0
    row.values.update(outcome="failure", trials=obs.tries, events=obs.failures,
                      p_old=p_old, retries_old=retries_old)
    row.values["p_low"], row.values["p_high"] = _proportion(obs.failures, obs.tries)
    if obs.tries < min_samples:
        row.notes.append(f"failure rate kept: {obs.tries} tries < min_samples={min_samples}")
        return old
    p_new = round_probability(obs.failures / obs.tries)
    retries = max(retries_old, obs.max_retries)
    if old is None:
        if obs.failures == 0:
            row.values["p_new"] = 0.0
            return None
        row.values.update(p_new=p_new, retries_new=retries)
        row.notes.append(f"failure added: {obs.failures} of {obs.tries} tries failed "
                         "(on-failure: abort, the default)")
        return Failure(probability=p_new, retries=retries)
    row.values.update(p_new=p_new, retries_new=retries)
    if retries > retries_old:
        row.notes.append(f"retries raised to {retries}: seen in the log")
    return replace(old, probability=p_new, retries=retries)


def _calibrate_rejection(obs: Observations | None, act: Activity, row: _Row, *,
                         min_samples: int) -> Approval | None:
    gate = act.approval
    if gate is None:
        return None
    reject = gate.reject
    passes = obs.passes if obs is not None else 0
    rejections = obs.rejections if obs is not None else 0
    if reject is None:
        if rejections:
            row.notes.append(f"{rejections} rejections seen, but the gate has no "
                             "reject.goto: not modelled")
        return gate
    row.values.update(outcome="rejection", trials=passes, events=rejections,
                      p_old=reject.probability)
    if passes == 0:
        row.notes.append("rejection rate kept: no passes")
        return gate
    row.values["p_low"], row.values["p_high"] = _proportion(rejections, passes)
    if passes < min_samples:
        row.notes.append(f"rejection rate kept: {passes} passes < min_samples={min_samples}")
        return gate
    p_new = round_probability(rejections / passes)
    row.values["p_new"] = p_new
    return replace(gate, reject=replace(reject, probability=p_new))


# ---------------------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------------------


def _as_log(log: pd.DataFrame | str | os.PathLike[str]) -> pd.DataFrame:
    if isinstance(log, pd.DataFrame):
        return validate_log(log, source=log.attrs.get("source"))
    if isinstance(log, str | os.PathLike):
        return read_log(log)
    raise PhasesimError(f"log must be an event log (DataFrame) or a file, found "
                        f"{type(log).__name__}")


#: How many blueprint activities the "nothing matched" message gives closest names for.
_CLOSEST_SHOWN = 5


def _nothing_matched(bp: Blueprint, unmatched: pd.DataFrame, rows: int) -> CalibrationError:
    """The error for a log none of whose rows match an activity (or phase) of ``bp``: the
    closest log names (``phase.activity``, or ``phase`` for a phase row) for a few of the
    blueprint's activities, those with a close name first."""
    names = sorted({str(phase) if pd.isna(act) else f"{phase}.{act}"
                    for phase, act in zip(unmatched["phase_id"].astype("string"),
                                          unmatched["activity_id"].astype("string"),
                                          strict=True)
                    if not pd.isna(phase)})
    wanted = [f"{ph.id}.{act.id}" for ph in bp.phases for act in ph.activities]
    close = {w: difflib.get_close_matches(w, names, n=3) for w in wanted}
    shown = sorted(wanted, key=lambda w: not close[w])[:_CLOSEST_SHOWN]
    closest = {w: close[w] for w in shown}
    if any(closest.values()):
        listed = "; ".join(f"{w}: {', '.join(close[w]) or 'nothing close'}"
                           for w in shown)
        detail = f"closest log names to the blueprint's activities: {listed}"
    else:
        some = ", ".join(names[:_CLOSEST_SHOWN]) + (", ..." if len(names) > _CLOSEST_SHOWN
                                                     else "")
        detail = (f"no log name is close to any of its activities ({', '.join(shown)}"
                  f"{', ...' if len(wanted) > len(shown) else ''}); the log has {some}")
    return CalibrationError(
        f"nothing matched: none of the log's {rows:,} rows match an activity or phase of "
        f"blueprint {bp.id!r} (rows are matched by phase id and activity id); {detail}. "
        "Check that the log is a history of this blueprint, or rename its phases and "
        "activities to the blueprint's ids", closest)


def _revalidated(new: Blueprint, original: Blueprint) -> Blueprint:
    """Load the new blueprint's YAML back: every rule of the format is checked again.

    A blueprint with subprocesses names their files relative to its own, which YAML text
    has no place for: its parts were built by validating constructors, and it is returned
    as built.
    """
    if any(act.process is not None for _, act in new.iter_activities()):
        return new
    inputs: Mapping[str, Any] = dict(original.input_values)
    loaded = load_blueprint(new.to_yaml(), inputs=inputs or None)
    return replace(loaded, source=original.source)


def calibrate(
    blueprint: Blueprint | str | os.PathLike[str],
    log: pd.DataFrame | str | os.PathLike[str],
    *,
    min_samples: int = 8,
    criterion: str = "aic",
    seed: int = 0,
    families: Sequence[str] = FAMILIES,
    ks_boot: int = 0,
    tail_limit: float = 10.0,
    truncate: bool = False,
) -> Calibration:
    """Fit a blueprint's durations, approval waits, failure and rejection rates to a log.

    Parameters
    ----------
    blueprint : Blueprint or path
        The process the log is a history of (its ids match the log's).
    log : pandas.DataFrame or path
        An event log in the canonical schema (from :func:`phasesim.read_log`, or a
        simulated one), or a file for :func:`~phasesim.read_log`.
    min_samples : int, default 8
        Below this many observed durations an activity gets an empirical distribution of
        its observations (with a :class:`UserWarning`); below this many tries or gate
        passes its failure or rejection rate is kept. At least 3.
    criterion : {"aic", "wasserstein"}
        How a family is chosen among ``families`` (see
        :func:`~phasesim.calibration.fit_duration`).
    seed : int
        Randomness of the KS bootstrap (``ks_boot``); nothing else is random.
    families : sequence of str
        Candidate families, by default lognormal, gamma, weibull and pert.
    ks_boot : int
        Resamples of a parametric bootstrap of the chosen fit's KS p-value (0: the
        asymptotic p-value, which is too high because the fit used the same data).
    tail_limit : float, default 10
        A fitted distribution whose 99.9th percentile is more than ``tail_limit`` times
        the largest observation gets a :class:`UserWarning` and a note: its tail goes
        beyond what the data supports.
    truncate : bool, default False
        Cut such a fit at ``tail_limit`` times the largest observation (a ``max:`` in the
        written blueprint, see docs/blueprint-format.md) instead of only warning.

    Returns
    -------
    Calibration

    Raises
    ------
    PhasesimError
        For a bad argument; :class:`~phasesim.BlueprintError` or
        :class:`~phasesim.LogError` for a blueprint or log that cannot be read;
        :class:`~phasesim.CalibrationError` when no row of the log matches an activity
        or phase of the blueprint (its message and ``closest`` give, for a few of the
        blueprint's activities, the closest names in the log).

    Warns
    -----
    UserWarning
        For each activity with fewer than ``min_samples`` observed durations, naming it;
        for each fit whose tail goes beyond ``tail_limit`` (see above).

    Examples
    --------
    >>> import phasesim
    >>> cal = phasesim.calibrate("data/blueprints/harness-system-release.yaml",
    ...                          "data/logs/harness-history.csv")  # doctest: +SKIP
    >>> cal.table[["activity_id", "old_spec", "new_spec", "note"]]  # doctest: +SKIP
    >>> cal.to_yaml("calibrated.yaml")  # doctest: +SKIP
    """
    if isinstance(min_samples, bool) or not isinstance(min_samples, int) or min_samples < 3:
        raise PhasesimError(f"min_samples must be a whole number of at least 3 (fitting "
                            f"needs 3 observations), found {min_samples!r}")
    if criterion not in CRITERIA:
        raise PhasesimError(f"criterion must be one of {', '.join(CRITERIA)}, found "
                            f"{criterion!r}")
    unknown = [f for f in families if f not in FAMILIES]
    if unknown or not families:
        raise PhasesimError(f"unknown families {unknown}; use some of {', '.join(FAMILIES)}")
    if isinstance(ks_boot, bool) or not isinstance(ks_boot, int) or ks_boot < 0:
        raise PhasesimError(f"ks_boot must be a whole number >= 0, found {ks_boot!r}")
    if isinstance(tail_limit, bool) or not isinstance(tail_limit, int | float) or not (
            1.0 <= float(tail_limit) < float("inf")):
        raise PhasesimError(f"tail_limit must be a number of at least 1 (a multiple of the "
                            f"largest observation), found {tail_limit!r}")
    bp = load_blueprint(blueprint)
    frame = _as_log(log)
    if frame.empty:
        from phasesim.eventlog.audit import empty_reason

        why = f" ({empty_reason(frame)})" if frame.attrs.get("source") else ""
        raise PhasesimError(f"the log is empty: nothing to calibrate from{why}")
    view = observe(bp, frame)
    if not view.activities and not view.phase_level_only:
        raise _nothing_matched(bp, view.unmatched, len(frame))
    rows: list[dict[str, Any]] = []
    fits: list[pd.DataFrame] = []
    phases: list[Phase] = []
    for phase in bp.phases:
        activities: list[Activity] = []
        for act in phase.activities:
            obs = view.activities.get((phase.id, act.id))
            order = _gate_order(act)
            old_spec = act.approval.wait if act.approval is not None else act.duration
            row = _Row({
                "phase_id": phase.id, "activity_id": act.id, "kind": act.kind,
                "gate": f"{order[0]} of {order[1]}" if act.approval is not None else None,
                "time_base": _time_base(measuring_calendar(bp, phase, act)),
                "n": len(obs.durations_h) if obs is not None else 0,
                "old_spec": str(old_spec) if old_spec is not None else None,
                "mean_old_h": _mean(old_spec, order),
            })
            if obs is None and phase.id in view.phase_level_only:
                row.notes.append(f"phase-level only: {view.phase_level_only[phase.id]} phase "
                                 "rows, no activity rows; the blueprint's estimate is kept")
                spec = old_spec
            else:
                spec = _calibrate_duration(obs, act, phase, row, fits,
                                           min_samples=min_samples, criterion=criterion,
                                           families=families, ks_boot=ks_boot, seed=seed,
                                           tail_limit=float(tail_limit), truncate=truncate)
            failure = _calibrate_failure(obs, act, row, min_samples=min_samples)
            gate = _calibrate_rejection(obs, act, row, min_samples=min_samples)
            if gate is not None and spec is not None:
                gate = replace(gate, wait=spec)
                new_act = replace(act, approval=gate, failure=failure)
            else:
                new_act = replace(act, duration=spec, failure=failure)
            row.values["new_spec"] = str(spec) if spec is not None else None
            if spec is not None and row.values.get("family") is not None:
                row.values["parameters"] = spec_parameters(spec)
            row.values["mean_new_h"] = _mean(spec, order)
            row.values["retries_new"] = (row.values.get("retries_new")
                                         if "retries_new" in row.values
                                         else (failure.retries if failure else None))
            row.values["note"] = "; ".join(row.notes)
            rows.append(row.values)
            activities.append(new_act)
        phases.append(replace(phase, activities=tuple(activities)))
    new_bp = _revalidated(replace(bp, phases=tuple(phases)), bp)
    table = pd.DataFrame(rows).reindex(columns=list(TABLE_COLUMNS))
    for col in ("family", "gate", "time_base", "outcome", "parameters"):
        table[col] = table[col].astype("string")
    for col in ("trials", "events", "retries_old", "retries_new"):
        table[col] = table[col].astype("Int64")
    candidates = (pd.concat(fits, ignore_index=True) if fits else
                  pd.DataFrame(columns=["phase_id", "activity_id", "family", "parameters",
                                        "spec", "loglik", "aic", "ks_statistic", "ks_pvalue",
                                        "wasserstein_h", "chosen"]))
    return Calibration(
        blueprint=new_bp, original=bp, table=table, candidates=candidates,
        unmatched=view.unmatched,
        params={"min_samples": min_samples, "criterion": criterion,
                "families": tuple(families), "seed": seed, "ks_boot": ks_boot,
                "tail_limit": float(tail_limit), "truncate": truncate,
                "rows": len(frame), "source": frame.attrs.get("source")},
    )

