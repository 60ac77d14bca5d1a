"""The page's two charts as Plotly figures: P(met) bars and the fan chart of one target.

Plain dicts in plotly's figure format (``{"data": [...], "layout": {...}}``), drawn in the
browser by the plotly.js that Dash ships (served locally): built without plotly's Python
validation, which costs more than the rest of an answer. Colours and words are the chart
pack's (:mod:`sim.charts.labels`); the fan's bands are what the pack's own fans draw
(:func:`sim.analysis.fan_data`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.analysis import fan_data
from sim.charts import labels as L
from sim.web.compute import Evaluation
from sim.web.view import w

Figure = dict[str, Any]
FONT = "'DejaVu Sans', system-ui, SimCJK, sans-serif"  # SimCJK: the page's CJK face
GRID = "#eeeeee"


def _figure(data: list[dict[str, Any]], height: int, **layout: Any) -> Figure:
    base = {
        "height": height,
        "margin": {"l": 10, "r": 20, "t": 10, "b": 30},
        "font": {"family": FONT, "size": 12, "color": L.INK},
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "showlegend": False,
    }
    return {"data": data, "layout": base | layout}


def _floats(values: Any) -> list[float | None]:
    """JSON-ready numbers (NaN becomes a gap)."""
    return [None if not math.isfinite(float(v)) else float(v) for v in values]


def bars(ev: Evaluation, lang: str) -> Figure:
    """Horizontal P(met) bars in policy order, coloured by status, ±2 SE whiskers, and a
    tick at the starting scenario's P(met)."""
    rows = ev.rows
    start = {r["target_id"]: r["p_met"] for r in ev.start_rows}
    labels = [L.target_label(r, lang) for r in rows]
    bar = {
        "type": "bar",
        "orientation": "h",
        "x": _floats(r["p_met"] for r in rows),
        "y": labels,
        "marker": {"color": [L.STATUS_COLOURS.get(r["status"], L.MUTED) for r in rows]},
        "error_x": {"type": "data", "array": _floats(2 * r["mc_se"] for r in rows),
                    "color": L.INK, "thickness": 1, "width": 2},
        "hovertemplate": "%{y}: %{x:.1%}<extra></extra>",
    }  # fmt: skip
    ticks = {
        "type": "scatter",
        "mode": "markers",
        "x": _floats(start.get(r["target_id"], math.nan) for r in rows),
        "y": labels,
        "marker": {"symbol": "line-ns", "size": 14, "line": {"width": 2, "color": L.INK}},
        "hovertemplate": w("start_short", lang) + " %{x:.1%}<extra></extra>",
    }
    rules = [
        {"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "yref": "paper",
         "line": {"color": L.RULE, "width": 1, "dash": "dot"}}
        for x in (0.5, 0.8)
    ]  # fmt: skip
    return _figure(
        [bar, ticks],
        22 * len(rows) + 50,
        shapes=rules,
        xaxis={"range": [0, 1], "tickformat": ".0%", "gridcolor": GRID},
        yaxis={"autorange": "reversed", "automargin": True, "tickfont": {"size": 11}},
    )


def fan(ev: Evaluation, target_id: str, lang: str) -> Figure:
    """The fan of one target: 90 % and 50 % bands and the median of the package, the starting
    scenario's median (dashed grey) and the threshold (dotted, ◆ in the judged year)."""
    rows = {r["target_id"]: r for r in ev.rows}
    start_rows = {r["target_id"]: r for r in ev.start_rows}
    if target_id not in rows:
        return _figure([], 320)
    d = fan_data(ev.result, rows[target_id])
    years = [int(y) for y in d["years"]]
    data = _bands(d, lang)
    if target_id in start_rows:
        s = fan_data(ev.start, start_rows[target_id])
        ok = ~np.isnan(s["q50"])
        data.append({
            "type": "scatter", "mode": "lines", "name": w("fan_start", lang),
            "x": [y for y, k in zip(years, ok, strict=True) if k], "y": _floats(s["q50"][ok]),
            "line": {"color": L.MUTED, "width": 1.5, "dash": "dash"},
        })  # fmt: skip
    data += _threshold(d, years, lang) + _actuals(ev, rows[target_id], lang)
    return _figure(
        data,
        340,
        showlegend=True,
        legend={"orientation": "h", "y": -0.15, "font": {"size": 11}},
        xaxis={"tickvals": years, "ticktext": [str(y) for y in years],
               "range": [years[0] - 0.3, years[-1] + 0.3]},
        title={"text": _subtitle(d, lang), "font": {"size": 12, "color": L.MUTED},
               "x": 0, "xanchor": "left", "y": 0.98, "yanchor": "top"},
        margin={"l": 10, "r": 20, "t": 34, "b": 30},
        yaxis={"gridcolor": GRID, "rangemode": "tozero", "automargin": True},
    )  # fmt: skip


def _bands(d: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """The 90 % and 50 % bands and the median of :func:`sim.analysis.fan_data`."""
    ok = ~np.isnan(d["q50"])
    xs = [int(y) for y, keep in zip(d["years"], ok, strict=True) if keep]
    out = [
        {"type": "scatter", "mode": "lines", "fill": "toself", "hoverinfo": "skip",
         "x": xs + xs[::-1], "y": _floats(d[hi][ok]) + _floats(d[lo][ok])[::-1],
         "fillcolor": _rgba(L.FAN_COLOUR, alpha), "line": {"width": 0}, "name": L.t(key, lang)}
        for lo, hi, alpha, key in (("q05", "q95", 0.18, "fan_legend_90"),
                                   ("q25", "q75", 0.38, "fan_legend_50"))
    ]  # fmt: skip
    out.append({"type": "scatter", "mode": "lines+markers", "x": xs, "y": _floats(d["q50"][ok]),
                "name": L.t("fan_legend_median", lang),
                "line": {"color": L.FAN_COLOUR, "width": 2.5}})  # fmt: skip
    return out


def _threshold(d: dict[str, Any], years: list[int], lang: str) -> list[dict[str, Any]]:
    """The threshold: a path of multiples for an average-growth target, else a level from the
    start (level), over the years judged (each year) or at the deadline (cumulative)."""
    ty, tv = d["threshold_years"], d["threshold"]
    if d["kind"] == "growth_average":
        xs, ys = list(ty), _floats(tv)
    else:
        x0 = years[0] if d["kind"] == "level" else min(ty) - 0.3
        xs, ys = [x0, max(ty) + 0.3], _floats([tv[-1], tv[-1]])
    line = {"color": L.THRESHOLD_COLOUR, "width": 1.2, "dash": "dot"}
    diamond = {"symbol": "diamond", "size": 9, "color": L.THRESHOLD_COLOUR}
    return [
        {"type": "scatter", "mode": "lines", "x": xs, "y": ys, "line": line,
         "name": L.t("fan_legend_threshold", lang)},
        {"type": "scatter", "mode": "markers", "x": [d["deadline"]], "y": _floats(tv[-1:]),
         "marker": diamond, "showlegend": False, "hoverinfo": "skip"},
    ]  # fmt: skip


def _subtitle(d: dict[str, Any], lang: str) -> str:
    if d["unit"] == "multiple":
        return L.t("fan_sub_growth_average", lang, x=f"{d['multiple']:.2f}")
    key = "fan_sub_annualised" if d.get("subtitle") == "annualised" else f"fan_sub_{d['kind']}"
    sub = L.t(key, lang, y=d["deadline"])
    unit = L.unit_name(d["unit"], lang)
    return sub + L.t("bracketed", lang, x=unit) if unit else sub


def _actuals(ev: Evaluation, row: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """Full-year actuals of the target's indicator (a scenario with [[actuals]]) as black dots
    on a fan of a level or each-year target, whose axis is the indicator itself."""
    if row["kind"] not in ("level", "each_year"):
        return []
    points = [(int(str(a.period)), a.value) for a in ev.result.scenario.actuals
              if a.indicator == row["indicator"] and str(a.period).isdigit()]  # fmt: skip
    if not points:
        return []
    return [{"type": "scatter", "mode": "markers", "name": w("actual", lang),
             "x": [p[0] for p in points], "y": [float(p[1]) for p in points],
             "marker": {"symbol": "circle", "size": 9, "color": L.INK}}]  # fmt: skip


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"
