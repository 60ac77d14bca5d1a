"""What the page shows, as plain data: the rows of the traffic-light table, the joint picture,
the cost line. Pure functions of an :class:`~sim.web.compute.Evaluation`, tested without a
browser; :mod:`sim.web.layout` turns them into HTML.

Chart words (status names, column heads) come from the chart pack's text catalogue
(:mod:`sim.charts.labels`), the page's own words from ``sim/web/text/`` (:func:`w`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.analysis import groups_in_order
from sim.analysis.requirements import Requirements
from sim.charts import labels as L
from sim.levers import Lever, levers
from sim.web.compute import Evaluation
from sim.web.state import cost_delta_wan, package_cost_wan, query_of, slider_step

TEXT_DIR = Path(__file__).resolve().parent / "text"
CLEAR_SE = 2.0  # a change beyond 2 SEs is shown as a change (as `sim run` does)


def w(key: str, lang: str, **fields: object) -> str:
    """The page's text ``key`` in ``lang`` (checked like the chart texts), fields filled in."""
    text = L.texts(TEXT_DIR)["zh" if lang == "zh" else "en"][key]
    return text.format(**fields) if fields else text


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def percent(p: float) -> str:
    """P(met) as a percentage with one decimal (never 0.0 % for a non-zero probability)."""
    return L.pct(p, 1)


def points(d: float, se: float) -> str:
    """A change of a probability in percentage points with its SE: ``+2.0 ± 0.2``."""
    if not (_finite(d) and _finite(se)):
        return "–"
    sign = "+" if d > 0 else "−" if d < 0 else ""
    return f"{sign}{abs(100 * d):.1f} ± {100 * se:.1f}"


def signed(x: float, digits: int = 1) -> str:
    """``+1.2`` / ``−0.4``; ``+0.0`` for anything that rounds to zero (never ``-0.0``)."""
    x = x if abs(x) >= 0.5 * 10.0**-digits else 0.0
    return f"{x:+.{digits}f}".replace("-", "−")


def judged_text(row: Mapping[str, Any], lang: str) -> str:
    """The judged value as median [10 %–90 %] with its unit, ``–`` when not modelled."""
    if not _finite(row.get("judged_median")):
        return "–"
    unit = L.unit_name(row.get("unit"), lang)
    glue = "" if lang == "zh" or unit.startswith("%") else " "
    lo, mid, hi = (L.num(row[k], lang) for k in ("judged_q10", "judged_median", "judged_q90"))
    return f"{mid} [{lo}–{hi}]{glue}{unit}"


def table_rows(ev: Evaluation, lang: str) -> list[dict[str, Any]]:
    """One dict per row of the table in policy order: a heading row per goal group
    (``kind="group"``), then its targets with P(met) ± SE, the judged value, the status and the
    paired change from the starting scenario."""
    diffs = ev.differences.set_index("target_id")
    out: list[dict[str, Any]] = []
    for group, rows in groups_in_order(list(ev.rows)):
        out.append({"kind": "group", "label": L.group_name(group, lang)})
        for r in rows:
            d = diffs.loc[r["target_id"]] if r["target_id"] in diffs.index else None
            diff = float(d["difference"]) if d is not None else math.nan
            se = float(d["difference_se"]) if d is not None else math.nan
            out.append(
                {
                    "kind": "target",
                    "target_id": r["target_id"],
                    "label": L.target_label(r, lang),
                    "name": r["name_zh"] if lang == "zh" else r["name_en"],
                    "p_met": float(r["p_met"]),
                    "p_text": percent(float(r["p_met"])),
                    "se_text": f"± {100 * float(r['mc_se']):.1f}",
                    "judged": judged_text(r, lang),
                    "status": r["status"],
                    "status_text": L.status_name(r["status"], lang),
                    "colour": L.STATUS_COLOURS.get(r["status"], L.MUTED),
                    "text_colour": L.STATUS_TEXT_COLOURS.get(r["status"], "black"),
                    "change": diff,
                    "change_text": points(diff, se),
                    "clear": _finite(diff) and _finite(se) and abs(diff) > CLEAR_SE * se,
                }
            )
    return out


def joint_summary(ev: Evaluation, lang: str) -> dict[str, Any]:
    """Expected number met and P(all met), each with its SE and change from the start, and
    P(every target of a group met) per goal group."""

    def line(result_joint: Any, start_joint: Any, key: str) -> tuple[float, float, float]:
        value = float(result_joint.loc[key, "p"])
        return (
            value,
            float(result_joint.loc[key, "mc_se"]),
            value - float(start_joint.loc[key, "p"]),
        )

    n = int(ev.result.joint.loc["number_of_targets_modelled", "p"])
    expected = line(ev.result.joint, ev.start.joint, "expected_number_met")
    p_all = line(ev.result.joint, ev.start.joint, "all_targets")
    start_groups = ev.start.groups.set_index("group")
    groups = [
        {
            "group": g.group,
            "label": L.group_name(g.group, lang),
            "targets": int(g.targets),
            "p": float(g.p_all_met),
            "p_text": percent(float(g.p_all_met)),
            "se_text": f"± {100 * float(g.mc_se):.1f}",
            "change": float(g.p_all_met) - float(start_groups.loc[g.group, "p_all_met"]),
        }
        for g in ev.result.groups.itertuples()
    ]
    return {
        "n": n,
        "expected": expected[0],
        "expected_text": f"{expected[0]:.1f} ± {expected[1]:.2f}",
        "expected_change": signed(expected[2], 2),
        "p_all": p_all[0],
        "p_all_text": f"{percent(p_all[0])} ± {100 * p_all[1]:.1f}",
        "p_all_change": signed(100 * p_all[2]),
        "groups": groups,
    }


def cost_text(package: Mapping[str, float], start: Mapping[str, float], lang: str) -> str:
    """``本方案年度投入：28,640万元（较起始情景 +1,200万元）``: the live cost line."""
    total = w("annual_cost", lang, cost=f"{package_cost_wan(package):,.0f}")
    delta = cost_delta_wan(package, start)
    if abs(delta) < 0.5:
        return total
    return total + w("cost_change", lang, delta=f"{delta:+,.0f}")


def updated_text(ev: Evaluation, lang: str) -> str:
    """The status line after a run: draws, seed and the time it took."""
    s = ev.result.summary()
    return w("updated", lang, draws=f"{s['draws']:,}", seed=s["seed"], seconds=f"{ev.seconds:.2f}")


def progress_text(done_total: tuple[int, int] | None, lang: str) -> str:
    """The status line while a run goes on."""
    if done_total is None:
        return w("computing", lang)
    done, total = done_total
    return w("computing_progress", lang, done=f"{done:,}", total=f"{total:,}")


def need_summary(
    req: Requirements, target: Mapping[str, Any], package: Mapping[str, float],
    start: Mapping[str, float], lang: str,
) -> dict[str, Any]:  # fmt: skip
    """What it would take for one target (``target``: its table row), as plain data: a heading,
    a note (already there, or no lever moves it), and one row per acting lever — the setting
    now, for each level the smallest setting with its SE and a link to the page with that
    setting (rounded up to the slider's step), or "not reachable" with P at the lever's
    maximum, and the extra annual cost of the highest level reached."""
    rows = req.table()
    levels = list(req.levels)
    heading = w("need_heading", lang, target=target["label"], p=L.pct(req.p),
                draws=f"{req.draws:,}")  # fmt: skip
    out: dict[str, Any] = {"heading": heading, "levels": [L.pct(x) for x in levels], "rows": []}
    if float(target["p_met"]) >= req.p:
        out["note"] = w("need_already", lang, p=L.pct(req.p))
        return out
    if rows.empty:
        out["note"] = w("need_no_lever", lang)
        return out
    for lever_id, mine in rows.groupby("lever_id", sort=False):
        lever = levers()[str(lever_id)]
        by_level = {float(r["level"]): r for r in mine.to_dict(orient="records")}
        cells, cost = [], "–"
        for level in levels:
            r = by_level[level]
            cells.append(_need_cell(r, lever, package, start, lang))
            if r["status"] == "reached":
                cost = f"+{float(r['extra_cost_wan']):,.0f}"
        out["rows"].append({
            "lever": L.lever_name(lever.id, lever.name_zh, lever.name_en, lang),
            "unit": L.lever_unit(lever.unit, lang),
            "now": L.num(float(package[lever.id]), lang),
            "cells": cells,
            "cost": cost,
        })  # fmt: skip
    return out


def _need_cell(
    r: Mapping[str, Any], lever: Lever, package: Mapping[str, float],
    start: Mapping[str, float], lang: str,
) -> dict[str, Any]:  # fmt: skip
    """One level of one lever: its text and, when reached, the link that tries it."""
    if r["status"] == "already":
        return {"text": w("need_at_now", lang), "href": None}
    if r["status"] != "reached":
        return {"text": w("need_unreachable", lang, p=percent(float(r["p_at_max"]))), "href": None}
    setting = float(r["setting"])
    step = slider_step(lever, start[lever.id])
    tried = min(lever.max, math.ceil(setting / step - 1e-9) * step)
    text = f"{L.num(setting, lang)} ± {L.num(float(r['setting_se']), lang)}"
    if not r["resolved"]:
        text += " " + w("need_within_noise", lang)
    return {"text": text, "href": "/" + (query_of({**package, lever.id: tried}, start) or "?")}
