"""Fit duration distributions to observed durations, by maximum likelihood.

Four candidate families, each a :class:`~phasesim.distributions.DurationSpec` the blueprint
format can write: ``lognormal``, ``gamma``, ``weibull`` and ``pert``. The best is chosen by
AIC (``2 p - 2 log L``, p parameters) or by the Wasserstein distance between the sample and
the fitted distribution.

**Plain durations** (``order=(1, 1)``) are fitted with :mod:`scipy.stats`' own maximum
likelihood, location fixed at 0: ``lognorm.fit``, ``gamma.fit``, ``weibull_min.fit``.
PERT has no scipy family: it is a beta distribution on ``[min, max]`` whose two shapes
add up to 6 (``alpha = 1 + 4 (mode - min) / (max - min)``), so its three parameters are
fitted by maximising the likelihood of :func:`scipy.stats.beta` with
:func:`scipy.optimize.minimize` (Nelder-Mead), under ``0 <= min < smallest observation``
and ``max > largest observation``.

**Approval gates** (``order=(k, n)``): a gate opens at the ``k``-th of ``n`` independent
approver waits, so the observed gate time is the ``k``-th order statistic of ``n`` draws
of the wait ``W``. Its density is ``n! / ((k-1)! (n-k)!) F^(k-1) (1-F)^(n-k) f`` with
``F``, ``f`` the CDF and density of ``W``. The wait's parameters are found by maximising
*that* likelihood over the observed gate times (scipy's ``logpdf``, ``logcdf`` and
``logsf``, minimised with Nelder-Mead from the plain fit), so the fitted spec is the
per-approver wait that the simulator's ``k``-of-``n`` rule turns back into the observed
gate times. With ``k == n == 1`` it is the plain fit.

Fit quality is measured against the distribution that was observed (the gate time for an
approval): the Kolmogorov-Smirnov statistic and p-value (:func:`scipy.stats.kstest`;
the parameters were estimated from the same sample, so the p-value is too high -
``ks_boot`` gives a parametric-bootstrap p-value instead) and the Wasserstein distance
(:func:`scipy.stats.wasserstein_distance` between the sample and 2,000 evenly spaced
quantiles of the fitted distribution), in hours.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize, special, stats

from phasesim.distributions import (
    DurationSpec,
    Gamma,
    LogNormal,
    Pert,
    Weibull,
    scipy_distribution,
)
from phasesim.errors import PhasesimError

__all__ = [
    "CRITERIA",
    "FAMILIES",
    "DurationFit",
    "Fit",
    "fit_duration",
    "goodness_of_fit",
    "spec_parameters",
]

FloatArray = npt.NDArray[np.float64]

#: Candidate families, in the order they are tried and listed.
FAMILIES: tuple[str, ...] = ("lognormal", "gamma", "weibull", "pert")
#: Ways of choosing among the candidates.
CRITERIA: tuple[str, ...] = ("aic", "wasserstein")

#: Evenly spaced probabilities at which the fitted distribution is compared to a sample.
_GRID = (np.arange(2000) + 0.5) / 2000
_Z90 = float(special.ndtri(0.9))


@dataclass(frozen=True)
class Fit:
    """One family fitted to one sample.

    Attributes
    ----------
    family : str
        ``lognormal``, ``gamma``, ``weibull`` or ``pert``.
    spec : DurationSpec
        The fitted duration (for an approval gate: the wait of one approver).
    order : tuple of int
        ``(k, n)``: the sample is the ``k``-th smallest of ``n`` draws of ``spec``.
    n : int
        Sample size.
    loglik : float
        Maximised log-likelihood of the sample.
    n_params : int
        Free parameters (2, or 3 for PERT).
    aic : float
        ``2 n_params - 2 loglik``.
    ks_statistic, ks_pvalue : float
        Kolmogorov-Smirnov distance between the sample and the fitted distribution, and
        its p-value (asymptotic, or a parametric bootstrap with ``ks_boot``).
    wasserstein_h : float
        Wasserstein (earth mover's) distance between the sample and the fit, in hours.
    """

    family: str
    spec: DurationSpec
    order: tuple[int, int]
    n: int
    loglik: float
    n_params: int
    aic: float
    ks_statistic: float
    ks_pvalue: float
    wasserstein_h: float

    @property
    def parameters(self) -> str:
        """The fitted parameters as text, e.g. ``"median=4h, p90=12h"``."""
        return spec_parameters(self.spec)


@dataclass(frozen=True)
class DurationFit:
    """Every candidate fitted to one sample, and the one chosen.

    Attributes
    ----------
    best : Fit
        The candidate with the smallest ``aic`` (or ``wasserstein_h``).
    candidates : tuple of Fit
        Every family that could be fitted, in :data:`FAMILIES` order.
    criterion : str
        ``"aic"`` or ``"wasserstein"``.
    """

    best: Fit
    candidates: tuple[Fit, ...]
    criterion: str

    @property
    def spec(self) -> DurationSpec:
        """The chosen spec (``best.spec``)."""
        return self.best.spec

    def table(self) -> pd.DataFrame:
        """One row per candidate: family, parameters, spec (the
        :class:`~phasesim.distributions.DurationSpec` itself), log-likelihood, AIC, KS and
        Wasserstein distance, and whether it was chosen."""
        return pd.DataFrame(
            [
                {
                    "family": f.family,
                    "parameters": f.parameters,
                    "spec": f.spec,
                    "loglik": f.loglik,
                    "aic": f.aic,
                    "ks_statistic": f.ks_statistic,
                    "ks_pvalue": f.ks_pvalue,
                    "wasserstein_h": f.wasserstein_h,
                    "chosen": f is self.best,
                }
                for f in self.candidates
            ]
        )

    def __repr__(self) -> str:
        return (f"<DurationFit {self.best.family} by {self.criterion}: {self.best.spec} "
                f"(n={self.best.n})>")


# ---------------------------------------------------------------------------------------
# The families
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Family:
    """A candidate family: a scipy distribution and its parameters from unconstrained
    ``theta`` (and the sample, for PERT's bounds)."""

    name: str
    n_params: int
    dist: Any  # a scipy.stats rv_continuous
    args: Callable[[FloatArray, FloatArray], tuple[tuple[float, ...], float, float]]
    spec: Callable[[FloatArray, FloatArray], DurationSpec]  # (theta, sample) -> spec
    start: Callable[[FloatArray], FloatArray]  # sample -> theta of the plain MLE (or a guess)
    closed: bool  # start() is already the plain maximum-likelihood fit (scipy's fit)
    #: log CDF and log survival from scipy's logcdf/logsf (precise far into a long tail);
    #: else both from one cdf call (bounded PERT: scipy's beta logcdf/logsf are 5-8x slower)
    tails: bool = True
    #: ``(x, shapes, loc, scale) -> log density``, the same arithmetic as ``dist.logpdf``
    #: without scipy's argument handling (which costs 10x the evaluation on 1,000 values)
    logpdf: Callable[[FloatArray, tuple[float, ...], float, float], Any] | None = None

    def frozen(self, theta: FloatArray, x: FloatArray) -> Any:
        shapes, loc, scale = self.args(theta, x)
        return self.dist(*shapes, loc=loc, scale=scale)


def _scipy_fit(dist: Any, x: FloatArray) -> FloatArray:
    shape, _, scale = dist.fit(x, floc=0)
    return np.log([float(shape), float(scale)])


def _pert_bounds(theta: FloatArray, x: FloatArray) -> tuple[float, float, float]:
    """(min, mode, max) of a PERT from unconstrained ``theta`` and the sample's range."""
    lo_x, hi_x = float(x.min()), float(x.max())
    width = hi_x - lo_x
    low = lo_x * float(special.expit(theta[0]))  # in [0, smallest observation)
    high = hi_x + width * math.exp(float(theta[2]))  # above the largest observation
    mode = low + (high - low) * float(special.expit(theta[1]))
    return low, mode, high


def _pert_args(theta: FloatArray, x: FloatArray) -> tuple[tuple[float, ...], float, float]:
    low, mode, high = _pert_bounds(theta, x)
    alpha = 1.0 + 4.0 * (mode - low) / (high - low)
    return (alpha, 6.0 - alpha), low, high - low


def _pert_start(x: FloatArray) -> FloatArray:
    lo_x, hi_x = float(x.min()), float(x.max())
    width = hi_x - lo_x
    low = max(lo_x - 0.1 * width, 0.5 * lo_x)
    high = hi_x + 0.1 * width
    mode = float(np.clip((6.0 * x.mean() - low - high) / 4.0, low + 0.01 * (high - low),
                         high - 0.01 * (high - low)))
    return np.array([
        special.logit(low / lo_x),
        special.logit((mode - low) / (high - low)),
        math.log(0.1),
    ])


def _beta_logpdf(x: FloatArray, shapes: tuple[float, ...], loc: float,
                 scale: float) -> Any:
    """``scipy.stats.beta.logpdf(x, a, b, loc, scale)``, element for element the same
    numbers (the same operations in the same order as scipy's ``beta._logpdf`` and
    ``rv_continuous.logpdf``): ``-inf`` outside ``[loc, loc + scale]``, NaN for
    invalid shapes or scale."""
    a, b = shapes
    if not (a > 0 and b > 0 and scale > 0):
        return np.full(np.shape(x), np.nan)
    z = np.asarray((x - loc) / scale, dtype=np.float64)
    if np.isnan(z).any():
        return np.full(z.shape, np.nan)
    inside = (z >= 0.0) & (z <= 1.0)
    if not inside.all():
        return np.full(z.shape, -np.inf)
    out = special.xlog1py(b - 1.0, -z) + special.xlogy(a - 1.0, z)
    out -= special.betaln(a, b)
    return out - np.log(np.full(z.shape, scale))  # as scipy: scale broadcast to x


def _two(theta: FloatArray, x: FloatArray) -> tuple[tuple[float, ...], float, float]:
    return (math.exp(theta[0]),), 0.0, math.exp(theta[1])


_FAMILIES: dict[str, _Family] = {
    "lognormal": _Family(
        "lognormal", 2, stats.lognorm, _two,
        lambda t, x: LogNormal(math.exp(t[1]), math.exp(t[1] + math.exp(t[0]) * _Z90)),
        lambda x: _scipy_fit(stats.lognorm, x), True),
    "gamma": _Family(
        "gamma", 2, stats.gamma, _two,
        lambda t, x: Gamma(math.exp(t[0] + t[1]), math.exp(0.5 * t[0] + t[1])),
        lambda x: _scipy_fit(stats.gamma, x), True),
    "weibull": _Family(
        "weibull", 2, stats.weibull_min, _two,
        lambda t, x: Weibull(math.exp(t[0]), math.exp(t[1])),
        lambda x: _scipy_fit(stats.weibull_min, x), True),
    "pert": _Family(
        "pert", 3, stats.beta, _pert_args,
        lambda t, x: Pert(*(v if v > 1e-9 else 0.0 for v in _pert_bounds(t, x))),
        _pert_start, False, tails=False, logpdf=_beta_logpdf),
}


# ---------------------------------------------------------------------------------------
# Likelihood of the k-th of n
# ---------------------------------------------------------------------------------------


def _order_loglik(family: _Family, theta: FloatArray, x: FloatArray,
                  order: tuple[int, int]) -> float:
    """Log-likelihood of ``x`` as the k-th smallest of n draws of the family at ``theta``.

    Calls the scipy distribution's methods with the parameters rather than freezing it:
    freezing costs more than the evaluation, and the optimiser evaluates hundreds of times.
    """
    k, n = order
    shapes, loc, scale = family.args(theta, x)
    dist = family.dist
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        density = (family.logpdf(x, shapes, loc, scale) if family.logpdf is not None
                   else dist.logpdf(x, *shapes, loc=loc, scale=scale))
        total = np.sum(density)
        if order != (1, 1) and family.tails:
            if k > 1:
                total += (k - 1) * np.sum(dist.logcdf(x, *shapes, loc=loc, scale=scale))
            if n > k:
                total += (n - k) * np.sum(dist.logsf(x, *shapes, loc=loc, scale=scale))
        elif order != (1, 1):
            cdf = dist.cdf(x, *shapes, loc=loc, scale=scale)
            # as above, a power of 0 adds nothing (not 0 * log 0 = NaN where F is 0 or 1)
            if k > 1:
                total += (k - 1) * np.sum(np.log(cdf))
            if n > k:
                total += (n - k) * np.sum(np.log1p(-cdf))
    constant = special.gammaln(n + 1) - special.gammaln(k) - special.gammaln(n - k + 1)
    value = float(total + len(x) * constant)
    return value if math.isfinite(value) else -math.inf


def _minimize(family: _Family, theta: FloatArray, x: FloatArray,
              order: tuple[int, int]) -> FloatArray:
    def objective(t: FloatArray) -> float:
        try:
            value = -_order_loglik(family, t, x, order)
        except (ValueError, OverflowError, ZeroDivisionError):
            return 1e300
        return value if math.isfinite(value) else 1e300

    # parameters are logs and logits: 1e-4 is a relative change of 0.01%; the
    # log-likelihood to 1e-6 is far finer than any AIC difference that matters
    options = {"xatol": 1e-4, "fatol": 1e-6, "maxiter": 3000, "maxfev": 6000}
    best = optimize.minimize(objective, theta, method="Nelder-Mead", options=options)
    if not best.success:  # out of evaluations: go on from there with a fresh simplex
        again = optimize.minimize(objective, best.x, method="Nelder-Mead", options=options)
        best = again if again.fun <= best.fun else best
    return np.asarray(best.x, dtype=np.float64)


def _fit_family(family: _Family, x: FloatArray, order: tuple[int, int]) -> FloatArray:
    """Unconstrained parameters maximising the k-of-n likelihood of ``x``."""
    start = family.start(x)
    theta = start if family.closed else _minimize(family, start, x, (1, 1))
    if order == (1, 1):
        return theta
    if not family.closed and not math.isfinite(_order_loglik(family, theta, x, order)):
        # the plain fit can put a bound exactly on an observation (expit rounds to 1):
        # there the k-of-n likelihood is 0 on the whole first simplex and Nelder-Mead
        # cannot move, so start from the family's own start, inside the data's range
        theta = start
    return _minimize(family, theta, x, order)


# ---------------------------------------------------------------------------------------
# Goodness of fit
# ---------------------------------------------------------------------------------------


def _order_cdf(rv: Any, order: tuple[int, int]) -> Callable[[FloatArray], FloatArray]:
    k, n = order
    if order == (1, 1):
        return rv.cdf
    return lambda x: special.betainc(k, n - k + 1, rv.cdf(x))


def _order_quantiles(rv: Any, order: tuple[int, int], q: FloatArray) -> FloatArray:
    k, n = order
    p = q if order == (1, 1) else special.betaincinv(k, n - k + 1, q)
    return np.asarray(rv.ppf(p), dtype=np.float64)


def goodness_of_fit(spec: DurationSpec, samples: Sequence[float] | FloatArray,
                    order: tuple[int, int] = (1, 1)) -> tuple[float, float, float]:
    """KS statistic, KS p-value and Wasserstein distance (hours) of a continuous spec.

    Parameters
    ----------
    spec : DurationSpec
        A continuous spec (one with a :func:`~phasesim.distributions.scipy_distribution`).
    samples : array_like of float
        Observed durations in hours.
    order : tuple of int
        ``(k, n)``: compare the sample to the ``k``-th smallest of ``n`` draws of ``spec``.

    Returns
    -------
    tuple of float
        ``(ks_statistic, ks_pvalue, wasserstein_h)``; the p-value is the asymptotic one of
        :func:`scipy.stats.kstest` (too high when ``spec`` was fitted to ``samples``).

    Examples
    --------
    >>> from phasesim.distributions import Uniform
    >>> ks, p, w = goodness_of_fit(Uniform(0.0, 1.0), [0.25, 0.75])
    >>> round(ks, 3), round(w, 3)
    (0.25, 0.125)
    """
    x = np.asarray(samples, dtype=np.float64)
    rv = scipy_distribution(spec)
    test = stats.kstest(x, _order_cdf(rv, order))
    distance = stats.wasserstein_distance(x, _order_quantiles(rv, order, _GRID))
    return float(test.statistic), float(test.pvalue), float(distance)


def _bootstrap_pvalue(family: _Family, spec: DurationSpec, statistic: float, n: int,
                      order: tuple[int, int], n_boot: int, rng: np.random.Generator) -> float:
    """Parametric bootstrap p-value of the KS statistic, refitting on every resample."""
    k, m = order
    exceed = 0
    done = 0
    for _ in range(n_boot):
        draws = np.sort(spec.sample(rng, n * m).reshape(n, m), axis=1)[:, k - 1]
        draws = draws[draws > 0]
        if len(draws) < 3 or np.ptp(draws) <= 0:
            continue
        theta = _fit_family(family, draws, order)
        rv = family.frozen(theta, draws)
        value = float(stats.kstest(draws, _order_cdf(rv, order)).statistic)
        exceed += value >= statistic
        done += 1
    return (exceed + 1) / (done + 1)


# ---------------------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------------------


def _check_sample(samples: Sequence[float] | FloatArray) -> FloatArray:
    try:
        x = np.asarray(samples, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise PhasesimError(
            f"durations to fit must be numbers of hours, found {samples!r}") from None
    bad = ~np.isfinite(x) | (x <= 0)
    if bad.any():
        raise PhasesimError(
            f"durations to fit must be finite and greater than 0 hours, found "
            f"{x[bad][:5].tolist()} (leave zero durations out, or keep the spec)")
    if len(x) < 3 or np.ptp(x) <= 1e-12 * float(x.max()):
        raise PhasesimError(
            f"fitting needs at least 3 durations that are not all equal, found {len(x)} "
            f"({sorted(set(x.tolist()))[:5]})")
    return x


def _check_order(order: tuple[int, int]) -> tuple[int, int]:
    try:
        k, n = (int(v) for v in order)
    except (TypeError, ValueError):
        raise PhasesimError(f"order must be (k, n), found {order!r}") from None
    if not 1 <= k <= n:
        raise PhasesimError(f"order (k, n) needs 1 <= k <= n, found {order!r}")
    return k, n


def fit_duration(
    samples: Sequence[float] | FloatArray,
    *,
    families: Sequence[str] = FAMILIES,
    criterion: str = "aic",
    order: tuple[int, int] = (1, 1),
    ks_boot: int = 0,
    seed: int | np.random.Generator | None = 0,
) -> DurationFit:
    """Fit candidate families to durations and choose one.

    Parameters
    ----------
    samples : array_like of float
        Observed durations in hours, each ``> 0``; at least 3, not all equal.
    families : sequence of str
        Candidates among :data:`FAMILIES` (``lognormal``, ``gamma``, ``weibull``,
        ``pert``).
    criterion : {"aic", "wasserstein"}
        Choose the smallest AIC, or the smallest Wasserstein distance to the sample.
    order : tuple of int
        ``(k, n)``: each observation is the ``k``-th smallest of ``n`` independent draws
        (an approval gate that opens at the ``k``-th of ``n`` approvals); the fitted spec
        is the distribution of one draw. ``(1, 1)`` for plain durations.
    ks_boot : int
        With ``ks_boot > 0``, the chosen fit's KS p-value is a parametric bootstrap with
        this many resamples, each refitted (the asymptotic p-value ignores that the
        parameters were estimated from the sample).
    seed : int, Generator or None
        Randomness of the bootstrap.

    Returns
    -------
    DurationFit

    Raises
    ------
    PhasesimError
        For durations that are not positive numbers, fewer than 3 or all equal, an
        unknown family or criterion, an order that is not ``1 <= k <= n``, or when no
        family can be fitted.

    Examples
    --------
    >>> import numpy as np
    >>> from phasesim.distributions import LogNormal
    >>> x = LogNormal(median=4.0, p90=12.0).sample(np.random.default_rng(1), 2000)
    >>> fit = fit_duration(x)
    >>> fit.best.family, round(fit.spec.median, 1), round(fit.spec.p90, 1)
    ('lognormal', 4.0, 11.9)
    """
    x = _check_sample(samples)
    order = _check_order(order)
    unknown = [f for f in families if f not in _FAMILIES]
    if unknown or not families:
        raise PhasesimError(f"unknown families {unknown}; use some of {', '.join(FAMILIES)}")
    if criterion not in CRITERIA:
        raise PhasesimError(
            f"criterion must be one of {', '.join(CRITERIA)}, found {criterion!r}")
    fits: list[Fit] = []
    failures: list[str] = []
    for name in FAMILIES:
        if name not in families:
            continue
        family = _FAMILIES[name]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                theta = _fit_family(family, x, order)
                loglik = _order_loglik(family, theta, x, order)
                spec = family.spec(theta, x)
                ks, pvalue, distance = goodness_of_fit(spec, x, order)
        except (ValueError, OverflowError, ZeroDivisionError, FloatingPointError) as exc:
            failures.append(f"{name}: {exc}")
            continue
        if not math.isfinite(loglik):
            failures.append(f"{name}: the likelihood is 0 at the best parameters found")
            continue
        fits.append(Fit(name, spec, order, len(x), loglik, family.n_params,
                        2.0 * family.n_params - 2.0 * loglik, ks, pvalue, distance))
    if not fits:
        raise PhasesimError("no family could be fitted: " + "; ".join(failures))
    key = (lambda f: f.aic) if criterion == "aic" else (lambda f: f.wasserstein_h)
    best = min(fits, key=key)
    if ks_boot > 0:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            pvalue = _bootstrap_pvalue(_FAMILIES[best.family], best.spec, best.ks_statistic,
                                       len(x), order, ks_boot, rng)
        chosen = Fit(best.family, best.spec, order, best.n, best.loglik, best.n_params,
                     best.aic, best.ks_statistic, pvalue, best.wasserstein_h)
        fits = [chosen if f is best else f for f in fits]
        best = chosen
    return DurationFit(best, tuple(fits), criterion)


def spec_parameters(spec: DurationSpec) -> str:
    """``name=value`` pairs of a spec's YAML form, e.g. ``"median=4h, p90=12h"``.

    Examples
    --------
    >>> spec_parameters(LogNormal(median=4.0, p90=12.0))
    'median=4h, p90=12h'
    """
    from phasesim.distributions import Truncated

    if isinstance(spec, Truncated):
        return f"{spec_parameters(spec.base)}, max={spec.to_data()['max']}"
    data = spec.to_data()
    if not isinstance(data, dict):
        return f"hours={data}"
    ((_, values),) = data.items()
    if isinstance(values, dict):
        return ", ".join(f"{k}={v}" for k, v in values.items())
    if spec.kind == "empirical":
        return f"{len(values)} samples"
    return ", ".join(f"{k}={v}" for k, v in zip(spec.params, values, strict=True))
