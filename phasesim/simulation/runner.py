"""``simulate``: Monte Carlo runs of a release train, in parallel, reproducibly.

Runs are independent replications of the whole timeline. They are split into chunks and
executed with joblib (any joblib backend works, a Dask cluster included, through
``joblib.parallel_config(backend="dask")``). Every random number comes from a keyed
stream (:mod:`phasesim.simulation.streams`), so the same seed gives the identical log
whatever the number of workers.
"""

from __future__ import annotations

import itertools
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from phasesim.blueprint import Blueprint, load_blueprint
from phasesim.calendars import (
    HORIZON,
    HORIZON_H,
    HORIZON_START,
    HORIZON_START_H,
    from_epoch_hours,
    to_epoch_hours,
)
from phasesim.errors import PhasesimError
from phasesim.eventlog.schema import validate_log
from phasesim.simulation.batch import Columns, run_chunk
from phasesim.simulation.cadence import Cadence, parse_cadence
from phasesim.simulation.compiled import CompiledModel, compile_blueprint
from phasesim.simulation.engine import BEYOND_HORIZON, DEFAULT_MAX_REWORK, MAX_REWORK
from phasesim.simulation.result import SimulationResult
from phasesim.simulation.streams import Streams, seed_key

__all__ = ["simulate"]

#: What one chunk of runs gives back: the columns of its log, releases and usage.
_Parts = tuple[Columns, Columns, Columns]

#: Stream id of the arrival process (random cadences).
_ARRIVALS = 0xA7A7A7A7


def simulate(
    blueprint: Blueprint | str | os.PathLike[str],
    releases: int = 26,
    cadence: Any = "weekly",
    start: Any = "2026-01-05 09:00",
    runs: int = 200,
    inputs: Mapping[str, Any] | None = None,
    seed: int | np.random.SeedSequence | None = None,
    n_jobs: int = 1,
    progress: bool = True,
    *,
    max_in_flight: int | None = None,
    serialize: Sequence[str] = (),
    max_rework: int = DEFAULT_MAX_REWORK,
    engine: str = "auto",
    keep_log: bool = True,
) -> SimulationResult:
    """Simulate ``runs`` replications of ``releases`` releases started on a cadence.

    Parameters
    ----------
    blueprint : Blueprint or path
    releases : int
        Releases per run.
    cadence : str, mapping or list
        ``"weekly"``, ``"every 2w"``, ``"daily"``, a release-group mapping ``{freq,
        interval, weekday, time, timezone}``, a list of start datetimes, or random
        arrivals ``{interarrival: <duration spec>}``; see
        :func:`phasesim.simulation.cadence.parse_cadence`.
    start : datetime or str
        The first release's start (naive means UTC).
    runs : int
        Independent Monte Carlo replications of the whole timeline.
    inputs : mapping, optional
        Process inputs (e.g. ``{"services": ["api", "web"]}``).
    seed : int, SeedSequence or None
        Same seed, same result, whatever ``n_jobs``. None draws fresh entropy, kept in
        ``result.seed`` so the run can be repeated.
    n_jobs : int
        Parallel workers (joblib); -1 for all cores.
    progress : bool
        Show a progress bar (on stderr; a widget in Jupyter).
    max_in_flight : int, optional
        A release waits to start while this many are in flight.
    serialize : sequence of str
        Phase ids a release may enter only after the previous release has left them.
    max_rework : int
        Cap on rejections and resumed rollbacks per release (the release then aborts);
        from 0 to ``MAX_REWORK`` (1000).
    engine : {"auto", "compiled", "simpy"}
        ``"compiled"`` runs the numba engine (same log as SimPy's, many times faster),
        ``"simpy"`` the reference engine; ``"auto"`` the compiled one, falling back to
        SimPy for what it does not support (the reason is in ``result.engine_note``).
    keep_log : bool
        False keeps only the release table (``summary``, ``finish_dates`` and lead times
        need nothing else): ``log`` and ``usage`` come back empty, with their columns, and
        each chunk's rows are dropped as it arrives, so a million releases fit in memory.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> result = simulate("data/blueprints/parallel.yaml", releases=4, runs=10, seed=1,
    ...                   progress=False)  # doctest: +SKIP
    >>> result.summary()  # doctest: +SKIP
    """
    _check_seed(seed)
    for name, value in (("releases", releases), ("runs", runs), ("n_jobs", n_jobs)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise PhasesimError(f"{name} must be a whole number, found {value!r}")
    bp = load_blueprint(blueprint, inputs=inputs) if not isinstance(blueprint, Blueprint) \
        else blueprint.bind(inputs)
    if releases < 1 or runs < 1:
        raise PhasesimError(f"releases and runs must be at least 1, found releases="
                            f"{releases}, runs={runs}")
    unknown = [p for p in serialize if p not in bp.phase_ids]
    if unknown:
        raise PhasesimError(f"serialize names unknown phase(s) {unknown}; phases: "
                            f"{', '.join(bp.phase_ids)}")
    if isinstance(max_rework, bool) or not isinstance(max_rework, int) or not (
            0 <= max_rework <= MAX_REWORK):
        raise PhasesimError(f"max_rework must be a whole number from 0 to {MAX_REWORK}, "
                            f"found {max_rework!r}")
    if engine not in ("auto", "compiled", "simpy"):
        raise PhasesimError(f"engine must be 'auto', 'compiled' or 'simpy', found {engine!r}")
    if max_in_flight is not None and max_in_flight < 1:
        raise PhasesimError(f"max_in_flight must be at least 1, found {max_in_flight}")
    try:
        rule = parse_cadence(cadence)
        start_h = to_epoch_hours(start)
    except (TypeError, ValueError) as exc:
        raise PhasesimError(str(exc)) from None
    zone = _zone_name(start)
    if isinstance(cadence, str) and zone is not None:
        # "weekly" from a start in a named timezone keeps its local time across DST
        rule = replace(rule, timezone=zone)
    if seed is None:
        seed = np.random.SeedSequence()
    entropy = seed.entropy if isinstance(seed, np.random.SeedSequence) else seed
    key = seed_key(seed)
    model = compile_blueprint(bp)
    policies = {"max_in_flight": max_in_flight, "serialize": tuple(serialize),
                "max_rework": max_rework}
    try:
        starts = _starts(rule, releases, start_h, key, runs)
    except ValueError as exc:
        raise PhasesimError(str(exc)) from None
    _check_horizon(starts)
    chunks = _chunks(runs, n_jobs)
    used, note = "simpy", ""
    fast_model = None
    if engine != "simpy":
        from phasesim.simulation.fast import prepare

        fast_model, note = prepare(model, policies)
        if fast_model is None and engine == "compiled":
            raise PhasesimError(f"the compiled engine cannot run this simulation: {note}; "
                                "use engine='auto' or engine='simpy'")
    parts = None
    try:
        if fast_model is not None:
            from phasesim.simulation.fast.chunk import CompiledEngineError

            try:
                parts = _execute(model, starts, key, chunks, policies, n_jobs, progress,
                                 fast_model, keep_log)
                used = "compiled"
            except CompiledEngineError as exc:
                if engine == "compiled":
                    raise PhasesimError(f"the compiled engine cannot run this simulation: "
                                        f"{exc}; use engine='auto' or engine='simpy'") from None
                note = str(exc)
        if parts is None:
            parts = _execute(model, starts, key, chunks, policies, n_jobs, progress,
                             keep_log=keep_log)
    except ValueError as exc:
        if "before the end of the year" not in str(exc):
            raise
        raise PhasesimError(f"the simulation ran past the years a calendar can hold: {exc}; "
                            "are some durations far too long?") from None
    log_cols, rel_cols, usage_cols = (_merge([part[k] for part in parts]) for k in range(3))
    cut = _cut_at_horizon(log_cols, rel_cols, usage_cols)
    if cut:
        warnings.warn(f"{cut} release(s) ran past the simulation horizon "
                      f"({HORIZON:%Y-%m-%d} UTC): their work is cut there and they are "
                      f"reported as aborted (reason {BEYOND_HORIZON!r})", stacklevel=2)
    log = _log_frame(log_cols, releases)
    order = _release_order(rel_cols)
    return SimulationResult(
        log=log,
        releases=_with_outcomes(_release_frame(rel_cols, releases, order), log, bp,
                                rolled=rel_cols["rolled"][order]),
        usage=_usage_frame(usage_cols, releases),
        blueprint=bp,
        params={"releases": releases, "cadence": cadence, "start": start, "runs": runs,
                "inputs": dict(bp.input_values), "seed": entropy, "n_jobs": n_jobs,
                **policies},
        engine=used,
        engine_note=note,
    )


def _check_seed(seed: Any) -> None:
    """A seed is None, a SeedSequence or a whole number from 0 (as ``--seed`` takes)."""
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise PhasesimError(f"seed must be a whole number from 0 (or None for a fresh "
                            f"one), found {seed!r}")
    if seed < 0:
        raise PhasesimError(f"seed cannot be negative, found {seed}; use a whole number "
                            "from 0 such as 42")


def _check_horizon(starts: list[list[float]]) -> None:
    """Every release starts inside the simulation horizon."""
    for run_starts in starts:
        for i, t in enumerate(run_starts):
            if not HORIZON_START_H <= t < HORIZON_H:
                raise PhasesimError(
                    f"release {i + 1} would start at {from_epoch_hours(t)}, outside the "
                    f"simulation horizon ({HORIZON_START:%Y-%m-%d} to {HORIZON:%Y-%m-%d} "
                    "UTC); start earlier or simulate fewer releases")


def _cut_at_horizon(log: dict[str, Any], rels: dict[str, Any], usage: dict[str, Any]
                    ) -> int:
    """Cut the simulated work at the horizon, in place; return how many releases passed it.

    Rows ready or started after :data:`HORIZON_H` are left out; rows ending after it end
    there as ``aborted`` (as work under way when a release ends); releases ending after
    it end there, ``aborted`` with the reason :data:`BEYOND_HORIZON`.
    """
    limit = HORIZON_H
    end = rels["end"]
    passed = np.isfinite(end) & (end > limit)
    if not passed.any():
        return 0
    rels["end"] = np.where(passed, limit, end)
    for name, value in (("status", "aborted"), ("reason", BEYOND_HORIZON)):
        column = rels[name].copy()
        column[passed] = value
        rels[name] = column
    _cut_rows(log, ("ready", "start"))
    over = np.nan_to_num(log["end"], nan=-np.inf) > limit
    if over.any():
        start = np.asarray(log["start"], dtype=float)
        log["end"] = np.where(over, limit, log["end"])
        log["work_h"] = np.where(over, limit - np.minimum(start, limit), log["work_h"])
        log["offhours_h"] = np.where(over, 0.0, log["offhours_h"])
        status = log["status"].copy()
        status[over] = "aborted"
        log["status"] = status
    _cut_rows(usage, ("requested",))
    for name in ("granted", "released"):
        usage[name] = np.where(np.nan_to_num(usage[name], nan=-np.inf) > limit, limit,
                               usage[name])
    return int(passed.sum())


def _cut_rows(cols: dict[str, Any], names: tuple[str, ...]) -> None:
    """Leave out, in place, the rows whose ``names`` columns lie past the horizon."""
    drop = np.zeros(len(cols[names[0]]), dtype=bool)
    for name in names:
        drop |= np.nan_to_num(cols[name], nan=-np.inf) > HORIZON_H
    if not drop.any():
        return
    keep = ~drop
    for name, value in cols.items():
        cols[name] = value[keep].reset_index(drop=True) if isinstance(value, pd.Series) \
            else np.asarray(value)[keep]


def _zone_name(start: Any) -> str | None:
    """The IANA name of a start's timezone, if it has one (not a bare offset)."""
    try:
        stamp = pd.Timestamp(start)
    except (TypeError, ValueError):
        return None
    key = getattr(stamp.tzinfo, "key", None) or getattr(stamp.tzinfo, "zone", None)
    return str(key) if key and "/" in str(key) else None


def _chunks(runs: int, n_jobs: int) -> list[list[int]]:
    workers = os.cpu_count() or 1 if n_jobs < 0 else max(1, n_jobs)
    count = min(runs, workers * 8) if workers > 1 else 1
    bounds = np.linspace(0, runs, count + 1).round().astype(int)
    return [list(range(a, b)) for a, b in itertools.pairwise(bounds) if b > a]


def _starts(rule: Cadence, releases: int, start_h: float, key: int, runs: int
            ) -> list[list[float]]:
    """Each run's release starts (epoch hours): the same for a calendar cadence (one list,
    shared), drawn per run for random arrivals (gap i is the arrival stream's draw of
    release i + 1)."""
    if not rule.is_random:
        return [rule.starts(releases, start_h).tolist()] * runs
    gaps = Streams(key).uniforms(_ARRIVALS, range(runs), 0, releases, 1)[:, 1:, 0]
    return [rule.starts(releases, start_h, gaps[run]).tolist() for run in range(runs)]


def _execute(model: CompiledModel, starts: list[list[float]], key: int,
             chunks: list[list[int]], policies: dict[str, Any], n_jobs: int, progress: bool,
             fast_model: Any = None, keep_log: bool = True) -> list[_Parts]:
    from tqdm.auto import tqdm

    desc = f"simulating {model.blueprint_id}"
    worker: Any = run_chunk
    target: Any = model
    if fast_model is not None:
        from functools import partial

        from phasesim.simulation.fast.chunk import run_chunk as fast_chunk

        # the compiled worker drops the rows itself, before sending them back
        worker = partial(fast_chunk, keep_log=keep_log)
        target = fast_model

    bar = tqdm(total=sum(len(c) for c in chunks), disable=not progress, unit="run",
               desc=desc, leave=False)
    try:
        if n_jobs == 1 or len(chunks) == 1:
            out = []
            for chunk in chunks:
                part = worker(target, chunk, [starts[r] for r in chunk], key, policies)
                out.append(part if keep_log else _releases_only(part))
                bar.update(len(chunk))
            return out
        from joblib import Parallel, delayed

        jobs = (delayed(worker)(target, chunk, [starts[r] for r in chunk], key, policies)
                for chunk in chunks)
        results: list[_Parts] = []
        # one chunk per task: joblib's automatic batching would make the last ones longer
        parallel = Parallel(n_jobs=n_jobs, batch_size=1, return_as="generator")
        for chunk, part in zip(chunks, parallel(jobs), strict=True):
            results.append(part if keep_log else _releases_only(part))
            bar.update(len(chunk))
        return results
    finally:
        bar.close()


def _releases_only(part: _Parts) -> _Parts:
    """A chunk's columns with no log or usage rows (their types kept)."""
    def empty(cols: Columns) -> Columns:
        return {name: (value[0], value[1][:0]) if isinstance(value, tuple) else value[:0]
                for name, value in cols.items()}

    return empty(part[0]), part[1], empty(part[2])


def _merge(parts: list[Columns]) -> dict[str, Any]:
    """The columns of consecutive chunks as one: arrays joined, text as pandas strings."""
    out: dict[str, Any] = {}
    for name, first in parts[0].items():
        if isinstance(first, tuple):
            values = list(dict.fromkeys(v for part in parts for v in part[name][0]))
            index = {v: code for code, v in enumerate(values)}
            codes = np.concatenate([
                np.array([index[v] for v in part[name][0]], dtype=np.int32)[part[name][1]]
                for part in parts])
            out[name] = pd.Series(pd.array(values, dtype="string").take(codes))
        else:
            out[name] = np.concatenate([part[name] for part in parts])
    return out


def _release_ids(index: np.ndarray, releases: int) -> np.ndarray:
    width = max(3, len(str(releases)))
    return np.array([f"R{i + 1:0{width}d}" for i in range(releases)], dtype=object)[index]


#: the largest whole milliseconds a nanosecond timestamp holds (about the year 2262)
_MAX_MS = float(np.iinfo(np.int64).max // 1_000_000)


def _timestamps(hours: np.ndarray) -> pd.Series:
    """Hours since the epoch as UTC timestamps, rounded to the millisecond; NaT where
    not finite. Nanoseconds are computed as integers, not parsed by ``to_datetime``."""
    values = np.asarray(hours, dtype=float)
    finite = np.isfinite(values)
    ms = np.round(values * 3_600_000.0)
    if bool(np.any(np.abs(ms[finite]) > _MAX_MS)):  # pandas names what is out of range
        out = pd.to_datetime(np.where(finite, ms, 0).astype("int64"), unit="ms", utc=True)
        return pd.Series(out).astype("datetime64[ns, UTC]").where(finite)
    ns = np.where(finite, ms, 0).astype(np.int64) * 1_000_000
    ns[~finite] = np.iinfo(np.int64).min  # NaT
    return pd.Series(pd.DatetimeIndex(ns.view("M8[ns]")).tz_localize("UTC"))


def _log_frame(cols: dict[str, Any], releases: int) -> pd.DataFrame:
    if len(cols["run"]) == 0:  # keep_log=False: the same empty frame every time
        key = tuple((name, str(value.dtype)) for name, value in cols.items())
        if key not in _EMPTY_LOGS:
            _EMPTY_LOGS[key] = _build_log_frame(cols, releases)
        return _EMPTY_LOGS[key].copy()
    return _build_log_frame(cols, releases)


#: the empty log of each set of column types (an empty log is built once)
_EMPTY_LOGS: dict[tuple[tuple[str, str], ...], pd.DataFrame] = {}


def _build_log_frame(cols: dict[str, Any], releases: int) -> pd.DataFrame:
    # the engine appends rows run by run, each run's in ``row`` order; ``row`` numbers
    # rows within a run and ``cause`` points at a row of the same run (by number, not by
    # position, so the frame can be reordered). The log is listed as ``read_log`` returns
    # one: by run, release and start (rows that never started last, then engine order),
    # so written out and read back it passes the audit's ``unsorted`` rule.
    start = np.asarray(cols["start"], dtype=float)
    order = np.lexsort((cols["row"], np.where(np.isfinite(start), start, np.inf),
                        cols["release"], cols["run"]))
    cols = {name: (value.iloc[order].reset_index(drop=True) if isinstance(value, pd.Series)
                   else np.asarray(value)[order]) for name, value in cols.items()}
    frame = pd.DataFrame({
        "run": cols["run"],
        "release_id": pd.Series(_release_ids(cols["release"], releases), dtype="string"),
        **{name: cols[name] for name in ("phase_id", "activity_id", "activity_type",
                                         "owner", "status", "attempt")},
        **{name: _timestamps(cols[name]) for name in ("ready", "start", "end")},
        **{name: cols[name] for name in ("wait_serialize_h", "wait_anchor_h",
                                         "wait_environment_h", "wait_freeze_h", "wait_team_h",
                                         "offhours_h", "work_h", "rework", "row", "cause")},
    })
    return validate_log(frame)


def _with_outcomes(rel: pd.DataFrame, log: pd.DataFrame, bp: Blueprint,
                   rolled: np.ndarray | None = None) -> pd.DataFrame:
    """Add each release's ``outcome`` (:mod:`phasesim.outcomes`): a release the engine
    stopped because an activity failed all its tries (``on-failure: abort``) failed; one
    stopped at the rework cap was aborted; a rollback phase that ran and was resumed
    makes a success ``succeeded_after_rollback``. Whether a rollback phase ran is
    ``rolled`` (one flag per row of ``rel``, made by the workers with the rows, so it is
    there without the log), else read from ``log``."""
    from phasesim.outcomes import outcomes

    if rolled is None:
        rollback = [ph.id for ph in bp.phases if ph.rollback]
        ran = log[log["phase_id"].isin(rollback) & (log["status"] != "skipped")]
        rolled = pd.MultiIndex.from_frame(rel[["run", "release_id"]]).isin(
            pd.MultiIndex.from_frame(ran[["run", "release_id"]].astype({"release_id": object})))
    status = rel["status"].to_numpy(dtype=object)
    capped = rel["capped"].to_numpy(dtype=bool)
    final = np.where((status == "aborted") & ~capped, "failed", status)
    rel["outcome"] = pd.array(outcomes(final, rolled_back=rolled, capped=capped),
                              dtype="string")
    return rel


def _release_order(cols: dict[str, Any]) -> np.ndarray:
    """Releases are recorded as they end; the frame lists them by run and release."""
    return np.lexsort((cols["release"], cols["run"]))


def _release_frame(cols: dict[str, Any], releases: int, order: np.ndarray | None = None
                   ) -> pd.DataFrame:
    if order is None:
        order = _release_order(cols)
    return pd.DataFrame({
        "run": cols["run"][order],
        "release_id": _release_ids(cols["release"][order], releases),
        "scheduled": _timestamps(cols["scheduled"][order]),
        "start": _timestamps(cols["start"][order]),
        "end": _timestamps(cols["end"][order]),
        "lead_time_h": (cols["end"] - cols["scheduled"])[order],
        "status": cols["status"].iloc[order].reset_index(drop=True),
        "reason": cols["reason"].iloc[order].reset_index(drop=True),
        "attempts": cols["attempts"][order],
        "rework": cols["rework"][order],
        "capped": cols["capped"][order],
    })


def _usage_frame(cols: dict[str, Any], releases: int) -> pd.DataFrame:
    return pd.DataFrame({
        "run": cols["run"],
        "kind": cols["kind"],
        "resource": cols["resource"],
        "release_id": _release_ids(cols["release"], releases),
        "requested": _timestamps(cols["requested"]),
        "granted": _timestamps(cols["granted"]),
        "released": _timestamps(cols["released"]),
        "wait_h": cols["granted"] - cols["requested"],
        "busy_h": cols["released"] - cols["granted"],
    })
