"""Forecast cost: 5 releases in flight plus 10 future ones vs one simulate of 15.

Target (issue 11): a forecast of 5 releases in flight and the next 10, 1,000 runs, on the
Harness system release, at most 1.5x one ``simulate`` of the same 15 releases from
scratch (1,000 runs), both measured in the same run, taking turns, so that a slow spell
of a shared machine falls on both. The history is simulated (one run of releases cut
every 4 days, so that about five are in flight at once) and cut at a moment when exactly
five are. The figures are printed, never asserted.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import pandas as pd

from phasesim import load_blueprint
from phasesim.forecasting import forecast
from phasesim.simulation import simulate

BLUEPRINT = Path(__file__).resolve().parents[1] / "data/blueprints/harness-system-release.yaml"
START = pd.Timestamp("2026-01-05 09:00", tz="America/Los_Angeles")
CADENCE = "every 4d"
RUNS = 1000
TURNS = 2


def history_and_now(bp):  # type: ignore[no-untyped-def]
    """One simulated run of 12 releases, and the first moment with exactly 5 in flight
    (after the 6th release has started)."""
    history = simulate(bp, releases=12, cadence=CADENCE, start=START, runs=1, seed=99,
                       progress=False)
    rel = history.releases
    for hours in range(24 * 20, 24 * 60, 6):
        now = START + pd.Timedelta(hours=hours)
        flying = int(((rel["start"] <= now) & (rel["end"] > now)).sum())
        if flying == 5:
            return history.log, now
    raise RuntimeError("no moment with five releases in flight")


def main() -> None:
    bp = load_blueprint(BLUEPRINT)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"   {os.cpu_count()} cores, load average {load:.2f} before the run")
    log, now = history_and_now(bp)
    fc = forecast(bp, log, now=now, future=10, cadence=CADENCE, runs=10, seed=0)
    flying = len(fc.state.in_flight)
    print(f"   now {now:%Y-%m-%d %H:%M %Z}: {flying} in flight, 10 future, {RUNS} runs")
    forecasts: list[float] = []
    simulates: list[float] = []
    for _ in range(TURNS):
        t0 = time.perf_counter()
        forecast(bp, log, now=now, future=10, cadence=CADENCE, runs=RUNS, seed=1)
        forecasts.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        simulate(bp, releases=flying + 10, cadence=CADENCE, start=now, runs=RUNS, seed=1,
                 progress=False)
        simulates.append(time.perf_counter() - t0)
    ratios = [f / s for f, s in zip(forecasts, simulates, strict=True)]
    f, s = statistics.median(forecasts), statistics.median(simulates)
    print(f"   forecast: {', '.join(f'{t:.2f}' for t in forecasts)} s; simulate of "
          f"{flying + 10} releases: {', '.join(f'{t:.2f}' for t in simulates)} s")
    print(f"   ratio per turn {', '.join(f'{r:.2f}' for r in ratios)}; median {f / s:.2f}x; "
          f"target <= 1.5x: {'met' if f / s <= 1.5 else 'MISSED'}")


if __name__ == "__main__":
    main()
