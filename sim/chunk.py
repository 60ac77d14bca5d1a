"""One chunk of several scenarios, simulated together: what does not depend on a scenario's
levers is computed once.

Scenarios run on one seed share every random stream (common random numbers), so within a chunk
they share, bit for bit:

- **the parameter draws**, drawn once. A scenario's ``[assumptions]`` replace the draws of the
  parameters they fix; fixing a parameter never changes another's stream, so the overlay is
  exactly what :func:`sim.priors.draw_parameters` gives with the assumptions;
- **the start** (:class:`sim.models.start.Start`);
- **each component's init** among the scenarios that agree on the assumptions of the
  component's parameters and on the init of every component it reads (the start state comes
  before any lever acts: the contract refuses a lever effect in ``init``);
- **each component's yearly steps** among the scenarios that, besides, agree on the settings
  of the levers acting on the component's outputs and on the steps of every component it reads.

A component runs once per group, on the state of the group's first scenario, and every member
gets the same arrays, made read-only so that no component can change what another scenario
sees. Noise streams continue from ``init`` into the steps; groups of steps that split from one
shared init draw what they would draw alike only once: the first group's streams are recorded
and the others replay them for as long as they make the same calls (:mod:`sim.replay`). Every
scenario therefore gets exactly the arrays a run of it alone gives (tested), and a sweep of one
lever costs the arithmetic of the components downstream of that lever and the random numbers
the lever actually changes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from sim.catalogue import indicators
from sim.levers import levers
from sim.models import components
from sim.models.contract import (
    Component,
    Context,
    RunContext,
    StateView,
    checked_updates,
    writer_of,
)
from sim.models.start import Start
from sim.priors import Params, draw_parameters
from sim.replay import Log, recorded, replayed
from sim.scenario import Scenario

Series = dict[str, np.ndarray]  # recorded key -> (draws, years) array
Groups = list[list[int]]  # scenario indices; the first of each group is its representative


def simulate_chunks(
    scenarios: Sequence[Scenario],
    chunk: int,
    n: int,
    seed: int,
    years: tuple[int, ...],
    comps: Sequence[Component] | None = None,
    keep: Collection[str] | None = None,
    trace: Trace | None = None,
) -> list[Series]:
    """Simulate ``n`` draws of one chunk for every scenario: each scenario's recorded series
    (only those in ``keep``, if given), every one an (n, years) read-only array, the same
    array for scenarios that agree on it.

    ``trace``: the first scenario's work in this chunk, kept across calls (:class:`Trace`): an
    empty trace is filled, a filled one is looked up instead of computing it again."""
    comps = tuple(components() if comps is None else comps)
    if trace is not None:
        trace.check(scenarios[0], seed, chunk, n, years, comps)
    replay = trace if trace is not None and trace.complete else None
    base = replay.base if replay is not None else draw_parameters(seed, chunk, n)
    params = _parameters(scenarios, n, base)
    start = Start(years[0], n)
    init_groups, step_groups = _groups(comps, scenarios)
    states: list[dict[str, np.ndarray]] = [{} for _ in scenarios]
    responses: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}  # lever responses, shared
    runs = {}
    for comp in comps:
        for group in init_groups[comp.name]:
            rep = scenarios[group[0]]
            run = RunContext(n, params[group[0]], rep.levers, seed, chunk, start)
            run.responses = responses
            ctx = Context(run, comp, set(), at_start=True)
            init = partial(comp.init, StateView(states[group[0]], comp), ctx)
            traced = trace if group[0] == 0 else None
            _apply(comp, _init(comp, init, traced), states, group)
            runs[comp.name, group[0]] = run
    steppers = _steppers(comps, scenarios, step_groups, init_groups, runs, trace)
    recorders = [_Recorder(comp, step_groups[comp.name], keep, len(years), n) for comp in comps]
    for rec in recorders:
        rec.record(states, 0)
    for col, year in enumerate(years[1:], start=1):
        for comp, group, step_ctx in steppers:
            if step_ctx is None:  # the traced first scenario's steps: looked up
                assert replay is not None
                updates = replay.steps[comp.name][col - 1]
            else:
                updates = comp.step(StateView(states[group[0]], comp), step_ctx, year)
                if trace is not None and replay is None and group[0] == 0:
                    trace.steps.setdefault(comp.name, []).append(updates)
            _apply(comp, updates, states, group)
        for rec in recorders:
            rec.record(states, col)
    if trace is not None and replay is None:
        trace.base, trace.complete = base, True
    return _series(comps, recorders, len(scenarios), keep)


@dataclass
class Trace:
    """What the first scenario of a chunk computed, kept so that later calls with the same first
    scenario (the live page's start, beside a new package each time) look it up.

    A filled trace holds the parameter draws, each component's init and yearly updates, and the
    log of every call its steps made to its streams, from the state init left them in
    (:mod:`sim.replay`). A later call then skips the first scenario's computations and gives
    every other scenario's groups what they would have got beside it: they replay the logged
    calls while theirs are the same and draw for themselves from the logged state after that.
    Every array is what the call without a trace gives, bit for bit (tested)."""

    key: tuple
    complete: bool = False
    base: Params = field(default_factory=lambda: Params({}))
    init: dict[str, Mapping[str, np.ndarray]] = field(default_factory=dict)
    steps: dict[str, list[Mapping[str, np.ndarray]]] = field(default_factory=dict)
    logs: dict[str, dict[str, Log]] = field(default_factory=dict)

    @staticmethod
    def key_of(
        scenario: Scenario, seed: int, chunk: int, n: int, years: tuple[int, ...],
        comps: Sequence[Component],
    ) -> tuple:  # fmt: skip
        """What a trace is valid for: the scenario, the chunk, and the components."""
        return (scenario.hash(), seed, chunk, n, tuple(years), tuple(c.name for c in comps))

    def check(self, scenario: Scenario, seed: int, chunk: int, n: int,
              years: tuple[int, ...], comps: Sequence[Component]) -> None:  # fmt: skip
        """Refuse a trace made for another first scenario, chunk or model."""
        if self.key != self.key_of(scenario, seed, chunk, n, years, comps):
            raise ValueError("this trace was made for another scenario, chunk or model")


def _init(
    comp: Component, init: Callable[[], Mapping[str, np.ndarray]], trace: Trace | None
) -> Mapping[str, np.ndarray]:
    """A component's init: computed (and kept in an empty trace), or looked up in a filled one.

    Its streams need not be kept: every stream init used is logged from the state init left
    it in when the steps continue it (:func:`_steppers`), so a later group replays from there.
    """
    if trace is not None and trace.complete:
        return trace.init[comp.name]
    updates = init()
    if trace is not None:
        trace.init[comp.name] = updates
    return updates


def _apply(comp: Component, updates: Mapping[str, np.ndarray], states: list[dict], group) -> None:
    """Give a group's members the updates of its representative, frozen."""
    for value in checked_updates(comp, dict(updates)).values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    for i in group:
        states[i].update(updates)


def _parameters(scenarios: Sequence[Scenario], n: int, base: Params) -> list[Params]:
    """Each scenario's parameter draws: one draw of every prior (``base``), the assumptions
    laid over it."""
    for value in base.values():
        value.flags.writeable = False
    out: dict[Hashable, Params] = {}
    for sc in scenarios:
        key = tuple(sorted(sc.assumptions.items()))
        if key not in out:
            fixed = {pid: np.full(n, float(v)) for pid, v in sc.assumptions.items()}
            for value in fixed.values():
                value.flags.writeable = False
            out[key] = Params(dict(sorted({**base, **fixed}.items()))) if fixed else base
    return [out[tuple(sorted(sc.assumptions.items()))] for sc in scenarios]


def _groups(
    comps: tuple[Component, ...], scenarios: Sequence[Scenario]
) -> tuple[dict[str, Groups], dict[str, Groups]]:
    """Per component, the scenarios that share its init and those that share its steps."""
    init_id: dict[str, list[int]] = {}
    step_id: dict[str, list[int]] = {}
    init_groups: dict[str, Groups] = {}
    step_groups: dict[str, Groups] = {}
    for comp in comps:
        readers_of = _writers(comps, comp)
        owns, acting = _owned_parameters(comp), _acting_levers(comp)
        init_keys = [
            (tuple(sorted((p, v) for p, v in sc.assumptions.items() if owns(p))),
             tuple(init_id[w][i] for w in readers_of))
            for i, sc in enumerate(scenarios)
        ]  # fmt: skip
        init_id[comp.name], init_groups[comp.name] = _partition(init_keys)
        step_keys = [
            (init_id[comp.name][i], tuple(sc.levers[lv] for lv in acting),
             tuple(step_id[w][i] for w in readers_of))
            for i, sc in enumerate(scenarios)
        ]  # fmt: skip
        step_id[comp.name], step_groups[comp.name] = _partition(step_keys)
    return init_groups, step_groups


def _partition(keys: Sequence[Hashable]) -> tuple[list[int], Groups]:
    """Group ids by key (in order of first appearance) and the groups of indices."""
    ids: dict[Hashable, int] = {}
    groups: Groups = []
    of = []
    for i, key in enumerate(keys):
        if key not in ids:
            ids[key] = len(groups)
            groups.append([])
        groups[ids[key]].append(i)
        of.append(ids[key])
    return of, groups


def _steppers(
    comps: tuple[Component, ...],
    scenarios: Sequence[Scenario],
    step_groups: dict[str, Groups],
    init_groups: dict[str, Groups],
    runs: dict[tuple[str, int], RunContext],
    trace: Trace | None = None,
) -> list[tuple[Component, list[int], Context | None]]:
    """(component, group, context) of every step group, in step order.

    The step groups that come from one init group continue its streams: the first group with
    the generators themselves, recorded when it has siblings; each sibling with streams that
    replay the first group's calls while they are the same (:mod:`sim.replay`). A family's
    first group comes first, so within a year its calls are logged before a sibling asks.
    With a ``trace``, the first scenario's family is always recorded (into an empty trace) or
    replays the trace's logs, its own group's context None (its steps are looked up).
    """
    out: list[tuple[Component, list[int], Context | None]] = []
    for comp in comps:
        init_rep = {i: g[0] for g in init_groups[comp.name] for i in g}
        families: dict[int, Groups] = {}
        for group in step_groups[comp.name]:
            families.setdefault(init_rep[group[0]], []).append(group)
        for first, groups in families.items():
            init = runs[comp.name, first]
            logs: dict[str, Log] | None = {} if len(groups) > 1 else None
            looked_up = trace is not None and first == 0 and trace.complete
            if looked_up:  # the first group's steps are the trace's; its siblings replay its logs
                assert trace is not None
                logs = trace.logs[comp.name]
            elif trace is not None and first == 0:
                logs = trace.logs[comp.name] = {}
            for k, group in enumerate(groups):
                if looked_up and k == 0:
                    out.append((comp, group, None))
                    continue
                run = _StepRun(init.n, init.params, scenarios[group[0]].levers, init.seed,
                               init.chunk, init.start, logs=logs, first=k == 0)  # fmt: skip
                run.responses = init.responses
                run._streams = {name: run.continued(name, partial(_itself, gen))
                                for name, gen in init._streams.items()}  # fmt: skip
                out.append((comp, group, Context(run, comp, set())))
    return out


def _itself(gen: np.random.Generator) -> np.random.Generator:
    return gen


@dataclass
class _StepRun(RunContext):
    """The run context of one step group; with siblings (``logs``), the first group records
    its streams and the others replay them."""

    logs: dict[str, Log] | None = None  # shared by the step groups of one init group
    first: bool = True

    def continued(self, name: str, make: Callable[[], np.random.Generator]) -> np.random.Generator:
        """The group's view of the stream ``name``, which ``make()`` gives at its state."""
        if self.logs is None:
            return make()
        if self.first:
            return recorded(make(), self.logs, name)
        return replayed(self.logs, name, make)

    def stream(self, name: str) -> np.random.Generator:
        """The noise stream ``name``, created (recorded or replayed) at its first use."""
        if name not in self._streams:
            self._streams[name] = self.continued(name, partial(self.new_stream, name))
        return self._streams[name]


class _Recorder:
    """The recorded series of one component, one (draws, years) array per step group."""

    def __init__(
        self, comp: Component, groups: Groups, keep: Collection[str] | None, years: int, n: int
    ):
        self.comp = comp
        self.groups = groups
        self.keys = [k for k in comp.recorded if keep is None or k in keep]
        self.series = [{k: np.empty((n, years)) for k in self.keys} for _ in groups]

    def record(self, states: list[dict[str, np.ndarray]], col: int) -> None:
        """Copy the current values of the component's keys into column ``col``."""
        for group, series in zip(self.groups, self.series, strict=True):
            state = states[group[0]]
            for key, values in series.items():
                values[:, col] = state[key]


def _series(
    comps: tuple[Component, ...],
    recorders: list[_Recorder],
    count: int,
    keep: Collection[str] | None,
) -> list[Series]:
    """Every scenario's series in the order of :func:`recorded_keys`."""
    by_key: dict[str, list[np.ndarray]] = {}
    for rec in recorders:
        for key in rec.keys:
            per: list[np.ndarray] = [np.empty(0)] * count
            for group, series in zip(rec.groups, rec.series, strict=True):
                series[key].flags.writeable = False
                for i in group:
                    per[i] = series[key]
            by_key[key] = per
    order = [k for k in recorded_keys(comps) if k in by_key]
    return [{key: by_key[key][i] for key in order} for i in range(count)]


def recorded_keys(comps: Sequence[Component]) -> list[str]:
    """What the engine records: every output in the order of indicators.toml (the order of
    tables and samples), then the components' diagnostics."""
    position = {ind: i for i, ind in enumerate(indicators())}
    outputs = sorted((o for c in comps for o in c.outputs), key=lambda o: position.get(o, 10**6))
    return [*outputs, *(d for c in comps for d in c.diagnostics)]


def _writers(comps: tuple[Component, ...], comp: Component) -> tuple[str, ...]:
    """Names of the components whose keys ``comp`` reads (each once, in step order)."""
    names = {w.name for key in comp.reads if (w := writer_of(key, comps)) is not None}
    return tuple(c.name for c in comps if c.name in names)


def _owned_parameters(comp: Component) -> Callable[[str], bool]:
    """Whether a parameter id is one the component may read: under its prefix, or an
    elasticity of one of its outputs (the contract, checked by the engine's probe)."""
    prefix = f"{comp.name}."
    links = {lv.elasticity_parameter(ind) for lv in levers().values() for ind in lv.acts_on
             if ind in comp.outputs}  # fmt: skip
    return lambda pid: pid.startswith(prefix) or pid in links


def _acting_levers(comp: Component) -> tuple[str, ...]:
    """Ids of the levers (process or measurement) that act on any of the component's outputs."""
    return tuple(lv.id for lv in levers().values() if set(lv.acts_on) & set(comp.outputs))
