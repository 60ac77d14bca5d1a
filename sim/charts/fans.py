"""Fan charts: the 2022 start and the 2023–2025 bands of every target, threshold marked."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.textpath import TextToPath
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import offset_copy

from sim.analysis import (
    fan_actuals,
    fan_data,
    rows_in_policy_order,
)
from sim.catalogue import indicators
from sim.charts import labels as L
from sim.charts.common import (
    Pages,
    axis_num,
    columns,
    fit_title,
)
from sim.charts.labels import t
from sim.charts.layout import (
    CONTENT_TOP,
    LEFT,
    RIGHT,
    Style,
    footer_text,
    new_page,
    note,
    paginate,
    styled,
)
from sim.results import Result

FANS_PER_PAGE = 12


def fan_charts(result: Result, lang: str = "zh") -> Pages:
    """2022 start → 2023–2025 bands (90 %, 50 %, median) for every target, threshold marked."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        rows = rows_in_policy_order(result, modelled_only=True)
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
            _fan_legend(fig, lang, actuals=result.has_actuals)
            text = t("fan_note", lang, n=f"{sample_n:,}")
            if result.has_actuals:  # the paths are weighted by how well they fit the figures
                text += t("sentence_gap", lang) + t("fan_note_weighted", lang)
            text = L.wrapped(text, columns(RIGHT - LEFT, 7.5, lang))
            note(fig, text, st)
            figs.append(fig)
        return figs


def _fan_panel(ax: Any, result: Result, r: dict[str, Any], st: Style) -> None:
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
    _threshold(ax, d)
    actuals = fan_actuals(result, r, d)  # none in a run without actuals
    extra = _actuals_layer(ax, result, r, actuals, st) if actuals else []
    # axes
    ax.set_xlim(2021.7, 2025.3)
    ax.set_xticks([2022, 2023, 2024, 2025], ["2022", "23", "24", "25"])
    ax.tick_params(labelsize=7, length=2, pad=1.5)
    ax.yaxis.set_major_locator(MaxNLocator(4))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: axis_num(v, lang)))
    tv = d["threshold"]
    lo = np.nanmin(np.r_[d["q05"][ok], tv])
    hi = np.nanmax(np.r_[d["q95"][ok], tv])
    if value is not None and not math.isnan(value):
        lo, hi = min(lo, value), max(hi, value)
    if extra:
        lo, hi = min(lo, np.nanmin(extra)), max(hi, np.nanmax(extra))
    span = hi - lo or abs(hi) or 1.0
    bottom = lo - 0.08 * span
    if d["kind"] not in ("growth_each_year",) and lo >= 0 and lo < 0.35 * hi:
        bottom = 0
    ax.set_ylim(bottom, hi + 0.12 * span)
    ax.grid(axis="y", color="#e6e6e6", lw=0.5)
    ax.set_axisbelow(True)
    title, size = fit_title(st.text(L.target_label(r, lang)), ax, 8.3)
    ax.set_title(title, fontsize=size, fontweight="bold", loc="left", pad=14, color=L.INK)
    subtitle, size = _fit_subtitle(st.text(_fan_subtitle(d, lang)), ax)
    ax.text(0, 1.035, subtitle, transform=ax.transAxes, fontsize=size, color=L.MUTED,
            va="bottom")  # fmt: skip
    _status_tag(ax, r)


def _threshold(ax: Any, d: dict[str, Any]) -> None:
    """The target's threshold path (dashed) and the judged year (a diamond)."""
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


def _actuals_layer(ax: Any, result: Result, r: dict[str, Any], actuals: list[dict[str, Any]],
                   st: Style) -> list[float]:  # fmt: skip
    """The fan before the update (a grey outline) and the actuals: filled for a full year,
    hollow for a year to date (labelled with its months); an actual that cannot be placed on
    the panel's scale is written in its top left corner. Returns the values drawn (for the
    axis limits)."""
    lang = st.lang
    b = fan_data(result, r, before=True)
    ok = ~np.isnan(b["q50"])
    for q, ls in (("q05", (0, (3, 1.5))), ("q95", (0, (3, 1.5))), ("q50", (0, (1, 1.2)))):
        ax.plot(b["years"][ok], b[q][ok], color=L.BEFORE_COLOUR, lw=0.9, ls=ls, zorder=3)
    drawn = [*b["q05"][ok], *b["q95"][ok]]
    off = []
    for a in actuals:
        if math.isnan(a["y"]):
            unit = indicators()[r["indicator"]].unit
            off.append(t("fan_actual_off", lang, period=L.period_text(a["year"], a["months"], lang),
                         value=L.value_with_unit(a["value"], unit, lang)))  # fmt: skip
            continue
        drawn.append(a["y"])
        whole = a["months"] >= 12
        ax.plot([a["year"]], [a["y"]], "o", ms=5.2, zorder=7, mew=1.2 if not whole else 0.6,
                mfc=L.ACTUAL_COLOUR if whole else "white",
                mec="white" if whole else L.ACTUAL_COLOUR)  # fmt: skip
        if not whole:
            left = a["year"] >= 2025
            ax.annotate(L.span_text(a["months"], lang), (a["year"], a["y"]),
                        xytext=(-4 if left else 4, 0), textcoords="offset points", fontsize=6.2,
                        color=L.ACTUAL_COLOUR, va="center", ha="right" if left else "left",
                        zorder=7, bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.4,
                                        "alpha": 0.85})  # fmt: skip
    if off:
        ax.text(0.03, 0.96, st.text("\n".join(off)), transform=ax.transAxes, fontsize=6.2,
                color=L.ACTUAL_COLOUR, va="top", zorder=7)  # fmt: skip
    return drawn


def _status_tag(ax: Any, r: dict[str, Any]) -> None:
    """P(met) at the top right of a panel, after a square in the status colour."""
    ax.text(1.0, 1.035, L.pct(r["p_met"], 1), transform=ax.transAxes, fontsize=7.5,
            fontweight="bold", color=L.INK, ha="right", va="bottom")  # fmt: skip
    shifted = offset_copy(ax.transAxes, fig=ax.figure, x=-33, units="points")
    ax.text(1.0, 1.035, "■", transform=shifted, fontsize=8, ha="right", va="bottom",
            color=L.STATUS_COLOURS.get(r["status"], L.MUTED))  # fmt: skip


TAG_POINTS = 44.0  # the P(met) tag at the top right of a panel ("■ 100.0%") and a gap


def _fit_subtitle(text: str, ax: Any, size: float = 6.8) -> tuple[str, float]:
    """The subtitle at a size that keeps it clear of the P(met) tag: as is, a little smaller,
    or cut with '…' (a long English unit). Widths are measured in the font drawn (call it
    inside :func:`styled`)."""
    room = ax.get_position().width * ax.figure.get_figwidth() * 72 - TAG_POINTS
    for s in (size, size - 0.4, size - 0.8):
        if _points(text, s) <= room:
            return text, s
    s = size - 0.8
    while len(text) > 1 and _points(text + "…", s) > room:
        text = text[:-1]
    return text.rstrip() + "…", s


def _points(text: str, size: float) -> float:
    """The width of ``text`` at ``size`` pt in the current font, in points (3 % to spare)."""
    width, _, _ = TextToPath().get_text_width_height_descent(text, FontProperties(size=size),
                                                              ismath=False)  # fmt: skip
    return 1.03 * width


def _fan_subtitle(d: dict[str, Any], lang: str) -> str:
    kind = d["kind"]
    unit = d["unit"]
    if unit == "multiple":
        sub = t("fan_sub_growth_average", lang, x=f"{d['multiple']:.2f}")
        return sub
    if d.get("subtitle") == "annualised":
        sub = t("fan_sub_annualised", lang)
    else:
        sub = t(f"fan_sub_{kind}", lang, y=d["deadline"])
    u = L.unit_name(unit, lang)
    return sub + t("bracketed", lang, x=u) if u else sub


def _fan_legend(fig: Figure, lang: str, actuals: bool = False) -> None:
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
    if actuals:  # a run with actuals: the figures and the fan before them, on a row below
        fig.legend(handles=_actuals_handles(lang), loc="lower left", bbox_to_anchor=(LEFT, 0.1),
                   ncol=3, fontsize=8, handlelength=2.0, columnspacing=1.6,
                   borderaxespad=0)  # fmt: skip
    fig.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(LEFT, 0.128 if actuals else 0.105),
        ncol=6,
        fontsize=8,
        handlelength=2.0,
        columnspacing=1.6,
        borderaxespad=0,
    )


def _actuals_handles(lang: str) -> list[Any]:
    """Legend entries of the actuals (full year filled, year to date hollow) and the fan before."""
    return [
        Line2D([], [], marker="o", lw=0, ms=5.2, mfc=L.ACTUAL_COLOUR, mec="white", mew=0.6,
               label=t("fan_legend_actual", lang)),
        Line2D([], [], marker="o", lw=0, ms=5.2, mfc="white", mec=L.ACTUAL_COLOUR, mew=1.2,
               label=t("fan_legend_actual_ytd", lang)),
        Line2D([], [], color=L.BEFORE_COLOUR, lw=0.9, ls=(0, (3, 1.5)),
               label=t("fan_legend_before", lang)),
    ]  # fmt: skip


def fan_figure(result: Result, target_id: str, lang: str = "zh") -> Figure:
    """The fan chart of one target at a readable size (2022 start → 2023–2025 bands)."""
    rows = {r["target_id"]: r for r in rows_in_policy_order(result, modelled_only=True)}
    if target_id not in rows:
        raise KeyError(f"{target_id!r} is not a modelled target of this result; "
                       f"choose one of {', '.join(rows)}")  # fmt: skip
    with styled(lang, warn=False) as st:
        row = rows[target_id]
        with_actuals = bool(fan_actuals(result, row, fan_data(result, row)))
        fig = Figure(figsize=(5.5, 4.1 if with_actuals else 3.6))
        # the panel draws its title and subtitle above the axes: leave room for them (and for
        # the legend of the actuals below)
        ax = fig.add_axes((0.11, 0.23, 0.85, 0.6) if with_actuals else (0.11, 0.1, 0.85, 0.7))
        _fan_panel(ax, result, row, st)
        if with_actuals:
            fig.legend(handles=_actuals_handles(st.lang), loc="lower left", fontsize=7,
                       bbox_to_anchor=(0.02, 0.01), ncol=2, frameon=False)  # fmt: skip
        # the panel's title padding is tuned for the small multiples of the pack
        ax.set_title(ax.get_title(loc="left"), loc="left", pad=24, fontsize=10,
                     fontweight="bold")  # fmt: skip
        return fig
