"""Forecasts from a state read from a log: each rule against a hand-worked or theoretical
value (docs/forecast.md)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from phasesim import PhasesimError, load_blueprint
from phasesim.eventlog.schema import empty_log
from phasesim.forecasting import forecast
from phasesim.simulation import simulate
from phasesim.simulation.compiled import _stream_id
from phasesim.simulation.engine import conditioned_hours
from phasesim.simulation.streams import Streams, seed_key

DATA = Path(__file__).parent / "data"
MON = pd.Timestamp("2026-03-02 09:00", tz="UTC")  # a Monday


@pytest.fixture(autouse=True, params=["simpy", "auto"])
def forecast_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every case under the SimPy engine and under ``engine="auto"`` (compiled when nothing
    is in flight, else SimPy with ``Forecast.engine_note`` saying why)."""
    defaults = forecast.__kwdefaults__
    assert defaults is not None
    monkeypatch.setitem(defaults, "engine", request.param)
    return str(request.param)


def bp(text: str):
    return load_blueprint(textwrap.dedent(text))


def log_of(rows: list[dict]) -> pd.DataFrame:
    """A canonical log from hand-written rows (times as text, UTC)."""
    frame = pd.DataFrame([{"run": 0, "owner": pd.NA, "attempt": 1, "ready": r.get("start"),
                           **r} for r in rows])
    for col in ("ready", "start", "end"):
        frame[col] = pd.to_datetime(frame.get(col), utc=True)
    out = empty_log()
    for col in frame.columns:
        out[col] = frame[col]
    return out.astype({c: t for c, t in empty_log().dtypes.items() if c in frame.columns})


def remaining_h(fc, release: str) -> np.ndarray:
    rel = fc._rel[fc._rel["release_id"] == release]
    return ((rel["end"] - fc.now).dt.total_seconds() / 3600).to_numpy()


ONE = """\
    process:
      id: one
      phases:
        - phase:
            id: p
            activities:
              - activity: {id: a, type: automated, duration: %s}
    """


# -- conditioned durations ------------------------------------------------------------
def test_exponential_is_memoryless():
    # an exponential running for 5 h has the same remaining distribution: mean 3 h
    blueprint = bp(ONE % "{exponential: {mean: 3h}}")
    now = MON + pd.Timedelta(hours=5)
    log = log_of([{"release_id": "X", "phase_id": "p", "activity_id": "a",
                   "activity_type": "automated", "status": "in_progress",
                   "start": "2026-03-02 09:00Z", "end": None}])
    fc = forecast(blueprint, log, now=now, runs=20_000, seed=3)
    left = remaining_h(fc, "X")
    assert len(left) == 20_000 and left.min() > 0
    assert left.mean() == pytest.approx(3.0, rel=0.02)
    # and a fresh one (elapsed 0) has the unconditioned distribution, with the same numbers
    fresh = forecast(blueprint, log, now=MON, runs=2000, seed=3)
    spec = blueprint.phases[0].activities[0].duration
    u = Streams(seed_key(3)).uniforms(_stream_id("p.a"), range(5), 0, 1, 2)[:, 0, 1]
    assert remaining_h(fresh, "X")[:5] == pytest.approx(spec.quantile(u), abs=1e-6)


def test_lognormal_conditional_median_closed_form():
    blueprint = bp(ONE % "{lognormal: {median: 4h, p90: 12h}}")
    spec = blueprint.phases[0].activities[0].duration
    mu, sigma = np.log(4.0), np.log(12.0 / 4.0) / stats.norm.ppf(0.9)
    e = 5.0
    big_f = stats.norm.cdf((np.log(e) - mu) / sigma)
    closed = np.exp(mu + sigma * stats.norm.ppf((1 + big_f) / 2)) - e
    # the inverse transform at u = 1/2 is exactly the conditional median
    assert conditioned_hours(spec, e, np.array([0.5]))[0] - e == pytest.approx(closed,
                                                                                rel=1e-9)
    log = log_of([{"release_id": "X", "phase_id": "p", "activity_id": "a",
                   "activity_type": "automated", "status": "in_progress",
                   "start": "2026-03-02 09:00Z", "end": None}])
    fc = forecast(blueprint, log, now=MON + pd.Timedelta(hours=e), runs=4000, seed=11)
    assert np.median(remaining_h(fc, "X")) == pytest.approx(closed, rel=0.04)
    # by hand: sigma = ln 3 / 1.2816 = 0.8572, F(5) = Phi(0.2603) = 0.6027,
    # Phi^-1(0.8013) = 0.8467, exp(ln 4 + 0.8572 * 0.8467) = 8.266 -> 3.27 h remain
    assert closed == pytest.approx(3.264, abs=0.005)


# -- exact timestamps -----------------------------------------------------------------
FIXED = """\
    process:
      id: fixed
      calendars:
        office: {timezone: UTC, hours: Mon-Fri 09:00-17:00}
      teams:
        Dev: {capacity: 1, calendar: office}
      phases:
        - phase:
            id: fix
            owners: [Dev]
            calendar: office
            activities:
              - activity: {id: cut, type: automated, duration: 30m}
              - activity: {id: work, type: manual, duration: 12h, depends-on: [cut]}
        - phase:
            id: ship
            depends-on: [fix]
            not-before: Thu 12:00
            calendar: office
            owners: [Dev]
            activities:
              - activity: {id: deploy, type: automated, duration: 2h}
              - activity: {id: verify, type: manual, duration: 4h, depends-on: [deploy]}
        - phase:
            id: announce
            depends-on: [ship]
            calendar: office
            not-before: {at: Mon 09:00, week: 2}
            activities:
              - activity: {id: post, type: automated, duration: 1h}
    """


def test_fixed_durations_give_exact_finish_timestamps():
    # The release started Mon 03-02 09:00; cut ran 09:00-09:30, work (12 working hours)
    # started 09:30. At now = Tue 09:45 it has worked 7.5 h Mon + 0.75 h Tue = 8.25 h:
    # 3.75 h remain -> Tue 13:30. ship waits for Thu 12:00, deploy to 14:00, verify 4 h of
    # office time: 14-17 (3 h) + Fri 09-10 -> Fri 03-06 10:00. announce is the slot of
    # the release's 2nd week (from its own start, Mon 03-02): Mon 03-09 09:00 -> 10:00.
    log = log_of([
        {"release_id": "R1", "phase_id": "fix", "activity_id": "cut",
         "activity_type": "automated", "status": "succeeded",
         "start": "2026-03-02 09:00Z", "end": "2026-03-02 09:30Z"},
        {"release_id": "R1", "phase_id": "fix", "activity_id": "work",
         "activity_type": "manual", "status": "in_progress",
         "start": "2026-03-02 09:30Z", "end": None},
    ])
    fc = forecast(bp(FIXED), log, now="2026-03-03 09:45Z", runs=3, seed=1)
    sim = fc.log[(fc.log["run"] == 1) & ~fc.log["observed"]].set_index("activity_id")
    utc = lambda t: pd.Timestamp(t, tz="UTC")  # noqa: E731
    assert sim.loc["work", "start"] == utc("2026-03-02 09:30")  # it continues
    assert sim.loc["work", "end"] == utc("2026-03-03 13:30")
    assert sim.loc["deploy", "start"] == utc("2026-03-05 12:00")
    assert sim.loc["deploy", "end"] == utc("2026-03-05 14:00")
    assert sim.loc["verify", "end"] == utc("2026-03-06 10:00")
    assert sim.loc["post", "start"] == utc("2026-03-09 09:00")
    assert sim.loc["post", "end"] == utc("2026-03-09 10:00")
    assert "cut" not in sim.index  # observed, not simulated
    observed = fc.log[(fc.log["run"] == 1) & fc.log["observed"]]
    assert observed["activity_id"].tolist() == ["cut"]
    row = fc.releases.loc["R1"]
    assert row["finish_p50"] == row["finish_p95"] == utc("2026-03-09 10:00")
    assert str(row["finish_p50"].tz) == "UTC" and row["phase"] == "fix"
    phases = fc.phases.set_index("phase_id")
    assert phases.loc["ship", "finish_p80"] == utc("2026-03-06 10:00")
    assert sim.loc["work", "attempt"] == 1


def test_forecast_from_a_release_start_with_an_empty_log_equals_simulate():
    start = pd.Timestamp("2026-01-05 08:00", tz="Europe/Berlin")
    fc = forecast(DATA / "train.yaml", None, now=start, future=3, cadence="weekly",
                  runs=4, seed=5)
    sim = simulate(DATA / "train.yaml", releases=3, cadence="weekly", start=start, runs=4,
                   seed=5, progress=False)
    names = {"next-1": "R001", "next-2": "R002", "next-3": "R003"}
    mine = fc.log.drop(columns="observed").assign(
        release_id=fc.log["release_id"].map(names).astype("string"))
    pd.testing.assert_frame_equal(mine.reset_index(drop=True),
                                  sim.log.reset_index(drop=True))
    ends = fc._rel.assign(release_id=fc._rel["release_id"].map(names))
    pd.testing.assert_frame_equal(ends.reset_index(drop=True),
                                  sim.releases.reset_index(drop=True))


def both_forecasts(*args, **kwargs):
    """A forecast under the SimPy engine and under ``engine="auto"``: equal tables."""
    reference = forecast(*args, engine="simpy", **kwargs)
    auto = forecast(*args, engine="auto", **kwargs)
    assert reference.engine == "simpy" and reference.engine_note == ""
    for ref, other in ((reference.log, auto.log), (reference._rel, auto._rel),
                       (reference.releases, auto.releases), (reference.phases, auto.phases)):
        if ref is None:
            assert other is None
            continue
        pd.testing.assert_frame_equal(ref, other, check_exact=False, rtol=0, atol=1e-9)
    return reference, auto


def test_a_forecast_with_nothing_in_flight_runs_compiled_with_equal_tables():
    # from a release's start: the compiled engine, the same tables as SimPy's
    start = pd.Timestamp("2026-01-05 08:00", tz="Europe/Berlin")
    _, fc = both_forecasts(DATA / "train.yaml", None, now=start, future=3,
                           cadence="weekly", runs=4, seed=5)
    assert fc.engine == "compiled" and fc.engine_note == ""
    # releases after now: the clock starts at now and each arrives on its own timer. a
    # fixed 2 h activity, releases at 12:00 and 13:00: 12-14 and 13-15
    _, fc = both_forecasts(bp(ONE % "2h"), None, now=MON, future=2,
                           cadence=[MON + pd.Timedelta(hours=3), MON + pd.Timedelta(hours=4)],
                           runs=2, seed=3)
    assert fc.engine == "compiled", fc.engine_note
    sim = fc.log[fc.log["run"] == 1].set_index("release_id")
    assert sim.loc["next-1", "start"] == MON + pd.Timedelta(hours=3)
    assert sim.loc["next-2", "end"] == MON + pd.Timedelta(hours=6)
    assert fc.releases.loc["next-2", "finish_p50"] == MON + pd.Timedelta(hours=6)


def test_a_forecast_with_releases_in_flight_falls_back_and_says_why():
    log = log_of([
        {"release_id": "R1", "phase_id": "p", "activity_id": "a",
         "activity_type": "automated", "status": "in_progress",
         "start": "2026-03-02 09:00Z", "end": None},
    ])
    options = {"now": "2026-03-02 10:00Z", "future": 1, "cadence": "every 3d", "runs": 3,
               "seed": 2}
    _, fc = both_forecasts(bp(ONE % "2h"), log, **options)
    assert fc.engine == "simpy"
    assert "the forecast's starting state is not compiled yet (1 release(s) in flight" \
        in fc.engine_note
    with pytest.raises(PhasesimError, match="compiled engine cannot run this forecast"):
        forecast(bp(ONE % "2h"), log, engine="compiled", **options)
    # nothing in flight, but a team busy at now: SimPy too
    _, fc = both_forecasts(bp(OCCUPY), None, now=MON, future=1, cadence=[MON], runs=1,
                           seed=1, busy={"QA": [MON + pd.Timedelta(hours=3)]})
    assert fc.engine == "simpy" and "busy" in fc.engine_note
    review = fc.log.set_index("activity_id").loc["review"]
    assert review["start"] == MON + pd.Timedelta(hours=3)


# -- resources in use -----------------------------------------------------------------
OCCUPY = """\
    process:
      id: occupy
      calendars:
        office: {timezone: UTC, hours: Mon-Fri 09:00-17:00}
      teams:
        QA: {capacity: 1, calendar: office}
      phases:
        - phase:
            id: test
            owners: [QA]
            activities:
              - activity: {id: review, type: manual, duration: 19h}
    """


def test_a_busy_team_delays_new_work_to_exactly_when_it_frees():
    # R1's review (19 working hours) started Mon 09:00; at now = Tue 09:00 it has worked
    # 8 h, so it holds the one QA member until Tue 17:00 + Wed 09-12 = Wed 12:00. The
    # next release starts at now and waits for the member until exactly then.
    log = log_of([{"release_id": "R1", "phase_id": "test", "activity_id": "review",
                   "activity_type": "manual", "owner": "QA", "status": "in_progress",
                   "start": "2026-03-02 09:00Z", "end": None}])
    wed = pd.Timestamp("2026-03-04 12:00", tz="UTC")
    fc = forecast(bp(OCCUPY), log, now="2026-03-03 09:00Z", future=1,
                  cadence=["2026-03-03 09:00Z"], runs=2, seed=1)
    sim = fc.log[~fc.log["observed"] & (fc.log["run"] == 0)].set_index("release_id")
    assert sim.loc["R1", "end"] == wed
    assert sim.loc["next-1", "start"] == wed
    # its own 19 h: Wed 12-17 (5 h), Thu (8 h), Fri 09-15 (6 h)
    assert sim.loc["next-1", "end"] == pd.Timestamp("2026-03-06 15:00", tz="UTC")
    # the same occupancy given directly
    alone = forecast(bp(OCCUPY), None, now="2026-03-03 09:00Z", future=1,
                     cadence=["2026-03-03 09:00Z"], runs=2, seed=1,
                     busy={"QA": ["2026-03-04 12:00Z"]})
    assert alone.log.loc[alone.log["run"] == 0, "start"].iloc[0] == wed
    with pytest.raises(PhasesimError, match="not teams or environments"):
        forecast(bp(OCCUPY), None, now="2026-03-03 09:00Z", future=1, runs=1, seed=1,
                 busy={"Ops": ["2026-03-04 12:00Z"]})


KOFN = """\
    process:
      id: kofn
      phases:
        - phase:
            id: p
            activities:
              - activity:
                  id: gate
                  type: manual
                  approval: {wait: {exponential: {mean: 6h}}, approvers: 3, required: 2}
    """


def test_k_of_n_waits_for_the_first_of_the_remaining_approvers():
    # 2 of 3 required, 1 given, running 2 h: the gate opens at the first of the two
    # outstanding approvals, each an exponential conditioned on exceeding 2 h.
    blueprint = bp(KOFN)
    log = log_of([{"release_id": "X", "phase_id": "p", "activity_id": "gate",
                   "activity_type": "approval", "status": "in_progress",
                   "start": "2026-03-02 09:00Z", "end": None}]).assign(approvals=1)
    fc = forecast(blueprint, log, now=MON + pd.Timedelta(hours=2), runs=5000, seed=7)
    left = remaining_h(fc, "X")
    # exactly the order statistic of the engine's own uniform numbers
    wait = blueprint.phases[0].activities[0].approval.wait
    u = Streams(seed_key(7)).uniforms(_stream_id("p.gate"), range(40), 0, 1, 4)[:, 0, :]
    low = wait.cdf(2.0)
    first = np.min(wait.quantile(low + u[:, 1:3] * (1 - low)), axis=1) - 2.0
    assert left[:40] == pytest.approx(first, abs=1e-6)
    # and in distribution: the minimum of two exponentials of mean 6 h has mean 3 h
    assert left.mean() == pytest.approx(3.0, rel=0.05)


# -- matching the log -----------------------------------------------------------------
def test_unmatched_rows_are_counted_and_strict_lists_them_with_row_numbers(tmp_path):
    rows = [
        {"release_id": "R1", "phase_id": "fix", "activity_id": "cut",
         "activity_type": "automated", "status": "succeeded",
         "start": "2026-03-02 09:00Z", "end": "2026-03-02 09:30Z"},
        {"release_id": "R1", "phase_id": "docs", "activity_id": "write",
         "activity_type": "manual", "status": "succeeded",
         "start": "2026-03-02 09:30Z", "end": "2026-03-02 10:00Z"},
        {"release_id": "R1", "phase_id": "fix", "activity_id": "lint",
         "activity_type": "automated", "status": "succeeded",
         "start": "2026-03-02 09:30Z", "end": "2026-03-02 10:00Z"},
        {"release_id": "R2", "phase_id": "fix", "activity_id": "cut",
         "activity_type": "automated", "status": "succeeded",
         "start": "2026-03-02 10:00Z", "end": "2026-03-02 10:30Z"},
    ]
    path = tmp_path / "log.csv"
    log_of(rows).to_csv(path, index=False)
    fc = forecast(bp(FIXED), path, now="2026-03-02 11:00Z", runs=2, seed=1)
    # CSV rows: the header is row 1, so the data rows are 2..5
    assert fc.unmatched["row"].tolist() == [3, 4]
    assert fc.unmatched["reason"].tolist() == [
        "phase docs is not in the blueprint",
        "phase fix has no activity lint (activities: cut, work)"]
    # R1 ran an activity its unfinished phase fix does not have: it cannot be placed
    assert fc.unplaced["release_id"].tolist() == ["R1"]
    assert fc.unplaced["rows"].tolist() == ["4"]
    assert list(fc.releases.index) == ["R2"]
    assert "2 unmatched log row(s), 1 release problem(s)" in repr(fc)
    with pytest.raises(PhasesimError) as err:
        forecast(bp(FIXED), path, now="2026-03-02 11:00Z", runs=2, seed=1, strict=True)
    text = str(err.value)
    assert "3 problem(s)" in text
    assert "row 3: release R1: phase docs is not in the blueprint" in text
    assert "row 4: release R1: phase fix has no activity lint" in text
    assert "row(s) 4: release R1 cannot be placed" in text


def test_a_naive_now_is_an_error_that_says_so():
    with pytest.raises(PhasesimError, match="has no timezone"):
        forecast(bp(FIXED), None, now="2026-03-02 11:00", runs=1)
    with pytest.raises(PhasesimError, match="give now="):
        forecast(bp(FIXED), None, runs=1)


def test_rows_after_now_are_not_known_and_rows_running_at_now_continue():
    log = log_of([
        {"release_id": "R1", "phase_id": "fix", "activity_id": "cut",
         "activity_type": "automated", "status": "succeeded",
         "start": "2026-03-02 09:00Z", "end": "2026-03-02 09:30Z"},
        {"release_id": "R1", "phase_id": "fix", "activity_id": "work",
         "activity_type": "manual", "status": "succeeded",
         "start": "2026-03-02 09:30Z", "end": "2026-03-03 13:30Z"},
    ])
    # cut at Tue 09:45 the log says the same as the in-progress log of the fixed test
    fc = forecast(bp(FIXED), log, now="2026-03-03 09:45Z", runs=1, seed=1)
    assert fc.releases.loc["R1", "finish_p50"] == pd.Timestamp("2026-03-09 10:00", tz="UTC")
    # cut before anything started, there is nothing in flight
    early = forecast(bp(FIXED), log, now="2026-03-02 08:00Z", runs=1, seed=1)
    assert len(early.releases) == 0 and early.finished == []
    done = forecast(bp(FIXED), log, runs=1, seed=1)  # now: the latest timestamp
    assert done.now == pd.Timestamp("2026-03-03 13:30", tz="UTC")


# -- calibration ----------------------------------------------------------------------
BACKTEST = """\
    process:
      id: backtest
      calendars:
        office: {timezone: UTC, hours: Mon-Fri 09:00-17:00}
      teams:
        Dev: {capacity: 1, calendar: office}
      phases:
        - phase:
            id: build
            owners: [Dev]
            calendar: office
            activities:
              - activity: {id: code, type: manual, duration: {lognormal: {median: 6h, p90: 20h}}}
              - activity: {id: ci, type: automated, depends-on: [code],
                           duration: {triangular: [1h, 2h, 6h]}}
        - phase:
            id: approve
            depends-on: [build]
            calendar: office
            activities:
              - activity:
                  id: signoff
                  type: manual
                  approval: {wait: {exponential: {mean: 4h}}, approvers: 3, required: 2}
        - phase:
            id: ship
            depends-on: [approve]
            not-before: Tue 10:00
            activities:
              - activity: {id: deploy, type: automated, duration: {exponential: {mean: 3h}}}
    """


def test_backtest_actual_finish_is_within_p80_about_80_percent_of_the_time():
    blueprint = bp(BACKTEST)
    history = simulate(blueprint, releases=14, cadence="every 3d", start=MON, runs=1,
                       seed=2026, progress=False)
    ends = history.releases.set_index("release_id")["end"]
    log = history.log[["run", "release_id", "phase_id", "activity_id", "activity_type",
                       "owner", "status", "attempt", "ready", "start", "end"]]
    rng = np.random.default_rng(5)
    span = (ends.max() - MON).total_seconds() / 3600
    hits = trials = 0
    for now_h in rng.uniform(0, span * 0.85, size=20):
        now = MON + pd.Timedelta(hours=float(now_h))
        fc = forecast(blueprint, log, now=now, runs=100, seed=int(now_h))
        for rid, row in fc.releases.iterrows():
            trials += 1
            hits += bool(ends[rid] <= row["finish_p80"] + pd.Timedelta(seconds=1))
    assert trials >= 20
    # releases in flight at several nows are counted at each: a 99% binomial interval
    low, high = stats.binom.interval(0.99, trials, 0.8)
    assert low <= hits <= high, (hits, trials)


# -- carried over: attempts, rework, the rework budget --------------------------------
REWORK = """\
    process:
      id: rework
      phases:
        - phase:
            id: work
            activities:
              - activity: {id: fix, type: automated, duration: 2h}
        - phase:
            id: gate
            depends-on: [work]
            activities:
              - activity:
                  id: approve
                  type: manual
                  approval: {wait: 30m, approvers: 1, required: 1,
                             reject: {probability: 1.0, goto: work}}
    """


def test_rework_done_counts_against_the_max_rework_budget():
    # two rejections already (fix ran three times); the third review is running since
    # 10:00 and ends at 10:30; rejected again, the release's 3rd rework exceeds
    # max_rework=2 and it aborts then
    rows = []
    for k, hour in enumerate((0, 3, 6)):
        rows.append({"release_id": "R1", "phase_id": "work", "activity_id": "fix",
                     "activity_type": "automated", "status": "succeeded", "attempt": k + 1,
                     "start": MON + pd.Timedelta(hours=hour),
                     "end": MON + pd.Timedelta(hours=hour + 2)})
        rows.append({"release_id": "R1", "phase_id": "gate", "activity_id": "approve",
                     "activity_type": "approval", "attempt": k + 1,
                     "status": "rejected" if k < 2 else "in_progress",
                     "start": MON + pd.Timedelta(hours=hour + 2),
                     "end": MON + pd.Timedelta(hours=hour + 2.5) if k < 2 else None})
    log = log_of(rows)
    now = MON + pd.Timedelta(hours=8, minutes=10)
    fc = forecast(bp(REWORK), log, now=now, runs=2, seed=1, max_rework=2)
    rel = fc._rel.iloc[0]
    assert rel["status"] == "aborted" and bool(rel["capped"])
    assert rel["end"] == MON + pd.Timedelta(hours=8, minutes=30)
    sim = fc.log[~fc.log["observed"] & (fc.log["run"] == 0)]
    assert sim["activity_id"].tolist() == ["approve"]
    assert sim["attempt"].tolist() == [3] and sim["status"].tolist() == ["rejected"]
    assert fc.releases.loc["R1", "share_aborted"] == 1.0
    # with budget left it goes round again: fix (attempt 4) and a 4th review
    more = forecast(bp(REWORK), log, now=now, runs=1, seed=1, max_rework=3)
    rows_after = more.log[~more.log["observed"]]
    assert rows_after[["activity_id", "attempt"]].values.tolist() == [
        ["approve", 3], ["fix", 4], ["approve", 4]]


FLAKY = """\
    process:
      id: flaky
      phases:
        - phase:
            id: p
            activities:
              - activity: {id: build, type: automated, duration: 1h,
                           failure: {probability: 1.0, retries: 2}}
    """


def test_failed_tries_count_against_the_retries():
    # two failed tries already; the third is running since 11:00 and fails at 12:00:
    # no try is left, so the release aborts then (a fresh pass would try three times)
    rows = [{"release_id": "R1", "phase_id": "p", "activity_id": "build",
             "activity_type": "automated", "status": "failed", "attempt": k + 1,
             "start": MON + pd.Timedelta(hours=k), "end": MON + pd.Timedelta(hours=k + 1)}
            for k in range(2)]
    rows.append({"release_id": "R1", "phase_id": "p", "activity_id": "build",
                 "activity_type": "automated", "status": "in_progress", "attempt": 3,
                 "start": MON + pd.Timedelta(hours=2), "end": None})
    fc = forecast(bp(FLAKY), log_of(rows), now=MON + pd.Timedelta(hours=2.5), runs=1,
                  seed=1)
    rel = fc._rel.iloc[0]
    assert rel["status"] == "aborted"
    assert rel["end"] == MON + pd.Timedelta(hours=3)
    sim = fc.log[~fc.log["observed"]]
    assert sim["attempt"].tolist() == [3] and sim["status"].tolist() == ["failed"]


# -- the views --------------------------------------------------------------------------
def test_views_summary_html_frame_chance_and_fan_chart():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    log = log_of([
        {"release_id": "R1", "phase_id": "fix", "activity_id": "cut",
         "activity_type": "automated", "status": "succeeded",
         "start": "2026-03-02 09:00Z", "end": "2026-03-02 09:30Z"},
        {"release_id": "R1", "phase_id": "fix", "activity_id": "work",
         "activity_type": "manual", "status": "in_progress",
         "start": "2026-03-02 09:30Z", "end": None},
    ])
    fc = forecast(bp(FIXED), log, now="2026-03-03 09:45Z", future=1, cadence="weekly",
                  runs=3, seed=1, target="2026-03-06 12:00Z")
    # the next release is on the weekly cadence after R1's start: Mon 03-09 09:00
    assert fc.releases.loc["next-1", "started"] == pd.Timestamp("2026-03-09 09:00",
                                                                 tz="UTC")
    # every remaining phase's finish, as columns of the release's row
    assert fc.releases.loc["R1", "ship_p80"] == pd.Timestamp("2026-03-06 10:00", tz="UTC")
    assert fc.releases.loc["R1", "fix_p50"] == pd.Timestamp("2026-03-03 13:30", tz="UTC")
    assert fc.releases.loc["next-1", "announce_p95"] > fc.releases.loc["R1", "announce_p95"]
    table = fc.summary()
    assert "ship_p80" not in table.columns
    assert table.loc["R1", "finish_p50"] == "Mon 2026-03-09 10:00"
    assert table.loc["R1", "p_target"] == "0%"
    frame = fc.to_frame()
    assert frame.loc[frame["release_id"] == "R1", "phase_id"].tolist() == [
        "(release)", "fix", "ship", "announce"]
    assert frame.loc[1, "p_target"] == 1.0 and frame.loc[2, "p_target"] == 1.0
    assert "<table" in fc._repr_html_() and "R1" in fc._repr_html_()
    assert fc.chance("R1", "2026-03-06 10:00Z", phase="ship") == 1.0
    assert fc.chance("R1", "2026-03-06 09:59Z", phase="ship") == 0.0
    assert fc.chance("R1", "2026-03-09 09:00Z", phase="announce", event="start") == 1.0
    assert fc.chance("R1", "2026-03-09 09:00Z") == 0.0
    with pytest.raises(PhasesimError, match="no phase"):
        fc.chance("R1", "2026-03-09 09:00Z", phase="nope")
    fig, ax = plt.subplots()
    assert fc.plot(ax=ax) is ax
    assert [t.get_text() for t in ax.get_yticklabels()] == ["R1\n(in flight)",
                                                            "next-1\n(future)"]
    assert "UTC" in ax.get_xlabel()
    plt.close(fig)


def test_a_rejected_gate_reruns_its_block_from_now():
    # fix ran 09-11, the review rejected it at 11:30; at 12:00 fix runs again (attempt 2,
    # 12:00-14:00), then the review (attempt 2, 14:00-14:30); the rejection counts as rework
    text = REWORK.replace("probability: 1.0", "probability: 0.01")
    log = log_of([
        {"release_id": "R1", "phase_id": "work", "activity_id": "fix",
         "activity_type": "automated", "status": "succeeded",
         "start": MON, "end": MON + pd.Timedelta(hours=2)},
        {"release_id": "R1", "phase_id": "gate", "activity_id": "approve",
         "activity_type": "approval", "status": "rejected",
         "start": MON + pd.Timedelta(hours=2), "end": MON + pd.Timedelta(hours=2.5)},
    ])
    fc = forecast(bp(text), log, now=MON + pd.Timedelta(hours=3), runs=20, seed=1)
    sim = fc.log[~fc.log["observed"] & (fc.log["run"] == 0)]
    assert sim[["activity_id", "attempt"]].values.tolist()[:2] == [["fix", 2],
                                                                   ["approve", 2]]
    assert sim["start"].tolist()[:2] == [MON + pd.Timedelta(hours=3),
                                         MON + pd.Timedelta(hours=5)]
    assert (fc._rel["rework"] >= 1).all()
    assert fc.releases.loc["R1", "phase"] == "between phases"


ROLLBACK = """\
    process:
      id: rollback
      environments:
        prod: {capacity: 1}
      phases:
        - phase:
            id: deploy
            uses: [prod]
            activities:
              - activity: {id: push, type: automated, duration: 1h,
                           failure: {probability: %s, retries: 0, on-failure: hotfix}}
              - activity: {id: check, type: automated, duration: 3h, depends-on: [push]}
        - phase:
            id: hotfix
            rollback: true
            resume: %s
            activities:
              - activity: {id: patch, type: automated, duration: 2h}
    """


def _rows(*specs):
    return log_of([{"release_id": rid, "phase_id": pid, "activity_id": aid,
                    "activity_type": "automated", "status": status,
                    "start": MON + pd.Timedelta(hours=a),
                    "end": None if b is None else MON + pd.Timedelta(hours=b)}
                   for rid, pid, aid, status, a, b in specs])


def test_rollbacks_and_hotfix_releases_are_placed_or_reported():
    log = _rows(
        # R1: push failed, the hotfix ran and the release resumes: push runs again
        ("R1", "deploy", "push", "failed", 0, 1), ("R1", "hotfix", "patch", "succeeded", 1, 3),
        # R2: the hotfix is running at now: it cannot be placed
        ("R2", "deploy", "push", "failed", 0, 1), ("R2", "hotfix", "patch", "in_progress", 1,
                                                   None),
        # HF1: an ad-hoc hotfix release (only the rollback phase): finished
        ("HF1", "hotfix", "patch", "succeeded", 0, 2),
        # R3: aborted
        ("R3", "deploy", "push", "aborted", 0, 1),
    )
    now = MON + pd.Timedelta(hours=4)
    fc = forecast(bp(ROLLBACK % ("0.0001", "true")), log, now=now, runs=1, seed=1)
    assert list(fc.releases.index) == ["R1"]
    assert sorted(fc.finished) == ["HF1", "R3"]
    assert fc.unplaced["release_id"].tolist() == ["R2"]
    assert fc.unplaced["reason"].tolist() == [
        "it is rolling back at now: hotfix.patch of rollback phase hotfix is running, and "
        "the engine cannot start a release part-way through a rollback (forecast from "
        "after the rollback ended)"]
    assert fc.unplaced["rows"].tolist() == ["4"]
    sim = fc.log[~fc.log["observed"]]
    # push attempt 2 at now (4:00-5:00), then check (5:00-8:00); the resumed rollback
    # counts as rework
    assert sim[["activity_id", "attempt"]].values.tolist() == [["push", 2], ["check", 1]]
    assert sim["end"].max() == MON + pd.Timedelta(hours=8)
    assert int(fc._rel["rework"].iloc[0]) == 1
    # without resume the rolled-back release has ended
    ended = forecast(bp(ROLLBACK % ("0.0001", "false")), log, now=now, runs=1, seed=1)
    assert "R1" in ended.finished and len(ended.releases) == 0


def test_an_entered_phase_keeps_its_environment_until_it_ends():
    # R1 is in deploy (push done 0-1, check running since 1:00, 3 h): it holds prod until
    # 4:00; R2 starts at now = 2:00 and enters deploy only then
    log = _rows(("R1", "deploy", "push", "succeeded", 0, 1),
                ("R1", "deploy", "check", "in_progress", 1, None))
    fc = forecast(bp(ROLLBACK % ("0.0001", "true")), log, now=MON + pd.Timedelta(hours=2),
                  future=1, cadence=[MON + pd.Timedelta(hours=2)], runs=1, seed=1)
    sim = fc.log[~fc.log["observed"]].set_index(["release_id", "activity_id"])
    assert sim.loc[("R1", "check"), "end"] == MON + pd.Timedelta(hours=4)
    assert sim.loc[("next-1", "push"), "start"] == MON + pd.Timedelta(hours=4)
    assert sim.loc[("next-1", "push"), "wait_environment_h"] == pytest.approx(2.0)


def test_same_seed_same_forecast_whatever_the_workers():
    log = log_of([
        {"release_id": "R1", "phase_id": "build", "activity_id": "code",
         "activity_type": "manual", "owner": "Dev", "status": "in_progress",
         "start": "2026-03-02 09:00Z", "end": None},
    ])
    options = {"now": "2026-03-02 15:00Z", "future": 2, "cadence": "every 3d", "runs": 16,
               "seed": 4}
    one = forecast(bp(BACKTEST), log, n_jobs=1, **options)
    two = forecast(bp(BACKTEST), log, n_jobs=2, **options)
    pd.testing.assert_frame_equal(one.log, two.log)
    pd.testing.assert_frame_equal(one.releases, two.releases)


def test_cadence_is_inferred_from_release_starts_and_stated():
    # three releases cut Mondays 09:00 UTC a week apart: the next two are the next Mondays
    # after the last one; a release with phase-level rows only cannot be placed
    rows = [{"release_id": f"R{k}", "phase_id": "fix", "activity_id": "cut",
             "activity_type": "automated", "status": "succeeded",
             "start": MON + pd.Timedelta(days=7 * k),
             "end": MON + pd.Timedelta(days=7 * k, minutes=30)} for k in range(3)]
    rows.append({"release_id": "P1", "phase_id": "fix", "activity_id": pd.NA,
                 "activity_type": "phase", "status": "in_progress",
                 "start": MON + pd.Timedelta(days=14, hours=1), "end": None})
    fc = forecast(bp(FIXED), log_of(rows), now=MON + pd.Timedelta(days=15), future=2,
                  runs=1, seed=1)
    assert fc.cadence == {"freq": "weekly", "interval": 1, "weekday": "monday",
                          "time": "09:00", "timezone": "UTC"}
    assert fc.cadence_note == "inferred from the log: every 1 week(s), Monday 09:00 UTC"
    assert fc.releases.loc[["next-1", "next-2"], "started"].tolist() == [
        MON + pd.Timedelta(days=21), MON + pd.Timedelta(days=28)]
    assert fc.unplaced["release_id"].tolist() == ["P1"]
    assert "phase-level rows only" in fc.unplaced["reason"].iloc[0]
    one = forecast(bp(FIXED), log_of(rows[:1]), now=MON + pd.Timedelta(hours=1), future=1,
                   runs=1, seed=1)
    assert one.cadence == "weekly" and "the default" in one.cadence_note


def test_phase_level_rows_stand_for_a_single_activity_phase(tmp_path):
    """A milestone log (phase rows only) is placed on a blueprint with one activity per
    phase: beta done, rc running for 2 h of its fixed 10 h, final next (fixed 24 h)."""
    import phasesim as ps

    path = tmp_path / "m.yaml"
    path.write_text(
        "process:\n  id: m\n  phases:\n"
        "    - phase: {id: beta, activities: [{activity: {id: beta, type: wait, duration: 5h}}]}\n"
        "    - phase: {id: rc, depends-on: [beta], activities: "
        "[{activity: {id: rc, type: wait, duration: 10h}}]}\n"
        "    - phase: {id: final, depends-on: [rc], activities: "
        "[{activity: {id: final, type: wait, duration: 24h}}]}\n")
    log = pd.DataFrame({
        "release_id": ["3.20", "3.20"], "phase_id": ["beta", "rc"],
        "activity_type": "phase", "status": ["succeeded", "in_progress"],
        "start": pd.to_datetime(["2026-03-02 00:00", "2026-03-02 05:00"], utc=True),
        "end": pd.to_datetime(["2026-03-02 05:00", None], utc=True)})
    fc = ps.forecast(path, log, now="2026-03-02 07:00Z", runs=3, seed=0)
    assert fc.unmatched.empty and fc.unplaced.empty
    # rc ends 05:00 + 10 h = 15:00, final 24 h later.
    row = fc.releases.loc["3.20"]
    assert pd.Timestamp(row["finish_p50"]) == pd.Timestamp("2026-03-03 15:00Z")


# -- gaps closed after issue 11 ----------------------------------------------------------
def test_a_retry_due_gets_only_the_tries_left():
    # retries: 2 (three tries a pass); one try failed 09:00-10:00 and no retry row yet.
    # From now = 10:30 only two tries are left: 10:30-11:30 and 11:30-12:30, both fail,
    # and the release aborts at 12:30 (a fresh pass would try three times, to 13:30).
    rows = [{"release_id": "R1", "phase_id": "p", "activity_id": "build",
             "activity_type": "automated", "status": "failed", "attempt": 1,
             "start": MON, "end": MON + pd.Timedelta(hours=1)}]
    fc = forecast(bp(FLAKY), log_of(rows), now=MON + pd.Timedelta(hours=1.5), runs=1,
                  seed=1)
    rel = fc._rel.iloc[0]
    assert rel["status"] == "aborted"
    assert rel["end"] == MON + pd.Timedelta(hours=3.5)
    assert rel["reason"] == "p.build failed 3 time(s)"
    sim = fc.log[~fc.log["observed"]]
    assert sim["attempt"].tolist() == [2, 3]
    assert sim["start"].tolist() == [MON + pd.Timedelta(hours=1.5),
                                     MON + pd.Timedelta(hours=2.5)]
    # retries are rework, as in simulate
    assert sim["rework"].tolist() == [True, True]
    # two failed tries of three: one is left, 10:30-11:30
    second = {**rows[0], "attempt": 2, "start": MON + pd.Timedelta(hours=1),
              "end": MON + pd.Timedelta(hours=1.25)}
    two = log_of([*rows, second])
    fc2 = forecast(bp(FLAKY), two, now=MON + pd.Timedelta(hours=1.5), runs=1, seed=1)
    assert fc2._rel["end"].iloc[0] == MON + pd.Timedelta(hours=2.5)
    assert fc2.log.loc[~fc2.log["observed"], "attempt"].tolist() == [3]


def test_reruns_after_rework_in_the_log_are_flagged_rework():
    # as in test_a_rejected_gate_reruns_its_block_from_now: fix and the review run again
    # after the logged rejection, both rework (simulate flags the rework loop's rows)
    text = REWORK.replace("probability: 1.0", "probability: 0.000001")
    log = log_of([
        {"release_id": "R1", "phase_id": "work", "activity_id": "fix",
         "activity_type": "automated", "status": "succeeded",
         "start": MON, "end": MON + pd.Timedelta(hours=2)},
        {"release_id": "R1", "phase_id": "gate", "activity_id": "approve",
         "activity_type": "approval", "status": "rejected",
         "start": MON + pd.Timedelta(hours=2), "end": MON + pd.Timedelta(hours=2.5)},
    ])
    fc = forecast(bp(text), log, now=MON + pd.Timedelta(hours=3), runs=1, seed=1)
    sim = fc.log[~fc.log["observed"]]
    assert sim[["activity_id", "attempt", "rework"]].values.tolist() == [
        ["fix", 2, True], ["approve", 2, True]]
    # fix already rerun (succeeded 03:00-05:00): only the review runs again, as rework
    again = pd.concat([log, log_of([
        {"release_id": "R1", "phase_id": "work", "activity_id": "fix",
         "activity_type": "automated", "status": "succeeded",
         "start": MON + pd.Timedelta(hours=3), "end": MON + pd.Timedelta(hours=5)}])],
        ignore_index=True)
    fc = forecast(bp(text), again, now=MON + pd.Timedelta(hours=5), runs=1, seed=1)
    sim = fc.log[~fc.log["observed"]]
    assert sim[["activity_id", "attempt", "rework"]].values.tolist() == [
        ["approve", 2, True]]
    assert sim["end"].tolist() == [MON + pd.Timedelta(hours=5.5)]
    # a resumed rollback: push runs again as rework, check after it is not
    log = _rows(("R1", "deploy", "push", "failed", 0, 1),
                ("R1", "hotfix", "patch", "succeeded", 1, 3))
    fc = forecast(bp(ROLLBACK % ("0.0001", "true")), log, now=MON + pd.Timedelta(hours=4),
                  runs=1, seed=1)
    sim = fc.log[~fc.log["observed"]]
    assert sim[["activity_id", "rework"]].values.tolist() == [["push", True],
                                                              ["check", False]]


SERIAL = """\
    process:
      id: serial
      phases:
        - phase:
            id: build
            activities:
              - activity: {id: compile, type: automated, duration: 1h}
        - phase:
            id: deploy
            depends-on: [build]
            activities:
              - activity: {id: push, type: automated, duration: 3h}
    """


def test_serialize_and_max_in_flight_hold_back_the_next_release():
    # R1 built 09-10 and is pushing since 10:00 (3 h, to 13:00); now = 11:00, and next-1
    # is scheduled at now
    log = log_of([
        {"release_id": "R1", "phase_id": "build", "activity_id": "compile",
         "activity_type": "automated", "status": "succeeded",
         "start": MON, "end": MON + pd.Timedelta(hours=1)},
        {"release_id": "R1", "phase_id": "deploy", "activity_id": "push",
         "activity_type": "automated", "status": "in_progress",
         "start": MON + pd.Timedelta(hours=1), "end": None}])
    now = MON + pd.Timedelta(hours=2)
    options = {"now": now, "future": 1, "cadence": [now], "runs": 1, "seed": 1}

    def push(fc):
        sim = fc.log[~fc.log["observed"]].set_index(["release_id", "activity_id"])
        return sim.loc[("next-1", "push")]

    # free: next-1 builds 11-12 and pushes 12-15
    free = forecast(bp(SERIAL), log, **options)
    assert push(free)["start"] == MON + pd.Timedelta(hours=3)
    # deploy serialised: R1 leaves it at 13:00, so next-1 pushes 13-16, 1 h held back
    serial = forecast(bp(SERIAL), log, serialize=["deploy"], **options)
    assert push(serial)["start"] == MON + pd.Timedelta(hours=4)
    assert push(serial)["end"] == MON + pd.Timedelta(hours=7)
    assert push(serial)["wait_serialize_h"] == pytest.approx(1.0)
    # one release in flight at a time: next-1 starts when R1 ends at 13:00, builds 13-14
    # and pushes 14-17
    one = forecast(bp(SERIAL), log, max_in_flight=1, **options)
    assert push(one)["start"] == MON + pd.Timedelta(hours=5)
    rel = one._rel.set_index("release_id")
    assert rel.loc["next-1", "start"] == MON + pd.Timedelta(hours=4)
    assert rel.loc["R1", "end"] == MON + pd.Timedelta(hours=4)
    with pytest.raises(PhasesimError, match="serialize names unknown phase"):
        forecast(bp(SERIAL), log, serialize=["nope"], **options)
    with pytest.raises(PhasesimError, match="max_in_flight"):
        forecast(bp(SERIAL), log, max_in_flight=0, **options)


def test_rolling_back_or_inside_a_subprocess_is_reported_precisely(tmp_path):
    # the rollback failed with no tries left and no rollback row yet: rolling back
    log = _rows(("R1", "deploy", "push", "failed", 0, 1))
    fc = forecast(bp(ROLLBACK % ("0.0001", "true")), log, now=MON + pd.Timedelta(hours=2),
                  runs=1, seed=1)
    assert fc.unplaced["rows"].tolist() == ["1"] and len(fc.releases) == 0
    assert fc.unplaced["reason"].iloc[0].startswith(
        "it is rolling back at now: deploy.push failed with no tries left and rollback "
        "phase hotfix has not finished")
    (tmp_path / "sub.yaml").write_text(
        "process:\n  id: sub\n  phases:\n    - phase: {id: q, activities: "
        "[{activity: {id: step, type: automated, duration: 2h}}]}\n")
    sub = tmp_path / "outer.yaml"
    sub.write_text("process:\n  id: outer\n  phases:\n    - phase: {id: p, activities: "
                   "[{activity: {id: inner, type: subprocess, process: sub.yaml}}]}\n")
    log = _rows(("R1", "p", "inner", "in_progress", 0, None))
    fc = forecast(sub, log, now=MON + pd.Timedelta(hours=1), runs=1, seed=1)
    assert fc.unplaced["reason"].iloc[0].startswith(
        "p.inner is a subprocess activity running at now: the engine cannot start a "
        "release inside a subprocess")
    with pytest.raises(PhasesimError, match=r"row\(s\) 1: release R1 cannot be placed"):
        forecast(sub, log, now=MON + pd.Timedelta(hours=1), runs=1, seed=1, strict=True)


def test_random_arrivals_for_future_releases_use_the_arrival_stream():
    from phasesim.simulation.runner import _ARRIVALS

    cadence = {"interarrival": {"exponential": {"mean": "24h"}}}
    # an empty log, now at the first start: the same arrivals (and log) as simulate
    fc = forecast(bp(SERIAL), None, now=MON, future=3, cadence=cadence, runs=4, seed=9)
    sim = simulate(bp(SERIAL), releases=3, cadence=cadence, start=MON, runs=4, seed=9,
                   progress=False)
    names = {"next-1": "R001", "next-2": "R002", "next-3": "R003"}
    mine = fc.log.drop(columns="observed").assign(
        release_id=fc.log["release_id"].map(names).astype("string"))
    pd.testing.assert_frame_equal(mine.reset_index(drop=True),
                                  sim.log.reset_index(drop=True))
    # R1 started 09:00 and is in flight at now = 11:00: next-1 arrives at now plus an
    # exponential gap (memoryless: conditioned on exceeding 2 h, 2 h + Q(u1) after R1's
    # start), next-2 Q(u2) later, with u_i the arrival stream's number of release i
    log = log_of([{"release_id": "R1", "phase_id": "build", "activity_id": "compile",
                   "activity_type": "automated", "status": "in_progress",
                   "start": MON, "end": None}])
    now = MON + pd.Timedelta(hours=2)
    fc = forecast(bp(SERIAL), log, now=now, future=2, cadence=cadence, runs=5, seed=9)
    u = Streams(seed_key(9)).uniforms(_ARRIVALS, range(5), 0, 3, 1)[:, :, 0]
    gap1, gap2 = -24 * np.log1p(-u[:, 1]), -24 * np.log1p(-u[:, 2])
    rel = fc._rel.set_index(["run", "release_id"])["scheduled"]
    hours = lambda t: (t - now).total_seconds() / 3600  # noqa: E731
    first = np.array([hours(rel[(r, "next-1")]) for r in range(5)])
    second = np.array([hours(rel[(r, "next-2")]) for r in range(5)])
    assert first == pytest.approx(gap1, abs=1e-5)
    assert second == pytest.approx(gap1 + gap2, abs=1e-5)
    # the releases table shows the median scheduled start
    started = fc.releases.loc["next-1", "started"]
    assert hours(started) == pytest.approx(float(np.median(gap1)), abs=1e-5)


def test_releases_in_flight_past_max_in_flight_all_continue():
    # R1 pushes 10-13, R2 builds since 10:30 (to 11:30, then pushes 11:30-14:30); with
    # max_in_flight=1 both go on, and next-1 (scheduled at now = 11:00) starts only when
    # both have ended, at 14:30: build 14:30-15:30, push 15:30-18:30
    log = log_of([
        {"release_id": "R1", "phase_id": "build", "activity_id": "compile",
         "activity_type": "automated", "status": "succeeded",
         "start": MON, "end": MON + pd.Timedelta(hours=1)},
        {"release_id": "R1", "phase_id": "deploy", "activity_id": "push",
         "activity_type": "automated", "status": "in_progress",
         "start": MON + pd.Timedelta(hours=1), "end": None},
        {"release_id": "R2", "phase_id": "build", "activity_id": "compile",
         "activity_type": "automated", "status": "in_progress",
         "start": MON + pd.Timedelta(hours=1.5), "end": None}])
    now = MON + pd.Timedelta(hours=2)
    fc = forecast(bp(SERIAL), log, now=now, future=1, cadence=[now], runs=1, seed=1,
                  max_in_flight=1)
    rel = fc._rel.set_index("release_id")
    assert rel.loc["R1", "end"] == MON + pd.Timedelta(hours=4)
    assert rel.loc["R2", "end"] == MON + pd.Timedelta(hours=5.5)
    assert rel.loc["next-1", "start"] == MON + pd.Timedelta(hours=5.5)
    assert rel.loc["next-1", "end"] == MON + pd.Timedelta(hours=9.5)
