"""What we most need to learn: how much of each target's uncertainty each unknown explains.

:func:`sensitivity` runs a scenario's draws exactly as ``sim run`` does (same seed, same chunks,
so the same draws and the same P(met)) and, for every target and every uncertain parameter,
estimates

- the first-order Sobol index of "met" (the 0/1 indicator) and of the judged value: the share
  of their variance that knowing the parameter would remove on average
  (:mod:`sim.analysis.sobol`, the binned given-data estimator, with its delta-method SE);
- the value of information in plain terms: P(met) among the draws whose parameter lies near
  its 10th and near its 90th percentile, and the swing between the two.

Draws are streamed chunk by chunk into per-bin sums (:mod:`sim.analysis.learn_draws`: memory
bounded whatever the number of draws, the same bits with any number of worker processes); the
tables are built from them (:mod:`sim.analysis.learn_tables`).

``method="saltelli"`` instead evaluates SALib's Saltelli design (:mod:`sim.analysis.saltelli`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from sim.analysis.learn_draws import (
    MIN_DRAWS,
    given_data,
    idle_elasticity,
    make_setup,
    modelled_targets,
    simulate,
)
from sim.analysis.learn_tables import build, frames, ranking
from sim.analysis.sobol import BINS
from sim.engine import check_components
from sim.errors import SimError
from sim.plan import plan_for
from sim.priors import parameters
from sim.results.stats import STATUS_ORDER
from sim.scenario import Scenario, load_scenario

__all__ = ["MIN_DRAWS", "Sensitivity", "register_plotter", "sensitivity"]

METHODS = ("given-data", "saltelli")


def _as_scenario(scenario: Scenario | str | Path) -> Scenario:
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if sc.actuals:
        raise SimError(
            f"{sc.name}: the sensitivity of a scenario with actuals is not available (its draws "
            "would need their likelihood weights); use the scenario without them "
            "(Scenario.without_actuals(), or a copy of the file without [[actuals]])"
        )
    return sc


def sensitivity(
    scenario: Scenario | str | Path,
    draws: int | None = None,
    seed: int | None = None,
    targets: Sequence[str] | None = None,
    method: str = "given-data",
    jobs: int = 1,
    executor: Executor | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Sensitivity:
    """What we most need to learn, for a scenario: see the module docstring.

    ``targets`` limits the analysis to some target ids (default: every modelled target).
    ``method`` is "given-data" (the run's own draws; the default) or "saltelli" (SALib's
    Saltelli design, with ``draws`` the budget of model evaluations; needs SALib).
    """
    if method not in METHODS:
        raise SimError(
            f"--method: {method!r} is not a method; expected one of {', '.join(METHODS)}"
        )
    sc = _as_scenario(scenario)
    plan = plan_for([sc], draws, seed)
    if plan.draws < MIN_DRAWS:
        raise SimError(f"--draws: {plan.draws:,} draws is too few for {BINS} bins a parameter; "
                       f"expected at least {MIN_DRAWS:,}")  # fmt: skip
    t0 = time.perf_counter()
    check_components(plan.start_year, plan.end_year)
    chosen = modelled_targets(plan, sc, targets)
    first, n_first = plan.chunks()[0]
    pilot = simulate(sc, plan, first, n_first)
    setup = make_setup(sc, plan, chosen, pilot[1])
    if method == "saltelli":
        from sim.analysis.saltelli import saltelli

        estimates = saltelli(setup, on_progress=on_progress)
    else:
        estimates = build(setup, given_data(setup, pilot, jobs, executor, on_progress))
    target_df, rows = frames(setup, estimates)
    idle = [p for p in parameters() if idle_elasticity(p, sc) and p not in sc.assumptions]
    notes = tuple(estimates.get("notes", ()))
    if idle:
        notes += (f"{len(idle)} elasticities of levers the scenario leaves at their status quo "
                  "are left out: a lever's response is 1 there whatever the elasticity, so their "
                  "index is exactly zero",)  # fmt: skip
    return Sensitivity(
        scenario=sc,
        method=method,
        draws=int(estimates["draws"]),
        seed=plan.seed,
        targets=target_df,
        rows=rows,
        seconds=time.perf_counter() - t0,
        created=datetime.now().astimezone().isoformat(timespec="seconds"),
        notes=notes,
    )


# ---------------------------------------------------------------------- the result


@dataclass
class Sensitivity:
    """The unknowns behind each target of a scenario, ranked: ``table()``, ``top()``,
    ``unknowns()`` (what to learn first), ``targets`` and ``plot()``."""

    scenario: Scenario
    method: str
    draws: int
    seed: int
    targets: pd.DataFrame  # a row per target, at-risk first
    rows: pd.DataFrame  # a row per (target, parameter)
    seconds: float
    created: str
    notes: tuple[str, ...] = ()

    _plotter: ClassVar[Callable[..., Any] | None] = None

    def table(self, target_id: str | None = None) -> pd.DataFrame:
        """Every (target, parameter) row — or one target's — ranked by the index of "met"."""
        rows = self.rows if target_id is None else self.rows[self.rows["target_id"] == target_id]
        if target_id is not None and rows.empty:
            raise KeyError(f"{target_id} is not among the targets analysed")
        return rows.reset_index(drop=True)

    def top(self, target_id: str, k: int = 5, measurable_only: bool = False) -> pd.DataFrame:
        """The ``k`` parameters that explain most of the variance of the target's "met"."""
        rows = self.table(target_id)
        if measurable_only:
            rows = rows[rows["measurable"]]
        return rows.head(k).reset_index(drop=True)

    def unknowns(self, k: int = 12, measurable_only: bool = True) -> pd.DataFrame:
        """What to learn first: parameters ranked by the largest index of "met" they have on
        any at-risk target (on the uncertain ones when none is at risk)."""
        return ranking(self.rows, self.focus(), k, measurable_only)

    def focus(self) -> list[str]:
        """The targets the ranking looks at: at risk, else uncertain, else all."""
        for statuses in (("at_risk",), ("uncertain",), tuple(STATUS_ORDER)):
            ids = self.targets.loc[self.targets["status"].isin(statuses), "target_id"]
            if len(ids):
                return list(ids)
        return []

    def records(self) -> list[dict[str, Any]]:
        """Every row as plain dicts (for JSON)."""
        return [{k: plain_value(v) for k, v in r.items()} for r in self.rows.to_dict("records")]

    def plot(self, lang: str = "zh") -> Any:
        """The page "What we most need to learn" (a matplotlib Figure; ``import sim`` first)."""
        if Sensitivity._plotter is None:
            raise RuntimeError("import sim (or sim.charts) to draw: the charts register plot()")
        return Sensitivity._plotter(self, lang)[0]


def register_plotter(function: Callable[..., Any]) -> None:
    """Called by :mod:`sim.charts`: ``function(sensitivity, lang)`` returns the page's
    Figures (the analysis layer never imports the charts)."""
    Sensitivity._plotter = function


def plain_value(v: Any) -> Any:
    """A table cell as a plain Python value for JSON (NaN and ±inf as None)."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v
