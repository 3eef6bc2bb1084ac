"""The public names stay what they say after any submodule has been imported."""

import importlib
import pkgutil
import types

import phasesim


def test_every_public_name_survives_importing_every_submodule():
    # Importing a subpackage binds it as an attribute of its parent: a subpackage named
    # like a public function (phasesim/forecasting/ beside phasesim.forecast) would shadow it.
    for info in pkgutil.walk_packages(phasesim.__path__, "phasesim."):
        if not info.name.startswith("phasesim.__main__"):
            importlib.import_module(info.name)
    for name in phasesim.__all__:
        if name == "__version__":
            continue
        value = getattr(phasesim, name)
        assert not isinstance(value, types.ModuleType), f"phasesim.{name} is a module"
    assert callable(phasesim.backtest) and callable(phasesim.simulate)
