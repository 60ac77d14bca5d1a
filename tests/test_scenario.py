"""Scenario files: shipped ones are valid, each failure mode gets a precise message."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.levers import levers
from sim.scenario import from_dict, load_scenario, status_quo

ROOT = Path(__file__).resolve().parents[1]
BAD = Path(__file__).resolve().parent / "bad_scenarios"

# file -> fragments its error message must contain (file name and line are checked too)
EXPECTED = {
    "malformed_toml.toml": ["malformed TOML", ":3:"],
    "unknown_section.toml": ["lever", "unknown key or section", "did you mean 'levers'?", ":4:"],
    "misspelt_lever.toml": [
        "levers.project_atraction",
        "unknown lever",
        "did you mean 'project_attraction'?",
        ":4:",
    ],
    "lever_out_of_range.toml": [
        "levers.cultivation_programme",
        "99999 is out of range",
        "expected 0 to",
    ],
    "lever_negative.toml": ["levers.cultivation_programme", "-5 is out of range"],
    "lever_wrong_type.toml": ["levers.cultivation_programme", "valid number", "'2400'"],
    "lever_bool.toml": ["levers.cultivation_programme", "valid number", "True"],
    "draws_zero.toml": ["draws", "greater than or equal to 1", "got 0"],
    "draws_wrong_type.toml": ["draws", "valid integer", "'many'"],
    "draws_float.toml": ["draws", "valid integer", "1.5"],
    "seed_negative.toml": ["seed", "greater than or equal to 0"],
    "missing_name.toml": ["name", "required key is missing"],
    "name_with_path.toml": ["name", "should match pattern"],
    "misspelt_top_key.toml": ["draw", "did you mean 'draws'?", ":2:"],
    "unknown_reading.toml": [
        "readings.tech_contracts_cumulative",
        "unknown reading 'annual'",
        "did you mean 'annual_2025'?",
    ],
    "misspelt_reading_target.toml": [
        "readings.tech_contract_cumulative",
        "unknown target",
        "did you mean 'tech_contracts_cumulative'?",
    ],
    "reading_for_literal_target.toml": ["readings.hightech_enterprises_2025", "only its literal"],
    "unknown_assumption.toml": ["firms.no_such_parameter", "unknown parameter"],
    "levers_not_a_table.toml": ["levers", "valid dictionary"],
    "not_utf8.toml": ["not UTF-8"],
    "title_not_text.toml": ["title_en", "valid string", ":3:"],
    "title_empty.toml": ["title_zh", "at least 1 character", ":2:"],
}


def test_every_original_bad_file_has_an_expectation() -> None:
    """The original files; the hostile corpus (h_*.toml) is checked in test_hostile.py."""
    originals = sorted(p.name for p in BAD.glob("*.toml") if not p.name.startswith("h_"))
    assert originals == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_scenario_is_rejected_with_a_located_message(name: str) -> None:
    path = BAD / name
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in EXPECTED[name]:
        assert fragment in message, f"{fragment!r} not in:\n{message}"


def test_all_problems_are_reported_at_once() -> None:
    data = {"name": "x", "draws": 0, "levers": {"nope": 1, "cultivation_programme": -1}}
    with pytest.raises(ScenarioError) as info:
        from_dict(data, source="mem.toml")
    assert len(info.value.problems) == 1  # structure first: draws
    data["draws"] = 10
    with pytest.raises(ScenarioError) as info:
        from_dict(data, source="mem.toml")
    assert {p.key for p in info.value.problems} == {"levers.nope", "levers.cultivation_programme"}


def test_missing_file_names_the_file() -> None:
    with pytest.raises(ScenarioError, match=r"(?s)nowhere.toml: 1 problem.*file not found"):
        load_scenario("nowhere.toml")


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.toml")))
def test_shipped_scenarios_are_valid(path: Path) -> None:
    sc = load_scenario(path)
    assert sc.name == path.stem
    assert set(sc.levers) == set(levers())
    assert sc.title_zh and sc.title_en, "a shipped scenario has a display title in both languages"


def test_baseline_is_status_quo() -> None:
    sc = load_scenario(ROOT / "scenarios" / "baseline.toml")
    assert sc.changed_levers == {}
    assert (
        sc.hash()
        == status_quo(name="baseline", draws=sc.draws, seed=sc.seed)
        .renamed("baseline", sc.description, sc.title_zh, sc.title_en)
        .hash()
    )


def test_packages_change_levers_and_cost_more() -> None:
    base = load_scenario(ROOT / "scenarios" / "baseline.toml")
    for name in ("enterprise_cultivation", "talent_first"):
        sc = load_scenario(ROOT / "scenarios" / f"{name}.toml")
        assert sc.changed_levers
        assert sc.annual_cost_wan() > base.annual_cost_wan()


def test_titles_are_carried_through_the_spec_only_when_set() -> None:
    sc = load_scenario(ROOT / "scenarios" / "talent_first.toml")
    assert (sc.title_zh, sc.title_en) == ("人才优先", "Talent first")
    again = from_dict(sc.spec())
    assert (again.title_zh, again.title_en) == (sc.title_zh, sc.title_en)
    assert again.hash() == sc.hash()
    assert sc.with_levers(talent_programme=5000).title_zh == "人才优先"
    plain = status_quo().renamed("plain")  # a new name drops the titles
    assert "title_zh" not in plain.spec() and "title_en" not in plain.spec()
    assert (plain.title_zh, plain.title_en) == (None, None)
    old = {
        k: v for k, v in sc.spec().items() if not k.startswith("title_")
    }  # written before titles
    assert from_dict(old).title_zh is None


def test_renaming_drops_the_old_titles() -> None:
    sc = load_scenario(ROOT / "scenarios" / "talent_first.toml")
    assert (sc.renamed("people").title_zh, sc.renamed("people").title_en) == (None, None)
    titled = sc.renamed("people", title_zh="人才", title_en="People")
    assert (titled.name, titled.title_zh, titled.title_en) == ("people", "人才", "People")


def test_with_levers_validates_and_keeps_the_rest() -> None:
    base = status_quo()
    more = base.with_levers(cultivation_programme=2000)
    assert more.levers["cultivation_programme"] == 2000
    assert base.levers["cultivation_programme"] == levers()["cultivation_programme"].status_quo
    assert more.hash() != base.hash()
    with pytest.raises(ScenarioError, match="did you mean 'cultivation_programme'"):
        base.with_levers(cultivation_programm=2000)
