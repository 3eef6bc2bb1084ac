"""Read a large CSV and analyse it: phasesim against pm4py on the same file.

A CSV in the process-mining convention (``case:concept:name``, ``concept:name``,
``org:resource``, ``start_timestamp``, ``time:timestamp``, ISO 8601 times with the UTC
offsets of Europe/Berlin, so ``+01:00`` and ``+02:00``) is written from the synthetic
log of ``bench_history`` (100,000 releases x 30 activities = 3 million rows by default;
``PHASESIM_BENCH_RELEASES`` changes it). Then, each in a fresh process:

* **phasesim**: ``read_log`` + ``activity_stats`` + ``lead_times`` + ``bottlenecks``
  (1,000 bootstrap resamples), on one :class:`phasesim.History`;
* **pm4py** (the baseline): ``pandas.read_csv`` + ``pm4py.format_dataframe`` +
  ``pm4py.get_service_time`` (mean per activity) + ``pm4py.get_all_case_durations``.

pm4py is AGPL and never a dependency of phasesim: this script installs it into a virtual
environment of its own, ``benchmarks/.venv-pm4py`` (made on first use, kept after), and
runs it there. Where pip cannot install it, the comparison is skipped and says so. The
mean service times of the two are compared as a check that both read the same thing.
Target: phasesim at least 4x faster.

Measured on the shared 2-core machine, 3 December 2026 (load 0.4-0.7), 3 M rows:
phasesim 11.8 s wall, 13.3 s CPU, 1.95 GB peak (read 6.9 s, activity stats 2.9 s, lead
times 0.2 s, bottlenecks 1.9 s); pm4py 2.7.23.11 14.1 s wall, 14.3 s CPU, 1.27 GB. Ratio
1.2x wall, 1.1x CPU, 0.65x memory: outside the 4x target (before the compiled timestamp
parser: 0.7x wall, 0.9x CPU). docs/analysis.md (Performance) has the profile.

Run with ``python benchmarks/run.py pm4py`` or ``python benchmarks/bench_pm4py.py``.
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
import venv
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-pm4py"
RELEASES = int(os.environ.get("PHASESIM_BENCH_RELEASES", "100000"))
TARGET_RATIO = 4.0
ZONE = "Europe/Berlin"


def _bench_history() -> object:
    spec = importlib.util.spec_from_file_location("bench_history", HERE / "bench_history.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _iso_local(utc: pd.Series) -> np.ndarray:
    """UTC instants as ISO 8601 text in Europe/Berlin with the offset, vectorised."""
    local = utc.dt.tz_convert(ZONE)
    naive = local.dt.tz_localize(None)
    offset_min = ((naive - utc.dt.tz_localize(None)).dt.total_seconds() // 60).astype(int)
    text = np.datetime_as_string(naive.to_numpy().astype("M8[s]"), unit="s")
    labels = {m: f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}"
              for m in np.unique(offset_min)}
    suffix = np.array([labels[m] for m in offset_min.to_numpy()], dtype=object)
    return np.asarray(pd.Series(text, dtype=object) + suffix, dtype=object)


def write_csv(path: Path, n_releases: int = RELEASES) -> int:
    """Write the benchmark CSV; return its number of rows."""
    log = _bench_history().synthetic_log(n_releases)
    frame = pd.DataFrame({
        "case:concept:name": log["release_id"],
        "phase": log["phase_id"],
        "concept:name": log["phase_id"] + "-" + log["activity_id"],
        "org:resource": log["owner"],
        "lifecycle:state": log["status"],
        "start_timestamp": _iso_local(log["start"]),
        "time:timestamp": _iso_local(log["end"]),
    })
    frame.to_csv(path, index=False)
    return len(frame)


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


def measure_phasesim(path: str) -> dict[str, float | str]:
    """read + activity stats + lead times + bottlenecks (in a fresh process)."""
    from phasesim import History, read_log

    c0 = time.process_time()
    t0 = time.perf_counter()
    log = read_log(path)
    t1 = time.perf_counter()
    history = History(log)
    acts = history.activity_stats()
    t2 = time.perf_counter()
    leads = history.lead_times()
    t3 = time.perf_counter()
    ranked = history.bottlenecks()
    t4 = time.perf_counter()
    service = {str(a): float(m) for a, m in zip(acts["activity_id"], acts["mean_h"],
                                                 strict=True)}
    return {
        "rows": float(len(log)), "read_s": t1 - t0, "activity_stats_s": t2 - t1,
        "lead_times_s": t3 - t2, "bottlenecks_s": t4 - t3, "total_s": t4 - t0,
        "cpu_s": time.process_time() - c0,
        "peak_rss_bytes": peak_bytes(),
        "releases": float(len(leads)), "top": str(ranked["phase_id"].iloc[0]),
        "service_h": json.dumps(service),
    }


PM4PY_SCRIPT = r"""
import json, resource, sys, time
import pandas as pd
import pm4py
path = sys.argv[1]
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
c0 = time.process_time()
t0 = time.perf_counter()
df = pd.read_csv(path)
df = pm4py.format_dataframe(df, case_id="case:concept:name", activity_key="concept:name",
                            timestamp_key="time:timestamp",
                            start_timestamp_key="start_timestamp")
t1 = time.perf_counter()
service = pm4py.get_service_time(df, aggregation_measure="mean",
                                 start_timestamp_key="start_timestamp",
                                 timestamp_key="time:timestamp")
t2 = time.perf_counter()
# with a start timestamp in its properties, get_all_case_durations of pm4py 2.7 looks
# for a column it did not group (KeyError 'start_timestamp'): measure without it
plain = df[["case:concept:name", "concept:name", "time:timestamp"]]
plain.attrs = {}
durations = pm4py.get_all_case_durations(plain, case_id_key="case:concept:name",
                                         activity_key="concept:name",
                                         timestamp_key="time:timestamp")
t3 = time.perf_counter()
print(json.dumps({"read_s": t1 - t0, "service_s": t2 - t1, "case_durations_s": t3 - t2,
                  "total_s": t3 - t0, "cpu_s": time.process_time() - c0,
                  "cases": len(durations),
                  "version": pm4py.__version__,
                  "peak_rss_bytes": hwm(),
                  "service_h": json.dumps({k: v / 3600.0 for k, v in service.items()})}))
"""


def pm4py_python() -> tuple[Path | None, str]:
    """The Python of the pm4py environment (made and filled on first use), or why not."""
    python = VENV / "bin" / "python"
    if python.exists():
        check = subprocess.run([str(python), "-c", "import pm4py"], capture_output=True)
        if check.returncode == 0:
            return python, "reused"
    try:
        if not python.exists():
            venv.create(VENV, with_pip=True)
        done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "pm4py"],
                              capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"cannot make {VENV}: {exc}"
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no output)"]
        return None, f"pip could not install pm4py: {tail[0]}"
    return python, "installed"


def _run(cmd: list[str]) -> dict[str, object]:
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.csv"
        t0 = time.perf_counter()
        rows = write_csv(path)
        print(f"   wrote {rows:,} rows ({path.stat().st_size / 1e6:.0f} MB CSV, offsets of "
              f"{ZONE}) in {time.perf_counter() - t0:.1f} s", flush=True)
        ours = _run([sys.executable, __file__, "--measure", str(path)])
        print(f"   phasesim read_log        {float(ours['read_s']):6.2f} s")
        for key, name in (("activity_stats_s", "activity_stats"),
                          ("lead_times_s", "lead_times"),
                          ("bottlenecks_s", "bottlenecks")):
            print(f"   phasesim {name:<16}{float(ours[key]):6.2f} s")
        total = float(ours["total_s"])
        print(f"   phasesim total           {total:6.2f} s (CPU {float(ours['cpu_s']):.2f} s), "
              f"peak {float(ours['peak_rss_bytes']) / 1024**3:.2f} GB")
        python, how = pm4py_python()
        if python is None:
            print(f"   pm4py: skipped ({how})", flush=True)
            return
        script = Path(tmp) / "pm4py_bench.py"
        script.write_text(PM4PY_SCRIPT)
        try:
            theirs = _run([str(python), str(script), str(path)])
        except subprocess.CalledProcessError as exc:
            last = (exc.stderr or "").strip().splitlines()[-1:] or ["?"]
            print(f"   pm4py: failed ({last[0]})", flush=True)
            return
    base = float(theirs["total_s"])
    print(f"   pm4py {theirs['version']} ({how}): read_csv + format_dataframe "
          f"{float(theirs['read_s']):.2f} s, get_service_time "
          f"{float(theirs['service_s']):.2f} s, case durations "
          f"{float(theirs['case_durations_s']):.2f} s")
    print(f"   pm4py total              {base:6.2f} s (CPU {float(theirs['cpu_s']):.2f} s), "
          f"peak {float(theirs['peak_rss_bytes']) / 1024**3:.2f} GB")
    a = json.loads(str(ours["service_h"]))
    b = json.loads(str(theirs["service_h"]))
    common = sorted(set(a) & set(b))
    diff = max((abs(a[k] - b[k]) for k in common), default=float("nan"))
    print(f"   mean service times agree on {len(common)} activities to {diff:.1e} h; "
          f"releases {int(float(ours['releases'])):,} vs cases {theirs['cases']:,}")
    ratio = base / total
    cpu_ratio = float(theirs["cpu_s"]) / float(ours["cpu_s"])
    mem_ratio = float(theirs["peak_rss_bytes"]) / float(ours["peak_rss_bytes"])
    print(f"   ratio pm4py/phasesim     {ratio:.1f}x wall, {cpu_ratio:.1f}x CPU, "
          f"{mem_ratio:.2f}x peak memory (target >= "
          f"{TARGET_RATIO:.0f}x): {'within' if ratio >= TARGET_RATIO else 'OUTSIDE'} target",
          flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure_phasesim(sys.argv[2])))
    else:
        main()
