"""Patents component: the valid invention-patent stock and ``invention_patents_per_10k``.

Per draw, in year ``t`` (start year ``t0``), in this order:

1. **Lapses.** ``L_t ~ Binomial(S_{t-1}, q)``: fees not paid, invalidations, 20-year expiry.
2. **Grants.** ``G_t ~ NegBin(μ_t, k)`` with::

       μ_t = G_0 · (R_{t-1}/R_0)^α_R · (H_{t-1}/H_0)^α_H · exp(τ (t − t0))
             · E^{w_t} · exp(λ z_t − λ²/2)

   ``G_0 = g_0 · S_0`` (grants at the start as a fraction of the stock), ``R`` real R&D
   spending (from ``rnd``), ``H`` the certified high-tech stock (from ``firms``), both a year
   earlier because grants come from filings made one to three years before; ``τ`` a trend of
   patenting propensity; ``z_t`` the common macro shock.
   ``E = ctx.lever_effect("invention_patents_per_10k")`` multiplies the grant rate; it phases
   in with the grant lag ``ℓ``: ``w_t = clip(t − 2022 − ℓ, 0, 1)`` is the share of year-``t``
   grants filed after the levers took effect (1 January 2023), filings being spread evenly
   over the year centred ``ℓ`` years before the grant.
3. **Stock and ratio.** ``S_t = S_{t-1} − L_t + G_t``; ``invention_patents_per_10k =
   S_t / population_t`` (resident population in 10k persons, from ``macro``, which steps
   first, so ``population_t`` is this year's).

Start state: ``S_2022 = (41 + rounding) · population_2022`` (observations: 41 per 10k in 2022),
with population_2022 from ``macro`` (``macro.population_2022``: 96.15 万 in 2021 times one
year of ``macro.population_growth``). The 2020 ratio is not published: the backcast starts from
``S_2022`` scaled back by two years of the draw's net growth at the start, ``(1 + g_0 − q)²``.
Parameters: ``sim/catalogue/parameters/patents.toml``.
"""

from __future__ import annotations

import numpy as np

from sim.models.common import mean_one_shock, negative_binomial
from sim.models.contract import Component, Context, State, Updates

# Observations used (observations.csv): invention_patents_per_10k 2022 = 41 (prelim); the
# resident population comes from macro (96.15 万 in 2021 plus a year of growth).
LAST_PRE_POLICY_YEAR = 2022  # lever settings apply to 2023–2025 (levers.toml)
RATIO_YEAR = 2022  # the only published ratio of invention patents per 10k residents


def lever_weight(year: int, grant_lag: np.ndarray) -> np.ndarray:
    """Share of year-``year`` grants filed after the levers took effect (0 to 1)."""
    return np.clip(year - LAST_PRE_POLICY_YEAR - np.asarray(grant_lag, dtype=float), 0.0, 1.0)


def init(state: State, ctx: Context) -> Updates:
    """State at the end of the start year (2022, or 2020 for the backcast)."""
    p = ctx.params
    n = ctx.n
    start = ctx.start
    ratio = start.observed("invention_patents_per_10k", RATIO_YEAR) + p["patents.per_10k_rounding"]
    population = state["resident_population"]
    grant_rate = p["patents.grant_rate_2022"]
    lapse = p["patents.lapse_hazard"]
    # The 2022 stock is the ratio times the 2022 population; an earlier start takes it back
    # by the draw's net growth (1 + g0 − q).
    stock_2022 = ratio * state["macro.population_2022"]
    stock = start.carry_back(stock_2022, 1 + grant_rate - lapse)
    stock = np.rint(np.maximum(stock, 0.0)).astype(np.int64)
    zero = np.zeros(n, dtype=np.int64)
    return {
        "invention_patents_per_10k": stock / population,
        "patents.stock": stock,
        "patents.grant_base": grant_rate * stock,
        "patents.grant_mean": grant_rate * stock,
        "patents.grants": zero,
        "patents.lapses": zero,
        "patents.rd_index": np.ones(n),
        "patents.certified_index": np.ones(n),
    }


def step(state: State, ctx: Context, year: int) -> Updates:
    """One year: lapses, grants, stock and the per-10k ratio."""
    p = ctx.params
    previous = state["patents.stock"]
    lapses = ctx.rng("lapses").binomial(previous, p["patents.lapse_hazard"])
    effect = ctx.lever_effect("invention_patents_per_10k") ** lever_weight(
        year, p["patents.grant_lag"]
    )
    shock = mean_one_shock(p["patents.shock_loading"], state["macro.shock"])
    mean = (
        state["patents.grant_base"]
        * state["patents.rd_index"] ** p["patents.rd_elasticity"]
        * state["patents.certified_index"] ** p["patents.firm_elasticity"]
        * np.exp(p["patents.propensity_trend"] * (year - ctx.start_year))
        * effect
        * shock
    )
    grants = negative_binomial(ctx.rng("grants"), mean, p["patents.dispersion"])
    stock = previous - lapses + grants
    h0 = np.maximum(np.asarray(state["firms.stock_start"], dtype=float), 1.0)
    certified = np.maximum(np.asarray(state["hightech_enterprises"], dtype=float), 1.0)
    rd_index = state["rnd.spending"] / state["rnd.spending_start"]  # start spending > 0
    return {
        "invention_patents_per_10k": stock / state["resident_population"],
        "patents.stock": stock,
        "patents.grant_mean": mean,
        "patents.grants": grants,
        "patents.lapses": lapses,
        # this year's drivers, read as last year's next year
        "patents.rd_index": rd_index,
        "patents.certified_index": certified / h0,
    }


COMPONENT = Component(
    name="patents",
    outputs=("invention_patents_per_10k",),
    reads=(
        "resident_population",
        "macro.population_2022",
        "macro.shock",
        "hightech_enterprises",
        "firms.stock_start",
        "rnd.spending",
        "rnd.spending_start",
    ),
    streams=("lapses", "grants"),
    init=init,
    step=step,
    diagnostics=("patents.stock", "patents.grants", "patents.lapses"),
)
