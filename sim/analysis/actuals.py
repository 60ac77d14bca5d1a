"""What the pack shows of a run conditioned on actuals (:mod:`sim.update`): each target's
change in P(met) joined to its row, and each actual placed on its target's fan.

A fan shows a target's indicator on the scale the target is judged on: the value itself
(levels, yearly values), the running total from the first year (cumulative targets), the
multiple of 2022 (average growth) or the growth on the year before. An actual is a value of one
year, so it lands on a transformed scale only when the other values the transformation needs
are known too — published in 2022 or full-year actuals; otherwise it is returned without a
position (``y`` NaN) and the chart names it beside the panel instead.
"""

from __future__ import annotations

import math
from typing import Any

from sim.analysis.targets import Row, judged_target, rows_in_policy_order
from sim.catalogue import indicators
from sim.results import Result

# A change in P(met) counts as clear beyond this many standard errors of the paired difference.
CLEAR_SE = 2.0


def actual_label(indicator: str, period: str) -> str:
    """The label an actual goes by in ``changes().moved_most_by``: ``indicator period``."""
    return f"{indicator} {period}"


def change_rows(result: Result) -> list[Row]:
    """The changes of a run with actuals (:meth:`Result.changes`), one row per modelled target:
    its attainment row (for its label) with ``p_before``, ``p_after``, ``difference``,
    ``difference_se``, ``status_before``, ``status_after``, ``clear`` (the change exceeds
    :data:`CLEAR_SE` standard errors), and ``moved_by`` (the actuals-table row of the actual
    that moved it most with its ``label``, or just the label if the table lacks it; None if
    no actual moved it clearly on its own). Clear changes first, then by the size of the change."""
    attainment = {r["target_id"]: r for r in rows_in_policy_order(result, modelled_only=True)}
    actuals = {actual_label(a["indicator"], a["period"]): a
               for a in result.actuals().to_dict("records")}  # fmt: skip
    for label, a in actuals.items():
        a["label"] = label
    rows = []
    for c in result.changes().to_dict("records"):
        base = attainment.get(c["target_id"])
        if base is None:
            continue
        diff, se = float(c["difference"]), float(c["difference_se"])
        moved = c.get("moved_most_by")
        rows.append(base | {
            "p_before": float(c["p_before"]), "p_after": float(c["p_after"]),
            "difference": diff, "difference_se": se,
            "status_before": c["status_before"], "status_after": c["status_after"],
            "clear": abs(diff) > CLEAR_SE * se,
            "moved_by": (actuals.get(moved, {"label": moved})
                         if isinstance(moved, str) and moved else None),
        })  # fmt: skip
    return sorted(rows, key=lambda r: (not r["clear"], -abs(r["difference"])))


def _known_values(result: Result, row: Row) -> dict[int, float]:
    """The indicator's values known exactly by year: 2022 if published, full-year actuals."""
    known: dict[int, float] = {}
    source = str(row.get("value_2022_source") or "")
    value = row.get("value_2022")
    if source.startswith("observed") and isinstance(value, int | float) and math.isfinite(value):
        known[2022] = float(value)
    for a in result.actuals().to_dict("records"):
        if a["indicator"] == row["indicator"] and int(a["months"]) == 12:
            known[int(a["year"])] = float(a["value"])
    return known


def _on_scale(
    d: dict[str, Any], row: Row, year: int, value: float, known: dict[int, float]
) -> float:
    """``value`` (the indicator in ``year``) on the fan's scale, or NaN where it needs a value
    that is not known."""
    kind = d["kind"]
    if kind in ("level", "each_year") or d.get("subtitle") == "annualised":
        return value
    if kind == "cumulative":
        years = [y for y in judged_target(row).years if y < year]
        if year not in judged_target(row).years or any(y not in known for y in years):
            return math.nan
        return sum(known[y] for y in years) + value
    base = known.get(2022 if kind == "growth_average" else year - 1)
    if base is None or base <= 0:
        return math.nan
    if kind == "growth_average":
        return value / base
    return 100 * (value / base - 1)  # growth_each_year


def fan_actuals(result: Result, row: Row, d: dict[str, Any]) -> list[dict[str, Any]]:
    """The actuals of a target's indicator on its fan ``d`` (from :func:`fan_data`).

    One dict per actual, in the order of the scenario: ``year``, ``period``, ``months`` (12 for
    a full year), ``value``, ``shown`` (the annualised value of a year-to-date flow, else the
    value), ``flow`` (the indicator is a flow), ``y`` (``shown`` on the fan's scale, NaN if it
    cannot be placed there), ``status`` and ``definition_changed``. Empty for a run without
    actuals.
    """
    if not result.has_actuals:
        return []
    known = _known_values(result, row)
    out = []
    for a in result.actuals().to_dict("records"):
        if a["indicator"] != row["indicator"]:
            continue
        year, months = int(a["year"]), int(a["months"])
        flow = indicators()[a["indicator"]].type == "flow"
        shown = float(a["annualised"]) if flow else float(a["value"])
        out.append({
            "year": year, "period": a["period"], "months": months, "value": float(a["value"]),
            "shown": shown, "flow": flow, "y": _on_scale(d, row, year, shown, known),
            "status": a["status"], "definition_changed": bool(a["definition_changed"]),
        })  # fmt: skip
    return out
