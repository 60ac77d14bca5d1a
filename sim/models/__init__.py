"""Model components: the one registry.

A component exists when a module of this package defines ``COMPONENT`` (see
:mod:`sim.models.contract`); nothing else lists them. :func:`components` returns them in
step order, derived from what each reads (:func:`sim.models.contract.step_order`).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from sim.catalogue import on_reset
from sim.models.contract import Component, step_order

# Modules of this package that hold shared machinery, not a component.
INFRASTRUCTURE = frozenset({"common", "contract", "start"})


@cache
def components() -> tuple[Component, ...]:
    """Every registered component, in step order (each after the components it reads)."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name in INFRASTRUCTURE or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        comp = getattr(module, "COMPONENT", None)
        if isinstance(comp, Component):
            found.append(comp)
    return step_order(found)


def produced_indicators() -> set[str]:
    """Indicators some registered component produces."""
    return {ind for comp in components() for ind in comp.outputs}


on_reset(components.cache_clear)
