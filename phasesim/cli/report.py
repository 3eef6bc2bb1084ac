"""``phasesim report LOG [LOG ...] [--blueprint BP] [--format F] -o report.html``."""

from __future__ import annotations

import argparse
from typing import Any

from phasesim.cli import seed_arg, sheet_arg

__all__ = ["register", "report"]

#: ``--freq`` words and the pandas offset aliases they stand for (an alias passes as is).
PERIODS: dict[str, str] = {"days": "D", "weeks": "W", "months": "MS", "quarters": "QS",
                           "years": "YS"}


def register(subparsers: Any) -> None:
    """Add the ``report`` sub-command to ``subparsers``."""
    p = subparsers.add_parser(
        "report",
        help="write a standalone HTML bottleneck report of a release log",
        description="Read a release log (CSV, Parquet, JSON lines, Excel or a tool export), "
        "audit it, and write one self-contained HTML file: the audit, bottlenecks on the "
        "realised critical path, phase statistics, lead times, trends, delivery metrics and "
        "the method in plain words.",
    )
    p.add_argument(
        "log",
        nargs="+",
        metavar="LOG",
        help="the release log file; several files are read together as one log (runs and "
        "jobs files, monthly exports), as read_log does",
    )
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the HTML file to write")
    p.add_argument(
        "--blueprint", metavar="BP", help="a blueprint whose dependencies define waiting"
    )
    p.add_argument(
        "--format",
        metavar="F",
        help="format of LOG (csv, parquet, jsonl, excel, harness-report, github-actions, ...); "
        "by default from the file",
    )
    p.add_argument("--sheet", metavar="NAME",
                   help="the sheet of an Excel LOG that holds the log (a name, or a "
                   "position from 0); the first by default")
    p.add_argument("--title", help="title of the report (by default from the log)")
    p.add_argument(
        "--freq",
        default="months",
        metavar="PERIOD",
        help="period of trends and delivery metrics: days, weeks, months, quarters or years "
        "(default months)",
    )
    p.add_argument(
        "--boot", type=int, default=1000, metavar="N", help="bootstrap resamples (default 1000)"
    )
    p.add_argument("--seed", type=seed_arg, default=0, help="seed of the bootstrap (default 0)")
    p.set_defaults(func=report)


def report(args: argparse.Namespace) -> int:
    """Read the log (and blueprint), write the report, print where it went."""
    from phasesim.eventlog import audit_table, read_log
    from phasesim.report import write_report

    log = read_log(args.log[0] if len(args.log) == 1 else list(args.log), format=args.format,
                   sheet=sheet_arg(args.sheet))
    blueprint = None
    if args.blueprint:
        from phasesim.blueprint import load_blueprint

        blueprint = load_blueprint(args.blueprint)
    out = write_report(
        log,
        args.output,
        blueprint=blueprint,
        title=args.title,
        freq=PERIODS.get(args.freq.strip().lower(), args.freq),
        n_boot=args.boot,
        seed=args.seed,
    )
    flagged = int((audit_table(log)["count"] > 0).sum())
    print(f"wrote {out} ({len(log)} rows; {flagged} audit rule(s) found something)")
    return 0
