"""Vectorised helpers that several components share: over-dispersed counts, mean-one noise,
odds scaling, and the growth of the certified high-tech base to 2022.

Every function works on arrays of shape ``(draws,)`` (scalars broadcast); none draws from a
stream it was not handed, so a component's random numbers stay its own.
"""

from __future__ import annotations

import numpy as np

from sim.models.start import Start


def negative_binomial(rng: np.random.Generator, mean: np.ndarray, dispersion: np.ndarray):
    """Over-dispersed counts with the given mean; variance = mean + mean**2 / dispersion."""
    mean = np.maximum(np.asarray(mean, dtype=float), 0.0)
    k = np.asarray(dispersion, dtype=float)
    return rng.negative_binomial(k, k / (k + mean))


def lognormal_factor(rng: np.random.Generator, sigma: np.ndarray | float, n: int) -> np.ndarray:
    """Mean-one lognormal multiplicative noise: exp(sigma * z - sigma**2 / 2)."""
    sigma = np.asarray(sigma, dtype=float)
    return np.exp(sigma * rng.standard_normal(n) - 0.5 * sigma**2)


def mean_one_shock(loading: np.ndarray | float, z: np.ndarray) -> np.ndarray:
    """Mean-one multiplicative factor ``exp(loading · z − loading² / 2)`` of a N(0, 1) shock."""
    return np.exp(loading * z - 0.5 * loading**2)


def odds_scaled(p: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """Probability whose odds are ``factor`` times the odds of ``p`` (stays in [0, 1])."""
    p = np.clip(p, 0.0, 1.0)
    odds = p * factor
    return odds / (1.0 - p + odds)


def certified_growth_to_base(start: Start) -> float:
    """Growth of the certified high-tech stock from the start year to the end of 2022.

    Qidong's 2021–22 stock is not published; Jiangsu's grew by 44,000 / 37,000 ≈ 1.19 in
    2022 (observations: jiangsu hightech_enterprises_stock 2021, 2022), taken for every year
    back, so ≈ 1.41 from 2020. Used to carry firm-driven rates back for a backcast (the firms
    component builds a faster Qidong growth from 228 in 2020, so these flows come out a few
    percent high in 2022 of a backcast; see docs/model.md). 1 when the run starts in 2022.
    """
    s21 = start.observed("hightech_enterprises", 2021, scope="jiangsu")
    s22 = start.observed("hightech_enterprises", 2022, scope="jiangsu")
    return (s22 / s21) ** start.years_back
