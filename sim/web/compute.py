"""Evaluating a package for the page: common random numbers, a cache, and stale requests
cancelled.

Every package runs on the starting scenario's draws and seed, latency first
(:func:`sim.runner.run_live`), and is paired draw by draw with the starting scenario's run,
made once and kept: the change of each P(met) is a paired difference with its standard error,
a difference of policy, not of noise, exactly as :func:`sim.run_many` would give it. The
package's numbers are those ``sim run`` gives for the saved scenario alone.

Requests carry the id of the browser tab that sent them. A newer request of the same tab
supersedes an older one: the older run stops when its next chunk is reduced (at most one
chunk's simulation later, about 0.1 s beside the kept start) with :class:`Superseded`, and its
chunks not started are cancelled. Tabs never share state except the starting run and the cache
of finished packages, whose values depend on the settings alone.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial

import pandas as pd

from sim.analysis import differences, rows_in_policy_order
from sim.analysis.requirements import Requirements, requirements
from sim.engine import stop_pool, worker_pool
from sim.live import fill_traces
from sim.results import Result
from sim.runner import LiveResult, run, run_live
from sim.scenario import Scenario
from sim.web.state import Package, package_of, scenario_of

CACHE_SIZE = 32  # finished packages kept (a Result with its 2,000-draw sample is a few MB)
MAX_TABS = 1_000  # tabs remembered; the oldest is forgotten (its next request starts afresh)
PACKAGE_NAME = "whatif"  # the package's scenario name in its result
REQUIRED_P = 0.8  # "what would it take": settings for P(met) 0.5 and 0.8, as `sim requirements`


class Superseded(Exception):
    """A newer request of the same tab came in: this one's answer would be thrown away."""


@dataclass(frozen=True)
class Evaluation:
    """A package and the starting scenario on the same draws, with their differences."""

    package: Package
    start: Result
    result: Result
    differences: pd.DataFrame  # target_id, p_reference, p_scenario, difference(_se), paired
    seconds: float
    rows: tuple[dict, ...] = ()  # modelled attainment rows of the package, in policy order
    start_rows: tuple[dict, ...] = ()  # and of the start (computed once, drawn many times)

    @classmethod
    def of(cls, package: Package, start: Result, result: Result, seconds: float) -> Evaluation:
        """An evaluation with its differences and rows in policy order."""
        return cls(
            package,
            start,
            result,
            _differences(start, result),
            seconds,
            tuple(rows_in_policy_order(result, modelled_only=True)),
            tuple(rows_in_policy_order(start, modelled_only=True)),
        )


class Evaluator:
    """Runs packages for the page; thread-safe, one instance per server."""

    def __init__(self, start: Scenario, jobs: int = 1, cache_size: int = CACHE_SIZE) -> None:
        self.start = start
        self.start_package = package_of(start)
        self.jobs = jobs
        # Each worker keeps the start's work in every chunk from the moment it starts
        # (sim.live.Trace), so that even the first package costs only what its levers change.
        warm = partial(fill_traces, start) if not start.actuals else None
        self._pool: ProcessPoolExecutor | None = worker_pool(jobs, warm) if jobs > 1 else None
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(1, jobs))  # runs at once, over all tabs
        self._latest: dict[str, int] = {}
        self._progress: dict[str, tuple[int, int]] = {}
        self._cache: OrderedDict[tuple, Evaluation] = OrderedDict()
        self._cache_size = cache_size
        self._tickets = itertools.count(1)
        self._start_live: LiveResult | None = None
        self._start_lock = threading.Lock()
        self._full: tuple[tuple, Result] | None = None  # the last package run in full
        self._full_lock = threading.Lock()
        self._required: dict[tuple, Requirements] = {}

    # ------------------------------------------------------------------ requests
    def ticket(self, tab: str) -> int:
        """Register a new request of ``tab``: every older one of that tab is superseded."""
        with self._lock:
            number = next(self._tickets)
            self._latest.pop(tab, None)  # re-inserted last: the dict is oldest tab first
            self._latest[tab] = number
            while len(self._latest) > MAX_TABS:
                self._latest.pop(next(iter(self._latest)))
            self._progress.pop(tab, None)
            return number

    def is_current(self, tab: str, number: int) -> bool:
        """Whether request ``number`` is still the newest of ``tab``."""
        return self._latest.get(tab) == number

    def progress(self, tab: str) -> tuple[int, int] | None:
        """(draws done, draws in all) of the tab's running request, None when none runs."""
        return self._progress.get(tab)

    def evaluate(self, package: Mapping[str, float], tab: str = "", number: int = 0) -> Evaluation:
        """The evaluation of a package (from the cache when it was computed before).

        Raises :class:`~sim.errors.ScenarioError` for settings the scenario refuses and
        :class:`Superseded` when a newer request of ``tab`` came in (``number`` is this
        request's :meth:`ticket`; 0 takes one).
        """
        number = number or self.ticket(tab)
        scenario = scenario_of(self.start, package)  # validated before anything runs
        key = tuple(sorted(package_of(scenario).items()))
        found = self._cached(key)
        if found is not None:
            return found
        self._wait_for_slot(tab, number)
        try:
            found = self._cached(key)  # another tab may have computed it meanwhile
            if found is None:
                found = self._run(scenario, key, tab, number)
        finally:
            self._slots.release()
            with self._lock:
                if self._latest.get(tab) == number:
                    self._progress.pop(tab, None)
        return found

    # ------------------------------------------------------------------ internals
    def _cached(self, key: tuple) -> Evaluation | None:
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
            return found

    def _wait_for_slot(self, tab: str, number: int) -> None:
        while not self._slots.acquire(timeout=0.05):
            if not self.is_current(tab, number):
                raise Superseded
        if not self.is_current(tab, number):
            self._slots.release()
            raise Superseded

    def _run(self, scenario: Scenario, key: tuple, tab: str, number: int) -> Evaluation:
        def report(done: int, total: int) -> None:
            if not self.is_current(tab, number):
                raise Superseded
            self._progress[tab] = (done, total)

        t0 = time.perf_counter()
        start = self._start_run(report)
        if scenario is self.start:
            result = start.result
        else:
            named = scenario.renamed(PACKAGE_NAME, scenario.description)
            result = run_live(named, start, self._pool, report).result
        found = Evaluation.of(dict(key), start.result, result, time.perf_counter() - t0)
        with self._lock:
            self._cache[key] = found
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return found

    def _start_run(self, report: Callable[[int, int], None]) -> LiveResult:
        """The starting scenario's live run, made once: every package is paired with its
        stored targets met instead of simulating the start again."""
        with self._start_lock:
            if self._start_live is None:
                self._start_live = run_live(self.start, executor=self._pool, on_progress=report)
            return self._start_live

    def warm_up(self) -> threading.Thread:
        """Start the workers and run the starting scenario in the background (the server calls
        this as it starts, so the page's first answer does not wait for either)."""
        thread = threading.Thread(
            target=self._start_run, args=(lambda done, total: None,), name="sim-warm-up",
            daemon=True,
        )  # fmt: skip
        thread.start()
        return thread

    def full_result(self, package: Mapping[str, float]) -> Result:
        """The package's result with every series (what ``sim run`` writes), for its chart
        pack; the live runs keep only the series the page shows."""
        scenario = scenario_of(self.start, package)
        with self._full_lock:
            key = tuple(sorted(package_of(scenario).items()))
            if self._full is None or self._full[0] != key:
                self._full = (key, run(scenario, jobs=self.jobs, executor=self._pool))
            return self._full[1]

    def requirements(self, package: Mapping[str, float], target: str) -> Requirements:
        """What it would take, from ``package``, for ``target`` to reach 0.5 and
        :data:`REQUIRED_P`: each acting lever's smallest setting and its cost
        (:func:`sim.analysis.requirements`, its own 5,000-draw search on the page's seed)."""
        scenario = scenario_of(self.start, package)  # validated before anything runs
        key = (tuple(sorted(package_of(scenario).items())), target)
        with self._lock:
            found = self._required.get(key)
        if found is None:
            found = requirements(
                scenario, p=REQUIRED_P, targets=[target], jobs=self.jobs, executor=self._pool
            )
            with self._lock:
                self._required[key] = found
                while len(self._required) > self._cache_size:
                    self._required.pop(next(iter(self._required)))
        return found

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            stop_pool(self._pool)
            self._pool = None


def _differences(start: Result, result: Result) -> pd.DataFrame:
    """Per target: P(met) at the start and with the package, the difference and its SE."""
    if result is start:
        a = start.attainment
        return pd.DataFrame(
            {
                "target_id": a["target_id"],
                "p_reference": a["p_met"],
                "p_scenario": a["p_met"],
                "difference": 0.0,
                "difference_se": 0.0,
                "paired": True,
            }
        )
    return differences([start, result])[result.scenario.name]
