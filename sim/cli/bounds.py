"""Bounds of the run options shared by the commands: draws, jobs and seed, with their reasons.

The limits themselves live with the scenario file (:mod:`sim.scenario`), so that a file and the
command line accept the same values and a saved result can always be reopened.
"""

from __future__ import annotations

import os
from pathlib import Path

from sim.errors import SimError
from sim.scenario import MAX_DRAWS, MIN_DRAWS, SEED_LIMIT, WARN_DRAWS, Scenario, load_scenario

# Draws a second of one worker: `sim run scenarios/baseline.toml --draws 200000 -q --no-charts`
# gave 29,000 on the 2-core development machine; rounded down, the basis of the time estimate
# printed before a long run (a slower machine takes longer, and the line says what it assumes).
DRAWS_PER_SECOND = 25_000
ANNOUNCE_SECONDS = 30  # runs expected to take longer get an estimate before they start
SEED_MAX = SEED_LIMIT - 1  # the largest seed of the option, the file and saved results


def check_draws(draws: int, force: bool, where: str) -> list[str]:
    """Refuse draws outside [MIN_DRAWS, MAX_DRAWS] (below only with --force); the warnings."""
    if draws > MAX_DRAWS:
        raise SimError(
            f"{where}: {draws:,} draws is more than the maximum {MAX_DRAWS:,} (10^8 draws take "
            "hours and give P(met) to ±0.00005); expected at most that"
        )
    if draws < MIN_DRAWS and not force:
        raise SimError(
            f"{where}: {draws:,} draws is below the minimum {MIN_DRAWS} (P(met) from so few "
            "draws is noise); expected at least that, or --force to run anyway"
        )
    if draws < WARN_DRAWS:
        se = 0.5 / draws**0.5
        return [
            f"{draws:,} draws: P(met) is imprecise (standard error up to ±{se:.3f}); use at "
            f"least {WARN_DRAWS:,} for numbers to report"
        ]
    return []


def cap_jobs(jobs: int) -> tuple[int, list[str]]:
    """At most one worker per core: more only share the cores and cost memory."""
    cores = os.cpu_count() or 1
    if jobs <= cores:
        return jobs, []
    return cores, [f"--jobs {jobs} is more than the {cores} cores of this machine; using {cores}"]


def time_estimate(draws: int, scenarios: int, jobs: int) -> str | None:
    """A line announcing a run expected to take more than :data:`ANNOUNCE_SECONDS`, else None."""
    seconds = draws * scenarios / (DRAWS_PER_SECOND * max(1, jobs))
    if seconds <= ANNOUNCE_SECONDS:
        return None
    when = f"{seconds / 60:,.0f} minutes" if seconds >= 90 else f"{seconds:,.0f} s"
    return (
        f"{draws:,} draws × {scenarios} scenario(s) with {jobs} job(s): ≈ {when} (at "
        f"~{DRAWS_PER_SECOND:,} draws/s per job, as measured on a 2-core machine)"
    )


def load_runnable(path: Path) -> Scenario:
    """A scenario file validated and probed: what `sim validate` accepts, `sim run` can run."""
    from sim.checks.probe import check_computable

    scenario = load_scenario(path)
    check_computable(scenario)
    return scenario
