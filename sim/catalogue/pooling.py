"""Outside-view priors: what the reference class says about an indicator's drift, volatility and
breaks, combined with a unit's own history by partial pooling.

The model moves an indicator ``x`` (on its scale: log for levels and intensities, logit for
shares) as a persistent random walk with a unit-specific drift, plus breaks, plus a transitory
deviation of each published value::

    x_t = μ_t + e_t                        e_t ~ N(0, σ_T²)        (transitory, independent)
    μ_t = μ_{t−1} + d + σ_P ε_t + B_t J_t   B_t ~ Bernoulli(p), J_t ~ N(0, b²)   (breaks)
    d   ~ N(m, τ²)                         (the unit's drift, across the class)

Estimated from the reference class (:mod:`sim.catalogue.peers`), years ``origin − window + 1``
… ``origin`` only (drifts move: the patent boom of the early 2010s is not today's pace):

1. **Breaks.** Annual changes minus the unit's median change; the robust scale ``s = 1.4826 ·
   MAD`` of all of them; a change further than ``BREAK_THRESHOLD · s`` from its unit's median
   is a break (a census revision of GDP, a catalogue revision, a new counting rule: under a
   normal law a 4-sd change happens 6 times in 100,000). ``p`` = breaks / annual changes
   (Jeffreys beta posterior), ``b`` = root mean square of the breaks (lognormal with the
   sampling spread of an sd estimated from ``k`` values, ``1/√(2k)``). Breaks found are taken
   out of the changes before the next steps.
2. **Persistent and transitory volatility** from the residual variance of annual and of
   three-year changes around each unit's own drift: ``V1 = σ_P² + 2σ_T²`` and ``V3 = 3σ_P² +
   2σ_T²``, so ``σ_P² = (V3 − V1)/2`` and ``σ_T² = (V1 − σ_P²)/2`` (each floored at a tenth
   of ``V1``, since neither can be ruled out). Residuals around a unit's mean are scaled by
   ``√(n/(n−1))`` for the mean's own degree of freedom.
3. **Drift across units** by the DerSimonian–Laird random-effects estimator: each unit's drift
   ``d_j = (x_last − x_first − breaks)/span`` has sampling variance ``σ_P²/span +
   2σ_T²/span²``; ``τ²`` is the excess dispersion, ``m`` the precision-weighted mean.
4. **Partial pooling** for the unit forecast (Qidong, or a peer in the backtest): its drift
   prior ``N(m, τ² + se(m)²)`` is updated by its own points in the window (first and last,
   with the published figures' own error) — a normal–normal posterior, so two points move it
   only as far as their variance allows.
5. **Drifts move.** The drift ahead is not the window's: over every unit and year of the
   history up to the origin, the change from a window's drift to the next three years' drift,
   beyond the walk's own noise, gives ``σ_shift`` (the provinces' patent stocks slowed from
   ≈ 30 % to ≈ 15 % a year within a decade), added to the drift prior's variance. With too
   little history it is taken equal to ``τ`` (assumption).
6. **The unit's own volatility**: a normal–normal update on ``log σ²`` from the class's
   value, with the between-unit variance of the units' own ``log σ²`` beyond their sampling
   spread, and the unit's own annual changes in the window; it scales both volatility priors.

Each step was checked by ``sim backtest``, which forecasts every peer from every origin with
this method; the numbers are in docs/model.md.

``sim/catalogue/reference_class/classes.toml`` names, per class, the peer series, the unit's
own series in observations.csv, the scale, the window and the error of a published value;
a parameter prior with ``pooled = {class = ..., role = ...}`` takes its distribution from here
(:func:`pooled_prior`), and so does every forecast of the backtest (``sim backtest``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy import special
from scipy.special import logit

from sim.catalogue import cached, catalogue_dir, load_entries, observations
from sim.catalogue.peers import peer_series

BREAK_THRESHOLD = 4.0  # robust sds; see step 1 of the module docstring
MAD_TO_SD = 1.4826  # the MAD of a normal law times this is its sd
# Assumption: neither the persistent nor the transitory part can be ruled out from a class of
# a few units, so each keeps at least a tenth of the annual variance V1 (step 2).
MIN_SHARE = 0.1
# Floor of the between-unit variance of log σ² (step 6) when the class cannot estimate it:
# assumption, a factor of about 1.35 on σ (log-sd 0.3 on σ, 0.6 on σ²).
VOLATILITY_LOG_VAR_FLOOR = 0.6**2
SHIFT_BLOCK = 3  # years per block when measuring how drifts move (step 5)
# Fewer differences than this and the shift is not estimated: assumption, a drift then moves
# over three years by about as much as drifts differ between units (the between-unit sd).
MIN_SHIFTS = 10
Role = Literal["drift", "persistent_sd", "transitory_sd", "break_rate", "break_size"]
ROLES: tuple[str, ...] = ("drift", "persistent_sd", "transitory_sd", "break_rate", "break_size")


class ReferenceClass(BaseModel):
    """How one indicator is pooled: which series, on which scale, over which window."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    peer_indicator: str  # indicator id in reference_class/*.csv
    own_indicator: str  # indicator id in observations.csv (scope qidong)
    scale: Literal["log", "logit"]
    window: int = Field(ge=3, le=15)  # years of changes before the forecast origin
    own_error_sd: float = Field(ge=0)  # sd of a published value on the scale (rounding etc.)
    basis: str
    peers_zh: str | None = None  # the peer units in a few words, for the chart pack
    peers_en: str | None = None


@cached
def reference_classes() -> dict[str, ReferenceClass]:
    """Every reference class of ``reference_class/classes.toml``, keyed by id."""
    path = catalogue_dir() / "reference_class" / "classes.toml"
    return load_entries(path, "classes", ReferenceClass)  # type: ignore[return-value]


def scaled(values: np.ndarray | float, scale: str) -> np.ndarray:
    """Values on the scale the model moves them on (log, or logit of a percentage)."""
    v = np.asarray(values, dtype=float)
    if scale == "logit":
        return logit(np.clip(v / 100.0, 1e-9, 1 - 1e-9))
    return np.log(np.maximum(v, 1e-12))


def unscaled(x: np.ndarray | float, scale: str) -> np.ndarray:
    """Inverse of :func:`scaled`: a value on the log or logit (of a percentage) scale back."""
    x = np.asarray(x, dtype=float)
    return 100.0 * special.expit(x) if scale == "logit" else np.exp(x)


@dataclass(frozen=True)
class Spread:
    """What a reference class says (steps 1–3 of the module docstring), on the class's scale."""

    drift_mean: float
    drift_mean_se: float
    drift_between_sd: float
    persistent_sd: float
    transitory_sd: float
    breaks: int
    changes: int
    break_rms: float
    units: int
    unit_years: int
    drift_shift_sd: float = 0.0  # step 5: how far a drift moves from one 3-year block to the next
    volatility_log_var: float = VOLATILITY_LOG_VAR_FLOOR  # step 6: between units, of log σ²

    def drift_prior(self) -> tuple[float, float]:
        """Mean and sd of a unit's drift over its window before its own points are seen."""
        return self.drift_mean, float(np.hypot(self.drift_between_sd, self.drift_mean_se))


Series = dict[str, dict[int, float]]


def _window(series: Series, lo: int, hi: int, scale: str, exclude: str | None) -> Series:
    out = {}
    for unit, ys in series.items():
        kept = {y: float(scaled(v, scale)) for y, v in ys.items() if lo <= y <= hi}
        if unit != exclude and len(kept) >= 2:
            out[unit] = kept
    return out


def _annual(series: Series) -> list[tuple[str, int, float]]:
    return [(u, y, ys[y] - ys[y - 1]) for u, ys in series.items() for y in sorted(ys)
            if y - 1 in ys]  # fmt: skip


def _breaks(annual: list[tuple[str, int, float]]) -> dict[tuple[str, int], float]:
    """Step 1: the (unit, year) changes that are breaks, with their size around the unit."""
    if not annual:
        return {}
    by_unit: dict[str, list[float]] = {}
    for u, _, c in annual:
        by_unit.setdefault(u, []).append(c)
    # a unit with fewer than three changes cannot tell its own drift from a break: the
    # class's median change stands in for its own
    overall = float(np.median([c for _, _, c in annual]))
    median = {u: float(np.median(cs)) if len(cs) >= 3 else overall for u, cs in by_unit.items()}
    resid = np.array([c - median[u] for u, _, c in annual])
    scale = MAD_TO_SD * float(np.median(np.abs(resid)))
    flagged = np.abs(resid) > BREAK_THRESHOLD * max(scale, 1e-9)
    return {(annual[i][0], annual[i][1]): float(resid[i]) for i in np.flatnonzero(flagged)}


def _residual_variance(series: Series, horizon: int, drop: set[tuple[str, int]]) -> float:
    """Mean square of ``horizon``-year changes around each unit's mean such change, with the
    changes that span a break left out."""
    squares, dof = 0.0, 0
    for u, ys in series.items():
        cs = [ys[y] - ys[y - horizon] for y in sorted(ys) if y - horizon in ys
              and not any((u, y - k) in drop for k in range(horizon))]  # fmt: skip
        if len(cs) >= 2:
            arr = np.array(cs)
            squares += float(((arr - arr.mean()) ** 2).sum())
            dof += len(cs) - 1
    return squares / dof if dof else float("nan")


def _volatility(series: Series, drop: set[tuple[str, int]]) -> tuple[float, float]:
    """Step 2: persistent and transitory sds from annual and three-year residual variances."""
    v1 = _residual_variance(series, 1, drop)
    v3 = _residual_variance(series, 3, drop)
    if not np.isfinite(v1):
        raise ValueError("no unit has two consecutive annual changes")
    if not np.isfinite(v3):  # no three-year changes: all persistent, as the random walk says
        v3 = 3 * v1
    persistent = min(max((v3 - v1) / 2, MIN_SHARE * v1), (1 - 2 * MIN_SHARE) * v1)
    transitory = max((v1 - persistent) / 2, MIN_SHARE * v1 / 2)
    return float(np.sqrt(persistent)), float(np.sqrt(transitory))


def _unit_drift(ys: dict[int, float], jumps: float) -> tuple[float, int]:
    first, last = min(ys), max(ys)
    return (ys[last] - ys[first] - jumps) / (last - first), last - first


def _drifts(
    series: Series, sizes: dict[tuple[str, int], float], sp: float, st: float
) -> tuple[float, float, float]:
    """Step 3: DerSimonian–Laird mean, its se, and the between-unit sd of drifts."""
    d, v = [], []
    for u, ys in series.items():
        jumps = sum(s for (bu, _), s in sizes.items() if bu == u)
        drift, span = _unit_drift(ys, jumps)
        d.append(drift)
        v.append(sp**2 / span + 2 * st**2 / span**2)
    d_arr, v_arr = np.array(d), np.array(v)
    w = 1 / v_arr
    fixed = float((w * d_arr).sum() / w.sum())
    q = float((w * (d_arr - fixed) ** 2).sum())
    denom = float(w.sum() - (w**2).sum() / w.sum())
    tau2 = max(0.0, (q - (len(d) - 1)) / denom) if denom > 0 else 0.0
    w_star = 1 / (v_arr + tau2)
    mean = float((w_star * d_arr).sum() / w_star.sum())
    return mean, float(np.sqrt(1 / w_star.sum())), float(np.sqrt(tau2))


def spread(cls: ReferenceClass, origin: int, exclude: str | None = None) -> Spread:
    """Steps 1–3 for ``cls`` with changes up to ``origin`` (``exclude``: a unit left out).

    Deterministic in its arguments and the class's peer series, so it is computed once per
    ``(cls, origin, exclude, peer series)``: the backtest, the chart pack and every catalogue
    load ask for the same spreads again. The key holds the series themselves (read through
    the catalogue's caches, so a changed catalogue is read and checked as before), which keeps
    the cache right across catalogue folders; ``Spread`` is frozen.
    """
    return _spread(cls, origin, exclude, _peer_key(cls.peer_indicator))


PeerKey = tuple[tuple[str, tuple[tuple[int, float], ...]], ...]


@cached
def _peer_key(indicator: str) -> PeerKey:
    """``peer_series(indicator)`` as a hashable key, in the same order (sums depend on it)."""
    return tuple((unit, tuple(ys.items())) for unit, ys in peer_series(indicator).items())


@lru_cache(maxsize=4096)
def _spread(cls: ReferenceClass, origin: int, exclude: str | None, peers: PeerKey) -> Spread:
    all_series = {unit: dict(ys) for unit, ys in peers}
    series = _window(all_series, origin - cls.window, origin, cls.scale, exclude)
    if len(series) < 3:
        raise ValueError(f"reference class {cls.id!r}: fewer than 3 units with data to {origin}")
    annual = _annual(series)
    found = _breaks(annual)
    sp, st = _volatility(series, set(found))
    mean, se, between = _drifts(series, found, sp, st)
    sizes = list(found.values())
    rms = float(np.sqrt(np.mean(np.square(sizes)))) if sizes else BREAK_THRESHOLD * sp
    history = _window(all_series, -(10**6), origin, cls.scale, exclude)
    shift = _drift_shift(history, sp, st, cls.window)
    return Spread(mean, se, between, sp, st, len(found), len(annual), rms, len(series),
                  sum(len(s) for s in series.values()), between if shift is None else shift,
                  _volatility_dispersion(series, set(found)))  # fmt: skip


def _drift_shift(history: Series, sp: float, st: float, window: int) -> float | None:
    """Step 5: how far a unit's drift moves from the one its window shows to the one of the
    next three years — the sd of ``(x_{o+3} − x_o)/3 − (x_o − x_{o−w})/w`` beyond the walk's
    own noise in each pair (``σ_P²(1/3 + 1/w) + σ_T²(2/9 + 2/w² ...)``), over every unit and
    year ``o`` of the history up to the origin (``w`` the window, cut at the unit's first
    year, at least 3). Pairs that hold a break of that history (step 1) are left out, and so
    are differences more than 4 robust sds out. ``None`` with fewer than :data:`MIN_SHIFTS`."""
    k = SHIFT_BLOCK
    found = _breaks(_annual(history))  # the breaks of the whole history, modelled apart
    diffs, noise = [], []
    for u, ys in history.items():
        first = min(ys)
        for o in ys:
            w = min(window, o - first)
            if w < k or o - w not in ys or o + k not in ys:
                continue
            if any((u, y) in found for y in range(o - w + 1, o + k + 1)):
                continue
            diffs.append((ys[o + k] - ys[o]) / k - (ys[o] - ys[o - w]) / w)
            # e_{o+k}/k − e_o (1/k + 1/w) + e_{o−w}/w, and the walk's steps on either side
            noise.append(sp**2 * (1 / k + 1 / w)
                         + st**2 * (1 / k**2 + (1 / k + 1 / w) ** 2 + 1 / w**2))  # fmt: skip
    if len(diffs) < MIN_SHIFTS:
        return None
    arr, var = np.array(diffs), np.array(noise)
    centre = np.median(arr)
    robust = MAD_TO_SD * float(np.median(np.abs(arr - centre)))
    kept = np.abs(arr - centre) <= BREAK_THRESHOLD * max(robust, 1e-9)
    excess = float(np.mean(arr[kept] ** 2) - np.mean(var[kept]))
    return float(np.sqrt(max(excess, 0.0)))


def _volatility_dispersion(series: Series, drop: set[tuple[str, int]]) -> float:
    """Step 6: the between-unit variance of log σ² — the spread of the units' own annual
    residual variances beyond their sampling spread (trigamma(df/2) for a χ² variance)."""
    logs, noise = [], []
    for u, ys in series.items():
        cs = [ys[y] - ys[y - 1] for y in sorted(ys) if y - 1 in ys and (u, y) not in drop]
        if len(cs) >= 3:
            arr = np.array(cs)
            logs.append(float(np.log(max(float(arr.var(ddof=1)), 1e-12))))
            noise.append(float(special.polygamma(1, (len(cs) - 1) / 2)))
    if len(logs) < 5:
        return VOLATILITY_LOG_VAR_FLOOR
    between = float(np.var(logs, ddof=1)) - float(np.mean(noise))
    return max(between, VOLATILITY_LOG_VAR_FLOOR / 4)


def own_history(cls: ReferenceClass, scope: str = "qidong") -> dict[int, float]:
    """The unit's own preferred observations of the class's indicator, ``{year: value}``."""
    return {o.year: o.value for o in observations()
            if (o.scope, o.indicator) == (scope, cls.own_indicator) and o.preferred}  # fmt: skip


def pooled_drift(
    sp: Spread, own: dict[int, float], cls: ReferenceClass, origin: int
) -> tuple[float, float]:
    """Step 4: the unit's drift prior ``(mean, sd)`` given its own points up to ``origin``."""
    m, sd = sp.drift_prior()
    ys = _own_window(own, cls, origin)
    if len(ys) >= 2:
        drift, span = _unit_drift(ys, 0.0)
        var_own = (sp.persistent_sd**2 / span + 2 * (sp.transitory_sd**2 + cls.own_error_sd**2)
                   / span**2)  # fmt: skip
        precision = 1 / sd**2 + 1 / var_own
        m, sd = (m / sd**2 + drift / var_own) / precision, float(np.sqrt(1 / precision))
    # the drift ahead is the window's drift moved by one block's shift (step 5)
    return m, float(np.hypot(sd, sp.drift_shift_sd))


def _own_window(own: dict[int, float], cls: ReferenceClass, origin: int) -> dict[int, float]:
    return {y: float(scaled(v, cls.scale)) for y, v in own.items()
            if origin - cls.window <= y <= origin}  # fmt: skip


def unit_volatility(
    sp: Spread, own: dict[int, float], cls: ReferenceClass, origin: int, drift: float
) -> tuple[float, float]:
    """Step 6: the unit's volatility relative to the class's, and the log-sd of its σ.

    A normal–normal update on log σ²: the class's ``log(σ_P² + 2σ_T²)`` with the between-unit
    variance, and the unit's own annual changes in the window around its drift (their mean
    square, bias-corrected, with the sampling variance trigamma(n/2) of a χ² with n df)."""
    ys = _own_window(own, cls, origin)
    changes = np.array([ys[y] - ys[y - 1] for y in sorted(ys) if y - 1 in ys])
    v1 = sp.persistent_sd**2 + 2 * sp.transitory_sd**2
    prior_mean, prior_var = float(np.log(v1)), sp.volatility_log_var
    if changes.size == 0:
        return 1.0, float(np.sqrt(prior_var) / 2)
    n = changes.size
    square = max(float(np.mean((changes - drift) ** 2)), 1e-12)
    own_mean = np.log(square) - (special.digamma(n / 2) - np.log(n / 2))
    own_var = float(special.polygamma(1, n / 2))
    post_var = 1 / (1 / prior_var + 1 / own_var)
    post_mean = post_var * (prior_mean / prior_var + own_mean / own_var)
    return float(np.exp((post_mean - prior_mean) / 2)), float(np.sqrt(post_var) / 2)


def prior_keys(
    role: str, sp: Spread, drift: tuple[float, float], volatility: tuple[float, float]
) -> dict[str, float | str]:
    """The distribution of one role as prior keys (``dist`` and its parameters); ``drift``
    from :func:`pooled_drift`, ``volatility`` from :func:`unit_volatility`."""
    if role == "drift":
        return {"dist": "normal", "mean": drift[0], "sd": drift[1]}
    if role in ("persistent_sd", "transitory_sd"):
        value = sp.persistent_sd if role == "persistent_sd" else sp.transitory_sd
        # the unit's own level of volatility, with the class estimate's sampling spread
        sigma = float(np.hypot(np.sqrt(1 / (2 * sp.changes)), volatility[1]))
        return {"dist": "lognormal", "median": value * volatility[0], "sigma": sigma}
    if role == "break_rate":
        return {"dist": "beta", "a": sp.breaks + 0.5, "b": sp.changes - sp.breaks + 0.5}
    if role == "break_size":
        return {"dist": "lognormal", "median": sp.break_rms,
                "sigma": float(1 / np.sqrt(2 * max(sp.breaks, 1)))}  # fmt: skip
    raise ValueError(f"unknown pooled role {role!r}; expected one of {', '.join(ROLES)}")


def pooled_prior(class_id: str, role: str, origin: int = 2022, scope: str = "qidong",
                 own: dict[int, float] | None = None) -> dict[str, float | str]:  # fmt: skip
    """The prior keys of ``role`` for ``scope``'s forecast from ``origin``: the class's spread
    without ``scope`` itself, pooled with its own points (``own``, default: observations)."""
    cls = reference_classes()[class_id]
    sp = spread(cls, origin, exclude=scope)
    own = own_history(cls, scope) if own is None else own
    drift = pooled_drift(sp, own, cls, origin)
    return prior_keys(role, sp, drift, unit_volatility(sp, own, cls, origin, drift[0]))


def classes_table(origin: int = 2022) -> str:
    """The reference classes and the priors they give Qidong, as a markdown table (the block
    of docs/model.md between the ``outside-view`` markers; a test keeps the two equal)."""
    head = (
        "| class | units | unit-years | annual changes | breaks | peers' drift (mean ± "
        "between-unit sd) | drift shift sd | Qidong's drift | persistent sd | transitory sd "
        "| break size |"
    )
    rows = [head, "|" + " --- |" * 11]
    for cid, cls in reference_classes().items():
        sp = spread(cls, origin, exclude="qidong")
        m, s = pooled_drift(sp, own_history(cls), cls, origin)
        rows.append(
            f"| `{cid}` ({cls.scale}) | {sp.units} | {sp.unit_years} | {sp.changes} | "
            f"{sp.breaks} | {sp.drift_mean:+.3f} ± {sp.drift_between_sd:.3f} | "
            f"{sp.drift_shift_sd:.3f} | {m:+.3f} ± {s:.3f} | {sp.persistent_sd:.3f} | "
            f"{sp.transitory_sd:.3f} | {sp.break_rms:.2f} |"
        )  # fmt: skip
    return "\n".join(rows)
