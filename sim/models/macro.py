"""Macro component: nominal GDP, resident population, above-scale industrial output, and the
common macro shock that later components share, so that a bad year hurts several targets.

Each year ``z ~ N(0, 1)`` per draw (``macro.shock``); nominal GDP grows by
``trend + sd * z``; industrial output grows by ``trend * effect + beta * sd * z + noise``, where
``effect`` is the lever effect on ``industrial_output`` (technology-upgrade subsidies);
population grows by its drawn rate. Parameters: ``sim/catalogue/parameters/macro.toml``.
"""

from __future__ import annotations

import numpy as np

from sim.models.base import Component, Context, State, Updates

# Observed start values (observations.csv): GDP 2020 = 1230 and 2022 = 1400 亿元 (prelim);
# resident population 2020 = 96.7313 万 (census) and 2021 = 96.15 万.


def init(ctx: Context) -> Updates:
    """State at the end of the start year (2022, or 2020 for the backcast)."""
    p = ctx.params
    n = ctx.n
    if ctx.start_year == 2022:
        gdp = np.full(n, ctx.observed("gdp", 2022))
        # 2022 population is not published: one year of drawn growth from 2021's 96.15 万.
        population = ctx.observed("resident_population", 2021) * (1 + p["macro.population_growth"])
        output = p["macro.industrial_output_2022"].copy()
    elif ctx.start_year == 2020:
        gdp = np.full(n, ctx.observed("gdp", 2020))
        population = np.full(n, ctx.observed("resident_population", 2020))
        # Scale the 2022 prior back by two years of trend growth.
        output = p["macro.industrial_output_2022"] / (1 + p["macro.gdp_growth_trend"]) ** 2
    else:
        raise ValueError(f"macro: no start state for {ctx.start_year}")
    return {
        "gdp": gdp,
        "resident_population": population,
        "industrial_output": output,
        "macro.shock": np.zeros(n),
        "macro.gdp_growth": np.zeros(n),
    }


def step(state: State, ctx: Context, year: int) -> Updates:
    """One year: draw the common shock and grow GDP, population and industrial output."""
    p = ctx.params
    z = ctx.rng("macro.shock").standard_normal(ctx.n)
    deviation = p["macro.gdp_growth_sd"] * z
    growth = p["macro.gdp_growth_trend"] + deviation
    noise = p["macro.industry_noise_sd"] * ctx.rng("macro.industry").standard_normal(ctx.n)
    # Technology-upgrade subsidies act on the trend growth of industrial output.
    trend = p["macro.gdp_growth_trend"] * ctx.lever_effect("industrial_output")
    output_growth = trend + p["macro.industry_beta"] * deviation + noise
    return {
        "gdp": state["gdp"] * (1 + growth),
        "resident_population": state["resident_population"] * (1 + p["macro.population_growth"]),
        "industrial_output": state["industrial_output"] * np.maximum(1 + output_growth, 0.05),
        "macro.shock": z,
        "macro.gdp_growth": growth,
    }


COMPONENT = Component(
    name="macro",
    outputs=("gdp", "resident_population", "industrial_output"),
    init=init,
    step=step,
    diagnostics=("macro.shock",),
)
