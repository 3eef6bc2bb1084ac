"""One vocabulary for how a release ended, derived in one place (see docs/event-log.md).

``succeeded``
    it finished, and no rollback or hotfix phase ran.
``succeeded_after_rollback``
    it finished after a rollback or hotfix phase ran (a failure was fixed and the
    release went on: ``resume: true`` in a blueprint).
``failed``
    it ended in a failure: the last thing the change itself did (outside rollback and
    hotfix phases) failed or was rejected, or it was rolled back and not resumed, or an
    activity failed all its tries (``on-failure: abort``).
``aborted``
    it was stopped without a failure of its own: its last execution was cancelled
    (``aborted``), or the simulator gave up on it at the rework cap.
``in_progress``
    anything in it is still running.

Finished releases (``succeeded``, ``succeeded_after_rollback``, ``failed``) have a lead
time; aborted and in-progress ones are left out of lead-time figures.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "ABORTED",
    "AFTER_ROLLBACK",
    "FAILED",
    "FINISHED",
    "IN_PROGRESS",
    "LABELS",
    "OUTCOMES",
    "SHIPPED",
    "SUCCEEDED",
    "outcomes",
]

SUCCEEDED: Final = "succeeded"
AFTER_ROLLBACK: Final = "succeeded_after_rollback"
FAILED: Final = "failed"
ABORTED: Final = "aborted"
IN_PROGRESS: Final = "in_progress"
#: Every outcome, in display order.
OUTCOMES: Final = (SUCCEEDED, AFTER_ROLLBACK, FAILED, ABORTED, IN_PROGRESS)
#: Outcomes with a lead time.
FINISHED: Final = (SUCCEEDED, AFTER_ROLLBACK, FAILED)
#: Outcomes where the change went out.
SHIPPED: Final = (SUCCEEDED, AFTER_ROLLBACK)
#: Words for tables and plots.
LABELS: Final[dict[str, str]] = {
    SUCCEEDED: "succeeded",
    AFTER_ROLLBACK: "succeeded after rollback",
    FAILED: "failed",
    ABORTED: "aborted",
    IN_PROGRESS: "in progress",
}


def outcomes(
    final_status: npt.ArrayLike,
    *,
    open_: npt.ArrayLike | None = None,
    rolled_back: npt.ArrayLike | None = None,
    capped: npt.ArrayLike | None = None,
) -> npt.NDArray[np.object_]:
    """The outcome of each release.

    Parameters
    ----------
    final_status : array of str
        The status of the release's last execution outside rollback and hotfix phases
        (``succeeded``, ``failed``, ``rejected``, ``aborted``, ``skipped``); for the
        simulator, its release status.
    open_ : array of bool, optional
        Anything in the release is still running.
    rolled_back : array of bool, optional
        A rollback or hotfix phase ran in the release.
    capped : array of bool, optional
        The simulator gave up on the release at the rework cap.

    Examples
    --------
    >>> outcomes(["succeeded", "succeeded", "failed", "aborted", "rejected"],
    ...          rolled_back=[False, True, True, False, False]).tolist()
    ['succeeded', 'succeeded_after_rollback', 'failed', 'aborted', 'failed']
    """
    status = np.asarray(final_status, dtype=object).astype(str)
    n = len(status)

    def flags(values: npt.ArrayLike | None) -> npt.NDArray[np.bool_]:
        return np.zeros(n, dtype=bool) if values is None else np.asarray(values, dtype=bool)

    out = np.where(flags(rolled_back), AFTER_ROLLBACK, SUCCEEDED).astype(object)
    out[np.isin(status, ("failed", "rejected"))] = FAILED
    out[status == "aborted"] = ABORTED
    out[flags(capped)] = ABORTED
    out[flags(open_) | (status == "in_progress")] = IN_PROGRESS
    return out
