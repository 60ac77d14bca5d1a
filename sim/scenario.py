"""Scenario files: reading, validation with located messages, and the :class:`Scenario` value.

A scenario is a TOML file::

    name = "baseline"                  # letters, digits, '-', '_' (names the result folder)
    title_zh = "基准情景（现状延续）"      # optional display names for the charts (default: name)
    title_en = "Baseline (status quo)"
    description = "Status quo: every lever at its 2022 level."
    draws = 20000                      # default number of Monte Carlo draws
    seed = 20230305                    # root seed of every random stream

    [levers]                           # lever_id = setting; omitted levers stay at status quo
    project_attraction = 1200

    [readings]                         # target_id = reading name, for ambiguous targets
    tech_contracts_cumulative = "annual_2025"

    [assumptions]                      # parameter_id = value, fixes an uncertain parameter
    "firms.renewal_pass_rate" = 0.8

    [[actuals]]                        # figures published since the policy date (sim.update)
    indicator = "hightech_enterprises"
    period = "2023"                    # a year, or a year-to-date span such as "2024-01..05"
    value = 420
    status = "reported"                # or "preliminary" (carries measurement error)
    source = "statistics bulletin 2023, p. 4"
    definition_changed = false         # optional: the figure's definition changed
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.catalogue import indicators
from sim.catalogue.actuals import Period, parse_period, value_problem, year_to_date_problem
from sim.errors import Problem, ScenarioError, given
from sim.levers import levers
from sim.targets import targets
from sim.validation import line_of, problems_from, read_toml, suggest

# Bounds shared by the scenario file, the command line and saved results.
MAX_DRAWS = 100_000_000  # 10^8: the engine streams chunks (memory bounded), but at ~10^4-10^5
# draws/s a run beyond this takes hours; P(met) is then known to ±0.00005 — far past any use
MIN_DRAWS = 100  # below, P(met) is noise (SE up to 0.05); `sim run` refuses unless --force
WARN_DRAWS = 1_000  # below, P(met) is imprecise (SE up to 0.016): `sim run` warns
SEED_LIMIT = 2**63  # seeds are 0 <= seed < 2^63: int64 in the saved results (NetCDF, JSON)
MAX_DESCRIPTION_CHARS = 2_000  # a paragraph; the pack's cover shows three lines of it
MAX_TITLE_CHARS = 80  # a chart title; the name also names a folder
MAX_ENTRIES = 500  # keys in [levers], [readings] or [assumptions]; the catalogue has far fewer
MAX_READING_CHARS = 80  # a reading name such as "annual_2025"
MAX_ACTUALS = 500  # [[actuals]] entries: 35 indicators × (3 years + 6 year-to-date spans a year
# at bimonthly meetings) is about 300 at most
MAX_SOURCE_CHARS = 200  # "statistics bulletin 2023, p. 4"; a URL fits
MAX_INDICATOR_CHARS = 80  # an indicator id
MAX_PERIOD_CHARS = 12  # "2024-01..05"


class ActualEntry(BaseModel):
    """One ``[[actuals]]`` entry: a published figure of an indicator for a period."""

    model_config = ConfigDict(extra="forbid", strict=True)

    indicator: str = Field(max_length=MAX_INDICATOR_CHARS)
    period: str = Field(max_length=MAX_PERIOD_CHARS)
    value: float = Field(allow_inf_nan=False)
    status: Literal["reported", "preliminary"]
    source: str = Field(min_length=1, max_length=MAX_SOURCE_CHARS)
    definition_changed: bool = False


@dataclass(frozen=True)
class Actual:
    """A validated actual: an indicator's published figure for a full year or year to date."""

    indicator: str
    period: Period
    value: float
    status: Literal["reported", "preliminary"]
    source: str
    definition_changed: bool = False

    def spec(self) -> dict[str, Any]:
        """As written in a scenario file."""
        data = {"indicator": self.indicator, "period": str(self.period), "value": self.value,
                "status": self.status, "source": self.source}  # fmt: skip
        return data | ({"definition_changed": True} if self.definition_changed else {})


class ScenarioFile(BaseModel):
    """The schema of a scenario file, checked strictly (no silent type coercion)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$", max_length=MAX_TITLE_CHARS)
    title_zh: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE_CHARS)
    title_en: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE_CHARS)
    description: str = Field(default="", max_length=MAX_DESCRIPTION_CHARS)
    draws: int = Field(default=20_000, ge=1, le=MAX_DRAWS)
    seed: int = Field(default=20230305, ge=0, lt=SEED_LIMIT)
    levers: dict[str, float] = Field(default={}, max_length=MAX_ENTRIES)
    readings: dict[str, Annotated[str, Field(max_length=MAX_READING_CHARS)]] = Field(
        default={}, max_length=MAX_ENTRIES
    )
    assumptions: dict[str, float] = Field(default={}, max_length=MAX_ENTRIES)
    actuals: list[ActualEntry] = Field(default=[], max_length=MAX_ACTUALS)


def _known_parameters() -> Mapping[str, Any]:
    """Parameters a scenario may fix, with their priors (empty until the model has priors)."""
    try:
        from sim.priors import parameters
    except ImportError:
        return {}
    return parameters()


def semantic_problems(spec: ScenarioFile, lines: dict[str, int]) -> list[Problem]:
    """Check lever ids and ranges, readings and assumptions against the catalogue."""
    problems: list[Problem] = []

    def flag(key: str, message: str, suggestion: str | None = None) -> None:
        problems.append(Problem(key, message, line_of(lines, key), suggestion))

    known_levers = levers()
    for lever_id, value in spec.levers.items():
        key = f"levers.{lever_id}"
        lever = known_levers.get(lever_id)
        if lever is None:
            flag(key, "unknown lever (see `sim levers`)", suggest(lever_id, known_levers))
        elif not lever.min <= value <= lever.max:
            flag(
                key,
                f"{given(value)} is out of range; expected {lever.min:g} to {lever.max:g} "
                f"{lever.unit} "
                f"(status quo {lever.status_quo:g})",
            )
    known_targets = targets()
    for target_id, reading in spec.readings.items():
        key = f"readings.{target_id}"
        target = known_targets.get(target_id)
        if target is None:
            flag(key, "unknown target (see `sim targets`)", suggest(target_id, known_targets))
        elif not target.readings:
            flag(key, "this target has only its literal reading")
        elif reading not in target.readings:
            choices = ", ".join(repr(r) for r in target.readings)
            flag(
                key,
                f"unknown reading {reading!r}; expected one of {choices}",
                suggest(reading, target.readings),
            )
    known_parameters = _known_parameters()
    for param_id, value in spec.assumptions.items():
        key = f'assumptions."{param_id}"'
        prior = known_parameters.get(param_id)
        if prior is None:
            flag(
                key, "unknown parameter (see `sim parameters`)", suggest(param_id, known_parameters)
            )
        elif not prior.allowed_range()[0] <= value <= prior.allowed_range()[1]:
            flag(key, f"{given(value)} is out of range; expected {prior.allowed_text()}")
    return problems


def actual_key(index: int, name: str = "") -> str:
    """The key of entry ``index`` (from 0) of [[actuals]] as shown to a user (from 1)."""
    return f"actuals[{index + 1}]" + (f".{name}" if name else "")


def _numbered(problems: list[Problem]) -> list[Problem]:
    """Problems with pydantic's ``actuals.0.value`` keys shown as ``actuals[1].value``."""
    out = []
    for p in problems:
        match = re.match(r"^actuals\.(\d+)(?:\.(.*))?$", p.key)
        key = actual_key(int(match[1]), match[2] or "") if match else p.key
        message = re.sub(r"\[actuals\.(\d+)\]", lambda m: actual_key(int(m[1])), p.message)
        out.append(replace(p, key=key, message=message))
    return out


def actual_problems(
    spec: ScenarioFile, lines: dict[str, int]
) -> tuple[list[Actual], list[Problem]]:
    """The [[actuals]] checked against the catalogue: known indicator, period inside the
    simulated years, value in the indicator's range, no two for one indicator and year."""
    actuals: list[Actual] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, int], int] = {}
    known = indicators()
    for i, entry in enumerate(spec.actuals):

        def flag(name: str, message: str, suggestion: str | None = None) -> None:
            line = line_of(lines, f"actuals.{i}.{name}")  # noqa: B023 - called in this iteration
            problems.append(Problem(actual_key(i, name), message, line, suggestion))  # noqa: B023

        before = len(problems)
        period = parse_period(entry.period)
        if entry.indicator not in known:
            flag("indicator", "unknown indicator (see sim/catalogue/indicators.toml)",
                 suggest(entry.indicator, known))  # fmt: skip
        if isinstance(period, str):
            flag("period", period)
        elif entry.indicator in known:
            if period.months is not None and (why := year_to_date_problem(entry.indicator)):
                flag("period", why)
            if (why := value_problem(entry.indicator, entry.value)) is not None:
                flag("value", why)
            first = seen.setdefault((entry.indicator, period.year), i)
            if first != i:
                # Figures of one year overlap: a later year-to-date span contains the earlier
                # months and the full year all of them, so both would count those months twice.
                flag("period", f"a second actual for {entry.indicator} in {period.year} ({period}; "
                     f"the first is {actual_key(first)}, {spec.actuals[first].period}): they "
                     "overlap, so the same months would count twice; expected one per indicator "
                     "and year — keep the latest figure")  # fmt: skip
        if len(problems) == before and isinstance(period, Period):
            actuals.append(Actual(entry.indicator, period, entry.value, entry.status,
                                  entry.source, entry.definition_changed))  # fmt: skip
    return actuals, problems


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: every lever set (status quo where the file is silent)."""

    name: str
    description: str
    draws: int
    seed: int
    levers: Mapping[str, float]
    readings: Mapping[str, str] = field(default_factory=dict)
    assumptions: Mapping[str, float] = field(default_factory=dict)
    title_zh: str | None = None  # display names for the charts; None shows the name
    title_en: str | None = None
    source: str = "<code>"
    actuals: tuple[Actual, ...] = ()  # published figures the run is conditioned on (sim.update)

    @property
    def changed_levers(self) -> dict[str, float]:
        """The levers set away from their status quo."""
        catalogue = levers()
        return {k: v for k, v in self.levers.items() if v != catalogue[k].status_quo}

    def annual_cost_wan(self) -> float:
        """Annual cost of all levers in 万元 at this scenario's settings."""
        catalogue = levers()
        return sum(catalogue[k].cost_wan(v) for k, v in self.levers.items())

    def spec(self) -> dict[str, Any]:
        """The scenario as plain data, as it would be written to a file (titles only if set,
        so the spec and hash of an untitled scenario are what they were before titles)."""
        return {
            "name": self.name,
            **_titles(self.title_zh, self.title_en),
            "description": self.description,
            "draws": self.draws,
            "seed": self.seed,
            "levers": dict(self.changed_levers),
            "readings": dict(self.readings),
            "assumptions": dict(self.assumptions),
            # only when given, so the spec and hash of a scenario without actuals are unchanged
            **({"actuals": [a.spec() for a in self.actuals]} if self.actuals else {}),
        }

    def hash(self) -> str:
        """SHA-256 of the scenario's content (levers in full), for provenance."""
        full = {**self.spec(), "levers": dict(sorted(self.levers.items()))}
        blob = json.dumps(full, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()

    def with_levers(self, **settings: float) -> Scenario:
        """A copy with some levers changed, validated like a file (raises ScenarioError)."""
        return self._revalidated(levers={**self.changed_levers, **settings})

    def scale_levers(self, **factors: float) -> Scenario:
        """A copy with levers set to a multiple of their status quo, e.g. ``talent_programme=1.5``.

        A lever whose status quo is 0 (a measure new in 2023) cannot be scaled: set it with
        :meth:`with_levers`.
        """
        catalogue = levers()
        settings = {}
        for lever_id, factor in factors.items():
            lever = catalogue.get(lever_id)
            if lever is not None and lever.status_quo == 0:
                raise ScenarioError(self.source, [Problem(
                    f"levers.{lever_id}", "status quo is 0, so it cannot be scaled; use "
                    "with_levers() with a setting")])  # fmt: skip
            settings[lever_id] = factor * lever.status_quo if lever else factor
        return self.with_levers(**settings)

    def with_readings(self, **readings: str) -> Scenario:
        """A copy that reads some ambiguous targets differently."""
        return self._revalidated(readings={**self.readings, **readings})

    def with_assumptions(self, **values: float) -> Scenario:
        """A copy with some uncertain parameters fixed to a value."""
        return self._revalidated(assumptions={**self.assumptions, **values})

    def renamed(
        self,
        name: str,
        description: str | None = None,
        title_zh: str | None = None,
        title_en: str | None = None,
    ) -> Scenario:
        """A copy under another name (results are saved under the name); the display titles
        are the ones given here, not the old scenario's (the charts show the name otherwise)."""
        spec = {k: v for k, v in self.spec().items() if k not in ("title_zh", "title_en")}
        changes = {"name": name, "description": description or self.description}
        data = {**spec, **changes, **_titles(title_zh, title_en)}
        return from_dict(data, source=f"{self.source} (modified in code)")

    def with_actuals(self, *actuals: Mapping[str, Any], replace_all: bool = False) -> Scenario:
        """A copy with more actuals (dicts with the keys of ``[[actuals]]``), validated like a
        file (raises ScenarioError naming ``actuals[i].key``). An actual for an indicator and
        period already given replaces it (a preliminary figure superseded by the final one);
        ``replace_all=True`` drops the old ones first.

        Example: ``sc.with_actuals({"indicator": "hightech_enterprises", "period": "2023",
        "value": 365, "status": "reported", "source": "statistics bulletin 2023"})``
        """
        new = [dict(a) for a in actuals]
        given = {(a.get("indicator"), str(a.get("period"))[:4]) for a in new}
        kept = [a.spec() for a in self.actuals if (a.indicator, str(a.period.year)) not in given]
        kept = [] if replace_all else kept
        return self._revalidated(actuals=kept + new)

    def without_actuals(self) -> Scenario:
        """A copy without actuals: the view on the policy date."""
        return replace(self, actuals=())

    def with_run_settings(self, draws: int | None = None, seed: int | None = None) -> Scenario:
        """A copy with another number of draws or seed."""
        return replace(self, draws=draws or self.draws, seed=self.seed if seed is None else seed)

    def _revalidated(self, **changes: Any) -> Scenario:
        return from_dict({**self.spec(), **changes}, source=f"{self.source} (modified in code)")


def _titles(title_zh: str | None, title_en: str | None) -> dict[str, str]:
    """The title keys of a scenario spec, only those that are set."""
    return {k: v for k, v in (("title_zh", title_zh), ("title_en", title_en)) if v is not None}


def from_dict(data: dict[str, Any], source: str = "<code>", lines: dict | None = None) -> Scenario:
    """Validate scenario data and build a :class:`Scenario` (raises ScenarioError)."""
    lines = lines or {}
    try:
        spec = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(source, _numbered(problems_from(exc, ScenarioFile, lines))) from None
    actuals, problems = actual_problems(spec, lines)
    problems = semantic_problems(spec, lines) + problems
    if problems:
        raise ScenarioError(source, problems)
    settings = {k: lv.status_quo for k, lv in levers().items()} | spec.levers
    return Scenario(
        name=spec.name,
        description=spec.description,
        draws=spec.draws,
        seed=spec.seed,
        levers=settings,
        readings=dict(spec.readings),
        assumptions=dict(spec.assumptions),
        title_zh=spec.title_zh,
        title_en=spec.title_en,
        source=source,
        actuals=tuple(actuals),
    )


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; every problem is reported at once."""
    path = Path(path)
    data, lines = read_toml(path, ScenarioError)
    return from_dict(data, source=str(path), lines=lines)


def status_quo(name: str = "status_quo", draws: int = 20_000, seed: int = 20230305) -> Scenario:
    """A scenario with every lever at its 2022 level (titled 现状延续 / Status quo)."""
    return from_dict({"name": name, "draws": draws, "seed": seed,
                      "title_zh": "现状延续", "title_en": "Status quo"})  # fmt: skip
