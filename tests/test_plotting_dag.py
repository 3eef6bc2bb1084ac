"""plot_dag on the Agg backend: one box per activity, one arrow per dependency."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch
from matplotlib.text import Annotation

from phasesim import load_blueprint, plot_dag

BLUEPRINTS = Path(__file__).resolve().parents[1] / "data" / "blueprints"


def test_plot_dag_draws_boxes_arrows_and_lanes():
    bp = load_blueprint(BLUEPRINTS / "harness-system-release.yaml")
    fig, ax = plt.subplots()
    out = bp.plot_dag(ax=ax)
    assert out is ax
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == len(bp.graph) == 30
    arrows = [c for c in ax.get_children() if isinstance(c, Annotation)]
    assert len(arrows) == bp.graph.number_of_edges()
    texts = {t.get_text() for t in ax.texts}
    assert "QA Sign-off" in texts
    assert "Emergency Hotfix (rollback)" in texts
    # the critical path is outlined in red, skipped db_migration dashed
    red = [b for b in boxes if matplotlib.colors.to_hex(b.get_edgecolor()) == "#c1121f"]
    assert len(red) == len(bp.critical_path().path)
    dashed = [b for b in boxes if b.get_linestyle() == "--"]
    assert len(dashed) == 1
    plt.close(fig)


def test_plot_dag_defaults_to_current_axes():
    bp = load_blueprint(BLUEPRINTS / "build-phase.yaml")
    plt.figure()
    ax = plot_dag(bp, labels="id")
    assert ax is plt.gca()
    assert {"branch_cut", "run_ci_pipeline", "security_scan"} <= {t.get_text()
                                                                  for t in ax.texts}
    plt.close("all")
