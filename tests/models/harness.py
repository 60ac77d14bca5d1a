"""Run components the way the engine does (``sim.engine.run_years``), keeping every year's state.

One harness for every component test: the whole model or a few components, any start year,
some parameters fixed and some levers set; the component-scoped contexts are kept so a test
can ask for the lever effects a component saw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.engine import run_years
from sim.models import components
from sim.models.contract import Component, Context, RunContext, StateView, step_order
from sim.models.start import Start
from sim.priors import draw_parameters
from sim.scenario import status_quo

SEED = 20230305


@dataclass
class Run:
    """States after init and after every year; what each component read and saw."""

    history: list[dict[str, np.ndarray]]
    contexts: dict[str, Context]
    used: dict[str, set[str]]

    def context(self, name: str) -> Context:
        """The context component ``name`` ran with."""
        return self.contexts[name]

    def series(self, key: str) -> np.ndarray:
        """``key`` in every recorded year, as a (years, draws) float array."""
        return np.array([s[key] for s in self.history], dtype=float)


def run_context(
    n: int,
    seed: int = SEED,
    start_year: int = 2022,
    fixed: dict[str, float] | None = None,
    settings: dict[str, float] | None = None,
) -> RunContext:
    """A chunk's shared context as the engine builds it; ``fixed`` parameters are not checked
    against their priors (tests push them outside on purpose), ``settings`` are levers."""
    return RunContext(
        n=n,
        params=draw_parameters(seed, 0, n, fixed),
        levers=status_quo().with_levers(**(settings or {})).levers,
        seed=seed,
        chunk=0,
        start=Start(start_year, n),
    )


def context(
    component: Component,
    n: int,
    seed: int = SEED,
    start_year: int = 2022,
    fixed: dict[str, float] | None = None,
    settings: dict[str, float] | None = None,
) -> Context:
    """The context ``component`` gets from the engine, for calling its init/step by hand."""
    return Context(run_context(n, seed, start_year, fixed, settings), component, set())


def view(component: Component, state: dict[str, np.ndarray]) -> StateView:
    """``state`` as ``component`` may read it (undeclared reads raise)."""
    return StateView(state, component)


def simulate(
    comps: Sequence[Component] | None = None,
    start: int = 2022,
    end: int = 2025,
    n: int = 2000,
    seed: int = SEED,
    fixed: dict[str, float] | None = None,
    settings: dict[str, float] | None = None,
) -> Run:
    """Run ``comps`` (default: every component, in step order) from ``start`` to ``end``."""
    comps = step_order(components() if comps is None else comps)
    run = run_context(n, seed, start, fixed, settings)
    used: dict[str, set[str]] = {c.name: set() for c in comps}
    history = [dict(s) for s in run_years(comps, run, tuple(range(start, end + 1)), used)]
    contexts = {c.name: Context(run, c, used[c.name]) for c in comps}
    return Run(history, contexts, used)
