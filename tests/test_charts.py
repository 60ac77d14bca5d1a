"""The chart pack: builds for one and several scenarios, Chinese fonts, English fallback."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import matplotlib
import pytest

import sim
from sim.charts import fonts, labels
from sim.charts.layout import styled
from sim.charts.pack import build_pack, figures
from sim.targets import QUANTITATIVE_KINDS

SCENARIOS = ["baseline.toml", "enterprise_cultivation.toml", "talent_first.toml"]
ROOT = Path(__file__).resolve().parents[1]
A4_PNG_150 = (round(11.69 * 150), round(8.27 * 150))
SINGLE_PAGES = [
    "cover",
    "table",
    "pmet",
    "fans",
    "at_risk",
    "joint",
    "cofailure",
    "levers",
    "assumptions",
    "breaks",
    "trust",
]
COMPARISON_PAGES = ["cover", "pmet", "differences", "costs", "levers"]


@pytest.fixture(scope="module")
def results() -> list[sim.Result]:
    return sim.run_many([ROOT / "scenarios" / s for s in SCENARIOS], draws=2000)


@pytest.fixture(scope="module")
def saved_baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The baseline run and saved on its own (the pack tests share ``results``; the tests of a
    reloaded result need only this one, so the fast tier does not run the three scenarios)."""
    base = tmp_path_factory.mktemp("results")
    result = sim.run(sim.load_scenario(ROOT / "scenarios" / SCENARIOS[0]), draws=2000)
    return result.save(base / result.scenario.name)


@pytest.fixture(scope="module")
def zh_pack(saved_baseline: Path, tmp_path_factory: pytest.TempPathFactory):
    """The Chinese pack of the baseline, built from a saved (reloaded) result, as `sim report`."""
    out = tmp_path_factory.mktemp("zh")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = build_pack([sim.load_result(saved_baseline)], out, lang="zh")
    return report, caught


def _pdf_pages(path: Path) -> int:
    return len(re.findall(rb"/Type /Page[\s>/]", path.read_bytes()))


def _pdf_fonts(path: Path) -> set[str]:
    names = re.findall(rb"/BaseFont /(?:[A-Z]{6}\+)?([A-Za-z0-9-]+)", path.read_bytes())
    return {n.decode() for n in names}


def _sections(page_names: list[str]) -> list[str]:
    out: list[str] = []
    for name in page_names:
        base = re.sub(r"_\d+$", "", name)
        if not out or out[-1] != base:
            out.append(base)
    return out


def _all_text(fig) -> str:
    texts = list(fig.texts)
    for ax in fig.axes:
        texts += ax.texts + ax.get_xticklabels() + ax.get_yticklabels()
        texts += [ax.title, ax._left_title, ax.xaxis.label, ax.yaxis.label]
    for legend in fig.legends:
        texts += legend.get_texts()
    return "\n".join(t.get_text() for t in texts)


# ---------------------------------------------------------------- fonts


def test_cjk_font_is_installed_and_covers_chinese() -> None:
    """A missing CJK font must fail here, not silently produce boxes in the pack."""
    font = fonts.find_cjk_font()
    assert font is not None, "no CJK font: install fonts-noto-cjk or set SIM_CJK_FONT"
    assert Path(font.path).is_file()
    if font.path.endswith("NotoSansCJK-Regular.ttc"):
        assert font.family == "Noto Sans CJK SC"  # not face 0, which is JP
    from matplotlib import font_manager

    found = font_manager.findfont(
        font_manager.FontProperties(family=font.family), fallback_to_default=False
    )
    assert Path(found).resolve() == Path(font.path).resolve()


@pytest.mark.slow
def test_chinese_pack_embeds_the_cjk_font_and_misses_no_glyph(zh_pack) -> None:
    report, caught = zh_pack
    assert report.lang == "zh"
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert not missing, missing[:3]  # a glyph fell through to the last-resort box
    embedded = _pdf_fonts(report.pdf)
    assert any(
        name.startswith("NotoSansCJK") or "CJK" in name or "Hei" in name for name in embedded
    ), embedded
    assert not [w for w in caught if issubclass(w.category, fonts.CJKFontWarning)]


def test_rendering_chinese_uses_the_cjk_face(tmp_path: Path) -> None:
    """Render a Chinese string to PNG inside the chart style: no missing-glyph warning."""
    from matplotlib.figure import Figure

    with warnings.catch_warnings(record=True) as caught, styled("zh") as st:
        warnings.simplefilter("always")
        assert st.lang == "zh" and st.cjk
        fig = Figure(figsize=(4, 1))
        fig.text(0.05, 0.4, fonts.SAMPLE + " ≥80% 很可能达成", fontsize=12)
        fig.savefig(tmp_path / "sample.png", dpi=100)
    assert not [w for w in caught if "missing from font" in str(w.message)]


@pytest.mark.slow
def test_style_does_not_leak_into_global_matplotlib_state(zh_pack) -> None:
    before = list(matplotlib.rcParams["font.family"])
    with styled("zh"):
        assert fonts.LATIN_FAMILY in matplotlib.rcParams["font.family"]
    assert list(matplotlib.rcParams["font.family"]) == before


# ---------------------------------------------------------------- packs


@pytest.mark.slow
def test_single_scenario_pack(zh_pack) -> None:
    report, _ = zh_pack
    assert report.pdf.name == "charts.pdf" and report.pdf.stat().st_size > 10_000
    assert report.pages == len(report.pngs) == _pdf_pages(report.pdf)
    assert _sections(report.page_names) == SINGLE_PAGES
    assert report.page_names.count("table_1") == 1 and "table_2" in report.page_names
    for i, (png, name) in enumerate(zip(report.pngs, report.page_names, strict=True), start=1):
        assert png.name == f"{i:02d}_{name}.png" and png.stat().st_size > 10_000
    from PIL import Image

    with Image.open(report.pngs[0]) as im:
        assert abs(im.size[0] - A4_PNG_150[0]) <= 2 and abs(im.size[1] - A4_PNG_150[1]) <= 2
    assert report.seconds > 0


@pytest.mark.slow
def test_comparison_pack(results: list[sim.Result], tmp_path: Path) -> None:
    report = build_pack(results, tmp_path, lang="zh", parallel=False)
    assert report.pdf.name == "comparison.pdf"
    assert report.page_names == COMPARISON_PAGES
    assert report.pages == len(report.pngs) == _pdf_pages(report.pdf) == 5
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [p.name for p in report.pngs]


@pytest.mark.slow
def test_english_pack_has_english_labels(results: list[sim.Result], tmp_path: Path) -> None:
    report = build_pack(results[:1], tmp_path, lang="en", png=False)
    assert report.lang == "en" and not report.pngs
    with styled("en") as st:
        text = "\n".join(_all_text(fig) for _, fig in figures(results[:1], st.lang))
    assert "likely" in text and "Every target at a glance" in text
    for zh in ("很可能达成", "存在风险", "各项目标达成情况一览", "创新企业集群"):
        assert zh not in text


@pytest.mark.slow
def test_pack_is_reproducible(results: list[sim.Result], tmp_path: Path) -> None:
    a = build_pack(results[:1], tmp_path / "a", png=False)
    b = build_pack(results[:1], tmp_path / "b", png=False)
    assert a.pdf.read_bytes() == b.pdf.read_bytes()  # no creation date, fixed subset names


@pytest.mark.slow
def test_rebuild_replaces_old_pngs(results: list[sim.Result], tmp_path: Path) -> None:
    (tmp_path / "99_stale.png").write_bytes(b"x")
    report = build_pack(results[1:2], tmp_path, lang="zh", parallel=True)
    assert not (tmp_path / "99_stale.png").exists()
    assert all(p.exists() for p in report.pngs)


@pytest.mark.slow  # a whole comparison pack of the three scenarios
def test_no_cjk_font_falls_back_to_english_with_one_warning(
    results: list[sim.Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fonts, "CANDIDATES", [])
    monkeypatch.delenv(fonts.ENV_VAR, raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = build_pack(results, tmp_path, lang="zh", png=False)
    font_warnings = [w for w in caught if issubclass(w.category, fonts.CJKFontWarning)]
    assert len(font_warnings) == 1
    assert "no CJK font" in str(font_warnings[0].message)
    assert report.lang == "en"
    assert not [w for w in caught if "missing from font" in str(w.message)]  # no boxes either
    assert not any("CJK" in name for name in _pdf_fonts(report.pdf))


def test_env_var_font_is_tried_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-font.ttf"
    bogus.write_bytes(b"not a font")
    monkeypatch.setenv(fonts.ENV_VAR, str(bogus))
    assert fonts.candidates()[0][0] == str(bogus)
    assert fonts.find_cjk_font() is not None  # an unusable file is skipped, not fatal


def test_unknown_language_is_an_error() -> None:
    with pytest.raises(ValueError, match="lang"):
        fonts.resolve_language("fr")


# ---------------------------------------------------------------- labels


def test_driver_parameters_exist() -> None:
    params = sim.parameters()
    from sim.catalogue import indicators

    for ind in indicators().values():
        missing = [p for p in ind.drivers if p not in params]
        assert not missing, (ind.id, missing)
    behind = {t.indicator for t in sim.targets().values() if t.indicator}
    assert all(indicators()[i].drivers for i in behind)


def test_parameter_names_come_from_the_catalogue() -> None:
    assert labels.param_name("firms.pass_rate", "zh") == "高企认定通过率"
    assert labels.param_name("firms.pass_rate", "en") == "certification pass rate"
    unnamed = next(p for p, prior in sim.parameters().items() if prior.name_en is None)
    assert labels.param_name(unnamed, "en") == unnamed
    assert labels.param_name("no.such_parameter", "zh") == "no.such_parameter"


def test_short_labels_carry_the_condition() -> None:
    row = {
        "target_id": "hightech_enterprises_2025",
        "kind": "level",
        "threshold": 500.0,
        "unit": "firms",
        "deadline": 2025,
        "name_zh": "",
        "name_en": "",
    }
    assert labels.target_label(row, "zh") == "高新技术企业≥500家"
    row = {**row, "target_id": "tech_smes_each_year", "kind": "each_year", "threshold": 600.0}
    assert labels.target_label(row, "zh") == "科技型中小企业入库每年≥600家"
    assert labels.target_label(row, "en") == "Tech SMEs registered ≥ 600/yr"
    growth = {**row, "target_id": "hightech_tax_reduction_growth", "kind": "growth_average"}
    growth |= {"threshold": 10.0, "unit": "percent_per_year"}
    assert labels.target_label(growth, "zh") == "高企所得税减免额年均增≥10%"
    assert labels.target_label(growth, "en") == "High-tech tax reduction ≥ 10% avg. growth"
    total = {**row, "target_id": "tech_contracts_cumulative", "kind": "cumulative"}
    total |= {"threshold": 150.0, "unit": "100m_cny"}
    assert labels.target_label(total, "zh") == "技术合同成交额累计≥150亿元"
    assert labels.target_label(total, "en") == "Tech-contract turnover ≥ 15 bn yuan total"
    unknown = {**row, "target_id": "not_in_the_catalogue", "name_en": "A target " * 10}
    assert labels.target_label(unknown, "en", with_condition=False) == "A target A target A t…"


def test_lever_names_and_units_come_from_the_catalogue() -> None:
    lever = sim.levers()["talent_services"]
    assert labels.lever_name(lever.id, lever.name_zh, lever.name_en, "zh") == "人才安居（人才公寓）"
    assert labels.lever_name(lever.id, lever.name_zh, lever.name_en, "en") == "Talent housing"
    assert labels.lever_name("not_a_lever", "全称", "Full name", "en") == "Full name"
    assert labels.lever_unit(lever.unit, "zh") == "套/年"
    assert labels.lever_unit(lever.unit, "en") == "flats/yr"
    pool = sim.levers()["risk_compensation_pool"]
    assert (labels.lever_unit(pool.unit, "zh"), labels.lever_unit(pool.unit, "en")) == (
        "万元",
        "10k yuan",
    )


def test_scenario_titles_come_from_the_scenario(saved_baseline: Path) -> None:
    from sim.charts.layout import footer_text

    baseline = sim.load_scenario(ROOT / "scenarios" / "baseline.toml")
    assert labels.scenario_title(baseline, "zh") == "基准情景（现状延续）"
    assert labels.scenario_title(baseline, "en") == "Baseline (status quo)"
    assert labels.scenario_title(sim.status_quo(), "zh") == "现状延续"
    untitled = sim.status_quo().renamed("mine")  # a new name drops the old titles
    assert labels.scenario_title(untitled, "zh") == "mine"
    with styled("en") as st:  # a saved result keeps its titles
        assert "scenario: Baseline (status quo)" in footer_text(sim.load_result(saved_baseline), st)


def test_every_text_key_the_charts_ask_for_exists() -> None:
    found = labels.texts()
    code = "".join(
        f.read_text(encoding="utf-8") for f in sorted((ROOT / "sim" / "charts").glob("*.py"))
    )
    asked = set(re.findall(r"\bt\(\s*[\"']([a-z0-9_]+)[\"']", code))
    assert len(asked) > 100
    assert asked <= found["en"].keys(), sorted(asked - found["en"].keys())
    assert {f"kind_{k}" for k in QUANTITATIVE_KINDS} <= found["en"].keys()
    assert set(labels.STATUSES) <= found["en"].keys()


def test_wrap_respects_width_and_punctuation() -> None:
    text = labels.t("how_to_read_text", "zh")
    lines = labels.wrap(text, 40)
    assert "".join(lines) == text.replace("\n", "")
    assert all(labels._columns_of(line) <= 42 for line in lines)  # hanging punctuation: +2
    assert not any(line[:1] in "，。、；：）”" for line in lines)
    assert not any(line[-1:] in "（“" for line in lines)
    english = labels.wrap("one two three four five six seven eight nine ten", 12)
    assert all(len(line) <= 12 for line in english) and " ".join(english).count("  ") == 0


def test_numbers_and_percentages() -> None:
    assert labels.pct(0.0004, 1) == "<0.1%"
    assert labels.pct(0.9996, 1) == ">99.9%"
    assert labels.pct(0.799, 1) == "79.9%"
    assert labels.num(25000, "zh") == "2.5万"
    assert labels.num(25000, "en") == "25,000"
    assert labels.clause("三(一)1", "en") == "§3(1)1"
