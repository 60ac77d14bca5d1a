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
with population_2022 computed exactly as ``macro`` starts it (96.15 万 in 2021 times one year
of ``macro.population_growth``). The 2020 ratio is not published: the backcast starts from
``S_2022`` scaled back by two years of the draw's net growth at the start, ``(1 + g_0 − q)²``.
Parameters: ``sim/catalogue/parameters/patents.toml``.
"""

from __future__ import annotations

import numpy as np

from sim.models.base import Component, Context, State, Updates, negative_binomial

# Observations used (observations.csv): invention_patents_per_10k 2022 = 41 (prelim);
# resident_population 2020 = 96.7313 (census) and 2021 = 96.15 万 (reported).
START_YEARS = (2020, 2022)
LAST_PRE_POLICY_YEAR = 2022  # lever settings apply to 2023–2025 (levers.toml)


def _population_2022(ctx: Context) -> np.ndarray:
    """End-2022 population as ``macro.init`` sets it (not published: 2021 plus one year)."""
    growth = ctx.params["macro.population_growth"]
    return ctx.observed("resident_population", 2021) * (1 + growth)


def lever_weight(year: int, grant_lag: np.ndarray) -> np.ndarray:
    """Share of year-``year`` grants filed after the levers took effect (0 to 1)."""
    return np.clip(year - LAST_PRE_POLICY_YEAR - np.asarray(grant_lag, dtype=float), 0.0, 1.0)


def init(ctx: Context) -> Updates:
    """State at the end of the start year (2022, or 2020 for the backcast)."""
    p = ctx.params
    n = ctx.n
    start = ctx.start_year
    if start not in START_YEARS:
        raise ValueError(f"patents: no start state for {start}")
    ratio_2022 = ctx.observed("invention_patents_per_10k", 2022) + p["patents.per_10k_rounding"]
    stock_2022 = ratio_2022 * _population_2022(ctx)
    grant_rate = p["patents.grant_rate_2022"]
    lapse = p["patents.lapse_hazard"]
    if start == 2022:
        population = _population_2022(ctx)
        stock = stock_2022
    else:
        population = np.full(n, ctx.observed("resident_population", 2020))
        stock = stock_2022 / (1 + grant_rate - lapse) ** (2022 - start)
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
    lapses = ctx.rng("patents.lapses").binomial(previous, p["patents.lapse_hazard"])
    effect = ctx.lever_effect("invention_patents_per_10k") ** lever_weight(
        year, p["patents.grant_lag"]
    )
    loading = p["patents.shock_loading"]
    shock = np.exp(loading * state["macro.shock"] - 0.5 * loading**2)
    mean = (
        state["patents.grant_base"]
        * state["patents.rd_index"] ** p["patents.rd_elasticity"]
        * state["patents.certified_index"] ** p["patents.firm_elasticity"]
        * np.exp(p["patents.propensity_trend"] * (year - ctx.start_year))
        * effect
        * shock
    )
    grants = negative_binomial(ctx.rng("patents.grants"), mean, p["patents.dispersion"])
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
    init=init,
    step=step,
    diagnostics=("patents.stock", "patents.grants", "patents.lapses"),
)
