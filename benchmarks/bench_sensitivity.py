"""Sensitivity on the Harness system release: every activity shortened in turn.

Target (issue 5): ``sensitivity`` on the system release (its activities, 500 runs each)
in under 60 s on 2 cores. The baseline, measured in the same run, is one plain
``simulate`` of the same size (500 runs of one release): sensitivity runs it once for the
base and once per activity that takes time, so its cost is about (variants + 1) times the
baseline, less with workers. The figures are printed, never asserted.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd

from phasesim import load_blueprint
from phasesim.simulation import simulate
from phasesim.whatif import sensitivity

BLUEPRINT = Path(__file__).resolve().parents[1] / "data/blueprints/harness-system-release.yaml"
START = pd.Timestamp("2026-01-05 09:00", tz="America/Los_Angeles")
RUNS = 500


def main() -> None:
    bp = load_blueprint(BLUEPRINT)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"   {os.cpu_count()} cores, load average {load:.2f} before the run")

    t0 = time.perf_counter()
    simulate(bp, releases=1, runs=RUNS, start=START, seed=0, progress=False)
    baseline = time.perf_counter() - t0
    print(f"   baseline: one simulate, {RUNS} runs x 1 release: {baseline:.2f} s")

    for n_jobs in (1, 2):
        t0 = time.perf_counter()
        table = sensitivity(bp, 0.8, runs=RUNS, start=START, seed=0, n_jobs=n_jobs,
                            progress=False)
        took = time.perf_counter() - t0
        variants = int(table["delta_p80_h"].notna().sum())
        print(f"   sensitivity, {len(table)} activities ({variants} simulated, "
              f"{len(table) - variants} take no time or never run), {RUNS} runs each, "
              f"n_jobs={n_jobs}: {took:.1f} s = {took / baseline:.1f} x baseline "
              f"({took / (variants + 1) / baseline:.2f} x baseline per simulation); "
              f"target < 60 s: {'met' if took < 60 else 'MISSED'}")
    top = table.iloc[0]
    print(f"   first: {table.index[0]} (ΔP80 {top['delta_p80_h']:+.2f} h, "
          f"Δmean {top['delta_mean_h']:+.2f} h)")


if __name__ == "__main__":
    main()
