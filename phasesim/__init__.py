"""phasesim: plan, simulate and analyse how software releases move through their phases."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("phasesim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
