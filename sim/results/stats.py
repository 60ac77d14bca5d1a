"""Statistics of Monte Carlo counts: proportions, their errors, paired differences, statuses.

One home for the numbers every layer above reports: the status thresholds on P(met) and their
order (tables, the terminal and the charts all sort by it), the binomial standard error, the
Wilson interval and the standard error of a paired difference of two proportions counted on
the same draws.
"""

from __future__ import annotations

import math

LIKELY, UNCERTAIN = 0.8, 0.5  # status thresholds on P(met) (DESIGN §7)
STATUSES = ("likely", "uncertain", "at_risk")
# How statuses sort in tables: the targets that need attention first.
STATUS_ORDER = {"at_risk": 0, "uncertain": 1, "likely": 2, "not_modelled": 3, "qualitative": 4}
QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
Z95 = 1.959963984540054


def status_of(p: float) -> str:
    """likely (≥ 0.8), uncertain (0.5–0.8) or at_risk (< 0.5); not_modelled for NaN."""
    if math.isnan(p):
        return "not_modelled"
    return "likely" if p >= LIKELY else "uncertain" if p >= UNCERTAIN else "at_risk"


def proportion_se(p: float, n: float) -> float:
    """Monte Carlo standard error of a proportion ``p`` estimated from ``n`` (effective) draws."""
    return math.sqrt(max(p * (1 - p), 0.0) / n) if n else math.nan


def weighted_proportion_se(p: float, hits_sq: float, total: float, total_sq: float) -> float:
    """Monte Carlo SE of a self-normalised weighted proportion ``p = Σw·m / Σw`` (delta method):
    ``sqrt((1 − p)² Σw²m + p² (Σw² − Σw²m)) / Σw``; with every weight 1 it is the binomial SE.

    ``hits_sq`` = Σw² over hits, ``total`` = Σw, ``total_sq`` = Σw², all in the same units.
    """
    if total <= 0:
        return math.nan
    var = (1 - p) ** 2 * hits_sq + p * p * max(total_sq - hits_sq, 0.0)
    return math.sqrt(max(var, 0.0)) / total


def update_difference_se(
    p_after: float, p_before: float, hits_sq: float, total: float, total_sq: float, draws: int
) -> float:
    """SE of ``p_after − p_before`` when both are counted on the same draws, ``p_before``
    unweighted and ``p_after`` weighted (a run with actuals against the same run without).

    The delta method's influence of draw i is ``w̃ᵢ(mᵢ − p_a) − (mᵢ − p_b)`` with
    ``w̃ = w·n/Σw``; its sum of squares reduces to the weighted term, minus ``2n·p_a(1 − p_a)``
    (the cross term: Σw̃(m − p_a)(m − p_b) = n·p_a(1 − p_a)), plus ``n·p_b(1 − p_b)``
    (docs/model.md, "Monitoring"). Zero when every weight is equal.
    """
    if total <= 0 or draws == 0:
        return math.nan
    scale = draws / total
    weighted = scale**2 * ((1 - p_after) ** 2 * hits_sq + p_after**2 * (total_sq - hits_sq))
    ss = weighted - 2 * draws * p_after * (1 - p_after) + draws * p_before * (1 - p_before)
    return math.sqrt(max(ss, 0.0)) / draws


def wilson(hits: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (sensible at 0 and 1, unlike p ± 2 SE)."""
    if n == 0:
        return (math.nan, math.nan)
    p = hits / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def paired_difference(gain: int, loss: int, n: int) -> tuple[float, float]:
    """Difference of two proportions counted on the same draws, and its standard error.

    ``gain``: draws where the second scenario meets the target and the first does not;
    ``loss``: the reverse. The per-draw difference takes values +1, −1, 0, so its mean is
    ``(gain − loss)/n`` and its variance ``(gain + loss)/n − mean²``.
    """
    diff = (gain - loss) / n
    second = (gain + loss) / n
    return diff, math.sqrt(max(second - diff * diff, 0.0) / n)


def independent_difference(p1: float, se1: float, p0: float, se0: float) -> tuple[float, float]:
    """Difference of two proportions from independent samples, and its standard error."""
    return p1 - p0, math.hypot(se1, se0)
