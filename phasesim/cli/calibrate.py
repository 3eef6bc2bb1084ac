"""``phasesim calibrate BLUEPRINT LOG -o calibrated.yaml``: fit a blueprint to history."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

from phasesim.cli import cli_words, sheet_arg
from phasesim.cli.blueprint import _add_inputs, _inputs
from phasesim.units import format_number

__all__ = ["calibrate_command", "register"]

#: Columns printed, and their headers.
_COLUMNS = {
    "phase_id": "phase", "activity_id": "activity", "n": "n", "old_spec": "old",
    "new_spec": "fitted", "ks_pvalue": "KS p", "p_old": "p old", "p_new": "p new",
    "note": "note",
}


def register(subparsers: Any) -> None:
    """Add the ``calibrate`` sub-command to ``subparsers``."""
    p = subparsers.add_parser(
        "calibrate",
        help="fit a blueprint's durations and failure rates to a release log",
        description="Fit each activity's duration (lognormal, gamma, Weibull or PERT by "
        "maximum likelihood, chosen by AIC; empirical below --min-samples), approval waits "
        "(in working hours, through the k-of-n rule), failure and rejection rates and "
        "retries to a release log; print what changed and write the calibrated blueprint.",
    )
    p.add_argument("blueprint", metavar="BLUEPRINT", help="the blueprint the log is a history of")
    p.add_argument("log", metavar="LOG", help="the release log file")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE",
                   help="the calibrated blueprint (YAML) to write")
    p.add_argument("--min-samples", type=int, default=8, metavar="N",
                   help="fewer observations give an empirical distribution (default 8)")
    p.add_argument("--criterion", choices=("aic", "wasserstein"), default="aic",
                   help="how a family is chosen (default aic)")
    p.add_argument("--format", metavar="F",
                   help="format of LOG (csv, parquet, jsonl, excel, harness-report, "
                   "github-actions, ...); by default from the file")
    p.add_argument("--tail-limit", type=float, default=10.0, metavar="X",
                   help="warn when a fit's 99.9th percentile is more than X times the "
                   "largest observation (default 10)")
    p.add_argument("--truncate", action="store_true",
                   help="cut such a fit at X times the largest observation (max: in the "
                   "written blueprint)")
    p.add_argument("--sheet", metavar="NAME",
                   help="the sheet of an Excel LOG that holds the log (a name, or a "
                   "position from 0); the first by default")
    p.add_argument("--table", type=Path, metavar="CSV",
                   help="also write the full calibration table as CSV")
    _add_inputs(p)
    p.set_defaults(func=calibrate_command)


def calibrate_command(args: argparse.Namespace) -> int:
    """Read, calibrate, print the table and notes, write the YAML."""
    from phasesim.blueprint import load_blueprint
    from phasesim.calibration import calibrate
    from phasesim.eventlog import read_log

    blueprint = load_blueprint(args.blueprint, inputs=_inputs(args.input) or None)
    log = read_log(args.log, format=args.format, sheet=sheet_arg(args.sheet))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        calibration = calibrate(blueprint, log, min_samples=args.min_samples,
                                criterion=args.criterion, tail_limit=args.tail_limit,
                                truncate=args.truncate)
    print(repr(calibration))
    table = calibration.table[list(_COLUMNS)].rename(columns=_COLUMNS)
    print(cli_words(table.to_string(index=False, na_rep="",
                                    float_format=lambda v: format_number(v, ".3g"),
                                    max_colwidth=48)))
    for warning in caught:
        print(f"note: {cli_words(str(warning.message))}", file=sys.stderr)
    if not calibration.unmatched.empty:
        pairs = ", ".join(f"{r.phase_id}.{r.activity_id}" for r in
                          calibration.unmatched.itertuples())
        print(f"note: log rows that match no activity of the blueprint: {pairs}",
              file=sys.stderr)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    calibration.to_yaml(args.output)
    print(f"wrote {args.output}")
    if args.table is not None:
        args.table.parent.mkdir(parents=True, exist_ok=True)
        calibration.table.to_csv(args.table, index=False)
        print(f"wrote {args.table}")
    return 0
