"""The outside view: how far indicators of peer units move in one and three years, beside how
far the model lets Qidong's move (the inside view).

A forecast interval for 2025 made in 2022 should be about as wide as three-year changes are
across comparable units: narrower means the model trusts Qidong's own two or three points more
than the history of its peers justifies. Changes are taken on the scale the model moves each
indicator on — logs for levels and intensities, logits for shares — so a province and a county
are comparable.

Two spreads are reported for the peers: of the changes themselves (``peer``: what happens to a
unit drawn from the class), and of the changes around each unit's own mean change
(``peer_around_trend``: what is left once a unit's trend is known exactly, a lower bound).

For the chart pack's page "how far to trust these numbers", :func:`class_summary` gives the
reference class behind each pooled indicator and :func:`inside_outside` sets, for each such
indicator, Qidong's own points and their trend extrapolated (the inside view) beside the
class's spread of three-year changes applied to the 2022 value (the outside view) and the
model's 2025 interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.catalogue import indicators
from sim.catalogue.peers import peer_series
from sim.catalogue.pooling import own_history, reference_classes, scaled, spread, unscaled
from sim.results import Result

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True)
class Pairing:
    """A reference-class series, the model indicator it speaks for, and the scale of change."""

    peer: str
    model: str
    scale: str  # "log" or "logit" (for a percentage)
    note: str = ""


PAIRINGS: tuple[Pairing, ...] = (
    Pairing("rd_to_gdp", "rd_to_gdp", "log"),
    Pairing("hightech_output_share", "hightech_output_share", "logit"),
    Pairing("hightech_enterprises_stock", "hightech_enterprises", "log"),
    Pairing("invention_patents_valid", "invention_patents_per_10k", "log",
            "peers: the valid invention-patent stock; residents change by well under 1 % a year"),
    Pairing("invention_patents_per_10k", "invention_patents_per_10k", "log"),
    Pairing("tech_contract_turnover", "tech_contract_turnover", "log"),
    Pairing("tech_smes_registered", "tech_smes_registered", "log"),
)  # fmt: skip


def peer_changes(indicator: str, horizon: int, scale: str) -> pd.DataFrame:
    """Every ``horizon``-year change of ``indicator`` in the reference class, on ``scale``:
    one row per unit and start year, with the change and the change less the unit's mean."""
    rows = []
    for scope, series in peer_series(indicator).items():
        years = sorted(series)
        for y in years:
            if y + horizon in series:
                a, b = scaled(np.array([series[y], series[y + horizon]]), scale)
                rows.append({"scope": scope, "start": y, "change": float(b - a)})
    df = pd.DataFrame(rows, columns=["scope", "start", "change"])
    if len(df):
        df["around_trend"] = df["change"] - df.groupby("scope")["change"].transform("mean")
    return df


def model_changes(result: Result, indicator: str, horizon: int, scale: str) -> np.ndarray:
    """The model's ``horizon``-year changes of ``indicator`` from the start year, per sampled
    draw, on ``scale``."""
    years = [int(y) for y in result.sample["year"].values]
    values = result.sample["value"].sel(indicator=indicator).values
    a = scaled(values[:, years.index(years[0])], scale)
    b = scaled(values[:, years.index(years[0] + horizon)], scale)
    return b - a


def outside_view(result: Result | None = None, horizon: int = 3) -> pd.DataFrame:
    """Per pairing with peer data: units, unit-years, cases, and the 5–95 % spread of the
    peers' ``horizon``-year changes (raw and around each unit's trend) beside the model's."""
    rows = []
    for pair in PAIRINGS:
        changes = peer_changes(pair.peer, horizon, pair.scale)
        series = peer_series(pair.peer)
        if changes.empty:
            continue
        row = {
            "peer_indicator": pair.peer, "model_indicator": pair.model, "scale": pair.scale,
            "units": len(series), "unit_years": sum(len(s) for s in series.values()),
            "cases": len(changes), "note": pair.note,
        }  # fmt: skip
        row |= _spread("peer", changes["change"].to_numpy())
        row |= _spread("peer_around_trend", changes["around_trend"].to_numpy())
        if result is not None and pair.model in list(result.sample["indicator"].values):
            row |= _spread("model", model_changes(result, pair.model, horizon, pair.scale))
        rows.append(row)
    return pd.DataFrame(rows)


def _spread(prefix: str, x: np.ndarray) -> dict[str, float]:
    x = x[np.isfinite(x)]
    q = np.quantile(x, QUANTILES) if len(x) else np.full(len(QUANTILES), np.nan)
    out = {f"{prefix}_q{round(p * 100):02d}": float(v) for p, v in zip(QUANTILES, q, strict=True)}
    out[f"{prefix}_width90"] = float(q[-1] - q[0])
    return out


def model_indicator(class_id: str) -> str | None:
    """The model indicator a reference class speaks for (observed as its own series)."""
    own = reference_classes()[class_id].own_indicator
    return next((i for i, ind in indicators().items() if ind.observed_as == own), None)


def class_summary(origin: int = 2022, exclude: str = "qidong") -> pd.DataFrame:
    """Per reference class: the model indicator, scale, window (first and last year) and what
    the spread behind Qidong's priors rests on — units, unit-years, annual changes, breaks."""
    rows = []
    for cid, cls in reference_classes().items():
        sp = spread(cls, origin, exclude=exclude)
        rows.append({
            "class": cid, "indicator": model_indicator(cid), "scale": cls.scale,
            "first_year": origin - cls.window, "last_year": origin, "units": sp.units,
            "unit_years": sp.unit_years, "changes": sp.changes, "breaks": sp.breaks,
        })  # fmt: skip
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class InsideOutside:
    """One indicator's inside view, outside view and model interval at ``origin + horizon``.

    ``own``: Qidong's published points in the class's window; ``inside``: their trend (first
    to last point, as the pooling reads it) extrapolated from the ``origin`` value, ``{year:
    value}``, or empty with a single point; ``outside``: quantiles (``q05`` … ``q95``) of the
    ``origin`` value moved by the peers' ``horizon``-year changes within the window, from
    ``cases`` changes of ``units`` units, and each of those changes applied to it
    (``points``, for a class too thin for quantiles to mean much); ``model``: the model's
    quantiles in that year (empty without a result)."""

    class_id: str
    indicator: str
    origin: int
    horizon: int
    own: dict[int, float]
    inside: dict[int, float]
    outside: dict[str, float]
    cases: int
    units: int
    points: tuple[float, ...]
    model: dict[str, float]


def _inside(own: dict[int, float], origin: int, horizon: int, scale: str) -> dict[int, float]:
    """Qidong's own trend: the drift from its first to its last point, carried on."""
    if len(own) < 2 or origin not in own:
        return {}
    first, last = min(own), max(own)
    a, b = scaled(np.array([own[first], own[last]]), scale)
    drift = (b - a) / (last - first)
    x0 = float(scaled(np.array([own[origin]]), scale)[0])
    return {y: float(unscaled(x0 + drift * (y - origin), scale))
            for y in range(first, origin + horizon + 1)}  # fmt: skip


def inside_outside(
    result: Result | None = None, origin: int = 2022, horizon: int = 3
) -> list[InsideOutside]:
    """For each reference class with a model indicator and an ``origin`` value of Qidong's:
    the inside view, the outside view and the model's interval (see :class:`InsideOutside`)."""
    out = []
    for cid, cls in reference_classes().items():
        ind = model_indicator(cid)
        own = {y: v for y, v in own_history(cls).items() if origin - cls.window <= y <= origin}
        if ind is None or origin not in own:
            continue
        changes = peer_changes(cls.peer_indicator, horizon, cls.scale)
        changes = changes[(changes["start"] >= origin - cls.window)
                          & (changes["start"] + horizon <= origin)]  # fmt: skip
        x0 = float(scaled(np.array([own[origin]]), cls.scale)[0])
        moved = unscaled(x0 + changes["change"].to_numpy(), cls.scale)
        q = np.quantile(changes["change"].to_numpy(), QUANTILES) if len(changes) else []
        outside = {f"q{round(p * 100):02d}": float(unscaled(x0 + c, cls.scale))
                   for p, c in zip(QUANTILES, q, strict=False)}  # fmt: skip
        model: dict[str, float] = {}
        if result is not None and ind in set(result.trajectories["indicator"]):
            row = result.trajectory(ind).loc[origin + horizon]
            model = {f"q{round(p * 100):02d}": float(row[f"q{round(p * 100):02d}"])
                     for p in QUANTILES}  # fmt: skip
        out.append(InsideOutside(cid, ind, origin, horizon, own,
                                 _inside(own, origin, horizon, cls.scale), outside,
                                 len(changes), int(changes["scope"].nunique()),
                                 tuple(float(v) for v in moved), model))  # fmt: skip
    return out
