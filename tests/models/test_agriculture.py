"""The agriculture component against hand calculations, the binomial law and its calibration.

Statistical assertions (tests/mc.py), all at k = 5 standard errors of the statistic tested,
5.7e-7 false-failure rate each: 2 binomial-law probabilities, 1 lever-scaled mean, and 6
calibration ranges (median of the 2022 count and P(floor met), for 3 outputs). Family-wise
(Bonferroni, 9 assertions): 9 × 5.7e-7 ≈ 5.2e-6. The other tests are exact.
"""

from __future__ import annotations

import numpy as np
import pytest
from contract import ComponentContract
from harness import Run
from harness import simulate as simulate_model
from mc import assert_proportion_between, assert_quantile_between, assert_within, se_proportion
from scipy import stats

from sim.levers import levers
from sim.models import agriculture, macro

OUTPUTS = tuple(agriculture.OUTPUTS)
QUIET = {  # no trend, no budget or macro noise, every scheduled item delivered
    "agriculture.trend": 0.0, "agriculture.budget_sd": 0.0, "agriculture.shock_loading": 0.0,
    "agriculture.item_completion": 1.0, "agriculture.trainee_completion": 1.0,
}  # fmt: skip


class TestContract(ComponentContract):
    COMPONENT = agriculture.COMPONENT


def simulate_run(
    n: int,
    seed: int = 21,
    start_year: int = 2022,
    end: int = 2025,
    fixed: dict[str, float] | None = None,
    settings: dict[str, float] | None = None,
) -> tuple[Run, dict[str, np.ndarray]]:
    """macro then agriculture, from the start year to ``end``, as the engine runs them; the
    run and (n, years) per output (counts keep their integer dtype)."""
    comps = (macro.COMPONENT, agriculture.COMPONENT)
    run = simulate_model(comps, start_year, end, n, seed, fixed, settings)
    return run, {k: np.stack([s[k] for s in run.history], axis=1) for k in OUTPUTS}


def simulate(n: int, **kwargs) -> dict[str, np.ndarray]:
    """Like :func:`simulate_run`, the series only."""
    return simulate_run(n, **kwargs)[1]


def test_routine_without_adoption_is_the_trend_exactly() -> None:
    """Completion 1 and no noise: the count is level · (1 + g)^(t−2022), rounded."""
    fixed = {**QUIET, "agriculture.floor_adoption": 0.0, "agriculture.trend": 0.1,
             "agriculture.technologies_2022": 10.0}  # fmt: skip
    x = simulate(4, fixed=fixed)["agri_technologies_promoted"]
    expected = [10, 11, 12, 13]  # 10, 11, 12.1, 13.31 rounded
    assert x.tolist() == [expected] * 4


def test_an_adopted_floor_binds_from_2023_only() -> None:
    """Routine 10 below a floor of 15 with a 20 % margin: 10 until 2022, 18 from 2023."""
    fixed = {**QUIET, "agriculture.floor_adoption": 1.0, "agriculture.plan_margin": 0.2,
             "agriculture.technologies_2022": 10.0, "agriculture.farmers_2022": 2500.0}  # fmt: skip
    series = simulate(3, start_year=2020, fixed=fixed)
    assert series["agri_technologies_promoted"].tolist() == [[10, 10, 10, 18, 18, 18]] * 3
    # A routine above the floor is not cut back to it.
    assert series["farmers_trained"].tolist() == [[2500] * 6] * 3


def test_every_year_probability_is_the_product_of_binomial_years() -> None:
    """Plan 16 with completion 0.8: 20 items scheduled, each year Binomial(20, 0.8), so
    P(every year of 2023–2025 >= 15) = P(Binomial(20, 0.8) >= 15)³."""
    n = 20_000
    fixed = {**QUIET, "agriculture.floor_adoption": 0.0, "agriculture.technologies_2022": 16.0,
             "agriculture.item_completion": 0.8}  # fmt: skip
    x = simulate(n, seed=3, fixed=fixed)["agri_technologies_promoted"][:, 1:]
    p_year = stats.binom.sf(14, 20, 0.8)
    p_true = p_year**3
    every = (x.min(axis=1) >= 15).mean()
    assert_within(every, p_true, se_proportion(p_true, n), what="P(every year >= 15)")
    p_2024 = (x[:, 1] >= 15).mean()
    assert_within(p_2024, p_year, se_proportion(p_year, n), what="P(2024 >= 15)")


def test_the_lever_multiplies_the_routine_rate() -> None:
    """agri_extension at its maximum: the mean count scales by the catalogue response."""
    n = 20_000
    lv = levers()["agri_extension"]
    fixed = {**QUIET, "agriculture.floor_adoption": 0.0, "agriculture.technologies_2022": 20.0,
             "agriculture.item_completion": 0.5,
             "lever.agri_extension.agri_technologies_promoted": 0.4}  # fmt: skip
    run, series = simulate_run(n, end=2023, fixed=fixed, settings={"agri_extension": lv.max})
    multiplier = lv.multiplier(lv.max, 0.4)
    effect = run.context("agriculture").lever_effect("agri_technologies_promoted")
    np.testing.assert_allclose(effect, multiplier)
    x = series["agri_technologies_promoted"][:, 1]
    scheduled = np.rint(20.0 * multiplier / 0.5)
    # Binomial(scheduled, 0.5) per draw: sd √(scheduled · 0.25)
    assert_within(x.mean(), scheduled * 0.5, np.sqrt(scheduled * 0.25 / n), what="mean count")


@pytest.mark.parametrize("start_year", [2022, 2020])
@pytest.mark.parametrize("setting", ["min", "status_quo", "max"])
def test_counts_are_finite_nonnegative_integers(start_year: int, setting: str) -> None:
    lv = levers()["agri_extension"]
    series = simulate(2000, seed=6, start_year=start_year,
                      settings={"agri_extension": getattr(lv, setting)})  # fmt: skip
    for name, x in series.items():
        assert x.shape == (2000, 2026 - start_year), name
        assert np.isfinite(x).all() and (x >= 0).all(), name
        assert np.issubdtype(x.dtype, np.integer), name


def test_status_quo_calibration() -> None:
    """Quantiles and shares meeting the floors under status quo (printed with -s).

    Plausibility ranges, not a known truth: each asserts that the true median (or P(met)) is
    in the range, failing only when the estimate's 5-SE interval lies wholly outside it (the
    ranges used to bind the estimate itself, with no stated false-failure rate: up to 1/2 for
    a truth on a bound). At the seed every estimate is inside its range."""
    n = 8192
    series = simulate(n, seed=20230305)
    floors = {"agri_technologies_promoted": 15, "agri_varieties_introduced": 12,
              "farmers_trained": 2000}  # fmt: skip
    for name, x in series.items():
        worst = x[:, 1:].min(axis=1)
        p_met = (worst >= floors[name]).mean()
        print(f"{name:28s} 2022 {np.percentile(x[:, 0], [10, 50, 90])}  worst 2023-25 "
              f"{np.percentile(worst, [10, 50, 90])}  P(met) {p_met:.3f}")  # fmt: skip
        # 2022 routine centred near the policy's numbers (the drafting assumption) ...
        assert_quantile_between(x[:, 0], 0.5, 0.8 * floors[name], 1.5 * floors[name], what=name)
        # ... and the floors likely but not certain under status quo.
        assert_proportion_between(p_met, n, 0.6, 0.97, what=name)
