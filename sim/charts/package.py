"""The page "the cheapest package" (最低成本方案): the measures the package changes and their
extra cost, P(met) of the targets now, in the search and in the re-check on fresh draws (the
winner's curse shows as the gap), the targets out of reach and the runners-up.

What it shows is computed in :mod:`sim.analysis.optimise` and :mod:`sim.analysis.package`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sim.analysis.package import PackageSearch
from sim.charts import labels as L
from sim.charts.common import Pages, columns
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
    new_page,
    note,
    styled,
)
from sim.charts.requirements import HIGH_COLOUR, LOW_COLOUR, target_row
from sim.levers import levers
from sim.targets import groups

LEFT_WIDTH = 0.40
AXES_LEFT = 0.66
MAX_TARGETS = 14  # targets on the chart: the named ones, then those the package moved most
NOW_COLOUR = "#9e9e9e"
MONEY_UNIT = "万元/年"  # levers in this unit are their own cost; others get their unit shown


def _pct(level: float) -> str:
    return f"{100 * level:g}%"


def package_page(pkg: PackageSearch, lang: str = "zh") -> Pages:
    """One page: the measures, the probabilities (search and re-check), the runners-up."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        name = L.scenario_title(pkg.scenario, lang)
        if pkg.mode == "targets":
            title, sub = t("pkg_title", lang), t("pkg_sub_targets", lang, scenario=name,
                                                  p=_pct(pkg.p))  # fmt: skip
        else:
            title = t("pkg_title_budget", lang)
            sub = t("pkg_sub_budget", lang, scenario=name, objective=_objective(pkg, lang),
                    budget=L.num(pkg.budget or 0.0, "en"))  # fmt: skip
        footer = t("pkg_footer", lang, name=name, draws=f"{pkg.search_draws:,}",
                   seed=pkg.search_seed, rdraws=f"{pkg.recheck_draws:,}",
                   rseed=pkg.recheck_seed, n=f"{pkg.packages_evaluated:,}")  # fmt: skip
        fig = new_page(title, sub, f"{t('footer', lang)}  ·  {footer}", st)
        y = _lever_table(fig, pkg, st)
        _side_notes(fig, pkg, st, y - 0.03)
        shown = _shown_targets(pkg)
        top, bottom = CONTENT_TOP - 0.10, CONTENT_BOTTOM + 0.03
        fig.text(0.47, CONTENT_TOP - 0.005, t("pkg_targets", lang), fontsize=10,
                 fontweight="bold", color=L.INK, va="top")  # fmt: skip
        ax = fig.add_axes((AXES_LEFT, bottom, RIGHT - AXES_LEFT, top - bottom))
        _probabilities(ax, fig, pkg, shown, lang)
        key = "pkg_note" if pkg.mode == "targets" else "pkg_note_budget"
        text = t(key, lang, draws=f"{pkg.search_draws:,}")
        note(fig, L.wrapped(text, columns(RIGHT - LEFT, 7.6, lang), max_lines=3), st, size=7)
        return [fig]


def _objective(pkg: PackageSearch, lang: str) -> str:
    if pkg.objective.startswith("group:"):
        g = groups().get(pkg.objective.removeprefix("group:"))
        gname = (g.name_zh if lang == "zh" else g.name_en) if g else pkg.objective
        return t("pkg_obj_group", lang, group=gname)
    return t(f"pkg_obj_{pkg.objective}", lang)


def _lever_table(fig: Figure, pkg: PackageSearch, st: Style) -> float:
    """The measures the package changes: now, in the package, extra cost; returns the bottom."""
    lang = st.lang
    column_heading(fig, LEFT, t("pkg_levers", lang))
    table = pkg.lever_table()
    if table.empty:
        fig.text(LEFT, CONTENT_TOP - 0.05, t("pkg_none", lang), fontsize=9, va="top")
        return CONTENT_TOP - 0.08
    cols = [Column(t("pkg_col_lever", lang), 2.4), Column(t("pkg_col_now", lang), 1.0, "right"),
            Column(t("pkg_col_setting", lang), 1.0, "right"),
            Column(t("pkg_col_extra", lang), 1.3, "right")]  # fmt: skip
    rows = []
    for r in table.itertuples():
        lv = levers()[str(r.lever_id)]
        lname = L.lever_name(lv.id, lv.name_zh, lv.name_en, lang)
        if lv.unit != MONEY_UNIT:  # a count or a pool: say what the numbers count
            lname += f" ({L.lever_unit(lv.unit, lang)})"
        rows.append(Row([
            Cell(L.wrapped(lname, 30, max_lines=2)),
            Cell(L.num(float(r.setting_now), "en"), color=L.MUTED),
            Cell(L.num(float(r.setting), "en"), weight="bold"),
            Cell(f"+{L.num(float(r.extra_cost_wan), 'en')}"),
        ], rule=True))  # fmt: skip
    rows.append(Row([Cell(t("pkg_total", lang, v=L.num(pkg.extra_cost_wan, "en")),
                          weight="bold")]))  # fmt: skip
    rh = 0.042
    height = rh * (len(rows) + 1)
    top = CONTENT_TOP - 0.035
    return draw_table(fig, (LEFT, top - height, LEFT_WIDTH, height), cols, rows, st,
                      font_size=7.8, row_height=rh)  # fmt: skip


def _side_notes(fig: Figure, pkg: PackageSearch, st: Style, y: float) -> None:
    """Below the table: the targets out of reach, then the runners-up."""
    lang = st.lang
    width = columns(LEFT_WIDTH, 7.5, lang)
    if pkg.unreachable:
        names = [L.target_label(target_row(tid, pkg.scenario), lang) for tid in pkg.unreachable]
        sep = "、" if lang == "zh" else "; "
        text = t("pkg_unreachable", lang, p=_pct(pkg.p), targets=sep.join(names))
        text = L.wrapped(text, width, max_lines=4)
        fig.text(LEFT, y, st.text(text), fontsize=7.5, color="#a8232a", va="top")
        y -= 0.02 * (text.count("\n") + 1) + 0.025
    if pkg.runners_up.empty:
        return
    key = "pkg_runners" if pkg.mode == "targets" else "pkg_runners_budget"
    heading = L.wrapped(t(key, lang), columns(LEFT_WIDTH, 9, lang))
    fig.text(LEFT, y, st.text(heading), fontsize=8,
             fontweight="bold", color=L.INK, va="top")  # fmt: skip
    y -= 0.025 * (heading.count("\n") + 1) + 0.02
    for r in pkg.runners_up.itertuples():
        changes, cost = _changes_text(str(r.changes), lang), L.num(float(r.extra_cost_wan), "en")
        if pkg.mode == "targets":
            low = getattr(r, "min_p_recheck", float("nan"))
            line = t("pkg_runner_line", lang, changes=changes, cost=cost, p=L.pct(float(low), 1))
        else:
            line = t("pkg_runner_value", lang, changes=changes, cost=cost,
                     v=f"{float(r.value_search):.3f}")  # fmt: skip
        text = L.wrapped(line, width, max_lines=3)
        fig.text(LEFT, y, st.text(text), fontsize=7, color=L.MUTED, va="top")
        y -= 0.018 * (text.count("\n") + 1) + 0.01


def _changes_text(changes: str, lang: str) -> str:
    """``lever=value; ...`` with the levers' short names."""
    parts = []
    for item in filter(None, changes.split("; ")):
        lid, _, value = item.partition("=")
        lv = levers().get(lid)
        name = L.lever_name(lid, lv.name_zh, lv.name_en, lang) if lv else lid
        parts.append(f"{name} {L.num(float(value), 'en')}")
    return ("、" if lang == "zh" else ", ").join(parts)


def _shown_targets(pkg: PackageSearch) -> pd.DataFrame:
    """The named targets, then the others the package moved most (re-check), at most 14."""
    df = pkg.targets
    named = df[df["named"]]
    others = df[~df["named"]].copy()
    moved = others["difference"].abs().fillna(0) > 2 * others["difference_se"].fillna(0)
    others = others[moved & (others["difference"].abs() > 0)]
    others = others.reindex(others["difference"].abs().sort_values(ascending=False).index)
    return pd.concat([named, others]).head(MAX_TARGETS)


def _probabilities(
    ax: Axes, fig: Figure, pkg: PackageSearch, shown: pd.DataFrame, lang: str
) -> None:
    """Per target: P now (tick), in the search (open circle), in the re-check (filled, 95 %)."""
    n = len(shown)
    for i, r in enumerate(shown.itertuples()):
        y = i + 0.5
        ax.plot(r.p_now_recheck if r.p_now_recheck == r.p_now_recheck else r.p_now_search, y,
                "|", color=NOW_COLOUR, ms=11, mew=2.2, zorder=2)  # fmt: skip
        ax.plot(r.p_search, y - 0.16, "o", mfc="white", mec=LOW_COLOUR, mew=1.4, ms=6.5, zorder=3)
        if r.p_recheck == r.p_recheck:
            half = 1.96 * r.p_recheck_se
            ax.plot([r.p_recheck - half, r.p_recheck + half], [y + 0.16] * 2, color=HIGH_COLOUR,
                    lw=1.4, zorder=3)  # fmt: skip
            ax.plot(r.p_recheck, y + 0.16, "o", color=HIGH_COLOUR, ms=6.5, mec="white", mew=0.6,
                    zorder=4)  # fmt: skip
        label = L.target_label(target_row(str(r.target_id), pkg.scenario), lang)
        weight = "bold" if r.named else "normal"
        colour = L.INK if r.reachable else "#a8232a"
        ax.text(-0.03, y, L.wrapped(label, 34, max_lines=2), transform=ax.get_yaxis_transform(),
                ha="right", va="center", fontsize=7.8, fontweight=weight, color=colour)  # fmt: skip
    if pkg.mode == "targets":
        ax.axvline(pkg.p, color=L.INK, lw=0.9, ls="--", zorder=1)
    ax.set_xlim(0, 1)
    ax.set_ylim(max(n, 1), 0)
    ax.set_yticks([])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.tick_params(axis="x", labelsize=7.5)
    ax.grid(axis="x", color=L.RULE, lw=0.4)
    for i in range(1, n):
        ax.axhline(i, color=L.RULE, lw=0.3)
    _legend(ax, pkg, lang)


def _legend(ax: Axes, pkg: PackageSearch, lang: str) -> None:
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], marker="|", ls="", color=NOW_COLOUR, ms=10, mew=2.2),
        Line2D([], [], marker="o", ls="", mfc="white", mec=LOW_COLOUR, mew=1.4, ms=6.5),
        Line2D([], [], marker="o", ls="-", color=HIGH_COLOUR, ms=6.5, lw=1.4),
        Line2D([], [], ls="--", color=L.INK, lw=0.9),
    ]  # fmt: skip
    names: list[Any] = [
        t("pkg_now", lang), t("pkg_search", lang, draws=f"{pkg.search_draws:,}"),
        t("pkg_recheck", lang, draws=f"{pkg.recheck_draws:,}"), t("pkg_line", lang,
                                                                  p=_pct(pkg.p)),
    ]  # fmt: skip
    if pkg.mode != "targets":
        handles, names = handles[:3], names[:3]
    ax.legend(handles, names, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2,
              fontsize=7.5, frameon=False)  # fmt: skip
