"""Discrete-event simulation of release trains (SimPy).

The names load their modules on first use: a parallel worker imports only the engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from phasesim.simulation.cadence import Cadence, parse_cadence
    from phasesim.simulation.result import SimulationResult
    from phasesim.simulation.runner import simulate

_LAZY = {"Cadence": "phasesim.simulation.cadence", "parse_cadence": "phasesim.simulation.cadence",
         "SimulationResult": "phasesim.simulation.result",
         "simulate": "phasesim.simulation.runner"}

__all__ = ["Cadence", "SimulationResult", "parse_cadence", "simulate"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'phasesim.simulation' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
