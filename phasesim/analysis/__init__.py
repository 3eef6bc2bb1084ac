"""Analyses of release history (and of simulated logs, which share the schema).

Each function takes an event log and returns a tidy DataFrame; see ``docs/analysis.md``
for the method of each in plain words.
"""

from phasesim.analysis._prepare import BlueprintLike
from phasesim.analysis.bottlenecks import bottlenecks, critical_paths
from phasesim.analysis.history import History
from phasesim.analysis.stats import (
    activity_stats,
    lead_times,
    phase_stats,
    planned_vs_actual,
    waiting_vs_working,
    work_in_progress,
)
from phasesim.analysis.trends import delivery_metrics, trends

__all__ = [
    "BlueprintLike",
    "History",
    "activity_stats",
    "bottlenecks",
    "critical_paths",
    "delivery_metrics",
    "lead_times",
    "phase_stats",
    "planned_vs_actual",
    "trends",
    "waiting_vs_working",
    "work_in_progress",
]
