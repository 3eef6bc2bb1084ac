"""Draw a blueprint: phases as horizontal lanes, activities as boxes, dependencies as
arrows, the critical path highlighted. Compute the layout first, then draw it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx

from phasesim.plotting._text import literal

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from phasesim.blueprint.model import Blueprint

__all__ = ["DagLayout", "dag_layout", "plot_dag"]

#: Box colours by event-log activity type.
TYPE_COLORS = {
    "manual": "#8ecae6",
    "approval": "#ffb703",
    "automated": "#b7e4c7",
    "wait": "#e9ecef",
    "subprocess": "#cdb4db",
}


@dataclass(frozen=True)
class DagLayout:
    """Positions of a blueprint drawing: ``pos[node] = (x, y)``, lanes as
    ``(phase_id, name, y_low, y_high, rollback)`` from top to bottom."""

    pos: dict[str, tuple[float, float]]
    lanes: list[tuple[str, str, float, float, bool]]
    width: int


def dag_layout(bp: Blueprint) -> DagLayout:
    """Columns by topological generation, one lane per phase (rollback lanes last)."""
    graph = bp.graph
    column: dict[str, int] = {}
    for gen, nodes in enumerate(nx.topological_generations(graph)):
        for node in nodes:
            column[node] = gen
    # rollback phases start at column 0 of their own lane, shifted to sit after the rest
    main_width = max((column[n] for n, d in graph.nodes(data=True) if not d["rollback"]),
                     default=0) + 1
    order = [ph for ph in bp.phases if not ph.rollback] + [ph for ph in bp.phases
                                                            if ph.rollback]
    pos: dict[str, tuple[float, float]] = {}
    lanes = []
    top = 0.0
    for ph in order:
        nodes = [n for n, d in graph.nodes(data=True) if d["phase_id"] == ph.id]
        stacks: dict[int, int] = {}
        for node in nodes:
            stacks[column[node]] = stacks.get(column[node], 0) + 1
        height = max(stacks.values(), default=1)
        placed: dict[int, int] = {}
        for node in nodes:
            col = column[node]
            k = placed.get(col, 0)
            placed[col] = k + 1
            n_here = stacks[col]
            y = top - (k + 0.5) * height / n_here
            pos[node] = (float(col), y)
        lanes.append((ph.id, ph.name, top - height, top, ph.rollback))
        top -= height + 0.25
    return DagLayout(pos, lanes, max(main_width, max(column.values(), default=0) + 1))


def plot_dag(bp: Blueprint, ax: Axes | None = None, *, critical: bool = True,
             labels: str = "name") -> Axes:
    """Draw the activity DAG of a blueprint and return the Axes.

    Parameters
    ----------
    bp : Blueprint
    ax : matplotlib Axes, optional
        Where to draw; the current Axes by default (sized to fit if it is empty).
    critical : bool
        Outline the critical path (mean durations) in red.
    labels : {"name", "id"}
        Label boxes with activity names or ids.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from phasesim import load_blueprint
    >>> bp = load_blueprint("phase: {id: p, activities: [{activity: {id: a, type: manual}}]}")
    >>> ax = plot_dag(bp)
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch, Patch

    layout = dag_layout(bp)
    graph = bp.graph
    if ax is None:
        ax = plt.gca()
        figure = ax.get_figure(root=True)
        if figure is not None and len(figure.axes) == 1 and not ax.has_data():
            depth = sum(hi - lo for _, _, lo, hi, _ in layout.lanes)
            figure.set_size_inches(max(8.0, 1.7 * layout.width + 3.0),
                                   max(3.0, 0.9 * depth + 1.5))
    on_path: set[str] = set(bp.critical_path().path) if critical else set()
    for i, (_pid, name, lo, hi, rollback) in enumerate(layout.lanes):
        ax.axhspan(lo, hi, xmin=0, xmax=1, color="#f4f4f4" if i % 2 == 0 else "#fbfbfb",
                   zorder=0, hatch="//" if rollback else None, linewidth=0)
        ax.text(-0.9, (lo + hi) / 2, literal(name) + (" (rollback)" if rollback else ""),
                ha="right", va="center", fontsize=9, fontweight="bold")
    box_w, box_h = 0.8, 0.72
    for u, v in graph.edges:
        (x0, y0), (x1, y1) = layout.pos[u], layout.pos[v]
        hot = u in on_path and v in on_path
        ax.annotate("", xy=(x1 - box_w / 2, y1), xytext=(x0 + box_w / 2, y0),
                    arrowprops={"arrowstyle": "-|>", "color": "#c1121f" if hot else "#6c757d",
                                "lw": 1.6 if hot else 0.8, "shrinkA": 0, "shrinkB": 0,
                                "connectionstyle": "arc3,rad=0.0"}, zorder=1)
    labels_at: list[tuple[float, float, str]] = []
    for node, data in graph.nodes(data=True):
        x, y = layout.pos[node]
        act = data["activity"]
        patch = FancyBboxPatch(
            (x - box_w / 2, y - box_h / 2), box_w, box_h,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor=TYPE_COLORS.get(act.kind, "white"),
            edgecolor="#c1121f" if node in on_path else "#495057",
            linewidth=2.0 if node in on_path else 0.8,
            linestyle="--" if data["skipped"] else "-", zorder=2)
        ax.add_patch(patch)
        labels_at.append((x, y, act.name if labels == "name" else act.id))
    handles: list[Any] = [Patch(facecolor=c, edgecolor="#495057", label=k)
                          for k, c in TYPE_COLORS.items()
                          if any(d["activity"].kind == k for _, d in graph.nodes(data=True))]
    if on_path:
        handles.append(Patch(facecolor="white", edgecolor="#c1121f", linewidth=2,
                             label="critical path"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
              frameon=False)
    lows = [lo for _, _, lo, _, _ in layout.lanes]
    ax.set_xlim(-1.0, layout.width - 0.4)
    ax.set_ylim(min(lows, default=-1.0) - 0.1, 0.1)
    _box_labels(ax, labels_at, box_w, box_h)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(f"{literal(bp.name)}: phases and dependencies")
    return ax


#: Label font sizes (points) of the boxes: the largest that fits every box, within these.
MAX_FONT, MIN_FONT = 9.0, 4.5


def _box_labels(ax: Axes, labels: list[tuple[float, float, str]], box_w: float,
                box_h: float) -> None:
    """Write each box's label at the largest font size (``MIN_FONT``-``MAX_FONT``) at
    which every label fits inside its box at the current size of the Axes; labels still
    too long (or with too many lines) at the smallest size are cut with an ellipsis."""
    fig = ax.get_figure(root=True)
    width_in, height_in = fig.get_size_inches() if fig is not None else (8.0, 4.0)
    pos = ax.get_position()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    # points per data unit (inside a 6% margin of the box for its rounded edge)
    box_w_pt = 0.9 * box_w * pos.width * width_in * 72 / max(abs(x1 - x0), 1e-9)
    box_h_pt = 0.9 * box_h * pos.height * height_in * 72 / max(abs(y1 - y0), 1e-9)
    wrapped = [_wrap(text) for _, _, text in labels]
    size = MAX_FONT
    for text in wrapped:
        lines = text.split("\n")
        longest = max(len(line) for line in lines)
        # a character is about 0.6 em wide, a line 1.25 em high
        size = min(size, box_w_pt / (0.6 * max(longest, 1)), box_h_pt / (1.25 * len(lines)))
    size = max(MIN_FONT, size)
    fits = max(1, int(box_w_pt / (0.6 * size)))
    rows = max(1, int(box_h_pt / (1.25 * size)))
    for (x, y, _), text in zip(labels, wrapped, strict=True):
        lines = text.split("\n")
        if len(lines) > rows:
            lines = lines[:rows]
            lines[-1] = lines[-1][: max(fits - 1, 1)].rstrip() + "…"
        lines = [line if len(line) <= fits else line[: max(fits - 1, 1)] + "…"
                 for line in lines]
        ax.text(x, y, literal("\n".join(lines)), ha="center", va="center", fontsize=size,
                zorder=3)


def _wrap(text: str, width: int = 16) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines[:3])
