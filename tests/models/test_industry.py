"""The industry component: start values, the logit walk by hand, its noise, levers, bounds.

Statistical assertions (tests/mc.py), all at k = 5 standard errors of the statistic tested
(5.7e-7 false-failure rate each): the mean and variance of the one-year and of the
three-year logit change. Family-wise (Bonferroni, 4 assertions): 4 × 5.7e-7 ≈ 2.3e-6. The
other tests are exact.
"""

from __future__ import annotations

import numpy as np
from contract import ComponentContract
from harness import Run
from harness import simulate as simulate_model
from mc import assert_within, se_mean, se_variance
from scipy.special import logit

from sim.levers import levers
from sim.models import firms, industry, macro, rnd

SEED = 20230305
QUIET = {
    "industry.noise_sd": 0.0,
    "industry.shock_loading": 0.0,
    "industry.firm_elasticity": 0.0,
}


class TestContract(ComponentContract):
    COMPONENT = industry.COMPONENT


def simulate(
    start: int = 2022,
    end: int = 2025,
    n: int = 2000,
    seed: int = SEED,
    fixed: dict[str, float] | None = None,
    settings: dict[str, float] | None = None,
) -> tuple[Run, list[dict[str, np.ndarray]]]:
    """Run the components industry reads, then industry, as the engine does."""
    comps = (macro.COMPONENT, firms.COMPONENT, rnd.COMPONENT, industry.COMPONENT)
    run = simulate_model(comps, start, end, n, seed, fixed, settings)
    return run, run.history


def test_start_values_are_the_observations() -> None:
    _, hist = simulate(end=2022, n=10)
    np.testing.assert_allclose(hist[0]["hightech_output_share"], 55.44)  # reported 2022
    _, hist = simulate(start=2020, end=2022, n=10)
    np.testing.assert_allclose(hist[0]["hightech_output_share"], 54.3)  # prelim 2020


def test_deterministic_drift_by_hand() -> None:
    _, hist = simulate(n=100, fixed={**QUIET, "industry.share_drift": 0.05})
    for t, s in enumerate(hist):
        np.testing.assert_allclose(
            logit(s["hightech_output_share"] / 100), logit(0.5544) + 0.05 * t
        )


def test_firm_term_by_hand() -> None:
    """β (ln(H_t/H_0) − h_ref t) with h_ref = ln(H_0/228)/2, the 2020–22 pace."""
    fixed = {**QUIET, "industry.share_drift": 0.0, "industry.firm_elasticity": 0.08}
    _, hist = simulate(n=300, fixed=fixed)
    h0 = hist[0]["hightech_enterprises"]
    for t, s in enumerate(hist):
        deviation = np.log(s["hightech_enterprises"] / h0) - np.log(h0 / 228) / 2 * t
        np.testing.assert_allclose(
            logit(s["hightech_output_share"] / 100), logit(0.5544) + 0.08 * deviation
        )


def test_backcast_has_no_firm_term() -> None:
    fixed = {**QUIET, "industry.share_drift": 0.0, "industry.firm_elasticity": 0.08}
    _, hist = simulate(start=2020, end=2022, n=100, fixed=fixed)
    np.testing.assert_allclose(hist[-1]["hightech_output_share"], 54.3)


def test_logit_increments_are_normal() -> None:
    """One year: logit change ~ N(μ, σ²); mean and variance within 5 standard errors."""
    n, mu, sigma = 20_000, 0.02, 0.04
    fixed = {**QUIET, "industry.share_drift": mu, "industry.noise_sd": sigma}
    _, hist = simulate(end=2025, n=n, fixed=fixed)
    step = logit(hist[1]["hightech_output_share"] / 100) - logit(0.5544)
    assert_within(step.mean(), mu, se_mean(sigma, n), what="mean, one year")
    assert_within(step.var(ddof=1), sigma**2, se_variance(sigma**2, n), what="variance, one year")
    # the walk accumulates: after three years the variance is 3σ²
    three = logit(hist[3]["hightech_output_share"] / 100) - logit(0.5544)
    var3 = 3 * sigma**2
    assert_within(three.mean(), 3 * mu, se_mean(np.sqrt(var3), n), what="mean, three years")
    assert_within(three.var(ddof=1), var3, se_variance(var3, n), what="variance, three years")


def test_levers_multiply_the_odds() -> None:
    fixed = {"industry.firm_elasticity": 0.0}  # cultivation also moves the certified base
    settings = {"tech_upgrade_subsidy": 6000.0, "innovative_procurement": 2500.0}
    _, sq = simulate(n=500, fixed=fixed)
    run, up = simulate(n=500, fixed=fixed, settings=settings)
    effect = run.context("industry").lever_effect("hightech_output_share")
    for s, u in zip(sq[1:], up[1:], strict=True):
        diff = logit(u["hightech_output_share"] / 100) - logit(s["hightech_output_share"] / 100)
        np.testing.assert_allclose(diff, np.log(effect))
        assert np.all(u["hightech_output_share"] >= s["hightech_output_share"])


def test_share_stays_a_percentage() -> None:
    cat = levers()
    cases = [
        ({}, {k: lv.max for k, lv in cat.items()}),
        ({}, {k: lv.min for k, lv in cat.items()}),
        ({"industry.share_drift": 50.0}, {}),
        ({"industry.share_drift": -50.0, "industry.noise_sd": 10.0}, {}),
    ]
    for fixed, settings in cases:
        _, hist = simulate(n=500, fixed=fixed, settings=settings)
        for s in hist:
            share = s["hightech_output_share"]
            assert np.all(np.isfinite(share))
            assert np.all((share >= 0) & (share <= 100))
