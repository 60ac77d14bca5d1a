"""P(met) per target as bars with Wilson intervals, grouped by goal."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MultipleLocator
from matplotlib.transforms import Transform, blended_transform_factory

from sim.analysis import (
    groups_in_order,
    rows_in_policy_order,
)
from sim.charts import labels as L
from sim.charts.common import (
    Pages,
)
from sim.charts.labels import t
from sim.charts.layout import (
    CONTENT_BOTTOM,
    CONTENT_TOP,
    LEFT,
    footer_text,
    new_page,
    styled,
)
from sim.results import Result


def pmet_bars(result: Result, lang: str = "zh") -> Pages:
    """P(met) per target as horizontal bars with Wilson 95 % intervals, grouped by goal."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        fig = new_page(t("bars_title", lang), t("bars_note", lang), footer_text(result, st), st)
        slots = _slots(result)
        n = len(slots)
        ax = fig.add_axes((0.30, CONTENT_BOTTOM + 0.01, 0.60, CONTENT_TOP - CONTENT_BOTTOM - 0.05))
        ys = np.arange(n)[::-1].astype(float)
        ticks, tick_labels = [], []
        label_tf = blended_transform_factory(fig.transFigure, ax.transData)
        for y, (kind, item) in zip(ys, slots, strict=True):
            if kind == "group":
                _group_band(fig, label_tf, y, L.group_name(item, lang))
                continue
            _target_bar(ax, y, item)
            ticks.append(y)
            tick_labels.append(st.text(L.target_label(item, lang)))
        ax.set_yticks(ticks, tick_labels, fontsize=7.8)
        _style_axis(ax, n, lang)
        _status_legend(fig, lang)
        return [fig]


def _slots(result: Result) -> list[tuple[str, Any]]:
    """The rows of the chart, top down: each goal group, then its targets by P(met)."""
    rows = rows_in_policy_order(result, modelled_only=True)
    slots: list[tuple[str, Any]] = []
    for g, members in groups_in_order(rows):
        slots.append(("group", g))
        for r in sorted(members, key=lambda r: -r["p_met"]):
            slots.append(("target", r))
    return slots


def _group_band(fig: Figure, label_tf: Transform, y: float, name: str) -> None:
    """A grey band across the row at ``y`` with the goal group's name in bold."""
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
        name,
        transform=label_tf,
        fontsize=8.5,
        fontweight="bold",
        color=L.INK,
        va="center",
    )


def _target_bar(ax: Axes, y: float, r: dict[str, Any]) -> None:
    """One target's bar in its status colour, its Wilson interval, and its P(met) label."""
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


def _style_axis(ax: Axes, n: int, lang: str) -> None:
    """The P(met) axis on top in per cent, the 50 % and 80 % lines, and a light grid."""
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


def _status_legend(fig: Figure, lang: str) -> None:
    """The legend of the status colours, to the right of the chart."""
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
