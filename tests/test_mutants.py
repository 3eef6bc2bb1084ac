"""Tests that kill mutants which once survived the suite (issue 15).

Each test pins one rule that a plausible one-line bug would break while every other test
still passed: the names say which.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

from phasesim import load_blueprint
from phasesim.analysis import delivery_metrics
from phasesim.simulation import simulate
from phasesim.simulation.streams import seed_key

START = pd.Timestamp("2026-03-02 10:00", tz="UTC")  # a Monday

ONE_JOB = """\
    process:
      id: p
      phases:
        - phase:
            id: only
            activities:
              - activity: {id: job, type: automated, duration: 1h}
    """


def run(text: str, releases: int = 1, **kwargs: object):
    options = {"cadence": "weekly", "start": START, "runs": 1, "seed": 1, "progress": False}
    options.update(kwargs)
    return simulate(load_blueprint(textwrap.dedent(text)), releases=releases,
                    **options)  # type: ignore[arg-type]


# -- arrival stream address ------------------------------------------------------------
def _philox_uniform(seed: int, stream: int, run: int, release: int, draw: int = 0) -> float:
    """The documented address, built from numpy's Philox without phasesim's Streams:
    key ``(seed_key(seed), stream)``, counter ``(release, draw // 4, execution, run)``,
    word ``draw % 4``, top 52 bits as the midpoint of a step."""
    key = np.array([seed_key(seed), stream], dtype=np.uint64)
    counter = np.array([release, draw // 4, 0, run], dtype=np.uint64)
    word = int(np.random.Philox(key=key, counter=counter).random_raw(4)[draw % 4])
    return ((word >> 12) + 0.5) / 2.0 ** 52


def test_arrival_gap_i_is_the_arrival_streams_draw_of_release_i():
    arrivals = 0xA7A7A7A7  # runner._ARRIVALS, the arrival stream's id
    result = run(ONE_JOB, releases=4, runs=2, seed=5,
                 cadence={"interarrival": {"exponential": {"mean": "2h"}}})
    rel = result.releases
    for r in (0, 1):
        # gap i (release i-1 -> i) is exponential(mean 2h) at the uniform of release i
        gaps = [-2.0 * np.log1p(-_philox_uniform(5, arrivals, r, i)) for i in (1, 2, 3)]
        expected = START + pd.to_timedelta(np.cumsum([0.0, *gaps]), unit="h")
        got = rel.loc[rel["run"] == r, "scheduled"].reset_index(drop=True)
        assert (abs(got - pd.Series(expected)) < pd.Timedelta("1ms")).all(), r
    # the same numbers written out (seed 5): release 1 of run 0 at u = 0.60307..., 1.848 h
    assert _philox_uniform(5, arrivals, 0, 1) == pytest.approx(0.6030723773510377, abs=1e-15)
    assert rel["scheduled"].iloc[1] == pd.Timestamp("2026-03-02 11:50:52.810", tz="UTC")


# -- lead_times keeps failed releases --------------------------------------------------
FAIL_THEN_ROLLBACK = """\
    process:
      id: p
      phases:
        - phase:
            id: deploy
            activities:
              - activity:
                  id: push
                  type: automated
                  duration: 1h
                  failure: {probability: 1.0, retries: 0, on-failure: rollback}
        - phase:
            id: rollback
            rollback: true
            activities:
              - activity: {id: revert, type: automated, duration: 2h}
    """


def test_lead_times_include_failed_releases_and_leave_out_aborted_ones():
    failed = run(FAIL_THEN_ROLLBACK, releases=2)
    assert list(failed.releases["status"]) == ["failed", "failed"]
    # push 1 h (fails) + revert 2 h
    assert list(failed.lead_times) == [pytest.approx(3.0), pytest.approx(3.0)]
    # on-failure: abort stops the release (engine status aborted); by the one vocabulary
    # of outcomes it failed, so it has a lead time (push 1 h); only the rework cap aborts
    aborted = run(FAIL_THEN_ROLLBACK.replace("on-failure: rollback", "on-failure: abort"))
    assert list(aborted.releases["status"]) == ["aborted"]
    assert list(aborted.releases["outcome"]) == ["failed"]
    assert list(aborted.lead_times) == [pytest.approx(1.0)]


# -- delivery_metrics: a release counts in the period of its end -----------------------
def test_delivery_metrics_counts_a_release_in_the_month_it_ended():
    t = lambda *s: pd.to_datetime(list(s), utc=True)  # noqa: E731
    log = pd.DataFrame({
        "release_id": ["jan", "cross"], "phase_id": ["prod", "prod"],
        "status": ["succeeded", "succeeded"],
        "start": t("2026-01-10 00:00", "2026-01-31 20:00"),
        "end": t("2026-01-10 02:00", "2026-02-01 04:00")})
    m = delivery_metrics(log)
    assert list(m["period"]) == list(t("2026-01-01", "2026-02-01"))
    assert list(m["releases"]) == [1, 1]
    assert list(m["lead_time_median_h"]) == [2.0, 8.0]
    assert list(m["days"]) == [31.0, 28.0]


# -- team queue order ------------------------------------------------------------------
def test_team_serves_the_earlier_ready_item_first_even_if_it_asked_later():
    # hog holds the one Ops member 10:00-20:00. b is ready at 11:00 (after pre) and asks
    # for Ops at once; a is ready at 10:00 but waits for its 12:00 anchor before asking.
    # First come first served by ready time: a goes first when hog ends, then b.
    result = run("""\
        process:
          id: p
          teams: {Ops: {capacity: 1}}
          phases:
            - phase:
                id: work
                owners: [Ops]
                activities:
                  - activity: {id: hog, type: manual, duration: 10h}
                  - activity: {id: pre, type: automated, duration: 1h}
                  - activity: {id: b, type: manual, duration: 1h, depends-on: [pre]}
                  - activity: {id: a, type: manual, duration: 1h, not-before: Mon 12:00}
        """)
    log = result.log.set_index("activity_id")
    at = lambda h: START + pd.Timedelta(hours=h)  # noqa: E731
    assert log.loc["hog", "end"] == at(10)
    assert (log.loc["a", "ready"], log.loc["a", "start"], log.loc["a", "end"]) == (
        at(0), at(10), at(11))
    assert (log.loc["b", "ready"], log.loc["b", "start"], log.loc["b", "end"]) == (
        at(1), at(11), at(12))
    assert log.loc["a", "wait_anchor_h"] == pytest.approx(2.0)
    assert log.loc["a", "wait_team_h"] == pytest.approx(8.0)
    assert log.loc["b", "wait_team_h"] == pytest.approx(10.0)


# -- an abort gives back the environment its phase holds -------------------------------
def test_an_abort_inside_a_phase_gives_its_environment_back():
    # every release's push fails for good after 2 h, aborting it while its phase holds
    # the one staging slot; the next release (an hour behind) gets the slot then
    result = run("""\
        process:
          id: p
          environments: {staging: {capacity: 1}}
          phases:
            - phase:
                id: deploy
                uses: [staging]
                activities:
                  - activity:
                      id: push
                      type: automated
                      duration: 2h
                      failure: {probability: 1.0, retries: 0}
        """, releases=3, cadence="every 1h")
    at = lambda h: START + pd.Timedelta(hours=h)  # noqa: E731
    rel = result.releases
    assert list(rel["release_id"]) == ["R001", "R002", "R003"]
    assert (rel["status"] == "aborted").all()
    assert list(rel["end"]) == [at(2), at(4), at(6)]
    assert list(rel["lead_time_h"]) == [2.0, 3.0, 4.0]
    held = result.usage[result.usage["kind"] == "environment"]
    assert held["released"].notna().all()
    assert list(held["granted"]) == [at(0), at(2), at(4)]
    assert list(held["released"]) == [at(2), at(4), at(6)]
    assert list(held["wait_h"]) == [0.0, 1.0, 2.0]
