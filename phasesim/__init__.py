"""phasesim: plan, simulate and analyse how software releases move through their phases.

Blueprints (``load_blueprint``) describe a release process; ``simulate`` runs many
overlapping releases through one; ``read_log`` reads real release logs into the same
event-log schema the simulator writes, so every analysis, plot and report works on both;
``write_report`` turns a log into a standalone HTML report. The public API is listed in
``__all__``; everything else is internal.
"""

from importlib.metadata import PackageNotFoundError, version

from phasesim.analysis import (
    activity_stats,
    bottlenecks,
    critical_paths,
    delivery_metrics,
    lead_times,
    phase_stats,
    planned_vs_actual,
    trends,
    waiting_vs_working,
    work_in_progress,
)
from phasesim.analysis.scenario import Scenario, load_scenario
from phasesim.analysis.whatif import Comparison, cadence_sweep, compare, sensitivity
from phasesim.blueprint import (
    Activity,
    Approval,
    Blueprint,
    CriticalPath,
    Environment,
    Failure,
    InputSpec,
    Phase,
    Rejection,
    Slot,
    Team,
    json_schema,
    load_blueprint,
)
from phasesim.calendars import Calendar, WeeklyAnchor
from phasesim.calibration import (
    Calibration,
    ModelCheck,
    calibrate,
    fit_duration,
    plot_validation,
    validate_model,
)
from phasesim.distributions import DurationSpec, DurationSpecError, parse_duration_spec
from phasesim.errors import BlueprintError, LogError, PhasesimError, Problem, ScenarioError
from phasesim.eventlog import (
    AUDIT_RULES,
    FORMATS,
    EventLog,
    audit_log,
    audit_table,
    empty_log,
    read_log,
    validate_log,
)
from phasesim.plotting import (
    plot_bottlenecks,
    plot_comparison,
    plot_criticality,
    plot_dag,
    plot_differences,
    plot_gantt,
    plot_gantt_waits,
    plot_lead_time,
    plot_lead_time_distribution,
    plot_phase_durations,
    plot_timeline,
    plot_tornado,
    plot_train,
    plot_trends,
    plot_utilization,
)
from phasesim.report import render_report, write_report
from phasesim.simulation import SimulationResult, parse_cadence, simulate
from phasesim.units import format_hours, parse_duration

try:
    __version__ = version("phasesim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "AUDIT_RULES",
    "FORMATS",
    "Activity",
    "Approval",
    "Blueprint",
    "BlueprintError",
    "Calendar",
    "Calibration",
    "Comparison",
    "CriticalPath",
    "DurationSpec",
    "DurationSpecError",
    "Environment",
    "EventLog",
    "Failure",
    "InputSpec",
    "LogError",
    "ModelCheck",
    "Phase",
    "PhasesimError",
    "Problem",
    "Rejection",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "Slot",
    "Team",
    "WeeklyAnchor",
    "__version__",
    "activity_stats",
    "audit_log",
    "audit_table",
    "bottlenecks",
    "cadence_sweep",
    "calibrate",
    "compare",
    "critical_paths",
    "delivery_metrics",
    "empty_log",
    "fit_duration",
    "format_hours",
    "json_schema",
    "lead_times",
    "load_blueprint",
    "load_scenario",
    "parse_cadence",
    "parse_duration",
    "parse_duration_spec",
    "phase_stats",
    "planned_vs_actual",
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
    "plot_validation",
    "read_log",
    "render_report",
    "sensitivity",
    "simulate",
    "trends",
    "validate_log",
    "validate_model",
    "waiting_vs_working",
    "work_in_progress",
    "write_report",
]
