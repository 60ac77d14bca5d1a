"""The page's two charts as Plotly figures: P(met) bars and the fan chart of one target.

Drawn in the browser by the plotly.js that Dash ships (served locally), with the chart pack's
colours and words (:mod:`sim.charts.labels`), from what :mod:`sim.analysis` computes for the
pack's own fans (:func:`sim.analysis.fan_data`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import plotly.graph_objects as go

from sim.analysis import fan_data, rows_in_policy_order
from sim.charts import labels as L
from sim.web.compute import Evaluation
from sim.web.view import w

FONT = "system-ui, 'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"


def _layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 20, "t": 10, "b": 30},
        font={"family": FONT, "size": 12, "color": L.INK},
        plot_bgcolor="white",
        paper_bgcolor="white",
        showlegend=False,
    )
    return fig


def bars(ev: Evaluation, lang: str) -> go.Figure:
    """Horizontal P(met) bars in policy order, coloured by status, ±2 SE whiskers, and a
    tick at the starting scenario's P(met)."""
    rows = rows_in_policy_order(ev.result, modelled_only=True)
    start = ev.start.attainment.set_index("target_id")["p_met"]
    labels = [L.target_label(r, lang) for r in rows]
    p = [float(r["p_met"]) for r in rows]
    fig = go.Figure()
    fig.add_bar(
        x=p,
        y=labels,
        orientation="h",
        marker_color=[L.STATUS_COLOURS.get(r["status"], L.MUTED) for r in rows],
        error_x={
            "type": "data",
            "array": [2 * float(r["mc_se"]) for r in rows],
            "color": L.INK,
            "thickness": 1,
            "width": 2,
        },
        hovertemplate="%{y}: %{x:.1%}<extra></extra>",
    )
    fig.add_scatter(
        x=[float(start.get(r["target_id"], math.nan)) for r in rows],
        y=labels,
        mode="markers",
        marker={"symbol": "line-ns", "size": 14, "line": {"width": 2, "color": L.INK}},
        hovertemplate=w("start_short", lang) + " %{x:.1%}<extra></extra>",
    )
    for x in (0.5, 0.8):
        fig.add_vline(x=x, line={"color": L.RULE, "width": 1, "dash": "dot"})
    fig.update_xaxes(range=[0, 1], tickformat=".0%", gridcolor="#eeeeee")
    fig.update_yaxes(autorange="reversed", automargin=True, tickfont={"size": 11})
    return _layout(fig, 22 * len(rows) + 50)


def fan(ev: Evaluation, target_id: str, lang: str) -> go.Figure:
    """The fan of one target: 90 % and 50 % bands and the median of the package, the starting
    scenario's median (dashed grey) and the threshold (dotted, ◆ in the judged year)."""
    rows = {r["target_id"]: r for r in rows_in_policy_order(ev.result, modelled_only=True)}
    start_rows = {r["target_id"]: r for r in rows_in_policy_order(ev.start, modelled_only=True)}
    fig = go.Figure()
    if target_id not in rows:
        return _layout(fig, 320)
    d = fan_data(ev.result, rows[target_id])
    years = [int(y) for y in d["years"]]
    _bands(fig, d, lang)
    if target_id in start_rows:
        s = fan_data(ev.start, start_rows[target_id])
        ok = ~np.isnan(s["q50"])
        fig.add_scatter(
            x=[y for y, k in zip(years, ok, strict=True) if k],
            y=list(s["q50"][ok]),
            mode="lines",
            name=w("fan_start", lang),
            line={"color": L.MUTED, "width": 1.5, "dash": "dash"},
        )
    _threshold(fig, d, years, lang)
    _actuals(fig, ev, rows[target_id], lang)
    fig.update_xaxes(
        tickvals=years, ticktext=[str(y) for y in years], range=[years[0] - 0.3, years[-1] + 0.3]
    )
    fig.update_yaxes(
        title={"text": _subtitle(d, lang), "font": {"size": 11}},
        gridcolor="#eeeeee",
        rangemode="tozero",
    )
    fig = _layout(fig, 340)
    fig.update_layout(
        showlegend=True, legend={"orientation": "h", "y": -0.15, "font": {"size": 11}}
    )
    return fig


def _bands(fig: go.Figure, d: dict[str, Any], lang: str) -> None:
    """The 90 % and 50 % bands and the median of :func:`sim.analysis.fan_data`."""
    ok = ~np.isnan(d["q50"])
    xs = [int(y) for y, keep in zip(d["years"], ok, strict=True) if keep]
    for lo, hi, alpha, key in (
        ("q05", "q95", 0.18, "fan_legend_90"),
        ("q25", "q75", 0.38, "fan_legend_50"),
    ):
        fig.add_scatter(
            x=xs + xs[::-1],
            y=list(d[hi][ok]) + list(d[lo][ok])[::-1],
            mode="lines",
            fill="toself",
            fillcolor=_rgba(L.FAN_COLOUR, alpha),
            line={"width": 0},
            hoverinfo="skip",
            name=L.t(key, lang),
        )
    fig.add_scatter(
        x=xs,
        y=list(d["q50"][ok]),
        mode="lines+markers",
        name=L.t("fan_legend_median", lang),
        line={"color": L.FAN_COLOUR, "width": 2.5},
    )


def _threshold(fig: go.Figure, d: dict[str, Any], years: list[int], lang: str) -> None:
    """The threshold: a path of multiples for an average-growth target, else a level from the
    start (level), over the years judged (each year) or at the deadline (cumulative)."""
    ty, tv = d["threshold_years"], d["threshold"]
    if d["kind"] == "growth_average":
        xs, ys = list(ty), list(tv)
    else:
        x0 = years[0] if d["kind"] == "level" else min(ty) - 0.3
        xs, ys = [x0, max(ty) + 0.3], [tv[-1], tv[-1]]
    fig.add_scatter(
        x=xs,
        y=ys,
        mode="lines",
        name=L.t("fan_legend_threshold", lang),
        line={"color": L.THRESHOLD_COLOUR, "width": 1.2, "dash": "dot"},
    )
    fig.add_scatter(
        x=[d["deadline"]],
        y=[tv[-1]],
        mode="markers",
        showlegend=False,
        marker={"symbol": "diamond", "size": 9, "color": L.THRESHOLD_COLOUR},
    )


def _subtitle(d: dict[str, Any], lang: str) -> str:
    if d["unit"] == "multiple":
        return L.t("fan_sub_growth_average", lang, x=f"{d['multiple']:.2f}")
    key = "fan_sub_annualised" if d.get("subtitle") == "annualised" else f"fan_sub_{d['kind']}"
    sub = L.t(key, lang, y=d["deadline"])
    unit = L.unit_name(d["unit"], lang)
    return sub + L.t("bracketed", lang, x=unit) if unit else sub


def _actuals(fig: go.Figure, ev: Evaluation, row: dict[str, Any], lang: str) -> None:
    """Full-year actuals of the target's indicator (a scenario with [[actuals]]) as black dots
    on a fan of a level or each-year target, whose axis is the indicator itself."""
    if row["kind"] not in ("level", "each_year"):
        return
    points = [
        (int(str(a.period)), a.value)
        for a in ev.result.scenario.actuals
        if a.indicator == row["indicator"] and str(a.period).isdigit()
    ]
    if points:
        fig.add_scatter(
            x=[p[0] for p in points],
            y=[p[1] for p in points],
            mode="markers",
            name=w("actual", lang),
            marker={"symbol": "circle", "size": 9, "color": L.INK},
        )


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"
