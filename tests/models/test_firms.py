"""The firm pipeline against hand calculations and an analytic special case.

Statistical assertions (tests/mc.py), all at k = 5 standard errors of the statistic tested
(5.7e-7 false-failure rate each): the mean and sd of binomial exits, the mean, P(≥ 300)
and whole law (DKW bound at the same rate) of a Poisson stock, the variance of the yearly
pass rate under review strictness, the registrations and applications with lever-induced
registrants, the conditional sum of depleted first certifications and the AR(1) slope of the
registration level. Family-wise (Bonferroni, 10 assertions): 10 × 5.7e-7 ≈ 5.7e-6. Each
test of a new mechanism was seen to fail with the mechanism removed. The other tests are
exact.
"""

from __future__ import annotations

import numpy as np
from contract import ComponentContract
from harness import context, simulate
from mc import (
    assert_counts_follow,
    assert_within,
    se_mean,
    se_poisson_mean,
    se_proportion,
    se_sd,
    se_variance,
)
from scipy import stats

from sim.models import firms
from sim.models.contract import Context
from sim.models.firms import advance
from sim.runner import run
from sim.scenario import status_quo

PIPELINE_PARAMS = {
    "firms.exit_hazard": 0.0, "firms.sme_shock_loading": 0.0, "firms.sme_innovation_sd": 0.0,
    "firms.review_strictness_sd": 0.0, "firms.depletion": 0.0, "firms.induced_apply_ratio": 1.0,
    "firms.project_shock_loading": 0.0, "firms.project_dispersion": 1e9,
    "firms.project_conversion": 0.0, "firms.pass_rate": 0.5, "firms.renewal_apply": 1.0,
    "firms.renewal_pass": 1.0,
}  # fmt: skip
EFFECTS = ("tech_smes_registered", "scitech_projects_attracted", "hightech_certified_new",
           "hightech_enterprises", "cultivation_pool", "zjtx_new")  # fmt: skip


class TestContract(ComponentContract):
    COMPONENT = firms.COMPONENT


def ctx_with(n: int, **overrides: float) -> Context:
    """The firms component's context, the pipeline's rates fixed (the others drawn, unused)."""
    return context(firms.COMPONENT, n, seed=1, fixed={**PIPELINE_PARAMS, **overrides})


def step_once(ctx: Context, cohorts, sme_mean=0.0, project_mean=0.0, pending=(0, 0)):
    n = ctx.n
    return advance(
        ctx, np.tile(np.array(cohorts, dtype=np.int64), (n, 1)),
        np.tile(np.array(pending, dtype=np.int64), (n, 1)), np.full(n, float(sme_mean)),
        np.full(n, float(project_mean)), np.zeros(n), {k: np.ones(n) for k in EFFECTS},
        np.full(n, 0.5),
    )  # fmt: skip


def test_cohorts_age_by_one_year() -> None:
    y = step_once(ctx_with(4, **{"firms.renewal_apply": 0.0}), [5, 7, 10])
    assert y.cohorts.tolist() == [[0, 5, 7]] * 4
    assert y.up_for_renewal.tolist() == [10] * 4 and y.renewed.tolist() == [0] * 4


def test_a_renewed_cohort_starts_a_new_certificate() -> None:
    y = step_once(ctx_with(3), [0, 0, 10])
    assert y.cohorts.tolist() == [[10, 0, 0]] * 3
    assert y.renewed.tolist() == [10] * 3 and y.new.tolist() == [0] * 3


def test_a_failed_renewal_leaves_the_stock() -> None:
    y = step_once(ctx_with(3, **{"firms.renewal_pass": 0.0}), [4, 0, 10])
    assert y.cohorts.sum(axis=1).tolist() == [4] * 3


def test_project_certifications_arrive_when_due() -> None:
    y = step_once(ctx_with(2), [0, 0, 0], pending=(3, 5))
    assert y.new.tolist() == [3, 3] and y.from_projects.tolist() == [3, 3]
    assert y.pending.tolist() == [[5, 0]] * 2


def test_exits_are_binomial() -> None:
    """Three cohorts of 1,000 with hazard 0.1: exits Binomial(3000, 0.1), sd 16.4. 20,000
    draws (was 4,000): Poisson exits (sd 17.3, 5.4 % more) then fail by about 11 SE, not 5."""
    n, h = 20_000, 0.1
    y = step_once(ctx_with(n, **{"firms.exit_hazard": h, "firms.renewal_apply": 0.0}),
                  [1000, 1000, 1000])  # fmt: skip
    sd = np.sqrt(3000 * h * (1 - h))  # Binomial(3000, h): three cohorts of 1000
    assert_within(y.exits.mean(), 300, se_mean(sd, n), what="mean exits")
    # was rel=0.1 at 4,000 draws (≈ 9 SE); 5 SE of a sample sd is 2.5 % at 20,000 (the
    # binomial's excess kurtosis (1 − 6h(1 − h)) / (3000 h(1 − h)) ≈ 0.002 barely matters)
    kurtosis = (1 - 6 * h * (1 - h)) / sd**2
    assert_within(y.exits.std(ddof=1), sd, se_sd(sd, n, kurtosis), what="sd of exits")


def test_stock_without_renewals_or_exits_is_poisson() -> None:
    """Every rate fixed, no renewals, exits or projects: new certifications are a thinned
    Poisson (registrations × 0.5 apply × 0.5 pass = 100 a year), and the 2025 stock is the
    three cohorts 2023–2025, Poisson(300)."""
    sc = status_quo("analytic", draws=20_000, seed=7).with_assumptions(**{
        "firms.exit_hazard": 0.0, "firms.renewal_apply": 0.0, "firms.project_conversion": 0.0,
        "firms.sme_trend": 0.0, "firms.sme_innovation_sd": 0.0, "firms.sme_shock_loading": 0.0,
        "firms.review_strictness_sd": 0.0, "firms.depletion": 0.0,
        "firms.observed_new_inclusive": 0.0,
        "firms.sme_registrations_2022": 400.0, "firms.pass_rate": 0.5,
        "firms.new_cert_rate_2022": 100.0,
    })  # fmt: skip
    res = run(sc)
    n = res.manifest["draws"]
    stock = res.trajectories.query("indicator == 'hightech_enterprises' and year == 2025")
    # the mean of all draws (from the run's histogram of whole counts)
    assert_within(stock["mean"].item(), 300, se_poisson_mean(300, n), what="mean stock")
    # P(stock >= 300) and the whole law, on the draws the result keeps
    values = res.sample["value"].sel(indicator="hightech_enterprises", year=2025).values
    assert np.all(values == np.round(values))
    p_true = stats.poisson.sf(299, 300)
    p_model = (values >= 300).mean()
    assert_within(p_model, p_true, se_proportion(p_true, values.size), what="P(stock >= 300)")
    # was scipy's kstest statistic < 0.05: with ties kstest adds up to a point mass (≈ 0.023
    # here) to D, and a correct Poisson(300) sample of 2,000 exceeded 0.05 in 2.7 % of seeds
    assert_counts_follow(values, stats.poisson(300).cdf, what="2025 stock")


# ------------------------------------------------------------------ the mechanisms of issue 11


def _args(n: int, cohorts, sme_mean: float, e_r: float = 1.0, share: float = 0.5):
    effects = {k: np.ones(n) for k in EFFECTS}
    effects["tech_smes_registered"] = np.full(n, e_r)
    return (np.tile(np.array(cohorts, dtype=np.int64), (n, 1)), np.zeros((n, 2), dtype=np.int64),
            np.full(n, sme_mean), np.zeros(n), np.zeros(n), effects, np.full(n, share))  # fmt: skip


def test_inclusive_reading_counts_renewals_in_the_observed_114() -> None:
    """Exact: 60 firms up for renewal, all renew; 114 observed. Inclusive: 114 − 60 = 54 first
    certifications (cohort 114); exclusive: 114 first certifications (cohort 174)."""
    y = advance(ctx_with(4), *_args(4, [10, 20, 60], 0.0), new_certified=114.0,
                inclusive=np.array([True, False] * 2))  # fmt: skip
    assert y.passed.tolist() == [54, 114, 54, 114]
    assert y.cohorts[:, 0].tolist() == [114, 174, 114, 174]


def test_strictness_spreads_the_pass_rate_across_years() -> None:
    """About 5e8 applications a draw, so a draw's pass share is its year's pass rate
    expit(logit 0.5 + σZ) (binomial noise ~1e-9); its variance across 20,000 draws against
    the law's, by Gauss–Hermite quadrature; SE of a variance with the sample's own excess
    kurtosis (plug-in). Breaking it (no strictness factor) gives variance ≈ 0: z ≈ −140."""
    n, sigma = 20_000, 0.5
    ctx = ctx_with(n, **{"firms.review_strictness_sd": sigma, "firms.renewal_apply": 0.0})
    y = advance(ctx, *_args(n, [0, 0, 0], 1e9))
    share = y.new / y.applications
    z, w = np.polynomial.hermite_e.hermegauss(80)
    p, w = 1 / (1 + np.exp(-sigma * z)), w / w.sum()
    var = float(np.sum(w * p**2) - np.sum(w * p) ** 2)
    se = se_variance(var, n, float(stats.kurtosis(share)))
    assert_within(share.var(ddof=1), var, se, what="variance of the yearly pass rate")


def test_lever_induced_registrants_apply_at_a_fraction() -> None:
    """E_R = 2 doubles registrations (Poisson(800) from a mean of 400); induced registrants
    apply at φ = 0.25 of the base rate a = 0.5: applications are a thinned Poisson with mean
    400 · 0.5 · (1 + 0.25) = 250 (one for one would give 400: z ≈ 280)."""
    n = 20_000
    ctx = ctx_with(n, **{"firms.induced_apply_ratio": 0.25, "firms.renewal_apply": 0.0})
    y = advance(ctx, *_args(n, [0, 0, 0], 400.0, e_r=2.0))
    assert_within(y.registered.mean(), 800, se_poisson_mean(800, n), what="registrations")
    assert_within(y.applications.mean(), 250, se_poisson_mean(250, n), what="applications")


def test_depletion_lowers_the_application_share() -> None:
    """Whole model, strictness 0, depletion δ = 1: given a draw's state, its 2025 first
    certifications are Binomial(R, min(1, a · exp(−C₂₀₂₄/B)) · π), so their sum over draws
    has a known conditional mean and variance Σ R q (1 − q). Exact given the state; without
    the depletion factor the sum is about 25 % higher (z in the hundreds)."""
    fixed = {"firms.review_strictness_sd": 0.0, "firms.depletion": 1.0,
             "firms.count_break_rate": 0.0}  # reported registrations are the real ones  # fmt: skip
    run = simulate(n=20_000, fixed=fixed)
    first = run.series("firms.first_certified")
    passed = first[-1] - first[-2]
    params = run.context("firms").params
    a, pi = run.series("firms.apply_share")[-1], params["firms.pass_rate"]
    base, registered = run.series("firms.sme_base")[-1], run.series("tech_smes_registered")[-1]
    q = np.minimum(a * np.exp(-first[-2] / base), 1.0) * pi
    expected, var = float((registered * q).sum()), float((registered * q * (1 - q)).sum())
    assert_within(passed.sum(), expected, np.sqrt(var), what="2025 first certifications")


def test_registration_level_is_persistent() -> None:
    """A huge base (1e6 a year, no trend, no macro loading) makes log(R_t/1e6) = x_t − v_t/2
    up to Poisson noise of 1e-3: the OLS slope of log R_2025 on log R_2024 is ψ = 0.8, SE
    s / (√n sd(x_2024)). Independent years (the old model, ψ = 0) fail it by ~150 SE."""
    n, psi, s = 20_000, 0.8, 0.1
    fixed = {"firms.sme_registrations_2022": 1e6, "firms.sme_trend": 0.0,
             "firms.sme_shock_loading": 0.0, "firms.sme_persistence": psi,
             "firms.sme_innovation_sd": s, "firms.count_break_rate": 0.0}  # fmt: skip
    logs = np.log(simulate(n=n, fixed=fixed).series("tech_smes_registered")[-2:] / 1e6)
    slope = np.cov(logs[0], logs[1])[0, 1] / logs[0].var(ddof=1)
    assert_within(slope, psi, s / (np.sqrt(n) * logs[0].std()), what="AR(1) slope")


def test_counting_breaks_move_reported_counts_only() -> None:
    """A break every year (rate 1) of known size b: the reported counts are the real ones
    times exp(ΣJ) with ΣJ ~ N(0, t b²) — the log ratio of reported 2025 registrations to
    those of a run without breaks has sd √3 b (5 SE) — and certifications do not move."""
    n, b = 20_000, 0.3
    base = {"firms.sme_registrations_2022": 1e6, "firms.project_rate_2022": 1e6,
            "firms.count_break_rate": 0.0}  # fmt: skip
    plain = simulate(n=n, fixed=base)
    broken = simulate(n=n, fixed={**base, "firms.count_break_rate": 1.0,
                                  "firms.count_break_size": b})  # fmt: skip
    for key in ("tech_smes_registered", "scitech_projects_attracted"):
        ratio = np.log(broken.series(key)[-1] / plain.series(key)[-1])
        assert_within(ratio.std(ddof=1), np.sqrt(3) * b, se_sd(np.sqrt(3) * b, n), what=key)
    np.testing.assert_array_equal(broken.series("hightech_enterprises"),
                                  plain.series("hightech_enterprises"))  # fmt: skip
