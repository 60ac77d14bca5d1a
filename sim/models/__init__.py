"""Model components, one module each, stepping in the order of ``sim.catalogue.COMPONENTS``.

The registry is explicit: a component exists when it is listed here.
"""

from __future__ import annotations

from functools import cache

from sim.catalogue import COMPONENTS
from sim.models.base import Component


@cache
def components() -> tuple[Component, ...]:
    """The registered components in stepping order."""
    from sim.models import (
        agriculture,
        collaboration,
        firms,
        industry,
        macro,
        patents,
        platforms,
        rnd,
        talent,
    )

    modules = (macro, talent, firms, rnd, patents, industry, collaboration, platforms, agriculture)
    registered = {m.COMPONENT.name: m.COMPONENT for m in modules}
    return tuple(registered[name] for name in COMPONENTS if name in registered)


def produced_indicators() -> set[str]:
    """Indicators some registered component produces."""
    return {ind for comp in components() for ind in comp.outputs}
