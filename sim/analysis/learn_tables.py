"""The tables of :class:`sim.analysis.learn.Sensitivity`: indices and P(met) at the 10th and
90th percentiles from the summed bins, one row per (target, parameter), and the ranking of
what to learn first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from sim.analysis.learn_draws import Setup, Sums
from sim.analysis.sobol import (
    HIGH_QUANTILE,
    LOW_QUANTILE,
    BinSums,
    first_order_from_sums,
    value_of_information,
)
from sim.analysis.unknowns import MEASURABLE, kind_of
from sim.priors import parameters
from sim.results.stats import STATUS_ORDER, status_of

MATTERS = 0.01  # an unknown "matters" for a target when it explains at least 1 % of the variance
CLEAR_K = 4.0  # … and its index is more than 4 SE above zero. The ranking tests ~200 parameters
# on each of up to ~30 targets; at 4 SE a parameter that explains nothing passes by chance with
# probability 3e-5 each, about 0.2 false entries a run (at 2 SE it would be ~150).


def build(setup: Setup, sums: Sums) -> dict[str, Any]:
    """Indices (delta-method SE), P(met) at the 10th / 90th percentile and P(met) per target,
    from the summed bins. Arrays are (parameters, targets); P(met) is (targets,)."""
    n_params, n_bins = sums.n.shape
    n_targets = sums.met.shape[-1]
    n = np.broadcast_to(sums.n[:, None, :], (n_params, n_targets, n_bins))
    met = np.moveaxis(sums.met, 1, 2)  # (parameters, targets, bins)
    s_met, s_met_se = first_order_from_sums(BinSums.of_binary(n, met))
    value = np.moveaxis(sums.value, 2, 3)  # (powers, parameters, targets, bins)
    s_value, s_value_se = first_order_from_sums(BinSums(n, *value))
    draws = float(sums.n[0].sum())
    p_met = sums.met[0].sum(axis=0) / draws
    return {
        "draws": int(draws),
        "p_met": p_met,
        "p_met_se": np.sqrt(p_met * (1 - p_met) / draws),
        "s_met": s_met,
        "s_met_se": s_met_se,
        "s_value": s_value,
        "s_value_se": s_value_se,
        **value_of_information(n, met),
    }


ROW_FIELDS = ("s_met", "s_met_se", "s_value", "s_value_se", "p_low", "p_low_se", "p_high",
              "p_high_se", "swing", "swing_se")  # fmt: skip


def frames(setup: Setup, est: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(targets, rows): a row per target, at-risk first, and a row per (target, parameter),
    in the targets' order and by the index of "met", largest first."""
    tids = [t.id for t in setup.targets]
    s_met = np.asarray(est["s_met"])
    targets = pd.DataFrame({
        "target_id": tids,
        "indicator": [t.indicator for t in setup.targets],
        "kind": [t.kind for t in setup.targets],
        "threshold": [t.threshold for t in setup.targets],
        "unit": [t.unit for t in setup.targets],
        "deadline": [t.deadline for t in setup.targets],
        "p_met": est["p_met"],
        "p_met_se": est["p_met_se"],
        "status": [status_of(float(p)) for p in est["p_met"]],
        "first_order_sum": np.nansum(s_met, axis=0),
        "first_order_sum_value": np.nansum(np.asarray(est["s_value"]), axis=0),
    })  # fmt: skip
    targets["_order"] = targets["status"].map(STATUS_ORDER)
    targets = targets.sort_values(["_order", "p_met"], kind="stable").drop(columns="_order")
    params = list(est.get("params", setup.params))
    low, high = quantile_values(params)
    kinds = kind_rows(params)
    parts = []
    for j, tid in enumerate(tids):
        part = kinds.assign(target_id=tid, value_low=low, value_high=high)
        for name in ROW_FIELDS:
            part[name] = np.asarray(est[name])[:, j]
        parts.append(part)
    rows = pd.concat(parts, ignore_index=True)
    rows["_t"] = rows["target_id"].map({t: i for i, t in enumerate(targets["target_id"])})
    rows["_s"] = rows["s_met"].fillna(-np.inf)
    rows = rows.sort_values(["_t", "_s"], ascending=[True, False], kind="stable")
    columns = ["target_id", "parameter", "kind", "measurable", *ROW_FIELDS[:4],
               "value_low", "value_high", *ROW_FIELDS[4:]]  # fmt: skip
    return targets.reset_index(drop=True), rows[columns].reset_index(drop=True)


def ranking(
    rows: pd.DataFrame, focus: Sequence[str], k: int, measurable_only: bool
) -> pd.DataFrame:
    """Parameters ranked by their largest index of "met" over the focus targets (at risk, else
    uncertain), among indices clearly above zero (:data:`CLEAR_K` SE); each row is the
    parameter's row for that target, with ``targets_affected``: how many focus targets it
    matters for (index ≥ :data:`MATTERS` and clearly above zero)."""
    rows = rows[rows["target_id"].isin(focus)]
    if measurable_only:
        rows = rows[rows["measurable"]]
    rows = rows[rows["s_met"] > CLEAR_K * rows["s_met_se"]]
    clear = rows[rows["s_met"] >= MATTERS]
    affected = clear.groupby("parameter").size()
    best = rows.sort_values("s_met", ascending=False, kind="stable").drop_duplicates("parameter")
    best = best.assign(targets_affected=best["parameter"].map(affected).fillna(0).astype(int))
    return best.head(k).reset_index(drop=True)


def kind_rows(pids: Sequence[str]) -> pd.DataFrame:
    """Kind and measurability of parameters (see :mod:`sim.analysis.unknowns`)."""
    kinds = [kind_of(p) for p in pids]
    return pd.DataFrame({"parameter": list(pids), "kind": kinds,
                         "measurable": [k in MEASURABLE for k in kinds]})  # fmt: skip


def quantile_values(pids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each parameter's value at its :data:`LOW_QUANTILE` and :data:`HIGH_QUANTILE`."""
    z = special.ndtri(np.array([LOW_QUANTILE, HIGH_QUANTILE]))
    vals = np.array([parameters()[p].from_normal(z) for p in pids]).reshape(len(pids), 2)
    return vals[:, 0], vals[:, 1]
