"""The update with actuals (issue 13, item 5): the likelihood against its generative mirror.

Statistical assertions use the conventions of ``tests/mc.py`` (seeds fixed, tolerances in
Monte Carlo SEs, Kolmogorov–Smirnov limits from the DKW bound). False-failure rates, per test
(each docstring derives its own):

- ``test_sample_draws_the_observation_model``: 1e-3 (six KS limits, Bonferroni);
- ``test_log_density_is_the_density_sample_draws_from``: 1e-3 (four KS limits) + 7e-6.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from mc import assert_within, bonferroni_k, ks_limit
from scipy import stats

from sim.catalogue.actuals import Period, observation_for
from sim.plan import plan_for
from sim.rng import stream
from sim.scenario import Actual, status_quo
from sim.update import Likelihood, likelihoods

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "monitoring_example.toml"
YEARS = plan_for([status_quo()]).years
SEED = 20230305


def _likelihood(indicator: str, period: Period, status: str = "reported",
                definition_changed: bool = False, value: float = 1.0) -> Likelihood:  # fmt: skip
    actual = Actual(indicator, period, value, status, "test", definition_changed)  # type: ignore[arg-type]
    return likelihoods([actual], YEARS)[0]


def _with_value(lk: Likelihood, value: float) -> Likelihood:
    return dataclasses.replace(lk, actual=dataclasses.replace(lk.actual, value=float(value)))


def _ks_distance(u: np.ndarray, cdf) -> float:
    """sup |F_n − F| of continuous draws ``u`` against the CDF ``cdf``."""
    return float(stats.kstest(u, cdf).statistic)


# ---------------------------------------------------------------------- the generative mirror

# One case per branch of the observation model: a small count (the +0.5 offset matters), a
# preliminary count, a definition change, a year-to-date ratio, a year-to-date flow with its
# seasonal factor, and a year-to-date count under a definition change. ``x``: a typical value.
CASES = [
    ("new_type_rd_institutions_new", Period(2023), "reported", False, 2.0),
    ("hightech_enterprises", Period(2023), "preliminary", False, 380.0),
    ("rd_to_gdp", Period(2023), "reported", True, 2.8),
    ("hightech_output_share", Period(2024, 5), "reported", False, 57.0),
    ("tech_contract_turnover", Period(2024, 5), "reported", False, 150.0),
    ("scitech_projects_attracted", Period(2024, 6), "reported", True, 100.0),
]
CASE_IDS = [f"{c[0]} {c[1]}" for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_sample_draws_the_observation_model(case: tuple) -> None:
    """``Likelihood.sample`` draws what the catalogue says: the implied error
    ``(log(y + o) − log(x + o)) / log_sd`` is N(0, 1), a year-to-date fraction ``y / x`` is the
    Beta of ``Observation.beta()``. True values vary over a factor 4 (small counts: 0 to 5).

    KS (DKW) limit at family α = 1e-3 over the six cases: false failure 1e-3 in all.
    Breakages caught: a wrong sd, a missing or mis-signed offset (the small count), Beta
    parameters swapped or a fraction dividing instead of multiplying."""
    indicator, period, status, changed, typical = case
    lk = _likelihood(indicator, period, status, changed)
    gen = stream(SEED, 0, f"test.sample.{indicator}")
    n = 4000
    if lk.offset and typical < 10:
        x = gen.integers(0, 6, n).astype(float)
    else:
        x = typical * gen.uniform(0.5, 2.0, n)
    y = lk.sample(x, gen)
    obs = observation_for(indicator, period, status, changed)  # type: ignore[arg-type]
    if obs.model == "fraction":
        a, b = obs.beta()
        distance = _ks_distance(y / x, stats.beta(a, b).cdf)
    else:
        z = (np.log(y + lk.offset) - np.log(x + lk.offset)) / obs.log_sd
        distance = _ks_distance(z, stats.norm.cdf)
    assert distance <= ks_limit(n, bonferroni_k(len(CASES))), (indicator, distance)


def _densities(lk: Likelihood, ys: np.ndarray, xs: list[float]) -> np.ndarray:
    """log p(y | x) for each y (rows) and each true value x (columns), through log_density."""
    series = {lk.actual.indicator: np.repeat(np.array(xs)[:, None], len(YEARS), axis=1)}
    return np.array([_with_value(lk, y).log_density(series) for y in ys])


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_log_density_is_the_density_sample_draws_from(case: tuple) -> None:
    """``log_density`` is, up to a term free of x, the log density of what ``sample`` draws.

    1. Likelihood ratios: for y drawn given x0, E[p(y | x1) / p(y | x0)] = ∫ p(y | x1) dy = 1
       for any x1 whose support lies within x0's (a fraction: x1 < x0). Two x1 per case, each
       within 5 SE (SE of the mean ratio from the sample): 12 assertions, 12 × 5.7e-7 = 7e-6.
    2. A log-normal model's log density is −z²/2, so −2·log_density of a sampled y is χ²(1):
       KS limit at family α = 1e-3 over the four such cases.

    Breakages caught: a wrong sd in either method, the fraction's Jacobian −log(x) dropped
    (ratio mean x1/x0 = 0.8), a flipped sign of the log density (−2·log density negative),
    an offset in one method but not the other."""
    indicator, period, status, changed, typical = case
    lk = _likelihood(indicator, period, status, changed)
    gen = stream(SEED, 1, f"test.density.{indicator}")
    n = 1500
    x0 = typical
    if lk.observation.model == "fraction":
        x1s = [0.9 * x0, 0.8 * x0]
    else:
        sd, o = lk.observation.log_sd, lk.offset
        x1s = [(x0 + o) * math.exp(sd) - o, (x0 + o) * math.exp(-0.5 * sd) - o]
    ys = lk.sample(np.full(n, x0), gen)
    logs = _densities(lk, ys, [x0, *x1s])
    for j, x1 in enumerate(x1s, start=1):
        ratio = np.exp(logs[:, j] - logs[:, 0])
        se = float(ratio.std(ddof=1)) / math.sqrt(n)
        assert_within(ratio.mean(), 1.0, se, what=f"{indicator}: E[p(y|{x1:.4g})/p(y|{x0:g})]")
    if lk.observation.model != "fraction":
        lognormal_cases = sum(observation_for(*c[:4]).model != "fraction" for c in CASES)
        distance = _ks_distance(-2 * logs[:, 0], stats.chi2(1).cdf)
        assert distance <= ks_limit(n, bonferroni_k(lognormal_cases)), (indicator, distance)
