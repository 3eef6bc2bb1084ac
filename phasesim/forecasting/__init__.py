"""Forecasts from today: start the simulation from the state of the releases in flight.

``forecast(blueprint, log, now=...)`` reads where every release of the log stands at
``now`` (finished activities, work running, approvals given, rework spent, teams and
environments in use), continues it in the SimPy reference engine with the next
``future`` releases on the cadence, and reports finish dates per release and phase.
See ``docs/forecast.md``.
"""

from phasesim.forecasting.core import Forecast, forecast

__all__ = ["Forecast", "forecast"]
