"""``explore(blueprint)``: a Jupyter panel that re-simulates as its sliders move.

One slider per activity that takes time (a factor on its duration, so its median moves
with it: 0.5 halves every sampled duration), one per approval gate (its approvers), one
for the days between releases; a P50/P80 readout and a lead-time histogram redraw after
each change. Every answer is a :func:`phasesim.simulate` call with the same seed, so two
positions of a slider differ only by what the slider changes (common random numbers).
It needs ``ipywidgets`` (``pip install phasesim[explore]``).
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

import numpy as np

from phasesim.blueprint import Blueprint, load_blueprint
from phasesim.errors import PhasesimError

__all__ = ["Explorer", "explore"]


class Explorer:
    """The panel's state: its widgets, the last result and how it was obtained.

    ``widget`` is what Jupyter shows; ``factors``, ``approvers`` and ``cadence_days`` are
    the sliders (drive them from Python by setting ``.value``); ``result`` is the last
    simulation and ``readout`` the P50/P80 text.
    """

    def __init__(self, bp: Blueprint, *, releases: int, runs: int, seed: int,
                 start: Any, cadence_days: int, engine: str) -> None:
        import ipywidgets as widgets

        self.base = bp
        self.releases, self.runs, self.seed, self.start = releases, runs, seed, start
        self.engine = engine
        style = {"description_width": "initial"}
        self.factors: dict[str, Any] = {}
        self.approvers: dict[str, Any] = {}
        for ph in bp.phases:
            for act in ph.activities:
                key = f"{ph.id}.{act.id}"
                if act.approval is not None:
                    self.approvers[key] = widgets.IntSlider(
                        value=act.approval.approvers, min=act.approval.required,
                        max=max(act.approval.approvers + 3, act.approval.required),
                        description=f"{key} approvers", style=style, continuous_update=False)
                elif act.duration is not None:
                    self.factors[key] = widgets.FloatSlider(
                        value=1.0, min=0.25, max=2.0, step=0.05,
                        description=f"{key} × median", style=style, continuous_update=False)
        self.cadence_days = widgets.IntSlider(value=cadence_days, min=1, max=28,
                                              description="days between releases",
                                              style=style, continuous_update=False)
        self.readout = widgets.HTML()
        self.plot = widgets.Output()
        for slider in [*self.factors.values(), *self.approvers.values(), self.cadence_days]:
            slider.observe(lambda _change: self.update(), names="value")
        self.widget = widgets.HBox([
            widgets.VBox([*self.factors.values(), *self.approvers.values(),
                          self.cadence_days], layout=widgets.Layout(width="50%")),
            widgets.VBox([self.readout, self.plot]),
        ])
        self.result: Any = None
        self.p50 = self.p80 = float("nan")
        self.update()

    def blueprint(self) -> Blueprint:
        """The base blueprint with the sliders' changes."""
        from phasesim.whatif.scenario import _with_activity, scale_target

        bp = self.base
        for key, slider in self.factors.items():
            if slider.value != 1.0:
                changed, _ = scale_target(bp, key, float(slider.value))
                bp = changed if changed is not None else bp
        for key, slider in self.approvers.items():
            pid, _, aid = key.partition(".")
            i = bp.phase_ids.index(pid)
            j = [a.id for a in bp.phases[i].activities].index(aid)
            act = bp.phases[i].activities[j]
            assert act.approval is not None
            if slider.value != act.approval.approvers:
                bp = _with_activity(bp, i, j, replace(act, approval=replace(
                    act.approval, approvers=int(slider.value))))
        return bp

    def update(self) -> None:
        """Simulate the current settings; redraw the readout and the histogram."""
        from phasesim.simulation import simulate

        result = simulate(self.blueprint(), releases=self.releases, runs=self.runs,
                          cadence=f"every {int(self.cadence_days.value)}d", start=self.start,
                          seed=self.seed, progress=False, engine=self.engine)
        lead = result.lead_times.to_numpy(dtype=float)
        self.result = result
        self.p50, self.p80 = (float(np.quantile(lead, q)) if len(lead) else float("nan")
                              for q in (0.5, 0.8))
        self.readout.value = (f"<b>P50</b> {self.p50 / 24:.1f} d &nbsp; <b>P80</b> "
                              f"{self.p80 / 24:.1f} d &nbsp; ({len(lead)} releases, "
                              f"{result.engine} engine)")
        import matplotlib.pyplot as plt

        self.plot.clear_output(wait=True)
        with self.plot:
            fig, ax = plt.subplots(figsize=(5, 3))
            ax.hist(lead / 24, bins=30, color="#4c72b0")
            for q, value, ls in (("P50", self.p50, "--"), ("P80", self.p80, ":")):
                ax.axvline(value / 24, color="#c44e52", ls=ls, lw=1.5,
                           label=f"{q} {value / 24:.1f} d")
            ax.legend(frameon=False)
            ax.set_xlabel("lead time (days)")
            ax.set_ylabel("releases")
            fig.tight_layout()
            self.figure = fig
            plt.show()
        plt.close(fig)

    def _ipython_display_(self) -> None:  # pragma: no cover - needs a notebook front end
        from IPython.display import display

        display(self.widget)


def explore(blueprint: Blueprint | str | os.PathLike[str], *, releases: int = 8,
            runs: int = 100, seed: int = 0, start: Any = "2026-01-05 09:00",
            cadence_days: int = 7, engine: str = "auto") -> Explorer:
    """A panel of sliders over a blueprint, with its lead time redrawn on every change.

    Examples
    --------
    >>> panel = explore("data/blueprints/parallel.yaml")  # doctest: +SKIP
    >>> panel  # in Jupyter: the sliders, a P50/P80 readout and a histogram  # doctest: +SKIP
    """
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        raise PhasesimError("explore needs ipywidgets: pip install 'phasesim[explore]'") \
            from None
    bp = blueprint if isinstance(blueprint, Blueprint) else load_blueprint(blueprint)
    return Explorer(bp, releases=releases, runs=runs, seed=seed, start=start,
                    cadence_days=cadence_days, engine=engine)
