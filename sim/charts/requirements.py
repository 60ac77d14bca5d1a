"""The page "what it would take" (达到目标需要什么): per target below the wanted probability, the
cheapest single measure that brings P(met) to 50 % and to ``p``, its setting and extra annual
cost with the Monte Carlo error, beside a dot chart of those costs (log scale).

What it shows is computed in :mod:`sim.analysis.requirements`; this module only draws.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator

from sim.analysis.requirements import Requirements
from sim.charts import labels as L
from sim.charts.common import Pages, columns
from sim.charts.labels import t
from sim.charts.layout import (
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
    paginate,
    styled,
)
from sim.levers import levers
from sim.results.stats import status_of
from sim.targets import targets

ROWS_PER_PAGE = 13
ROW_HEIGHT = 0.053
HEADER_HEIGHT = 0.04
TABLE_RIGHT = 0.66
AXES_LEFT = 0.69
CELL_COLUMNS = 42  # display columns of a requirement cell: 7.2 pt text in a fifth of the page
LOW_COLOUR, HIGH_COLOUR = "#8fb3d9", "#1f4e79"


def target_row(target_id: str, scenario: Any) -> dict[str, Any]:
    """The fields :func:`sim.charts.labels.target_label` needs, under the scenario's reading."""
    tgt = targets()[target_id]
    if target_id in scenario.readings:
        tgt = tgt.with_reading(scenario.readings[target_id])
    return {"target_id": target_id, "kind": tgt.kind, "threshold": tgt.threshold,
            "unit": tgt.unit, "deadline": tgt.deadline, "name_zh": tgt.name_zh,
            "name_en": tgt.name_en}  # fmt: skip


def _pct(level: float) -> str:
    return f"{100 * level:g}%"


def requirements_pages(req: Requirements, lang: str = "zh") -> Pages:
    """The page(s): one row per target below ``p``, up to thirteen to a page."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        wanted = [str(tid) for tid in req.now.loc[req.now["below_p"], "target_id"]]
        pages = paginate(wanted, ROWS_PER_PAGE)
        figs = []
        for i, chunk in enumerate(pages):
            key = "req_title" if i == 0 else "req_title_cont"
            sub = t("req_sub", lang, scenario=L.scenario_title(req.scenario, lang),
                    p=_pct(req.p))  # fmt: skip
            footer = t("req_footer", lang, name=L.scenario_title(req.scenario, lang),
                       draws=f"{req.draws:,}", seed=req.seed,
                       n=f"{req.packages_evaluated:,}")  # fmt: skip
            fig = new_page(t(key, lang), sub, f"{t('footer', lang)}  ·  {footer}", st)
            if not chunk:
                fig.text(0.5, 0.5, t("req_nothing", lang, p=_pct(req.p)), ha="center",
                         fontsize=14)  # fmt: skip
            else:
                _draw_rows(fig, req, chunk, st)
            width = columns(RIGHT - LEFT, 7, lang)
            note(fig, L.wrapped(t("req_note", lang), width, max_lines=3), st, size=7)
            if len(pages) > 1:
                from sim.charts.layout import add_page_number

                add_page_number(fig, i + 1, len(pages), lang)
            figs.append(fig)
        return figs


def _cheapest(req: Requirements, target_id: str, level: float) -> dict[str, Any]:
    """The cheapest reaching lever's row for a level, or why there is none."""
    rows = req.rows[(req.rows["target_id"] == target_id) & (req.rows["level"] == level)]
    if (rows["status"] == "already").any():
        return {"status": "already"}
    reached = rows[rows["status"] == "reached"].sort_values("extra_cost_wan")
    if len(reached):
        return {**reached.iloc[0].to_dict(), "status": "reached", "others": len(reached) - 1}
    best = rows.sort_values("p_at_max", ascending=False)
    if len(best):
        return {**best.iloc[0].to_dict(), "status": "none"}
    return {"status": "no_lever"}


def _cell_text(c: dict[str, Any], lang: str) -> str:
    if c["status"] == "already":
        return t("req_already", lang)
    if c["status"] == "no_lever":
        return "–"
    lever = levers()[c["lever_id"]]
    name = L.lever_name(lever.id, lever.name_zh, lever.name_en, lang)
    if c["status"] == "none":
        return L.wrapped(t("req_none", lang, p=L.pct(c["p_at_max"]), lever=name), CELL_COLUMNS)
    unit = L.lever_unit(lever.unit, lang)
    setting = t(
        "req_setting",
        lang,
        lever=name,
        now=L.num(c["setting_now"], "en"),
        setting=L.num(c["setting"], "en"),
        unit=unit if lang == "zh" else f" {unit}",
    )
    extra = t("req_extra", lang, v=L.num(c["extra_cost_wan"], "en"),
              se=L.num(c["extra_cost_se_wan"], "en"))  # fmt: skip
    others = t("req_others", lang, n=c["others"]) if c["others"] else ""
    if not c["resolved"]:
        others = t("req_noise", lang)
    text = f"{setting}\n{extra}{'  ' + others if others else ''}"
    return "\n".join(L.wrapped(line, CELL_COLUMNS) for line in text.split("\n"))


def _draw_rows(fig: Figure, req: Requirements, chunk: list[str], st: Style) -> None:
    """The table of the page's targets and, aligned with its rows, the cost chart."""
    lang = st.lang
    now = req.now.set_index("target_id")
    levels = list(req.levels)
    cols = [Column(t("req_col_target", lang), 2.3), Column(t("req_col_now", lang), 0.55, "center")]
    cols += [Column(t("req_col_to", lang, level=_pct(lv)), 2.6) for lv in levels]
    rows, cells = [], []
    for tid in chunk:
        p_now = float(now.loc[tid, "p_met"])
        status = status_of(p_now)
        found = [_cheapest(req, tid, lv) for lv in levels]
        cells.append(found)
        label = L.wrapped(L.target_label(target_row(tid, req.scenario), lang), 30, max_lines=2)
        rows.append(Row([
            Cell(label, size=8),
            Cell(L.pct(p_now), background=L.STATUS_COLOURS[status],
                 color=L.STATUS_TEXT_COLOURS[status], weight="bold"),
            *(Cell(_cell_text(c, lang), size=7.2) for c in found),
        ], rule=True))  # fmt: skip
    height = HEADER_HEIGHT + ROW_HEIGHT * len(rows)
    top = CONTENT_TOP - 0.01
    draw_table(fig, (LEFT, top - height, TABLE_RIGHT - LEFT, height), cols, rows, st,
               font_size=8, header_size=7.8, row_height=ROW_HEIGHT,
               header_height=HEADER_HEIGHT)  # fmt: skip
    ax = fig.add_axes((AXES_LEFT, top - height, RIGHT - AXES_LEFT, height - HEADER_HEIGHT))
    _cost_dots(ax, cells, levels, req.p, lang)


def _cost_dots(
    ax: Axes, cells: list[list[dict[str, Any]]], levels: list[float], p: float, lang: str
) -> None:
    """Per row, the extra cost of the cheapest measure for each level, ±1.96 SE (log scale);
    a cross at the right edge where no single measure reaches the level."""
    costs = [c["extra_cost_wan"] for row in cells for c in row if c["status"] == "reached"]
    positive = [c for c in costs if c > 0] or [100.0]
    lo = 10 ** math.floor(math.log10(max(min(positive), 1.0)))
    hi = 10 ** math.ceil(math.log10(max(max(positive) * 1.5, lo * 10)))
    colours = [LOW_COLOUR, HIGH_COLOUR] if len(levels) == 2 else [HIGH_COLOUR]
    for i, row in enumerate(cells):
        y = i + 0.5
        for k, (c, colour) in enumerate(zip(row, colours, strict=True)):
            dy = (k - (len(row) - 1) / 2) * 0.22
            if c["status"] == "reached":
                x = max(float(c["extra_cost_wan"]), lo)
                se = float(c["extra_cost_se_wan"]) * 1.96
                left = max(x - se, lo) if np.isfinite(se) else lo
                right = min(x + se, hi) if np.isfinite(se) else hi
                ax.plot([left, right], [y + dy, y + dy], color=colour, lw=1.2, zorder=2)
                ax.plot(x, y + dy, "o", color=colour, ms=6.5, mec="white", mew=0.6, zorder=3)
            elif c["status"] == "none":
                ax.plot(hi, y + dy, "x", color=colour, ms=6, mew=1.6, clip_on=False, zorder=3)
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(len(cells), 0)
    ax.set_yticks([])
    ax.xaxis.set_major_locator(LogLocator(base=10))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: L.num(v, "en")))
    ax.tick_params(axis="x", labelsize=7.5)
    ax.xaxis.tick_top()
    ax.set_xlabel(t("req_axis", lang), fontsize=7.5)
    ax.xaxis.set_label_position("top")
    ax.grid(axis="x", color=L.RULE, lw=0.4)
    for i in range(1, len(cells)):
        ax.axhline(i, color=L.RULE, lw=0.4)
    handles = [Line2D([], [], marker="o", ls="-", color=c, ms=6, lw=1.2) for c in colours]
    names = [t("req_legend_low", lang)] if len(levels) == 2 else []
    names.append(t("req_legend_high", lang, p=_pct(p)))
    handles.append(Line2D([], [], marker="x", ls="", color=L.INK, ms=6, mew=1.5))
    names.append(t("req_legend_none", lang))
    ax.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=3,
              fontsize=7.5, frameon=False, handlelength=1.6)  # fmt: skip
