"""The collaboration component against hand calculations, invariants and analytic laws.

Statistical assertions (tests/mc.py), each at k standard errors of the statistic tested:
3 means at k = 5 (random rounding, macro loading, lever; 5.7e-7 each), 4 analytic-law
probabilities at k = 4.5 (Poisson sum, negative binomial, binomial, lognormal; 6.8e-6 each),
1 whole negative-binomial law (DKW bound at the 5-SE rate, 5.7e-7), and 13 calibration
ranges at k = 5 (12 yearly medians, 1 probability). Family-wise (Bonferroni, 21
assertions): 17 × 5.7e-7 + 4 × 6.8e-6 ≈ 3.7e-5. The other tests are exact.
"""

from __future__ import annotations

import numpy as np
import pytest
from contract import ComponentContract
from harness import context, simulate, view
from mc import (
    assert_counts_follow,
    assert_proportion_between,
    assert_quantile_between,
    assert_within,
    se_mean,
    se_poisson_mean,
    se_proportion,
)
from scipy import stats

from sim.levers import levers
from sim.models import collaboration, firms, macro
from sim.models.contract import Context, Updates

OUTPUTS = collaboration.COMPONENT.outputs
YEARS = (2023, 2024, 2025)


class TestContract(ComponentContract):
    COMPONENT = collaboration.COMPONENT


def ctx_for(n: int, fixed: dict[str, float] | None = None, seed: int = 3, start_year: int = 2022,
            levers: dict[str, float] | None = None) -> Context:  # fmt: skip
    """The collaboration context the engine builds, with some parameters fixed."""
    return context(collaboration.COMPONENT, n, seed, start_year, fixed, levers)


def init(ctx: Context) -> Updates:
    """collaboration's start state (it reads nothing from other components at the start)."""
    return collaboration.init(view(collaboration.COMPONENT, {}), ctx)


def step(state: dict[str, np.ndarray], ctx: Context, year: int) -> Updates:
    """One collaboration year on a hand-made state, read as collaboration may read it."""
    return collaboration.step(view(collaboration.COMPONENT, state), ctx, year)


def upstream(n: int, z: float = 0.0, growth: float = 0.0, stock: float = 400.0,
             stock_start: float = 400.0) -> dict[str, np.ndarray]:  # fmt: skip
    """The keys of macro and firms that collaboration reads, set by hand."""
    return {"macro.shock": np.full(n, z), "macro.gdp_growth": np.full(n, growth),
            "hightech_enterprises": np.full(n, stock),
            "firms.stock_start": np.full(n, stock_start)}  # fmt: skip


def series(n: int, seed: int = 3, start_year: int = 2022,
           levers: dict[str, float] | None = None) -> dict[str, np.ndarray]:  # fmt: skip
    """Run macro, firms and collaboration like the engine, from ``start_year`` to 2022
    (backcast) or 2025: (years + 1, n) series per output."""
    comps = (macro.COMPONENT, firms.COMPONENT, collaboration.COMPONENT)
    end = 2025 if start_year == 2022 else 2022
    run = simulate(comps, start_year, end, n, seed, settings=levers)
    return {name: run.series(name) for name in OUTPUTS}


# ------------------------------------------------------------------ hand calculations

QUIET = {
    "collaboration.turnover_volatility": 0.0, "collaboration.turnover_level_z": 0.0,
    "collaboration.turnover_gdp_elasticity": 1.0, "collaboration.turnover_trend": 0.05,
    "collaboration.turnover_firm_elasticity": 0.5, "collaboration.shock_loading": 0.0,
}  # fmt: skip


def test_start_state_holds_the_2022_observations() -> None:
    ctx = ctx_for(50, QUIET)
    s = init(ctx)
    assert (s["iur_projects"] == 256).all()  # observations: iur_projects 2022
    assert (s["tech_contract_turnover"] == 128).all()  # observations: tech_contract_turnover 2022
    assert np.allclose(s["collaboration.turnover_base"], 128)  # sigma 0: level = observation


def test_turnover_step_is_the_equation() -> None:
    """base 128 · (1.10)^1 · 1.05, times (484 / 400)^0.5 = 1.1, no noise: 162.624 亿元."""
    ctx = ctx_for(20, QUIET)
    state = {**init(ctx), **upstream(20, growth=0.10, stock=484.0)}
    out = step(state, ctx, 2023)
    assert np.allclose(out["collaboration.turnover_base"], 128 * 1.10 * 1.05)
    assert np.allclose(out["tech_contract_turnover"], 128 * 1.10 * 1.05 * 1.1)


def test_turnover_level_behind_one_observation() -> None:
    """With volatility 0.3 and z = 1 the 2022 level is 128 · exp(0.045 + 0.3)."""
    ctx = ctx_for(5, {**QUIET, "collaboration.turnover_volatility": 0.3,
                      "collaboration.turnover_level_z": 1.0})  # fmt: skip
    base = init(ctx)["collaboration.turnover_base"]
    assert np.allclose(base, 128 * np.exp(0.045 + 0.3))


def test_research_projects_follow_the_funded_number() -> None:
    """Completion 1: the count is the planned number exactly; the lever at 16 with elasticity 1
    multiplies the plan by 16 / 8 = 2 (a proportional link: research_projects is what the
    programme funds, see levers.toml)."""
    fixed = {"collaboration.research_rate_2022": 8.0, "collaboration.research_completion": 1.0,
             "lever.dongjiang_programme.research_projects": 1.0}  # fmt: skip
    ctx = ctx_for(30, fixed)
    state = {**init(ctx), **upstream(30)}
    assert (state["research_projects"] == 8).all()
    assert (step(state, ctx, 2023)["research_projects"] == 8).all()
    pushed = ctx_for(30, fixed, levers={"dongjiang_programme": 16.0})
    assert (step(state, pushed, 2023)["research_projects"] == 16).all()


def test_random_rounding_keeps_the_mean() -> None:
    """Plan 7.5, completion 1: half the draws 7, half 8."""
    n = 20_000
    fixed = {"collaboration.research_rate_2022": 7.5, "collaboration.research_completion": 1.0}
    ctx = ctx_for(n, fixed)
    out = step({**init(ctx), **upstream(n)}, ctx, 2023)
    assert set(np.unique(out["research_projects"])) == {7, 8}
    # 7 + Bernoulli(1/2): sd 1/2
    assert_within(out["research_projects"].mean(), 7.5, se_mean(0.5, n), what="mean")


def test_rates_grow_by_their_trends() -> None:
    fixed = {
        "collaboration.iur_rate_2022": 200.0,
        "collaboration.iur_trend": 0.1,
        "collaboration.shanghai_rate_2022": 5.0,
        "collaboration.shanghai_trend": -0.2,
    }
    ctx = ctx_for(4, fixed)
    out = step({**init(ctx), **upstream(4)}, ctx, 2023)
    assert np.allclose(out["collaboration.iur_rate"], 220.0)
    assert np.allclose(out["collaboration.shanghai_rate"], 4.0)


def test_backcast_scales_the_2022_rates_back() -> None:
    """2020 start: IUR rate / 1.1², turnover level / (GDP 1400/1230 · trend² · Jiangsu growth^η)."""
    fixed = {**QUIET, "collaboration.iur_rate_2022": 242.0, "collaboration.iur_trend": 0.1}
    ctx = ctx_for(6, fixed, start_year=2020)
    s = init(ctx)
    assert np.allclose(s["collaboration.iur_rate"], 200.0)
    jiangsu = (44000 / 37000) ** 2  # observations: jiangsu hightech_enterprises_stock 2021, 2022
    expected = 128 / ((1400 / 1230) * 1.05**2 * jiangsu**0.5)
    assert np.allclose(s["collaboration.turnover_base"], expected)
    assert np.allclose(s["tech_contract_turnover"], expected)  # volatility 0


def test_a_bad_macro_year_lowers_iur_and_shanghai() -> None:
    n = 20_000
    fixed = {"collaboration.shock_loading": 0.15, "collaboration.iur_dispersion": 1e9,
             "collaboration.iur_trend": 0.0, "collaboration.iur_rate_2022": 250.0}  # fmt: skip
    ctx = ctx_for(n, fixed)
    out = step({**init(ctx), **upstream(n, z=-1.0)}, ctx, 2023)
    expected = 250 * np.exp(-0.15 - 0.5 * 0.15**2)
    # dispersion 1e9: Poisson up to a variance term μ²/1e9 < 1e-4
    assert_within(out["iur_projects"].mean(), expected, se_poisson_mean(expected, n), what="mean")


# ------------------------------------------------------------------ analytic laws


def test_shanghai_three_year_sum_is_poisson() -> None:
    """Rate 9 with no trend, no shock loading and k → ∞: the 2023–2025 sum is Poisson(27)."""
    n = 40_000
    fixed = {
        "collaboration.shanghai_rate_2022": 9.0,
        "collaboration.shanghai_trend": 0.0,
        "collaboration.shanghai_dispersion": 1e9,
        "collaboration.shock_loading": 0.0,
    }
    ctx = ctx_for(n, fixed, seed=11)
    state = {**init(ctx), **upstream(n, z=0.0)}
    total = np.zeros(n)
    for year in YEARS:
        state.update(step(state, ctx, year))
        total += state["shanghai_transfers"]
    p_sim = (total >= 30).mean()
    p_true = stats.poisson(27).sf(29)
    assert_within(p_sim, p_true, se_proportion(p_true, n), k=4.5, what="P(sum >= 30)")


def test_shanghai_each_year_law_with_negative_binomial() -> None:
    """k = 4 and mean 9 each year, independent: P(all three years ≥ 10) = nbinom.sf(9)**3,
    and the 3 · 40,000 yearly counts follow NegBin(4, 4/13). (P(≥ 10) sits near the mean,
    where the dispersion hardly matters: k = 6 moves it by 2.5 SE only; the whole law pins k.)"""
    n = 40_000
    fixed = {
        "collaboration.shanghai_rate_2022": 9.0,
        "collaboration.shanghai_trend": 0.0,
        "collaboration.shanghai_dispersion": 4.0,
        "collaboration.shock_loading": 0.0,
    }
    ctx = ctx_for(n, fixed, seed=12)
    state = {**init(ctx), **upstream(n)}
    met = np.ones(n, dtype=bool)
    yearly = []
    for year in YEARS:
        state.update(step(state, ctx, year))
        met &= state["shanghai_transfers"] >= 10
        yearly.append(state["shanghai_transfers"])
    law = stats.nbinom(4, 4 / (4 + 9))
    assert_counts_follow(np.concatenate(yearly), law.cdf, what="yearly counts")
    p_true = law.sf(9) ** 3
    assert_within(met.mean(), p_true, se_proportion(p_true, n), k=4.5, what="P(every year >= 10)")


def test_research_projects_are_binomial() -> None:
    """Plan 9 with completion 0.9 approves exactly 10: Binomial(10, 0.9), P(10) = 0.9**10."""
    n = 40_000
    fixed = {"collaboration.research_rate_2022": 9.0, "collaboration.research_completion": 0.9}
    ctx = ctx_for(n, fixed, seed=13)
    out = step({**init(ctx), **upstream(n)}, ctx, 2023)
    p_true = 0.9**10
    p_sim = (out["research_projects"] >= 10).mean()
    assert_within(p_sim, p_true, se_proportion(p_true, n), k=4.5, what="P(10 launched)")
    assert out["research_projects"].max() <= 10


def test_turnover_is_lognormal_around_its_mean() -> None:
    """Volatility 0.3, no drivers: log(turnover / 128) ~ N(−0.045, 0.3) given the level 128."""
    n = 40_000
    fixed = {**QUIET, "collaboration.turnover_volatility": 0.3,
             "collaboration.turnover_level_z": -0.15, "collaboration.turnover_trend": 0.0,
             "collaboration.turnover_firm_elasticity": 0.0}  # fmt: skip
    ctx = ctx_for(n, fixed, seed=14)
    state = {**init(ctx), **upstream(n, growth=0.0)}
    level = 128 * np.exp(0.045 - 0.3 * 0.15)  # = 128
    assert np.allclose(state["collaboration.turnover_base"], level)
    out = step(state, ctx, 2023)
    p_sim = (out["tech_contract_turnover"] >= 150).mean()
    p_true = stats.norm(np.log(level) - 0.045, 0.3).sf(np.log(150))
    assert_within(p_sim, p_true, se_proportion(p_true, n), k=4.5, what="P(turnover >= 150)")


def test_a_lever_multiplies_the_expected_count() -> None:
    """university_cooperation at its maximum 3,000 with elasticity 0.5: rate × (3800/1600)^0.5."""
    n = 20_000
    fixed = {"collaboration.iur_dispersion": 1e9, "collaboration.iur_trend": 0.0,
             "collaboration.iur_rate_2022": 250.0, "lever.university_cooperation.iur_projects": 0.5,
             "lever.new_type_rd_institutions.iur_projects": 0.1,
             "lever.institute_cobuilding.iur_projects": 0.1,
             "collaboration.shock_loading": 0.0}  # fmt: skip
    ctx = ctx_for(n, fixed, levers={"university_cooperation": 3000.0})
    out = step({**init(ctx), **upstream(n)}, ctx, 2023)
    expected = 250 * (3800 / 1600) ** 0.5  # other levers at status quo: factor 1
    assert_within(out["iur_projects"].mean(), expected, se_poisson_mean(expected, n), what="mean")


# ------------------------------------------------------------------ invariants


@pytest.mark.parametrize("start_year", [2022, 2020])
@pytest.mark.parametrize("setting", ["min", "status_quo", "max"])
def test_outputs_are_finite_counts(start_year: int, setting: str) -> None:
    lv = levers()
    settings = {lid: getattr(lv[lid], setting) for lid in lv}
    out = series(3000, seed=21, start_year=start_year, levers=settings)
    for name, x in out.items():
        assert np.isfinite(x).all() and (x >= 0).all(), name
        if name != "tech_contract_turnover":
            assert np.array_equal(x, np.round(x)), name


# ------------------------------------------------------------------ status-quo calibration


def test_status_quo_is_plausible() -> None:
    """8,192 draws of the full priors: yearly medians in plausibility ranges.

    Not a known truth: each asserts that the true median (or probability) is in its range,
    failing only when the estimate's 5-SE interval lies wholly outside it (the ranges used to
    bind the estimate itself, with no stated false-failure rate). At the seed every estimate
    is inside its range."""
    n = 8192
    out = series(n, seed=20230305)
    ranges = {"iur_projects": (200, 330), "tech_contract_turnover": (110, 260),
              "research_projects": (6, 10), "shanghai_transfers": (3, 12)}  # fmt: skip
    for name, (lo, hi) in ranges.items():
        for i, year in enumerate(YEARS, start=1):
            assert_quantile_between(out[name][i], 0.5, lo, hi, what=f"{name} {year}")
    # the literal cumulative turnover target is met by any plausible path (128 亿 in 2022 alone)
    met = (out["tech_contract_turnover"][1:].sum(0) >= 150).mean()
    assert_proportion_between(met, n, 0.99, 1.0, what="P(cumulative turnover >= 150)")
