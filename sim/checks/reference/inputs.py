"""What one replication of the reference model needs: its parameters and its lever effects.

Written from ``docs/model.md`` ("How levers enter" and "Firms — the high-tech pipeline"), not
from ``sim/models/``: the lever formula is re-implemented here from the documentation, and
only catalogue data (lever settings, priors, observations) is read from the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sim.catalogue import observed
from sim.levers import levers
from sim.priors import draw_parameters

# The indicators whose rates the firm pipeline multiplies by a lever effect E(indicator).
FIRM_INDICATORS = (
    "tech_smes_registered",
    "scitech_projects_attracted",
    "hightech_certified_new",
    "hightech_enterprises",
    "cultivation_pool",
    "zjtx_new",
)


def lever_effects(
    settings: Mapping[str, float], elasticity: Mapping[str, float]
) -> dict[str, float]:
    """Combined lever effect ``E(indicator)`` on each firm-pipeline rate, for one replication.

    ``E = Π ((s + k)/(s₀ + k))^ε`` over the levers acting on the indicator, ``k = s₀`` (half
    the lever's maximum for a measure new in 2023), or ``(s/s₀)^ε`` for a ``proportional``
    link; ``elasticity`` maps ``lever.<lever>.<indicator>`` to this replication's draw.
    """
    out = dict.fromkeys(FIRM_INDICATORS, 1.0)
    for lever in levers().values():
        if lever.kind != "process":  # a measurement lever moves reported values, not firms
            continue
        for indicator in lever.acts_on:
            if indicator not in out:
                continue
            s, s0 = float(settings[lever.id]), lever.status_quo
            if indicator in lever.proportional:
                ratio = s / s0
            else:
                k = s0 if s0 > 0 else lever.max / 2
                ratio = (s + k) / (s0 + k)
            out[indicator] *= ratio ** elasticity[f"lever.{lever.id}.{indicator}"]
    return out


@dataclass(frozen=True)
class Observed:
    """The observations the start state is built from (docs/model.md, start state)."""

    stock_2020: int
    new_certified_2022: int
    projects_2022: int

    @classmethod
    def from_catalogue(cls) -> Observed:
        """The published values: 228 firms (Dec 2020), 114 certified and 61 projects (2022)."""

        def value(indicator: str, year: int) -> int:
            """The preferred observation as a whole number of firms or projects."""
            obs = observed(indicator, year)
            if obs is None:
                raise LookupError(f"{indicator} {year} is not in observations.csv")
            return round(obs.value)

        return cls(
            stock_2020=value("hightech_enterprises", 2020),
            new_certified_2022=value("hightech_certified_new", 2022),
            projects_2022=value("scitech_projects_attracted", 2022),
        )


@dataclass(frozen=True)
class Inputs:
    """One replication's parameter set: ``firms.*`` values and policy-year lever effects."""

    params: Mapping[str, float]
    effects: Mapping[str, float]

    def __getitem__(self, key: str) -> float:
        """The value of parameter ``key`` (e.g. ``"firms.exit_hazard"``)."""
        return self.params[key]


def replication_inputs(
    settings: Mapping[str, float],
    draws: int,
    seed: int,
    assumptions: Mapping[str, float] | None = None,
) -> list[Inputs]:
    """Parameter sets of replications ``0 … draws−1``: replication ``i`` takes the ``i``-th
    value of every parameter of chunk 0 (the draws the vectorized model uses for its first
    ``draws`` draws), with the scenario's fixed ``assumptions`` and lever ``settings``."""
    params = draw_parameters(seed, 0, draws, assumptions)
    firm_ids = [pid for pid in params if pid.startswith("firms.")]
    lever_ids = [pid for pid in params if pid.startswith("lever.")]
    firm_values = np.column_stack([params[pid] for pid in firm_ids])
    lever_values = np.column_stack([params[pid] for pid in lever_ids])
    out = []
    for i in range(draws):
        p = dict(zip(firm_ids, map(float, firm_values[i]), strict=True))
        e = dict(zip(lever_ids, map(float, lever_values[i]), strict=True))
        out.append(Inputs(params=p, effects=lever_effects(settings, e)))
    return out
