"""The charts of one scenario, one function per chart, each returning Figures.

Every function takes a :class:`sim.results.Result` (fresh or loaded with
:func:`sim.load_result`) and ``lang`` ("zh" or "en") and returns a list of A4-landscape
:class:`matplotlib.figure.Figure` pages (most charts fit one page; the table, the fan charts,
the at-risk distributions and the assumptions may take more). Build and save them inside
:func:`sim.charts.layout.styled` (as :func:`sim.charts.pack.build_pack` does) so that the
fonts apply.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator, PercentFormatter
from matplotlib.transforms import blended_transform_factory, offset_copy

from sim.charts import labels as L
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
    column_heading,
    draw_table,
    footer_text,
    new_page,
    note,
    paginate,
    run_date,
    styled,
)

Pages = list[Figure]

# ================================================================== data helpers


def ordered_rows(result: Any, modelled_only: bool = False) -> list[dict[str, Any]]:
    """Attainment rows in policy order: goal groups as in the catalogue, targets within."""
    from sim.targets import groups

    order = {g: i for i, g in enumerate(groups())}
    a = result.attainment.reset_index(drop=True)
    rows = [dict(r) for _, r in a.iterrows()]
    for i, r in enumerate(rows):
        r["_pos"] = i
    if modelled_only:
        rows = [r for r in rows if _modelled(r)]
    return sorted(rows, key=lambda r: (order.get(r["group"], 99), r["_pos"]))


def _modelled(row: dict[str, Any]) -> bool:
    p = row.get("p_met")
    return p is not None and not (isinstance(p, float) and math.isnan(p))


def _target(row: dict[str, Any]) -> Any:
    """The catalogue target of a row, under the reading the run applied."""
    from sim.targets import targets

    base = targets()[row["target_id"]]
    reading = row.get("reading")
    if isinstance(reading, str) and reading not in ("", "literal") and reading in base.readings:
        return base.with_reading(reading)
    return base


def _indicator_unit(indicator: str | None) -> str:
    from sim.catalogue import indicators

    info = indicators().get(indicator or "")
    return info.unit if info else ""


def _groups_in_order(rows: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    out: list[tuple[str, list[dict[str, Any]]]] = []
    for r in rows:
        if not out or out[-1][0] != r["group"]:
            out.append((r["group"], []))
        out[-1][1].append(r)
    return out


def _n_draws(result: Any) -> int:
    return int(result.manifest["draws"])


def _columns(width_frac: float, size: float, lang: str) -> int:
    """Display columns of text of ``size`` pt that fit in ``width_frac`` of the page width."""
    points = width_frac * 11.69 * 72
    per_column = size * 0.5  # a half-em column, as measured by labels.wrap
    return max(10, int(points / per_column * 0.97))


def _p_all_text(result: Any, lang: str) -> tuple[str, str]:
    """P(all targets met) with its error, and a detail line for a zero count."""
    from sim.results import wilson

    p = float(result.joint.loc["all_targets", "p"])
    se = float(result.joint.loc["all_targets", "mc_se"])
    n = _n_draws(result)
    if round(p * n) == 0:
        hi = wilson(0, n)[1]
        return "≈ 0%", t("zero_hits", lang, draws=f"{n:,}", hi=L.pct(hi, 2))
    return f"{L.pct(p, 1)} ± {100 * se:.1f}", ""


def _headline_counts(result: Any) -> dict[str, int]:
    counts = result.attainment["status"].value_counts().to_dict()
    return {
        s: int(counts.get(s, 0))
        for s in ("likely", "uncertain", "at_risk", "qualitative", "not_modelled")
    }


# ================================================================== cover


def cover(result: Any, lang: str = "zh") -> Pages:
    """Cover: scenario, run, headline counts, P(all met), expected number met, how to read."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        fig = new_page(t("pack_title", lang), _subtitle(st), footer_text(result, st), st)
        bottom = _scenario_block(fig, result, st, x=LEFT, y=0.845, width=0.46)
        box_top = _how_to_read(fig, st, x=LEFT, y=CONTENT_BOTTOM, width=RIGHT - LEFT)
        strip_y = bottom - 0.04
        if _group_strip(None, result, st, LEFT, strip_y) > box_top + 0.02:  # room for it
            _group_strip(fig, result, st, LEFT, strip_y)
        _headline_block(fig, result, st, x=0.545, y=0.845)
        return [fig]


def _subtitle(st: Style) -> str:
    if st.cjk or st.lang == "zh":
        return t("pack_subtitle", st.lang)
    return t("pack_subtitle_plain", st.lang)


def _scenario_block(fig: Figure, result: Any, st: Style, x: float, y: float, width: float) -> float:
    lang = st.lang
    sc = result.scenario
    fig.text(x, y, t("scenario", lang), fontsize=9, color=L.MUTED, va="top")
    name = L.scenario_name(sc.name, lang)
    fig.text(x, y - 0.025, st.text(name), fontsize=18, fontweight="bold", color=L.INK, va="top")
    if name != sc.name:
        fig.text(x, y - 0.075, sc.name, fontsize=8.5, color=L.MUTED, va="top")
    yy = y - 0.105
    if sc.description:
        text = L.wrapped(st.text(sc.description), _columns(width, 9, lang), max_lines=3)
        fig.text(x, yy, text, fontsize=9, color=L.INK, va="top", linespacing=1.35)
        yy -= 0.03 * (text.count("\n") + 1) + 0.012
    fig.text(x, yy, t("lever_changes", lang), fontsize=9, fontweight="bold", color=L.INK, va="top")
    yy -= 0.03
    lines = _lever_change_lines(result, lang)
    if not lines:
        lines = [t("no_lever_changes", lang)]
    shown = lines[:7]
    if len(lines) > 7:
        shown[-1] = f"… (+{len(lines) - 6})"
    for line in shown:
        fig.text(x + 0.008, yy, "• " + st.text(line), fontsize=8.5, color=L.INK, va="top")
        yy -= 0.026
    extra = _readings_lines(result, lang)
    for line in extra[:3]:
        fig.text(x + 0.008, yy, "• " + st.text(line), fontsize=8.5, color=L.INK, va="top")
        yy -= 0.026
    cost = float(result.manifest.get("annual_cost_wan", sc.annual_cost_wan()))
    yy -= 0.006
    sep = "：" if lang == "zh" else ": "
    fig.text(
        x,
        yy,
        f"{t('annual_cost', lang)}{sep}{t('wan_per_year', lang, v=L.num(cost, 'en'))}",
        fontsize=9,
        fontweight="bold",
        color=L.INK,
        va="top",
    )
    m = result.manifest
    info = t(
        "run_info",
        lang,
        draws=f"{int(m['draws']):,}",
        seed=m["seed"],
        date=run_date(m),
        version=m.get("sim_version", "?"),
    )
    fig.text(x, yy - 0.03, info, fontsize=8, color=L.MUTED, va="top")
    return yy - 0.03


def _group_strip(fig: Figure | None, result: Any, st: Style, x: float, y: float) -> float:
    """One line per goal group: a coloured square per target; returns the bottom y.

    With ``fig=None`` only measures.
    """
    lang = st.lang
    groups_ = _groups_in_order(ordered_rows(result, modelled_only=True))
    bottom = y - 0.034 - 0.022 * len(groups_)
    if fig is None:
        return bottom
    fig.text(x, y, t("by_group", lang), fontsize=9, fontweight="bold", color=L.INK, va="top")
    y -= 0.034
    size, gap = 0.0125, 0.004
    longest = max((L._columns_of(L.group_name(g, lang)) for g, _ in groups_), default=10)
    label_w = longest * 8.5 / 2 / 72 / 11.69 + 0.012
    for g, members in groups_:
        fig.text(x, y - size / 2, L.group_name(g, lang), fontsize=8.5, color=L.INK, va="center")
        for i, r in enumerate(sorted(members, key=lambda r: -r["p_met"])):
            fig.add_artist(
                Rectangle(
                    (x + label_w + i * (size + gap), y - size),
                    size,
                    size,
                    transform=fig.transFigure,
                    lw=0,
                    facecolor=L.STATUS_COLOURS[r["status"]],
                )
            )
        y -= 0.022
    return bottom


def _lever_change_lines(result: Any, lang: str) -> list[str]:
    from sim.levers import levers

    out = []
    for lid, value in result.scenario.changed_levers.items():
        lever = levers()[lid]
        name = L.lever_name(lid, lever.name_zh, lever.name_en, lang)
        unit = L.lever_unit(lever.unit, lang)
        sq = lever.status_quo
        factor = (
            f"（×{value / sq:.2g}）"
            if sq and lang == "zh"
            else (f" (×{value / sq:.2g})" if sq else "")
        )
        sep = "：" if lang == "zh" else ": "
        out.append(f"{name}{sep}{L.num(sq, 'en')} → {L.num(value, 'en')} {unit}{factor}")
    return out


def _readings_lines(result: Any, lang: str) -> list[str]:
    out = []
    sc = result.scenario
    if sc.readings:
        names = ", ".join(f"{k} = {v}" for k, v in sc.readings.items())
        out.append(f"{t('readings', lang)}: {names}")
    if sc.assumptions:
        names = ", ".join(f"{k} = {v:g}" for k, v in sc.assumptions.items())
        out.append(f"{t('assumptions_fixed', lang)}: {names}")
    return out


def _how_to_read(fig: Figure, st: Style, x: float, y: float, width: float) -> float:
    """The 'how to read' box, anchored at its bottom at ``y`` and sized to its text."""
    lang = st.lang
    text = L.wrapped(t("how_to_read_text", lang), _columns(width, 8.5, lang) - 2)
    n_lines = text.count("\n") + 1
    line_h = 8.5 * 1.45 / 72 / 8.27
    height = 0.03 + n_lines * line_h + 0.03
    fig.add_artist(
        Rectangle(
            (x - 0.008, y),
            width + 0.016,
            height,
            transform=fig.transFigure,
            facecolor="#f2f2f2",
            lw=0,
            zorder=0,
        )
    )
    top = y + height - 0.018
    fig.text(x, top, t("how_to_read", lang), fontsize=9.5, fontweight="bold", color=L.INK, va="top")
    fig.text(x, top - 0.03, text, fontsize=8.5, color=L.INK, va="top", linespacing=1.45)
    return y + height


def _headline_block(fig: Figure, result: Any, st: Style, x: float, y: float) -> None:
    lang = st.lang
    counts = _headline_counts(result)
    tile_w, tile_h, gap = 0.128, 0.15, 0.012
    for i, status in enumerate(L.STATUSES):
        left = x + i * (tile_w + gap)
        fig.add_artist(
            Rectangle(
                (left, y - tile_h),
                tile_w,
                tile_h,
                transform=fig.transFigure,
                facecolor=L.STATUS_COLOURS[status],
                lw=0,
            )
        )
        colour = L.STATUS_TEXT_COLOURS[status]
        fig.text(
            left + tile_w / 2,
            y - 0.062,
            str(counts[status]),
            fontsize=34,
            fontweight="bold",
            color=colour,
            ha="center",
            va="center",
        )
        fig.text(
            left + tile_w / 2,
            y - 0.122,
            L.status_name(status, lang),
            fontsize=11,
            color=colour,
            ha="center",
            va="center",
        )
    modelled = counts["likely"] + counts["uncertain"] + counts["at_risk"]
    line = t("targets_modelled", lang, n=modelled)
    if counts["qualitative"] or counts["not_modelled"]:
        sep = "；" if lang == "zh" else "; "
        line += sep + t("qualitative_note", lang, n=counts["qualitative"] + counts["not_modelled"])
    fig.text(x, y - tile_h - 0.025, line, fontsize=8.5, color=L.INK, va="top")
    fig.text(x, y - tile_h - 0.05, t("status_rule", lang), fontsize=7.5, color=L.MUTED, va="top")

    yy = y - tile_h - 0.105
    value, detail = _p_all_text(result, lang)
    fig.text(x, yy, t("p_all", lang), fontsize=9.5, color=L.INK, va="top")
    fig.text(
        RIGHT, yy + 0.006, value, fontsize=17, fontweight="bold", color=L.INK, ha="right", va="top"
    )
    if detail:
        fig.text(x, yy - 0.028, detail, fontsize=7.5, color=L.MUTED, va="top")
    yy -= 0.07
    e = float(result.joint.loc["expected_number_met", "p"])
    e_se = float(result.joint.loc["expected_number_met", "mc_se"])
    fig.text(x, yy, t("expected_met", lang), fontsize=9.5, color=L.INK, va="top")
    unit = t("of_n", lang, n=modelled)
    fig.text(
        RIGHT,
        yy + 0.006,
        f"{e:.1f} {unit}" if lang == "zh" else f"{e:.1f}{unit}",
        fontsize=17,
        fontweight="bold",
        color=L.INK,
        ha="right",
        va="top",
    )
    fig.text(x, yy - 0.028, f"± {e_se:.2f}", fontsize=7.5, color=L.MUTED, va="top")

    yy -= 0.08
    fig.text(x, yy, t("lowest", lang), fontsize=9.5, fontweight="bold", color=L.INK, va="top")
    rows = sorted(ordered_rows(result, modelled_only=True), key=lambda r: r["p_met"])[:5]
    yy -= 0.033
    for r in rows:
        fig.add_artist(
            Rectangle(
                (x, yy - 0.016),
                0.011,
                0.016,
                transform=fig.transFigure,
                facecolor=L.STATUS_COLOURS[r["status"]],
                lw=0,
            )
        )
        fig.text(
            x + 0.018,
            yy - 0.008,
            st.text(L.target_label(r, lang)),
            fontsize=8.5,
            color=L.INK,
            va="center",
        )
        fig.text(
            RIGHT,
            yy - 0.008,
            L.pct(r["p_met"], 1),
            fontsize=8.5,
            color=L.INK,
            ha="right",
            va="center",
        )
        yy -= 0.027


# ================================================================== traffic-light table

TABLE_ROWS_PER_PAGE = 23


def status_table(result: Any, lang: str = "zh") -> Pages:
    """Every target, grouped by goal: threshold, 2022 value, median, 80 % interval, P(met)."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        rows = ordered_rows(result)
        blocks = [(g, members) for g, members in _groups_in_order(rows)]
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
            note_text = L.wrapped(t("table_note", lang), _columns(RIGHT - LEFT, 7.5, lang))
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
    if r["kind"] == "qualitative" or not _modelled(r):
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
        v22_text = _table_value(v22, _indicator_unit(r["indicator"]), lang)
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


# ================================================================== P(met) bars


def pmet_bars(result: Any, lang: str = "zh") -> Pages:
    """P(met) per target as horizontal bars with Wilson 95 % intervals, grouped by goal."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        fig = new_page(t("bars_title", lang), t("bars_note", lang), footer_text(result, st), st)
        rows = ordered_rows(result, modelled_only=True)
        slots: list[tuple[str, Any]] = []
        for g, members in _groups_in_order(rows):
            slots.append(("group", g))
            for r in sorted(members, key=lambda r: -r["p_met"]):
                slots.append(("target", r))
        n = len(slots)
        ax = fig.add_axes((0.30, CONTENT_BOTTOM + 0.01, 0.60, CONTENT_TOP - CONTENT_BOTTOM - 0.05))
        ys = np.arange(n)[::-1].astype(float)
        ticks, tick_labels = [], []
        label_tf = blended_transform_factory(fig.transFigure, ax.transData)
        for y, (kind, item) in zip(ys, slots, strict=True):
            if kind == "group":
                band = Rectangle(
                    (LEFT - 0.004, y - 0.5),
                    0.90 - LEFT + 0.004,
                    1.0,
                    transform=label_tf,
                    facecolor="#efefef",
                    lw=0,
                    zorder=0,
                )
                fig.add_artist(band)
                fig.text(
                    LEFT,
                    y,
                    L.group_name(item, lang),
                    transform=label_tf,
                    fontsize=8.5,
                    fontweight="bold",
                    color=L.INK,
                    va="center",
                )
                continue
            r = item
            colour = L.STATUS_COLOURS[r["status"]]
            ax.barh(y, r["p_met"], height=0.68, color=colour, lw=0, zorder=2)
            lo, hi = r["wilson_lo"], r["wilson_hi"]
            ax.plot([lo, hi], [y, y], color=L.INK, lw=0.8, zorder=3, solid_capstyle="butt")
            for end in (lo, hi):
                ax.plot([end, end], [y - 0.18, y + 0.18], color=L.INK, lw=0.8, zorder=3)
            ax.text(
                max(hi, r["p_met"]) + 0.012,
                y,
                L.pct(r["p_met"], 1),
                fontsize=7.5,
                color=L.INK,
                va="center",
                ha="left",
                zorder=4,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6},
            )
            ticks.append(y)
            tick_labels.append(st.text(L.target_label(r, lang)))
        ax.set_yticks(ticks, tick_labels, fontsize=7.8)
        ax.tick_params(axis="y", length=0, pad=4)
        ax.set_ylim(-0.6, n - 0.4)
        ax.set_xlim(0, 1.0)
        ax.patch.set_alpha(0)
        ax.xaxis.set_major_locator(MultipleLocator(0.2))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
        ax.xaxis.tick_top()
        ax.spines["left"].set_visible(False)
        ax.spines["bottom"].set_visible(False)
        ax.spines["top"].set_visible(True)
        ax.xaxis.set_label_position("top")
        ax.set_xlabel(t("bars_xlabel", lang), fontsize=8, color=L.MUTED, labelpad=6)
        for v in (0.5, 0.8):
            ax.axvline(v, color=L.INK, lw=0.7, ls=(0, (4, 3)), zorder=1)
        ax.grid(axis="x", color="#e6e6e6", lw=0.5, zorder=0)
        ax.set_axisbelow(True)
        handles = [
            Patch(facecolor=L.STATUS_COLOURS[s], label=L.status_name(s, lang)) for s in L.STATUSES
        ]
        fig.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(0.905, CONTENT_TOP - 0.04),
            fontsize=8,
            handlelength=1.2,
            borderaxespad=0,
        )
        return [fig]


# ================================================================== fan charts

FANS_PER_PAGE = 12


def fan_charts(result: Any, lang: str = "zh") -> Pages:
    """2022 start → 2023–2025 bands (90 %, 50 %, median) for every target, threshold marked."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        rows = ordered_rows(result, modelled_only=True)
        figs = []
        sample_n = int(result.sample.sizes.get("draw", 0)) if result.sample is not None else 0
        for page in paginate(rows, FANS_PER_PAGE):
            fig = new_page(t("fans_title", lang), "", footer_text(result, st), st)
            n_cols, n_rows = 4, 3
            left, right, top, bottom = LEFT + 0.025, RIGHT, CONTENT_TOP - 0.02, 0.17
            w = (right - left) / n_cols
            h = (top - bottom) / n_rows
            for i, r in enumerate(page):
                col, row = i % n_cols, i // n_cols
                rect = (left + col * w + 0.012, top - (row + 1) * h + 0.045, w - 0.05, h - 0.098)
                ax = fig.add_axes(rect)
                _fan_panel(ax, result, r, st)
            _fan_legend(fig, lang)
            text = L.wrapped(
                t("fan_note", lang, n=f"{sample_n:,}"), _columns(RIGHT - LEFT, 7.5, lang)
            )
            note(fig, text, st)
            figs.append(fig)
        return figs


def fan_data(result: Any, row: dict[str, Any]) -> dict[str, Any]:
    """What a fan panel shows for one target: years, bands, threshold path, subtitle key."""
    tgt = _target(row)
    kind = row["kind"]
    ind = row["indicator"]
    threshold = float(row["threshold"])
    years = [2022, *tgt.years] if kind != "level" else None
    sample = result.sample
    have_sample = sample is not None and ind in list(sample["indicator"].values)
    out: dict[str, Any] = {"kind": kind, "deadline": int(row["deadline"]), "unit": row["unit"]}
    if kind in ("level", "each_year") or not have_sample:
        tr = result.trajectories[result.trajectories["indicator"] == ind].sort_values("year")
        out["years"] = tr["year"].to_numpy(dtype=int)
        for q in ("q05", "q25", "q50", "q75", "q95"):
            out[q] = tr[q].to_numpy(dtype=float)
        out["unit"] = tr["unit"].iloc[0] if len(tr) else row["unit"]
        if kind == "level":
            out["threshold_years"] = [int(row["deadline"])]
        elif kind == "each_year":
            out["threshold_years"] = list(tgt.years)
        else:  # no sample: show the annual flow against the threshold per year
            n_years = max(len(tgt.years), 1)
            out["threshold_years"] = list(tgt.years)
            threshold = threshold / n_years if kind == "cumulative" else threshold
            out["subtitle"] = "annualised"
        out["threshold"] = [threshold] * len(out["threshold_years"])
        out["point_2022"] = (row["value_2022"], str(row.get("value_2022_source") or ""))
        return out
    values = sample["value"].sel(indicator=ind)
    values = values.transpose("draw", "year")
    sample_years = [int(y) for y in values["year"].values]
    x = values.to_numpy().astype(float)
    years = years or sample_years
    cols = [sample_years.index(y) for y in years]
    x = x[:, cols]
    if kind == "cumulative":
        path = np.concatenate([np.zeros((x.shape[0], 1)), np.cumsum(x[:, 1:], axis=1)], axis=1)
        out["threshold_years"] = [int(row["deadline"])]
        out["threshold"] = [threshold]
        out["point_2022"] = (0.0, "start")
    elif kind == "growth_average":
        base = np.where(x[:, :1] > 0, x[:, :1], np.nan)
        path = x / base
        n = len(years) - 1
        out["threshold_years"] = list(years)
        out["threshold"] = [(1 + threshold / 100) ** k for k in range(n + 1)]
        out["multiple"] = (1 + threshold / 100) ** n
        out["point_2022"] = (1.0, "start")
        out["unit"] = "multiple"
    else:  # growth_each_year
        with np.errstate(divide="ignore", invalid="ignore"):
            growth = 100 * (x[:, 1:] / np.where(x[:, :-1] > 0, x[:, :-1], np.nan) - 1)
        path = np.concatenate([np.full((x.shape[0], 1), np.nan), growth], axis=1)
        out["threshold_years"] = list(years[1:])
        out["threshold"] = [threshold] * (len(years) - 1)
        out["point_2022"] = (math.nan, "")
        out["unit"] = "percent"
    out["years"] = np.array(years)
    qs = np.full((5, path.shape[1]), np.nan)
    some = np.isfinite(path).any(axis=0)  # the base year has no growth
    qs[:, some] = np.nanquantile(path[:, some], [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    for name, q in zip(("q05", "q25", "q50", "q75", "q95"), qs, strict=True):
        out[name] = q
    return out


def _fan_panel(ax: Any, result: Any, r: dict[str, Any], st: Style) -> None:
    lang = st.lang
    d = fan_data(result, r)
    years = d["years"]
    ok = ~np.isnan(d["q50"])
    ax.fill_between(years[ok], d["q05"][ok], d["q95"][ok], color=L.FAN_COLOUR, alpha=0.18, lw=0)
    ax.fill_between(years[ok], d["q25"][ok], d["q75"][ok], color=L.FAN_COLOUR, alpha=0.38, lw=0)
    ax.plot(years[ok], d["q50"][ok], color=L.FAN_COLOUR, lw=1.4)
    value, source = d["point_2022"]
    if source.startswith("observed"):
        ax.plot([2022], [value], "o", color=L.INK, ms=4.5, zorder=5)
    elif source and source not in ("start", "not modelled") and not math.isnan(value):
        ax.plot([2022], [value], "o", mfc="white", mec=L.INK, ms=4.5, mew=1, zorder=5)
    ty, tv = d["threshold_years"], d["threshold"]
    if d["kind"] == "growth_average":
        ax.plot(ty, tv, color=L.THRESHOLD_COLOUR, lw=0.9, ls=(0, (3, 2)), zorder=4)
    else:
        x0 = {"level": 2022.0, "cumulative": d["deadline"] - 0.45}.get(d["kind"], ty[0] - 0.25)
        if d.get("subtitle") == "annualised":
            x0 = ty[0] - 0.25
        ax.hlines(
            tv[0], x0, ty[-1] + 0.25, color=L.THRESHOLD_COLOUR, lw=0.9, ls=(0, (3, 2)), zorder=4
        )
    ax.plot([d["deadline"]], [tv[-1]], "D", color=L.THRESHOLD_COLOUR, ms=4, zorder=6)
    # axes
    ax.set_xlim(2021.7, 2025.3)
    ax.set_xticks([2022, 2023, 2024, 2025], ["2022", "23", "24", "25"])
    ax.tick_params(labelsize=7, length=2, pad=1.5)
    ax.yaxis.set_major_locator(MaxNLocator(4))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _axis_num(v, lang)))
    lo = np.nanmin(np.r_[d["q05"][ok], tv])
    hi = np.nanmax(np.r_[d["q95"][ok], tv])
    if value is not None and not math.isnan(value):
        lo, hi = min(lo, value), max(hi, value)
    span = hi - lo or abs(hi) or 1.0
    bottom = lo - 0.08 * span
    if d["kind"] not in ("growth_each_year",) and lo >= 0 and lo < 0.35 * hi:
        bottom = 0
    ax.set_ylim(bottom, hi + 0.12 * span)
    ax.grid(axis="y", color="#e6e6e6", lw=0.5)
    ax.set_axisbelow(True)
    title, size = _fit(st.text(L.target_label(r, lang)), ax, 8.3)
    ax.set_title(title, fontsize=size, fontweight="bold", loc="left", pad=14, color=L.INK)
    ax.text(
        0,
        1.035,
        st.text(_fan_subtitle(d, lang)),
        transform=ax.transAxes,
        fontsize=6.8,
        color=L.MUTED,
        va="bottom",
    )
    _status_tag(ax, r)


def _status_tag(ax: Any, r: dict[str, Any]) -> None:
    """P(met) at the top right of a panel, after a square in the status colour."""
    ax.text(1.0, 1.035, L.pct(r["p_met"], 1), transform=ax.transAxes, fontsize=7.5,
            fontweight="bold", color=L.INK, ha="right", va="bottom")  # fmt: skip
    shifted = offset_copy(ax.transAxes, fig=ax.figure, x=-33, units="points")
    ax.text(1.0, 1.035, "■", transform=shifted, fontsize=8, ha="right", va="bottom",
            color=L.STATUS_COLOURS.get(r["status"], L.MUTED))  # fmt: skip


def _fit(text: str, ax: Any, size: float, extra: float = 0.0) -> tuple[str, float]:
    """A panel title that fits the axes width: as is, a little smaller, or on two lines."""
    width = ax.get_position().width + extra
    for s in (size, size - 0.5):
        if L._columns_of(text) <= _columns(width, s, "zh"):
            return text, s
    s = size - 0.5
    return L.wrapped(text, _columns(width, s, "zh"), max_lines=2), s


def _fan_subtitle(d: dict[str, Any], lang: str) -> str:
    kind = d["kind"]
    unit = d["unit"]
    if unit == "multiple":
        sub = t("fan_sub_growth_average", lang, x=f"{d['multiple']:.2f}")
        return sub
    if d.get("subtitle") == "annualised":
        sub = (
            "annual flow vs. target ÷ years"
            if lang == "en"
            else "年度值对比年均所需（累计目标÷年数）"
        )
    else:
        sub = t(f"fan_sub_{kind}", lang, y=d["deadline"])
    u = L.unit_name(unit, lang)
    return f"{sub}（{u}）" if lang == "zh" and u else (f"{sub} ({u})" if u else sub)


def _axis_num(v: float, lang: str) -> str:
    a = abs(v)
    if a >= 10000:
        return f"{v / 10000:g}万" if lang == "zh" else f"{v / 1000:g}k"
    if a >= 100 or a == 0 or float(v).is_integer():
        return f"{v:,.0f}".replace("-", "−")
    return f"{v:g}".replace("-", "−")


def _fan_legend(fig: Figure, lang: str) -> None:
    handles = [
        Patch(facecolor=L.FAN_COLOUR, alpha=0.18, label=t("fan_legend_90", lang)),
        Patch(facecolor=L.FAN_COLOUR, alpha=0.45, label=t("fan_legend_50", lang)),
        Line2D([], [], color=L.FAN_COLOUR, lw=1.4, label=t("fan_legend_median", lang)),
        Line2D([], [], marker="o", color=L.INK, lw=0, ms=4.5, label=t("fan_legend_observed", lang)),
        Line2D(
            [],
            [],
            marker="o",
            mfc="white",
            mec=L.INK,
            lw=0,
            ms=4.5,
            label=t("fan_legend_estimated", lang),
        ),
        Line2D(
            [],
            [],
            color=L.THRESHOLD_COLOUR,
            lw=0.9,
            ls=(0, (3, 2)),
            marker="D",
            ms=4,
            label=t("fan_legend_threshold", lang),
        ),
    ]
    fig.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(LEFT, 0.105),
        ncol=6,
        fontsize=8,
        handlelength=2.0,
        columnspacing=1.6,
        borderaxespad=0,
    )


# ================================================================== at-risk distributions

RISK_PER_PAGE = 15


def risk_distributions(result: Any, lang: str = "zh") -> Pages:
    """For each at-risk target: the judged value's distribution against the threshold."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        rows = [r for r in ordered_rows(result, modelled_only=True) if r["status"] == "at_risk"]
        rows.sort(key=lambda r: r["p_met"])
        figs = []
        for page in paginate(rows, RISK_PER_PAGE):
            fig = new_page(t("risk_title", lang), t("risk_note", lang), footer_text(result, st), st)
            if not page:
                fig.text(0.5, 0.5, t("risk_none", lang), ha="center", fontsize=14, color=L.INK)
                figs.append(fig)
                continue
            n_cols = 5 if len(page) > 12 else 4
            n_rows = 3
            left, right, top, bottom = LEFT + 0.02, RIGHT, CONTENT_TOP - 0.01, 0.085
            w = (right - left) / n_cols
            h = (top - bottom) / n_rows
            for i, r in enumerate(page):
                col, row = i % n_cols, i // n_cols
                rect = (left + col * w + 0.01, top - (row + 1) * h + 0.035, w - 0.04, h - 0.1)
                _risk_panel(fig.add_axes(rect), result, r, st, narrow=n_cols == 5)
            figs.append(fig)
        return figs


def histogram(result: Any, target_id: str) -> dict[str, Any]:
    """A target's judged-value histogram on its regular grid, with the central 99.6 % marked.

    Returns ``edges``, ``p`` (probability per bin), the bin ``width`` and ``first``/``last``,
    the bins that hold the central 99.6 % (so a long tail does not squash the picture).
    """
    d = result.distributions[result.distributions["target_id"] == target_id]
    d = d.sort_values("bin_lo")
    lo = d["bin_lo"].to_numpy(dtype=float)
    hi = d["bin_hi"].to_numpy(dtype=float)
    p = d["probability"].to_numpy(dtype=float)
    finite = np.isfinite(lo) & np.isfinite(hi)
    width = float(np.median(hi[finite] - lo[finite])) if finite.any() else 1.0
    # the open-ended overflow bins sit next to the grid
    lo = np.where(np.isfinite(lo), lo, hi - width)
    origin = float(lo.min())
    idx = np.rint((lo - origin) / width).astype(int)
    full = np.zeros(idx.max() + 1)
    np.add.at(full, idx, p)
    edges = origin + width * np.arange(len(full) + 1)
    cum = np.cumsum(full)
    first = int(np.searchsorted(cum, 0.002))
    last = int(np.searchsorted(cum, 0.998)) + 1
    return {"edges": edges, "p": full, "first": first, "last": min(last, len(full)), "width": width}


def coarsen(h: dict[str, Any], threshold: float, max_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Merge neighbouring bins to at most about ``max_bins``, one edge on the threshold.

    Only the central window (plus the threshold) is kept; the picture is of that window.
    """
    edges, p = h["edges"], h["p"]
    first, last = h["first"], h["last"]
    t_idx = int(np.clip(np.rint((threshold - edges[0]) / h["width"]), 0, len(p)))
    first = min(first, max(t_idx - 1, 0))
    last = max(last, min(t_idx + 1, len(p)))
    k = max(1, math.ceil((last - first) / max_bins))
    start = t_idx - k * math.ceil((t_idx - first) / k)
    stop = t_idx + k * math.ceil((last - t_idx) / k)
    padded = np.zeros(stop - start)
    src_lo, src_hi = max(start, 0), min(stop, len(p))
    padded[src_lo - start : src_hi - start] = p[src_lo:src_hi]
    coarse = padded.reshape(-1, k).sum(axis=1)
    coarse_edges = edges[0] + h["width"] * (start + k * np.arange(len(coarse) + 1))
    return coarse_edges, coarse


def _risk_panel(ax: Any, result: Any, r: dict[str, Any], st: Style, narrow: bool) -> None:
    lang = st.lang
    threshold = float(r["threshold"])
    edges, p = coarsen(histogram(result, r["target_id"]), threshold, 30 if narrow else 36)
    met = edges[:-1] >= threshold - 1e-9 * max(1.0, abs(threshold))
    ax.stairs(np.where(met, 0, p), edges, fill=True, color="#a6a6a6", lw=0)
    ax.stairs(np.where(met, p, 0), edges, fill=True, color=L.STATUS_COLOURS["likely"], lw=0)
    ax.axvline(threshold, color=L.THRESHOLD_COLOUR, lw=1.0, ls=(0, (3, 2)))
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylim(0, p.max() * 1.12 if p.max() > 0 else 1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.yaxis.set_major_locator(MaxNLocator(3))
    ax.xaxis.set_major_locator(MaxNLocator(4 if narrow else 5))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _axis_num(v, lang)))
    ax.tick_params(labelsize=6.8, length=2, pad=1.5)
    title, size = _fit(st.text(L.target_label(r, lang)), ax, 7.8 if narrow else 8.3)
    ax.text(
        0,
        1.16,
        title,
        transform=ax.transAxes,
        fontsize=size,
        fontweight="bold",
        color=L.INK,
        va="bottom",
    )
    unit = L.unit_name(r["unit"], lang)
    xlabel = L.kind_text(r["kind"], int(r["deadline"]), lang)
    if unit:
        xlabel += f"（{unit}）" if lang == "zh" else f" ({unit})"
    ax.set_xlabel(xlabel, fontsize=6.6, color=L.MUTED, labelpad=1.5)
    sep = "  ·  "
    sub = t("risk_p", lang, p=L.pct(r["p_met"], 1)) + sep
    sub += t("risk_median", lang, m=L.num(r["judged_median"], lang))
    ax.text(0, 1.035, sub, transform=ax.transAxes, fontsize=7, color=L.INK, va="bottom")


# ================================================================== joint picture


def joint(result: Any, lang: str = "zh") -> Pages:
    """P(all) and P(all in each group); the distribution of the number of targets met."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        fig = new_page(t("joint_title", lang), "", footer_text(result, st), st)
        n_modelled = int(result.joint.loc["number_of_targets_modelled", "p"])
        # left: groups
        ax = fig.add_axes((0.19, 0.30, 0.27, 0.52))
        g = result.groups.copy()
        names = [t("joint_all", lang, n=n_modelled)]
        ps = [float(result.joint.loc["all_targets", "p"])]
        ses = [float(result.joint.loc["all_targets", "mc_se"])]
        for _, row in g.iterrows():
            names.append(
                L.group_name(row["group"], lang) + t("group_targets", lang, n=int(row["targets"]))
            )
            ps.append(float(row["p_all_met"]))
            ses.append(float(row["mc_se"]))
        ys = np.arange(len(names))[::-1]
        colours = [L.INK] + [L.FAN_COLOUR] * (len(names) - 1)
        ax.barh(ys, ps, color=colours, height=0.62, lw=0)
        ax.errorbar(
            ps, ys, xerr=1.96 * np.array(ses), fmt="none", ecolor=L.MUTED, lw=0.8, capsize=2
        )
        for y, p in zip(ys, ps, strict=True):
            ax.text(p + 0.02, y, L.pct(p, 1), va="center", fontsize=8, color=L.INK)
        ax.set_yticks(ys, [st.text(n) for n in names], fontsize=8.5)
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
        ax.xaxis.set_major_locator(MultipleLocator(0.25))
        ax.grid(axis="x", color="#e6e6e6", lw=0.5)
        ax.set_axisbelow(True)
        ax.set_title(t("joint_groups", lang), loc="left", fontsize=10, fontweight="bold", pad=10)
        # right: number met
        ax2 = fig.add_axes((0.56, 0.30, 0.40, 0.52))
        nm = result.n_met
        k = nm["targets_met"].to_numpy(dtype=int)
        prob = nm["probability"].to_numpy(dtype=float)
        ax2.bar(k, prob, width=0.8, color=L.FAN_COLOUR, lw=0)
        e = float(result.joint.loc["expected_number_met", "p"])
        ax2.axvline(e, color=L.INK, lw=1, ls=(0, (3, 2)))
        ax2.text(
            e + 0.4,
            prob.max() * 1.05,
            t("joint_expected", lang, e=f"{e:.1f}"),
            fontsize=8.5,
            color=L.INK,
            va="bottom",
        )
        nz = np.flatnonzero(prob > 1e-4)
        lo_k = max(0, int(nz.min()) - 1) if len(nz) else 0
        ax2.set_xlim(lo_k - 0.7, n_modelled + 0.7)
        ax2.set_ylim(0, prob.max() * 1.18)
        ax2.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax2.yaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 5, 10]))
        ax2.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=12))
        ax2.set_xlabel(t("joint_nmet_x", lang))
        ax2.set_ylabel(t("joint_nmet_y", lang))
        ax2.grid(axis="y", color="#e6e6e6", lw=0.5)
        ax2.set_axisbelow(True)
        ax2.set_title(t("joint_nmet", lang), loc="left", fontsize=10, fontweight="bold", pad=10)
        # P(at least k met) for half, 60 %, 70 %, 80 % and all of the targets
        at_least = np.cumsum(prob[::-1])[::-1]
        picks = sorted({math.ceil(f * n_modelled) for f in (0.5, 0.6, 0.7, 0.8)} | {n_modelled})
        fig.text(
            0.56,
            0.2,
            t("joint_at_least_title", lang),
            fontsize=8.5,
            fontweight="bold",
            color=L.INK,
            va="bottom",
        )
        step = 0.40 / len(picks)
        for i, kk in enumerate(picks):
            value = at_least[kk] if kk < len(at_least) else 0.0
            label = t("joint_at_least", lang, k=kk)
            fig.text(0.56 + i * step, 0.172, label, fontsize=7.5, color=L.MUTED, va="bottom")
            fig.text(
                0.56 + i * step,
                0.135,
                L.pct(value, 1),
                fontsize=12,
                fontweight="bold",
                color=L.INK,
                va="bottom",
            )
        text = L.wrapped(t("joint_text", lang), _columns(0.40, 9, lang))
        fig.text(LEFT, 0.215, text, fontsize=9, color=L.INK, va="top", linespacing=1.45)
        return [fig]


# ================================================================== co-failure


def cofailure(result: Any, lang: str = "zh") -> Pages:
    """Heat map of P(both missed) for every pair of targets, ordered by group; strongest pairs."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        fig = new_page(t("cofail_title", lang), t("cofail_note", lang), footer_text(result, st), st)
        rows = ordered_rows(result, modelled_only=True)
        ids = [r["target_id"] for r in rows if r["target_id"] in result.cofailure.index]
        by_id = {r["target_id"]: r for r in rows}
        m = result.cofailure.loc[ids, ids].to_numpy(dtype=float)
        n = len(ids)
        ax = fig.add_axes((0.225, 0.075, 0.40, 0.745))
        im = ax.imshow(m, cmap="Reds", vmin=0, vmax=1, interpolation="nearest", aspect="auto")
        ax.set_xticks(range(n), [str(i + 1) for i in range(n)], fontsize=6.2)
        labels = [
            f"{st.text(L.target_label(by_id[i], lang, with_condition=False))}  {j + 1:>2}"
            for j, i in enumerate(ids)
        ]
        ax.set_yticks(range(n), labels, fontsize=7)
        ax.tick_params(length=0, pad=2)
        ax.xaxis.tick_top()
        for s in ax.spines.values():
            s.set_visible(False)
        # group separators
        pos = 0
        for _g, members in _groups_in_order([by_id[i] for i in ids]):
            if pos:
                ax.axhline(pos - 0.5, color="white", lw=1.6)
                ax.axvline(pos - 0.5, color="white", lw=1.6)
            pos += len(members)
        cax = fig.add_axes((0.665, 0.11, 0.22, 0.014))
        cb = fig.colorbar(im, cax=cax, orientation="horizontal")
        cb.ax.tick_params(labelsize=7, length=2)
        cb.outline.set_linewidth(0.4)
        cb.formatter = PercentFormatter(1.0, decimals=0)
        cb.update_ticks()
        fig.text(0.665, 0.135, t("cofail_cbar", lang), fontsize=8, color=L.INK, va="bottom")
        # right: strongest pairs by correlation of misses
        x0 = 0.665
        column_heading(fig, x0, t("cofail_pairs", lang), 10)
        note_text = L.wrapped(t("cofail_pairs_note", lang), _columns(RIGHT - x0, 7.5, lang))
        fig.text(
            x0,
            CONTENT_TOP - 0.04,
            note_text,
            fontsize=7.5,
            color=L.MUTED,
            va="top",
            linespacing=1.35,
        )
        y = CONTENT_TOP - 0.04 - 0.022 * (note_text.count("\n") + 1) - 0.025
        for a, b, r_ab, p_ab in miss_pairs(m, ids)[:9]:
            la = st.text(L.target_label(by_id[a], lang))
            lb = st.text(L.target_label(by_id[b], lang))
            room = _columns(RIGHT - x0 - 0.075, 8, lang)
            fig.text(x0, y, L.shorten(la, room), fontsize=8, color=L.INK, va="top")
            fig.text(
                x0, y - 0.022, "+ " + L.shorten(lb, room - 3), fontsize=8, color=L.INK, va="top"
            )
            fig.text(
                RIGHT,
                y,
                t("cofail_corr", lang, r=f"{r_ab:.2f}"),
                fontsize=8,
                color=L.INK,
                ha="right",
                va="top",
                fontweight="bold",
            )
            fig.text(
                RIGHT, y - 0.022, L.pct(p_ab, 1), fontsize=7.5, color=L.MUTED, ha="right", va="top"
            )
            y -= 0.062
        return [fig]


def miss_pairs(m: np.ndarray, ids: list[str]) -> list[tuple[str, str, float, float]]:
    """Pairs of targets ranked by the correlation (phi) of their misses, strongest first."""
    p = np.clip(np.diag(m), 0, 1)
    out = []
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            denom = math.sqrt(p[i] * (1 - p[i]) * p[j] * (1 - p[j]))
            if denom < 1e-9:
                continue
            phi = (m[i, j] - p[i] * p[j]) / denom
            out.append((ids[i], ids[j], float(phi), float(m[i, j])))
    out.sort(key=lambda x: -x[2])
    return out


# ================================================================== assumptions


def levers_page(result: Any, lang: str = "zh") -> Pages:
    """The scenario's lever settings: setting, status quo, unit, annual cost; readings."""
    from sim.levers import levers

    with styled(lang, warn=False) as st:
        lang = st.lang
        fig = new_page(
            t("levers_title", lang),
            L.scenario_name(result.scenario.name, lang),
            footer_text(result, st),
            st,
        )
        settings = dict(result.manifest.get("scenario_levers") or result.scenario.levers)
        cols = [
            Column(t("col_lever", lang), 3.2),
            Column(t("col_clause", lang), 0.8),
            Column(t("col_setting", lang), 1.0, "right"),
            Column(t("col_status_quo", lang), 1.0, "right"),
            Column(t("col_unit", lang), 1.1),
            Column(t("col_cost", lang), 1.2, "right"),
        ]
        rows = []
        total = 0.0
        for lid, lever in levers().items():
            value = float(settings.get(lid, lever.status_quo))
            cost = lever.cost_wan(value)
            total += cost
            changed = value != lever.status_quo
            mark = ("▲ " if value > lever.status_quo else "▼ ") if changed else ""
            weight = "bold" if changed else "normal"
            rows.append(
                Row(
                    [
                        Cell(
                            mark + L.lever_name(lid, lever.name_zh, lever.name_en, lang),
                            weight=weight,
                        ),
                        Cell(L.clause(lever.clause, lang), color=L.MUTED),
                        Cell(L.num(value, "en"), weight=weight),
                        Cell(L.num(lever.status_quo, "en"), color=L.MUTED),
                        Cell(L.lever_unit(lever.unit, lang), color=L.MUTED),
                        Cell(L.num(cost, "en"), weight=weight),
                    ],
                    rule=True,
                )
            )
        rows.append(
            Row(
                [
                    Cell(t("total", lang), weight="bold"),
                    Cell(""),
                    Cell(""),
                    Cell(""),
                    Cell(""),
                    Cell(L.num(total, "en"), weight="bold"),
                ]
            )
        )
        height = (len(rows) + 1) * 0.0262
        draw_table(fig, (LEFT, CONTENT_TOP - height, 0.70, height), cols, rows, st, font_size=7.8)
        # right column: readings and assumptions, then the note
        x0 = 0.78
        column_heading(fig, x0, t("readings", lang), 9.5)
        sc = result.scenario
        y = CONTENT_TOP - 0.04
        rows_by_id = {r["target_id"]: r for r in ordered_rows(result)}
        for line, detail in _reading_lines(sc, rows_by_id, lang) or [
            (t("readings_none", lang), "")
        ]:
            text = L.wrapped(st.text(line), _columns(RIGHT - x0, 8, lang))
            fig.text(x0, y, text, fontsize=8, color=L.INK, va="top", fontweight="bold")
            y -= 0.022 * (text.count("\n") + 1)
            if detail:
                text = L.wrapped(st.text(detail), _columns(RIGHT - x0, 7.5, lang), max_lines=3)
                fig.text(x0, y, text, fontsize=7.5, color=L.MUTED, va="top", linespacing=1.3)
                y -= 0.019 * (text.count("\n") + 1)
            y -= 0.01
        if sc.assumptions:
            y -= 0.02
            fig.text(
                x0,
                y,
                t("assumptions_fixed", lang),
                fontsize=9.5,
                fontweight="bold",
                color=L.INK,
                va="top",
            )
            y -= 0.035
            for k, v in sc.assumptions.items():
                fig.text(x0, y, f"{k} = {v:g}", fontsize=8, color=L.INK, va="top")
                y -= 0.025
        text = L.wrapped(t("levers_note", lang), _columns(RIGHT - x0, 7.5, lang))
        fig.text(x0, y - 0.03, text, fontsize=7.5, color=L.MUTED, va="top", linespacing=1.4)
        return [fig]


def _reading_lines(sc: Any, rows_by_id: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """(target and reading, the catalogue's note on the reading) for each reading chosen."""
    from sim.targets import targets

    out = []
    for tid, name in sc.readings.items():
        row = rows_by_id.get(tid)
        subject = L.target_label(row, lang) if row else tid
        reading = targets()[tid].readings.get(name) if tid in targets() else None
        out.append((f"{subject} · {name}", reading.note if reading else ""))
    return out


PARAMS_PER_PAGE = 11
MAX_PARAM_PAGES = 2


def key_parameters(result: Any) -> list[dict[str, Any]]:
    """Parameters behind the at-risk targets, ranked (see the ``params_note`` text).

    For each at-risk target, :data:`sim.charts.labels.DRIVERS` lists the parameters of its
    indicator's equations, most direct first (its starting level or rate, then its trend,
    then noise); the elasticities of levers the scenario changes follow. A parameter's rank
    is its best position in any of those lists, then the number of at-risk targets it drives
    (more first), then assumptions before data-sourced values. Each entry: ``id``,
    ``prior``, ``targets`` (at-risk target ids), ``sourced``, ``rank``.
    """
    from sim.levers import levers
    from sim.priors import parameters

    priors = parameters()
    changed = result.scenario.changed_levers
    drives: dict[str, list[str]] = {}
    best: dict[str, int] = {}
    for r in sorted(ordered_rows(result, modelled_only=True), key=lambda r: r["p_met"]):
        if r["status"] != "at_risk":
            continue
        ind = r["indicator"]
        ids = list(L.DRIVERS.get(ind, ()))
        for lid in changed:
            lever = levers()[lid]
            if ind in lever.acts_on:
                ids.append(lever.elasticity_parameter(ind))
        for position, pid in enumerate(ids):
            if pid not in priors:
                continue
            drives.setdefault(pid, []).append(r["target_id"])
            best[pid] = min(best.get(pid, position), position)
    out = []
    for i, (pid, tids) in enumerate(drives.items()):
        prior = priors[pid]
        out.append(
            {
                "id": pid,
                "prior": prior,
                "targets": tids,
                "rank": best[pid],
                "_seen": i,
                "sourced": prior.basis.startswith("source:"),
            }
        )
    out.sort(key=lambda e: (e["rank"], -len(e["targets"]), e["sourced"], e["_seen"]))
    return out


@cache
def prior_summary(pid: str) -> tuple[float, float, float]:
    """Median and 5–95 % range of a prior (from 4,000 draws with a fixed seed)."""
    from sim.priors import parameters

    x = parameters()[pid].draw(np.random.default_rng(20230305), 4000)
    q = np.quantile(x, [0.5, 0.05, 0.95])
    return float(q[0]), float(q[1]), float(q[2])


def _fmt_prior(pid: str, lang: str) -> str:
    from sim.priors import parameters

    prior = parameters()[pid]
    if prior.dist == "fixed":
        return f"{prior.value:g}"
    med, lo, hi = prior_summary(pid)

    def f(v: float) -> str:
        return f"{v:.3g}".replace("-", "−")

    if lang == "zh":
        return f"{f(med)}（{f(lo)} 至 {f(hi)}）"
    return f"{f(med)} ({f(lo)} to {f(hi)})"


def params_pages(result: Any, lang: str = "zh") -> Pages:
    """The priors behind the at-risk targets, with their basis text (see :func:`key_parameters`)."""
    from sim.levers import levers

    with styled(lang, warn=False) as st:
        lang = st.lang
        entries = key_parameters(result)
        shown = entries[: PARAMS_PER_PAGE * MAX_PARAM_PAGES]
        rows_by_id = {r["target_id"]: r for r in ordered_rows(result)}
        figs = []
        cols = [
            Column(t("col_param", lang), 2.85),
            Column(t("col_prior", lang), 1.95),
            Column(t("col_basis", lang), 5.2),
            Column(t("col_drives", lang), 2.0),
        ]
        widths = _column_fracs(cols, RIGHT - LEFT)
        chunks = paginate(shown, PARAMS_PER_PAGE)
        for page_no, page in enumerate(chunks):
            fig = new_page(t("params_title", lang), "", footer_text(result, st), st)
            if not page:
                fig.text(0.5, 0.5, t("params_none", lang), ha="center", fontsize=14)
                figs.append(fig)
                continue
            rows = []
            for e in page:
                prior, pid = e["prior"], e["id"]
                if pid.startswith("lever."):
                    _, lid, _ind = pid.split(".", 2)
                    lever = levers()[lid]
                    name = t(
                        "elasticity_of",
                        lang,
                        lever=L.lever_name(lid, lever.name_zh, lever.name_en, lang),
                    )
                else:
                    name = L.param_name(pid, lang)
                name = name[:1].upper() + name[1:]
                name_text = L.wrapped(name, _columns(widths[0], 7.8, lang) - 2, max_lines=2)
                name_text += "\n" + L.shorten(pid, _columns(widths[0], 7.8, "en") - 6)
                prior_text = L.wrapped(
                    _fmt_prior(pid, lang), _columns(widths[1], 7.8, lang) - 2, max_lines=2
                )
                prior_text += "\n" + L.wrapped(
                    prior.unit, _columns(widths[1], 7.8, "en") - 4, max_lines=1
                )
                tag = t("source_tag" if e["sourced"] else "assumption_tag", lang)
                basis = prior.basis.split(":", 1)[1].strip()
                basis_text = L.wrapped(
                    f"{tag} {basis}", int(_columns(widths[2], 7.0, "en") * 0.9), max_lines=4
                )
                joiner = "、" if lang == "zh" else ", "
                names = [
                    L.target_label(rows_by_id[x], lang, with_condition=False) for x in e["targets"]
                ]
                drive_text = L.wrapped(
                    joiner.join(names), _columns(widths[3], 7.5, lang) - 2, max_lines=4
                )
                rows.append(
                    Row(
                        [
                            Cell(name_text, size=7.8),
                            Cell(prior_text, size=7.8),
                            Cell(st.text(basis_text), size=7.0, color="#404040"),
                            Cell(drive_text, size=7.5),
                        ],
                        rule=True,
                    )
                )
            row_h, head_h = 0.064, 0.035
            height = len(rows) * row_h + head_h
            draw_table(
                fig,
                (LEFT, CONTENT_TOP - height, RIGHT - LEFT, height),
                cols,
                rows,
                st,
                font_size=7.8,
                row_height=row_h,
                header_height=head_h,
            )
            text = t("params_note", lang)
            if page_no == len(chunks) - 1 and len(entries) > len(shown):
                more = t("params_more", lang, n=len(entries) - len(shown))
                text += (" " if lang == "en" else "") + more
            note(fig, L.wrapped(text, _columns(RIGHT - LEFT, 7.2, lang) - 4), st, size=7.2)
            figs.append(fig)
        return figs


def _column_fracs(cols: list[Column], total_width: float) -> list[float]:
    s = sum(c.width for c in cols)
    return [total_width * c.width / s for c in cols]


# ================================================================== registry

PageFunction = Callable[[Any, str], Pages]

SCENARIO_PAGES: list[tuple[str, PageFunction]] = [
    ("cover", cover),
    ("table", status_table),
    ("pmet", pmet_bars),
    ("fans", fan_charts),
    ("at_risk", risk_distributions),
    ("joint", joint),
    ("cofailure", cofailure),
    ("levers", levers_page),
    ("assumptions", params_pages),
]
