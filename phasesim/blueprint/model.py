"""The blueprint model: typed, frozen objects built by :func:`load_blueprint`.

A :class:`Blueprint` holds phases, each a DAG of activities, plus the shared teams,
environments and calendars. Objects are frozen: change them with
:func:`dataclasses.replace` (or the what-if helpers), never in place. Nothing here knows
about simulation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from phasesim.blueprint.expressions import Expression
from phasesim.calendars import Calendar, WeeklyAnchor
from phasesim.distributions import DurationSpec

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd
    from matplotlib.axes import Axes

    from phasesim.blueprint.graph import CriticalPath

__all__ = [
    "ACTIVITY_TYPES",
    "INPUT_TYPES",
    "Activity",
    "Approval",
    "Blueprint",
    "Environment",
    "Failure",
    "InputSpec",
    "Phase",
    "Rejection",
    "Slot",
    "Team",
]

#: Activity types of the format (``approval`` is a manual activity with an ``approval``).
ACTIVITY_TYPES = ("manual", "automated", "subprocess", "wait")
#: Types of process inputs.
INPUT_TYPES = ("string", "number", "boolean", "list")



@dataclass(frozen=True)
class Slot:
    """A planned slot: ``not-before: {at: Fri 09:00, week: 1}``.

    The release may not start the phase (or activity) before the ``at`` moment of its
    ``week``-th week, counted from the local day of the release's scheduled start (week 1
    holds that day and the six after it). A release that is ready later goes at once: a
    late release does not wait for the next week's slot, unlike a plain weekly
    ``not-before`` anchor.
    """

    at: WeeklyAnchor
    week: int = 1

    def __str__(self) -> str:
        return f"{self.at} (week {self.week})"


#: What ``not-before`` holds: a weekly anchor or a planned slot.
NotBefore = WeeklyAnchor | Slot


@dataclass(frozen=True)
class Rejection:
    """A rejected approval sends the release back to ``goto`` with ``probability``."""

    probability: float
    goto: str


@dataclass(frozen=True)
class Approval:
    """A gate: ``required`` of ``approvers`` approvals, each taking ``wait``.

    The gate opens at the ``required``-th approval; a rejection (see :class:`Rejection`)
    sends the release back to an activity or phase.
    """

    wait: DurationSpec
    approvers: int = 1
    required: int = 1
    reject: Rejection | None = None

    def mean_wait_h(self) -> float:
        """Expected time until the gate opens: the mean of the k-th of n waits."""
        return self.wait.order_statistic_mean(self.required, self.approvers)


@dataclass(frozen=True)
class Failure:
    """An automated activity fails with ``probability`` per try; ``retries`` more tries.

    After the last failed try the release goes to the ``on_failure`` phase (a rollback
    phase) or, with ``"abort"``, is aborted.
    """

    probability: float
    retries: int = 0
    on_failure: str = "abort"


@dataclass(frozen=True)
class Team:
    """People who do manual work and approvals; shared by every release in flight."""

    id: str
    capacity: int = 1
    calendar: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Environment:
    """An environment held by a phase or activity for its whole span (``uses``)."""

    id: str
    capacity: int = 1
    production: bool = False
    calendar: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class InputSpec:
    """A typed process input with an optional default."""

    name: str
    type: str = "string"
    default: Any = None
    description: str | None = None

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class Activity:
    """One unit of work inside a phase.

    ``depends_on`` holds ids of activities in the same phase, or ``phase_id.activity_id``
    across phases. ``item`` is set on the instances of a ``for_each`` activity, whose
    ``id`` is then ``template_id[item]``.
    """

    id: str
    name: str
    type: str = "automated"
    description: str | None = None
    depends_on: tuple[str, ...] = ()
    duration: DurationSpec | None = None
    owner: str | None = None
    calendar: str | None = None
    condition: Expression | None = None
    approval: Approval | None = None
    failure: Failure | None = None
    not_before: NotBefore | None = None
    uses: tuple[str, ...] = ()
    for_each: str | None = None
    item: Any = None
    store: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict, hash=False)
    process: str | None = None
    subprocess: Blueprint | None = field(default=None, hash=False)
    inputs: Mapping[str, Any] = field(default_factory=dict, hash=False)
    outputs: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def is_approval(self) -> bool:
        return self.approval is not None

    @property
    def kind(self) -> str:
        """The event-log activity type: ``approval`` for gates, else :attr:`type`."""
        return "approval" if self.approval is not None else self.type

    @property
    def template_id(self) -> str:
        """The id as written in the blueprint (without the ``[item]`` of an instance)."""
        return self.id.split("[", 1)[0]

    def mean_duration_h(self) -> float:
        """Mean working time in hours, as used by the critical-path method.

        Approvals take the mean time to the ``required``-th approval; subprocesses the
        critical-path length of their process; no ``duration`` means zero.
        """
        if self.approval is not None:
            return self.approval.mean_wait_h()
        if self.subprocess is not None:
            return self.subprocess.critical_path().length_h
        return self.duration.mean() if self.duration is not None else 0.0


@dataclass(frozen=True)
class Phase:
    """A stage of the release: a DAG of activities with owners, gates and conditions.

    A ``rollback`` phase runs only when a failure or a rejection sends a release there;
    afterwards the release ends as failed, unless ``resume`` is set, in which case the
    activity that failed runs again (a hotfix, then the deployment again).
    """

    id: str
    name: str
    activities: tuple[Activity, ...] = ()
    description: str | None = None
    owners: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    condition: Expression | None = None
    not_before: NotBefore | None = None
    calendar: str | None = None
    uses: tuple[str, ...] = ()
    rollback: bool = False
    resume: bool = False
    variables: Mapping[str, Any] = field(default_factory=dict, hash=False)
    outputs: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def activity(self, activity_id: str) -> Activity:
        """Return the activity (or instance) with this id; KeyError if there is none."""
        for act in self.activities:
            if act.id == activity_id:
                return act
        raise KeyError(f"phase {self.id!r} has no activity {activity_id!r}")


@dataclass(frozen=True)
class Blueprint:
    """A validated release process blueprint.

    Build one with :func:`phasesim.load_blueprint`. ``phases`` hold the activities as
    written (a ``for-each`` activity once); :meth:`instances` and :attr:`graph` expand
    them for the bound :attr:`input_values`.
    """

    id: str
    name: str
    phases: tuple[Phase, ...]
    description: str | None = None
    inputs: tuple[InputSpec, ...] = ()
    variables: Mapping[str, Any] = field(default_factory=dict, hash=False)
    calendars: Mapping[str, Calendar] = field(default_factory=dict, hash=False)
    teams: Mapping[str, Team] = field(default_factory=dict, hash=False)
    environments: Mapping[str, Environment] = field(default_factory=dict, hash=False)
    input_values: Mapping[str, Any] = field(default_factory=dict, hash=False)
    shape: str = "process"
    source: str | None = field(default=None, compare=False)

    # -- lookups ---------------------------------------------------------------------
    def phase(self, phase_id: str) -> Phase:
        """Return the phase with this id; KeyError if there is none."""
        for ph in self.phases:
            if ph.id == phase_id:
                return ph
        raise KeyError(f"blueprint {self.id!r} has no phase {phase_id!r}")

    @property
    def phase_ids(self) -> tuple[str, ...]:
        return tuple(ph.id for ph in self.phases)

    def instances(self, phase: Phase) -> tuple[Activity, ...]:
        """The activities of ``phase`` with every ``for-each`` expanded for the inputs."""
        from phasesim.blueprint.graph import expand_phase

        return expand_phase(self, phase)

    def iter_activities(self) -> Iterator[tuple[Phase, Activity]]:
        """Yield ``(phase, activity instance)`` for every activity of every phase."""
        for ph in self.phases:
            for act in self.instances(ph):
                yield ph, act

    def team_of(self, phase: Phase, activity: Activity) -> str | None:
        """The team that does an activity's manual work: its ``owner``, else the first
        of the phase's ``owners`` that is a declared team (else the first owner)."""
        if activity.owner is not None:
            return activity.owner
        for owner in phase.owners:
            if owner in self.teams:
                return owner
        return phase.owners[0] if phase.owners else None

    def calendar_of(self, phase: Phase, activity: Activity) -> Calendar | None:
        """The calendar of an activity: its own, else its team's, else its phase's."""
        name = activity.calendar
        if name is None:
            team = self.teams.get(self.team_of(phase, activity) or "")
            name = team.calendar if team is not None else None
        if name is None:
            name = phase.calendar
        return self.calendars.get(name) if name is not None else None

    def resolve(self, reference: str, phase: Phase | None = None) -> Any:
        """Value of a ``<+...>`` reference for the bound inputs and variables.

        ``releaseInput.NAME`` and ``releaseInput.global.NAME`` are inputs;
        ``variables.NAME``, ``process.variables.NAME`` and ``phase.variables.NAME`` are
        variables (phase variables first, then the process's). KeyError if unknown.
        """
        from phasesim.blueprint.graph import resolve_reference

        return resolve_reference(self, reference, phase)

    # -- derived views -----------------------------------------------------------------
    @cached_property
    def graph(self) -> nx.DiGraph:
        """DiGraph over activity instances ``"phase_id.activity_id"`` (edge u -> v: v
        waits for u); a phase's entry activities wait for the exit activities of each
        phase it depends on. Node attributes: ``phase_id``, ``activity_id``, ``phase``,
        ``activity``, ``rollback``, ``duration_h`` (mean)."""
        from phasesim.blueprint.graph import build_graph

        return build_graph(self)

    @cached_property
    def phase_graph(self) -> nx.DiGraph:
        """DiGraph over phase ids, edge a -> b when b depends on a."""
        from phasesim.blueprint.graph import build_phase_graph

        return build_phase_graph(self)

    def critical_path(self) -> CriticalPath:
        """The critical-path method on mean durations (rollback phases left out).

        Returns a :class:`~phasesim.blueprint.graph.CriticalPath` with ``path`` (node
        ids), ``length_h`` and ``table`` (earliest/latest start and finish and slack of
        every activity). Durations are effort hours: calendars, anchors, queues and
        rework are what the simulator adds on top.
        """
        from phasesim.blueprint.graph import critical_path

        return critical_path(self)

    def bind(self, inputs: Mapping[str, Any] | None) -> Blueprint:
        """Return this blueprint bound to other input values (validated)."""
        from phasesim.blueprint.load import bind_inputs

        return bind_inputs(self, inputs)

    def to_dict(self) -> dict[str, Any]:
        """The blueprint as plain YAML-ready data (``process:`` shape)."""
        from phasesim.blueprint.dump import blueprint_to_data

        return blueprint_to_data(self)

    def to_yaml(self, path: str | None = None) -> str:
        """The blueprint as YAML text that :func:`load_blueprint` reads back equal."""
        from phasesim.blueprint.dump import blueprint_to_yaml

        return blueprint_to_yaml(self, path)

    def to_frame(self) -> pd.DataFrame:
        """One row per activity instance: phase, id, type, owner, duration, depends-on,
        gate, condition, mean hours, slack and whether it is critical."""
        from phasesim.blueprint.graph import activity_table

        return activity_table(self)

    def plot_dag(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Draw phases as lanes and dependencies as arrows; return the Axes."""
        from phasesim.plotting.dag import plot_dag

        return plot_dag(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        n_act = sum(len(self.instances(ph)) for ph in self.phases)
        return (f"<Blueprint {self.id!r}: {len(self.phases)} phases, {n_act} activities, "
                f"{len(self.teams)} teams, {len(self.environments)} environments>")

    def _repr_html_(self) -> str:
        from phasesim.blueprint.graph import blueprint_html

        return blueprint_html(self)
