"""``phasesim backtest``: how good would past forecasts have been?"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from phasesim.cli import check_suffix, duration_arg, save_png, seed_arg

__all__ = ["register"]


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "backtest", help="score forecasts made at past moments against what happened",
        description="At each origin, fit on the history before it only (calibrate "
        "--blueprint, or discover a blueprint), forecast the releases in flight and "
        "those starting within --horizon, and score the forecasts against what happened, "
        "beside a baseline of past lead times.")
    p.add_argument("log", metavar="LOG", nargs="+",
                   help="the release history (any format read_log reads; several files "
                   "are read together)")
    p.add_argument("--blueprint", "-b", default=None, metavar="BLUEPRINT",
                   help="the blueprint to calibrate at each origin (discovered from the "
                   "history when omitted)")
    p.add_argument("--origins", default="monthly",
                   help="'monthly', 'weekly', or a comma-separated list of moments with "
                   "their timezone, e.g. '2026-06-01T00:00Z,2026-07-01T00:00Z' (monthly)")
    p.add_argument("--horizon", type=duration_arg, default="8w",
                   help="also forecast the releases that start this long after an origin "
                   "(8w)")
    p.add_argument("--runs", type=int, default=500, help="Monte Carlo runs per forecast "
                   "(500)")
    p.add_argument("--seed", type=seed_arg, default=0, help="random seed (0)")
    p.add_argument("--jobs", "-j", type=int, default=1, help="parallel workers (1; -1 all)")
    p.add_argument("--min-history", type=int, default=8, metavar="N",
                   help="releases that must have finished before an origin (8)")
    p.add_argument("--out", "-o", type=Path, default=None,
                   help="write every scored forecast (one row per origin and release) "
                   "as .csv")
    p.add_argument("--plot", type=Path, default=None, metavar="PNG",
                   help="write the reliability and error plots as a PNG file")
    p.set_defaults(func=backtest_command)


def backtest_command(args: argparse.Namespace) -> int:
    from phasesim.backtesting import backtest
    from phasesim.eventlog import read_log

    check_suffix(args.out, "--out", ".csv")
    check_suffix(args.plot, "--plot", ".png")
    origins: Any = args.origins
    if origins not in ("monthly", "weekly"):
        origins = [o.strip() for o in origins.split(",") if o.strip()]
    log = read_log(args.log if len(args.log) > 1 else args.log[0])
    bt = backtest(log, blueprint=args.blueprint, origins=origins, horizon=args.horizon,
                  runs=args.runs, seed=args.seed, n_jobs=args.jobs,
                  min_history=args.min_history)
    print(bt.summary())
    print()
    print(bt.to_text())
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        bt.forecasts.to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    if args.plot is not None:
        save_png(args.plot, (13, 4.8), lambda fig: _draw(bt, fig))
    return 0


def _draw(bt: Any, fig: Any) -> None:
    """Reliability on the left, P50 errors on the right."""
    left, right = fig.subplots(1, 2)
    bt.plot_reliability(ax=left)
    bt.plot_errors(ax=right)
    fig.tight_layout()
