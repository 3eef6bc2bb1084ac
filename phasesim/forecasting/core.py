"""``forecast``: when will the releases in flight land, and what will the next ones do?

The state of every release at ``now`` is read from a log (:mod:`.state`); the SimPy
reference engine then starts from that state rather than from empty
(``ReleaseState``), with the next ``future`` releases on the cadence, for ``runs``
Monte Carlo runs. The rules are in ``docs/forecast.md``.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from phasesim.blueprint import Blueprint, load_blueprint
from phasesim.calendars import from_epoch_hours, to_epoch_hours
from phasesim.errors import LogError, PhasesimError
from phasesim.eventlog.schema import COLUMNS, empty_log
from phasesim.forecasting.state import ReleaseInfo, State, read_state, release_problems
from phasesim.simulation.cadence import parse_cadence
from phasesim.simulation.compiled import CompiledModel, compile_blueprint
from phasesim.simulation.engine import DEFAULT_MAX_REWORK
from phasesim.simulation.runner import (
    _chunks,
    _execute,
    _log_frame,
    _merge,
    _release_frame,
    _with_outcomes,
    _zone_name,
)
from phasesim.simulation.streams import seed_key

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["Forecast", "forecast"]

_QUANTILES = (("p50", 0.5), ("p80", 0.8), ("p95", 0.95))
_NEEDED = ("release_id", "phase_id", "status", "start", "end")


def forecast(
    blueprint: Blueprint | str | os.PathLike[str],
    log: pd.DataFrame | str | os.PathLike[str] | None,
    *,
    now: Any = None,
    future: int = 0,
    cadence: Any = None,
    runs: int = 1000,
    seed: int | np.random.SeedSequence | None = None,
    n_jobs: int = 1,
    strict: bool = False,
    target: Any = None,
    inputs: Mapping[str, Any] | None = None,
    busy: Mapping[str, Sequence[Any]] | None = None,
    max_rework: int = DEFAULT_MAX_REWORK,
    progress: bool = False,
    max_in_flight: int | None = None,
    serialize: Sequence[str] = (),
    engine: str = "auto",
) -> Forecast:
    """Forecast the releases in flight at ``now`` and the next ``future`` releases.

    Parameters
    ----------
    blueprint : Blueprint or path
    log : DataFrame, path or None
        The history so far (canonical event log; a path is read with
        :func:`phasesim.read_log`). Rows that start after ``now`` are not known yet.
    now : datetime or str, optional
        Timezone-aware; default the latest timestamp of the log.
    future : int
        How many releases to add after the last release of the log, on ``cadence``.
    cadence : str, mapping or list, optional
        As for :func:`phasesim.simulate`; default inferred from the log's release starts
        (or weekly), and stated in ``Forecast.cadence``.
    runs, seed, n_jobs, inputs, max_rework, progress
        As for :func:`phasesim.simulate`. ``max_rework`` is a release's whole budget,
        including the rework already in the log.
    strict : bool
        Raise one :class:`PhasesimError` listing every unmatched row and every release
        that cannot be placed, with row numbers, instead of reporting them.
    target : datetime or str, optional
        The probability of finishing by this moment is reported.
    busy : mapping, optional
        Team members or environment slots busy from ``now`` until the given moments
        (``{"QA": ["2026-12-09 12:00-08:00"]}``), besides the work in flight.
    max_in_flight, serialize
        As for :func:`phasesim.simulate`. The releases in flight at ``now`` hold their
        slots (even past the limit); a serialised phase that a release in flight is in, or
        has yet to pass, holds the next release back until it leaves it.
    engine : {"auto", "compiled", "simpy"}
        As for :func:`phasesim.simulate`. The compiled engine runs a forecast only when
        no release is in flight at ``now`` and nothing is ``busy``; otherwise ``"auto"``
        runs the SimPy engine and ``Forecast.engine_note`` says why.

    Returns
    -------
    Forecast

    Examples
    --------
    >>> fc = forecast("data/blueprints/harness-system-release.yaml",
    ...               "data/logs/harness-history.csv", runs=200, seed=1)  # doctest: +SKIP
    >>> fc.summary()  # doctest: +SKIP
    """
    bp = load_blueprint(blueprint, inputs=inputs) if not isinstance(blueprint, Blueprint) \
        else blueprint.bind(inputs)
    if isinstance(future, bool) or not isinstance(future, int) or future < 0:
        raise PhasesimError(f"future must be a whole number of releases (0 or more), "
                            f"found {future!r}")
    if runs < 1:
        raise PhasesimError(f"runs must be at least 1, found {runs}")
    if engine not in ("auto", "compiled", "simpy"):
        raise PhasesimError(f"engine must be 'auto', 'compiled' or 'simpy', found {engine!r}")
    if isinstance(serialize, str):
        serialize = [serialize]
    unknown_phases = [p for p in serialize if p not in bp.phase_ids]
    if unknown_phases:
        raise PhasesimError(f"serialize names unknown phase(s) {unknown_phases}; phases: "
                            f"{', '.join(bp.phase_ids)}")
    if max_in_flight is not None and (isinstance(max_in_flight, bool) or not isinstance(
            max_in_flight, int) or max_in_flight < 1):
        raise PhasesimError(f"max_in_flight must be a whole number of at least 1, found "
                            f"{max_in_flight!r}")
    frame = _as_log(log)
    now_ts = _now(frame, now)
    now_h = to_epoch_hours(now_ts)
    model = compile_blueprint(bp)
    state = read_state(model, frame, now_h)
    problems = _problems(state)
    if strict and problems:
        raise PhasesimError(f"the log does not fit blueprint {bp.id} at {now_ts} "
                            f"({len(problems)} problem(s)):\n" + "\n".join(problems))
    zone = _timezone(model)
    rule_spec, cadence_note = _cadence(cadence, state, zone)
    try:
        rule = parse_cadence(rule_spec)
    except (TypeError, ValueError) as exc:
        raise PhasesimError(f"cadence: {exc}") from None
    if isinstance(rule_spec, str) and (name := _zone_name(now)) is not None:
        rule = replace(rule, timezone=name)
    flight = state.in_flight
    if seed is None:
        seed = np.random.SeedSequence()
    entropy = seed.entropy if isinstance(seed, np.random.SeedSequence) else seed
    ids = [r.release_id for r in flight] + [f"next-{i + 1}" for i in range(future)]
    if rule.is_random and future:
        drawn = _random_starts(rule, future, state, now_h, seed_key(seed), runs)
        future_starts = [float(t) for t in np.median(drawn, axis=0)]
        per_run = [[r.started for r in flight] + drawn[run].tolist() for run in range(runs)]
    else:
        future_starts = _future_starts(rule, future, state, now_h)
        per_run = [[r.started for r in flight] + list(future_starts)] * runs
    starts = per_run[0]
    busy_h = {name: [to_epoch_hours(_aware(t, "busy")) for t in times]
              for name, times in (busy or {}).items()}
    unknown = [n for n in busy_h if n not in model.team_capacity
               and n not in model.environment_capacity]
    if unknown:
        raise PhasesimError(f"busy names {unknown}, which are not teams or environments "
                            f"of the blueprint (teams: {', '.join(model.team_capacity)}; "
                            f"environments: {', '.join(model.environment_capacity)})")
    used, note = "simpy", ""
    if starts:
        sim_log, sim_rel, used, note = _run(
            model, per_run, ids, seed_key(seed), runs, n_jobs, progress,
            {"max_in_flight": max_in_flight, "serialize": tuple(serialize),
             "max_rework": max_rework, "now": now_h, "states": [r.state for r in flight],
             "busy": busy_h}, engine)
        sim_rel = _with_outcomes(sim_rel, sim_log, bp)
    else:
        sim_log, sim_rel = empty_log().assign(observed=pd.Series(dtype=bool)), None
    observed = _observed(frame, state, flight, runs)
    full = pd.concat([observed, sim_log.assign(observed=False)], ignore_index=True) \
        if len(observed) else sim_log.assign(observed=False)
    if len(full):
        full = full.sort_values(["run", "release_id", "start"], kind="stable",
                                na_position="last").reset_index(drop=True)
    out = Forecast(
        blueprint=bp, now=now_ts.tz_convert(zone), timezone=zone, cadence=rule_spec,
        cadence_note=cadence_note, runs=runs, seed=entropy, target=target,
        log=full, unmatched=state.unmatched, state=state,
        future_starts=[from_epoch_hours(t).tz_convert(zone) for t in future_starts],
        _rel=sim_rel, _model=model, engine=used, engine_note=note,
    )
    out._tables()
    return out


# -- inputs ---------------------------------------------------------------------------
def _as_log(log: Any) -> pd.DataFrame:
    if log is None:
        return empty_log()
    if isinstance(log, pd.DataFrame):
        missing = [c for c in _NEEDED if c not in log.columns]
        if missing:
            raise LogError(f"the log has no column(s) {missing}; a canonical event log has "
                           f"{', '.join(COLUMNS)} (read files with phasesim.read_log)")
        return log
    from phasesim.eventlog import read_log

    return read_log(log)


def _aware(value: Any, what: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise PhasesimError(f"{what}: {value!r} is not a date/time ({exc})") from None
    if stamp.tzinfo is None:
        raise PhasesimError(f"{what} {value!r} has no timezone: give it with an offset or "
                            f"a zone, e.g. '2026-12-07 09:00-08:00' or "
                            f"pd.Timestamp('2026-12-07 09:00', tz='America/Los_Angeles')")
    return stamp


def _now(frame: pd.DataFrame, now: Any) -> pd.Timestamp:
    if now is not None:
        return _aware(now, "now").tz_convert("UTC")
    stamps = [pd.to_datetime(frame[c], utc=True).max() for c in ("ready", "start", "end")
              if c in frame.columns]
    latest = max((s for s in stamps if pd.notna(s)), default=None)
    if latest is None:
        raise PhasesimError("the log has no timestamps, so now cannot default to its "
                            "latest one: give now=")
    return pd.Timestamp(latest)


def _problems(state: State) -> list[str]:
    lines = [f"row {row}: release {rid}: {reason}" for row, rid, reason in
             zip(state.unmatched["row"], state.unmatched["release_id"],
                 state.unmatched["reason"], strict=True)]
    for rid, rows, reason in release_problems(state.releases):
        where = f"row(s) {', '.join(map(str, rows))}: " if rows else ""
        lines.append(f"{where}release {rid} cannot be placed: {reason}")
    return lines


def _timezone(model: CompiledModel) -> str:
    """The blueprint's calendar timezone: the most common among its activities'."""
    zones = Counter(spec.calendar.timezone for spec in model.nodes
                    if spec.calendar.name != "wall clock")
    return zones.most_common(1)[0][0] if zones else "UTC"


def _cadence(cadence: Any, state: State, zone: str) -> tuple[Any, str]:
    if cadence is not None:
        return cadence, "given"
    train = sorted(r.started for r in state.releases if r.train)
    if len(train) >= 2:
        gap = float(np.median(np.diff(train)))
        last = from_epoch_hours(train[-1]).tz_convert(zone)
        weeks = gap / 168.0
        if weeks >= 0.75 and abs(weeks - round(weeks)) < 0.25:
            spec = {"freq": "weekly", "interval": round(weeks),
                    "weekday": last.day_name().lower(), "time": last.strftime("%H:%M"),
                    "timezone": zone}
            return spec, (f"inferred from the log: every {round(weeks)} week(s), "
                          f"{last.day_name()} {last.strftime('%H:%M')} {zone}")
        days = max(1, round(gap / 24.0))
        return f"every {days}d", f"inferred from the log: every {days} day(s)"
    return "weekly", "weekly (the default: the log has fewer than two releases)"


def _future_starts(rule: Any, future: int, state: State, now_h: float) -> list[float]:
    if future == 0:
        return []
    train = [r.started for r in state.releases if r.train]
    try:
        if not train:
            return list(rule.starts(future, now_h).tolist())
        last = max(train)
        if rule.freq == "list":
            later = [t for t in rule.times if t > last + 1e-6 and t >= now_h - 1e-9]
            if len(later) < future:
                raise ValueError(f"the cadence lists {len(later)} start(s) after the last "
                                 f"release of the log and now, but future={future}")
            return later[:future]
    except ValueError as exc:
        raise PhasesimError(f"cadence: {exc}") from None
    out: list[float] = []
    n = future + 2
    while len(out) < future:
        out = [t for t in rule.starts(n, last).tolist() if t > last + 1e-6 and t >= now_h]
        n *= 2
        if n > 100_000:
            raise PhasesimError("the cadence gives no release start after now")
    return out[:future]


def _random_starts(rule: Any, future: int, state: State, now_h: float, key: int,
                   runs: int) -> np.ndarray:
    """Random arrivals of the future releases, per run (``runs x future`` epoch hours).

    The gaps come from ``simulate``'s arrival stream (execution 0, draw 0), gap ``i``
    being release index ``i``'s number. Without a release of the log on the train the
    first future release starts at ``now`` and gaps 1 .. n - 1 follow (as ``simulate``
    from ``now``). Otherwise future release j starts after the last release start of
    the log plus gaps 1 .. j, the first conditioned on exceeding the time from that start
    to ``now`` (so no arrival falls before ``now``)."""
    from phasesim.simulation.engine import conditioned_hours
    from phasesim.simulation.runner import _ARRIVALS
    from phasesim.simulation.streams import Streams

    train = [r.started for r in state.releases if r.train]
    u = Streams(key).uniforms(_ARRIVALS, range(runs), 0, future + 1, 1)[:, :, 0]
    spec = rule.interarrival
    if not train:
        gaps = np.column_stack([np.zeros(runs), spec.quantile(u[:, 1:future])]) \
            if future > 1 else np.zeros((runs, 1))
        return now_h + np.cumsum(gaps, axis=1)
    last = max(train)
    first = np.maximum(conditioned_hours(spec, max(0.0, now_h - last), u[:, 1]),
                       now_h - last)
    rest = spec.quantile(u[:, 2:future + 1]) if future > 1 else np.zeros((runs, 0))
    return last + np.cumsum(np.column_stack([first, rest]), axis=1)


# -- running --------------------------------------------------------------------------
def _run(model: CompiledModel, starts: list[list[float]], ids: list[str], key: int,
         runs: int,
         n_jobs: int, progress: bool, policies: dict[str, Any], engine: str = "simpy"
         ) -> tuple[pd.DataFrame, pd.DataFrame, str, str]:
    """The simulated log and release table, the engine that ran and why not the
    compiled one (as ``simulate`` chooses)."""
    chunks = _chunks(runs, n_jobs)
    parts = None
    used, note = "simpy", ""
    if engine != "simpy":
        from phasesim.simulation.fast import prepare
        from phasesim.simulation.fast.chunk import CompiledEngineError

        fast_model, note = prepare(model, policies)
        if fast_model is None and engine == "compiled":
            raise PhasesimError(f"the compiled engine cannot run this forecast: {note}; "
                                "use engine='auto' or engine='simpy'")
        if fast_model is not None:
            try:
                parts = _execute(model, starts, key, chunks, policies, n_jobs, progress,
                                 fast_model)
                used = "compiled"
            except CompiledEngineError as exc:
                if engine == "compiled":
                    raise PhasesimError(f"the compiled engine cannot run this forecast: "
                                        f"{exc}; use engine='auto' or engine='simpy'"
                                        ) from None
                note = str(exc)
    if parts is None:
        parts = _execute(model, starts, key, chunks, policies, n_jobs, progress)
    n = len(starts[0])
    log = _log_frame(_merge([p[0] for p in parts]), n)
    rel = _release_frame(_merge([p[1] for p in parts]), n)
    names = {f"R{i + 1:0{max(3, len(str(n)))}d}": rid for i, rid in enumerate(ids)}
    log["release_id"] = log["release_id"].map(names).astype("string")
    rel["release_id"] = rel["release_id"].map(names)
    return log, rel, used, note


def _observed(frame: pd.DataFrame, state: State, flight: list[ReleaseInfo], runs: int
              ) -> pd.DataFrame:
    """The known rows of the releases in flight (all but the running ones, which the
    simulation continues), once per run, marked ``observed``."""
    known = state.known
    ids = {r.release_id for r in flight}
    pick = known[known["release_id"].isin(ids) & ~known["running"]].index
    if not len(pick) or not runs:
        return frame.iloc[:0]
    cols = [c for c in COLUMNS if c in frame.columns]
    base = frame.reset_index(drop=True).loc[pick, cols].reset_index(drop=True)
    for c in ("ready", "start", "end", "planned_start", "planned_end"):
        if c in base:
            base[c] = pd.to_datetime(base[c], utc=True)
    out = base.iloc[np.tile(np.arange(len(base)), runs)].reset_index(drop=True)
    out["run"] = np.repeat(np.arange(runs), len(base))
    out["observed"] = True
    return out


# -- the result -----------------------------------------------------------------------
@dataclass
class Forecast:
    """A forecast from ``now``: per release, when each remaining phase and the release
    finish (P50/P80/P95, in the blueprint's timezone).

    Attributes
    ----------
    releases : DataFrame
        One row per release in flight and per future release: status, started (or
        scheduled), the phase it is in at ``now``, finish P50/P80/P95, the share of runs
        in which it aborted, ``p_target`` (probability of finishing by ``target``), then
        ``<phase>_p50``, ``_p80``, ``_p95``: the finish of every remaining phase (NaT for
        phases finished before ``now``).
    phases : DataFrame
        One row per release and phase not finished at ``now``: finish P50/P80/P95 and
        ``p_target``.
    log : DataFrame
        The event log of every run: the observed past (``observed=True``) and the
        simulated continuation.
    unmatched : DataFrame
        Known rows that match no activity of the blueprint, with the reason.
    unplaced : DataFrame
        Releases whose state cannot be placed on the blueprint, with the reasons.
    """

    blueprint: Blueprint
    now: pd.Timestamp
    timezone: str
    cadence: Any
    cadence_note: str
    runs: int
    seed: Any
    target: Any
    log: pd.DataFrame
    unmatched: pd.DataFrame
    state: State = field(repr=False)
    future_starts: list[pd.Timestamp] = field(default_factory=list)
    _rel: pd.DataFrame | None = field(default=None, repr=False)
    _model: CompiledModel | None = field(default=None, repr=False)
    releases: pd.DataFrame = field(default_factory=pd.DataFrame)
    phases: pd.DataFrame = field(default_factory=pd.DataFrame)
    unplaced: pd.DataFrame = field(default_factory=pd.DataFrame)
    _ends: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False)
    _base_columns: list[str] = field(default_factory=list, repr=False)
    #: which engine simulated the continuation ("simpy" or "compiled"), and why not the
    #: compiled one when "auto" fell back (as ``SimulationResult``)
    engine: str = "simpy"
    engine_note: str = ""

    @property
    def finished(self) -> list[str]:
        """Releases of the log that had finished (or ended) by ``now``."""
        return [r.release_id for r in self.state.releases if r.status == "finished"]

    def _stamp(self, hours: Any) -> Any:
        values = pd.Series(np.asarray(hours, dtype=float))
        ms = np.round(values.to_numpy() * 3_600_000.0)
        ok = np.isfinite(ms)
        out = pd.Series(pd.to_datetime(np.where(ok, ms, 0).astype("int64"), unit="ms",
                                       utc=True)).dt.tz_convert(self.timezone)
        return out.where(ok).dt.round("s")

    def _deadline(self) -> float | None:
        if self.target is None:
            return None
        return to_epoch_hours(_aware(self.target, "target"))

    def _tables(self) -> None:
        flight = self.state.in_flight
        deadline = self._deadline()
        rows: list[dict[str, Any]] = []
        prows: list[dict[str, Any]] = []
        phase_ends = self._ends = self._phase_ends()
        ids = [r.release_id for r in flight] + [f"next-{i + 1}"
                                               for i in range(len(self.future_starts))]
        rel = self._rel
        for i, rid in enumerate(ids):
            info = flight[i] if i < len(flight) else None
            row: dict[str, Any] = {
                "release_id": rid,
                "status": "in flight" if info is not None else "future",
                "started": from_epoch_hours(info.started if info is not None else
                                            to_epoch_hours(self.future_starts[i - len(flight)])
                                            ).tz_convert(self.timezone),
                "phase": info.phase if info is not None else "not started",
            }
            if rel is not None:
                mine = rel[rel["release_id"] == rid]
                ok = mine["status"] != "aborted"
                end_h = _hours(mine["end"])
                for name, q in _QUANTILES:
                    row[f"finish_{name}"] = _q(end_h[ok.to_numpy()], q)
                row["share_aborted"] = float((~ok).mean())
                if deadline is not None:
                    row["p_target"] = float(((end_h <= deadline) & ok.to_numpy()).mean())
            rows.append(row)
            done = info.done_phases if info is not None else {}
            for ph in self.blueprint.phases:
                if ph.rollback or ph.id in done:
                    continue
                values = phase_ends.get((rid, ph.id), np.full(self.runs, np.nan))
                prow: dict[str, Any] = {"release_id": rid, "phase_id": ph.id}
                for name, q in _QUANTILES:
                    prow[f"finish_{name}"] = _q(values[np.isfinite(values)], q)
                prow["share_reached"] = float(np.isfinite(values).mean())
                if deadline is not None:
                    prow["p_target"] = float((values <= deadline).mean())
                prows.append(prow)
        releases = pd.DataFrame(rows)
        phases = pd.DataFrame(prows)
        for frame in (releases, phases):
            for name, _ in _QUANTILES:
                col = f"finish_{name}"
                if col in frame:
                    frame[col] = self._stamp(frame[col]).to_numpy()
        if len(releases):
            releases = releases.set_index("release_id")
            self._base_columns = list(releases.columns)
            if len(phases):
                # the finish of every remaining phase, one column per phase and quantile
                wide = phases.pivot(index="release_id", columns="phase_id",
                                    values=[f"finish_{name}" for name, _ in _QUANTILES])
                order = [ph.id for ph in self.blueprint.phases if not ph.rollback]
                for pid in order:
                    for name, _ in _QUANTILES:
                        pair = (f"finish_{name}", pid)
                        if pair in wide.columns:
                            releases[f"{pid}_{name}"] = wide[pair].reindex(releases.index)
        self.releases = releases
        self.phases = phases
        problems = release_problems(self.state.releases)
        self.unplaced = pd.DataFrame(
            [{"release_id": rid, "rows": ", ".join(map(str, r)), "reason": reason}
             for rid, r, reason in problems], columns=["release_id", "rows", "reason"])

    def _phase_ends(self) -> dict[tuple[str, str], np.ndarray]:
        """(release, phase) -> the phase's end in every run (nan where it did not end)."""
        log = self.log
        if not len(log):
            return {}
        sim = log[~log["observed"].astype(bool) & log["status"].isin(["succeeded",
                                                                        "skipped"])]
        if not len(sim):
            return {}
        ends = pd.DataFrame({"run": sim["run"].to_numpy(),
                             "release_id": sim["release_id"].astype(str).to_numpy(),
                             "phase_id": sim["phase_id"].astype(str).to_numpy(),
                             "end": _hours(sim["end"])})
        # a phase ends when its last activity does; a phase whose activities all ended
        # before now but one ran on is covered by the simulated rows
        flight = {r.release_id: r for r in self.state.in_flight}
        model = self._model
        assert model is not None
        n_nodes = {ph.id: len(ph.nodes) for ph in model.phases}
        ends["activity_id"] = sim["activity_id"].astype(str).to_numpy()
        last = ends.groupby(["release_id", "phase_id", "run"]).agg(
            max=("end", "max"), size=("activity_id", "nunique"))
        out: dict[tuple[str, str], np.ndarray] = {}
        for (rid, pid), group in last.groupby(level=[0, 1]):
            values = np.full(self.runs, np.nan)
            info = flight.get(str(rid))
            done_before = 0
            observed_end = -np.inf
            if info is not None and info.state is not None:
                keys = [model.nodes[n].key for ph in model.phases if ph.id == pid
                        for n in ph.nodes]
                before = [info.state.done[k] for k in keys if k in info.state.done]
                done_before = len(before)
                observed_end = max(before, default=-np.inf)
            runs = group.index.get_level_values(2).to_numpy()
            complete = group["size"].to_numpy() + done_before >= n_nodes.get(str(pid), 0)
            values[runs[complete]] = np.maximum(group["max"].to_numpy()[complete],
                                                observed_end)
            out[(str(rid), str(pid))] = values
        return out

    # -- questions ---------------------------------------------------------------------
    def chance(self, release_id: str, by: Any, phase: str | None = None,
               event: str = "end") -> float:
        """The probability that ``release_id`` (or its ``phase``) ends by ``by`` - or,
        with ``event="start"``, that the phase has started by then.

        Examples
        --------
        >>> fc.chance("R2026-47", "2026-12-21 00:00-08:00", phase="prod_3",
        ...           event="start")  # doctest: +SKIP
        """
        deadline = to_epoch_hours(_aware(by, "by"))
        log = self.log[self.log["release_id"] == release_id]
        if not len(log) and release_id not in set(self.releases.index):
            raise PhasesimError(f"no release {release_id!r} in the forecast; releases: "
                                f"{', '.join(self.releases.index)}")
        if event not in ("start", "end"):
            raise PhasesimError(f"event must be 'start' or 'end', found {event!r}")
        if phase is not None:
            if phase not in self.blueprint.phase_ids:
                raise PhasesimError(f"no phase {phase!r}; phases: "
                                    f"{', '.join(self.blueprint.phase_ids)}")
            log = log[log["phase_id"] == phase]
        if event == "start":
            first = log.groupby("run")["start"].min()
            hit = _hours(first) <= deadline
            return float(hit.sum() / self.runs)
        if phase is None:
            rel = self._rel
            assert rel is not None
            mine = rel[rel["release_id"] == release_id]
            ok = (mine["status"] != "aborted").to_numpy() & (_hours(mine["end"]) <= deadline)
            return float(ok.mean())
        values = self._ends.get((release_id, phase), np.full(self.runs, np.nan))
        return float((values <= deadline).mean())

    # -- views -------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """One tidy table: a row per release (``phase_id`` = "(release)") and per
        remaining phase, with finish P50/P80/P95 (and ``p_target``)."""
        rel = self.releases.reset_index()
        if not len(rel):
            return pd.DataFrame(columns=["release_id", "phase_id", "finish_p50",
                                         "finish_p80", "finish_p95"])
        whole = rel.assign(phase_id="(release)")
        cols = ["release_id", "phase_id", "status", "phase", "started", "finish_p50",
                "finish_p80", "finish_p95", "share_aborted"] + \
            (["p_target"] if "p_target" in rel else [])
        whole = whole[[c for c in cols if c in whole]]
        info = rel.set_index("release_id")
        phases = self.phases.assign(
            status=self.phases["release_id"].map(info["status"]),
            phase=self.phases["release_id"].map(info["phase"]),
            started=self.phases["release_id"].map(info["started"]))
        out = pd.concat([whole, phases], ignore_index=True)
        order = {rid: i for i, rid in enumerate(rel["release_id"])}
        out["_o"] = out["release_id"].map(order)
        out["_p"] = (out["phase_id"] != "(release)").astype(int)
        out = out.sort_values(["_o", "_p"], kind="stable").drop(columns=["_o", "_p"])
        return out.reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """The releases table as a person reads it: dates in the blueprint's timezone,
        to the minute."""
        rel = self.releases[self._base_columns].copy() if len(self.releases) else \
            self.releases.copy()
        for col in ("started", "finish_p50", "finish_p80", "finish_p95"):
            if col in rel:
                rel[col] = rel[col].map(lambda t: "" if pd.isna(t)
                                        else t.strftime("%a %Y-%m-%d %H:%M"))
        for col in ("share_aborted", "p_target"):
            if col in rel:
                rel[col] = rel[col].map(lambda p: f"{p:.0%}")
        return rel

    def _header(self) -> list[str]:
        note = self.cadence_note if self.cadence_note != "given" else str(self.cadence)
        lines = [f"Forecast of {self.blueprint.id} from {self.now:%a %Y-%m-%d %H:%M %Z} "
                 f"({self.timezone}), {self.runs} runs",
                 f"{len(self.state.in_flight)} release(s) in flight, "
                 f"{len(self.future_starts)} future, {len(self.finished)} finished before "
                 f"now; cadence {note}",
                 f"{len(self.unmatched)} unmatched log row(s), {len(self.unplaced)} "
                 f"release problem(s)"]
        if self.target is not None:
            lines.append(f"target: {_aware(self.target, 'target').tz_convert(self.timezone)}")
        return lines

    def __repr__(self) -> str:
        text = "\n".join(self._header())
        if len(self.releases):
            text += "\n\n" + self.summary().to_string()
        if len(self.unplaced):
            text += "\n\ncannot be placed:\n" + self.unplaced.to_string(index=False)
        if len(self.unmatched):
            text += "\n\nunmatched rows:\n" + self.unmatched.head(20).to_string(index=False)
        return text

    def _repr_html_(self) -> str:
        parts = [f"<p>{'<br>'.join(escape(line) for line in self._header())}</p>"]
        if len(self.releases):
            parts.append(self.summary().to_html())
        if len(self.unplaced):
            parts.append("<p><b>Releases that cannot be placed</b></p>"
                         + self.unplaced.to_html(index=False))
        if len(self.unmatched):
            parts.append(f"<p><b>Unmatched rows</b> ({len(self.unmatched)})</p>"
                         + self.unmatched.head(20).to_html(index=False))
        return "<div>" + "".join(parts) + "</div>"

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Fan chart: per release, observed phases as bars, the forecast of each
        remaining phase as P50 with P80/P95 whiskers, and a line at ``now``."""
        from phasesim.plotting.forecast import plot_forecast

        return plot_forecast(self, ax=ax, **kwargs)


def _hours(values: pd.Series) -> np.ndarray:
    ts = pd.to_datetime(values, utc=True)
    ns = ts.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float) / 3.6e12
    return np.where(ts.isna().to_numpy(), np.nan, ns)


def _q(values: np.ndarray, q: float) -> float:
    values = values[np.isfinite(values)]
    return float(np.quantile(values, q)) if len(values) else float("nan")
