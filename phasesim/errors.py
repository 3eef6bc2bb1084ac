"""The exception hierarchy of phasesim.

Every error that phasesim raises on purpose derives from :class:`PhasesimError`, so a
caller (and the CLI) can catch one class and print a message instead of a traceback.
Input errors also derive from :class:`ValueError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "BlueprintError",
    "CalibrationError",
    "LogError",
    "PhasesimError",
    "Problem",
    "ScenarioError",
]


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    Attributes
    ----------
    message : str
        What is wrong, with the value found.
    file : str or None
        The file (or ``"<string>"`` for text given directly).
    line, column : int or None
        1-based position in the file, where known.
    path : str
        Where in the document, e.g. ``phases[2].activities[0].depends-on``.
    hint : str or None
        How to fix it, where that is obvious.
    """

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str = ""
    hint: str | None = None

    @property
    def location(self) -> str:
        parts = [self.file or "<string>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        text = f"{self.location}: "
        if self.path:
            text += f"{self.path}: "
        text += self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class PhasesimError(Exception):
    """Base class of every error phasesim raises on purpose."""


class _ProblemsError(PhasesimError, ValueError):
    """An error that carries a list of :class:`Problem` objects."""

    what = "input"

    def __init__(self, problems: Iterable[Problem] | str, source: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems, file=source)]
        self.problems: list[Problem] = list(problems)
        self.source = source
        super().__init__(self._format())

    def _format(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in {self.what}"
        if self.source:
            head += f" {self.source}"
        return head + ":\n" + "\n".join(f"  {p}" for p in self.problems)


class BlueprintError(_ProblemsError):
    """A blueprint file is not valid; ``problems`` lists every problem found."""

    what = "blueprint"


class ScenarioError(_ProblemsError):
    """A scenario (a blueprint plus changes) is not valid."""

    what = "scenario"


class LogError(_ProblemsError):
    """A release log cannot be read (raised by ``read_log(strict=True)``)."""

    what = "log"


class CalibrationError(PhasesimError, ValueError):
    """A log cannot calibrate a blueprint: none of its rows match the blueprint's activities.

    Attributes
    ----------
    closest : dict
        ``"phase.activity"`` of a few blueprint activities -> the closest names in the log
        (:func:`difflib.get_close_matches`; an empty list when none is close).
    """

    def __init__(self, message: str, closest: dict[str, list[str]] | None = None) -> None:
        self.closest: dict[str, list[str]] = dict(closest or {})
        super().__init__(message)
