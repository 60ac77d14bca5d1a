"""Actuals in scenario files and their observation models (issue 13, items 1 and 2): the
schema, the catalogue's observation models and their numbers, `sim actuals`, and the refusal
of `sim run` and `sim.run` until the update with actuals exists."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.catalogue import indicators, units
from sim.catalogue.actuals import (
    ACTUAL_YEARS,
    Period,
    final_final_pairs,
    observation_for,
    observation_models,
    parse_period,
    preliminary_final_pairs,
    preliminary_log_sd,
    reported_log_sd,
)
from sim.cli import app
from sim.errors import ScenarioError
from sim.plan import END_YEAR, START_YEAR
from sim.scenario import from_dict, load_scenario

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "monitoring_example.toml"
runner = CliRunner()


def _with(**actual: object) -> dict:
    entry = {"indicator": "gdp", "period": "2023", "value": 1400.0, "status": "reported",
             "source": "bulletin"} | actual  # fmt: skip
    return {"name": "t", "actuals": [entry]}


def test_the_actual_years_are_the_simulated_years() -> None:
    assert tuple(range(START_YEAR + 1, END_YEAR + 1)) == ACTUAL_YEARS


def test_the_preliminary_sd_is_recomputed_from_the_data() -> None:
    pairs = preliminary_final_pairs()
    assert len(pairs) == 9
    found = {(p.scope, p.indicator, p.year): (p.preliminary, p.final) for p in pairs}
    assert found[("qidong", "hightech_output_share", 2022)] == (56.0, 55.44)
    assert found[("changzhou", "gdp", 2020)] == (7700.0, 7805.3)
    assert ("lianyungang", "rd_to_gdp", 2019) not in found  # a lower bound ("突破2%")
    assert preliminary_log_sd() == pytest.approx(0.0178, abs=5e-5)
    assert observation_models().measurement.preliminary_log_sd == round(preliminary_log_sd(), 4)
    assert "9 unit-years" in observation_models().measurement.preliminary_log_sd_basis


def test_every_unit_has_a_range_and_every_number_a_basis() -> None:
    models = observation_models()
    assert set(models.value_ranges.units) == set(units())
    texts = [models.measurement.preliminary_log_sd_basis, models.measurement.reported_log_sd_basis,
             models.year_to_date.ratio.log_sd_basis,
             models.year_to_date.flow.fraction_sd_basis, models.value_ranges.basis]  # fmt: skip
    assert all(t.startswith(("source:", "assumption")) for t in texts)


@pytest.mark.parametrize("months", range(1, 12))
@pytest.mark.parametrize("indicator", ["tech_contract_turnover", "scitech_projects_attracted"])
def test_the_fraction_prior_is_a_proper_beta(indicator: str, months: int) -> None:
    obs = observation_for(indicator, Period(2024, months), "reported")
    assert obs.fraction_mean is not None and obs.fraction_sd is not None
    assert obs.fraction_sd**2 < obs.fraction_mean * (1 - obs.fraction_mean)


def test_observation_models_by_status_period_and_definition() -> None:
    m = observation_models().measurement
    reported, sd = m.reported_log_sd, math.hypot(m.reported_log_sd, m.preliminary_log_sd)
    assert observation_for("gdp", Period(2023), "reported").model == "reporting error"
    assert observation_for("gdp", Period(2023), "reported").log_sd == reported
    assert observation_for("gdp", Period(2023), "preliminary").log_sd == pytest.approx(sd)
    share = observation_for("hightech_output_share", Period(2024, 5), "reported")
    assert share.model == "ratio error"
    assert share.log_sd == pytest.approx(math.hypot(0.03, reported))
    flow = observation_for("tech_contract_turnover", Period(2024, 6), "reported")
    assert flow.fraction_mean == pytest.approx(0.5 * 0.55)
    # the figure's own error widens the fraction: var = (0.1² + μ²)·exp(s²) − μ²
    mu = 0.5 * 0.55
    assert flow.fraction_sd == pytest.approx(math.sqrt((0.01 + mu**2) * math.exp(reported**2)
                                                       - mu**2))  # fmt: skip
    changed = observation_for("gdp", Period(2023), "preliminary", definition_changed=True)
    assert changed.log_sd == pytest.approx(max(3 * sd, 0.10))
    assert changed.log_sd > observation_for("gdp", Period(2023), "preliminary").log_sd


def test_the_reported_error_is_recomputed_from_the_data() -> None:
    """reported_log_sd: two final figures of one unit-year differ by s·√2 in log."""
    pairs = final_final_pairs()
    assert len(pairs) == 3 and {p.scope for p in pairs} == {"jiangsu", "taixing"}
    assert observation_models().measurement.reported_log_sd == pytest.approx(
        reported_log_sd(), abs=5e-5
    )


def test_periods() -> None:
    assert parse_period("2024") == Period(2024)
    assert parse_period("2025-01..05") == Period(2025, 5)
    assert str(Period(2024, 5)) == "2024-01..05"
    for bad in ("2026", "2024-00..05", "2024-1..5", "24", "2024-02..05", "2024-01..12"):
        assert isinstance(parse_period(bad), str), bad


def test_a_valid_actual_is_kept_and_in_the_spec_only_when_given() -> None:
    sc = from_dict(_with(status="preliminary", definition_changed=True))
    (actual,) = sc.actuals
    assert (actual.indicator, actual.period, actual.definition_changed) == (
        "gdp",
        Period(2023),
        True,
    )
    assert sc.spec()["actuals"][0]["period"] == "2023"
    assert sc.with_levers().actuals == sc.actuals  # survives revalidation
    assert "actuals" not in from_dict({"name": "t"}).spec()  # hashes without actuals unchanged


def test_every_problem_is_reported_at_once() -> None:
    data = {"name": "t", "actuals": [
        {"indicator": "nope", "period": "2022", "value": 1.0, "status": "reported", "source": "s"},
        {"indicator": "hightech_output_share", "period": "2023", "value": 101.0,
         "status": "reported", "source": "s"}]}  # fmt: skip
    with pytest.raises(ScenarioError) as info:
        from_dict(data)
    keys = {p.key for p in info.value.problems}
    assert keys == {"actuals[1].indicator", "actuals[1].period", "actuals[2].value"}


def test_the_example_is_labelled_illustrative_and_valid() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "ILLUSTRATIVE VALUES — NOT QIDONG FIGURES" in text
    sc = load_scenario(EXAMPLE)
    assert len(sc.actuals) >= 4
    assert {a.period.kind for a in sc.actuals} == {"full year", "year to date"}
    assert all("illustrative" in a.source for a in sc.actuals)
    assert not load_scenario(ROOT / "scenarios" / "baseline.toml").actuals


def test_sim_actuals_lists_each_actual_with_its_model() -> None:
    result = runner.invoke(app, ["actuals", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    for fragment in ("hightech_enterprises", "2024-01..05", "reporting error", "measurement error",
                     "ratio error", "fraction", "definition", "5 actuals"):  # fmt: skip
        assert fragment in flat, fragment
    as_json = runner.invoke(app, ["actuals", str(EXAMPLE), "--json"])
    assert as_json.exit_code == 0 and '"definition_changed": true' in as_json.output


def test_sim_actuals_on_a_bad_file_and_on_a_file_without_actuals(tmp_path: Path) -> None:
    bad = ROOT / "tests" / "bad_scenarios" / "h_actual_duplicate.toml"
    result = runner.invoke(app, ["actuals", str(bad)])
    assert result.exit_code == 2 and "a second actual" in " ".join(result.output.split())
    result = runner.invoke(app, ["actuals", str(ROOT / "scenarios" / "baseline.toml")])
    assert result.exit_code == 0 and "no actuals" in result.output


def test_count_indicators_take_whole_numbers_only() -> None:
    for ind in indicators().values():
        rule = observation_models().value_ranges.units[ind.unit]
        amounts = {"percent", "per_10k_residents", "100m_cny", "10k_persons", "percent_per_year"}
        assert rule.whole == (ind.unit not in amounts), ind.id
        assert math.isfinite(rule.max)
