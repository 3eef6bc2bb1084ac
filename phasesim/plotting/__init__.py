"""Plots: every function takes ``ax=None`` (the current Axes) and returns the Axes.

History and simulation share the event log, so most plots take either:

- ``plot_gantt`` (one release), ``plot_bottlenecks``, ``plot_phase_durations``,
  ``plot_lead_time`` (lead time of each release over time), ``plot_trends``,
  ``plot_timeline`` — any event log;
- ``plot_lead_time_distribution`` — histogram and CDF with P50/P80/P95, of an event log
  or a simulation result;
- ``plot_gantt_waits``, ``plot_train``, ``plot_criticality``, ``plot_utilization`` — a
  simulation result (they use the engine's wait columns and resource holds);
- ``plot_comparison``, ``plot_differences``, ``plot_tornado`` — what-if comparisons and
  sensitivity tables;
- ``plot_dag`` — a blueprint.
"""

from phasesim.plotting.dag import plot_dag
from phasesim.plotting.history import (
    plot_bottlenecks,
    plot_gantt,
    plot_lead_time,
    plot_phase_durations,
    plot_timeline,
    plot_trends,
)
from phasesim.plotting.simulation import (
    plot_criticality,
    plot_gantt_waits,
    plot_lead_time_distribution,
    plot_train,
    plot_utilization,
)
from phasesim.plotting.whatif import plot_comparison, plot_differences, plot_tornado

__all__ = [
    "plot_bottlenecks",
    "plot_comparison",
    "plot_criticality",
    "plot_dag",
    "plot_differences",
    "plot_gantt",
    "plot_gantt_waits",
    "plot_lead_time",
    "plot_lead_time_distribution",
    "plot_phase_durations",
    "plot_timeline",
    "plot_tornado",
    "plot_train",
    "plot_trends",
    "plot_utilization",
]
