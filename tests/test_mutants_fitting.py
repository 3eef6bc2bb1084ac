"""Fast tests of ``phasesim.calibration.fitting`` on small samples (issue 15, mutation testing).

Every expected value is worked out independently of the code under test: closed-form
maximum-likelihood estimates (log-normal: mean and ``ddof=0`` standard deviation of
``log x``; gamma: the sample mean and the root of ``log a - digamma(a) = log mean -
mean log``; Weibull: the root of its profile equation), the density of the ``k``-th of
``n`` draws written out as ``n! / ((k-1)! (n-k)!) F^(k-1) (1-F)^(n-k) f`` with scipy's
distributions, order statistics with a known law (the ``k``-th of ``n`` uniforms is
``Beta(k, n-k+1)``; the smallest of ``n`` exponentials of mean ``m`` is exponential of
mean ``m / n``; the smallest of ``n`` Weibull draws is Weibull with the scale divided by
``n ** (1 / shape)``), and bootstrap p-values replayed from the same seed with scipy
directly. The objects under test are built inside each test (mutmut maps a test to the
functions it calls while it runs).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import optimize, special, stats

from phasesim.calibration import fitting
from phasesim.calibration.fitting import (
    CRITERIA,
    FAMILIES,
    DurationFit,
    Fit,
    fit_duration,
    goodness_of_fit,
    spec_parameters,
)
from phasesim.distributions import (
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    LogNormal,
    Pert,
    Truncated,
    Uniform,
    Weibull,
)
from phasesim.errors import PhasesimError

Z90 = stats.norm.ppf(0.9)
SAMPLE = [1.0, 2.0, 4.0, 8.0, 3.0, 5.0, 2.5]


def order_loglik(rv: Any, x: np.ndarray, k: int, n: int) -> float:
    """Log-likelihood of x as the k-th smallest of n draws of the frozen scipy ``rv``."""
    coef = math.factorial(n) / (math.factorial(k - 1) * math.factorial(n - k))
    dens = coef * rv.cdf(x) ** (k - 1) * rv.sf(x) ** (n - k) * rv.pdf(x)
    return float(np.sum(np.log(dens)))


# ---------------------------------------------------------------------------------------
# Parameters as text, the result objects
# ---------------------------------------------------------------------------------------


def test_spec_parameters_of_every_yaml_form() -> None:
    assert spec_parameters(LogNormal(4.0, 12.0)) == "median=4h, p90=12h"
    assert spec_parameters(Weibull(1.5, 4.0)) == "shape=1.5, scale=4h"
    assert spec_parameters(Pert(1.0, 2.0, 6.0)) == "min=1h, mode=2h, max=6h"
    assert spec_parameters(Uniform(1.0, 2.0)) == "min=1h, max=2h"
    assert spec_parameters(Fixed(0.75)) == "hours=45m"
    assert spec_parameters(Empirical((1.0, 2.0, 3.0))) == "3 samples"
    assert spec_parameters(Truncated(LogNormal(4.0, 12.0), 48.0)) == \
        "median=4h, p90=12h, max=2d"
    assert spec_parameters(Truncated(Pert(1.0, 2.0, 6.0), 5.0)) == \
        "min=1h, mode=2h, max=6h, max=5h"


def test_fit_parameters_table_and_repr() -> None:
    x = np.array(SAMPLE)
    fit = fit_duration(x, families=["gamma", "lognormal"])
    assert isinstance(fit, DurationFit)
    assert fit.spec is fit.best.spec
    assert fit.best.parameters == spec_parameters(fit.best.spec)
    assert [f.family for f in fit.candidates] == ["lognormal", "gamma"]  # FAMILIES order
    table = fit.table()
    assert list(table.columns) == ["family", "parameters", "spec", "loglik", "aic",
                                   "ks_statistic", "ks_pvalue", "wasserstein_h", "chosen"]
    for row, f in zip(table.itertuples(index=False), fit.candidates, strict=True):
        assert row.family == f.family
        assert row.parameters == f.parameters
        assert row.spec is f.spec
        assert (row.loglik, row.aic, row.ks_statistic, row.ks_pvalue, row.wasserstein_h) \
            == (f.loglik, f.aic, f.ks_statistic, f.ks_pvalue, f.wasserstein_h)
        assert row.chosen == (f is fit.best)
    assert table["chosen"].sum() == 1
    assert repr(fit) == (f"<DurationFit {fit.best.family} by aic: {fit.best.spec} (n=7)>")
    assert FAMILIES == ("lognormal", "gamma", "weibull", "pert")
    assert CRITERIA == ("aic", "wasserstein")


# ---------------------------------------------------------------------------------------
# Plain maximum likelihood: closed forms
# ---------------------------------------------------------------------------------------


def test_lognormal_mle_is_the_mean_and_sd_of_the_logs() -> None:
    x = np.array(SAMPLE)
    fit = fit_duration(x, families=["lognormal"])
    best = fit.best
    logs = np.log(x)
    mu, sigma = logs.mean(), logs.std(ddof=0)
    assert isinstance(best.spec, LogNormal)
    assert_allclose(best.spec.median, math.exp(mu), rtol=1e-9)
    assert_allclose(best.spec.p90, math.exp(mu + sigma * Z90), rtol=1e-9)
    n = len(x)
    loglik = -logs.sum() - n * math.log(sigma) - n / 2 * math.log(2 * math.pi) - n / 2
    assert_allclose(best.loglik, loglik, rtol=1e-10)
    assert best.n_params == 2 and best.n == 7 and best.order == (1, 1)
    assert_allclose(best.aic, 4.0 - 2.0 * loglik, rtol=1e-10)
    assert best.family == "lognormal" and fit.criterion == "aic"
    # the fit quality is that of the sample against the fitted log-normal
    rv = stats.lognorm(sigma, scale=math.exp(mu))
    ks = stats.kstest(x, rv.cdf)
    assert_allclose([best.ks_statistic, best.ks_pvalue], [ks.statistic, ks.pvalue],
                    rtol=1e-8)
    grid = (np.arange(2000) + 0.5) / 2000
    assert_allclose(best.wasserstein_h, stats.wasserstein_distance(x, rv.ppf(grid)),
                    rtol=1e-8)


def test_gamma_mle_has_the_sample_mean_and_the_digamma_root_shape() -> None:
    x = np.array(SAMPLE)
    best = fit_duration(x, families=["gamma"]).best
    logs = np.log(x)
    a = optimize.brentq(lambda a: math.log(a) - special.digamma(a)
                        - (math.log(x.mean()) - logs.mean()), 1e-3, 1e3, xtol=1e-14)
    assert isinstance(best.spec, Gamma)
    assert_allclose(best.spec.mean_h, x.mean(), rtol=1e-9)
    assert_allclose(best.spec.sd_h, x.mean() / math.sqrt(a), rtol=1e-8)
    loglik = float(np.sum(stats.gamma.logpdf(x, a, scale=x.mean() / a)))
    assert_allclose(best.loglik, loglik, rtol=1e-10)
    assert_allclose(best.aic, 4.0 - 2.0 * loglik, rtol=1e-10)


def test_weibull_mle_solves_its_profile_equation() -> None:
    x = np.array(SAMPLE)
    best = fit_duration(x, families=["weibull"]).best
    logs = np.log(x)
    c = optimize.brentq(lambda c: np.sum(x**c * logs) / np.sum(x**c) - 1 / c - logs.mean(),
                        0.1, 20.0, xtol=1e-14)
    scale = float(np.mean(x**c) ** (1 / c))
    assert isinstance(best.spec, Weibull)
    assert_allclose([best.spec.shape, best.spec.scale_h], [c, scale], rtol=2e-5)
    loglik = float(np.sum(stats.weibull_min.logpdf(x, c, scale=scale)))
    assert_allclose(best.loglik, loglik, rtol=1e-9)


def pert_loglik(low: float, mode: float, high: float, x: np.ndarray, k: int = 1,
                n: int = 1) -> float:
    alpha = 1 + 4 * (mode - low) / (high - low)
    return order_loglik(stats.beta(alpha, 6 - alpha, loc=low, scale=high - low), x, k, n)




# ---------------------------------------------------------------------------------------
# The k-th of n: likelihood and fit
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("order", [(1, 1), (2, 3), (1, 3), (3, 3), (2, 5)])
def test_order_loglik_is_the_density_of_the_kth_of_n(order: tuple[int, int]) -> None:
    x = np.array(SAMPLE)
    k, n = order
    theta = np.array([math.log(0.7), math.log(3.0)])
    fam = fitting._FAMILIES
    assert_allclose(fitting._order_loglik(fam["lognormal"], theta, x, order),
                    order_loglik(stats.lognorm(0.7, scale=3.0), x, k, n), rtol=1e-10)
    assert_allclose(fitting._order_loglik(fam["gamma"], theta, x, order),
                    order_loglik(stats.gamma(0.7, scale=3.0), x, k, n), rtol=1e-10)
    assert_allclose(fitting._order_loglik(fam["weibull"], theta, x, order),
                    order_loglik(stats.weibull_min(0.7, scale=3.0), x, k, n), rtol=1e-10)
    # PERT: theta = (logit low/min, logit of the mode's place, log of the room above max)
    pert = np.array([special.logit(0.5), special.logit(0.25), math.log(0.5)])
    low, high = 0.5, 8.0 + 7.0 * 0.5
    mode = low + (high - low) * 0.25
    assert_allclose(fitting._order_loglik(fam["pert"], pert, x, order),
                    pert_loglik(low, mode, high, x, k, n), rtol=1e-10)




def test_min_of_n_weibull_fit_is_the_plain_fit_with_a_larger_scale() -> None:
    """The smallest of n Weibull(c, s) draws is Weibull(c, s / n^(1/c)): fitting the sample
    as the 1st of 3 gives the plain fit's shape and its scale times 3^(1/c)."""
    x = np.array(SAMPLE)
    plain = fit_duration(x, families=["weibull"]).best
    gate = fit_duration(x, families=["weibull"], order=(1, 3)).best
    assert isinstance(plain.spec, Weibull) and isinstance(gate.spec, Weibull)
    c = plain.spec.shape
    assert_allclose(gate.spec.shape, c, rtol=1e-3)
    assert_allclose(gate.spec.scale_h, plain.spec.scale_h * 3 ** (1 / c), rtol=1e-3)
    assert_allclose(gate.loglik, plain.loglik, rtol=1e-7)
    assert gate.order == (1, 3)
    # the fit quality is measured against the gate time (the 1st of 3), the plain fit's law
    assert_allclose(gate.ks_statistic, plain.ks_statistic, rtol=1e-3)
    assert_allclose(gate.wasserstein_h, plain.wasserstein_h, rtol=1e-2)


@pytest.mark.parametrize("family", ["lognormal", "gamma", "pert"])
def test_order_fit_is_a_maximum_of_the_kth_of_n_likelihood(family: str) -> None:
    x = np.array(SAMPLE)
    best = fit_duration(x, families=[family], order=(2, 3)).best
    spec = best.spec
    if isinstance(spec, LogNormal):
        params = [spec.median, spec.p90]

        def rv(p: np.ndarray) -> Any:
            return stats.lognorm(math.log(p[1] / p[0]) / Z90, scale=p[0])
    elif isinstance(spec, Gamma):
        params = [spec.mean_h, spec.sd_h]

        def rv(p: np.ndarray) -> Any:
            return stats.gamma((p[0] / p[1]) ** 2, scale=p[1] ** 2 / p[0])
    else:
        assert isinstance(spec, Pert)
        params = [spec.low, spec.mode, spec.high]

        def rv(p: np.ndarray) -> Any:
            alpha = 1 + 4 * (p[1] - p[0]) / (p[2] - p[0])
            return stats.beta(alpha, 6 - alpha, loc=p[0], scale=p[2] - p[0])
    loglik = order_loglik(rv(np.array(params)), x, 2, 3)
    assert_allclose(best.loglik, loglik, rtol=1e-9)
    # better than the plain fit, whose likelihood as the 2nd of 3 is lower
    plain = fit_duration(x, families=[family]).best.spec
    plain_params = ([plain.median, plain.p90] if isinstance(plain, LogNormal) else
                    [plain.mean_h, plain.sd_h] if isinstance(plain, Gamma) else
                    [plain.low, plain.mode, plain.high])
    assert order_loglik(rv(np.array(plain_params)), x, 2, 3) < loglik - 0.1
    for i in range(len(params)):
        for factor in (0.995, 1.005):
            p = np.array(params, dtype=float)
            p[i] *= factor
            if p[i] == params[i]:  # a bound at 0 (PERT's low) does not move
                continue
            if isinstance(spec, Pert) and not (0 <= p[0] < x.min() and p[2] > x.max()):
                continue
            if not isinstance(spec, Pert) and isinstance(spec, LogNormal) and p[1] <= p[0]:
                continue
            assert order_loglik(rv(p), x, 2, 3) < loglik
    # fit quality against the 2nd of 3 draws of the fitted wait: Beta(2, 2) of its CDF
    frozen = rv(np.array(params))
    ks = stats.kstest(x, lambda v: stats.beta(2, 2).cdf(frozen.cdf(v)))
    assert_allclose(best.ks_statistic, ks.statistic, rtol=1e-7)
    assert_allclose(best.ks_pvalue, ks.pvalue, rtol=1e-6)


def test_fit_family_and_minimize_start_from_the_plain_fit() -> None:
    x = np.array(SAMPLE)
    lognormal = fitting._FAMILIES["lognormal"]
    theta = fitting._fit_family(lognormal, x, (1, 1))
    assert_allclose(theta, [math.log(np.log(x).std()), np.log(x).mean()], rtol=1e-9)
    pert = fitting._FAMILIES["pert"]
    start = fitting._pert_start(x)
    fitted = fitting._fit_family(pert, x, (1, 1))
    assert fitting._order_loglik(pert, fitted, x, (1, 1)) > \
        fitting._order_loglik(pert, start, x, (1, 1)) + 0.1
    # a maximum to the optimiser's tolerance: no coordinate step of 1e-3 improves it
    best = fitting._order_loglik(pert, fitted, x, (1, 1))
    for d in np.eye(3):
        for sign in (-1, 1):
            assert fitting._order_loglik(pert, fitted + sign * 1e-3 * d, x, (1, 1)) \
                <= best + 1e-6


def test_minimize_treats_errors_and_infinities_as_very_bad() -> None:
    x = np.array(SAMPLE)
    calls: list[np.ndarray] = []

    def logpdf(v: np.ndarray, shapes: tuple[float, ...], loc: float, scale: float) -> Any:
        calls.append(np.array([shapes[0], scale]))
        if shapes[0] > 2.0:
            raise ValueError("out of range")
        if scale > 4.0:
            return np.full(v.shape, -np.inf)
        return stats.lognorm.logpdf(v, *shapes, loc=loc, scale=scale)

    fam = fitting._Family("guarded", 2, stats.lognorm, fitting._two,
                          lambda t, x: Fixed(1.0), lambda x: np.zeros(2), True,
                          logpdf=logpdf)
    theta = fitting._minimize(fam, np.array([math.log(1.5), math.log(3.5)]), x, (1, 1))
    shape, scale = math.exp(theta[0]), math.exp(theta[1])
    # the unconstrained optimum (shape 0.69, scale 3.1) is inside the allowed region
    logs = np.log(x)
    assert_allclose([shape, scale], [logs.std(), math.exp(logs.mean())], rtol=1e-3)
    assert len(calls) > 10


# ---------------------------------------------------------------------------------------
# Goodness of fit
# ---------------------------------------------------------------------------------------


def test_goodness_of_fit_of_a_plain_spec() -> None:
    ks, p, w = goodness_of_fit(Uniform(0.0, 1.0), [0.25, 0.75])
    assert_allclose([ks, w], [0.25, 0.125], rtol=1e-12)
    assert_allclose(p, stats.kstest([0.25, 0.75], "uniform").pvalue, rtol=1e-12)
    # the fitted quantiles are 2,000 evenly spaced midpoints: their mean is exactly 1/2
    _, _, w0 = goodness_of_fit(Uniform(0.0, 1.0), [0.0, 0.0])
    assert_allclose(w0, 0.5, rtol=1e-12)
    assert all(isinstance(v, float) for v in (ks, p, w))


def test_goodness_of_fit_of_the_kth_of_n_uniforms_is_against_a_beta() -> None:
    x = np.array([0.2, 0.35, 0.5, 0.55, 0.9])
    grid = (np.arange(2000) + 0.5) / 2000
    for k, n in [(2, 3), (1, 2), (3, 4)]:
        ks, p, w = goodness_of_fit(Uniform(0.0, 1.0), x, (k, n))
        ref = stats.beta(k, n - k + 1)
        test = stats.kstest(x, ref.cdf)
        assert_allclose([ks, p], [test.statistic, test.pvalue], rtol=1e-9)
        assert_allclose(w, stats.wasserstein_distance(x, ref.ppf(grid)), rtol=1e-9)


def test_goodness_of_fit_of_the_smallest_of_n_exponentials() -> None:
    x = np.array([0.1, 0.3, 0.4, 1.2, 2.0, 0.05])
    ks, p, w = goodness_of_fit(Exponential(3.0), x, (1, 3))
    ref = stats.expon(scale=1.0)  # the smallest of 3 of mean 3 has mean 1
    test = stats.kstest(x, ref.cdf)
    assert_allclose([ks, p], [test.statistic, test.pvalue], rtol=1e-9)
    grid = (np.arange(2000) + 0.5) / 2000
    assert_allclose(w, stats.wasserstein_distance(x, ref.ppf(grid)), rtol=1e-9)


# ---------------------------------------------------------------------------------------
# The bootstrap p-value
# ---------------------------------------------------------------------------------------


def spy_family(record: list[np.ndarray]) -> Any:
    """A family whose fitted CDF is 0 on every sample (a uniform far to the right), so
    every resample's KS statistic is exactly 1; it records the resamples it is fitted to."""

    def start(x: np.ndarray) -> np.ndarray:
        record.append(np.array(x))
        return np.zeros(2)

    return fitting._Family("spy", 2, stats.uniform, lambda t, x: ((), 1e9, 1.0),
                           lambda t, x: Fixed(1.0), start, True)


def test_bootstrap_resamples_are_the_kth_of_n_draws_of_the_spec() -> None:
    record: list[np.ndarray] = []
    spec = LogNormal(2.0, 5.0)
    p = fitting._bootstrap_pvalue(spy_family(record), spec, 1.0, 6, (2, 3), 4,
                                  np.random.default_rng(5))
    assert p == 1.0  # every statistic (1.0) is >= the observed one (1.0): (4 + 1) / (4 + 1)
    rng = np.random.default_rng(5)
    assert len(record) == 4
    for got in record:
        draws = spec.sample(rng, 18).reshape(6, 3)
        assert_array_equal(got, np.sort(draws, axis=1)[:, 1])
    record.clear()
    p = fitting._bootstrap_pvalue(spy_family(record), spec, 1.0 + 1e-12, 6, (1, 1), 4,
                                  np.random.default_rng(5))
    assert p == 1 / 5  # none is as large: (0 + 1) / (4 + 1)
    rng = np.random.default_rng(5)
    for got in record:
        assert_array_equal(got, spec.sample(rng, 6))


def test_bootstrap_skips_resamples_it_cannot_fit() -> None:
    record: list[np.ndarray] = []
    # zeros are left out; a resample with fewer than 3 positive values, or all equal, is
    # skipped and not counted
    spec = Empirical((0.0, 1.0, 2.0))
    p = fitting._bootstrap_pvalue(spy_family(record), spec, 2.0, 4, (1, 1), 30,
                                  np.random.default_rng(8))
    rng = np.random.default_rng(8)
    expected = []
    for _ in range(30):
        draws = spec.sample(rng, 4)
        draws = draws[draws > 0]
        if len(draws) >= 3 and np.ptp(draws) > 0:
            expected.append(draws)
    assert 0 < len(expected) < 30
    assert len(record) == len(expected)
    for got, want in zip(record, expected, strict=True):
        assert_array_equal(got, want)
    assert p == 1 / (len(expected) + 1)
    # all equal: nothing is fitted, the p-value is (0 + 1) / (0 + 1)
    record.clear()
    assert fitting._bootstrap_pvalue(spy_family(record), Empirical((1.5,)), 0.5, 5, (1, 1),
                                     3, np.random.default_rng(0)) == 1.0
    assert record == []
    # exactly 3 positive values are enough
    record.clear()
    fitting._bootstrap_pvalue(spy_family(record), Empirical((1.0, 2.0)), 0.5, 3, (1, 1),
                              20, np.random.default_rng(1))
    assert record and all(len(r) == 3 for r in record)


def test_bootstrap_refits_each_resample() -> None:
    """The bootstrapped KS p-value of a log-normal fit, replayed with scipy."""
    x = LogNormal(2.0, 5.0).sample(np.random.default_rng(4), 12)
    fit = fit_duration(x, families=["lognormal", "gamma"], ks_boot=9, seed=3)
    plain = fit_duration(x, families=["lognormal", "gamma"])
    best = fit.best
    assert best.family == plain.best.family == "lognormal"
    rng = np.random.default_rng(3)
    exceed = 0
    for _ in range(9):
        d = best.spec.sample(rng, 12)
        s, _, scale = stats.lognorm.fit(d, floc=0)
        exceed += stats.kstest(d, stats.lognorm(s, scale=scale).cdf).statistic \
            >= best.ks_statistic
    assert best.ks_pvalue == (exceed + 1) / 10
    assert best.ks_pvalue != plain.best.ks_pvalue
    # everything else is the plain fit's; the other candidate keeps its asymptotic p-value
    for name in ("family", "spec", "order", "n", "loglik", "n_params", "aic",
                 "ks_statistic", "wasserstein_h"):
        assert getattr(best, name) == getattr(plain.best, name), name
    assert fit.candidates[0] is best
    assert fit.candidates[1] == plain.candidates[1]
    assert fit.table()["chosen"].tolist() == [True, False]
    assert fit.table()["ks_pvalue"].iloc[0] == best.ks_pvalue
    assert fit.criterion == "aic"
    # a Generator is used as it is; the default seed is 0
    same = fit_duration(x, families=["lognormal", "gamma"], ks_boot=9,
                        seed=np.random.default_rng(3))
    assert same.best.ks_pvalue == best.ks_pvalue
    assert fit_duration(x, families=["lognormal"], ks_boot=9).best.ks_pvalue == \
        fit_duration(x, families=["lognormal"], ks_boot=9, seed=0).best.ks_pvalue
    # one resample is a bootstrap too; none is the asymptotic p-value
    one = fit_duration(x, families=["lognormal"], ks_boot=1).best.ks_pvalue
    assert one in (0.5, 1.0)
    assert fit_duration(x, families=["lognormal"], ks_boot=0).best.ks_pvalue == \
        plain.candidates[0].ks_pvalue


def test_bootstrap_of_a_gate_fit_refits_the_kth_of_n() -> None:
    x = np.array(SAMPLE)
    record: list[np.ndarray] = []
    fam = fitting._FAMILIES["weibull"]
    orig_start = fam.start

    def start(d: np.ndarray) -> np.ndarray:
        record.append(np.array(d))
        return orig_start(d)

    fit = fit_duration(x, families=["weibull"], order=(1, 2))
    spy = fitting._Family("weibull", 2, fam.dist, fam.args, fam.spec, start, True)
    p = fitting._bootstrap_pvalue(spy, fit.spec, fit.best.ks_statistic, 7, (1, 2), 5,
                                  np.random.default_rng(2))
    rng = np.random.default_rng(2)
    exceed = 0
    for got in record:
        d = np.sort(fit.spec.sample(rng, 14).reshape(7, 2), axis=1)[:, 0]
        assert_array_equal(got, d)
        # the smallest of 2 Weibull(c, s) is Weibull(c, s / 2^(1/c))
        c, _, s = stats.weibull_min.fit(d, floc=0)
        exceed += stats.kstest(d, stats.weibull_min(c, scale=s).cdf).statistic \
            >= fit.best.ks_statistic
    assert len(record) == 5
    assert p == (exceed + 1) / 6


# ---------------------------------------------------------------------------------------
# Choosing, errors
# ---------------------------------------------------------------------------------------


def test_the_criterion_chooses_the_smallest_aic_or_wasserstein_distance() -> None:
    x = Pert(1.0, 2.0, 6.0).sample(np.random.default_rng(2), 40)
    by_aic = fit_duration(x)
    by_w = fit_duration(x, criterion="wasserstein")
    assert by_aic.best.aic == min(f.aic for f in by_aic.candidates)
    assert by_w.best.wasserstein_h == min(f.wasserstein_h for f in by_w.candidates)
    assert by_aic.best.family != by_w.best.family  # this sample tells them apart
    assert by_w.criterion == "wasserstein"
    assert repr(by_w).startswith(f"<DurationFit {by_w.best.family} by wasserstein: ")
    # the families are listed in FAMILIES order whatever order they were asked in
    some = fit_duration(x, families=("pert", "weibull", "lognormal"))
    assert [f.family for f in some.candidates] == ["lognormal", "weibull", "pert"]


def test_check_sample_messages_and_accepted_input() -> None:
    x = fitting._check_sample([[1.0, 2.0], [3.0, 4.0]])
    assert_array_equal(x, [1.0, 2.0, 3.0, 4.0])
    assert x.dtype == np.float64
    with pytest.raises(PhasesimError) as info:
        fitting._check_sample(["a", 1])
    assert str(info.value) == "durations to fit must be numbers of hours, found ['a', 1]"
    with pytest.raises(PhasesimError) as info:
        fitting._check_sample([1.0, 0.0, -1.0, np.nan, 2.0, np.inf, -np.inf, -2.0])
    assert str(info.value) == (
        "durations to fit must be finite and greater than 0 hours, found "
        "[0.0, -1.0, nan, inf, -inf] (leave zero durations out, or keep the spec)")
    with pytest.raises(PhasesimError) as info:
        fitting._check_sample([2.0, 1.0])
    assert str(info.value) == ("fitting needs at least 3 durations that are not all equal, "
                               "found 2 ([1.0, 2.0])")
    with pytest.raises(PhasesimError, match=r"found 3 \(\[1000000.0, 1000000.0000001\]\)"):
        fitting._check_sample([1e6, 1e6 + 1e-7, 1e6])  # spread 1e-13 of the largest
    close = [1e6 + i * 1e-7 for i in range(7)]  # 7 values, spread 6e-13 of the largest
    with pytest.raises(PhasesimError) as info:
        fitting._check_sample(close[::-1])
    assert str(info.value) == ("fitting needs at least 3 durations that are not all equal, "
                               f"found 7 ({sorted(close)[:5]})")
    assert len(fitting._check_sample([1e6, 1e6 + 1e-5, 1e6])) == 3  # 1e-11: accepted
    assert len(fitting._check_sample([1.0, 1.0, 2.0])) == 3


def test_check_order_messages() -> None:
    assert fitting._check_order((2.0, 3.0)) == (2, 3)
    assert fitting._check_order(("1", "1")) == (1, 1)
    assert fitting._check_order((3, 3)) == (3, 3)
    for bad in ("ab", (1, 2, 3), (1,), None, ("x", 2)):
        with pytest.raises(PhasesimError) as info:
            fitting._check_order(bad)  # type: ignore[arg-type]
        assert str(info.value) == f"order must be (k, n), found {bad!r}"
    for bad in [(0, 2), (3, 2), (-1, 1)]:
        with pytest.raises(PhasesimError) as info:
            fitting._check_order(bad)
        assert str(info.value) == f"order (k, n) needs 1 <= k <= n, found {bad!r}"


def test_fit_duration_messages() -> None:
    with pytest.raises(PhasesimError) as info:
        fit_duration(SAMPLE, families=["lognormal", "beta", "normal"])
    assert str(info.value) == ("unknown families ['beta', 'normal']; use some of "
                               "lognormal, gamma, weibull, pert")
    with pytest.raises(PhasesimError) as info:
        fit_duration(SAMPLE, families=[])
    assert str(info.value) == "unknown families []; use some of lognormal, gamma, weibull, pert"
    with pytest.raises(PhasesimError) as info:
        fit_duration(SAMPLE, criterion="bic")
    assert str(info.value) == "criterion must be one of aic, wasserstein, found 'bic'"
    with pytest.raises(PhasesimError, match="order must be"):
        fit_duration(SAMPLE, order=(1,))  # type: ignore[arg-type]
    with pytest.raises(PhasesimError, match="greater than 0"):
        fit_duration([1.0, 2.0, -3.0])


def test_a_family_that_fails_is_left_out_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(x: np.ndarray) -> np.ndarray:
        raise ValueError("no start")

    def overflow(x: np.ndarray) -> np.ndarray:
        raise OverflowError("too big")

    def zero(x: np.ndarray) -> np.ndarray:
        raise ZeroDivisionError("by zero")

    def fpe(x: np.ndarray) -> np.ndarray:
        raise FloatingPointError("fpe")

    fam = fitting._FAMILIES
    for name, start in [("lognormal", broken), ("weibull", overflow), ("pert", zero),
                        ("gamma", fpe)]:
        monkeypatch.setitem(fam, name, fitting._Family(
            name, 2, stats.lognorm, fitting._two, lambda t, x: Fixed(1.0), start, True))
    with pytest.raises(PhasesimError) as info:
        fit_duration(SAMPLE)
    assert str(info.value) == ("no family could be fitted: lognormal: no start; gamma: fpe; "
                               "weibull: too big; pert: by zero")
    # a family whose likelihood is 0 everywhere is left out, the others are kept
    monkeypatch.setitem(fam, "weibull", fitting._Family(
        "weibull", 2, stats.lognorm, fitting._two, lambda t, x: LogNormal(1.0, 2.0),
        lambda x: np.zeros(2), True, logpdf=lambda x, *a: np.full(x.shape, -np.inf)))
    with pytest.raises(PhasesimError) as info:
        fit_duration(SAMPLE, families=["weibull"])
    assert str(info.value) == ("no family could be fitted: weibull: the likelihood is 0 at "
                               "the best parameters found")
    monkeypatch.undo()
    monkeypatch.setitem(fam, "weibull", fitting._Family(
        "weibull", 2, stats.lognorm, fitting._two, lambda t, x: LogNormal(1.0, 2.0),
        lambda x: np.zeros(2), True, logpdf=lambda x, *a: np.full(x.shape, -np.inf)))
    fit = fit_duration(SAMPLE, families=["lognormal", "weibull"])
    assert [f.family for f in fit.candidates] == ["lognormal"]


# ---------------------------------------------------------------------------------------
# PERT's parameters and the beta density
# ---------------------------------------------------------------------------------------


def test_pert_bounds_args_and_start_by_hand() -> None:
    x = np.array([2.0, 4.0, 6.0])
    # low = 2 expit(0) = 1, high = 6 + 4 e^0 = 10, mode = 1 + 9 expit(0) = 5.5
    assert fitting._pert_bounds(np.zeros(3), x) == (1.0, 5.5, 10.0)
    low, mode, high = fitting._pert_bounds(np.array([special.logit(0.25), special.logit(0.1),
                                                     math.log(0.5)]), x)
    assert_allclose([low, mode, high], [0.5, 0.5 + 7.5 * 0.1, 8.0], rtol=1e-12)
    # alpha = 1 + 4 (5.5 - 1) / 9 = 3, beta = 6 - 3, on [1, 10]
    assert fitting._pert_args(np.zeros(3), x) == ((3.0, 3.0), 1.0, 9.0)
    shapes, loc, scale = fitting._pert_args(np.array([0.0, special.logit(0.25), 0.0]), x)
    assert_allclose(shapes, [2.0, 4.0], rtol=1e-12)
    assert (loc, scale) == (1.0, 9.0)
    # start: low = max(2 - 0.4, 1) = 1.6, high = 6.4, mode = (6 * 4 - 8) / 4 = 4
    assert_allclose(fitting._pert_start(x), [special.logit(0.8), 0.0, math.log(0.1)],
                    atol=1e-12)
    # low at half the smallest value when the range is wide: max(1 - 0.9, 0.5) = 0.5
    y = np.array([1.0, 5.0, 10.0])
    mode = (6 * y.mean() - 0.5 - 10.9) / 4
    assert_allclose(fitting._pert_start(y), [special.logit(0.5),
                                             special.logit((mode - 0.5) / 10.4),
                                             math.log(0.1)], rtol=1e-12)
    # the mode is kept 1% of the range inside the bounds
    many_low = np.array([1.0] * 30 + [100.0])  # low 0.5, high 109.9
    start = fitting._pert_start(many_low)
    assert_allclose(special.expit(start[:2]), [0.5, 0.01], rtol=1e-9)
    many_high = np.array([1.0] + [100.0] * 30)
    assert_allclose(special.expit(fitting._pert_start(many_high)[1]), 0.99, rtol=1e-9)


def test_pert_spec_rounds_a_tiny_lower_bound_to_zero() -> None:
    x = np.array([2.0, 4.0, 6.0])
    spec = fitting._FAMILIES["pert"].spec
    tiny = spec(np.array([special.logit(1e-10), 0.0, 0.0]), x)  # low 2e-10
    assert isinstance(tiny, Pert) and tiny.low == 0.0
    assert_allclose([tiny.mode, tiny.high], [5.0, 10.0], rtol=1e-9)
    kept = spec(np.array([special.logit(1e-9), 0.0, 0.0]), x)  # low 2e-9
    assert_allclose(kept.low, 2e-9, rtol=1e-9)


def test_two_parameter_families_from_theta() -> None:
    theta = np.array([math.log(0.5), math.log(3.0)])
    shapes, loc, scale = fitting._two(theta, np.array(SAMPLE))
    assert_allclose(shapes, [0.5]) and len(shapes) == 1
    assert loc == 0.0
    assert_allclose(scale, 3.0)
    fam = fitting._FAMILIES
    x = np.array(SAMPLE)
    ln = fam["lognormal"].spec(theta, x)
    assert_allclose([ln.median, ln.p90], [3.0, 3.0 * math.exp(0.5 * Z90)], rtol=1e-12)
    gamma = fam["gamma"].spec(theta, x)  # shape 0.5, scale 3: mean 1.5, sd sqrt(0.5) 3
    assert_allclose([gamma.mean_h, gamma.sd_h], [1.5, math.sqrt(0.5) * 3.0], rtol=1e-12)
    weibull = fam["weibull"].spec(theta, x)
    assert_allclose([weibull.shape, weibull.scale_h], [0.5, 3.0], rtol=1e-12)
    rv = fam["gamma"].frozen(theta, x)
    assert_allclose([rv.mean(), rv.std()], [1.5, math.sqrt(0.5) * 3.0], rtol=1e-12)
    assert [fam[n].n_params for n in FAMILIES] == [2, 2, 2, 3]
    assert [fam[n].name for n in FAMILIES] == list(FAMILIES)


def test_beta_logpdf_is_scipys_element_for_element() -> None:
    x = np.array([1.0, 1.5, 2.0, 3.7, 5.0, 6.0])
    for shapes, loc, scale in [((2.0, 4.0), 1.0, 5.0), ((1.0, 5.0), 0.5, 6.0),
                               ((3.0, 3.0), 0.0, 6.0), ((1.5, 4.5), 1.0, 5.0)]:
        got = fitting._beta_logpdf(x, shapes, loc, scale)
        want = stats.beta.logpdf(x, *shapes, loc=loc, scale=scale)
        assert_array_equal(got, want)
    # a value outside [loc, loc + scale]: -inf everywhere (the likelihood is 0)
    out = fitting._beta_logpdf(x, (2.0, 4.0), 1.5, 5.0)
    assert out.shape == x.shape and np.all(out == -np.inf)
    out = fitting._beta_logpdf(x, (2.0, 4.0), 1.0, 4.9)
    assert np.all(out == -np.inf)
    # invalid shapes or scale, or a NaN: NaN everywhere
    for shapes, scale in [((0.0, 4.0), 5.0), ((2.0, 0.0), 5.0), ((2.0, 4.0), 0.0),
                          ((-1.0, 4.0), 5.0), ((2.0, -1.0), 5.0)]:
        bad = fitting._beta_logpdf(x, shapes, 1.0, scale)
        assert bad.shape == x.shape and np.isnan(bad).all(), (shapes, scale)
    nan = fitting._beta_logpdf(np.array([2.0, np.nan]), (2.0, 4.0), 1.0, 5.0)
    assert np.isnan(nan).all()


def test_fit_is_a_frozen_record() -> None:
    fit = Fit("lognormal", LogNormal(1.0, 2.0), (1, 1), 3, -1.0, 2, 6.0, 0.1, 0.9, 0.2)
    assert fit.parameters == "median=1h, p90=2h"
    with pytest.raises(AttributeError):
        fit.n = 4  # type: ignore[misc]


# ---------------------------------------------------------------------------------------
# Survivors of the first mutation run (out/mutate/fit1), issue 15
# ---------------------------------------------------------------------------------------


def test_pert_frozen_is_the_beta_on_the_samples_range() -> None:
    """PERT's bounds come from the sample: theta 0 on (2, 4, 6) is Beta(3, 3) on [1, 10]."""
    x = np.array([2.0, 4.0, 6.0])
    rv = fitting._FAMILIES["pert"].frozen(np.zeros(3), x)
    ref = stats.beta(3.0, 3.0, loc=1.0, scale=9.0)
    assert_allclose(rv.mean(), 5.5, rtol=1e-12)
    assert_allclose(rv.var(), 81 * 9 / (36 * 7), rtol=1e-12)  # scale^2 ab / ((a+b)^2 (a+b+1))
    grid = np.array([1.5, 3.0, 5.5, 9.0])
    assert_allclose(rv.cdf(grid), ref.cdf(grid), rtol=1e-12)


def test_beta_logpdf_of_a_shape_at_most_1_and_small_or_zero_scales() -> None:
    # b = 1 is PERT with its mode at the maximum (alpha 5, beta 6 - 5)
    x = np.array([1.0, 2.0, 3.5, 6.0])
    assert_allclose(fitting._beta_logpdf(x, (5.0, 1.0), 1.0, 5.0),
                    stats.beta.logpdf(x, 5.0, 1.0, loc=1.0, scale=5.0), rtol=1e-13)
    # density 5 z^4 on [0, 1]: log 5 + 4 log z - log scale
    z = (x - 1.0) / 5.0
    with np.errstate(divide="ignore"):
        assert_allclose(fitting._beta_logpdf(x, (5.0, 1.0), 1.0, 5.0),
                        math.log(5.0) + 4 * np.log(z) - math.log(5.0), rtol=1e-13)
    inner = np.array([0.1, 0.25, 0.4])
    assert_allclose(fitting._beta_logpdf(inner, (2.0, 0.5), 0.0, 0.5),
                    stats.beta.logpdf(inner, 2.0, 0.5, loc=0.0, scale=0.5), rtol=1e-13)
    assert_allclose(fitting._beta_logpdf(inner, (2.0, 3.0), 0.05, 0.5),
                    stats.beta.logpdf(inner, 2.0, 3.0, loc=0.05, scale=0.5), rtol=1e-13)
    # scale 0 with no value at loc: NaN (as scipy), not the -inf of a value outside, and no
    # division warning
    y = np.array([2.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bad = fitting._beta_logpdf(y, (2.0, 4.0), 1.0, 0.0)
    assert bad.shape == (2,) and np.isnan(bad).all()
    with np.errstate(divide="ignore"):
        assert np.isnan(stats.beta.logpdf(y, 2.0, 4.0, loc=1.0, scale=0.0)).all()


def test_order_loglik_is_minus_inf_without_warnings_where_the_likelihood_is_0() -> None:
    x = np.array(SAMPLE)
    fam = fitting._FAMILIES
    # PERT with its minimum at the smallest value (expit(40) is 1.0) and mode halfway:
    # Beta(3, 3), whose density is 0 at the minimum; as the 1st of 2 its CDF there is 0
    theta = np.array([40.0, 0.0, 0.0])
    assert special.expit(40.0) == 1.0
    with np.errstate(divide="ignore"):
        assert stats.beta.logpdf(1.0, 3.0, 3.0, loc=1.0, scale=14.0) == -np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for order in [(1, 2), (2, 2), (1, 1)]:
            assert fitting._order_loglik(fam["pert"], theta, x, order) == -math.inf, order
        # a log-normal of scale e^-720 (1.6e-313): x / scale overflows, the density is 0
        tiny = np.array([0.0, -720.0])
        for order in [(1, 1), (2, 3)]:
            assert fitting._order_loglik(fam["lognormal"], tiny, x, order) == -math.inf
    with np.errstate(all="ignore"):
        assert np.sum(stats.lognorm.logpdf(x, 1.0, scale=math.exp(-720.0))) == -np.inf


def test_order_loglik_uses_logcdf_and_logsf_far_in_the_tails() -> None:
    fam = fitting._FAMILIES
    # Weibull shape 200, scale 1, as the 1st of 2: log 2 + log f + log S with
    # log f = log c + (c - 1) log x - x^c, log S = -x^c; at 0.01 the CDF is 1e-400 (0.0)
    c = 200.0
    x = np.array([0.01, 0.98, 1.0])
    want = np.sum(math.log(2.0) + math.log(c) + (c - 1) * np.log(x) - 2 * x**c)
    got = fitting._order_loglik(fam["weibull"], np.array([math.log(c), 0.0]), x, (1, 2))
    assert_allclose(got, want, rtol=1e-12)
    # exponential (gamma shape 1, scale 1) as the 2nd of 2: log 2 + log(1 - e^-x) - x; at
    # 800 the survival e^-800 is 0.0
    y = np.array([1.0, 2.0, 800.0])
    want = np.sum(math.log(2.0) + np.log1p(-np.exp(-y)) - y)
    got = fitting._order_loglik(fam["gamma"], np.zeros(2), y, (2, 2))
    assert_allclose(got, want, rtol=1e-12)
    # standard log-normal with a value at e^12 (z = 12: the survival 1.8e-33 is lost in 1 - F)
    v = np.array([1.0, 2.0, math.exp(12.0)])
    logs = np.log(v)
    logf = -logs - 0.5 * math.log(2 * math.pi) - 0.5 * logs**2
    log_f, log_s = special.log_ndtr(logs), special.log_ndtr(-logs)
    assert_allclose(fitting._order_loglik(fam["lognormal"], np.zeros(2), v, (1, 2)),
                    np.sum(math.log(2.0) + logf + log_s), rtol=1e-12)
    assert_allclose(fitting._order_loglik(fam["lognormal"], np.zeros(2), v, (2, 3)),
                    np.sum(math.log(6.0) + logf + log_f + log_s), rtol=1e-12)


def test_pert_order_loglik_with_the_mode_at_the_minimum() -> None:
    """Beta(1, 5) on [1, 15] has density 5/14 at its minimum, the smallest value."""
    x = np.array(SAMPLE)
    pert = fitting._FAMILIES["pert"]
    theta = np.array([40.0, -40.0, 0.0])  # low = 1 * 1.0, mode = low, high = 8 + 7
    assert fitting._pert_args(theta, x) == ((1.0, 5.0), 1.0, 14.0)
    z = (x - 1.0) / 14.0
    want = np.sum(math.log(5.0) + 4 * np.log1p(-z) - math.log(14.0))
    assert_allclose(fitting._order_loglik(pert, theta, x, (1, 1)), want, rtol=1e-12)
    assert_allclose(want, np.sum(stats.beta.logpdf(x, 1.0, 5.0, loc=1.0, scale=14.0)),
                    rtol=1e-12)
    # the 1st of 2 inside the bounds: Beta(3, 3) on [0.5, 11.5] (theta as in the test above)
    inside = np.array([special.logit(0.5), special.logit(0.25), math.log(0.5)])
    low, high = 0.5, 8.0 + 7.0 * 0.5
    assert_allclose(fitting._order_loglik(pert, inside, x, (1, 2)),
                    pert_loglik(low, low + (high - low) * 0.25, high, x, 1, 2), rtol=1e-10)


def rosenbrock_family(d: int) -> Any:
    """A family whose log-likelihood of one value is minus Rosenbrock's function of theta
    (minimum 0 at theta = 1, ..., 1), slow for Nelder-Mead in many dimensions."""

    def logpdf(v: np.ndarray, shapes: tuple[float, ...], loc: float, scale: float) -> Any:
        return np.full(v.shape, -optimize.rosen(np.array(shapes)))

    return fitting._Family("rosenbrock", d, stats.norm, lambda t, x: (tuple(t), 0.0, 1.0),
                           lambda t, x: Fixed(1.0), lambda x: np.zeros(d), True,
                           logpdf=logpdf)


@pytest.mark.parametrize(("d", "begin"), [(11, 2.0), (10, 0.0)])
def test_minimize_goes_on_with_a_fresh_simplex_when_out_of_iterations(d: int,
                                                                     begin: float) -> None:
    start = np.full(d, begin)
    options = {"xatol": 1e-4, "fatol": 1e-6, "maxiter": 3000, "maxfev": 6000}
    # one Nelder-Mead run with the documented options stops at its 3,000 iterations short of
    # the minimum
    once = optimize.minimize(optimize.rosen, start, method="Nelder-Mead", options=options)
    assert not once.success and once.nit == 3000
    assert np.abs(once.x - 1.0).max() > 1e-2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no solver warnings (all options known)
        theta = fitting._minimize(rosenbrock_family(d), start, np.array([1.0]), (1, 1))
    assert theta.dtype == np.float64 and theta.shape == (d,)
    assert_allclose(theta, np.ones(d), atol=1e-3)
    assert optimize.rosen(theta) < 1e-6


def test_fitting_passes_on_warnings_other_than_runtime_warnings(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Only numpy's RuntimeWarnings are silenced, in the fits and in the bootstrap refits."""

    def start(v: np.ndarray) -> np.ndarray:
        warnings.warn("noise", RuntimeWarning, stacklevel=2)
        warnings.warn("worth knowing", UserWarning, stacklevel=2)
        logs = np.log(v)
        return np.array([math.log(logs.std()), logs.mean()])

    orig = fitting._FAMILIES["lognormal"]
    monkeypatch.setitem(fitting._FAMILIES, "lognormal", fitting._Family(
        "lognormal", 2, orig.dist, orig.args, orig.spec, start, True))
    x = np.array(SAMPLE)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        fit = fit_duration(x, families=["lognormal"], ks_boot=3)
    assert [str(w.message) for w in seen] == ["worth knowing"] * 4  # the fit and 3 refits
    assert all(w.category is UserWarning for w in seen)
    logs = np.log(x)
    assert_allclose(fit.spec.median, math.exp(logs.mean()), rtol=1e-12)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        fit_duration(x, families=["lognormal"])
    assert [str(w.message) for w in seen] == ["worth knowing"]


def test_fits_that_use_the_optimizer_warn_nothing() -> None:
    x = np.array(SAMPLE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gate = fit_duration(x, families=["lognormal", "pert"], order=(2, 3))
        plain = fit_duration(x, families=["pert"])
    for f in gate.candidates:
        spec = f.spec
        if isinstance(spec, Pert):
            want = pert_loglik(spec.low, spec.mode, spec.high, x, 2, 3)
        else:
            assert isinstance(spec, LogNormal)
            rv = stats.lognorm(math.log(spec.p90 / spec.median) / Z90, scale=spec.median)
            want = order_loglik(rv, x, 2, 3)
        assert_allclose(f.loglik, want, rtol=1e-9)
    spec = plain.best.spec
    assert isinstance(spec, Pert)
    assert_allclose(plain.best.loglik, pert_loglik(spec.low, spec.mode, spec.high, x),
                    rtol=1e-9)


def test_a_first_family_with_likelihood_0_does_not_stop_the_others(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(fitting._FAMILIES, "lognormal", fitting._Family(
        "lognormal", 2, stats.lognorm, fitting._two, lambda t, x: LogNormal(1.0, 2.0),
        lambda x: np.zeros(2), True, logpdf=lambda x, *a: np.full(x.shape, -np.inf)))
    x = np.array(SAMPLE)
    fit = fit_duration(x, families=["lognormal", "gamma"])
    assert [f.family for f in fit.candidates] == ["gamma"]
    assert isinstance(fit.spec, Gamma)
    assert_allclose(fit.spec.mean_h, x.mean(), rtol=1e-9)


def test_check_sample_rejects_a_spread_of_exactly_1e_12_of_the_largest() -> None:
    assert 1e-12 * 1e12 == 1.0 and 1e12 - (1e12 - 1.0) == 1.0
    with pytest.raises(PhasesimError) as info:
        fitting._check_sample([1e12 - 1.0, 1e12, 1e12])
    assert str(info.value) == ("fitting needs at least 3 durations that are not all equal, "
                               "found 3 ([999999999999.0, 1000000000000.0])")
    assert len(fitting._check_sample([1e12 - 2.0, 1e12, 1e12])) == 3


def test_goodness_of_fit_reads_decimal_numbers() -> None:
    from decimal import Decimal

    ks, p, w = goodness_of_fit(Uniform(0.0, 1.0), [Decimal("0.25"), Decimal("0.75")])
    assert_allclose([ks, w], [0.25, 0.125], rtol=1e-12)
    assert_allclose(p, stats.kstest([0.25, 0.75], "uniform").pvalue, rtol=1e-12)


def test_bootstrap_freezes_each_refit_on_its_own_resample() -> None:
    """A family "fitted" as the uniform on the sample's range: each resample's KS statistic
    is against the uniform on that resample's own range."""

    fam = fitting._Family("range", 2, stats.uniform,
                          lambda t, x: ((), float(x.min()), float(np.ptp(x))),
                          lambda t, x: Fixed(1.0), lambda x: np.zeros(2), True)
    spec = LogNormal(2.0, 5.0)
    p = fitting._bootstrap_pvalue(fam, spec, 0.3, 6, (1, 1), 12, np.random.default_rng(7))
    rng = np.random.default_rng(7)
    exceed = 0
    for _ in range(12):
        d = spec.sample(rng, 6)
        exceed += stats.kstest(d, stats.uniform(d.min(), np.ptp(d)).cdf).statistic >= 0.3
    assert 0 < exceed < 12
    assert p == (exceed + 1) / 13


def test_a_pert_gate_fit_starts_inside_when_the_plain_fit_ends_on_a_bound():
    """Pert(1, 2, 6) drawn with seed 0, five values: the plain PERT fit puts its maximum
    exactly on the largest value (expit rounds to 1), where the 2-of-4 likelihood is 0
    on the whole first simplex. The gate fit then starts from the family's own start and
    must find a PERT with a positive likelihood, as scipy's beta density confirms."""
    from scipy import stats

    x = np.array([2.178384562419494, 1.5717492712854355, 2.087499281959527,
                  1.1740952425967968, 1.7997413274328629])
    plain = fit_duration(x, families=["pert"]).best
    assert plain.spec.high == pytest.approx(x.max(), rel=1e-12)  # the bound on the data
    fit = fit_duration(x, families=["pert"], order=(2, 4)).best
    lo, mode, hi = fit.spec.low, fit.spec.mode, fit.spec.high
    assert lo < x.min() and hi > x.max()
    a = 1 + 4 * (mode - lo) / (hi - lo)
    b = 1 + 4 * (hi - mode) / (hi - lo)
    beta = stats.beta(a, b, loc=lo, scale=hi - lo)
    by_hand = np.sum(np.log(12) + beta.logpdf(x) + np.log(beta.cdf(x))
                     + 2 * np.log(beta.sf(x)))  # 4! / (1! 2!) = 12
    assert fit.loglik == pytest.approx(by_hand, rel=1e-9)
    assert fit.loglik > -1.9  # what Nelder-Mead reaches from the start (-1.82)


def test_pert_first_of_two_is_finite_where_the_cdf_is_zero():
    """Beta(1, 5) on [1, 15] (theta 40, -40, 0): F(1) = 0 at the smallest value. As the
    first of two draws, x = 1 has density 2 f(1) (1 - F(1)) > 0: no 0 * log 0 = NaN."""
    from scipy import stats

    from phasesim.calibration import fitting

    x = np.array([1.0, 2.0, 4.0, 8.0, 3.0, 5.0, 2.5])
    theta = np.array([40.0, -40.0, 0.0])
    beta = stats.beta(1, 5, loc=1, scale=14)
    by_hand = np.sum(np.log(2) + beta.logpdf(x) + np.log(beta.sf(x)))
    got = fitting._order_loglik(fitting._FAMILIES["pert"], theta, x, (1, 2))
    assert got == pytest.approx(by_hand, rel=1e-12)
    # and as the last of two, F(1) = 0 makes the likelihood 0 for real
    assert fitting._order_loglik(fitting._FAMILIES["pert"], theta, x, (2, 2)) == -np.inf
