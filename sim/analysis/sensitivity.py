"""What drives a result: the parameter draws behind the sample, rank correlations with judged
values, the parameters in the equations of the at-risk targets, and targets missed together."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.targets import judged_target, rows_in_policy_order
from sim.catalogue import cached, indicators
from sim.levers import levers
from sim.plan import CHUNK
from sim.priors import draw_parameters, parameters
from sim.results import Result

PRIOR_SUMMARY_DRAWS = 4000  # enough for a median and a 5–95 % range to two or three digits
PRIOR_SUMMARY_SEED = 20230305


def parameter_draws(result: Result) -> pd.DataFrame:
    """Parameter values of the sampled draws: a row per draw of ``result.sample``, a column
    per parameter id.

    Re-drawn from the run's seed: parameters have their own named streams, so the values are
    exactly those the run used for its first draws (which are the sample).
    """
    n = min(result.draws_run, int(result.manifest.get("chunk_size", CHUNK)))
    params = draw_parameters(int(result.manifest["seed"]), 0, n, result.scenario.assumptions)
    size = int(result.sample.sizes["draw"])
    return pd.DataFrame({pid: params[pid][:size] for pid in params}).rename_axis("draw")


def drivers(result: Result, target_id: str, top: int = 10) -> pd.DataFrame:
    """The parameters whose draws move a target's judged value most, over the sample.

    Spearman rank correlation between each parameter and the judged value, strongest first;
    fixed parameters are left out.
    """
    row = result.attainment.set_index("target_id").loc[target_id]
    target = judged_target({"target_id": target_id, "reading": row["reading"]})
    if not target.quantitative:
        raise ValueError(f"{target_id} is qualitative: it has no judged value")
    years = tuple(int(y) for y in result.sample["year"].values)
    values = result.sample["value"].sel(indicator=target.indicator).values
    judged = target.judged_value(values, years)
    from scipy import stats  # imported here: scipy.stats costs ~45 MiB in every worker

    params = parameter_draws(result)
    params = params.loc[:, params.nunique() > 1]
    rho = [stats.spearmanr(params[c], judged).statistic for c in params.columns]
    out = pd.DataFrame({"parameter": params.columns, "spearman": rho})
    out = out.assign(strength=out["spearman"].abs()).sort_values("strength", ascending=False)
    return out.drop(columns="strength").head(top).reset_index(drop=True)


def key_parameters(result: Result) -> list[dict[str, Any]]:
    """Parameters behind the at-risk targets, ranked.

    For each at-risk target, its indicator's ``drivers`` (indicators.toml) list the
    parameters of its equations, most direct first (its starting level or rate, then its
    trend, then noise); the elasticities of levers the scenario changes follow. A parameter's
    rank is its best position in any of those lists, then the number of at-risk targets it
    drives (more first), then assumptions before data-sourced values. Each entry: ``id``,
    ``prior``, ``targets`` (at-risk target ids), ``sourced``, ``rank``.

    (Ranked from the equations rather than by correlation because a saved result keeps
    indicator paths, not parameter draws; :func:`drivers` ranks by correlation.)
    """
    priors = parameters()
    changed = result.scenario.changed_levers
    drives: dict[str, list[str]] = {}
    best: dict[str, int] = {}
    rows = sorted(rows_in_policy_order(result, modelled_only=True), key=lambda r: r["p_met"])
    for r in rows:
        if r["status"] != "at_risk":
            continue
        ind = r["indicator"]
        ids = list(indicators()[ind].drivers) if ind in indicators() else []
        ids += [levers()[lid].elasticity_parameter(ind) for lid in changed
                if ind in levers()[lid].acts_on]  # fmt: skip
        for position, pid in enumerate(ids):
            if pid not in priors:
                continue
            drives.setdefault(pid, []).append(r["target_id"])
            best[pid] = min(best.get(pid, position), position)
    out: list[dict[str, Any]] = [
        {"id": pid, "prior": priors[pid], "targets": tids, "rank": best[pid], "_seen": i,
         "sourced": priors[pid].basis.startswith("source:")}
        for i, (pid, tids) in enumerate(drives.items())
    ]  # fmt: skip
    out.sort(key=lambda e: (e["rank"], -len(e["targets"]), e["sourced"], e["_seen"]))
    return out


@cached
def prior_summary(pid: str) -> tuple[float, float, float]:
    """Median and 5–95 % range of a prior (from 4,000 draws with a fixed seed)."""
    x = parameters()[pid].draw(np.random.default_rng(PRIOR_SUMMARY_SEED), PRIOR_SUMMARY_DRAWS)
    q = np.quantile(x, [0.5, 0.05, 0.95])
    return float(q[0]), float(q[1]), float(q[2])


def miss_pairs(m: np.ndarray, ids: list[str]) -> list[tuple[str, str, float, float]]:
    """Pairs of targets ranked by the correlation (phi) of their misses, strongest first.

    ``m`` is the co-failure matrix (P(both missed), the diagonal P(missed)) of ``ids``. Each
    pair: (id a, id b, phi, P(both missed)); pairs with a constant miss are left out.
    """
    p = np.clip(np.diag(m), 0, 1)
    out = []
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            denom = math.sqrt(p[i] * (1 - p[i]) * p[j] * (1 - p[j]))
            if denom < 1e-9:
                continue
            phi = (m[i, j] - p[i] * p[j]) / denom
            out.append((ids[i], ids[j], float(phi), float(m[i, j])))
    out.sort(key=lambda x: -x[2])
    return out
