"""Regime and measurement breaks: how likely each trend indicator is to jump in 2023–2025, and
by how much, from the priors that the reference class gives (:mod:`sim.catalogue.pooling`).

A break is a jump of the persistent level of an indicator (:mod:`sim.models.trend`): a census
revision of GDP for R&D intensity, a revision of the high-tech product catalogue for the share,
a re-count of a patent stock — or of a reported count alone (:class:`sim.models.trend.Breaks`:
new counting rules for tech-SME registration or attracted projects). Each year one happens
with probability ``p`` (a prior), and its size is ``N(0, b²)`` on the indicator's scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from sim.catalogue import indicators, observed
from sim.catalogue.pooling import reference_classes, spread
from sim.models import components
from sim.models.trend import Breaks, Trend
from sim.priors import parameters

SUMMARY_SEED = 20230305  # prior summaries are deterministic
SUMMARY_DRAWS = 20_000
HORIZON = 3  # the policy's years, 2023–2025
START_YEAR = 2022


def _indicator_of(class_id: str) -> str:
    own = reference_classes()[class_id].own_indicator
    return next(i for i, ind in indicators().items() if ind.observed_as == own)


def _typical_jump(size: float, scale: str, indicator: str) -> float:
    """A one-sd jump in the indicator's terms: the factor ``exp(b)`` a level is multiplied or
    divided by, or the percentage points a share moves at its 2022 value."""
    if scale == "log":
        return float(np.exp(size))
    start = observed(indicator, START_YEAR)
    s0 = (start.value if start else 50.0) / 100.0
    return 100.0 * float(expit(logit(s0) + size) - s0)


def break_risks(horizon: int = HORIZON) -> pd.DataFrame:
    """One row per trend of the model: indicator, reference class, scale, breaks found in the
    class, the yearly probability (median and 5–95 %), P(at least one break in ``horizon``
    years) over the prior, the break size's median sd and what a one-sd jump means at the
    2022 value, and the basis of the rate."""
    rng = np.random.default_rng(SUMMARY_SEED)
    rows = []
    for comp in components():
        sources: list[Trend | Breaks] = [*comp.trends, *comp.breaks]
        for source in sources:
            cls = reference_classes()[source.reference_class]
            rate = parameters()[source.parameter("break_rate")].draw(rng, SUMMARY_DRAWS)
            size_prior = parameters()[source.parameter("break_size")]
            size = float(np.median(size_prior.draw(rng, SUMMARY_DRAWS)))
            sp = spread(cls, START_YEAR, exclude="qidong")
            q = np.quantile(rate, [0.5, 0.05, 0.95])
            moved = (source.indicators if isinstance(source, Breaks)
                     else (_indicator_of(source.reference_class),))  # fmt: skip
            for indicator in moved:
                rows.append({
                    "indicator": indicator, "class": cls.id, "scale": cls.scale,
                    "component": comp.name, "units": sp.units, "changes": sp.changes,
                    "breaks": sp.breaks, "rate_median": q[0], "rate_low": q[1],
                    "rate_high": q[2], "p_any": float(1 - np.mean((1 - rate) ** horizon)),
                    "size_sd": size, "typical_jump": _typical_jump(size, cls.scale, indicator),
                    "basis": parameters()[source.parameter("break_rate")].basis,
                })  # fmt: skip
    return pd.DataFrame(rows)
