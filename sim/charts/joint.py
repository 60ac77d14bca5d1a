"""The joint picture (P(all) per group, the number of targets met) and co-failures."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator, PercentFormatter

from sim.analysis import (
    at_least,
    groups_in_order,
    miss_pairs,
    rows_in_policy_order,
)
from sim.charts import labels as L
from sim.charts.common import (
    Pages,
    columns,
)
from sim.charts.labels import t
from sim.charts.layout import (
    CONTENT_TOP,
    LEFT,
    RIGHT,
    Style,
    column_heading,
    footer_text,
    new_page,
    styled,
)
from sim.results import Result


def joint(result: Result, lang: str = "zh") -> Pages:
    """P(all) and P(all in each group); the distribution of the number of targets met."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        fig = new_page(t("joint_title", lang), "", footer_text(result, st), st)
        n_modelled = int(result.joint.loc["number_of_targets_modelled", "p"])
        _groups_panel(fig, result, n_modelled, st)
        _n_met_panel(fig, result, n_modelled, lang)
        _at_least_row(fig, at_least(result), n_modelled, lang)
        text = L.wrapped(t("joint_text", lang), columns(0.40, 9, lang))
        fig.text(LEFT, 0.215, text, fontsize=9, color=L.INK, va="top", linespacing=1.45)
        return [fig]


def _groups_panel(fig: Figure, result: Result, n_modelled: int, st: Style) -> None:
    """Left: P(all targets met), overall and in each goal group, with ±1.96 SE."""
    lang = st.lang
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
    ax.errorbar(ps, ys, xerr=1.96 * np.array(ses), fmt="none", ecolor=L.MUTED, lw=0.8, capsize=2)
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


def _n_met_panel(fig: Figure, result: Result, n_modelled: int, lang: str) -> None:
    """Right: the distribution of the number of targets met; returns its probabilities."""
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


def _at_least_row(fig: Figure, p_at_least: np.ndarray, n_modelled: int, lang: str) -> None:
    """Under the distribution: P(at least k met) for half, 60 %, 70 %, 80 % and all targets."""
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
        value = p_at_least[kk] if kk < len(p_at_least) else 0.0
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


def cofailure(result: Result, lang: str = "zh") -> Pages:
    """Heat map of P(both missed) for every pair of targets, ordered by group; strongest pairs."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        fig = new_page(t("cofail_title", lang), t("cofail_note", lang), footer_text(result, st), st)
        rows = rows_in_policy_order(result, modelled_only=True)
        ids = [r["target_id"] for r in rows if r["target_id"] in result.cofailure.index]
        by_id = {r["target_id"]: r for r in rows}
        m = result.cofailure.loc[ids, ids].to_numpy(dtype=float)
        im = _heat_map(fig, m, ids, by_id, st)
        _colour_bar(fig, im, lang)
        _strongest_pairs(fig, m, ids, by_id, st, x0=0.665)
        return [fig]


def _heat_map(
    fig: Figure, m: np.ndarray, ids: list[str], by_id: dict[str, Any], st: Style
) -> AxesImage:
    """P(both missed) for every pair, targets numbered, white lines between goal groups."""
    lang = st.lang
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
    for _g, members in groups_in_order([by_id[i] for i in ids]):
        if pos:
            ax.axhline(pos - 0.5, color="white", lw=1.6)
            ax.axvline(pos - 0.5, color="white", lw=1.6)
        pos += len(members)
    return im


def _colour_bar(fig: Figure, im: AxesImage, lang: str) -> None:
    """The heat map's colour scale in per cent, under the pairs column."""
    cax = fig.add_axes((0.665, 0.11, 0.22, 0.014))
    cb = fig.colorbar(im, cax=cax, orientation="horizontal")
    cb.ax.tick_params(labelsize=7, length=2)
    cb.outline.set_linewidth(0.4)
    cb.formatter = PercentFormatter(1.0, decimals=0)
    cb.update_ticks()
    fig.text(0.665, 0.135, t("cofail_cbar", lang), fontsize=8, color=L.INK, va="bottom")


def _strongest_pairs(
    fig: Figure, m: np.ndarray, ids: list[str], by_id: dict[str, Any], st: Style, x0: float
) -> None:
    """Right: the nine pairs of targets whose misses are most correlated, from ``x0``."""
    lang = st.lang
    column_heading(fig, x0, t("cofail_pairs", lang), 10)
    note_text = L.wrapped(t("cofail_pairs_note", lang), columns(RIGHT - x0, 7.5, lang))
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
        room = columns(RIGHT - x0 - 0.075, 8, lang)
        fig.text(x0, y, L.shorten(la, room), fontsize=8, color=L.INK, va="top")
        fig.text(x0, y - 0.022, "+ " + L.shorten(lb, room - 3), fontsize=8, color=L.INK, va="top")
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
