"""What a run simulates: scenarios sharing a seed and draws, years, chunking and the sample kept.

The constants here are part of the algorithm, not user knobs: the chunk size fixes which
random numbers each draw gets (changing it changes every result), and the first
:data:`SAMPLE` draws are kept whole for plots and notebooks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sim.scenario import Scenario
from sim.targets import Target, quantitative_targets

CHUNK = 8192  # draws per chunk; changing it changes every result, so it is not a user knob
SAMPLE = 2000  # whole trajectories kept for plots and notebooks (the first SAMPLE draws)
START_YEAR = 2022
END_YEAR = 2025


@dataclass(frozen=True)
class Plan:
    """What to simulate: scenarios (sharing seed and draws), years, and how draws are cut."""

    scenarios: tuple[Scenario, ...]
    draws: int
    seed: int
    start_year: int = START_YEAR
    end_year: int = END_YEAR
    chunk_size: int = CHUNK
    sample_size: int = SAMPLE
    temper: bool = True  # actuals: temper the likelihood when the draws are too few (sim.update)
    # False: a sweep's lighter reduction, which keeps only what decisions need — targets met,
    # joint counts, paired gains and losses, judged-value histograms — and neither the yearly
    # histogram of every series (trajectories) nor the sample of whole trajectories. A tuple
    # of series names: those series' yearly histograms and sample only (a live page's fans).
    series: bool | tuple[str, ...] = True

    def keeps_series(self, name: str) -> bool:
        """Whether the run keeps the yearly histogram and the sample of series ``name``."""
        return self.series is True or (isinstance(self.series, tuple) and name in self.series)

    @property
    def years(self) -> tuple[int, ...]:
        """Recorded years: the start year (initial state) and every simulated year."""
        return tuple(range(self.start_year, self.end_year + 1))

    @property
    def sample_draws(self) -> int:
        """Whole trajectories kept: the first ``sample_size`` draws, or all if fewer (none
        without the series)."""
        return min(self.sample_size, self.draws) if self.series not in (False, ()) else 0

    def chunks(self) -> list[tuple[int, int]]:
        """(chunk index, draws in chunk) for every chunk of the run."""
        full, rest = divmod(self.draws, self.chunk_size)
        sizes = [self.chunk_size] * full + ([rest] if rest else [])
        return list(enumerate(sizes))

    def targets_of(self, scenario: Scenario) -> dict[str, Target]:
        """The quantitative targets under the scenario's readings, if judged in these years."""
        out = {}
        for tid, t in quantitative_targets().items():
            if tid in scenario.readings:
                t = t.with_reading(scenario.readings[tid])
            if self.start_year < t.years[0] and t.deadline <= self.end_year:
                out[tid] = t
        return out


def plan_for(
    scenarios: Sequence[Scenario],
    draws: int | None = None,
    seed: int | None = None,
    series: bool | tuple[str, ...] = True,
) -> Plan:
    """A :class:`Plan` for scenarios run together (the first scenario's draws and seed)."""
    if not scenarios:
        raise ValueError("no scenario to run")
    first = scenarios[0]
    return Plan(
        scenarios=tuple(scenarios),
        draws=draws or first.draws,
        seed=first.seed if seed is None else seed,
        series=series,
    )
