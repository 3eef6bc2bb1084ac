"""Release process blueprints: the model, the loader and validator, the graph."""

from phasesim.blueprint.graph import CriticalPath
from phasesim.blueprint.load import load_blueprint
from phasesim.blueprint.model import (
    Activity,
    Approval,
    Blueprint,
    Environment,
    Failure,
    InputSpec,
    Phase,
    Rejection,
    Slot,
    Team,
)
from phasesim.blueprint.schema import json_schema

__all__ = [
    "Activity",
    "Approval",
    "Blueprint",
    "CriticalPath",
    "Environment",
    "Failure",
    "InputSpec",
    "Phase",
    "Rejection",
    "Slot",
    "Team",
    "json_schema",
    "load_blueprint",
]
