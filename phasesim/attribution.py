"""Blame the right thing: every hour of a lead time is work, a designed wait or an
avoidable wait.

The one place that says which is which (documented in ``docs/analysis.md`` and
``docs/simulation.md``):

``work``
    an activity doing its job: automated and manual working time, a subprocess.
``designed``
    waiting the process asks for on purpose: a weekly anchor or a planned slot
    (``not-before``), a ``wait`` activity (a soak timer), a deployment window or freeze.
    Shortening it means changing the process, not working faster.
``avoidable``
    waiting nobody planned: queues for a team, an environment or an in-flight slot
    (serialised phases, ``max_in_flight``), approvals, nights and weekends inside manual
    work and approvals (off-hours), and rework (failed tries, rejected passes, rollbacks
    and everything re-run after them).

The simulator knows each wait's cause (its log columns ``wait_*_h``); :func:`split_rows`
classifies them. A history log knows less; the analyses infer what the data allows
(see :func:`infer_designed_wait`).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "AVOIDABLE",
    "CAUSE_CLASS",
    "CLASSES",
    "DESIGNED",
    "WORK",
    "infer_designed_wait",
    "split_rows",
]

WORK: Final = "work"
DESIGNED: Final = "designed"
AVOIDABLE: Final = "avoidable"
#: The three classes, in display order.
CLASSES: Final = (WORK, DESIGNED, AVOIDABLE)

#: Class of each cause of :meth:`SimulationResult.wait_breakdown`.
CAUSE_CLASS: Final[dict[str, str]] = {
    "work": WORK,
    "soak": DESIGNED,
    "anchor": DESIGNED,
    "freeze": DESIGNED,
    "approval": AVOIDABLE,
    "offhours": AVOIDABLE,
    "team": AVOIDABLE,
    "environment": AVOIDABLE,
    "serialize": AVOIDABLE,
    "rework": AVOIDABLE,
    "in_flight": AVOIDABLE,
}

FloatArray = npt.NDArray[np.float64]


def _col(log: pd.DataFrame, name: str) -> FloatArray:
    if name not in log.columns:
        return np.zeros(len(log))
    return np.asarray(log[name].to_numpy(dtype=float, na_value=0.0), dtype=float)


def is_rework(log: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Rows of a simulated log that are rework: re-runs, failed tries, rejected passes."""
    return np.asarray(_again(log) | _failed(log), dtype=bool)


def _again(log: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Rows that run again (after a failed try, a rejection or a rollback)."""
    if "rework" not in log.columns:
        return np.zeros(len(log), dtype=bool)
    return np.asarray(log["rework"].to_numpy(dtype=bool), dtype=bool)


def _failed(log: pd.DataFrame) -> npt.NDArray[np.bool_]:
    return np.asarray(log["status"].isin(["failed", "rejected"]).to_numpy(), dtype=bool)


def split_rows(log: pd.DataFrame) -> pd.DataFrame:
    """Per row of a simulated log (one with the engine's ``wait_*_h`` columns): the hours
    from ``ready`` to ``end`` split by cause and by class.

    Returns a frame on the log's index with one column per cause of
    :data:`CAUSE_CLASS` (``in_flight`` is always 0: it comes before a release's first
    row) and the class totals ``work_h``, ``designed_h`` and ``avoidable_h``, which add
    up to ``end - ready``. A rework row is all ``rework``; a ``wait`` activity's time is
    ``soak``; an approval's time is ``approval``; ``freeze`` is the part of
    ``wait_environment_h`` spent in a freeze or outside a deployment window
    (``wait_freeze_h``, where the log has it). A row that runs again (``rework``) is all
    ``rework``; a failed try or rejected pass that is not itself a re-run keeps its waits
    (the slot it waited for is still designed) and its own time is ``rework``.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"activity_type": ["wait", "manual"],
    ...     "status": ["succeeded", "succeeded"], "rework": [False, False],
    ...     "wait_serialize_h": [0.0, 0.0], "wait_anchor_h": [2.0, 0.0],
    ...     "wait_environment_h": [0.0, 0.0], "wait_team_h": [0.0, 3.0],
    ...     "offhours_h": [0.0, 0.0], "work_h": [120.0, 1.0]})
    >>> split_rows(log)[["work_h", "designed_h", "avoidable_h"]]
       work_h  designed_h  avoidable_h
    0     0.0       122.0          0.0
    1     1.0         0.0          3.0
    """
    again = _again(log)
    failed = _failed(log) & ~again
    kind = log["activity_type"].astype(str).to_numpy() if "activity_type" in log.columns \
        else np.full(len(log), "manual", dtype=object)
    work = _col(log, "work_h")
    soak = kind == "wait"
    approval = kind == "approval"
    freeze = np.minimum(_col(log, "wait_freeze_h"), _col(log, "wait_environment_h"))
    parts = {
        "work": np.where(soak | approval, 0.0, work),
        "soak": np.where(soak, work, 0.0),
        "approval": np.where(approval, work, 0.0),
        "offhours": _col(log, "offhours_h"),
        "team": _col(log, "wait_team_h"),
        "environment": _col(log, "wait_environment_h") - freeze,
        "freeze": freeze,
        "anchor": _col(log, "wait_anchor_h"),
        "serialize": _col(log, "wait_serialize_h"),
    }
    total = np.sum(list(parts.values()), axis=0) if len(log) else np.zeros(0)
    own = ("work", "soak", "approval", "offhours")  # the try itself, not what it waited for
    spent = np.sum([parts[c] for c in own], axis=0) if len(log) else np.zeros(0)
    out = pd.DataFrame({name: np.where(again | (failed & (name in own)), 0.0, v)
                        for name, v in parts.items()}, index=log.index)
    out["rework"] = np.where(again, total, np.where(failed, spent, 0.0))
    out["in_flight"] = 0.0
    for cls in CLASSES:
        names = [c for c, k in CAUSE_CLASS.items() if k == cls]
        out[f"{cls}_h"] = out[names].sum(axis=1)
    return out


def infer_designed_wait(
    wait_h: FloatArray,
    before_ns: npt.NDArray[np.int64],
    planned_start_ns: npt.NDArray[np.int64],
    anchor_h: FloatArray,
    anchored: npt.NDArray[np.bool_],
) -> FloatArray:
    """The designed part of the waits before executions of a history log.

    What a log can tell, in this order:

    - ``anchor_h`` (not NaN): the log says it (a simulated log read back: its
      ``wait_anchor_h`` plus ``wait_freeze_h``); at most the wait;
    - ``anchored``: the blueprint gives the activity (or phase) a ``not-before`` anchor
      or slot: the whole wait is taken as waiting for it;
    - ``planned_start_ns`` (not NaT): waiting until the planned start is designed, the
      rest (a late start) avoidable;
    - otherwise the wait is avoidable.

    ``before_ns`` is when the wait began (its predecessor's end), int64 ns.
    """
    nat = np.iinfo(np.int64).min
    wait = np.asarray(wait_h, dtype=float)
    planned = (planned_start_ns - before_ns) / 3.6e12
    by_plan = np.where(planned_start_ns != nat, np.clip(planned, 0.0, None), 0.0)
    out = np.where(anchored, wait, by_plan)
    out = np.where(np.isnan(anchor_h), out, anchor_h)
    return np.clip(np.minimum(out, wait), 0.0, None)
