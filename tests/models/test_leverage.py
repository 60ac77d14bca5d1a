"""Leverage bounds: what each process lever at its maximum returns per 万元 of its extra cost
(computed by :func:`sim.analysis.leverage.leverage_effects`, which docs/model.md quotes).

For every process lever, the whole model runs twice on common random numbers (same seed, same
parameter draws): the lever at its maximum, and everything at the status quo. Every lever
elasticity is fixed at the upper end of its prior (at the status quo the elasticities do not
matter, since each response is 1), everything else is drawn from its prior. The paired 2025
difference of each bounded quantity (levers.toml ``[leverage.*]``) is the lever's total effect,
summed over every channel the model has: its direct elasticities and what flows through the
certified stock, R&D spending, industrial output and so on.

Statistical assertions (tests/mc.py): one per (process lever with a cost, bound), one-sided —
fails when the mean paired difference exceeds bound × cost by more than k SE of that mean.
With m such assertions, k = Φ⁻¹(1 − 1e-3 / m) (≈ 4.4 for 200), so the whole family fails by
chance with probability at most 1e-3 if every lever sat exactly on every bound; levers below
their bounds make it rarer. A difference that is exactly 0 in every draw (the lever has no
path to the quantity) is checked exactly. One power check per bound (a lever known to move
the quantity is detected at 5 SE: the seeded z's are 34–205), so that a bound measuring a
key the levers never move cannot pass vacuously. Family-wise for the module: ≈ 1e-3.
"""

from __future__ import annotations

import pytest
from mc import FAMILY_ALPHA, assert_at_most, assert_detected, bonferroni_k

from sim.analysis.leverage import bounded_levers, leverage_effects
from sim.levers import leverage_bounds

# a lever known to move each bounded quantity (power check): what its money buys directly
EXERCISED_BY = {
    "certified_firms": "cultivation_programme",
    "rd_spending": "rd_post_subsidy",
    "hightech_tax_reduction": "cultivation_programme",
    "rd_super_deduction": "rd_post_subsidy",
    "hightech_output": "innovative_procurement",
    "industrial_output": "tech_upgrade_subsidy",
    "tech_contract_turnover": "university_cooperation",
    "invention_patents": "patent_subsidy",
}


def paired_effects() -> dict[tuple[str, str], tuple[float, float, float]]:
    """(lever, bound) -> (mean paired 2025 difference, its SE, the bound times the cost)."""
    df = leverage_effects()
    return {(r.lever, r.bound): (r.mean, r.se, r.allowed) for r in df.itertuples()}


@pytest.mark.parametrize("bound_id", list(leverage_bounds()))
def test_no_lever_returns_more_than_its_leverage_bound(bound_id: str) -> None:
    effects = paired_effects()
    k = bonferroni_k(len(effects), FAMILY_ALPHA, sides=1)
    for (lever_id, bid), (mean, se, allowed) in effects.items():
        if bid == bound_id:
            per_wan = leverage_bounds()[bid].max_per_wan * mean / allowed
            what = f"{lever_id} -> {bid} ({per_wan:.3g} per 万元 of cost)"
            assert_at_most(mean, allowed, se, k, what=what)


@pytest.mark.parametrize("bound_id", list(EXERCISED_BY))
def test_each_bound_measures_something_a_lever_moves(bound_id: str) -> None:
    mean, se, _ = paired_effects()[EXERCISED_BY[bound_id], bound_id]
    assert_detected(mean, se, what=f"{EXERCISED_BY[bound_id]} -> {bound_id}")


def test_every_bound_is_exercised_and_costed() -> None:
    assert set(EXERCISED_BY) == set(leverage_bounds())
    for lv in bounded_levers():
        for bound in leverage_bounds().values():
            assert bound.cost_base_wan(lv) > 0, (lv.id, bound.id)
