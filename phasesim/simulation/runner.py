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
from collections.abc import Mapping, Sequence
from dataclasses import replace
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from phasesim.blueprint import Blueprint, load_blueprint
from phasesim.calendars import to_epoch_hours
from phasesim.errors import PhasesimError
from phasesim.eventlog.schema import validate_log
from phasesim.simulation.cadence import Cadence, parse_cadence
from phasesim.simulation.compiled import CompiledModel, compile_blueprint
from phasesim.simulation.engine import (
    DEFAULT_MAX_REWORK,
    RELEASE_FIELDS,
    ROW_FIELDS,
    USAGE_FIELDS,
    RunEngine,
)
from phasesim.simulation.result import SimulationResult
from phasesim.simulation.streams import Streams, seed_key

__all__ = ["simulate"]

#: What one chunk of runs gives back: its log, releases and resource usage.
_Frames = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]

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
        Cap on rejections and resumed rollbacks per release (the release then aborts).

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> result = simulate("data/blueprints/parallel.yaml", releases=4, runs=10, seed=1,
    ...                   progress=False)  # doctest: +SKIP
    >>> result.summary()  # doctest: +SKIP
    """
    bp = load_blueprint(blueprint, inputs=inputs) if not isinstance(blueprint, Blueprint) \
        else blueprint.bind(inputs)
    if releases < 1 or runs < 1:
        raise PhasesimError(f"releases and runs must be at least 1, found releases="
                            f"{releases}, runs={runs}")
    unknown = [p for p in serialize if p not in bp.phase_ids]
    if unknown:
        raise PhasesimError(f"serialize names unknown phase(s) {unknown}; phases: "
                            f"{', '.join(bp.phase_ids)}")
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
    chunks = _chunks(runs, n_jobs)
    parts = _execute(model, rule, releases, start_h, key, chunks, policies, n_jobs, progress)
    return SimulationResult(
        log=_concat([part[0] for part in parts]),
        releases=_concat([part[1] for part in parts]),
        usage=_concat([part[2] for part in parts]),
        blueprint=bp,
        params={"releases": releases, "cadence": cadence, "start": start, "runs": runs,
                "inputs": dict(bp.input_values), "seed": entropy, "n_jobs": n_jobs,
                **policies},
    )


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
    count = min(runs, workers * 4) if workers > 1 else 1
    bounds = np.linspace(0, runs, count + 1).round().astype(int)
    return [list(range(a, b)) for a, b in itertools.pairwise(bounds) if b > a]


def _execute(model: CompiledModel, rule: Cadence, releases: int, start_h: float, key: int,
             chunks: list[list[int]], policies: dict[str, Any], n_jobs: int, progress: bool
             ) -> list[_Frames]:
    from tqdm.auto import tqdm

    bar = tqdm(total=sum(len(c) for c in chunks), disable=not progress, unit="run",
               desc=f"simulating {model.blueprint_id}", leave=False)
    try:
        if n_jobs == 1 or len(chunks) == 1:
            out = []
            for chunk in chunks:
                out.append(_run_chunk(model, rule, releases, start_h, key, chunk, policies))
                bar.update(len(chunk))
            return out
        from joblib import Parallel, delayed

        jobs = (delayed(_run_chunk)(model, rule, releases, start_h, key, chunk, policies)
                for chunk in chunks)
        results: list[_Frames] = []
        for chunk, part in zip(chunks, Parallel(n_jobs=n_jobs, return_as="generator")(jobs),
                               strict=True):
            results.append(part)
            bar.update(len(chunk))
        return results
    finally:
        bar.close()


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Chunks are runs in order; their frames stack into one."""
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _run_chunk(model: CompiledModel, rule: Cadence, releases: int, start_h: float, key: int,
               chunk: list[int], policies: dict[str, Any]
               ) -> _Frames:
    streams = Streams(key)
    rows: list[Any] = []
    rels: list[Any] = []
    usage: list[Any] = []
    # a calendar cadence starts every run's releases at the same times
    fixed = None if rule.is_random else rule.starts(releases, start_h).tolist()
    for run in chunk:
        starts = fixed
        if starts is None:  # gap i is the arrivals stream's draw of release i + 1
            gaps = streams.uniforms(_ARRIVALS, run, 0, releases, 1)[1:, 0]
            starts = rule.starts(releases, start_h, gaps).tolist()
        engine = RunEngine(model, run, starts, streams, **policies)
        engine.execute()
        rows.extend(engine.rows)
        rels.extend(engine.releases)
        usage.extend(engine.usage)
    # the frames are built in the worker: it parallelises and ships numpy buffers
    return (_log_frame(rows, releases), _release_frame(rels, releases),
            _usage_frame(usage, releases))


def _release_ids(index: np.ndarray, releases: int) -> np.ndarray:
    width = max(3, len(str(releases)))
    return np.array([f"R{i + 1:0{width}d}" for i in range(releases)], dtype=object)[index]


def _timestamps(hours: np.ndarray) -> pd.Series:
    values = np.asarray(hours, dtype=float)
    ms = np.round(values * 3_600_000.0)
    out = pd.to_datetime(np.where(np.isfinite(ms), ms, 0).astype("int64"), unit="ms",
                         utc=True)
    series = pd.Series(out).astype("datetime64[ns, UTC]")
    return series.where(np.isfinite(values))


def _columns(rows: list[tuple[Any, ...]], fields: tuple[str, ...]) -> dict[str, list[Any]]:
    """Rows of tuples as columns (much faster than ``DataFrame.from_records``)."""
    return {name: list(map(itemgetter(i), rows)) for i, name in enumerate(fields)}


def _log_frame(rows: list[tuple[Any, ...]], releases: int) -> pd.DataFrame:
    # the engine appends rows run by run, each run's in ``row`` order; ``row`` numbers
    # rows within a run and ``cause`` points at a row of the same run
    raw = _columns(rows, ROW_FIELDS)

    def floats(name: str) -> np.ndarray:
        return np.array(raw[name], dtype=float)

    def texts(name: str) -> pd.Series:
        return pd.Series(np.array(raw[name], dtype=object), dtype="string")

    frame = pd.DataFrame({
        "run": np.array(raw["run"], dtype="int64"),
        "release_id": pd.Series(_release_ids(np.array(raw["release"], dtype=int), releases),
                                dtype="string"),
        "phase_id": texts("phase_id"),
        "activity_id": texts("activity_id"),
        "activity_type": texts("activity_type"),
        "owner": texts("owner"),
        "status": texts("status"),
        "attempt": np.array(raw["attempt"], dtype="int64"),
        "ready": _timestamps(floats("ready")),
        "start": _timestamps(floats("start")),
        "end": _timestamps(floats("end")),
    })
    for col in ("wait_serialize_h", "wait_anchor_h", "wait_environment_h", "wait_team_h",
                "offhours_h", "work_h"):
        frame[col] = floats(col)
    frame["rework"] = np.array(raw["rework"], dtype=bool)
    frame["row"] = np.array(raw["row"], dtype="int64")
    frame["cause"] = np.array(raw["cause"], dtype="int64")
    return validate_log(frame)


def _release_frame(rels: list[tuple[Any, ...]], releases: int) -> pd.DataFrame:
    raw = pd.DataFrame.from_records(rels, columns=list(RELEASE_FIELDS))
    raw = raw.sort_values(["run", "release"], kind="stable").reset_index(drop=True)
    frame = pd.DataFrame({
        "run": raw["run"].astype("int64"),
        "release_id": _release_ids(raw["release"].to_numpy(dtype=int), releases),
        "scheduled": _timestamps(raw["scheduled"].to_numpy()),
        "start": _timestamps(raw["start"].to_numpy()),
        "end": _timestamps(raw["end"].to_numpy()),
        "lead_time_h": (raw["end"] - raw["scheduled"]).astype(float),
        "status": raw["status"].astype("string"),
        "reason": raw["reason"].astype("string"),
        "attempts": raw["attempts"].astype("int64"),
        "rework": raw["rework"].astype("int64"),
        "capped": raw["capped"].astype(bool),
    })
    return frame


def _usage_frame(usage: list[tuple[Any, ...]], releases: int) -> pd.DataFrame:
    raw = pd.DataFrame.from_records(usage, columns=list(USAGE_FIELDS))
    released = raw["released"].astype(float)
    return pd.DataFrame({
        "run": raw["run"].astype("int64"),
        "kind": raw["kind"].astype("string"),
        "resource": raw["resource"].astype("string"),
        "release_id": _release_ids(raw["release"].to_numpy(dtype=int), releases),
        "requested": _timestamps(raw["requested"].to_numpy(dtype=float)),
        "granted": _timestamps(raw["granted"].to_numpy(dtype=float)),
        "released": _timestamps(released.to_numpy()),
        "wait_h": (raw["granted"] - raw["requested"]).astype(float),
        "busy_h": (released - raw["granted"]).astype(float),
    })
