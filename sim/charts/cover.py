"""The cover page: the scenario, the headline counts, P(all met), the weakest targets, and
how to read the pack."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sim.analysis import (
    groups_in_order,
    rows_in_policy_order,
)
from sim.charts import labels as L
from sim.charts.common import (
    Pages,
    columns,
    lever_change_lines,
    p_all_text,
    status_counts,
)
from sim.charts.labels import t
from sim.charts.layout import (
    CONTENT_BOTTOM,
    LEFT,
    RIGHT,
    Style,
    footer_text,
    new_page,
    run_date,
    styled,
)
from sim.results import Result


def cover(result: Result, lang: str = "zh") -> Pages:
    """Cover: scenario, run, headline counts, P(all met), expected number met, how to read."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        fig = new_page(t("pack_title", lang), _subtitle(st), footer_text(result, st), st)
        bottom = _scenario_block(fig, result, st, x=LEFT, y=0.845, width=0.46)
        box_top = _how_to_read(fig, st, x=LEFT, y=CONTENT_BOTTOM, width=RIGHT - LEFT)
        strip_y = bottom - 0.04
        if _group_strip(None, result, st, LEFT, strip_y) > box_top + 0.02:  # room for it
            _group_strip(fig, result, st, LEFT, strip_y)
        _headline_block(fig, result, st, x=0.545, y=0.845)
        return [fig]


def _subtitle(st: Style) -> str:
    if st.cjk or st.lang == "zh":
        return t("pack_subtitle", st.lang)
    return t("pack_subtitle_plain", st.lang)


def _scenario_block(
    fig: Figure, result: Result, st: Style, x: float, y: float, width: float
) -> float:
    lang = st.lang
    sc = result.scenario
    fig.text(x, y, t("scenario", lang), fontsize=9, color=L.MUTED, va="top")
    name = L.scenario_title(sc, lang)
    fig.text(x, y - 0.025, st.text(name), fontsize=18, fontweight="bold", color=L.INK, va="top")
    if name != sc.name:
        fig.text(x, y - 0.075, sc.name, fontsize=8.5, color=L.MUTED, va="top")
    yy = y - 0.105
    if sc.description:
        text = L.user_text(L.wrapped(st.text(sc.description), columns(width, 9, lang), 3))
        fig.text(x, yy, text, fontsize=9, color=L.INK, va="top", linespacing=1.35)
        yy -= 0.03 * (text.count("\n") + 1) + 0.012
    fig.text(x, yy, t("lever_changes", lang), fontsize=9, fontweight="bold", color=L.INK, va="top")
    yy -= 0.03
    lines = lever_change_lines(result, lang)
    if not lines:
        lines = [t("no_lever_changes", lang)]
    shown = lines[:7]
    if len(lines) > 7:
        shown[-1] = f"… (+{len(lines) - 6})"
    for line in shown:
        fig.text(x + 0.008, yy, "• " + st.text(line), fontsize=8.5, color=L.INK, va="top")
        yy -= 0.026
    extra = _readings_lines(result, lang)
    for line in extra[:3]:
        fig.text(x + 0.008, yy, "• " + st.text(line), fontsize=8.5, color=L.INK, va="top")
        yy -= 0.026
    cost = float(result.manifest.get("annual_cost_wan", sc.annual_cost_wan()))
    yy -= 0.006
    sep = t("colon", lang)
    fig.text(
        x,
        yy,
        f"{t('annual_cost', lang)}{sep}{t('wan_per_year', lang, v=L.num(cost, 'en'))}",
        fontsize=9,
        fontweight="bold",
        color=L.INK,
        va="top",
    )
    m = result.manifest
    info = t(
        "run_info",
        lang,
        draws=f"{int(m['draws']):,}",
        seed=m["seed"],
        date=run_date(m),
        version=m.get("sim_version", "?"),
    )
    fig.text(x, yy - 0.03, info, fontsize=8, color=L.MUTED, va="top")
    return yy - 0.03


def _group_strip(fig: Figure | None, result: Result, st: Style, x: float, y: float) -> float:
    """One line per goal group: a coloured square per target; returns the bottom y.

    With ``fig=None`` only measures.
    """
    lang = st.lang
    groups_ = groups_in_order(rows_in_policy_order(result, modelled_only=True))
    bottom = y - 0.034 - 0.022 * len(groups_)
    if fig is None:
        return bottom
    fig.text(x, y, t("by_group", lang), fontsize=9, fontweight="bold", color=L.INK, va="top")
    y -= 0.034
    size, gap = 0.0125, 0.004
    longest = max((L._columns_of(L.group_name(g, lang)) for g, _ in groups_), default=10)
    label_w = longest * 8.5 / 2 / 72 / 11.69 + 0.012
    for g, members in groups_:
        fig.text(x, y - size / 2, L.group_name(g, lang), fontsize=8.5, color=L.INK, va="center")
        for i, r in enumerate(sorted(members, key=lambda r: -r["p_met"])):
            fig.add_artist(
                Rectangle(
                    (x + label_w + i * (size + gap), y - size),
                    size,
                    size,
                    transform=fig.transFigure,
                    lw=0,
                    facecolor=L.STATUS_COLOURS[r["status"]],
                )
            )
        y -= 0.022
    return bottom


def _readings_lines(result: Result, lang: str) -> list[str]:
    out = []
    sc = result.scenario
    if sc.readings:
        names = ", ".join(f"{k} = {v}" for k, v in sc.readings.items())
        out.append(f"{t('readings', lang)}: {names}")
    if sc.assumptions:
        names = ", ".join(f"{k} = {v:g}" for k, v in sc.assumptions.items())
        out.append(f"{t('assumptions_fixed', lang)}: {names}")
    return out


def _how_to_read(fig: Figure, st: Style, x: float, y: float, width: float) -> float:
    """The 'how to read' box, anchored at its bottom at ``y`` and sized to its text."""
    lang = st.lang
    text = L.wrapped(t("how_to_read_text", lang), columns(width, 8.5, lang) - 2)
    n_lines = text.count("\n") + 1
    line_h = 8.5 * 1.45 / 72 / 8.27
    height = 0.03 + n_lines * line_h + 0.03
    fig.add_artist(
        Rectangle(
            (x - 0.008, y),
            width + 0.016,
            height,
            transform=fig.transFigure,
            facecolor="#f2f2f2",
            lw=0,
            zorder=0,
        )
    )
    top = y + height - 0.018
    fig.text(x, top, t("how_to_read", lang), fontsize=9.5, fontweight="bold", color=L.INK, va="top")
    fig.text(x, top - 0.03, text, fontsize=8.5, color=L.INK, va="top", linespacing=1.45)
    return y + height


def _headline_block(fig: Figure, result: Result, st: Style, x: float, y: float) -> None:
    """Right column: the status tiles, P(all met), expected number met, the weakest targets."""
    lang = st.lang
    counts = status_counts(result)
    tile_h = _status_tiles(fig, counts, lang, x, y)
    modelled = counts["likely"] + counts["uncertain"] + counts["at_risk"]
    line = t("targets_modelled", lang, n=modelled)
    if counts["qualitative"] or counts["not_modelled"]:
        sep = t("semicolon", lang)
        line += sep + t("qualitative_note", lang, n=counts["qualitative"] + counts["not_modelled"])
    fig.text(x, y - tile_h - 0.025, line, fontsize=8.5, color=L.INK, va="top")
    fig.text(x, y - tile_h - 0.05, t("status_rule", lang), fontsize=7.5, color=L.MUTED, va="top")
    yy = _joint_figures(fig, result, modelled, lang, x, y - tile_h - 0.105)
    _lowest_targets(fig, result, st, x, yy - 0.08)


def _status_tiles(fig: Figure, counts: dict[str, int], lang: str, x: float, y: float) -> float:
    """One coloured tile per status with its count, left to right from ``x``; returns height."""
    tile_w, tile_h, gap = 0.128, 0.15, 0.012
    for i, status in enumerate(L.STATUSES):
        left = x + i * (tile_w + gap)
        fig.add_artist(
            Rectangle(
                (left, y - tile_h),
                tile_w,
                tile_h,
                transform=fig.transFigure,
                facecolor=L.STATUS_COLOURS[status],
                lw=0,
            )
        )
        colour = L.STATUS_TEXT_COLOURS[status]
        fig.text(
            left + tile_w / 2,
            y - 0.062,
            str(counts[status]),
            fontsize=34,
            fontweight="bold",
            color=colour,
            ha="center",
            va="center",
        )
        fig.text(
            left + tile_w / 2,
            y - 0.122,
            L.status_name(status, lang),
            fontsize=11,
            color=colour,
            ha="center",
            va="center",
        )
    return tile_h


def _joint_figures(
    fig: Figure, result: Result, modelled: int, lang: str, x: float, yy: float
) -> float:
    """P(all met) and the expected number met, large at the right; returns the last line's y."""
    value, detail = p_all_text(result, lang)
    fig.text(x, yy, t("p_all", lang), fontsize=9.5, color=L.INK, va="top")
    fig.text(
        RIGHT, yy + 0.006, value, fontsize=17, fontweight="bold", color=L.INK, ha="right", va="top"
    )
    if detail:
        fig.text(x, yy - 0.028, detail, fontsize=7.5, color=L.MUTED, va="top")
    yy -= 0.07
    e = float(result.joint.loc["expected_number_met", "p"])
    e_se = float(result.joint.loc["expected_number_met", "mc_se"])
    fig.text(x, yy, t("expected_met", lang), fontsize=9.5, color=L.INK, va="top")
    fig.text(
        RIGHT,
        yy + 0.006,
        t("expected_of_n", lang, e=f"{e:.1f}", n=modelled),
        fontsize=17,
        fontweight="bold",
        color=L.INK,
        ha="right",
        va="top",
    )
    fig.text(x, yy - 0.028, f"± {e_se:.2f}", fontsize=7.5, color=L.MUTED, va="top")
    return yy


def _lowest_targets(fig: Figure, result: Result, st: Style, x: float, yy: float) -> None:
    """The five targets least likely to be met, with their status colour and P(met)."""
    lang = st.lang
    fig.text(x, yy, t("lowest", lang), fontsize=9.5, fontweight="bold", color=L.INK, va="top")
    rows = sorted(rows_in_policy_order(result, modelled_only=True), key=lambda r: r["p_met"])[:5]
    yy -= 0.033
    for r in rows:
        fig.add_artist(
            Rectangle(
                (x, yy - 0.016),
                0.011,
                0.016,
                transform=fig.transFigure,
                facecolor=L.STATUS_COLOURS[r["status"]],
                lw=0,
            )
        )
        fig.text(
            x + 0.018,
            yy - 0.008,
            st.text(L.target_label(r, lang)),
            fontsize=8.5,
            color=L.INK,
            va="center",
        )
        fig.text(
            RIGHT,
            yy - 0.008,
            L.pct(r["p_met"], 1),
            fontsize=8.5,
            color=L.INK,
            ha="right",
            va="center",
        )
        yy -= 0.027
