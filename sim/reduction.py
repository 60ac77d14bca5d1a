"""Streaming reduction of chunk outputs to integer counts: hits, histograms, co-failures.

Everything kept is an integer count (or a small sample of whole trajectories), so merging
partial results is exact and order-independent, and memory does not grow with the draws.
Distributions are kept as histograms on fixed grids chosen from the first chunk (the pilot):
integer-valued quantities on unit-width bins (exact quantiles), others on 4,096 bins over
twice the pilot's range, with an underflow and an overflow bin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.targets import Target, groups

if TYPE_CHECKING:
    from sim.engine import Plan
    from sim.scenario import Scenario

N_BINS = 4096


@dataclass(frozen=True)
class Grid:
    """Histogram bins: ``bins`` bins of width ``width`` from ``lo``, plus under- and overflow."""

    lo: float
    width: float
    bins: int
    integer: bool

    @classmethod
    def for_values(cls, x: np.ndarray) -> Grid:
        """A grid covering the values of a pilot sample with room on either side."""
        x = x[np.isfinite(x)]
        if x.size == 0:
            return cls(0.0, 1.0, 1, False)
        lo, hi = float(x.min()), float(x.max())
        span = max(hi - lo, abs(hi) * 0.1, 1.0)
        lo, hi = lo - 0.5 * span, hi + 0.5 * span
        if float(x.min()) >= 0:
            lo = max(lo, 0.0)
        if np.all(x == np.round(x)):
            width = max(1.0, math.ceil((hi - lo) / N_BINS))
            start = math.floor(lo) - 0.5
            return cls(start, width, math.ceil((hi - start) / width) + 1, True)
        return cls(lo, (hi - lo) / N_BINS, N_BINS, False)

    def counts(self, x: np.ndarray) -> np.ndarray:
        """Histogram of ``x``: index 0 underflow, 1..bins the bins, bins+1 overflow."""
        idx = np.floor((np.asarray(x, dtype=float) - self.lo) / self.width)
        idx = (
            np.clip(np.nan_to_num(idx, nan=self.bins, posinf=self.bins, neginf=-1), -1, self.bins)
            + 1
        )
        return np.bincount(idx.astype(np.int64), minlength=self.bins + 2)

    def quantile(self, counts: np.ndarray, q: float) -> float:
        """The q-quantile of the histogrammed values (inverse CDF, interpolated in a bin)."""
        total = counts.sum()
        if total == 0:
            return math.nan
        target = q * total
        cum = np.cumsum(counts)
        i = int(np.searchsorted(cum, target, side="left"))
        i = min(i, len(counts) - 1)
        if i == 0:
            return self.lo
        if i == len(counts) - 1:
            return self.lo + self.bins * self.width
        left = self.lo + (i - 1) * self.width
        if self.integer:
            return left + self.width / 2  # the bin's integer (exact for unit-width bins)
        before = cum[i - 1]
        inside = counts[i]
        frac = 0.0 if inside == 0 else (target - before) / inside
        return left + frac * self.width

    def mean(self, counts: np.ndarray) -> float:
        """Mean of the histogrammed values (bin centres; edge bins at the grid's ends)."""
        centres = self.lo + (np.arange(self.bins + 2) - 0.5) * self.width
        centres[0], centres[-1] = self.lo, self.lo + self.bins * self.width
        total = counts.sum()
        return float(centres @ counts / total) if total else math.nan


@dataclass(frozen=True)
class Edges:
    """The grids of one scenario: judged value per target, each recorded series per year."""

    targets: dict[str, Grid]
    series: dict[str, tuple[Grid, ...]]


def pilot_edges(plan: Plan, scenario: Scenario, series: dict[str, np.ndarray]) -> Edges:
    """Grids from the pilot chunk's values."""
    targets = plan.targets_of(scenario)
    judged = {
        tid: Grid.for_values(t.judged_value(series[t.indicator], plan.years))
        for tid, t in targets.items()
        if t.indicator in series
    }
    per_year = {
        name: tuple(Grid.for_values(v[:, j]) for j in range(v.shape[1]))
        for name, v in series.items()
    }
    return Edges(judged, per_year)


@dataclass
class Accumulator:
    """Integer counts of one scenario over the chunks reduced so far."""

    years: tuple[int, ...]
    targets: dict[str, Target]
    modelled: tuple[str, ...]  # target ids whose indicator some component produces
    edges: Edges
    draws: int = 0
    met: np.ndarray = field(default=None)  # type: ignore[assignment]
    judged: dict[str, np.ndarray] = field(default_factory=dict)
    n_met: np.ndarray = field(default=None)  # type: ignore[assignment]
    all_met: int = 0
    group_all_met: dict[str, int] = field(default_factory=dict)
    cofail: np.ndarray = field(default=None)  # type: ignore[assignment]
    series: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (years, bins+2)
    sample: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (SAMPLE, years)
    sample_size: int = 0
    pair_gain: np.ndarray | None = None  # draws met here but not in the reference scenario
    pair_loss: np.ndarray | None = None  # draws met in the reference but not here
    pair_all: tuple[int, int] = (0, 0)  # the same two counts for "all targets met"
    seconds: float = 0.0

    @classmethod
    def empty(cls, plan: Plan, scenario: Scenario, edges: Edges) -> Accumulator:
        """Zero counts on the given grids."""
        from sim.engine import SAMPLE

        targets = plan.targets_of(scenario)
        modelled = tuple(t for t in targets if t in edges.targets)
        k = len(modelled)
        acc = cls(years=plan.years, targets=targets, modelled=modelled, edges=edges)
        acc.met = np.zeros(k, dtype=np.int64)
        acc.n_met = np.zeros(k + 1, dtype=np.int64)
        acc.cofail = np.zeros((k, k), dtype=np.int64)
        acc.judged = {t: np.zeros(edges.targets[t].bins + 2, dtype=np.int64) for t in modelled}
        acc.series = {
            name: np.zeros((len(grids), max(g.bins for g in grids) + 2), dtype=np.int64)
            for name, grids in edges.series.items()
        }
        acc.sample = {name: np.full((SAMPLE, len(plan.years)), np.nan) for name in edges.series}
        acc.group_all_met = {g: 0 for g in groups() if any(targets[t].group == g for t in modelled)}
        return acc

    def add(self, series: dict[str, np.ndarray], first_draw: int) -> np.ndarray:
        """Count one chunk; returns its (draws, targets) boolean matrix of targets met."""
        n = next(iter(series.values())).shape[0]
        met = np.empty((n, len(self.modelled)), dtype=bool)
        for j, tid in enumerate(self.modelled):
            t = self.targets[tid]
            value = t.judged_value(series[t.indicator], self.years)
            met[:, j] = value >= t.threshold
            self.judged[tid] += self.edges.targets[tid].counts(value)
        self.draws += n
        self.met += met.sum(axis=0)
        count = met.sum(axis=1)
        self.n_met += np.bincount(count, minlength=len(self.modelled) + 1)
        self.all_met += int((count == len(self.modelled)).sum())
        for g in self.group_all_met:
            cols = [j for j, t in enumerate(self.modelled) if self.targets[t].group == g]
            self.group_all_met[g] += int(met[:, cols].all(axis=1).sum())
        fail = (~met).astype(np.int64)
        self.cofail += fail.T @ fail
        for name, values in series.items():
            for j, grid in enumerate(self.edges.series[name]):
                c = grid.counts(values[:, j])
                self.series[name][j, : c.size] += c
        from sim.engine import SAMPLE

        if first_draw < SAMPLE:
            take = min(SAMPLE - first_draw, n)
            for name, values in series.items():
                self.sample[name][first_draw : first_draw + take] = values[:take]
            self.sample_size = max(self.sample_size, first_draw + take)
        return met

    def add_pairs(self, reference_met: np.ndarray, met: np.ndarray) -> None:
        """Count, per target, draws where this scenario and the reference disagree."""
        if self.pair_gain is None:
            self.pair_gain = np.zeros(met.shape[1], dtype=np.int64)
            self.pair_loss = np.zeros(met.shape[1], dtype=np.int64)
        self.pair_gain += (met & ~reference_met).sum(axis=0)
        self.pair_loss += (~met & reference_met).sum(axis=0)
        mine, ref = met.all(axis=1), reference_met.all(axis=1)
        self.pair_all = (
            self.pair_all[0] + int((mine & ~ref).sum()),
            self.pair_all[1] + int((~mine & ref).sum()),
        )

    def merge(self, other: Accumulator) -> None:
        """Add another accumulator's counts (same plan, same grids)."""
        self.draws += other.draws
        self.met += other.met
        self.n_met += other.n_met
        self.all_met += other.all_met
        for g, c in other.group_all_met.items():
            self.group_all_met[g] += c
        self.cofail += other.cofail
        for tid, c in other.judged.items():
            self.judged[tid] += c
        for name, c in other.series.items():
            self.series[name] += c
        if other.sample_size:
            for name, values in other.sample.items():
                mask = ~np.isnan(values[:, 0])
                self.sample[name][mask] = values[mask]
            self.sample_size = max(self.sample_size, other.sample_size)
        if other.pair_gain is not None:
            if self.pair_gain is None:
                self.pair_gain = np.zeros_like(other.pair_gain)
                self.pair_loss = np.zeros_like(other.pair_loss)
            self.pair_gain += other.pair_gain
            self.pair_loss += other.pair_loss
            self.pair_all = (
                self.pair_all[0] + other.pair_all[0],
                self.pair_all[1] + other.pair_all[1],
            )
