"""Sensitivity on the Harness system release: every activity shortened in turn.

Targets: issue 5, ``sensitivity`` on the system release (its activities, 500 runs each)
in under 60 s on 2 cores; issue 13, the same (22 activities x 500 runs) in under 1 s
with ``n_jobs=1``. The baseline, measured in the same run, is one plain ``simulate`` of
the same size (500 runs of one release): sensitivity runs it once for the base and once
per activity that takes time, so its cost is about (variants + 1) times the baseline.

The machine is shared, so ``n_jobs=1`` is measured in CPU time (``time.process_time``:
one process does everything) and in wall time, over alternated turns of the baseline and
sensitivity, after one warm-up call of each (numba's cached code loaded, imports done);
the median is printed with the range. The compiled engine keeps recent draws (the
variants share a seed, so an activity a variant does not change draws the same numbers);
that store is emptied before every timed turn, so each turn starts as a fresh session
does, and one more turn with it full (a second sensitivity of the same blueprint, as a
notebook makes) is printed apart. ``n_jobs=2`` is one call, wall time only (its
workers' CPU is not this process's). The figures are printed, never asserted.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from phasesim import load_blueprint
from phasesim.simulation import simulate
from phasesim.simulation.fast.chunk import _KEPT
from phasesim.whatif import sensitivity

BLUEPRINT = Path(__file__).resolve().parents[1] / "data/blueprints/harness-system-release.yaml"
START = pd.Timestamp("2026-01-05 09:00", tz="America/Los_Angeles")
RUNS = 500
TURNS = 5
TARGET_S = 1.0


def _timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return time.process_time() - c0, time.perf_counter() - w0, out


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    bp = load_blueprint(BLUEPRINT)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"   {os.cpu_count()} cores, load average {load:.2f} before the run")

    def baseline() -> object:
        return simulate(bp, releases=1, runs=RUNS, start=START, seed=0, progress=False)

    def one_job() -> pd.DataFrame:
        return sensitivity(bp, 0.8, runs=RUNS, start=START, seed=0, n_jobs=1,
                           progress=False)

    baseline()
    one_job()  # warm-up: imports, numba's cache, calendars
    base_cpu, base_wall, sens_cpu, sens_wall = [], [], [], []
    table = pd.DataFrame()
    for _ in range(TURNS):
        _KEPT.clear()
        c, w, _out = _timed(baseline)
        base_cpu.append(c)
        base_wall.append(w)
        _KEPT.clear()
        c, w, out = _timed(one_job)
        sens_cpu.append(c)
        sens_wall.append(w)
        assert isinstance(out, pd.DataFrame)
        table = out
    variants = int(table["delta_p80_h"].notna().sum())
    print(f"   baseline: one simulate, {RUNS} runs x 1 release: CPU {_spread(base_cpu)}, "
          f"wall {_spread(base_wall)} (median of {TURNS} turns, range)")
    cpu_med = statistics.median(sens_cpu)
    wall_med = statistics.median(sens_wall)
    print(f"   sensitivity, {len(table)} activities ({variants} simulated, "
          f"{len(table) - variants} take no time or never run), {RUNS} runs each, n_jobs=1: "
          f"CPU {_spread(sens_cpu)}, wall {_spread(sens_wall)}; "
          f"{cpu_med / statistics.median(base_cpu):.1f} x baseline CPU; "
          f"target < {TARGET_S:.0f} s: {'met' if wall_med < TARGET_S else 'MISSED'} (wall), "
          f"{'met' if cpu_med < TARGET_S else 'MISSED'} (CPU)")
    warm_cpu, warm_wall, _out = _timed(one_job)
    print(f"   sensitivity again with the kept draws of the last turn: CPU {warm_cpu:.2f} s, "
          f"wall {warm_wall:.2f} s")
    if "--no-parallel" not in sys.argv:
        _c, took, _out = _timed(lambda: sensitivity(bp, 0.8, runs=RUNS, start=START, seed=0,
                                                    n_jobs=2, progress=False))
        print(f"   sensitivity, n_jobs=2 (one call, workers started): wall {took:.2f} s; "
              f"target of issue 5 < 60 s: {'met' if took < 60 else 'MISSED'}")
    top = table.iloc[0]
    print(f"   first: {table.index[0]} (ΔP80 {top['delta_p80_h']:+.2f} h, "
          f"Δmean {top['delta_mean_h']:+.2f} h)")


if __name__ == "__main__":
    main()
