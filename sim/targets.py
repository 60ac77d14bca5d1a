"""The policy's targets: catalogue loading, validation, and vectorized evaluation.

Every quantitative target reduces a trajectory to one *judged value* per draw, and is met
when that value reaches the threshold:

========================  ===============================================================
kind                      judged value
========================  ===============================================================
``level``                 the indicator in the last judged year
``each_year``             the smallest yearly value over the judged years (the worst year)
``cumulative``            the sum over the judged years
``growth_each_year``      the smallest year-on-year growth, in percent
``growth_average``        compound average annual growth from the year before the first
                          judged year to the last one, in percent
========================  ===============================================================
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.catalogue import cached, catalogue_dir, indicators, load_entries, unit_problem
from sim.errors import CatalogueError, Problem
from sim.validation import line_of, read_toml

Kind = Literal[
    "level", "each_year", "cumulative", "growth_each_year", "growth_average", "qualitative"
]
QUANTITATIVE_KINDS: tuple[str, ...] = (
    "level",
    "each_year",
    "cumulative",
    "growth_each_year",
    "growth_average",
)
GROWTH_KINDS = ("growth_each_year", "growth_average")
POLICY_YEARS = (2023, 2024, 2025)
BASE_YEAR = 2022  # the start state: end of 2022


class Reading(BaseModel):
    """An alternative reading of an ambiguous target; overrides some fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Kind | None = None
    threshold: float | None = Field(default=None, gt=0)
    years: tuple[int, ...] | None = None
    unit: str | None = None
    note: str


class Group(BaseModel):
    """A goal heading of section 二, used to group targets in tables and charts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name_zh: str
    name_en: str


class Target(BaseModel):
    """A condition on an indicator stated by the policy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name_zh: str
    name_en: str
    short_zh: str = Field(min_length=1)  # the subject for chart labels: 高新技术企业
    short_en: str = Field(min_length=1)
    kind: Kind
    indicator: str | None = None
    threshold: float | None = Field(default=None, gt=0)
    unit: str | None = None
    years: tuple[int, ...]
    clause: str
    also_in: tuple[str, ...] = ()
    responsible: tuple[str, ...]
    responsible_from: str | None = None
    group: str
    note: str | None = None
    readings: dict[str, Reading] = {}
    reading: str | None = None  # name of the reading applied, None for the literal one

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        quantitative = self.kind != "qualitative"
        if quantitative and (self.indicator is None or self.threshold is None or not self.unit):
            raise ValueError("a quantitative target needs indicator, threshold and unit")
        if not quantitative and (self.indicator is not None or self.threshold is not None):
            raise ValueError("a qualitative target has no indicator or threshold")
        if not self.years or any(y not in POLICY_YEARS for y in self.years):
            raise ValueError(f"years must be a non-empty subset of {list(POLICY_YEARS)}")
        if list(self.years) != sorted(set(self.years)):
            raise ValueError("years must be increasing and distinct")
        return self

    @property
    def quantitative(self) -> bool:
        """True unless the target is only listed (qualitative)."""
        return self.kind != "qualitative"

    @property
    def deadline(self) -> int:
        """The last year the target is judged in."""
        return self.years[-1]

    def with_reading(self, name: str) -> Target:
        """This target under one of its alternative readings (see the catalogue note)."""
        if name not in self.readings:
            raise KeyError(name)
        alternative = self.readings[name].model_dump(exclude={"note"}, exclude_none=True)
        overrides = dict(alternative)
        return self.model_validate({**self.model_dump(), **overrides, "reading": name})

    def judged_value(self, trajectory: np.ndarray, years: tuple[int, ...]) -> np.ndarray:
        """Reduce a (draws, years) trajectory of the target's indicator to one value per draw.

        ``years`` labels the columns of ``trajectory`` and must include the judged years (and,
        for growth kinds, the year before the first judged year).
        """
        cols = [years.index(y) for y in self.years]
        x = np.asarray(trajectory, dtype=float)
        if self.kind == "level":
            return x[:, cols[-1]]
        if self.kind == "each_year":
            return x[:, cols].min(axis=1)
        if self.kind == "cumulative":
            return x[:, cols].sum(axis=1)
        prev = cols[0] - 1
        if prev < 0:
            raise ValueError(f"{self.id}: growth needs the year before {self.years[0]}")
        if self.kind == "growth_each_year":
            span = x[:, prev : cols[-1] + 1]
            growth = _ratio(span[:, 1:], span[:, :-1]) - 1.0
            return 100.0 * growth.min(axis=1)
        if self.kind == "growth_average":
            n = cols[-1] - prev
            return 100.0 * (_ratio(x[:, cols[-1]], x[:, prev]) ** (1.0 / n) - 1.0)
        raise ValueError(f"{self.id}: a qualitative target has no judged value")

    def met(self, trajectory: np.ndarray, years: tuple[int, ...]) -> np.ndarray:
        """Boolean per draw: the judged value reaches the threshold."""
        assert self.threshold is not None
        return self.judged_value(trajectory, years) >= self.threshold


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den with 0/0 = 1 (no change) and x/0 = inf, so growth never becomes NaN."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.where(num > 0, np.inf, 1.0))
    return out


@cached
def groups() -> dict[str, Group]:
    """Target groups (the goal headings of section 二), in catalogue order."""
    return load_entries(catalogue_dir() / "targets.toml", "groups", Group)  # type: ignore[return-value]


@cached
def targets() -> dict[str, Target]:
    """Every target of the policy, keyed by id, in catalogue order, checked for consistency."""
    path = catalogue_dir() / "targets.toml"
    loaded: dict[str, Target] = load_entries(path, "targets", Target)  # type: ignore[assignment]
    _, lines = read_toml(path, CatalogueError)
    known_indicators = indicators()
    known_groups = groups()
    problems: list[Problem] = []

    def flag(key: str, message: str) -> None:
        problems.append(Problem(key, message, line_of(lines, key)))

    for t in loaded.values():
        where = f"targets.{t.id}"
        if t.group not in known_groups:
            flag(f"{where}.group", f"unknown group {t.group!r}")
        if t.indicator is not None:
            ind = known_indicators.get(t.indicator)
            if ind is None:
                flag(f"{where}.indicator", f"unknown indicator {t.indicator!r}")
            elif t.kind not in GROWTH_KINDS and t.unit != ind.unit:
                flag(f"{where}.unit", f"{t.unit!r} differs from the indicator's {ind.unit!r}")
        for name in t.readings:
            try:
                t.with_reading(name)
            except ValueError as exc:
                flag(f"{where}.readings.{name}", str(exc))
        used = [(f"{where}.unit", t.unit)]
        used += [(f"{where}.readings.{n}.unit", r.unit) for n, r in t.readings.items()]
        for key, unit in used:
            if unit is not None and (p := unit_problem(key, unit, lines)) is not None:
                problems.append(p)
    if problems:
        raise CatalogueError(str(path), problems)
    return loaded


def quantitative_targets() -> dict[str, Target]:
    """The targets that are simulated (everything but the qualitative goals)."""
    return {k: t for k, t in targets().items() if t.quantitative}
