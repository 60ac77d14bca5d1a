"""Parameter priors: read from ``sim/catalogue/parameters/*.toml`` and drawn once per draw.

Each parameter is a table ``[parameters."<component>.<name>"]`` with a distribution and a
``basis`` that starts with ``source:`` (a row of observations.csv or a citation) or
``assumption:`` (with its reasoning). Distributions and their keys:

===============  ===========================  ==========================================
dist             keys                         meaning
===============  ===========================  ==========================================
``fixed``        value                        a constant (only where a value is known)
``uniform``      low, high                    flat between low and high
``normal``       mean, sd                     Gaussian
``truncnormal``  mean, sd, low, high          Gaussian cut to [low, high]
``lognormal``    median, sigma                exp(N(log median, sigma))
``beta``         a, b                         on (0, 1); mean a / (a + b)
``gamma``        shape, mean                  positive; sd = mean / sqrt(shape)
===============  ===========================  ==========================================

Instead of ``dist`` and its keys, ``pooled = { class = "<id>", role = "<role>" }`` takes the
distribution from the outside view (:mod:`sim.catalogue.pooling`): the reference class's drift,
persistent or transitory volatility, break rate or break size, pooled with Qidong's own points.

Optional ``name_zh`` and ``name_en`` give a parameter a display name for the chart pack
(both or neither); a parameter without one is shown by its id.

Every parameter is drawn from its own named stream (:func:`sim.rng.stream`), so two scenarios
run with the same seed share every parameter draw (common random numbers).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import special

from sim.catalogue import cached, catalogue_dir, indicators, load_entries
from sim.catalogue.factors import correlated_normals, factors, loadings, uniform_of
from sim.catalogue.pooling import pooled_prior, reference_classes
from sim.errors import CatalogueError, Problem
from sim.levers import levers
from sim.rng import stream
from sim.validation import suggest

_KEYS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "uniform": ("low", "high"),
    "normal": ("mean", "sd"),
    "truncnormal": ("mean", "sd", "low", "high"),
    "lognormal": ("median", "sigma"),
    "beta": ("a", "b"),
    "gamma": ("shape", "mean"),
}
# A scenario's assumption fixes a parameter in every draw. Within the prior's support, and where
# the support is unbounded within its 1e-9 and 1 - 1e-9 quantiles: beyond, the prior would give
# the value once in a billion draws, and values such as 1e308 overflow the model's exp().
ASSUMPTION_TAIL = 1e-9


class Prior(BaseModel):
    """The prior distribution of one uncertain model constant."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    dist: Literal["fixed", "uniform", "normal", "truncnormal", "lognormal", "beta", "gamma"]
    unit: str
    basis: str
    name_zh: str | None = Field(default=None, min_length=1)  # display name for the charts
    name_en: str | None = Field(default=None, min_length=1)
    value: float | None = None
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = None
    median: float | None = None
    sigma: float | None = None
    a: float | None = None
    b: float | None = None
    shape: float | None = None
    note: str | None = None
    pooled: dict[str, str] | None = None  # {class, role}: resolved from the reference class

    @model_validator(mode="before")
    @classmethod
    def _resolve_pooled(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("pooled"), dict):
            spec = data["pooled"]
            if set(spec) != {"class", "role"}:
                raise ValueError("pooled takes exactly class and role")
            if "dist" in data:
                raise ValueError("a pooled prior takes its dist from the reference class")
            try:
                keys = pooled_prior(spec["class"], spec["role"])
            except KeyError:
                known = ", ".join(reference_classes())
                raise ValueError(
                    f"unknown reference class {spec['class']!r}; expected one of {known}"
                ) from None
            data = {**data, **keys}
        return data

    @model_validator(mode="after")
    def _keys_fit_the_distribution(self) -> Prior:
        needed = _KEYS[self.dist]
        given = {
            k
            for k in ("value", "low", "high", "mean", "sd", "median", "sigma", "a", "b", "shape")
            if getattr(self, k) is not None
        }
        if given != set(needed):
            raise ValueError(f"dist {self.dist!r} takes exactly {', '.join(needed)}")
        if not self.basis.startswith(("source:", "assumption:")):
            raise ValueError("basis must start with 'source:' or 'assumption:'")
        positive = {"sd", "sigma", "a", "b", "shape", "median"}
        for key in needed:
            if key in positive and getattr(self, key) <= 0:
                raise ValueError(f"{key} must be positive")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError("need low < high")
        if (self.name_zh is None) != (self.name_en is None):
            raise ValueError("give both name_zh and name_en, or neither")
        return self

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` independent draws from the prior."""
        d = self.dist
        if d == "fixed":
            return np.full(n, float(self.value))  # type: ignore[arg-type]
        if d == "uniform":
            return rng.uniform(self.low, self.high, n)  # type: ignore[arg-type]
        if d == "normal":
            return rng.normal(self.mean, self.sd, n)  # type: ignore[arg-type]
        if d == "lognormal":
            return float(self.median) * np.exp(rng.normal(0.0, self.sigma, n))  # type: ignore[arg-type]
        if d == "beta":
            return rng.beta(self.a, self.b, n)  # type: ignore[arg-type]
        if d == "gamma":
            shape = float(self.shape)  # type: ignore[arg-type]
            return rng.gamma(shape, float(self.mean) / shape, n)  # type: ignore[arg-type]
        # truncnormal by inversion: uniform on the truncated CDF range, then the normal ppf
        mean, sd = float(self.mean), float(self.sd)  # type: ignore[arg-type]
        lo = special.ndtr((float(self.low) - mean) / sd)  # type: ignore[arg-type]
        hi = special.ndtr((float(self.high) - mean) / sd)  # type: ignore[arg-type]
        return mean + sd * special.ndtri(rng.uniform(lo, hi, n))

    def from_normal(self, z: np.ndarray) -> np.ndarray:
        """The prior's quantile at ``Φ(z)``: a draw of the prior from a standard normal."""
        d = self.dist
        u = uniform_of(z)
        if d == "fixed":
            return np.full(z.shape, float(self.value))  # type: ignore[arg-type]
        if d == "uniform":
            return self.low + (self.high - self.low) * u  # type: ignore[operator]
        if d == "normal":
            return self.mean + self.sd * z  # type: ignore[operator]
        if d == "lognormal":
            return float(self.median) * np.exp(float(self.sigma) * z)  # type: ignore[arg-type]
        if d == "beta":
            return special.betaincinv(self.a, self.b, u)
        if d == "gamma":
            shape = float(self.shape)  # type: ignore[arg-type]
            return special.gammaincinv(shape, u) * float(self.mean) / shape  # type: ignore[arg-type]
        mean, sd = float(self.mean), float(self.sd)  # type: ignore[arg-type]
        lo = special.ndtr((float(self.low) - mean) / sd)  # type: ignore[arg-type]
        hi = special.ndtr((float(self.high) - mean) / sd)  # type: ignore[arg-type]
        return mean + sd * special.ndtri(lo + (hi - lo) * u)

    def support_contains(self, x: float) -> bool:
        """Whether ``x`` is a value the prior can produce (for scenario overrides)."""
        lo, hi = self.support()
        return lo <= x <= hi

    def support(self) -> tuple[float, float]:
        """Smallest and largest values the prior can produce."""
        d = self.dist
        if d == "fixed":
            return (float(self.value), float(self.value))  # type: ignore[arg-type]
        if d in ("uniform", "truncnormal"):
            return (float(self.low), float(self.high))  # type: ignore[arg-type]
        if d == "normal":
            return (-math.inf, math.inf)
        if d == "beta":
            return (0.0, 1.0)
        return (0.0, math.inf)

    def support_text(self) -> str:
        """The support as ``[lo, hi]`` for messages."""
        lo, hi = self.support()
        return f"[{lo:g}, {hi:g}]"

    def allowed_range(self) -> tuple[float, float]:
        """Values a scenario may fix the parameter to: the support where it is closed, the
        :data:`ASSUMPTION_TAIL` quantiles on an unbounded side."""
        lo, hi = self.support()
        z = float(special.ndtri(ASSUMPTION_TAIL))
        tails = self.from_normal(np.array([z, -z]))
        return (lo if math.isfinite(lo) else float(tails[0]),
                hi if math.isfinite(hi) else float(tails[1]))  # fmt: skip

    def allowed_text(self) -> str:
        """The allowed range for messages, with how it was set."""
        lo, hi = self.allowed_range()
        how = "the prior's support"
        if self.dist in ("normal", "lognormal", "gamma"):
            how = f"the prior's support, cut at its 1 - {ASSUMPTION_TAIL:g} quantile"
        if self.dist == "normal":
            how = f"the prior's {ASSUMPTION_TAIL:g} to 1 - {ASSUMPTION_TAIL:g} quantiles"
        return f"a finite number from {lo:.6g} to {hi:.6g} ({how}, {self.describe()})"

    def describe(self) -> str:
        """A short human-readable form, e.g. ``beta(a=13, b=7)``."""
        args = ", ".join(f"{k}={getattr(self, k):g}" for k in _KEYS[self.dist])
        return f"{self.dist}({args})"


@cached
def parameters() -> dict[str, Prior]:
    """Every parameter prior of every component, keyed by id, sorted by id."""
    out: dict[str, Prior] = {}
    problems: list[Problem] = []
    folder = catalogue_dir() / "parameters"
    for path in sorted(folder.glob("*.toml")):
        loaded: dict[str, Prior] = load_entries(path, "parameters", Prior)  # type: ignore[assignment]
        for pid in loaded:
            if not pid.startswith(f"{path.stem}."):
                problems.append(Problem(f"parameters.{pid}", f"id must start with '{path.stem}.'"))
        out.update(loaded)
    if problems:
        raise CatalogueError(str(folder), problems)
    out.update(lever_elasticities())
    unknown = [
        Problem(f"indicators.{ind.id}.drivers", f"unknown parameter {pid!r}", None,
                suggest(pid, out))
        for ind in indicators().values() for pid in ind.drivers if pid not in out
    ]  # fmt: skip
    if unknown:
        raise CatalogueError(str(catalogue_dir() / "indicators.toml"), unknown)
    return dict(sorted(out.items()))


def lever_elasticities() -> dict[str, Prior]:
    """One prior per (lever, indicator) link of the lever catalogue: uniform on its bounds."""
    out = {}
    for lever in levers().values():
        for ind, (low, high) in lever.elasticity.items():
            pid = lever.elasticity_parameter(ind)
            bounds = {"low": low, "high": high} if low < high else {"value": low}
            out[pid] = Prior(
                id=pid,
                dist="uniform" if low < high else "fixed",
                unit="elasticity",
                basis=lever.elasticity_basis,
                **bounds,
            )
    return out


class Params(Mapping[str, np.ndarray]):
    """Parameter draws of one chunk: id -> array of shape (draws,).

    A missing id raises a KeyError that says where parameters are declared. (Which component
    reads which id is recorded per component: :class:`sim.models.contract.ScopedParams`.)
    """

    def __init__(self, values: dict[str, np.ndarray]):
        self._values = values

    def __getitem__(self, key: str) -> np.ndarray:
        try:
            value = self._values[key]
        except KeyError:
            raise KeyError(
                f"parameter {key!r} is not declared in sim/catalogue/parameters/"
            ) from None
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def draw_parameters(
    seed: int, chunk: int, n: int, fixed: Mapping[str, float] | None = None
) -> Params:
    """Draw every parameter for ``n`` draws of chunk ``chunk``; ``fixed`` overrides some.

    Members of a common factor (:mod:`sim.catalogue.factors`) are drawn through its Gaussian
    copula, every other parameter from its prior directly.
    """
    fixed = fixed or {}
    values = {}
    in_factor = _factor_members()
    for pid, prior in parameters().items():
        if pid in fixed:
            values[pid] = np.full(n, float(fixed[pid]))
        elif pid not in in_factor:
            values[pid] = prior.draw(stream(seed, chunk, f"param:{pid}"), n)
    for factor in factors().values():
        f = stream(seed, chunk, f"factor:{factor.id}").standard_normal(n)
        loading = loadings(factor, stream(seed, chunk, f"factor:{factor.id}.loading"), n)
        for pid, sign in factor.members.items():
            if pid in fixed:
                continue
            own = stream(seed, chunk, f"param:{pid}").standard_normal(n)
            values[pid] = parameters()[pid].from_normal(correlated_normals(f, loading, sign, own))
    return Params(dict(sorted(values.items())))


@cached
def _factor_members() -> frozenset[str]:
    """Parameters drawn through a factor; a member that is no parameter is a catalogue error."""
    known = parameters()
    problems = [
        Problem(f"factors.{f.id}.members", f"unknown parameter {pid!r}", None, suggest(pid, known))
        for f in factors().values() for pid in f.members if pid not in known
    ]  # fmt: skip
    problems += [
        Problem(f"factors.{f.id}.members.{pid}", f"sign must be 1 or -1, not {sign}")
        for f in factors().values() for pid, sign in f.members.items() if sign not in (1, -1)
    ]  # fmt: skip
    if problems:
        raise CatalogueError(str(catalogue_dir() / "factors.toml"), problems)
    members = [pid for f in factors().values() for pid in f.members]
    if len(members) != len(set(members)):
        problem = Problem("factors", "a parameter belongs to two factors")
        raise CatalogueError(str(catalogue_dir() / "factors.toml"), [problem])
    return frozenset(members)
