"""A 12-origin backtest of the bundled history.

Target (issue 12): at most 15x one calibrate + simulate of the same size, measured in the
same run. "The same size": one calibration on the whole history, then one simulation of
as many releases as the backtest forecasts in all (in flight and future, summed over its
origins), with the same runs. The backtest calibrates at every origin and forecasts from
a state, so its cost over that baseline is the eleven extra calibrations plus what the
forecast adds. The figures are printed, never asserted.
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import pandas as pd

from phasesim import calibrate, load_blueprint, read_log, simulate
from phasesim.backtesting import backtest

ROOT = Path(__file__).resolve().parents[1]
BLUEPRINT = ROOT / "data/blueprints/harness-system-release.yaml"
LOG = ROOT / "data/logs/harness-history.csv"
RUNS = 200


def main() -> None:
    bp, log = load_blueprint(BLUEPRINT), read_log(LOG)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"   {os.cpu_count()} cores, load average {load:.2f} before the run")
    starts = log.groupby("release_id")["start"].min().sort_values()
    origins = list(pd.date_range(starts.iloc[8].ceil("D"), periods=12, freq="3W-MON",
                                 tz="UTC"))

    t0 = time.perf_counter()
    bt = backtest(log, blueprint=bp, origins=origins, horizon="4w", runs=RUNS, seed=0,
                  progress=False)
    took = time.perf_counter() - t0
    n = int(bt.origins["in_flight"].sum() + bt.origins["future"].sum())

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = calibrate(bp, log).blueprint
    simulate(fitted, releases=n, runs=RUNS, start=starts.iloc[0], seed=0, progress=False)
    baseline = time.perf_counter() - t0
    print(f"   baseline: one calibrate + simulate of {n} releases x {RUNS} runs: "
          f"{baseline:.1f} s")
    ratio = took / baseline
    print(f"   backtest, {len(origins)} origins, {len(bt.forecasts)} forecasts scored, "
          f"{RUNS} runs: {took:.1f} s = {ratio:.1f} x baseline; target <= 15 x: "
          f"{'met' if ratio <= 15 else 'MISSED'}")
    print("   " + bt.summary().replace("\n", "\n   "))


if __name__ == "__main__":
    main()
