"""Packaged data: indicators, units, targets, levers, parameters and the sourced observations.

This module reads the files that describe indicators, their units and observations; targets,
levers and parameters are read and validated by :mod:`sim.targets`, :mod:`sim.levers` and
:mod:`sim.priors`, which build on it.

Every loader is cached (:func:`cached`). :func:`use_catalogue` points all of them at another
folder for a while — a copy with an extra target, indicator and lever, say — and clears the
caches on the way in and out, together with any cache registered with :func:`on_reset`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.errors import CatalogueError, Problem
from sim.validation import line_of, problems_from, read_toml, suggest

PACKAGED_DIR = Path(__file__).resolve().parent
_active_dir = PACKAGED_DIR
_resets: list[Callable[[], None]] = []
F = TypeVar("F", bound=Callable[..., Any])

IndicatorType = Literal["stock", "flow", "ratio"]


def catalogue_dir() -> Path:
    """The folder the catalogue is read from (the packaged one unless :func:`use_catalogue`)."""
    return _active_dir


def on_reset(clear: Callable[[], None]) -> None:
    """Register a function that clears a cache built from the catalogue."""
    _resets.append(clear)


def cached(func: F) -> F:
    """``functools.cache`` whose cache is cleared whenever the catalogue folder changes."""
    wrapped = cache(func)
    on_reset(wrapped.cache_clear)
    return wrapped  # type: ignore[return-value]


def reset_caches() -> None:
    """Forget everything read from the catalogue (the next call reads the files again)."""
    for clear in _resets:
        clear()


@contextmanager
def use_catalogue(folder: str | Path) -> Iterator[Path]:
    """Read the catalogue from ``folder`` inside the ``with`` block (same layout as the
    packaged one: indicators.toml, units.toml, targets.toml, levers.toml, parameters/,
    observations.csv).

    Meant for tests and for analysts trying out a changed catalogue without editing the
    package; not thread-safe.
    """
    global _active_dir
    previous = _active_dir
    _active_dir = Path(folder).resolve()
    reset_caches()
    try:
        yield _active_dir
    finally:
        _active_dir = previous
        reset_caches()


class Indicator(BaseModel):
    """A simulated quantity per draw and year."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name_zh: str
    name_en: str
    type: IndicatorType
    unit: str
    observed_as: str | None = None
    drivers: tuple[str, ...] = ()


class Unit(BaseModel):
    """A unit of indicators and targets, with how it is written after a number."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


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
                key = ".".join(part for part in (section, entry_id, p.key) if part)
                problems.append(Problem(key, p.message, line_of(lines, key), p.suggestion))
    if problems:
        raise CatalogueError(str(path), problems)
    return out


@cached
def units() -> dict[str, Unit]:
    """Every unit an indicator or a target may be recorded in, keyed by id."""
    return load_entries(catalogue_dir() / "units.toml", "units", Unit)  # type: ignore[return-value]


def unit_problem(key: str, unit: str, lines: dict[str, int]) -> Problem | None:
    """A problem at ``key`` if ``unit`` is not in the units table (with a "did you mean")."""
    known = units()
    if unit in known:
        return None
    message = f"unknown unit {unit!r} (not in units.toml)"
    return Problem(key, message, line_of(lines, key), suggest(unit, known))


@cached
def indicators() -> dict[str, Indicator]:
    """All indicators, keyed by id, in catalogue order, each in a unit of the units table."""
    path = catalogue_dir() / "indicators.toml"
    loaded: dict[str, Indicator] = load_entries(path, "indicators", Indicator)  # type: ignore[assignment]
    _, lines = read_toml(path, CatalogueError)
    problems = [
        p
        for ind in loaded.values()
        if (p := unit_problem(f"indicators.{ind.id}.unit", ind.unit, lines)) is not None
    ]
    if problems:
        raise CatalogueError(str(path), problems)
    return loaded


@cached
def observations() -> tuple[Observation, ...]:
    """Every row of ``observations.csv`` (both rows where two sources disagree)."""
    with open(catalogue_dir() / "observations.csv", encoding="utf-8", newline="") as f:
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
