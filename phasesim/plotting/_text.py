"""Text from a log or a blueprint is drawn as written, never as matplotlib mathtext."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["literal", "literals"]


def literal(text: Any) -> str:
    """Return ``str(text)`` with every ``$`` escaped, so matplotlib draws it literally.

    An activity named ``$x^2$`` would otherwise be typeset as mathtext (and an odd
    ``$`` or ``^`` in such a name can make ``savefig`` raise).

    >>> literal("deploy $x^2$")
    'deploy \\\\$x^2\\\\$'
    """
    return str(text).replace("$", r"\$")


def literals(texts: Iterable[Any]) -> list[str]:
    """:func:`literal` of each text."""
    return [literal(t) for t in texts]
