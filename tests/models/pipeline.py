"""Run a few components the way the engine does, keeping the state after every year."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.models.base import Component, Context
from sim.priors import draw_parameters
from sim.scenario import status_quo


def make_context(
    n: int,
    seed: int = 20230305,
    start_year: int = 2022,
    fixed: dict[str, float] | None = None,
    **lever_settings: float,
) -> Context:
    """A context as the engine builds it; ``fixed`` parameters, levers by keyword."""
    sc = status_quo().with_levers(**lever_settings) if lever_settings else status_quo()
    return Context(n=n, params=draw_parameters(seed, 0, n, fixed), levers=sc.levers, seed=seed,
                   chunk=0, start_year=start_year)  # fmt: skip


def simulate_components(
    components: Sequence[Component],
    start: int = 2022,
    end: int = 2025,
    n: int = 2000,
    seed: int = 20230305,
    fixed: dict[str, float] | None = None,
    settings: dict[str, float] | None = None,
) -> tuple[Context, list[dict[str, np.ndarray]]]:
    """The state after init and after every year; ``fixed`` parameters, ``settings`` levers."""
    ctx = make_context(n, seed, start, fixed, **(settings or {}))
    state: dict[str, np.ndarray] = {}
    for comp in components:
        state.update(comp.init(ctx))
    history = [dict(state)]
    for year in range(start + 1, end + 1):
        for comp in components:
            state.update(comp.step(state, ctx, year))
        history.append(dict(state))
    return ctx, history
