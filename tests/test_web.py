"""The what-if page's logic without a browser: lever state, URL, validation, evaluation,
table rows, scenario files and the results folder (sim.web). The browser test is
tests/test_web_browser.py (slow tier)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sim
from sim.cli import app as cli_app
from sim.errors import ScenarioError, SimError
from sim.levers import levers
from sim.web import state, view
from sim.web.compute import Evaluator, Superseded
from sim.web.files import Outbox, scenario_toml
from sim.web.server import bind_warning, is_loopback
from sim.web.state import parse_query, query_of

DRAWS = 400  # enough for every table to be built; the numbers are not the point here
START = {k: lv.status_quo for k, lv in levers().items()}


# ------------------------------------------------------------------ lever state
def test_every_lever_is_in_a_named_measure_with_words_in_both_languages() -> None:
    groups = state.lever_groups()
    assert sum(len(members) for _, members in groups) == len(levers())
    assert [key for key, _ in groups][:2] == ["measure_3_1", "measure_3_2"]
    for key, _ in groups:
        assert key != "measure_other"
        assert view.w(key, "zh").startswith("（") or view.w(key, "zh").startswith("四")
        assert view.w(key, "en")


def test_measure_of_reads_the_clause() -> None:
    assert state.measure_of("三(一)2") == "measure_3_1"
    assert state.measure_of("三(六)17") == "measure_3_6"
    assert state.measure_of("四3") == "measure_4"
    assert state.measure_of("") == "measure_other"


@pytest.mark.parametrize("lever_id", list(levers()))
def test_slider_grid_holds_the_status_quo_and_the_maximum(lever_id: str) -> None:
    lever = levers()[lever_id]
    step = state.slider_step(lever)
    span = lever.max - lever.min
    assert span / step >= state.TICKS
    for point in (lever.status_quo, lever.max):
        k = (point - lever.min) / step
        assert abs(k - round(k)) < 1e-9, (lever_id, point, step)


def test_slider_grid_also_holds_a_starting_setting_off_the_usual_grid() -> None:
    lever = levers()["cultivation_programme"]
    step = state.slider_step(lever, start=1234)
    assert (1234 - lever.min) / step == round((1234 - lever.min) / step)


def test_url_round_trip_carries_only_changed_settings() -> None:
    package = {**START, "cultivation_programme": 2400.0, "talent_services": 400.0}
    query = query_of(package, START)
    assert query == "?cultivation_programme=2400&talent_services=400"
    assert parse_query(query, START).package == package
    assert query_of(START, START) == ""
    assert parse_query("", START) == state.Parsed(START)


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("?cultivation_programme=99999", "outside its range 0–4000"),
        ("?cultivation_programme=-1", "outside its range"),
        ("?cultivation_programme=inf", "not a finite number"),
        ("?cultivation_programme=nan", "not a finite number"),
        ("?cultivation_programme=abc", "not a number"),
        ("?cultivaton_programme=2400", "is not a lever"),
        ("?" + "x=1&" * 2000, "longer than"),
    ],
)
def test_a_bad_link_is_refused_whole_with_its_reason(query: str, says: str) -> None:
    parsed = parse_query(query + "&talent_programme=4000", START)
    assert parsed.package == START  # nothing of a bad link is applied
    assert any(says in p for p in parsed.problems), parsed.problems


def test_out_of_range_controls_are_refused_server_side_naming_the_lever() -> None:
    ids = list(START)
    values: list[object] = list(START.values())
    ids_ok = state.package_from_controls(ids, values)
    assert ids_ok == START
    values[ids.index("cultivation_programme")] = 1e9
    values[ids.index("talent_services")] = "12"
    with pytest.raises(ScenarioError) as err:
        state.package_from_controls(ids, values)
    text = str(err.value)
    assert "cultivation_programme = 1e+09 is outside its range 0–4000" in text
    assert "talent_services = '12' is not a number" in text
    with pytest.raises(ScenarioError, match="has no setting"):
        state.package_from_controls(ids[:-1], values[:-1])


def test_cost_line_follows_the_package() -> None:
    package = {**START, "cultivation_programme": 2400.0}
    assert state.cost_delta_wan(package, START) == pytest.approx(1200.0)
    assert state.package_cost_wan(START) == pytest.approx(sim.status_quo().annual_cost_wan())
    assert view.cost_text(package, START, "zh").endswith("（较起始情景 +1,200万元）")
    assert "+1,200 vs the starting scenario" in view.cost_text(package, START, "en")
    assert "较起始" not in view.cost_text(START, START, "zh")


def test_number_formats() -> None:
    assert view.points(0.0199, 0.0016) == "+2.0 ± 0.2"
    assert view.points(-0.05, 0.01) == "−5.0 ± 1.0"
    assert view.points(math.nan, 0.01) == "–"
    assert view.points(0.0, 0.0) == "0.0 ± 0.0"
    assert view.signed(-0.0004) == "+0.0" and view.signed(-0.06) == "−0.1"
    assert view.percent(0.0001) == "<0.1%"


# ------------------------------------------------------------------ evaluation
@pytest.fixture(scope="module")
def evaluator() -> Evaluator:
    ev = Evaluator(sim.status_quo(draws=DRAWS), jobs=1)
    yield ev
    ev.close()


def test_a_package_runs_beside_the_start_on_the_same_draws(evaluator: Evaluator) -> None:
    package = {**START, "cultivation_programme": 4000.0}
    ev = evaluator.evaluate(package, tab="a")
    assert ev.result.draws_run == ev.start.draws_run == DRAWS
    assert bool(ev.differences["paired"].all())
    row = ev.differences.set_index("target_id").loc["hightech_enterprises_2025"]
    assert row["difference"] >= 0  # more cultivation money never loses a high-tech firm
    assert evaluator.evaluate(package, tab="b") is ev  # finished packages are shared
    rows = view.table_rows(ev, "zh")
    targets = [r for r in rows if r["kind"] == "target"]
    assert len(targets) == int(ev.result.joint.loc["number_of_targets_modelled", "p"])
    assert rows[0] == {"kind": "group", "label": "创新企业集群"}
    first = targets[0]
    assert first["target_id"] == "hightech_enterprises_2025"
    assert first["label"] == "高新技术企业≥500家" and first["judged"].endswith("家")
    assert first["status_text"] in ("很可能达成", "存在不确定", "存在风险")
    summary = view.joint_summary(ev, "en")
    assert summary["n"] == len(targets) and len(summary["groups"]) == 7
    assert "draws" in view.updated_text(ev, "en")


def test_the_start_itself_is_the_start_alone(evaluator: Evaluator) -> None:
    ev = evaluator.evaluate(START, tab="a")
    assert ev.result is ev.start
    assert (ev.differences["difference"] == 0).all()


def test_a_newer_request_of_the_same_tab_supersedes_an_older_one(evaluator: Evaluator) -> None:
    old = evaluator.ticket("t")
    evaluator.ticket("t")
    package = {**START, "talent_programme": 3100.0}
    with pytest.raises(Superseded):
        evaluator.evaluate(package, tab="t", number=old)
    assert evaluator.progress("t") is None
    other = evaluator.ticket("u")  # another tab is not affected
    assert evaluator.is_current("u", other)


def test_refused_settings_never_run(evaluator: Evaluator) -> None:
    with pytest.raises(ScenarioError, match="cultivation_programme"):
        evaluator.evaluate({**START, "cultivation_programme": 5000.0}, tab="a")


def test_figures_and_the_update_answer(evaluator: Evaluator) -> None:
    from sim.web import figures
    from sim.web.app import _refused, _respond

    package = {**START, "cultivation_programme": 4000.0}
    ev = evaluator.evaluate(package, tab="a")
    bars = figures.bars(ev, "zh")
    rows = [r for r in view.table_rows(ev, "zh") if r["kind"] == "target"]
    assert len(bars["data"][0]["y"]) == len(rows)
    json.dumps(bars, allow_nan=False)  # plain JSON, as the browser gets it
    for row in ("hightech_enterprises_2025", "zjtx_new_2025", "hightech_tax_reduction_growth"):
        fan = figures.fan(ev, row, "en")
        assert len(fan["data"]) >= 5
        json.dumps(fan, allow_nan=False)
    ids = list(START)
    out = _respond(evaluator, package, ids, list(START.values()), "a", None, "", "zh")
    assert len(out) == 13
    assert out[0][ids.index("cultivation_programme")] == 4000.0
    assert out[1] == "?cultivation_programme=4000"
    assert out[7] == "hightech_enterprises_2025" or out[7] in ev.differences["target_id"].values
    refused = _refused("no", len(ids))
    assert len(refused) == 13 and len(refused[0]) == len(ids) and refused[9] == "no"


def test_what_it_would_take_links_to_the_smallest_setting_on_the_slider(
    evaluator: Evaluator,
) -> None:
    from dataclasses import replace
    from urllib.parse import parse_qsl

    from sim.web import layout

    target = "zjtx_new_2025"
    required = evaluator.requirements(START, target)
    assert evaluator.requirements(START, target) is required  # asked again: from the cache
    row = {"label": "专精特新<20>", "p_met": 0.5}  # the page's row (its P is below 0.8)
    summary = view.need_summary(required, row, START, START, "zh")
    table = required.table()
    assert [r["lever"] for r in summary["rows"]] == [
        view.L.lever_name(k, levers()[k].name_zh, levers()[k].name_en, "zh")
        for k in dict.fromkeys(table["lever_id"])
    ]
    links = 0
    per_lever = table.groupby("lever_id", sort=False)
    for r, (lever_id, mine) in zip(summary["rows"], per_lever, strict=True):
        lever = levers()[lever_id]
        for cell, need in zip(r["cells"], mine.to_dict(orient="records"), strict=True):
            if need["status"] != "reached":
                assert cell["href"] is None
                continue
            links += 1
            setting = dict(parse_qsl(cell["href"].split("?", 1)[1]))[lever_id]
            step = state.slider_step(lever, START[lever_id])
            assert need["setting"] <= float(setting) < need["setting"] + step
            assert float(setting) <= lever.max
    assert links >= 1  # zjtx_support reaches 80 % (docs/decision.md)
    shown = layout.needs(summary, "zh")
    assert "专精特新&lt;20&gt;" in shown and "<table" in shown and "试试" in shown
    already = view.need_summary(required, {**row, "p_met": 0.9}, START, START, "en")
    assert already["rows"] == [] and "already" in already["note"]
    nothing = replace(required, rows=required.rows.iloc[0:0])
    assert "No lever" in view.need_summary(nothing, row, START, START, "en")["note"]


# ------------------------------------------------------------------ files
def test_a_saved_scenario_reads_back_as_the_same_scenario(tmp_path: Path) -> None:
    start = sim.load_scenario("scenarios/monitoring_example.toml")
    start = start.with_readings(tech_contracts_cumulative="annual_2025")
    package = {**START, "cultivation_programme": 2400.0, "talent_services": 401.0}
    scenario = state.scenario_of(start, package).renamed(
        "pkg-1", 'a "quoted" 描述\nsecond line', title_zh="方案：高企", title_en="Package $1"
    )
    path = Outbox(tmp_path).save_scenario(scenario, header="saved by a test\nline two")
    assert path == tmp_path / "scenarios" / "pkg-1.toml"
    back = sim.load_scenario(path)
    assert back.spec() == scenario.spec()
    assert back.hash() == scenario.hash()
    assert path.read_text(encoding="utf-8").startswith("# saved by a test\n# line two\n")
    assert scenario_toml(sim.status_quo()).count("[levers]") == 0


def test_the_outbox_never_resolves_outside_its_folder(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "out")
    assert box.inside("scenarios", "x.toml") == (tmp_path / "out" / "scenarios" / "x.toml")
    for parts in (("..", "x.toml"), ("/etc", "passwd"), ("scenarios", "..", "..", "y"), ()):
        with pytest.raises(SimError, match="not inside"):
            box.inside(*parts)
    with pytest.raises(ScenarioError):  # a name that is not a name is refused before writing
        sim.status_quo().renamed("../../evil")
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ server and command
def test_only_loopback_binds_quietly() -> None:
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert is_loopback(host) and bind_warning(host) is None
    for host in ("0.0.0.0", "192.168.1.5", "example.org"):
        assert not is_loopback(host)
        assert "anyone who can reach this machine" in (bind_warning(host) or "")


def test_serve_refuses_bad_options_before_starting() -> None:
    runner = CliRunner()
    assert runner.invoke(cli_app, ["serve", "--port", "0"]).exit_code == 2
    missing = runner.invoke(cli_app, ["serve", "no/such/scenario.toml"])
    assert missing.exit_code == 2
    assert "serve" in runner.invoke(cli_app, ["--help"]).output


def test_a_start_with_actuals_runs_each_package_alone_on_the_same_draws() -> None:
    from sim.web import figures

    start = sim.load_scenario("scenarios/monitoring_example.toml").with_run_settings(draws=DRAWS)
    evaluator = Evaluator(start)
    ev = evaluator.evaluate({**state.package_of(start), "cultivation_programme": 4000.0})
    assert ev.result.has_actuals and ev.start.has_actuals
    assert not ev.differences["paired"].any()  # run_many pairs no scenario with actuals
    fan = figures.fan(ev, "hightech_enterprises_2025", "en")
    assert [t["y"][0] for t in fan["data"] if t.get("name") == view.w("actual", "en")] == [365]


def test_the_app_serves_everything_itself_and_writes_nothing(tmp_path: Path) -> None:
    import re

    from sim.charts.fonts import find_cjk_font
    from sim.web.app import create_app

    app, evaluator = create_app(sim.status_quo(draws=DRAWS), "zh", tmp_path / "out")
    client = app.server.test_client()
    index = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in index
    sources = re.findall(r'(?:src|href)="([^"]+)"', index)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert "启东市科技创新目标" in json.dumps(client.get("/_dash-layout").json, ensure_ascii=False)
    font = client.get("/sim-font")
    assert font.status_code == (200 if find_cjk_font() else 404)
    font.close()
    evaluator.close()
    assert not (tmp_path / "out").exists()


def test_a_forged_out_of_range_request_is_refused_by_the_server(tmp_path: Path) -> None:
    """What a browser should never send (the box clamps), sent anyway: the update callback
    answers with the reason and changes nothing else."""
    from sim.web.app import create_app

    app, evaluator = create_app(sim.status_quo(draws=DRAWS), "en", tmp_path / "out")
    key = next(k for k in app.callback_map if "url.search" in k)
    ids = list(START)
    sliders = [{"id": {"lever": k, "type": "lever"}, "property": "value"} for k in ids]
    values = [dict(s, value=START[k]) for s, k in zip(sliders, ids, strict=True)]
    values[ids.index("cultivation_programme")]["value"] = 1e9
    singles = [p.split(".") for p in key.strip(".").split("...")[1:]]
    body = {
        "output": key,
        "outputs": [sliders, *({"id": i, "property": p} for i, p in singles)],
        "inputs": [{"id": "url", "property": "search", "value": ""}, values],
        "changedPropIds": ['{"lever":"cultivation_programme","type":"lever"}.value'],
        "state": [{"id": "tab", "property": "data", "value": "t"},
                  {"id": "fan-target", "property": "value", "value": None}],
    }  # fmt: skip
    reply = app.server.test_client().post("/_dash-update-component", json=body)
    evaluator.close()
    assert reply.status_code == 200
    answer = reply.json["response"]
    assert list(answer) == ["notice"]  # the table, the URL and the sliders are left alone
    assert "cultivation_programme = 1e+09 is outside its range 0–4000" in str(answer["notice"])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "code", "says"), [(2, 130, "interrupted"), (15, 143, "terminated")]
)
def test_ctrl_c_and_sigterm_stop_the_server_with_the_shells_exit_status(
    tmp_path: Path, sig: int, code: int, says: str
) -> None:
    import signal
    import subprocess
    import time
    import urllib.request

    from webpage import env, free_port, sim_command

    port = free_port()
    proc = subprocess.Popen(
        sim_command("serve", "--port", str(port), "--out", str(tmp_path), "--jobs", "1"),
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        # a background job of a shell ignores SIGINT; a user's terminal does not
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                break
        except OSError:
            time.sleep(0.3)
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == code, out.decode()
    assert out.decode().strip().endswith(says)
