"""Policy levers: catalogue loading, validation, and the response of a rate to a setting."""

from __future__ import annotations

from functools import cache

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.catalogue import CATALOGUE_DIR, indicators, load_entries
from sim.errors import CatalogueError, Problem


class Lever(BaseModel):
    """A policy instrument with a setting, a status-quo value, a range and an annual cost."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name_zh: str
    name_en: str
    unit: str
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

    @model_validator(mode="after")
    def _ordered(self) -> Lever:
        if not self.min <= self.status_quo <= self.max:
            raise ValueError(
                f"need min <= status_quo <= max, got {self.min} <= {self.status_quo} <= {self.max}"
            )
        return self

    def cost_wan(self, setting: float) -> float:
        """Annual cost in 万元 of running the lever at ``setting``."""
        return setting * self.cost_per_unit_wan


@cache
def levers() -> dict[str, Lever]:
    """Every lever, keyed by id, in catalogue order, checked against the indicators."""
    path = CATALOGUE_DIR / "levers.toml"
    loaded: dict[str, Lever] = load_entries(path, "levers", Lever)  # type: ignore[assignment]
    known = indicators()
    problems = [
        Problem(f"levers.{lv.id}.acts_on", f"unknown indicator {ind!r}")
        for lv in loaded.values()
        for ind in lv.acts_on
        if ind not in known
    ]
    if problems:
        raise CatalogueError(str(path), problems)
    return loaded


def response(setting: np.ndarray | float, status_quo: float, elasticity: np.ndarray | float):
    """Multiplier on a model rate when a lever moves from its status quo to ``setting``.

    ``(1 + setting/status_quo) / 2`` raised to ``elasticity``: equal to 1 at the status quo,
    increasing in the setting, concave (diminishing returns) for elasticities in (0, 1], and
    positive at a setting of zero, since the rates a lever acts on (firm births, patenting)
    do not vanish without the programme: doubling the budget multiplies the rate by
    ``1.5**elasticity``, stopping it by ``0.5**elasticity``.
    """
    relative = (1.0 + np.asarray(setting, dtype=float) / status_quo) / 2.0
    return relative ** np.asarray(elasticity, dtype=float)
