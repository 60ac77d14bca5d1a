"""The contract every model component follows, and the checks that hold components to it.

A component is a module ``sim/models/<name>.py`` that defines ``COMPONENT = Component(...)``:

- ``outputs``: the indicator ids (``indicators.toml``) it produces; the engine records them at
  the start year and after every simulated year, and targets are judged on them;
- ``reads``: the keys of *other* components it reads — an indicator (``"gdp"``) or an internal
  key (``"firms.stock_start"``). Reading a key not declared here raises at once;
- ``streams``: the names of its random streams; ``ctx.rng("registrations")`` of component
  ``firms`` is the stream ``noise:firms.registrations`` (:func:`sim.rng.stream`), so no two
  components can share a stream and adding one never changes another's numbers;
- ``init(state, ctx) -> updates``: its state at the end of the start year, from
  ``ctx.start`` (observations, values carried back to an earlier start) and parameter draws;
  ``state`` holds the start state of the components it reads. Levers act from the first
  simulated year, so ``ctx.lever_effect`` in ``init`` is a :class:`ContractError` (scenarios
  run together share their start states: :mod:`sim.chunk`);
- ``step(state, ctx, year) -> updates``: one year, a pure function of last year's state, what
  the components it reads wrote this year, its parameters, lever effects and its streams;
- ``diagnostics``: internal keys recorded like outputs (for checks and notebooks);
- ``trends``: the outside-view trends (:class:`sim.models.trend.Trend`) the component steps
  its indicators with; ``sim backtest`` forecasts each reference class with the trend that
  names it, so what is tested is the object the component runs. A trend's parameters are the
  component's (its prefix starts with ``<name>.``).

Parameters are found by prefix: component ``firms`` reads ``firms.*`` from
``catalogue/parameters/firms.toml`` and the lever elasticities of its outputs (through
``ctx.lever_effect``). A component writes only its outputs and keys under its own prefix.

The engine orders components from ``reads`` and ``outputs`` (:func:`step_order`) and, before a
run, probes them on a few draws (:func:`probe`): a cycle, a read nobody writes, a duplicate
output, a write outside the component, or a parameter that is unknown, foreign or never read
is a :class:`ContractError` before any result exists.

Every array has shape ``(draws,)`` (or ``(draws, k)`` for internal state); a per-draw Python
loop is a bug. Arrays a component receives (parameters, state) are read-only: a step returns
new arrays, it never changes one in place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.errors import SimError
from sim.levers import Lever, levers
from sim.models.start import Start
from sim.models.trend import Breaks, Trend
from sim.priors import Params
from sim.rng import stream

State = Mapping[str, np.ndarray]
Updates = dict[str, np.ndarray]


class ContractError(SimError):
    """A component breaks the contract (a bug in a model module, caught before a run)."""


@dataclass(frozen=True)
class Component:
    """One model component: what it produces, reads and draws; its start state and yearly step."""

    name: str
    outputs: tuple[str, ...]
    reads: tuple[str, ...]
    streams: tuple[str, ...]
    init: Callable[[State, Context], Updates]
    step: Callable[[State, Context, int], Updates]
    diagnostics: tuple[str, ...] = ()
    trends: tuple[Trend, ...] = ()
    breaks: tuple[Breaks, ...] = ()  # counting-rule breaks of reported counts

    def owns(self, key: str) -> bool:
        """Whether the component may write ``key``: one of its outputs or under its prefix."""
        return key in self.outputs or key.startswith(f"{self.name}.")

    @property
    def recorded(self) -> tuple[str, ...]:
        """The keys the engine records every year: outputs, then diagnostics."""
        return (*self.outputs, *self.diagnostics)


@dataclass
class RunContext:
    """What one chunk of one scenario shares across components: draws, levers, streams."""

    n: int
    params: Params
    levers: Mapping[str, float]
    seed: int
    chunk: int
    start: Start
    _streams: dict[str, np.random.Generator] = field(default_factory=dict, repr=False)
    _effects: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False)
    # Lever responses by (lever, indicator, setting, elasticity draws' identity), which the
    # run contexts of one chunk's scenarios may share (sim.chunk): each computed once.
    responses: dict[tuple, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict,
                                                                  repr=False)  # fmt: skip

    def stream(self, name: str) -> np.random.Generator:
        """The noise stream ``name`` of this chunk; the same generator all run long."""
        if name not in self._streams:
            self._streams[name] = self.new_stream(name)
        return self._streams[name]

    def new_stream(self, name: str) -> np.random.Generator:
        """A new generator of the noise stream ``name`` of this chunk, at its start."""
        return stream(self.seed, self.chunk, f"noise:{name}")

    def effect(self, indicator: str, kind: str, params: Mapping[str, np.ndarray]) -> np.ndarray:
        """Product of the responses of the ``kind`` levers acting on ``indicator`` (cached)."""
        key = (indicator, kind)
        if key not in self._effects:
            value = np.ones(self.n)
            for lever in levers().values():
                if indicator in lever.acts_on and lever.kind == kind:
                    value = value * self._response(lever, indicator, params)
            self._effects[key] = value
        return self._effects[key]

    def _response(self, lever: Lever, indicator: str, params: Mapping[str, np.ndarray]):
        setting = self.levers[lever.id]
        e = params[lever.elasticity_parameter(indicator)]
        key = (lever.id, indicator, setting, id(e))
        if key not in self.responses:  # the draws are kept with the value: the id stays theirs
            self.responses[key] = (e, lever.multiplier(setting, e, indicator))
        return self.responses[key][1]


class ScopedParams(Mapping[str, np.ndarray]):
    """The parameter draws as one component sees them; remembers which ids it read."""

    def __init__(self, params: Params, used: set[str]):
        self._params = params
        self.used = used

    def __getitem__(self, key: str) -> np.ndarray:
        value = self._params[key]
        self.used.add(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)


class Context:
    """Everything a component may use besides the state: draws, parameters, lever effects,
    its own random streams, and the start (``ctx.start``)."""

    def __init__(
        self, run: RunContext, component: Component, used: set[str], *, at_start: bool = False
    ):
        self._run = run
        self._component = component
        self._at_start = at_start  # in ``init``: the start state, before any lever acts
        self.n = run.n
        self.start = run.start
        self.params = ScopedParams(run.params, used)

    @property
    def start_year(self) -> int:
        """The year whose end state ``init`` builds (2022, or 2020 for the backcast)."""
        return self.start.year

    def rng(self, name: str) -> np.random.Generator:
        """The component's stream ``name`` (declared in its ``streams``) of this chunk.

        The same name returns the same generator all run long, so a stream continues from
        one year to the next and never depends on which other streams exist.
        """
        comp = self._component
        if name not in comp.streams:
            raise ContractError(
                f"component {comp.name!r} draws from stream {name!r}, which is not in its "
                f"streams {comp.streams}"
            )
        return self._run.stream(f"{comp.name}.{name}")

    def lever_effect(self, indicator: str) -> np.ndarray:
        """Combined multiplier of the levers acting on the process behind ``indicator``.

        The product, over the process levers whose catalogue entry lists the indicator in
        ``acts_on``, of the lever's response at this scenario's setting with the elasticity
        drawn from its prior (``lever.<lever>.<indicator>``). Exactly 1 when every lever is
        at its status quo. The component documents which of its rates this multiplies.
        """
        return self._run.effect(self._own(indicator, "lever_effect"), "process", self.params)

    def measurement_effect(self, indicator: str) -> np.ndarray:
        """Multiplier of the measurement levers on the *measured* value of ``indicator``.

        A measurement lever (``kind = "measurement"`` in levers.toml, e.g. better statistics)
        raises what is reported, not the activity behind it; 1 at status quo.
        """
        return self._run.effect(self._own(indicator, "measurement_effect"), "measurement",
                                self.params)  # fmt: skip

    def _own(self, indicator: str, what: str) -> str:
        if self._at_start:
            raise ContractError(
                f"component {self._component.name!r} asks for ctx.{what}({indicator!r}) in "
                "init: the start state comes before any lever acts (levers act from the first "
                "simulated year), so init must not depend on them"
            )
        if indicator not in self._component.outputs:
            raise ContractError(
                f"component {self._component.name!r} asks for the lever effect on "
                f"{indicator!r}, which is not one of its outputs"
            )
        return indicator


class StateView(Mapping[str, np.ndarray]):
    """The state as one component may read it: its own keys and its declared ``reads``."""

    def __init__(self, state: Mapping[str, np.ndarray], component: Component):
        self._state = state
        self._component = component

    def __getitem__(self, key: str) -> np.ndarray:
        comp = self._component
        if not comp.owns(key) and key not in comp.reads:
            raise ContractError(
                f"component {comp.name!r} reads {key!r} without declaring it in reads"
            )
        try:
            return self._state[key]
        except KeyError:
            raise ContractError(
                f"component {comp.name!r} reads {key!r}, which no earlier component wrote"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return (k for k in self._state if self._component.owns(k) or k in self._component.reads)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def checked_updates(component: Component, updates: Updates) -> Updates:
    """``updates``, after checking that the component wrote only what it owns."""
    foreign = [k for k in updates if not component.owns(k)]
    if foreign:
        raise ContractError(
            f"component {component.name!r} writes {foreign}, which are neither its outputs "
            f"nor under its prefix '{component.name}.'"
        )
    return updates


def writer_of(key: str, components: Sequence[Component]) -> Component | None:
    """The component that writes ``key``: the one listing it as an output, or by prefix."""
    for comp in components:
        if key in comp.outputs:
            return comp
    prefix = key.split(".", 1)[0] if "." in key else None
    return next((c for c in components if c.name == prefix), None)


def step_order(components: Sequence[Component]) -> tuple[Component, ...]:
    """Components in an order where each steps after every component it reads.

    Kahn's algorithm, ties broken by the given order, so the order is stable. Raises
    :class:`ContractError` for duplicate names or outputs, a read of a key no component
    writes, or a cycle of reads.
    """
    _check_unique(components)
    after: dict[str, set[str]] = {c.name: set() for c in components}
    for comp in components:
        for key in comp.reads:
            writer = writer_of(key, components)
            if writer is None:
                raise ContractError(
                    f"component {comp.name!r} reads {key!r}, which no component writes"
                )
            if writer is comp:
                raise ContractError(f"component {comp.name!r} lists its own key {key!r} in reads")
            after[comp.name].add(writer.name)
    ordered: list[Component] = []
    placed: set[str] = set()
    pending = list(components)
    while pending:
        ready = next((c for c in pending if after[c.name] <= placed), None)
        if ready is None:
            cycle = " → ".join(c.name for c in pending)
            raise ContractError(f"the reads of these components form a cycle: {cycle}")
        ordered.append(ready)
        placed.add(ready.name)
        pending.remove(ready)
    return tuple(ordered)


def _check_unique(components: Sequence[Component]) -> None:
    seen: dict[str, str] = {}
    names = [c.name for c in components]
    if len(set(names)) != len(names):
        raise ContractError(f"two components share a name: {sorted(names)}")
    for comp in components:
        for key in comp.recorded:
            if key in seen:
                raise ContractError(f"{key!r} is written by both {seen[key]!r} and {comp.name!r}")
            seen[key] = comp.name
        if len(set(comp.streams)) != len(comp.streams):
            raise ContractError(f"component {comp.name!r} declares a stream twice")
        foreign = [tr.prefix for tr in comp.trends if not tr.prefix.startswith(f"{comp.name}.")]
        if foreign:
            raise ContractError(
                f"component {comp.name!r} lists trends {foreign} whose parameters are not "
                f"under its prefix '{comp.name}.'"
            )
