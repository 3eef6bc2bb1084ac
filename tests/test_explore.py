"""``phasesim.explore``: the panel re-simulates as its widgets move (driven from Python)."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import phasesim
from phasesim import load_blueprint, simulate
from phasesim.whatif.scenario import scale_target

pytest.importorskip("ipywidgets")

TRAIN = """
process:
  id: small
  phases:
    - phase:
        id: p
        activities:
          - activity: {id: build, type: automated, duration: {fixed: 10h}}
          - activity: {id: test, type: automated, depends-on: [build],
                       duration: {triangular: [2h, 4h, 12h]}}
          - activity:
              id: ok
              type: manual
              depends-on: [test]
              approval: {approvers: 1, required: 1, wait: {fixed: 6h}}
"""


def test_sliders_redraw_the_readout_as_computed():
    bp = load_blueprint(textwrap.dedent(TRAIN))
    panel = phasesim.explore(bp, releases=3, runs=20, seed=4)
    assert set(panel.factors) == {"p.build", "p.test"}
    assert set(panel.approvers) == {"p.ok"}
    start = {"releases": 3, "runs": 20, "seed": 4, "cadence": "every 7d",
             "start": "2026-01-05 09:00", "progress": False}
    base = simulate(bp, **start).lead_times.to_numpy()
    assert panel.p50 == pytest.approx(np.quantile(base, 0.5))
    # build: fixed 10 h -> 5 h: every lead time drops by exactly 5 h
    panel.factors["p.build"].value = 0.5
    assert panel.p50 == pytest.approx(np.quantile(base, 0.5) - 5.0)
    assert panel.p80 == pytest.approx(np.quantile(base, 0.8) - 5.0)
    expected = simulate(scale_target(bp, "p.build", 0.5)[0], **start).lead_times
    assert np.allclose(np.sort(panel.result.lead_times), np.sort(expected))
    assert "P50" in panel.readout.value and f"{panel.p50 / 24:.1f} d" in panel.readout.value
    # a second approver with the same fixed 6 h wait (one still required): the first
    # response still comes after 6 h, so nothing moves
    panel.approvers["p.ok"].value = 2
    assert panel.p50 == pytest.approx(np.quantile(base, 0.5) - 5.0)
    act = panel.blueprint().phases[0].activities[2]
    assert act.approval is not None and act.approval.approvers == 2
    # the cadence slider reaches the simulation
    panel.cadence_days.value = 1
    assert panel.result.params["cadence"] == "every 1d"
    assert panel.result.engine == "compiled"
    assert panel.figure.axes[0].get_xlabel() == "lead time (days)"
