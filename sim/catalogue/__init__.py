"""Packaged data: indicators, targets, levers, parameters and the sourced observations.

This module reads the files that describe indicators and observations; targets and levers
are read and validated by :mod:`sim.targets` and :mod:`sim.levers`, which build on it.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, ValidationError

from sim.errors import CatalogueError, Problem
from sim.validation import problems_from, read_toml

CATALOGUE_DIR = Path(__file__).resolve().parent

IndicatorType = Literal["stock", "flow", "ratio"]
# Model components in the order they step within a year (DESIGN §4).
Component = Literal[
    "macro",
    "talent",
    "firms",
    "rnd",
    "patents",
    "industry",
    "collaboration",
    "platforms",
    "agriculture",
]
COMPONENTS: tuple[str, ...] = get_args(Component)


class Indicator(BaseModel):
    """A simulated quantity per draw and year."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name_zh: str
    name_en: str
    type: IndicatorType
    unit: str
    component: Component
    observed_as: str | None = None


class Observation(BaseModel):
    """One sourced figure of ``observations.csv``."""

    model_config = ConfigDict(frozen=True)

    scope: str
    indicator: str
    year: int
    value: float
    unit: str
    status: Literal["reported", "prelim", "derived", "census", "unofficial"]
    source_url: str
    page_date: str
    note: str
    preferred: bool


def load_entries(path: Path, section: str, model: type[BaseModel]) -> dict[str, BaseModel]:
    """Read ``[section.<id>]`` tables of a catalogue file into validated models keyed by id."""
    data, lines = read_toml(path, CatalogueError)
    tables = data.get(section)
    if not isinstance(tables, dict) or not tables:
        raise CatalogueError(str(path), [Problem(section, "missing or empty section")])
    out: dict[str, BaseModel] = {}
    problems: list[Problem] = []
    for entry_id, body in tables.items():
        try:
            out[entry_id] = model.model_validate({"id": entry_id, **body})
        except ValidationError as exc:
            for p in problems_from(exc, model, lines):
                key = f"{section}.{entry_id}.{p.key}"
                problems.append(Problem(key, p.message, p.line, p.suggestion))
    if problems:
        raise CatalogueError(str(path), problems)
    return out


@cache
def indicators() -> dict[str, Indicator]:
    """All indicators, keyed by id, in catalogue order."""
    return load_entries(CATALOGUE_DIR / "indicators.toml", "indicators", Indicator)  # type: ignore[return-value]


@cache
def observations() -> tuple[Observation, ...]:
    """Every row of ``observations.csv`` (both rows where two sources disagree)."""
    with open(CATALOGUE_DIR / "observations.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return tuple(
        Observation.model_validate({**r, "preferred": r["preferred"] == "true"}) for r in rows
    )


def observed(indicator_id: str, year: int, scope: str = "qidong") -> Observation | None:
    """The preferred observation of a model indicator in a year, or ``None`` if unpublished."""
    ind = indicators()[indicator_id]
    if ind.observed_as is None:
        return None
    for obs in observations():
        if (obs.scope, obs.indicator, obs.year) == (scope, ind.observed_as, year) and obs.preferred:
            return obs
    return None
