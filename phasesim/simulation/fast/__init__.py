"""The compiled engine: the SimPy engine's semantics as a numba event loop over arrays.

``simulate(..., engine="compiled")`` (or ``"auto"``, the default, which falls back to the
SimPy engine for what is not compiled) runs :func:`kernel.run_releases`. Both engines
draw the same keyed random numbers and record the same event log, release table and
usage table; ``docs/simulation.md`` says what is compiled.
"""

from __future__ import annotations

from typing import Any

from phasesim.simulation.compiled import CompiledModel

__all__ = ["available", "prepare"]


def available() -> str | None:
    """None when numba can be imported, else why not."""
    try:
        import numba  # noqa: F401
    except ImportError as exc:  # pragma: no cover - numba is a dependency
        return f"numba is not available ({exc})"
    return None


def prepare(model: CompiledModel, policies: dict[str, Any]) -> tuple[Any, str]:
    """(the model's arrays, "") when the compiled engine can run it, else (None, why)."""
    reason = available()
    if reason is None:
        from phasesim.simulation.fast.arrays import unsupported

        reason = unsupported(model, policies)
    if reason is not None:
        return None, reason
    from phasesim.simulation.fast.arrays import build

    return build(model), ""
