"""Calibration speed: the bundled history, and a simulated log a hundred times larger.

``calibrate`` is timed (best of 3) on ``data/logs/harness-history.csv`` (1,409 rows, 24
activities, 22 of them fitted with 4 families each) and on the simulated log of 100 runs
x 26 weekly releases of the same blueprint (about 70,000 rows). The baseline, measured in
the same run on the same logs, is ``activity_stats`` - one descriptive pass over the
activities. Most of the time goes to the maximum-likelihood fits (a fixed number of
optimiser steps per activity and family, each a pass over that activity's durations), so
the time grows far slower than the log.

Run with ``python benchmarks/run.py calibrate`` or ``python benchmarks/bench_calibrate.py``.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BLUEPRINT = ROOT / "data" / "blueprints" / "harness-system-release.yaml"
HISTORY = ROOT / "data" / "logs" / "harness-history.csv"


def best_of(n: int, work: Callable[[], Any]) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        work()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    import phasesim
    from phasesim.calibration import calibrate

    history = phasesim.read_log(HISTORY)
    simulated = phasesim.simulate(BLUEPRINT, releases=26, cadence="weekly", runs=100, seed=1,
                                  progress=False).log
    for name, log in (("bundled history", history), ("simulated 100 x 26", simulated)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            took = best_of(3, lambda log=log: calibrate(BLUEPRINT, log))
        base = best_of(3, lambda log=log: phasesim.activity_stats(log))
        print(f"   {name:<20} {len(log):>7,} rows: calibrate {took:6.2f} s, "
              f"activity_stats {base:6.3f} s ({took / base:,.0f}x)")


if __name__ == "__main__":
    main()
