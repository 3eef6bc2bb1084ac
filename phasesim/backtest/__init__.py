"""Backtests: forecasts made in the past, scored against what happened next.

``backtest(log, blueprint=...)`` is the entry point; the scores and the as-of cut it
uses are in :mod:`phasesim.backtest.scores` and :mod:`phasesim.backtest.cut`. See
``docs/backtest.md``.
"""

from phasesim.backtest.backtest import QUANTILES, Backtest, backtest
from phasesim.backtest.cut import log_as_of

__all__ = ["QUANTILES", "Backtest", "backtest", "log_as_of"]
