"""Backtests: forecasts scored against what happened next (see ``docs/backtest.md``)."""
