"""Discover a blueprint from a release log: ``discover(log) -> Discovery``.

The structure (phases, their order and parallelism, the activity DAG inside each phase,
rework loops, optional activities, teams, a calendar, weekly anchors and planned slots,
the cadence) is read from the interval log; durations, approval waits, failure and
rejection rates are then fitted by :func:`phasesim.calibrate`. See ``docs/discover.md``.
"""

from phasesim.discovery.discover import Discovery, discover

__all__ = ["Discovery", "discover"]
