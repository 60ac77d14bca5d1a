"""The SimPy reference model of the firm pipeline, and its crosscheck against the vectorized one.

Hand calculations first (the reference alone, every rate fixed), then the crosscheck on the
three packaged scenarios, then a deliberately broken vectorized model that must be caught.

False failures (tests/mc.py). The hand checks compare replication means with exact ones at
k = 5 standard errors (9 assertions, 5.7e-7 each) and sample variances with exact ones at
k = 4 (3 assertions, 6.3e-5 each: the replications are slow, and 4 SE is the least loosening
of the old bounds, which sat at 3.5–3.9 SE). The crosscheck (sim/checks/crosscheck.py) is
its own family: Bonferroni over the 3 tests of each non-constant row (of 36) at a
family-wise ``ALPHA`` = 1e-3 per scenario, so its 3 scenario tests fail by chance with
probability at most 3 × 1e-3 (kept at the crosscheck's own alpha, so the tests exercise the
limits users run; passing ``alpha=ALPHA / 3`` would bring them to 1e-3). Family-wise for
the module (Bonferroni):
9 × 5.7e-7 + 3 × 6.3e-5 + 3e-3 ≈ 3.2e-3. The broken-model test is a power check: at the seed
its four stock rows are flagged at |z_paired| ≥ 24 against a limit of 4.4 (the correct
model's largest |z_paired| on the baseline is 2.1).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from mc import assert_within, se_mean, se_proportion, se_variance

import sim.models.firms as vectorized_firms
from sim.checks.crosscheck import chi_square_p, crosscheck
from sim.checks.reference import (
    Inputs,
    Pipeline,
    Start,
    apply_share,
    lever_effects,
    replication_rng,
    run_reference,
    simulate_replication,
)
from sim.checks.reference.inputs import FIRM_INDICATORS
from sim.engine import worker_pool
from sim.levers import levers
from sim.scenario import load_scenario, status_quo

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SEED = 20230305
DRAWS = 800  # per scenario: the whole file stays under about 40 s on two cores
JOBS = 2

# Every rate switched off: tests switch on what they check.
QUIET = {
    "firms.exit_hazard": 0.0, "firms.sme_registrations_2022": 0.0, "firms.sme_trend": 0.0,
    "firms.sme_persistence": 0.0, "firms.sme_innovation_sd": 0.0, "firms.sme_shock_loading": 0.0,
    "firms.project_rate_2022": 0.0, "firms.project_trend": 0.0, "firms.project_dispersion": 1e9,
    "firms.project_shock_loading": 0.0, "firms.project_conversion": 0.0, "firms.pass_rate": 0.5,
    "firms.renewal_apply": 0.0, "firms.renewal_pass": 1.0, "firms.pool_2022": 0.0,
    "firms.pool_entry": 0.0, "firms.pool_exit": 0.0, "firms.zjtx_rate": 0.0,
    "firms.new_cert_rate_2022": 0.0, "firms.cohort_share_2020": 0.4,
    "firms.cohort_share_2019_of_rest": 0.5, "firms.observed_new_inclusive": 0.0,
    "firms.review_strictness_sd": 0.0, "firms.depletion": 0.0, "firms.induced_apply_ratio": 1.0,
}  # fmt: skip


def inputs(effects: dict[str, float] | None = None, **params: float) -> Inputs:
    values = QUIET | {f"firms.{k}": v for k, v in params.items()}
    return Inputs(values, dict.fromkeys(FIRM_INDICATORS, 1.0) | (effects or {}))


def _replications(inp: Inputs, start: Start, seed: int, block: list[int]) -> list[dict]:
    return [simulate_replication(inp, replication_rng(seed, i), start=start) for i in block]


def replicate(inp: Inputs, start: Start, n: int, seed: int = 1) -> dict[str, np.ndarray]:
    """``n`` replications from a hand-made start: series -> (n, 2022…2025) array.

    Replication ``i`` draws from its own generator ``replication_rng(seed, i)``, so spreading
    the blocks over ``JOBS`` workers gives the same arrays as one loop (as run_reference)."""
    blocks = [list(b) for b in np.array_split(np.arange(n), JOBS) if len(b)]
    pool = worker_pool(JOBS)
    try:
        done = pool.map(_replications, *zip(*[(inp, start, seed, b) for b in blocks], strict=True))
        runs = [r for part in done for r in part]
    finally:
        pool.shutdown()
    assert len(runs) == n
    return {k: np.stack([r[k] for r in runs]) for k in runs[0]}


def assert_mean(sample: np.ndarray, mean: float, var: float, what: str = "mean") -> None:
    """The sample mean is within 5 SE (√(var / n), ``var`` the exact variance) of ``mean``."""
    assert_within(sample.mean(), mean, se_mean(math.sqrt(var), sample.size), what=what)


def assert_variance(sample: np.ndarray, var: float, what: str = "variance") -> None:
    """The sample variance is within 4 SE of ``var``. The laws here (binomial, Poisson) are
    near normal: excess kurtosis below 0.01, so the SE is σ²√(2/(n − 1))."""
    assert_within(sample.var(ddof=1), var, se_variance(var, sample.size), k=4, what=what)


# ------------------------------------------------------------------ hand calculations


def test_one_cohort_lapses_at_its_expiry() -> None:
    """Certified in 2021: valid 2021–2023, reviewed in 2024's batches; nobody re-applies."""
    out = simulate_replication(inputs(), replication_rng(1, 0), start=Start({2021: 50}))
    assert out["hightech_enterprises"].tolist() == [50, 50, 0, 0]
    assert out["firms.up_for_renewal"].tolist() == [0, 0, 50, 0]
    assert out["firms.renewed"].sum() == 0 and out["hightech_certified_new"][1:].sum() == 0


def test_a_renewed_cohort_comes_up_again_three_years_later() -> None:
    inp = inputs(renewal_apply=1.0, renewal_pass=1.0)
    records = Pipeline(inp, replication_rng(1, 0), end_year=2027, start=Start({2021: 50})).run()
    up = {y: r["firms.up_for_renewal"] for y, r in records.items()}
    renewed = {y: r["firms.renewed"] for y, r in records.items()}
    assert up == {2022: 0, 2023: 0, 2024: 50, 2025: 0, 2026: 0, 2027: 50}
    assert renewed == up
    assert all(r["hightech_enterprises"] == 50 for r in records.values())


@pytest.mark.slow  # hundreds of SimPy replications; the exact hand checks stay fast
def test_renewals_are_binomial_with_the_odds_scaled_by_the_lever() -> None:
    """ρ' = ρE/(1 − ρ + ρE) with ρ = 0.8, E = 2 (8/9), then π_r = 0.5: Binomial(500, 4/9)."""
    inp = inputs({"hightech_enterprises": 2.0}, renewal_apply=0.8, renewal_pass=0.5)
    out = replicate(inp, Start({2020: 500}), 300)
    p = (0.8 * 2 / (0.2 + 1.6)) * 0.5
    renewed = out["firms.renewed"][:, 1]
    assert_mean(renewed, 500 * p, 500 * p * (1 - p))
    # was rel=0.3, 3.7 SE of a variance of 300 replications (false failures 2.4e-4): 4 SE
    assert_variance(renewed, 500 * p * (1 - p))
    assert np.array_equal(out["hightech_enterprises"][:, 1], renewed)


@pytest.mark.slow  # hundreds of SimPy replications; the exact hand checks stay fast
def test_exits_with_a_fixed_hazard() -> None:
    """h = 0.1 on 1,000 firms certified in 2022: 900, 810 and 729 expected survivors; the
    survivors of 2025 all renew (ρ = π_r = 1), so the 2025 stock is the survivors."""
    inp = inputs(exit_hazard=0.1, renewal_apply=1.0, renewal_pass=1.0)
    out = replicate(inp, Start({2022: 1000}), 120)
    stock, exits = out["hightech_enterprises"], out["firms.exits"]
    for col in (1, 2, 3):
        # a firm of the 1,000 exits in the col-th year with q = 0.1 · 0.9^(col − 1):
        # Binomial(1000, q), variance 1000 q (1 − q) (was 1000 · 0.1 · 0.9^col, q(1 − q)
        # only in the first year: 81 and 72.9 for 81.9 and 74.4)
        q = 0.1 * 0.9 ** (col - 1)
        assert_mean(exits[:, col], 1000 * q, 1000 * q * (1 - q), what=f"exits, year {col}")
    assert_mean(stock[:, 3], 729, 1000 * 0.729 * 0.271, what="2025 stock")
    # was rel=0.5, 3.9 SE of a variance of 120 replications (false failures 1.1e-4): 4 SE
    assert_variance(exits[:, 1], 90)
    assert np.array_equal(out["firms.up_for_renewal"][:, 3], stock[:, 3])
    assert np.array_equal(stock[:, 1:].T, 1000 - np.cumsum(exits[:, 1:], axis=1).T)


def test_new_certificates_are_first_exposed_the_year_after() -> None:
    """200 project certifications in 2023 with h = 0.5: none exits in 2023, half in 2024."""
    out = replicate(inputs(exit_hazard=0.5), Start({}, pending={2023: 200}), 100)
    assert out["hightech_enterprises"][:, 1].tolist() == [200] * 100
    assert out["firms.exits"][:, 1].sum() == 0
    assert_mean(out["firms.exits"][:, 2], 100, 50)


def test_event_timing() -> None:
    """Exits fall strictly inside a year (before its publication), with the conditional
    timing of an exponential lifetime; certificates change hands only at year ends; a firm
    that exits is never renewed."""
    inp = inputs(exit_hazard=0.5, renewal_apply=1.0, renewal_pass=1.0)
    pipe = Pipeline(inp, replication_rng(2, 0), start=Start({2020: 2000}), trace=True)
    pipe.run()
    log = pipe.log
    assert log is not None
    exits = np.array([t for t, what, _ in log if what == "exit"])
    assert np.all(exits != np.floor(exits))
    assert all(t == int(t) for t, what, _ in log if what in ("renewed", "lapsed", "certified"))
    exited = {i for _, what, i in log if what == "exit"}
    renewed_at = {i: t for t, what, i in log if what == "renewed"}
    exit_at = {i: t for t, what, i in log if what == "exit"}
    assert all(exit_at[i] > renewed_at[i] for i in exited & set(renewed_at))
    # P(exit in the first half of a year | exit in the year) = (1 − √½) / (1 − ½) ≈ 0.586
    first_half = np.mean(exits - np.floor(exits) < 0.5)
    expected = (1 - math.sqrt(0.5)) / 0.5
    se = se_proportion(expected, exits.size)  # one Bernoulli per exit, firms independent
    assert_within(first_half, expected, se, what="P(first half | exit)")


@pytest.mark.slow  # hundreds of SimPy replications; the exact hand checks stay fast
def test_registrations_thin_into_certifications() -> None:
    """400 registrations a year (Poisson), a = 0.5, π = 0.5: certifications Poisson(100)."""
    inp = inputs(sme_registrations_2022=400.0, pass_rate=0.5)
    out = replicate(inp, Start({}, apply_share=0.5), 200)
    assert_mean(out["tech_smes_registered"][:, 1], 400, 400, what="registrations")
    new = out["hightech_certified_new"][:, 1]
    assert_mean(new, 100, 100, what="certifications")
    # was rel=0.35, 3.5 SE of a variance of 200 replications (false failures 5e-4): 4 SE
    assert_variance(new, 100)


def test_calibrated_application_share() -> None:
    """Expected 2022 certifications: registrations × a × π + half the conversions of 2020's
    and 2021's projects equal the rate behind the observed 114."""
    p = QUIET | {
        "firms.new_cert_rate_2022": 114.0, "firms.pass_rate": 0.6,
        "firms.sme_registrations_2022": 480.0, "firms.project_rate_2022": 61.0,
        "firms.project_trend": 0.03, "firms.project_conversion": 0.06,
    }  # fmt: skip
    projects = 0.06 * (61 / 1.03**2 + 61 / 1.03) / 2
    assert apply_share(p) * 0.6 * 480 + projects == pytest.approx(114.0)


def test_lever_effects_follow_the_documented_formula() -> None:
    sq = status_quo()
    elasticity = {
        lv.elasticity_parameter(ind): 0.5 for lv in levers().values() for ind in lv.acts_on
    }
    assert lever_effects(sq.levers, elasticity) == dict.fromkeys(FIRM_INDICATORS, 1.0)
    doubled = sq.with_levers(cultivation_programme=2400.0)
    effects = lever_effects(doubled.levers, elasticity)
    assert effects["hightech_enterprises"] == pytest.approx((3600 / 2400) ** 0.5)
    assert effects["scitech_projects_attracted"] == 1.0


def test_replications_do_not_depend_on_the_number_of_workers() -> None:
    sc = status_quo(draws=6)
    one, two = run_reference(sc, 6, 3, jobs=1), run_reference(sc, 6, 3, jobs=2)
    assert all(np.array_equal(one.series[k], two.series[k]) for k in one.series)


def test_chi_square_bins_handle_ties() -> None:
    rng = np.random.default_rng(0)
    same = chi_square_p(rng.poisson(3, 2000), rng.poisson(3, 2000))
    shifted = chi_square_p(rng.poisson(3, 2000), rng.poisson(3.5, 2000))
    assert same[0] > 1e-3 and shifted[0] < 1e-6
    assert chi_square_p(np.full(50, 7.0), np.full(50, 7.0)) == (1.0, 1)


# ------------------------------------------------------------------ crosscheck


@pytest.fixture(scope="module")
def references():
    """Reference runs per scenario, made once (they do not depend on the vectorized code)."""
    cache = {}

    def get(name: str):
        if name not in cache:
            sc = load_scenario(SCENARIOS / f"{name}.toml")
            cache[name] = (sc, run_reference(sc, DRAWS, SEED, jobs=JOBS))
        return cache[name]

    return get


# The baseline and the package that moves the firm pipeline's levers (cultivation, project
# attraction, R&D subsidies, ZJTX support). talent_first is left out: of its levers only
# talent_programme touches the pipeline (attracted projects, as project_attraction does here),
# and its 40 s kept the whole suite above its 10-minute budget.
@pytest.mark.slow
@pytest.mark.parametrize("name", ["baseline", "enterprise_cultivation"])
def test_crosscheck_passes(name: str, references) -> None:
    sc, ref = references(name)
    report = crosscheck(sc, DRAWS, SEED, reference=ref)
    assert report.verdict == "passed", report.to_text()
    assert len(report.table) == 9 * 4 and 0 < report.speed_ratio < 1


@pytest.mark.slow
def test_crosscheck_catches_two_year_certificates(monkeypatch, references) -> None:
    """Certificates of two years in the vectorized model only: the stock must be flagged."""
    sc, ref = references("baseline")
    monkeypatch.setattr(vectorized_firms, "CERTIFICATE_YEARS", 2)
    report = crosscheck(sc, DRAWS, SEED, reference=ref)
    assert report.verdict == "failed"
    flagged = report.failed_rows
    stock_years = set(flagged.loc[flagged["series"] == "hightech_enterprises", "year"])
    assert {2022, 2023, 2024, 2025} <= stock_years
    assert "firms.up_for_renewal" in set(flagged["series"])
