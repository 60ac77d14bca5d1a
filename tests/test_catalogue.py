"""The catalogue is complete against the policy text and internally consistent."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from sim.catalogue import PACKAGED_DIR, indicators, observations, observed, units, use_catalogue
from sim.errors import CatalogueError
from sim.levers import levers
from sim.models import components
from sim.targets import QUANTITATIVE_KINDS, groups, quantitative_targets, targets

POLICY = Path(__file__).resolve().parents[1] / "docs" / "policy"
POLICY_TEXT = (POLICY / "qidong-2023-10-innovation-opinions.txt").read_text(encoding="utf-8")

# Items of section 三 by sub-section, as numbered in the text.
SUBSECTION_OF_ITEM = {
    **dict.fromkeys(range(1, 4), "一"),
    **dict.fromkeys(range(4, 7), "二"),
    **dict.fromkeys(range(7, 11), "三"),
    **dict.fromkeys(range(11, 14), "四"),
    **dict.fromkeys(range(14, 17), "五"),
    **dict.fromkeys(range(17, 21), "六"),
}
NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(万人|家|个|项|名|人|件|%|亿元)")


def numbers_by_clause() -> list[tuple[str, float, str]]:
    """Every (clause, number, context) with a unit in sections 二 and 三 of the policy."""
    goals = POLICY_TEXT[POLICY_TEXT.index("二、发展目标") : POLICY_TEXT.index("三、重点任务")]
    tasks = POLICY_TEXT[POLICY_TEXT.index("三、重点任务") : POLICY_TEXT.index("四、保障措施")]
    found = []
    for m in NUMBER.finditer(goals):
        found.append(("二", _value(m), m.group(0)))
    items = list(re.finditer(r"(?m)^(\d{1,2})\. ", tasks))
    for i, item in enumerate(items):
        end = items[i + 1].start() if i + 1 < len(items) else len(tasks)
        n = int(item.group(1))
        clause = f"三({SUBSECTION_OF_ITEM[n]}){n}"
        for m in NUMBER.finditer(tasks[item.start() : end]):
            found.append((clause, _value(m), m.group(0)))
    return found


def _value(m: re.Match[str]) -> float:
    scale = 10_000 if m.group(2) == "万人" else 1
    return float(m.group(1)) * scale


def test_policy_text_has_the_expected_sections() -> None:
    occurrences = numbers_by_clause()
    assert len(occurrences) >= 40, "the parser no longer finds the policy's numbers"
    assert {c for c, _, _ in occurrences} >= {"二", "三(一)1", "三(六)19"}


@pytest.mark.parametrize(("clause", "number", "text"), numbers_by_clause())
def test_every_number_in_sections_two_and_three_is_catalogued(
    clause: str, number: float, text: str
) -> None:
    """A number with a unit in 二 or 三 is the threshold of a target stated in that clause."""
    matching = [
        t
        for t in quantitative_targets().values()
        if t.threshold == number and clause in (t.clause, *t.also_in)
    ]
    assert matching, f"{clause}: '{text}' has no target with threshold {number:g} in that clause"


def test_target_counts_and_kinds() -> None:
    all_targets = targets()
    quantitative = quantitative_targets()
    assert len(quantitative) >= 30
    assert {t.kind for t in quantitative.values()} <= set(QUANTITATIVE_KINDS)
    qualitative = {t.id for t in all_targets.values() if not t.quantitative}
    assert {
        "provincial_innovation_demo_county",
        "provincial_hightech_zone",
        "nantong_riverside_belt_rank",
    } <= qualitative


def test_targets_are_consistent_with_indicators_and_groups() -> None:
    inds = indicators()
    for t in targets().values():
        assert t.group in groups()
        assert t.name_zh and t.name_en and t.responsible
        assert re.fullmatch(r"二|三\([一二三四五六]\)\d{1,2}|四\d", t.clause), t.clause
        if t.quantitative:
            assert t.indicator in inds
            assert t.threshold is not None and t.threshold > 0
            if t.kind in ("each_year", "cumulative"):
                assert inds[t.indicator].type == "flow", t.id
        for name in t.readings:
            assert t.with_reading(name).reading == name


def test_ambiguous_targets_carry_a_note() -> None:
    for t in targets().values():
        if t.also_in or t.readings:
            assert t.note, f"{t.id} is stated twice or read two ways but has no note"


def test_every_indicator_is_produced_by_exactly_one_component() -> None:
    producers: dict[str, list[str]] = {}
    for comp in components():
        for ind in comp.outputs:
            producers.setdefault(ind, []).append(comp.name)
    for ind in indicators().values():
        assert producers.get(ind.id, []) and len(producers[ind.id]) == 1, (ind.id, producers)
        assert ind.unit


def test_levers_are_consistent() -> None:
    inds = indicators()
    catalogue = levers()
    assert len(catalogue) >= 15
    for lv in catalogue.values():
        assert lv.min <= lv.status_quo <= lv.max
        assert set(lv.acts_on) <= set(inds)
        assert lv.cost_per_unit_wan >= 0
        assert re.fullmatch(r"三\([一二三四五六]\)\d{1,2}|四\d", lv.clause), lv.clause
        for basis in (lv.status_quo_basis, lv.range_basis, lv.cost_basis):
            assert basis.strip(), f"{lv.id}: every number needs a source or an assumption"


def test_every_target_indicator_is_moved_by_some_lever() -> None:
    moved = {ind for lv in levers().values() for ind in lv.acts_on}
    unmoved = {t.indicator for t in quantitative_targets().values()} - moved
    assert not unmoved, f"no lever acts on {sorted(unmoved)}"


def test_observations_keep_both_rows_and_prefer_the_later() -> None:
    rows = [
        o
        for o in observations()
        if (o.scope, o.indicator, o.year) == ("qidong", "hightech_output_share", 2022)
    ]
    assert len(rows) == 2
    assert observed("hightech_output_share", 2022).value == pytest.approx(55.44)
    assert all(o.source_url.startswith("http") for o in observations())
    assert observed("hightech_enterprises", 2020).value == 228
    assert observed("tech_smes_registered", 2022) is None


def test_every_parameter_and_component_is_documented() -> None:
    from sim.priors import parameters

    doc = (Path(__file__).resolve().parents[1] / "docs" / "model.md").read_text(encoding="utf-8")
    missing = [p for p in parameters() if not p.startswith("lever.") and p not in doc]
    assert not missing, f"docs/model.md does not mention {missing}"
    for component in components():
        assert f"`sim/models/{component.name}.py`" in doc, component.name


# ---------------------------------------------------------------- display names and units


def broken_copy(tmp_path: Path, file: str, old: str, new: str) -> tuple[Path, int]:
    """A copy of the packaged catalogue with the first ``old`` of ``file`` replaced by ``new``;
    returns the folder and the line of the change."""
    folder = tmp_path / "catalogue"
    if not folder.exists():
        shutil.copytree(PACKAGED_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder, text[: text.index(old)].count("\n") + 1


def catalogue_error(folder: Path, load: Callable[[], object]) -> str:
    """The message of the CatalogueError ``load`` raises on the catalogue in ``folder``."""
    with use_catalogue(folder), pytest.raises(CatalogueError) as caught:
        load()
    return str(caught.value)


def test_every_target_has_short_names() -> None:
    for t in targets().values():
        assert t.short_zh.strip() and t.short_en.strip(), t.id
        assert len(t.short_zh) <= 12 and len(t.short_en) <= 36, f"{t.id}: too long for a label"


def test_a_missing_short_name_is_named_with_file_key_and_line(tmp_path: Path) -> None:
    folder, line = broken_copy(tmp_path, "targets.toml", 'short_en = "Tech SMEs registered"\n', "")
    message = catalogue_error(folder, targets)
    header = line - 4  # [targets.tech_smes_each_year]: name_zh, name_en, short_zh come first
    key = "targets.tech_smes_each_year.short_en"
    assert f"targets.toml:{header}: {key}: required key is missing" in message


def test_an_empty_short_name_is_an_error(tmp_path: Path) -> None:
    folder, line = broken_copy(
        tmp_path, "targets.toml", 'short_zh = "技术攻关项目"', 'short_zh = ""'
    )
    message = catalogue_error(folder, targets)
    key = "targets.research_projects_each_year.short_zh"
    assert f"targets.toml:{line}: {key}: String should have at least 1 character" in message


def test_every_lever_has_short_names_and_an_english_unit() -> None:
    for lv in levers().values():
        assert lv.short_zh.strip() and lv.short_en.strip() and lv.unit_en.strip(), lv.id
        assert not re.search(r"[\u4e00-\u9fff]", lv.short_en + lv.unit_en), lv.id


def test_a_missing_lever_short_name_is_named_with_file_key_and_line(tmp_path: Path) -> None:
    folder, line = broken_copy(tmp_path, "levers.toml", 'short_zh = "人才安居（人才公寓）"\n', "")
    message = catalogue_error(folder, levers)
    key = "levers.talent_services.short_zh"
    assert f"levers.toml:{line - 3}: {key}: required key is missing" in message


def test_levers_of_one_unit_give_it_one_english_unit(tmp_path: Path) -> None:
    folder, line = broken_copy(
        tmp_path,
        "levers.toml",
        'unit = "万元/年"\nunit_en = "10k yuan/yr"\nstatus_quo = 1200.0',
        'unit = "万元/年"\nunit_en = "10k yuan a year"\nstatus_quo = 1200.0',
    )
    message = catalogue_error(folder, levers)
    key = "levers.cultivation_programme.unit_en"
    assert f"levers.toml:{line + 1}: {key}: '10k yuan a year' differs from '10k yuan/yr'" in message


def test_every_driver_parameter_has_a_display_name() -> None:
    """The assumptions page lists an at-risk target's drivers by name."""
    from sim.priors import parameters

    priors = parameters()
    for ind in indicators().values():
        unnamed = [p for p in ind.drivers if not (priors[p].name_zh and priors[p].name_en)]
        assert not unnamed, f"{ind.id}: drivers without name_zh / name_en: {unnamed}"


def test_a_parameter_named_in_one_language_only_is_an_error(tmp_path: Path) -> None:
    from sim.priors import parameters

    folder, line = broken_copy(
        tmp_path, "parameters/firms.toml", 'name_en = "certification pass rate"\n', ""
    )
    message = catalogue_error(folder, parameters)
    key = "parameters.firms.pass_rate"
    assert f"firms.toml:{line - 2}: {key}: " in message
    assert "give both name_zh and name_en, or neither" in message


def test_every_unit_used_is_in_the_units_table() -> None:
    known = units()
    assert all(u.zh and u.en for u in known.values())
    used = {ind.unit for ind in indicators().values()}
    for t in targets().values():
        used |= {t.unit} | {r.unit for r in t.readings.values()}
    assert used - {None} <= set(known)


def test_an_unknown_indicator_unit_is_named_with_file_key_and_line(tmp_path: Path) -> None:
    folder, line = broken_copy(
        tmp_path, "indicators.toml", 'unit = "10k_persons"', 'unit = "10k_person"'
    )
    message = catalogue_error(folder, indicators)
    assert f"indicators.toml:{line}: indicators.resident_population.unit: unknown unit " in message
    assert "did you mean '10k_persons'?" in message


def test_an_unknown_target_unit_is_named_with_file_key_and_line(tmp_path: Path) -> None:
    folder, line = broken_copy(
        tmp_path,
        "targets.toml",
        'threshold = 150\nunit = "100m_cny"',
        'threshold = 150\nunit = "100m_yuan"',
    )
    message = catalogue_error(folder, targets)
    key = "targets.tech_contracts_cumulative.unit"
    assert f"targets.toml:{line + 1}: {key}: unknown unit '100m_yuan'" in message
    assert "did you mean '100m_cny'?" in message


def test_a_unit_without_its_display_form_is_an_error(tmp_path: Path) -> None:
    folder, line = broken_copy(tmp_path, "units.toml", 'en = "firms"\n', "")
    message = catalogue_error(folder, units)
    assert f"units.toml:{line - 2}: units.firms.en: required key is missing" in message


# ---------------------------------------------------------------- chart texts


def text_copy(tmp_path: Path, lang: str, old: str, new: str) -> tuple[Path, int]:
    """A copy of the chart text catalogue with the first ``old`` of ``<lang>.toml`` replaced;
    returns the folder and the line of the change."""
    from sim.charts.labels import TEXT_DIR

    folder = tmp_path / "text"
    if not folder.exists():
        shutil.copytree(TEXT_DIR, folder)
    path = folder / f"{lang}.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {lang}.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder, text[: text.index(old)].count("\n") + 1


def text_error(folder: Path) -> str:
    from sim.charts.labels import texts

    with pytest.raises(CatalogueError) as caught:
        texts(folder)
    return str(caught.value)


def test_the_chart_texts_have_the_same_keys_in_both_languages() -> None:
    from sim.charts.labels import texts

    found = texts()
    assert found["zh"].keys() == found["en"].keys()
    assert len(found["en"]) >= 150
    assert all(found["en"][k] for k in found["en"]), "every English text is non-empty"


def test_a_text_missing_in_one_language_is_named(tmp_path: Path) -> None:
    folder, _ = text_copy(tmp_path, "en", 'risk_threshold = "target"\n', "")
    zh_line = (
        (folder / "zh.toml")
        .read_text(encoding="utf-8")
        .splitlines()
        .index('risk_threshold = "目标值"')
    )
    message = text_error(folder)
    assert f"en.toml: risk_threshold: missing (zh.toml has it at line {zh_line + 1})" in message


def test_a_text_only_in_english_is_named_against_the_chinese_file(tmp_path: Path) -> None:
    folder, _ = text_copy(tmp_path, "zh", 'risk_threshold = "目标值"\n', "")
    message = text_error(folder)
    assert "zh.toml: risk_threshold: missing (en.toml has it at line" in message


def test_mismatched_placeholders_are_named_with_file_key_and_line(tmp_path: Path) -> None:
    folder, line = text_copy(
        tmp_path, "en", 'joint_expected = "expected {e}"', 'joint_expected = "expected {n}"'
    )
    message = text_error(folder)
    assert f"en.toml:{line}: joint_expected: placeholders {{n}} differ from {{e}}" in message


def test_a_malformed_placeholder_or_a_non_text_is_named(tmp_path: Path) -> None:
    folder, line = text_copy(tmp_path, "zh", 'cofail_corr = "相关 {r}"', 'cofail_corr = "相关 {r"')
    assert f"zh.toml:{line}: cofail_corr: malformed placeholder" in text_error(folder)
    folder, line = text_copy(tmp_path, "zh", 'cofail_corr = "相关 {r"', 'cofail_corr = "相关 {}"')
    assert f"zh.toml:{line}: cofail_corr: malformed placeholder: {{}} is not a named" in (
        text_error(folder)
    )
    folder, line = text_copy(tmp_path, "zh", 'cofail_corr = "相关 {}"', "cofail_corr = 3")
    assert f"zh.toml:{line}: cofail_corr: expected a text (got 3)" in text_error(folder)
