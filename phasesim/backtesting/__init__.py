"""Backtests: forecasts made in the past, scored against what happened next.

``backtest(log, blueprint=...)`` is the entry point; the scores and the as-of cut it
uses are in :mod:`phasesim.backtesting.scores` and :mod:`phasesim.backtesting.cut`. See
``docs/backtest.md``.
"""

from phasesim.backtesting.backtest import QUANTILES, Backtest, backtest
from phasesim.backtesting.cut import log_as_of

__all__ = ["QUANTILES", "Backtest", "backtest", "log_as_of"]
