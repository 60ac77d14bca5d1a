"""The Monte Carlo engine: components stepped over chunks, worker processes, streaming reduction.

Draws are cut into chunks (:data:`sim.plan.CHUNK`, a constant of the algorithm). Each chunk
draws every parameter from its own named stream, runs every component's ``init`` and then
its ``step`` for each year (in the order their ``reads`` require), evaluates every target and
reduces what it found to integer counts (hits, histograms, co-failures). Integer sums do not
depend on the order of addition, so a run gives bitwise-identical results with any number of
worker processes; memory is bounded by the chunk size, whatever the number of draws.

Before the first chunk, :func:`check_components` probes the components on a few draws, so a
broken contract (an undeclared read, a parameter nobody reads) stops the run before it starts.

Several scenarios run together share their chunks: parameter draws and process-noise streams
depend on the seed, the chunk and the name only, never on levers (common random numbers), so
the engine can count, per draw, where two scenarios differ (paired differences). The scenarios
of a chunk are simulated together (:mod:`sim.chunk`), computing once what their levers do not
change, and counted together (:class:`sim.reduction.Shared`), counting a shared series once.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from sim.catalogue import on_reset
from sim.chunk import simulate_chunks
from sim.levers import levers
from sim.models import components
from sim.models.contract import (
    Component,
    Context,
    ContractError,
    RunContext,
    StateView,
    checked_updates,
)
from sim.models.start import Start
from sim.plan import Plan
from sim.priors import Params, draw_parameters, parameters
from sim.reduction import Accumulator, Edges, Shared, pilot_edges
from sim.scenario import Scenario, status_quo

if TYPE_CHECKING:
    from sim.update import Conditioning

B = TypeVar("B")  # an item handed to a worker (a block of chunks)
R = TypeVar("R")  # what the worker gives back

PROBE_DRAWS = 3  # draws of the start-up probe: enough to exercise every branch of the code


def run_years(
    comps: Sequence[Component],
    run: RunContext,
    years: Sequence[int],
    used: Mapping[str, set[str]] | None = None,
) -> Iterator[dict[str, np.ndarray]]:
    """Yield the state after every component's ``init``, then after each year of ``years[1:]``.

    ``comps`` must be in step order (:func:`sim.models.components` is). ``used`` collects,
    per component name, the parameter ids it read. The yielded dict is the live state:
    copy it to keep it.
    """
    used = used if used is not None else {c.name: set() for c in comps}
    state: dict[str, np.ndarray] = {}
    for comp in comps:
        ctx = Context(run, comp, used[comp.name], at_start=True)
        state.update(checked_updates(comp, comp.init(StateView(state, comp), ctx)))
    yield state
    contexts = [(c, Context(run, c, used[c.name])) for c in comps]
    for year in years[1:]:
        for comp, ctx in contexts:
            state.update(checked_updates(comp, comp.step(StateView(state, comp), ctx, year)))
        yield state


def run_context(scenario: Scenario, chunk: int, n: int, seed: int, start_year: int) -> RunContext:
    """The shared context of one chunk of one scenario: parameter draws, levers, start."""
    return RunContext(
        n=n,
        params=draw_parameters(seed, chunk, n, scenario.assumptions),
        levers=scenario.levers,
        seed=seed,
        chunk=chunk,
        start=Start(start_year, n),
    )


def simulate_chunk(
    scenario: Scenario,
    chunk: int,
    n: int,
    seed: int,
    years: tuple[int, ...],
    comps: Sequence[Component] | None = None,
) -> dict[str, np.ndarray]:
    """Simulate ``n`` draws of one chunk: every recorded series as an (n, years) array
    (read-only). Several scenarios of one chunk: :func:`sim.chunk.simulate_chunks`."""
    return simulate_chunks([scenario], chunk, n, seed, years, comps)[0]


def check_components(start_year: int, end_year: int) -> None:
    """Probe the registered components on a few draws; raise :class:`ContractError` if any
    breaks the contract (see :mod:`sim.models.contract`). Cached per pair of years."""
    _probe(components(), start_year, end_year)


_probed: set[tuple[tuple[Component, ...], int, int]] = set()
on_reset(_probed.clear)


def _probe(comps: tuple[Component, ...], start_year: int, end_year: int) -> None:
    key = (comps, start_year, end_year)
    if key in _probed:
        return
    years = tuple(range(start_year, end_year + 1))
    run = run_context(status_quo(), 0, PROBE_DRAWS, 0, start_year)
    used: dict[str, set[str]] = {c.name: set() for c in comps}
    for state in run_years(comps, run, years, used):
        missing = [(c.name, k) for c in comps for k in c.recorded if k not in state]
        if missing:
            raise ContractError(f"recorded keys not written (component, key): {missing}")
    _check_parameters(comps, used, run.params)
    _probed.add(key)


def _check_parameters(
    comps: Sequence[Component], used: Mapping[str, set[str]], params: Params
) -> None:
    """Every parameter is read, and only by the component it belongs to."""
    own_links = {
        c.name: {lv.elasticity_parameter(i) for lv in levers().values() for i in lv.acts_on
                 if i in c.outputs}
        for c in comps
    }  # fmt: skip
    problems = []
    for comp in comps:
        foreign = sorted(
            p for p in used[comp.name]
            if not p.startswith(f"{comp.name}.") and p not in own_links[comp.name]
        )  # fmt: skip
        if foreign:
            problems.append(f"{comp.name!r} reads parameters of other components: {foreign}")
    read = set().union(*used.values()) if used else set()
    unread = sorted(set(parameters()) - read)
    if unread:
        problems.append(f"parameters declared in the catalogue but read by no component: {unread}")
    if problems:
        raise ContractError("; ".join(problems))


# ---------------------------------------------------------------------- running a plan


@dataclass(frozen=True)
class _Block:
    plan: Plan
    chunks: tuple[tuple[int, int], ...]
    edges: tuple[Edges, ...]
    conditions: tuple[Conditioning | None, ...]


def empty_accumulators(
    plan: Plan, edges: Sequence[Edges], conditions: Sequence[Conditioning | None]
) -> list[Accumulator]:
    """Zero accumulators, one per scenario; a scenario with actuals also counts its prior and
    the update's sums."""
    accs = []
    for sc, e, cond in zip(plan.scenarios, edges, conditions, strict=True):
        acc = Accumulator.empty(plan, sc, e)
        if cond is not None:
            from sim.update import CAP_BITS, UpdateCounts  # with actuals only: see _conditions

            acc.unit = cond.sets[0].unit
            acc.unit_sq = acc.unit >> CAP_BITS
            acc.prior = Accumulator.empty(plan, sc, e)
            acc.update = UpdateCounts.empty(cond, len(acc.modelled))
        accs.append(acc)
    return accs


def _run_block(block: _Block) -> list[Accumulator]:
    """Simulate and reduce a block of chunks (runs in a worker process)."""
    plan = block.plan
    accs = empty_accumulators(plan, block.edges, block.conditions)
    for chunk, n in block.chunks:
        series = simulate_chunks(plan.scenarios, chunk, n, plan.seed, plan.years,
                                 keep=recorded_for(plan))  # fmt: skip
        accumulate(accs, series, chunk * plan.chunk_size, block.conditions)
    return accs


def accumulate(
    accs: list[Accumulator],
    series: list[dict],
    first_draw: int,
    conditions: Sequence[Conditioning | None],
) -> list[np.ndarray]:
    """Add one chunk per scenario; scenarios after the first also count paired differences.
    Returns each scenario's (draws, targets) matrix of targets met in the chunk.

    A scenario with actuals counts the chunk twice: unweighted into its prior, and with each
    draw's likelihood weight (:mod:`sim.update`) into the posterior.
    """
    mets = []
    memo = Shared()
    for acc, values, cond in zip(accs, series, conditions, strict=True):
        if cond is None or acc.prior is None or acc.update is None:
            mets.append(acc.add(values, first_draw, memo=memo))
            continue
        prior_met = acc.prior.add(values, first_draw, memo=memo)
        weights = acc.update.add(cond, cond.log_densities(values), prior_met)
        mets.append(acc.add(values, first_draw, weights, memo))
    for acc, met in zip(accs[1:], mets[1:], strict=True):
        acc.add_pairs(mets[0], met)
    return mets


def recorded_for(plan: Plan) -> set[str] | None:
    """The series a plan's reduction reads: all (None), or without the series (a sweep) those
    its targets are judged on and its actuals observe, and any series it keeps by name."""
    if plan.series is True:
        return None
    keys = {t.indicator for sc in plan.scenarios for t in plan.targets_of(sc).values()}
    keys |= {a.indicator for sc in plan.scenarios for a in sc.actuals}
    keys |= set(plan.series or ())
    return {k for k in keys if k is not None}


def conditioning_of(plan: Plan, pilot: list[dict]) -> tuple[Conditioning | None, ...]:
    """Each scenario's conditioning on its actuals (None without). :mod:`sim.update` is
    imported only for a run with actuals: it needs scipy.stats, a second of start-up."""
    if not any(sc.actuals for sc in plan.scenarios):
        return (None,) * len(plan.scenarios)
    from sim.update import prepare

    return tuple(prepare(sc.actuals, plan.years, series, plan.draws, plan.temper)
                 if sc.actuals else None
                 for sc, series in zip(plan.scenarios, pilot, strict=True))  # fmt: skip


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
    check_components(plan.start_year, plan.end_year)
    chunks = plan.chunks()
    # The first chunk runs here: its values fix the histogram edges of every quantity, so the
    # edges depend on the seed only, never on the number of workers.
    first, rest = chunks[0], chunks[1:]
    pilot = simulate_chunks(plan.scenarios, first[0], first[1], plan.seed, plan.years,
                            keep=recorded_for(plan))  # fmt: skip
    memo = Shared()
    edges = tuple(pilot_edges(plan, sc, series, memo)
                  for sc, series in zip(plan.scenarios, pilot, strict=True))  # fmt: skip
    conditions = conditioning_of(plan, pilot)
    accs = empty_accumulators(plan, edges, conditions)
    accumulate(accs, pilot, 0, conditions)
    done = first[1]
    if on_progress:
        on_progress(done, plan.draws)
    blocks = [_Block(plan, tuple((int(c), int(n)) for c, n in b), edges, conditions)
              for b in _blocks(rest, jobs)]  # fmt: skip
    with mapped(_run_block, blocks, jobs, executor) as results:
        for block, block_accs in zip(blocks, results, strict=True):  # merged in block order
            for acc, other in zip(accs, block_accs, strict=True):
                acc.merge(other)
            done += sum(n for _, n in block.chunks)
            if on_progress:
                on_progress(done, plan.draws)
    for acc in accs:
        acc.seconds = time.perf_counter() - t0
    return accs


@contextmanager
def mapped(
    fn: Callable[[B], R], items: Sequence[B], jobs: int = 1, executor: Executor | None = None
) -> Iterator[Iterator[R]]:
    """``fn`` of every item, in order: on ``executor``, on a pool of ``jobs`` worker processes
    started for the block (``jobs`` > 1), or here, one by one as they are read.

    Whatever stops the block early — Ctrl-C, a failed item, a caller that no longer wants the
    answer — cancels the items not started (any executor) and stops a pool started here at
    once rather than waiting for its workers."""
    own_pool = None
    if executor is None and jobs > 1 and items:
        own_pool = executor = worker_pool(jobs)
    results: Iterator[R] = iter(())
    try:
        results = executor.map(fn, items) if executor else map(fn, items)
        yield results
    except BaseException:
        getattr(results, "close", lambda: None)()  # an executor's map: cancels what is pending
        if own_pool is not None:
            stop_pool(own_pool)
            own_pool = None
        raise
    finally:
        if own_pool is not None:
            own_pool.shutdown()


# ---------------------------------------------------------------------- worker processes

PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h): the signal a process gets when its parent dies
# How often a worker's watchdog checks that its parent is alive: the longest an orphan lives
# where prctl is missing, short enough that none outlives a killed run noticeably.
WATCHDOG_SECONDS = 0.5


def worker_pool(jobs: int, warm: Callable[[], object] | None = None) -> ProcessPoolExecutor:
    """A process pool whose workers die with this process (SIGKILL included) and leave Ctrl-C
    to it. ``warm``: called in each worker when it starts, before it takes any task (a picklable
    callable: the live page fills its start's traces, :func:`sim.live.fill_traces`).

    The workers start here, in the calling thread: Linux delivers the parent-death signal when
    the *thread* that forked a worker ends, so a pool whose first task came from a short-lived
    thread (a web server's warm-up) would lose its workers with that thread."""
    pool = ProcessPoolExecutor(
        max_workers=jobs, initializer=_worker_init, initargs=(os.getpid(), warm)
    )
    pool.submit(os.getpid)  # forks every worker now (the fork start method starts them all)
    return pool


def _worker_init(parent: int, warm: Callable[[], object] | None = None) -> None:
    """In each worker: ignore Ctrl-C (the parent stops the pool), die with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
    threading.Thread(target=_watchdog, args=(parent,), name="sim-watchdog", daemon=True).start()
    if warm is not None:
        warm()


def _die_with_parent() -> bool:
    """Ask Linux to SIGKILL this process when its parent exits; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watchdog(parent: int) -> None:
    """Exit when the parent is gone (an orphan is re-parented, so its parent pid changes)."""
    while os.getppid() == parent:
        time.sleep(WATCHDOG_SECONDS)
    os._exit(1)


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool at once: cancel what has not started, terminate the running workers."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        proc.terminate()
    for proc in processes:
        proc.join(timeout=1)
