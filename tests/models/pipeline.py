"""Run a few components the way the engine does, keeping the state after every year."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.models.base import Component, Context
from sim.priors import draw_parameters
from sim.scenario import status_quo


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
    params = draw_parameters(seed, 0, n, fixed)
    lever_settings = {**status_quo().levers, **(settings or {})}
    ctx = Context(n=n, params=params, levers=lever_settings, seed=seed, chunk=0, start_year=start)
    state: dict[str, np.ndarray] = {}
    for comp in components:
        state.update(comp.init(ctx))
    history = [dict(state)]
    for year in range(start + 1, end + 1):
        for comp in components:
            state.update(comp.step(state, ctx, year))
        history.append(dict(state))
    return ctx, history
