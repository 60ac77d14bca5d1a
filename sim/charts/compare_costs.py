"""Comparison pack: cost against effect, targets moved across the lines, and the settings."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from sim.analysis import (
    cost_effect,
    crossings,
)
from sim.charts import labels as L
from sim.charts.common import (
    Pages,
    columns,
    comparison_footer,
    package_colour,
    package_marker,
)
from sim.charts.labels import t
from sim.charts.layout import (
    CONTENT_TOP,
    LEFT,
    RIGHT,
    Cell,
    Column,
    Row,
    Style,
    column_heading,
    draw_table,
    new_page,
    styled,
)
from sim.results import Result

if TYPE_CHECKING:
    from sim.levers import Lever


def comparison_costs(results: Sequence[Result], lang: str = "zh") -> Pages:
    """Annual cost against expected number of targets met; targets moved across 50 % / 80 %."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        fig = new_page(
            t("cmp_cost_title", lang), t("cmp_cost_sub", lang), comparison_footer(results, st), st
        )
        effect = cost_effect(results)
        _cost_scatter(fig, results, effect, lang)
        _cost_table(fig, results, effect, st)
        _crossings_column(fig, results, st, x0=0.53)
        _n_met_overlay(fig, results, st, (0.57, 0.12, 0.39, 0.34))
        return [fig]


def _cost_scatter(fig: Figure, results: Sequence[Result], effect: pd.DataFrame, lang: str) -> None:
    """Left: each package's annual cost against its expected number met (±1.96 SE)."""
    ax = fig.add_axes((0.09, 0.42, 0.36, 0.40))
    costs = effect["annual_cost_wan"].tolist()
    es = effect["expected_met"].tolist()
    ses = effect["expected_met_se"].tolist()
    for i, (c, e, se, res) in enumerate(zip(costs, es, ses, results, strict=True)):
        ax.errorbar(
            c,
            e,
            yerr=1.96 * se,
            fmt="o" if i == 0 else package_marker(i),
            color=package_colour(i),
            ms=8,
            capsize=2,
            lw=0.8,
            mec="white",
            mew=0.6,
            zorder=3,
        )
        ax.annotate(
            L.scenario_title(res.scenario, lang),
            (c, e),
            xytext=(8, 4),
            textcoords="offset points",
            fontsize=8.5,
            color=package_colour(i),
        )
    xr = max(costs) - min(costs) or max(costs) * 0.1 or 1.0
    yr = max(es) - min(es) or 1.0
    ax.set_xlim(min(costs) - 0.15 * xr, max(costs) + 0.45 * xr)
    ax.set_ylim(min(es) - 0.3 * yr, max(es) + 0.3 * yr)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel(t("cmp_cost_x", lang))
    ax.set_ylabel(t("cmp_cost_y", lang))
    ax.grid(color="#e6e6e6", lw=0.5)
    ax.set_axisbelow(True)


def _cost_table(fig: Figure, results: Sequence[Result], effect: pd.DataFrame, st: Style) -> None:
    """Under the scatter: extra cost, extra targets and cost per extra target, and a note."""
    lang = st.lang
    cols = [
        Column(t("col_scenario", lang), 1.9),
        Column(t("col_extra_cost", lang), 1.5, "right"),
        Column(t("cmp_extra_met", lang), 1.5, "right"),
        Column(t("cmp_per_target", lang), 2.1, "right"),
    ]
    rows = []
    for i, res in enumerate(results[1:], start=1):
        dc, de, per_target = effect.loc[i, ["extra_cost_wan", "extra_met",
                                            "cost_per_extra_target_wan"]]  # fmt: skip
        per = "–" if math.isnan(per_target) else f"{per_target:,.0f}"
        rows.append(
            Row(
                [
                    Cell(
                        L.scenario_title(res.scenario, lang),
                        weight="bold",
                        color=package_colour(i),
                    ),
                    Cell(f"{dc:+,.0f}".replace("-", "−")),
                    Cell(f"{de:+.1f}".replace("-", "−")),
                    Cell(per),
                ],
                rule=True,
            )
        )
    height = 0.045 * (len(rows) + 1)
    draw_table(fig, (LEFT, 0.30 - height, 0.44, height), cols, rows, st, font_size=8.5)
    note_text = L.wrapped(t("cmp_cost_note", lang), columns(0.44, 7.5, lang) - 2)
    fig.text(
        LEFT,
        0.30 - height - 0.025,
        note_text,
        fontsize=7.5,
        color=L.MUTED,
        va="top",
        linespacing=1.4,
    )


def _crossings_column(fig: Figure, results: Sequence[Result], st: Style, x0: float) -> None:
    """Right: per package, the targets it moves across the 50 % or 80 % line."""
    lang = st.lang
    column_heading(fig, x0, t("cmp_crossings", lang), 10.5)
    moves = crossings(results)
    others = list(results[1:])
    col_w = (RIGHT - x0) / max(len(others), 1)
    for j, res in enumerate(others):
        x = x0 + j * col_w
        y = CONTENT_TOP - 0.045
        fig.text(
            x,
            y,
            L.scenario_title(res.scenario, lang),
            fontsize=9.5,
            fontweight="bold",
            color=package_colour(j + 1),
            va="top",
        )
        y -= 0.032
        items = moves[res.scenario.name]
        if not items:
            fig.text(x, y, t("cmp_no_crossings", lang), fontsize=8, color=L.MUTED, va="top")
        max_items = 6
        for m in items[:max_items]:
            _crossing(fig, m, x, y, col_w, st)
            y -= 0.047
        if len(items) > max_items:
            fig.text(x, y, f"… +{len(items) - max_items}", fontsize=8, color=L.MUTED, va="top")


def _crossing(fig: Figure, m: dict[str, Any], x: float, y: float, col_w: float, st: Style) -> None:
    """One target moved across a line: arrow, target, and P(met) before → after."""
    lang = st.lang
    arrow = "▲" if m["direction"] == "up" else "▼"
    colour = L.STATUS_COLOURS["likely"] if m["direction"] == "up" else L.STATUS_COLOURS["at_risk"]
    label = L.shorten(st.text(L.target_label(m["row"], lang)), columns(col_w - 0.02, 8, lang) - 2)
    fig.text(x, y, arrow, fontsize=7.5, color=colour, va="top")
    fig.text(x + 0.013, y, label, fontsize=8, color=L.INK, va="top")
    line = f"{100 * m['line']:.0f}%"
    detail = f"{L.pct(m['p_reference'], 1)} → {L.pct(m['p_scenario'], 1)}" + t(
        "bracketed", lang, x=t("cmp_line", lang, line=line)
    )
    fig.text(x + 0.013, y - 0.021, detail, fontsize=7.2, color=L.MUTED, va="top")


def _n_met_overlay(fig: Figure, results: Sequence[Result], st: Style, rect: tuple) -> None:
    """The distribution of the number of targets met, one step line per package."""
    lang = st.lang
    ax = fig.add_axes(rect)
    top = 0.0
    lo_k, hi_k = 10**6, 0
    for i, res in enumerate(results):
        nm = res.n_met
        k = nm["targets_met"].to_numpy(dtype=int)
        p = nm["probability"].to_numpy(dtype=float)
        ax.stairs(
            p,
            np.r_[k - 0.5, k[-1] + 0.5],
            color=package_colour(i),
            lw=1.4,
            label=L.scenario_title(res.scenario, lang),
        )
        e = float(res.joint.loc["expected_number_met", "p"])
        ax.axvline(e, color=package_colour(i), lw=0.8, ls=(0, (3, 2)))
        top = max(top, float(p.max()))
        nz = np.flatnonzero(p > 5e-4)
        if len(nz):
            lo_k, hi_k = min(lo_k, int(k[nz.min()])), max(hi_k, int(k[nz.max()]))
    ax.set_xlim(lo_k - 1, hi_k + 1)
    ax.set_ylim(0, top * 1.15)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=10))
    ax.set_xlabel(t("joint_nmet_x", lang))
    ax.grid(axis="y", color="#e6e6e6", lw=0.5)
    ax.set_axisbelow(True)
    ax.legend(loc="upper right", fontsize=7.5, handlelength=1.5)
    ax.set_title(t("cmp_nmet_title", lang), loc="left", fontsize=10, fontweight="bold", pad=8)


def comparison_levers(results: Sequence[Result], lang: str = "zh") -> Pages:
    """The settings of every lever that differs from the status quo in any package."""
    from sim.levers import levers

    with styled(lang, warn=False) as st:
        lang = st.lang
        fig = new_page(
            t("cmp_levers_title", lang),
            t("cmp_levers_note", lang),
            comparison_footer(results, st),
            st,
        )
        catalogue = levers()
        settings = [dict(r.manifest.get("scenario_levers") or r.scenario.levers) for r in results]
        changed = [
            lid
            for lid, lever in catalogue.items()
            if any(s.get(lid, lever.status_quo) != lever.status_quo for s in settings)
        ]
        cols = [
            Column(t("col_lever", lang), 3.0),
            Column(t("col_unit", lang), 1.1),
            Column(t("col_status_quo", lang), 1.1, "right"),
        ]
        cols += [Column(L.scenario_title(r.scenario, lang), 1.3, "right") for r in results]
        rows = _lever_rows(results, catalogue, changed, settings, lang)
        height = 0.034 * (len(rows) + 1)
        bottom = draw_table(
            fig, (LEFT, CONTENT_TOP - height, RIGHT - LEFT, height), cols, rows, st, font_size=8.5
        )
        unchanged = len(catalogue) - len(changed)
        fig.text(
            LEFT,
            bottom - 0.03,
            t("cmp_unchanged", lang, n=unchanged),
            fontsize=8,
            color=L.MUTED,
            va="top",
        )
        return [fig]


def _lever_rows(
    results: Sequence[Result],
    catalogue: dict[str, Lever],
    changed: list[str],
    settings: list[dict[str, Any]],
    lang: str,
) -> list[Row]:
    """One row per changed lever (a package's setting in bold where it differs), then costs."""
    rows = []
    for lid in changed:
        lever = catalogue[lid]
        cells = [
            Cell(L.lever_name(lid, lever.name_zh, lever.name_en, lang)),
            Cell(L.lever_unit(lever.unit, lang), color=L.MUTED),
            Cell(L.num(lever.status_quo, "en"), color=L.MUTED),
        ]
        for s in settings:
            v = float(s.get(lid, lever.status_quo))
            bold = v != lever.status_quo
            cells.append(
                Cell(
                    L.num(v, "en"),
                    weight="bold" if bold else "normal",
                    color=L.INK if bold else L.MUTED,
                )
            )
        rows.append(Row(cells, rule=True))
    total = [
        Cell(t("cmp_total_cost", lang), weight="bold"),
        Cell(""),
        Cell(
            L.num(sum(lv.cost_wan(lv.status_quo) for lv in catalogue.values()), "en"),
            color=L.MUTED,
        ),
    ]
    total += [Cell(L.num(r.annual_cost_wan(), "en"), weight="bold") for r in results]
    rows.append(Row(total, rule=True))
    return rows
