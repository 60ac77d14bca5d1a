"""Decision support, the shared part: lever packages evaluated together on common random numbers.

A *package* is a full set of lever settings (lever id → setting), usually a scenario's settings
with a few levers raised. An *evaluator* simulates a batch of packages on the same draws and seed
(common random numbers: parameter draws and noise streams never depend on levers) and returns an
:class:`Evaluation`: per package and target the draws that met it, and the paired counts against
the batch's first package — draws met here but not there (``gain``) and the reverse (``loss``).
:mod:`sim.analysis.requirements` (what each target would take) and :mod:`sim.analysis.optimise`
(the cheapest package) search over packages with any evaluator; the tests give them toy
evaluators whose answers are known, :class:`SimEvaluator` runs the model.

:class:`SimEvaluator` builds on :func:`sim.engine.run_plan`: a batch is one plan (the reference
first), or, with ``jobs`` > 1, one plan per worker, each holding the reference and a share of the
candidates. A package's counts do not depend on the other packages of its plan, so the result is
the same, bit for bit, for any number of workers. Only the integer counts travel back from a
worker, never the histograms.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from sim.engine import run_plan, stop_pool, worker_pool
from sim.errors import SimError
from sim.levers import Lever, levers
from sim.plan import plan_for
from sim.reduction import Accumulator
from sim.scenario import Scenario
from sim.targets import targets as all_targets

Settings = dict[str, float]  # lever id -> setting, every lever
Z_ACTS = 3.0  # a lever moves a target it is not linked to when its effect at max exceeds 3 SE


@dataclass(frozen=True)
class Evaluation:
    """Counts of a batch of packages simulated on the same draws; row 0 is the reference.

    ``met``, ``gain``, ``loss``: (packages, targets) integer arrays, columns in the order of
    ``targets``; ``all_met``/``all_gain``/``all_loss``: the same for "every modelled target met";
    ``group_met``: per goal group, the draws meeting every modelled target of the group.
    """

    targets: tuple[str, ...]
    draws: int
    met: np.ndarray
    gain: np.ndarray
    loss: np.ndarray
    all_met: np.ndarray
    all_gain: np.ndarray
    all_loss: np.ndarray
    group_met: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.met.shape[0])

    def column(self, target_id: str) -> int:
        """The column of a target (KeyError naming the modelled targets if absent)."""
        try:
            return self.targets.index(target_id)
        except ValueError:
            raise KeyError(f"{target_id!r} is not a modelled target of this run") from None

    @property
    def p(self) -> np.ndarray:
        """P(met) per package and target."""
        return self.met / self.draws

    @property
    def p_se(self) -> np.ndarray:
        """The binomial Monte Carlo SE of each P(met)."""
        p = self.p
        return np.sqrt(np.maximum(p * (1 - p), 0.0) / self.draws)

    @property
    def diff(self) -> np.ndarray:
        """Paired difference of P(met) against the reference, per package and target."""
        return (self.gain - self.loss) / self.draws

    @property
    def diff_se(self) -> np.ndarray:
        """SE of the paired difference: the per-draw difference is +1, −1 or 0
        (:func:`sim.results.stats.paired_difference`)."""
        return paired_se(self.gain, self.loss, self.draws)


def paired_se(gain: np.ndarray, loss: np.ndarray, n: int) -> np.ndarray:
    """SE of ``(gain − loss)/n`` for a per-draw difference taking the values +1, −1 and 0."""
    d = (gain - loss) / n
    return np.sqrt(np.maximum((gain + loss) / n - d * d, 0.0) / n)


class Evaluator(Protocol):
    """Simulates packages on shared draws; the first package of a batch is the reference."""

    draws: int
    seed: int

    def __call__(self, packages: Sequence[Mapping[str, float]]) -> Evaluation:
        """Evaluate ``packages`` (full lever settings), paired against ``packages[0]``."""
        ...


@dataclass
class Objective:
    """What the search improves, from an evaluation: ``value`` per package, ``gain`` and its
    SE against row 0, ``done`` (every constraint met) per package."""

    kind: str  # "shortfall", "expected", "all" or "group:<id>"
    columns: list[int]
    p: float = 0.8

    def value(self, ev: Evaluation) -> np.ndarray:
        """The objective per package (for "shortfall": minus the summed shortfall)."""
        if self.kind == "shortfall":
            return -np.maximum(self.p - ev.p[:, self.columns], 0).sum(axis=1)
        if self.kind == "expected":
            return ev.p[:, self.columns].sum(axis=1)
        if self.kind == "all":
            return ev.all_met / ev.draws
        return ev.group_met[self.kind.removeprefix("group:")] / ev.draws

    def gain_se(self, ev: Evaluation) -> np.ndarray:
        """SE of each package's gain against row 0: paired for "all"; for sums over targets the
        sum of the targets' paired SEs (an upper bound: the differences may be correlated);
        for a group, as if the two were independent (conservative under common draws)."""
        if self.kind == "all":
            return paired_se(ev.all_gain, ev.all_loss, ev.draws)
        if self.kind.startswith("group:"):
            v = self.value(ev)
            se = np.sqrt(np.maximum(v * (1 - v), 0) / ev.draws)
            return np.hypot(se, se[0])
        return ev.diff_se[:, self.columns].sum(axis=1)

    def done(self, ev: Evaluation) -> np.ndarray:
        """Whether each package meets every constraint (only "shortfall" has constraints)."""
        if self.kind != "shortfall":
            return np.zeros(len(ev), dtype=bool)
        return np.asarray((ev.p[:, self.columns] >= self.p).all(axis=1))


# ---------------------------------------------------------------------- packages and costs


def package_cost(settings: Mapping[str, float]) -> float:
    """Annual cost in 万元 of every lever at these settings."""
    catalogue = levers()
    return float(sum(catalogue[k].cost_wan(v) for k, v in settings.items()))


def changed(settings: Mapping[str, float], base: Mapping[str, float]) -> Settings:
    """The settings that differ from ``base``."""
    return {k: float(v) for k, v in settings.items() if v != base.get(k)}


def nice_step(lever: Lever, steps: int) -> float:
    """A round step of about 1/``steps`` of the lever's range: 1, 2 or 5 × 10^k, so that a lever
    counted in projects moves by whole projects, and half a step is round too (from 2)."""
    raw = (lever.max - lever.min) / max(steps, 1)
    if raw <= 0:
        return 0.0
    power = 10 ** math.floor(math.log10(raw))
    return float(min((m * power for m in (1, 2, 5, 10)), key=lambda s: abs(s - raw)))


def linked(lever: Lever, target_id: str) -> bool:
    """Whether the target's indicator is one the lever acts on directly (``acts_on``)."""
    t = all_targets().get(target_id)
    return t is not None and t.indicator in lever.acts_on


def effect_at(ev: Evaluation, row: int) -> pd.DataFrame:
    """Per target: P in the reference and in package ``row``, the paired difference and SE."""
    return pd.DataFrame({
        "target_id": ev.targets,
        "p_reference": ev.p[0],
        "p": ev.p[row],
        "difference": ev.diff[row],
        "difference_se": ev.diff_se[row],
    })  # fmt: skip


def acting_levers(
    screen: Evaluation, lever_ids: Sequence[str], target_id: str
) -> tuple[list[str], list[str]]:
    """From a screen (row 0 the reference, row i+1 lever i at its maximum): the levers that
    act on the target — linked to it, or raising it by more than :data:`Z_ACTS` SE (paired) —
    and those that lower it by more than that."""
    j = screen.column(target_id)
    acts, lowers = [], []
    for i, lid in enumerate(lever_ids, start=1):
        d, se = screen.diff[i, j], screen.diff_se[i, j]
        if d < -Z_ACTS * se and d < 0:
            lowers.append(lid)
        elif linked(levers()[lid], target_id) or (d > Z_ACTS * se and d > 0):
            acts.append(lid)
    return acts, lowers


def as_scenario(scenario: Scenario | Any) -> Scenario:
    """A :class:`Scenario` from a scenario or a path; refuse one with actuals."""
    from sim.scenario import load_scenario

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if sc.actuals:
        raise SimError(
            f"{sc.name}: a scenario with actuals cannot be searched over yet (packages are "
            "compared on shared draws, which the update with actuals does not offer); use "
            "Scenario.without_actuals() for the view on the policy date"
        )
    return sc


# ---------------------------------------------------------------------- the model as evaluator


@dataclass(frozen=True)
class _Counts:
    """What one scenario's accumulator holds that a search needs (cheap to send back)."""

    targets: tuple[str, ...]
    draws: int
    met: np.ndarray
    gain: np.ndarray
    loss: np.ndarray
    all_met: int
    all_gain: int
    all_loss: int
    group_met: dict[str, int]


def _counts(acc: Accumulator) -> _Counts:
    zero = np.zeros_like(acc.met)
    return _Counts(
        targets=tuple(acc.modelled),
        draws=acc.draws,
        met=acc.met.copy(),
        gain=zero if acc.pair_gain is None else acc.pair_gain.copy(),
        loss=zero if acc.pair_loss is None else acc.pair_loss.copy(),
        all_met=acc.all_met,
        all_gain=acc.pair_all[0],
        all_loss=acc.pair_all[1],
        group_met=dict(acc.group_all_met),
    )


def _run_group(args: tuple[list[Scenario], int, int]) -> list[_Counts]:
    """Simulate one plan (in a worker process): the reference, then some candidates."""
    scenarios, draws, seed = args
    return [_counts(a) for a in run_plan(plan_for(scenarios, draws, seed, series=False))]


def _evaluation(counts: Sequence[_Counts]) -> Evaluation:
    first = counts[0]
    groups = {g: np.array([c.group_met[g] for c in counts]) for g in first.group_met}
    return Evaluation(
        targets=first.targets,
        draws=first.draws,
        met=np.array([c.met for c in counts]),
        gain=np.array([c.gain for c in counts]),
        loss=np.array([c.loss for c in counts]),
        all_met=np.array([c.all_met for c in counts]),
        all_gain=np.array([c.all_gain for c in counts]),
        all_loss=np.array([c.all_loss for c in counts]),
        group_met=groups,
    )


class SimEvaluator:
    """Evaluates packages with the model, ``draws`` draws from ``seed`` (default the
    scenario's), every package applied to ``scenario`` (its readings and assumptions kept).

    A context manager: with ``jobs`` > 1 it keeps a pool of worker processes until closed.
    ``executor``: any ``concurrent.futures.Executor`` to run the plans on instead.
    Counts ``packages`` simulated, ``batches`` and ``seconds`` spent.
    """

    def __init__(
        self,
        scenario: Scenario,
        draws: int,
        seed: int | None = None,
        jobs: int = 1,
        executor: Executor | None = None,
    ):
        self.scenario = scenario
        self.draws = int(draws)
        self.seed = scenario.seed if seed is None else int(seed)
        self.jobs = max(1, int(jobs))
        self.executor = executor
        self.packages = 0
        self.batches = 0
        self.seconds = 0.0
        self._pool: Any = None

    def __enter__(self) -> SimEvaluator:
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        self.close(interrupted=kind is not None)

    def close(self, interrupted: bool = False) -> None:
        """Stop the worker pool (at once when interrupted)."""
        if self._pool is None:
            return
        if interrupted:
            stop_pool(self._pool)
        else:
            self._pool.shutdown()
        self._pool = None

    def scenario_for(self, settings: Mapping[str, float]) -> Scenario:
        """The scenario running ``settings`` (validated like a file)."""
        return self.scenario.with_levers(**changed(settings, self.scenario.levers))

    def _map(self) -> Callable[..., Any]:
        if self.executor is not None:
            return self.executor.map
        if self._pool is None:
            self._pool = worker_pool(self.jobs)
        return self._pool.map

    def __call__(self, packages: Sequence[Mapping[str, float]]) -> Evaluation:
        """Evaluate ``packages`` on shared draws, paired against the first."""
        t0 = time.perf_counter()
        scenarios = [self.scenario_for(s) for s in packages]
        ref, rest = scenarios[0], scenarios[1:]
        parts = min(self.jobs, len(rest)) if (self.jobs > 1 or self.executor) else 1
        if parts <= 1:
            plan = plan_for(scenarios, self.draws, self.seed, series=False)
            accs = run_plan(plan, jobs=self.jobs, executor=self.executor)
            counts = [_counts(a) for a in accs]
        else:
            shares = [list(s) for s in np.array_split(np.arange(len(rest)), parts)]
            args = [([ref, *(rest[i] for i in share)], self.draws, self.seed) for share in shares]
            done = list(self._map()(_run_group, args))
            counts = [done[0][0], *(c for group in done for c in group[1:])]
        self.packages += len(scenarios)
        self.batches += 1
        self.seconds += time.perf_counter() - t0
        return _evaluation(counts)


# ---------------------------------------------------------------------- plotting by registration

_PLOTTERS: dict[str, Callable[..., Any]] = {}


def register_plotter(kind: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator used by :mod:`sim.charts` to draw a decision object: ``kind`` is the class
    name (``Requirements``, ``PackageSearch``); the function takes the object and ``lang`` and
    returns a list of Figures. Keeps this layer free of the charts, as ``result.plot`` does."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        _PLOTTERS[kind] = func
        return func

    return decorate


def pages_of(obj: object, lang: str) -> list[Any]:
    """The chart pages of a decision object (``import sim`` registers the drawing)."""
    kind = type(obj).__name__
    if kind not in _PLOTTERS:
        raise RuntimeError(f"no chart registered for {kind}: `import sim` (or sim.charts) first")
    return list(_PLOTTERS[kind](obj, lang))
