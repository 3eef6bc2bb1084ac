"""A 12-origin backtest of the bundled history.

Target (issue 12): at most 15x one calibrate + simulate of the same size, measured in the
same run. "The same size": one calibration on the whole history, then one simulation of
as many releases as the backtest forecasts in all (in flight and future, summed over its
origins), with the same runs. The backtest calibrates at every origin and forecasts from
a state, so its cost over that baseline is the eleven extra calibrations plus what the
forecast adds. The figures are printed, never asserted.

CPU time (``time.process_time``), the backtest and the baseline alternated over
``turns`` (default 3), medians. Measured (shared 2-core machine, load average 3.9 before
the run): 12 origins, 60 forecasts scored, 200 runs: 21.3 s for a baseline of 4.0 s
(one calibrate + simulate of 60 releases x 200 runs) = 5.3x (turns 5.3, 5.5, 5.2); the
15x target is met. docs/backtest.md has the figures too.

Run with ``python benchmarks/run.py backtest`` or ``python benchmarks/bench_backtest.py
[turns]``.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from phasesim import calibrate, load_blueprint, read_log, simulate
from phasesim.backtesting import backtest

ROOT = Path(__file__).resolve().parents[1]
BLUEPRINT = ROOT / "data/blueprints/harness-system-release.yaml"
LOG = ROOT / "data/logs/harness-history.csv"
RUNS = 200


def main(turns: int = 3) -> None:
    bp, log = load_blueprint(BLUEPRINT), read_log(LOG)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"   {os.cpu_count()} cores, load average {load:.2f} before the run")
    starts = log.groupby("release_id")["start"].min().sort_values()
    origins = list(pd.date_range(starts.iloc[8].ceil("D"), periods=12, freq="3W-MON",
                                 tz="UTC"))
    tooks: list[float] = []
    bases: list[float] = []
    ratios: list[float] = []
    for turn in range(turns):  # alternated, so both see the same load
        t0 = time.process_time()
        bt = backtest(log, blueprint=bp, origins=origins, horizon="4w", runs=RUNS, seed=0,
                      progress=False)
        tooks.append(time.process_time() - t0)
        n = int(bt.origins["in_flight"].sum() + bt.origins["future"].sum())

        t0 = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = calibrate(bp, log).blueprint
        simulate(fitted, releases=n, runs=RUNS, start=starts.iloc[0], seed=0,
                 progress=False)
        bases.append(time.process_time() - t0)
        ratios.append(tooks[-1] / bases[-1])
        print(f"   turn {turn + 1}: backtest {tooks[-1]:.1f} s, baseline (one calibrate + "
              f"simulate of {n} releases x {RUNS} runs) {bases[-1]:.1f} s CPU: "
              f"{ratios[-1]:.1f}x", flush=True)
    ratio = float(np.median(ratios))
    print(f"   backtest, {len(origins)} origins, {len(bt.forecasts)} forecasts scored, "
          f"{RUNS} runs: {np.median(tooks):.1f} s for {np.median(bases):.1f} s CPU (medians "
          f"of {turns}) = {ratio:.1f}x baseline (turns "
          f"{', '.join(f'{r:.1f}' for r in ratios)}); target <= 15x: "
          f"{'met' if ratio <= 15 else 'MISSED'}")
    print("   " + bt.summary().replace("\n", "\n   "))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
