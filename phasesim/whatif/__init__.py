"""What-if: change a blueprint and compare simulated futures.

Scenarios (``load_scenario``) describe changes to a blueprint; ``compare`` simulates each
with common random numbers and reports paired differences; ``sensitivity`` shifts one
activity at a time; ``cadence_sweep`` finds the fastest sustainable cadence. These are
analyses of *models*, not of history (which lives in :mod:`phasesim.analysis`); see
``docs/what-if.md``.
"""

from phasesim.whatif.comparison import Comparison, cadence_sweep, compare, sensitivity
from phasesim.whatif.scenario import Scenario, load_scenario

__all__ = ["Comparison", "Scenario", "cadence_sweep", "compare", "load_scenario", "sensitivity"]
