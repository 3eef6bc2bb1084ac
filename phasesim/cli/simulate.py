"""``phasesim simulate``: Monte Carlo releases through a blueprint."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from phasesim.cli import duration_arg, seed_arg
from phasesim.cli.blueprint import _add_inputs, _inputs
from phasesim.errors import PhasesimError
from phasesim.units import format_number

__all__ = ["register"]


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "simulate", help="simulate releases through a blueprint; print P50/P80/P95",
        description="Simulate many overlapping releases through a blueprint and print "
        "the lead-time summary. The event log is written with --out (.parquet or .csv).")
    p.add_argument("blueprint", metavar="BLUEPRINT", help="the blueprint file to simulate")
    p.add_argument("--releases", type=int, default=26, help="releases per run (26)")
    p.add_argument("--cadence", default="weekly",
                   help="weekly, 'every 2w', daily, ... or a YAML mapping such as "
                   "'{freq: weekly, interval: 2, weekday: monday, time: \"09:00\", "
                   "timezone: Europe/Berlin}' (weekly)")
    p.add_argument("--start", default="2026-01-05 09:00",
                   help="first release start; naive means UTC (2026-01-05 09:00)")
    p.add_argument("--runs", type=int, default=200, help="Monte Carlo runs (200)")
    p.add_argument("--seed", type=seed_arg, default=None,
                   help="random seed (if omitted, a fresh one is drawn and printed so the "
                   "run can be repeated)")
    p.add_argument("--jobs", "-j", type=int, default=1, help="parallel workers (1; -1 all)")
    p.add_argument("--max-in-flight", type=int, default=None, metavar="N",
                   help="a release waits to start while N are in flight (no limit if omitted)")
    p.add_argument("--serialize", action="append", default=[], metavar="PHASE",
                   help="phase a release may enter only after the previous left it")
    p.add_argument("--target", type=duration_arg, default=None, help="lead-time target, e.g. 21d")
    p.add_argument("--out", "-o", type=Path, default=None, help="event log (.parquet/.csv)")
    p.add_argument("--plots", type=Path, default=None, metavar="DIR",
                   help="write the lead-time, Gantt, train, criticality and utilisation "
                   "plots as PNG files into DIR")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    _add_inputs(p)
    p.set_defaults(func=simulate_command)


def _cadence(text: str) -> Any:
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        try:
            return yaml.safe_load(stripped)
        except yaml.YAMLError as exc:
            raise PhasesimError(f"--cadence is not valid YAML: {exc}") from None
    return stripped


def fresh_seed() -> int:
    """A fresh random seed, short enough to type back with ``--seed``."""
    import secrets

    return secrets.randbelow(2**31)


def simulate_command(args: argparse.Namespace) -> int:
    from phasesim.simulation import simulate

    if args.out is not None and args.out.suffix.lower() not in (".parquet", ".csv"):
        raise PhasesimError(f"--out must end in .parquet or .csv, found {args.out.name!r}")
    seed = args.seed
    if seed is None:
        seed = fresh_seed()
        print(f"seed {seed} (none given; repeat this run with --seed {seed})")
    result = simulate(
        args.blueprint, releases=args.releases, cadence=_cadence(args.cadence),
        start=args.start, runs=args.runs, inputs=_inputs(args.input) or None,
        seed=seed, n_jobs=args.jobs, progress=not args.no_progress,
        max_in_flight=args.max_in_flight, serialize=args.serialize)
    print(repr(result))
    table = result.summary(target=args.target)
    print(table.to_string(float_format=lambda v: format_number(v, ",.2f"), na_rep=""))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if args.out.suffix.lower() == ".parquet":
            result.log.to_parquet(args.out, index=False)
        else:
            result.log.to_csv(args.out, index=False)
        print(f"wrote {len(result.log):,} rows to {args.out}")
    if args.plots is not None:
        for path in write_plots(result, args.plots):
            print(f"wrote {path}")
    return 0


def write_plots(result: Any, folder: Path) -> list[Path]:
    """Save the simulation's standard plots as PNG files; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    stem = result.blueprint.id
    out = []
    for name, size in (("lead_time", (10, 5)), ("gantt", (13, 8)), ("train", (14, 7)),
                       ("criticality", (10, 6)), ("utilization", (12, 5))):
        fig, ax = plt.subplots(figsize=size)
        getattr(result, f"plot_{name}")(ax=ax)
        path = folder / f"{stem}-{name}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        out.append(path)
    return out
