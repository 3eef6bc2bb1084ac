"""``phasesim compare BLUEPRINT SCENARIO.yaml...``: what-if scenarios against a base."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from phasesim.cli import check_suffix, duration_arg, seed_arg
from phasesim.cli.blueprint import _add_inputs, _inputs
from phasesim.cli.simulate import _cadence

__all__ = ["compare_command", "register"]


def register(subparsers: Any) -> None:
    """Add the ``compare`` sub-command to ``subparsers``."""
    p = subparsers.add_parser(
        "compare", help="simulate scenarios against a base blueprint; print the differences",
        description="Simulate a base blueprint and each scenario with the same seed (common "
        "random numbers) and print, per scenario, P50/P80/P95 and mean lead time and the "
        "difference to the base with a 95% interval (paired by run and release; the "
        "interval resamples whole runs). Each scenario file names its changes; the "
        "BLUEPRINT given here takes the place of the scenarios' own 'base:'.")
    p.add_argument("blueprint", metavar="BLUEPRINT", help="the base blueprint file")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO.yaml",
                   help="scenario files, each a list of changes to the base")
    p.add_argument("--releases", type=int, default=26, help="releases per run (26)")
    p.add_argument("--cadence", default="weekly",
                   help="weekly, 'every 2w', ... or a YAML mapping (weekly); a scenario's "
                   "own cadence change wins")
    p.add_argument("--start", default="2026-01-05 09:00",
                   help="first release start; naive means UTC (2026-01-05 09:00)")
    p.add_argument("--runs", type=int, default=200, help="Monte Carlo runs (200)")
    p.add_argument("--seed", type=seed_arg, default=0, help="the one seed of every simulation (0)")
    p.add_argument("--jobs", "-j", type=int, default=1, help="parallel workers (1; -1 all)")
    p.add_argument("--target", type=duration_arg, default=None, help="lead-time target, e.g. 25d")
    p.add_argument("--out", "-o", type=Path, default=None,
                   help="write the full tidy table (every metric, utilisation included) "
                   "as CSV")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    _add_inputs(p)
    p.set_defaults(func=compare_command)


def compare_command(args: argparse.Namespace) -> int:
    from phasesim.whatif import compare

    check_suffix(args.out, "--out", ".csv")
    result = compare(args.blueprint, args.scenarios, releases=args.releases,
                     cadence=_cadence(args.cadence), start=args.start, runs=args.runs,
                     inputs=_inputs(args.input) or None, seed=args.seed, n_jobs=args.jobs,
                     progress=not args.no_progress, target=args.target)
    print(repr(result))
    print(result.formatted().to_string())
    if args.target is not None:
        t = result.table
        rows = t[t["metric"] == f"share within {args.target}"].set_index("scenario")
        print(f"share within {args.target}: " + ", ".join(
            f"{name} {row.value:.1%}" for name, row in rows.iterrows()))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        result.table.to_csv(args.out, index=False)
        print(f"wrote {len(result.table):,} rows to {args.out}")
    return 0
