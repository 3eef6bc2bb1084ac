"""Run every benchmark: ``make bench``.

Each ``benchmarks/bench_*.py`` module has a ``main()`` that measures its target and a
baseline in the same run and prints both with their ratio. Nothing here asserts timings
in unit tests; the figures are for people and for the closing notes of issues.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path


def main() -> int:
    here = Path(__file__).parent
    only = sys.argv[1:]
    for path in sorted(here.glob("bench_*.py")):
        if only and path.stem not in only and path.stem.removeprefix("bench_") not in only:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"== {path.stem}", flush=True)
        t0 = time.perf_counter()
        module.main()
        print(f"   ({time.perf_counter() - t0:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
