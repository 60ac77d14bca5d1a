"""What the actuals changed: the tables of a run conditioned on actuals (:mod:`sim.update`).

From one run's counts — the posterior, the same draws counted without the actuals (the
prior) and the update's sums — this module builds:

- ``changes``: each target's P(met) before and after, their paired difference with its SE,
  and the actual that moved it most (the change it makes on its own);
- ``actuals``: each actual, where it falls in the model's view before the update, and how much
  it weighs on its own (its effective sample size);
- ``ess``: the effective sample size after every year with actuals, with a warning below
  :data:`sim.update.ESS_WARN` that says how many draws would restore it.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from sim.catalogue import indicators
from sim.reduction import Accumulator
from sim.results.stats import status_of, update_difference_se
from sim.scenario import Scenario
from sim.update import ESS_WARN, UpdateCounts, ess, likelihoods


def _update(acc: Accumulator) -> UpdateCounts:
    assert acc.update is not None and acc.prior is not None, "not a run with actuals"
    return acc.update


def changes_table(scenario: Scenario, acc: Accumulator) -> pd.DataFrame:
    """Per modelled target: P(met) before and after the actuals, the paired difference and its
    SE, and the actual whose effect on its own is largest among those clearly non-zero."""
    _update(acc)
    prior = acc.prior
    assert prior is not None
    alone = _alone_effects(scenario, acc)
    rows = []
    for j, tid in enumerate(acc.modelled):
        before, after = prior.met[j] / prior.total, acc.met[j] / acc.total
        se = update_difference_se(after, before, acc.met_sq[j] / acc.unit_sq,
                                  acc.total / acc.unit, acc.total_sq / acc.unit_sq,
                                  acc.draws)  # fmt: skip
        clear = [(abs(d), label, d) for label, d, d_se in alone[j] if abs(d) > CLEAR_Z * d_se]
        _, label, effect = max(clear, default=(0.0, "", math.nan))
        t = acc.targets[tid]
        rows.append({
            "target_id": tid, "name_zh": t.name_zh, "name_en": t.name_en,
            "p_before": before, "p_after": after, "difference": after - before,
            "difference_se": se, "status_before": status_of(before),
            "status_after": status_of(after), "moved_most_by": label,
            "moved_most_by_change": effect,
        })  # fmt: skip
    return pd.DataFrame(rows)


# An actual's own effect on a P(met) counts as "clearly" non-zero beyond 3 SEs (one false
# attribution in about 370 target-actual pairs when nothing moved).
CLEAR_Z = 3.0


def _alone_effects(scenario: Scenario, acc: Accumulator) -> list[list[tuple[str, float, float]]]:
    """Per target, per actual: (label, P(met) given that actual alone − P before, its SE).

    The SE is that of the weighted proportion on the actual's own effective sample size
    (Kish), an upper bound of the paired SE that keeps noise from naming an actual.
    """
    update, prior = _update(acc), acc.prior
    assert prior is not None
    liks = likelihoods(scenario.actuals, acc.years)
    first = update.first_alone
    out: list[list[tuple[str, float, float]]] = [[] for _ in acc.modelled]
    for k, lk in enumerate(liks):
        total = int(update.sums[first + k])
        n_eff = ess(total, int(update.squares[first + k]), acc.unit)
        for j in range(len(acc.modelled)):
            if total == 0 or n_eff == 0:
                continue
            p = update.alone_met[k, j] / total
            se = math.sqrt(max(p * (1 - p), 1e-12) / n_eff)
            out[j].append((lk.label, p - prior.met[j] / prior.total, se))
    return out


def _prior_percentile(acc: Accumulator, indicator: str, year: int, value: float) -> float:
    """Where ``value`` falls in the model's distribution of the indicator before the update."""
    prior = acc.prior
    if prior is None or indicator not in prior.series:
        return math.nan
    j = acc.years.index(year)
    grid = prior.edges.series[indicator][j]
    return grid.cdf(prior.series[indicator][j, : grid.bins + 2], value)


def actuals_table(scenario: Scenario, acc: Accumulator) -> pd.DataFrame:
    """Per actual: its observation model, where it falls in the prior (a year-to-date flow is
    annualised by its mean fraction), and its effective sample size on its own."""
    update = _update(acc)
    liks = likelihoods(scenario.actuals, acc.years)
    first = update.first_alone
    rows = []
    for k, lk in enumerate(liks):
        a, obs = lk.actual, lk.observation
        annual = a.value / obs.fraction_mean if obs.fraction_mean else a.value
        n_eff = ess(int(update.sums[first + k]), int(update.squares[first + k]), acc.unit)
        rows.append({
            "indicator": a.indicator, "name_zh": indicators()[a.indicator].name_zh,
            "name_en": indicators()[a.indicator].name_en, "period": str(a.period),
            "year": a.period.year, "months": a.period.months or 12, "value": a.value,
            "status": a.status, "definition_changed": a.definition_changed, "source": a.source,
            "observation": obs.describe(), "annualised": annual,
            "prior_percentile": _prior_percentile(acc, a.indicator, a.period.year, annual),
            "ess_alone": n_eff, "ess_alone_share": n_eff / acc.draws,
        })  # fmt: skip
    return pd.DataFrame(rows)


def ess_table(scenario: Scenario, acc: Accumulator) -> pd.DataFrame:
    """The effective sample size after each year with actuals (all actuals up to that year),
    and the draws that would bring it to :data:`ESS_WARN`."""
    update = _update(acc)
    years = sorted({a.period.year for a in scenario.actuals})
    rows = []
    for i, year in enumerate(years, start=1):
        n_eff = ess(int(update.sums[i]), int(update.squares[i]), acc.unit)
        needed = math.ceil(acc.draws * ESS_WARN / n_eff) if n_eff > 0 else math.inf
        rows.append({
            "year": year, "actuals": sum(a.period.year <= year for a in scenario.actuals),
            "ess": n_eff, "ess_share": n_eff / acc.draws,
            "draws_needed": needed if n_eff < ESS_WARN else acc.draws,
            "power": update.power,
        })  # fmt: skip
    return pd.DataFrame(rows)


# Below this many effective draws the extrapolation "ESS grows with the draws" rests on too
# few weights to give a number: the warning then says "more than".
RELIABLE_ESS = 20


def _draws_for(ess: float, draws: int) -> str:
    """The draws that would give ESS_WARN effective ones, in words."""
    if ess <= 0:
        return "far more draws"
    needed = f"{math.ceil(draws * ESS_WARN / ess):,} draws"
    return needed if ess >= RELIABLE_ESS else f"more than {needed}"


def warnings_of(ess: pd.DataFrame, acc: Accumulator) -> list[str]:
    """Plain-language warnings: a tempered (partial) update, a low effective sample size,
    weights clipped at the cap."""
    out = []
    update = _update(acc)
    if update.power < 1:
        full = update.full_pilot_ess
        out.append(
            f"the figures are too many or too precise for {acc.draws:,} draws: they were "
            f"weighted at power {update.power:.2f} (each figure's error widened ×"
            f"{1 / math.sqrt(update.power):.1f}), a partial update that keeps enough effective "
            f"draws; at full weight the first {update.pilot_draws:,} draws keep {full:,.1f} "
            f"effective ones, so the full update needs "
            f"{_draws_for(full, update.pilot_draws)} (--draws), or run with --full-update"
        )
    for r in ess.itertuples():
        if r.ess < ESS_WARN:
            out.append(
                f"after the actuals of {r.year}, the update rests on {r.ess:,.0f} effective "
                f"draws of {acc.draws:,} (below {ESS_WARN:,}): probabilities carry larger "
                f"errors (see the SEs); {_draws_for(r.ess, acc.draws)} would give "
                f"{ESS_WARN:,} — or check the actuals that fall far in the tail (`sim actuals`)"
            )
    if update.clipped:
        out.append(
            f"{update.clipped:,} draws fit the actuals far better than any draw of the first "
            "chunk, so their weights were capped: the actuals lie far in the model's tail; run "
            "more draws"
        )
    return out


def update_manifest(ess: pd.DataFrame, acc: Accumulator) -> dict[str, Any]:
    """The manifest's summary of the update."""
    return {
        "actuals": len(acc.update.alone_met) if acc.update is not None else 0,
        "effective_draws": acc.effective_draws,
        "ess_by_year": {str(r.year): r.ess for r in ess.itertuples()},
        "ess_warn_below": ESS_WARN,
        "likelihood_power": _update(acc).power,
        "full_update_pilot_ess": _update(acc).full_pilot_ess,
        "warnings": warnings_of(ess, acc),
    }
