"""A log as it looked at a moment: what a forecast made then could have known."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["log_as_of"]


def log_as_of(log: pd.DataFrame, now: Any) -> pd.DataFrame:
    """Return ``log`` as it stood at ``now`` (a timezone-aware moment).

    - an execution that ended at or before ``now`` is kept as it is;
    - one that started before ``now`` and ended after it (or has no end) was running:
      it is kept with status ``in_progress`` and no end;
    - everything else (started at or after ``now``, or never started) had not happened
      and is left out.

    Planned dates are kept: a plan is known before the work. The counts of kept, cut
    and left-out rows are in ``attrs["as_of"]``. Nothing after ``now`` can leak: the
    result depends only on rows that started before ``now``, and on those only through
    whether they had ended by then.

    >>> import pandas as pd
    >>> log = pd.DataFrame({"status": ["succeeded", "succeeded", "succeeded"],
    ...     "start": pd.to_datetime(["2026-01-05 09:00", "2026-01-05 10:00",
    ...                              "2026-01-05 13:00"], utc=True),
    ...     "end": pd.to_datetime(["2026-01-05 10:00", "2026-01-05 14:00",
    ...                            "2026-01-05 15:00"], utc=True)})
    >>> log_as_of(log, "2026-01-05 12:00Z")["status"].tolist()
    ['succeeded', 'in_progress']
    """
    when = pd.Timestamp(now)
    if when.tzinfo is None:
        raise ValueError(f"now={now!r} has no timezone: give one (e.g. '2026-03-02 09:00Z')")
    started = log["start"].notna() & (log["start"] < when)
    running = started & (log["end"].isna() | (log["end"] > when))
    out = log.loc[started].copy()
    hit = running.loc[started]
    if hit.any():
        out.loc[hit, "end"] = pd.NaT
        out["status"] = out["status"].astype("string")
        out.loc[hit, "status"] = "in_progress"
    out.attrs = dict(log.attrs)
    out.attrs["as_of"] = {
        "now": when,
        "kept": int(started.sum() - running.sum()),
        "running": int(running.sum()),
        "not_yet": int((~started).sum()),
    }
    return out
