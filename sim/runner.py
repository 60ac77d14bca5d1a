"""Running scenarios: the entry point shared by the CLI, the Python API and the notebooks."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from pathlib import Path

from sim.engine import recorded_for, run_plan
from sim.errors import SimError
from sim.executors import executor_from_options
from sim.live import Reference, run_plan_live
from sim.plan import plan_for
from sim.results import Result
from sim.results.build import add_comparison, build_result
from sim.scenario import Scenario, load_scenario


def _as_scenario(s: Scenario | str | Path) -> Scenario:
    return s if isinstance(s, Scenario) else load_scenario(s)


def run_many(
    scenarios: Sequence[Scenario | str | Path],
    draws: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    executor: Executor | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    series: bool = True,
    scheduler: str | None = None,
    full_update: bool = False,
) -> list[Result]:
    """Run scenarios together on shared draws; later results carry paired differences.

    A scenario with ``[[actuals]]`` is conditioned on them (:mod:`sim.update`); its result's
    :meth:`~sim.results.Result.changes` compares it with the same draws before the update.
    When the draws are too few for the actuals, their likelihood is tempered (a partial update,
    reported); ``full_update=True`` applies it in full whatever the effective draws left.

    All scenarios use the first one's draws and seed unless ``draws``/``seed`` are given,
    so they share every parameter draw and noise stream (common random numbers); each
    result after the first has a ``comparison`` table against the first. What does not depend
    on a scenario's levers is simulated once for all of them (:mod:`sim.chunk`), so a sweep of
    many settings costs much less than as many runs.

    ``series=False`` is the lighter reduction of a sweep: targets met, joint and paired counts
    and judged-value histograms only — no trajectories and no sample, and such a result cannot
    be saved. Every number it has is the same, bit for bit, as with the series.

    Where the chunks run does not change a bit: this process (``jobs=1``), ``jobs`` local
    processes, any ``concurrent.futures.Executor`` (``executor=client.get_executor()`` of a
    Dask client), or the Dask cluster whose scheduler is at ``scheduler`` ("tcp://host:8786",
    connected to for this run; its workers need this sim installed: :mod:`sim.executors`).
    """
    loaded = [_as_scenario(s) for s in scenarios]
    with_actuals = [sc.name for sc in loaded if sc.actuals]
    if with_actuals and len(loaded) > 1:
        raise SimError(
            f"{', '.join(with_actuals)}: a scenario with actuals runs on its own (its result "
            "already compares it with the same run before the actuals); comparing packages "
            "under actuals is not available yet"
        )
    plan = replace(plan_for(loaded, draws, seed, series), temper=not full_update)
    if executor is not None and scheduler is not None:
        raise ValueError("give an executor or a scheduler, not both")
    t0 = time.perf_counter()
    with executor_from_options("local" if scheduler is None else "dask", scheduler, jobs) as w:
        accs = run_plan(plan, jobs=w.jobs, executor=executor or w.executor,
                        on_progress=on_progress)  # fmt: skip
    elapsed = time.perf_counter() - t0
    timings = {"simulate_and_reduce": elapsed, "draws_per_second": plan.draws / elapsed}
    results = [
        build_result(sc.with_run_settings(plan.draws, plan.seed), acc, plan, timings)
        for sc, acc in zip(loaded, accs, strict=True)
    ]
    add_comparison(results[0], results[1:], accs[1:])
    return results


def run(
    scenario: Scenario | str | Path,
    draws: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    executor: Executor | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    series: bool = True,
    scheduler: str | None = None,
    full_update: bool = False,
) -> Result:
    """Run one scenario (a :class:`Scenario` or a path to a scenario file); ``series``,
    ``scheduler`` and ``full_update``: see :func:`run_many`."""
    return run_many(
        [scenario], draws, seed, jobs, executor, on_progress, series, scheduler, full_update
    )[0]


@dataclass(frozen=True)
class LiveResult:
    """A result of :func:`run_live` and its draws' targets met, to pair later runs with."""

    result: Result
    reference: Reference


def run_live(
    scenario: Scenario,
    against: LiveResult | None = None,
    executor: Executor | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> LiveResult:
    """Run one scenario for a live page, latency first (:mod:`sim.live`).

    Every number is the one :func:`run` gives, bit for bit, but only the series the targets
    and actuals read keep their yearly quantiles and sample (enough for every fan chart; the
    result cannot be saved as a folder). ``against``: an earlier live run on the same draws and
    seed; the result's ``comparison`` then holds the paired differences :func:`run_many` gives
    for this scenario beside that one, without simulating it again. A scenario with actuals
    is weighted, which the stored flags are not: it is compared as independent samples.
    """
    light = plan_for([scenario], series=False)
    plan = replace(light, series=tuple(sorted(recorded_for(light) or ())))
    reference = None
    if against is not None and not scenario.actuals and not against.result.has_actuals:
        reference = against.reference
    t0 = time.perf_counter()
    live = run_plan_live(plan, executor, reference, on_progress)
    elapsed = time.perf_counter() - t0
    timings = {"simulate_and_reduce": elapsed, "draws_per_second": plan.draws / elapsed}
    acc = live.accs[0]
    result = build_result(scenario.with_run_settings(plan.draws, plan.seed), acc, plan, timings)
    if against is not None and reference is not None:
        add_comparison(against.result, [result], [acc])
    return LiveResult(result, live.reference())
