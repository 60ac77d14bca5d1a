"""The lever state of the page as plain data: measures, slider grids, the URL and validation.

Pure functions, tested without a server or a browser. A *package* is a mapping lever id →
setting for every lever; the URL carries only the settings that differ from the starting
scenario (``?cultivation_programme=2400&talent_programme=4800``), so a link names a package
relative to the scenario the server was started with.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode

from sim.errors import Problem, ScenarioError
from sim.levers import Lever, levers
from sim.scenario import Scenario

Package = dict[str, float]

_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# "三(一)2" → section 三, measure (一); "四3" → section 四 (the safeguards have no measures)
_CLAUSE = re.compile(r"^([一二三四五六七八九])(?:\(([一二三四五六七八九])\))?")
MAX_QUERY_CHARS = 4_000  # 26 levers × ~40 characters is about 1,000
TICKS = 40  # at least this many slider positions over a lever's range


def measure_of(clause: str) -> str:
    """The text key of the policy measure a clause belongs to: ``三(一)2`` → ``measure_3_1``,
    ``四3`` → ``measure_4``; ``measure_other`` for a clause of another form."""
    found = _CLAUSE.match(clause or "")
    if not found:
        return "measure_other"
    section, sub = found.groups()
    key = f"measure_{_CN_NUM[section]}"
    return f"{key}_{_CN_NUM[sub]}" if sub else key


def lever_groups() -> list[tuple[str, list[Lever]]]:
    """Levers grouped by measure, in catalogue order: [(measure key, levers)]."""
    out: dict[str, list[Lever]] = {}
    for lever in levers().values():
        out.setdefault(measure_of(lever.clause), []).append(lever)
    return list(out.items())


def _nice_steps(span: float) -> list[float]:
    """1-2-5 steps from the span down to a hundred-thousandth of it, largest first."""
    top = math.floor(math.log10(span)) if span > 0 else 0
    return [m * 10.0**e for e in range(top, top - 7, -1) for m in (5, 2, 1)]


def _on_grid(value: float, origin: float, step: float) -> bool:
    k = (Decimal(repr(value)) - Decimal(repr(origin))) / Decimal(repr(step))
    return k == k.to_integral_value()


def slider_step(lever: Lever, start: float | None = None) -> float:
    """A 1-2-5 step that puts the status quo, the maximum and ``start`` (the starting
    scenario's setting) on the slider's grid, with at least :data:`TICKS` positions."""
    span = lever.max - lever.min
    points = [lever.status_quo, lever.max] + ([start] if start is not None else [])
    for step in _nice_steps(span):
        if span / step >= TICKS and all(_on_grid(p, lever.min, step) for p in points):
            return step
    return 10.0 ** (math.floor(math.log10(span)) - 6) if span > 0 else 1.0


def clean(value: float) -> float:
    """A setting as a tidy float (2400.0000000001 → 2400.0) for the URL and the file."""
    return float(f"{value:.10g}")


def package_of(scenario: Scenario) -> Package:
    """Every lever's setting in a scenario."""
    return {k: float(v) for k, v in scenario.levers.items()}


def query_of(package: Mapping[str, float], start: Mapping[str, float]) -> str:
    """The URL query of a package: the settings that differ from ``start``, catalogue order."""
    changed = [(k, f"{clean(v):g}") for k, v in package.items() if clean(v) != clean(start[k])]
    return "?" + urlencode(changed) if changed else ""


@dataclass(frozen=True)
class Parsed:
    """A package read from a URL query, and what was wrong with it (nothing applied then)."""

    package: Package
    problems: tuple[str, ...] = ()


def parse_query(query: str, start: Mapping[str, float]) -> Parsed:
    """The package named by a URL query (``?lever=value&…``) on top of ``start``.

    Every key must be a lever and every value a finite number within its range; otherwise
    the starting package is returned with the problems (a link is applied whole or not at all).
    """
    text = (query or "").lstrip("?")
    if len(text) > MAX_QUERY_CHARS:
        return Parsed(dict(start), (f"the link is longer than {MAX_QUERY_CHARS} characters",))
    catalogue = levers()
    package, problems = dict(start), []
    for key, raw in parse_qsl(text, keep_blank_values=True):
        lever = catalogue.get(key)
        if lever is None:
            problems.append(f"{key[:40]!r} is not a lever")
            continue
        try:
            value = float(raw)
        except ValueError:
            problems.append(f"{key} = {raw[:20]!r} is not a number")
            continue
        problem = range_problem(lever, value)
        if problem:
            problems.append(problem)
            continue
        package[key] = value
    return Parsed(dict(start), tuple(problems)) if problems else Parsed(package)


def range_problem(lever: Lever, value: float) -> str | None:
    """Why ``value`` cannot be a setting of ``lever`` (None if it can)."""
    if not math.isfinite(value):
        return f"{lever.id} = {value} is not a finite number"
    if not lever.min <= value <= lever.max:
        return (
            f"{lever.id} = {value:g} is outside its range {lever.min:g}–{lever.max:g} "
            f"{lever.unit_en}"
        )
    return None


def package_from_controls(ids: list[str], values: list[object]) -> Package:
    """The package of the page's slider values (ids and values in the same order).

    Raises :class:`~sim.errors.ScenarioError` naming every lever that is unknown, missing or
    out of its range: the server refuses what the browser should not have sent.
    """
    catalogue = levers()
    problems: list[str] = []
    package: Package = {}
    for key, value in zip(ids, values, strict=True):
        lever = catalogue.get(key)
        if lever is None:
            problems.append(f"{key[:40]!r} is not a lever")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{key} = {str(value)[:20]!r} is not a number")
        elif problem := range_problem(lever, float(value)):
            problems.append(problem)
        else:
            package[key] = float(value)
    missing = sorted(set(catalogue) - set(package) - set(ids))
    problems += [f"{key} has no setting" for key in missing]
    if problems:
        raise ScenarioError("<page>", [Problem("levers", p) for p in problems])
    return package


def scenario_of(start: Scenario, package: Mapping[str, float]) -> Scenario:
    """The starting scenario with the package's settings (validated; ScenarioError if not)."""
    changed = {k: v for k, v in package.items() if v != start.levers[k]}
    return start.with_levers(**changed) if changed else start


def cost_delta_wan(package: Mapping[str, float], start: Mapping[str, float]) -> float:
    """Annual cost of a package minus that of the starting package, in 万元."""
    catalogue = levers()
    return sum(catalogue[k].cost_wan(package[k]) - catalogue[k].cost_wan(start[k]) for k in start)


def package_cost_wan(package: Mapping[str, float]) -> float:
    """Annual cost of a package in 万元 (as :meth:`Scenario.annual_cost_wan`)."""
    catalogue = levers()
    return sum(catalogue[k].cost_wan(v) for k, v in package.items())
