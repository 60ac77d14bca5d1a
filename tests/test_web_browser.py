"""The what-if page in a real browser (slow tier): Playwright drives Debian's chromium
against `sim serve` on a free local port.

Moving a lever updates the table in the right direction without console errors; the package
saved from the page is reproduced exactly by `sim run`; the chart pack downloads; a bad link
is refused with its reason; two tabs do not interfere and the newest request of a tab wins;
the page is photographed in Chinese and English ($SIM_SCREENSHOTS: a folder to copy the
pictures to, for looking at them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from webpage import (
    ROOT,
    chromium,
    env,
    lever_input,
    p_met,
    serving,
    set_lever,
    sim_command,
    wait_until_settled,
    watch_busy,
)

import sim

pytestmark = pytest.mark.slow

CHROMIUM = chromium()
if CHROMIUM is None:
    pytest.skip(
        "no chromium: install Debian's package (apt-get install chromium; `python3 tasks.py "
        "test` does it when run as root) or set SIM_CHROMIUM",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")

DRAWS = 4000  # a quick package; the page uses the starting scenario's draws and seed
LEVER, TARGET = "cultivation_programme", "hightech_enterprises_2025"  # the lever acts on it


def _start_file(folder: Path) -> Path:
    text = (ROOT / "scenarios" / "baseline.toml").read_text(encoding="utf-8")
    text = text.replace('name = "baseline"', 'name = "browser_start"')
    text = text.replace("draws = 20000", f"draws = {DRAWS}")
    path = folder / "browser_start.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("web")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(folder: Path):
    with serving(_start_file(folder), folder / "out", "zh", log=folder / "serve-zh.log") as url:
        yield url


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector(f"#row-{TARGET}", timeout=180_000)
    return page, errors


def _shoot(page, folder: Path, name: str) -> Path:
    path = folder / name
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("SIM_SCREENSHOTS"):
        Path(os.environ["SIM_SCREENSHOTS"]).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(os.environ["SIM_SCREENSHOTS"]) / name)
    return path


def _page_numbers(page) -> dict[str, float]:
    rows = page.locator("tr.target-row")
    return {
        rows.nth(i).get_attribute("data-target"): float(rows.nth(i).get_attribute("data-p"))
        for i in range(rows.count())
    }


def test_a_lever_moves_its_target_and_the_saved_package_reproduces(browser, site, folder) -> None:
    page, errors = _open(browser, site)
    before = p_met(page, TARGET)
    watch_busy(page)
    set_lever(page, LEVER, 4000)
    wait_until_settled(page, f"{LEVER}=4000")
    after = p_met(page, TARGET)
    assert after > before, (before, after)  # more cultivation money, more high-tech firms
    assert page.evaluate("window.__sawBusy"), "no progress was shown while computing"
    assert "4,000次抽样" in page.inner_text("#status")
    assert "+2,800万元" in page.inner_text("#cost")
    shown = _page_numbers(page)
    _shoot(page, folder, "whatif_zh.png")

    # out of range cannot be entered: the box snaps back into the range, nothing is refused
    set_lever(page, LEVER, 99999)
    page.wait_for_timeout(500)
    assert float(lever_input(page, LEVER).input_value()) == 4000
    assert page.inner_text("#notice") == ""

    # save as scenario: a file in the server's folder, downloaded too, that sim run reproduces
    page.fill("#save-name", "browser_pkg")
    with page.expect_download() as download:
        page.click("#save")
    saved = folder / "out" / "scenarios" / "browser_pkg.toml"
    assert Path(download.value.path()).read_text(encoding="utf-8") == saved.read_text("utf-8")
    assert str(saved) in page.inner_text("#save-msg")
    runs = str(folder / "runs")
    for command in (
        ["validate", str(saved)],
        ["run", str(saved), "--out", runs, "-q", "--no-charts"],
    ):
        done = subprocess.run(sim_command(*command), cwd=ROOT, env=env(), capture_output=True)
        assert done.returncode == 0, done.stderr.decode()
    run = sim.load_result(folder / "runs" / "browser_pkg")
    cli = dict(zip(run.attainment["target_id"], run.attainment["p_met"], strict=True))
    assert shown == {k: cli[k] for k in shown}  # identical, not merely close
    assert errors == []


def test_the_chart_pack_downloads(browser, site, folder) -> None:
    page, errors = _open(browser, site + f"?{LEVER}=2400")
    with page.expect_download(timeout=300_000) as download:
        page.click("#pack")
    pdf = Path(download.value.path())
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert (folder / "out" / "packs" / "whatif" / "charts.pdf").exists()
    assert errors == []


def test_what_it_would_take_links_to_a_package_that_reaches_the_target(browser, site) -> None:
    page, errors = _open(browser, site)
    target = "zjtx_new_2025"  # at risk at the start; one lever reaches 80 % (sim requirements)
    before = p_met(page, target)
    page.click("#fan-target")
    page.get_by_role("option").filter(has_text="专精特新").first.click()
    page.click("#need")
    page.wait_for_selector(".needs table", timeout=300_000)
    assert "专精特新" in page.inner_text(".needs h4")
    links = page.locator(".needs a")
    assert links.count() >= 1
    href = links.first.get_attribute("href")
    links.first.click()
    lever_setting = href.split("?", 1)[1].split("&")[-1]
    page.wait_for_selector("tr.target-row")
    wait_until_settled(page, lever_setting)
    assert p_met(page, target) > before + 0.05, (before, p_met(page, target), href)
    assert page.inner_text("#needs") == ""  # the answer was for the package before
    assert errors == []


def test_a_bad_link_is_refused_with_its_reason(browser, site) -> None:
    page, errors = _open(browser, site + f"?{LEVER}=99999")
    page.wait_for_selector("#notice:not(:empty)")
    assert "outside its range 0–4000" in page.inner_text("#notice")
    assert float(lever_input(page, LEVER).input_value()) == 1200  # the start, untouched
    assert errors == []


def test_tabs_do_not_interfere_and_the_newest_request_wins(browser, site) -> None:
    a, errors_a = _open(browser, site)
    b, errors_b = _open(browser, site + "?talent_programme=6000")
    b_numbers = _page_numbers(b)
    set_lever(a, LEVER, 3000)
    set_lever(a, LEVER, 1600)  # supersedes the first change at once
    wait_until_settled(a, f"{LEVER}=1600")
    a_numbers = _page_numbers(a)
    fresh, _ = _open(browser, site + f"?{LEVER}=1600")
    assert _page_numbers(fresh) == a_numbers  # what is shown is the newest package's
    assert _page_numbers(b) == b_numbers and "talent_programme=6000" in b.url
    assert errors_a == errors_b == []


def test_the_page_in_english(browser, folder) -> None:
    with serving(_start_file(folder), folder / "out-en", "en", log=folder / "serve-en.log") as url:
        page, errors = _open(browser, url + "?talent_programme=6000&cultivation_programme=2400")
        wait_until_settled(page, "talent_programme=6000")
        assert "Policy levers" in page.inner_text("aside")
        assert "Updated: 4,000 draws" in page.inner_text("#status")
        _shoot(page, folder, "whatif_en.png")
        assert errors == []
