"""Keyed random streams: their layout, their uniformity, and what they give scenarios."""

from __future__ import annotations

import itertools
import textwrap

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from phasesim import load_blueprint
from phasesim.distributions import parse_duration_spec
from phasesim.simulation import simulate
from phasesim.simulation.streams import Streams, seed_key

START = pd.Timestamp("2026-03-02 10:00", tz="UTC")


def test_layout_is_philox_keyed_by_seed_and_stream_counted_by_release_block_execution_run():
    key, stream, execution = seed_key(3), 1234, 2
    u = Streams(key).uniforms(stream, [5, 9], execution, releases=4, draws=6)
    assert u.shape == (2, 4, 6)
    for (i, run), release, draw in itertools.product(enumerate([5, 9]), range(4), range(6)):
        block, lane = divmod(draw, 4)
        # numpy's Philox increments word 0 before each block
        reference = np.random.Philox(key=np.array([key, stream], dtype=np.uint64),
                                     counter=[0, block, execution, run])
        raw = reference.random_raw(4 * (release + 1))[4 * release + lane]
        assert u[i, release, draw] == ((int(raw) >> 12) + 0.5) / 2 ** 52


def test_addresses_do_not_overlap_and_do_not_depend_on_how_many_are_asked_for():
    streams = Streams(seed_key(1))
    many = streams.uniforms(7, runs=[0], execution=0, releases=50, draws=9)
    assert np.array_equal(streams.uniforms(7, [0], 0, releases=3, draws=2), many[:, :3, :2])
    assert np.array_equal(streams.uniforms(7, [4, 0], 0, 50, 9)[1], many[0])
    others = [streams.uniforms(7, [0], 1, 50, 9), streams.uniforms(7, [1], 0, 50, 9),
              streams.uniforms(8, [0], 0, 50, 9),
              Streams(seed_key(2)).uniforms(7, [0], 0, 50, 9)]
    seen = set(many.ravel())
    assert len(seen) == many.size
    for other in others:
        assert seen.isdisjoint(other.ravel())


def test_uniforms_are_uniform_and_uncorrelated_between_executions():
    streams = Streams(seed_key(11))
    first = streams.uniforms(99, [0], 0, releases=20_000, draws=2)[0]
    second = streams.uniforms(99, [0], 1, releases=20_000, draws=2)[0]
    assert stats.kstest(first.ravel(), "uniform").pvalue > 0.01
    assert ((first > 0) & (first < 1)).all()
    # |r| of independent samples of 20,000 is below 4 / sqrt(20,000) = 0.028 but for 6e-5
    assert abs(np.corrcoef(first[:, 0], first[:, 1])[0, 1]) < 0.028
    assert abs(np.corrcoef(first[:, 1], second[:, 0])[0, 1]) < 0.028


def run_text(text: str, **kwargs: object) -> pd.DataFrame:
    options = {"releases": 20, "cadence": "weekly", "start": START, "runs": 5, "seed": 8,
               "progress": False}
    options.update(kwargs)
    return simulate(load_blueprint(textwrap.dedent(text)), **options).log  # type: ignore[arg-type]


ONE_STEP = """\
    process:
      id: p
      phases:
        - phase:
            id: a
            activities:
              - activity: {{id: build, type: automated, duration: {duration}}}
              - activity:
                  id: gate
                  type: manual
                  depends-on: [build]
                  approval: {{approvers: 3, required: {required},
                             wait: {{exponential: {{mean: 2h}}}}}}
              - activity: {{id: ship, type: automated, duration: {{uniform: [1h, 2h]}},
                           failure: {{probability: 0.3, retries: 2}}, depends-on: [gate]}}
    """


def by_activity(log: pd.DataFrame, activity: str) -> pd.Series:
    rows = log[log["activity_id"] == activity]
    return rows.set_index(["run", "release_id", "attempt"])["work_h"]


def test_a_scaled_duration_scales_every_draw_and_keeps_every_outcome():
    """Inverse transform: the same uniform gives each scenario its own quantile."""
    base = run_text(ONE_STEP.format(duration="{lognormal: {median: 2h, p90: 6h}}",
                                    required=2))
    fast = run_text(ONE_STEP.format(duration="{lognormal: {median: 1h, p90: 3h}}",
                                    required=2))
    np.testing.assert_allclose(by_activity(fast, "build"), 0.5 * by_activity(base, "build"))
    for activity in ("gate", "ship"):  # other activities and every outcome are untouched
        pd.testing.assert_series_equal(by_activity(fast, activity), by_activity(base, activity))
    assert (base["status"] == "failed").sum() > 10


def test_requiring_another_approver_keeps_each_approvers_wait():
    two = by_activity(run_text(ONE_STEP.format(duration="1h", required=2)), "gate")
    three = by_activity(run_text(ONE_STEP.format(duration="1h", required=3)), "gate")
    # the same three waits, so the slowest of three is never earlier than the second
    assert (three >= two).all() and (three > two).mean() > 0.99


@pytest.mark.parametrize("releases", [3, 12])
def test_a_release_draws_the_same_whatever_the_number_of_releases(releases: int):
    text = ONE_STEP.format(duration="{triangular: [1h, 2h, 4h]}", required=2)
    # weekly releases of a few hours never meet, so the first three are alike
    short = by_activity(run_text(text, releases=3), "build")
    longer = by_activity(run_text(text, releases=releases), "build")
    pd.testing.assert_series_equal(short, longer.loc[short.index])


@pytest.mark.parametrize("spec", [
    {"lognormal": {"median": "2h", "p90": "8h"}}, {"exponential": {"mean": "1h"}},
    {"normal": {"mean": "1h", "sd": "2h"}}, {"gamma": {"mean": "1h", "sd": "3h"}},
    {"weibull": {"shape": 0.5, "scale": "1h"}}, {"pert": ["1h", "2h", "9h"]},
])
def test_the_most_extreme_draws_give_finite_positive_durations(spec: object):
    smallest, largest = 0.5 / 2 ** 52, (2 ** 52 - 0.5) / 2 ** 52
    hours = parse_duration_spec(spec).quantile([smallest, largest])
    assert np.isfinite(hours).all() and (hours >= 0).all() and hours[0] < hours[1]


def test_drawing_for_groups_of_runs_gives_each_run_its_own_numbers(monkeypatch):
    from phasesim.simulation import batch

    text = ONE_STEP.format(duration="{pert: [1h, 2h, 6h]}", required=2)
    together = run_text(text, releases=4, runs=6)
    monkeypatch.setattr(batch, "_GROUP_RELEASES", 1)  # every run draws on its own
    alone = run_text(text, releases=4, runs=6)
    pd.testing.assert_frame_equal(together, alone)
    assert together["work_h"].nunique() > 40
