"""The start state's one provider: the start year, what was observed then, and how values set
for the end of 2022 are carried back to an earlier start.

A run starts at the end of 2022 (the policy's baseline); the backcast starts at the end of
2020 and simulates 2021–2022 to check the model against what was then observed. Priors and
rates in the catalogue refer to the end of 2022 (:data:`BASE_YEAR`); a component writes its
``init`` once, for any start year, with :meth:`Start.observed` (the published figure of an
indicator) and :meth:`Start.carry_back` (a 2022 value taken back ``years_back`` years by the
component's own growth), instead of branching on the year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.catalogue import observed
from sim.errors import SimError

BASE_YEAR = 2022  # the end of 2022: the state the priors and rates describe
EARLIEST_START = 2020  # the certified stock of December 2020 (228) is the oldest anchor needed
# A run starts at the end of 2022; the backcast at the end of 2020, the last year before 2022
# with the observations every component needs (2021 lacks several of them).
STARTS = (EARLIEST_START, BASE_YEAR)
# How far back :meth:`Start.latest` looks for a figure published with a lag (the resident
# population of the start year comes out in the year after; two years covers a late bulletin).
PUBLICATION_LAG_YEARS = 2


class StartError(SimError):
    """The start state cannot be built for the year asked (an observation is missing)."""


@dataclass(frozen=True)
class Start:
    """Where a run starts: the year (end of), the number of draws, and observations."""

    year: int
    n: int

    def __post_init__(self) -> None:
        if self.year not in STARTS:
            raise StartError(
                f"a run starts at the end of {BASE_YEAR} (or {EARLIEST_START} for the backcast), "
                f"not {self.year}"
            )

    @property
    def years_back(self) -> int:
        """Years from the start back from the end of 2022 (0 for a normal run, 2 for 2020)."""
        return BASE_YEAR - self.year

    @property
    def at_base(self) -> bool:
        """Whether the run starts at the end of 2022, where the priors are set."""
        return self.year == BASE_YEAR

    def observed(self, indicator: str, year: int | None = None, scope: str = "qidong") -> float:
        """The preferred published value of ``indicator`` in ``year`` (default: the start year).

        Raises :class:`StartError` naming the indicator and year when nothing was published.
        """
        year = self.year if year is None else year
        obs = observed(indicator, year, scope)
        if obs is None:
            raise StartError(
                f"no {scope} observation of {indicator!r} in {year} in observations.csv: "
                "the start state needs it"
            )
        return obs.value

    def observed_or_none(self, indicator: str, year: int | None = None) -> float | None:
        """Like :meth:`observed`, but ``None`` where the figure was not published."""
        obs = observed(indicator, self.year if year is None else year)
        return None if obs is None else obs.value

    def full(self, indicator: str, dtype: type = float) -> np.ndarray:
        """The start year's observation of ``indicator`` for every draw."""
        return np.full(self.n, self.observed(indicator), dtype=dtype)

    def latest(self, indicator: str, growth: np.ndarray, year: int | None = None) -> np.ndarray:
        """The last observation at or before ``year`` (default: the start year), grown to it.

        For an indicator published with a lag (the resident population of 2022 was not yet
        out): ``value_y · (1 + growth)^(year − y)``; the observation itself, for every draw,
        when it was published for ``year``.
        """
        year = self.year if year is None else year
        for seen in range(year, year - PUBLICATION_LAG_YEARS - 1, -1):
            value = self.observed_or_none(indicator, seen)
            if value is not None:
                if seen == year:
                    return np.full(self.n, value)
                return value * (1 + growth) ** (year - seen)
        raise StartError(f"no observation of {indicator!r} up to {year} in observations.csv")

    def carry_back(self, value: np.ndarray, per_year: np.ndarray | float = 1.0,
                   total: np.ndarray | float = 1.0) -> np.ndarray:  # fmt: skip
        """A value set for the end of 2022, carried back to the start year.

        ``value / (per_year ** years_back · total)``: ``per_year`` is the yearly growth factor
        and ``total`` any growth over the whole span that is known as one figure (e.g. the
        observed GDP growth 2020→22). ``value`` itself, untouched, when the run starts in 2022.
        """
        if self.at_base:
            return value
        return value / (per_year**self.years_back * total)

    def scaled_like(self, value: np.ndarray, indicator: str) -> np.ndarray:
        """A 2022 value scaled to the start year in proportion to an observed indicator.

        ``value · observed(start) / observed(2022)``; ``value`` itself at the base.
        """
        if self.at_base:
            return value
        return value * self.observed(indicator) / self.observed(indicator, BASE_YEAR)

    def growth_to_base(self, indicator: str) -> float:
        """Observed growth of ``indicator`` from the start year to 2022 (1 at the base)."""
        if self.at_base:
            return 1.0
        return self.observed(indicator, BASE_YEAR) / self.observed(indicator)
