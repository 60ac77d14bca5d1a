"""Comparing packages: differences in P(met) against the reference (paired when the results
come from one joint run), targets moved across the 50 % / 80 % lines, and cost against effect.

The first result is the reference, as in :func:`sim.run_many`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.targets import rows_in_policy_order
from sim.results import Result
from sim.results.stats import LIKELY, UNCERTAIN, independent_difference

DIFFERENCE_COLUMNS = ["target_id", "p_reference", "p_scenario", "difference", "difference_se"]


def differences(results: Sequence[Result]) -> dict[str, pd.DataFrame]:
    """Per non-reference scenario: target_id, p_reference, p_scenario, difference, its SE and
    ``paired``, including the row ``all_targets``.

    Paired (from the result's ``comparison`` table, common random numbers) when that table
    exists and names the first result as its reference; otherwise computed as independent
    samples (``paired`` False), which is conservative.
    """
    ref = results[0]
    ref_a = ref.attainment.set_index("target_id")
    out = {}
    for res in results[1:]:
        comp = res.comparison
        if comp is not None and len(comp) and (comp["reference"] == ref.scenario.name).all():
            df = comp[DIFFERENCE_COLUMNS]
            out[res.scenario.name] = df.assign(paired=True).reset_index(drop=True)
            continue
        a = res.attainment.set_index("target_id")
        rows = []
        for tid in a.index:
            if tid not in ref_a.index or not np.isfinite(a.loc[tid, "p_met"]):
                continue
            p1, p0 = float(a.loc[tid, "p_met"]), float(ref_a.loc[tid, "p_met"])
            diff, se = independent_difference(
                p1, float(a.loc[tid, "mc_se"]), p0, float(ref_a.loc[tid, "mc_se"])
            )
            rows.append((tid, p0, p1, diff, se))
        diff, se = independent_difference(
            res.p_all, float(res.joint.loc["all_targets", "mc_se"]),
            ref.p_all, float(ref.joint.loc["all_targets", "mc_se"]),
        )  # fmt: skip
        rows.append(("all_targets", ref.p_all, res.p_all, diff, se))
        out[res.scenario.name] = pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS).assign(paired=False)
    return out


def crossings(results: Sequence[Result]) -> dict[str, list[dict[str, Any]]]:
    """Per non-reference scenario: targets whose P(met) crosses 0.5 or 0.8 against the
    reference. Each entry: ``row`` (the scenario's attainment row), ``p_reference``,
    ``p_scenario``, ``line`` (0.5 or 0.8) and ``direction`` ("up" or "down")."""
    ref = {r["target_id"]: r for r in rows_in_policy_order(results[0], modelled_only=True)}
    out: dict[str, list[dict[str, Any]]] = {}
    for res in results[1:]:
        moves = []
        for r in rows_in_policy_order(res, modelled_only=True):
            r0 = ref.get(r["target_id"])
            if r0 is None:
                continue
            p0, p1 = float(r0["p_met"]), float(r["p_met"])
            for line in (LIKELY, UNCERTAIN):
                if p0 < line <= p1 or p1 < line <= p0:
                    moves.append({"row": r, "p_reference": p0, "p_scenario": p1, "line": line,
                                  "direction": "up" if p1 > p0 else "down"})  # fmt: skip
        out[res.scenario.name] = moves
    return out


def cost_effect(results: Sequence[Result]) -> pd.DataFrame:
    """Per package: annual cost, expected number of targets met (and its SE), and against the
    reference the extra cost, the extra targets met and the extra cost per extra target
    (NaN unless at least 0.05 more targets are met: a ratio over noise means nothing)."""
    rows = []
    base_cost = results[0].annual_cost_wan()
    base_met = float(results[0].joint.loc["expected_number_met", "p"])
    for res in results:
        cost = res.annual_cost_wan()
        met = float(res.joint.loc["expected_number_met", "p"])
        extra_cost, extra_met = cost - base_cost, met - base_met
        rows.append({
            "scenario": res.scenario.name, "annual_cost_wan": cost, "expected_met": met,
            "expected_met_se": float(res.joint.loc["expected_number_met", "mc_se"]),
            "extra_cost_wan": extra_cost, "extra_met": extra_met,
            "cost_per_extra_target_wan": extra_cost / extra_met if extra_met > 0.05 else np.nan,
        })  # fmt: skip
    return pd.DataFrame(rows)
