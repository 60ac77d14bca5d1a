"""The Dash app of ``sim serve``: the page, its callbacks, and the server that runs it.

Dash keeps the state of a tab in the browser (the sliders, the URL, a tab id); the server
holds only the :class:`~sim.web.compute.Evaluator` (a cache of finished packages and the
newest request of each tab) and the :class:`~sim.web.files.Outbox`. Every script Dash and
plotly need is served from the installed packages; the page's style sheet from
``sim/web/assets/``; Chinese text uses a CJK font installed here (served at ``/sim-font`` to
a browser that has none).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import dash
from dash import ALL, Dash, Input, Output, State, dcc, no_update
from dash.exceptions import PreventUpdate

from sim.errors import SimError
from sim.scenario import Scenario
from sim.web import figures, layout, view
from sim.web.compute import Evaluation, Evaluator, Superseded
from sim.web.files import Outbox
from sim.web.state import (
    Package,
    package_from_controls,
    package_of,
    parse_query,
    query_of,
    scenario_of,
)

ASSETS = Path(__file__).resolve().parent / "assets"
LEVERS = {"type": "lever", "lever": ALL}


def create_app(start: Scenario, lang: str, out: Path, jobs: int = 1) -> tuple[Dash, Evaluator]:
    """The app for ``start`` in ``lang``, writing only under ``out``; and its evaluator
    (call ``close()`` on it when the server stops)."""
    app = Dash(
        __name__,
        assets_folder=str(ASSETS),
        title=view.w("page_title", lang),
        update_title=None,  # type: ignore[arg-type]  # None: the tab title never flickers
        serve_locally=True,
    )
    app.enable_dev_tools(
        debug=False,
        dev_tools_ui=False,
        dev_tools_props_check=False,
        dev_tools_hot_reload=False,
        dev_tools_disable_version_check=True,
    )
    app.index_string = app.index_string.replace("<html>", f'<html lang="{_html_lang(lang)}">')
    evaluator = Evaluator(start, jobs=jobs)
    outbox = Outbox(out)
    app.layout = lambda: layout.page(start, lang)
    _add_font_route(app)
    _register(app, evaluator, outbox, lang)
    return app, evaluator


def _html_lang(lang: str) -> str:
    return "zh-CN" if lang == "zh" else "en"


def _add_font_route(app: Dash) -> None:
    """The CJK font file for browsers without one (the style sheet names local fonts first)."""
    from flask import abort, send_file

    from sim.charts.fonts import find_cjk_font

    @app.server.route("/sim-font")
    def _font() -> Any:
        font = find_cjk_font()
        if font is None:
            abort(404)
        return send_file(font.path, max_age=86_400)


def _package(ctx: Any, position: int) -> tuple[list[str], list[Any]]:
    """Lever ids and values of the pattern-matched input at ``position``."""
    items = ctx.inputs_list[position]
    return [i["id"]["lever"] for i in items], [i.get("value") for i in items]


# long: one registration per callback, each a few lines, sharing the app's evaluator and lang
def _register(app: Dash, evaluator: Evaluator, outbox: Outbox, lang: str) -> None:
    start = evaluator.start_package

    @app.callback(
        Output(LEVERS, "value"),
        Output("url", "search"),
        Output("table", "children"),
        Output("joint", "children"),
        Output("bars", "figure"),
        Output("fan", "figure"),
        Output("fan-target", "options"),
        Output("fan-target", "value"),
        Output("status", "children"),
        Output("notice", "children"),
        Output("share", "href"),
        Output("share", "children"),
        Output("needs", "children", allow_duplicate=True),
        Input("url", "search"),
        Input(LEVERS, "value"),
        State("tab", "data"),
        State("fan-target", "value"),
        running=[
            (Output("poll", "disabled"), False, True),
            (Output("results", "className"), "results busy", "results"),
            (Output("progress", "style"), {}, {"display": "none"}),
            (Output("status", "style"), {"display": "none"}, {}),
        ],
        prevent_initial_call="initial_duplicate",
    )
    def _update(search: str, values: list[Any], tab: str, target: str | None) -> tuple:
        ctx = dash.callback_context
        ids, _ = _package(ctx, 1)
        notice = ""
        if ctx.triggered_id == "url" or not ctx.triggered:  # a link opened, or the page loaded
            parsed = parse_query(search, start)
            package = parsed.package
            if parsed.problems:
                notice = view.w("url_refused", lang, message="; ".join(parsed.problems))
        else:
            try:
                package = package_from_controls(ids, values)
            except SimError as exc:
                return _refused(view.w("refused", lang, message=str(exc)), len(ids))
        return _respond(evaluator, package, ids, values, tab, target, notice, lang)

    @app.callback(
        Output("progress", "children"),
        Input("poll", "n_intervals"),
        State("tab", "data"),
        prevent_initial_call=True,
    )
    def _progress(_: int, tab: str) -> str:
        return view.progress_text(evaluator.progress(tab), lang)

    @app.callback(Output("cost", "children"), Input(LEVERS, "value"), Input(LEVERS, "drag_value"))
    def _cost(values: list[Any], dragged: list[Any]) -> str:
        ctx = dash.callback_context
        ids, _ = _package(ctx, 0)
        package = {k: float(v) for k, v in zip(ids, values, strict=True) if _number(v)}
        moving = ctx.triggered_id
        if isinstance(moving, dict) and str(ctx.triggered[0]["prop_id"]).endswith("drag_value"):
            value = dragged[ids.index(moving["lever"])]
            if _number(value):
                package[moving["lever"]] = float(value)
        return view.cost_text({**start, **package}, start, lang)

    @app.callback(
        Output(LEVERS, "value", allow_duplicate=True),
        Input("reset", "n_clicks"),
        State(LEVERS, "value"),
        prevent_initial_call=True,
    )
    def _reset(_: int, values: list[Any]) -> list[float]:
        ids = [i["id"]["lever"] for i in dash.callback_context.states_list[0]]
        return [start[k] for k in ids]

    @app.callback(
        Output("fan", "figure", allow_duplicate=True),
        Output("needs", "children", allow_duplicate=True),
        Input("fan-target", "value"),
        State(LEVERS, "value"),
        State("tab", "data"),
        prevent_initial_call=True,
    )
    def _fan(target: str, values: list[Any], tab: str) -> Any:
        ids = [i["id"]["lever"] for i in dash.callback_context.states_list[0]]
        try:
            ev = evaluator.evaluate(package_from_controls(ids, values), tab=f"{tab}:fan")
        except (SimError, Superseded):
            raise PreventUpdate from None
        return figures.fan(ev, target, lang), ""

    _register_needs(app, evaluator, lang)
    _register_files(app, evaluator, outbox, lang)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _refused(text: str, n: int) -> tuple:
    """The update callback's answer when settings are refused: only the notice changes
    (``n`` sliders, each left as it is)."""
    return ([no_update] * n, *[no_update] * 8, text, no_update, no_update, no_update)


def _respond(
    evaluator: Evaluator,
    package: Package,
    ids: list[str],
    values: list[Any],
    tab: str,
    target: str | None,
    notice: str,
    lang: str,
) -> tuple:
    """Evaluate the package for the tab and build every output of the update callback."""
    number = evaluator.ticket(tab)
    try:
        ev = evaluator.evaluate(package, tab=tab, number=number)
    except Superseded:
        raise PreventUpdate from None
    except SimError as exc:
        return _refused(view.w("refused", lang, message=str(exc)), len(ids))
    rows = view.table_rows(ev, lang)
    options = layout.target_options(rows)
    known = [o["value"] for o in options]
    chosen = target if target in known else _first_moved(ev, known)
    slider_values = [ev.package[k] for k in ids]
    query = query_of(ev.package, evaluator.start_package)
    return (
        slider_values if slider_values != values else [no_update] * len(ids),
        query,
        layout.table(rows, lang),
        layout.joint(view.joint_summary(ev, lang), lang),
        figures.bars(ev, lang),
        figures.fan(ev, chosen, lang),
        options,
        chosen if chosen != target else no_update,  # unchanged: no second drawing of the fan
        view.updated_text(ev, lang),
        notice,
        "/" + query,
        "/" + query if query else "/",
        "",  # what it would take was for the package before: gone with it
    )


def _first_moved(ev: Evaluation, known: list[str]) -> str:
    """The target whose P(met) moved most (the first target when nothing moved)."""
    d = ev.differences.set_index("target_id")["difference"].abs()
    d = d[d.index.isin(known)]
    return str(d.idxmax()) if len(d) and d.max() > 0 else known[0]


def _register_needs(app: Dash, evaluator: Evaluator, lang: str) -> None:
    """What it would take for the fan's target, from the package on the page."""
    start = evaluator.start_package

    @app.callback(
        Output("needs", "children"),
        Input("need", "n_clicks"),
        State("fan-target", "value"),
        State(LEVERS, "value"),
        running=[(Output("need", "disabled"), True, False)],
        prevent_initial_call=True,
    )
    def _needs(_: int, target: str | None, values: list[Any]) -> str:
        if not target:
            raise PreventUpdate
        ids = [i["id"]["lever"] for i in dash.callback_context.states_list[1]]
        try:
            package = package_from_controls(ids, values)
            required = evaluator.requirements(package, target)
            ev = evaluator.evaluate(package, tab=f"needs-{uuid.uuid4().hex}")
        except SimError as exc:
            return layout.message(view.w("refused", lang, message=str(exc)))
        row = next(r for r in view.table_rows(ev, lang) if r.get("target_id") == target)
        summary = view.need_summary(required, row, ev.package, start, lang)
        return layout.needs(summary, lang)


def _register_files(app: Dash, evaluator: Evaluator, outbox: Outbox, lang: str) -> None:
    """Save as scenario (a TOML file in the folder, offered as a download) and chart pack."""

    def named(name: str, values: list[Any]) -> tuple[Scenario, Evaluation]:
        ids = [i["id"]["lever"] for i in dash.callback_context.states_list[1]]
        package = package_from_controls(ids, values)
        scenario = scenario_of(evaluator.start, package)
        scenario = scenario.renamed((name or "").strip(), _description(evaluator, package))
        return scenario, evaluator.evaluate(package, tab=f"files-{uuid.uuid4().hex}")

    @app.callback(
        Output("save-msg", "children"),
        Output("download", "data"),
        Input("save", "n_clicks"),
        State("save-name", "value"),
        State(LEVERS, "value"),
        prevent_initial_call=True,
    )
    def _save(_: int, name: str, values: list[Any]) -> tuple:
        try:
            scenario, ev = named(name, values)
            path = outbox.save_scenario(scenario, _header(ev))
        except SimError as exc:
            return view.w("save_refused", lang, message=str(exc)), no_update
        return view.w("saved", lang, path=str(path)), dcc.send_file(str(path))

    @app.callback(
        Output("save-msg", "children", allow_duplicate=True),
        Output("download", "data", allow_duplicate=True),
        Input("pack", "n_clicks"),
        State("save-name", "value"),
        State(LEVERS, "value"),
        running=[
            (Output("pack", "disabled"), True, False),
            (Output("save", "disabled"), True, False),
        ],
        prevent_initial_call=True,
    )
    def _pack(_: int, name: str, values: list[Any]) -> tuple:
        try:
            scenario = named(name, values)[0]
            full = evaluator.full_result(package_of(scenario))
            pdf = outbox.build_pack(full, scenario, lang)
        except SimError as exc:
            return view.w("save_refused", lang, message=str(exc)), no_update
        return view.w("pack_ready", lang, path=str(pdf)), dcc.send_file(str(pdf))


def _description(evaluator: Evaluator, package: Package) -> str:
    start = evaluator.start
    changed = ", ".join(f"{k} = {v:g}" for k, v in package.items() if v != start.levers[k])
    return f"What-if package on {start.name} (sim serve): {changed or 'no lever changed'}."[:2000]


def _header(ev: Evaluation) -> str:
    s = ev.result.summary()
    return (
        f"Saved by sim serve. `sim run` on this file reproduces the page: {s['draws']:,} "
        f"draws, seed {s['seed']},\nexpected number of targets met "
        f"{s['expected_met']:.4f}."
    )
