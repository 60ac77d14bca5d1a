"""The contract every model component follows.

A component is a module ``sim/models/<name>.py`` that defines ``COMPONENT = Component(...)``:

- ``outputs``: the indicator ids (from ``indicators.toml``) it writes into the state and the
  engine records at the start year and after every simulated year;
- ``init(ctx) -> dict``: the state at the end of the start year (2022 for a run, 2020 for the
  backcast), from observations and parameter draws;
- ``step(state, ctx, year) -> dict``: the updates of one year, a pure function of the state
  at the end of the previous year plus what earlier components already wrote this year
  (components step in the order of ``sim.catalogue.COMPONENTS``), the parameters, the lever
  settings and the component's named random streams.

Every array has shape ``(draws,)`` (or ``(draws, k)`` for internal state); a per-draw Python
loop is a bug. Internal state keys are ``"<component>.<name>"``; indicator keys are the ids.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from sim.catalogue import observed
from sim.levers import levers as lever_catalogue
from sim.priors import Params
from sim.rng import stream

State = Mapping[str, np.ndarray]
Updates = dict[str, np.ndarray]


@dataclass
class Context:
    """Everything a component may read besides the state: draws, parameters, levers, streams."""

    n: int
    params: Params
    levers: Mapping[str, float]
    seed: int
    chunk: int
    start_year: int
    _streams: dict[str, np.random.Generator] = field(default_factory=dict, repr=False)
    _effects: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def rng(self, name: str) -> np.random.Generator:
        """The process-noise stream ``name`` (e.g. ``"firms.registrations"``) of this chunk.

        The same name returns the same generator all run long, so a stream continues from
        one year to the next and never depends on which other streams exist.
        """
        if name not in self._streams:
            self._streams[name] = stream(self.seed, self.chunk, f"noise:{name}")
        return self._streams[name]

    def lever_effect(self, indicator: str) -> np.ndarray:
        """Combined multiplier of every lever acting on ``indicator``, per draw.

        The product over the levers whose catalogue entry lists the indicator in ``acts_on``
        of the lever's response at this scenario's setting, with the elasticity drawn from
        its prior (``lever.<lever>.<indicator>``). Exactly 1 when every lever is at its status
        quo. The component documents which of its rates this multiplies.
        """
        if indicator not in self._effects:
            effect = np.ones(self.n)
            for lever in lever_catalogue().values():
                if indicator in lever.acts_on:
                    e = self.params[lever.elasticity_parameter(indicator)]
                    effect = effect * lever.multiplier(self.levers[lever.id], e, indicator)
            self._effects[indicator] = effect
        return self._effects[indicator]

    @staticmethod
    def observed(indicator: str, year: int) -> float | None:
        """The preferred observed value of an indicator in a year, if published."""
        obs = observed(indicator, year)
        return None if obs is None else obs.value


@dataclass(frozen=True)
class Component:
    """One model component: its recorded indicators, its start state and its yearly step."""

    name: str
    outputs: tuple[str, ...]
    init: Callable[[Context], Updates]
    step: Callable[[State, Context, int], Updates]
    diagnostics: tuple[str, ...] = ()  # internal series recorded too (e.g. renewals), for checks


def negative_binomial(rng: np.random.Generator, mean: np.ndarray, dispersion: np.ndarray):
    """Over-dispersed counts with the given mean; variance = mean + mean**2 / dispersion."""
    mean = np.maximum(np.asarray(mean, dtype=float), 0.0)
    k = np.asarray(dispersion, dtype=float)
    return rng.negative_binomial(k, k / (k + mean))


def lognormal_factor(rng: np.random.Generator, sigma: np.ndarray | float, n: int) -> np.ndarray:
    """Mean-one lognormal multiplicative noise: exp(sigma * z - sigma**2 / 2)."""
    sigma = np.asarray(sigma, dtype=float)
    return np.exp(sigma * rng.standard_normal(n) - 0.5 * sigma**2)
