"""How far to trust these numbers: the backtest's coverage, the reference class behind each
headline target, and each target's inside view beside its outside view and the model's
interval; and the PIT histogram that ``sim backtest`` saves.

Everything shown is computed elsewhere: the backtest in :mod:`sim.checks.backtest` (once per
pack, cached), the reference classes and the two views in :mod:`sim.analysis.outside_view`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from sim.analysis import rows_in_policy_order
from sim.analysis.outside_view import InsideOutside, class_summary, inside_outside, model_indicator
from sim.catalogue import indicators
from sim.catalogue.pooling import reference_classes
from sim.charts import labels as L
from sim.charts.common import Pages, axis_num, columns, fit_title
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
from sim.checks.backtest import (
    GOAL,
    GOAL_MIN_CASES,
    OVERALL,
    Backtest,
    cached_backtest,
    trends_by_class,
)
from sim.results import Result

INSIDE_COLOUR = "#6b6b6b"
OUTSIDE_COLOUR = "#c46a1b"
MODEL_COLOUR = L.FAN_COLOUR
BAND_COLOUR = "#dcebd9"
THIN = 5  # fewer three-year changes than this: drawn as points, not as quantiles
BAND_EDGE = L.STATUS_COLOURS["likely"]


def trust_page(result: Result, lang: str = "zh") -> Pages:
    """One page: backtest coverage, reference classes, and inside against outside view."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        bt = cached_backtest()
        fig = new_page(t("trust_title", lang), t("trust_subtitle", lang),
                       footer_text(result, st), st)  # fmt: skip
        column_heading(fig, LEFT, t("trust_cov_heading", lang, d=f"{bt.draws:,}"))
        _coverage(fig.add_axes((LEFT + 0.04, 0.56, 0.40, 0.255)), bt, st)
        column_heading(fig, 0.555, t("trust_class_heading", lang))
        _classes(fig, (0.555, 0.585, RIGHT - 0.555, 0.25), st)
        rows = {r["indicator"]: r for r in rows_in_policy_order(result, modelled_only=True)
                if r["kind"] == "level"}  # fmt: skip
        views = [v for v in inside_outside(result) if v.indicator in rows]
        fig.text(LEFT, 0.492, t("trust_views_heading", lang), fontsize=10, fontweight="bold",
                 color=L.INK, va="top")  # fmt: skip
        w = (RIGHT - LEFT - 0.04) / max(len(views), 1)
        for i, v in enumerate(views):
            ax = fig.add_axes((LEFT + 0.04 + i * w, 0.21, w - 0.075, 0.185))
            _views(ax, v, rows[v.indicator], st)
        _views_legend(fig, lang)
        note(fig, L.wrapped(t("trust_note", lang), columns(RIGHT - LEFT, 7.2, lang)), st,
             y=0.058, size=7.2)  # fmt: skip
        return [fig]


def _class_name(class_id: str, lang: str) -> str:
    ind = indicators().get(model_indicator(class_id) or "")
    if ind is None:
        return class_id
    return ind.name_zh if lang == "zh" else ind.name_en


def _short_class_name(class_id: str, lang: str) -> str:
    return t(f"trust_short_{class_id}", lang) if f"trust_short_{class_id}" in L.texts()["en"] \
        else _class_name(class_id, lang)  # fmt: skip


def _coverage(ax: Any, bt: Backtest, st: Style) -> None:
    """Bars of 50 % and 90 % coverage per class and overall, goal bands behind them."""
    lang = st.lang
    cov = bt.coverage()
    names = [*trends_by_class(), OVERALL]  # breaks-only classes have no forecast to test
    width = 0.36
    for i, cid in enumerate(names):
        label = t("trust_overall", lang) if cid == OVERALL else _short_class_name(cid, lang)
        ax.text(i, -0.08, st.text(label), ha="center", va="top", fontsize=7.8, color=L.INK,
                transform=ax.get_xaxis_transform())  # fmt: skip
        n = int(cov.loc[cid, "cases"]) if cid in cov.index else 0
        if n < GOAL_MIN_CASES:  # a bar of a handful of cases would look like evidence
            text = t("trust_no_cases", lang) + (t("trust_cases_few", lang, n=n) if n else "")
            ax.text(i, 0.5, text, ha="center", va="center", fontsize=7.5, color=L.MUTED)
            continue
        r = cov.loc[cid]
        for j, key in enumerate(("cover50", "cover90")):
            x = i + (j - 0.5) * (width + 0.04)
            lo, hi = GOAL[key]
            ax.add_patch(Rectangle((x - width / 2 - 0.03, lo), width + 0.06, hi - lo, lw=0,
                                   color=BAND_COLOUR, zorder=0))  # fmt: skip
            # the band's edges drawn over the bar, so the goal shows where the bar reaches it
            for edge in (lo, hi):
                ax.plot([x - width / 2 - 0.03, x + width / 2 + 0.03], [edge, edge], lw=1.1,
                        color=BAND_EDGE, zorder=3, solid_capstyle="butt")  # fmt: skip
            colour = MODEL_COLOUR if j else "#9ab7d6"
            ax.bar(x, r[key], width, color=colour, zorder=2)
            se = 2 * r[f"{key}_se_units"]
            ax.errorbar(x, r[key], yerr=se, color=L.INK, lw=0.8, capsize=2, zorder=3)
            ax.text(x, min(r[key] + se, 1.0) + 0.015, L.pct(r[key]), ha="center",
                    va="bottom", fontsize=7.2, color=L.INK, zorder=4)  # fmt: skip
        cases = t("trust_cases", lang, n=int(r["cases"]), u=int(r["units"]))
        ax.text(i, -0.17, cases, ha="center",
                va="top", fontsize=7, color=L.MUTED,
                transform=ax.get_xaxis_transform())  # fmt: skip
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.set_ylim(0, 1.1)
    ax.set_xticks([])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_yticks([0, 0.25, 0.5, 0.75, 0.9, 1.0])
    ax.tick_params(labelsize=7.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = [Patch(color="#9ab7d6", label=t("trust_cov_50", lang)),
               Patch(color=MODEL_COLOUR, label=t("trust_cov_90", lang)),
               Patch(facecolor=BAND_COLOUR, edgecolor=BAND_EDGE,
                     label=t("trust_goal", lang))]  # fmt: skip
    ax.legend(handles=handles, loc="lower right", fontsize=7, frameon=False, ncol=3,
              bbox_to_anchor=(1.0, 1.0), borderaxespad=0.2)  # fmt: skip


def _classes(fig: Figure, rect: tuple[float, float, float, float], st: Style) -> None:
    """The reference class behind each pooled target: who, how many units and unit-years."""
    lang = st.lang
    cols = [Column(t("trust_col_indicator", lang), 2.7), Column(t("trust_col_peers", lang), 2.9),
            Column(t("trust_col_units", lang), 0.8, "right"),
            Column(t("trust_col_unit_years", lang), 1.3, "right"),
            Column(t("trust_col_years", lang), 1.4, "right"),
            Column(t("trust_col_breaks", lang), 0.9, "right")]  # fmt: skip
    x0, y0, w, h = rect
    classes = reference_classes()
    rows = []
    for r in class_summary().to_dict("records"):
        cls = classes[r["class"]]
        peers = (cls.peers_zh if lang == "zh" else cls.peers_en) or r["class"]
        rows.append(Row([
            Cell(L.wrapped(_class_name(r["class"], lang), columns(w * 2.7 / 10.0, 7.6, lang) - 2,
                           3)),
            Cell(L.wrapped(peers, columns(w * 2.9 / 10.0, 7.6, lang) - 2, 3)),
            Cell(str(r["units"])), Cell(str(r["unit_years"])),
            Cell(f"{r['first_year']}–{r['last_year']}"), Cell(str(r["breaks"])),
        ]))  # fmt: skip
    draw_table(fig, (x0, y0 + 0.03, w, h - 0.04), cols, rows, st, font_size=7.6,
               header_size=7.4)  # fmt: skip
    fig.text(x0, y0 - 0.005, L.wrapped(t("trust_class_note", lang), columns(w, 7.0, lang)),
             fontsize=7.0, color=L.MUTED, va="top")  # fmt: skip


def _views(ax: Any, v: InsideOutside, row: dict[str, Any], st: Style) -> None:
    """Qidong's points and own trend, the peers' spread and the model's interval at 2025."""
    lang = st.lang
    end = v.origin + v.horizon
    years = sorted(v.own)
    ax.plot(years, [v.own[y] for y in years], "o", color=L.INK, ms=4, zorder=4)
    if v.inside:
        ys = sorted(v.inside)
        ax.plot(ys, [v.inside[y] for y in ys], ls=(0, (4, 2)), color=INSIDE_COLOUR, lw=1.2)
    _interval(ax, end - 0.22, v.outside, OUTSIDE_COLOUR, v.points if v.cases < THIN else ())
    _interval(ax, end + 0.22, v.model, MODEL_COLOUR, ())
    threshold = float(row["threshold"])
    ax.axhline(threshold, color=L.THRESHOLD_COLOUR, lw=0.9, ls=(0, (1, 1.5)), zorder=1)
    ax.text(years[0] - 0.3, threshold, t("trust_threshold", lang, v=L.num(threshold, lang)),
            fontsize=6.8, color=L.INK, va="bottom")  # fmt: skip
    ax.set_xlim(years[0] - 0.5, end + 0.7)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=7))
    ax.yaxis.set_major_locator(MaxNLocator(5))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: axis_num(x, lang)))
    ax.tick_params(labelsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    lines = [t("trust_view_sub", lang, n=v.cases, u=v.units) if v.cases >= THIN
             else t("trust_thin_class", lang, n=v.cases, u=v.units)]  # fmt: skip
    if not v.inside:
        lines.append(t("trust_one_point", lang))
    ax.text(0, 1.02, "\n".join(lines), transform=ax.transAxes, fontsize=6.6, color=L.MUTED,
            va="bottom", linespacing=1.3)  # fmt: skip
    title, size = fit_title(st.text(L.target_label(row, lang)), ax, 8.6)
    ax.set_title(title, fontsize=size, fontweight="bold", color=L.INK, loc="left",
                 pad=6 + 9 * len(lines))  # fmt: skip


def _interval(ax: Any, x: float, q: dict[str, float], colour: str, points: tuple) -> None:
    """A 5–95 % whisker with a 25–75 % box and the median; or the few points themselves."""
    if points:
        ax.plot([x] * len(points), points, "D", color=colour, ms=4, zorder=3)
        return
    if not q:
        return
    ax.plot([x, x], [q["q05"], q["q95"]], color=colour, lw=1.4, zorder=2)
    ax.add_patch(Rectangle((x - 0.13, q["q25"]), 0.26, q["q75"] - q["q25"], color=colour,
                           zorder=3))  # fmt: skip
    ax.plot([x - 0.13, x + 0.13], [q["q50"]] * 2, color="white", lw=1.2, zorder=4)


def _views_legend(fig: Figure, lang: str) -> None:
    handles = [
        Line2D([], [], marker="o", ls="", color=L.INK, ms=4, label=t("trust_own", lang)),
        Line2D([], [], ls=(0, (4, 2)), color=INSIDE_COLOUR, label=t("trust_inside", lang)),
        Patch(color=OUTSIDE_COLOUR, label=t("trust_outside", lang)),
        Patch(color=MODEL_COLOUR, label=t("trust_model", lang)),
        Line2D([], [], ls=(0, (1, 1.5)), color=L.THRESHOLD_COLOUR, label=t("trust_target", lang)),
    ]
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(LEFT, 0.118), ncol=5,
               fontsize=7.4, frameon=False)  # fmt: skip


def pit_figure(bt: Backtest, lang: str = "zh") -> Figure:
    """The PIT histogram of the backtest per class and overall (flat when calibrated)."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        foot = f"{t('footer', lang)}  ·  {t('pit_footer', lang, d=f'{bt.draws:,}', s=bt.seed)}"
        fig = new_page(t("pit_title", lang), t("pit_subtitle", lang), foot, st)
        cov = bt.coverage()
        names = [c for c in cov.index if cov.loc[c, "cases"] > 0]
        w = (RIGHT - LEFT - 0.03) / max(len(names), 1)
        for i, cid in enumerate(names):
            ax = fig.add_axes((LEFT + 0.04 + i * w, 0.2, w - 0.06, CONTENT_TOP - 0.3))
            share = bt.pit_histogram(cls=None if cid == OVERALL else cid)
            edges = np.linspace(0, 1, len(share) + 1)
            ax.stairs(share, edges, fill=True, color=MODEL_COLOUR, lw=0)
            ax.axhline(1 / len(share), color=L.INK, lw=0.9, ls=(0, (3, 2)))
            ax.set_xlim(0, 1)
            ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            ax.tick_params(labelsize=7.5)
            name = t("trust_overall", lang) if cid == OVERALL else _class_name(cid, lang)
            title, size = fit_title(st.text(name), ax, 9.5)
            ax.set_title(title, fontsize=size, fontweight="bold", loc="left", color=L.INK)
            ax.set_xlabel(t("pit_xlabel", lang, n=int(cov.loc[cid, "cases"])), fontsize=7.5)
        note(fig, t("pit_note", lang), st)
        return fig
