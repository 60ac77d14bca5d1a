"""R&D component: R&D intensity (``rd_to_gdp``), R&D spending and the two tax amounts
(``hightech_tax_reduction``, ``rd_super_deduction``).

Per draw, in year ``t`` (start year ``t0`` = 2022, or 2020 for the backcast); ``z_t`` is the
common macro shock, ``H_t`` the certified high-tech stock at the end of ``t`` (``H_0`` at the
end of ``t0``), ``GDP_t`` nominal GDP. Timing: macro and firms have already stepped in year
``t``, so ``z_t``, ``GDP_t`` and ``H_t`` are this year's values.

1. **Real R&D intensity** (percent of GDP) follows the outside-view trend of its reference
   class (:mod:`sim.models.trend`; priors pooled from peer units and Qidong's own points)::

       ln J_t = ln J_0 + ρ + W_t + e_t + λ_R z_t + ln E_real

   ``W_t`` is the trend's persistent walk (drift, persistent change, breaks such as a census
   revision of GDP), ``e_t`` its transitory part (``W_0 = −e_0``), ``ρ`` the revision of the
   January estimate ``J_0`` by the final survey (``rnd.start_revision``). The macro term is
   transitory: firms cut R&D more than GDP in a bad year and restore it after (2.75 → 2.6 →
   2.7 in 2019–2022). The certified base does not enter: certification mostly labels R&D
   that firms already do, and the class's drift is that of units whose bases grew too.
   **R&D spending** ``R_t = J_t / 100 · GDP_t`` (100m_cny) therefore grows with nominal GDP,
   the trend and the levers.
2. **Measured intensity** ``rd_to_gdp_t = J_t · M_stat``. ``E_real`` is
   ``ctx.lever_effect("rd_to_gdp")``, the process levers: it multiplies R&D spending, the
   driving rate of ``rd_to_gdp``, as a level (no compounding). ``M_stat`` is
   ``ctx.measurement_effect("rd_to_gdp")``, the measurement levers (``kind = "measurement"``
   in levers.toml, the statistics lever): it raises reported intensity only, so real
   spending (which drives the tax amounts and patents) excludes it.
3. **High-tech income-tax reduction** (10 points of tax on certified firms' taxable profit)::

       T_t = T_0 · (H_t/H_0)^θ · (GDP_t/GDP_0) · exp(P_t + λ_P z_t) · E_T
       P_t = P_{t-1} + π + σ_P η_t − σ_P²/2

   ``E_T = ctx.lever_effect("hightech_tax_reduction")`` multiplies the amount (a level).
4. **R&D super-deduction** (the extra deduction claimed: rate × declared R&D)::

       D_t = r_t · c_t · b · R_t · exp(σ_D ξ_t − σ_D²/2)
       c_t = share of business R&D declared, with odds(c_t) = odds(c_t0) · (H_t/H_0)^κ
             · exp(τ_c (t − t0)) · E_D

   ``b`` is the business share of R&D, ``E_D = ctx.lever_effect("rd_super_deduction")``
   multiplies the odds of declaring (the declaration rate, kept in [0, 1]). ``r_t`` is the
   average statutory rate relative to 100 %: 0.75 for all firms to 2020, 100 % for
   manufacturing from 2021, for tech SMEs from 2022 and for every firm in Q4 2022, and
   100 % for all eligible firms from 2023. Only the firms still at 75 % in January–September
   2022 (share ``s`` of declared R&D) gain in 2023: ``r_2022 = 1 − 0.25 · 0.75 · s``, so the
   2023 rate change adds ``1/r_2022 − 1`` (≈ 3 % at the prior mean), once.

The amounts are not published in any year: their 2022 levels are priors and only growth is
judged. Backcast start (2020): intensity 2.6 (observed); ``T`` scaled back from its 2022 prior
by nominal GDP (1230 → 1400); the declared share scaled back by two years of ``τ_c``; ``D``
from the equation with 2020 values. Parameters: ``sim/catalogue/parameters/rnd.toml``.
"""

from __future__ import annotations

import numpy as np

from sim.models.common import lognormal_factor, odds_scaled
from sim.models.contract import Component, Context, State, Updates
from sim.models.trend import Trend

# R&D intensity follows the outside-view trend of its reference class (sim/models/trend.py).
INTENSITY = Trend("rnd.intensity", "rd_to_gdp")

# Observations used (observations.csv): rd_to_gdp 2020 = 2.6 and 2022 = 2.7 (prelim); gdp 2020
# = 1230 and 2022 = 1400 亿元 (prelim, the values macro starts from).

# Statutory super-deduction rates (财税〔2018〕99号: 75 % for all firms 2018–2020; 财政部 税务总局
# 公告2021年第13号: manufacturing 100 % from 2021; 2022年第16号: tech SMEs 100 % from 2022;
# 2022年第28号: all eligible firms 100 % from 1 October 2022; 2023年第7号: 100 % for all from 2023).
OLD_RATE = 0.75
FULL_RATE = 1.0
SHARE_OF_2022_AT_OLD_RATE = 9 / 12  # January–September 2022, before 2022年第28号 took effect


def deduction_rate(year: int, share_at_old_rate: np.ndarray) -> np.ndarray:
    """Average super-deduction rate of the year as a fraction of the 100 % rate.

    ``share_at_old_rate`` is the share of declared R&D by firms still at 75 % in January–
    September 2022 (non-manufacturing firms that are not tech SMEs); 2021 uses the same
    share (non-manufacturing tech SMEs, at 75 % in 2021 too, are taken as negligible).
    """
    s = np.asarray(share_at_old_rate, dtype=float)
    gap = (FULL_RATE - OLD_RATE) / FULL_RATE
    if year <= 2020:
        return np.full(s.shape, OLD_RATE / FULL_RATE)
    if year == 2021:
        return 1.0 - gap * s
    if year == 2022:
        return 1.0 - gap * SHARE_OF_2022_AT_OLD_RATE * s
    return np.ones(s.shape)


def init(state: State, ctx: Context) -> Updates:
    """State at the end of the start year (2022, or 2020 for the backcast)."""
    p = ctx.params
    n = ctx.n
    start = ctx.start
    # Published intensities have one decimal: the start is the observation ± rounding. It is a
    # January estimate (预计) that the final R&D survey may revise (rnd.start_revision).
    intensity = start.observed("rd_to_gdp") + p["rnd.rd_to_gdp_rounding"]
    gdp = state["gdp"]  # the observation macro starts from
    spending = intensity / 100.0 * gdp
    trend = p["rnd.declared_trend"]
    declared = p["rnd.declared_share_2022"]
    if not start.at_base:  # the 2022 share carried back on the odds scale by its trend
        declared = odds_scaled(declared, np.exp(-trend * start.years_back))
    # Not observed before 2022 either: the 2022 prior scaled back with nominal GDP.
    tax = start.scaled_like(p["rnd.tax_reduction_2022"], "gdp")
    noise = lognormal_factor(ctx.rng("deduction"), p["rnd.deduction_noise_sd"], n)
    deduction = (
        deduction_rate(start.year, p["rnd.share_at_old_rate"])
        * declared
        * p["rnd.business_share"]
        * spending
        * noise
    )
    return {
        "rd_to_gdp": np.minimum(intensity, 100.0),
        "hightech_tax_reduction": tax * np.ones(n),
        "rd_super_deduction": deduction,
        # the level later years build on: the published start as the final survey revises it
        "rnd.intensity_start": intensity * np.exp(p["rnd.start_revision"]),
        "rnd.walk": INTENSITY.start(p, ctx.rng("intensity"), n),
        "rnd.gdp_start": gdp,
        "rnd.spending": spending,
        "rnd.real_effect": np.ones(n),
        "rnd.declared_start": declared * np.ones(n),
        "rnd.tax_start": tax * np.ones(n),
        "rnd.profit_walk": np.zeros(n),
    }


def step(state: State, ctx: Context, year: int) -> Updates:
    """One year: intensity and spending, then the tax reduction and the super-deduction."""
    p = ctx.params
    n = ctx.n
    z = state["macro.shock"]
    gdp = state["gdp"]
    elapsed = year - ctx.start_year
    h0 = np.maximum(np.asarray(state["firms.stock_start"], dtype=float), 1.0)
    base = np.maximum(np.asarray(state["hightech_enterprises"], dtype=float), 1.0) / h0

    # 1–2. intensity, spending, measured intensity
    measured = ctx.measurement_effect("rd_to_gdp")
    real_effect = ctx.lever_effect("rd_to_gdp")
    walk, transitory = INTENSITY.step(state["rnd.walk"], p, ctx.rng("intensity"))
    intensity = (
        state["rnd.intensity_start"]
        * np.exp(walk + transitory + p["rnd.intensity_shock_loading"] * z)
        * real_effect
    )
    intensity = np.minimum(intensity, 100.0)
    spending = intensity / 100.0 * gdp

    # 3. high-tech income-tax reduction
    sd_p = p["rnd.profit_noise_sd"]
    eta = ctx.rng("profit").standard_normal(n)
    profit_walk = state["rnd.profit_walk"] + p["rnd.profit_drift"] + sd_p * eta - 0.5 * sd_p**2
    tax = (
        state["rnd.tax_start"]
        * base ** p["rnd.tax_firm_elasticity"]
        * (gdp / state["rnd.gdp_start"])
        * np.exp(profit_walk + p["rnd.profit_shock_loading"] * z)
        * ctx.lever_effect("hightech_tax_reduction")
    )

    # 4. R&D super-deduction
    odds_factor = (
        base ** p["rnd.declared_firm_elasticity"]
        * np.exp(p["rnd.declared_trend"] * elapsed)
        * ctx.lever_effect("rd_super_deduction")
    )
    declared = odds_scaled(state["rnd.declared_start"], odds_factor)
    noise = lognormal_factor(ctx.rng("deduction"), p["rnd.deduction_noise_sd"], n)
    deduction = (
        deduction_rate(year, p["rnd.share_at_old_rate"])
        * declared
        * p["rnd.business_share"]
        * spending
        * noise
    )
    return {
        "rd_to_gdp": np.minimum(intensity * measured, 100.0),
        "hightech_tax_reduction": tax,
        "rd_super_deduction": deduction,
        "rnd.walk": walk,
        "rnd.spending": spending,
        "rnd.real_effect": real_effect * np.ones(n),
        "rnd.profit_walk": profit_walk,
    }


COMPONENT = Component(
    name="rnd",
    outputs=("rd_to_gdp", "hightech_tax_reduction", "rd_super_deduction"),
    reads=("gdp", "macro.shock", "hightech_enterprises", "firms.stock_start"),
    streams=("intensity", "profit", "deduction"),
    init=init,
    step=step,
    diagnostics=("rnd.spending",),  # rnd.real_effect: the process levers' effect, for patents
    trends=(INTENSITY,),
)
