"""Talent: programme talents, foreign experts, high-level talents and the two training counts.

Seven yearly flows (the targets sum them over 2023–2025), each a negative-binomial count
around a driving rate, per draw, in year ``t`` (docs/model.md has the full
specification):

- five **attraction** counts ``c`` — national talents, provincial-municipal talents, foreign
  experts, high-level talents, programme entrants at all levels::

      rate_c,t = base_c · (1 + g)^(t−2022) · C_t · B_c,t · S_t · effect(c)
      S_t      = exp(β·z_t + s·u_t − (β² + s²)/2)

  with ``g`` the shared trend, ``C_t`` the per-draw climate factor (``talent.climate``) from
  2023 on and 1 before, ``B_c,t`` the border factor (foreign experts only, years before 2023),
  ``z_t`` the common macro shock (``macro.shock``, loading ``β``) and ``u_t`` a talent shock of
  the year common to the five counts (sd ``s``). The 2022 bases are::

      national     = national entrants 2022 · national share
      provincial   = provincial entrants 2022 · provincial-municipal ratio
      all levels   = (national + provincial entrants 2022) · all-levels ratio
      foreign      = open-border foreign rate
      high-level   = high-level 2022 rate

  The entrant rates are gamma posteriors of the 2022 observations (14 national and 17
  provincial programme entrants), and the national entrants rate enters two bases, so the
  national and all-level counts share its uncertainty.
- two **training** counts (professional technicians, skilled workers)::

      rate_c,t = base_c · (1 + g_train)^(t−2022) · L_t · exp(γ·z_t − γ²/2) · effect(c)

  with ``L_t`` the per-draw training level (``talent.training_level``) from 2023 on.

Counts: ``NB(rate, k)`` with ``k`` by group. ``effect(c)`` is ``ctx.lever_effect(c)``: it
multiplies the driving rate of each output (talent_programme on all five attraction counts,
talent_services on high-level and provincial-municipal, scitech_venture_fund and
entrepreneurship_events on high-level, skills_training on both training counts and on the
all-level entrants).

Timing: talent steps right after macro, so ``z_t`` is this year's shock; nothing else is read
from the state. Start state: the 2022 flows are drawn from the 2022 rates (none of these
indicators is observed); for the 2020 backcast the 2022 rates are scaled back by two years of
the drawn trends (2020 is not observed either).
Parameters: ``sim/catalogue/parameters/talent.toml``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sim.models.common import negative_binomial
from sim.models.contract import Component, Context, State, Updates

# Observations behind the priors (observations.csv, 2022, prelim): national talent-programme
# entrants = 14, provincial talent-programme entrants = 17 (talent.*_entrants_2022).

BASE_YEAR = 2022  # the year the base rates refer to (the last observed year)
# First year of the policy period: the policy was issued on 2023-03-05 and China ended entry
# quarantine on 2023-01-08, so the climate factor starts and the border factor ends in 2023.
FIRST_POLICY_YEAR = 2023

ATTRACTION = (
    "national_talents_new",
    "provincial_municipal_talents_new",
    "foreign_experts_new",
    "high_level_talents_new",
    "talent_programme_entrants",
)
TRAINING = ("professional_technicians_trained", "skilled_workers_trained")
OUTPUTS = ATTRACTION + TRAINING

# Negative-binomial dispersion parameter of each output.
DISPERSION = {
    "national_talents_new": "talent.programme_dispersion",
    "provincial_municipal_talents_new": "talent.programme_dispersion",
    "foreign_experts_new": "talent.programme_dispersion",
    "talent_programme_entrants": "talent.programme_dispersion",
    "high_level_talents_new": "talent.high_level_dispersion",
    "professional_technicians_trained": "talent.training_dispersion",
    "skilled_workers_trained": "talent.training_dispersion",
}


def base_rates(p: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Expected flows of 2022 (foreign experts: with open borders), before any factor."""
    national = p["talent.national_entrants_2022"]
    provincial = p["talent.provincial_entrants_2022"]
    return {
        "national_talents_new": national * p["talent.national_share"],
        "provincial_municipal_talents_new": provincial * p["talent.provincial_municipal_ratio"],
        "foreign_experts_new": p["talent.foreign_rate"],
        "high_level_talents_new": p["talent.high_level_2022"],
        "talent_programme_entrants": (national + provincial) * p["talent.all_levels_ratio"],
        "professional_technicians_trained": p["talent.professional_2022"],
        "skilled_workers_trained": p["talent.skilled_2022"],
    }


def trend_rates(p: Mapping[str, np.ndarray], year: int) -> dict[str, np.ndarray]:
    """Driving rates of ``year`` without the year's shocks and lever effects.

    Base × trend, × the per-draw climate (attraction) or training level (training) from
    2023 on, × the border factor for foreign experts before 2023.
    """
    policy_period = year >= FIRST_POLICY_YEAR
    # Read every factor in every year, so the parameters in use do not depend on the years.
    climate = p["talent.climate"]
    level = p["talent.training_level"]
    border = p["talent.foreign_border_factor"]
    attraction_growth = (1 + p["talent.attraction_trend"]) ** (year - BASE_YEAR)
    training_growth = (1 + p["talent.training_trend"]) ** (year - BASE_YEAR)
    out = {}
    for ind, base in base_rates(p).items():
        if ind in ATTRACTION:
            out[ind] = base * attraction_growth * (climate if policy_period else 1.0)
        else:
            out[ind] = base * training_growth * (level if policy_period else 1.0)
    if not policy_period:
        out["foreign_experts_new"] = out["foreign_experts_new"] * border
    return out


def _draw(ctx: Context, rates: dict[str, np.ndarray]) -> Updates:
    """One year's counts: NB(rate, k) per output, each from its own stream."""
    p = ctx.params
    return {ind: negative_binomial(ctx.rng(ind), rates[ind], p[DISPERSION[ind]]) for ind in OUTPUTS}


def init(state: State, ctx: Context) -> Updates:
    """Flows of the start year drawn from its rates (none of them is observed)."""
    # 2022: the rates behind the 2022 flows; 2020: the same scaled back by two years of trend
    # (and with the border factor for foreign experts, as in 2022).
    return _draw(ctx, trend_rates(ctx.params, ctx.start_year))


def step(state: State, ctx: Context, year: int) -> Updates:
    """One year of the seven flows (equations in the module docstring)."""
    p = ctx.params
    z = state["macro.shock"]
    u = ctx.rng("year").standard_normal(ctx.n)
    beta, s = p["talent.shock_loading"], p["talent.year_sd"]
    attraction_shock = np.exp(beta * z + s * u - 0.5 * (beta**2 + s**2))
    gamma = p["talent.training_shock_loading"]
    training_shock = np.exp(gamma * z - 0.5 * gamma**2)
    rates = {}
    for ind, rate in trend_rates(p, year).items():
        shock = attraction_shock if ind in ATTRACTION else training_shock
        rates[ind] = rate * shock * ctx.lever_effect(ind)
    return _draw(ctx, rates)


COMPONENT = Component(
    name="talent",
    outputs=OUTPUTS,
    reads=("macro.shock",),
    streams=(*OUTPUTS, "year"),
    init=init,
    step=step,
)
