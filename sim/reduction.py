"""Streaming reduction of chunk outputs to integer counts: hits, histograms, co-failures.

Everything kept is an integer count (or a small sample of whole trajectories), so merging
partial results is exact and order-independent, and memory does not grow with the draws.
A run conditioned on actuals (:mod:`sim.update`) counts each draw with its fixed-point integer
weight instead of 1, so the same holds for it; sums of squared weights give its errors.
Distributions are kept as histograms on fixed grids chosen from the first chunk (the pilot):
integer-valued quantities on unit-width bins (exact quantiles), others on 4,096 bins over
twice the pilot's central 99.9 %, with an underflow and an overflow bin.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from sim.targets import Target, groups

if TYPE_CHECKING:
    from sim.plan import Plan
    from sim.scenario import Scenario
    from sim.update import UpdateCounts

N_BINS = 4096
PILOT_RANGE = (0.0005, 0.9995)  # quantiles of the pilot the grid covers (with a margin)
PILOT_MIN = 2000  # below this many pilot values the grid covers their whole range
T = TypeVar("T")


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
        # The grid spans the pilot's central 99.9 %, not its extremes: one draw far in a heavy
        # tail (a break of counting rules) would otherwise widen integer bins to tens of units
        # and blur every quantile; what falls outside lands in the under- or overflow bin.
        lo, hi = (float(v) for v in np.quantile(x, PILOT_RANGE)) if x.size >= PILOT_MIN else (
            float(x.min()), float(x.max()))  # fmt: skip
        span = max(hi - lo, abs(hi) * 0.1, 1.0)
        lo, hi = lo - 0.5 * span, hi + 0.5 * span
        if float(x.min()) >= 0:
            lo = max(lo, 0.0)
        if np.all(x == np.round(x)):
            width = max(1.0, math.ceil((hi - lo) / N_BINS))
            start = math.floor(lo) - 0.5
            return cls(start, width, math.ceil((hi - start) / width) + 1, True)
        return cls(lo, (hi - lo) / N_BINS, N_BINS, False)

    def counts(self, x: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Histogram of ``x`` (each value counted with its integer weight, 1 if none): index 0
        underflow, 1..bins the bins, bins+1 overflow."""
        idx = _bin_index(x, self.lo, self.width, self.bins)
        return _bincount(idx, self.bins + 2, weights)

    def quantile(self, counts: np.ndarray, q: float) -> float:
        """The q-quantile of the histogrammed values (inverse CDF, interpolated in a bin)."""
        return self.quantiles(counts, (q,))[0]

    def quantiles(self, counts: np.ndarray, qs: Sequence[float]) -> list[float]:
        """Several quantiles (each as :meth:`quantile`; the cumulative counts summed once)."""
        total = counts.sum()
        if total == 0:
            return [math.nan] * len(qs)
        cum = np.cumsum(counts)
        return [self._inverse(counts, cum, q * total) for q in qs]

    def _inverse(self, counts: np.ndarray, cum: np.ndarray, target: float) -> float:
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

    def cdf(self, counts: np.ndarray, x: float) -> float:
        """Share of the histogrammed values below ``x`` (half of a bin's mass at ``x``).

        For integer bins this is the mid-distribution percentile P(X < x) + P(X = x) / 2;
        for continuous bins the mass of the bin holding ``x`` is interpolated linearly.
        """
        total = counts.sum()
        if total == 0:
            return float("nan")
        pos = (x - self.lo) / self.width
        i = int(np.clip(np.floor(pos), -1, self.bins)) + 1
        below = counts[:i].sum()
        inside = 0.5 if self.integer or i in (0, self.bins + 1) else pos - (i - 1)
        return float((below + inside * counts[i]) / total)

    def mean(self, counts: np.ndarray) -> float:
        """Mean of the histogrammed values (bin centres; edge bins at the grid's ends)."""
        centres = self.lo + (np.arange(self.bins + 2) - 0.5) * self.width
        centres[0], centres[-1] = self.lo, self.lo + self.bins * self.width
        total = counts.sum()
        return float(centres @ counts / total) if total else math.nan


def _bin_index(x: np.ndarray, lo, width, bins) -> np.ndarray:
    """Bin index 0..bins+1 of each value (0 underflow, bins+1 overflow; ±inf to the ends).

    ``lo``, ``width`` and ``bins`` may be arrays that broadcast against ``x`` (one grid per
    column). fmax/fmin rather than clip, so that a NaN could not become a wild index.
    """
    idx = np.floor((np.asarray(x, dtype=float) - lo) / width)
    idx = np.fmin(np.fmax(idx, -1.0), bins)
    return (idx + 1).astype(np.intp)


def _bincount(idx: np.ndarray, size: int, weights: np.ndarray | None) -> np.ndarray:
    """Counts of each index, or sums of integer weights: bincount adds weights in float64,
    exactly while a chunk's sums stay below 2^53 (:data:`sim.update.MAX_UNIT_BITS`)."""
    if weights is None:
        return np.bincount(idx, minlength=size)
    return np.bincount(idx, weights=weights, minlength=size).astype(np.int64)


def _weighted_sum(flags: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """Per column of a (draws, k) boolean matrix: the draws (or their weights) that are True."""
    if weights is None:
        return flags.sum(axis=0)
    return (flags * weights[:, None]).sum(axis=0)


def _total(flags: np.ndarray, weights: np.ndarray | None) -> int:
    """The draws (or their summed weights) where a boolean vector is True."""
    return int(flags.sum() if weights is None else weights[flags].sum())


def _co_counts(flags: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """(k, k) counts of draws (or their summed weights) where both columns of a (draws, k)
    boolean matrix are True.

    Bit-packed AND and popcount: exact, cheap, and free of BLAS, whose threads would fight
    the worker processes for the cores (a float matmul here halved throughput with 2 jobs).
    Weighted: an integer matmul, which numpy computes without BLAS.
    """
    if weights is not None:
        return flags.T.astype(np.int64) @ (flags * weights[:, None])
    packed = np.packbits(flags, axis=0)
    k = flags.shape[1]
    out = np.empty((k, k), dtype=np.int64)
    for j in range(k):
        out[j] = np.bitwise_count(packed[:, j : j + 1] & packed).sum(axis=0, dtype=np.int64)
    return out


class Shared:
    """What the reduction of one chunk has computed from arrays several scenarios share.

    Scenarios that agree on a series get the same array object from the engine
    (:mod:`sim.chunk`), so a grid, a histogram or a target's judged values computed for one
    of them is looked up by the array's identity for the others: a sweep counts each shared
    series once. One instance serves one chunk; it keeps the arrays it has seen, so no
    identity is reused while it lives.
    """

    def __init__(self) -> None:
        self._found: dict[tuple, tuple[np.ndarray, Any]] = {}

    def get(self, array: np.ndarray, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` for ``array`` and ``key``, once per chunk."""
        ident = (id(array), key)
        found = self._found.get(ident)
        if found is None:
            found = self._found[ident] = (array, compute())
        return found[1]


def _shared(memo: Shared | None, array: np.ndarray, key: Hashable, compute: Callable[[], T]) -> T:
    return compute() if memo is None else memo.get(array, key, compute)


@dataclass(frozen=True)
class Edges:
    """The grids of one scenario: judged value per target, each recorded series per year."""

    targets: dict[str, Grid]
    series: dict[str, tuple[Grid, ...]]


def pilot_edges(
    plan: Plan, scenario: Scenario, series: dict[str, np.ndarray], memo: Shared | None = None
) -> Edges:
    """Grids from the pilot chunk's values (per-year grids of the series the plan keeps:
    :attr:`sim.plan.Plan.series`)."""
    targets = plan.targets_of(scenario)
    judged = {
        tid: _shared(memo, series[t.indicator], ("grid", t.id, t.reading),
                     partial(_judged_grid, t, series[t.indicator], plan.years))
        for tid, t in targets.items()
        if t.indicator in series
    }  # fmt: skip
    per_year = {
        name: _shared(memo, v, "grids", partial(_year_grids, v))
        for name, v in series.items() if plan.keeps_series(name)
    }  # fmt: skip
    return Edges(judged, per_year)


def _judged_grid(t: Target, values: np.ndarray, years: tuple[int, ...]) -> Grid:
    return Grid.for_values(t.judged_value(values, years))


def _year_grids(values: np.ndarray) -> tuple[Grid, ...]:
    return tuple(Grid.for_values(values[:, j]) for j in range(values.shape[1]))


def _judge(
    t: Target, values: np.ndarray, years: tuple[int, ...], grid: Grid, w: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """A target's met flags in one chunk and the histogram of its judged values."""
    judged = t.judged_value(values, years)
    return judged >= t.threshold, grid.counts(judged, w)


def _no_counts(*shape: int) -> np.ndarray:
    return np.zeros(shape, dtype=np.int64)


@dataclass
class Accumulator:
    """Integer counts of one scenario over the chunks reduced so far."""

    years: tuple[int, ...]
    targets: dict[str, Target]
    modelled: tuple[str, ...]  # target ids whose indicator some component produces
    edges: Edges
    draws: int = 0
    # Sums of the draws' weights and squared weights (fixed point, :mod:`sim.update`); in a
    # plain run every weight is 1, so both are the number of draws and every count below is
    # a count of draws. ``unit``/``unit_sq``: the fixed-point value of a weight of 1.
    total: int = 0
    total_sq: int = 0
    unit: int = 1
    unit_sq: int = 1
    met: np.ndarray = field(default_factory=lambda: _no_counts(0))  # hits per target
    met_sq: np.ndarray = field(default_factory=lambda: _no_counts(0))  # Σ w² over hits
    judged: dict[str, np.ndarray] = field(default_factory=dict)
    n_met: np.ndarray = field(default_factory=lambda: _no_counts(0))  # draws by number met
    all_met: int = 0
    group_all_met: dict[str, int] = field(default_factory=dict)
    cofail: np.ndarray = field(default_factory=lambda: _no_counts(0, 0))  # both missed
    series: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (years, bins+2)
    sample: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (capacity, years)
    sample_size: int = 0  # draws kept so far
    sample_capacity: int = 0  # the first draws to keep (the plan's sample size)
    sample_weight: np.ndarray = field(default_factory=lambda: np.ones(0))  # weight / unit
    pair_gain: np.ndarray | None = None  # draws met here but not in the reference scenario
    pair_loss: np.ndarray | None = None  # draws met in the reference but not here
    pair_all: tuple[int, int] = (0, 0)  # the same two counts for "all targets met"
    # A run with actuals: these counts are the posterior's; ``prior`` holds the same draws
    # counted without the actuals, ``update`` the sums that say how the actuals weighed.
    prior: Accumulator | None = None
    update: UpdateCounts | None = None
    seconds: float = 0.0

    @property
    def effective_draws(self) -> float:
        """Kish's effective sample size (Σw)² / Σw²: the draws, in a plain run."""
        if self.total_sq == 0:
            return 0.0
        return float(self.total) ** 2 * self.unit_sq / (float(self.unit) ** 2 * self.total_sq)

    @classmethod
    def empty(cls, plan: Plan, scenario: Scenario, edges: Edges) -> Accumulator:
        """Zero counts on the given grids."""
        targets = plan.targets_of(scenario)
        modelled = tuple(t for t in targets if t in edges.targets)
        k = len(modelled)
        acc = cls(years=plan.years, targets=targets, modelled=modelled, edges=edges,
                  sample_capacity=plan.sample_size)  # fmt: skip
        acc.met = np.zeros(k, dtype=np.int64)
        acc.met_sq = np.zeros(k, dtype=np.int64)
        acc.sample_weight = np.ones(plan.sample_size)
        acc.n_met = np.zeros(k + 1, dtype=np.int64)
        acc.cofail = np.zeros((k, k), dtype=np.int64)
        acc.judged = {t: np.zeros(edges.targets[t].bins + 2, dtype=np.int64) for t in modelled}
        acc.series = {
            name: np.zeros((len(grids), max(g.bins for g in grids) + 2), dtype=np.int64)
            for name, grids in edges.series.items()
        }
        acc.sample = {
            name: np.full((plan.sample_size, len(plan.years)), np.nan) for name in edges.series
        }
        acc.group_all_met = {g: 0 for g in groups() if any(targets[t].group == g for t in modelled)}
        return acc

    def add(
        self,
        series: dict[str, np.ndarray],
        first_draw: int,
        weights: tuple[np.ndarray, np.ndarray] | None = None,
        memo: Shared | None = None,
    ) -> np.ndarray:
        """Count one chunk; returns its (draws, targets) boolean matrix of targets met.

        ``weights``: the draws' fixed-point weights and squared weights (a run with actuals);
        without them every draw counts 1. ``memo``: what other scenarios of the chunk have
        already counted from the same arrays.
        """
        w, w2 = weights if weights is not None else (None, None)
        memo = memo if w is None else None  # weighted counts are the one scenario's own
        n = next(iter(series.values())).shape[0]
        met = np.empty((n, len(self.modelled)), dtype=bool)
        for j, tid in enumerate(self.modelled):
            t, grid = self.targets[tid], self.edges.targets[tid]
            assert t.indicator is not None  # modelled targets are quantitative
            values = series[t.indicator]
            key = ("judged", t.id, t.reading, grid)
            judge = partial(_judge, t, values, self.years, grid, w)
            met[:, j], counts = _shared(memo, values, key, judge)
            self.judged[tid] += counts
        self.draws += n
        self.total += n if w is None else int(w.sum())
        self.total_sq += n if w2 is None else int(w2.sum())
        self.met += _weighted_sum(met, w)
        self.met_sq += _weighted_sum(met, w2)
        count = met.sum(axis=1)
        self.n_met += _bincount(count, len(self.modelled) + 1, w)
        self.all_met += _total(np.asarray(count == len(self.modelled)), w)
        for g in self.group_all_met:
            cols = [j for j, t in enumerate(self.modelled) if self.targets[t].group == g]
            self.group_all_met[g] += _total(np.asarray(met[:, cols].all(axis=1)), w)
        self.cofail += _co_counts(~met, w)
        for name, hist in self.series.items():
            values = series[name]
            hist += _shared(memo, values, ("series", self.edges.series[name]),
                            partial(self._count_series, name, values, w))  # fmt: skip
        if first_draw < self.sample_capacity and self.sample:
            take = min(self.sample_capacity - first_draw, n)
            for name, kept in self.sample.items():
                kept[first_draw : first_draw + take] = series[name][:take]
            if w is not None:
                self.sample_weight[first_draw : first_draw + take] = w[:take] / self.unit
            self.sample_size = max(self.sample_size, first_draw + take)
        return met

    def _count_series(
        self, name: str, values: np.ndarray, weights: np.ndarray | None
    ) -> np.ndarray:
        """Histogram every year of one series with a single bincount (one grid per year)."""
        grids = self.edges.series[name]
        shape = self.series[name].shape
        lo = np.array([g.lo for g in grids])
        width = np.array([g.width for g in grids])
        bins = np.array([g.bins for g in grids], dtype=float)
        idx = _bin_index(values, lo, width, bins) + shape[1] * np.arange(len(grids))
        w = None if weights is None else np.repeat(weights, len(grids))
        return _bincount(idx.ravel(), shape[0] * shape[1], w).reshape(shape)

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
        self.total += other.total
        self.total_sq += other.total_sq
        self.met += other.met
        self.met_sq += other.met_sq
        self.n_met += other.n_met
        self.all_met += other.all_met
        for g, hits in other.group_all_met.items():
            self.group_all_met[g] += hits
        self.cofail += other.cofail
        for tid, counts in other.judged.items():
            self.judged[tid] += counts
        for name, counts in other.series.items():
            self.series[name] += counts
        if other.sample_size:
            for name, values in other.sample.items():
                mask = ~np.isnan(values[:, 0])
                self.sample[name][mask] = values[mask]
            mask = ~np.isnan(other.sample[next(iter(other.sample))][:, 0])
            self.sample_weight[mask] = other.sample_weight[mask]
            self.sample_size = max(self.sample_size, other.sample_size)
        if self.prior is not None and other.prior is not None:
            self.prior.merge(other.prior)
        if self.update is not None and other.update is not None:
            self.update.merge(other.update)
        if other.pair_gain is not None and other.pair_loss is not None:
            if self.pair_gain is None or self.pair_loss is None:
                self.pair_gain = np.zeros_like(other.pair_gain)
                self.pair_loss = np.zeros_like(other.pair_loss)
            self.pair_gain += other.pair_gain
            self.pair_loss += other.pair_loss
            self.pair_all = (
                self.pair_all[0] + other.pair_all[0],
                self.pair_all[1] + other.pair_all[1],
            )
