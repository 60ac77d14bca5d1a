"""`sim sensitivity` and ``sim.sensitivity``: the run's own draws, tables, the page, the CLI.

No statistical assertion: P(met) is compared with ``sim run`` on the same draws, which must
agree exactly; the Saltelli smoke test checks structure only. False-failure rate 0.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import sim
from sim.analysis.learn import MIN_DRAWS, Sensitivity
from sim.analysis.unknowns import KINDS, MEASURABLE, kind_of, kinds
from sim.cli import app
from sim.errors import SimError

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
TWO = ["hightech_enterprises_2025", "rd_to_gdp_2025"]
DRAWS = 3000
runner = CliRunner()


@pytest.fixture(scope="module")
def sens() -> Sensitivity:
    return sim.sensitivity(BASELINE, draws=DRAWS, targets=TWO)


def test_p_met_is_the_runs_on_the_same_draws(sens: Sensitivity) -> None:
    run = sim.run(BASELINE, draws=DRAWS).attainment.set_index("target_id")
    for row in sens.targets.itertuples():
        assert row.p_met == run.loc[row.target_id, "p_met"]


def test_tables_rank_every_uncertain_parameter(sens: Sensitivity) -> None:
    uncertain = [p for p, prior in sim.parameters().items()
                 if prior.dist != "fixed" and not p.startswith("lever.")]  # fmt: skip
    assert "elasticities of levers" in sens.notes[-1]  # the baseline changes no lever
    for tid in TWO:
        table = sens.table(tid)
        assert sorted(table["parameter"]) == sorted(uncertain)
        s = table["s_met"].to_numpy()
        assert np.all(np.diff(s[~np.isnan(s)]) <= 0)  # largest first
        assert set(table["kind"]) <= set(KINDS)
        assert (table["measurable"] == table["kind"].isin(MEASURABLE)).all()
        assert (table["value_low"] <= table["value_high"]).all()
        top = sens.top(tid, 3)
        assert list(top["parameter"]) == list(table["parameter"][:3])
    with pytest.raises(KeyError):
        sens.table("no_such_target")
    assert list(sens.targets["status"]) == sorted(
        sens.targets["status"], key=lambda s: ["at_risk", "uncertain", "likely"].index(s)
    )
    ranked = sens.unknowns(5)
    assert ranked["measurable"].all()
    assert (ranked["s_met"] > 4 * ranked["s_met_se"]).all()


def test_elasticities_of_changed_levers_are_analysed() -> None:
    sc = sim.load_scenario(BASELINE).with_levers(talent_programme=2000)
    sens = sim.sensitivity(sc, draws=MIN_DRAWS, targets=["national_talents_2025"])
    elasticities = {p for p in sens.table()["parameter"] if p.startswith("lever.")}
    assert elasticities == {p for p in sim.parameters() if p.startswith("lever.talent_programme.")}


def test_the_same_seed_gives_the_same_result() -> None:
    a = sim.sensitivity(BASELINE, draws=MIN_DRAWS, targets=TWO[:1], seed=7)
    b = sim.sensitivity(BASELINE, draws=MIN_DRAWS, targets=TWO[:1], seed=7)
    pd.testing.assert_frame_equal(a.rows, b.rows)
    c = sim.sensitivity(BASELINE, draws=MIN_DRAWS, targets=TWO[:1], seed=8)
    assert not a.rows["s_met"].equals(c.rows["s_met"])


@pytest.mark.slow
def test_worker_processes_do_not_change_a_bit() -> None:
    draws = 4 * 8192 + 1000  # a pilot chunk, a whole block of four and a short last chunk
    one = sim.sensitivity(BASELINE, draws=draws, targets=TWO)
    two = sim.sensitivity(BASELINE, draws=draws, targets=TWO, jobs=2)
    pd.testing.assert_frame_equal(one.rows, two.rows, check_exact=True)
    pd.testing.assert_frame_equal(one.targets, two.targets, check_exact=True)


def test_the_page_draws_in_both_languages(sens: Sensitivity) -> None:
    from matplotlib.figure import Figure

    for lang, title in (("en", "What we most need to learn"), ("zh", "最该先弄清的未知数")):
        fig = sens.plot(lang)
        assert isinstance(fig, Figure)
        assert title in [t.get_text() for t in fig.texts]


def test_refusals_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(SimError, match="did you mean hightech_enterprises_2025"):
        sim.sensitivity(BASELINE, draws=MIN_DRAWS, targets=["hightech_enterprise_2025"])
    with pytest.raises(SimError, match="at least 1,000"):
        sim.sensitivity(BASELINE, draws=MIN_DRAWS - 1)
    with pytest.raises(SimError, match="not a method"):
        sim.sensitivity(BASELINE, method="sobol")
    with pytest.raises(SimError, match="with actuals"):
        sim.sensitivity(ROOT / "scenarios" / "monitoring_example.toml", draws=MIN_DRAWS)


def test_saltelli_without_salib_is_a_clear_error(monkeypatch) -> None:
    for name in ("SALib", "SALib.analyze", "SALib.sample"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(SimError, match="needs SALib"):
        sim.sensitivity(BASELINE, draws=MIN_DRAWS, targets=["invention_patents_2025"],
                        method="saltelli")  # fmt: skip


@pytest.mark.slow
def test_saltelli_design_smoke() -> None:
    pytest.importorskip("SALib")
    sens = sim.sensitivity(BASELINE, draws=5000, targets=["invention_patents_2025"],
                           method="saltelli")  # fmt: skip
    table = sens.table("invention_patents_2025")
    assert "patents.stock_drift" in set(table["parameter"])
    assert not any(p.startswith("talent.") for p in table["parameter"])  # not upstream
    assert sens.draws <= 5000 and "Saltelli" in sens.notes[0]
    assert table["s_met"].notna().all()


def test_every_parameter_has_a_kind() -> None:
    found = kinds()
    assert set(found) == set(sim.parameters())
    assert set(found.values()) <= set(KINDS)
    assert kind_of("firms.pool_2022") == "figure"  # not published: count it
    assert kind_of("firms.sme_registrations_2022") == "figure"
    assert kind_of("firms.new_cert_rate_2022") == "dynamics"  # 114 published: rate behind it
    assert kind_of("firms.pass_rate") == "record"
    assert kind_of("firms.induced_apply_ratio") == "record"  # an application rate
    assert kind_of("rnd.intensity_drift") == "dynamics"
    assert kind_of("lever.talent_programme.national_talents_new") == "lever"


def test_cli_json() -> None:
    args = ["sensitivity", str(BASELINE), "--draws", str(MIN_DRAWS), "--targets", ",".join(TWO)]
    result = runner.invoke(app, [*args, "--json", "--top", "3"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["method"] == "given-data" and body["draws"] == MIN_DRAWS
    assert {t["target_id"] for t in body["targets"]} == set(TWO)
    assert len(body["rows"]) == 6
    assert {"s_met", "s_met_se", "p_low", "p_high", "swing", "kind"} <= set(body["rows"][0])
    bad = runner.invoke(app, [*args[:4], "--targets", "nope"])
    assert bad.exit_code == 2 and "unknown target" in bad.output


@pytest.mark.slow
def test_cli_draws_the_page(tmp_path: Path) -> None:
    for lang in ("zh", "en"):
        chart = tmp_path / f"learn_{lang}.png"
        args = ["sensitivity", str(BASELINE), "--draws", "20000", "--chart", str(chart)]
        result = runner.invoke(app, [*args, "--lang", lang])
        assert result.exit_code == 0, result.output
        assert "what to learn first" in result.stdout
        assert chart.stat().st_size > 50_000


def test_cli_tables(sens: Sensitivity, capsys) -> None:
    from sim.cli.sensitivity_cmds import print_sensitivity

    print_sensitivity(sens, 3)
    text = capsys.readouterr().out
    assert "what to learn first" in text and TWO[0] in text and "S(met) ± SE" in text
