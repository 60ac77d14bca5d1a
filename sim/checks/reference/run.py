"""Running the reference model for a scenario: one replication per parameter draw."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from sim.checks.reference.inputs import Inputs, replication_inputs
from sim.checks.reference.pipeline import simulate_replication
from sim.checks.reference.rules import SERIES
from sim.engine import stop_pool, worker_pool
from sim.rng import stable_hash
from sim.scenario import Scenario

YEARS = (2022, 2023, 2024, 2025)
# Spawn-key tag of the reference's generators: disjoint from the engine's (chunk, name) keys.
_REFERENCE_KEY = stable_hash("reference:firms")


def replication_rng(seed: int, replication: int) -> np.random.Generator:
    """The generator of replication ``replication``: its own ``SeedSequence`` child, so a
    replication's numbers do not depend on how many replications run or on which worker."""
    seq = np.random.SeedSequence(seed, spawn_key=(_REFERENCE_KEY, replication))
    return np.random.Generator(np.random.PCG64(seq))


@dataclass(frozen=True)
class ReferenceRun:
    """Reference results: every series of :data:`SERIES` as a (draws, years) array."""

    scenario: str
    scenario_hash: str
    draws: int
    seed: int
    years: tuple[int, ...]
    series: dict[str, np.ndarray]
    seconds: float
    jobs: int

    @property
    def replications_per_second(self) -> float:
        """Wall-clock throughput (with ``jobs`` worker processes)."""
        return self.draws / self.seconds if self.seconds > 0 else float("inf")


def _run_block(
    block: list[tuple[int, Inputs]], seed: int, years: tuple[int, ...]
) -> list[dict[str, np.ndarray]]:
    return [simulate_replication(inp, replication_rng(seed, i), years) for i, inp in block]


def run_reference(
    scenario: Scenario,
    draws: int,
    seed: int,
    years: tuple[int, ...] = YEARS,
    jobs: int = 1,
) -> ReferenceRun:
    """Run ``draws`` replications of the reference model for ``scenario``.

    Replication ``i`` uses the ``i``-th draw of every parameter of chunk 0 for ``seed`` (so
    ``draws`` ≤ 8192, one chunk), the scenario's lever settings and fixed assumptions, and
    its own generator (:func:`replication_rng`). ``jobs`` > 1 spreads the replications over
    worker processes; the results do not depend on ``jobs``.
    """
    from sim.plan import CHUNK

    if not 1 <= draws <= CHUNK:
        raise ValueError(f"the reference runs 1 to {CHUNK} draws (one chunk), got {draws}")
    t0 = time.perf_counter()
    inputs = replication_inputs(scenario.levers, draws, seed, scenario.assumptions)
    indexed = list(enumerate(inputs))
    if jobs > 1:
        blocks = [list(b) for b in np.array_split(np.arange(draws), jobs * 4) if len(b)]
        pool = worker_pool(jobs)  # workers die with this process; Ctrl-C stops them at once
        try:
            futures = [
                pool.submit(_run_block, [indexed[i] for i in b], seed, years) for b in blocks
            ]
            rows = [row for f in futures for row in f.result()]
        except BaseException:
            stop_pool(pool)
            raise
        pool.shutdown()
    else:
        rows = _run_block(indexed, seed, years)
    series = {name: np.stack([row[name] for row in rows]) for name in SERIES}
    return ReferenceRun(
        scenario=scenario.name,
        scenario_hash=scenario.hash(),
        draws=draws,
        seed=seed,
        years=tuple(years),
        series=series,
        seconds=time.perf_counter() - t0,
        jobs=jobs,
    )
