"""The traffic-light table of every target, grouped by goal."""

from __future__ import annotations

import math
from typing import Any

from sim.analysis import (
    groups_in_order,
    rows_in_policy_order,
)
from sim.analysis.targets import is_modelled
from sim.charts import labels as L
from sim.charts.common import (
    Pages,
    columns,
    indicator_unit,
)
from sim.charts.labels import t
from sim.charts.layout import (
    CONTENT_TOP,
    LEFT,
    RIGHT,
    Cell,
    Column,
    Row,
    draw_table,
    footer_text,
    new_page,
    note,
    styled,
)
from sim.results import Result

TABLE_ROWS_PER_PAGE = 23


def status_table(result: Result, lang: str = "zh") -> Pages:
    """Every target, grouped by goal: threshold, 2022 value, median, 80 % interval, P(met)."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        rows = rows_in_policy_order(result)
        blocks = [(g, members) for g, members in groups_in_order(rows)]
        pages: list[list[tuple[str, list[dict[str, Any]]]]] = [[]]
        used = 0
        for g, members in blocks:
            need = len(members) + 1
            if used + need > TABLE_ROWS_PER_PAGE and pages[-1]:
                pages.append([])
                used = 0
            pages[-1].append((g, members))
            used += need
        figs = []
        cols = _table_columns(lang)
        for i, page in enumerate(pages):
            title = t("table_title" if i == 0 else "table_title_cont", lang)
            subtitle = t("status_rule", lang)
            if any(_judged_text(r, lang).endswith("†") for _, m in page for r in m):
                subtitle += "    " + t("table_note_reading", lang)
            fig = new_page(title, subtitle, footer_text(result, st), st)
            table_rows: list[Row] = []
            for g, members in page:
                n = len(members)
                heading = f"{L.group_name(g, lang)}{t('group_targets', lang, n=n)}"
                table_rows.append(Row([Cell(heading, size=9)], heading=True))
                for r in members:
                    table_rows.append(_table_row(r, lang))
            height = (len(table_rows) + 1) * 0.0335
            draw_table(
                fig,
                (LEFT, CONTENT_TOP - height, RIGHT - LEFT, height),
                cols,
                table_rows,
                st,
                font_size=8.5,
            )
            note_text = L.wrapped(t("table_note", lang), columns(RIGHT - LEFT, 7.5, lang))
            note(fig, note_text, st)
            figs.append(fig)
        return figs


def _table_columns(lang: str) -> list[Column]:
    return [
        Column(t("col_target", lang), 3.3),
        Column(t("col_clause", lang), 0.85),
        Column(t("col_threshold", lang), 1.15, "right"),
        Column(t("col_judged", lang), 1.0),
        Column(t("col_2022", lang), 1.15, "right"),
        Column(t("col_median", lang), 1.2, "right"),
        Column(t("col_interval", lang), 1.5, "right"),
        Column(t("col_pmet", lang), 1.3, "right"),
        Column(t("col_status", lang), 1.25, "center"),
    ]


def _judged_text(r: dict[str, Any], lang: str) -> str:
    """How the target is judged; '†' marks an alternative reading chosen by the scenario."""
    text = L.kind_text(r["kind"], int(r["deadline"]), lang)
    reading = r.get("reading")
    if isinstance(reading, str) and reading not in ("", "literal"):
        text += " †"
    return text


def _table_value(value: float, unit: str | None, lang: str, full_unit: bool = False) -> str:
    """A value for the table: with its unit in Chinese; in English only %, or the full unit in
    the threshold column (English unit names are too long to repeat in every cell)."""
    if lang == "zh":
        return L.value_with_unit(value, unit, lang)
    if unit in ("percent", "percent_per_year"):
        return f"{L.num(value, lang)}%"
    if full_unit:
        short = {"per_10k_residents": "per 10k", "100m_cny": "(100m yuan)"}
        return f"{L.num(value, lang)} {short.get(unit or '', L.unit_name(unit, lang))}".rstrip()
    return L.num(value, lang)


def _table_row(r: dict[str, Any], lang: str) -> Row:
    status = r["status"]
    subject = L.target_label(r, lang, with_condition=False)
    if r["kind"] == "qualitative" or not is_modelled(r):
        cells = [
            Cell(subject),
            Cell(L.clause(r["clause"], lang), color=L.MUTED),
            Cell("–"),
            Cell(L.kind_text("qualitative", 0, lang) if r["kind"] == "qualitative" else ""),
            Cell("–"),
            Cell("–"),
            Cell("–"),
            Cell(t("not_simulated", lang), color=L.MUTED),
            Cell(
                L.status_name(status, lang),
                background=L.STATUS_COLOURS.get(status),
                color=L.STATUS_TEXT_COLOURS.get(status, L.INK),
            ),
        ]
        return Row(cells, rule=True)
    unit = r["unit"]
    threshold = "≥" + _table_value(r["threshold"], unit, lang, full_unit=True)
    v22 = r["value_2022"]
    source = str(r.get("value_2022_source") or "")
    v22_text = "–"
    if isinstance(v22, float | int) and not math.isnan(v22):
        v22_text = _table_value(v22, indicator_unit(r["indicator"]), lang)
        if not source.startswith("observed"):
            v22_text += "*"
    med = _table_value(r["judged_median"], unit, lang)
    interval = f"{L.num(r['judged_q10'], lang)}–{L.num(r['judged_q90'], lang)}"
    p = f"{L.pct(r['p_met'], 1)} ±{100 * r['mc_se']:.1f}"
    cells = [
        Cell(subject),
        Cell(L.clause(r["clause"], lang), color=L.MUTED),
        Cell(threshold),
        Cell(_judged_text(r, lang), color=L.MUTED),
        Cell(v22_text),
        Cell(med),
        Cell(interval, color=L.MUTED),
        Cell(p, weight="bold"),
        Cell(
            L.status_name(status, lang),
            background=L.STATUS_COLOURS[status],
            color=L.STATUS_TEXT_COLOURS[status],
            weight="bold",
        ),
    ]
    return Row(cells, rule=True)
