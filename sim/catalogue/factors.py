"""Common factors: shared drivers that correlate parameter draws without changing any prior.

A city's innovation indicators share drivers — the yearly 考核 push, a few large plants, the
same firms doing R&D, patenting and producing high-tech output — so a draw in which R&D
intensity drifts up should more often be one in which the share and the patent stock do too.
``factors.toml`` declares each factor: its member parameters with a sign, and the prior of its
loading ``λ`` (itself uncertain, drawn per draw). Members are drawn through a Gaussian copula::

    z_i = λ s_i f + √(1 − λ²) e_i,      f, e_i ~ N(0, 1) independent
    x_i = F_i⁻¹(Φ(z_i))                  (F_i the member's prior)

so every member keeps its prior exactly (``z_i`` is N(0, 1) whatever ``λ``) and two members
correlate by about ``s_i s_j E[λ²]`` (exactly so on the normal scale). ``f`` comes from the
stream ``factor:<id>``, ``λ`` from ``factor:<id>.loading`` and ``e_i`` from the member's own
stream ``param:<member>``, so a parameter outside every factor draws what it drew before.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy import special

from sim.catalogue import cached, catalogue_dir, load_entries


class Factor(BaseModel):
    """One common factor: members with signs, and the prior of its loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name_zh: str
    name_en: str
    members: dict[str, int]  # parameter id -> +1 or -1
    loading_low: float = Field(ge=0, le=1)  # λ ~ uniform(low, high)
    loading_high: float = Field(ge=0, le=1)
    basis: str


@cached
def factors() -> dict[str, Factor]:
    """Every factor of ``factors.toml`` (none if the catalogue has no such file)."""
    path = catalogue_dir() / "factors.toml"
    if not path.exists():
        return {}
    return load_entries(path, "factors", Factor)  # type: ignore[return-value]


def loadings(factor: Factor, rng: np.random.Generator, n: int) -> np.ndarray:
    """The factor's loading ``λ`` for ``n`` draws."""
    return rng.uniform(factor.loading_low, factor.loading_high, n)


def correlated_normals(
    factor_draws: np.ndarray, loading: np.ndarray, sign: int, own: np.ndarray
) -> np.ndarray:
    """``z = λ s f + √(1 − λ²) e``: standard normal, correlated through the factor."""
    return loading * sign * factor_draws + np.sqrt(1.0 - loading**2) * own


def uniform_of(z: np.ndarray) -> np.ndarray:
    """``Φ(z)``, kept strictly inside (0, 1) so that inverse CDFs stay finite."""
    return np.clip(special.ndtr(z), 1e-12, 1 - 1e-12)
