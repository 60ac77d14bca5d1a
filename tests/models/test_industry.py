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
    "industry.share_persistent_sd": 0.0,
    "industry.share_transitory_sd": 0.0,
    "industry.share_break_rate": 0.0,
    "industry.shock_loading": 0.0,
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


def test_logit_changes_follow_the_trend_law() -> None:
    """Without breaks the one- and three-year logit changes are normal with mean t·μ and
    variance t·σ_P² + 2σ_T² (persistent walk, transitory part of the start and of year t):
    mean and variance within 5 SE. A walk that carried the start's transitory part forward
    (variance t·σ_P² + σ_T²) misses the one-year variance by ≈ 10 SE."""
    n, mu, sp, st = 20_000, 0.02, 0.04, 0.03
    fixed = {**QUIET, "industry.share_drift": mu, "industry.share_persistent_sd": sp,
             "industry.share_transitory_sd": st}  # fmt: skip
    _, hist = simulate(end=2025, n=n, fixed=fixed)
    for t in (1, 3):
        change = logit(hist[t]["hightech_output_share"] / 100) - logit(0.5544)
        var = t * sp**2 + 2 * st**2
        assert_within(change.mean(), t * mu, se_mean(np.sqrt(var), n), what=f"mean, {t} years")
        assert_within(change.var(ddof=1), var, se_variance(var, n), what=f"variance, {t} years")


def test_levers_multiply_the_odds() -> None:
    fixed: dict[str, float] = {}
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
        ({"industry.share_drift": -50.0, "industry.share_persistent_sd": 10.0}, {}),
    ]
    for fixed, settings in cases:
        _, hist = simulate(n=500, fixed=fixed, settings=settings)
        for s in hist:
            share = s["hightech_output_share"]
            assert np.all(np.isfinite(share))
            assert np.all((share >= 0) & (share <= 100))
