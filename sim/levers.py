"""Policy levers: catalogue loading, validation, and the response of a rate to a setting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.catalogue import cached, catalogue_dir, indicators, load_entries
from sim.errors import CatalogueError, Problem
from sim.validation import line_of, read_toml


class Lever(BaseModel):
    """A policy instrument with a setting, a status-quo value, a range and an annual cost."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name_zh: str
    name_en: str
    short_zh: str = Field(min_length=1)  # short names for chart tables
    short_en: str = Field(min_length=1)
    unit: str
    unit_en: str = Field(min_length=1)  # the unit in English charts: "10k yuan/yr"
    status_quo: float = Field(ge=0)
    status_quo_basis: str
    min: float = Field(ge=0)
    max: float
    range_basis: str
    cost_per_unit_wan: float = Field(ge=0)
    cost_basis: str
    acts_on: tuple[str, ...] = Field(min_length=1)
    clause: str
    responsible: tuple[str, ...]
    effect: str
    note: str | None = None
    elasticity_basis: str
    elasticity: dict[str, tuple[float, float]]
    proportional: tuple[str, ...] = ()
    # "process": moves the activity behind an indicator (firm births, R&D, output);
    # "measurement": moves only what is reported (statistical coverage), never the activity.
    kind: Literal["process", "measurement"] = "process"

    @model_validator(mode="after")
    def _ordered(self) -> Lever:
        if not self.min <= self.status_quo <= self.max:
            raise ValueError(
                f"need min <= status_quo <= max, got {self.min} <= {self.status_quo} <= {self.max}"
            )
        if set(self.elasticity) != set(self.acts_on):
            raise ValueError("[elasticity] must have exactly one entry per indicator in acts_on")
        if not set(self.proportional) <= set(self.acts_on):
            raise ValueError("proportional lists indicators that are not in acts_on")
        for ind, (low, high) in self.elasticity.items():
            if not 0 <= low <= high:
                raise ValueError(f"elasticity.{ind}: need 0 <= low <= high, got [{low}, {high}]")
        return self

    def elasticity_parameter(self, indicator: str) -> str:
        """Id of the parameter holding the elasticity of ``indicator``'s rate to this lever."""
        return f"lever.{self.id}.{indicator}"

    @property
    def response_scale(self) -> float:
        """Budget scale of the response curve (see :func:`response`).

        The status quo; for a measure new in 2023 (status quo 0) half the allowed maximum —
        an assumption: the setting at which the new measure counts as being in full swing.
        """
        return self.status_quo if self.status_quo > 0 else self.max / 2

    def multiplier(
        self, setting: float, elasticity: np.ndarray | float, indicator: str | None = None
    ) -> np.ndarray:
        """Multiplier on ``indicator``'s rate from running the lever at ``setting``.

        Saturating (see :func:`response`) by default; for the links listed in ``proportional``
        — where the indicator is what the setting buys one for one, e.g. research projects
        funded — ``(setting / status_quo) ** elasticity``, which is 0 at a setting of 0.
        """
        if indicator in self.proportional:
            return response(setting, self.status_quo, 0.0, elasticity)
        return response(setting, self.status_quo, self.response_scale, elasticity)

    def cost_wan(self, setting: float) -> float:
        """Annual cost in 万元 of running the lever at ``setting``."""
        return setting * self.cost_per_unit_wan


@cached
def levers() -> dict[str, Lever]:
    """Every lever, keyed by id, in catalogue order, checked against the indicators."""
    path = catalogue_dir() / "levers.toml"
    loaded: dict[str, Lever] = load_entries(path, "levers", Lever)  # type: ignore[assignment]
    known = indicators()
    problems = [
        Problem(f"levers.{lv.id}.acts_on", f"unknown indicator {ind!r}")
        for lv in loaded.values()
        for ind in lv.acts_on
        if ind not in known
    ]
    _, lines = read_toml(path, CatalogueError)
    first_of_unit: dict[str, Lever] = {}
    for lv in loaded.values():
        first = first_of_unit.setdefault(lv.unit, lv)
        if lv.unit_en != first.unit_en:
            key = f"levers.{lv.id}.unit_en"
            message = f"{lv.unit_en!r} differs from {first.unit_en!r} of lever {first.id!r}"
            message += f", which has the same unit {lv.unit!r}"
            problems.append(Problem(key, message, line_of(lines, key)))
    if problems:
        raise CatalogueError(str(path), problems)
    return loaded


POLICY_YEARS = 3  # settings apply to 2023, 2024 and 2025 alike (levers.toml)


class LeverageBound(BaseModel):
    """The most one kind of effect may return per 万元 of a lever's extra fiscal cost.

    A ``[leverage.<id>]`` table of levers.toml. The effect is the 2025 change of the product
    of the state keys in ``measure`` times ``scale`` (into the bound's unit), summed over every
    channel (direct lever effects and what flows through the certified stock, R&D spending,
    GDP …), of a process lever at its maximum against the status quo; the cost is the extra
    annual cost (``cost = "annual"``, for flows bought by each year's spending) or that times
    :data:`POLICY_YEARS` (``"cumulative"``, for stocks built by three years of it).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name_en: str
    measure: tuple[str, ...] = Field(min_length=1)
    scale: float = Field(gt=0)
    unit: str
    cost: Literal["annual", "cumulative"]
    max_per_wan: float = Field(gt=0)
    basis: str = Field(pattern=r"^(source|assumption):")

    def cost_base_wan(self, lever: Lever) -> float:
        """Extra cost in 万元 of ``lever`` at its maximum over its status quo, on this base."""
        extra = lever.cost_wan(lever.max) - lever.cost_wan(lever.status_quo)
        return extra * (POLICY_YEARS if self.cost == "cumulative" else 1)

    def quantity(self, state: Mapping[str, np.ndarray]) -> np.ndarray:
        """The bounded quantity, per draw, in the bound's unit, from one year's state."""
        out = np.full(np.shape(state[self.measure[0]]), self.scale, dtype=float)
        for key in self.measure:
            out = out * np.asarray(state[key], dtype=float)
        return out


@cached
def leverage_bounds() -> dict[str, LeverageBound]:
    """Every leverage bound of levers.toml, keyed by id, in catalogue order."""
    path = catalogue_dir() / "levers.toml"
    return load_entries(path, "leverage", LeverageBound)  # type: ignore[return-value]


def response(
    setting: np.ndarray | float,
    status_quo: float,
    scale: float,
    elasticity: np.ndarray | float,
) -> np.ndarray:
    """Multiplier on a model rate when a lever moves from ``status_quo`` to ``setting``.

    ``((setting + scale) / (status_quo + scale)) ** elasticity``: 1 at the status quo,
    increasing in the setting, concave (diminishing returns) for elasticities in (0, 1], and
    positive at a setting of zero, because the rates a lever acts on (firm births, patenting)
    do not vanish without the programme. ``scale`` is the lever's status quo, so doubling a
    budget multiplies the rate by ``1.5 ** elasticity`` and stopping it by ``0.5 ** elasticity``.
    """
    ratio = (np.asarray(setting, dtype=float) + scale) / (status_quo + scale)
    return ratio ** np.asarray(elasticity, dtype=float)
