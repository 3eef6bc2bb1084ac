"""Discovery speed: ``discover`` on a large synthetic log against a plain groupby of it.

The log is built directly with numpy (no simulation): ``N`` releases started every 4
hours, each through 6 phases of 5 automated activities (30 activities; inside a phase
``a1 -> {a2, a3} -> a4 -> a5``, the phases in a chain), lognormal durations. The baseline
is a plain pandas groupby of the same log in the same run: per phase and activity, the
count and median of ``end - start``. ``discover`` does much more than that (pairwise
precedence per phase, peak concurrency, histograms, anchors, and ``calibrate``'s maximum
likelihood fits of 4 families per activity), so the ratio says what the rest costs.

Measured (shared 2-core machine, load average 3.4-4.1, CPU time, discover and groupby
alternated over 3 turns, medians): 100,000 releases (3,000,000 rows) 4.6 s vs 0.27 s
(17.9x; turns 18.3, 15.5, 17.9; a second run 17.6x) - the 20x target is met. The code
before the last round 7.8 s (29.6x) in the same session, before issue 12's work 13.9 s
(52x); 10,000 releases 1.6 s vs 0.027 s (60x: calibrate's fits on 1,000 releases cost
the same at both sizes). docs/discover.md has the breakdown.

Run with ``python benchmarks/run.py discover`` or ``python benchmarks/bench_discover.py
[N ...]`` (default: 10,000 and 100,000 releases).
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import pandas as pd

PHASES = 6
#: Activity -> the activities of its phase it waits for.
DAG = {"a1": (), "a2": ("a1",), "a3": ("a1",), "a4": ("a2", "a3"), "a5": ("a4",)}


def synthetic_log(releases: int, seed: int = 1) -> pd.DataFrame:
    """``releases`` x 30 activities in the canonical schema (one run)."""
    rng = np.random.default_rng(seed)
    t0 = np.datetime64("2026-01-05T09:00", "s").astype("int64") / 3600
    begin = t0 + 4.0 * np.arange(releases)
    frames = []
    ready = begin.copy()
    for p in range(PHASES):
        done: dict[str, np.ndarray] = {}
        for act, deps in DAG.items():
            start = ready if not deps else np.max([done[d] for d in deps], axis=0)
            dur = rng.lognormal(np.log(1.0 + 0.2 * p), 0.5, releases)
            end = start + dur
            done[act] = end
            frames.append(pd.DataFrame({"i": np.arange(releases), "phase_id": f"p{p}",
                                        "activity_id": act, "s": start, "e": end}))
        ready = done["a5"]
    raw = pd.concat(frames, ignore_index=True).sort_values(["i", "s"], kind="stable")
    n = len(raw)
    return pd.DataFrame({
        "run": np.zeros(n, dtype="int64"),
        "release_id": pd.array([f"R{i:06d}" for i in raw["i"]], dtype="string"),
        "phase_id": pd.array(raw["phase_id"], dtype="string"),
        "activity_id": pd.array(raw["activity_id"], dtype="string"),
        "activity_type": pd.array(["automated"] * n, dtype="string"),
        "owner": pd.array([None] * n, dtype="string"),
        "status": pd.array(["succeeded"] * n, dtype="string"),
        "attempt": np.ones(n, dtype="int64"),
        "ready": pd.NaT,
        "start": pd.to_datetime((raw["s"].to_numpy() * 3600).round(), unit="s", utc=True),
        "end": pd.to_datetime((raw["e"].to_numpy() * 3600).round(), unit="s", utc=True),
        "planned_start": pd.NaT, "planned_end": pd.NaT,
    }).reset_index(drop=True)


def groupby_baseline(log: pd.DataFrame) -> pd.DataFrame:
    hours = (log["end"] - log["start"]).dt.total_seconds() / 3600
    return hours.groupby([log["phase_id"], log["activity_id"]]).agg(["count", "median"])


def main(sizes: tuple[int, ...] = (10_000, 100_000), turns: int = 3) -> None:
    import phasesim
    import phasesim.calibration  # imported before the clock starts
    from phasesim.discovery import discover

    for n in sizes:
        log = phasesim.validate_log(synthetic_log(n))
        bases: list[float] = []
        tooks: list[float] = []
        ratios: list[float] = []
        for _ in range(turns):  # alternated, so both see the same load
            t0 = time.process_time()
            groupby_baseline(log)
            bases.append(time.process_time() - t0)
            t0 = time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                found = discover(log)
            tooks.append(time.process_time() - t0)
            ratios.append(tooks[-1] / bases[-1])
        edges = found.blueprint.graph.number_of_edges()
        print(f"   {n:>7,} releases x 30 activities ({len(log):>9,} rows): discover "
              f"{np.median(tooks):7.2f} s, groupby {np.median(bases):6.3f} s CPU (medians "
              f"of {turns}); ratio {np.median(ratios):,.1f}x (turns "
              f"{', '.join(f'{r:.1f}' for r in ratios)}; target 20x); {edges} edges found",
              flush=True)


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or (10_000, 100_000))
