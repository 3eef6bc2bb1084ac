"""phasesim: plan, simulate and analyse how software releases move through their phases.

Blueprints (``load_blueprint``) describe a release process; ``simulate`` runs many
overlapping releases through one; ``read_log`` reads real release logs into the same
event-log schema the simulator writes, so every analysis, plot and report works on both;
``write_report`` turns a log into a standalone HTML report. The public API is listed in
``__all__``; everything else is internal.
"""

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # every name loads its module on first use (see __getattr__)
    from phasesim.analysis import (
        History,
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
    from phasesim.backtesting import Backtest, backtest
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
    from phasesim.discovery import Discovery, discover
    from phasesim.distributions import DurationSpec, DurationSpecError, parse_duration_spec
    from phasesim.errors import (
        BlueprintError,
        CalibrationError,
        LogError,
        PhasesimError,
        Problem,
        ScenarioError,
    )
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
    from phasesim.forecasting import Forecast, forecast
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
    from phasesim.whatif import (
        Comparison,
        Scenario,
        cadence_sweep,
        compare,
        load_scenario,
        sensitivity,
    )

#: Every public name loads its module on first use, so that ``import phasesim`` is quick
#: and a simulation's parallel workers import only the engine (numpy, SciPy's special
#: functions and SimPy), not pandas, networkx, YAML or matplotlib.
_LAZY: dict[str, str] = {
    **dict.fromkeys(["Activity", "Approval", "Blueprint", "CriticalPath", "Environment",
                     "Failure", "InputSpec", "Phase", "Rejection", "Slot", "Team",
                     "json_schema", "load_blueprint"], "phasesim.blueprint"),
    "Calendar": "phasesim.calendars",
    "Backtest": "phasesim.backtesting",
    "backtest": "phasesim.backtesting",
    "Discovery": "phasesim.discovery",
    "discover": "phasesim.discovery",
    "WeeklyAnchor": "phasesim.calendars",
    **dict.fromkeys(["DurationSpec", "DurationSpecError", "parse_duration_spec"],
                    "phasesim.distributions"),
    **dict.fromkeys(["BlueprintError", "CalibrationError", "LogError", "PhasesimError",
                     "Problem", "ScenarioError"], "phasesim.errors"),
    **dict.fromkeys(["AUDIT_RULES", "FORMATS", "EventLog", "audit_log", "audit_table",
                     "empty_log", "read_log", "validate_log"], "phasesim.eventlog"),
    **dict.fromkeys(["SimulationResult", "parse_cadence", "simulate"], "phasesim.simulation"),
    "format_hours": "phasesim.units",
    "parse_duration": "phasesim.units",
    "History": "phasesim.analysis",
    "activity_stats": "phasesim.analysis",
    "bottlenecks": "phasesim.analysis",
    "critical_paths": "phasesim.analysis",
    "delivery_metrics": "phasesim.analysis",
    "lead_times": "phasesim.analysis",
    "phase_stats": "phasesim.analysis",
    "planned_vs_actual": "phasesim.analysis",
    "trends": "phasesim.analysis",
    "waiting_vs_working": "phasesim.analysis",
    "work_in_progress": "phasesim.analysis",
    "Scenario": "phasesim.whatif",
    "load_scenario": "phasesim.whatif",
    "Comparison": "phasesim.whatif",
    "cadence_sweep": "phasesim.whatif",
    "compare": "phasesim.whatif",
    "sensitivity": "phasesim.whatif",
    "explore": "phasesim.explorer",
    "Forecast": "phasesim.forecasting",
    "forecast": "phasesim.forecasting",
    "Calibration": "phasesim.calibration",
    "ModelCheck": "phasesim.calibration",
    "calibrate": "phasesim.calibration",
    "fit_duration": "phasesim.calibration",
    "plot_validation": "phasesim.calibration",
    "validate_model": "phasesim.calibration",
    "plot_bottlenecks": "phasesim.plotting",
    "plot_comparison": "phasesim.plotting",
    "plot_criticality": "phasesim.plotting",
    "plot_dag": "phasesim.plotting",
    "plot_differences": "phasesim.plotting",
    "plot_gantt": "phasesim.plotting",
    "plot_gantt_waits": "phasesim.plotting",
    "plot_lead_time": "phasesim.plotting",
    "plot_lead_time_distribution": "phasesim.plotting",
    "plot_phase_durations": "phasesim.plotting",
    "plot_timeline": "phasesim.plotting",
    "plot_tornado": "phasesim.plotting",
    "plot_train": "phasesim.plotting",
    "plot_trends": "phasesim.plotting",
    "plot_utilization": "phasesim.plotting",
    "render_report": "phasesim.report",
    "write_report": "phasesim.report",
}


#: Subpackages and modules reachable as attributes (``phasesim.calendars``) after only
#: ``import phasesim``.
_SUBMODULES = frozenset({
    "analysis", "backtesting", "blueprint", "calendars", "calibration", "cli", "discovery",
    "distributions", "errors", "eventlog", "forecasting", "plotting", "report", "simulation",
    "units", "whatif",
})


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"phasesim.{name}")
    else:
        raise AttributeError(f"module 'phasesim' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


try:
    __version__ = version("phasesim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "AUDIT_RULES",
    "FORMATS",
    "Activity",
    "Approval",
    "Backtest",
    "Blueprint",
    "BlueprintError",
    "Calendar",
    "Calibration",
    "CalibrationError",
    "Comparison",
    "CriticalPath",
    "Discovery",
    "DurationSpec",
    "DurationSpecError",
    "Environment",
    "EventLog",
    "Failure",
    "Forecast",
    "History",
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
    "backtest",
    "bottlenecks",
    "cadence_sweep",
    "calibrate",
    "compare",
    "critical_paths",
    "delivery_metrics",
    "discover",
    "empty_log",
    "explore",
    "fit_duration",
    "forecast",
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
