"""Platforms: new enterprise R&D institutions, incubators, new-type R&D institutions, public
service platforms, large-instrument sharing members, institutes and transfer centres, and the
share of large/medium industrial and above-scale high-tech firms with an R&D institution.

Each year ``t`` steps after macro and firms (and collaboration), so the common macro shock ``z``
(``macro.shock``) and the year-end certified stock ``H_t`` (``hightech_enterprises``) are known;
``H_0`` is the stock at the end of the start year (``firms.stock_start``).
``S = exp(a z − a²/2)`` with ``a = shock_loading`` is a mean-one macro factor and ``effect(X)``
is ``ctx.lever_effect(X)`` (exactly 1 at status quo). Per draw, in this order:

1. **Enterprise R&D institutions** (provincial-or-higher, new in the year).
   ``mean = rd_institutions_rate · (H_t / H_0)^rd_institutions_firm_elasticity
   · effect(enterprise_rd_institutions_new) · S``; count ``~ NegBin(mean, recognition_dispersion)``.
2. **Other new platforms**, one rate each, no trend:
   ``mean_X = X_rate · effect(X) · S``; count ``~ NegBin(mean_X, recognition_dispersion)`` for
   incubators_new, new_type_rd_institutions_new, public_service_platforms_new,
   large_instrument_members_new and institutes_transfer_centres_new.
   In 1 and 2 the levers multiply the expected count.
3. **R&D-institution coverage.** The denominator firms are ``K`` covered plus ``U`` uncovered.
   (a) leavers: each firm leaves the denominator with probability ``coverage_turnover``
   (binomial on ``K`` and ``U``); (b) entrants ``E ~ Poisson(coverage_turnover · (K + U))``
   (newly large/medium or newly above-scale high-tech), of which ``Binomial(E,
   coverage_entrant_share)`` arrive with an institution; (c) every uncovered firm (entrants
   included) sets one up with probability ``1 − (1 − coverage_setup_share)^(effect · S)`` — the
   lever multiplies the set-up hazard; (d) ``rd_institution_coverage = 100 · K / (K + U)``.
   The expected uncovered share ``u`` follows
   ``u' = ((1 − δ) u + δ (1 − c_in)) (1 − λ)`` and settles at
   ``δ (1 − c_in)(1 − λ) / (1 − (1 − δ)(1 − λ))``: a literal 100 % needs ``U = 0`` at the end of
   2025, i.e. every one of a few hundred firms, including the year's entrants, covered.

Start state (2022): enterprise_rd_institutions_new holds its observed 8; the other flows of
2022 are drawn from step 2 at their rates; the denominator is ``coverage_firms_2022`` firms of
which a share ``coverage_2022`` is covered. Backcast (start 2020, nothing observed in 2020): the
rates of step 2 have no trend and are used as is; the R&D-institution rate is scaled back by the
firm-base growth 2020–2022 (:func:`sim.models.common.certified_growth_to_base`); the 2020
uncovered share is the 2022 one less two years of its expected first-year change
``(u* − u)(1 − r)``, ``r = (1 − δ)(1 − λ)`` (clipped to [0, 1]).
Parameters: ``sim/catalogue/parameters/platforms.toml``; full specification:
``docs/model.md``.
"""

from __future__ import annotations

import numpy as np

from sim.models.common import certified_growth_to_base, mean_one_shock, negative_binomial
from sim.models.contract import Component, Context, State, Updates

# Observations used (observations.csv): provincial_enterprise_rd_institutions_new 2022 = 8
# (prelim). No other platform count, and no coverage figure, is in our data.

# Flows of step 2: indicator -> rate parameter.
RATES = {
    "incubators_new": "platforms.incubators_rate",
    "new_type_rd_institutions_new": "platforms.new_type_rd_institutions_rate",
    "public_service_platforms_new": "platforms.public_service_platforms_rate",
    "large_instrument_members_new": "platforms.large_instrument_members_rate",
    "institutes_transfer_centres_new": "platforms.institutes_transfer_centres_rate",
}


def _counts(ctx: Context, indicator: str, mean: np.ndarray) -> np.ndarray:
    """Over-dispersed recognitions of one kind, from its own named stream."""
    k = ctx.params["platforms.recognition_dispersion"]
    return negative_binomial(ctx.rng(indicator), mean, k)


def _coverage(covered: np.ndarray, uncovered: np.ndarray) -> np.ndarray:
    total = covered + uncovered
    # An empty denominator (impossible with the priors) would have nothing left uncovered.
    return np.where(total > 0, 100.0 * covered / np.maximum(total, 1), 100.0)


def _uncovered_dynamics(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """Equilibrium ``u*`` and persistence ``r`` of the expected uncovered share at status quo.

    ``u' = ((1 − δ) u + δ (1 − c_in)) (1 − λ) = u* + r (u − u*)`` with ``r = (1 − δ)(1 − λ)``.
    """
    p = ctx.params
    setup = p["platforms.coverage_setup_share"]
    turnover = p["platforms.coverage_turnover"]
    persistence = (1 - turnover) * (1 - setup)
    inflow = turnover * (1 - p["platforms.coverage_entrant_share"]) * (1 - setup)
    return inflow / (1 - persistence), persistence


def init(state: State, ctx: Context) -> Updates:
    """State at the end of the start year (2022, or 2020 for the backcast)."""
    p = ctx.params
    start = ctx.start
    elasticity = p["platforms.rd_institutions_firm_elasticity"]
    rd_rate = start.carry_back(
        p["platforms.rd_institutions_rate_2022"].copy(),
        total=certified_growth_to_base(start) ** elasticity,
    )
    uncovered_share = 1.0 - p["platforms.coverage_2022"]
    if not start.at_base:
        # Carried back by the trend: the expected change of the uncovered share in the first
        # year after 2022, (u* − u)(1 − r), taken off once a year (linear, not the exact
        # inverse of the dynamics, which amplifies the distance from equilibrium by 1 / r).
        equilibrium, persistence = _uncovered_dynamics(ctx)
        trend = (equilibrium - uncovered_share) * (1 - persistence)
        uncovered_share = np.clip(uncovered_share - start.years_back * trend, 0.0, 1.0)
    rd_observed = start.observed_or_none("enterprise_rd_institutions_new")
    if rd_observed is None:
        rd_new = _counts(ctx, "enterprise_rd_institutions_new", rd_rate)
    else:
        rd_new = np.full(ctx.n, rd_observed, dtype=np.int64)
    firms = np.rint(p["platforms.coverage_firms_2022"]).astype(np.int64)
    covered = np.rint(firms * (1 - uncovered_share)).astype(np.int64)
    out: Updates = {
        "platforms.rd_rate": rd_rate,
        "platforms.covered": covered,
        "platforms.uncovered": firms - covered,
        "enterprise_rd_institutions_new": rd_new,
        "rd_institution_coverage": _coverage(covered, firms - covered),
    }
    for indicator, rate in RATES.items():
        out[indicator] = _counts(ctx, indicator, p[rate])
    return out


def step(state: State, ctx: Context, year: int) -> Updates:
    """One year: steps 1–3 of the module docstring."""
    p = ctx.params
    shock = mean_one_shock(p["platforms.shock_loading"], state["macro.shock"])
    # 1. enterprise R&D institutions, with the certified firm base
    firm_base = state["hightech_enterprises"] / np.maximum(state["firms.stock_start"], 1.0)
    rd_mean = (state["platforms.rd_rate"]
               * firm_base ** p["platforms.rd_institutions_firm_elasticity"]
               * ctx.lever_effect("enterprise_rd_institutions_new") * shock)  # fmt: skip
    out: Updates = {
        "platforms.rd_rate": state["platforms.rd_rate"],
        "enterprise_rd_institutions_new": _counts(ctx, "enterprise_rd_institutions_new", rd_mean),
    }
    # 2. the other platform flows
    for indicator, rate in RATES.items():
        out[indicator] = _counts(ctx, indicator, p[rate] * ctx.lever_effect(indicator) * shock)
    # 3. coverage: leavers, entrants, set-ups
    rng = ctx.rng("coverage")
    turnover = p["platforms.coverage_turnover"]
    covered, uncovered = state["platforms.covered"], state["platforms.uncovered"]
    covered = covered - rng.binomial(covered, turnover)
    uncovered = uncovered - rng.binomial(uncovered, turnover)
    entrants = rng.poisson(turnover * (state["platforms.covered"] + state["platforms.uncovered"]))
    entrants_covered = rng.binomial(entrants, p["platforms.coverage_entrant_share"])
    covered = covered + entrants_covered
    uncovered = uncovered + entrants - entrants_covered
    hazard = ctx.lever_effect("rd_institution_coverage") * shock
    setup = 1.0 - (1.0 - p["platforms.coverage_setup_share"]) ** hazard
    built = rng.binomial(uncovered, np.clip(setup, 0.0, 1.0))
    covered, uncovered = covered + built, uncovered - built
    out.update({
        "platforms.covered": covered.astype(np.int64),
        "platforms.uncovered": uncovered.astype(np.int64),
        "rd_institution_coverage": _coverage(covered, uncovered),
    })  # fmt: skip
    return out


COMPONENT = Component(
    name="platforms",
    outputs=(
        "enterprise_rd_institutions_new",
        "incubators_new",
        "new_type_rd_institutions_new",
        "public_service_platforms_new",
        "large_instrument_members_new",
        "institutes_transfer_centres_new",
        "rd_institution_coverage",
    ),
    reads=("macro.shock", "hightech_enterprises", "firms.stock_start"),
    streams=("enterprise_rd_institutions_new", *RATES, "coverage"),
    init=init,
    step=step,
)
