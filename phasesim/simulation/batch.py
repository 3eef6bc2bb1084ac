"""What one parallel worker does: simulate a chunk of runs and pack the rows as columns.

This module and what it imports (the engine, calendars, distributions, numpy, SciPy's
special functions, SimPy) are all a worker loads, which keeps a first parallel call
quick; the runner turns the columns into DataFrames. Text columns travel as codes into a
short list of their distinct values.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

import numpy as np

from phasesim.calendars import HORIZON_H
from phasesim.simulation.compiled import CompiledModel
from phasesim.simulation.engine import (
    RELEASE_FIELDS,
    ROW_FIELDS,
    USAGE_FIELDS,
    Draws,
    RunEngine,
)
from phasesim.simulation.streams import Streams

__all__ = ["Columns", "rolled_back", "run_chunk"]

#: Field name -> numpy array, or (distinct values, int32 codes) for a text field.
Columns = dict[str, Any]

#: Runs draw their random numbers together, in groups of about this many releases.
_GROUP_RELEASES = 4096
#: The text fields of the engine's rows.
TEXTS = frozenset({"phase_id", "activity_id", "activity_type", "owner", "status", "reason",
                   "kind", "resource"})
#: Fields that are not floats, per kind of row (the rest are floats, None as nan).
LOG_DTYPES = {"row": np.int64, "run": np.int64, "release": np.int64, "attempt": np.int64,
              "rework": np.bool_, "cause": np.int64}
RELEASE_DTYPES = {"run": np.int64, "release": np.int64, "attempts": np.int64,
                  "rework": np.int64, "capped": np.bool_}
USAGE_DTYPES = {"run": np.int64, "release": np.int64}


def run_chunk(model: CompiledModel, runs: Sequence[int], starts: Sequence[Sequence[float]],
              key: int, policies: dict[str, Any]) -> tuple[Columns, Columns, Columns]:
    """Simulate ``runs`` (with the release starts of each) and return the columns of
    their log, release and usage rows, runs in order."""
    streams = Streams(key)
    rows: list[tuple[Any, ...]] = []
    rels: list[tuple[Any, ...]] = []
    usage: list[list[Any]] = []
    releases = len(starts[0]) if starts else 0
    # random numbers are drawn for a group of runs at once, a few thousand releases
    group = max(1, _GROUP_RELEASES // max(releases, 1))
    for g in range(0, len(runs), group):
        draws = Draws(streams, runs[g:g + group], releases)
        for run, run_starts in zip(runs[g:g + group], starts[g:g + group], strict=True):
            engine = RunEngine(model, run, run_starts, draws, **policies)
            engine.execute()
            rows.extend(engine.rows)
            rels.extend(engine.releases)
            usage.extend(engine.usage)
    log, rel = pack(rows, ROW_FIELDS, LOG_DTYPES), pack(rels, RELEASE_FIELDS, RELEASE_DTYPES)
    rollback = [ph.id for ph in model.phases if ph.rollback]
    phase_values, phase_codes = log["phase_id"]
    status_values, status_codes = log["status"]
    rel["rolled"] = rolled_back(
        log["run"], log["release"],
        np.isin(np.array(phase_values, dtype=object), rollback)[phase_codes],
        (np.array(status_values, dtype=object) == "skipped")[status_codes],
        log["ready"], log["start"], rel["run"], rel["release"])
    return log, rel, pack(usage, USAGE_FIELDS, USAGE_DTYPES)


def rolled_back(row_run: np.ndarray, row_release: np.ndarray, in_rollback: np.ndarray,
                skipped: np.ndarray, ready: np.ndarray, start: np.ndarray,
                rel_run: np.ndarray, rel_release: np.ndarray) -> np.ndarray:
    """Whether a rollback phase ran in each release (``rel_run``, ``rel_release``): one of
    its rows belongs to a rollback phase of the model (``in_rollback``; not of a
    subprocess), was not skipped, and is kept by the runner's cut at the horizon (neither
    ready nor started past it).

    The outcome ``succeeded_after_rollback`` comes from this flag; computed where the rows
    are made, it stays right when they are dropped (``keep_log=False``).

    Examples
    --------
    >>> rolled_back(np.array([0, 0, 1]), np.array([0, 1, 0]),
    ...             np.array([False, True, True]), np.array([False, False, True]),
    ...             np.zeros(3), np.zeros(3), np.array([0, 0, 1]), np.array([0, 1, 0])
    ...             ).tolist()
    [False, True, False]
    """
    out = np.zeros(len(rel_run), dtype=np.bool_)
    if not len(rel_run):
        return out
    ran = in_rollback & ~skipped & ~(ready > HORIZON_H) & ~(start > HORIZON_H)  # nan: kept
    if not ran.any():
        return out
    width = int(max(rel_release.max(), row_release[ran].max())) + 1
    keys = np.unique(row_run[ran].astype(np.int64) * width + row_release[ran])
    return np.isin(rel_run.astype(np.int64) * width + rel_release, keys)


def pack(rows: Sequence[Sequence[Any]], fields: Sequence[str],
         dtypes: dict[str, Any]) -> Columns:
    """Rows as columns: text as (values, codes), the others as numpy arrays of their
    ``dtypes`` entry, else floats (None as nan).

    Examples
    --------
    >>> cols = pack([(1, "a", 2.5), (2, "b", None), (3, "a", 1)], ("n", "status", "x"),
    ...             {"n": np.int64})
    >>> cols["n"].tolist(), cols["status"][0], cols["status"][1].tolist(), cols["x"].tolist()
    ([1, 2, 3], ['a', 'b'], [0, 1, 0], [2.5, nan, 1.0])
    """
    out: Columns = {}
    for i, name in enumerate(fields):
        column = list(map(itemgetter(i), rows))
        if name in TEXTS:
            values = list(dict.fromkeys(column))
            index = {value: code for code, value in enumerate(values)}
            out[name] = (values, np.fromiter(map(index.__getitem__, column), dtype=np.int32,
                                             count=len(column)))
        else:
            out[name] = np.array(column, dtype=dtypes.get(name, np.float64))
    return out
