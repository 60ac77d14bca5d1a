"""What the latest figures changed: each target's P(met) before → after the actuals, its status
before and after and the figure that moved it most; the figures themselves with where each fell
in the model's view before; and the effective draws the update rests on, with its warnings.

Drawn only for a run conditioned on actuals (:mod:`sim.update`): for any other result the page
function returns no page, so the pack leaves it out. What it shows is computed in
:mod:`sim.results.changes` and :mod:`sim.analysis.actuals`.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MultipleLocator
from matplotlib.transforms import Transform, blended_transform_factory

from sim.analysis.actuals import change_rows
from sim.catalogue import indicators
from sim.charts import labels as L
from sim.charts.common import Pages, columns, points
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
    footer_text,
    new_page,
    note,
    styled,
)
from sim.results import Result

ROW_H = 0.031  # height of a target's row (figure fraction)
MAX_ROWS = 14  # rows of the before → after chart, the bands included
MAX_ACTUALS = 8  # rows of the table of figures (the rest are counted under it)
AXES = (0.27, 0.27)  # left and width of the P(met) axis (figure fraction)
CHANGE_X = 0.628  # right edge of the change column
STATUS_X = (0.675, 0.717, 0.759)  # the status before, the arrow, the status after
MOVED_X = 0.805  # left edge of the "moved most by" column
TABLES_TOP = 0.395  # top of the tables of figures and of effective draws (at most 5 figures)
TABLES_BOTTOM = 0.125  # the tables end above the note
ACTUAL_ROW_H, HEAD_H = 0.034, 0.042  # rows of the tables (figure fraction)
ESS_X = 0.655  # left edge of the effective-draws block
GREY = "#a6a6a6"


def changes_page(result: Result, lang: str = "zh") -> Pages:
    """One page for a run with actuals (none otherwise): P(met) before → after, the figures,
    the effective draws."""
    if not result.has_actuals:
        return []
    with styled(lang, warn=False) as st:
        lang = st.lang
        acts = result.actuals()
        spans = sorted(zip(acts["year"], acts["months"], strict=True))
        first, last = (L.period_text(int(y), int(m), lang) for y, m in (spans[0], spans[-1]))
        key = "chg_subtitle" if first != last else "chg_subtitle_one"
        subtitle = t(key, lang, n=len(acts), first=first, last=last)
        fig = new_page(t("chg_title", lang), subtitle, footer_text(result, st), st)
        # more figures push the tables up and leave fewer rows for the targets
        shown = min(len(acts), MAX_ACTUALS)
        top = max(TABLES_TOP, TABLES_BOTTOM + 0.035 + HEAD_H + ACTUAL_ROW_H * shown)
        _changes(fig, change_rows(result), st, top)
        _actuals_table(fig, acts, st, top)
        _effective_draws(fig, result, st, top)
        note(fig, L.wrapped(t("chg_note", lang), columns(RIGHT - LEFT, 7.2, lang)), st,
             y=0.06, size=7.2)  # fmt: skip
        return [fig]


def _slots(rows: list[dict[str, Any]], room: int) -> tuple[list[tuple[str, Any]], int, int]:
    """The chart's rows top down — a band of clear changes, its targets, a band of unclear
    ones and the largest of them (status changes first) — and how many clear and unclear
    targets are left out."""
    clear = [r for r in rows if r["clear"]]
    unclear = [r for r in rows if not r["clear"]]
    n_clear = min(len(clear), max(room - 2 - min(len(unclear), 3), 1))
    slots: list[tuple[str, Any]] = [("band", "chg_clear" if clear else "chg_none_clear")]
    slots += [("target", r) for r in clear[:n_clear]]
    n_unclear = max(0, min(len(unclear), room - len(slots) - 1))
    if n_unclear:
        moved = sorted(unclear, key=lambda r: (r["status_before"] == r["status_after"],
                                               -abs(r["difference"])))  # fmt: skip
        keep = {id(r) for r in moved[:n_unclear]}
        slots.append(("band", "chg_unclear"))
        slots += [("target", r) for r in unclear if id(r) in keep]
    return slots, len(clear) - n_clear, len(unclear) - n_unclear


def _changes(fig: Figure, rows: list[dict[str, Any]], st: Style, tables_top: float) -> None:
    """The before → after chart of the targets, with the change, status and figure columns."""
    lang = st.lang
    column_heading(fig, LEFT, t("chg_heading", lang))
    _changes_legend(fig, lang)
    top = CONTENT_TOP - 0.085
    room = min(MAX_ROWS, int((top - tables_top - 0.045) / ROW_H))
    slots, hidden_clear, hidden = _slots(rows, room)
    n = len(slots)
    ax = fig.add_axes((AXES[0], top - n * ROW_H, AXES[1], n * ROW_H))
    tf = blended_transform_factory(fig.transFigure, ax.transData)
    header_y = top + 0.047
    for x, key, ha in ((CHANGE_X, "chg_col_change", "right"), (STATUS_X[1], "chg_col_status",
                       "center"), (MOVED_X, "chg_col_moved", "left")):  # fmt: skip
        fig.text(x, header_y, t(key, lang), fontsize=7.5, fontweight="bold", color=L.MUTED,
                 ha=ha, va="center", linespacing=1.1)  # fmt: skip
    ticks, names, colours = [], [], []
    for y, (kind, item) in zip(range(n - 1, -1, -1), slots, strict=True):
        if kind == "band":
            _band(fig, tf, y, t(item, lang))
            continue
        _dumbbell(ax, y, item)
        _row_text(fig, tf, y, item, st)
        ticks.append(y)
        names.append(st.text(L.target_label(item, lang)))
        colours.append(L.INK if item["clear"] else L.MUTED)
    ax.set_yticks(ticks, names, fontsize=7.8)
    for label, colour in zip(ax.get_yticklabels(), colours, strict=True):
        label.set_color(colour)
    _style_axis(ax, n)
    more = [t("chg_more", lang, n=k) for k in (hidden,) if k]
    if hidden_clear:
        more.insert(0, t("chg_more_clear", lang, n=hidden_clear))
    if more:
        fig.text(LEFT, top - n * ROW_H - 0.012, t("sentence_gap", lang).join(more), fontsize=7.3,
                 color=L.MUTED,
                 va="top")  # fmt: skip


def _band(fig: Figure, tf: Transform, y: float, text: str) -> None:
    """A grey band across the page at row ``y`` with a section's name in bold."""
    fig.add_artist(Rectangle((LEFT - 0.004, y - 0.5), RIGHT - LEFT + 0.004, 1.0, transform=tf,
                             facecolor="#efefef", lw=0, zorder=0))  # fmt: skip
    fig.text(LEFT, y, text, transform=tf, fontsize=8.2, fontweight="bold", color=L.INK,
             va="center")  # fmt: skip


def _dumbbell(ax: Axes, y: float, r: dict[str, Any]) -> None:
    """Before (hollow) → after (filled, status colour), and ± 2 SE of the change at the after."""
    before, after, se2 = r["p_before"], r["p_after"], 2 * r["difference_se"]
    clear = r["clear"]
    ax.plot([before, after], [y, y], color="#8c8c8c" if clear else "#d0d0d0", lw=2.2,
            solid_capstyle="butt", zorder=2)  # fmt: skip
    lo, hi = max(after - se2, 0.0), min(after + se2, 1.0)
    ink = L.INK if clear else GREY
    ax.plot([lo, hi], [y, y], color=ink, lw=0.8, zorder=3, solid_capstyle="butt")
    for end in (lo, hi):
        ax.plot([end, end], [y - 0.2, y + 0.2], color=ink, lw=0.8, zorder=3)
    ax.plot([before], [y], "o", mfc="white", mec=ink, mew=1.1, ms=6, zorder=4)
    fill = L.STATUS_COLOURS[r["status_after"]] if clear else "#cfcfcf"
    ax.plot([after], [y], "o", color=fill, mec=ink, mew=0.7, ms=6.5, zorder=5)


def _row_text(fig: Figure, tf: Transform, y: float, r: dict[str, Any], st: Style) -> None:
    """The change ± 2 SE, the status before → after, and the figure that moved it most."""
    lang = st.lang
    colour = L.INK if r["clear"] else L.MUTED
    change = f"{points(r['difference'])} ± {200 * r['difference_se']:.1f}"
    fig.text(CHANGE_X, y, change, transform=tf, fontsize=7.8, color=colour, ha="right",
             va="center", fontweight="bold" if r["clear"] else "normal")  # fmt: skip
    before, after = r["status_before"], r["status_after"]
    alpha = 1.0 if r["clear"] else 0.55
    if before == after:
        _chip(fig, tf, STATUS_X[0], y, before, lang, alpha)
        fig.text(STATUS_X[1] - 0.005, y, t("chg_unchanged", lang), transform=tf, fontsize=7.2,
                 color=L.MUTED, va="center")  # fmt: skip
    else:
        _chip(fig, tf, STATUS_X[0], y, before, lang, alpha)
        fig.text(STATUS_X[1], y, "→", transform=tf, fontsize=8.5, color=colour, ha="center",
                 va="center")  # fmt: skip
        _chip(fig, tf, STATUS_X[2], y, after, lang, alpha)
    moved = r["moved_by"]
    if moved is None:
        text = t("chg_no_single" if r["clear"] else "chg_no_actual", lang)
    else:
        text = moved["label"]  # an actual not in the table of actuals: as the run named it
        if "indicator" in moved:
            name = L.pick((moved["name_zh"], moved["name_en"]), lang)
            text = f"{name} {L.period_text(int(moved['year']), int(moved['months']), lang)}"
        text = L.wrapped(text, columns(RIGHT - MOVED_X, 7.3, lang), max_lines=2)
    fig.text(MOVED_X, y, st.text(text), transform=tf, fontsize=7.3, color=colour, va="center",
             linespacing=1.05)  # fmt: skip


def _chip(fig: Figure, tf: Transform, x: float, y: float, status: str, lang: str,
          alpha: float) -> None:  # fmt: skip
    """A status name on its colour, centred at ``x``."""
    fig.text(x, y, L.status_name(status, lang), transform=tf, fontsize=7.0, ha="center",
             va="center", color=L.STATUS_TEXT_COLOURS.get(status, L.INK), alpha=max(alpha, 0.8),
             bbox={"facecolor": L.STATUS_COLOURS.get(status, L.MUTED), "edgecolor": "none",
                   "pad": 1.6, "alpha": alpha})  # fmt: skip


def _style_axis(ax: Axes, n: int) -> None:
    """P(met) in per cent on top, the 50 % and 80 % lines, a light grid."""
    ax.set_ylim(-0.5, n - 0.5)
    ax.set_xlim(-0.02, 1.02)
    ax.patch.set_alpha(0)
    ax.xaxis.set_major_locator(MultipleLocator(0.2))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
    ax.xaxis.tick_top()
    ax.tick_params(axis="x", labelsize=7.2, length=2, pad=1.5)
    ax.tick_params(axis="y", length=0, pad=4)
    for side in ("left", "right", "bottom"):
        ax.spines[side].set_visible(False)
    for v in (0.5, 0.8):
        ax.axvline(v, color=L.INK, lw=0.6, ls=(0, (4, 3)), zorder=1)
    ax.grid(axis="x", color="#e6e6e6", lw=0.5, zorder=0)
    ax.set_axisbelow(True)


def _changes_legend(fig: Figure, lang: str) -> None:
    handles = [
        Line2D([], [], marker="o", ls="", mfc="white", mec=L.INK, ms=6,
               label=t("chg_legend_before", lang)),
        Line2D([], [], marker="o", ls="", color=L.STATUS_COLOURS["uncertain"], mec=L.INK,
               ms=6.5, label=t("chg_legend_after", lang)),
        Line2D([], [], color=L.INK, lw=0.8, marker="|", ms=6, label=t("chg_legend_se", lang)),
    ]  # fmt: skip
    fig.legend(handles=handles, loc="upper right", bbox_to_anchor=(RIGHT, CONTENT_TOP + 0.004),
               ncol=3, fontsize=7.5, frameon=False, borderaxespad=0, handletextpad=0.4,
               columnspacing=1.4)  # fmt: skip


def _actuals_table(fig: Figure, acts: pd.DataFrame, st: Style, top: float) -> None:
    """The figures: indicator, period, value (annualised if a year-to-date flow), where it fell
    before the update, and whether it is preliminary or on a changed definition."""
    lang = st.lang
    fig.text(LEFT, top, t("chg_actuals_heading", lang), fontsize=10, fontweight="bold",
             color=L.INK, va="top")  # fmt: skip
    cols = [Column(t("chg_col_indicator", lang), 3.0), Column(t("chg_col_period", lang), 1.3),
            Column(t("chg_col_value", lang), 2.3, "right"),
            Column(t("chg_col_percentile", lang), 1.8, "right"), Column("", 0.2),
            Column(t("chg_col_note", lang), 1.4)]  # fmt: skip
    width = ESS_X - 0.03 - LEFT
    name_cols = columns(width * 3.0 / 10.0, 7.6, lang) - 2
    rows = [_actual_row(a, name_cols, st) for a in acts.head(MAX_ACTUALS).to_dict("records")]
    height = HEAD_H + ACTUAL_ROW_H * len(rows)
    bottom = draw_table(fig, (LEFT, top - 0.025 - height, width, height), cols, rows, st,
                        font_size=7.6, header_size=7.2, row_height=ACTUAL_ROW_H,
                        header_height=HEAD_H)  # fmt: skip
    if len(acts) > MAX_ACTUALS:
        fig.text(LEFT, bottom - 0.01, t("chg_more_actuals", lang, n=len(acts) - MAX_ACTUALS),
                 fontsize=7.2, color=L.MUTED, va="top")  # fmt: skip


def _actual_row(a: dict[str, Any], name_cols: int, st: Style) -> Row:
    lang = st.lang
    unit = indicators()[a["indicator"]].unit
    value = L.value_with_unit(a["value"], unit, lang)
    months = int(a["months"])
    if months < 12 and indicators()[a["indicator"]].type == "flow":
        value += "\n" + t("chg_annualised", lang, v=L.value_with_unit(a["annualised"], unit, lang))
    p = float(a["prior_percentile"])
    where, weight, colour = "–", "normal", L.INK
    if math.isfinite(p):
        where = t("chg_percentile", lang, p=min(max(round(100 * p), 0), 100))
        if p < 0.05 or p > 0.95:
            tail = t("chg_far_below" if p < 0.05 else "chg_far_above", lang)
            where, weight, colour = f"{where}\n{tail}", "bold", L.STATUS_COLOURS["at_risk"]
    notes = [t("chg_preliminary", lang)] if a["status"] == "preliminary" else []
    notes += [t("chg_definition", lang)] if a["definition_changed"] else []
    name = L.pick((a["name_zh"], a["name_en"]), lang)
    return Row([
        Cell(L.wrapped(name, name_cols, max_lines=2)),
        Cell(L.period_text(int(a["year"]), months, lang)),
        Cell(value),
        Cell(where, weight=weight, color=colour),
        Cell(""),
        Cell(L.wrapped(t("enumeration", lang).join(notes), 18, max_lines=2), size=7.2),
    ], rule=True)  # fmt: skip


def _effective_draws(fig: Figure, result: Result, st: Style, top: float) -> None:
    """Effective draws after each year with figures, and the warnings of the update."""
    lang = st.lang
    update = result.manifest.get("update", {})
    warn = int(update.get("ess_warn_below", 0))
    draws = int(result.manifest["draws"])
    fig.text(ESS_X, top, t("chg_ess_heading", lang), fontsize=10, fontweight="bold",
             color=L.INK, va="top")  # fmt: skip
    cols = [Column(t("chg_col_upto", lang), 0.9), Column(t("chg_col_figures", lang), 0.9, "right"),
            Column(t("chg_col_ess", lang), 1.6, "right"),
            Column(t("chg_col_needed", lang, warn=f"{warn:,}"), 1.6, "right")]  # fmt: skip
    rows, lines = [], []
    for r in result.effective_draws().to_dict("records"):
        low = r["ess"] < warn
        needed = "–" if not low or not math.isfinite(r["draws_needed"]) \
            else f"{int(r['draws_needed']):,}"  # fmt: skip
        cell = t("chg_ess_cell", lang, ess=f"{r['ess']:,.0f}", share=L.pct(r["ess_share"]))
        colour = L.STATUS_COLOURS["at_risk"] if low else L.INK
        rows.append(Row([Cell(L.period_text(int(r["year"]), 12, lang)), Cell(str(r["actuals"])),
                         Cell(cell, color=colour, weight="bold" if low else "normal"),
                         Cell(needed)], rule=True))  # fmt: skip
        if low:
            lines.append(t("chg_ess_warn", lang, year=int(r["year"]), ess=f"{r['ess']:,.0f}",
                           draws=f"{draws:,}", warn=f"{warn:,}", needed=needed))  # fmt: skip
    # the warning of the last year the table marks: the result rests on all the figures (the
    # earlier years' warnings say the same of fewer figures, and would not fit)
    lines = lines[-1:] + [_other_warning(w, lang, update) for w in result.warnings
                          if not w.startswith("after the actuals of")]  # fmt: skip
    height = HEAD_H + 0.028 * len(rows)
    bottom = draw_table(fig, (ESS_X, top - 0.025 - height, RIGHT - ESS_X, height), cols,
                        rows, st, font_size=7.6, header_size=7.2, row_height=0.028,
                        header_height=HEAD_H)  # fmt: skip
    text = "\n\n".join(L.wrapped(line, columns(RIGHT - ESS_X, 7.2, lang) - 2)
                       for line in (lines or [t("chg_ess_ok", lang)]))  # fmt: skip
    fig.text(ESS_X, bottom - 0.012, st.text(text), fontsize=7.2, va="top", linespacing=1.3,
             color=L.STATUS_COLOURS["at_risk"] if lines else L.MUTED)  # fmt: skip


def _other_warning(text: str, lang: str, update: dict) -> str:
    """A warning of the update other than a low effective sample, in the page's language
    where the text catalogue has it (a tempered update, weights capped), else as written."""
    if "weights were capped" in text:
        return t("chg_warn_capped", lang)
    power = float(update.get("likelihood_power", 1.0))
    if "weighted at power" in text and power < 1:
        return t("chg_warn_tempered", lang, power=f"{power:.2f}",
                 widen=f"{1 / power**0.5:.1f}")  # fmt: skip
    return text
