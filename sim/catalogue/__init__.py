"""Packaged data: indicators, targets, levers, parameters and the sourced observations.

This module reads the files that describe indicators and observations; targets and levers
are read and validated by :mod:`sim.targets` and :mod:`sim.levers`, which build on it.

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

from pydantic import BaseModel, ConfigDict, ValidationError

from sim.errors import CatalogueError, Problem
from sim.validation import problems_from, read_toml

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
    packaged one: indicators.toml, targets.toml, levers.toml, parameters/, observations.csv).

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


@cached
def indicators() -> dict[str, Indicator]:
    """All indicators, keyed by id, in catalogue order."""
    return load_entries(catalogue_dir() / "indicators.toml", "indicators", Indicator)  # type: ignore[return-value]


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
