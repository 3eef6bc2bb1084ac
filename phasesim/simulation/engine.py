"""The SimPy model: releases flowing through a compiled blueprint, sharing resources.

One :class:`RunEngine` simulates one Monte Carlo run: a timeline of releases started on
a cadence. In each release an activity starts once its dependencies and its phase's gate
(the phase's dependencies, serialisation, anchor, environments and freezes) allow; it then
waits for its own anchor and environments and a free team member, and works. Activities
that nothing can hold up once they start are scheduled directly with a SimPy timer; the
others run as SimPy processes. Teams and environments are first-come first-served pools
(by ready time) shared by every release in flight. Time is float hours since the Unix
epoch (UTC), so calendars work on it directly. Rows are recorded into lists and turned
into a DataFrame once, by the runner. The semantics are documented in
``docs/simulation.md``.
"""

from __future__ import annotations

import heapq
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from phasesim.calendars import HORIZON, HORIZON_H, Calendar, WeeklyAnchor
from phasesim.simulation.compiled import CompiledModel, NodeSpec
from phasesim.simulation.streams import Streams

__all__ = ["DEFAULT_MAX_REWORK", "MAX_REWORK", "RELEASE_FIELDS", "ROW_FIELDS", "USAGE_FIELDS",
           "ActivityState", "Draws", "ReleaseState", "RunEngine", "conditioned_hours"]

#: A release sent back (rejections, resumed rollbacks) more often than this is aborted.
DEFAULT_MAX_REWORK = 20
#: Largest ``max_rework`` accepted: each rework is a loop in the simulation.
MAX_REWORK = 1000

#: Fields of one event-log row, as recorded by the engine.
ROW_FIELDS = (
    "row", "run", "release", "phase_id", "activity_id", "activity_type", "owner", "status",
    "attempt", "ready", "start", "end", "wait_serialize_h", "wait_anchor_h",
    "wait_environment_h", "wait_team_h", "offhours_h", "work_h", "rework", "cause",
    "wait_freeze_h",
)
#: The reason of a release cut at the simulation horizon.
BEYOND_HORIZON = f"beyond the simulation horizon ({HORIZON:%Y-%m-%d} UTC)"
#: Fields of one release row.
RELEASE_FIELDS = ("run", "release", "scheduled", "start", "end", "status", "reason",
                  "attempts", "rework", "capped")
#: Fields of one resource-usage row (a team member or an environment slot).
USAGE_FIELDS = ("run", "kind", "resource", "release", "requested", "granted", "released")

_Proc = Generator[simpy.Event, Any, Any]


@dataclass(frozen=True, slots=True)
class ActivityState:
    """An activity running at the engine's start (``now``): it continues, it does not
    start again.

    ``elapsed_h`` is how much of its duration has passed: working hours of its calendar
    for manual work and approvals, wall-clock hours otherwise. ``given`` approvals of a
    k-of-n gate are already in; ``used`` failed tries of the current pass were made.
    """

    start: float  # when the running try started (epoch hours)
    elapsed_h: float = 0.0
    given: int = 0
    used: int = 0


@dataclass(frozen=True, slots=True)
class ReleaseState:
    """Where a release stands at the engine's start (a forecast's ``now``).

    Node keys are ``"phase_id.activity_id"`` of the main process. ``done`` activities
    ended at the given times and do not run; ``running`` ones continue (see
    :class:`ActivityState`); ``entered`` phases passed their gate at the given time and
    hold their environments until their last activity ends (they must not be complete).
    ``attempts`` counts the executions already made of each activity (the next one
    draws the random numbers of that execution number), ``rework`` the rejections and
    resumed rollbacks already spent of the ``max_rework`` budget. ``used`` counts the
    failed tries of the current pass of activities that run again (not running): their
    next pass has only ``retries + 1 - used`` tries. The first row recorded of each
    activity in ``again`` is flagged rework (it reruns after a rejection, a failure or a
    rollback of the log).
    """

    started: float  # the release's first start (epoch hours)
    done: dict[str, float] = field(default_factory=dict)
    running: dict[str, ActivityState] = field(default_factory=dict)
    entered: dict[str, float] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    rework: int = 0
    used: dict[str, int] = field(default_factory=dict)
    again: frozenset[str] = frozenset()


@dataclass(slots=True)
class _Gate:
    """Times at which a phase passed its gate, and the row that made it ready."""

    ready: float = 0.0
    after_serialize: float = 0.0
    after_anchor: float = 0.0
    started: float = 0.0
    cause: int = -1
    freeze_h: float = 0.0  # of after_anchor -> started, waiting out freezes (it comes first)


@dataclass(slots=True)
class _Release:
    index: int
    scheduled: float
    start: float = 0.0
    status: str = "succeeded"
    reason: str = ""
    stop: simpy.Event | None = None
    stopped: bool = False
    halted_at: float = 0.0
    rework: int = 0
    capped: bool = False
    attempts: dict[str, int] = field(default_factory=dict)
    end_time: dict[str, float] = field(default_factory=dict)
    last_row: dict[str, int] = field(default_factory=dict)
    phase_open: dict[str, bool] = field(default_factory=dict)
    serial_exit: dict[str, simpy.Event] = field(default_factory=dict)
    held: list[list[tuple[str, Any, int]]] = field(default_factory=list)
    rows: int = 0
    state: ReleaseState | None = None
    resume: dict[str, ActivityState] = field(default_factory=dict)  # not yet continued
    used: dict[str, int] = field(default_factory=dict)  # failed tries of the pass, logged
    again: set[str] = field(default_factory=set)  # next row is rework (from the state)


class RunEngine:
    """Simulate one run: ``starts`` (epoch hours) of releases through ``model``.

    Parameters
    ----------
    model : CompiledModel
    run : int
        The run number (part of every random stream's address).
    starts : sequence of float
        Scheduled start of each release, epoch hours, ascending.
    draws : Draws
        The random numbers of a group of runs that includes this one.
    max_in_flight : int, optional
        At most this many releases in flight; others wait to start.
    serialize : sequence of str
        Phase ids that a release may enter only after the previous release left them.
    max_rework : int
        Cap on rejections and resumed rollbacks per release; past it the release aborts.
    now : float, optional
        Start the clock here rather than at the first release's start (a forecast).
    states : sequence of ReleaseState or None
        The state at ``now`` of the first ``len(states)`` releases (None: from scratch).
        Their team members and environments in use are taken before anything else.
    busy : mapping of str to sequence of float
        Team members or environment slots (by name, teams first) occupied from ``now``
        until each of the given times.
    """

    def __init__(self, model: CompiledModel, run: int, starts: Sequence[float],
                 draws: Draws, *, max_in_flight: int | None = None,
                 serialize: Sequence[str] = (), max_rework: int = DEFAULT_MAX_REWORK,
                 now: float | None = None, states: Sequence[ReleaseState | None] = (),
                 busy: Mapping[str, Sequence[float]] | None = None) -> None:
        self.model = model
        self.run = run
        self.starts = list(starts)
        self.draws = draws
        self._offset = draws.offset(run)
        self.max_rework = max_rework
        first = now if now is not None else self.starts[0] if self.starts else 0.0
        self.env = simpy.Environment(initial_time=first)
        self.teams = {name: _Pool(self.env, cap) for name, cap in model.team_capacity.items()}
        self.environments = {name: _Pool(self.env, cap)
                             for name, cap in model.environment_capacity.items()}
        self.states = list(states)
        if self.states:
            self._reserve()
        for name, untils in (busy or {}).items():
            pool = self.teams.get(name) or self.environments.get(name)
            if pool is None:
                raise ValueError(f"busy names {name!r}, which is neither a team nor an "
                                 f"environment of the model")
            for until in untils:
                if until > first:
                    pool.busy += 1
                    self.env.timeout(until - first).callbacks.append(_giver(pool))
        self.in_flight = _Pool(self.env, max_in_flight) if max_in_flight else None
        self.serialize = {ph.id for ph in model.phases if ph.id in set(serialize)}
        self.rows: list[tuple[Any, ...]] = []
        self.releases: list[tuple[Any, ...]] = []
        self.usage: list[list[Any]] = []
        self._previous: _Release | None = None

    def _reserve(self) -> None:
        """Take the team members and environments that the work in flight holds at the
        start, before any release runs (so new work queues behind it)."""
        index = {spec.key: spec for spec in self.model.nodes}
        phases = {ph.id: ph for ph in self.model.phases}
        for state in self.states:
            if state is None:
                continue
            uses: list[str] = [name for pid in state.entered for name in phases[pid].uses]
            for key in state.running:
                spec = index[key]
                uses.extend(spec.uses)
                if spec.kind == "manual" and spec.team is not None:
                    self.teams[spec.team].busy += 1
            for name in uses:
                if name in self.environments:
                    self.environments[name].busy += 1

    def _reserved(self, rel: _Release, uses: Sequence[str]) -> list[tuple[str, Any, int]]:
        """The holdings of environments reserved by :meth:`_reserve`, from now."""
        return [(name, self.environments[name],
                 self._hold("environment", name, rel, self.env.now))
                for name in sorted(uses) if name in self.environments]

    # -- driver --------------------------------------------------------------------------
    def execute(self) -> None:
        """Run the simulation until every release has ended."""
        self.env.process(self._arrivals())
        self.env.run()

    def _arrivals(self) -> _Proc:
        for i, t in enumerate(self.starts):
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            rel = _Release(index=i, scheduled=t)
            state = self.states[i] if i < len(self.states) else None
            if state is not None:
                rel.state = state
                rel.resume = dict(state.running)
                rel.attempts = dict(state.attempts)
                rel.rework = state.rework
                rel.used = dict(state.used)
                rel.again = set(state.again)
            rel.stop = self.env.event()
            # in the model's phase order (not the set's, which varies with the hash seed):
            # the order in which a release's end lets the next one's gates go on
            rel.serial_exit = {ph.id: self.env.event() for ph in self.model.phases
                               if ph.id in self.serialize}
            previous, self._previous = self._previous, rel
            self.env.process(self._release(rel, previous))

    def _release(self, rel: _Release, previous: _Release | None) -> _Proc:
        if self.in_flight is not None:
            if rel.state is not None:  # in flight at the start: it holds a slot already
                self.in_flight.busy += 1
            else:
                slot = self.in_flight.take(rel.scheduled)
                if slot is not None:
                    yield slot
        rel.start = self.env.now if rel.state is None else rel.state.started
        assert rel.stop is not None
        block = self.env.process(self._block(rel, self.model, self.model.main_nodes,
                                             main=True, cause=-1, previous=previous))
        yield block | rel.stop
        for event in rel.serial_exit.values():
            if not event.triggered:
                event.succeed()
        if self.in_flight is not None:
            self.in_flight.give()
        attempts = max(rel.attempts.values(), default=0)
        self.releases.append((self.run, rel.index, rel.scheduled, rel.start, self.env.now,
                              rel.status, rel.reason, attempts, rel.rework, rel.capped))

    def _halt(self, rel: _Release, status: str, reason: str) -> None:
        if rel.stopped:
            return
        rel.stopped = True
        rel.halted_at = self.env.now
        rel.status = status
        rel.reason = reason
        # environments held by phases of this release are given back at once
        for held in rel.held:
            self._free(held)
        rel.held.clear()
        assert rel.stop is not None
        rel.stop.succeed()

    # -- blocks of activities ----------------------------------------------------------
    def _block(self, rel: _Release, model: CompiledModel, members: Sequence[int], *,
               main: bool, cause: int, previous: _Release | None = None,
               rework: bool = False) -> _Proc:
        """Run a set of nodes: the whole release, a rework loop, a rollback phase or a
        subprocess, and wait until all have finished (or the release has ended).

        Nodes are started when they become runnable, rather than waiting on events: a
        node is runnable when its predecessors in the block have finished and its
        phase's gate is open. In the main block a phase's gate opens after the phases
        it depends on; in other blocks when its first node becomes ready.
        """
        block = _Block(self, rel, model, members, main=main, cause=cause,
                       previous=previous, rework=rework or not main)
        block.begin()
        assert rel.stop is not None
        if block.pending:
            yield block.finished | rel.stop

    def _acquire(self, rel: _Release, uses: Sequence[str], freezes: Sequence[Any],
                 priority: float, frozen: list[float] | None = None
                 ) -> Generator[simpy.Event, Any, list[tuple[str, Any, int]]]:
        """Wait out any freeze of a production environment, then take the environments in
        ``uses`` (sorted, so no two releases deadlock); if a freeze began while queueing,
        give them back and wait again. Return what is held; the hours spent waiting out
        freezes are added to ``frozen[0]``."""
        while True:
            while freezes:
                ends = [e for e in (cal.freeze_end_h(self.env.now) for cal in freezes)
                        if e is not None]
                if not ends:
                    break
                if frozen is not None:
                    frozen[0] += max(ends) - self.env.now
                yield self.env.timeout(max(ends) - self.env.now)
            held: list[tuple[str, Any, int]] = []
            for name in sorted(uses):
                resource = self.environments.get(name)
                if resource is None:
                    continue
                requested = self.env.now
                grant = resource.take(priority)
                if grant is not None:
                    yield grant
                held.append((name, resource, self._hold("environment", name, rel, requested)))
            if not any(cal.freeze_end_h(self.env.now) is not None for cal in freezes):
                return held
            self._free(held)

    def _hold(self, kind: str, name: str, rel: _Release, requested: float) -> int:
        """Record that a team member or environment slot is held from now; return the
        usage row, which :meth:`_unhold` closes."""
        self.usage.append([self.run, kind, name, rel.index, requested, self.env.now, None])
        return len(self.usage) - 1

    def _unhold(self, usage_row: int) -> None:
        self.usage[usage_row][6] = self.env.now

    def _free(self, held: list[tuple[str, Any, int]]) -> None:
        for _name, resource, usage_row in held:
            resource.give()
            self._unhold(usage_row)


    # -- one activity ------------------------------------------------------------------
    def _draw(self, spec: NodeSpec, release: int, execution: int) -> tuple[float, float]:
        """The outcome coin (uniform) and the hours of one execution of an activity."""
        coins, hours = self.draws.table(spec, execution)
        i = self._offset + release
        return coins[i], hours[i]

    def _resumed(self, spec: NodeSpec, release: int, execution: int, state: ActivityState
                 ) -> tuple[float, float]:
        """The outcome coin and the *total* hours of a try running at the start: the
        execution's own uniform numbers, each duration drawn by inverse transform on
        ``[F(elapsed), 1]`` (conditioned on lasting longer than what has passed). A
        k-of-n approval with ``given`` approvals waits for the ``required - given``-th
        fastest of the ``approvers - given`` outstanding ones (draws 1, 2, ...)."""
        u = self.draws.uniforms(spec, execution, self.run, release)
        e = state.elapsed_h
        if spec.kind == "approval":
            assert spec.wait_spec is not None
            need = spec.required - state.given
            if need <= 0:
                return float(u[0]), e
            outstanding = max(need, spec.approvers - state.given)
            waits = np.sort(conditioned_hours(spec.wait_spec, e, u[1:1 + outstanding]))
            return float(u[0]), float(waits[need - 1])
        if spec.duration is None:
            return float(u[0]), e
        return float(u[0]), float(conditioned_hours(spec.duration, e, u[1:2])[0])

    @staticmethod
    def _readiness(block: _Block, spec: NodeSpec, gate: _Gate
                   ) -> tuple[float, int, float, float, float]:
        """(ready, cause row, serialize, anchor and environment hours of its gate)."""
        rel = block.rel
        # ready: when the last of its predecessors, or of its phase's, ended
        ready, cause = gate.ready, gate.cause
        end_time, last_row = rel.end_time, rel.last_row
        for key in block.plan.pred_keys[spec.index]:
            t = end_time.get(key, -1.0)
            if t >= ready and key in last_row:
                ready, cause = t, last_row[key]
        if gate.started <= ready:  # the usual case: its phase's gate was passed before
            return ready, cause, 0.0, 0.0, 0.0
        return (ready, cause, _overlap(ready, gate.ready, gate.after_serialize),
                _overlap(ready, gate.after_serialize, gate.after_anchor),
                _overlap(ready, gate.after_anchor, gate.started))

    @staticmethod
    def _gate_freeze(ready: float, gate: _Gate) -> float:
        """The part of the gate's environment wait after ``ready`` spent in freezes."""
        if gate.started <= ready or gate.freeze_h <= 0.0:
            return 0.0
        return _overlap(ready, gate.after_anchor, gate.after_anchor + gate.freeze_h)

    def _launch(self, block: _Block, spec: NodeSpec, gate: _Gate) -> None:
        """Start a runnable activity.

        Most activities need no SimPy process: when nothing can make them wait once they
        start (their team is free now, they hold no environment of their own) and they do
        not end in a rollback, their whole execution (anchor, tries, working time) is
        computed at once and a single timer records it. Everything else runs as a
        process (:meth:`_node`); both paths draw the same random numbers.
        """
        rel = block.rel
        if rel.stopped:
            return
        env = self.env
        now = env.now
        if now >= HORIZON_H:
            self._halt(rel, "aborted", BEYOND_HORIZON)
            return
        if spec.skipped:
            ready, cause, serialize_h, anchor_h, environment_h = self._readiness(
                block, spec, gate)
            self._record(rel, spec, "skipped", ready, now, now, cause, serialize_h, anchor_h,
                         environment_h, 0.0, 0.0, 0.0, block.rework,
                         self._gate_freeze(ready, gate))
            rel.end_time[spec.key] = now
            block.node_done(spec.index)
            return
        team = self.teams[spec.team] if spec.kind == "manual" and spec.team else None
        if rel.resume and spec.key in rel.resume:  # running at the start: it continues
            env.process(self._node(block, spec, gate))
            return
        if not spec.simple or (team is not None and (spec.anchor is not None
                                                     or not team.free)):
            env.process(self._node(block, spec, gate))
            return
        t = now
        if spec.anchor is not None:
            t = _not_before(rel, spec.anchor, spec.slot_week, spec.anchor_calendar, now)
        base = rel.attempts.get(spec.key, 0)
        used = rel.used.get(spec.key, 0) if rel.used else 0
        tries: list[tuple[float, float, float, float, bool]] = []
        for attempt in range(max(1, spec.retries + 1 - used) if spec.fail_p > 0.0 else 1):
            coin, hours = self._draw(spec, rel.index, base + attempt)
            if spec.kind == "approval":
                start, end = t, spec.calendar.add_working_hours_h(t, hours)
            else:
                if spec.kind == "manual" and hours > 0:
                    start = spec.calendar.next_working_h(t)
                    end = spec.calendar.add_working_hours_h(t, hours)
                else:
                    start, end = t, t + hours
            failed = coin < spec.fail_p
            tries.append((t, start, end, hours, failed))
            t = end
            if not failed:
                break
        if tries[-1][4] and spec.on_failure is not None:
            # it will roll back: the process path redraws the same numbers
            env.process(self._node(block, spec, gate))
            return
        if used:
            del rel.used[spec.key]
        usage_row = -1
        if team is not None and spec.team is not None:
            team.take(now)
            usage_row = self._hold("team", spec.team, rel, now)
        ready, cause, serialize_h, anchor_h, environment_h = self._readiness(block, spec, gate)
        waits = (ready, cause, serialize_h, anchor_h + tries[0][0] - now, environment_h)
        freeze_h = self._gate_freeze(ready, gate)
        if t > now:
            timer = env.timeout(t - now)
            timer.callbacks.append(lambda _: self._finish(block, spec, waits, tries,
                                                          usage_row, freeze_h, used))
        else:
            self._finish(block, spec, waits, tries, usage_row, freeze_h, used)

    def _finish(self, block: _Block, spec: NodeSpec,
                waits: tuple[float, int, float, float, float],
                tries: list[tuple[float, float, float, float, bool]], usage_row: int,
                freeze_h: float = 0.0, used: int = 0) -> None:
        """Record a directly scheduled activity's tries and go on (see :meth:`_launch`);
        ``used`` failed tries of the pass were logged before (a forecast)."""
        rel = block.rel
        if usage_row >= 0:
            assert spec.team is not None
            self.teams[spec.team].give()
            self._unhold(usage_row)
        ready, cause, serialize_h, anchor_h, environment_h = waits
        if len(tries) == 1 and not rel.stopped and not tries[0][4] and not used:
            granted, start, end, hours, _ = tries[0]
            self._record(rel, spec, "succeeded", ready, start, end, cause, serialize_h,
                         anchor_h, environment_h, 0.0, _positive(end - granted - hours),
                         hours, block.rework, freeze_h)
            rel.end_time[spec.key] = end
            block.node_done(spec.index)
            return
        for i, (granted, start, end, hours, failed) in enumerate(tries):
            if rel.stopped and end > rel.halted_at:
                if granted < rel.halted_at:
                    self._interrupted(rel, spec, ready, start, cause,
                                      block.rework or used + i > 0)
                return
            row = self._record(rel, spec, "failed" if failed else "succeeded", ready, start,
                               end, cause, serialize_h if i == 0 else 0.0,
                               anchor_h if i == 0 else 0.0,
                               environment_h if i == 0 else 0.0, 0.0,
                               _positive(end - granted - hours), hours,
                               block.rework or used + i > 0, freeze_h if i == 0 else 0.0)
            ready, cause = end, row
        if rel.stopped:
            return
        if tries[-1][4]:
            self._halt(rel, "aborted", f"{spec.key} failed {used + len(tries)} time(s)")
            return
        rel.end_time[spec.key] = tries[-1][2]
        block.node_done(spec.index)

    def _node(self, block: _Block, spec: NodeSpec, gate: _Gate) -> _Proc:
        rel, model = block.rel, block.model
        ready, cause, serialize_h, anchor_h, environment_h = self._readiness(block, spec, gate)
        yield from self._run(rel, model, spec, ready, cause, serialize_h, anchor_h,
                             environment_h, block.rework, self._gate_freeze(ready, gate))
        if not rel.stopped:
            block.node_done(spec.index)

    def _run(self, rel: _Release, model: CompiledModel, spec: NodeSpec, ready: float,
             cause: int, serialize_h: float, anchor_h: float, environment_h: float,
             rework: bool, freeze_h: float = 0.0) -> Generator[simpy.Event, Any, None]:
        """Execute an activity until it succeeds (with retries, rework and rollbacks)."""
        env = self.env
        key = spec.key
        if spec.skipped:
            self._record(rel, spec, "skipped", ready, env.now, env.now, cause, serialize_h,
                         anchor_h, environment_h, 0.0, 0.0, 0.0, rework=rework,
                         freeze_h=freeze_h)
            rel.end_time[key] = env.now
            return
        resume = rel.resume.pop(key, None) if rel.resume else None
        while True:
            if resume is not None:  # running at the start: past its gates already
                held = self._reserved(rel, spec.uses)
                outcome = yield from self._work(rel, model, spec, ready, cause, serialize_h,
                                                anchor_h, environment_h, rework, resume,
                                                freeze_h=freeze_h)
                self._free(held)
            else:
                outcome = yield from self._pass(rel, model, spec, ready, cause,
                                                serialize_h, anchor_h, environment_h,
                                                rework, freeze_h)
            resume = None
            if rel.stopped or outcome is None:
                return
            status, row = outcome
            if status == "succeeded":
                rel.end_time[key] = env.now
                return
            # sent back: a rejection reruns its block, a failure its rollback phase
            rel.rework += 1
            if rel.rework > self.max_rework:
                rel.capped = True
                self._halt(rel, "aborted", f"rework cap of {self.max_rework} reached at "
                                           f"{spec.key}")
                return
            if status == "rejected":
                block = spec.reject_block
            else:
                assert spec.on_failure is not None
                block = model.phases[spec.on_failure].nodes
            rel.end_time[key] = env.now
            yield env.process(self._block(rel, model, block, main=False, cause=row,
                                          rework=True))
            if rel.stopped:
                return
            if status == "failed" and not model.phases[spec.on_failure or 0].resume:
                self._halt(rel, "failed", f"rolled back after {spec.key} failed")
                return
            last = max(block, key=lambda n: rel.end_time.get(model.nodes[n].key, -1.0),
                       default=None)
            ready = env.now
            cause = rel.last_row.get(model.nodes[last].key, row) if last is not None else row
            serialize_h = anchor_h = environment_h = freeze_h = 0.0
            rework = True

    def _pass(self, rel: _Release, model: CompiledModel, spec: NodeSpec, ready: float,
              cause: int, serialize_h: float, anchor_h: float, environment_h: float,
              rework: bool, freeze_h: float = 0.0
              ) -> Generator[simpy.Event, Any, tuple[str, int] | None]:
        """One pass through an activity: its anchor, its environments, then its work."""
        env = self.env
        t0 = env.now
        if spec.anchor is not None:
            t = _not_before(rel, spec.anchor, spec.slot_week, spec.anchor_calendar, env.now)
            if t > env.now:
                yield env.timeout(t - env.now)
        anchor_h += env.now - t0
        t1 = env.now
        frozen = [0.0]
        held = (yield from self._acquire(rel, spec.uses, spec.freeze_calendars,
                                         priority=ready, frozen=frozen)) if spec.uses else []
        environment_h += env.now - t1
        freeze_h += frozen[0]
        if rel.stopped:
            self._free(held)
            return None
        outcome = yield from self._work(rel, model, spec, ready, cause, serialize_h,
                                        anchor_h, environment_h, rework, freeze_h=freeze_h)
        self._free(held)
        return outcome

    def _work(self, rel: _Release, model: CompiledModel, spec: NodeSpec, ready: float,
              cause: int, serialize_h: float, anchor_h: float, environment_h: float,
              rework: bool, resume: ActivityState | None = None, freeze_h: float = 0.0
              ) -> Generator[simpy.Event, Any, tuple[str, int] | None]:
        """One pass through an activity after its gates; returns (status, row).

        With ``resume`` the activity was running at the start: its first try began at
        ``resume.start`` and lasts its duration conditioned on exceeding
        ``resume.elapsed_h``; its team member is already held."""
        env = self.env
        kind = spec.kind
        if kind == "subprocess" and spec.sub is not None:
            start = env.now
            yield env.process(self._block(rel, spec.sub, spec.sub.main_nodes, main=True,
                                          cause=cause, rework=rework))
            if rel.stopped:
                return None
            row = self._record(rel, spec, "succeeded", ready, start, env.now, cause,
                               serialize_h, anchor_h, environment_h, 0.0, 0.0,
                               env.now - start, rework, freeze_h)
            return "succeeded", row
        attempt_base = rel.attempts.get(spec.key, 0)
        if kind == "approval":
            if resume is None:
                coin, wait = self._draw(spec, rel.index, attempt_base)
                start = env.now
                end = spec.calendar.add_working_hours_h(start, wait)
            else:
                coin, wait = self._resumed(spec, rel.index, attempt_base, resume)
                start = resume.start
                end = spec.calendar.add_working_hours_h(env.now, wait - resume.elapsed_h)
            rejected = coin < spec.reject_p
            if end > env.now:
                yield env.timeout(end - env.now)
            if rel.stopped:
                self._interrupted(rel, spec, ready, start, cause, rework)
                return None
            status = "rejected" if rejected else "succeeded"
            row = self._record(rel, spec, status, ready, start, end, cause, serialize_h,
                               anchor_h, environment_h, 0.0, _positive(end - start - wait),
                               wait, rework, freeze_h)
            return status, row
        team_h = 0.0
        team = None
        if kind == "manual" and spec.team is not None:
            team = self.teams[spec.team]
            requested = env.now
            grant = team.take(ready) if resume is None else None  # else held already
            if grant is not None:
                yield grant
            team_h = env.now - requested
            usage_row = self._hold("team", spec.team, rel, requested)
            if rel.stopped:
                team.give()
                self._unhold(usage_row)
                return None
        tries = spec.retries + 1 if spec.fail_p > 0.0 else 1
        used = resume.used if resume is not None else rel.used.pop(spec.key, 0) \
            if rel.used else 0
        tries = max(1, tries - used)
        status, row = "succeeded", -1
        for attempt in range(tries):
            if resume is not None and attempt == 0:
                coin, hours = self._resumed(spec, rel.index, attempt_base, resume)
                granted = start = resume.start
                left = hours - resume.elapsed_h
                end = spec.calendar.add_working_hours_h(env.now, left) \
                    if kind == "manual" else env.now + left
            else:
                coin, hours = self._draw(spec, rel.index, attempt_base + attempt)
                granted = env.now
                if kind == "manual":
                    start = spec.calendar.next_working_h(granted) if hours > 0 else granted
                    end = spec.calendar.add_working_hours_h(granted, hours)
                else:
                    start, end = granted, granted + hours
            failed = coin < spec.fail_p
            if end > env.now:
                yield env.timeout(end - env.now)
            if rel.stopped:
                self._interrupted(rel, spec, ready, start, cause, rework)
                break
            status = "failed" if failed else "succeeded"
            row = self._record(rel, spec, status, ready, start, end, cause,
                               serialize_h if attempt == 0 else 0.0,
                               anchor_h if attempt == 0 else 0.0,
                               environment_h if attempt == 0 else 0.0,
                               team_h if attempt == 0 else 0.0,
                               _positive(end - granted - hours), hours,
                               rework or used + attempt > 0,
                               freeze_h if attempt == 0 else 0.0)
            if not failed:
                break
            ready, cause = end, row
        if team is not None:
            team.give()
            self._unhold(usage_row)
        if rel.stopped:
            return None
        if status == "failed":
            if spec.on_failure is None:
                self._halt(rel, "aborted", f"{spec.key} failed {used + tries} time(s)")
                return None
            return "failed", row
        return status, row

    def _interrupted(self, rel: _Release, spec: NodeSpec, ready: float, start: float,
                     cause: int, rework: bool) -> None:
        """Record work cut short because its release ended (aborted or rolled back)
        elsewhere: status ``aborted``, ending when the release ended."""
        end = max(start, rel.halted_at)
        self._record(rel, spec, "aborted", min(ready, end), min(start, end), end, cause,
                     0.0, 0.0, 0.0, 0.0, 0.0, end - min(start, end), rework)

    def _record(self, rel: _Release, spec: NodeSpec, status: str, ready: float,
                start: float, end: float, cause: int, serialize_h: float, anchor_h: float,
                environment_h: float, team_h: float, offhours_h: float, work_h: float,
                rework: bool, freeze_h: float = 0.0) -> int:
        attempt = rel.attempts.get(spec.key, 0) + 1
        rel.attempts[spec.key] = attempt
        if rel.again and spec.key in rel.again:  # it reruns after rework in the log
            rel.again.discard(spec.key)
            rework = True
        row = len(self.rows)
        self.rows.append((row, self.run, rel.index, spec.phase_id, spec.activity_id,
                          spec.kind, spec.owner, status, attempt, ready, start, end,
                          serialize_h, anchor_h, environment_h, team_h, offhours_h, work_h,
                          rework, cause, freeze_h))
        rel.last_row[spec.key] = row
        return row


@dataclass(frozen=True, slots=True)
class _Plan:
    """What every block of the same nodes shares: who waits for whom (read only)."""

    preds: dict[int, tuple[int, ...]]
    succs: dict[int, list[int]]
    remaining: dict[int, int]  # predecessors not yet finished, at the start
    phase_left: dict[int, int]  # nodes of each phase in the block
    pred_keys: dict[int, tuple[str, ...]]  # the keys of each node's predecessors
    upstream: dict[int, tuple[str, ...]]  # keys of the nodes of the phases it depends on
    dependents: dict[int, tuple[int, ...]]  # phases in the block that depend on a phase

    @classmethod
    def of(cls, model: CompiledModel, members: Sequence[int], main: bool) -> _Plan:
        in_block = set(members)
        nodes = model.nodes
        preds = {n: nodes[n].preds if main else
                 tuple(p for p in nodes[n].all_preds if p in in_block) for n in members}
        succs: dict[int, list[int]] = {n: [] for n in members}
        for n in members:
            for p in preds[n]:
                succs[p].append(n)
        phase_left: dict[int, int] = {}
        for n in members:
            phase_left[nodes[n].phase] = phase_left.get(nodes[n].phase, 0) + 1
        phases = model.phases
        upstream = {k: tuple(nodes[n].key for d in phases[k].deps for n in phases[d].nodes)
                    for k in phase_left}
        dependents = {k: tuple(j for j in phase_left if k in phases[j].deps)
                      for k in phase_left}
        pred_keys = {n: tuple(nodes[p].key for p in preds[n]) for n in members}
        return cls(preds, succs, {n: len(preds[n]) for n in members}, phase_left, pred_keys,
                   upstream, dependents)


class _Block:
    """Book-keeping of one block of nodes inside a release (see ``RunEngine._block``)."""

    def __init__(self, engine: RunEngine, rel: _Release, model: CompiledModel,
                 members: Sequence[int], *, main: bool, cause: int,
                 previous: _Release | None, rework: bool) -> None:
        self.engine = engine
        self.env = engine.env
        self.rel = rel
        self.model = model
        self.main = main
        self.cause = cause
        self.previous = previous
        self.rework = rework
        plan = model.plans.get((main, members))
        if plan is None:
            plan = model.plans[(main, members)] = _Plan.of(model, members, main)
        self.plan = plan
        self.preds, self.succs = plan.preds, plan.succs
        self.remaining = plan.remaining.copy()
        self.phase_left = plan.phase_left.copy()
        self.gates = {k: _Gate() for k in plan.phase_left}
        self.waiting: dict[int, list[int]] = {k: [] for k in plan.phase_left}
        self.opening: set[int] = set()
        self.opened_here: set[int] = set()
        self.open: set[int] = set()
        self.phases_done: set[int] = set()
        self.held: dict[int, list[tuple[str, Any, int]]] = {}
        self.pending = len(members)
        self.finished = engine.env.event()
        self.members = members
        self.restored: set[int] = set()

    def begin(self) -> None:
        if self.rel.state is not None and self.main and self.model is self.engine.model:
            self._restore(self.rel.state)
        for k in sorted(self.phase_left):
            if self.main and k not in self.opening and k not in self.phases_done \
                    and self._deps_done(k):
                self._open_gate(k)
        # the roots as they stand now: launching one may finish it at once (no duration)
        # and make a successor runnable, which node_done launches itself
        roots = [n for n in self.members if self.remaining[n] == 0 and n not in self.restored]
        for n in roots:
            self._runnable(n)

    def _restore(self, state: ReleaseState) -> None:
        """Start the release's main block part-way: finished activities are done (at
        their times, with no row), the phases entered are open and hold their
        environments (reserved by ``RunEngine._reserve``)."""
        rel, nodes, phases = self.rel, self.model.nodes, self.model.phases
        index = {nodes[n].key: n for n in self.members}
        for key, end in state.done.items():
            n = index[key]
            self.restored.add(n)
            rel.end_time[key] = end
            rel.last_row[key] = -1
            for s in self.succs[n]:
                self.remaining[s] -= 1
            self.phase_left[nodes[n].phase] -= 1
            self.pending -= 1
        for k, left in self.phase_left.items():
            if left == 0:
                self.phases_done.add(k)
                exit_event = rel.serial_exit.get(phases[k].id)
                if exit_event is not None and not exit_event.triggered:
                    exit_event.succeed()
        by_id = {phases[k].id: k for k in self.phase_left}
        for pid, t in state.entered.items():
            k = by_id[pid]
            gate = self.gates[k]
            gate.ready = gate.after_serialize = gate.after_anchor = gate.started = t
            self.opening.add(k)
            self.open.add(k)
            rel.phase_open[pid] = True
            self.opened_here.add(k)
            held = self.engine._reserved(rel, phases[k].uses)
            if held:
                self.held[k] = held
                rel.held.append(held)

    def _deps_done(self, k: int) -> bool:
        return all(d in self.phases_done or d not in self.phase_left
                   for d in self.model.phases[k].deps)

    def _runnable(self, n: int) -> None:
        k = self.model.nodes[n].phase
        if k in self.open:
            self.engine._launch(self, self.model.nodes[n], self.gates[k])
            return
        self.waiting[k].append(n)
        if not self.main:
            self._open_gate(k)

    def _open_gate(self, k: int) -> None:
        if k in self.opening:
            return
        self.opening.add(k)
        if not self._gate_begin(k):
            self._gate_end(k, [])
            return
        phase = self.model.phases[k]
        if self.main and phase.id in self.engine.serialize and self.previous is not None:
            exit_event = self.previous.serial_exit.get(phase.id)
            if exit_event is not None and not exit_event.triggered:
                exit_event.callbacks.append(lambda _: self._gate_after_serialize(k))
                return
        self._gate_after_serialize(k)

    def _gate_after_serialize(self, k: int) -> None:
        """Wait for the phase's anchor with a timer, then take the environments at once if
        they are free (a process only when they are not)."""
        if self.rel.stopped:
            return
        phase = self.model.phases[k]
        now = self.env.now
        self.gates[k].after_serialize = now
        t = now
        if phase.anchor is not None:
            t = _not_before(self.rel, phase.anchor, phase.slot_week, phase.anchor_calendar,
                            now)
        if t > now:
            timer = self.env.timeout(t - now)
            timer.callbacks.append(lambda _: self._gate_at_anchor(k))
        else:
            self._gate_at_anchor(k)

    def _gate_at_anchor(self, k: int) -> None:
        rel, env = self.rel, self.env
        if rel.stopped:
            return
        phase = self.model.phases[k]
        gate = self.gates[k]
        gate.after_anchor = env.now
        pools = self.engine.environments
        frozen = any(cal.freeze_end_h(env.now) is not None for cal in phase.freeze_calendars)
        if frozen or not all(pools[name].free for name in phase.uses if name in pools):
            env.process(self._gate_acquire(k))
            return
        held: list[tuple[str, Any, int]] = []
        for name in sorted(phase.uses):
            if name in pools:
                pools[name].take(gate.ready)
                held.append((name, pools[name],
                             self.engine._hold("environment", name, rel, env.now)))
        gate.started = env.now
        self._gate_end(k, held)

    def _gate_acquire(self, k: int) -> _Proc:
        """The environments (and freezes) part of a phase's gate, as a process."""
        rel, env = self.rel, self.env
        phase = self.model.phases[k]
        gate = self.gates[k]
        frozen = [0.0]
        held = yield from self.engine._acquire(rel, phase.uses, phase.freeze_calendars,
                                               priority=gate.ready, frozen=frozen)
        gate.started = env.now
        gate.freeze_h = frozen[0]
        if rel.stopped:
            self.engine._free(held)
            return
        self._gate_end(k, held)

    def _gate_begin(self, k: int) -> bool:
        """Note when and why a phase's gate was reached; whether it has anything to
        wait for (serialisation, anchor, environments, freezes)."""
        rel, model = self.rel, self.model
        phase = model.phases[k]
        gate = self.gates[k]
        gate.ready = self.env.now
        gate.cause = self.cause
        if self.main:
            upstream: Sequence[str] = self.plan.upstream[k]
        else:
            upstream = [model.nodes[p].key for n in self.waiting[k] for p in self.preds[n]
                        if model.nodes[p].phase != k]
        best = -1.0
        for key in upstream:
            if rel.end_time.get(key, -1.0) > best and key in rel.last_row:
                best = rel.end_time[key]
                gate.cause = rel.last_row[key]
        gate.after_serialize = gate.after_anchor = gate.started = gate.ready
        gate.freeze_h = 0.0
        if phase.skipped or rel.phase_open.get(phase.id, False):
            return False
        serial = self.main and phase.id in self.engine.serialize and self.previous is not None
        return bool(serial or phase.anchor is not None or phase.uses
                    or phase.freeze_calendars)

    def _gate_end(self, k: int, held: list[tuple[str, Any, int]]) -> None:
        rel = self.rel
        phase = self.model.phases[k]
        if held:
            self.held[k] = held
            rel.held.append(held)
        if not rel.phase_open.get(phase.id, False):
            rel.phase_open[phase.id] = True
            self.opened_here.add(k)
        self.open.add(k)
        waiting, self.waiting[k] = self.waiting[k], []
        for n in waiting:
            self.engine._launch(self, self.model.nodes[n], self.gates[k])

    def node_done(self, n: int) -> None:
        for s in self.succs[n]:
            self.remaining[s] -= 1
            if self.remaining[s] == 0 and s not in self.restored:  # done in the state
                self._runnable(s)
        k = self.model.nodes[n].phase
        self.phase_left[k] -= 1
        if self.phase_left[k] == 0:
            self._phase_done(k)
        self.pending -= 1
        if self.pending == 0:
            self.finished.succeed()

    def _phase_done(self, k: int) -> None:
        rel, phase = self.rel, self.model.phases[k]
        held = self.held.pop(k, None)
        if held is not None:
            self.engine._free(held)
            rel.held.remove(held)
        if k in self.opened_here:
            rel.phase_open[phase.id] = False
        if self.main and phase.id in rel.serial_exit and not rel.serial_exit[phase.id].triggered:
            rel.serial_exit[phase.id].succeed()
        self.phases_done.add(k)
        if self.main:
            for j in self.plan.dependents[k]:
                if j not in self.opening and self._deps_done(j):
                    self._open_gate(j)


class Draws:
    """Every execution's outcome coin and hours, for a group of runs.

    The numbers of one (activity, execution number) are drawn for every release of every
    run of the group at once, the first time any of them needs them: draw 0 is the coin
    (whether or not the activity can fail or be rejected), so outcomes stay put when
    durations change; then the duration, or each approver's wait, by inverse transform.
    An approval lasts its ``required``-th fastest wait.
    """

    def __init__(self, streams: Streams, runs: Sequence[int], releases: int) -> None:
        self.streams = streams
        self.runs = list(runs)
        self.releases = releases
        self._tables: dict[tuple[int, int], tuple[list[float], list[float]]] = {}
        self._raw: dict[tuple[int, int, int], np.ndarray] = {}

    def uniforms(self, spec: NodeSpec, execution: int, run: int, release: int
                 ) -> np.ndarray:
        """The raw uniform numbers (coin first) of one execution of a release in a run:
        the same numbers :meth:`table` turns into hours."""
        key = (spec.stream, execution, run)
        raw = self._raw.get(key)
        if raw is None:
            draws = 1 + (spec.approvers if spec.kind == "approval" else 1)
            raw = self._raw[key] = self.streams.uniforms(spec.stream, [run], execution,
                                                         self.releases, draws)[0]
        return raw[release]

    def offset(self, run: int) -> int:
        """Where ``run``'s release 0 stands in a table."""
        return self.runs.index(run) * self.releases

    def table(self, spec: NodeSpec, execution: int) -> tuple[list[float], list[float]]:
        """(coins, hours) of one execution number of an activity, by run and release."""
        table = self._tables.get((spec.stream, execution))
        if table is None:
            table = self._tables[(spec.stream, execution)] = self._sample(spec, execution)
        return table

    def _sample(self, spec: NodeSpec, execution: int) -> tuple[list[float], list[float]]:
        n = len(self.runs) * self.releases
        if spec.kind == "approval":
            assert spec.wait_spec is not None
            u = self.streams.uniforms(spec.stream, self.runs, execution, self.releases,
                                      1 + spec.approvers).reshape(n, 1 + spec.approvers)
            waits = np.sort(spec.wait_spec.quantile(u[:, 1:]), axis=1)
            hours = waits[:, spec.required - 1]
        else:
            u = self.streams.uniforms(spec.stream, self.runs, execution, self.releases,
                                      2).reshape(n, 2)
            hours = spec.duration.quantile(u[:, 1]) if spec.duration is not None \
                else np.zeros(n)
        return u[:, 0].tolist(), hours.tolist()


class _Pool:
    """Members of a team, slots of an environment or of the in-flight limit.

    A lighter stand-in for SimPy's ``PriorityResource``: ``take`` grants at once (returns
    None) while a slot is free and nobody queues, else returns an event that succeeds
    when a slot is handed over; the queue is first come first served by ready time
    (ties by request order). ``give`` hands the slot to the next in the queue.
    """

    __slots__ = ("busy", "capacity", "env", "queue", "seq")

    def __init__(self, env: simpy.Environment, capacity: int) -> None:
        self.env = env
        self.capacity = capacity
        self.busy = 0
        self.queue: list[tuple[float, int, simpy.Event]] = []
        self.seq = 0

    @property
    def free(self) -> bool:
        return self.busy < self.capacity and not self.queue

    def take(self, ready: float) -> simpy.Event | None:
        if self.busy < self.capacity and not self.queue:
            self.busy += 1
            return None
        event = self.env.event()
        heapq.heappush(self.queue, (ready, self.seq, event))
        self.seq += 1
        return event

    def give(self) -> None:
        # over capacity (a forecast's starting state may be) the slot is not handed on
        if self.queue and self.busy <= self.capacity:
            heapq.heappop(self.queue)[2].succeed()
        else:
            self.busy -= 1


def _giver(pool: _Pool) -> Any:
    """A SimPy callback that gives a slot of ``pool`` back."""
    return lambda _event: pool.give()


def _not_before(rel: _Release, anchor: WeeklyAnchor, week: int, calendar: Calendar,
                now: float) -> float:
    """When something anchored may start: the next weekly moment at or after ``now``, or,
    for a planned slot (``week > 0``), the slot of the release's week-th week if that is
    still ahead, else ``now``."""
    if not week:
        return calendar.next_anchor_h(now, anchor)
    midnight = calendar.local_midnight_h(rel.scheduled, 7 * (week - 1))
    return max(now, calendar.next_anchor_h(midnight, anchor))


def conditioned_hours(spec: Any, elapsed: float, u: np.ndarray) -> np.ndarray:
    """Durations of ``spec`` conditioned on exceeding ``elapsed`` hours, by inverse
    transform of the uniforms ``u`` on ``[F(elapsed), 1]``: ``Q(F(e) + u (1 - F(e)))``,
    never below ``elapsed``. At ``elapsed = 0`` (for a positive duration) it is the
    ordinary draw ``Q(u)``."""
    u = np.asarray(u, dtype=float)
    if elapsed <= 0.0:
        return np.asarray(spec.quantile(u), dtype=float)
    low = float(spec.cdf(elapsed))
    q = np.minimum(low + u * (1.0 - low), 1.0 - 2.0 ** -53)
    return np.maximum(np.asarray(spec.quantile(q), dtype=float), elapsed)


def _positive(hours: float) -> float:
    """Hours, with float noise around zero (|x| < 1e-7 h, a third of a millisecond) as 0."""
    return hours if hours > 1e-7 else 0.0


def _overlap(ready: float, a: float, b: float) -> float:
    """Length of ``[a, b]`` after ``ready``."""
    return max(0.0, b - max(a, ready))
