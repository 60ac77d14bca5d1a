"""Conditioning a run on actuals: each draw's likelihood, as a weight the reduction counts.

A scenario's ``[[actuals]]`` (figures published after the policy date) observe the simulated
values through the observation models of :mod:`sim.catalogue.actuals`. The update is
importance sampling of the whole simulation: every draw — parameters, states, and the future
that follows from them — keeps its prior probability times the likelihood of the actuals
given its own simulated values, so every table of the result (P(met), quantiles, joint
probabilities, fans) is the posterior's, with nothing pinned.

Why not resampling: most of a draw's 2025 uncertainty is in its parameters, which no step
renews, so resampling would duplicate draws without adding any; and plain weights keep draws
independent, so the Monte Carlo errors stay exact (delta method on the weighted sums). The cost
is a lower effective sample size (ESS), reported per year with a warning and the draws that
would restore it.

Weights are *fixed-point integers*: ``round(exp(log w − ref) · unit)`` with ``ref`` the best
log-likelihood of the pilot chunk (a function of the seed only) and ``unit`` chosen so that no
sum can overflow 64 bits. The reduction's counts stay integers, so a run with actuals gives
the same bits for any number of worker processes, and a plain run (every weight 1) is unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from sim.catalogue import indicators
from sim.catalogue.actuals import Observation, observation_for, observation_models
from sim.errors import SimError
from sim.scenario import Actual

# Below this effective sample size a run with actuals warns: at 1,000 independent draws the
# Monte Carlo SE of any probability is at most 0.016, under the 0.02 that separates two
# statuses' worth of rounding in the tables (P is shown to two decimals).
ESS_WARN = 1000
CAP_BITS = 8  # a weight may reach 2^8 times the pilot's best before it is clipped (and counted)
MAX_UNIT_BITS = 40  # a chunk of 8,192 = 2^13 weights of ≤ 2^48 sums exactly in float64 (bincount)
WHOLE_OFFSET = 0.5  # counts are compared as log(x + 0.5), so a count of 0 is observable


def _whole(indicator: str) -> bool:
    return observation_models().value_ranges.units[indicators()[indicator].unit].whole


@dataclass(frozen=True)
class Likelihood:
    """One actual and its observation model, ready to weigh draws."""

    actual: Actual
    column: int  # the period's year among the recorded years
    observation: Observation
    offset: float  # added to counts before taking logs

    @property
    def label(self) -> str:
        """``indicator period`` (what the tables and messages call it)."""
        return f"{self.actual.indicator} {self.actual.period}"

    def log_density(self, series: Mapping[str, np.ndarray]) -> np.ndarray:
        """log p(actual | draw) per draw, up to a constant (−inf where impossible)."""
        x = series[self.actual.indicator][:, self.column]
        y = self.actual.value
        obs = self.observation
        with np.errstate(divide="ignore", invalid="ignore"):
            if obs.model != "fraction":
                z = (math.log(y + self.offset) - np.log(x + self.offset)) / obs.log_sd
                return np.where(x + self.offset > 0, -0.5 * z * z, -np.inf)
            a, b = obs.beta()
            u = y / x
            inside = (x > 0) & (u <= 1.0)
            dens = stats.beta.logpdf(np.clip(u, 1e-9, 1 - 1e-9), a, b) - np.log(x)
            return np.where(inside, dens, -np.inf)

    def sample(self, x_true: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Draw the actual's value given the true simulated value(s): the generative model
        whose density :meth:`log_density` evaluates, for simulation-based checks and
        model-generated (illustrative) actuals.

        ``y + offset = (x + offset)·exp(e)``, ``e ~ N(0, log_sd)``; a year-to-date flow is
        ``y = f·x``, ``f ~ Beta`` (:meth:`Observation.beta`). Values are continuous: a count
        is not rounded (the likelihood treats it as continuous too).
        """
        x = np.asarray(x_true, dtype=float)
        obs = self.observation
        if obs.model == "fraction":
            a, b = obs.beta()
            return rng.beta(a, b, size=x.shape) * x
        return (x + self.offset) * np.exp(rng.normal(0.0, obs.log_sd, size=x.shape)) - self.offset


def likelihoods(actuals: Sequence[Actual], years: Sequence[int]) -> tuple[Likelihood, ...]:
    """The likelihood of every actual, in the order given."""
    return tuple(
        Likelihood(
            a,
            list(years).index(a.period.year),
            observation_for(a.indicator, a.period, a.status, a.definition_changed),
            WHOLE_OFFSET if _whole(a.indicator) else 0.0,
        )
        for a in actuals
    )


@dataclass(frozen=True)
class WeightSet:
    """Some of the actuals (all, those up to a year, or one alone) and their weight scale."""

    name: str  # "all", "through 2024" or an actual's label
    members: tuple[int, ...]  # indices into the likelihoods
    ref: float  # the pilot's best log-likelihood: weight 1
    unit: int  # the fixed-point value of weight 1

    def weights(self, logs: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """Fixed-point weights and squared weights of the draws (int64), and how many were
        clipped at the cap. ``logs``: (draws, actuals) log densities."""
        rel = logs[:, list(self.members)].sum(axis=1) - self.ref
        clipped = int(np.count_nonzero(rel > CAP_BITS * math.log(2)))
        rel = np.minimum(rel, CAP_BITS * math.log(2))
        w = np.rint(np.exp(rel) * self.unit).astype(np.int64)
        w2 = np.rint(np.exp(2 * rel) * (self.unit >> CAP_BITS)).astype(np.int64)
        return w, w2, clipped


@dataclass(frozen=True)
class Conditioning:
    """Everything a worker needs to weigh a chunk: the likelihoods and the weight sets."""

    likelihoods: tuple[Likelihood, ...]
    sets: tuple[WeightSet, ...]  # "all" first, then one per year with actuals, then per actual

    def log_densities(self, series: Mapping[str, np.ndarray]) -> np.ndarray:
        """(draws, actuals) log densities of one chunk."""
        return np.column_stack([lk.log_density(series) for lk in self.likelihoods])

    def year_sets(self) -> list[tuple[int, WeightSet]]:
        """The weight sets of the years with actuals: ``(year, set)``."""
        return [(int(s.name.split()[-1]), s) for s in self.sets if s.name.startswith("through ")]

    def actual_sets(self) -> list[tuple[Likelihood, WeightSet]]:
        """The weight set of each actual alone."""
        n = len(self.likelihoods)
        return list(zip(self.likelihoods, self.sets[-n:], strict=True))


def unit_for(draws: int) -> int:
    """The fixed-point unit: sums of ``draws`` weights of up to 2^CAP_BITS units fit in 63 bits,
    and a chunk's sums stay exact in float64."""
    return 1 << (min(MAX_UNIT_BITS, 62 - max(draws, 1).bit_length()) - CAP_BITS)


def prepare(
    actuals: Sequence[Actual], years: Sequence[int], pilot: Mapping[str, np.ndarray], draws: int
) -> Conditioning:
    """The conditioning of a run: likelihoods, and weight scales fixed on the pilot chunk.

    Raises :class:`SimError` naming the actuals no pilot draw can produce (a value beyond the
    simulated annual total, say): they would leave no draw at all.
    """
    liks = likelihoods(actuals, years)
    logs = np.column_stack([lk.log_density(pilot) for lk in liks])
    impossible = [lk for j, lk in enumerate(liks) if not np.isfinite(logs[:, j]).any()]
    if impossible or not np.isfinite(logs.sum(axis=1)).any():
        named = ", ".join(f"{lk.label} = {lk.actual.value:g}" for lk in impossible) or "together"
        raise SimError(
            f"no draw of the model can produce the actuals ({named}): a year-to-date figure "
            "above every simulated annual total, or figures that contradict each other; check "
            "the values and their units (`sim actuals FILE`)"
        )
    unit = unit_for(draws)
    years_with = sorted({lk.actual.period.year for lk in liks})
    groups = [("all", tuple(range(len(liks))))]
    groups += [(f"through {y}", tuple(j for j, lk in enumerate(liks) if lk.actual.period.year <= y))
               for y in years_with]  # fmt: skip
    groups += [(lk.label, (j,)) for j, lk in enumerate(liks)]
    sets = []
    for name, members in groups:
        total = logs[:, list(members)].sum(axis=1)
        sets.append(WeightSet(name, members, float(total[np.isfinite(total)].max()), unit))
    return Conditioning(liks, tuple(sets))


@dataclass
class UpdateCounts:
    """What the update adds to a scenario's counts: per weight set, Σw and Σw² (fixed point),
    and for each actual alone its weighted hits per target (to say which actual moved what)."""

    sums: np.ndarray  # (sets,) Σw
    squares: np.ndarray  # (sets,) Σw²
    alone_met: np.ndarray  # (actuals, targets) Σ w_k · met
    clipped: int = 0  # draws whose weight reached the cap (2^CAP_BITS × the pilot's best)

    @classmethod
    def empty(cls, cond: Conditioning, targets: int) -> UpdateCounts:
        """Zero sums."""
        k = len(cond.sets)
        return cls(np.zeros(k, dtype=np.int64), np.zeros(k, dtype=np.int64),
                   np.zeros((len(cond.likelihoods), targets), dtype=np.int64))  # fmt: skip

    def add(
        self, cond: Conditioning, logs: np.ndarray, met: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Count one chunk (``met``: its prior targets-met matrix); returns the posterior's
        weights and squared weights (the "all" set)."""
        first = len(cond.sets) - len(cond.likelihoods)
        posterior = (np.empty(0, dtype=np.int64),) * 2
        for i, ws in enumerate(cond.sets):
            w, w2, clipped = ws.weights(logs)
            self.sums[i] += int(w.sum())
            self.squares[i] += int(w2.sum())
            if i == 0:
                posterior, self.clipped = (w, w2), self.clipped + clipped
            if i >= first:
                self.alone_met[i - first] += (met * w[:, None]).sum(axis=0)
        return posterior

    def merge(self, other: UpdateCounts) -> None:
        """Add another chunk's sums."""
        self.sums += other.sums
        self.squares += other.squares
        self.alone_met += other.alone_met
        self.clipped += other.clipped


def ess(total: int, squares: int, unit: int) -> float:
    """Effective sample size (Σw)² / Σw² from fixed-point sums (squares are in unit/2^CAP_BITS)."""
    if squares == 0:
        return 0.0
    return float(total) ** 2 / (float(squares) * float(1 << CAP_BITS) * unit)
