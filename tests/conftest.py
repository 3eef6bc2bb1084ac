"""Shared test set-up: plots on the Agg backend, never a display."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
