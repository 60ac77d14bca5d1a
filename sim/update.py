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
    ref: float  # the pilot's best (tempered) log-likelihood: weight 1
    unit: int  # the fixed-point value of weight 1
    power: float = 1.0  # the likelihood's power (tempering, see choose_power)

    def weights(self, logs: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """Fixed-point weights and squared weights of the draws (int64), and how many were
        clipped at the cap. ``logs``: (draws, actuals) log densities."""
        rel = self.power * logs[:, list(self.members)].sum(axis=1) - self.ref
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
    power: float = 1.0  # the likelihood's power: 1 is the full update
    full_pilot_ess: float = 0.0  # the pilot's effective draws at power 1
    pilot_draws: int = 0

    def log_densities(self, series: Mapping[str, np.ndarray]) -> np.ndarray:
        """(draws, actuals) log densities of one chunk."""
        return np.column_stack([lk.log_density(series) for lk in self.likelihoods])


def unit_for(draws: int) -> int:
    """The fixed-point unit: sums of ``draws`` weights of up to 2^CAP_BITS units fit in 63 bits,
    and a chunk's sums stay exact in float64."""
    return 1 << (min(MAX_UNIT_BITS, 62 - max(draws, 1).bit_length()) - CAP_BITS)


def prepare(
    actuals: Sequence[Actual],
    years: Sequence[int],
    pilot: Mapping[str, np.ndarray],
    draws: int,
    temper: bool = True,
) -> Conditioning:
    """The conditioning of a run: likelihoods, the likelihood's power and the weight scales,
    all fixed on the pilot chunk (so they depend on the seed only, never on the workers).

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
    power = choose_power(logs.sum(axis=1), draws) if temper else 1.0
    years_with = sorted({lk.actual.period.year for lk in liks})
    groups = [("all", tuple(range(len(liks))))]
    groups += [(f"through {y}", tuple(j for j, lk in enumerate(liks) if lk.actual.period.year <= y))
               for y in years_with]  # fmt: skip
    groups += [(lk.label, (j,)) for j, lk in enumerate(liks)]
    sets = []
    for name, members in groups:
        total = power * logs[:, list(members)].sum(axis=1)
        sets.append(WeightSet(name, members, float(total[np.isfinite(total)].max()), unit, power))
    full = _ess_share(logs.sum(axis=1), 1.0) * len(logs)
    return Conditioning(liks, tuple(sets), power, full, len(logs))


# Tempering: when the actuals are too many or too precise for the draws (a handful of final
# figures can leave a few effective draws of 20,000), the likelihood is raised to the largest
# power ≤ 1 at which the pilot keeps the share of effective draws that would give the run
# ESS_WARN of them (at most a quarter of its draws). Each figure's error sd is then widened by
# 1/√power: a partial update in the right direction, reported with its power, that becomes the
# full update as the draws grow. MIN_POWER bounds the search (a sd widened at most tenfold).
MIN_POWER = 0.01


def choose_power(total: np.ndarray, draws: int) -> float:
    """The tempering power for the pilot's total log-likelihoods ``total`` (see above)."""
    wanted = min(ESS_WARN, draws / 4) / draws
    if _ess_share(total, 1.0) >= wanted:
        return 1.0
    lo, hi = MIN_POWER, 1.0
    if _ess_share(total, lo) < wanted:
        return lo
    for _ in range(40):  # bisection: the ESS share falls as the power rises
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _ess_share(total, mid) >= wanted else (lo, mid)
    return lo


def _ess_share(total: np.ndarray, power: float) -> float:
    """ESS / draws of the weights exp(power · total)."""
    finite = total[np.isfinite(total)]
    if finite.size == 0:
        return 0.0
    w = np.exp(power * (finite - finite.max()))
    return float(w.sum() ** 2 / (w * w).sum()) / total.size


@dataclass
class UpdateCounts:
    """What the update adds to a scenario's counts: per weight set, Σw and Σw² (fixed point),
    and for each actual alone its weighted hits per target (to say which actual moved what)."""

    sums: np.ndarray  # (sets,) Σw
    squares: np.ndarray  # (sets,) Σw²
    alone_met: np.ndarray  # (actuals, targets) Σ w_k · met
    clipped: int = 0  # draws whose weight reached the cap (2^CAP_BITS × the pilot's best)
    power: float = 1.0  # the conditioning's tempering power and the pilot's ESS at power 1
    full_pilot_ess: float = 0.0
    pilot_draws: int = 0

    @property
    def first_alone(self) -> int:
        """Index of the first "actual alone" set (the sets run: all, each year, each actual)."""
        return len(self.sums) - len(self.alone_met)

    @classmethod
    def empty(cls, cond: Conditioning, targets: int) -> UpdateCounts:
        """Zero sums."""
        k = len(cond.sets)
        return cls(np.zeros(k, dtype=np.int64), np.zeros(k, dtype=np.int64),
                   np.zeros((len(cond.likelihoods), targets), dtype=np.int64),
                   power=cond.power, full_pilot_ess=cond.full_pilot_ess,
                   pilot_draws=cond.pilot_draws)  # fmt: skip

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
