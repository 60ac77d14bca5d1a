"""Comparison pack: P(met) of every target under each package, and the paired differences."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator
from matplotlib.transforms import blended_transform_factory

from sim.analysis import (
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
    marker_style,
    package_colour,
    points,
)
from sim.charts.labels import t
from sim.charts.layout import (
    CONTENT_BOTTOM,
    CONTENT_TOP,
    FOOTER_Y,
    LEFT,
    RIGHT,
    Style,
    new_page,
    note,
    styled,
)
from sim.results import Result


def _slots(results: Sequence[Result]) -> list[tuple[str, Any]]:
    """The rows of the chart, top down: each goal group, then its targets in policy order."""
    rows = rows_in_policy_order(results[0], modelled_only=True)
    slots: list[tuple[str, Any]] = []
    for g, members in groups_in_order(rows):
        slots.append(("group", g))
        slots.extend(("target", r) for r in members)
    return slots


def _group_band(fig: Figure, ax: Any, y: float, text: str, right: float) -> None:
    """A grey band across the row at ``y`` (from the page margin to ``right``), and its name."""
    tf = blended_transform_factory(fig.transFigure, ax.transData)
    fig.add_artist(
        Rectangle(
            (LEFT - 0.004, y - 0.5),
            right - LEFT + 0.004,
            1.0,
            transform=tf,
            facecolor="#efefef",
            lw=0,
            zorder=0,
        )
    )
    fig.text(LEFT, y, text, transform=tf, fontsize=8.5, fontweight="bold", color=L.INK, va="center")


def comparison_pmet(results: Sequence[Result], lang: str = "zh") -> Pages:
    """P(met) per target under every package: one row per target, one dot per package."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        fig = new_page(
            t("cmp_pmet_title", lang), t("cmp_pmet_note", lang), comparison_footer(results, st), st
        )
        slots = _slots(results)
        n = len(slots)
        ax = fig.add_axes((0.30, CONTENT_BOTTOM + 0.01, 0.65, CONTENT_TOP - CONTENT_BOTTOM - 0.05))
        ax.patch.set_alpha(0)
        ys = np.arange(n)[::-1].astype(float)
        per = [
            {r["target_id"]: r for r in rows_in_policy_order(res, modelled_only=True)}
            for res in results
        ]
        ticks, tick_labels = [], []
        for y, (kind, item) in zip(ys, slots, strict=True):
            if kind == "group":
                _group_band(fig, ax, y, L.group_name(item, lang), 0.95)
                continue
            _target_dots(ax, y, item["target_id"], per)
            ticks.append(y)
            tick_labels.append(st.text(L.target_label(item, lang)))
        ax.set_yticks(ticks, tick_labels, fontsize=7.8)
        _style_pmet_axis(ax, n, lang)
        _package_legend(fig, results, lang)
        return [fig]


def _target_dots(ax: Any, y: float, tid: str, per: list[dict[str, Any]]) -> None:
    """One target's row: a grey bar from the lowest to the highest P(met), a dot per package."""
    ps = [p[tid]["p_met"] for p in per if tid in p]
    ax.plot(
        [min(ps), max(ps)],
        [y, y],
        color="#bfbfbf",
        lw=2.2,
        zorder=2,
        solid_capstyle="round",
    )
    for i, p in enumerate(per):
        if tid in p:
            ax.plot(p[tid]["p_met"], y, lw=0, zorder=3 + (i > 0), **marker_style(i, 5))


def _style_pmet_axis(ax: Any, n: int, lang: str) -> None:
    """The P(met) axis on top in per cent, the 50 % and 80 % lines, and a light grid."""
    ax.tick_params(axis="y", length=0, pad=4)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_locator(MultipleLocator(0.2))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_xlabel(t("col_pmet", lang), fontsize=8, color=L.MUTED, labelpad=6)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.spines["top"].set_visible(True)
    for v in (0.5, 0.8):
        ax.axvline(v, color=L.INK, lw=0.7, ls=(0, (4, 3)), zorder=1)
    ax.grid(axis="x", color="#e6e6e6", lw=0.5)
    ax.set_axisbelow(True)


def _package_legend(fig: Figure, results: Sequence[Result], lang: str) -> None:
    """The packages' markers in one row above the chart, at the right."""
    handles = [
        Line2D([], [], lw=0, label=L.scenario_title(res.scenario, lang), **marker_style(i, 6))
        for i, res in enumerate(results)
    ]
    fig.legend(
        handles=handles,
        loc="lower right",
        bbox_to_anchor=(RIGHT, 0.903),
        ncol=len(handles),
        fontsize=8.5,
        borderaxespad=0,
        handletextpad=0.3,
        columnspacing=1.5,
    )


def comparison_differences(results: Sequence[Result], lang: str = "zh") -> Pages:
    """Each package's change in P(met) against the reference, with ±1.96 SE (paired)."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        diffs = differences(results)
        ref_name = L.scenario_title(results[0].scenario, lang)
        subtitle = t("cmp_diff_sub", lang, ref=ref_name)
        fig = new_page(t("cmp_diff_title", lang), subtitle, comparison_footer(results, st), st)
        slots = [("all", None), *_slots(results)]
        others = list(results[1:])
        xlim = _difference_limits(diffs)
        x0, x1 = 0.30, 0.965
        gap = 0.02
        w = (x1 - x0 - gap * (len(others) - 1)) / max(len(others), 1)
        for j, res in enumerate(others):
            left = x0 + j * (w + gap)
            rect = (left, CONTENT_BOTTOM + 0.05, w, CONTENT_TOP - CONTENT_BOTTOM - 0.125)
            d = diffs[res.scenario.name].set_index("target_id")
            _difference_panel(fig, rect, j + 1, d, slots, xlim, x1, st)
            _panel_title(fig, results, j + 1, left + w / 2, lang)
        fig.text(
            (x0 + x1) / 2,
            CONTENT_BOTTOM + 0.02,
            t("cmp_diff_x", lang),
            ha="center",
            fontsize=8,
            color=L.MUTED,
        )
        text = t("cmp_paired", lang) if all_paired(diffs) else t("cmp_unpaired", lang)
        text += t("sentence_gap", lang) + t("cmp_filled", lang)
        note(fig, L.wrapped(text, columns(RIGHT - LEFT, 7.5, lang) - 4), st, y=FOOTER_Y + 0.027)
        return [fig]


def _difference_limits(diffs: dict[str, pd.DataFrame]) -> tuple[float, float]:
    """The x range shared by the panels: every interval, zero, and some room for labels."""
    lo = min(
        (float((d["difference"] - 1.96 * d["difference_se"]).min()) for d in diffs.values()),
        default=0.0,
    )
    hi = max(
        (float((d["difference"] + 1.96 * d["difference_se"]).max()) for d in diffs.values()),
        default=0.0,
    )
    pad = 0.18 * max(hi - lo, 0.05)
    return (min(lo, 0.0) - (pad if lo < -0.005 else 0.01), max(hi, 0.0) + pad)


def _difference_panel(
    fig: Figure,
    rect: tuple[float, float, float, float],
    i: int,
    d: pd.DataFrame,
    slots: list[tuple[str, Any]],
    xlim: tuple[float, float],
    band_right: float,
    st: Style,
) -> None:
    """Package ``i``'s panel: a bar per target; the first panel also draws the group bands
    across all panels and carries the target labels."""
    lang = st.lang
    first = i == 1
    n = len(slots)
    ys = np.arange(n)[::-1].astype(float)
    lim = xlim[1] - xlim[0]
    ax = fig.add_axes(rect)
    ax.patch.set_alpha(0)
    ticks, tick_labels = [], []
    for y, (kind, item) in zip(ys, slots, strict=True):
        if kind == "group":
            if first:
                _group_band(fig, ax, y, L.group_name(item, lang), band_right)
            continue
        tid = "all_targets" if kind == "all" else item["target_id"]
        if tid not in d.index:
            continue
        diff, se = float(d.loc[tid, "difference"]), float(d.loc[tid, "difference_se"])
        _difference_bar(ax, y, diff, se, package_colour(i), lim)
        if first:
            ticks.append(y)
            label = t("all_targets", lang) if kind == "all" else L.target_label(item, lang)
            tick_labels.append(st.text(label))
    _style_difference_axis(ax, xlim, n)
    if first:
        ax.set_yticks(ticks, tick_labels, fontsize=7.8)
        ax.tick_params(axis="y", length=0, pad=4)
        ax.get_yticklabels()[0].set_fontweight("bold")
    else:
        ax.set_yticks([])


def _difference_bar(ax: Any, y: float, diff: float, se: float, colour: str, lim: float) -> None:
    """One bar (filled if the change is significant), its ±1.96 SE line, and its label."""
    significant = abs(diff) > 2 * se and abs(diff) > 0
    ax.barh(
        y,
        diff,
        height=0.62,
        color=colour if significant else "white",
        edgecolor=colour,
        lw=0.7,
        zorder=2,
    )
    ax.plot([diff - 1.96 * se, diff + 1.96 * se], [y, y], color=L.INK, lw=0.7, zorder=3)
    if abs(diff) >= 0.01:
        ha = "left" if diff > 0 else "right"
        off = (1.96 * se + 0.01 * lim) * (1 if diff > 0 else -1)
        ax.text(
            diff + off,
            y,
            points(diff),
            fontsize=6.6,
            va="center",
            ha=ha,
            color=L.INK,
            zorder=4,
        )


def _style_difference_axis(ax: Any, xlim: tuple[float, float], n: int) -> None:
    """The zero line, the change axis on top in percentage points, and a light grid."""
    ax.axvline(0, color=L.INK, lw=0.8)
    ax.set_xlim(*xlim)
    ax.set_ylim(-0.6, n - 0.4)
    ax.xaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda v, _: f"{100 * v:+.0f}".replace("-", "−").replace("+0", "0"))
    )
    ax.xaxis.tick_top()
    ax.tick_params(axis="x", labelsize=7)
    ax.grid(axis="x", color="#e6e6e6", lw=0.5)
    ax.set_axisbelow(True)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.spines["top"].set_visible(True)


def _panel_title(fig: Figure, results: Sequence[Result], i: int, centre: float, lang: str) -> None:
    """Package ``i``'s name above its panel, and its extra annual cost."""
    res = results[i]
    cost = res.annual_cost_wan() - results[0].annual_cost_wan()
    title = L.scenario_title(res.scenario, lang)
    fig.text(
        centre,
        0.858,
        title,
        fontsize=10.5,
        fontweight="bold",
        color=package_colour(i),
        ha="center",
        va="bottom",
    )
    fig.text(
        centre,
        0.84,
        t("cmp_extra_cost_line", lang, v=f"{cost:+,.0f}".replace("-", "−")),
        ha="center",
        va="bottom",
        fontsize=7.5,
        color=L.MUTED,
    )
