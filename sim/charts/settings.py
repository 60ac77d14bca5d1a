"""The scenario's settings: the lever table, the readings, and the assumptions behind the
at-risk targets."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from sim.analysis import (
    key_parameters,
    prior_summary,
    rows_in_policy_order,
)
from sim.charts import labels as L
from sim.charts.common import (
    Pages,
    column_fracs,
    columns,
)
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
    paginate,
    styled,
)
from sim.results import Result


def levers_page(result: Result, lang: str = "zh") -> Pages:
    """The scenario's lever settings: setting, status quo, unit, annual cost; readings."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        fig = new_page(
            t("levers_title", lang),
            L.scenario_title(result.scenario, lang),
            footer_text(result, st),
            st,
        )
        settings = dict(result.manifest.get("scenario_levers") or result.scenario.levers)
        cols = [
            Column(t("col_lever", lang), 3.2),
            Column(t("col_clause", lang), 0.8),
            Column(t("col_setting", lang), 1.0, "right"),
            Column(t("col_status_quo", lang), 1.0, "right"),
            Column(t("col_unit", lang), 1.1),
            Column(t("col_cost", lang), 1.2, "right"),
        ]
        rows = _lever_rows(settings, lang)
        height = (len(rows) + 1) * 0.0262
        draw_table(fig, (LEFT, CONTENT_TOP - height, 0.70, height), cols, rows, st, font_size=7.8)
        _readings_column(fig, result, st, x0=0.78)
        return [fig]


def _lever_rows(settings: dict[str, float], lang: str) -> list[Row]:
    """One row per lever (changed ones marked ▲/▼ and in bold), then the total cost."""
    from sim.levers import levers

    rows = []
    total = 0.0
    for lid, lever in levers().items():
        value = float(settings.get(lid, lever.status_quo))
        cost = lever.cost_wan(value)
        total += cost
        changed = value != lever.status_quo
        mark = ("▲ " if value > lever.status_quo else "▼ ") if changed else ""
        weight = "bold" if changed else "normal"
        rows.append(
            Row(
                [
                    Cell(
                        mark + L.lever_name(lid, lever.name_zh, lever.name_en, lang),
                        weight=weight,
                    ),
                    Cell(L.clause(lever.clause, lang), color=L.MUTED),
                    Cell(L.num(value, "en"), weight=weight),
                    Cell(L.num(lever.status_quo, "en"), color=L.MUTED),
                    Cell(L.lever_unit(lever.unit, lang), color=L.MUTED),
                    Cell(L.num(cost, "en"), weight=weight),
                ],
                rule=True,
            )
        )
    rows.append(
        Row(
            [
                Cell(t("total", lang), weight="bold"),
                Cell(""),
                Cell(""),
                Cell(""),
                Cell(""),
                Cell(L.num(total, "en"), weight="bold"),
            ]
        )
    )
    return rows


def _readings_column(fig: Figure, result: Result, st: Style, x0: float) -> None:
    """Right column: the readings chosen, the assumptions fixed, then the note."""
    lang = st.lang
    column_heading(fig, x0, t("readings", lang), 9.5)
    sc = result.scenario
    y = CONTENT_TOP - 0.04
    rows_by_id = {r["target_id"]: r for r in rows_in_policy_order(result)}
    for line, detail in _reading_lines(sc, rows_by_id, lang) or [(t("readings_none", lang), "")]:
        text = L.wrapped(st.text(line), columns(RIGHT - x0, 8, lang))
        fig.text(x0, y, text, fontsize=8, color=L.INK, va="top", fontweight="bold")
        y -= 0.022 * (text.count("\n") + 1)
        if detail:
            text = L.wrapped(st.text(detail), columns(RIGHT - x0, 7.5, lang), max_lines=3)
            fig.text(x0, y, text, fontsize=7.5, color=L.MUTED, va="top", linespacing=1.3)
            y -= 0.019 * (text.count("\n") + 1)
        y -= 0.01
    if sc.assumptions:
        y -= 0.02
        fig.text(
            x0,
            y,
            t("assumptions_fixed", lang),
            fontsize=9.5,
            fontweight="bold",
            color=L.INK,
            va="top",
        )
        y -= 0.035
        for k, v in sc.assumptions.items():
            fig.text(x0, y, f"{k} = {v:g}", fontsize=8, color=L.INK, va="top")
            y -= 0.025
    text = L.wrapped(t("levers_note", lang), columns(RIGHT - x0, 7.5, lang))
    fig.text(x0, y - 0.03, text, fontsize=7.5, color=L.MUTED, va="top", linespacing=1.4)


def _reading_lines(sc: Any, rows_by_id: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """(target and reading, the catalogue's note on the reading) for each reading chosen."""
    from sim.targets import targets

    out = []
    for tid, name in sc.readings.items():
        row = rows_by_id.get(tid)
        subject = L.target_label(row, lang) if row else tid
        reading = targets()[tid].readings.get(name) if tid in targets() else None
        out.append((f"{subject} · {name}", reading.note if reading else ""))
    return out


PARAMS_PER_PAGE = 11


MAX_PARAM_PAGES = 2


def _fmt_prior(pid: str, lang: str) -> str:
    from sim.priors import parameters

    prior = parameters()[pid]
    if prior.dist == "fixed":
        return f"{prior.value:g}"
    med, lo, hi = prior_summary(pid)

    def f(v: float) -> str:
        return f"{v:.3g}".replace("-", "−")

    return t("prior_range", lang, median=f(med), low=f(lo), high=f(hi))


def params_pages(result: Result, lang: str = "zh") -> Pages:
    """The priors behind the at-risk targets, with their basis text (see :func:`key_parameters`)."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        entries = key_parameters(result)
        shown = entries[: PARAMS_PER_PAGE * MAX_PARAM_PAGES]
        rows_by_id = {r["target_id"]: r for r in rows_in_policy_order(result)}
        figs = []
        cols = [
            Column(t("col_param", lang), 2.85),
            Column(t("col_prior", lang), 1.95),
            Column(t("col_basis", lang), 5.2),
            Column(t("col_drives", lang), 2.0),
        ]
        widths = column_fracs(cols, RIGHT - LEFT)
        chunks = paginate(shown, PARAMS_PER_PAGE)
        for page_no, page in enumerate(chunks):
            fig = new_page(t("params_title", lang), "", footer_text(result, st), st)
            if not page:
                fig.text(0.5, 0.5, t("params_none", lang), ha="center", fontsize=14)
                figs.append(fig)
                continue
            rows = [_param_row(e, widths, rows_by_id, st) for e in page]
            row_h, head_h = 0.064, 0.035
            height = len(rows) * row_h + head_h
            draw_table(
                fig,
                (LEFT, CONTENT_TOP - height, RIGHT - LEFT, height),
                cols,
                rows,
                st,
                font_size=7.8,
                row_height=row_h,
                header_height=head_h,
            )
            text = t("params_note", lang)
            if page_no == len(chunks) - 1 and len(entries) > len(shown):
                more = t("params_more", lang, n=len(entries) - len(shown))
                text += t("sentence_gap", lang) + more
            note(fig, L.wrapped(text, columns(RIGHT - LEFT, 7.2, lang) - 4), st, size=7.2)
            figs.append(fig)
        return figs


def _param_row(
    e: dict[str, Any], widths: list[float], rows_by_id: dict[str, Any], st: Style
) -> Row:
    """One parameter: its name and id, its prior, the basis, and the targets it drives."""
    lang = st.lang
    prior, pid = e["prior"], e["id"]
    name = _param_name(pid, lang)
    name_text = L.wrapped(name, columns(widths[0], 7.8, lang) - 2, max_lines=2)
    name_text += "\n" + L.shorten(pid, columns(widths[0], 7.8, "en") - 6)
    prior_text = L.wrapped(_fmt_prior(pid, lang), columns(widths[1], 7.8, lang) - 2, max_lines=2)
    prior_text += "\n" + L.wrapped(prior.unit, columns(widths[1], 7.8, "en") - 4, max_lines=1)
    tag = t("source_tag" if e["sourced"] else "assumption_tag", lang)
    basis = prior.basis.split(":", 1)[1].strip()
    basis_text = L.wrapped(f"{tag} {basis}", int(columns(widths[2], 7.0, "en") * 0.9), max_lines=4)
    joiner = t("enumeration", lang)
    names = [L.target_label(rows_by_id[x], lang, with_condition=False) for x in e["targets"]]
    drive_text = L.wrapped(joiner.join(names), columns(widths[3], 7.5, lang) - 2, max_lines=4)
    return Row(
        [
            Cell(name_text, size=7.8),
            Cell(prior_text, size=7.8),
            Cell(st.text(basis_text), size=7.0, color="#404040"),
            Cell(drive_text, size=7.5),
        ],
        rule=True,
    )


def _param_name(pid: str, lang: str) -> str:
    """A parameter's display name, capitalised (a lever elasticity names its lever)."""
    from sim.levers import levers

    if pid.startswith("lever."):
        _, lid, _ind = pid.split(".", 2)
        lever = levers()[lid]
        name = t("elasticity_of", lang, lever=L.lever_name(lid, lever.name_zh, lever.name_en, lang))
    else:
        name = L.param_name(pid, lang)
    return name[:1].upper() + name[1:]
