"""Statistical assertions for tests of stochastic code: k Monte Carlo standard errors.

A statistical test compares an estimate from seeded draws with something known (an analytic
law, a hand calculation, the SimPy reference model) and fails when the two are more than
``k`` standard errors (SE) of *that statistic* apart. With a correct model the estimate is
approximately normal around the truth, so one assertion fails by chance with probability
``false_failure(k)`` = P(|Z| > k):

    k = 4    6.3e-5        k = 4.5   6.8e-6        k = 5    5.7e-7   (two-sided)

(one-sided bounds fail half as often). A module that makes ``m`` such assertions fails by
chance with probability at most ``m · false_failure(k)`` (Bonferroni; see :func:`family_wise`);
every test module states that number in its docstring. Seeds are fixed, so a given commit
passes or fails deterministically: the rate is the chance that a change which moves the
random numbers but not the law (a new stream, a reordered draw) breaks a correct test.

The SE helpers below are for the statistic actually tested; where a formula rests on an
approximation (a non-normal variance, a plug-in sd) the helper says which. Tests import this
module like ``harness``: ``tests/`` is on ``sys.path`` because ``tests/conftest.py`` lives
there (pytest's default ``prepend`` import mode puts a rootless conftest's folder on the
path), so ``from mc import ...`` works from ``tests/`` and ``tests/models/`` alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist

import numpy as np

K = 5.0  # default number of standard errors: 5.7e-7 per two-sided assertion
FAMILY_ALPHA = 1e-3  # family-wise rate for a test that makes many comparisons at once

# ------------------------------------------------------------------ false-failure rates


def false_failure(k: float = K, sides: int = 2) -> float:
    """P(|Z| > k) for a standard normal Z (``sides=1``: P(Z > k))."""
    return math.erfc(k / math.sqrt(2)) / (2 if sides == 1 else 1)


def family_wise(m: int, k: float = K, sides: int = 2) -> float:
    """Bonferroni bound on the chance that any of ``m`` assertions at ``k`` SE fails."""
    return min(1.0, m * false_failure(k, sides))


def bonferroni_k(m: int, alpha: float = FAMILY_ALPHA, sides: int = 2) -> float:
    """The ``k`` at which ``m`` assertions fail together with probability at most ``alpha``."""
    return NormalDist().inv_cdf(1 - alpha / (sides * m))


# ------------------------------------------------------------------ standard errors


def se_mean(sd: float, n: int) -> float:
    """SE of a sample mean: sd / √n (``sd`` the population sd if known, else the sample's)."""
    return sd / math.sqrt(n)


def se_poisson_mean(mean: float, n: int) -> float:
    """SE of the mean of ``n`` Poisson(mean) counts: √(mean / n)."""
    return math.sqrt(mean / n)


def se_proportion(p: float, n: int) -> float:
    """SE of a sample proportion with true probability ``p``: √(p(1 − p) / n)."""
    return math.sqrt(p * (1 - p) / n)


def se_variance(variance: float, n: int, excess_kurtosis: float = 0.0) -> float:
    """SE of the sample variance (ddof=1) of ``n`` i.i.d. values: the exact
    ``σ² √(γ₂/n + 2/(n − 1))`` with ``γ₂`` the excess kurtosis of the law (0 for a normal,
    giving σ²√(2/(n − 1))). For a count law pass its ``γ₂`` (scipy: ``.stats(moments="k")``)."""
    return variance * math.sqrt(excess_kurtosis / n + 2 / (n - 1))


def se_sd(sd: float, n: int, excess_kurtosis: float = 0.0) -> float:
    """SE of a sample sd, by the delta method from :func:`se_variance`: for a normal law
    σ / √(2(n − 1)); for another law pass its excess kurtosis (large-n approximation)."""
    return se_variance(sd**2, n, excess_kurtosis) / (2 * sd)


# ------------------------------------------------------------------ assertions


def z_score(estimate: float, truth: float, se: float) -> float:
    """(estimate − truth) / se; ±inf for a zero SE and a non-zero gap."""
    gap = float(estimate) - float(truth)
    if se > 0:
        return gap / se
    return 0.0 if gap == 0 else math.copysign(math.inf, gap)


def _message(what: str, estimate: float, truth: float, se: float, k: float) -> str:
    z = z_score(estimate, truth, se)
    return (f"{what}: estimate {float(estimate):.6g}, truth {float(truth):.6g}, SE {se:.3g}, "
            f"z = {z:+.2f} (limit ±{k:g})")  # fmt: skip


def assert_within(estimate: float, truth: float, se: float, k: float = K, what: str = "") -> None:
    """|estimate − truth| ≤ k · se (two-sided; fails by chance with ``false_failure(k)``)."""
    assert abs(z_score(estimate, truth, se)) <= k, _message(what, estimate, truth, se, k)


def assert_at_least(estimate: float, bound: float, se: float, k: float = K, what: str = "") -> None:
    """The truth is ≥ ``bound``: fails when the estimate is more than k SE below it
    (one-sided; by chance with ``false_failure(k, 1)`` when the truth is on the bound)."""
    assert z_score(estimate, bound, se) >= -k, _message(what, estimate, bound, se, k)


def assert_at_most(estimate: float, bound: float, se: float, k: float = K, what: str = "") -> None:
    """The truth is ≤ ``bound``: fails when the estimate is more than k SE above it."""
    assert z_score(estimate, bound, se) <= k, _message(what, estimate, bound, se, k)


def assert_detected(estimate: float, se: float, k: float = K, what: str = "") -> None:
    """An effect known to be positive is seen: estimate > k · se. A power check, not a test
    against a known value: with a true effect δ it fails by chance with probability about
    Φ(k − δ/se), which the test module states from the seeded z (a model with no effect
    fails it almost surely)."""
    z = z_score(estimate, 0.0, se)
    assert z > k, (
        f"{what}: effect {float(estimate):.6g}, SE {se:.3g}, z = {z:+.2f} (must exceed {k:g})"
    )


def assert_proportion_between(
    p_hat: float, n: int, lo: float, hi: float, k: float = K, what: str = ""
) -> None:
    """A plausibility range on a probability: the truth is in [lo, hi]. Each bound is tested
    one-sided with the SE of a proportion *at the bound*; the estimate may stray k SE outside."""
    if lo > 0:
        assert_at_least(p_hat, lo, se_proportion(lo, n), k, f"{what} (lower bound)")
    if hi < 1:
        assert_at_most(p_hat, hi, se_proportion(hi, n), k, f"{what} (upper bound)")


def quantile_interval(x: np.ndarray, q: float, k: float = K) -> tuple[float, float]:
    """Distribution-free interval for the q-quantile: the order statistics at ranks
    ``nq ∓ k √(nq(1 − q))``. The number of draws below the true quantile is Binomial(n, q),
    so the interval misses it with probability about ``false_failure(k)`` — for counts with
    ties too (no density is needed, unlike the SE of a sample quantile)."""
    x = np.sort(np.asarray(x, dtype=float).ravel())
    n = x.size
    half = k * math.sqrt(n * q * (1 - q))
    # 1-based ranks floor(nq − half) and ceil(nq + half) + 1, as 0-based indices
    lo_index = max(math.floor(n * q - half) - 1, 0)
    hi_index = min(math.ceil(n * q + half), n - 1)
    return float(x[lo_index]), float(x[hi_index])


def assert_quantile_between(
    x: np.ndarray,
    q: float,
    lo: float = -math.inf,
    hi: float = math.inf,
    k: float = K,
    what: str = "",
) -> None:
    """A plausibility range on a quantile: the true q-quantile is in [lo, hi]. Fails when
    :func:`quantile_interval` lies wholly outside (one bound: ``false_failure(k, 1)``)."""
    low, high = quantile_interval(x, q, k)
    median = float(np.quantile(x, q))
    assert high >= lo and low <= hi, (
        f"{what}: {q:g}-quantile {median:.6g}, its {k:g}-SE interval [{low:.6g}, {high:.6g}] "
        f"is outside [{lo:.6g}, {hi:.6g}]"
    )


def ks_limit(n: int, k: float = K) -> float:
    """Largest sup|F_n − F| accepted for ``n`` draws: the Dvoretzky–Kiefer–Wolfowitz–Massart
    bound P(sup|F_n − F| > ε) ≤ 2 exp(−2nε²) set equal to ``false_failure(k)``. It holds for
    any F, including the step CDF of a count law (the statistic is then only smaller)."""
    return math.sqrt(math.log(2 / false_failure(k)) / (2 * n))


def assert_counts_follow(
    x: np.ndarray, cdf: Callable[[np.ndarray], np.ndarray], k: float = K, what: str = ""
) -> None:
    """Integer draws ``x`` follow the count law with CDF ``cdf``: sup_j |F_n(j) − F(j)| over
    every integer j (both CDFs step only there) is within :func:`ks_limit`. Unlike
    ``scipy.stats.kstest``, ties do not inflate the statistic by a point mass."""
    x = np.asarray(x)
    assert np.array_equal(x, np.round(x)), f"{what}: not integer counts"
    support = np.arange(int(x.min()) - 1, int(x.max()) + 1)
    empirical = np.searchsorted(np.sort(x), support, side="right") / x.size
    distance = float(np.max(np.abs(empirical - cdf(support))))
    limit = ks_limit(x.size, k)
    assert distance <= limit, f"{what}: sup|F_n − F| = {distance:.4f} > {limit:.4f} (n={x.size})"
