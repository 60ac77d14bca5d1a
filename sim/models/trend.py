"""The outside-view trend: a persistent random walk with drift and breaks, plus a transitory
deviation of each published value (the model of :mod:`sim.catalogue.pooling`)::

    x_t = x_obs + W_t + e_t                        (on the indicator's scale: log or logit)
    W_t = W_{t−1} + d + σ_P ε_t + B_t J_t,  W_0 = −e_0
    e_t ~ N(0, σ_T²),  B_t ~ Bernoulli(p),  J_t ~ N(0, b²)

``x_obs`` is the published start value; ``W_0 = −e_0`` because that value holds a transitory
deviation of its own, which the persistent level does not carry forward. The five parameters
are ``<prefix>_drift``, ``_persistent_sd``, ``_transitory_sd``, ``_break_rate`` and
``_break_size``, whose priors come from the reference class (``pooled`` in the catalogue).

Components (``rnd`` for R&D intensity, ``industry`` for the high-tech share, ``patents`` for
the growth of the invention stock) step their indicator with :meth:`Trend.step`, and ``sim
backtest`` forecasts every peer unit with the same object, so what is tested is what runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

ROLES = ("drift", "persistent_sd", "transitory_sd", "break_rate", "break_size")


@dataclass(frozen=True)
class Trend:
    """One indicator's trend: its parameter prefix and its reference class."""

    prefix: str  # e.g. "rnd.intensity": parameters rnd.intensity_drift, ...
    reference_class: str  # id in reference_class/classes.toml

    def parameter(self, role: str) -> str:
        """The parameter id of ``role`` (one of :data:`ROLES`)."""
        return f"{self.prefix}_{role}"

    def start(self, p: Mapping[str, np.ndarray], rng: np.random.Generator, n: int) -> np.ndarray:
        """``W_0 = −e_0``: minus the transitory part of the published start value."""
        return -p[self.parameter("transitory_sd")] * rng.standard_normal(n)

    def step(
        self, walk: np.ndarray, p: Mapping[str, np.ndarray], rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """One year: the new persistent walk ``W_t`` and the transitory deviation ``e_t``.

        Four draws from ``rng`` per year, in a fixed order (ε, break, jump, e), so the stream
        stays aligned whatever the parameter values.
        """
        n = len(walk)
        eps = rng.standard_normal(n)
        jumps = break_jumps(p[self.parameter("break_rate")], p[self.parameter("break_size")],
                            rng, n)  # fmt: skip
        transitory = p[self.parameter("transitory_sd")] * rng.standard_normal(n)
        walk = walk + p[self.parameter("drift")] + p[self.parameter("persistent_sd")] * eps + jumps
        return walk, transitory


def break_jumps(rate: np.ndarray, size: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
    """One year of breaks: ``B J`` with ``B ~ Bernoulli(rate)``, ``J ~ N(0, size²)``; two draws
    from ``rng`` per draw (whether, and how far), in that order."""
    happens = rng.random(n) < rate
    jumps = size * rng.standard_normal(n)
    return np.where(happens, jumps, 0.0)


@dataclass(frozen=True)
class Breaks:
    """Breaks alone — a change of counting rules that moves a reported count once and for
    good — for indicators without an outside-view trend. Parameters ``<prefix>_break_rate``
    and ``<prefix>_break_size``, pooled from ``reference_class``."""

    prefix: str
    reference_class: str
    indicators: tuple[str, ...]  # the reported counts it moves (for pages and docs)

    def parameter(self, role: str) -> str:
        """The parameter id of ``role`` (``break_rate`` or ``break_size``)."""
        return f"{self.prefix}_{role}"

    def jumps(self, p: Mapping[str, np.ndarray], rng: np.random.Generator, n: int) -> np.ndarray:
        """One year's jumps of the log count (zero where no break happens)."""
        return break_jumps(p[self.parameter("break_rate")], p[self.parameter("break_size")],
                           rng, n)  # fmt: skip
