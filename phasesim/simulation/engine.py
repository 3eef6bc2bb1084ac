"""The SimPy model: releases flowing through a compiled blueprint, sharing resources.

One :class:`RunEngine` simulates one Monte Carlo run: a timeline of releases started on
a cadence. Each release runs its activities as SimPy processes that wait for their
dependencies, their phase's gate (the phase's dependencies, serialisation, weekly anchor,
environments and freezes), their own anchor and environments, and a free team member;
then they work. Teams and environments are SimPy resources shared by every release in
flight, queued first-come first-served by ready time. Time is float hours since the Unix
epoch (UTC), so calendars work on it directly. Rows are recorded into lists and turned
into a DataFrame once, by the runner. The semantics are documented in
``docs/simulation.md``.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import simpy

from phasesim.simulation.compiled import CompiledModel, NodeSpec
from phasesim.simulation.streams import Streams

__all__ = ["DEFAULT_MAX_REWORK", "RELEASE_FIELDS", "ROW_FIELDS", "USAGE_FIELDS", "RunEngine"]

#: A release sent back (rejections, resumed rollbacks) more often than this is aborted.
DEFAULT_MAX_REWORK = 20

#: Fields of one event-log row, as recorded by the engine.
ROW_FIELDS = (
    "row", "run", "release", "phase_id", "activity_id", "activity_type", "owner", "status",
    "attempt", "ready", "start", "end", "wait_serialize_h", "wait_anchor_h",
    "wait_environment_h", "wait_team_h", "offhours_h", "work_h", "rework", "cause",
)
#: Fields of one release row.
RELEASE_FIELDS = ("run", "release", "scheduled", "start", "end", "status", "reason",
                  "attempts", "rework", "capped")
#: Fields of one resource-usage row (a team member or an environment slot).
USAGE_FIELDS = ("run", "kind", "resource", "release", "requested", "granted", "released")

_Proc = Generator[simpy.Event, Any, Any]


@dataclass
class _Gate:
    """Times at which a phase passed its gate, and the row that made it ready."""

    ready: float = 0.0
    after_serialize: float = 0.0
    after_anchor: float = 0.0
    started: float = 0.0
    cause: int = -1


@dataclass
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
    rows: int = 0


class RunEngine:
    """Simulate one run: ``starts`` (epoch hours) of releases through ``model``.

    Parameters
    ----------
    model : CompiledModel
    run : int
        The run number (part of every random stream's address).
    starts : sequence of float
        Scheduled start of each release, epoch hours, ascending.
    streams : Streams
    max_in_flight : int, optional
        At most this many releases in flight; others wait to start.
    serialize : sequence of str
        Phase ids that a release may enter only after the previous release left them.
    max_rework : int
        Cap on rejections and resumed rollbacks per release; past it the release aborts.
    """

    def __init__(self, model: CompiledModel, run: int, starts: Sequence[float],
                 streams: Streams, *, max_in_flight: int | None = None,
                 serialize: Sequence[str] = (), max_rework: int = DEFAULT_MAX_REWORK,
                 release_offset: int = 0) -> None:
        self.model = model
        self.run = run
        self.starts = list(starts)
        self.streams = streams
        self.max_rework = max_rework
        self.release_offset = release_offset
        self.env = simpy.Environment(initial_time=self.starts[0] if self.starts else 0.0)
        self.teams = {name: simpy.PriorityResource(self.env, capacity=cap)
                      for name, cap in model.team_capacity.items()}
        self.environments = {name: simpy.PriorityResource(self.env, capacity=cap)
                             for name, cap in model.environment_capacity.items()}
        self.in_flight = (simpy.PriorityResource(self.env, capacity=max_in_flight)
                          if max_in_flight else None)
        self.serialize = {model.phases[k].id for k in range(len(model.phases))
                          if model.phases[k].id in set(serialize)}
        self.rows: list[tuple[Any, ...]] = []
        self.releases: list[tuple[Any, ...]] = []
        self.usage: list[tuple[Any, ...]] = []
        self._previous: _Release | None = None

    # -- driver --------------------------------------------------------------------------
    def execute(self) -> None:
        """Run the simulation until every release has ended."""
        self.env.process(self._arrivals())
        self.env.run()

    def _arrivals(self) -> _Proc:
        for i, t in enumerate(self.starts):
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            rel = _Release(index=i + self.release_offset, scheduled=t)
            rel.stop = self.env.event()
            rel.serial_exit = {pid: self.env.event() for pid in self.serialize}
            previous, self._previous = self._previous, rel
            self.env.process(self._release(rel, previous))

    def _release(self, rel: _Release, previous: _Release | None) -> _Proc:
        slot = None
        if self.in_flight is not None:
            slot = self.in_flight.request(priority=_rank(rel.scheduled))
            yield slot
        rel.start = self.env.now
        assert rel.stop is not None
        block = self.env.process(self._block(rel, self.model, self.model.main_nodes,
                                             main=True, cause=-1, previous=previous))
        yield block | rel.stop
        for event in rel.serial_exit.values():
            if not event.triggered:
                event.succeed()
        if slot is not None and self.in_flight is not None:
            self.in_flight.release(slot)
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
        assert rel.stop is not None
        rel.stop.succeed()

    # -- blocks of activities ----------------------------------------------------------
    def _block(self, rel: _Release, model: CompiledModel, members: Sequence[int], *,
               main: bool, cause: int, previous: _Release | None = None,
               rework: bool = False) -> _Proc:
        """Run a set of nodes: the whole release, a rework loop, a rollback phase or a
        subprocess. In the main block phases gate on their phase dependencies; in other
        blocks nodes wait for their predecessors inside the block."""
        env = self.env
        in_block = set(members)
        done = {n: env.event() for n in members}
        phases = sorted({model.nodes[n].phase for n in members})
        started = {k: env.event() for k in phases}
        finished = {k: env.event() for k in phases}
        gates = {k: _Gate() for k in phases}
        block_start = env.now
        for k in phases:
            env.process(self._phase_gate(rel, model, k, in_block, done, started, finished,
                                         gates, main=main, cause=cause, start=block_start,
                                         previous=previous))
        for n in members:
            spec = model.nodes[n]
            preds = spec.preds if main else tuple(
                p for p in spec.all_preds if p in in_block)
            env.process(self._node(rel, model, spec, preds, done, started[spec.phase],
                                   gates[spec.phase], rework=not main or rework))
        assert rel.stop is not None
        yield env.all_of(list(done.values())) | rel.stop

    def _phase_gate(self, rel: _Release, model: CompiledModel, k: int, in_block: set[int],
                    done: dict[int, simpy.Event], started: dict[int, simpy.Event],
                    finished: dict[int, simpy.Event], gates: dict[int, _Gate], *, main: bool,
                    cause: int, start: float, previous: _Release | None) -> _Proc:
        env = self.env
        phase = model.phases[k]
        gate = gates[k]
        assert rel.stop is not None
        if main:
            waits = [finished[d] for d in phase.deps if d in finished]
            upstream = [n for d in phase.deps for n in model.phases[d].nodes]
        else:
            upstream = sorted({p for n in phase.nodes if n in in_block
                               for p in model.nodes[n].all_preds
                               if p in in_block and model.nodes[p].phase != k})
            waits = [done[p] for p in upstream]
        if waits:
            yield env.all_of(waits) | rel.stop
            if rel.stopped:
                return
        gate.ready = env.now
        gate.cause = cause
        best = start if not upstream else -1.0
        for n in upstream:
            key = model.nodes[n].key
            if rel.end_time.get(key, -1.0) > best and key in rel.last_row:
                best = rel.end_time[key]
                gate.cause = rel.last_row[key]
        held: list[tuple[str, Any, int]] = []
        open_already = rel.phase_open.get(phase.id, False)
        if not phase.skipped and not open_already:
            if main and phase.id in self.serialize and previous is not None:
                exit_event = previous.serial_exit.get(phase.id)
                if exit_event is not None and not exit_event.triggered:
                    yield exit_event | rel.stop
            gate.after_serialize = env.now
            if phase.anchor is not None:
                t = phase.anchor_calendar.next_anchor_h(env.now, phase.anchor)
                if t > env.now:
                    yield env.timeout(t - env.now)
            gate.after_anchor = env.now
            held = yield from self._acquire(rel, phase.uses, phase.freeze_calendars,
                                            priority=gate.ready)
        else:
            gate.after_serialize = gate.after_anchor = env.now
        gate.started = env.now
        if rel.stopped:
            self._free(held)
            return
        rel.phase_open[phase.id] = True
        started[k].succeed()
        members = [done[n] for n in phase.nodes if n in done]
        yield env.all_of(members) | rel.stop
        self._free(held)
        if not open_already:
            rel.phase_open[phase.id] = False
        if main and phase.id in rel.serial_exit and not rel.serial_exit[phase.id].triggered:
            rel.serial_exit[phase.id].succeed()
        finished[k].succeed()

    def _acquire(self, rel: _Release, uses: Sequence[str], freezes: Sequence[Any],
                 priority: float) -> Generator[simpy.Event, Any, list[tuple[str, Any, int]]]:
        """Take the environments in ``uses`` (sorted, so no two releases deadlock), then
        wait out any freeze of a production environment; return what is held."""
        held: list[tuple[str, Any, int]] = []
        for name in sorted(uses):
            resource = self.environments.get(name)
            if resource is None:
                continue
            requested = self.env.now
            request = resource.request(priority=_rank(priority))
            yield request
            held.append((name, request, len(self.usage)))
            self.usage.append((self.run, "environment", name, rel.index, requested,
                               self.env.now, None))
        while freezes:
            ends = [e for e in (cal.freeze_end_h(self.env.now) for cal in freezes)
                    if e is not None]
            if not ends:
                break
            yield self.env.timeout(max(ends) - self.env.now)
        return held

    def _free(self, held: list[tuple[str, Any, int]]) -> None:
        for name, request, usage_row in held:
            self.environments[name].release(request)
            self.usage[usage_row] = (*self.usage[usage_row][:6], self.env.now)

    # -- one activity ------------------------------------------------------------------
    def _node(self, rel: _Release, model: CompiledModel, spec: NodeSpec,
              preds: Sequence[int], done: dict[int, simpy.Event],
              phase_started: simpy.Event, gate: _Gate, *, rework: bool) -> _Proc:
        env = self.env
        assert rel.stop is not None
        if preds:
            yield env.all_of([done[p] for p in preds]) | rel.stop
        if not phase_started.triggered:
            yield phase_started | rel.stop
        if rel.stopped:
            return
        # ready: when the last of its predecessors, or of its phase's, ended
        ready, cause = gate.ready, gate.cause
        for p in preds:
            key = model.nodes[p].key
            t = rel.end_time.get(key, -1.0)
            if t >= ready and key in rel.last_row:
                ready, cause = t, rel.last_row[key]
        serialize_h = _overlap(ready, gate.ready, gate.after_serialize)
        anchor_h = _overlap(ready, gate.after_serialize, gate.after_anchor)
        environment_h = _overlap(ready, gate.after_anchor, gate.started)
        yield from self._run(rel, model, spec, ready, cause, serialize_h, anchor_h,
                             environment_h, rework)
        if not rel.stopped:
            done[spec.index].succeed()

    def _run(self, rel: _Release, model: CompiledModel, spec: NodeSpec, ready: float,
             cause: int, serialize_h: float, anchor_h: float, environment_h: float,
             rework: bool) -> Generator[simpy.Event, Any, None]:
        """Execute an activity until it succeeds (with retries, rework and rollbacks)."""
        env = self.env
        key = spec.key
        if spec.skipped:
            self._record(rel, spec, "skipped", ready, env.now, env.now, cause, serialize_h,
                         anchor_h, environment_h, 0.0, 0.0, 0.0, rework=rework)
            rel.end_time[key] = env.now
            return
        while True:
            t0 = env.now
            if spec.anchor is not None:
                t = spec.anchor_calendar.next_anchor_h(env.now, spec.anchor)
                if t > env.now:
                    yield env.timeout(t - env.now)
            anchor_h += env.now - t0
            t1 = env.now
            held = yield from self._acquire(rel, spec.uses, spec.freeze_calendars,
                                            priority=ready)
            environment_h += env.now - t1
            if rel.stopped:
                self._free(held)
                return
            outcome = yield from self._work(rel, model, spec, ready, cause, serialize_h,
                                            anchor_h, environment_h, rework)
            self._free(held)
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
            serialize_h = anchor_h = environment_h = 0.0
            rework = True

    def _work(self, rel: _Release, model: CompiledModel, spec: NodeSpec, ready: float,
              cause: int, serialize_h: float, anchor_h: float, environment_h: float,
              rework: bool) -> Generator[simpy.Event, Any, tuple[str, int] | None]:
        """One pass through an activity after its gates; returns (status, row)."""
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
                               env.now - start, rework)
            return "succeeded", row
        attempt_base = rel.attempts.get(spec.key, 0)
        rng = self.streams.at(spec.stream, self.run, rel.index, attempt_base)
        if kind == "approval":
            assert spec.wait_spec is not None
            waits = sorted(float(spec.wait_spec.sample(rng)) for _ in range(spec.approvers))
            rejected = spec.reject_p > 0.0 and rng.random() < spec.reject_p
            wait = waits[spec.required - 1]
            start = env.now
            end = spec.calendar.add_working_hours_h(start, wait)
            if end > start:
                yield env.timeout(end - start)
            if rel.stopped:
                self._interrupted(rel, spec, ready, start, cause, rework)
                return None
            status = "rejected" if rejected else "succeeded"
            row = self._record(rel, spec, status, ready, start, end, cause, serialize_h,
                               anchor_h, environment_h, 0.0, _positive(end - start - wait),
                               wait, rework)
            return status, row
        team_h = 0.0
        member = None
        if kind == "manual" and spec.team is not None:
            team = self.teams[spec.team]
            requested = env.now
            member = team.request(priority=_rank(ready))
            yield member
            team_h = env.now - requested
            usage_row = len(self.usage)
            self.usage.append((self.run, "team", spec.team, rel.index, requested, env.now,
                               None))
            if rel.stopped:
                team.release(member)
                self.usage[usage_row] = (*self.usage[usage_row][:6], env.now)
                return None
        tries = spec.retries + 1 if spec.fail_p > 0.0 else 1
        status, row = "succeeded", -1
        for attempt in range(tries):
            if attempt:
                rng = self.streams.at(spec.stream, self.run, rel.index, attempt_base + attempt)
            hours = float(spec.duration.sample(rng)) if spec.duration is not None else 0.0
            failed = spec.fail_p > 0.0 and rng.random() < spec.fail_p
            granted = env.now
            if kind == "manual":
                start = spec.calendar.next_working_h(granted) if hours > 0 else granted
                end = spec.calendar.add_working_hours_h(granted, hours)
            else:
                start, end = granted, granted + hours
            if end > granted:
                yield env.timeout(end - granted)
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
                               rework or attempt > 0)
            if not failed:
                break
            ready, cause = end, row
        if member is not None and spec.team is not None:
            self.teams[spec.team].release(member)
            self.usage[usage_row] = (*self.usage[usage_row][:6], env.now)
        if rel.stopped:
            return None
        if status == "failed":
            if spec.on_failure is None:
                self._halt(rel, "aborted", f"{spec.key} failed {tries} time(s)")
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
                rework: bool) -> int:
        attempt = rel.attempts.get(spec.key, 0) + 1
        rel.attempts[spec.key] = attempt
        row = len(self.rows)
        self.rows.append((row, self.run, rel.index, spec.phase_id, spec.activity_id,
                          spec.kind, spec.owner, status, attempt, ready, start, end,
                          serialize_h, anchor_h, environment_h, team_h, offhours_h, work_h,
                          rework, cause))
        rel.last_row[spec.key] = row
        return row


def _rank(hours: float) -> int:
    """Queue priority of a ready time: whole microseconds, earliest first."""
    return round(hours * 3_600_000_000)


def _positive(hours: float) -> float:
    """Hours, with float noise around zero (|x| < 1e-7 h, a third of a millisecond) as 0."""
    return hours if hours > 1e-7 else 0.0


def _overlap(ready: float, a: float, b: float) -> float:
    """Length of ``[a, b]`` after ``ready``."""
    return max(0.0, b - max(a, ready))
