"""Bottlenecks: which phases hold the lead time on each release's realised critical path.

The realised critical path of a completed release is found by walking back from the
execution that ended last, each time to the execution it waited for (its predecessor; see
:func:`waiting_vs_working` for how it is found, with or without a blueprint), until an
execution that waited for nothing but the start of the release. Each execution on the
path is given the time from its predecessor's end to its own end: the wait before it
started plus its own duration. These pieces do not overlap and add up to the lead time,
so the share of each phase adds up to 1 in every release. A phase running beside a longer
one is not on the path and gets nothing: the analysis is parallel-aware.

The walk goes one path *step* at a time for all releases at once (a gather on arrays),
so it takes as many vectorised steps as the longest path has executions, however many
releases there are.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from phasesim.analysis._precedence import precedence
from phasesim.analysis._prepare import (
    BlueprintLike,
    Level,
    PreparedLog,
    hotfix_only,
    resolve,
    timestamps,
)
from phasesim.analysis._tables import hours, label_columns, release_columns

if TYPE_CHECKING:
    from phasesim.analysis.history import History

__all__ = ["bottlenecks", "critical_paths"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Below this many completed releases with the phase, its rank is flagged ``small_sample``.
MIN_RELEASES = 10
_BOOT_CELLS = 5_000_000


@dataclass(frozen=True)
class Contributions:
    """Hours each label holds on the critical path of each completed release."""

    rel: IntArray
    """Release code of each row (completed releases with at least one execution)."""
    lead: FloatArray
    """Lead time (hours) of each release at this level."""
    critical: FloatArray
    """(releases, labels): hours on the path, wait included."""
    waiting: FloatArray
    """(releases, labels): the waiting part of ``critical``."""
    designed: FloatArray
    """(releases, labels): the designed part of ``critical`` (anchors, slots, plans,
    soaks; see :mod:`phasesim.attribution`)."""
    avoidable: FloatArray
    """(releases, labels): the avoidable part of ``critical`` (the other waits, and
    failed, retried and reworked executions)."""
    on_path: BoolArray
    """(releases, labels): the label has an execution on the path."""
    present: BoolArray
    """(releases, labels): the label has an execution in the release."""
    steps: pd.DataFrame
    """One row per path step: row, item, step (1 = first), wait_h, work_h."""


def contributions(
    prepared: PreparedLog,
    level: Level,
    blueprint: BlueprintLike | None = None,
    hotfix_phases: Collection[str] | None = None,
) -> Contributions:
    """Walk the realised critical path of every completed release (vectorised by step).

    Releases made only of hotfix phases are left out (see :func:`bottlenecks`).
    """
    items = prepared.items(level)
    n_labels = len(prepared.phase_ids) if level == "phase" else len(prepared.activity_ids)
    label = items["phase" if level == "phase" else "activity"].to_numpy(dtype=np.int64)
    rel_of = items["rel"].to_numpy(dtype=np.int64)
    start = items["start_ns"].to_numpy(dtype=np.int64)
    end = items["end_ns"].to_numpy(dtype=np.int64)
    prec = precedence(prepared, level, blueprint)
    n_rel = len(prepared.releases)

    level_start = np.full(n_rel, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(level_start, rel_of, start)
    open_rel = prepared.releases["open"].to_numpy(dtype=bool)
    excluded = hotfix_only(prepared, hotfix_phases)
    rel = np.flatnonzero(~open_rel & ~excluded & (prec.last >= 0)).astype(np.int64)
    n = len(rel)
    row_of = np.full(n_rel, -1, dtype=np.int64)
    row_of[rel] = np.arange(n, dtype=np.int64)

    cur = prec.last[rel]
    row = np.arange(n, dtype=np.int64)
    parts_item: list[IntArray] = []
    parts_row: list[IntArray] = []
    parts_depth: list[IntArray] = []
    depth = 0
    while cur.size:
        parts_item.append(cur)
        parts_row.append(row)
        parts_depth.append(np.full(cur.size, depth, dtype=np.int64))
        nxt = prec.pred[cur]
        keep = nxt >= 0
        cur, row = nxt[keep], row[keep]
        depth += 1
    item = np.concatenate(parts_item) if parts_item else np.zeros(0, np.int64)
    prow = np.concatenate(parts_row) if parts_row else np.zeros(0, np.int64)
    pdepth = np.concatenate(parts_depth) if parts_depth else np.zeros(0, np.int64)
    length = np.bincount(prow, minlength=n)
    pred = prec.pred[item]
    before = np.where(pred >= 0, end[np.maximum(pred, 0)], level_start[rel[prow]])
    wait = hours(start[item], before)
    work = hours(end[item], start[item])
    designed, avoidable = _classes(prepared, level, blueprint, item, wait, work, before)
    steps = pd.DataFrame(
        {
            "row": prow,
            "item": item,
            "step": length[prow] - pdepth,
            "wait_h": wait,
            "work_h": work,
            "designed_h": designed,
            "avoidable_h": avoidable,
        }
    )
    # exact ties: executions of the release with the same start and end as a step share
    # its time equally (the walk's pick among them would otherwise decide alone)
    member_step, member_item, tie_size = _tie_members(rel_of, start, end, item)
    steps["ties"] = tie_size - 1
    weight = 1.0 / tie_size[member_step]
    cells = prow[member_step] * n_labels + label[member_item]
    size = n * n_labels
    critical = np.bincount(
        cells, weights=(wait + work)[member_step] * weight, minlength=size
    ).astype(np.float64)
    waiting = np.bincount(cells, weights=wait[member_step] * weight, minlength=size).astype(
        np.float64
    )
    designed_cells = np.bincount(
        cells, weights=designed[member_step] * weight, minlength=size
    ).astype(np.float64)
    avoidable_cells = np.bincount(
        cells, weights=avoidable[member_step] * weight, minlength=size
    ).astype(np.float64)
    on_path = np.bincount(cells, minlength=size).reshape(n, n_labels) > 0
    in_completed = row_of[rel_of] >= 0
    present_cells = row_of[rel_of[in_completed]] * n_labels + label[in_completed]
    present = np.bincount(present_cells, minlength=size).reshape(n, n_labels) > 0
    last_end = end[prec.last[rel]] if n else np.zeros(0, np.int64)
    lead = hours(last_end, level_start[rel])
    return Contributions(
        rel=rel,
        lead=lead,
        critical=critical.reshape(n, n_labels),
        waiting=waiting.reshape(n, n_labels),
        designed=designed_cells.reshape(n, n_labels),
        avoidable=avoidable_cells.reshape(n, n_labels),
        on_path=on_path,
        present=present,
        steps=steps,
    )


def _anchored(
    prepared: PreparedLog, level: Level, blueprint: BlueprintLike | None
) -> BoolArray:
    """Per label code: whether the blueprint gives it a ``not-before`` anchor or slot
    (an activity: its own, or its phase's when nothing in the phase comes before it)."""
    n = len(prepared.phase_ids) if level == "phase" else len(prepared.activity_ids)
    out = np.zeros(n, dtype=bool)
    phases = getattr(blueprint, "phases", None) if blueprint is not None else None
    if not phases:
        return out
    if level == "phase":
        code = {str(p): i for i, p in enumerate(prepared.phase_ids)}
        for phase in phases:
            if getattr(phase, "not_before", None) is not None and phase.id in code:
                out[code[phase.id]] = True
        return out
    anchored_names: set[tuple[str, str]] = set()
    repeated: set[tuple[str, str]] = set()
    for phase in phases:
        in_phase = {a.id for a in phase.activities}
        for act in phase.activities:
            entry = not any(d in in_phase for d in act.depends_on)
            if act.not_before is not None or (phase.not_before is not None and entry):
                anchored_names.update((phase.id, name) for name in {act.id, act.template_id})
            if getattr(act, "for_each", None) is not None:
                repeated.add((phase.id, act.template_id))
    for i, (p, a) in enumerate(zip(prepared.activity_phase, prepared.activity_ids, strict=True)):
        key = (str(prepared.phase_ids[p]), str(a))
        out[i] = key in anchored_names or _template_key(key, repeated) in anchored_names
    return out


def _template_key(key: tuple[str, str], repeated: set[tuple[str, str]]) -> tuple[str, str] | None:
    """The (phase, template) of a for-each instance named ``template[item]`` in the log
    (the engine's naming, :func:`phasesim.blueprint.graph.expand_phase`), else None."""
    phase, name = key
    template, bracket, _ = name.partition("[")
    if bracket and name.endswith("]") and (phase, template) in repeated:
        return (phase, template)
    return None


def _classes(
    prepared: PreparedLog,
    level: Level,
    blueprint: BlueprintLike | None,
    item: IntArray,
    wait: FloatArray,
    work: FloatArray,
    before: IntArray,
) -> tuple[FloatArray, FloatArray]:
    """Designed and avoidable hours of each path step (the rest of wait + work is work).

    Inferred as far as the log allows (see :mod:`phasesim.attribution` and
    ``docs/analysis.md``): a ``wait`` activity's duration is designed; the wait before an
    execution is designed up to what the log says (a simulated log's anchor hours), else
    all of it where the blueprint anchors the activity or phase, else up to its planned
    start; the rest of the wait, and an approval's duration, are avoidable. In a phase
    span the soaks and approvals inside it count (summed, at most its duration); the
    rest of a span is work. At the activity level a retried or reworked execution is
    avoidable as a whole, and a failed one's own duration is avoidable (the wait before
    it keeps its class).
    """
    from phasesim.attribution import infer_designed_wait

    items = prepared.items(level)
    acts = prepared.activities
    if level == "activity":
        soak_h = np.where(acts["soak"].to_numpy(dtype=bool)[item], work, 0.0)
        approval_h = np.where(acts["approval"].to_numpy(dtype=bool)[item], work, 0.0)
        anchor_h = acts["anchor_h"].to_numpy(dtype=float)[item]
    else:
        # a phase span: the soaks inside it (capped by its duration), and the log's anchor
        # hours of the activity that started it
        n_ph = len(prepared.phase_ids)
        key = acts["rel"].to_numpy(dtype=np.int64) * n_ph + acts["phase"].to_numpy(np.int64)
        span_key = items["rel"].to_numpy(dtype=np.int64) * n_ph + items["phase"].to_numpy(
            np.int64)
        a_start = acts["start_ns"].to_numpy(dtype=np.int64)
        a_end = acts["end_ns"].to_numpy(dtype=np.int64)
        dur = np.where(a_end != np.iinfo(np.int64).min, (a_end - a_start) / 3.6e12, 0.0)
        soak_sum = pd.Series(np.where(acts["soak"].to_numpy(dtype=bool), dur, 0.0)).groupby(
            key).sum()
        approval_sum = pd.Series(
            np.where(acts["approval"].to_numpy(dtype=bool), dur, 0.0)
        ).groupby(key).sum()
        first = pd.DataFrame({"key": key, "start": a_start,
                              "anchor": acts["anchor_h"].to_numpy(dtype=float)}) \
            .sort_values(["key", "start"], kind="stable").groupby("key")["anchor"].first()
        step_key = span_key[item]
        soak_h = np.minimum(soak_sum.reindex(step_key).fillna(0.0).to_numpy(dtype=float),
                            work)
        approval_h = np.minimum(
            approval_sum.reindex(step_key).fillna(0.0).to_numpy(dtype=float), work - soak_h
        )
        anchor_h = first.reindex(step_key).to_numpy(dtype=float)
    label = items["phase" if level == "phase" else "activity"].to_numpy(dtype=np.int64)[item]
    anchored = _anchored(prepared, level, blueprint)[label] if len(item) else np.zeros(
        0, dtype=bool)
    planned = items["planned_start_ns"].to_numpy(dtype=np.int64)[item]
    designed_wait = infer_designed_wait(wait, before, planned, anchor_h, anchored)
    designed = designed_wait + soak_h
    avoidable = wait - designed_wait + approval_h
    if level == "activity":
        # a re-run (a retry, rework) is avoidable as a whole; a failed try keeps the
        # class of the wait before it (a slot is still designed), its own time avoidable
        again = (items["retried"].to_numpy(dtype=bool)
                 | items["reworked"].to_numpy(dtype=bool))[item]
        failed = items["failed"].to_numpy(dtype=bool)[item] & ~again
        designed = np.where(again, 0.0, np.where(failed, designed_wait, designed))
        avoidable = np.where(again, wait + work, np.where(failed, wait - designed_wait + work,
                                                         avoidable))
    return designed.astype(np.float64), avoidable.astype(np.float64)


def _tie_members(
    rel_of: IntArray, start: IntArray, end: IntArray, item: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """For each path step, every execution with the same release, start and end.

    Returns ``(member_step, member_item, size)``: one row per (step, tied execution),
    the step itself included, and per step the size of its tie group.
    """
    n = len(rel_of)
    if n == 0 or item.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.ones(item.size, dtype=np.int64)
    order = np.lexsort((end, start, rel_of))
    r, s, e = rel_of[order], start[order], end[order]
    new_group = np.r_[True, (r[1:] != r[:-1]) | (s[1:] != s[:-1]) | (e[1:] != e[:-1])]
    group_sorted = np.cumsum(new_group) - 1
    first = np.flatnonzero(new_group).astype(np.int64)
    counts = np.diff(np.r_[first, n]).astype(np.int64)
    group = np.empty(n, dtype=np.int64)
    group[order] = group_sorted
    g = group[item]
    size = counts[g]
    member_step = np.repeat(np.arange(item.size, dtype=np.int64), size)
    offset = np.arange(member_step.size, dtype=np.int64) - np.repeat(np.cumsum(size) - size, size)
    member_item = order[first[g][member_step] + offset]
    return member_step, member_item.astype(np.int64), size


def critical_paths(
    log: pd.DataFrame | History,
    blueprint: BlueprintLike | None = None,
    *,
    level: Level = "phase",
    hotfix_phases: Collection[str] | None = None,
) -> pd.DataFrame:
    """The realised critical path of every completed release, step by step.

    Parameters
    ----------
    log : pandas.DataFrame or History
        An event log (canonical schema), or a :class:`~phasesim.analysis.History` of one.
    blueprint : Blueprint, optional
        Anything with ``graph`` and ``phase_graph``; its dependencies decide what each
        execution waited for. Without it, the log's ordering does.
    level : {"phase", "activity"}, default "phase"
        Walk phase spans or activity executions.
    hotfix_phases : collection of str, optional
        Phase ids that are hotfixes or rollbacks (by default those whose id contains
        ``hotfix``, ``rollback`` or ``revert``). Releases made only of such phases
        (ad-hoc hotfix releases) are left out; pass ``()`` to keep them.

    Returns
    -------
    pandas.DataFrame
        One row per execution on a path, in path order: ``run``, ``release_id``,
        ``step`` (1 is the first), ``phase_id`` (and ``activity_id``, ``attempt``),
        ``start``, ``end``, ``wait_h`` (from the predecessor's end, or the release
        start, to this start), ``work_h``, ``critical_h`` (their sum), ``share`` (of
        the release's lead time; the shares of a release add up to 1) and ``ties`` (how
        many other executions of the release have exactly this start and end; the
        ranking of :func:`bottlenecks` shares the step's time equally among them).

    Examples
    --------
    ``docs`` runs beside ``build`` and ``test`` and is the longest phase, but ``deploy``
    waited for ``test``, so ``docs`` is not on the path:

    >>> import pandas as pd
    >>> from phasesim.analysis import critical_paths
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> log = pd.DataFrame({
    ...     "release_id": ["r1"] * 4, "phase_id": ["build", "docs", "test", "deploy"],
    ...     "start": t("2026-01-05 00:00", "2026-01-05 00:00", "2026-01-05 02:00",
    ...                "2026-01-05 06:00"),
    ...     "end": t("2026-01-05 02:00", "2026-01-05 05:00", "2026-01-05 06:00",
    ...              "2026-01-05 08:00")})
    >>> critical_paths(log)[["step", "phase_id", "wait_h", "work_h", "share"]]
       step phase_id  wait_h  work_h  share
    0     1    build     0.0     2.0   0.25
    1     2     test     0.0     4.0   0.50
    2     3   deploy     0.0     2.0   0.25
    """
    frame, prepared, blueprint, hotfix_phases = resolve(log, blueprint, hotfix_phases)
    phase_level = level == "phase"
    level = walk_level(frame, blueprint, level)
    contrib = shared_walk(log, prepared, level, blueprint, hotfix_phases)
    items = prepared.items(level)
    steps = contrib.steps
    rel = contrib.rel[steps["row"].to_numpy(dtype=np.int64)]
    item = steps["item"].to_numpy(dtype=np.int64)
    step = steps["step"].to_numpy(dtype=np.int64)
    order = np.lexsort((step, rel))
    rel, item, step = rel[order], item[order], step[order]
    label = items["phase" if level == "phase" else "activity"].to_numpy(dtype=np.int64)
    out = pd.concat(
        [release_columns(prepared, rel), label_columns(prepared, level, label[item])], axis=1
    )
    out.insert(2, "step", step)
    if level == "activity":
        out["attempt"] = items["attempt"].to_numpy()[item]
    out["start"] = timestamps(items["start_ns"].to_numpy()[item])
    out["end"] = timestamps(items["end_ns"].to_numpy()[item])
    out["wait_h"] = steps["wait_h"].to_numpy()[order]
    out["work_h"] = steps["work_h"].to_numpy()[order]
    out["critical_h"] = out["wait_h"] + out["work_h"]
    out["designed_h"] = steps["designed_h"].to_numpy()[order]
    out["avoidable_h"] = steps["avoidable_h"].to_numpy()[order]
    out["ties"] = steps["ties"].to_numpy()[order]
    if phase_level and level == "activity":
        out = out.drop(columns=["activity_id", "attempt"])
    lead = contrib.lead[steps["row"].to_numpy(dtype=np.int64)[order]]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share"] = np.where(lead > 0, out["critical_h"].to_numpy() / lead, np.nan)
    return out


def _boot_counts(rng: np.random.Generator, n: int, n_boot: int
                 ) -> Iterator[npt.NDArray[np.float64]]:
    """Bootstrap resampling counts (how often each release is drawn), chunk by chunk.

    One buffer of counts is reused for every chunk (use each before asking for the
    next): holding all 1,000 x n counts at once cost 800 MB at 100,000 releases, and
    filling fresh memory was most of the time."""
    chunk = max(1, min(n_boot, _BOOT_CELLS // max(n, 1)))
    buffer = np.empty((chunk, n), dtype=np.float64)
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        draws = rng.integers(0, n, size=(b, n))
        # one bincount per resample: its n counters stay in cache (one bincount over
        # b * n offset draws scatters into b * n of them, twice as slow on 100,000)
        counts = buffer[:b]
        for i in range(b):
            counts[i] = np.bincount(draws[i], minlength=n)
        del draws
        yield counts
        done += b


def bottlenecks(
    log: pd.DataFrame | History,
    blueprint: BlueprintLike | None = None,
    *,
    level: Level = "phase",
    n_boot: int = 1000,
    seed: int | np.random.Generator | None = 0,
    min_releases: int = MIN_RELEASES,
    confidence: float = 0.95,
    hotfix_phases: Collection[str] | None = None,
) -> pd.DataFrame:
    """Rank phases (or activities) by the lead time they hold on the critical path.

    For every completed release the realised critical path is walked back from the
    execution that ended last (see :func:`critical_paths`); each execution on it holds
    the wait before it plus its own duration. Per phase this gives, averaged over the
    completed releases (releases where the phase is not on the path count as 0):

    - ``critical_share``: the share of the lead time it holds (these add up to 1);
    - ``wait_share``: the part of that share spent waiting before it started;
    - ``var_share``: its share of the lead-time variance,
      ``cov(critical_h, lead_time) / var(lead_time)`` (these add up to 1 too): what
      makes lead times unpredictable, rather than long.

    Confidence intervals come from resampling releases with replacement (``n_boot``
    times, seeded). Ranks come with the interval of the rank over the resamples.

    Parameters
    ----------
    log : pandas.DataFrame or History
        An event log (canonical schema), historical or simulated, or a
        :class:`~phasesim.analysis.History` of one.
    blueprint : Blueprint, optional
        Anything with ``graph`` and ``phase_graph``; its dependencies decide what each
        execution waited for. Without it, the log's ordering does.
    level : {"phase", "activity"}, default "phase"
        Rank phases or activities.
    n_boot : int, default 1000
        Bootstrap resamples; 0 skips the intervals.
    seed : int, numpy.random.Generator or None, default 0
        Seed of the bootstrap.
    min_releases : int, default 10
        Flag ``small_sample`` where fewer completed releases ran the phase.
    confidence : float, default 0.95
        Coverage of the intervals.
    hotfix_phases : collection of str, optional
        Phase ids that are hotfixes or rollbacks (by default those whose id contains
        ``hotfix``, ``rollback`` or ``revert``). Releases made only of such phases
        (ad-hoc hotfix releases) are left out, as their lead time is the hotfix itself
        (:func:`delivery_metrics` reports them); pass ``()`` to keep them. A hotfix phase
        inside a release is ranked like any other phase.

    Returns
    -------
    pandas.DataFrame
        One row per phase (``phase_id``) or activity (``phase_id``, ``activity_id``),
        best ranked first: ``rank``, ``rank_low``, ``rank_high``, ``releases``
        (completed releases that ran it), ``on_path_rate``, ``critical_h_mean``,
        ``wait_h_mean``, ``critical_share``, ``critical_share_low``,
        ``critical_share_high``, ``wait_share``, ``var_share``, ``var_share_low``,
        ``var_share_high``, ``small_sample``. ``attrs["ties"]`` is the number of path
        steps whose time was shared among executions with exactly the same start and
        end (equal shares; see :func:`critical_paths`).

    Examples
    --------
    >>> import pandas as pd
    >>> from phasesim.analysis import bottlenecks
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> log = pd.DataFrame({
    ...     "release_id": ["r1", "r1", "r2", "r2"],
    ...     "phase_id": ["build", "deploy", "build", "deploy"],
    ...     "start": t("2026-01-05 00:00", "2026-01-05 01:00",
    ...                "2026-01-12 00:00", "2026-01-12 03:00"),
    ...     "end": t("2026-01-05 01:00", "2026-01-05 02:00",
    ...              "2026-01-12 03:00", "2026-01-12 04:00")})
    >>> bottlenecks(log, n_boot=0)[["phase_id", "rank", "critical_share", "var_share"]]
      phase_id  rank  critical_share  var_share
    0    build     1           0.625        1.0
    1   deploy     2           0.375        0.0
    """
    frame, prepared, blueprint, hotfix_phases = resolve(log, blueprint, hotfix_phases)
    walk = walk_level(frame, blueprint, level)
    contrib = shared_walk(log, prepared, walk, blueprint, hotfix_phases)
    if walk != level:
        # walked over executions: each activity's hours go to its phase, one row a phase
        contrib = _to_phases(prepared, contrib)
    out = _rank(prepared, level, contrib, n_boot, seed, min_releases, confidence)
    out.attrs["ties"] = int((contrib.steps["ties"].to_numpy() > 0).sum())
    out.attrs["walked"] = "executions" if walk != level else level
    return out


def per_phase(
    prepared: PreparedLog, values: npt.NDArray[np.float64] | BoolArray
) -> FloatArray:
    """A (releases x activities) table summed into (releases x phases): each activity's
    column goes to its phase."""
    out = np.zeros((len(values), len(prepared.phase_ids)), dtype=np.float64)
    np.add.at(out.T, prepared.activity_phase, values.T)
    return out


def _to_phases(prepared: PreparedLog, contrib: Contributions) -> Contributions:
    """Activity-level contributions summed per phase (on the path, present: any of its
    activities)."""
    return replace(
        contrib,
        critical=per_phase(prepared, contrib.critical),
        waiting=per_phase(prepared, contrib.waiting),
        designed=per_phase(prepared, contrib.designed),
        avoidable=per_phase(prepared, contrib.avoidable),
        on_path=per_phase(prepared, contrib.on_path) > 0,
        present=per_phase(prepared, contrib.present) > 0,
    )


def walk_level(log: pd.DataFrame, blueprint: BlueprintLike | None, level: Level) -> Level:
    """The level the critical path is walked at: activity executions when phases were
    assumed (each phase is one activity, and its span would swallow loops back to it)."""
    return "activity" if level == "phase" and _phases_assumed(log, blueprint) else level


def shared_walk(
    data: object,
    prepared: PreparedLog,
    level: Level,
    blueprint: BlueprintLike | None,
    hotfix_phases: Collection[str] | None,
) -> Contributions:
    """:func:`contributions`, walked once per History (and level, blueprint, hotfix
    phases) when ``data`` is one."""
    from phasesim.analysis.history import History

    if isinstance(data, History):
        return data.walk(level, blueprint, hotfix_phases)
    return contributions(prepared, level, blueprint, hotfix_phases)


def _phases_assumed(log: pd.DataFrame, blueprint: BlueprintLike | None) -> bool:
    """Whether every phase of ``log`` is an activity standing for itself.

    So it is when :func:`phasesim.read_log` read a log without a phase column (each
    activity became its own phase), or when every row's phase is named as its activity.
    A phase's span then runs from its first execution to its last and swallows whatever
    ran in between (a loop back to it); the walk goes over its executions instead. With a
    blueprint, its phase graph decides and nothing is changed.
    """
    if blueprint is not None or "activity_id" not in log.columns or len(log) == 0:
        return False
    for record in log.attrs.get("audit") or []:
        if (
            isinstance(record, dict)
            and record.get("rule") == "phase_assumed"
            and int(record.get("count", 0) or 0) > 0
        ):
            return True
    act = log["activity_id"]
    if act.isna().any():
        return False
    return bool((log["phase_id"].astype(str) == act.astype(str)).all())


def _rank(
    prepared: PreparedLog,
    level: Level,
    contrib: Contributions,
    n_boot: int,
    seed: int | np.random.Generator | None,
    min_releases: int,
    confidence: float,
) -> pd.DataFrame:
    usable = contrib.lead > 0
    crit = contrib.critical[usable]
    wait = contrib.waiting[usable]
    lead = contrib.lead[usable]
    n, k = crit.shape
    labels = prepared.labels(level)
    codes = labels.index.to_numpy(dtype=np.int64)
    releases = contrib.present[usable].sum(axis=0)
    shown = codes[releases[codes] > 0]
    cols = [
        "rank",
        "rank_low",
        "rank_high",
        "releases",
        "on_path_rate",
        "critical_h_mean",
        "wait_h_mean",
        "work_h_mean",
        "designed_h_mean",
        "avoidable_h_mean",
        "critical_share",
        "critical_share_low",
        "critical_share_high",
        "wait_share",
        "var_share",
        "var_share_low",
        "var_share_high",
        "small_sample",
    ]
    base = label_columns(prepared, level, shown)
    if n == 0 or len(shown) == 0:
        empty = base.iloc[0:0].copy()
        for c in cols:
            empty[c] = pd.Series(dtype=bool if c == "small_sample" else float)
        return empty

    share = crit / lead[:, None]
    wshare = wait / lead[:, None]
    crit_share = share.mean(axis=0)
    var_share = _var_share(
        crit.mean(0), (crit * lead[:, None]).mean(0), lead.mean(), (lead**2).mean()
    )
    # best first; ties keep flow order
    flow_pos = np.empty(k, dtype=np.int64)
    flow_pos[codes] = np.arange(len(codes))
    order = shown[np.lexsort((flow_pos[shown], -crit_share[shown]))]

    low = np.full((2, k), np.nan)
    high = np.full((2, k), np.nan)
    rank_low = np.full(k, np.nan)
    rank_high = np.full(k, np.nan)
    if n_boot > 0:
        rng = np.random.default_rng(seed)
        stack = np.hstack([share, crit * lead[:, None], crit, lead[:, None], lead[:, None] ** 2])
        sums = np.vstack([c @ stack for c in _boot_counts(rng, n, n_boot)]) / n
        b_share = sums[:, :k]
        b_var = _var_share(
            sums[:, 2 * k : 3 * k], sums[:, k : 2 * k], sums[:, 3 * k], sums[:, 3 * k + 1]
        )
        alpha = (1.0 - confidence) / 2.0
        low[0], high[0] = np.quantile(b_share, [alpha, 1 - alpha], axis=0)
        with np.errstate(invalid="ignore"):
            low[1], high[1] = (
                np.nanquantile(b_var, [alpha, 1 - alpha], axis=0)
                if np.isfinite(b_var).any()
                else (np.full(k, np.nan), np.full(k, np.nan))
            )
        # ``shown`` is in flow order, so a stable sort breaks ties by flow order
        sub = b_share[:, shown]
        ranks = np.empty_like(sub)
        ranks[np.arange(sub.shape[0])[:, None], np.argsort(-sub, axis=1, kind="stable")] = (
            np.arange(1, len(shown) + 1)
        )
        rank_low[shown] = np.quantile(ranks, alpha, axis=0, method="lower")
        rank_high[shown] = np.quantile(ranks, 1 - alpha, axis=0, method="higher")

    out = label_columns(prepared, level, order)
    out["rank"] = np.arange(1, len(order) + 1, dtype=np.int64)
    # ranks are whole numbers (``<NA>`` without a bootstrap), never ``1.00``
    out["rank_low"] = pd.array(rank_low[order], dtype="Int64")
    out["rank_high"] = pd.array(rank_high[order], dtype="Int64")
    out["releases"] = releases[order].astype(np.int64)
    out["on_path_rate"] = contrib.on_path[usable].mean(axis=0)[order]
    out["critical_h_mean"] = crit.mean(axis=0)[order]
    out["wait_h_mean"] = wait.mean(axis=0)[order]
    designed = contrib.designed[usable].mean(axis=0)[order]
    avoidable = contrib.avoidable[usable].mean(axis=0)[order]
    out["work_h_mean"] = np.clip(crit.mean(axis=0)[order] - designed - avoidable, 0.0, None)
    out["designed_h_mean"] = designed
    out["avoidable_h_mean"] = avoidable
    out["critical_share"] = crit_share[order]
    out["critical_share_low"] = low[0][order]
    out["critical_share_high"] = high[0][order]
    out["wait_share"] = wshare.mean(axis=0)[order]
    out["var_share"] = var_share[order]
    out["var_share_low"] = low[1][order]
    out["var_share_high"] = high[1][order]
    out["small_sample"] = releases[order] < min_releases
    return out


def _var_share(
    mean_c: FloatArray, mean_cl: FloatArray, mean_l: FloatArray | float, mean_l2: FloatArray | float
) -> FloatArray:
    """``cov(C, L) / var(L)`` from first and second moments (row-wise for resamples)."""
    ml = np.asarray(mean_l, dtype=float)
    var = np.asarray(mean_l2, dtype=float) - ml**2
    cov = mean_cl - mean_c * (ml[..., None] if ml.ndim else ml)
    var_b = var[..., None] if var.ndim else var
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.abs(np.asarray(mean_l2, dtype=float))
        tiny = np.asarray(var_b <= 1e-12 * (scale[..., None] if scale.ndim else scale))
        return np.where(tiny, np.nan, cov / np.where(tiny, 1.0, var_b))
