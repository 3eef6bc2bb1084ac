"""``discover``: a blueprint from an event log, with the evidence behind every element.

The rules, in the order they are applied (``docs/discover.md`` has the details):

1. **Releases and passes.** A release is a ``(run, release_id)``. For every release and
   activity the *first start* (the earliest start of any try) and the *done* time (the
   end of its first succeeded try, else its last end) are taken; the instances of a
   ``for-each`` activity (``fix[api]``) pool into their activity (``fix``).
2. **Rollback phases.** A phase that runs in only some releases, and in each of them only
   after a failed try of an activity of another phase, is a rollback phase
   (``rollback: true``; ``resume: true`` when the failed activity runs again after it).
3. **Order.** ``B`` depends on ``A`` (phases, or activities of one phase) when ``B``
   starts at or after ``A`` is done in at least ``min_support`` of the releases that ran
   both. Candidates are ordered by their median start (relative to the release start), so
   the graph is acyclic; transitive edges are removed (``networkx.transitive_reduction``).
   Pairs without such support overlap: they run concurrently.
4. **Optional activities.** An activity that ran in fewer than ``leave_out_below`` of the
   complete releases of its phase is left out (counted in :attr:`Discovery.left_out`);
   one that ran in fewer than all of them gets ``if: <+releaseInput.run_ID> == true`` on a
   generated boolean input whose description gives the observed frequency (default true
   when it ran in at least half).
5. **Loops.** A rejected approval whose release runs earlier work again gets
   ``reject.goto`` the first activity (or phase) that ran again; an automated activity
   with failed tries gets ``failure`` (``on-failure``: the rollback phase that followed,
   else ``abort``), whose ``retries`` and probability :func:`~phasesim.calibrate` fits.
6. **Teams, calendar.** Every ``owner`` is a team; its capacity is the peak number of its
   manual activities running at once. The calendar is read from the weekday x hour
   histogram of the starts and ends of manual work and approvals: an hour is working time
   when it holds at least ``working_share`` of those events.
7. **Anchors and slots.** When at least ``anchor_share`` of an activity's starts fall on
   one weekday and minute (in ``timezone``), most of them held after the activity was
   ready, it gets ``not-before``: a planned slot ``{at, week}`` when they all fall in the
   same week of the release, else a weekly anchor.
8. **Cadence** from the release starts: weekly (every ``n`` weeks on a weekday and time)
   when the gaps are whole weeks, a fixed interval when they are all equal, else the
   empirical gaps as random arrivals.
9. **Durations, waits, rates**: :func:`phasesim.calibrate` on the skeleton built from
   1-8 (working hours of the discovered calendar for manual work and approvals).
"""

from __future__ import annotations

import html
import os
import re
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import yaml

from phasesim.blueprint import Blueprint, load_blueprint
from phasesim.blueprint.dump import _Dumper, blueprint_to_data
from phasesim.errors import LogError, PhasesimError, Problem
from phasesim.eventlog import read_log, validate_log

__all__ = ["Discovery", "discover"]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                  "sunday")
_ITEM = re.compile(r"^(?P<template>[^\[]+)\[(?P<item>.*)\]$")
_ID_BAD = re.compile(r"[^A-Za-z0-9_-]")
_TOL_H = 1e-6  # an hour's tolerance for "at or after" (float epoch hours)
_HOLD_H = 1 / 60  # a start more than a minute after ready was held

EVIDENCE_COLUMNS = ("element", "kind", "phase_id", "activity_id", "n", "support", "value",
                    "detail")


# ---------------------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Discovery:
    """What :func:`discover` returns.

    Attributes
    ----------
    blueprint : Blueprint
        The discovered, calibrated blueprint (validated: loaded from YAML).
    evidence : pandas.DataFrame
        One row per element of the blueprint and per decision: ``element`` (e.g.
        ``"qa.regression"``, ``"build -> qa"``, ``"team QA"``), ``kind`` (phase,
        rollback-phase, phase-dependency, concurrent-phases, activity, dependency,
        concurrent, optional, left-out, for-each, rework, failure, team, calendar,
        not-before, cadence, duration), ``phase_id``, ``activity_id``, ``n`` (releases or
        observations it rests on), ``support`` (the share of them that agree), ``value``
        (what was decided, as text) and ``detail`` (the fit statistics, in words).
    cadence : str, mapping or list
        The release cadence, to pass to :func:`phasesim.simulate` (``cadence=``).
    start : pandas.Timestamp or None
        The first release's start (``simulate(start=...)``).
    left_out : pandas.DataFrame
        Activities left out as too rare: ``phase_id``, ``activity_id``, ``releases``,
        ``frequency``.
    calibration : Calibration
        The fit of durations and rates (:func:`phasesim.calibrate`) on the skeleton.
    params : dict
        The arguments and ``rows``, ``releases`` and ``source`` of the log.
    """

    blueprint: Blueprint
    evidence: pd.DataFrame
    cadence: Any
    start: pd.Timestamp | None
    left_out: pd.DataFrame
    calibration: Any
    params: dict[str, Any] = field(default_factory=dict)
    comments: Mapping[tuple[str, ...], str] = field(default_factory=dict, repr=False)

    # -- output -------------------------------------------------------------------------

    def to_yaml(self, path: str | os.PathLike[str] | None = None) -> str:
        """The blueprint as YAML with a comment on each phase, activity, team, calendar
        and input saying what it rests on; written to ``path`` too when given.
        :func:`phasesim.load_blueprint` reads it back equal to :attr:`blueprint`."""
        text = _commented_yaml(self.blueprint, self.comments, self._header())
        if path is not None:
            with open(path, "w", encoding="utf-8") as out:
                out.write(text)
        return text

    def _header(self) -> str:
        p = self.params
        lines = [
            f"Discovered by phasesim from {p.get('source') or 'a release log'} "
            f"({p.get('rows', 0):,} rows, {p.get('releases', 0):,} releases), "
            f"min_support={p.get('min_support')}.",
            f"Cadence: {_cadence_text(self.cadence)} (simulate(cadence=...)); "
            f"first release {self.start}.",
        ]
        if len(self.left_out):
            lines.append(f"Left out as too rare: {len(self.left_out)} activit"
                         f"{'y' if len(self.left_out) == 1 else 'ies'} ("
                         + ", ".join(f"{r.phase_id}.{r.activity_id} {r.frequency:.0%}"
                                     for r in self.left_out.itertuples()) + ").")
        lines.append("Durations rounded to the minute; probabilities to 3 decimals.")
        return "".join(f"# {line}\n" for line in lines)

    def summary(self) -> str:
        """What was found, in lines of text (what the CLI prints)."""
        bp = self.blueprint
        n_act = sum(1 for _ in bp.iter_activities())
        lines = [f"{len(bp.phases)} phases, {n_act} activities, {len(bp.teams)} teams "
                 f"from {self.params.get('releases', 0):,} releases "
                 f"({self.params.get('rows', 0):,} rows)"]
        ev = self.evidence
        for kind, label in (("phase-dependency", "phase order"),
                            ("dependency", "activity dependencies"),
                            ("concurrent-phases", "parallel phase pairs"),
                            ("rework", "rework loops"), ("failure", "failure/retry"),
                            ("optional", "optional activities"),
                            ("not-before", "anchors and slots")):
            rows = ev[ev["kind"] == kind]
            if len(rows):
                lines.append(f"{label}: " + "; ".join(
                    f"{e} ({v})" if isinstance(v, str) and v else str(e)
                    for e, v in zip(rows["element"], rows["value"], strict=True)))
        for kind in ("team", "calendar", "cadence"):
            rows = ev[ev["kind"] == kind]
            for e, v in zip(rows["element"], rows["value"], strict=True):
                lines.append(f"{e}: {v}")
        if len(self.left_out):
            lines.append(f"left out: {len(self.left_out)} rare activities")
        return "\n".join(lines)

    def __repr__(self) -> str:
        bp = self.blueprint
        return (f"<Discovery of {len(bp.phases)} phases, "
                f"{sum(1 for _ in bp.iter_activities())} activities from "
                f"{self.params.get('releases', 0):,} releases>")

    def _repr_html_(self) -> str:
        head = (f"<h4>Discovered blueprint {html.escape(self.blueprint.name)}</h4><pre>"
                f"{html.escape(self.summary())}</pre>")
        return head + self.evidence.to_html(index=False, escape=True, na_rep="",
                                            float_format=lambda v: f"{v:,.3g}")


def _cadence_text(cadence: Any) -> str:
    if isinstance(cadence, Mapping):
        if "interarrival" in cadence:
            return "random arrivals (empirical gaps)"
        return ", ".join(f"{k}={v}" for k, v in cadence.items())
    if isinstance(cadence, list):
        return f"{len(cadence)} start times"
    return str(cadence)


# ---------------------------------------------------------------------------------------
# YAML with comments
# ---------------------------------------------------------------------------------------


def _dump(data: Any) -> list[str]:
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=None)
    return text.splitlines()


def _commented_yaml(bp: Blueprint, comments: Mapping[tuple[str, ...], str],
                    header: str) -> str:
    lines = _dump(blueprint_to_data(bp))
    out: list[str] = []
    section = ""
    phase = ""
    for i, line in enumerate(lines):
        stripped = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        if line.startswith("  ") and not line.startswith("   ") and stripped.endswith(":"):
            section = stripped[:-1]
        note = None
        if section in ("inputs", "teams", "calendars") and len(indent) == 4 \
                and not stripped.startswith("- "):
            name = yaml.safe_load(stripped.split(":", 1)[0] + ": x")
            key = next(iter(name)) if isinstance(name, dict) else stripped
            note = comments.get((section[:-1] if section != "inputs" else "input", str(key)))
        elif stripped.startswith("- phase:"):
            phase = _item_id(stripped, lines, i)
            note = comments.get(("phase", phase))
        elif stripped.startswith("- activity:"):
            note = comments.get(("activity", phase, _item_id(stripped, lines, i)))
        if note:
            out.extend(f"{indent}# {part}" for part in note.splitlines())
        out.append(line)
    return header + "\n".join(out) + "\n"


def _item_id(stripped: str, lines: list[str], i: int) -> str:
    match = re.search(r"\bid: ([^,}\s]+)", stripped)
    if match:
        return match.group(1)
    nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
    return nxt[4:] if nxt.startswith("id: ") else ""


# ---------------------------------------------------------------------------------------
# Preparing the log
# ---------------------------------------------------------------------------------------


def _hours(values: pd.Series) -> np.ndarray:
    """UTC timestamps as float epoch hours (NaN for NaT)."""
    ns = values.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
    ns[values.isna().to_numpy()] = np.nan
    return ns / 3.6e12


def _map_unique(values: pd.Series, func: Any) -> pd.Series:
    """``values.map(func)``, calling ``func`` once per distinct value (NA stays NA)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([func(u) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def _factor(values: pd.Series, func: Any = str) -> tuple[np.ndarray, np.ndarray]:
    """The codes of ``values`` (``pd.factorize``, -1 for NA) and the table of ``func`` of
    the distinct values, with NaN last (for NA): ``table[codes]`` is the column."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.array([func(u) for u in uniques] + [np.nan], dtype=object)
    return codes, table


def _categories(values: pd.Series | np.ndarray, func: Any = str) -> pd.Categorical:
    """``func`` of ``values`` as a categorical whose categories are sorted (NA stays NA),
    from one ``factorize``: grouping on it groups integer codes, in the order grouping
    on the text would give (sorted, or by first appearance with ``sort=False``)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    names = np.array([func(u) for u in uniques], dtype=object)
    cats, inverse = np.unique(names, return_inverse=True)  # sorted as Python sorts str
    inverse = np.asarray(inverse, dtype=np.int64).reshape(-1)
    new = np.where(codes >= 0, inverse[np.maximum(codes, 0)] if len(inverse) else -1, -1)
    return pd.Categorical.from_codes(new, categories=pd.Index(cats, dtype=object),
                                     validate=False)


def _prepare(log: pd.DataFrame, phases: Any) -> pd.DataFrame:
    """The columns discovery reads, on the log's index: a release code ``rel`` and its
    name ``rel_name``, the ``template`` of each activity, float epoch hours ``s`` and
    ``e``, and the text columns (phase, activity, template, type, owner, status) as
    categoricals with sorted categories: every groupby and comparison on them is one of
    integer codes, and filtering rows copies no text."""
    columns = [c for c in ("run", "release_id", "phase_id", "activity_id", "activity_type",
                           "owner", "status", "start", "end") if c in log.columns]
    src = log[columns]
    activity = src["activity_id"].fillna(src["phase_id"])
    if isinstance(phases, str) and phases == "activities":
        phase: pd.Series = _map_unique(activity, _template)
    elif phases is not None:
        keep = {str(p) for p in phases}
        mask = src["phase_id"].isin(keep).to_numpy()
        src, activity = src[mask], activity[mask]
        phase = src["phase_id"]
    else:
        phase = src["phase_id"]
    frame = pd.DataFrame(index=src.index)
    runs = src["run"].astype("int64")
    # a release is an integer code (grouping by it is far faster than by text)
    if len(runs) and runs.min() != runs.max():  # more than one run
        names = (runs.astype(str) + "|" + src["release_id"].astype(str)).astype(object)
        codes, uniques = pd.factorize(names)
        frame["rel"] = codes.astype("int64")
        frame["rel_name"] = pd.Categorical.from_codes(
            codes, categories=pd.Index(np.asarray(uniques, dtype=object), dtype=object))
    else:
        codes, table = _factor(src["release_id"])
        frame["rel"] = codes.astype("int64")  # as factorize(names): the same order
        frame["rel_name"] = pd.Categorical.from_codes(
            codes, categories=pd.Index(table[:-1], dtype=object))
    frame["phase_id"] = _categories(phase)
    # the activity and its template from one factorize
    act = _categories(activity)
    frame["activity_id"] = act
    tpl = _categories(np.asarray(act.categories, dtype=object), _template)
    frame["template"] = pd.Categorical.from_codes(
        np.where(act.codes >= 0, tpl.codes[np.maximum(act.codes, 0)], -1)
        if len(tpl) else act.codes, categories=tpl.categories)
    for col in ("activity_type", "owner"):
        if col in src.columns:
            frame[col] = _categories(src[col])
    # the status is only compared: as a categorical, a comparison is one of integer codes
    codes, uniques = pd.factorize(src["status"], sort=True, use_na_sentinel=True)
    frame["status"] = pd.Categorical.from_codes(codes, pd.Index([str(u) for u in uniques]))
    frame["s"] = _hours(src["start"])
    frame["e"] = _hours(src["end"])
    return frame


@dataclass(frozen=True)
class _Groups:
    """Rows grouped by integer keys, the groups numbered in the order of their first row
    (as ``groupby(sort=False)``), from one stable sort of the keys (no hashing; none at
    all when the rows come sorted by key, as a log sorted by release and start often
    does).

    ``first`` is the first row of each group; ``reduce`` applies a ufunc's ``reduceat``
    per group (``np.fmin``: the minimum skipping NaN, as pandas' ``min``).
    """

    first: np.ndarray
    order: np.ndarray | None  # rows sorted by key (stable); None: already sorted
    starts: np.ndarray  # where each key's block starts in ``order``
    rank: np.ndarray | None  # group number of each block; None: the blocks' order

    @classmethod
    def of(cls, *codes: np.ndarray) -> _Groups:
        key = np.zeros(len(codes[0]), dtype=np.int64)
        for c in codes:
            key *= int(c.max(initial=0)) + 1
            key += c
        new = np.ones(len(key), dtype=bool)
        if len(key) and bool((key[1:] >= key[:-1]).all()):  # sorted: blocks in row order
            np.not_equal(key[1:], key[:-1], out=new[1:])
            starts = np.flatnonzero(new)
            return cls(starts, None, starts, None)
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        np.not_equal(sorted_key[1:], sorted_key[:-1], out=new[1:])
        starts = np.flatnonzero(new)
        firsts = order[starts]  # the earliest row of each block (the sort is stable)
        by_first = np.argsort(firsts, kind="stable")
        rank = np.empty(len(starts), dtype=np.int64)
        rank[by_first] = np.arange(len(starts))
        return cls(firsts[by_first], order, starts, rank)

    def reduce(self, ufunc: np.ufunc, values: np.ndarray) -> np.ndarray:
        if not len(self.starts):
            return np.empty(0, dtype=np.float64)
        if self.order is None:
            return np.asarray(ufunc.reduceat(values, self.starts), dtype=np.float64)
        out = np.empty(len(self.starts), dtype=np.float64)
        out[self.rank] = ufunc.reduceat(values[self.order], self.starts)
        return out


def _dense(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of non-negative integer ``codes``, sorted, and each code's
    position among them (no sort and no hashing: a table as long as the largest code)."""
    present = np.zeros(int(codes.max(initial=-1)) + 1, dtype=bool)
    present[codes] = True
    return np.flatnonzero(present), (np.cumsum(present) - 1)[codes]


def _matrices(rows: np.ndarray, columns: np.ndarray, names: pd.Index,
              *values: np.ndarray) -> list[pd.DataFrame]:
    """Each of ``values`` as a release x column matrix: the releases ``rows`` sorted, the
    column codes ``columns`` (one value per pair) sorted and named by ``names``, NaN where
    a pair has no value; what ``Series.unstack`` gives of a (release, categorical)
    index."""
    rels, i = _dense(rows)
    cols, j = _dense(columns)
    index = pd.Index(rels, name="rel")
    labels = pd.Index(np.asarray(names, dtype=object)[cols], dtype=object)
    out = []
    for v in values:
        m = np.full((len(rels), len(cols)), np.nan)
        m[i, j] = v
        out.append(pd.DataFrame(m, index=index, columns=labels))
    return out


def _first_start_and_done(main: pd.DataFrame) -> pd.DataFrame:
    """Per release, phase and template: the first start ``s`` and the done time ``d``.

    Per release and activity (instance) the first start is the earliest start of any
    try and the done time the end of its first succeeded try, else its last end; the
    instances of a template pool (the earliest start, the latest done). The same as
    ``groupby(["rel", "phase_id", "activity_id"], sort=False)`` and then
    ``["rel", "phase_id", "template"]``, on integer codes (grouping on text is slow).
    """
    rel = main["rel"].to_numpy(dtype=np.int64)
    # the codes of the categoricals of _prepare (no factorize of 3 million texts)
    phase_cat = main["phase_id"].array
    act_code = np.asarray(main["activity_id"].array.codes, dtype=np.int64)
    tpl_cat = main["template"].array
    phase_code = np.asarray(phase_cat.codes, dtype=np.int64)
    tpl_code = np.asarray(tpl_cat.codes, dtype=np.int64)
    g1 = _Groups.of(rel, phase_code, act_code)
    start = main["s"].to_numpy(dtype=np.float64)
    end = main["e"].to_numpy(dtype=np.float64)
    s = g1.reduce(np.fmin, start)
    last = g1.reduce(np.fmax, end)
    ok = (main["status"] == "succeeded").to_numpy()
    succ = g1.reduce(np.fmin, np.where(ok, end, np.nan))
    d = np.where(np.isnan(succ), last, succ)
    first = g1.first
    i_rel, i_phase, i_tpl = rel[first], phase_code[first], tpl_code[first]
    if len(tpl_cat.categories) == len(main["activity_id"].array.categories):
        # no two activities share a template (no for-each instances): the groups by
        # template are the groups by activity, in the same order
        first2 = np.arange(len(first))
        s2, d2 = s, d
    else:
        g2 = _Groups.of(i_rel, i_phase, i_tpl)
        first2 = g2.first
        s2, d2 = g2.reduce(np.fmin, s), g2.reduce(np.fmax, d)
    return pd.DataFrame({
        "rel": i_rel[first2],
        "phase_id": pd.Categorical.from_codes(i_phase[first2],
                                              categories=phase_cat.categories, validate=False),
        "template": pd.Categorical.from_codes(i_tpl[first2], categories=tpl_cat.categories,
                                              validate=False),
        "s": s2,
        "d": d2,
    })


def _template(activity_id: object) -> str:
    match = _ITEM.match(str(activity_id))
    return match.group("template") if match else str(activity_id)


def _safe_id(text: str) -> str:
    out = _ID_BAD.sub("_", str(text)) or "x"
    return out if re.match(r"[A-Za-z_]", out) else f"_{out}"


# ---------------------------------------------------------------------------------------
# Order: dependency graphs from intervals
# ---------------------------------------------------------------------------------------


def _precedence(start: pd.DataFrame, done: pd.DataFrame, rel_start: pd.Series,
                min_support: float) -> tuple[nx.DiGraph, list[dict[str, Any]], list[str]]:
    """Dependencies among the columns of two release x node matrices.

    Returns the transitively reduced graph, one record per candidate pair (support,
    n), and the nodes in their order (median start relative to the release start).
    """
    nodes = list(start.columns)
    offset = start.sub(rel_start.reindex(start.index), axis=0)
    med = offset.median(skipna=True)
    first = {n: i for i, n in enumerate(nodes)}
    order = sorted(nodes, key=lambda n: (med[n] if pd.notna(med[n]) else np.inf, first[n]))
    s = start[order].to_numpy(dtype=float)
    d = done[order].to_numpy(dtype=float)
    graph = nx.DiGraph()
    graph.add_nodes_from(order)
    pairs: list[dict[str, Any]] = []
    for i in range(len(order)):
        for j in range(i + 1, len(order)):
            both = ~np.isnan(s[:, i]) & ~np.isnan(s[:, j]) & ~np.isnan(d[:, i]) \
                & ~np.isnan(d[:, j])
            n = int(both.sum())
            if n == 0:
                continue
            forward = float((s[both, j] >= d[both, i] - _TOL_H).mean())
            backward = float((s[both, i] >= d[both, j] - _TOL_H).mean())
            # the direction the data supports; the median order breaks a tie (zero-length
            # milestones at the same moment support both)
            a, b, support = (order[i], order[j], forward) if forward >= min_support or \
                backward < min_support else (order[j], order[i], backward)
            pairs.append({"a": a, "b": b, "n": n, "support": support,
                          "edge": support >= min_support})
            if support >= min_support:
                graph.add_edge(a, b, support=support)
    # a cycle of supported edges (possible below min_support=1): drop its weakest edge
    while not nx.is_directed_acyclic_graph(graph):
        cycle = nx.find_cycle(graph)
        weakest = min(cycle, key=lambda e: graph.edges[e[0], e[1]]["support"])
        graph.remove_edge(weakest[0], weakest[1])
        for rec in pairs:
            if (rec["a"], rec["b"]) == (weakest[0], weakest[1]):
                rec["edge"] = False
    reduced = nx.transitive_reduction(graph)
    reduced.add_nodes_from(order)
    for rec in pairs:
        rec["kept"] = reduced.has_edge(rec["a"], rec["b"])
    return reduced, pairs, order


# ---------------------------------------------------------------------------------------
# Calendar, teams, anchors, cadence
# ---------------------------------------------------------------------------------------


def _local(hours: np.ndarray, timezone: str) -> pd.DatetimeIndex:
    ns = np.asarray(hours, dtype=np.float64) * 3.6e12
    bad = np.isnan(ns)
    if (ns[~bad] < 0).any():  # before 1970: as to_datetime reads floats
        return pd.DatetimeIndex(pd.to_datetime(ns, utc=True)).tz_convert(timezone)
    # float nanoseconds to int64 truncate as to_datetime does, without its slow path
    whole = np.where(bad, 0.0, ns).astype(np.int64)
    whole[bad] = np.iinfo(np.int64).min  # NaT
    return pd.DatetimeIndex(whole.view("datetime64[ns]")).tz_localize("UTC") \
        .tz_convert(timezone)


def _calendar(work: pd.DataFrame, timezone: str, working_share: float
              ) -> tuple[str | None, dict[str, Any]]:
    """Working hours from the weekday x hour histogram of manual starts and ends."""
    starts = work["s"].to_numpy()
    ends = work["e"].to_numpy() - 1 / 3600  # an end at 17:00:00 is work in the 16:00 hour
    ends = ends[work["e"].to_numpy() > work["s"].to_numpy()]
    events = np.concatenate([starts, ends])
    events = events[~np.isnan(events)]
    if len(events) == 0:
        return None, {}
    local = _local(events, timezone)
    cells = Counter(dict(zip(*np.unique(
        np.asarray(local.day_of_week) * 24 + np.asarray(local.hour), return_counts=True),
        strict=True)))
    cells = Counter({(int(c) // 24, int(c) % 24): int(k) for c, k in cells.items()})
    total = len(events)
    by_day = Counter(local.day_of_week)
    by_hour = Counter(local.hour)
    days = sorted(d for d, k in by_day.items() if k >= working_share * total)
    hours = sorted(h for h, k in by_hour.items() if k >= working_share * total)
    if not days or not hours:
        return None, {}
    lo, hi = hours[0], hours[-1] + 1
    working = {(d, h) for d in days for h in range(lo, hi)}
    info = {"events": total, "days": days, "from": lo, "to": hi,
            "outside": int(sum(k for c, k in cells.items() if c not in working))}
    if len(days) == 7 and lo == 0 and hi == 24:
        return None, info
    return f"{_day_ranges(days)} {lo:02d}:00-{hi:02d}:00", info


def _day_ranges(days: list[int]) -> str:
    groups: list[list[int]] = []
    for d in days:
        if groups and d == groups[-1][-1] + 1:
            groups[-1].append(d)
        else:
            groups.append([d])
    return ",".join(_DAYS[g[0]] if len(g) == 1 else f"{_DAYS[g[0]]}-{_DAYS[g[-1]]}"
                    for g in groups)


def _modal_moment(local: pd.DatetimeIndex) -> tuple[int, int, int, int]:
    """The most common weekday, hour and minute of ``local`` times, and its count."""
    key = (np.asarray(local.day_of_week) * 24 + np.asarray(local.hour)) * 60 \
        + np.asarray(local.minute)
    values, counts = np.unique(key, return_counts=True)
    top = int(np.argmax(counts))  # the first (earliest in the week) of equal counts
    v = int(values[top])
    return v // 1440, (v // 60) % 24, v % 60, int(counts[top])


def _peak(s: np.ndarray, e: np.ndarray) -> int:
    """Most intervals open at once (an end at t closes before a start at t opens)."""
    ok = ~np.isnan(s) & ~np.isnan(e) & (e > s)
    if not ok.any():
        return 0
    times = np.concatenate([s[ok], e[ok]])
    delta = np.concatenate([np.ones(ok.sum()), -np.ones(ok.sum())])
    order = np.lexsort((delta, times))
    return int(np.cumsum(delta[order]).max())


def _cadence(starts: np.ndarray, timezone: str) -> tuple[Any, dict[str, Any]]:
    starts = np.sort(starts[~np.isnan(starts)])
    if len(starts) < 3:
        times = [str(t) for t in _local(starts, "UTC")]
        return times, {"n": len(starts), "support": 1.0, "value": "the start times",
                       "detail": "fewer than 3 releases: their start times"}
    gaps = np.diff(starts)
    med = float(np.median(gaps))
    weeks = round(med / 168)
    if weeks >= 1:
        best: tuple[float, Any, Any, Any] | None = None
        for tz in dict.fromkeys([timezone, "UTC"]):
            local = _local(starts, tz)
            # week numbers (Monday-based, local): a holiday that moves one release to the
            # Tuesday does not break a weekly cadence
            monday = (local.normalize() - pd.to_timedelta(local.day_of_week, unit="D"))
            week_no = np.round((monday.tz_localize(None) - pd.Timestamp("1970-01-05"))
                               / pd.Timedelta(days=7)).astype(int)
            whole = np.diff(np.asarray(week_no)) == weeks
            day, hh, mm, k = _modal_moment(local)
            score = min(float(whole.mean()), k / len(starts) + 0.15)
            if best is None or score > best[0] + 1e-9:
                best = (score, (day, hh, mm, k), tz, whole)
        assert best is not None
        _, (day, hh, mm, k), tz, whole = best
        if whole.mean() >= 0.9 and k / len(starts) >= 0.75:
            cadence = {"freq": "weekly", "interval": weeks, "weekday": _WEEKDAY_NAMES[day],
                       "time": f"{hh:02d}:{mm:02d}", "timezone": tz}
            return cadence, {
                "n": len(gaps), "support": float(whole.mean()),
                "value": f"every {weeks} week{'s' if weeks > 1 else ''} on "
                         f"{_DAYS[day]} {hh:02d}:{mm:02d} ({tz})",
                "detail": f"{int(whole.sum())} of {len(gaps)} consecutive starts are {weeks} "
                          f"calendar week{'s' if weeks > 1 else ''} apart; {k} of "
                          f"{len(starts)} start on {_DAYS[day]} {hh:02d}:{mm:02d}"}
    if np.all(np.abs(gaps - med) <= 1 / 60) and med > 0:
        minutes = max(1, round(med * 60))
        return f"every {minutes}m", {
            "n": len(gaps), "support": 1.0, "value": f"every {minutes}m",
            "detail": f"all {len(gaps)} gaps equal ({med:.3g} h)"}
    positive = gaps[gaps > 0]
    values = [float(round(g, 4)) for g in (positive if len(positive) else gaps + 1e-3)]
    return {"interarrival": {"empirical": values}}, {
        "n": len(gaps), "support": float(np.nan),
        "value": "empirical gaps",
        "detail": f"gaps: median {med:.3g} h, P10 {np.quantile(gaps, 0.1):.3g} h, "
                  f"P90 {np.quantile(gaps, 0.9):.3g} h; resampled as random arrivals"}


# ---------------------------------------------------------------------------------------
# discover
# ---------------------------------------------------------------------------------------


def discover(
    log: pd.DataFrame | str | os.PathLike[str],
    *,
    phases: Sequence[str] | str | None = None,
    min_support: float = 0.9,
    leave_out_below: float = 0.05,
    timezone: str = "UTC",
    working_share: float = 0.005,
    anchor_share: float = 0.5,
    min_samples: int = 8,
    criterion: str = "aic",
    seed: int = 0,
    name: str | None = None,
    format: str | None = None,
    fit_releases: int | None = 1000,
) -> Discovery:
    """Discover a blueprint from a release log, with the evidence for each element.

    Parameters
    ----------
    log : pandas.DataFrame or path
        An event log (:func:`phasesim.read_log`, or a simulated one) or a file for it.
    phases : None, "activities" or sequence of str
        None: phases are the log's ``phase_id``; ``"activities"``: every activity is a
        phase of its own (for a log whose phases were assumed); a list: only these
        phases are discovered (the others' rows are left out).
    min_support : float, default 0.9
        ``B`` depends on ``A`` when ``B`` starts at or after ``A`` is done in at least
        this share of the releases that ran both.
    leave_out_below : float, default 0.05
        Activities that ran in fewer than this share of the complete releases of their
        phase are left out (and counted).
    timezone : str, default "UTC"
        IANA timezone in which the calendar, anchors and cadence are read.
    working_share : float, default 0.005
        A weekday x hour cell is working time when it holds at least this share of the
        starts and ends of manual work and approvals.
    anchor_share : float, default 0.5
        An activity gets ``not-before`` when at least this share of its starts fall on
        one weekday and minute (and most of those were held after it was ready); it
        needs at least ``min_samples`` starts.
    min_samples, criterion, seed
        Passed to :func:`phasesim.calibrate`.
    name : str, optional
        The process name (default: from the log's source).
    format : str, optional
        Passed to :func:`phasesim.read_log` when ``log`` is a path.
    fit_releases : int or None, default 1000
        With more releases than this, durations and rates are fitted on this many
        releases drawn at random (``seed``); the structure always uses all of them.
        None fits on all.

    Returns
    -------
    Discovery

    Raises
    ------
    LogError
        When the log has no finished rows to discover from.
    """
    from phasesim.calibration import calibrate

    if not 0 < min_support <= 1:
        raise PhasesimError(f"min_support must be in (0, 1], got {min_support}")
    if not 0 <= leave_out_below < 1:
        raise PhasesimError(f"leave_out_below must be in [0, 1), got {leave_out_below}")
    source = None
    if isinstance(log, pd.DataFrame):
        raw = validate_log(log)
        source = log.attrs.get("source")
    else:
        source = os.fspath(log)
        raw = read_log(log, format=format) if format else read_log(log)
    try:
        _local(np.array([0.0]), timezone)
    except Exception as exc:  # zoneinfo raises several kinds
        raise PhasesimError(f"unknown timezone {timezone!r}: {exc}") from None
    if phases is not None and not isinstance(phases, str):
        wanted = [str(p) for p in phases]
        present = set(raw["phase_id"].dropna().astype(str))
        if not set(wanted) & present:
            shown = ", ".join(sorted(present)[:8]) + (", ..." if len(present) > 8 else "")
            raise LogError([Problem(f"none of the phases {wanted} is in the log",
                                    file=source or "<DataFrame>",
                                    hint=f"the log's phases are {shown}")],
                           source or "<DataFrame>")
    elif isinstance(phases, str) and phases != "activities":
        raise PhasesimError(f"phases must be None, 'activities' or a list of phase ids, "
                            f"got {phases!r}")
    frame = _prepare(raw, phases)
    # the release code of every row of raw, when _prepare kept them all (for the sample)
    raw_rel = frame["rel"].to_numpy() if len(frame) == len(raw) else None
    timed = frame[frame["status"].ne("skipped") & ~np.isnan(frame["s"])
                  & ~np.isnan(frame["e"])]
    if timed.empty:
        raise LogError([Problem("no row has both a start and an end to discover from",
                                file=source or "<DataFrame>",
                                hint="check the log's start and end columns")],
                       source or "<DataFrame>")
    evidence: list[dict[str, Any]] = []
    comments: dict[tuple[str, ...], str] = {}

    def note(element: str, kind: str, *, phase: str | None = None,
             activity: str | None = None, n: int | None = None,
             support: float | None = None, value: str = "", detail: str = "") -> None:
        evidence.append({"element": element, "kind": kind, "phase_id": phase,
                         "activity_id": activity, "n": n, "support": support,
                         "value": value, "detail": detail})

    # -- releases of their own (a hotfix release: one phase that is not the first) -----
    first_phase = timed.loc[timed.groupby("rel", sort=False)["s"].idxmin(), "phase_id"]
    usual_first = first_phase.mode().iloc[0]
    n_phases = timed.groupby("rel", sort=False)["phase_id"].nunique()
    own = n_phases.index[(n_phases == 1).to_numpy()
                         & (first_phase.to_numpy() != usual_first)] \
        if timed["phase_id"].nunique() > 1 else n_phases.index[:0]
    if len(own):
        kinds = timed[timed["rel"].isin(own)].groupby("phase_id")["rel"].nunique()
        for ph, k in kinds.items():
            note(f"releases of {ph} alone", "separate-releases", phase=str(ph), n=int(k),
                 value="left out",
                 detail=f"{k} releases ran only {ph} (not the usual first phase "
                        f"{usual_first}): separate releases, not part of the process")
        timed = timed[~timed["rel"].isin(own)]
        frame = frame[~frame["rel"].isin(own)]
    rel_start = timed.groupby("rel", sort=False)["s"].min()
    releases = list(rel_start.sort_values().index)
    n_releases = len(releases)
    rel_week0 = pd.Series(_local(rel_start.to_numpy(), timezone).normalize()
                          .tz_localize(None).to_numpy(), index=rel_start.index)

    # -- complete releases (frequencies are counted on these) ----------------------------
    unfinished = set(frame.loc[frame["status"].isin(["in_progress", "aborted"]), "rel"])
    complete = set(frame["rel"].unique()) - unfinished

    # -- rollback phases ----------------------------------------------------------------
    failed = timed[timed["status"] == "failed"]
    phase_order = [str(p) for p in
                   timed.groupby("phase_id", sort=False)["s"].min().sort_values().index]
    phase_count = timed.groupby("phase_id", sort=False)["rel"].nunique()
    phase_start = timed.groupby(["rel", "phase_id"], sort=False)["s"].min() \
        if not failed.empty else None
    rollback: dict[str, bool] = {}  # phase -> resume
    for ph in phase_order:
        if phase_start is None or phase_count[ph] >= n_releases:
            continue
        starts = phase_start.xs(ph, level="phase_id")
        other = failed[failed["phase_id"] != ph]
        first_fail = other.groupby("rel")["e"].min()
        after = first_fail.reindex(starts.index)
        if after.notna().all() and bool((after.to_numpy() <= starts.to_numpy() + _TOL_H).all()):
            # resume: a failed activity of another phase runs again after this phase
            ends = timed[timed["phase_id"] == ph].groupby("rel")["e"].max()
            resumed = 0
            for r, end in ends.items():
                fr = other[(other["rel"] == r) & (other["e"] <= end)]
                again = timed[(timed["rel"] == r) & timed["activity_id"].isin(fr["activity_id"])
                              & (timed["s"] >= end - _TOL_H)]
                resumed += bool(len(again))
            resume = resumed > len(ends) / 2
            rollback[ph] = resume
            note(ph, "rollback-phase", phase=ph, n=len(starts), support=1.0,
                 value="rollback, resume" if resume else "rollback",
                 detail=f"ran in {len(starts)} of {n_releases} releases, each time after a "
                        f"failed try; the failed activity ran again after it in {resumed}")
            comments[("phase", ph)] = (
                f"rollback phase: ran in {len(starts)} of {n_releases} releases, always "
                f"after a failure" + (f"; resumed the failed work in {resumed}" if resume
                                      else ""))

    main = timed[~timed["phase_id"].isin(list(rollback))]

    # -- per release and activity: first start, done ------------------------------------
    per = _first_start_and_done(main)

    # -- optional activities and for-each -----------------------------------------------
    all_complete = (complete & set(rel_start.index)) or set(rel_start.index)
    per_c = per["rel"].isin(complete).to_numpy()
    per_ac = per["rel"].isin(all_complete).to_numpy()
    # counted on the codes of per (one row per release, phase and template): releases
    # per phase (of all, the complete, all_complete), sorted by phase as groupby sorts;
    # rows per (phase, template) in the order they first appear (groupby(sort=False))
    pcats, tcats = per["phase_id"].array.categories, per["template"].array.categories
    per_rel = per["rel"].to_numpy()
    per_pc = np.asarray(per["phase_id"].array.codes, dtype=np.int64)
    per_tc = np.asarray(per["template"].array.codes, dtype=np.int64)
    first_of = _Groups.of(per_rel, per_pc).first  # one row per release and phase
    ran_phase = [np.bincount(per_pc[first_of][m], minlength=len(pcats))
                 for m in (slice(None), per_c[first_of], per_ac[first_of])]
    seen = np.flatnonzero(ran_phase[0])
    seen_index = pd.Index(np.asarray(pcats, dtype=object)[seen], dtype=object,
                          name="phase_id")
    phase_n, phase_nc, phase_nac = (pd.Series(k[seen], index=seen_index, name="rel")
                                    for k in ran_phase)
    width = len(tcats) + 1
    pair_code, pair_key = pd.factorize(per_pc * width + per_tc)
    pair_n, pair_nc, pair_nac = (np.bincount(pair_code[m], minlength=len(pair_key))
                                 for m in (slice(None), per_c, per_ac))
    pair_names = [(str(pcats[k // width]), str(tcats[k % width])) for k in pair_key]
    phase_releases = {str(k): int(v) for k, v in phase_n.items()}
    left_out_rows: list[dict[str, Any]] = []
    optional: dict[tuple[str, str], float] = {}
    optional_phase: dict[str, float] = {}
    keep_pairs: set[tuple[str, str]] = set()
    rare_phases: set[str] = set()
    n_ac = len(all_complete)
    for ph_, k_ac in phase_nac.items():
        ph = str(ph_)
        freq = int(k_ac) / n_ac
        if freq < leave_out_below:
            rare_phases.add(ph)
            note(ph, "left-out", phase=ph, n=n_ac, support=freq, value="left out",
                 detail=f"the phase ran in {int(k_ac)} of {n_ac} complete releases "
                        f"(< leave_out_below={leave_out_below})")
        elif freq < 1:
            optional_phase[ph] = freq
            note(ph, "optional", phase=ph, n=n_ac, support=freq, value=f"if run_{ph}",
                 detail=f"the phase ran in {freq:.1%} of complete releases")
    ran_of: dict[tuple[str, str], int] = {}  # releases per kept (phase, activity)
    for (ph, tpl), k_all, k_nc, k_nac in zip(pair_names, pair_n, pair_nc, pair_nac,
                                             strict=True):
        if ph in rare_phases:
            left_out_rows.append({"phase_id": ph, "activity_id": tpl,
                                  "releases": int(k_all),
                                  "frequency": int(k_nac) / n_ac})
            continue
        if phase_nc[ph] > 0:
            ran, n_base = int(k_nc), int(phase_nc[ph])
        else:
            ran, n_base = int(k_all), int(phase_n[ph])
        freq = ran / n_base if n_base else 0.0
        if freq < leave_out_below:
            left_out_rows.append({"phase_id": ph, "activity_id": tpl, "releases": ran,
                                  "frequency": freq})
            note(f"{ph}.{tpl}", "left-out", phase=ph, activity=tpl, n=n_base,
                 support=freq, value="left out",
                 detail=f"ran in {ran} of {n_base} complete releases of its phase "
                        f"(< leave_out_below={leave_out_below})")
            continue
        keep_pairs.add((ph, tpl))
        ran_of[(ph, tpl)] = int(k_all)
        if freq < 1:
            optional[(ph, tpl)] = freq
    # skipped-only activities (a simulated log writes skipped rows) are rare too
    skipped_only = frame[frame["status"] == "skipped"].groupby(
        ["phase_id", "template"]).size()
    for pair_, k in skipped_only.items():
        ph, tpl = (str(v) for v in pair_)  # type: ignore[attr-defined]
        if (ph, tpl) not in keep_pairs and ph not in rollback and not any(
                r["phase_id"] == ph and r["activity_id"] == tpl for r in left_out_rows):
            left_out_rows.append({"phase_id": ph, "activity_id": tpl, "releases": 0,
                                  "frequency": 0.0})
            note(f"{ph}.{tpl}", "left-out", phase=ph, activity=tpl, n=int(k), support=0.0,
                 value="left out", detail=f"skipped in all {int(k)} releases that reached it")
    # the kept pairs as a table over the codes of phase and template (no text compared)
    kept = np.zeros((len(pcats) + 1, len(tcats) + 1), dtype=bool)
    for ph, tpl in keep_pairs:
        if ph in pcats and tpl in tcats:
            kept[pcats.get_loc(ph), tcats.get_loc(tpl)] = True
    keep_rows = kept[per_pc, per_tc]
    per = per[keep_rows]
    per_rel, per_pc, per_tc = per_rel[keep_rows], per_pc[keep_rows], per_tc[keep_rows]
    # the activities of each (phase, template), the pairs in the order they first appear
    items_of: dict[tuple[str, str], list[str]] = {}
    acats = main["activity_id"].array.categories
    awidth = len(acats) + 1
    triples = pd.unique((np.asarray(main["phase_id"].array.codes, dtype=np.int64) * width
                         + np.asarray(main["template"].array.codes, dtype=np.int64))
                        * awidth + np.asarray(main["activity_id"].array.codes,
                                              dtype=np.int64))
    ids_of: dict[int, list[str]] = {}
    for t in triples.tolist():
        ids_of.setdefault(t // awidth, []).append(str(acats[t % awidth]))
    for pk, ids in ids_of.items():
        ph, tpl = str(pcats[pk // width]), str(tcats[pk % width])
        matches = [_ITEM.match(a) for a in ids]
        if all(matches) and (ph, tpl) in keep_pairs:
            items_of[(ph, tpl)] = sorted({m.group("item") for m in matches if m})

    # -- phase order --------------------------------------------------------------------
    # release x phase: the first start and the last done (groupby and unstack, on codes)
    by_phase = _Groups.of(per_rel, per_pc)
    pstart, pdone = _matrices(per_rel[by_phase.first], per_pc[by_phase.first], pcats,
                              by_phase.reduce(np.fmin, per["s"].to_numpy()),
                              by_phase.reduce(np.fmax, per["d"].to_numpy()))
    # each phase's rows of per (for the activity DAGs and the anchors), split in one pass
    by_code = np.argsort(per_pc, kind="stable")
    bounds = np.searchsorted(per_pc[by_code], np.arange(len(pcats) + 1))
    of_phase = {str(pcats[c]): by_code[bounds[c]:bounds[c + 1]] for c in range(len(pcats))
                if bounds[c + 1] > bounds[c]}
    per_s, per_d = per["s"].to_numpy(), per["d"].to_numpy()
    pgraph, ppairs, porder = _precedence(pstart, pdone[pstart.columns], rel_start,
                                         min_support)
    for rec in ppairs:
        if rec["kept"]:
            note(f"{rec['a']} -> {rec['b']}", "phase-dependency", n=rec["n"],
                 support=rec["support"], value="depends-on",
                 detail=f"{rec['b']} started after {rec['a']} ended in "
                        f"{rec['support']:.1%} of {rec['n']} releases")
        elif not rec["edge"]:
            note(f"{rec['a']} || {rec['b']}", "concurrent-phases", n=rec["n"],
                 support=rec["support"], value="parallel",
                 detail=f"{rec['b']} started after {rec['a']} ended in only "
                        f"{rec['support']:.1%} of {rec['n']} releases")

    # -- activity DAG per phase ----------------------------------------------------------
    agraphs: dict[str, tuple[nx.DiGraph, list[str]]] = {}
    amatrix: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    for ph in porder:
        # one row of per per release and template: a pivot (pivot_table's min and max
        # of one value each, and its sorted index and columns)
        rows_ = of_phase[ph]
        astart, adone = _matrices(per_rel[rows_], per_tc[rows_], tcats, per_s[rows_],
                                  per_d[rows_])
        graph, pairs, order = _precedence(astart, adone, rel_start, min_support)
        agraphs[ph] = (graph, order)
        amatrix[ph] = (astart, adone)
        for rec in pairs:
            if rec["kept"]:
                note(f"{ph}.{rec['a']} -> {ph}.{rec['b']}", "dependency", phase=ph,
                     activity=rec["b"], n=rec["n"], support=rec["support"],
                     value="depends-on",
                     detail=f"started after it ended in {rec['support']:.1%} of "
                            f"{rec['n']} releases")
            elif not rec["edge"]:
                note(f"{ph}.{rec['a']} || {ph}.{rec['b']}", "concurrent", phase=ph,
                     n=rec["n"], support=rec["support"], value="concurrent",
                     detail=f"ordered in only {rec['support']:.1%} of {rec['n']} releases")

    # -- types, owners, durations -------------------------------------------------------
    kind_of: dict[tuple[str, str], str] = {}
    owner_of: dict[tuple[str, str], str | None] = {}
    has_owner = "owner" in frame.columns and frame["owner"].notna().any()
    def modal(rows: pd.DataFrame, column: str) -> dict[tuple[str, str], str]:
        counts = rows.groupby(["phase_id", "template", column], sort=False,
                              dropna=True).size()
        top = counts.sort_values(kind="stable").groupby(level=[0, 1]).tail(1)
        return {(str(p), str(t)): str(v) for (p, t, v) in top.index}

    kind_of.update(modal(main, "activity_type"))
    if has_owner:
        owner_of.update(modal(main, "owner"))
    back = timed[timed["phase_id"].isin(list(rollback))]
    if len(back):
        kind_of.update(modal(back, "activity_type"))
        keep_pairs.update(modal(back, "activity_type"))
        if has_owner:
            owner_of.update(modal(back, "owner"))
    durations = (timed["e"] - timed["s"]).groupby(
        [timed["phase_id"], timed["template"]]).median()

    # -- calendar and teams -------------------------------------------------------------
    manual = timed[timed["activity_type"].isin(["manual", "approval"])]
    hours_text, cal_info = _calendar(manual, timezone, working_share)
    calendars: dict[str, Any] = {}
    if hours_text:
        calendars["work"] = {"timezone": timezone, "hours": hours_text}
        note("calendar work", "calendar", n=cal_info["events"],
             support=1 - cal_info["outside"] / cal_info["events"], value=hours_text,
             detail=f"the weekdays and hours that each hold at least {working_share:.1%} "
                    f"of {cal_info['events']} starts and ends of manual work; "
                    f"{cal_info['outside']} events fall outside")
        comments[("calendar", "work")] = (
            f"working hours: {cal_info['events']:,} starts and ends of manual work and "
            f"approvals, {cal_info['outside']} outside these hours "
            f"(a weekday or hour is working at >= {working_share:.1%} of them)")
    teams: dict[str, Any] = {}
    if has_owner:
        for owner in sorted({o for o in owner_of.values() if o}):
            mine = timed[timed["owner"] == owner]
            rows = mine[mine["activity_type"] == "manual"]
            peak = _peak(rows["s"].to_numpy(), rows["e"].to_numpy())
            entry: dict[str, Any] = {"capacity": max(1, peak)}
            if hours_text and mine["activity_type"].isin(["manual", "approval"]).any():
                entry["calendar"] = "work"
            teams[owner] = entry
            note(f"team {owner}", "team", n=len(rows), support=None,
                 value=f"capacity {max(1, peak)}",
                 detail=f"peak of {peak} manual activities at once over {len(rows)} rows"
                 if len(rows) else "no manual work (capacity 1)")
            comments[("team", owner)] = (
                f"capacity = the peak of {peak} manual activities at once in {len(rows):,} "
                f"rows" if len(rows) else "owns no manual work (approvals take no member)")

    # -- rework: rejections and failures -------------------------------------------------
    reject_goto: dict[tuple[str, str], tuple[str, int, int]] = {}
    rejected = timed[timed["status"] == "rejected"]
    for (ph, tpl), rows in rejected.groupby(["phase_id", "template"], sort=False):
        targets: Counter[str] = Counter()
        for r, t in zip(rows["rel"], rows["e"], strict=True):
            rel_rows = main[(main["rel"] == r)]
            seen_before = set(rel_rows.loc[rel_rows["s"] < t - _TOL_H, "activity_id"])
            later = rel_rows[(rel_rows["s"] >= t - _TOL_H)
                             & rel_rows["activity_id"].isin(seen_before)]
            if len(later):
                first = later.loc[later["s"].idxmin()]
                targets[f"{first['phase_id']}.{first['template']}"] += 1
        if not targets:
            continue
        target, k = targets.most_common(1)[0]
        tph, tact = target.split(".", 1)
        if (tph, tact) not in keep_pairs:
            continue
        if tph == ph:
            goto = tact
        else:
            graph, _ = agraphs.get(tph, (nx.DiGraph(), []))
            is_entry = graph.in_degree(tact) == 0 if tact in graph else False
            goto = tph if is_entry else target
        reject_goto[(ph, tpl)] = (goto, k, len(rows))
        note(f"{ph}.{tpl}", "rework", phase=ph, activity=tpl, n=len(rows),
             support=k / len(rows), value=f"reject goto {goto}",
             detail=f"after {len(rows)} rejections, {k} times {target} ran again first")
    on_failure: dict[tuple[str, str], str] = {}
    fails = timed[timed["status"] == "failed"]  # the few failed rows first, then the text
    fails = fails[(fails["activity_type"] == "automated")
                  & ~fails["phase_id"].isin(list(rollback))]
    for (ph, tpl), rows in fails.groupby(["phase_id", "template"], sort=False):
        where: Counter[str] = Counter()
        for r, t in zip(rows["rel"], rows["e"], strict=True):
            nxt = timed[(timed["rel"] == r) & (timed["s"] >= t - _TOL_H)
                        & timed["phase_id"].isin(list(rollback))]
            if len(nxt):
                where[str(nxt.loc[nxt["s"].idxmin(), "phase_id"])] += 1
        target = where.most_common(1)[0][0] if where else "abort"
        on_failure[(ph, tpl)] = target
        note(f"{ph}.{tpl}", "failure", phase=ph, activity=tpl, n=len(rows), support=None,
             value=f"on-failure {target}",
             detail=f"{len(rows)} failed tries; " + (
                 f"{where[target]} followed by {target}" if where else "none followed by a "
                 "rollback phase"))

    # -- anchors and slots --------------------------------------------------------------
    not_before: dict[tuple[str, str], Any] = {}
    for ph in porder:
        graph, order = agraphs[ph]
        # each activity's starts and its predecessors' done times: columns of the
        # release x activity matrices (only counts and sets of them are read, so their
        # order, by release, does not matter)
        astart, adone = amatrix[ph]
        preds_phase = list(pgraph.predecessors(ph))
        for tpl in order:
            preds = list(graph.predecessors(tpl))
            if not preds and not preds_phase:
                continue  # the release's own start: the cadence says when
            column = astart[tpl].to_numpy()
            ran = ~np.isnan(column)
            if int(ran.sum()) < max(3, min_samples):
                continue
            starts_h = column[ran]
            n_rows = len(starts_h)
            local = _local(starts_h, timezone)
            day, hh, mm, k = _modal_moment(local)
            share = k / n_rows
            if share < anchor_share:
                continue
            rels = astart.index[ran]
            ready = np.full(n_rows, -np.inf)
            for p in preds:
                d = adone[p].to_numpy()[ran]
                ready = np.maximum(ready, np.where(np.isnan(d), -np.inf, d))
            for p in preds_phase:
                ready = np.maximum(ready, pdone[p].reindex(rels).fillna(-np.inf).to_numpy())
            hit = (local.day_of_week == day) & (local.hour == hh) & (local.minute == mm)
            held = (starts_h - ready) > _HOLD_H
            if held[hit].mean() < 0.5:
                continue
            day0 = rel_week0.reindex(rels).to_numpy()
            days = (local.tz_localize(None).normalize().to_numpy() - day0) \
                / np.timedelta64(1, "D")
            weeks = np.floor(days[hit] / 7).astype(int) + 1
            at = f"{_DAYS[day]} {hh:02d}:{mm:02d}"
            if len(set(weeks)) == 1:
                value: Any = {"at": at, "week": int(weeks[0])}
                text = f"slot {at} of week {int(weeks[0])}"
            else:
                value = at
                text = f"weekly anchor {at}"
            not_before[(ph, tpl)] = value
            note(f"{ph}.{tpl}", "not-before", phase=ph, activity=tpl, n=n_rows,
                 support=share, value=text,
                 detail=f"{k} of {n_rows} starts at {at} ({timezone}), "
                        f"{int(held[hit].sum())} of them after it was ready; weeks "
                        f"{sorted(set(weeks.tolist()))}")

    if not hours_text and not_before and timezone != "UTC":
        calendars["work"] = {"timezone": timezone, "hours": "24/7"}
        comments[("calendar", "work")] = ("no manual work to read hours from: the timezone "
                                          "of the anchors and slots")
    # -- cadence ------------------------------------------------------------------------
    cadence, cinfo = _cadence(rel_start.to_numpy(), timezone)
    note("cadence", "cadence", n=cinfo["n"], support=cinfo["support"],
         value=cinfo["value"], detail=cinfo["detail"])
    start = pd.Timestamp(float(rel_start.min()) * 3.6e12, tz="UTC") if len(rel_start) \
        else None

    # -- the skeleton -------------------------------------------------------------------
    inputs: dict[str, Any] = {}
    item_inputs: dict[tuple[str, ...], str] = {}
    for pair, items in items_of.items():
        tup = tuple(items)
        if tup not in item_inputs:
            nm = "items" if not item_inputs else f"items_{len(item_inputs) + 1}"
            item_inputs[tup] = nm
            inputs[nm] = {"type": "list", "default": list(tup),
                          "description": f"the instances seen of {pair[0]}.{pair[1]}"}
    phase_bodies: list[dict[str, Any]] = []
    ordered = porder + [p for p in phase_order if p in rollback]
    for ph in ordered:
        body: dict[str, Any] = {"id": _safe_id(ph)}
        if ph != _safe_id(ph):
            body["name"] = ph
        if calendars:
            body["calendar"] = "work"
        if ph in rollback:
            body["rollback"] = True
            if rollback[ph]:
                body["resume"] = True
            tpls = list(dict.fromkeys(timed[timed["phase_id"] == ph].sort_values("s")
                                      ["template"]))
            rgraph, _, rorder = _rollback_order(timed[timed["phase_id"] == ph], rel_start,
                                                min_support)
            graph, order = rgraph, rorder or tpls
        else:
            body["depends-on"] = [_safe_id(p) for p in pgraph.predecessors(ph)]
            graph, order = agraphs[ph]
        owners = [owner_of.get((ph, t)) for t in order]
        phase_owner = Counter(o for o in owners if o).most_common(1)
        if phase_owner:
            body["owners"] = [phase_owner[0][0]]
        if ph in optional_phase:
            inp = _safe_id(f"run_{ph}")
            freq = optional_phase[ph]
            inputs[inp] = {"type": "boolean", "default": bool(freq >= 0.5),
                           "description": f"phase {ph} ran in {freq:.0%} of releases"}
            body["if"] = f"<+releaseInput.{inp}> == true"
            comments[("input", inp)] = (f"phase {ph} ran in {freq:.1%} of the complete "
                                        "releases (the default is true at 50% or more)")
        acts = []
        n_phase = phase_releases.get(ph) or int(phase_count.get(ph, 0))
        comments[("phase", _safe_id(ph))] = comments.get(("phase", ph)) or (
            f"ran in {n_phase} of {n_releases} releases; depends on "
            + (", ".join(pgraph.predecessors(ph)) or "nothing")
            + f" (min_support {min_support:.0%})")
        for tpl in order:
            pair = (ph, tpl)
            kind = kind_of.get(pair, "automated")
            act: dict[str, Any] = {"id": _safe_id(tpl)}
            if tpl != _safe_id(tpl):
                act["name"] = tpl
            act["type"] = {"approval": "manual", "phase": "wait",
                           "subprocess": "automated"}.get(kind, kind)
            act_owner = owner_of.get(pair)
            if act_owner and phase_owner and act_owner != phase_owner[0][0]:
                act["owner"] = act_owner
            deps = [_safe_id(p) for p in graph.predecessors(tpl)] if tpl in graph else []
            if deps:
                act["depends-on"] = deps
            if pair in items_of:
                act["for-each"] = f"<+releaseInput.{item_inputs[tuple(items_of[pair])]}>"
            if pair in optional:
                inp = _safe_id(f"run_{ph}_{tpl}")
                freq = optional[pair]
                inputs[inp] = {"type": "boolean", "default": bool(freq >= 0.5),
                               "description": f"{ph}.{tpl} ran in {freq:.0%} of releases"}
                act["if"] = f"<+releaseInput.{inp}> == true"
                comments[("input", inp)] = (f"{ph}.{tpl} ran in {freq:.1%} of the complete "
                                            "releases (the default is true at 50% or more)")
                base_n = int(phase_nc.get(ph, 0)) or int(phase_n.get(ph, 0))
                note(f"{ph}.{tpl}", "optional", phase=ph, activity=tpl, n=base_n,
                     support=freq, value=f"if {inp}",
                     detail=f"ran in {freq:.1%} of {base_n} complete releases of its phase")
            med = float(durations.get(pair, 0.0))
            # the observed median, until calibrate fits the distribution in its place
            median = f"{max(med, 1 / 60):.6f}" if med > 0 else None
            if kind == "approval":
                act["approval"] = {"wait": median or 1 / 60, "approvers": 1,
                                   "required": 1}
                if pair in reject_goto:
                    goto = reject_goto[pair][0]
                    act["approval"]["reject"] = {"probability": 0.1,
                                                 "goto": _goto_id(goto)}
            elif median is not None:
                act["duration"] = float(median)
            if pair in on_failure and act["type"] == "automated":
                target = on_failure[pair]
                act["failure"] = {"probability": 0.1, "retries": 0,
                                  "on-failure": "abort" if target == "abort"
                                  else _safe_id(target)}
            if pair in not_before:
                act["not-before"] = not_before[pair]
            acts.append({"activity": act})
            comments[("activity", _safe_id(ph), _safe_id(tpl))] = _activity_comment(
                pair, deps, graph, int(ran_of.get(pair, 0)), n_phase)
        body["activities"] = acts
        phase_bodies.append({"phase": body})
    pid = _safe_id(name or (os.path.splitext(os.path.basename(source))[0] if source
                            else "discovered"))
    process: dict[str, Any] = {"id": pid, "name": name or pid,
                               "description": "Discovered from a release log by phasesim."}
    if inputs:
        process["inputs"] = inputs
    if calendars:
        process["calendars"] = calendars
    if teams:
        process["teams"] = teams
    process["phases"] = phase_bodies
    text = yaml.safe_dump({"process": process}, sort_keys=False, allow_unicode=True)
    skeleton = load_blueprint(text)
    calib_log = raw
    if fit_releases is not None and n_releases > fit_releases:
        rng = np.random.default_rng(seed)
        codes = set(rng.choice(np.asarray(releases, dtype="int64"), size=fit_releases,
                               replace=False).tolist())
        if raw_rel is not None:
            picked = np.zeros(int(raw_rel.max(initial=0)) + 1, dtype=bool)
            picked[list(codes)] = True
            calib_log = raw[(raw_rel >= 0) & picked[raw_rel]]
        else:
            chosen = set(frame.loc[frame["rel"].isin(codes), "rel_name"])
            calib_log = raw[_release_in(raw, chosen)]
        note("durations", "fit-sample", n=fit_releases, support=fit_releases / n_releases,
             value=f"{fit_releases:,} of {n_releases:,} releases",
             detail=f"durations and rates fitted on {fit_releases:,} releases drawn at "
                    f"random (seed {seed}); the structure on all {n_releases:,}")
    calib_log = calib_log.copy()
    if isinstance(phases, str) and phases == "activities":
        calib_log["phase_id"] = _map_unique(
            calib_log["activity_id"].astype(object).where(
                calib_log["activity_id"].notna(), calib_log["phase_id"].astype(object)),
            _template)
    calib_log["phase_id"] = _map_unique(calib_log["phase_id"], _safe_id).astype("string")
    calib_log["activity_id"] = _map_unique(calib_log["activity_id"],
                                           _safe_id_instance).astype("string")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        cal = calibrate(skeleton, calib_log, min_samples=min_samples, criterion=criterion,
                        seed=seed)
    row: Any
    for row in cal.table.itertuples():
        key: tuple[str, ...] = ("activity", str(row.phase_id), str(row.activity_id))
        fit = f"{row.new_spec}" if isinstance(row.new_spec, str) else "no duration"
        stats = []
        if pd.notna(row.ks_statistic):
            stats.append(f"KS {row.ks_statistic:.3f}")
        if pd.notna(row.wasserstein_h):
            stats.append(f"W {row.wasserstein_h:.3g} h")
        if isinstance(row.outcome, str) and pd.notna(row.p_new):
            stats.append(f"{row.outcome} p={row.p_new:.3g} ({int(row.events)} of "
                         f"{int(row.trials)})")
        note(f"{row.phase_id}.{row.activity_id}", "duration", phase=row.phase_id,
             activity=row.activity_id, n=int(row.n), support=None, value=fit,
             detail="; ".join([str(row.note), *stats]))
        if key in comments:
            comments[key] = (f"{comments[key]}\n{fit} from {int(row.n)} durations "
                             f"({row.time_base})" + (f", {', '.join(stats)}" if stats else ""))
    ev = pd.DataFrame(evidence, columns=list(EVIDENCE_COLUMNS))
    ev["n"] = ev["n"].astype("Int64")
    left_out = pd.DataFrame(left_out_rows, columns=["phase_id", "activity_id", "releases",
                                                    "frequency"])
    params = {"min_support": min_support, "leave_out_below": leave_out_below,
              "timezone": timezone, "working_share": working_share,
              "anchor_share": anchor_share, "min_samples": min_samples,
              "criterion": criterion, "seed": seed, "rows": len(raw),
              "releases": n_releases, "source": source}
    return Discovery(blueprint=cal.blueprint, evidence=ev, cadence=cadence, start=start,
                     left_out=left_out, calibration=cal, params=params, comments=comments)


def _release_in(raw: pd.DataFrame, chosen: set[str]) -> np.ndarray:
    """Which rows of ``raw`` belong to a release named in ``chosen`` (``release_id``, or
    ``run|release_id`` with more than one run), naming each distinct release once
    (not converting 3 million ids to text)."""
    runs = raw["run"].astype("int64")
    rel_code, rel_uniq = pd.factorize(raw["release_id"], use_na_sentinel=True)
    width = len(rel_uniq) + 1
    rel_text = [str(u) for u in rel_uniq] + [None]  # the last for NA: never chosen
    rel_code = np.where(rel_code < 0, width - 1, rel_code)
    if runs.nunique() > 1:
        run_code, run_uniq = pd.factorize(runs)
        run_text = [str(u) for u in run_uniq]
        pair_code, pair_uniq = pd.factorize(run_code * width + rel_code)
        pairs = [divmod(int(c), width) for c in pair_uniq]
        named = np.array([rel_text[r] is not None and f"{run_text[u]}|{rel_text[r]}" in chosen
                          for u, r in pairs], dtype=bool)
        return named[pair_code]
    return np.array([t in chosen for t in rel_text], dtype=bool)[rel_code]


def _safe_id_instance(activity_id: str) -> str:
    match = _ITEM.match(activity_id)
    if match:
        return f"{_safe_id(match.group('template'))}[{match.group('item')}]"
    return _safe_id(activity_id)


def _goto_id(goto: str) -> str:
    return ".".join(_safe_id(p) for p in goto.split(".", 1))


def _rollback_order(rows: pd.DataFrame, rel_start: pd.Series, min_support: float
                    ) -> tuple[nx.DiGraph, list[dict[str, Any]], list[str]]:
    g = rows.groupby(["rel", "template"])
    start = g["s"].min().unstack()
    done = g["e"].max().unstack()[start.columns]
    return _precedence(start, done, rel_start, min_support)


def _activity_comment(pair: tuple[str, str], deps: list[str], graph: nx.DiGraph,
                      ran: int, n_phase: int) -> str:
    _, tpl = pair
    head = f"ran in {ran} of {n_phase} releases of its phase"
    if deps:
        head += f"; after {', '.join(deps)}"
    elif tpl in graph:
        head += "; an entry of its phase"
    return head
