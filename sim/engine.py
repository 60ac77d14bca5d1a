"""The Monte Carlo engine: chunks, named streams, worker processes and streaming reduction.

Draws are cut into chunks of :data:`CHUNK` (a constant of the algorithm, not a knob). Each
chunk draws every parameter from its own named stream, steps every component through the
years, evaluates every target and reduces what it found to integer counts (hits, histograms,
co-failures). Integer sums do not depend on the order of addition, so a run gives
bitwise-identical results with any number of worker processes; memory is bounded by the
chunk size, whatever the number of draws.

Several scenarios run together share their chunks: parameter draws and process-noise streams
depend on the seed, the chunk and the name only, never on levers (common random numbers), so
the engine can count, per draw, where two scenarios differ (paired differences).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from sim.models import components
from sim.models.base import Context
from sim.priors import draw_parameters
from sim.reduction import Accumulator, Edges, pilot_edges
from sim.scenario import Scenario
from sim.targets import Target, quantitative_targets

CHUNK = 8192  # draws per chunk; changing it changes every result, so it is not a user knob
SAMPLE = 2000  # whole trajectories kept for plots and notebooks (the first SAMPLE draws)
START_YEAR = 2022
END_YEAR = 2025


@dataclass(frozen=True)
class Plan:
    """What to simulate: scenarios (sharing seed and draws), years, and the targets judged."""

    scenarios: tuple[Scenario, ...]
    draws: int
    seed: int
    start_year: int = START_YEAR
    end_year: int = END_YEAR

    @property
    def years(self) -> tuple[int, ...]:
        """Recorded years: the start year (initial state) and every simulated year."""
        return tuple(range(self.start_year, self.end_year + 1))

    def chunks(self) -> list[tuple[int, int]]:
        """(chunk index, draws in chunk) for every chunk of the run."""
        full, rest = divmod(self.draws, CHUNK)
        sizes = [CHUNK] * full + ([rest] if rest else [])
        return list(enumerate(sizes))

    def targets_of(self, scenario: Scenario) -> dict[str, Target]:
        """The quantitative targets under the scenario's readings, if judged in these years."""
        out = {}
        for tid, t in quantitative_targets().items():
            if tid in scenario.readings:
                t = t.with_reading(scenario.readings[tid])
            if self.start_year < t.years[0] and t.deadline <= self.end_year:
                out[tid] = t
        return out


def simulate_chunk(
    scenario: Scenario, chunk: int, n: int, seed: int, years: tuple[int, ...]
) -> tuple[dict[str, np.ndarray], set[str]]:
    """Simulate ``n`` draws of one chunk: every recorded series as an (n, years) array.

    Also returns the parameter ids the components read (to check none is unused).
    """
    params = draw_parameters(seed, chunk, n, scenario.assumptions)
    ctx = Context(
        n=n, params=params, levers=scenario.levers, seed=seed, chunk=chunk, start_year=years[0]
    )
    comps = components()
    state: dict[str, np.ndarray] = {}
    for comp in comps:
        state.update(comp.init(ctx))
    recorded = [name for comp in comps for name in (*comp.outputs, *comp.diagnostics)]
    series = {name: np.empty((n, len(years))) for name in recorded}
    for name in recorded:
        series[name][:, 0] = state[name]
    for col, year in enumerate(years[1:], start=1):
        for comp in comps:
            state.update(comp.step(state, ctx, year))
        for name in recorded:
            series[name][:, col] = state[name]
    return series, params.used


@dataclass(frozen=True)
class _Block:
    plan: Plan
    chunks: tuple[tuple[int, int], ...]
    edges: tuple[Edges, ...]


def _run_block(block: _Block) -> list[Accumulator]:
    """Simulate and reduce a block of chunks (runs in a worker process)."""
    plan = block.plan
    accs = [
        Accumulator.empty(plan, sc, e) for sc, e in zip(plan.scenarios, block.edges, strict=True)
    ]
    for chunk, n in block.chunks:
        _reduce_chunk(plan, chunk, n, accs)
    return accs


def _reduce_chunk(plan: Plan, chunk: int, n: int, accs: list[Accumulator]) -> None:
    series = [simulate_chunk(sc, chunk, n, plan.seed, plan.years)[0] for sc in plan.scenarios]
    _accumulate(accs, series, first_draw=chunk * CHUNK)


def _accumulate(accs: list[Accumulator], series: list[dict], first_draw: int) -> None:
    """Add one chunk per scenario; scenarios after the first also count paired differences."""
    reference_met = accs[0].add(series[0], first_draw)
    for acc, values in zip(accs[1:], series[1:], strict=True):
        acc.add_pairs(reference_met, acc.add(values, first_draw))


def _blocks(chunks: list[tuple[int, int]], jobs: int) -> list[list[tuple[int, int]]]:
    """Contiguous blocks of chunks, a few per worker so progress can be reported."""
    if not chunks:
        return []
    count = min(len(chunks), max(1, jobs) * 4)
    return [list(b) for b in np.array_split(np.array(chunks, dtype=np.int64), count) if len(b)]


def run_plan(
    plan: Plan,
    jobs: int = 1,
    executor: Executor | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[Accumulator]:
    """Run every chunk of the plan and return one reduced :class:`Accumulator` per scenario.

    ``jobs`` > 1 starts a process pool; pass any ``concurrent.futures.Executor`` (e.g. a Dask
    client's ``get_executor()``) to run elsewhere. ``on_progress(done, total)`` is called as
    draws finish. The result is the same, bit for bit, for any ``jobs`` or executor.
    """
    t0 = time.perf_counter()
    chunks = plan.chunks()
    # The first chunk runs here: its values fix the histogram edges of every quantity, so the
    # edges depend on the seed only, never on the number of workers.
    first, rest = chunks[0], chunks[1:]
    pilot = [
        simulate_chunk(sc, first[0], first[1], plan.seed, plan.years)[0] for sc in plan.scenarios
    ]
    edges = tuple(
        pilot_edges(plan, sc, series) for sc, series in zip(plan.scenarios, pilot, strict=True)
    )
    accs = [Accumulator.empty(plan, sc, e) for sc, e in zip(plan.scenarios, edges, strict=True)]
    _accumulate(accs, pilot, first_draw=0)
    done = first[1]
    if on_progress:
        on_progress(done, plan.draws)
    blocks = [_Block(plan, tuple(map(tuple, b)), edges) for b in _blocks(rest, jobs)]
    own_pool = None
    if executor is None and jobs > 1 and blocks:
        own_pool = executor = ProcessPoolExecutor(max_workers=jobs)
    try:
        results = executor.map(_run_block, blocks) if executor else map(_run_block, blocks)
        for block, block_accs in zip(blocks, results, strict=True):
            for acc, other in zip(accs, block_accs, strict=True):
                acc.merge(other)
            done += sum(n for _, n in block.chunks)
            if on_progress:
                on_progress(done, plan.draws)
    finally:
        if own_pool is not None:
            own_pool.shutdown()
    for acc in accs:
        acc.seconds = time.perf_counter() - t0
    return accs


def plan_for(scenarios: Sequence[Scenario], draws: int | None = None, seed: int | None = None):
    """A :class:`Plan` for scenarios run together (the first scenario's draws and seed)."""
    if not scenarios:
        raise ValueError("no scenario to run")
    first = scenarios[0]
    return Plan(
        scenarios=tuple(scenarios),
        draws=draws or first.draws,
        seed=first.seed if seed is None else seed,
    )
