"""Latency of the what-if page: from a lever change in the browser to the updated table.

    .venv/bin/python benchmarks/bench_serve.py [--changes 20] [--scenario scenarios/baseline.toml]

Starts `sim serve` (two workers) on a free local port, opens the page in Debian's chromium
(Playwright), then sets `cultivation_programme` to a new value `--changes` times (each a package
not computed before, so no answer comes from the cache) and times each from leaving the box to
the table showing the new package (URL updated, nothing computing). Prints the median and the
95th percentile, the server's own time per package (the package simulated beside the start's
kept work, reduced, and paired with the start's stored flags) and, for scale, one `sim.run` of
the scenario alone in this process. The load average is printed too: on a busy machine every
number is larger.

Measured on the 2-core development machine (load average about 1 at the start; the browser,
the server and its two workers share the two cores), 20 changes: median 0.94 s, 95th percentile
1.09 s (the first change 1.9 s: the browser's own first drawing); the server's own time per
package 0.51 s (median). Before the live runs (each package simulated whole beside the start,
~330 Dash components in the table): median 2.34 s, 95th percentile 2.81 s.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from webpage import chromium, serving, set_lever, wait_until_settled

LEVER = "cultivation_programme"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _changes(n: int) -> list[float]:
    """n settings of the lever, all different and none the status quo (1,200)."""
    values = [1300 + 100 * i for i in range(n)]
    return [v if v != 1200 else 4000 for v in values]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--scenario", type=Path, default=Path("scenarios/baseline.toml"))
    args = parser.parse_args()
    binary = chromium()
    if binary is None:
        sys.exit("no chromium: apt-get install chromium (or set SIM_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    import sim

    load_before = os.getloadavg()
    t0 = time.perf_counter()
    sim.run(args.scenario)
    alone = time.perf_counter() - t0
    latencies, server = [], []
    with (
        tempfile.TemporaryDirectory() as tmp,
        serving(args.scenario, Path(tmp)) as url,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=binary, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(url)
        page.wait_for_selector("tr.target-row", timeout=300_000)
        for value in _changes(args.changes):
            start = time.perf_counter()
            set_lever(page, LEVER, value)
            wait_until_settled(page, f"{LEVER}={value:g}", timeout=600_000)
            latencies.append(time.perf_counter() - start)
            found = re.search(r"([\d.]+) ?(?:秒|s)$", page.inner_text("#status").strip())
            server.append(float(found.group(1)) if found else float("nan"))
            print(f"  {LEVER} = {value:>6g}: {latencies[-1]:.2f} s (server {server[-1]:.2f} s)")
        browser.close()
    load_after = os.getloadavg()
    print(f"\nlever change -> updated table, {len(latencies)} changes, {args.scenario}:")
    median, p95 = statistics.median(latencies), _percentile(latencies, 0.95)
    print(f"  median {median:.2f} s, 95th percentile {p95:.2f} s "
          f"(min {min(latencies):.2f}, max {max(latencies):.2f})")  # fmt: skip
    print(f"  server time per package (beside the start's kept work, paired): median "
          f"{statistics.median(server):.2f} s")  # fmt: skip
    print(f"  for scale: sim.run of the scenario alone in this process: {alone:.2f} s")
    print(f"  load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
          f"on {os.cpu_count()} cores")  # fmt: skip


if __name__ == "__main__":
    main()
