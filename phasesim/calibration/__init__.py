"""Calibrate a blueprint from release history, and check the calibrated model.

- :func:`calibrate` fits each activity's duration (lognormal, gamma, Weibull or PERT by
  maximum likelihood; empirical for small samples), approval waits (in working hours,
  through the k-of-n order statistic), failure and rejection rates and retries, and
  returns a :class:`Calibration` with the new blueprint and a table of what changed.
- :func:`fit_duration` is the fitting step on its own.
- :func:`validate_model` puts simulated and historical lead times side by side and
  backtests the simulated quantiles; :func:`plot_validation` draws both ECDFs.

The method is in ``docs/calibration.md``.
"""

from phasesim.calibration.calibrator import Calibration, calibrate
from phasesim.calibration.fitting import CRITERIA, FAMILIES, DurationFit, Fit, fit_duration
from phasesim.calibration.validation import ModelCheck, plot_validation, validate_model

__all__ = [
    "CRITERIA",
    "FAMILIES",
    "Calibration",
    "DurationFit",
    "Fit",
    "ModelCheck",
    "calibrate",
    "fit_duration",
    "plot_validation",
    "validate_model",
]
