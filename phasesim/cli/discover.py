"""``phasesim discover LOG -o blueprint.yaml``: a blueprint from a release log."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from phasesim.cli import cli_words

__all__ = ["discover_command", "register"]


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share such as 0.9, found {text!r}") \
            from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"a share is in (0, 1], found {value}")
    return value


def register(subparsers: Any) -> None:
    """Add the ``discover`` sub-command to ``subparsers``."""
    p = subparsers.add_parser(
        "discover",
        help="discover a blueprint from a release log",
        description="Read phases, their order, the activity DAG of each phase, rework "
        "loops, optional activities, teams, a calendar, weekly anchors and slots and the "
        "cadence from a release log; fit durations and rates (as `phasesim calibrate` "
        "does); print what was found and write the blueprint with a comment on each "
        "element saying what it rests on.",
    )
    p.add_argument("log", metavar="LOG", help="the release log file")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE",
                   help="the discovered blueprint (YAML) to write")
    p.add_argument("--min-support", type=_share, default=0.9, metavar="S",
                   help="B depends on A when it starts after A ends in this share of "
                   "the releases that ran both (default 0.9)")
    p.add_argument("--leave-out-below", type=float, default=0.05, metavar="S",
                   help="activities that ran in fewer releases than this share are left "
                   "out (default 0.05)")
    p.add_argument("--timezone", default="UTC", metavar="TZ",
                   help="IANA timezone of the calendar, anchors and cadence (default UTC)")
    p.add_argument("--phases-from-activities", action="store_true",
                   help="make every activity a phase of its own")
    p.add_argument("--min-samples", type=int, default=8, metavar="N",
                   help="fewer observations give an empirical distribution (default 8)")
    p.add_argument("--format", metavar="F",
                   help="format of LOG (csv, parquet, jsonl, harness-report, "
                   "github-actions, ...); by default from the file")
    p.add_argument("--evidence", type=Path, metavar="CSV",
                   help="also write the evidence table as CSV")
    p.set_defaults(func=discover_command)


def discover_command(args: argparse.Namespace) -> int:
    """Read, discover, print the summary, write the YAML."""
    from phasesim.discovery import discover
    from phasesim.eventlog import read_log

    log = read_log(args.log, format=args.format)
    found = discover(log, min_support=args.min_support,
                     leave_out_below=args.leave_out_below, timezone=args.timezone,
                     phases="activities" if args.phases_from_activities else None,
                     min_samples=args.min_samples, name=Path(args.log).stem)
    print(cli_words(found.summary()))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    found.to_yaml(args.output)
    print(f"wrote {args.output}")
    if args.evidence is not None:
        args.evidence.parent.mkdir(parents=True, exist_ok=True)
        found.evidence.to_csv(args.evidence, index=False)
        print(f"wrote {args.evidence}")
    return 0
