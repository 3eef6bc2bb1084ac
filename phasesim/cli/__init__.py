"""The ``phasesim`` command line: a thin adapter over the library.

Each sub-command lives in its own module with a ``register(subparsers)`` function that
adds its parser and sets ``func`` to a callable taking the parsed arguments and returning
the exit code. A :class:`~phasesim.errors.PhasesimError` becomes a message on stderr and
exit code 1, never a traceback. Ctrl-C prints "interrupted" and exits 130 (128 + SIGINT,
as shells do); a reader that closes the pipe early (``phasesim show BP | head -1``) ends
the command quietly with exit code 0.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from phasesim import __version__
from phasesim.errors import PhasesimError

__all__ = ["check_suffix", "cli_words", "duration_arg", "main", "save_png", "seed_arg",
           "sheet_arg"]


def seed_arg(text: str) -> int:
    """``--seed``: a whole number from 0 (argparse type; a usage error otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number such as 42, found {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"a seed cannot be negative, found {value}")
    return value


def duration_arg(text: str) -> str:
    """A duration such as ``21d`` or ``4h``, checked before the command runs."""
    from phasesim.units import parse_duration

    try:
        parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text

def check_suffix(path: Path | None, option: str, suffix: str) -> None:
    """Refuse an output path (``--out``, ``--plot``) that does not end in ``suffix``."""
    if path is not None and path.suffix.lower() != suffix:
        raise PhasesimError(f"{option} must end in {suffix}, found {path.name!r}")


def save_png(path: Path, size: tuple[float, float], draw: Callable[[Any], object],
             **savefig: Any) -> None:
    """Draw a figure of ``size`` inches with ``draw(figure)``, write it to ``path`` as
    PNG (110 dpi, the folder made if needed) and say so."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig = plt.figure(figsize=size)
    try:
        draw(fig)
        fig.savefig(path, dpi=110, **savefig)
    finally:
        plt.close(fig)
    print(f"wrote {path}")


#: Modules of ``phasesim.cli`` that define sub-commands, in the order of ``--help``.
COMMAND_MODULES: tuple[str, ...] = ("blueprint", "simulate", "compare", "calibrate", "discover",
                                     "forecast", "backtest", "report", "fetch")


#: The library's words for its arguments, and the CLI's words for the same options.
_CLI_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bformat=(?=[\s,;)]|$)"), "--format"),
    (re.compile(r"\binputs=\{\.\.\.\}"), "--input NAME=VALUE"),
    (re.compile(r"\bmin_samples=(?=\d)"), "--min-samples "),
    (re.compile(r"\bmin_samples=(?!\d)"), "--min-samples"),
    (re.compile(r'try "MS", "W" or "QS"'), "try --freq months, weeks or quarters"),
)


def sheet_arg(text: str | None) -> str | int | None:
    """``--sheet``: a sheet name, or a whole number for a position from 0.

    Examples
    --------
    >>> sheet_arg("Data"), sheet_arg("1"), sheet_arg(None)
    ('Data', 1, None)
    """
    if text is None:
        return None
    return int(text) if text.strip().isdigit() else text


def cli_words(text: str) -> str:
    """``text`` with the library's argument names (``format=``) as CLI options (``--format``).

    Examples
    --------
    >>> cli_words("pass format=, one of csv, parquet")
    'pass --format, one of csv, parquet'
    >>> cli_words("empirical: 3 < min_samples=8")
    'empirical: 3 < --min-samples 8'
    """
    for pattern, words in _CLI_WORDS:
        text = pattern.sub(words, text)
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="phasesim",
        description="Plan, simulate and analyse how software releases move through phases.",
    )
    parser.add_argument("--version", action="version", version=f"phasesim {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(f"phasesim.cli.{name}").register(subparsers)
    for command in subparsers.choices.values():
        command.add_argument("--allow-outside", action="store_true",
                             help="let a blueprint's subprocess files lie outside its "
                                  "folder tree (only for blueprints you trust)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 1 a problem found, 2 usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from phasesim.blueprint.load import ALLOW_OUTSIDE

    token = ALLOW_OUTSIDE.set(bool(getattr(args, "allow_outside", False)))
    shown = warnings.showwarning

    def note(message: Warning | str, *_: Any, **__: Any) -> None:
        # a warning (a release past the simulation horizon) is a note, not a source line
        print(f"phasesim {args.command}: note: {cli_words(str(message))}", file=sys.stderr)

    warnings.showwarning = note
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        print(f"phasesim {args.command}: interrupted", file=sys.stderr)
        return 130
    except PhasesimError as exc:
        print(f"phasesim {args.command}: {cli_words(str(exc))}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"phasesim {args.command}: {exc}", file=sys.stderr)
        return 1
    finally:
        ALLOW_OUTSIDE.reset(token)
        warnings.showwarning = shown


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the final flush at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (e.g. captured in a test)
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
