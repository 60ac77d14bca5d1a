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
and by :func:`backcast_firm_growth` (the certified stock of 2022 is not observed); the key-project
rate has no trend and is used as is. Parameters: ``sim/catalogue/parameters/collaboration.toml``;
full specification: ``docs/model.md``.
"""

from __future__ import annotations

import numpy as np

from sim.catalogue import observed
from sim.models.base import Component, Context, State, Updates, negative_binomial

# Observations used (observations.csv, scope qidong unless said): iur_projects 2022 = 256 and
# tech_contract_turnover 2022 = 128 亿元 (both prelim); gdp 2020 = 1230 and 2022 = 1400 亿元;
# jiangsu hightech_enterprises_stock 2021 = 37,000 and 2022 = 44,000 (backcast_firm_growth).
# provincial_achievement_transfer_projects 2022 = 2 is NOT used for shanghai_transfers: it counts
# provincial transfer-fund projects, a different and much narrower series.


def backcast_firm_growth() -> float:
    """Growth of the certified high-tech stock from end 2020 to end 2022, for backcasts.

    Qidong's 2022 stock is not published; Jiangsu's stock grew by 44,000 / 37,000 ≈ 1.19 in
    2022 (observations: jiangsu hightech_enterprises_stock 2021, 2022), taken for both 2021 and
    2022, so ≈ 1.41. (The firms component builds a faster Qidong growth from 228 in 2020, so
    firm-driven flows come out a few percent high in 2022 of a backcast; see the docs.)
    """
    s21 = observed("hightech_enterprises", 2021, scope="jiangsu")
    s22 = observed("hightech_enterprises", 2022, scope="jiangsu")
    if s21 is None or s22 is None:
        raise ValueError("backcast needs Jiangsu's certified stock of 2021 and 2022")
    return (s22.value / s21.value) ** 2


def macro_factor(loading: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Mean-one multiplicative macro factor ``exp(loading · z − loading² / 2)``."""
    return np.exp(loading * z - 0.5 * loading**2)


def _research_projects(ctx: Context, planned: np.ndarray) -> np.ndarray:
    """Step 3: approve ``planned / completion`` projects (rounded at random), launch each
    with probability ``completion``."""
    completion = ctx.params["collaboration.research_completion"]
    approved = np.maximum(planned, 0.0) / completion
    rng = ctx.rng("collaboration.research")
    whole = np.floor(approved)
    approved_n = (whole + (rng.random(ctx.n) < approved - whole)).astype(np.int64)
    return rng.binomial(approved_n, completion)


def _turnover_noise(ctx: Context, mean: np.ndarray) -> np.ndarray:
    """Mean-preserving lognormal noise of the annual turnover."""
    sigma = ctx.params["collaboration.turnover_volatility"]
    eps = ctx.rng("collaboration.turnover").standard_normal(ctx.n)
    return mean * np.exp(sigma * eps - 0.5 * sigma**2)


def init(ctx: Context) -> Updates:
    """State at the end of the start year (2022, or 2020 for the backcast)."""
    p = ctx.params
    sigma = p["collaboration.turnover_volatility"]
    iur_rate = p["collaboration.iur_rate_2022"].copy()
    turnover_2022 = ctx.observed("tech_contract_turnover", 2022)
    # The level behind one observed draw of a lognormal flow with volatility sigma.
    base = turnover_2022 * np.exp(0.5 * sigma**2 + sigma * p["collaboration.turnover_level_z"])
    research_rate = p["collaboration.research_rate_2022"].copy()
    shanghai_rate = p["collaboration.shanghai_rate_2022"].copy()
    if ctx.start_year == 2022:
        iur = np.full(ctx.n, ctx.observed("iur_projects", 2022), dtype=np.int64)
        turnover = np.full(ctx.n, turnover_2022)
    elif ctx.start_year == 2020:
        # Nothing of this component is observed in 2020: scale the 2022 rates back by trend.
        iur_rate = iur_rate / (1 + p["collaboration.iur_trend"]) ** 2
        shanghai_rate = shanghai_rate / (1 + p["collaboration.shanghai_trend"]) ** 2
        gdp_growth = ctx.observed("gdp", 2022) / ctx.observed("gdp", 2020)
        base = base / (
            gdp_growth ** p["collaboration.turnover_gdp_elasticity"]
            * (1 + p["collaboration.turnover_trend"]) ** 2
            * backcast_firm_growth() ** p["collaboration.turnover_firm_elasticity"]
        )
        iur = negative_binomial(ctx.rng("collaboration.iur"), iur_rate,
                                p["collaboration.iur_dispersion"])  # fmt: skip
        turnover = _turnover_noise(ctx, base)
    else:
        raise ValueError(f"collaboration: no start state for {ctx.start_year}")
    shanghai = negative_binomial(ctx.rng("collaboration.shanghai"), shanghai_rate,
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
    shock = macro_factor(p["collaboration.shock_loading"], z)
    # 1. IUR projects
    iur_rate = state["collaboration.iur_rate"] * (1 + p["collaboration.iur_trend"])
    iur = negative_binomial(
        ctx.rng("collaboration.iur"),
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
        ctx.rng("collaboration.shanghai"),
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
    init=init,
    step=step,
)
