"""Tests of phasesim.distributions: parsing, moments, sampling and order statistics."""

from __future__ import annotations

import dataclasses
import itertools
import math
import pickle
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats

from phasesim.distributions import (
    DISTRIBUTIONS,
    DurationSpec,
    DurationSpecError,
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    LogNormal,
    Normal,
    Pert,
    Triangular,
    Uniform,
    parse_duration_spec,
    scipy_distribution,
)
from phasesim.errors import PhasesimError
from phasesim.units import parse_duration

Z90 = stats.norm.ppf(0.9)

#: One of each continuous kind, with the shapes blueprints use, plus awkward corners.
CONTINUOUS: list[DurationSpec] = [
    Triangular(0.5, 1.0, 3.0),
    Triangular(0.0, 0.0, 1.0),
    Triangular(1.0, 2.0, 2.0),
    Pert(2 / 3, 1.0, 2.5),
    Pert(0.0, 0.0, 2.0),
    Uniform(1.0, 2.0),
    LogNormal(4.0, 12.0),
    Normal(2.0, 0.5),
    Normal(0.5, 1.0),
    Normal(0.0, 2.0),
    Exponential(3.0),
    Gamma(3.0, 1.0),
    Gamma(0.5, 2.0),
]
#: Long tails: fine for exact computations, too wild for moments of 200,000 draws.
HEAVY: list[DurationSpec] = [LogNormal(1.0, 48.0), Gamma(1.0, 5.0)]
ALL: list[DurationSpec] = [
    Fixed(4.0),
    Fixed(0.0),
    *CONTINUOUS,
    Empirical((0.5, 1.0, 1.0, 2.0, 6.0)),
]


def ids(spec: DurationSpec) -> str:
    return str(spec)


# ---------------------------------------------------------------------------------------
# Parsing and the YAML form
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("45m", Fixed(0.75)),
        ("4h", Fixed(4.0)),
        ("2d", Fixed(48.0)),
        ("1w", Fixed(168.0)),
        ("1d 4h", Fixed(28.0)),
        (2, Fixed(2.0)),
        (2.5, Fixed(2.5)),
        ("2.5", Fixed(2.5)),
        ({"fixed": "4h"}, Fixed(4.0)),
        ({"triangular": ["15m", "30m", "1h"]}, Triangular(0.25, 0.5, 1.0)),
        ({"triangular": [0.25, "30m", 1]}, Triangular(0.25, 0.5, 1.0)),
        ({"triangular": {"min": "15m", "mode": "30m", "max": "1h"}}, Triangular(0.25, 0.5, 1.0)),
        ({"pert": ["45m", "1h", "2h30m"]}, Pert(0.75, 1.0, 2.5)),
        ({"uniform": ["1h", "90m"]}, Uniform(1.0, 1.5)),
        ({"uniform": {"min": 1, "max": 1.5}}, Uniform(1.0, 1.5)),
        ({"lognormal": {"median": "4h", "p90": "12h"}}, LogNormal(4.0, 12.0)),
        ({"lognormal": ["4h", "12h"]}, LogNormal(4.0, 12.0)),
        ({"normal": {"mean": "2h", "sd": "30m"}}, Normal(2.0, 0.5)),
        ({"normal": [2, 0.5]}, Normal(2.0, 0.5)),
        ({"exponential": {"mean": "3h"}}, Exponential(3.0)),
        ({"exponential": "3h"}, Exponential(3.0)),
        ({"exponential": ["3h"]}, Exponential(3.0)),
        ({"gamma": {"mean": "3h", "sd": "1h"}}, Gamma(3.0, 1.0)),
        ({"gamma": ["3h", "1h"]}, Gamma(3.0, 1.0)),
        ({"empirical": ["30m", "1h", 2, "45m"]}, Empirical((0.5, 1.0, 2.0, 0.75))),
        ({"empirical": [0]}, Empirical((0.0,))),
    ],
)
def test_parse_each_form(data: object, expected: DurationSpec) -> None:
    spec = parse_duration_spec(data)
    assert spec == expected
    assert type(spec) is type(expected)


def test_parse_returns_a_spec_as_it_is() -> None:
    spec = Pert(1.0, 2.0, 4.0)
    assert parse_duration_spec(spec) is spec


def test_kinds_and_registry() -> None:
    assert list(DISTRIBUTIONS) == [
        "triangular",
        "pert",
        "uniform",
        "lognormal",
        "normal",
        "exponential",
        "gamma",
        "weibull",
        "empirical",
    ]
    assert all(cls.kind == name for name, cls in DISTRIBUTIONS.items())
    assert Fixed.kind == "fixed"


@pytest.mark.parametrize(
    "data",
    [
        "45m",
        "2h30m",
        "2d",
        "1w",
        "28h",
        {"triangular": ["20m", "30m", "1h"]},
        {"pert": ["40m", "1h", "2h30m"]},
        {"pert": ["1h30m", "2h", "4h"]},
        {"uniform": ["1h", "2h"]},
        {"lognormal": {"median": "4h", "p90": "12h"}},
        {"normal": {"mean": "2h", "sd": "30m"}},
        {"exponential": {"mean": "3h"}},
        {"gamma": {"mean": "3h", "sd": "1h"}},
        {"empirical": ["30m", "1h", "45m", "1h30m"]},
    ],
)
def test_canonical_yaml_forms_survive_parse_and_to_data(data: object) -> None:
    assert parse_duration_spec(data).to_data() == data


@pytest.mark.parametrize(
    ("spec", "data"),
    [
        (Fixed(0.75), "45m"),
        (Fixed(1.5), "1h30m"),
        (Fixed(1 / 7), 1 / 7),
        (Fixed(0.123), "0.123h"),
        (Triangular(0.1, 1 / 7, 1.0), {"triangular": ["6m", 1 / 7, "1h"]}),
        (LogNormal(3.7183, 10.0), {"lognormal": {"median": "3.7183h", "p90": "10h"}}),
    ],
)
def test_to_data_writes_texts_where_exact_and_floats_otherwise(
    spec: DurationSpec, data: object
) -> None:
    assert spec.to_data() == data


@pytest.mark.parametrize("spec", ALL, ids=ids)
def test_round_trip(spec: DurationSpec) -> None:
    assert parse_duration_spec(spec.to_data()) == spec


hours = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(st.lists(hours, min_size=3, max_size=3).map(sorted))
def test_round_trip_is_exact_for_any_float(values: list[float]) -> None:
    low, mode, high = values
    for spec in (
        Fixed(mode),
        Triangular(low, mode, high),
        Pert(low, mode, high),
        Uniform(low, high),
        Empirical(tuple(values)),
    ):
        back = parse_duration_spec(spec.to_data())
        assert back == spec
        assert repr(back) == repr(spec)  # bit for bit


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        (Fixed(4.0), "4h"),
        (Fixed(0.75), "45m"),
        (Fixed(48.0), "2d"),
        (Fixed(28.0), "28h"),
        (Fixed(0.0), "0h"),
        (parse_duration_spec({"pert": ["40m", "1h", "2h30m"]}), "pert(40m, 1h, 2h30m)"),
        (Triangular(1 / 3, 0.5, 1.0), "triangular(20m, 30m, 1h)"),
        (Uniform(1.0, 2.0), "uniform(1h, 2h)"),
        (LogNormal(4.0, 12.0), "lognormal(median=4h, p90=12h)"),
        (Normal(2.0, 0.5), "normal(mean=2h, sd=30m)"),
        (Exponential(1.5), "exponential(mean=1h30m)"),
        (Gamma(3.0, 1.0), "gamma(mean=3h, sd=1h)"),
        (Empirical((0.5, 1.0, 2.0)), "empirical(30m, 1h, 2h)"),
        (Empirical(tuple(np.linspace(0.5, 4.0, 8))), "empirical(8 samples, 30m to 4h)"),
        (LogNormal(3.7183, 10.0), "lognormal(median=3h43m6s, p90=10h)"),
    ],
)
def test_str(spec: DurationSpec, text: str) -> None:
    assert str(spec) == text


# ---------------------------------------------------------------------------------------
# Moments, quantiles and the CDF against closed forms and scipy
# ---------------------------------------------------------------------------------------


def test_triangular_moments() -> None:
    a, c, b = 0.5, 1.0, 3.0
    spec = Triangular(a, c, b)
    assert spec.mean() == pytest.approx((a + c + b) / 3)
    var = (a * a + b * b + c * c - a * b - a * c - b * c) / 18
    assert spec.sd() == pytest.approx(math.sqrt(var))


def test_pert_moments() -> None:
    a, m, b = 1.0, 2.0, 6.0
    spec = Pert(a, m, b)
    assert spec.mean() == pytest.approx((a + 4 * m + b) / 6)
    assert spec.sd() == pytest.approx(math.sqrt((2.5 - a) * (b - 2.5) / 7))
    rv = stats.beta(1 + 4 * (m - a) / (b - a), 1 + 4 * (b - m) / (b - a), loc=a, scale=b - a)
    assert_allclose([spec.mean(), spec.sd()], [rv.mean(), rv.std()], rtol=1e-12)


def test_uniform_moments() -> None:
    spec = Uniform(1.0, 4.0)
    assert spec.mean() == 2.5
    assert spec.sd() == pytest.approx(3 / math.sqrt(12))


def test_lognormal_recovers_median_and_p90() -> None:
    spec = LogNormal(median=4.0, p90=12.0)
    assert_allclose(spec.quantile(0.5), 4.0, rtol=1e-12)
    assert_allclose(spec.quantile(0.9), 12.0, rtol=1e-12)
    assert_allclose(spec.cdf(4.0), 0.5, rtol=1e-12)
    assert_allclose(spec.cdf(12.0), 0.9, rtol=1e-12)
    sigma = math.log(3.0) / Z90
    assert spec.mean() == pytest.approx(4.0 * math.exp(sigma**2 / 2))
    rv = stats.lognorm(sigma, scale=4.0)
    assert_allclose([spec.mean(), spec.sd()], [rv.mean(), rv.std()], rtol=1e-12)


def test_gamma_and_exponential_moments() -> None:
    assert (Gamma(3.0, 1.0).mean(), Gamma(3.0, 1.0).sd()) == (3.0, 1.0)
    assert (Exponential(2.5).mean(), Exponential(2.5).sd()) == (2.5, 2.5)
    rv = stats.gamma(9.0, scale=1 / 3)
    assert_allclose(Gamma(3.0, 1.0).quantile([0.1, 0.5, 0.9]), rv.ppf([0.1, 0.5, 0.9]))
    assert_allclose(Exponential(2.0).quantile(0.5), 2.0 * math.log(2.0), rtol=1e-12)


@pytest.mark.parametrize(("mean", "sd"), [(2.0, 0.5), (1.0, 1.0), (0.5, 2.0), (0.0, 1.0)])
def test_truncated_normal_moments_match_scipy_truncnorm(mean: float, sd: float) -> None:
    spec = Normal(mean, sd)
    rv = stats.truncnorm(-mean / sd, np.inf, loc=mean, scale=sd)
    assert_allclose([spec.mean(), spec.sd()], [rv.mean(), rv.std()], rtol=1e-10)
    q = np.array([0.0, 0.01, 0.3, 0.5, 0.9, 0.999])
    assert_allclose(spec.quantile(q), rv.ppf(q), rtol=1e-9, atol=1e-12)


def test_truncation_raises_the_mean() -> None:
    # Half-normal: mean sd * sqrt(2 / pi), sd sd * sqrt(1 - 2 / pi).
    spec = Normal(0.0, 1.0)
    assert spec.mean() == pytest.approx(math.sqrt(2 / math.pi))
    assert spec.sd() == pytest.approx(math.sqrt(1 - 2 / math.pi))
    assert Normal(2.0, 0.5).mean() > 2.0


def test_empirical_moments_and_step_quantiles() -> None:
    spec = Empirical((4.0, 1.0, 3.0, 2.0))
    assert spec.mean() == 2.5
    assert spec.sd() == pytest.approx(math.sqrt(1.25))  # population sd
    assert spec.quantile(0.0) == 1.0
    assert spec.quantile(0.25) == 1.0
    assert spec.quantile(0.26) == 2.0
    assert spec.quantile(0.5) == 2.0
    assert spec.quantile(0.51) == 3.0
    assert spec.quantile(1.0) == 4.0
    q = np.linspace(0, 1, 101)
    assert_allclose(spec.quantile(q), np.quantile([1.0, 2.0, 3.0, 4.0], q, method="inverted_cdf"))
    assert_allclose(spec.cdf([0.5, 1.0, 2.5, 4.0, 9.0]), [0.0, 0.25, 0.5, 1.0, 1.0])


def test_fixed_moments_quantile_and_cdf() -> None:
    spec = Fixed(4.0)
    assert (spec.mean(), spec.sd(), spec.quantile(0.3)) == (4.0, 0.0, 4.0)
    assert_allclose(spec.cdf([3.9, 4.0, 5.0]), [0.0, 1.0, 1.0])


@pytest.mark.parametrize("spec", CONTINUOUS + HEAVY, ids=ids)
def test_quantile_and_cdf_match_scipy(spec: DurationSpec) -> None:
    try:
        rv = scipy_distribution(spec)
    except TypeError:
        pytest.skip("zero-width spec")
    q = np.array([0.0, 1e-6, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1 - 1e-6])
    assert_allclose(spec.quantile(q), rv.ppf(q), rtol=1e-8, atol=1e-12)
    x = np.concatenate([[-1.0, 0.0], rv.ppf(q[1:]), [1e6]])
    assert_allclose(spec.cdf(x), rv.cdf(x), rtol=1e-8, atol=1e-12)
    assert_allclose([spec.mean(), spec.sd()], [rv.mean(), rv.std()], rtol=1e-9)


@pytest.mark.parametrize("spec", CONTINUOUS, ids=ids)
def test_cdf_inverts_quantile(spec: DurationSpec) -> None:
    q = np.linspace(0.001, 0.999, 37)
    assert_allclose(spec.cdf(spec.quantile(q)), q, rtol=1e-9)


def test_scalar_in_scalar_out_array_in_array_out() -> None:
    spec = Triangular(1.0, 2.0, 4.0)
    assert isinstance(spec.quantile(0.5), float)
    assert isinstance(spec.cdf(2.0), float)
    assert isinstance(spec.quantile(np.float64(0.5)), float)
    assert spec.quantile([0.1, 0.5]).shape == (2,)
    assert spec.cdf(np.ones((2, 3))).shape == (2, 3)


@pytest.mark.parametrize("q", [-0.1, 1.1, float("nan"), [0.5, 2.0]])
def test_quantile_rejects_probabilities_outside_0_1(q: Any) -> None:
    with pytest.raises(ValueError, match=r"a probability must be in \[0, 1\]"):
        Uniform(1.0, 2.0).quantile(q)


def test_scipy_distribution_kinds_and_refusals() -> None:
    names = {
        Triangular(1.0, 2.0, 4.0): "triang",
        Pert(1.0, 2.0, 6.0): "beta",
        Uniform(1.0, 2.0): "uniform",
        LogNormal(1.0, 2.0): "lognorm",
        Normal(1.0, 1.0): "truncnorm",
        Exponential(1.0): "expon",
        Gamma(1.0, 2.0): "gamma",
    }
    for spec, name in names.items():
        rv: Any = scipy_distribution(spec)
        assert rv.dist.name == name
    for spec in (Fixed(1.0), Empirical((1.0, 2.0)), Uniform(1.0, 1.0), Pert(2.0, 2.0, 2.0)):
        with pytest.raises(TypeError, match=r"no continuous scipy\.stats distribution"):
            scipy_distribution(spec)


# ---------------------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------------------

N = 200_000


@pytest.mark.parametrize("spec", ALL, ids=ids)
@pytest.mark.parametrize("path", ["scalar", "array"])
def test_sample_moments_and_quantiles(spec: DurationSpec, path: str) -> None:
    rng = np.random.default_rng(20240611)
    if path == "scalar":
        draws = np.array([spec.sample(rng) for _ in range(N)])
    else:
        draws = spec.sample(rng, N)
    assert draws.shape == (N,)
    assert draws.min() >= 0
    # Within about five standard errors; the seed is fixed, so this never flakes.
    assert abs(draws.mean() - spec.mean()) <= 5 * spec.sd() / math.sqrt(N) + 1e-12
    assert_allclose(draws.mean(), spec.mean(), rtol=0.01)
    assert_allclose(draws.std(), spec.sd(), rtol=0.02, atol=1e-12)
    # Sample quantiles, measured on the probability scale: |F(x_q) - q| of order
    # sqrt(q (1 - q) / N) ~ 0.001.
    if spec in CONTINUOUS:
        q = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
        assert_allclose(spec.cdf(np.quantile(draws, q)), q, atol=0.005)
        assert stats.kstest(draws, spec.cdf).pvalue > 1e-3


def test_empirical_draws_each_sample_equally_often() -> None:
    spec = Empirical((0.5, 1.0, 2.0, 6.0))
    rng = np.random.default_rng(5)
    for draws in (np.array([spec.sample(rng) for _ in range(N)]), spec.sample(rng, N)):
        values, counts = np.unique(draws, return_counts=True)
        assert values.tolist() == [0.5, 1.0, 2.0, 6.0]
        assert stats.chisquare(counts).pvalue > 1e-3


@pytest.mark.parametrize("spec", ALL, ids=ids)
def test_sampling_is_reproducible_from_the_seed(spec: DurationSpec) -> None:
    def run(seed: int) -> tuple[list[float], list[float]]:
        rng = np.random.default_rng(seed)
        return [spec.sample(rng) for _ in range(50)], spec.sample(rng, 50).tolist()

    assert run(1) == run(1)
    if spec.sd() > 0:
        assert run(1) != run(2)


@pytest.mark.parametrize("spec", ALL, ids=ids)
def test_sample_types(spec: DurationSpec) -> None:
    rng = np.random.default_rng(0)
    assert isinstance(spec.sample(rng), float)
    many = spec.sample(rng, 3)
    assert isinstance(many, np.ndarray)
    assert many.dtype == np.float64
    assert spec.sample(rng, 0).shape == (0,)


bounded_triples = st.lists(
    st.floats(min_value=0, max_value=1e4, allow_nan=False, allow_infinity=False),
    min_size=3,
    max_size=3,
).map(sorted)


@settings(max_examples=200)
@given(bounded_triples, st.integers(min_value=0, max_value=2**32 - 1))
def test_bounded_samples_stay_within_min_and_max(values: list[float], seed: int) -> None:
    low, mode, high = values
    for spec in (Triangular(low, mode, high), Pert(low, mode, high), Uniform(low, high)):
        rng = np.random.default_rng(seed)
        scalars = [spec.sample(rng) for _ in range(20)]
        many = spec.sample(rng, 200)
        assert all(low <= x <= high for x in scalars)
        assert low <= many.min() and many.max() <= high
        assert low <= spec.quantile(0.0) <= spec.quantile(1.0) <= high


def test_truncated_normal_never_negative() -> None:
    rng = np.random.default_rng(3)
    spec = Normal(0.0, 1.0)
    assert min(spec.sample(rng) for _ in range(10_000)) >= 0
    assert spec.sample(rng, 100_000).min() >= 0


# ---------------------------------------------------------------------------------------
# Scaling (what-if scenarios)
# ---------------------------------------------------------------------------------------


factors = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)


@given(st.sampled_from(ALL), factors)
def test_scaled_multiplies_every_duration(spec: DurationSpec, factor: float) -> None:
    bigger = spec.scaled(factor)
    assert type(bigger) is type(spec)
    assert bigger.mean() == pytest.approx(factor * spec.mean(), rel=1e-12, abs=1e-300)
    assert bigger.sd() == pytest.approx(factor * spec.sd(), rel=1e-9, abs=1e-300)
    q = np.array([0.1, 0.5, 0.9])
    assert_allclose(bigger.quantile(q), factor * spec.quantile(q), rtol=1e-9)


@given(bounded_triples, factors)
def test_scaled_mean_for_any_bounded_spec(values: list[float], factor: float) -> None:
    low, mode, high = values
    for spec in (Triangular(low, mode, high), Pert(low, mode, high), Uniform(low, high)):
        assert spec.scaled(factor).mean() == pytest.approx(factor * spec.mean(), rel=1e-12)


def test_scaled_examples() -> None:
    assert Pert(1.0, 2.0, 4.0).scaled(1.5) == Pert(1.5, 3.0, 6.0)
    assert LogNormal(4.0, 12.0).scaled(0.5) == LogNormal(2.0, 6.0)
    assert Empirical((1.0, 3.0)).scaled(2.0) == Empirical((2.0, 6.0))


@pytest.mark.parametrize("factor", [0.0, -1.0, float("nan"), float("inf"), True])
def test_scaled_rejects_bad_factors(factor: float) -> None:
    with pytest.raises(ValueError, match="a scale factor must be a positive, finite number"):
        Uniform(1.0, 2.0).scaled(factor)


# ---------------------------------------------------------------------------------------
# Order statistics
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("k", "n"), [(1, 2), (2, 2), (1, 5), (3, 5), (5, 5), (1, 30), (30, 30)])
def test_order_statistic_of_exponentials(k: int, n: int) -> None:
    expected = sum(1 / i for i in range(n - k + 1, n + 1))
    assert_allclose(Exponential(1.0).order_statistic_mean(k, n), expected, rtol=1e-10)
    assert_allclose(Exponential(2.5).order_statistic_mean(k, n), 2.5 * expected, rtol=1e-10)


@pytest.mark.parametrize(("k", "n"), [(1, 2), (2, 2), (2, 3), (1, 10), (7, 10), (50, 50)])
def test_order_statistic_of_uniforms(k: int, n: int) -> None:
    assert_allclose(Uniform(0.0, 1.0).order_statistic_mean(k, n), k / (n + 1), rtol=1e-10)
    assert_allclose(Uniform(2.0, 5.0).order_statistic_mean(k, n), 2 + 3 * k / (n + 1))


def test_order_statistic_of_a_fixed_duration() -> None:
    assert Fixed(4.0).order_statistic_mean(1, 1) == 4.0
    assert Fixed(4.0).order_statistic_mean(3, 7) == 4.0


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_order_statistic_of_empirical_by_enumeration(n: int) -> None:
    spec = Empirical((1.0, 2.0, 2.0, 5.0))
    for k in range(1, n + 1):
        outcomes = [sorted(draw)[k - 1] for draw in itertools.product(spec.samples, repeat=n)]
        assert_allclose(spec.order_statistic_mean(k, n), np.mean(outcomes), rtol=1e-12)


@pytest.mark.parametrize("spec", ALL, ids=ids)
def test_order_statistic_of_one_is_the_mean(spec: DurationSpec) -> None:
    assert spec.order_statistic_mean(1, 1) == spec.mean()


@pytest.mark.parametrize("spec", CONTINUOUS + HEAVY, ids=ids)
@pytest.mark.parametrize("n", [2, 3, 8])
def test_order_statistics_add_up_to_n_means(spec: DurationSpec, n: int) -> None:
    # sum_k X_(k:n) = sum_i X_i, so the means add up to n * mean(); this holds only if
    # every tail is integrated in full (a log-normal with p90 / median = 48 has 4% of
    # its mean beyond its 1 - 1e-6 quantile).
    # This once failed at random (45.26 instead of 46.21 for a log-normal(4h, 12h), n = 8):
    # betaincinv gave nan for the tiniest levels, and a nan in a set sorts anywhere
    # (its hash is its address), dropping pieces of the tail.
    total = sum(spec.order_statistic_mean(k, n) for k in range(1, n + 1))
    assert_allclose(total, n * spec.mean(), rtol=1e-9)


@pytest.mark.parametrize("spec", [Pert(2 / 3, 1.0, 2.5), LogNormal(4.0, 12.0)], ids=ids)
def test_order_statistic_matches_simulation(spec: DurationSpec) -> None:
    draws = spec.sample(np.random.default_rng(11), 3 * N).reshape(N, 3)
    draws.sort(axis=1)
    expected = [spec.order_statistic_mean(k, 3) for k in (1, 2, 3)]
    assert_allclose(draws.mean(axis=0), expected, rtol=0.01)


@pytest.mark.parametrize(("k", "n"), [(0, 2), (3, 2), (1, 0), (1.0, 2)])
def test_order_statistic_rejects_bad_k_and_n(k: Any, n: Any) -> None:
    with pytest.raises(ValueError, match="order statistics need integers 1 <= k <= n"):
        Uniform(0.0, 1.0).order_statistic_mean(k, n)


# ---------------------------------------------------------------------------------------
# Errors: one test per rule
# ---------------------------------------------------------------------------------------


def raises(data: object, match: str, key: str | None) -> DurationSpecError:
    with pytest.raises(DurationSpecError, match=match) as info:
        parse_duration_spec(data)
    assert info.value.key == key
    assert "\n" not in str(info.value)
    return info.value


@pytest.mark.parametrize(
    ("data", "key", "path"),
    [
        ("3x", None, ()),
        ({"pert": [1, 2, 3], "uniform": [1, 2]}, None, ()),
        ({"lognormall": {"median": 4, "p90": 12}}, "lognormall", ("lognormall",)),
        ({"lognormal": {"median": 4, "p90": 2}}, "p90", ("lognormal", "p90")),
        ({"lognormal": {"median": "4x", "p90": 12}}, "median", ("lognormal", "median")),
        ({"lognormal": {"median": 4, "p95": 12}}, "p95", ("lognormal", "p95")),
        ({"lognormal": {"median": 4}}, "lognormal", ("lognormal",)),
        ({"lognormal": [4, 2]}, "lognormal", ("lognormal", 1)),
        ({"triangular": [1, 2, "3x"]}, "triangular", ("triangular", 2)),
        ({"triangular": [1, 4, 3]}, "triangular", ("triangular", 1)),
        ({"triangular": [1, 2]}, "triangular", ("triangular",)),
        ({"triangular": {"min": 3, "mode": 3, "max": 2}}, "min", ("triangular", "min")),
        ({"empirical": [1, "2x", 3]}, "empirical", ("empirical", 1)),
        ({"empirical": []}, "empirical", ("empirical",)),
        ({"exponential": "-1h"}, "exponential", ("exponential", 0)),
        ({"fixed": "3x"}, "fixed", ("fixed",)),
    ],
)
def test_error_key_and_path_locate_the_fault(
    data: object, key: str | None, path: tuple[str | int, ...]
) -> None:
    with pytest.raises(DurationSpecError) as info:
        parse_duration_spec(data)
    assert (info.value.key, info.value.path) == (key, path)


def test_error_is_a_value_error_and_a_phasesim_error() -> None:
    exc = raises("3x", "unknown unit", None)
    assert isinstance(exc, ValueError)
    assert isinstance(exc, PhasesimError)


def test_unknown_distribution_suggests_the_closest_name() -> None:
    raises(
        {"lognormall": {"median": "4h", "p90": "12h"}},
        r"^unknown distribution 'lognormall' \(did you mean 'lognormal'\?\); use one of "
        r"triangular, pert, uniform, lognormal, normal, exponential, gamma, weibull, "
        r"empirical$",
        "lognormall",
    )
    raises({"Pert": [1, 2, 3]}, r"did you mean 'pert'\?", "Pert")
    raises({"triangle": [1, 2, 3]}, r"did you mean 'triangular'\?", "triangle")


def test_unknown_distribution_without_a_close_name() -> None:
    raises(
        {"cauchy": [1, 2]}, r"^unknown distribution 'cauchy'; use one of triangular", "cauchy"
    )


def test_more_than_one_key() -> None:
    raises(
        {"pert": [1, 2, 3], "uniform": [1, 2]},
        r"takes exactly one distribution, .* found 2 keys \('pert', 'uniform'\)",
        None,
    )


def test_empty_mapping() -> None:
    raises({}, "takes exactly one distribution, .* found an empty mapping", None)


@pytest.mark.parametrize(
    ("data", "match", "key"),
    [
        (
            {"triangular": ["1h", "2h"]},
            r"^triangular takes \[min, mode, max\], found 2 values$",
            "triangular",
        ),
        ({"pert": [1, 2, 3, 4]}, r"^pert takes \[min, mode, max\], found 4 values$", "pert"),
        ({"uniform": [1]}, r"^uniform takes \[min, max\], found 1 value$", "uniform"),
        ({"lognormal": [4]}, r"^lognormal takes \[median, p90\], found 1 value$", "lognormal"),
        ({"exponential": [1, 2]}, r"^exponential takes \[mean\], found 2 values$", "exponential"),
        ({"triangular": "1h"}, r"^triangular takes \[min, mode, max\], found '1h'$", "triangular"),
        ({"gamma": "3h"}, r"^gamma takes \{mean: \.\., sd: \.\.\}, found '3h'$", "gamma"),
    ],
)
def test_wrong_number_of_values(data: object, match: str, key: str) -> None:
    raises(data, match, key)


def test_missing_named_parameter() -> None:
    raises(
        {"gamma": {"mean": "3h"}},
        r"^gamma takes \{mean: \.\., sd: \.\.\}, but 'sd' is missing$",
        "gamma",
    )


def test_unknown_named_parameter() -> None:
    raises(
        {"lognormal": {"median": "4h", "p95": "12h"}},
        r"^unknown lognormal parameter 'p95' \(did you mean 'p90'\?\); lognormal takes",
        "p95",
    )
    raises({"normal": {"mean": 1, "std": 1}}, r"parameter 'std' \(did you mean 'sd'\?\)", "std")


@pytest.mark.parametrize(
    ("data", "match", "key"),
    [
        ("-1h", r"^a duration cannot be negative, found '-1h'$", None),
        (-2, r"^a duration cannot be negative, found -2$", None),
        ({"uniform": ["-1h", "2h"]}, r"^uniform min: a duration cannot be negative", "uniform"),
        ({"normal": {"mean": -1, "sd": 1}}, r"^normal mean: a duration cannot be negative", "mean"),
        (
            {"empirical": [1, -1]},
            r"^empirical sample 2: a duration cannot be negative",
            "empirical",
        ),
    ],
)
def test_negative_values(data: object, match: str, key: str | None) -> None:
    raises(data, match, key)


def test_min_greater_than_max() -> None:
    raises(
        {"uniform": ["3h", "2h"]}, r"^uniform min \(3h\) is greater than its max \(2h\)$", "uniform"
    )
    raises({"triangular": {"min": "3h", "mode": "3h", "max": "2h"}}, "greater than its max", "min")


@pytest.mark.parametrize("kind", ["triangular", "pert"])
def test_mode_outside_min_max(kind: str) -> None:
    raises(
        {kind: ["1h", "4h", "2h"]},
        rf"^{kind} mode \(4h\) is outside \[min, max\] = \[1h, 2h\]$",
        kind,
    )
    raises({kind: {"min": "1h", "mode": "30m", "max": "2h"}}, "is outside", "mode")


@pytest.mark.parametrize("p90", ["2h", "4h"])
def test_p90_not_above_median(p90: str) -> None:
    raises(
        {"lognormal": {"median": "4h", "p90": p90}},
        rf"^lognormal p90 \({p90}\) must be greater than its median \(4h\)$",
        "p90",
    )
    raises({"lognormal": ["4h", p90]}, "must be greater than its median", "lognormal")


@pytest.mark.parametrize(
    ("data", "match", "key"),
    [
        (
            {"lognormal": {"median": 0, "p90": 1}},
            r"^lognormal median must be greater than 0",
            "median",
        ),
        (
            {"normal": {"mean": "1h", "sd": 0}},
            r"^normal sd must be greater than 0, found 0h$",
            "sd",
        ),
        ({"gamma": {"mean": "1h", "sd": 0}}, r"^gamma sd must be greater than 0", "sd"),
        ({"gamma": {"mean": 0, "sd": 1}}, r"^gamma mean must be greater than 0", "mean"),
        ({"exponential": {"mean": 0}}, r"^exponential mean must be greater than 0", "mean"),
        ({"exponential": "0h"}, r"^exponential mean must be greater than 0", "exponential"),
        ({"gamma": [0, 1]}, r"^gamma mean must be greater than 0", "gamma"),
    ],
)
def test_parameters_that_must_be_positive(data: object, match: str, key: str) -> None:
    raises(data, match, key)


def test_truncated_normal_allows_mean_zero() -> None:
    assert parse_duration_spec({"normal": {"mean": 0, "sd": "1h"}}) == Normal(0.0, 1.0)


def test_empirical_needs_a_nonempty_list() -> None:
    raises(
        {"empirical": []},
        r"^empirical needs at least one sample, found an empty list$",
        "empirical",
    )
    raises({"empirical": "1h"}, r"^empirical takes a list of durations, found '1h'$", "empirical")
    raises({"empirical": {"a": 1}}, "empirical takes a list of durations", "empirical")


@pytest.mark.parametrize(
    ("data", "match", "key"),
    [
        ("3x", r"^unknown unit 'x' in '3x'; use s/sec \(seconds\), m/min \(minutes\), "
         r"h/hr \(hours\), d \(24 h\) or w \(168 h\)$", None),
        ({"pert": ["1h", "2x", "3h"]}, r"^pert mode: unknown unit 'x' in '2x'", "pert"),
        (
            {"lognormal": {"median": "4hh", "p90": "12h"}},
            r"^lognormal median: unknown unit 'hh'",
            "median",
        ),
        ({"empirical": ["1h", "soon"]}, r"^empirical sample 2: expected a duration", "empirical"),
    ],
)
def test_unknown_units(data: object, match: str, key: str | None) -> None:
    raises(data, match, key)


@pytest.mark.parametrize(
    ("data", "match", "key"),
    [
        (True, r"^a duration is a text such as '4h' or a mapping .*, found True$", None),
        (
            {"uniform": [True, "2h"]},
            r"^uniform min: expected a duration such as '4h', found True",
            "uniform",
        ),
        ({"normal": {"mean": "1h", "sd": False}}, "normal sd: .*found False", "sd"),
        ({"fixed": True}, "fixed duration: .*found True", "fixed"),
    ],
)
def test_booleans(data: object, match: str, key: str | None) -> None:
    raises(data, match, key)


@pytest.mark.parametrize("data", [None, ["1h", "2h"], 1j])
def test_values_that_are_not_durations(data: object) -> None:
    raises(data, r"^a duration is a text such as '4h' or a mapping such as", None)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Triangular(2.0, 1.0, 3.0), "triangular mode"),
        (lambda: Uniform(2.0, 1.0), "greater than its max"),
        (lambda: Normal(1.0, 0.0), "normal sd must be greater than 0"),
        (lambda: Fixed(float("nan")), "finite, non-negative"),
        (lambda: Fixed(-1.0), "finite, non-negative"),
        (lambda: Empirical(()), "at least one sample"),
        (lambda: Gamma(1.0, float("inf")), "finite, non-negative"),
    ],
)
def test_constructors_validate_too(make: Any, match: str) -> None:
    with pytest.raises(DurationSpecError, match=match):
        make()


# ---------------------------------------------------------------------------------------
# Value semantics
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ALL, ids=ids)
def test_specs_are_frozen_hashable_and_picklable(spec: DurationSpec) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.low = 0.0  # type: ignore[attr-defined]
    assert hash(spec) == hash(parse_duration_spec(spec.to_data()))
    clone = pickle.loads(pickle.dumps(spec))
    assert clone == spec
    rng1, rng2 = np.random.default_rng(9), np.random.default_rng(9)
    assert clone.sample(rng1, 10).tolist() == spec.sample(rng2, 10).tolist()


def test_equality_is_by_parameters() -> None:
    assert Pert(1.0, 2.0, 3.0) == Pert(1, 2, 3)
    assert Pert(1.0, 2.0, 3.0) != Triangular(1.0, 2.0, 3.0)
    assert repr(LogNormal(4.0, 12.0)) == "LogNormal(median=4.0, p90=12.0)"
    assert Empirical([1.0, 2.0]).samples == (1.0, 2.0)  # type: ignore[arg-type]


def test_parse_duration_and_spec_agree_on_fixed_texts() -> None:
    for text in ("45m", "1d 4h", "1h30m", "2.5", "90s"):
        assert parse_duration_spec(text) == Fixed(parse_duration(text))
