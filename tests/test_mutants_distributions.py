"""Tests that kill mutants of phasesim.distributions which survived the suite (issue 15).

Every expected value is written out by hand (or from the textbook formula, never from the
code under test): the exact error text, key and path of each validation, the stored float
fields, the short texts of awkward durations, the Weibull's closed forms and the stream
address of each draw.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

from phasesim.distributions import (
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
    Weibull,
    parse_duration_spec,
    scipy_distribution,
)

Z90 = 1.2815515655446004  # the standard normal 90% quantile

# -- validation: exact message and key ---------------------------------------------------

NON_NEG = "must be a finite, non-negative number of hours, found"

INVALID: list[tuple[Any, str, str]] = [
    (lambda: Fixed(-1.0), f"fixed duration {NON_NEG} -1.0", "fixed"),
    (lambda: Fixed("2h"), "fixed duration must be a number of hours, found '2h'", "fixed"),
    (lambda: Fixed(True), "fixed duration must be a number of hours, found True", "fixed"),
    (lambda: Triangular("a", 1, 2), "triangular min must be a number of hours, found 'a'",
     "min"),
    (lambda: Triangular(0, -1, 2), f"triangular mode {NON_NEG} -1", "mode"),
    (lambda: Triangular(0, 1, math.inf), f"triangular max {NON_NEG} inf", "max"),
    (lambda: Triangular(3, 3, 2), "triangular min (3h) is greater than its max (2h)", "min"),
    (lambda: Triangular(1, 3, 2), "triangular mode (3h) is outside [min, max] = [1h, 2h]",
     "mode"),
    (lambda: Pert(2, 1, 3), "pert mode (1h) is outside [min, max] = [2h, 3h]", "mode"),
    (lambda: Pert(4, 4, 3), "pert min (4h) is greater than its max (3h)", "min"),
    (lambda: Uniform(-1, 2), f"uniform min {NON_NEG} -1", "min"),
    (lambda: Uniform(1, None), "uniform max must be a number of hours, found None", "max"),
    (lambda: Uniform(3, 2), "uniform min (3h) is greater than its max (2h)", "min"),
    (lambda: LogNormal("4h", 12), "lognormal median must be a number of hours, found '4h'",
     "median"),
    (lambda: LogNormal(4, -1), f"lognormal p90 {NON_NEG} -1", "p90"),
    (lambda: LogNormal(0, 1), "lognormal median must be greater than 0, found 0h", "median"),
    (lambda: LogNormal(4, 4), "lognormal p90 (4h) must be greater than its median (4h)",
     "p90"),
    (lambda: Normal(-1, 1), f"normal mean {NON_NEG} -1", "mean"),
    (lambda: Normal(1, "x"), "normal sd must be a number of hours, found 'x'", "sd"),
    (lambda: Normal(1, 0), "normal sd must be greater than 0, found 0h", "sd"),
    (lambda: Exponential(-2), f"exponential mean {NON_NEG} -2", "mean"),
    (lambda: Exponential(0), "exponential mean must be greater than 0, found 0h", "mean"),
    (lambda: Gamma(-1, 1), f"gamma mean {NON_NEG} -1", "mean"),
    (lambda: Gamma(1, "a"), "gamma sd must be a number of hours, found 'a'", "sd"),
    (lambda: Gamma(0, 1), "gamma mean must be greater than 0, found 0h", "mean"),
    (lambda: Gamma(1, 0), "gamma sd must be greater than 0, found 0h", "sd"),
    (lambda: Weibull("a", 1), "weibull shape must be a number, found 'a'", "shape"),
    (lambda: Weibull(True, 1), "weibull shape must be a number, found True", "shape"),
    (lambda: Weibull(0, 1), "weibull shape must be a finite number greater than 0, found 0",
     "shape"),
    (lambda: Weibull(math.inf, 1),
     "weibull shape must be a finite number greater than 0, found inf", "shape"),
    (lambda: Weibull(math.nan, 1),
     "weibull shape must be a finite number greater than 0, found nan", "shape"),
    (lambda: Weibull(2, -1), f"weibull scale {NON_NEG} -1", "scale"),
    (lambda: Weibull(2, 0), "weibull scale must be greater than 0, found 0h", "scale"),
    (lambda: Empirical("1h"), "empirical takes a list of durations, found '1h'", "empirical"),
    (lambda: Empirical(5), "empirical takes a list of durations, found 5", "empirical"),
    (lambda: Empirical([]), "empirical needs at least one sample, found an empty list",
     "empirical"),
    (lambda: Empirical([1, -1]), f"empirical sample 2 {NON_NEG} -1", "empirical"),
    (lambda: Empirical([1, 2, "x"]),
     "empirical sample 3 must be a number of hours, found 'x'", "empirical"),
]


@pytest.mark.parametrize(("build", "message", "key"), INVALID,
                         ids=[m for _, m, _ in INVALID])
def test_constructor_errors_name_the_parameter(build: Any, message: str, key: str) -> None:
    with pytest.raises(DurationSpecError) as info:
        build()
    assert (info.value.message, str(info.value)) == (message, message)
    assert (info.value.key, info.value.path) == (key, (key,))


def test_small_positive_weibull_shape_is_valid() -> None:
    assert Weibull(0.5, 1.0).shape == 0.5


PARSE_ERRORS: list[tuple[Any, str, str | None, tuple[str | int, ...]]] = [
    ({}, "a duration mapping takes exactly one distribution, such as {pert: [min, mode, max]}"
     " (and optionally max: to cut it), found an empty mapping", None, ()),
    ({1: 2}, "unknown distribution 1; use one of triangular, pert, uniform, lognormal, "
     "normal, exponential, gamma, weibull, empirical", "1", ("1",)),
    ({"pert": {"mn": 1}},
     "unknown pert parameter 'mn' (did you mean 'min'?); pert takes [min, mode, max]",
     "mn", ("pert", "mn")),
    ({"uniform": {"lo": 1}}, "unknown uniform parameter 'lo'; uniform takes [min, max]",
     "lo", ("uniform", "lo")),
    ({"lognormal": {"median": "4h", "p95": "9h"}}, "unknown lognormal parameter 'p95' "
     "(did you mean 'p90'?); lognormal takes {median: .., p90: ..}", "p95",
     ("lognormal", "p95")),
    ({"triangular": {"min": "1h"}}, "triangular takes [min, mode, max], but 'mode' is missing",
     "triangular", ("triangular",)),
    ({"uniform": {"min": "1h"}}, "uniform takes [min, max], but 'max' is missing",
     "uniform", ("uniform",)),
    ({"weibull": {"shape": "2", "scale": "4h"}}, "weibull shape must be a number, found '2'",
     "shape", ("weibull", "shape")),
    ({"weibull": [True, "4h"]}, "weibull shape must be a number, found True", "weibull",
     ("weibull", 0)),
]


@pytest.mark.parametrize(("data", "message", "key", "path"), PARSE_ERRORS,
                         ids=[m for _, m, _, _ in PARSE_ERRORS])
def test_parse_errors_exact(data: Any, message: str, key: str | None,
                            path: tuple[str | int, ...]) -> None:
    with pytest.raises(DurationSpecError) as info:
        parse_duration_spec(data)
    assert (str(info.value), info.value.key, info.value.path) == (message, key, path)


def test_weibull_shape_from_a_list_is_a_plain_number() -> None:
    spec = parse_duration_spec({"weibull": [1.5, "4h"]})
    assert spec == Weibull(1.5, 4.0)
    assert type(spec.shape) is float  # type: ignore[attr-defined]


# -- stored fields are floats -------------------------------------------------------------


@pytest.mark.parametrize(("cls", "args", "text"), [
    (Fixed, (2,), "Fixed(hours=2.0)"),
    (Triangular, (1, 2, 4), "Triangular(low=1.0, mode=2.0, high=4.0)"),
    (Pert, (1, 2, 4), "Pert(low=1.0, mode=2.0, high=4.0)"),
    (Uniform, (1, 3), "Uniform(low=1.0, high=3.0)"),
    (LogNormal, (4, 12), "LogNormal(median=4.0, p90=12.0)"),
    (Normal, (2, 1), "Normal(mean_h=2.0, sd_h=1.0)"),
    (Exponential, (np.int64(3),), "Exponential(mean_h=3.0)"),
    (Gamma, (3, 1), "Gamma(mean_h=3.0, sd_h=1.0)"),
    (Weibull, (2, 4), "Weibull(shape=2.0, scale_h=4.0)"),
    (Empirical, ([1, 2],), "Empirical(samples=(1.0, 2.0))"),
])
def test_integer_parameters_are_stored_as_floats(cls: type[DurationSpec], args: tuple[Any, ...],
                                                 text: str) -> None:
    spec = cls(*args)  # built inside the test, so that the test covers the constructor
    assert repr(spec) == text
    for field in dataclasses.fields(spec):  # type: ignore[arg-type]
        value = getattr(spec, field.name)
        if field.init:
            assert all(type(v) is float for v in (value if field.name == "samples" else [value]))


# -- short texts ---------------------------------------------------------------------------


@pytest.mark.parametrize(("hours", "text"), [
    (1 / 3600, "1s"),
    (30 / 3600, "30s"),
    (1.5 / 3600, "0.0004167h"),  # not a whole second, under a minute: decimal hours
    ((10 + 5e-6) / 3600, "10s"),  # float noise of half a millionth: still 10 s
    (60.4 / 3600, "1m"),  # over a minute: rounded to the second
    (168.0, "1w"),
    (48.0, "2d"),
    (2.5, "2h30m"),
])
def test_short_text_of_a_duration(hours: float, text: str) -> None:
    assert str(Fixed(hours)) == text


def test_long_decimals_are_written_as_bare_numbers() -> None:
    # format_hours gives "0.123456789h" (12 characters, kept as text) and
    # "0.1234567891h" (13 characters, written as a float)
    assert Fixed(0.123456789).to_data() == "0.123456789h"
    assert Fixed(0.1234567891).to_data() == 0.1234567891


def test_empirical_text_lists_up_to_five_samples() -> None:
    assert str(Empirical([1, 2, 3, 4, 5])) == "empirical(1h, 2h, 3h, 4h, 5h)"
    assert str(Empirical([6, 1, 2, 3, 4, 5])) == "empirical(6 samples, 1h to 6h)"


def test_no_scipy_distribution_message() -> None:
    with pytest.raises(TypeError) as info:
        scipy_distribution(Fixed(4.0))
    assert str(info.value) == ("4h has no continuous scipy.stats distribution; "
                               "use its quantile, cdf and sample methods")


# -- distribution functions ----------------------------------------------------------------


def test_scalar_in_float_out_and_float64_arrays() -> None:
    spec = Uniform(1.0, 3.0)
    assert type(spec.quantile(0.5)) is float and spec.quantile(0.5) == 2.0
    assert type(spec.cdf(2.0)) is float and spec.cdf(2.0) == 0.5
    x32 = np.array([2.0], dtype=np.float32)
    assert spec.cdf(x32).dtype == np.float64
    assert spec.quantile(np.array([0.25], dtype=np.float32)).dtype == np.float64


@pytest.mark.parametrize("spec", [Triangular(2.0, 2.0, 2.0), Pert(2.0, 2.0, 2.0),
                                  Uniform(2.0, 2.0)])
def test_zero_width_cdf_is_one_at_the_value(spec: DurationSpec) -> None:
    assert_allclose(spec.cdf([1.9, 2.0, 2.1]), [0.0, 1.0, 1.0])


def test_unit_width_specs_are_not_zero_width() -> None:
    # symmetric on [1, 2]: half the mass below 1.5
    assert Pert(1.0, 1.5, 2.0).cdf(1.5) == pytest.approx(0.5, abs=1e-15)
    assert float(scipy_distribution(Triangular(0.0, 0.5, 1.0)).mean()) == pytest.approx(0.5)


def test_pert_narrower_than_an_hour() -> None:
    # Pert(0, 0, 1) is Beta(1, 5): F(u) = 1 - (1 - u) ** 5
    assert Pert(0.0, 0.0, 1.0).cdf(0.5) == pytest.approx(1 - 0.5**5, rel=1e-14)
    assert Pert(0.0, 0.5, 0.5).cdf(0.25) == pytest.approx(0.5**5, rel=1e-14)  # Beta(5, 1)


def test_scipy_uniform_has_the_width() -> None:
    rv = scipy_distribution(Uniform(1.0, 3.0))
    assert (float(rv.mean()), float(rv.std())) == pytest.approx((2.0, 2 / math.sqrt(12)))


@pytest.mark.parametrize("spec", [Triangular(1.0, 1.0, 3.0), Triangular(1.0, 3.0, 3.0),
                                  LogNormal(4.0, 12.0)])
def test_cdf_at_the_edges_without_warnings(spec: DurationSpec) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = spec.cdf([0.0, 1.0, 3.0])
    assert values[0] == 0.0
    assert np.all((values >= 0.0) & (values <= 1.0))


def test_lognormal_sf_at_zero_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert LogNormal(4.0, 12.0)._sf(np.array([0.0]))[0] == 1.0
        assert Exponential(2.0)._isf(np.array([0.0]))[0] == math.inf
        assert Weibull(2.0, 4.0)._isf(np.array([0.0]))[0] == math.inf


#: (spec, x, 1 - F(x)) from the textbook formulas.
SURVIVAL = [
    (Exponential(2.0), 1.0, math.exp(-0.5)),
    (Weibull(2.0, 4.0), 2.0, math.exp(-0.25)),
    (Uniform(1.0, 3.0), 2.5, 0.25),
    (Triangular(0.0, 1.0, 2.0), 1.5, 0.125),
    (Gamma(4.0, math.sqrt(8.0)), 4.0, 3 * math.exp(-2.0)),  # shape 2, scale 2: (1 + x/2) e^-x/2
    (Normal(0.0, 1.0), 1.0, 2 * (1 - 0.8413447460685429)),  # half-normal
]


@pytest.mark.parametrize(("spec", "x", "s"), SURVIVAL, ids=[str(s[0]) for s in SURVIVAL])
def test_survival_function_and_its_inverse(spec: DurationSpec, x: float, s: float) -> None:
    assert_allclose(spec._sf(np.array([x])), [s], rtol=1e-12)
    assert_allclose(spec._isf(np.array([s])), [x], rtol=1e-12)
    assert_allclose(spec.cdf(x), 1 - s, rtol=1e-12)


def test_empirical_support_is_its_smallest_and_largest_sample() -> None:
    assert Empirical((3.0, 1.0, 2.0))._support() == (1.0, 3.0)


# -- the Weibull ---------------------------------------------------------------------------


def test_weibull_closed_forms() -> None:
    spec = Weibull(2.0, 4.0)
    g1, g2 = math.gamma(1.5), math.gamma(2.0)
    assert spec.mean() == pytest.approx(4.0 * g1, rel=1e-15)
    assert spec.sd() == pytest.approx(4.0 * math.sqrt(g2 - g1 * g1), rel=1e-14)
    # quantile: scale (-ln(1 - q)) ** (1 / shape)
    assert_allclose(spec.quantile([0.0, 0.5, 1 - math.exp(-1)]),
                    [0.0, 4.0 * math.sqrt(math.log(2.0)), 4.0], rtol=1e-14)
    assert_allclose(spec.cdf([-1.0, 0.0, 4.0, 8.0]),
                    [0.0, 0.0, 1 - math.exp(-1.0), 1 - math.exp(-4.0)], rtol=1e-14)
    rv = scipy_distribution(spec)
    assert float(rv.mean()) == pytest.approx(4.0 * g1)
    assert float(rv.cdf(4.0)) == pytest.approx(1 - math.exp(-1.0))


def test_weibull_texts_and_scaling() -> None:
    spec = Weibull(1.5, 4.0)
    assert str(spec) == "weibull(shape=1.5, scale=4h)"
    assert str(Weibull(1 / 3, 2.5)) == "weibull(shape=0.3333, scale=2h30m)"
    assert spec.to_data() == {"weibull": {"shape": 1.5, "scale": "4h"}}
    assert spec.scaled(0.5) == Weibull(1.5, 2.0)
    with pytest.raises(ValueError, match="scale factor"):
        spec.scaled(0.0)


def test_weibull_draws_are_the_inverse_transform_of_standard_exponentials() -> None:
    spec = Weibull(2.0, 4.0)
    e = np.random.default_rng(5).standard_exponential(4)
    assert spec.sample(np.random.default_rng(5)) == 4.0 * e[0] ** 0.5
    assert_allclose(spec.sample(np.random.default_rng(5), size=4), 4.0 * e ** 0.5,
                    rtol=1e-15)


def test_weibull_order_statistics() -> None:
    # shape 1 is the exponential with mean = scale: E[max of 2] = scale (1/2 + 1/1)
    assert Weibull(1.0, 2.0).order_statistic_mean(2, 2) == pytest.approx(3.0, rel=1e-10)
    # E[min of n] of a Weibull is scale * n ** (-1 / shape) * Gamma(1 + 1 / shape)
    expected = 4.0 * 3 ** -0.5 * math.gamma(1.5)
    assert Weibull(2.0, 4.0).order_statistic_mean(1, 3) == pytest.approx(expected, rel=1e-10)


def test_triangular_order_statistic_across_the_mode() -> None:
    # Triangular(0, 1, 2): E[max of 2] = integral of 1 - F(x)^2 over [0, 2] = 1 + 7/30
    assert Triangular(0.0, 1.0, 2.0).order_statistic_mean(2, 2) == pytest.approx(
        1 + 7 / 30, rel=1e-10)


# -- stream addresses of the draws ----------------------------------------------------------


def test_lognormal_and_normal_draws_add_the_scaled_standard_normal() -> None:
    z = np.random.default_rng(3).standard_normal(3)
    assert z[0] > 0  # seed 3 starts with a positive draw: no rejection
    sigma = math.log(3.0) / Z90
    assert LogNormal(4.0, 12.0).sample(np.random.default_rng(3)) == pytest.approx(
        4.0 * math.exp(sigma * z[0]), rel=1e-14)
    assert_allclose(LogNormal(4.0, 12.0).sample(np.random.default_rng(3), size=3),
                    4.0 * np.exp(sigma * z), rtol=1e-14)
    assert Normal(2.0, 0.5).sample(np.random.default_rng(3)) == 2.0 + 0.5 * z[0]


def test_zero_width_pert_uses_the_stream_like_a_symmetric_pert() -> None:
    # alpha = beta = 3 (the lambda = 4 formula with the mode in the middle): the next draw
    # of the stream is the same as after a symmetric PERT's draw
    a, b = np.random.default_rng(11), np.random.default_rng(11)
    assert Pert(2.0, 2.0, 2.0).sample(a) == 2.0
    Pert(1.0, 1.5, 2.0).sample(b)
    assert a.random() == b.random()
    a, b = np.random.default_rng(11), np.random.default_rng(11)
    Pert(2.0, 2.0, 2.0).sample(a, size=50)
    b.beta(3.0, 3.0, 50)
    assert a.random() == b.random()
