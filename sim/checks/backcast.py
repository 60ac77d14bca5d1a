"""Backcast: start from the end-2020 state, simulate 2021–2022 under the status quo, and see
where each observed 2021–2022 value falls in the model's predictive distribution.

**In-sample.** The priors were set from the same 2022 values the backcast compares with: the
2022 flows and levels start the model (carried back to 2020 from them), and parameters cite
them in their basis (``independent`` is False for those rows). An observation near the middle
of its interval therefore shows that the machinery runs from 2020 and reproduces the figures
it was given — not that the priors are right. The out-of-sample test of the forecasting
method is the backtest (:mod:`sim.checks.backtest`, ``sim backtest``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sim.catalogue import indicators, observations, observed
from sim.engine import run_plan
from sim.plan import Plan
from sim.priors import parameters
from sim.scenario import status_quo

START, END = 2020, 2022


@dataclass(frozen=True)
class Backcast:
    """The comparison table and the indicators that could not be checked."""

    table: pd.DataFrame
    unchecked: pd.DataFrame
    draws: int
    seed: int

    @property
    def all_inside(self) -> bool:
        """Every observed value lies inside its 95 % predictive interval."""
        return bool(self.table["inside_95"].all())

    @property
    def in_sample(self) -> int:
        """How many of the checked observations a prior was set from (not independent)."""
        return int((~self.table["independent"]).sum()) if len(self.table) else 0


def run_backcast(draws: int = 20_000, seed: int = 20230305, jobs: int = 1) -> Backcast:
    """Simulate 2021–2022 from 2020 and compare with every observed 2021–2022 value."""
    plan = Plan(scenarios=(status_quo("backcast", draws, seed),), draws=draws, seed=seed,
                start_year=START, end_year=END)  # fmt: skip
    (acc,) = run_plan(plan, jobs=jobs)
    inds = indicators()
    rows, unchecked = [], []
    for ind_id, ind in inds.items():
        if ind.observed_as is None:
            continue
        start_observed = observed(ind_id, START) is not None
        for year in range(START + 1, END + 1):
            obs = observed(ind_id, year)
            if obs is None:
                continue
            if ind_id not in acc.series:
                unchecked.append({"indicator": ind_id, "year": year, "observed": obs.value,
                                  "reason": "no component produces it"})  # fmt: skip
                continue
            j = plan.years.index(year)
            grid = acc.edges.series[ind_id][j]
            counts = acc.series[ind_id][j, : grid.bins + 2]
            lo, hi = grid.quantile(counts, 0.025), grid.quantile(counts, 0.975)
            rows.append({
                "indicator": ind_id, "name_en": ind.name_en, "unit": ind.unit, "year": year,
                "observed": obs.value, "status": obs.status,
                "q025": lo, "median": grid.quantile(counts, 0.5), "q975": hi,
                "percentile": 100 * grid.cdf(counts, obs.value),
                "inside_95": bool(lo <= obs.value <= hi),
                "start_2020": "observed" if start_observed else "prior (no 2020 value)",
                "independent": not _used_by_a_prior(ind.observed_as, year),
            })  # fmt: skip
    for ind_id, ind in inds.items():
        if (
            ind.observed_as
            and not any(r["indicator"] == ind_id for r in rows)
            and not any(u["indicator"] == ind_id for u in unchecked)
        ):
            years = sorted({o.year for o in observations() if o.indicator == ind.observed_as
                            and o.scope == "qidong"})  # fmt: skip
            unchecked.append(
                {
                    "indicator": ind_id,
                    "year": None,
                    "observed": None,
                    "reason": f"no observation in 2021–2022 (observed in {years})",
                }
            )
    for ind_id, ind in inds.items():
        if ind.observed_as is None:
            unchecked.append({"indicator": ind_id, "year": None, "observed": None,
                              "reason": "no published observation at all"})  # fmt: skip
    return Backcast(pd.DataFrame(rows), pd.DataFrame(unchecked), draws, seed)


def _used_by_a_prior(observed_as: str, year: int) -> bool:
    """Whether some parameter's basis cites this observation (then the check is circular)."""
    return any(observed_as in p.basis and str(year) in p.basis for p in parameters().values())
