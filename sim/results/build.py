"""Building a :class:`~sim.results.container.Result` from the engine's integer counts.

Every number here comes from counts the reduction kept (hits, histograms, co-failures,
paired gains and losses); the statistics are those of :mod:`sim.results.stats`.
"""

from __future__ import annotations

import math
import platform
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from sim._version import __version__
from sim.catalogue import indicators, observed
from sim.models import produced_indicators
from sim.plan import Plan
from sim.reduction import Accumulator
from sim.results.container import Result
from sim.results.stats import (
    QUANTILES,
    paired_difference,
    proportion_se,
    status_of,
    weighted_proportion_se,
    wilson,
)
from sim.results.store import FORMAT_VERSION
from sim.scenario import Scenario
from sim.targets import Target, groups, targets


def build_result(
    scenario: Scenario, acc: Accumulator, plan: Plan, timings: dict[str, float]
) -> Result:
    """Turn one scenario's counts into tables."""
    years = acc.years
    modelled_index = {tid: j for j, tid in enumerate(acc.modelled)}
    rows = [
        _attainment_row(acc.targets.get(tid, base), acc, modelled_index.get(tid))
        for tid, base in targets().items()
    ]
    result = Result(
        scenario=scenario,
        attainment=pd.DataFrame(rows),
        joint=_joint(acc),
        groups=_groups(acc),
        cofailure=_cofailure(acc),
        n_met=pd.DataFrame(
            {"targets_met": np.arange(len(acc.n_met)), "probability": acc.n_met / acc.total}
        ),
        trajectories=_trajectories(acc, years),
        distributions=_distributions(acc),
        sample=_sample(acc, years),
        manifest=_manifest(scenario, acc, plan, timings),
        comparison=None,
    )
    if acc.prior is not None:
        _add_update(result, acc)
    return result


def _add_update(result: Result, acc: Accumulator) -> None:
    """A run with actuals: what they changed, how each weighed, the ESS by year, and the fans
    before the update (:mod:`sim.results.changes`)."""
    from sim.results import changes  # with actuals only: it needs scipy.stats (sim.update)

    assert acc.prior is not None
    scenario = result.scenario
    ess = changes.ess_table(scenario, acc)
    result.update_tables = {
        "changes": changes.changes_table(scenario, acc),
        "actuals": changes.actuals_table(scenario, acc),
        "ess": ess,
        "trajectories_before": _trajectories(acc.prior, acc.years),
    }
    result.manifest["update"] = changes.update_manifest(ess, acc)


def _attainment_row(t: Target, acc: Accumulator, j: int | None) -> dict[str, Any]:
    """One row of the attainment table; ``j`` is the target's column among those modelled."""
    row: dict[str, Any] = {
        "target_id": t.id, "name_zh": t.name_zh, "name_en": t.name_en, "group": t.group,
        "clause": t.clause, "kind": t.kind, "reading": t.reading or "literal",
        "indicator": t.indicator, "threshold": t.threshold, "unit": t.unit,
        "deadline": t.deadline,
    }  # fmt: skip
    row.update(_value_2022(t.indicator, acc))
    if j is None:
        row.update(
            p_met=math.nan, mc_se=math.nan, wilson_lo=math.nan, wilson_hi=math.nan,
            judged_q10=math.nan, judged_median=math.nan, judged_q90=math.nan,
            status="qualitative" if not t.quantitative else "not_modelled",
        )  # fmt: skip
        return row
    p, se, lo, hi = proportion(acc, j)
    grid, counts = acc.edges.targets[t.id], acc.judged[t.id]
    row.update(
        p_met=p, mc_se=se, wilson_lo=lo, wilson_hi=hi,
        judged_q10=grid.quantile(counts, 0.10), judged_median=grid.quantile(counts, 0.50),
        judged_q90=grid.quantile(counts, 0.90), status=status_of(p),
    )  # fmt: skip
    return row


def proportion(acc: Accumulator, j: int) -> tuple[float, float, float, float]:
    """P(met) of the ``j``-th modelled target with its Monte Carlo SE and Wilson interval
    (on the effective sample size when the draws are weighted by actuals)."""
    hits, total = int(acc.met[j]), acc.total
    p = hits / total if total else math.nan
    se = weighted_proportion_se(p, acc.met_sq[j] / acc.unit_sq, total / acc.unit,
                                acc.total_sq / acc.unit_sq)  # fmt: skip
    n_eff = acc.effective_draws
    lo, hi = wilson(hits, total) if acc.unit == 1 else wilson(p * n_eff, max(n_eff, 1e-12))
    return p, se, lo, hi


def _value_2022(indicator: str | None, acc: Accumulator) -> dict[str, Any]:
    """The indicator's 2022 value: observed if published, else the model's start median."""
    if indicator is None:
        return {"value_2022": math.nan, "value_2022_source": "no indicator (qualitative)"}
    obs = observed(indicator, 2022)
    if obs is not None:
        return {"value_2022": obs.value, "value_2022_source": f"observed ({obs.status})"}
    if indicator in acc.series and 2022 in acc.years:
        j = acc.years.index(2022)
        grid = acc.edges.series[indicator][j]
        return {"value_2022": grid.quantile(acc.series[indicator][j], 0.5),
                "value_2022_source": "model prior (median)"}  # fmt: skip
    if not acc.edges.series and indicator in produced_indicators():
        return {"value_2022": math.nan, "value_2022_source": "not kept (run without series)"}
    return {"value_2022": math.nan, "value_2022_source": "not modelled"}


def _joint(acc: Accumulator) -> pd.DataFrame:
    # Joint and group probabilities: SEs on the effective sample size (Kish), exact for
    # plain runs; per-target SEs use the exact weighted formula (``proportion``).
    n = acc.effective_draws
    p_all = acc.all_met / acc.total
    p = acc.met / acc.total
    expected = float(p.sum())
    k = np.arange(len(acc.n_met))
    var_count = float((acc.n_met / acc.total) @ (k - expected) ** 2)
    rows = {
        "all_targets": (p_all, proportion_se(p_all, n)),
        "expected_number_met": (expected, math.sqrt(var_count / n)),
        "number_of_targets_modelled": (float(len(acc.modelled)), 0.0),
        "smallest_single_p": (float(p.min()) if len(p) else math.nan, 0.0),
    }
    return pd.DataFrame(
        [{"measure": key, "p": v, "mc_se": se} for key, (v, se) in rows.items()]
    ).set_index("measure")


def _groups(acc: Accumulator) -> pd.DataFrame:
    n = acc.effective_draws
    out = []
    for g, hits in acc.group_all_met.items():
        members = [t for t in acc.modelled if acc.targets[t].group == g]
        p = hits / acc.total
        out.append({"group": g, "name_zh": groups()[g].name_zh, "name_en": groups()[g].name_en,
                    "targets": len(members), "p_all_met": p,
                    "mc_se": proportion_se(p, n)})  # fmt: skip
    return pd.DataFrame(out)


def _cofailure(acc: Accumulator) -> pd.DataFrame:
    """P(both targets missed) for every pair of modelled targets."""
    return pd.DataFrame(
        acc.cofail / acc.total, index=list(acc.modelled), columns=list(acc.modelled)
    ).rename_axis("target_id")


TRAJECTORY_COLUMNS = ["indicator", "name_zh", "name_en", "unit", "year", "mean",
                      *(f"q{round(q * 100):02d}" for q in QUANTILES)]  # fmt: skip


def _trajectories(acc: Accumulator, years: tuple[int, ...]) -> pd.DataFrame:
    """Mean and quantiles of every series per year (no rows in a run without the series)."""
    inds = indicators()
    rows = []
    for name, counts in acc.series.items():
        info = inds.get(name)
        for j, year in enumerate(years):
            grid = acc.edges.series[name][j]
            c = counts[j, : grid.bins + 2]
            row = {
                "indicator": name,
                "name_zh": info.name_zh if info else name,
                "name_en": info.name_en if info else name,
                "unit": info.unit if info else "",
                "year": year,
                "mean": grid.mean(c),
            }
            row.update(zip(TRAJECTORY_COLUMNS[6:], grid.quantiles(c, QUANTILES), strict=True))
            rows.append(row)
    return pd.DataFrame(rows, columns=TRAJECTORY_COLUMNS)


def _distributions(acc: Accumulator) -> pd.DataFrame:
    """Histogram of every target's judged value (non-empty bins), for charts."""
    ids, los, his, probs = [], [], [], []
    for tid in acc.modelled:
        grid = acc.edges.targets[tid]
        counts = acc.judged[tid]
        i = np.flatnonzero(counts)
        ids.append(np.full(len(i), tid, dtype=object))
        los.append(np.where(i == 0, -math.inf, grid.lo + (i - 1) * grid.width))
        his.append(np.where(i == grid.bins + 1, math.inf, grid.lo + i * grid.width))
        probs.append(counts[i] / acc.total)
    if not ids:
        return pd.DataFrame(columns=["target_id", "bin_lo", "bin_hi", "probability"])
    columns = {"target_id": ids, "bin_lo": los, "bin_hi": his, "probability": probs}
    return pd.DataFrame({name: np.concatenate(parts) for name, parts in columns.items()})


def _sample(acc: Accumulator, years: tuple[int, ...]):
    import xarray as xr

    names = list(acc.sample)
    size = acc.sample_size
    values = np.empty((size, len(years), 0))  # a run without the series keeps no sample
    if names:
        values = np.stack([acc.sample[name][:size] for name in names], axis=2)
    inds = indicators()
    ds = xr.Dataset(
        {"value": (("draw", "year", "indicator"), values)},
        coords={
            "draw": np.arange(size),
            "year": list(years),
            "indicator": names,
            "name_zh": ("indicator", [inds[i].name_zh if i in inds else i for i in names]),
            "name_en": ("indicator", [inds[i].name_en if i in inds else i for i in names]),
            "unit": ("indicator", [inds[i].unit if i in inds else "" for i in names]),
        },
        attrs={"description": "whole trajectories of the first draws of the run"},
    )
    if acc.prior is not None:  # a run with actuals: each kept draw's posterior weight
        ds["weight"] = (("draw",), acc.sample_weight[:size])
        ds.attrs["description"] += "; weight: each draw's weight given the actuals (mean of"
        ds.attrs["description"] += " weight × value is the posterior mean)"
    return ds


def _manifest(
    scenario: Scenario, acc: Accumulator, plan: Plan, timings: dict[str, float]
) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "sim_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "scenario": scenario.spec(),
        "scenario_levers": dict(scenario.levers),
        "scenario_hash": scenario.hash(),
        "scenario_source": scenario.source,
        "annual_cost_wan": scenario.annual_cost_wan(),
        "seed": plan.seed,
        "draws": acc.draws,
        "effective_draws": acc.effective_draws,
        "chunk_size": plan.chunk_size,
        "sample_draws": min(plan.sample_draws, acc.draws),
        "series": plan.series if isinstance(plan.series, bool) else list(plan.series),
        "years": list(acc.years),
        "targets_modelled": list(acc.modelled),
        "targets_not_modelled": [t for t in acc.targets if t not in acc.modelled],
        "timings_seconds": timings,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
    }


def add_comparison(ref: Result, results: list[Result], accs: list[Accumulator]) -> None:
    """Attach paired differences against ``ref`` to every result (each accumulator counted
    its draws' gains and losses against the reference's)."""
    ref_p = ref.attainment.set_index("target_id")["p_met"]
    for res, acc in zip(results, accs, strict=True):
        n = acc.draws
        rows = []
        res_p = res.attainment.set_index("target_id")["p_met"]
        for j, tid in enumerate(acc.modelled):
            gain, loss = int(acc.pair_gain[j]), int(acc.pair_loss[j])  # type: ignore[index]
            diff, se = paired_difference(gain, loss, n)
            p = float(res_p[tid])
            rows.append({"target_id": tid, "reference": ref.scenario.name,
                         "p_reference": float(ref_p[tid]), "p_scenario": p,
                         "difference": diff, "difference_se": se})  # fmt: skip
        diff, se = paired_difference(*acc.pair_all, n)
        rows.append({"target_id": "all_targets", "reference": ref.scenario.name,
                     "p_reference": ref.p_all, "p_scenario": res.p_all,
                     "difference": diff, "difference_se": se})  # fmt: skip
        res.comparison = pd.DataFrame(rows).assign(
            cost_reference_wan=ref.scenario.annual_cost_wan(),
            cost_scenario_wan=res.scenario.annual_cost_wan(),
        )
