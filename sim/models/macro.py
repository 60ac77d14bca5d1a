"""Macro component: nominal GDP, resident population, above-scale industrial output, and the
common macro shock that later components share, so that a bad year hurts several targets.

Each year ``z ~ N(0, 1)`` per draw (``macro.shock``); nominal GDP grows by
``trend + sd * z``; industrial output grows by ``trend * effect + beta * sd * z + noise``, where
``effect`` is the lever effect on ``industrial_output`` (technology-upgrade subsidies);
population grows by its drawn rate. Parameters: ``sim/catalogue/parameters/macro.toml``.
"""

from __future__ import annotations

import numpy as np

from sim.models.contract import Component, Context, State, Updates
from sim.models.start import BASE_YEAR

# Observed start values (observations.csv): GDP 2020 = 1230 and 2022 = 1400 亿元 (prelim);
# resident population 2020 = 96.7313 万 (census) and 2021 = 96.15 万.


def init(state: State, ctx: Context) -> Updates:
    """State at the end of the start year: observed GDP and population, the output prior."""
    p = ctx.params
    n = ctx.n
    gdp = ctx.start.full("gdp")
    # The 2022 population was not yet published: 2021's 96.15 万 plus one year of drawn growth.
    growth = p["macro.population_growth"]
    population = ctx.start.latest("resident_population", growth)
    # The 2022 prior of above-scale output, taken back by the trend growth for a backcast.
    output = ctx.start.carry_back(
        p["macro.industrial_output_2022"].copy(), 1 + p["macro.gdp_growth_trend"]
    )
    return {
        "gdp": gdp,
        "resident_population": population,
        "industrial_output": output,
        "macro.shock": np.zeros(n),
        "macro.gdp_growth": np.zeros(n),
        # the end-2022 population whatever the start (the per-10k ratio of 2022 builds on it)
        "macro.population_2022": ctx.start.latest("resident_population", growth, BASE_YEAR),
    }


def step(state: State, ctx: Context, year: int) -> Updates:
    """One year: draw the common shock and grow GDP, population and industrial output."""
    p = ctx.params
    z = ctx.rng("shock").standard_normal(ctx.n)
    deviation = p["macro.gdp_growth_sd"] * z
    growth = p["macro.gdp_growth_trend"] + deviation
    noise = p["macro.industry_noise_sd"] * ctx.rng("industry").standard_normal(ctx.n)
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
    reads=(),
    streams=("shock", "industry"),
    init=init,
    step=step,
    diagnostics=("macro.shock",),
)
