"""The page's HTML as Dash components, from the plain data of :mod:`sim.web.state` and
:mod:`sim.web.view`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from html import escape
from typing import Any

from dash import dcc, html

from sim.charts import labels as L
from sim.levers import Lever
from sim.scenario import Scenario
from sim.web.compute import REQUIRED_P
from sim.web.state import clean, lever_groups, slider_step
from sim.web.view import signed, w


def lever_id(lever_id: str) -> dict[str, str]:
    """The Dash id of a lever's slider (pattern-matched by the callbacks)."""
    return {"type": "lever", "lever": lever_id}


END_ROOM = 0.2  # a status quo this close to an end of the range is marked by its number alone


def _marks(lever: Lever, lang: str) -> dict[float, Any]:
    """Marks at the ends and, in bold, at the status quo ("status quo 800"; the number alone
    near an end, where a label centred on it would be cut off — the range line names it)."""
    marks: dict[float, Any] = {lever.min: L.num(lever.min, lang), lever.max: L.num(lever.max, lang)}
    share = (lever.status_quo - lever.min) / (lever.max - lever.min)
    label = L.num(lever.status_quo, lang)
    if END_ROOM <= share <= 1 - END_ROOM:
        label = f"{w('status_quo_mark', lang)} {label}"
    marks[lever.status_quo] = {"label": label, "style": {"fontWeight": "bold", "color": L.INK}}
    return marks


def lever_control(lever: Lever, value: float, lang: str) -> html.Div:
    """Name, unit, a slider over the lever's range (status quo marked, direct input) and the
    range in words."""
    unit = L.lever_unit(lever.unit, lang)
    name = L.lever_name(lever.id, lever.name_zh, lever.name_en, lang)
    full = lever.name_zh if lang == "zh" else lever.name_en
    rng = w(
        "lever_range",
        lang,
        lo=L.num(lever.min, lang),
        hi=L.num(lever.max, lang),
        unit=unit,
        sq=L.num(lever.status_quo, lang),
    )
    return html.Div(
        className="lever",
        title=f"{full} · {L.clause(lever.clause, lang)}",
        id=f"lever-{lever.id}",
        children=[
            html.Div(
                className="lever-head",
                children=[
                    html.Span(name, className="lever-name"),
                    html.Span(unit, className="lever-unit"),
                ],
            ),
            dcc.Slider(
                id=lever_id(lever.id),
                min=lever.min,
                max=lever.max,
                step=slider_step(lever, value),
                value=clean(value),
                marks=_marks(lever, lang),
                updatemode="mouseup",
                allow_direct_input=True,
                included=False,
            ),
            html.Div(rng, className="lever-range"),
        ],
    )


def levers_panel(start: Mapping[str, float], lang: str) -> html.Aside:
    """Every lever, grouped by the policy's measures, with the live cost line on top."""
    groups = [
        html.Details(
            open=True,
            className="measure",
            children=[
                html.Summary(w(key, lang) if key != "measure_other" else "…"),
                *[lever_control(lv, start[lv.id], lang) for lv in members],
            ],
        )
        for key, members in lever_groups()
    ]
    return html.Aside(
        className="levers",
        children=[
            html.H2(w("levers_heading", lang)),
            html.P(w("levers_note", lang), className="note"),
            html.Div(id="cost", className="cost"),
            html.Button(w("reset_button", lang), id="reset", className="button secondary"),
            *groups,
        ],
    )


def target_options(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Dropdown options of the fan chart: every target row of the table."""
    return [{"label": r["label"], "value": r["target_id"]} for r in rows if r["kind"] == "target"]


def _el(tag: str, content: str | list[str] = "", **attrs: Any) -> str:
    """One HTML element: ``content`` is HTML already (escape text with :func:`_text`); each
    attribute's value is escaped (``class_`` is ``class``, ``data_p`` is ``data-p``)."""
    inner = "".join(content) if isinstance(content, list) else content
    shown = "".join(
        f' {k.rstrip("_").replace("_", "-")}="{escape(str(v), quote=True)}"'
        for k, v in attrs.items()
        if v is not None
    )
    return f"<{tag}{shown}>{inner}</{tag}>"


def _text(value: Any) -> str:
    return escape(str(value), quote=False)


def rich(html_text: str = "", **props: Any) -> dcc.Markdown:
    """A block of the page drawn from an HTML string (:func:`table`, :func:`joint`).

    The browser redraws a block of Dash components in time proportional to the whole page's
    components for every change Dash makes while applying an answer; the traffic-light table as
    components (about 300) cost 0.4 s per update on two cores, as one string it costs nothing
    noticeable. Every text in the strings is escaped (:func:`_el`)."""
    return dcc.Markdown(html_text, dangerously_allow_html=True, **props)


def table(rows: list[dict[str, Any]], lang: str) -> str:
    """The traffic-light table (rows from :func:`sim.web.view.table_rows`), as HTML."""
    heads = [
        L.t("col_target", lang),
        w("col_judged_value", lang),
        L.t("col_pmet", lang),
        w("col_change", lang),
        L.t("col_status", lang),
    ]
    body = []
    for r in rows:
        if r["kind"] == "group":
            body.append(_el("tr", _el("td", _text(r["label"]), colspan=5), class_="group-row"))
            continue
        p = _el("span", _text(r["p_text"]), class_="p") + " "
        p += _el("span", _text(r["se_text"]), class_="se")
        style = f"background: {r['colour']}; color: {r['text_colour']}"
        cells = [
            _el("td", _text(r["label"]), title=r["name"], class_="target"),
            _el("td", _text(r["judged"]), class_="num"),
            _el("td", p, class_="num"),
            _el("td", _text(r["change_text"]), class_="num change " + _direction(r)),
            _el("td", _text(r["status_text"]), class_="status", style=style),
        ]
        row_id, p_met = f"row-{r['target_id']}", repr(r["p_met"])
        body.append(_el("tr", cells, class_="target-row", id=row_id, data_target=r["target_id"],
                        data_p=p_met))  # fmt: skip
    head = _el("thead", _el("tr", [_el("th", _text(h)) for h in heads]))
    return _el("table", [head, _el("tbody", body)], class_="targets")


def message(text: str) -> str:
    """A line of text in an HTML block (a refusal where a table would be)."""
    return _el("p", _text(text), class_="notice")


def needs(summary: Mapping[str, Any], lang: str) -> str:
    """What it would take for one target (:func:`sim.web.view.need_summary`), as HTML."""
    parts = [_el("h4", _text(summary["heading"]))]
    if "note" in summary:
        return _el("div", [*parts, _el("p", _text(summary["note"]))], class_="needs")
    levels = [w("need_for", lang, p=p) for p in summary["levels"]]
    heads = [w("need_lever", lang), w("need_now", lang), *levels, w("need_cost", lang)]
    body = []
    for r in summary["rows"]:
        now = _text(r["now"]) + " " + _el("span", _text(r["unit"]), class_="se")
        cells = [_el("td", _text(r["lever"])), _el("td", now, class_="num")]
        for c in r["cells"]:
            link = "" if c["href"] is None else " " + _el("a", _text(w("need_try", lang)),
                                                          href=c["href"])  # fmt: skip
            cells.append(_el("td", _text(c["text"]) + link, class_="num"))
        cells.append(_el("td", _text(r["cost"]), class_="num"))
        body.append(_el("tr", cells))
    head = _el("thead", _el("tr", [_el("th", _text(h)) for h in heads]))
    table_html = _el("table", [head, _el("tbody", body)], class_="targets")
    note = _el("p", _text(w("need_note", lang)), class_="note")
    return _el("div", [*parts, table_html, note], class_="needs")


def _direction(row: Mapping[str, Any]) -> str:
    if not row["clear"]:
        return "flat"
    return "up" if row["change"] > 0 else "down"


def joint(summary: Mapping[str, Any], lang: str) -> str:
    """Expected number met, P(all met) and P(all of a group met), with changes from the start,
    as HTML."""

    def card(label: str, value: str, note: str, **attrs: Any) -> str:
        return _el("div", [_el("div", _text(label), class_="card-label"),
                           _el("div", _text(value), class_="card-value", **attrs),
                           _el("div", _text(note), class_="card-note")], class_="card")  # fmt: skip

    expected_note = w("joint_expected_of", lang, n=summary["n"]) + " · Δ "
    cards = [
        card(w("joint_expected", lang), summary["expected_text"],
             expected_note + summary["expected_change"], id="expected"),
        card(w("joint_p_all", lang), summary["p_all_text"], "Δ " + summary["p_all_change"]),
    ]  # fmt: skip
    rows = [
        _el("tr", [_el("td", _text(g["label"])),
                   _el("td", _text(f"{g['p_text']} {g['se_text']}"), class_="num"),
                   _el("td", _text(f"Δ {signed(100 * g['change'])}"), class_="num muted")])
        for g in summary["groups"]
    ]  # fmt: skip
    groups = _el("table", _el("tbody", rows), class_="groups")
    return _el("div", [_el("div", cards, class_="cards"),
                       _el("div", [_el("h3", _text(w("joint_groups", lang))), groups],
                           class_="group-box")], class_="joint")  # fmt: skip


def page(start: Scenario, lang: str) -> html.Div:
    """The whole page; a new tab id for every page load (tabs never share a request)."""
    title = L.scenario_title(start, lang).replace("\\$", "$")
    package = {k: float(v) for k, v in start.levers.items()}
    heading = w("start_scenario", lang, title=title, draws=f"{start.draws:,}", seed=start.seed)
    return html.Div(
        className="page",
        lang="zh-CN" if lang == "zh" else "en",
        children=[
            dcc.Location(id="url", refresh=False),
            dcc.Store(id="tab", data=uuid.uuid4().hex),
            dcc.Interval(id="poll", interval=400, disabled=True),
            dcc.Download(id="download"),
            html.Header(
                className="top",
                children=[
                    html.H1(w("page_title", lang)),
                    html.P(w("page_subtitle", lang)),
                    html.P(heading, className="muted"),
                ],
            ),
            html.Div(className="body", children=[levers_panel(package, lang), _main(lang)]),
        ],
    )


def _main(lang: str) -> html.Main:
    """The right-hand side: status line, joint picture, table, charts, save and share."""
    status = html.Div(
        className="statusbar",
        children=[
            html.Span(id="progress", className="progress", style={"display": "none"}),
            html.Span(id="status", className="updated"),
            html.Div(id="notice", className="notice"),
        ],
    )
    no_bar: dcc.Graph.Config = {"displayModeBar": False}
    charts = html.Div(
        className="charts",
        children=[
            html.Section([html.H3(w("bars_heading", lang)), dcc.Graph(id="bars", config=no_bar)]),
            html.Section(
                [
                    html.H3(w("fan_heading", lang)),
                    dcc.Dropdown(
                        id="fan-target", clearable=False, placeholder=w("fan_choose", lang)
                    ),
                    dcc.Graph(id="fan", config=no_bar),
                ]
            ),
        ],
    )
    results = html.Div(
        id="results",
        className="results",
        children=[
            rich(id="joint"),
            rich(id="table", className="table-box"),
            html.P(w("change_note", lang), className="note"),
            charts,
            html.Section(
                className="needs-box",
                children=[
                    html.Button(
                        w("need_button", lang, p=L.pct(REQUIRED_P)),
                        id="need",
                        className="button secondary",
                    ),
                    dcc.Loading(rich(id="needs"), type="dot"),
                ],
            ),
        ],
    )
    offline = html.P(w("offline_note", lang), className="note muted")
    return html.Main(className="main", children=[status, results, _save_box(lang), offline])


def _save_box(lang: str) -> html.Section:
    return html.Section(
        className="save",
        children=[
            html.H3(w("save_heading", lang)),
            html.Div(
                className="save-row",
                children=[
                    dcc.Input(
                        id="save-name",
                        type="text",
                        placeholder=w("save_name", lang),
                        value="whatif",
                        debounce=False,
                        pattern=r"[A-Za-z0-9][A-Za-z0-9_\-]*",
                        maxLength=80,
                    ),
                    html.Button(w("save_button", lang), id="save", className="button"),
                    html.Button(w("pack_button", lang), id="pack", className="button secondary"),
                ],
            ),
            html.Div(id="save-msg", className="notice"),
            html.Div(
                [w("share_link", lang), " ", html.A(id="share", href="?", children="")],
                className="share",
            ),
        ],
    )
