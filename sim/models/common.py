"""Vectorised helpers that several components share: over-dispersed counts, mean-one noise,
odds scaling, and the pace of the certified high-tech base.

Every function works on arrays of shape ``(draws,)`` (scalars broadcast); none draws from a
stream it was not handed, so a component's random numbers stay its own.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sim.models.start import Start

# December 2020: the last published stock of certified high-tech enterprises (observations.csv:
# hightech_enterprises_stock 2020 = 228). It anchors the 2020–22 pace of the certified base.
CERTIFIED_REFERENCE_YEAR = 2020


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


def certified_growth_deviation(
    state: Mapping[str, np.ndarray], start: Start, year: int
) -> np.ndarray:
    """``ln(H_t/H_0) − h_ref · (t − t0)``: the certified base against its 2020–22 pace.

    ``H`` is ``hightech_enterprises`` (this year's) and ``H_0`` ``firms.stock_start``;
    ``h_ref = ln(H_0 / 228) / (t0 − 2020)`` per draw. Zero when the run starts in 2020 (the
    backcast), whose simulated years are the reference period itself. Read by ``rnd`` and
    ``industry``, which declare both keys in their ``reads``.
    """
    if start.year <= CERTIFIED_REFERENCE_YEAR:
        return np.zeros(start.n)
    h0 = np.maximum(np.asarray(state["firms.stock_start"], dtype=float), 1.0)
    h = np.maximum(np.asarray(state["hightech_enterprises"], dtype=float), 1.0)
    reference = start.observed("hightech_enterprises", CERTIFIED_REFERENCE_YEAR)
    h_ref = np.log(h0 / reference) / (start.year - CERTIFIED_REFERENCE_YEAR)
    return np.log(h / h0) - h_ref * (year - start.year)


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
