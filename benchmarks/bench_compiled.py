"""The compiled engine (numba) against the bare SimPy DAG model, in the same run.

Targets (issue 13): per release, CPU, the compiled engine at most 1/20 of a bare SimPy
model of the same DAG (median of turns), on the Harness train and on a 30-activity random
DAG, compile time excluded and reported separately (first call with and without numba's
cache); sensitivity of the Harness train (22 activities x 500 runs) under 1 s with
n_jobs=1; 1,000,000 releases with n_jobs=2 (time and peak memory).

The Harness system release uses rejection rework and rollback phases, which the compiled
engine runs too now: it is measured as shipped (whatever engine runs) and as its *core*
(the same DAG, calendars, anchors, slots, teams, environments and failures, with the
rejection removed and the rollbacks turned into aborts), kept to compare with the
timings measured before rework and rollbacks were compiled.

``python benchmarks/bench_compiled.py [--million | --million-full]``: the million-release
run only when asked (minutes; ``--million-full`` keeps every frame: 17 GiB).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_simulation import bare_simpy  # noqa: E402

from phasesim import load_blueprint  # noqa: E402
from phasesim.simulation import simulate  # noqa: E402
from phasesim.whatif import sensitivity  # noqa: E402

BLUEPRINT = ROOT / "data/blueprints/harness-system-release.yaml"
START = pd.Timestamp("2026-01-05 09:00", tz="America/Los_Angeles")
CADENCE = {"freq": "weekly", "interval": 2, "weekday": "monday", "time": "09:00",
           "timezone": "America/Los_Angeles"}


def harness_core_text() -> str:
    text = BLUEPRINT.read_text()
    text = text.replace("reject: {probability: 0.05, goto: alpha_fixes}", "")
    return text.replace("on-failure: hotfix", "on-failure: abort")


def random_dag_text(n: int = 30, seed: int = 3) -> str:
    rng = np.random.default_rng(seed)
    lines = ["phase:", "  id: dag", "  activities:"]
    for i in range(n):
        preds = sorted({int(j) for j in rng.integers(0, i, size=min(i, 2))}) if i else []
        deps = ", ".join(f"a{j}" for j in preds)
        lo = float(rng.uniform(0.5, 2))
        lines.append(f"    - activity: {{id: a{i}, type: automated, depends-on: [{deps}], "
                     f"duration: {{triangular: [{lo:.2f}h, {2 * lo:.2f}h, {4 * lo:.2f}h]}}}}")
    return "\n".join(lines) + "\n"


def cpu(fn: Callable[[], object]) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def wall(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def compile_times() -> None:
    code = textwrap.dedent(f"""
        import time
        t0 = time.perf_counter()
        import phasesim.simulation.fast.kernel
        from phasesim import simulate
        t1 = time.perf_counter()
        r = simulate({str(ROOT / 'data/blueprints/linear.yaml')!r}, releases=2, runs=1,
                     seed=1, progress=False, engine="compiled")
        print(f"{{t1 - t0:.2f}} {{time.perf_counter() - t1:.2f}}")
    """)
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": str(ROOT)}
        for label in ("empty cache (compiles)", "warm cache (loads)"):
            out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                 capture_output=True, text=True).stdout.split()
            print(f"   first call, {label:24}: {float(out[1]):6.2f} s "
                  f"(imports {float(out[0]):.2f} s before it)")


def per_release(name: str, text: str) -> None:
    bp = load_blueprint(text)
    graph = bp.graph.subgraph(n for n, d in bp.graph.nodes(data=True) if not d["rollback"])
    durations = {n: float(d["duration_h"]) for n, d in graph.nodes(data=True)}
    releases, small, turns = 100, 10, 5
    probe = simulate(bp, releases=releases, runs=1, cadence=CADENCE, start=START, seed=1,
                     progress=False)
    print(f"   {name}: {len(graph)} activities, engine={probe.engine} "
          f"{('(' + probe.engine_note + ')') if probe.engine_note else ''}")

    def run(engine: str) -> None:
        simulate(bp, releases=releases, runs=small, cadence=CADENCE, start=START, seed=1,
                 progress=False, engine=engine)

    from phasesim.calendars import to_epoch_hours
    from phasesim.simulation.cadence import parse_cadence
    from phasesim.simulation.compiled import compile_blueprint
    from phasesim.simulation.fast import prepare
    from phasesim.simulation.fast.chunk import run_chunk
    from phasesim.simulation.streams import seed_key

    policies = {"max_in_flight": None, "serialize": (), "max_rework": 20}
    fast_model, _ = prepare(compile_blueprint(bp), policies)
    first = parse_cadence(CADENCE).starts(releases, to_epoch_hours(START)).tolist()

    def core() -> None:  # the compiled engine's columns, before the runner's frames
        if fast_model is not None:
            run_chunk(fast_model, list(range(small)), [first] * small, seed_key(1), policies)

    from phasesim.simulation.fast.chunk import _KEPT

    bare_t, fast_t, simpy_t, core_t = [], [], [], []
    for _ in range(turns):
        bare_t.append(cpu(lambda: [bare_simpy(graph, durations, releases, every=336.0)
                                   for _ in range(small)]))
        _KEPT.clear()  # every turn draws its numbers (the same seed would find them kept)
        fast_t.append(cpu(lambda: run("auto")))
        simpy_t.append(cpu(lambda: run("simpy")))
        _KEPT.clear()
        core_t.append(cpu(core))
    n = releases * small
    ratio = statistics.median(b / f for b, f in zip(bare_t, fast_t, strict=True))
    print(f"     bare SimPy DAG : {1e6 * min(bare_t) / n:8.1f} us/release (CPU, best of {turns})")
    print(f"     SimPy engine   : {1e6 * min(simpy_t) / n:8.1f} us/release")
    print(f"     engine=auto    : {1e6 * min(fast_t) / n:8.1f} us/release, with the frames;"
          f" bare / auto = {ratio:.1f}x (median of turns; target >= 20x)")
    if fast_model is not None:
        ratio = statistics.median(b / f for b, f in zip(bare_t, core_t, strict=True))
        print(f"     compiled, before the frames: {1e6 * min(core_t) / n:8.1f} us/release "
              f"(draws, loop, columns); bare / this = {ratio:.1f}x")


def sensitivities(name: str, text: str) -> None:
    """Sensitivity with ``simulate``'s default engine set to each engine in turn
    (``sensitivity`` has no engine argument of its own); the kept draws emptied first."""
    from phasesim.simulation import runner
    from phasesim.simulation.fast.chunk import _KEPT

    bp = load_blueprint(text)
    defaults = runner.simulate.__kwdefaults__
    assert defaults is not None
    before = defaults["engine"]
    try:
        for engine in ("auto", "simpy"):
            defaults["engine"] = engine
            _KEPT.clear()
            took = wall(lambda: sensitivity(bp, 0.8, runs=500, start=START, seed=0,
                                            n_jobs=1, progress=False))
            print(f"   sensitivity of {name}, 500 runs, n_jobs=1, engine {engine}: "
                  f"{took:.2f} s wall")
    finally:
        defaults["engine"] = before


def million(keep_log: bool = False) -> None:
    """One call per process (peak memory is the process's): ``--million`` runs it with
    ``keep_log=False``, ``--million-full`` with every frame."""
    bp = load_blueprint(harness_core_text())
    t0 = time.perf_counter()
    result = simulate(bp, releases=100, runs=10_000, cadence=CADENCE, start=START, seed=1,
                      n_jobs=2, progress=False, keep_log=keep_log)
    took = time.perf_counter() - t0
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    frames = sum(f.memory_usage(deep=True).sum() for f in
                 (result.log, result.releases, result.usage)) / 2**30
    print(f"   1,000,000 releases of the Harness core, n_jobs=2, keep_log={keep_log}, "
          f"engine={result.engine}: "
          f"{took:.1f} s; peak RSS {own:.1f} GiB here, {kids:.1f} GiB in a worker; the "
          f"frames take {frames:.1f} GiB ({len(result.log):,} log rows)")


def main() -> None:
    compile_times()
    per_release("Harness train, core", harness_core_text())
    per_release("30-activity random DAG", random_dag_text())
    per_release("Harness train as shipped", BLUEPRINT.read_text())
    sensitivities("the Harness core", harness_core_text())
    if "--million" in sys.argv:
        million(keep_log=False)
    elif "--million-full" in sys.argv:
        million(keep_log=True)


if __name__ == "__main__":
    main()
