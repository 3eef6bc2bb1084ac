"""Discrete-event simulation of release trains (SimPy)."""

from phasesim.simulation.cadence import Cadence, parse_cadence
from phasesim.simulation.result import SimulationResult
from phasesim.simulation.runner import simulate

__all__ = ["Cadence", "SimulationResult", "parse_cadence", "simulate"]
