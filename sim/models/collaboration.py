"""Collaboration: industry–university–research (IUR) projects, technology-contract turnover,
东疆科技计划 key technology projects and Shanghai research results transferred to Qidong.

Each year ``t`` steps after macro and firms, so the common macro shock ``z`` (``macro.shock``),
the year's nominal GDP growth ``g`` (``macro.gdp_growth``) and the year-end certified stock
``H_t`` (``hightech_enterprises``) are known. ``H_0`` is the stock at the end of the start year
(``firms.stock_start``). ``S(a) = exp(a z − a²/2)`` is a mean-one macro factor with loading ``a``;
``effect(X)`` is ``ctx.lever_effect(X)`` (exactly 1 at status quo). Per draw, in this order:

1. **IUR projects** (项). ``rate_t = rate_{t−1} · (1 + iur_trend)``;
   ``iur_projects ~ NegBin(rate_t · effect(iur_projects) · S(shock_loading), iur_dispersion)``.
   The lever multiplies the expected number of projects.
2. **Technology-contract turnover** (亿元, a heavy-tailed annual flow).
   ``base_t = base_{t−1} · (1 + g)^turnover_gdp_elasticity · (1 + turnover_trend)``;
   ``mean_t = base_t · (H_t / H_0)^turnover_firm_elasticity · effect(tech_contract_turnover)``;
   ``turnover = mean_t · exp(σ ε − σ²/2)`` with ``ε ~ N(0, 1)`` and ``σ = turnover_volatility``.
   The levers multiply the expected turnover ``mean_t``; the macro shock enters through ``g``.
3. **Key technology projects** (东疆科技计划, 项). The programme plans
   ``planned = research_rate · effect(research_projects)`` launches; it approves
   ``N = planned / research_completion`` projects (rounded up or down at random so that the mean
   is exact) and each is launched within the year with probability ``research_completion``:
   ``research_projects ~ Binomial(N, research_completion)``, mean ``planned``, variance about
   ``planned · (1 − research_completion)`` — an administrative count, under-dispersed, that
   follows the funded number closely. The lever multiplies ``planned``. No macro loading: the
   grant budget is set before the year.
4. **Shanghai results transferred** (个). ``rate_t = rate_{t−1} · (1 + shanghai_trend)``;
   ``shanghai_transfers ~ NegBin(rate_t · effect(shanghai_transfers) · S(shock_loading),
   shanghai_dispersion)``. The lever multiplies the expected number.

Start state (2022): IUR projects and turnover hold their observed 2022 values; the turnover level
behind the observed 128 亿 is ``128 · exp(σ²/2 + σ · turnover_level_z)`` (one draw of a lognormal
flow with volatility σ); the unobserved key projects and Shanghai transfers of 2022 are drawn from
steps 3–4 at their 2022 rates. Backcast (start 2020, nothing observed in 2020): the 2022 rates are
scaled back by two years of trend, the turnover level also by the observed GDP growth 2020–2022
and by :func:`sim.models.common.certified_growth_to_base` (the certified stock of 2022 is
not observed); the key-project rate has no trend and is used as is. Parameters:
``sim/catalogue/parameters/collaboration.toml``; full specification: ``docs/model.md``.
"""

from __future__ import annotations

import numpy as np

from sim.models.common import certified_growth_to_base, mean_one_shock, negative_binomial
from sim.models.contract import Component, Context, State, Updates

# Observations used (observations.csv, scope qidong unless said): iur_projects 2022 = 256 and
# tech_contract_turnover 2022 = 128 亿元 (both prelim); gdp 2020 = 1230 and 2022 = 1400 亿元;
# jiangsu hightech_enterprises_stock 2021 = 37,000 and 2022 = 44,000 (certified_growth_to_base).
# provincial_achievement_transfer_projects 2022 = 2 is NOT used for shanghai_transfers: it counts
# provincial transfer-fund projects, a different and much narrower series.
TURNOVER_YEAR = 2022  # the one published technology-contract turnover


def _research_projects(ctx: Context, planned: np.ndarray) -> np.ndarray:
    """Step 3: approve ``planned / completion`` projects (rounded at random), launch each
    with probability ``completion``."""
    completion = ctx.params["collaboration.research_completion"]
    approved = np.maximum(planned, 0.0) / completion
    rng = ctx.rng("research")
    whole = np.floor(approved)
    approved_n = (whole + (rng.random(ctx.n) < approved - whole)).astype(np.int64)
    return rng.binomial(approved_n, completion)


def _turnover_noise(ctx: Context, mean: np.ndarray) -> np.ndarray:
    """Mean-preserving lognormal noise of the annual turnover."""
    sigma = ctx.params["collaboration.turnover_volatility"]
    eps = ctx.rng("turnover").standard_normal(ctx.n)
    return mean * np.exp(sigma * eps - 0.5 * sigma**2)


def init(state: State, ctx: Context) -> Updates:
    """State at the end of the start year (2022, or 2020 for the backcast)."""
    p = ctx.params
    start = ctx.start
    sigma = p["collaboration.turnover_volatility"]
    turnover_2022 = start.observed("tech_contract_turnover", TURNOVER_YEAR)
    # The level behind one observed draw of a lognormal flow with volatility sigma, carried
    # back to the start by GDP, the trend and the certified base (Jiangsu's pace).
    base = start.carry_back(
        turnover_2022 * np.exp(0.5 * sigma**2 + sigma * p["collaboration.turnover_level_z"]),
        total=start.growth_to_base("gdp") ** p["collaboration.turnover_gdp_elasticity"]
        * (1 + p["collaboration.turnover_trend"]) ** start.years_back
        * certified_growth_to_base(start) ** p["collaboration.turnover_firm_elasticity"],
    )
    iur_rate = start.carry_back(
        p["collaboration.iur_rate_2022"].copy(), 1 + p["collaboration.iur_trend"]
    )
    shanghai_rate = start.carry_back(
        p["collaboration.shanghai_rate_2022"].copy(), 1 + p["collaboration.shanghai_trend"]
    )
    research_rate = p["collaboration.research_rate_2022"].copy()  # no trend: held at its level
    # Observed counts stand as they are; a start year without them draws them from the rates.
    iur_observed = start.observed_or_none("iur_projects")
    if iur_observed is None:
        iur = negative_binomial(ctx.rng("iur"), iur_rate, p["collaboration.iur_dispersion"])
    else:
        iur = np.full(ctx.n, iur_observed, dtype=np.int64)
    turnover_observed = start.observed_or_none("tech_contract_turnover")
    if turnover_observed is None:
        turnover = _turnover_noise(ctx, base)
    else:
        turnover = np.full(ctx.n, turnover_observed)
    shanghai = negative_binomial(ctx.rng("shanghai"), shanghai_rate,
                                 p["collaboration.shanghai_dispersion"])  # fmt: skip
    return {
        "collaboration.iur_rate": iur_rate,
        "collaboration.turnover_base": base,
        "collaboration.research_rate": research_rate,
        "collaboration.shanghai_rate": shanghai_rate,
        "iur_projects": iur,
        "tech_contract_turnover": turnover,
        "research_projects": _research_projects(ctx, research_rate),
        "shanghai_transfers": shanghai,
    }


def step(state: State, ctx: Context, year: int) -> Updates:
    """One year: steps 1–4 of the module docstring."""
    p = ctx.params
    z = state["macro.shock"]
    shock = mean_one_shock(p["collaboration.shock_loading"], z)
    # 1. IUR projects
    iur_rate = state["collaboration.iur_rate"] * (1 + p["collaboration.iur_trend"])
    iur = negative_binomial(
        ctx.rng("iur"),
        iur_rate * ctx.lever_effect("iur_projects") * shock,
        p["collaboration.iur_dispersion"],
    )
    # 2. technology-contract turnover
    growth = np.maximum(1 + state["macro.gdp_growth"], 0.0)  # guard: GDP cannot fall below 0
    base = (state["collaboration.turnover_base"]
            * growth ** p["collaboration.turnover_gdp_elasticity"]
            * (1 + p["collaboration.turnover_trend"]))  # fmt: skip
    firm_base = state["hightech_enterprises"] / np.maximum(state["firms.stock_start"], 1.0)
    mean = (base * firm_base ** p["collaboration.turnover_firm_elasticity"]
            * ctx.lever_effect("tech_contract_turnover"))  # fmt: skip
    # 3. key technology projects (the rate has no trend: the programme is held at its level)
    research_rate = state["collaboration.research_rate"]
    research = _research_projects(ctx, research_rate * ctx.lever_effect("research_projects"))
    # 4. Shanghai results transferred
    shanghai_rate = state["collaboration.shanghai_rate"] * (1 + p["collaboration.shanghai_trend"])
    shanghai = negative_binomial(
        ctx.rng("shanghai"),
        shanghai_rate * ctx.lever_effect("shanghai_transfers") * shock,
        p["collaboration.shanghai_dispersion"],
    )
    return {
        "collaboration.iur_rate": iur_rate,
        "collaboration.turnover_base": base,
        "collaboration.research_rate": research_rate,
        "collaboration.shanghai_rate": shanghai_rate,
        "iur_projects": iur,
        "tech_contract_turnover": _turnover_noise(ctx, mean),
        "research_projects": research,
        "shanghai_transfers": shanghai,
    }


COMPONENT = Component(
    name="collaboration",
    outputs=("iur_projects", "tech_contract_turnover", "research_projects", "shanghai_transfers"),
    reads=("macro.shock", "macro.gdp_growth", "hightech_enterprises", "firms.stock_start"),
    streams=("iur", "turnover", "research", "shanghai"),
    init=init,
    step=step,
)
