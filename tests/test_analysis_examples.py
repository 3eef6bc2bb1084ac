"""The Examples sections of the analysis, plotting and report docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib

import matplotlib
import pytest

matplotlib.use("Agg")

MODULES = [
    "phasesim.analysis.stats",
    "phasesim.analysis.bottlenecks",
    "phasesim.analysis.trends",
    "phasesim.analysis.history",
    "phasesim.plotting.history",
    "phasesim.report",
    "phasesim.simulation.streams",
    "phasesim.simulation.batch",
    "phasesim.simulation.cadence",
    "phasesim.distributions",
    "phasesim.units",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    import matplotlib.pyplot as plt

    module = importlib.import_module(name)
    try:
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    finally:
        plt.close("all")
    assert result.attempted > 0
    assert result.failed == 0
