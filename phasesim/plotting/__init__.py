"""Plots: every function takes ``ax=None`` and returns the Axes it drew on."""

from phasesim.plotting.history import (
    plot_bottlenecks,
    plot_gantt,
    plot_lead_time,
    plot_phase_durations,
    plot_timeline,
    plot_trends,
)

__all__ = [
    "plot_bottlenecks",
    "plot_gantt",
    "plot_lead_time",
    "plot_phase_durations",
    "plot_timeline",
    "plot_trends",
]
