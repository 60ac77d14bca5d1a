"""The chart pack of a run conditioned on actuals (issue 13, item 4): the page of what the latest
figures changed (in the pack only for such a run), the actuals and the fan before the update on
the fans, ``result.plot.changes()``, and both languages without a missing glyph."""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import same_color
from matplotlib.figure import Figure

import sim
from sim.analysis import change_rows, fan_actuals, fan_data, rows_in_policy_order
from sim.analysis.targets import weighted_quantiles
from sim.charts import labels as L
from sim.charts.changes import changes_page
from sim.charts.fans import fan_charts, fan_figure
from sim.charts.layout import styled
from sim.charts.pack import build_pack
from sim.charts.pages import SCENARIO_PAGES
from sim.errors import ResultError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "monitoring_example.toml"
CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def monitored() -> sim.Result:
    """The monitoring example (five illustrative actuals), conditioned on them."""
    return sim.run(sim.load_scenario(EXAMPLE), draws=2000)


@pytest.fixture(scope="module")
def plain() -> sim.Result:
    return sim.run(sim.load_scenario(ROOT / "scenarios" / "baseline.toml"), draws=1000)


def _texts(fig: Figure) -> list[str]:
    texts = list(fig.texts)
    for ax in fig.axes:
        texts += ax.texts + ax.get_yticklabels() + [ax.title, ax._left_title]
    for legend in fig.legends:
        texts += legend.get_texts()
    return [t.get_text() for t in texts]


def _markers(ax, colour: str, hollow: bool) -> list[tuple[float, float]]:
    """(x, y) of the markers of ``colour``: filled with it, or hollow (white) edged with it."""
    out = []
    for line in ax.get_lines():
        if line.get_marker() in (None, "None", "") or not len(line.get_xdata()):
            continue
        face, edge = line.get_markerfacecolor(), line.get_markeredgecolor()
        if (same_color(face, "white") and same_color(edge, colour)) if hollow \
                else same_color(face, colour):  # fmt: skip
            out += list(zip(line.get_xdata(), line.get_ydata(), strict=True))
    return out


def _render(fig: Figure) -> None:
    fig.savefig(io.BytesIO(), format="png", dpi=40)


# ---------------------------------------------------------------- the page


def test_the_changes_page_is_a_page_of_the_pack_only_with_actuals(
    monitored: sim.Result, plain: sim.Result
) -> None:
    assert [name for name, _ in SCENARIO_PAGES][:2] == ["cover", "changes"]
    assert changes_page(plain, "zh") == []  # so the pack leaves it out (see figures())
    with pytest.raises(ResultError, match="no actuals"):
        plain.plot.changes()
    pages = changes_page(monitored, "zh")
    assert len(pages) == 1
    text = "\n".join(_texts(pages[0]))
    assert "最新数据带来的变化" in text
    # the clearest change, its status, the figure that moved it, the figures, the ESS warning
    top = change_rows(monitored)[0]
    assert top["clear"] and L.target_label(top, "zh") in text
    assert "高新技术企业数（有效） 2023年" in text
    for period in ("2023年", "2024年1–5月", "2024年1–6月"):
        assert period in text
    assert "第59百分位" in text or re.search(r"第\d+百分位", text)
    assert "年化约" in text and "统计口径有变化" in text and "初步数" in text
    assert ("更新只相当于" in text) == any(monitored.effective_draws()["ess"] < 2000)


def test_change_rows_put_clear_changes_first(monitored: sim.Result) -> None:
    rows = change_rows(monitored)
    assert len(rows) == len(monitored.changes())
    clear = [r["clear"] for r in rows]
    assert clear == sorted(clear, reverse=True)  # clear ones first
    for r in rows:
        assert r["clear"] == (abs(r["difference"]) > 2 * r["difference_se"])
    moved = [r for r in rows if r["moved_by"] is not None]
    assert moved and all(r["moved_by"]["indicator"] for r in moved)


def test_plot_changes_in_english_has_no_chinese(monitored: sim.Result) -> None:
    fig = monitored.plot.changes(lang="en")
    text = "\n".join(_texts(fig))
    assert "What the latest figures changed" in text and "2024 Jan–May" in text
    assert not CJK.search(text), CJK.findall(text)[:5]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_and_the_fans_render_without_a_missing_glyph(
    monitored: sim.Result, lang: str
) -> None:
    with warnings.catch_warnings(record=True) as caught, styled(lang) as st:
        warnings.simplefilter("always")
        assert st.lang == lang
        _render(changes_page(monitored, lang)[0])
        _render(fan_figure(monitored, "hightech_output_share_2025", lang))
    assert not [w for w in caught if "missing from font" in str(w.message)]


# ---------------------------------------------------------------- the fans


def test_a_fan_shows_its_actuals_and_the_fan_before(monitored: sim.Result) -> None:
    fig = fan_figure(monitored, "hightech_output_share_2025", "zh")
    ax = fig.axes[0]
    filled = _markers(ax, L.ACTUAL_COLOUR, hollow=False)
    hollow = _markers(ax, L.ACTUAL_COLOUR, hollow=True)
    assert filled == [(2023, pytest.approx(56.8))]  # full year, preliminary
    assert hollow == [(2024, pytest.approx(57.2))]  # a ratio year to date: at its value
    assert "1–5月" in [t.get_text() for t in ax.texts]
    before = [ln for ln in ax.get_lines() if same_color(ln.get_color(), L.BEFORE_COLOUR)]
    assert len(before) == 3  # the 90 % band's edges and the median before the update
    b = fan_data(monitored, rows_by_id(monitored)["hightech_output_share_2025"], before=True)
    assert np.allclose(before[0].get_ydata(), b["q05"][~np.isnan(b["q50"])])
    assert any("最新数据" in t for t in _texts(fig))  # the legend of the actuals
    lo, hi = ax.get_ylim()
    assert lo < 56.8 < hi and lo < b["q05"][-1] and b["q95"][-1] < hi


def test_a_year_to_date_flow_is_annualised_and_one_off_the_scale_is_named(
    monitored: sim.Result,
) -> None:
    acts = monitored.actuals()
    projects = acts[acts["indicator"] == "scitech_projects_attracted"].set_index("period")
    annual = float(projects.loc["2024-01..06", "annualised"])
    fig = fan_figure(monitored, "projects_attracted_each_year", "en")
    ax = fig.axes[0]
    assert annual == pytest.approx(28 / 0.5, rel=0.05)
    assert _markers(ax, L.ACTUAL_COLOUR, hollow=True) == [(2024, pytest.approx(annual))]
    assert "Jan–Jun" in [t.get_text() for t in ax.texts]
    # a running total from 2023 cannot take a 2024 figure without 2023's: named, not drawn
    fig = fan_figure(monitored, "tech_contracts_cumulative", "zh")
    ax = fig.axes[0]
    assert not _markers(ax, L.ACTUAL_COLOUR, hollow=True)
    assert not _markers(ax, L.ACTUAL_COLOUR, hollow=False)
    assert "最新：2024年1–5月 30亿元" in [t.get_text() for t in ax.texts]


def test_a_fan_without_actuals_has_neither_markers_nor_their_legend(plain: sim.Result) -> None:
    fig = fan_figure(plain, "hightech_output_share_2025", "zh")
    assert not fig.legends and fig.get_size_inches()[1] == pytest.approx(3.6)
    assert not _markers(fig.axes[0], L.ACTUAL_COLOUR, hollow=False)
    assert not _markers(fig.axes[0], L.ACTUAL_COLOUR, hollow=True)


@pytest.mark.slow  # draws every fans page of two results (~4 s)
def test_the_fans_page_has_the_legend_of_the_actuals_only_with_actuals(
    monitored: sim.Result, plain: sim.Result
) -> None:
    pages = fan_charts(monitored, "en")
    with_actuals = "\n".join(_texts(pages[0]))
    assert "latest figure, full year" in with_actuals and "before the latest" in with_actuals
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    for page in pages:  # a panel's subtitle, P(met) tag and actuals named in it stay apart
        renderer = FigureCanvasAgg(page).get_renderer()
        for ax in page.axes:
            boxes = [t.get_window_extent(renderer) for t in ax.texts if t.get_text()]
            for i, a in enumerate(boxes):
                assert not any(a.overlaps(b) and a.intersection(a, b).width > 1
                               for b in boxes[i + 1 :]), ax.get_title(loc="left")  # fmt: skip
    without = fan_charts(plain, "en")
    assert len(without[0].legends) == 1
    for fig in without:
        assert "latest figure" not in "\n".join(_texts(fig))
        for ax in fig.axes:
            assert not _markers(ax, L.ACTUAL_COLOUR, hollow=False)
            assert not [ln for ln in ax.get_lines()
                        if same_color(ln.get_color(), L.BEFORE_COLOUR)]  # fmt: skip


def rows_by_id(result: sim.Result) -> dict:
    return {r["target_id"]: r for r in rows_in_policy_order(result, modelled_only=True)}


def test_fan_actuals_on_transformed_scales(monitored: sim.Result) -> None:
    """A full-year actual of the first year lands on a running total; a multiple of 2022 needs
    a published 2022 value."""
    rows = rows_by_id(monitored)
    row = rows["tech_contracts_cumulative"]
    d = {"kind": "cumulative"}
    found = fan_actuals(monitored, row, d)
    assert [(a["period"], np.isnan(a["y"])) for a in found] == [("2024-01..05", True)]
    level = fan_actuals(monitored, rows["hightech_enterprises_2025"], {"kind": "level"})
    assert [(a["year"], a["y"]) for a in level] == [(2023, 365.0)]
    from sim.analysis.actuals import _on_scale

    cumulative = {"kind": "cumulative"}
    assert _on_scale(cumulative, row, 2023, 40.0, {}) == 40.0
    assert _on_scale(cumulative, row, 2024, 50.0, {2023: 40.0}) == 90.0
    assert _on_scale({"kind": "growth_average"}, row, 2024, 60.0, {2022: 40.0}) == 1.5
    assert np.isnan(_on_scale({"kind": "growth_average"}, row, 2024, 60.0, {}))
    assert _on_scale({"kind": "growth_each_year"}, row, 2024, 60.0, {2023: 50.0}) == (
        pytest.approx(20.0)
    )


def test_cumulative_fans_after_the_actuals_are_weighted(monitored: sim.Result) -> None:
    row = rows_by_id(monitored)["tech_contracts_cumulative"]
    after, before = fan_data(monitored, row), fan_data(monitored, row, before=True)
    assert not np.allclose(after["q50"][1:], before["q50"][1:])
    assert after["q05"][0] == before["q05"][0] == 0.0


def test_weighted_quantiles() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(501, 2))
    x[3, 1] = np.nan
    qs = (0.05, 0.5, 0.95)
    equal = weighted_quantiles(x, np.ones(501), qs)
    assert np.allclose(equal[:, 0], np.quantile(x[:, 0], qs, method="hazen"))
    assert np.allclose(equal[:, 1], np.nanquantile(x[:, 1], qs, method="hazen"))
    w = np.where(x[:, 0] > 0, 1.0, 0.0)  # zero weight: left out
    assert weighted_quantiles(x, w, (0.0,))[0, 0] >= 0
    doubled = weighted_quantiles(np.r_[x, x], np.ones(1002), qs)
    assert np.allclose(doubled[:, 0], equal[:, 0], atol=0.02)
    assert np.isnan(weighted_quantiles(np.full((3, 1), np.nan), np.ones(3), qs)).all()


def test_periods_in_both_languages() -> None:
    assert L.period_text(2023, 12, "zh") == "2023年"
    assert L.period_text(2024, 5, "zh") == "2024年1–5月"
    assert L.period_text(2024, 1, "zh") == "2024年1月"
    assert L.period_text(2024, 5, "en") == "2024 Jan–May"
    assert L.period_text(2023, 12, "en") == "2023"
    assert L.span_text(6, "zh") == "1–6月" and L.span_text(6, "en") == "Jan–Jun"


# ---------------------------------------------------------------- the pack


@pytest.mark.slow
def test_the_pack_of_a_run_with_actuals_has_the_page_after_the_cover(
    monitored: sim.Result, tmp_path: Path
) -> None:
    """Built from the saved and reloaded result, as `sim report` does."""
    reloaded = sim.load_result(monitored.save(tmp_path / "result"))
    assert reloaded.has_actuals
    with styled("zh"):
        text = "\n".join(_texts(changes_page(reloaded, "zh")[0]))
    assert "高新技术企业数（有效） 2023年" in text and "2024年1–5月" in text
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = build_pack([reloaded], tmp_path / "charts", lang="zh", png=False)
    assert report.page_names[:2] == ["cover", "changes"]
    assert report.pages == len(report.page_names) and report.pdf.stat().st_size > 10_000
    assert not [w for w in caught if "missing from font" in str(w.message)]


def _overlapping_texts(fig: Figure) -> list[tuple[str, str]]:
    """Pairs of the page's texts whose boxes overlap (the page drawn at 100 dpi)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in fig.texts if t.get_text()]
    out = []
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1 :]:
            if box_a.overlaps(box_b) and box_a.intersection(box_a, box_b).width > 1:
                out.append((a, b))
    return out


@pytest.fixture(scope="module")
def many() -> sim.Result:
    """The example with six more figures (eleven in all), on few draws."""
    from sim.scenario import from_dict

    spec = sim.load_scenario(EXAMPLE).spec()
    extra = [
        ("tech_contract_turnover", "2023", 95.0),
        ("hightech_tax_reduction", "2023", 1.3),
        ("rd_super_deduction", "2024-01..03", 5.0),
        ("iur_projects", "2023", 170.0),
        ("enterprise_rd_institutions_new", "2023", 9.0),
        ("zjtx_new", "2025-01..11", 12.0),
    ]
    spec["actuals"] += [{"indicator": i, "period": p, "value": v, "status": "reported",
                         "source": "test"} for i, p, v in extra]  # fmt: skip
    return sim.run(from_dict(spec | {"name": "many"}), draws=500)


def test_many_figures_show_eight_and_count_the_rest(many: sim.Result) -> None:
    with styled("en"):
        text = "\n".join(_texts(changes_page(many, "en")[0]))
        fig = fan_figure(many, "tech_contracts_cumulative", "en")
    assert "3 more figures not shown" in text
    # 2023 in full, then Jan–May 2024 annualised: the running total can take both
    acts = many.actuals()
    ytd = acts[(acts["indicator"] == "tech_contract_turnover") & (acts["months"] == 5)]
    annual = float(ytd["annualised"].iloc[0])
    ax = fig.axes[0]
    assert _markers(ax, L.ACTUAL_COLOUR, hollow=False) == [(2023, pytest.approx(95.0))]
    assert _markers(ax, L.ACTUAL_COLOUR, hollow=True) == [(2024, pytest.approx(95.0 + annual))]


def test_the_overlap_check_finds_an_overlap() -> None:
    fig = Figure(figsize=(4, 2))
    fig.text(0.1, 0.5, "some words")
    fig.text(0.15, 0.5, "more words")
    fig.text(0.1, 0.1, "apart")
    assert _overlapping_texts(fig) == [("some words", "more words")]


@pytest.mark.slow  # four pages drawn (~10 s)
def test_no_text_overlaps_on_the_page(monitored: sim.Result, many: sim.Result) -> None:
    """With five figures and with eleven (the tables move up, the target rows give way)."""
    for result in (monitored, many):
        for lang in ("zh", "en"):
            with styled(lang):
                fig = changes_page(result, lang)[0]
                assert not _overlapping_texts(fig), _overlapping_texts(fig)[:3]
