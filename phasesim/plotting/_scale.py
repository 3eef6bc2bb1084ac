"""Keep charts readable at scale: cap long charts to the top N (saying how many more
there are), thin tick labels that would overprint, and format numbers without "-0.0"."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["label_step", "more_note", "number", "thin_labels", "titled", "visible_labels"]


def number(value: float, digits: int = 1) -> str:
    """``value`` rounded to ``digits`` decimals, never ``-0.0``.

    >>> number(-0.001, 2), number(2.345), number(float("nan"))
    ('0.00', '2.3', 'n/a')
    """
    if value != value:
        return "n/a"
    text = f"{value:.{digits}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text


def label_step(n: int, room: int) -> int:
    """Label every ``label_step``-th of ``n`` ticks so that at most ``room`` are labelled.

    >>> label_step(10, 40), label_step(280, 40), label_step(81, 40)
    (1, 7, 3)
    """
    if room <= 0 or n <= room:
        return 1
    return int(np.ceil(n / room))


def _axis_inches(ax: Axes, axis: str) -> float:
    fig = ax.get_figure(root=True)
    if fig is None:
        return 4.0
    w, h = fig.get_size_inches()
    pos = ax.get_position()
    # constrained layout has not run yet: the Axes takes about 70% of the figure
    return float((pos.height * h if axis == "y" else pos.width * w) or 0.7 * h)


def thin_labels(ax: Axes, axis: str, positions: Iterable[Any], labels: Iterable[str],
                *, fontsize: float = 7.0, per_inch: float | None = None) -> int:
    """Label every k-th position (a tick there), k chosen so labels do not overprint.

    Returns k (1 when every tick is labelled).
    """
    positions, labels = list(positions), list(labels)
    inches = _axis_inches(ax, axis)
    # a label needs its font size and a quarter more (72 points an inch)
    room = int(inches * (per_inch or 72.0 / (1.25 * fontsize)))
    if axis == "x":
        room = max(1, room // 2)
    step = label_step(len(labels), max(room, 1))
    # ticks only where there is a label: hundreds of unlabelled ticks cost seconds to draw
    ticks = list(positions)[::step]
    shown = list(labels)[::step]
    if axis == "y":
        ax.set_yticks(ticks, shown, fontsize=fontsize)
    else:
        ax.set_xticks(ticks, shown, fontsize=fontsize)
    return step


def visible_labels(ax: Axes, axis: str = "y") -> list[str]:
    """The non-empty tick label texts of an axis (for tests and notes)."""
    ticks = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    return [t.get_text() for t in ticks if t.get_text()]


def more_note(shown: int, total: int, what: str) -> str:
    """The words for a capped chart: "" when nothing was cut.

    >>> more_note(20, 400, "activities")
    'top 20 of 400 activities; and 380 more not shown'
    >>> more_note(5, 5, "phases")
    ''
    """
    if total <= shown:
        return ""
    return f"top {shown} of {total} {what}; and {total - shown} more not shown"


def titled(ax: Axes, title: str, *notes: str) -> None:
    """Set the title, with the non-empty ``notes`` on a smaller second line."""
    import textwrap

    lines = "\n".join(textwrap.wrap("; ".join(n for n in notes if n), 95))
    ax.set_title("\n".join(t for t in (title, lines) if t),
                 fontsize=None if not lines else 10)
