"""``phasesim forecast``: when will the releases in flight in a log land?"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from phasesim.cli import check_suffix, save_png, seed_arg
from phasesim.cli.blueprint import _add_inputs, _inputs
from phasesim.cli.simulate import _cadence, fresh_seed

__all__ = ["register"]


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "forecast", help="forecast the releases in flight in a log (and the next ones)",
        description="Read where every release of LOG stands at --now, simulate the rest "
        "from there and print each release's finish date (P50/P80/P95) in the "
        "blueprint's timezone.")
    p.add_argument("blueprint", metavar="BLUEPRINT", help="the blueprint of the process")
    p.add_argument("log", metavar="LOG", help="the release history so far (any format "
                   "read_log reads)")
    p.add_argument("--now", default=None,
                   help="the moment to forecast from, with its timezone, e.g. "
                   "'2026-12-07 09:00-08:00' (the latest timestamp of the log)")
    p.add_argument("--future", type=int, default=0, metavar="N",
                   help="also forecast the next N releases on the cadence (0)")
    p.add_argument("--cadence", default=None,
                   help="cadence of the future releases, as for simulate (inferred from "
                   "the log's release starts)")
    p.add_argument("--target", default=None, metavar="DATE",
                   help="report the probability of finishing by this date/time (with its "
                   "timezone)")
    p.add_argument("--runs", type=int, default=1000, help="Monte Carlo runs (1000)")
    p.add_argument("--seed", type=seed_arg, default=None,
                   help="random seed (if omitted, a fresh one is drawn and printed)")
    p.add_argument("--jobs", "-j", type=int, default=1, help="parallel workers (1; -1 all)")
    p.add_argument("--max-in-flight", type=int, default=None, metavar="N",
                   help="a release waits to start while N are in flight (no limit if omitted)")
    p.add_argument("--serialize", action="append", default=[], metavar="PHASE",
                   help="phase a release may enter only after the previous left it")
    p.add_argument("--strict", action="store_true",
                   help="fail, listing every row that matches no activity of the blueprint "
                   "and every release that cannot be placed")
    p.add_argument("--out", "-o", type=Path, default=None,
                   help="write the forecast table (one row per release and remaining "
                   "phase) as .csv")
    p.add_argument("--plot", type=Path, default=None, metavar="PNG",
                   help="write the fan chart as a PNG file")
    _add_inputs(p)
    p.set_defaults(func=forecast_command)


def forecast_command(args: argparse.Namespace) -> int:
    from phasesim.forecasting import forecast

    check_suffix(args.out, "--out", ".csv")
    check_suffix(args.plot, "--plot", ".png")
    seed = args.seed
    if seed is None:
        seed = fresh_seed()
        print(f"seed {seed} (none given; repeat this run with --seed {seed})")
    fc = forecast(args.blueprint, args.log, now=args.now, future=args.future,
                  cadence=_cadence(args.cadence) if args.cadence else None,
                  runs=args.runs, seed=seed, n_jobs=args.jobs, strict=args.strict,
                  target=args.target, inputs=_inputs(args.input) or None,
                  max_in_flight=args.max_in_flight, serialize=args.serialize)
    print(repr(fc))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        fc.to_frame().to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    if args.plot is not None:
        lanes = max(len(fc.releases), 1)
        save_png(args.plot, (13, 1.2 + 1.3 * lanes), lambda fig: fc.plot(ax=fig.subplots()),
                 bbox_inches="tight")
    return 0
