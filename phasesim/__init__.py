"""phasesim: plan, simulate and analyse how software releases move through their phases.

The public API is listed in ``__all__``; everything else is internal.
"""

from importlib.metadata import PackageNotFoundError, version

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
    Team,
    json_schema,
    load_blueprint,
)
from phasesim.calendars import Calendar, WeeklyAnchor
from phasesim.distributions import DurationSpec, parse_duration_spec
from phasesim.errors import BlueprintError, LogError, PhasesimError, Problem, ScenarioError
from phasesim.plotting.dag import plot_dag
from phasesim.units import format_hours, parse_duration

try:
    __version__ = version("phasesim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "Activity",
    "Approval",
    "Blueprint",
    "BlueprintError",
    "Calendar",
    "CriticalPath",
    "DurationSpec",
    "Environment",
    "Failure",
    "InputSpec",
    "LogError",
    "Phase",
    "PhasesimError",
    "Problem",
    "Rejection",
    "ScenarioError",
    "Team",
    "WeeklyAnchor",
    "__version__",
    "format_hours",
    "json_schema",
    "load_blueprint",
    "parse_duration",
    "parse_duration_spec",
    "plot_dag",
]
