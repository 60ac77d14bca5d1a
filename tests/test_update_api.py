"""A run with actuals from the command line and the Python API: what it prints, saves, reloads
and refuses (issue 13, items 3, 4 and 7). The statistics of the update are in test_update.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.errors import ResultError, ScenarioError, SimError
from sim.results import load_result

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "monitoring_example.toml"
runner = CliRunner()
DRAWS = 3000


@pytest.fixture(scope="module")
def updated() -> sim.Result:
    return sim.run(EXAMPLE, draws=DRAWS)


def test_a_run_with_actuals_carries_before_and_after(updated: sim.Result) -> None:
    changes = updated.changes()
    assert updated.has_actuals and len(changes) == len(updated.attainment.dropna(subset="p_met"))
    # largest moves first; "after" is the attainment table's P(met), "before" the prior's
    assert (changes["difference"].abs().diff().dropna() <= 0).all()
    p_met = updated.attainment.set_index("target_id")["p_met"]
    assert np.allclose(changes.set_index("target_id")["p_after"], p_met[changes["target_id"]])
    assert (changes["difference_se"] >= 0).all()
    ess = updated.effective_draws()
    assert list(ess["year"]) == [2023, 2024] and list(ess["actuals"]) == [2, 5]
    assert (ess["ess"] <= DRAWS).all() and (ess["ess"] > 0).all()
    assert updated.manifest["update"]["actuals"] == 5
    assert len(updated.actuals()) == 5 and updated.actuals()["prior_percentile"].between(0, 1).all()
    assert "weight" in updated.sample.data_vars


def test_the_prior_of_a_run_with_actuals_is_the_plain_run(updated: sim.Result) -> None:
    """Same seed, same draws: 'before' is exactly the scenario without its actuals."""
    plain = sim.run(sim.load_scenario(EXAMPLE).without_actuals(), draws=DRAWS)
    before = updated.changes().set_index("target_id")["p_before"]
    p_plain = plain.attainment.set_index("target_id")["p_met"]
    assert (before == p_plain[before.index]).all()
    assert not plain.has_actuals and plain.update_tables == {}
    with pytest.raises(ResultError, match="no actuals"):
        plain.changes()


@pytest.mark.slow  # saving writes a workbook (≈ 3 s)
def test_a_result_with_actuals_saves_and_reloads(updated: sim.Result, tmp_path: Path) -> None:
    folder = updated.save(tmp_path / "mon")
    for name in ("changes", "actuals", "ess", "trajectories_before"):
        assert (folder / f"{name}.csv").is_file(), name
    back = load_result(folder)
    assert back.has_actuals and back.warnings == updated.warnings
    assert np.allclose(back.changes()["difference"], updated.changes()["difference"])


@pytest.mark.slow  # saves a result
def test_sim_run_prints_what_changed_and_the_effective_draws(tmp_path: Path) -> None:
    args = ["run", str(EXAMPLE), "--no-charts", "--draws", str(DRAWS), "--out", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "what the 5 actuals changed" in flat and "effective draws after the actuals" in flat
    assert (tmp_path / "monitoring_example" / "changes.csv").is_file()


def test_with_actuals_adds_replaces_and_validates() -> None:
    base = sim.status_quo()
    first = {"indicator": "hightech_enterprises", "period": "2023", "value": 365,
             "status": "preliminary", "source": "illustrative"}  # fmt: skip
    sc = base.with_actuals(first)
    final = first | {"value": 370, "status": "reported"}
    again = sc.with_actuals(final)  # the final figure supersedes the preliminary one
    assert [(a.value, a.status) for a in again.actuals] == [(370.0, "reported")]
    ytd = {"indicator": "tech_contract_turnover", "period": "2024-01..05", "value": 30.0,
           "status": "reported", "source": "illustrative"}  # fmt: skip
    later = base.with_actuals(ytd).with_actuals(ytd | {"period": "2024-01..08", "value": 60.0})
    assert [str(a.period) for a in later.actuals] == ["2024-01..08"]  # overlapping months
    with pytest.raises(ScenarioError, match="did you mean 'hightech_enterprises'"):
        base.with_actuals(first | {"indicator": "hightech_enterprise"})
    with pytest.raises(ScenarioError, match="expected a positive value"):
        base.with_actuals(first | {"indicator": "hightech_output_share", "value": 0.0})
    assert again.without_actuals().actuals == () and base.spec() == again.without_actuals().spec()


def test_a_scenario_with_actuals_is_not_compared_with_others() -> None:
    with pytest.raises(SimError, match="runs on its own"):
        sim.run_many([EXAMPLE, ROOT / "scenarios" / "baseline.toml"], draws=200)


def _model_generated_actuals(seed: int = 20250601) -> list[dict]:
    """Five final 2023 figures taken from one model draw (illustrative, not Qidong's)."""
    from sim.engine import simulate_chunk

    truth = simulate_chunk(sim.status_quo(), 0, 1, seed, (2022, 2023, 2024, 2025))
    ids = ("hightech_enterprises", "hightech_output_share", "rd_to_gdp",
           "invention_patents_per_10k", "tech_smes_registered")  # fmt: skip
    whole = {"hightech_enterprises", "tech_smes_registered"}
    return [{"indicator": i, "period": "2023", "status": "reported", "source": "model draw",
             "value": float(round(truth[i][0, 1]) if i in whole else round(truth[i][0, 1], 2))}
            for i in ids]  # fmt: skip


@pytest.mark.slow  # two runs of 20,000 draws
def test_too_precise_figures_are_tempered_and_say_so() -> None:
    """Five final figures leave a handful of effective draws of 20,000 at full weight; the
    default run raises the likelihood to a power < 1 chosen on the pilot so that about 1,000
    remain, reports the power and what the full update would need; --full-update does not.
    Deterministic (fixed seed): no chance failure."""
    sc = sim.status_quo().with_actuals(*_model_generated_actuals())
    tempered = sim.run(sc)
    full = sim.run(sc, full_update=True)
    power = tempered.manifest["update"]["likelihood_power"]
    assert 0.01 < power < 1 and full.manifest["update"]["likelihood_power"] == 1.0
    ess_t = float(tempered.effective_draws()["ess"].iloc[0])
    ess_f = float(full.effective_draws()["ess"].iloc[0])
    assert ess_f < 50 and ess_t > 500  # pilot-chosen: about ESS_WARN, not exactly
    assert any("weighted at power" in w and "--full-update" in w for w in tempered.warnings)
    assert any("more than" in w for w in full.warnings)  # no extrapolation from a few weights
    # tempering moves P in the same direction as the full update, less far
    t = tempered.changes().set_index("target_id")
    f = full.changes().set_index("target_id").loc[t.index]
    clear = (f["difference"].abs() > 0.3) & (t["difference"].abs() > 4 * t["difference_se"])
    assert (
        clear.any() and (np.sign(t["difference"][clear]) == np.sign(f["difference"][clear])).all()
    )


def test_choose_power_is_one_when_the_draws_suffice() -> None:
    from sim.update import choose_power

    rng = np.random.default_rng(1)
    flat = -0.5 * rng.normal(size=8192) ** 2 * 0.01  # nearly equal weights
    assert choose_power(flat, 20_000) == 1.0
    sharp = -0.5 * (rng.normal(size=8192) * 40) ** 2  # a few draws carry the weight
    p = choose_power(sharp, 20_000)
    w = np.exp(p * (sharp - sharp.max()))
    assert p < 1 and w.sum() ** 2 / (w @ w) / 8192 == pytest.approx(1000 / 20_000, rel=1e-6)
