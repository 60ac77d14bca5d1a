"""Comparison charts for several results of one joint run (the first is the reference).

Every function takes the list of results and ``lang`` and returns a list of Figures. The
paired differences come from each result's ``comparison`` table (common random numbers, see
:func:`sim.run_many`); results that were not run together are compared as if independent,
which is conservative, and the pages say so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator, PercentFormatter
from matplotlib.transforms import blended_transform_factory

from sim.charts import labels as L
from sim.charts.labels import t
from sim.charts.layout import (
    CONTENT_BOTTOM,
    CONTENT_TOP,
    FOOTER_Y,
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
    run_date,
    styled,
)
from sim.charts.pages import _columns, _groups_in_order, _headline_counts, ordered_rows

Pages = list[Figure]
LIKELY, UNCERTAIN = 0.8, 0.5


# ================================================================== data


def differences(results: Sequence[Any]) -> dict[str, pd.DataFrame]:
    """Per non-reference scenario: target_id, p_reference, p_scenario, difference, se, paired.

    Includes the row ``all_targets``. Paired (from the result's ``comparison`` table) when
    that table exists and names the first result as its reference; otherwise computed as
    independent samples (``paired`` False).
    """
    ref = results[0]
    ref_a = ref.attainment.set_index("target_id")
    out = {}
    for res in results[1:]:
        comp = res.comparison
        if comp is not None and len(comp) and (comp["reference"] == ref.scenario.name).all():
            df = comp[["target_id", "p_reference", "p_scenario", "difference", "difference_se"]]
            out[res.scenario.name] = df.assign(paired=True).reset_index(drop=True)
            continue
        a = res.attainment.set_index("target_id")
        rows = []
        for tid in a.index:
            if tid not in ref_a.index or not np.isfinite(a.loc[tid, "p_met"]):
                continue
            p1, p0 = float(a.loc[tid, "p_met"]), float(ref_a.loc[tid, "p_met"])
            se = math.hypot(float(a.loc[tid, "mc_se"]), float(ref_a.loc[tid, "mc_se"]))
            rows.append((tid, p0, p1, p1 - p0, se))
        p0, p1 = ref.p_all, res.p_all
        se = math.hypot(
            float(ref.joint.loc["all_targets", "mc_se"]),
            float(res.joint.loc["all_targets", "mc_se"]),
        )
        rows.append(("all_targets", p0, p1, p1 - p0, se))
        out[res.scenario.name] = pd.DataFrame(
            rows, columns=["target_id", "p_reference", "p_scenario", "difference", "difference_se"]
        ).assign(paired=False)
    return out


def annual_cost(result: Any) -> float:
    """The scenario's annual lever cost in 万元 (from the manifest, else recomputed)."""
    value = result.manifest.get("annual_cost_wan")
    return float(value) if value is not None else float(result.scenario.annual_cost_wan())


def crossings(results: Sequence[Any]) -> dict[str, list[dict[str, Any]]]:
    """Per non-reference scenario: targets whose P(met) crosses 0.5 or 0.8 against the reference.

    Each entry: target row (from the scenario), p_reference, p_scenario, line (0.5 or 0.8),
    direction ("up" or "down").
    """
    ref = {r["target_id"]: r for r in ordered_rows(results[0], modelled_only=True)}
    out: dict[str, list[dict[str, Any]]] = {}
    for res in results[1:]:
        moves = []
        for r in ordered_rows(res, modelled_only=True):
            r0 = ref.get(r["target_id"])
            if r0 is None:
                continue
            p0, p1 = float(r0["p_met"]), float(r["p_met"])
            for line in (LIKELY, UNCERTAIN):
                if p0 < line <= p1:
                    moves.append(
                        {
                            "row": r,
                            "p_reference": p0,
                            "p_scenario": p1,
                            "line": line,
                            "direction": "up",
                        }
                    )
                elif p1 < line <= p0:
                    moves.append(
                        {
                            "row": r,
                            "p_reference": p0,
                            "p_scenario": p1,
                            "line": line,
                            "direction": "down",
                        }
                    )
        out[res.scenario.name] = moves
    return out


def _footer(results: Sequence[Any], st: Style) -> str:
    lang = st.lang
    names = " / ".join(L.scenario_name(r.scenario.name, lang) for r in results)
    m = results[0].manifest
    draws = f"{int(m['draws']):,}"
    if lang == "zh":
        return (
            f"{t('footer', lang)}  ·  比较：{names}  ·  各 {draws} 次模拟  ·  种子 {m['seed']}  ·  "
            f"{run_date(m)}"
        )
    return (
        f"{t('footer', lang)}  ·  comparing {names}  ·  {draws} draws each  ·  seed "
        f"{m['seed']}  ·  {run_date(m)}"
    )


def _colour(i: int) -> str:
    return L.SCENARIO_COLOURS[i % len(L.SCENARIO_COLOURS)]


def _marker(i: int) -> str:
    return L.SCENARIO_MARKERS[i % len(L.SCENARIO_MARKERS)]


def _marker_style(i: int, size: float) -> dict[str, Any]:
    """Marker of package ``i``: the reference is a tall tick, visible behind the others."""
    if i == 0:
        return {"marker": "|", "color": _colour(0), "ms": size * 2, "mew": 1.8}
    return {"marker": _marker(i), "color": _colour(i), "ms": size, "mec": "white", "mew": 0.5}


def _all_paired(diffs: dict[str, pd.DataFrame]) -> bool:
    return all(bool(df["paired"].all()) for df in diffs.values())


def _pp(x: float) -> str:
    """A difference in percentage points, signed."""
    v = 100 * x
    sign = "+" if v > 0.05 else ("−" if v < -0.05 else "±")
    return f"{sign}{abs(v):.1f}"


# ================================================================== cover


def comparison_cover(results: Sequence[Any], lang: str = "zh") -> Pages:
    """The packages side by side: cost, status counts, expected number met, P(all), top gains."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        subtitle = (
            t("pack_subtitle", lang) if (st.cjk or lang == "zh") else t("pack_subtitle_plain", lang)
        )
        fig = new_page(t("cmp_cover_title", lang), subtitle, _footer(results, st), st)
        diffs = differences(results)
        ref_cost = annual_cost(results[0])
        ref_expected = float(results[0].joint.loc["expected_number_met", "p"])
        cols = [
            Column(t("col_scenario", lang), 2.6),
            Column(t("col_cost_total", lang), 1.3, "right"),
            Column(t("col_extra_cost", lang), 1.2, "right"),
            Column(L.status_name("likely", lang), 1.0, "center"),
            Column(L.status_name("uncertain", lang), 1.0, "center"),
            Column(L.status_name("at_risk", lang), 1.0, "center"),
            Column(t("col_expected", lang), 1.5, "right"),
            Column(t("col_p_all", lang), 1.4, "right"),
        ]
        rows = []
        for i, res in enumerate(results):
            counts = _headline_counts(res)
            cost = annual_cost(res)
            e = float(res.joint.loc["expected_number_met", "p"])
            name = L.scenario_name(res.scenario.name, lang)
            extra = t("reference", lang) if i == 0 else f"{cost - ref_cost:+,.0f}".replace("-", "−")
            e_text = f"{e:.1f}"
            if i:
                delta = f"{e - ref_expected:+.1f}".replace("-", "−")
                e_text += f"（{delta}）" if lang == "zh" else f" ({delta})"
            rows.append(
                Row(
                    [
                        Cell(name, weight="bold", color=_colour(i)),
                        Cell(L.num(cost, "en")),
                        Cell(extra, color=L.MUTED if i == 0 else L.INK),
                        *[
                            Cell(
                                str(counts[s]),
                                background=L.STATUS_COLOURS[s],
                                color=L.STATUS_TEXT_COLOURS[s],
                                weight="bold",
                            )
                            for s in L.STATUSES
                        ],
                        Cell(e_text, weight="bold"),
                        Cell(L.pct(res.p_all, 1)),
                    ],
                    rule=True,
                )
            )
        height = 0.045 * (len(rows) + 1)
        bottom = draw_table(
            fig, (LEFT, CONTENT_TOP - height, RIGHT - LEFT, height), cols, rows, st, font_size=9.5
        )
        # one block per package: measures changed and the largest changes in P(met)
        from sim.charts.pages import _lever_change_lines

        blocks = list(results[1:])
        width = min((RIGHT - LEFT) / max(len(blocks), 1), 0.46)
        top = bottom - 0.04
        lowest = top
        for j, res in enumerate(blocks):
            x = LEFT + j * width
            i = j + 1
            fig.text(
                x,
                top,
                L.scenario_name(res.scenario.name, lang),
                fontsize=11,
                fontweight="bold",
                color=_colour(i),
                va="top",
            )
            y = top - 0.035
            lines = _lever_change_lines(res, lang) or [t("no_lever_changes", lang)]
            if len(lines) > 5:
                lines = [*lines[:4], f"… (+{len(lines) - 4})"]
            for line in lines:
                text = L.shorten(st.text(line), _columns(width - 0.03, 8, lang))
                fig.text(x, y, "• " + text, fontsize=8, color=L.INK, va="top")
                y -= 0.022
            y -= 0.012
            fig.text(
                x,
                y,
                t("cmp_top_changes", lang),
                fontsize=8.5,
                fontweight="bold",
                color=L.INK,
                va="top",
            )
            y -= 0.028
            d = diffs[res.scenario.name]
            d = d[d["target_id"] != "all_targets"]
            by_id = {r["target_id"]: r for r in ordered_rows(res, modelled_only=True)}
            top_moves = d.reindex(d["difference"].abs().sort_values(ascending=False).index)
            for _, row in top_moves.head(4).iterrows():
                r = by_id.get(row["target_id"])
                if r is None:
                    continue
                label = L.shorten(st.text(L.target_label(r, lang)), _columns(width - 0.1, 8, lang))
                fig.text(x, y, label, fontsize=8, color=L.INK, va="top")
                fig.text(
                    x + width - 0.03,
                    y,
                    _pp(row["difference"]),
                    fontsize=8,
                    fontweight="bold",
                    color=L.INK,
                    va="top",
                    ha="right",
                )
                y -= 0.023
            moves = crossings(results)[res.scenario.name]
            up = sum(m["direction"] == "up" for m in moves)
            fig.text(
                x,
                y - 0.006,
                t("cmp_cross_count", lang, up=up, down=len(moves) - up),
                fontsize=8,
                color=L.MUTED,
                va="top",
            )
            lowest = min(lowest, y - 0.03)
        _group_table(fig, results, st, top=lowest - 0.03)
        text = t("cmp_paired", lang) if _all_paired(diffs) else t("cmp_unpaired", lang)
        text += (" " if lang == "en" else "") + t("cmp_pp_unit", lang)
        note(fig, L.wrapped(text, _columns(RIGHT - LEFT, 7.5, lang) - 4), st)
        return [fig]


def _group_table(fig: Figure, results: Sequence[Any], st: Style, top: float) -> None:
    """Expected number of targets met in each goal group, per package (if there is room)."""
    lang = st.lang
    groups = _groups_in_order(ordered_rows(results[0], modelled_only=True))
    row_h = 0.026
    height = row_h * (len(groups) + 1)
    if top - height < CONTENT_BOTTOM + 0.01:
        return
    cols = [Column(t("cmp_group_col", lang), 2.4)]
    cols += [Column(L.scenario_name(r.scenario.name, lang), 1.6, "right") for r in results]
    per = [{r["target_id"]: r for r in ordered_rows(res, modelled_only=True)} for res in results]
    rows = []
    for g, members in groups:
        cells = [Cell(f"{L.group_name(g, lang)}{t('group_targets', lang, n=len(members))}")]
        base = None
        for i, p in enumerate(per):
            e = sum(float(p[m["target_id"]]["p_met"]) for m in members if m["target_id"] in p)
            base = e if i == 0 else base
            text = f"{e:.2f}"
            if i and base is not None and abs(e - base) >= 0.005:
                text += f"（{e - base:+.2f}）" if lang == "zh" else f" ({e - base:+.2f})"
            cells.append(
                Cell(text.replace("-", "−"), weight="bold" if i and e - base >= 0.1 else "normal")
            )
        rows.append(Row(cells, rule=True))
    fig.text(
        LEFT,
        top + 0.006,
        t("cmp_group_title", lang),
        fontsize=9,
        fontweight="bold",
        color=L.INK,
        va="bottom",
    )
    width = min(RIGHT - LEFT, 0.24 + 0.16 * len(results))
    draw_table(fig, (LEFT, top - height, width, height), cols, rows, st, font_size=8.3)


# ================================================================== P(met) side by side


def _slots(results: Sequence[Any]) -> list[tuple[str, Any]]:
    rows = ordered_rows(results[0], modelled_only=True)
    slots: list[tuple[str, Any]] = []
    for g, members in _groups_in_order(rows):
        slots.append(("group", g))
        slots.extend(("target", r) for r in members)
    return slots


def _group_band(fig: Figure, ax: Any, y: float, text: str, right: float) -> None:
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


def comparison_pmet(results: Sequence[Any], lang: str = "zh") -> Pages:
    """P(met) per target under every package: one row per target, one dot per package."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        fig = new_page(
            t("cmp_pmet_title", lang), t("cmp_pmet_note", lang), _footer(results, st), st
        )
        slots = _slots(results)
        n = len(slots)
        ax = fig.add_axes((0.30, CONTENT_BOTTOM + 0.01, 0.65, CONTENT_TOP - CONTENT_BOTTOM - 0.05))
        ax.patch.set_alpha(0)
        ys = np.arange(n)[::-1].astype(float)
        per = [
            {r["target_id"]: r for r in ordered_rows(res, modelled_only=True)} for res in results
        ]
        ticks, tick_labels = [], []
        for y, (kind, item) in zip(ys, slots, strict=True):
            if kind == "group":
                _group_band(fig, ax, y, L.group_name(item, lang), 0.95)
                continue
            tid = item["target_id"]
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
                    ax.plot(p[tid]["p_met"], y, lw=0, zorder=3 + (i > 0), **_marker_style(i, 5))
            ticks.append(y)
            tick_labels.append(st.text(L.target_label(item, lang)))
        ax.set_yticks(ticks, tick_labels, fontsize=7.8)
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
        handles = [
            Line2D(
                [], [], lw=0, label=L.scenario_name(res.scenario.name, lang), **_marker_style(i, 6)
            )
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
        return [fig]


# ================================================================== paired differences


def comparison_differences(results: Sequence[Any], lang: str = "zh") -> Pages:
    """Each package's change in P(met) against the reference, with ±1.96 SE (paired)."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        diffs = differences(results)
        ref_name = L.scenario_name(results[0].scenario.name, lang)
        subtitle = t("cmp_diff_sub", lang, ref=ref_name)
        fig = new_page(t("cmp_diff_title", lang), subtitle, _footer(results, st), st)
        slots = [("all", None), *_slots(results)]
        n = len(slots)
        ys = np.arange(n)[::-1].astype(float)
        others = list(results[1:])
        lo = min(
            (float((d["difference"] - 1.96 * d["difference_se"]).min()) for d in diffs.values()),
            default=0.0,
        )
        hi = max(
            (float((d["difference"] + 1.96 * d["difference_se"]).max()) for d in diffs.values()),
            default=0.0,
        )
        pad = 0.18 * max(hi - lo, 0.05)
        xlim = (min(lo, 0.0) - (pad if lo < -0.005 else 0.01), max(hi, 0.0) + pad)
        lim = xlim[1] - xlim[0]
        x0, x1 = 0.30, 0.965
        gap = 0.02
        w = (x1 - x0 - gap * (len(others) - 1)) / max(len(others), 1)
        ticks, tick_labels = [], []
        for j, res in enumerate(others):
            i = j + 1
            d = diffs[res.scenario.name].set_index("target_id")
            ax = fig.add_axes(
                (x0 + j * (w + gap), CONTENT_BOTTOM + 0.05, w, CONTENT_TOP - CONTENT_BOTTOM - 0.125)
            )
            ax.patch.set_alpha(0)
            for y, (kind, item) in zip(ys, slots, strict=True):
                if kind == "group":
                    if j == 0:
                        _group_band(fig, ax, y, L.group_name(item, lang), x1)
                    continue
                tid = "all_targets" if kind == "all" else item["target_id"]
                if tid not in d.index:
                    continue
                diff, se = float(d.loc[tid, "difference"]), float(d.loc[tid, "difference_se"])
                significant = abs(diff) > 2 * se and abs(diff) > 0
                ax.barh(
                    y,
                    diff,
                    height=0.62,
                    color=_colour(i) if significant else "white",
                    edgecolor=_colour(i),
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
                        _pp(diff),
                        fontsize=6.6,
                        va="center",
                        ha=ha,
                        color=L.INK,
                        zorder=4,
                    )
                if j == 0:
                    ticks.append(y)
                    label = t("all_targets", lang) if kind == "all" else L.target_label(item, lang)
                    tick_labels.append(st.text(label))
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
            if j == 0:
                ax.set_yticks(ticks, tick_labels, fontsize=7.8)
                ax.tick_params(axis="y", length=0, pad=4)
                ax.get_yticklabels()[0].set_fontweight("bold")
            else:
                ax.set_yticks([])
            cost = annual_cost(res) - annual_cost(results[0])
            title = L.scenario_name(res.scenario.name, lang)
            centre = x0 + j * (w + gap) + w / 2
            fig.text(
                centre,
                0.858,
                title,
                fontsize=10.5,
                fontweight="bold",
                color=_colour(i),
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
        fig.text(
            (x0 + x1) / 2,
            CONTENT_BOTTOM + 0.02,
            t("cmp_diff_x", lang),
            ha="center",
            fontsize=8,
            color=L.MUTED,
        )
        text = t("cmp_paired", lang) if _all_paired(diffs) else t("cmp_unpaired", lang)
        text += (" " if lang == "en" else "") + t("cmp_filled", lang)
        note(fig, L.wrapped(text, _columns(RIGHT - LEFT, 7.5, lang) - 4), st, y=FOOTER_Y + 0.027)
        return [fig]


# ================================================================== cost and effect


def comparison_costs(results: Sequence[Any], lang: str = "zh") -> Pages:
    """Annual cost against expected number of targets met; targets moved across 50 % / 80 %."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        fig = new_page(t("cmp_cost_title", lang), t("cmp_cost_sub", lang), _footer(results, st), st)
        ax = fig.add_axes((0.09, 0.42, 0.36, 0.40))
        costs = [annual_cost(r) for r in results]
        es = [float(r.joint.loc["expected_number_met", "p"]) for r in results]
        ses = [float(r.joint.loc["expected_number_met", "mc_se"]) for r in results]
        for i, (c, e, se, res) in enumerate(zip(costs, es, ses, results, strict=True)):
            ax.errorbar(
                c,
                e,
                yerr=1.96 * se,
                fmt="o" if i == 0 else _marker(i),
                color=_colour(i),
                ms=8,
                capsize=2,
                lw=0.8,
                mec="white",
                mew=0.6,
                zorder=3,
            )
            ax.annotate(
                L.scenario_name(res.scenario.name, lang),
                (c, e),
                xytext=(8, 4),
                textcoords="offset points",
                fontsize=8.5,
                color=_colour(i),
            )
        xr = max(costs) - min(costs) or max(costs) * 0.1 or 1.0
        yr = max(es) - min(es) or 1.0
        ax.set_xlim(min(costs) - 0.15 * xr, max(costs) + 0.45 * xr)
        ax.set_ylim(min(es) - 0.3 * yr, max(es) + 0.3 * yr)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.set_xlabel(t("cmp_cost_x", lang))
        ax.set_ylabel(t("cmp_cost_y", lang))
        ax.grid(color="#e6e6e6", lw=0.5)
        ax.set_axisbelow(True)
        # table: extra cost, extra targets, cost per extra target
        cols = [
            Column(t("col_scenario", lang), 1.9),
            Column(t("col_extra_cost", lang), 1.5, "right"),
            Column(t("cmp_extra_met", lang), 1.5, "right"),
            Column(t("cmp_per_target", lang), 2.1, "right"),
        ]
        rows = []
        for i, res in enumerate(results[1:], start=1):
            dc = costs[i] - costs[0]
            de = es[i] - es[0]
            per = "–" if de <= 0.05 else f"{dc / de:,.0f}"
            rows.append(
                Row(
                    [
                        Cell(
                            L.scenario_name(res.scenario.name, lang),
                            weight="bold",
                            color=_colour(i),
                        ),
                        Cell(f"{dc:+,.0f}".replace("-", "−")),
                        Cell(f"{de:+.1f}".replace("-", "−")),
                        Cell(per),
                    ],
                    rule=True,
                )
            )
        height = 0.045 * (len(rows) + 1)
        draw_table(fig, (LEFT, 0.30 - height, 0.44, height), cols, rows, st, font_size=8.5)
        note_text = L.wrapped(t("cmp_cost_note", lang), _columns(0.44, 7.5, lang) - 2)
        fig.text(
            LEFT,
            0.30 - height - 0.025,
            note_text,
            fontsize=7.5,
            color=L.MUTED,
            va="top",
            linespacing=1.4,
        )
        # right: crossings
        x0 = 0.53
        column_heading(fig, x0, t("cmp_crossings", lang), 10.5)
        moves = crossings(results)
        others = list(results[1:])
        col_w = (RIGHT - x0) / max(len(others), 1)
        for j, res in enumerate(others):
            x = x0 + j * col_w
            y = CONTENT_TOP - 0.045
            fig.text(
                x,
                y,
                L.scenario_name(res.scenario.name, lang),
                fontsize=9.5,
                fontweight="bold",
                color=_colour(j + 1),
                va="top",
            )
            y -= 0.032
            items = moves[res.scenario.name]
            if not items:
                fig.text(x, y, t("cmp_no_crossings", lang), fontsize=8, color=L.MUTED, va="top")
            max_items = 6
            for m in items[:max_items]:
                arrow = "▲" if m["direction"] == "up" else "▼"
                colour = (
                    L.STATUS_COLOURS["likely"]
                    if m["direction"] == "up"
                    else (L.STATUS_COLOURS["at_risk"])
                )
                label = L.shorten(
                    st.text(L.target_label(m["row"], lang)), _columns(col_w - 0.02, 8, lang) - 2
                )
                fig.text(x, y, arrow, fontsize=7.5, color=colour, va="top")
                fig.text(x + 0.013, y, label, fontsize=8, color=L.INK, va="top")
                line = f"{100 * m['line']:.0f}%"
                detail = (
                    (
                        f"{L.pct(m['p_reference'], 1)} → {L.pct(m['p_scenario'], 1)}"
                        f"（{t('cmp_line', lang, line=line)}）"
                    )
                    if lang == "zh"
                    else (
                        f"{L.pct(m['p_reference'], 1)} → {L.pct(m['p_scenario'], 1)} "
                        f"({t('cmp_line', lang, line=line)})"
                    )
                )
                fig.text(x + 0.013, y - 0.021, detail, fontsize=7.2, color=L.MUTED, va="top")
                y -= 0.047
            if len(items) > max_items:
                fig.text(x, y, f"… +{len(items) - max_items}", fontsize=8, color=L.MUTED, va="top")
        _n_met_overlay(fig, results, st, (0.57, 0.12, 0.39, 0.34))
        return [fig]


def _n_met_overlay(fig: Figure, results: Sequence[Any], st: Style, rect: tuple) -> None:
    """The distribution of the number of targets met, one step line per package."""
    lang = st.lang
    ax = fig.add_axes(rect)
    top = 0.0
    lo_k, hi_k = 10**6, 0
    for i, res in enumerate(results):
        nm = res.n_met
        k = nm["targets_met"].to_numpy(dtype=int)
        p = nm["probability"].to_numpy(dtype=float)
        ax.stairs(
            p,
            np.r_[k - 0.5, k[-1] + 0.5],
            color=_colour(i),
            lw=1.4,
            label=L.scenario_name(res.scenario.name, lang),
        )
        e = float(res.joint.loc["expected_number_met", "p"])
        ax.axvline(e, color=_colour(i), lw=0.8, ls=(0, (3, 2)))
        top = max(top, float(p.max()))
        nz = np.flatnonzero(p > 5e-4)
        if len(nz):
            lo_k, hi_k = min(lo_k, int(k[nz.min()])), max(hi_k, int(k[nz.max()]))
    ax.set_xlim(lo_k - 1, hi_k + 1)
    ax.set_ylim(0, top * 1.15)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=10))
    ax.set_xlabel(t("joint_nmet_x", lang))
    ax.grid(axis="y", color="#e6e6e6", lw=0.5)
    ax.set_axisbelow(True)
    ax.legend(loc="upper right", fontsize=7.5, handlelength=1.5)
    ax.set_title(t("cmp_nmet_title", lang), loc="left", fontsize=10, fontweight="bold", pad=8)


# ================================================================== levers


def comparison_levers(results: Sequence[Any], lang: str = "zh") -> Pages:
    """The settings of every lever that differs from the status quo in any package."""
    from sim.levers import levers

    with styled(lang, warn=False) as st:
        lang = st.lang
        fig = new_page(
            t("cmp_levers_title", lang), t("cmp_levers_note", lang), _footer(results, st), st
        )
        catalogue = levers()
        settings = [dict(r.manifest.get("scenario_levers") or r.scenario.levers) for r in results]
        changed = [
            lid
            for lid, lever in catalogue.items()
            if any(s.get(lid, lever.status_quo) != lever.status_quo for s in settings)
        ]
        cols = [
            Column(t("col_lever", lang), 3.0),
            Column(t("col_unit", lang), 1.1),
            Column(t("col_status_quo", lang), 1.1, "right"),
        ]
        cols += [Column(L.scenario_name(r.scenario.name, lang), 1.3, "right") for r in results]
        rows = []
        for lid in changed:
            lever = catalogue[lid]
            cells = [
                Cell(L.lever_name(lid, lever.name_zh, lever.name_en, lang)),
                Cell(L.lever_unit(lever.unit, lang), color=L.MUTED),
                Cell(L.num(lever.status_quo, "en"), color=L.MUTED),
            ]
            for s in settings:
                v = float(s.get(lid, lever.status_quo))
                bold = v != lever.status_quo
                cells.append(
                    Cell(
                        L.num(v, "en"),
                        weight="bold" if bold else "normal",
                        color=L.INK if bold else L.MUTED,
                    )
                )
            rows.append(Row(cells, rule=True))
        total = [
            Cell(t("cmp_total_cost", lang), weight="bold"),
            Cell(""),
            Cell(
                L.num(sum(lv.cost_wan(lv.status_quo) for lv in catalogue.values()), "en"),
                color=L.MUTED,
            ),
        ]
        total += [Cell(L.num(annual_cost(r), "en"), weight="bold") for r in results]
        rows.append(Row(total, rule=True))
        height = 0.034 * (len(rows) + 1)
        bottom = draw_table(
            fig, (LEFT, CONTENT_TOP - height, RIGHT - LEFT, height), cols, rows, st, font_size=8.5
        )
        unchanged = len(catalogue) - len(changed)
        fig.text(
            LEFT,
            bottom - 0.03,
            t("cmp_unchanged", lang, n=unchanged),
            fontsize=8,
            color=L.MUTED,
            va="top",
        )
        return [fig]


# ================================================================== registry

ComparisonFunction = Callable[[Sequence[Any], str], Pages]

COMPARISON_PAGES: list[tuple[str, ComparisonFunction]] = [
    ("cover", comparison_cover),
    ("pmet", comparison_pmet),
    ("differences", comparison_differences),
    ("costs", comparison_costs),
    ("levers", comparison_levers),
]
