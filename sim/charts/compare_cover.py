"""Comparison pack, cover: the packages side by side, their largest changes, groups."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure

from sim.analysis import (
    crossings,
    differences,
    groups_in_order,
    rows_in_policy_order,
)
from sim.charts import labels as L
from sim.charts.common import (
    Pages,
    all_paired,
    columns,
    comparison_footer,
    lever_change_lines,
    package_colour,
    points,
    status_counts,
)
from sim.charts.labels import t
from sim.charts.layout import (
    CONTENT_BOTTOM,
    CONTENT_TOP,
    LEFT,
    RIGHT,
    Cell,
    Column,
    Row,
    Style,
    draw_table,
    new_page,
    note,
    styled,
)
from sim.results import Result


def comparison_cover(results: Sequence[Result], lang: str = "zh") -> Pages:
    """The packages side by side: cost, status counts, expected number met, P(all), top gains."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        subtitle = (
            t("pack_subtitle", lang) if (st.cjk or lang == "zh") else t("pack_subtitle_plain", lang)
        )
        fig = new_page(t("cmp_cover_title", lang), subtitle, comparison_footer(results, st), st)
        diffs = differences(results)
        bottom = _package_table(fig, results, st)
        # one block per package: measures changed and the largest changes in P(met)
        others = len(results) - 1
        width = min((RIGHT - LEFT) / max(others, 1), 0.46)
        top = bottom - 0.04
        lowest = top
        for j in range(others):
            x = LEFT + j * width
            y = _package_block(fig, results, j + 1, diffs, st, x=x, top=top, width=width)
            lowest = min(lowest, y - 0.03)
        _group_table(fig, results, st, top=lowest - 0.03)
        text = t("cmp_paired", lang) if all_paired(diffs) else t("cmp_unpaired", lang)
        text += t("sentence_gap", lang) + t("cmp_pp_unit", lang)
        note(fig, L.wrapped(text, columns(RIGHT - LEFT, 7.5, lang) - 4), st)
        return [fig]


def _package_table(fig: Figure, results: Sequence[Result], st: Style) -> float:
    """One row per package: cost, extra cost, status counts, expected number met, P(all).

    Returns the table's bottom y.
    """
    lang = st.lang
    ref_cost = results[0].annual_cost_wan()
    ref_expected = float(results[0].joint.loc["expected_number_met", "p"])
    cols = [
        Column(t("col_scenario", lang), 2.6),
        Column(t("col_cost_total", lang), 1.3, "right"),
        Column(t("col_extra_cost", lang), 1.2, "right"),
        Column(L.status_name("likely", lang), 1.0, "center"),
        Column(L.status_name("uncertain", lang), 1.0, "center"),
        Column(L.status_name("at_risk", lang), 1.0, "center"),
        Column(t("col_expected", lang), 1.5, "right"),
        Column(t("col_p_all", lang), 1.4, "right"),
    ]
    rows = []
    for i, res in enumerate(results):
        counts = status_counts(res)
        cost = res.annual_cost_wan()
        e = float(res.joint.loc["expected_number_met", "p"])
        name = L.scenario_title(res.scenario, lang)
        extra = t("reference", lang) if i == 0 else f"{cost - ref_cost:+,.0f}".replace("-", "−")
        e_text = f"{e:.1f}"
        if i:
            delta = f"{e - ref_expected:+.1f}".replace("-", "−")
            e_text += t("bracketed", lang, x=delta)
        rows.append(
            Row(
                [
                    Cell(name, weight="bold", color=package_colour(i)),
                    Cell(L.num(cost, "en")),
                    Cell(extra, color=L.MUTED if i == 0 else L.INK),
                    *[
                        Cell(
                            str(counts[s]),
                            background=L.STATUS_COLOURS[s],
                            color=L.STATUS_TEXT_COLOURS[s],
                            weight="bold",
                        )
                        for s in L.STATUSES
                    ],
                    Cell(e_text, weight="bold"),
                    Cell(L.pct(res.p_all, 1)),
                ],
                rule=True,
            )
        )
    height = 0.045 * (len(rows) + 1)
    return draw_table(
        fig, (LEFT, CONTENT_TOP - height, RIGHT - LEFT, height), cols, rows, st, font_size=9.5
    )


def _package_block(
    fig: Figure,
    results: Sequence[Result],
    i: int,
    diffs: dict[str, pd.DataFrame],
    st: Style,
    x: float,
    top: float,
    width: float,
) -> float:
    """Package ``i``'s block: its name, measures changed, largest changes and crossings.

    Returns the y of its last line.
    """
    lang = st.lang
    res = results[i]
    fig.text(
        x,
        top,
        L.scenario_title(res.scenario, lang),
        fontsize=11,
        fontweight="bold",
        color=package_colour(i),
        va="top",
    )
    y = top - 0.035
    lines = lever_change_lines(res, lang) or [t("no_lever_changes", lang)]
    if len(lines) > 5:
        lines = [*lines[:4], f"… (+{len(lines) - 4})"]
    for line in lines:
        text = L.shorten(st.text(line), columns(width - 0.03, 8, lang))
        fig.text(x, y, "• " + text, fontsize=8, color=L.INK, va="top")
        y -= 0.022
    y -= 0.012
    y = _top_changes(fig, res, diffs[res.scenario.name], st, x, y, width)
    moves = crossings(results)[res.scenario.name]
    up = sum(m["direction"] == "up" for m in moves)
    fig.text(
        x,
        y - 0.006,
        t("cmp_cross_count", lang, up=up, down=len(moves) - up),
        fontsize=8,
        color=L.MUTED,
        va="top",
    )
    return y


def _top_changes(
    fig: Figure, res: Result, d: pd.DataFrame, st: Style, x: float, y: float, width: float
) -> float:
    """The four targets whose P(met) the package changes most, from ``y`` down; returns y."""
    lang = st.lang
    fig.text(
        x,
        y,
        t("cmp_top_changes", lang),
        fontsize=8.5,
        fontweight="bold",
        color=L.INK,
        va="top",
    )
    y -= 0.028
    d = d[d["target_id"] != "all_targets"]
    by_id = {r["target_id"]: r for r in rows_in_policy_order(res, modelled_only=True)}
    top_moves = d.reindex(d["difference"].abs().sort_values(ascending=False).index)
    for _, row in top_moves.head(4).iterrows():
        r = by_id.get(row["target_id"])
        if r is None:
            continue
        label = L.shorten(st.text(L.target_label(r, lang)), columns(width - 0.1, 8, lang))
        fig.text(x, y, label, fontsize=8, color=L.INK, va="top")
        fig.text(
            x + width - 0.03,
            y,
            points(row["difference"]),
            fontsize=8,
            fontweight="bold",
            color=L.INK,
            va="top",
            ha="right",
        )
        y -= 0.023
    return y


def _group_table(fig: Figure, results: Sequence[Result], st: Style, top: float) -> None:
    """Expected number of targets met in each goal group, per package (if there is room)."""
    lang = st.lang
    groups = groups_in_order(rows_in_policy_order(results[0], modelled_only=True))
    row_h = 0.026
    height = row_h * (len(groups) + 1)
    if top - height < CONTENT_BOTTOM + 0.01:
        return
    cols = [Column(t("cmp_group_col", lang), 2.4)]
    cols += [Column(L.scenario_title(r.scenario, lang), 1.6, "right") for r in results]
    per = [
        {r["target_id"]: r for r in rows_in_policy_order(res, modelled_only=True)}
        for res in results
    ]
    rows = []
    for g, members in groups:
        cells = [Cell(f"{L.group_name(g, lang)}{t('group_targets', lang, n=len(members))}")]
        base = 0.0
        for i, p in enumerate(per):
            e = sum(float(p[m["target_id"]]["p_met"]) for m in members if m["target_id"] in p)
            base = e if i == 0 else base
            text = f"{e:.2f}"
            if i and abs(e - base) >= 0.005:
                text += t("bracketed", lang, x=f"{e - base:+.2f}")
            cells.append(
                Cell(text.replace("-", "−"), weight="bold" if i and e - base >= 0.1 else "normal")
            )
        rows.append(Row(cells, rule=True))
    fig.text(
        LEFT,
        top + 0.006,
        t("cmp_group_title", lang),
        fontsize=9,
        fontweight="bold",
        color=L.INK,
        va="bottom",
    )
    width = min(RIGHT - LEFT, 0.24 + 0.16 * len(results))
    draw_table(fig, (LEFT, top - height, width, height), cols, rows, st, font_size=8.3)
