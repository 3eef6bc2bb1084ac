"""Shared test set-up: plots on the Agg backend, never a display."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(params=["simpy", "auto"])
def both_engines(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test under the SimPy engine and under ``engine="auto"`` (the compiled
    engine, or SimPy with ``result.engine_note`` saying why it fell back)."""
    from phasesim.simulation import runner

    defaults = runner.simulate.__kwdefaults__
    assert defaults is not None
    monkeypatch.setitem(defaults, "engine", request.param)
    return str(request.param)
