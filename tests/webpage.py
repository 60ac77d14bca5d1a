"""Helpers of the browser test and the latency benchmark: a `sim serve` in a subprocess and
Debian's chromium driven by Playwright (never a browser Playwright downloads)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FILES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
ROW = "#row-{target}"
SIM = "import sys; from sim.cli import main; sys.argv[0] = 'sim'; main()"


def chromium() -> str | None:
    """The chromium binary: $SIM_CHROMIUM, else Debian's, else None."""
    env = os.environ.get("SIM_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    found = [p for p in CHROMIUM_FILES if Path(p).exists()]
    return found[0] if found else shutil.which("chromium")


def sim_command(*args: str) -> list[str]:
    """``sim ARGS`` run by this interpreter on this checkout."""
    return [sys.executable, "-c", SIM, *args]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}


def free_port() -> int:
    from sim.web.server import free_port as free

    return free()


@contextmanager
def serving(
    scenario: Path, out: Path, lang: str = "zh", jobs: int = 2, log: Path | None = None
) -> Iterator[str]:
    """Run ``sim serve`` on a free local port until the block ends; yields the page's URL."""
    port = free_port()
    args = [str(scenario), "--port", str(port), "--lang", lang, "--out", str(out)]
    sink = open(log or os.devnull, "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        sim_command("serve", *args, "--jobs", str(jobs)),
        cwd=ROOT,
        env=env(),
        stdout=sink,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"sim serve exited with {proc.returncode}") from None
                if time.monotonic() > deadline:
                    raise TimeoutError(f"sim serve did not answer at {url}") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        sink.close()


def lever_input(page, lever: str):
    """The number box of a lever's slider."""
    return page.locator(f"#lever-{lever} input[type=number]")


def set_lever(page, lever: str, value: float) -> None:
    """Type a setting into a lever's box and leave it (the slider commits on blur)."""
    box = lever_input(page, lever)
    box.fill(f"{value:g}")
    box.press("Tab")


def p_met(page, target: str) -> float:
    """The P(met) a table row shows, at full precision (its data-p attribute)."""
    return float(page.get_attribute(ROW.format(target=target), "data-p"))


def wait_until_settled(page, query_part: str, timeout: float = 180_000) -> None:
    """Wait until the URL carries ``query_part`` and no computation is running."""
    page.wait_for_function(
        "q => location.search.includes(q) && "
        "!document.querySelector('#results').classList.contains('busy')",
        arg=query_part,
        timeout=timeout,
    )


def watch_busy(page) -> None:
    """Record in ``window.__sawBusy`` whether the results were ever marked as computing."""
    page.evaluate(
        """() => { window.__sawBusy = false;
        const el = document.querySelector('#results');
        new MutationObserver(() => { if (el.classList.contains('busy')) window.__sawBusy = true; })
          .observe(el, {attributes: true}); }"""
    )
