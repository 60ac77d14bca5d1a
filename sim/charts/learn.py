"""The page "What we most need to learn": the unknowns the bureau could measure, ranked by how
much of the at-risk targets' uncertainty each explains, with P(met) at their 10th and 90th
percentiles. Drawn from a :class:`sim.analysis.learn.Sensitivity` (``sensitivity.plot()``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, PercentFormatter
from matplotlib.transforms import blended_transform_factory

from sim.analysis.learn import Sensitivity
from sim.charts import labels as L
from sim.charts.common import Pages, columns
from sim.charts.labels import t
from sim.charts.layout import CONTENT_TOP, LEFT, RIGHT, Style, new_page, note, styled
from sim.charts.settings import _param_name

SHOWN = 12  # unknowns on the page
KIND_COLOURS = {"figure": "#3b6ea5", "record": "#2a8c8c", "lever": "#c46a1b", "dynamics": "#6b6b6b"}
LOW_COLOUR = "#a8232a"  # P(met) if the unknown were at its 10th percentile
HIGH_COLOUR = "#4d9f57"  # … at its 90th
X_NAME, X_TARGET = LEFT, 0.300
SHARE_AXES = (0.470, 0.650)  # left and right edges (figure fraction) of the index bars
VOI_AXES = (0.700, RIGHT - 0.01)
TOP, BOTTOM = CONTENT_TOP - 0.045, 0.215


def learn_page(sens: Sensitivity, lang: str = "zh") -> Pages:
    """One page: measurable unknowns ranked by their largest index on an at-risk target."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        fig = new_page(t("learn_title", lang), t("learn_subtitle", lang), _footer(sens, st), st)
        rows = sens.unknowns(SHOWN)
        if rows.empty:
            fig.text(0.5, 0.5, t("learn_none", lang), ha="center", fontsize=14, color=L.INK)
            return [fig]
        targets = sens.targets.set_index("target_id")
        n = len(rows)
        share_ax = fig.add_axes(
            (SHARE_AXES[0], BOTTOM, SHARE_AXES[1] - SHARE_AXES[0], TOP - BOTTOM)
        )
        voi_ax = fig.add_axes((VOI_AXES[0], BOTTOM, VOI_AXES[1] - VOI_AXES[0], TOP - BOTTOM))
        for ax in (share_ax, voi_ax):
            ax.set_ylim(n - 0.5, -0.5)
            ax.set_yticks([])
            for side in ("left", "right", "top"):
                ax.spines[side].set_visible(False)
        _headings(fig, share_ax, st)
        label_tf = blended_transform_factory(fig.transFigure, share_ax.transData)
        for i, row in enumerate(rows.itertuples()):
            target = targets.loc[row.target_id]
            _labels(fig, label_tf, i, row, target, st)
            _share_bar(share_ax, i, row)
            _voi(voi_ax, i, row, float(target["p_met"]), lang)
            if i:
                for ax in (share_ax, voi_ax):
                    ax.axhline(i - 0.5, color=L.RULE, lw=0.4, zorder=0)
        _style_axes(share_ax, voi_ax, rows, lang)
        _notes(fig, sens, st)
        return [fig]


def _footer(sens: Sensitivity, st: Style) -> str:
    body = t("learn_footer", st.lang, name=L.scenario_title(sens.scenario, st.lang),
             draws=f"{sens.draws:,}", seed=sens.seed, method=sens.method,
             date=sens.created[:10])  # fmt: skip
    return f"{t('footer', st.lang)}  ·  {body}"


def _headings(fig: Figure, share_ax: Axes, st: Style) -> None:
    lang = st.lang
    y = TOP + 0.012
    style: dict[str, Any] = {
        "fontsize": 8.3,
        "fontweight": "bold",
        "color": L.MUTED,
        "va": "bottom",
    }
    fig.text(X_NAME, y, t("learn_col_unknown", lang), **style)
    fig.text(X_TARGET, y, t("learn_col_target", lang), **style)
    fig.text(SHARE_AXES[0], y, t("learn_col_share", lang), **style)
    fig.text(VOI_AXES[0], y, t("learn_col_voi", lang), **style)


def _labels(fig: Figure, tf: Any, i: int, row: Any, target: pd.Series, st: Style) -> None:
    """The unknown's name, kind and id; the target it matters most for, and how many more."""
    lang = st.lang
    width = columns(X_TARGET - X_NAME - 0.01, 8.6, lang)
    name = L.wrapped(st.text(_param_name(row.parameter, lang)), width, max_lines=1)
    fig.text(X_NAME, i - 0.12, f"{i + 1}. {name}", transform=tf, fontsize=8.6, color=L.INK,
             fontweight="bold", va="bottom")  # fmt: skip
    fig.text(X_NAME + 0.012, i + 0.06, "■", transform=tf, fontsize=7.0, va="top",
             color=KIND_COLOURS[row.kind])  # fmt: skip
    detail = f"{t(f'learn_kind_{row.kind}', lang)} · {row.parameter}"
    detail = L.shorten(detail, columns(X_TARGET - X_NAME - 0.04, 6.8, lang))
    fig.text(X_NAME + 0.024, i + 0.06, detail, transform=tf, fontsize=6.8, color=L.MUTED,
             va="top")  # fmt: skip
    label = {"target_id": row.target_id, **target.to_dict()}
    text = L.wrapped(st.text(L.target_label(label, lang)),
                     columns(SHARE_AXES[0] - X_TARGET - 0.012, 8.0, lang), max_lines=2)  # fmt: skip
    more = row.targets_affected - 1 if row.s_met >= 0.01 else 0
    if more > 0:
        text += "\n" + t("learn_more", lang, n=more)
    fig.text(X_TARGET, i, text, transform=tf, fontsize=8.0, color=L.INK, va="center",
             linespacing=1.2)  # fmt: skip


def _share_bar(ax: Axes, i: int, row: Any) -> None:
    """The first-order index of "met" as a bar, ±2 SE as a whisker, the value at its end."""
    s = max(float(row.s_met), 0.0)
    ax.barh(i, s, height=0.56, color=KIND_COLOURS[row.kind], alpha=0.85, lw=0)
    lo, hi = max(row.s_met - 2 * row.s_met_se, 0.0), row.s_met + 2 * row.s_met_se
    ax.plot([lo, hi], [i, i], color=L.INK, lw=0.8, solid_capstyle="butt")
    ax.text(hi, i, f"  {100 * row.s_met:.0f}%", va="center", fontsize=7.6, color=L.INK)


def _voi(ax: Axes, i: int, row: Any, p_now: float, lang: str) -> None:
    """P(met) if the unknown were at its 10th and at its 90th percentile, and P(met) now."""
    lo, hi = float(row.p_low), float(row.p_high)
    ax.plot([lo, hi], [i, i], color="#9a9a9a", lw=2.2, solid_capstyle="round", zorder=1)
    ax.plot([p_now], [i], marker="|", ms=11, mew=1.6, color=L.INK, zorder=3)
    ax.plot([lo], [i], "o", ms=6.5, color=LOW_COLOUR, mec="white", mew=0.6, zorder=4)
    ax.plot([hi], [i], "o", ms=6.5, color=HIGH_COLOUR, mec="white", mew=0.6, zorder=4)
    left, right = (lo, hi) if lo <= hi else (hi, lo)
    ax.text(left - 0.03, i, L.pct(lo if lo <= hi else hi), ha="right", va="center",
            fontsize=7.2, color=LOW_COLOUR if lo <= hi else HIGH_COLOUR)  # fmt: skip
    ax.text(right + 0.03, i, L.pct(hi if lo <= hi else lo), ha="left", va="center",
            fontsize=7.2, color=HIGH_COLOUR if lo <= hi else LOW_COLOUR)  # fmt: skip


def _style_axes(share_ax: Axes, voi_ax: Axes, rows: pd.DataFrame, lang: str) -> None:
    top = float(np.nanmax(rows["s_met"] + 2 * rows["s_met_se"]))
    share_ax.set_xlim(0, min(1.0, max(0.1, top * 1.25)))
    share_ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    voi_ax.set_xlim(-0.12, 1.12)
    voi_ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    voi_ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
    voi_ax.axvline(0.5, color=L.RULE, lw=0.8, ls=(0, (3, 2)), zorder=0)
    for ax in (share_ax, voi_ax):
        ax.tick_params(axis="x", labelsize=7.2, length=2, pad=1.5)
    handles = [
        Line2D([], [], ls="", marker="o", ms=5.5, color=LOW_COLOUR),
        Line2D([], [], ls="", marker="o", ms=5.5, color=HIGH_COLOUR),
        Line2D([], [], ls="", marker="|", ms=8, mew=1.4, color=L.INK),
    ]
    names = [t("learn_p10", lang), t("learn_p90", lang), t("learn_now", lang)]
    voi_ax.legend(handles, names, loc="upper right", bbox_to_anchor=(1.0, -0.045), ncol=3,
                  frameon=False, fontsize=7.2, handletextpad=0.2, columnspacing=0.9)  # fmt: skip


def _notes(fig: Figure, sens: Sensitivity, st: Style) -> None:
    """What is not measurable but matters, then how to read the page."""
    lang = st.lang
    others = sens.unknowns(40, measurable_only=False)
    others = others[~others["measurable"]].head(3)
    width = columns(RIGHT - LEFT, 7.4, lang) - 4
    text = ""
    if not others.empty:
        items = t("enumeration", lang).join(
            t("learn_also_item", lang, name=_param_name(r.parameter, lang),
              kind=t(f"learn_kind_{r.kind}", lang), share=f"{100 * r.s_met:.0f}%")
            for r in others.itertuples()
        )  # fmt: skip
        text = t("learn_also", lang, items=items) + "\n"
    text += t("learn_note", lang, draws=f"{sens.draws:,}")
    note(fig, L.wrapped(st.text(text), width), st, y=0.062, size=7.4)
