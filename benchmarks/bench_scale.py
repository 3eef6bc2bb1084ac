"""How read + analysis grow with the log: towards 30 million rows in 60 s and 8 GB.

The synthetic log of ``bench_history`` (30 activities per release) is written to Parquet
at several sizes (``PHASESIM_SCALE_RELEASES``, default ``10000,30000,100000`` releases =
0.3, 0.9 and 3 million rows). Each size is read and analysed in a fresh process:
``read_log``, then on one :class:`phasesim.History` ``lead_times``, ``phase_stats`` and
``bottlenecks`` (1,000 bootstrap resamples); its time and peak memory (max RSS) are
recorded. A straight line through the sizes gives the seconds and bytes per row, and
the estimate for the target of 1,000,000 releases (30 million rows): under 60 s and
8 GB. Give ``PHASESIM_SCALE_RELEASES=1000000`` on a machine with the memory to measure
it rather than estimate it.

Measured on the shared 2-core machine, 3 December 2026 (load 0.4-1): 3 M rows 9.1 s wall,
10.5 s CPU, 1.73 GB peak; about 3.5 s CPU and 0.49 GB per million rows, so an estimated
104 s CPU and 14.9 GB for 30 M rows: outside both targets (not measured at 30 M: it
would need most of the machine's 23 GB, shared by several developers).

Run with ``python benchmarks/run.py scale`` or ``python benchmarks/bench_scale.py``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SIZES = [int(v) for v in os.environ.get("PHASESIM_SCALE_RELEASES",
                                        "10000,30000,100000").split(",")]
TARGET_RELEASES = 1_000_000
TARGET_SECONDS = 60.0
TARGET_BYTES = 8 * 1024**3


def _synthetic(n: int) -> object:
    spec = importlib.util.spec_from_file_location("bench_history", HERE / "bench_history.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.synthetic_log(n)


def peak_bytes() -> float:
    """This process's peak resident memory: VmHWM (Linux; ru_maxrss would include the
    parent's memory at the fork), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) * 1024
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


def measure(path: str) -> dict[str, float]:
    """read_log + lead_times + phase_stats + bottlenecks, in a fresh process."""
    from phasesim import History, read_log

    c0 = time.process_time()
    t0 = time.perf_counter()
    log = read_log(path)
    t1 = time.perf_counter()
    read_rss = peak_bytes()
    h = History(log)
    h.lead_times()
    h.phase_stats()
    h.bottlenecks()
    t2 = time.perf_counter()
    return {"rows": float(len(log)), "read_s": t1 - t0, "analysis_s": t2 - t1,
            "total_s": t2 - t0, "cpu_s": time.process_time() - c0,
            "read_peak_bytes": float(read_rss),
            "peak_bytes": peak_bytes()}


def main() -> None:
    results: list[dict[str, float]] = []
    for n in SIZES:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "history.parquet"
            _synthetic(n).to_parquet(path, index=False)  # type: ignore[attr-defined]
            try:
                done = subprocess.run([sys.executable, __file__, "--measure", str(path)],
                                      check=True, capture_output=True, text=True)
            except subprocess.CalledProcessError as exc:
                tail = (exc.stderr or "").strip().splitlines()[-1:] or ["?"]
                print(f"   {n:>9,} releases: failed ({tail[0]}; out of memory?)", flush=True)
                break
        f = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(f)
        print(f"   {int(f['rows']):>11,} rows: read {f['read_s']:6.2f} s, analysis "
              f"{f['analysis_s']:6.2f} s, total {f['total_s']:6.2f} s (CPU "
              f"{f['cpu_s']:6.2f} s), peak "
              f"{f['peak_bytes'] / 1024**3:5.2f} GB (after reading "
              f"{f['read_peak_bytes'] / 1024**3:.2f} GB)", flush=True)
    if not results:
        return
    rows = np.array([r["rows"] for r in results])
    target_rows = TARGET_RELEASES * 30.0
    if len(results) >= 2:
        slope_t, icpt_t = np.polyfit(rows, [r["total_s"] for r in results], 1)
        slope_c, icpt_c = np.polyfit(rows, [r["cpu_s"] for r in results], 1)
        slope_m, icpt_m = np.polyfit(rows, [r["peak_bytes"] for r in results], 1)
    else:
        slope_t, icpt_t = results[0]["total_s"] / rows[0], 0.0
        slope_c, icpt_c = results[0]["cpu_s"] / rows[0], 0.0
        slope_m, icpt_m = results[0]["peak_bytes"] / rows[0], 0.0
    est_t = slope_t * target_rows + icpt_t
    est_m = slope_m * target_rows + icpt_m
    measured = rows.max() >= target_rows
    print(f"   per million rows: {slope_t * 1e6:.2f} s ({slope_c * 1e6:.2f} s CPU) and "
          f"{slope_m * 1e6 / 1024**3:.2f} GB")
    word = "measured" if measured else "estimated (straight line through the sizes)"
    print(f"   30,000,000 rows {word}: {est_t:.0f} s, {slope_c * target_rows + icpt_c:.0f} s "
          f"CPU (target < {TARGET_SECONDS:.0f} s), "
          f"{est_m / 1024**3:.1f} GB (target < {TARGET_BYTES / 1024**3:.0f} GB)")
    verdict = []
    if est_t >= TARGET_SECONDS:
        verdict.append("time")
    if est_m >= TARGET_BYTES:
        verdict.append("memory")
    print(f"   {'within target' if not verdict else 'OUTSIDE target: ' + ' and '.join(verdict)}",
          flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2])))
    else:
        main()
