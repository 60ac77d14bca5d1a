"""Benchmark of sweeps: ten scenarios on one seed against one, and where an end-to-end run
spends its wall time.

    .venv/bin/python benchmarks/bench_sweep.py                  # the sweep table (20,000 draws)
    .venv/bin/python benchmarks/bench_sweep.py --end-to-end     # and `sim run` of 10^6 draws
    .venv/bin/python benchmarks/bench_sweep.py --cases one,firms --repeats 1   # a quick look

Sweep: each case runs ``run_many`` with ``--jobs`` worker processes (a fresh pool every run,
as a command would) in this process, after one warm-up run that loads the catalogue; the time
is the median of ``--repeats`` runs, and the ratio is to one scenario's full run. "light" is
the reduction a sweep can ask for (``series=False``: no trajectories or sample).

End to end: ``sim run scenarios/baseline.toml --draws 1000000 --jobs 2`` in a fresh process,
with and without the chart pack; "simulation" is the manifest's ``simulate_and_reduce`` (the
engine: pilot, workers, merging), "outside" everything else (imports, the probe, building the
result, printing, saving the folder, the chart pack).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CASES = {
    "one": "one scenario (the status quo)",
    "firms": "ten settings of cultivation_programme (acts on firms, R&D, industry)",
    "talent": "ten settings of talent_programme (talent and firms)",
    "agri": "ten settings of agri_extension (agriculture only)",
    "greedy": "ten packages, each raising a different lever by half",
    "all": "ten packages, every lever scaled (nothing lever-free but the start)",
}


def scenarios(case: str, draws: int) -> list:
    """The scenarios of a case: the status quo first, then nine others."""
    from sim.levers import levers
    from sim.scenario import status_quo

    base = status_quo("base", draws=draws)
    if case == "one":
        return [base]
    lv = levers()
    if case in ("firms", "talent", "agri"):
        lever = lv[{"firms": "cultivation_programme", "talent": "talent_programme",
                    "agri": "agri_extension"}[case]]  # fmt: skip
        step = (lever.max - lever.status_quo) / 9
        return [base] + [base.with_levers(**{lever.id: lever.status_quo + step * i})
                         .renamed(f"s{i}") for i in range(1, 10)]  # fmt: skip
    if case == "greedy":
        raised = [k for k, v in lv.items() if v.status_quo > 0 and v.kind == "process"][:9]
        return [base] + [base.scale_levers(**{k: 1.5}).renamed(f"s{i}")
                         for i, k in enumerate(raised, start=1)]  # fmt: skip
    scalable = [k for k, v in lv.items() if v.status_quo > 0]
    return [base] + [base.scale_levers(**dict.fromkeys(scalable, 1 + 0.1 * i)).renamed(f"s{i}")
                     for i in range(1, 10)]  # fmt: skip


def median_time(fn: Callable[[], object], repeats: int) -> float:
    """Median wall seconds of ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def sweep_table(cases: list[str], draws: int, jobs: int, repeats: int) -> None:
    """Print the sweep table."""
    from sim.runner import run_many

    run_many(scenarios("one", draws), jobs=jobs)  # warm-up: catalogue, imports, the probe
    print(f"\n{draws:,} draws, jobs {jobs}, median of {repeats}\n")
    print("| case | scenarios | full s | ratio | light s | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    one = None
    for case in cases:
        scs = scenarios(case, draws)
        full = median_time(lambda scs=scs: run_many(scs, jobs=jobs), repeats)
        light = median_time(lambda scs=scs: run_many(scs, jobs=jobs, series=False), repeats)
        one = one or full
        print(f"| {CASES[case]} | {len(scs)} | {full:.2f} | {full / one:.2f} | {light:.2f} | "
              f"{light / one:.2f} |", flush=True)  # fmt: skip


def end_to_end(draws: int, jobs: int) -> None:
    """Print where ``sim run`` of the baseline spends its wall time."""
    print(f"\nsim run scenarios/baseline.toml --draws {draws:,} --jobs {jobs}\n")
    print("| charts | wall s | simulation s | outside s | outside share | chart pack s |")
    print("|---|---:|---:|---:|---:|---:|")
    for charts in (False, True):
        with tempfile.TemporaryDirectory() as out:
            cmd = [sys.executable, "-c", "from sim.cli import main; main()", "run",
                   "scenarios/baseline.toml", "--draws", str(draws), "--jobs", str(jobs),
                   "--out", out, "-q", "--charts" if charts else "--no-charts"]  # fmt: skip
            env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
            t = time.perf_counter()
            done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                                  check=True)  # fmt: skip
            wall = time.perf_counter() - t
            manifest = json.loads((Path(out) / "baseline" / "manifest.json").read_text())
        sim_s = manifest["timings_seconds"]["simulate_and_reduce"]
        found = re.search(r"chart pack: .*, ([0-9.]+) s\)", done.stdout)
        pack = found.group(1) if found else "–"
        print(f"| {'yes' if charts else 'no'} | {wall:.1f} | {sim_s:.1f} | {wall - sim_s:.1f} | "
              f"{(wall - sim_s) / wall:.0%} | {pack} |", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=20_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cases", default=",".join(CASES), help=f"of {', '.join(CASES)}")
    parser.add_argument("--end-to-end", action="store_true", help="also time `sim run` of 1e6")
    parser.add_argument("--end-to-end-draws", type=int, default=1_000_000)
    args = parser.parse_args()
    cases = args.cases.split(",")
    if cases[0] != "one":
        cases.insert(0, "one")  # the ratios are to one scenario
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    sweep_table(cases, args.draws, args.jobs, args.repeats)
    if args.end_to_end:
        end_to_end(args.end_to_end_draws, args.jobs)


if __name__ == "__main__":
    main()
