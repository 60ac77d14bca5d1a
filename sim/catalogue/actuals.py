"""Actuals: the periods they may cover, the values they may take and the observation model
that says how each one observes the simulated value (``observation_models.toml``).

An actual is a figure published after the policy date (a statistics bulletin, a January–May
release), entered by the bureau in a scenario's ``[[actuals]]``. This module says how it
observes the model (:func:`observation_for`); :mod:`sim.update` turns that into each draw's
likelihood and conditions the run on it.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.catalogue import cached, catalogue_dir, indicators, units
from sim.errors import CatalogueError, Problem
from sim.validation import line_of, problems_from, read_toml

# The simulated years an actual may fall in (sim.plan simulates 2023–2025 from the 2022 start;
# the catalogue layer may not import the engine's plan, so the years are stated here too and a
# test checks they agree).
ACTUAL_YEARS = (2023, 2024, 2025)
_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2})\.\.(\d{2}))?$")
Status = Literal["reported", "preliminary"]


class _Basis(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _basis() -> str:  # a Field for a "…_basis" text: a source or an assumption
    return Field(pattern=r"^(source|assumption)", min_length=20)


class Measurement(_Basis):
    """Error of full-year figures: preliminary, and under a changed definition."""

    reported_log_sd: float = Field(gt=0, lt=1)
    reported_log_sd_basis: str = _basis()
    preliminary_log_sd: float = Field(gt=0, lt=1)
    preliminary_log_sd_basis: str = _basis()
    definition_changed_factor: float = Field(ge=1, le=10)
    definition_changed_basis: str = _basis()
    definition_changed_min_log_sd: float = Field(gt=0, lt=1)
    definition_changed_min_log_sd_basis: str = _basis()


class RatioYTD(_Basis):
    """A ratio's year-to-date value: the annual ratio with a multiplicative error."""

    model: Literal["ratio_error"]
    log_sd: float = Field(gt=0, lt=1)
    log_sd_basis: str = _basis()


class Seasonal(_Basis):
    """The seasonal factor of a flow's year-to-date fraction, with its basis."""

    seasonal_factor: float = Field(gt=0, le=2)
    seasonal_factor_basis: str = _basis()


class FlowYTD(Seasonal):
    """A flow's year-to-date value: an uncertain fraction of the annual total."""

    model: Literal["fraction"]
    fraction_sd: float = Field(gt=0, lt=0.5)
    fraction_sd_basis: str = _basis()
    indicators: dict[str, Seasonal] = {}


class StockYTD(_Basis):
    """A stock has no year-to-date value (refused)."""

    model: Literal["unsupported"]


class YearToDate(_Basis):
    """The year-to-date model of each indicator type."""

    ratio: RatioYTD
    flow: FlowYTD
    stock: StockYTD


class UnitRange(_Basis):
    """The largest value of a unit, and whether it counts whole things."""

    max: float = Field(gt=0)
    whole: bool = False


class ValueRanges(_Basis):
    """The range of an actual's value, by unit."""

    basis: str = _basis()
    units: dict[str, UnitRange]


class ObservationModels(_Basis):
    """The whole of ``observation_models.toml``."""

    measurement: Measurement
    year_to_date: YearToDate
    value_ranges: ValueRanges


@cached
def observation_models() -> ObservationModels:
    """The observation models, validated (every indicator and unit named must exist)."""
    path = catalogue_dir() / "observation_models.toml"
    data, lines = read_toml(path, CatalogueError)
    try:
        models = ObservationModels.model_validate(data)
    except ValidationError as exc:
        raise CatalogueError(str(path), problems_from(exc, ObservationModels, lines)) from None
    problems = []
    for ind in models.year_to_date.flow.indicators:
        if indicators().get(ind) is None or indicators()[ind].type != "flow":
            key = f"year_to_date.flow.indicators.{ind}"
            problems.append(Problem(key, "not a flow indicator", line_of(lines, key)))
    missing = sorted(set(units()) - set(models.value_ranges.units))
    if missing:
        problems.append(Problem("value_ranges.units", f"no range for units {missing}"))
    if problems:
        raise CatalogueError(str(path), problems)
    return models


@dataclass(frozen=True)
class Period:
    """A full year (``months is None``) or January to month ``months`` of ``year``."""

    year: int
    months: int | None = None

    @property
    def kind(self) -> str:
        """ "full year" or "year to date"."""
        return "full year" if self.months is None else "year to date"

    def __str__(self) -> str:
        return str(self.year) if self.months is None else f"{self.year}-01..{self.months:02d}"


def parse_period(text: str) -> Period | str:
    """The :class:`Period` of ``text``, or what is wrong with it (a message)."""
    expected = 'expected a year such as "2024" or a year-to-date span such as "2024-01..05"'
    match = _PERIOD.match(text)
    if match is None:
        return f"{text!r} is not a period; {expected}"
    year, start, end = int(match[1]), match[2], match[3]
    first, last = ACTUAL_YEARS[0], ACTUAL_YEARS[-1]
    if year not in ACTUAL_YEARS:
        return f"{year} is outside the simulated years; expected {first} to {last}"
    if start is None or end is None:
        return Period(year)
    a, b = int(start), int(end)
    if not (1 <= a <= 12 and 1 <= b <= 12):
        return f"{text!r}: months are 01 to 12"
    if a > b:
        return f"{text!r}: the span starts after it ends; expected start ≤ end within one year"
    if a != 1:
        return (
            f'{text!r}: a year-to-date span starts in January (01); expected "{year}-01..{b:02d}"'
        )
    if b == 12:
        return f'{text!r} is the full year; write "{year}"'
    return Period(year, b)


def value_problem(indicator_id: str, value: float) -> str | None:
    """What is wrong with ``value`` for the indicator (its unit's range), or ``None``."""
    unit = indicators()[indicator_id].unit
    rule = observation_models().value_ranges.units[unit]
    if not 0 <= value <= rule.max:
        return f"{value:g} is out of range; expected 0 to {rule.max:,.0f} {unit}"
    if rule.whole and value != int(value):
        return f"{value:g} is not a whole number; a count of {unit} is"
    if not rule.whole and value == 0:
        # the observation models are multiplicative errors (sim.update): only counts, compared
        # as log(x + 0.5), can observe a 0
        return f"0 is not a {unit} figure the model can observe; expected a positive value"
    return None


def year_to_date_problem(indicator_id: str) -> str | None:
    """Why the indicator has no year-to-date observation model, or ``None`` if it has one."""
    kind = indicators()[indicator_id].type
    if kind == "stock":
        return (
            "a stock has no year-to-date figure (its level changes at the year's certification "
            "and entry batches); give the year-end figure with a full-year period"
        )
    return None


@dataclass(frozen=True)
class Observation:
    """How one actual observes the model, in words and numbers (for `sim actuals`).

    Every actual has a multiplicative error ``exp(e)``, ``e ~ N(0, log_sd)``. A year-to-date
    flow instead observes ``f × annual`` with ``f ~ Beta`` of mean ``fraction_mean`` and sd
    ``fraction_sd`` (the figure's own error already folded in, see ``observation_models.toml``).
    """

    model: str  # "reporting error", "measurement error", "ratio error" or "fraction"
    log_sd: float = 0.0  # sd of the multiplicative error (a fraction model has none left)
    fraction_mean: float | None = None  # year-to-date fraction of the annual total
    fraction_sd: float | None = None

    def describe(self) -> str:
        """One line for the table of `sim actuals`."""
        if self.model == "fraction":
            return (
                f"fraction: ytd = f × annual, f ~ Beta(mean {self.fraction_mean:.3f}, "
                f"sd {self.fraction_sd:.3f})"
            )
        return f"{self.model}: × exp(N(0, {self.log_sd:.4f}))"

    def beta(self) -> tuple[float, float]:
        """The (a, b) of the fraction's Beta distribution (a fraction model only)."""
        assert self.fraction_mean is not None and self.fraction_sd is not None
        mean, var = self.fraction_mean, self.fraction_sd**2
        common = mean * (1 - mean) / var - 1
        return mean * common, (1 - mean) * common


def observation_for(
    indicator_id: str, period: Period, status: Status, definition_changed: bool = False
) -> Observation:
    """The observation model of one actual (see ``observation_models.toml``)."""
    models = observation_models()
    m = models.measurement
    sd = m.reported_log_sd
    name = "reporting error"
    if status == "preliminary":
        name, sd = "measurement error", math.hypot(sd, m.preliminary_log_sd)
    if definition_changed:
        name, sd = "definition changed", max(sd * m.definition_changed_factor,
                                             m.definition_changed_min_log_sd)  # fmt: skip
    kind = indicators()[indicator_id].type
    if period.months is not None and kind == "ratio":
        return Observation("ratio error", math.hypot(sd, models.year_to_date.ratio.log_sd))
    if period.months is not None:
        flow = models.year_to_date.flow
        factor = flow.indicators.get(indicator_id, flow).seasonal_factor
        mean = period.months / 12 * factor
        # f × exp(e) with E exp(e) = 1: same mean, variance (sd² + mean²)·exp(s²) − mean²
        var = (flow.fraction_sd**2 + mean**2) * math.exp(sd**2) - mean**2
        var = min(var, MAX_BETA_VAR_SHARE * mean * (1 - mean))
        return Observation("fraction", 0.0, mean, math.sqrt(var))
    return Observation(name, sd)


# A Beta needs var < mean·(1 − mean); a fraction whose error would exceed that is capped at 95 %
# of the bound (a U-shaped Beta, as uninformative as a fraction can be).
MAX_BETA_VAR_SHARE = 0.95


@dataclass(frozen=True)
class Pair:
    """A unit-year with a preliminary and a final figure."""

    scope: str
    indicator: str
    year: int
    preliminary: float
    final: float

    @property
    def log_ratio(self) -> float:
        """log(preliminary / final)."""
        return math.log(self.preliminary / self.final)


_FINAL_RANK = {"reported": 0, "derived": 1}  # a reported final figure wins over a derived one


def _rows() -> list[dict[str, str]]:
    """Every row of observations.csv and reference_class/*.csv."""
    folder = catalogue_dir()
    rows: list[dict[str, str]] = []
    for path in [folder / "observations.csv", *sorted((folder / "reference_class").glob("*.csv"))]:
        with open(path, encoding="utf-8", newline="") as f:
            rows.extend(csv.DictReader(f))
    return rows


def preliminary_final_pairs() -> list[Pair]:
    """Unit-years of observations.csv and reference_class/*.csv with a preliminary figure that
    is an estimate (not a lower bound: "lower bound" in its note) and a final figure."""
    rows = _rows()
    prelim: dict[tuple[str, str, str], float] = {}
    final: dict[tuple[str, str, str], tuple[int, float]] = {}
    for r in rows:
        key = (r["scope"], r["indicator"], r["year"])
        if r["status"] == "prelim" and "lower bound" not in r["note"]:
            prelim.setdefault(key, float(r["value"]))
        elif r["status"] in _FINAL_RANK:
            rank = _FINAL_RANK[r["status"]]
            if key not in final or rank < final[key][0]:
                final[key] = (rank, float(r["value"]))
    return [
        Pair(k[0], k[1], int(k[2]), v, final[k][1]) for k, v in sorted(prelim.items()) if k in final
    ]


def preliminary_log_sd() -> float:
    """Root mean square of log(preliminary / final) over :func:`preliminary_final_pairs` (the
    sd of a zero-mean multiplicative error)."""
    logs = [p.log_ratio for p in preliminary_final_pairs()]
    return math.sqrt(sum(x * x for x in logs) / len(logs))


def final_final_pairs() -> list[Pair]:
    """Unit-years with two different final figures (``reported`` or ``derived``), as pairs
    (``preliminary`` holds the smaller)."""
    pairs: dict[tuple[str, str, str], set[float]] = {}
    for r in _rows():
        if r["status"] in _FINAL_RANK:
            pairs.setdefault((r["scope"], r["indicator"], r["year"]), set()).add(float(r["value"]))
    return [
        Pair(k[0], k[1], int(k[2]), min(v), max(v)) for k, v in sorted(pairs.items()) if len(v) == 2
    ]


def reported_log_sd() -> float:
    """The sd ``s`` of a final figure's error: two independent final figures of one quantity
    differ in log by ``s·√2``, so ``s`` is the rms log ratio of :func:`final_final_pairs` / √2."""
    logs = [p.log_ratio for p in final_final_pairs()]
    return math.sqrt(sum(x * x for x in logs) / len(logs) / 2)
