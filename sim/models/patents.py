"""Patents component: the valid invention-patent stock and ``invention_patents_per_10k``.

The stock grows along the outside-view trend of its reference class (:mod:`sim.models.trend`:
the valid invention stocks of the provinces, whose growth a county's drift is pooled from).
Per draw, in year ``t`` (start year ``t0``), in this order:

1. **Lapses.** ``L_t ~ Binomial(S_{t−1}, q)``: fees not paid, invalidations, 20-year expiry.
2. **Grants.** ``G_t ~ NegBin(μ_t, k)`` with::

       μ_t = S_{t−1} · (exp(ΔW_t) − 1 + q) · E^{w_t} · X_{t−1}^α · exp(λ z_t − λ²/2)

   ``ΔW_t = W_t − W_{t−1}`` is this year's step of the trend's persistent walk (drift, its
   persistent change and breaks), so without levers the stock grows by ``ΔW_t`` on the log
   scale as peers' stocks do: grants replace what lapses and add the trend's growth.
   ``E = ctx.lever_effect("invention_patents_per_10k")`` multiplies the grant rate and
   phases in with the grant lag ``ℓ``: ``w_t = clip(t − 2022 − ℓ, 0, 1)`` is the share of
   year-``t`` grants filed after the levers took effect (1 January 2023). ``X`` is the lever
   effect on real R&D spending (``rnd.real_effect``, 1 under the status quo) a year earlier,
   with elasticity ``α``: R&D subsidies reach patents through the R&D they add. Ordinary R&D
   growth is already in the class's drift, so it does not enter again.
3. **Stock and ratio.** ``S_t = S_{t−1} − L_t + G_t``; ``invention_patents_per_10k =
   S_t / population_t · exp(e_t)`` with the trend's transitory part ``e_t`` (the published
   ratio's own deviation) and this year's resident population (from ``macro``).

Start state: the published ratio ``(41 + rounding)`` (observations: 41 per 10k in 2022) times
the 2022 population (``macro.population_2022``: 96.15 万 in 2021 times one year of
``macro.population_growth``), less the transitory part of the published figure (``W_0 =
−e_0``). The 2020 ratio is not published: the backcast starts from the 2022 stock taken back
by two years of the drift. Parameters: ``sim/catalogue/parameters/patents.toml``.
"""

from __future__ import annotations

import numpy as np

from sim.models.common import mean_one_shock, negative_binomial
from sim.models.contract import Component, Context, State, Updates
from sim.models.trend import Trend

# Observations used (observations.csv): invention_patents_per_10k 2022 = 41 (prelim); the
# resident population comes from macro (96.15 万 in 2021 plus a year of growth).
LAST_PRE_POLICY_YEAR = 2022  # lever settings apply to 2023–2025 (levers.toml)
RATIO_YEAR = 2022  # the only published ratio of invention patents per 10k residents
TREND = Trend("patents.stock", "invention_patents")


def lever_weight(year: int, grant_lag: np.ndarray) -> np.ndarray:
    """Share of year-``year`` grants filed after the levers took effect (0 to 1)."""
    return np.clip(year - LAST_PRE_POLICY_YEAR - np.asarray(grant_lag, dtype=float), 0.0, 1.0)


def init(state: State, ctx: Context) -> Updates:
    """State at the end of the start year (2022, or 2020 for the backcast)."""
    p = ctx.params
    n = ctx.n
    start = ctx.start
    ratio = start.observed("invention_patents_per_10k", RATIO_YEAR) + p["patents.per_10k_rounding"]
    walk = TREND.start(p, ctx.rng("trend"), n)
    # The persistent 2022 stock: the published ratio without its transitory part; an earlier
    # start takes it back by the drift.
    stock_2022 = ratio * state["macro.population_2022"] * np.exp(walk)
    stock = start.carry_back(stock_2022, np.exp(p["patents.stock_drift"]))
    stock = np.rint(np.maximum(stock, 0.0)).astype(np.int64)
    published = ratio * state["macro.population_2022"] / state["resident_population"]
    zero = np.zeros(n, dtype=np.int64)
    return {
        "invention_patents_per_10k": start.carry_back(published, np.exp(p["patents.stock_drift"])),
        "patents.stock": stock,
        "patents.walk": walk,
        "patents.grant_mean": zero.astype(float),
        "patents.grants": zero,
        "patents.lapses": zero,
        "patents.rd_effect": np.ones(n),
    }


def step(state: State, ctx: Context, year: int) -> Updates:
    """One year: lapses, grants, stock and the per-10k ratio."""
    p = ctx.params
    previous = state["patents.stock"]
    q = p["patents.lapse_hazard"]
    lapses = ctx.rng("lapses").binomial(previous, q)
    walk, transitory = TREND.step(state["patents.walk"], p, ctx.rng("trend"))
    rate = np.maximum(np.expm1(walk - state["patents.walk"]) + q, 0.0)
    effect = ctx.lever_effect("invention_patents_per_10k") ** lever_weight(
        year, p["patents.grant_lag"]
    )
    mean = (
        previous
        * rate
        * effect
        * state["patents.rd_effect"] ** p["patents.rd_elasticity"]
        * mean_one_shock(p["patents.shock_loading"], state["macro.shock"])
    )
    grants = negative_binomial(ctx.rng("grants"), mean, p["patents.dispersion"])
    stock = previous - lapses + grants
    return {
        "invention_patents_per_10k": stock / state["resident_population"] * np.exp(transitory),
        "patents.stock": stock,
        "patents.walk": walk,
        "patents.grant_mean": mean,
        "patents.grants": grants,
        "patents.lapses": lapses,
        # this year's R&D lever effect, read as last year's next year
        "patents.rd_effect": state["rnd.real_effect"],
    }


COMPONENT = Component(
    name="patents",
    outputs=("invention_patents_per_10k",),
    reads=(
        "resident_population",
        "macro.population_2022",
        "macro.shock",
        "rnd.real_effect",
    ),
    streams=("lapses", "grants", "trend"),
    init=init,
    step=step,
    diagnostics=("patents.stock", "patents.grants", "patents.lapses"),
    trends=(TREND,),
)
