"""tests/mc.py, which every statistical test relies on: its rates, SEs and intervals.

Rates and limits are checked against closed forms (exact). Five statistical assertions check
the helpers against simulation, each at k = 5 standard errors (5.7e-7): the SE of a sample
variance for a normal and for a skewed count law, the coverage of the distribution-free
quantile interval on counts and one such interval, and the DKW limit on a correct sample.
Family-wise (Bonferroni, 5 assertions): 5 × 5.7e-7 ≈ 2.9e-6.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from mc import (
    assert_at_most,
    assert_counts_follow,
    assert_detected,
    assert_quantile_between,
    assert_within,
    bonferroni_k,
    false_failure,
    family_wise,
    ks_limit,
    quantile_interval,
    se_proportion,
    se_sd,
    se_variance,
)
from scipy import stats

REPS = 4000  # simulated replications of a statistic


def test_rates_are_normal_tails() -> None:
    assert false_failure(5) == pytest.approx(2 * stats.norm.sf(5), rel=1e-12)
    assert false_failure(4.5) == pytest.approx(6.795e-6, rel=1e-3)
    assert false_failure(4) == pytest.approx(6.334e-5, rel=1e-3)
    assert false_failure(4, sides=1) == pytest.approx(stats.norm.sf(4), rel=1e-12)
    assert family_wise(10, 5) == pytest.approx(10 * false_failure(5))
    assert bonferroni_k(1, 0.05) == pytest.approx(1.959964, abs=1e-6)
    k = bonferroni_k(71, 1e-3, sides=1)
    assert family_wise(71, k, sides=1) == pytest.approx(1e-3, rel=1e-9)


def test_se_formulas_reduce_to_the_textbook_ones() -> None:
    assert se_variance(4.0, 101) == pytest.approx(4.0 * math.sqrt(2 / 100))
    assert se_sd(2.0, 101) == pytest.approx(2.0 / math.sqrt(2 * 100))
    assert se_proportion(0.5, 100) == pytest.approx(0.05)


@pytest.mark.parametrize(
    ("law", "excess_kurtosis"),
    [(stats.norm(0, 2), 0.0), (stats.poisson(2.0), 0.5)],  # Poisson: 1/λ
    ids=["normal", "poisson"],
)
def test_se_variance_matches_the_spread_of_simulated_variances(law, excess_kurtosis) -> None:
    """4,000 sample variances of 30 draws: their sd is se_variance. The sd of a sample sd of
    4,000 such values has SE ≈ sd · √((γ₂(s²) + 2) / (4 · 4,000)); γ₂(s²) is 0.4 and 1.0
    here, taken as 2 (a larger SE: a looser bound, never a false failure)."""
    n = 30
    x = law.rvs(size=(REPS, n), random_state=np.random.default_rng(7))
    variances = x.var(axis=1, ddof=1)
    expected = se_variance(float(law.var()), n, excess_kurtosis)
    assert_within(variances.std(ddof=1), expected, se_sd(expected, REPS, 2.0), what="sd of s²")


def test_quantile_interval_covers_a_count_median() -> None:
    """At k = 2 the interval should miss the true median of Poisson(400) counts at most about
    4.6 % of the time (less with ties; a law with few values, all tied, would not test it)."""
    rng = np.random.default_rng(8)
    samples = rng.poisson(400, size=(REPS, 200))
    truth = stats.poisson(400).median()
    intervals = np.array([quantile_interval(s, 0.5, k=2) for s in samples])
    missed = np.mean((intervals[:, 0] > truth) | (intervals[:, 1] < truth))
    bound = false_failure(2)
    assert_at_most(missed, bound, se_proportion(bound, REPS), what="miss rate at k = 2")
    assert_quantile_between(samples[0], 0.5, 395, 405, what="median")  # truth 400 is inside


def test_quantile_range_check_fails_outside() -> None:
    x = np.random.default_rng(9).poisson(30, 5000)
    with pytest.raises(AssertionError, match="outside"):
        assert_quantile_between(x, 0.5, 40, 50)


def test_counts_follow_accepts_the_law_and_rejects_another() -> None:
    rng = np.random.default_rng(10)
    assert ks_limit(2000) == pytest.approx(math.sqrt(math.log(2 / false_failure()) / 4000))
    assert_counts_follow(rng.poisson(300, 2000), stats.poisson(300).cdf, what="Poisson")
    overdispersed = rng.negative_binomial(30, 30 / 330, 2000)  # mean 300, sd 57
    with pytest.raises(AssertionError, match="sup"):
        assert_counts_follow(overdispersed, stats.poisson(300).cdf)


def test_messages_give_estimate_truth_se_and_z() -> None:
    with pytest.raises(AssertionError, match=r"mean: estimate 1.1, truth 1, SE 0.01, z = \+10"):
        assert_within(1.1, 1.0, 0.01, what="mean")
    with pytest.raises(AssertionError, match="must exceed 5"):
        assert_detected(0.03, 0.01, what="effect")
