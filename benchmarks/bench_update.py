"""Benchmark of the update with actuals: its cost, and the effective draws it leaves.

    .venv/bin/python benchmarks/bench_update.py                 # 20,000 draws, seed 20230305
    .venv/bin/python benchmarks/bench_update.py --truths 100    # ESS over more model draws

The actuals are MODEL-GENERATED, ILLUSTRATIVE VALUES — NOT QIDONG FIGURES: one model draw of
another seed (``--truth-seed``) plays the county, and ``Likelihood.sample`` turns its simulated
values into the figures a bureau at a mid-2025 meeting would hold:

- 2023: full-year values of five headline indicators (final, ``reported``);
- 2024: the same five (January estimates, ``preliminary``) and January–May figures;
- 2025: January–May/June figures only.

Printed: the actuals; the wall and CPU time (median of ``--repeats``) of a plain status-quo run
and of the same run with the actuals; the effective sample size (ESS) after one, two and three
years of actuals (the run's own ESS table) and of each actual alone; and, for context, the ESS
quantiles over ``--truths`` model draws of the truth seed, from the same draws and likelihood
code. On a shared machine read the CPU seconds: wall time includes waiting for a core.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.catalogue import indicators  # noqa: E402
from sim.catalogue.actuals import Period  # noqa: E402
from sim.engine import simulate_chunk  # noqa: E402
from sim.plan import plan_for  # noqa: E402
from sim.rng import stream  # noqa: E402
from sim.runner import run  # noqa: E402
from sim.scenario import Actual, Scenario, from_dict, status_quo  # noqa: E402
from sim.update import ESS_WARN, likelihoods  # noqa: E402

HEADLINE = ("hightech_enterprises", "hightech_output_share", "rd_to_gdp",
            "invention_patents_per_10k", "tech_smes_registered")  # fmt: skip
YEAR_TO_DATE = (("tech_contract_turnover", 5), ("hightech_output_share", 5),
                ("tech_smes_registered", 6))  # fmt: skip
SOURCE = "model-generated illustrative value (not a Qidong figure)"


def bulletin() -> list[Actual]:
    """The actuals of a mid-2025 meeting, with placeholder values (``sample`` fills them)."""
    out = [Actual(i, Period(2023), 1.0, "reported", SOURCE) for i in HEADLINE]
    out += [Actual(i, Period(2024), 1.0, "preliminary", SOURCE) for i in HEADLINE]
    out += [Actual(i, Period(2024, m), 1.0, "reported", SOURCE) for i, m in YEAR_TO_DATE[:2]]
    out += [Actual(i, Period(2025, m), 1.0, "reported", SOURCE) for i, m in YEAR_TO_DATE]
    return out


def generated(truth: dict[str, np.ndarray], row: int, seed: int) -> list[Actual]:
    """The bulletin's figures for model draw ``row`` of ``truth``, rounded as published."""
    years = plan_for([status_quo()]).years
    gen = stream(seed, row, "bench.actuals")
    out = []
    for lk in likelihoods(bulletin(), years):
        y = float(lk.sample(truth[lk.actual.indicator][row : row + 1, lk.column], gen)[0])
        y = max(round(y), 0) if lk.offset else round(y, 2)
        out.append(dataclasses.replace(lk.actual, value=float(y)))
    return out


def with_actuals(base: Scenario, actuals: list[Actual]) -> Scenario:
    """``base`` conditioned on ``actuals``."""
    spec = base.spec() | {"name": "bench_update", "actuals": [a.spec() for a in actuals]}
    return from_dict(spec, source="benchmarks/bench_update.py")


def timed(scenario: Scenario, repeats: int, jobs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``repeats`` runs."""
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        run(scenario, jobs=jobs)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def ess_over_truths(base: Scenario, truths: int, truth_seed: int) -> dict[int, np.ndarray]:
    """ESS after each year of actuals, for ``truths`` model draws of the truth seed, on the
    run's own draws (every chunk simulated again, weights from ``Likelihood.log_density``)."""
    plan = plan_for([base])
    chunks = [simulate_chunk(base, c, n, plan.seed, plan.years) for c, n in plan.chunks()]
    bank = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
    truth = simulate_chunk(base, 0, truths, truth_seed, plan.years)
    out: dict[int, list[float]] = {2023: [], 2024: [], 2025: []}
    for row in range(truths):
        liks = likelihoods(generated(truth, row, truth_seed), plan.years)
        total = np.zeros(plan.draws)
        for year in out:
            for lk in liks:
                if lk.actual.period.year == year:
                    total += lk.log_density(bank)
            if not np.isfinite(total).any():  # the actuals are impossible for every draw
                out[year].append(0.0)
                continue
            w = np.exp(total - total.max())
            out[year].append(float(w.sum() ** 2 / (w @ w)))
    return {year: np.array(v) for year, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20230305)
    parser.add_argument("--truth-seed", type=int, default=20250601)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--truths", type=int, default=50, help="0 skips the ESS quantiles")
    args = parser.parse_args()
    base = status_quo(draws=args.draws, seed=args.seed)
    years = plan_for([base]).years
    truth = simulate_chunk(base, 0, 1, args.truth_seed, years)
    actuals = generated(truth, 0, args.truth_seed)
    scenario = with_actuals(base, actuals)
    print(f"Actuals: MODEL-GENERATED, ILLUSTRATIVE (draw 0 of seed {args.truth_seed}; not "
          "Qidong figures)")  # fmt: skip
    print("| indicator | period | status | value | true simulated value |")
    print("|---|---|---|---:|---:|")
    for a in actuals:
        x = truth[a.indicator][0, years.index(a.period.year)]
        unit = indicators()[a.indicator].unit
        print(f"| {a.indicator} | {a.period} | {a.status} | {a.value:g} {unit} | {x:.4g} |")
    run(status_quo(draws=2000, seed=args.seed))  # warm up imports and caches
    plain = timed(base, args.repeats, args.jobs)
    updated = timed(scenario, args.repeats, args.jobs)
    print(f"\n{args.draws:,} draws, seed {args.seed}, jobs {args.jobs}, median of {args.repeats}:")
    print("| run | wall s | CPU s (this process) | draws/s (wall) |")
    print("|---|---:|---:|---:|")
    for name, (wall, cpu) in (("status quo", plain), ("status quo + actuals", updated)):
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {args.draws / wall:,.0f} |")
    print(f"| ratio | {updated[0] / plain[0]:.2f} | {updated[1] / plain[1]:.2f} | |")
    result = run(scenario, jobs=args.jobs)
    ess = result.effective_draws()
    print(f"\nEffective draws after each year of actuals (warning below {ESS_WARN:,}):")
    print(f"| actuals through | actuals | ESS | share of draws | draws for ESS {ESS_WARN:,} |")
    print("|---|---:|---:|---:|---:|")
    for r in ess.itertuples():
        print(f"| {r.year} | {r.actuals} | {r.ess:,.1f} | {r.ess_share:.2e} | "
              f"{r.draws_needed:,.0f} |")  # fmt: skip
    print("\nEach actual alone (where it falls in the model before the update, and its ESS):")
    print("| indicator | period | prior percentile | ESS alone |")
    print("|---|---|---:|---:|")
    for r in result.actuals().itertuples():
        print(f"| {r.indicator} | {r.period} | {r.prior_percentile:.3f} | {r.ess_alone:,.0f} |")
    if args.truths:
        found = ess_over_truths(base, args.truths, args.truth_seed)
        print(f"\nESS over {args.truths} model draws of seed {args.truth_seed} as truths:")
        print("| actuals through | 10 % | 25 % | median | 75 % | 90 % |")
        print("|---|---:|---:|---:|---:|---:|")
        for year, v in found.items():
            q = np.quantile(v, [0.1, 0.25, 0.5, 0.75, 0.9])
            print(f"| {year} | " + " | ".join(f"{x:,.1f}" for x in q) + " |")


if __name__ == "__main__":
    main()
