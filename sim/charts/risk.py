"""The at-risk targets: where the judged value may land against the threshold."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from sim.analysis import (
    coarsen,
    histogram,
    rows_in_policy_order,
)
from sim.charts import labels as L
from sim.charts.common import (
    Pages,
    axis_num,
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
    paginate,
    styled,
)
from sim.results import Result

RISK_PER_PAGE = 15


def risk_distributions(result: Result, lang: str = "zh") -> Pages:
    """For each at-risk target: the judged value's distribution against the threshold."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        rows = [
            r for r in rows_in_policy_order(result, modelled_only=True) if r["status"] == "at_risk"
        ]
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


def _risk_panel(ax: Any, result: Result, r: dict[str, Any], st: Style, narrow: bool) -> None:
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
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: axis_num(v, lang)))
    ax.tick_params(labelsize=6.8, length=2, pad=1.5)
    title, size = fit_title(st.text(L.target_label(r, lang)), ax, 7.8 if narrow else 8.3)
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
        xlabel += t("bracketed", lang, x=unit)
    ax.set_xlabel(xlabel, fontsize=6.6, color=L.MUTED, labelpad=1.5)
    sep = "  ·  "
    sub = t("risk_p", lang, p=L.pct(r["p_met"], 1)) + sep
    sub += t("risk_median", lang, m=L.num(r["judged_median"], lang))
    ax.text(0, 1.035, sub, transform=ax.transAxes, fontsize=7, color=L.INK, va="bottom")
