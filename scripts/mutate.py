"""Mutation testing with mutmut: kill rate per module and the survivors.

Run from the repository root (``make mutate``, or directly)::

    python scripts/mutate.py phasesim/units.py --tests tests/test_units.py
    python scripts/mutate.py                     # the modules where a wrong number misleads

Each run works in a scratch copy under ``out/mutate/`` (mutmut mutates a copy of the
sources in ``mutants/`` of its working directory and reads its settings from
``pyproject.toml`` there), so the worktree is never touched and runs over different modules
do not mix. The tests given with ``--tests`` (default: all of ``tests/``) are the ones run
against each mutant; mutmut runs only those that reach the mutated function.

A mutant counts as killed if a test failed, timed out or crashed on it; the kill rate is
killed over all mutants that were tested ("no tests": a mutant no selected test reaches,
counts as a survivor).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Modules where a wrong number would mislead a user (issue 15).
DEFAULT_MODULES = [
    "phasesim/simulation/engine.py",
    "phasesim/simulation/occupancy.py",
    "phasesim/simulation/streams.py",
    "phasesim/simulation/result.py",
    "phasesim/simulation/cadence.py",
    "phasesim/calendars.py",
    "phasesim/distributions.py",
    "phasesim/units.py",
    "phasesim/eventlog/*",
    "phasesim/analysis/*",
    "phasesim/whatif/*",
    "phasesim/calibration/*",
]

KILLED = {"killed", "timeout", "segfault", "caught by type check"}
NOT_TESTED = {"skipped", "not checked"}

_LINE = re.compile(r"^\s*(?P<name>[\w.]+?)\.x\S*__mutmut_\d+: (?P<status>.+?)\s*$")


def _pyproject(modules: list[str], tests: list[str]) -> str:
    """The repository's pyproject.toml with a [tool.mutmut] section for this run."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[tool\.mutmut\].*?(?=^\[|\Z)", "", text)
    quoted = lambda items: ", ".join(f'"{i}"' for i in items)  # noqa: E731
    return text + (
        "\n[tool.mutmut]\n"
        'source_paths = ["phasesim/"]\n'
        f"only_mutate = [{quoted(modules)}]\n"
        f"pytest_add_cli_args_test_selection = [{quoted(tests)}]\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]\n'
        "also_copy = [\"data/\", \"docs/\"]\n"
    )


def _scratch(name: str, modules: list[str], tests: list[str], fresh: bool) -> Path:
    work = ROOT / "out" / "mutate" / name
    if fresh and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    # docs/: tests check that every audit rule and CLI option is documented
    for folder in ("phasesim", "tests", "data", "docs"):
        target = work / folder
        if target.exists():
            shutil.rmtree(target)
        if (ROOT / folder).exists():
            shutil.copytree(ROOT / folder, target,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (work / "pyproject.toml").write_text(_pyproject(modules, tests), encoding="utf-8")
    return work


def kill_rates(results: str) -> dict[str, Counter[str]]:
    """Statuses per module from ``mutmut results --all true``."""
    per_module: dict[str, Counter[str]] = defaultdict(Counter)
    for line in results.splitlines():
        match = _LINE.match(line)
        if match:
            per_module[match["name"]][match["status"]] += 1
    return per_module


def report(per_module: dict[str, Counter[str]], survivors: list[str]) -> str:
    lines = [f"{'module':<40} {'mutants':>7} {'killed':>7} {'kill rate':>9}"]
    total = killed = 0
    for module in sorted(per_module):
        counts = per_module[module]
        tested = sum(n for s, n in counts.items() if s not in NOT_TESTED)
        dead = sum(n for s, n in counts.items() if s in KILLED)
        total += tested
        killed += dead
        rate = f"{100 * dead / tested:.1f}%" if tested else "n/a"
        lines.append(f"{module:<40} {tested:>7} {dead:>7} {rate:>9}")
    if total:
        lines.append(f"{'overall':<40} {total:>7} {killed:>7} {100 * killed / total:>8.1f}%")
    lines.append("")
    lines.append(f"survivors ({len(survivors)}); see one with "
                 "`cd out/mutate/<run> && mutmut show <name>`:")
    lines.extend(f"  {s}" for s in survivors)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", help="source files or globs (default: the "
                        "engine, calendars, streams, results, distributions, ...)")
    parser.add_argument("--tests", nargs="+", default=["tests/"],
                        help="test files run against the mutants (default: tests/)")
    parser.add_argument("--name", help="scratch folder under out/mutate (default: from the "
                        "modules)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel mutants (default 2)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the scratch folder's earlier results")
    parser.add_argument("--only", nargs="+", default=[], metavar="GLOB",
                        help="run only the mutants whose names match (fnmatch globs such "
                        "as 'phasesim.whatif.comparison.x__paired__*'); the others are "
                        "'not checked' and left out of the rate")
    args = parser.parse_args(argv)
    modules = args.modules or DEFAULT_MODULES
    for m in modules:
        if not any(ROOT.glob(m)):
            parser.error(f"no source file matches {m!r} (paths are relative to {ROOT})")
    name = args.name or ("all" if not args.modules else
                         "_".join(Path(m).stem.replace("*", "all") for m in modules))
    work = _scratch(name, modules, args.tests, fresh=not args.resume)
    mutmut = [sys.executable, "-m", "mutmut"]
    env = {k: v for k, v in __import__("os").environ.items() if k != "PYTHONPATH"}
    env["MPLBACKEND"] = "Agg"
    run = subprocess.run([*mutmut, "run", "--max-children", str(args.jobs), *args.only],
                         cwd=work, env=env, check=False)
    results = subprocess.run([*mutmut, "results", "--all", "true"], cwd=work, env=env,
                             capture_output=True, text=True, check=False).stdout
    per_module = kill_rates(results)
    survivors = [line.split(":")[0].strip() for line in results.splitlines()
                 if line.strip() and not line.rstrip().endswith(tuple(KILLED | NOT_TESTED))]
    text = report(per_module, survivors)
    print(text)
    (work / "kill-rates.txt").write_text(text + "\n", encoding="utf-8")
    if not per_module:
        print(f"no mutant was tested: see mutmut's output above (in {work})", file=sys.stderr)
        return run.returncode or 1
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
