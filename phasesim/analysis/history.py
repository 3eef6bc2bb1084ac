"""A prepared release history: the log turned into the analyses' tables once, and shared.

Every analysis starts by turning the log into integer-coded tables (``prepare``), and
those that rank bottlenecks walk the critical path of every release. A :class:`History`
does both once and hands them to each analysis it runs, so a notebook (or the report)
holding one pays for them once::

    h = phasesim.History(log, blueprint)
    h.bottlenecks(); h.phase_stats(); h.lead_times(); h.trends("W")

Each method is the function of the same name (``phasesim.bottlenecks(log, ...)``) with
the History's blueprint and hotfix phases; the functions also take a History in place of
the log.
"""

from __future__ import annotations

import html
import importlib
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from phasesim.analysis import _prepare
from phasesim.analysis._prepare import NAT, BlueprintLike, Level, PreparedLog

if TYPE_CHECKING:
    from phasesim.analysis.bottlenecks import Contributions

__all__ = ["History"]


def _key(hotfix_phases: Collection[str] | None) -> tuple[str, ...] | None:
    return None if hotfix_phases is None else tuple(sorted(str(p) for p in hotfix_phases))


class History:
    """An event log prepared once for every analysis.

    Parameters
    ----------
    log : pandas.DataFrame
        An event log (canonical schema): from :func:`phasesim.read_log`, or simulated.
    blueprint : Blueprint, optional
        Dependencies for waiting and the critical path (see :func:`bottlenecks`).
    hotfix_phases : collection of str, optional
        Phase ids that are hotfixes or rollbacks (see :func:`delivery_metrics`).

    Notes
    -----
    The log is prepared on first use and kept: change the log and build a new History.
    Critical-path walks are kept per level (and blueprint and hotfix phases), so
    ``bottlenecks`` and ``trends`` walk once between them.

    Examples
    --------
    >>> import pandas as pd
    >>> from phasesim import History
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> log = pd.DataFrame({
    ...     "release_id": ["r1", "r1", "r2", "r2"],
    ...     "phase_id": ["build", "deploy", "build", "deploy"],
    ...     "start": t("2026-01-05 00:00", "2026-01-05 01:00",
    ...                "2026-01-12 00:00", "2026-01-12 03:00"),
    ...     "end": t("2026-01-05 01:00", "2026-01-05 02:00",
    ...              "2026-01-12 03:00", "2026-01-12 04:00")})
    >>> h = History(log)
    >>> h
    History(2 releases (2 completed), 2 phases, 2026-01-05 to 2026-01-12)
    >>> h.bottlenecks(n_boot=0)[["phase_id", "critical_share"]]
      phase_id  critical_share
    0    build           0.625
    1   deploy           0.375
    >>> h.lead_times()["lead_time_h"].tolist()
    [2.0, 4.0]
    """

    def __init__(
        self,
        log: pd.DataFrame,
        blueprint: BlueprintLike | None = None,
        *,
        hotfix_phases: Collection[str] | None = None,
    ) -> None:
        self.log: pd.DataFrame = log.log if isinstance(log, History) else log
        self.blueprint = blueprint
        self.hotfix_phases = hotfix_phases
        self._prepared: PreparedLog | None = None
        self._walks: dict[tuple[Any, ...], tuple[Any, Contributions]] = {}

    @property
    def prepared(self) -> PreparedLog:
        """The integer-coded tables every analysis starts from (prepared on first use)."""
        if self._prepared is None:
            self._prepared = _prepare.prepare(self.log)
        return self._prepared

    def walk(
        self,
        level: Level,
        blueprint: BlueprintLike | None,
        hotfix_phases: Collection[str] | None,
    ) -> Contributions:
        """The critical-path walk of every completed release at ``level`` (kept)."""
        module = importlib.import_module("phasesim.analysis.bottlenecks")
        key = (level, id(blueprint), _key(hotfix_phases))
        kept = self._walks.get(key)
        if kept is None or kept[0] is not blueprint:
            kept = (blueprint, module.contributions(self.prepared, level, blueprint,
                                                    hotfix_phases))
            self._walks[key] = kept
        return kept[1]

    # -- the analyses ----------------------------------------------------------------------

    def bottlenecks(self, *, level: Level = "phase", **options: Any) -> pd.DataFrame:
        """:func:`phasesim.bottlenecks` of this history."""
        from phasesim.analysis.bottlenecks import bottlenecks

        return bottlenecks(self, self.blueprint, level=level, **options)

    def critical_paths(self, *, level: Level = "phase") -> pd.DataFrame:
        """:func:`phasesim.critical_paths` of this history."""
        from phasesim.analysis.bottlenecks import critical_paths

        return critical_paths(self, self.blueprint, level=level)

    def lead_times(self) -> pd.DataFrame:
        """:func:`phasesim.lead_times` of this history."""
        from phasesim.analysis.stats import lead_times

        return lead_times(self)

    def phase_stats(self, **options: Any) -> pd.DataFrame:
        """:func:`phasesim.phase_stats` of this history."""
        from phasesim.analysis.stats import phase_stats

        return phase_stats(self, **options)

    def activity_stats(self, **options: Any) -> pd.DataFrame:
        """:func:`phasesim.activity_stats` of this history."""
        from phasesim.analysis.stats import activity_stats

        return activity_stats(self, **options)

    def waiting_vs_working(self, *, level: Level = "phase") -> pd.DataFrame:
        """:func:`phasesim.waiting_vs_working` of this history."""
        from phasesim.analysis.stats import waiting_vs_working

        return waiting_vs_working(self, self.blueprint, level=level)

    def planned_vs_actual(self) -> pd.DataFrame:
        """:func:`phasesim.planned_vs_actual` of this history."""
        from phasesim.analysis.stats import planned_vs_actual

        return planned_vs_actual(self)

    def work_in_progress(self) -> pd.DataFrame:
        """:func:`phasesim.work_in_progress` of this history."""
        from phasesim.analysis.stats import work_in_progress

        return work_in_progress(self)

    def trends(self, freq: str = "MS", *, level: Level = "phase") -> pd.DataFrame:
        """:func:`phasesim.trends` of this history."""
        from phasesim.analysis.trends import trends

        return trends(self, freq, blueprint=self.blueprint, level=level)

    def delivery_metrics(self, freq: str = "MS") -> pd.DataFrame:
        """:func:`phasesim.delivery_metrics` of this history."""
        from phasesim.analysis.trends import delivery_metrics

        return delivery_metrics(self, freq)

    # -- display ---------------------------------------------------------------------------

    def _summary(self) -> dict[str, Any]:
        p = self.prepared
        releases = p.releases
        start = releases["start_ns"].to_numpy(dtype=np.int64)
        started = start[start != NAT]
        done = int((~releases["open"].to_numpy(dtype=bool) & (start != NAT)).sum())
        span = ""
        if started.size:
            first, last = (pd.Timestamp(int(v), tz="UTC") for v in (started.min(),
                                                                      started.max()))
            span = f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"
        return {"releases": len(releases), "completed": done, "phases": len(p.phase_ids),
                "activities": len(p.activity_ids), "span": span}

    def __repr__(self) -> str:
        s = self._summary()
        text = f"History({s['releases']} releases ({s['completed']} completed), "
        text += f"{s['phases']} phases"
        if s["activities"]:
            text += f", {s['activities']} activities"
        if s["span"]:
            text += f", {s['span']}"
        return text + ")"

    def _repr_html_(self) -> str:
        s = self._summary()
        leads = self.lead_times()["lead_time_h"].dropna()
        rows = [
            ("releases", f"{s['releases']} ({s['completed']} completed)"),
            ("phases", str(s["phases"])),
            ("activities", str(s["activities"])),
            ("started", s["span"] or "n/a"),
            ("median lead time", f"{leads.median():.1f} h" if len(leads) else "n/a"),
            ("blueprint", "yes" if self.blueprint is not None else "no (the log's order)"),
        ]
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                       f"<td>{html.escape(v)}</td></tr>" for k, v in rows)
        methods = ", ".join(f"<code>.{m}()</code>" for m in (
            "bottlenecks", "phase_stats", "activity_stats", "lead_times", "trends",
            "delivery_metrics", "waiting_vs_working", "critical_paths"))
        return (f"<div><b>History</b><table>{body}</table>"
                f"<p style='font-size:smaller'>{methods}</p></div>")
