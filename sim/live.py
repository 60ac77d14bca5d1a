"""Runs for a live page, latency first: every chunk simulated at once, reduced here, and
paired against a stored reference whose own work is looked up instead of computed again.

:func:`sim.engine.run_plan` is built for throughput: it simulates the first chunk in this
process (its values fix the histogram grids), and only then lets the workers simulate *and*
reduce the rest. A user waiting for a page pays for that serial first chunk: at 20,000 draws it
is 40 % of the wall time on two cores. :func:`run_plan_live` hands every chunk to the workers at
once; they return the recorded series the reduction reads (a few MB a chunk when the plan keeps
only some series), and this process fixes the grids on chunk 0 and reduces the chunks in order.
The grids are the same (chunk 0's values), every count is an integer, so the accumulators are
the same, bit for bit, as :func:`~sim.engine.run_plan` gives (tested).

``reference`` pairs the plan's scenario with a run made earlier on the same draws and seed (its
:attr:`LiveRun.met`, the targets met by every draw): the paired gains and losses are counted as
:func:`~sim.engine.run_plan` counts them for a second scenario beside the first. Each chunk is
simulated beside the reference's scenario, whose work in that chunk each worker keeps after the
first time (a :class:`~sim.chunk.Trace`): a package then costs only what its levers change —
4–34 % of a whole simulation for one lever of the baseline — and the start is never simulated
again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial

import numpy as np

from sim.chunk import Series, Trace, simulate_chunks
from sim.engine import (
    accumulate,
    check_components,
    conditioning_of,
    empty_accumulators,
    mapped,
    recorded_for,
)
from sim.models import components
from sim.plan import Plan, plan_for
from sim.reduction import Accumulator, Shared, pilot_edges
from sim.scenario import Scenario

# Traces of a reference's chunks kept per process: the live page's start has 3 chunks at 20,000
# draws, and a trace of 8,192 draws holds about 58 MB (parameters 13, init 5, yearly updates 13,
# stream logs 27), so a worker keeps at most ~350 MB: two starts' worth.
TRACES_KEPT = 6
_TRACES: OrderedDict[tuple, Trace] = OrderedDict()


@dataclass(frozen=True)
class LiveRun:
    """A plan's accumulators and, per chunk and scenario, the (draws, targets) flags of the
    targets met (what a later run pairs against)."""

    plan: Plan
    accs: list[Accumulator]
    met: list[list[np.ndarray]]  # [chunk][scenario] -> (draws in chunk, modelled targets)

    def reference(self, scenario: int = 0) -> Reference:
        """Scenario ``scenario`` of this run as the reference of later runs."""
        acc = self.accs[scenario]
        return Reference(
            self.plan.scenarios[scenario], self.plan.seed, self.plan.draws, acc.modelled,
            tuple(m[scenario] for m in self.met),
        )  # fmt: skip


@dataclass(frozen=True)
class Reference:
    """The targets each draw of a run met, chunk by chunk, with the run's scenario, seed and
    draws."""

    scenario: Scenario
    seed: int
    draws: int
    modelled: tuple[str, ...]
    met: tuple[np.ndarray, ...]

    def check(self, plan: Plan, acc: Accumulator) -> None:
        """Refuse to pair a run on other draws or other targets."""
        if (plan.seed, plan.draws) != (self.seed, self.draws):
            raise ValueError(
                f"the reference ran {self.draws} draws with seed {self.seed}, this plan "
                f"{plan.draws} with seed {plan.seed}: pairs need the same draws"
            )
        if acc.modelled != self.modelled:
            raise ValueError("the reference judged other targets: pairs need the same ones")


def _simulate(plan: Plan, beside: Scenario | None, chunk_n: tuple[int, int]) -> list[Series]:
    """One chunk's recorded series (``chunk_n``: the chunk and its draws), every scenario (runs
    in a worker process).

    ``beside``: simulate the plan's scenarios beside this one, whose work in the chunk is kept
    in this process (a :class:`~sim.chunk.Trace`) and looked up by later calls: what the
    plan's scenarios share with it is not computed again."""
    chunk, n = chunk_n
    if beside is None:
        return simulate_chunks(plan.scenarios, chunk, n, plan.seed, plan.years,
                               keep=recorded_for(plan))  # fmt: skip
    comps = components()
    key = Trace.key_of(beside, plan.seed, chunk, n, plan.years, comps)
    trace = _TRACES.pop(key, None) or Trace(key)
    series = simulate_chunks([beside, *plan.scenarios], chunk, n, plan.seed, plan.years, comps,
                             keep=recorded_for(plan), trace=trace)  # fmt: skip
    _TRACES[key] = trace  # kept whole or not at all (a failed call filled it only partly)
    while len(_TRACES) > TRACES_KEPT:
        _TRACES.popitem(last=False)
    return series[1:]


def run_plan_live(
    plan: Plan,
    executor: Executor | None = None,
    reference: Reference | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> LiveRun:
    """Run every chunk of ``plan`` at once on ``executor`` (here, one after the other, without
    one) and reduce them here; the same counts as :func:`sim.engine.run_plan`.

    ``reference``: pair the plan's one scenario with it (the plan must have one scenario).
    ``on_progress(done, total)`` is called after each chunk; an exception it raises (a newer
    request came in) cancels the chunks not started and propagates.
    """
    if reference is not None and len(plan.scenarios) != 1:
        raise ValueError("a run paired with a reference has one scenario")
    check_components(plan.start_year, plan.end_year)
    chunks = plan.chunks()
    beside = reference.scenario if reference is not None else None
    accs: list[Accumulator] = []
    met: list[list[np.ndarray]] = []
    with mapped(partial(_simulate, plan, beside), chunks, executor=executor) as results:
        for k, ((chunk, _), series) in enumerate(zip(chunks, results, strict=True)):
            if not accs:  # chunk 0: its values fix the grids, as in run_plan
                memo = Shared()
                edges = [pilot_edges(plan, sc, s, memo)
                         for sc, s in zip(plan.scenarios, series, strict=True)]  # fmt: skip
                conditions = conditioning_of(plan, series)
                accs = empty_accumulators(plan, edges, conditions)
            met.append(accumulate(accs, series, chunk * plan.chunk_size, conditions))
            if reference is not None:
                if k == 0:
                    reference.check(plan, accs[0])
                accs[0].add_pairs(reference.met[k], met[-1][0])
            if on_progress:
                on_progress(sum(c[1] for c in chunks[: k + 1]), plan.draws)
    return LiveRun(plan, accs, met)


def fill_traces(scenario: Scenario) -> None:
    """Keep the traces of every chunk of ``scenario`` in this process (a worker of the live
    page, as it starts), so that its first packages are as quick as the later ones."""
    plan = plan_for([scenario], series=False)
    for chunk, n in plan.chunks():
        _simulate(plan, scenario, (chunk, n))
