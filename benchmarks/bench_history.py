"""History analysis at scale: read 3 million rows from Parquet and find the bottlenecks.

A synthetic log of 100,000 releases x 30 activities (10 phases of 3 activities; two phases
run side by side; releases overlap) is written to Parquet in a temporary folder. A fresh
Python process then times ``read_log`` of that file, ``bottlenecks`` (with its 1,000
bootstrap resamples) and ``phase_stats``, and records its peak memory (max RSS). The
baseline, measured in the same process on the same frame, is a plain pandas group-by of
durations per phase and activity. Targets: under 30 s and under 4 GB.

Run with ``python benchmarks/run.py history`` or ``python benchmarks/bench_history.py``.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

RELEASES = 100_000
PHASES = 10
ACTIVITIES_PER_PHASE = 3
TARGET_SECONDS = 30.0
TARGET_BYTES = 4 * 1024**3


def synthetic_log(n_releases: int = RELEASES, seed: int = 0) -> pd.DataFrame:
    """A canonical event log of ``n_releases`` x 30 activities, built without loops per row.

    Phases ``p00``..``p09`` run one after the other, except ``p04`` and ``p05``, which both
    follow ``p03`` and run side by side; ``p06`` waits for both. In each phase, activity
    ``a0`` runs first, then ``a1`` and ``a2`` side by side. A release starts every two
    hours, so many are in flight at once.
    """
    rng = np.random.default_rng(seed)
    n = n_releases
    hour = 3_600 * 10**9
    base = pd.Timestamp("2026-01-05T09:00Z").value
    release_start = base + np.arange(n, dtype=np.int64) * 2 * hour
    k = PHASES * ACTIVITIES_PER_PHASE
    dur = rng.lognormal(mean=0.5, sigma=0.8, size=(n, k))
    gap = rng.exponential(scale=0.5, size=(n, PHASES))
    start_h = np.zeros((n, k))
    end_h = np.zeros((n, k))
    phase_end = np.zeros((n, PHASES))
    for p in range(PHASES):  # a loop over the 10 phases, vectorised over releases
        if p == 0:
            ready = np.zeros(n)
        elif p == 5:
            ready = phase_end[:, 3]
        elif p == 6:
            ready = np.maximum(phase_end[:, 4], phase_end[:, 5])
        else:
            ready = phase_end[:, p - 1]
        a0 = p * ACTIVITIES_PER_PHASE
        start_h[:, a0] = ready + gap[:, p]
        end_h[:, a0] = start_h[:, a0] + dur[:, a0]
        for j in (1, 2):
            start_h[:, a0 + j] = end_h[:, a0]
            end_h[:, a0 + j] = start_h[:, a0 + j] + dur[:, a0 + j]
        phase_end[:, p] = end_h[:, a0 : a0 + ACTIVITIES_PER_PHASE].max(axis=1)
    start_ns = release_start[:, None] + np.round(start_h * hour).astype(np.int64)
    end_ns = release_start[:, None] + np.round(end_h * hour).astype(np.int64)
    phase_ids = np.array([f"p{p:02d}" for p in range(PHASES)], dtype=object)
    activity_ids = np.array([f"a{j}" for j in range(ACTIVITIES_PER_PHASE)], dtype=object)
    release_ids = np.char.add("R", np.char.zfill(np.arange(n).astype(str), 6)).astype(object)
    status = np.where(rng.random(n * k) < 0.02, "failed", "succeeded").astype(object)
    return pd.DataFrame(
        {
            "run": np.zeros(n * k, dtype=np.int64),
            "release_id": pd.array(np.repeat(release_ids, k), dtype="string"),
            "phase_id": pd.array(
                np.tile(np.repeat(phase_ids, ACTIVITIES_PER_PHASE), n), dtype="string"
            ),
            "activity_id": pd.array(np.tile(np.tile(activity_ids, PHASES), n), dtype="string"),
            "activity_type": pd.array(np.full(n * k, "automated", dtype=object), dtype="string"),
            "owner": pd.array(np.full(n * k, "Release Engineering", dtype=object), dtype="string"),
            "status": pd.array(status, dtype="string"),
            "attempt": np.ones(n * k, dtype=np.int64),
            "ready": pd.Series(np.full(n * k, np.datetime64("NaT"), dtype="M8[ns]")).dt.tz_localize(
                "UTC"
            ),
            "start": pd.Series(start_ns.ravel().view("M8[ns]")).dt.tz_localize("UTC"),
            "end": pd.Series(end_ns.ravel().view("M8[ns]")).dt.tz_localize("UTC"),
        }
    )


def measure(path: str) -> dict[str, float | str]:
    """Time read_log + bottlenecks + phase_stats and the baseline; runs in a fresh process."""
    from phasesim.analysis import bottlenecks, phase_stats

    figures: dict[str, float | str] = {}
    t0 = time.perf_counter()
    try:
        from phasesim.eventlog import read_log

        log = read_log(path)
        figures["reader"] = "phasesim.read_log"
    except ImportError:  # the reader lands separately; fall back to pandas + validate_log
        from phasesim.eventlog.schema import validate_log

        log = validate_log(pd.read_parquet(path))
        figures["reader"] = "pandas.read_parquet + validate_log"
    t1 = time.perf_counter()
    ranked = bottlenecks(log)
    t2 = time.perf_counter()
    stats = phase_stats(log)
    t3 = time.perf_counter()
    durations = (log["end"] - log["start"]).dt.total_seconds() / 3600.0
    baseline = durations.groupby([log["phase_id"], log["activity_id"]]).agg(
        ["count", "mean", "median"]
    )
    t4 = time.perf_counter()
    figures.update(
        rows=float(len(log)),
        read_s=t1 - t0,
        bottlenecks_s=t2 - t1,
        phase_stats_s=t3 - t2,
        total_s=t3 - t0,
        baseline_s=t4 - t3,
        peak_rss_bytes=float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024),
        top_phase=str(ranked["phase_id"].iloc[0]),
        phases=float(len(stats)),
        baseline_groups=float(len(baseline)),
    )
    return figures


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.parquet"
        t0 = time.perf_counter()
        synthetic_log().to_parquet(path, index=False)
        size = path.stat().st_size
        print(
            f"   wrote {RELEASES:,} releases x {PHASES * ACTIVITIES_PER_PHASE} activities "
            f"({size / 1e6:.0f} MB Parquet) in {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        done = subprocess.run(
            [sys.executable, __file__, "--measure", str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
    f = json.loads(done.stdout.strip().splitlines()[-1])
    analysis_s = float(f["bottlenecks_s"]) + float(f["phase_stats_s"])
    peak = float(f["peak_rss_bytes"])
    total = float(f["total_s"])
    print(f"   rows                 {int(float(f['rows'])):,}")
    print(f"   read ({f['reader']})  {float(f['read_s']):6.2f} s")
    print(
        f"   bottlenecks          {float(f['bottlenecks_s']):6.2f} s  (1,000 bootstrap resamples)"
    )
    print(f"   phase_stats          {float(f['phase_stats_s']):6.2f} s")
    print(f"   total                {total:6.2f} s  (target < {TARGET_SECONDS:.0f} s)")
    print(
        f"   peak memory (RSS)    {peak / 1024**3:6.2f} GB "
        f"(target < {TARGET_BYTES / 1024**3:.0f} GB)"
    )
    print(
        f"   baseline groupby     {float(f['baseline_s']):6.2f} s  (durations per phase/activity)"
    )
    print(
        f"   ratio analysis/baseline  {analysis_s / float(f['baseline_s']):.1f}x; "
        f"total/baseline {total / float(f['baseline_s']):.1f}x"
    )
    print(f"   top bottleneck       {f['top_phase']}")
    ok = total < TARGET_SECONDS and peak < TARGET_BYTES
    print(f"   {'within' if ok else 'OUTSIDE'} target", flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2])))
    else:
        main()
