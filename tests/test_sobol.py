"""The given-data first-order Sobol estimator (sim/analysis/sobol.py) against known indices.

Known laws:

- Ishigami, Y = sin X1 + 7 sin² X2 + 0.1 X3⁴ sin X1, X ~ U(−π, π)³: S = 0.3139, 0.4424, 0
  (V = a²/8 + bπ⁴/5 + b²π⁸/18 + 1/2, V1 = (1 + bπ⁴/5)²/2, V2 = a²/8).
- Linear, Y = X1 + 2 X2 with independent standard normals: S = 1/5 and 4/5.
- A threshold of a linear model, Y = 1[X1 + 2 X2 > c]: P(Y = 1 | X1 = x) = Φ((x − c)/2), and
  for X ~ N(0, 1), E[Φ(aX + b)²] = Φ₂(h, h; ρ) with h = b/√(1 + a²), ρ = a²/(1 + a²), so
  S_i = (Φ₂(h, h; ρ_i) − p²) / (p(1 − p)), p = Φ(−c/√5), ρ_1 = 1/5, ρ_2 = 4/5; with
  Φ₂(h, h; ρ) = Φ(h) − 2 T(h, √((1 − ρ)/(1 + ρ))) (Owen's T). X3 plays no part: S3 = 0.

With bins fixed in advance (the prior's quantiles, as the engine's streaming sums use) the
estimator is unbiased for the *binned* index Var(E[Y | bin]) / Var(Y), computed here exactly
(bin means of sin, sin², x and Φ in closed form or by quadrature); the binned index is within
0.002 of the true one (checked, deterministic). Bins cut at the sample's quantiles (the default
of ``first_order``) are tested against the true indices: the binning bias (≤ 0.0006) is under
0.25 SE there.

Statistical assertions: 13 at k = 4.5 SE (6.8e-6 each: Ishigami 3 + 3, linear 2, threshold 3,
value of information 2) and the calibration test's two χ² bounds at 1e-5 each (on the mean of
450 squared z-scores). Family-wise (Bonferroni): 13 × 6.8e-6 + 2 × 1e-5
≈ 1.1e-4. The mutation tests check that each way of
breaking the estimator fails at least one of these checks (deterministically, on fixed seeds).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
import pytest
from mc import assert_within
from scipy import integrate, special, stats

from sim.analysis import sobol
from sim.analysis.sobol import (
    BINS,
    band_bins,
    bin_index,
    bin_sums,
    first_order,
    value_of_information,
)

K = 4.5
A, B = 7.0, 0.1
ISHIGAMI_V = A**2 / 8 + B * math.pi**4 / 5 + B**2 * math.pi**8 / 18 + 0.5
ISHIGAMI_S = (0.5 * (1 + B * math.pi**4 / 5) ** 2 / ISHIGAMI_V, A**2 / 8 / ISHIGAMI_V, 0.0)
C = 1.0  # the threshold of the linear model
N = 100_000
CALIBRATION_N, CALIBRATION_REPS = 4000, 150
CHI2_RATE = 1e-5  # each bound of the calibration test


def ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def uniform_edges() -> np.ndarray:
    return -math.pi + 2 * math.pi * np.arange(1, BINS) / BINS


def normal_edges() -> np.ndarray:
    return special.ndtri(np.arange(1, BINS) / BINS)


def ishigami_binned() -> tuple[float, float, float]:
    """The binned indices of equal-width bins on U(−π, π): bin means of sin and sin² exactly."""
    e = np.linspace(-math.pi, math.pi, BINS + 1)
    lo, hi = e[:-1], e[1:]
    m1 = (1 + B * math.pi**4 / 5) * (np.cos(lo) - np.cos(hi)) / (hi - lo)
    m2 = A * (0.5 - (np.sin(2 * hi) - np.sin(2 * lo)) / (4 * (hi - lo)))
    return float(m1.var() / ISHIGAMI_V), float(m2.var() / ISHIGAMI_V), 0.0


def normal_bin_means() -> np.ndarray:
    """E[X | bin] of equal-probability bins of N(0, 1): M (φ(a) − φ(b))."""
    q = special.ndtri(np.arange(BINS + 1) / BINS)
    return BINS * (stats.norm.pdf(q[:-1]) - stats.norm.pdf(q[1:]))


def threshold_truth() -> tuple[float, float, float, float]:
    """p and the exact indices of 1[X1 + 2 X2 > c] (module docstring)."""
    h = -C / math.sqrt(5)
    p = float(special.ndtr(h))

    def phi2(rho: float) -> float:
        return float(special.ndtr(h) - 2 * special.owens_t(h, math.sqrt((1 - rho) / (1 + rho))))

    return p, (phi2(0.2) - p**2) / (p * (1 - p)), (phi2(0.8) - p**2) / (p * (1 - p)), 0.0


@functools.cache
def threshold_binned() -> tuple[float, float, float]:
    """The binned indices of the threshold model: the bin means of Φ(a X + b) are
    M ∫ Φ(a Φ⁻¹(u) + b) du over each bin's 1/M of u, by 40-point Gauss–Legendre."""
    p = threshold_truth()[0]
    nodes, weights = np.polynomial.legendre.leggauss(40)
    u = (np.arange(BINS)[:, None] + (nodes[None, :] + 1) / 2) / BINS

    def binned(a: float, b: float) -> float:
        means = (special.ndtr(a * special.ndtri(u) + b) * weights).sum(axis=1) / 2
        return float(np.var(means) / (p * (1 - p)))

    return binned(0.5, -C / 2), binned(2.0, -C), 0.0


def threshold_draws(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(seed).standard_normal((n, 3))
    return x, (x[:, 0] + 2 * x[:, 1] > C).astype(float)


# ------------------------------------------------------------------ the checks
# Plain functions, so that the mutation tests can run them against a broken estimator.


def check_ishigami_sample_bins() -> None:
    x = np.random.default_rng(1).uniform(-math.pi, math.pi, (N, 3))
    y = ishigami(x)
    for i, truth in enumerate(ISHIGAMI_S):
        s, se = first_order(x[:, i], y)
        assert_within(s, truth, se, K, f"Ishigami S{i + 1}, sample-quantile bins")


def check_ishigami_prior_bins() -> None:
    x = np.random.default_rng(2).uniform(-math.pi, math.pi, (N, 3))
    y = ishigami(x)
    for i, truth in enumerate(ishigami_binned()):
        s, se = first_order(x[:, i], y, edges=uniform_edges())
        assert_within(s, truth, se, K, f"Ishigami S{i + 1}, prior bins")


def check_linear() -> None:
    x = np.random.default_rng(3).standard_normal((N, 2))
    y = x[:, 0] + 2 * x[:, 1]
    binned = normal_bin_means().var() * np.array([1.0, 4.0]) / 5
    for i in range(2):
        s, se = first_order(x[:, i], y, edges=normal_edges())
        assert_within(s, binned[i], se, K, f"linear S{i + 1}")


def check_threshold() -> None:
    x, y = threshold_draws(4, N)
    for i, truth in enumerate(threshold_binned()):
        s, se = first_order(x[:, i], y, edges=normal_edges())
        assert_within(s, truth, se, K, f"threshold S{i + 1}")


def replicated(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The index and SE of each of R replications at once: x and y are (R, n)."""
    reps = x.shape[0]
    index = (bin_index(x, normal_edges()) + BINS * np.arange(reps)[:, None]).ravel()
    n = np.bincount(index, minlength=reps * BINS).reshape(reps, BINS).astype(float)
    sums = [np.bincount(index, weights=(y**k).ravel(), minlength=reps * BINS).reshape(reps, BINS)
            for k in range(1, 5)]  # fmt: skip
    return sobol.first_order_from_sums(sobol.BinSums(n, *sums))


def check_calibration() -> None:
    """The SE is the spread of the estimate: over replications, the mean of z² of the three
    inputs of the threshold model (z against the binned truth) is a χ²_dof / dof if the SEs are
    right; its bounds are the χ² quantiles at 1e-5, the lower one widened by 0.75 because the
    SE is conservative by up to 12 % for an input that explains nothing (0.88² ≈ 0.77)."""
    rng = np.random.default_rng(100)
    x = rng.standard_normal((3, CALIBRATION_REPS, CALIBRATION_N))
    y = (x[0] + 2 * x[1] > C).astype(float)
    z2 = []
    for i, truth in enumerate(threshold_binned()):
        s, se = replicated(x[i], y)
        z2.extend(((s - truth) / se) ** 2)
    dof = len(z2)
    mean = float(np.mean(z2))
    low = stats.chi2.ppf(CHI2_RATE, dof) / dof * 0.75
    high = stats.chi2.ppf(1 - CHI2_RATE, dof) / dof
    assert low <= mean <= high, f"mean z² {mean:.3f} outside [{low:.3f}, {high:.3f}]"


CHECKS: dict[str, Callable[[], None]] = {
    "ishigami_sample_bins": check_ishigami_sample_bins,
    "ishigami_prior_bins": check_ishigami_prior_bins,
    "linear": check_linear,
    "threshold": check_threshold,
    "calibration": check_calibration,
}


# ------------------------------------------------------------------ the tests


def test_the_binned_truths_are_the_known_indices() -> None:
    """Deterministic: binning loses at most 0.002 of any index here; the threshold model's
    closed form agrees with a bivariate normal CDF."""
    assert ishigami_binned() == pytest.approx(ISHIGAMI_S, abs=0.001)
    assert ISHIGAMI_S[:2] == pytest.approx((0.3139, 0.4424), abs=5e-5)
    linear = normal_bin_means().var() * np.array([1.0, 4.0]) / 5
    assert linear == pytest.approx([0.2, 0.8], abs=0.002)
    p, s1, s2, _ = threshold_truth()
    assert threshold_binned() == pytest.approx((s1, s2, 0.0), abs=0.001)
    h = -C / math.sqrt(5)
    for rho, s in ((0.2, s1), (0.8, s2)):
        phi2 = stats.multivariate_normal([0, 0], [[1, rho], [rho, 1]]).cdf([h, h])
        assert (phi2 - p**2) / (p * (1 - p)) == pytest.approx(s, abs=1e-6)


@pytest.mark.parametrize("name", ["ishigami_sample_bins", "ishigami_prior_bins", "linear",
                                  "threshold"])  # fmt: skip
def test_estimates_match_known_indices(name: str) -> None:
    CHECKS[name]()


def test_the_standard_error_is_the_spread_of_the_estimate() -> None:
    check_calibration()


def test_several_outputs_at_once_match_one_at_a_time() -> None:
    x, y = threshold_draws(5, 20_000)
    y2 = np.column_stack([y, x[:, 1] ** 2])
    both = first_order(x[:, 1], y2, edges=normal_edges())
    for j in range(2):
        one = first_order(x[:, 1], y2[:, j], edges=normal_edges())
        assert both[0][j] == pytest.approx(one[0], rel=1e-12)
        assert both[1][j] == pytest.approx(one[1], rel=1e-12)


def test_a_constant_output_has_no_index() -> None:
    x = np.random.default_rng(6).standard_normal(5000)
    s, se = first_order(x, np.ones(5000))
    assert math.isnan(s) and math.isnan(se)


def test_value_of_information_matches_the_band_averages() -> None:
    """P(met) when X2 lies in its 8–12 % band (and 88–92 %), against ∫ Φ(2x − c) φ(x) dx over
    the band / 0.04; the swing's SE combines the two. Two assertions at K."""
    x, y = threshold_draws(7, N)
    index = bin_index(x[:, 1], normal_edges())
    sums = bin_sums(index, y, BINS)
    voi = value_of_information(sums.n, sums.s1)
    for q, key in ((0.10, "p_low"), (0.90, "p_high")):
        band = band_bins(BINS, q)
        lo, hi = special.ndtri(band.start / BINS), special.ndtri(band.stop / BINS)
        f = lambda v: special.ndtr(2 * v - C) * stats.norm.pdf(v)  # noqa: E731
        truth = integrate.quad(f, lo, hi)[0] / (band.stop - band.start) * BINS
        assert_within(float(voi[key]), truth, float(voi[key + "_se"]), K, key)
    assert voi["swing"] == pytest.approx(voi["p_high"] - voi["p_low"])
    assert voi["swing_se"] == pytest.approx(math.hypot(voi["p_low_se"], voi["p_high_se"]))
    assert band_bins(BINS, 0.10) == slice(8, 12)
    assert band_bins(BINS, 0.90) == slice(88, 92)


# ------------------------------------------------------------------ mutations


def _no_bias(within, share, total):  # type: ignore[no-untyped-def]
    return 0.0 * total


def _within_as_total(sums):  # type: ignore[no-untyped-def]
    within = sobol._within_variance(sums)
    return (within * sums.n).sum(axis=-1) / sums.n.sum(axis=-1)


MUTATIONS = {
    # name: (function replaced, replacement, the check that must catch it)
    "bias correction dropped": ("_bias", _no_bias, "threshold"),
    "within-bin variance for Var(Y)": ("_total_variance", _within_as_total, "ishigami_prior_bins"),
    "SE without the χ² term": ("_noise_variance", lambda w, t, v: 0.0 * t, "calibration"),
    "SE without the influence term": ("_influence_variance",
                                      lambda s, m, v, i, w: 0.0 * v, "calibration"),
}  # fmt: skip


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_a_broken_estimator_fails_the_checks(mutation: str, monkeypatch) -> None:
    name, replacement, check = MUTATIONS[mutation]
    monkeypatch.setattr(sobol, name, replacement)
    with pytest.raises(AssertionError):
        CHECKS[check]()
