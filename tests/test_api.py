"""The public Python API: the names a notebook imports are the functions, whatever was loaded."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import allocator


def test_public_names_are_functions_even_after_their_modules_are_imported() -> None:
    for module in pkgutil.walk_packages(allocator.__path__, "allocator."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    for name in (
        "solve",
        "compare",
        "sweep",
        "explain",
        "alternatives",
        "diagnose",
        "shadow_prices",
        "load_scenario",
    ):
        assert inspect.isfunction(getattr(allocator, name)), name
