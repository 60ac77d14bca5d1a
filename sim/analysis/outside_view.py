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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import logit

from sim.catalogue.peers import peer_series
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


def _scaled(values: np.ndarray, scale: str) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if scale == "logit":
        return logit(np.clip(values / 100.0, 1e-9, 1 - 1e-9))
    return np.log(np.maximum(values, 1e-12))


def peer_changes(indicator: str, horizon: int, scale: str) -> pd.DataFrame:
    """Every ``horizon``-year change of ``indicator`` in the reference class, on ``scale``:
    one row per unit and start year, with the change and the change less the unit's mean."""
    rows = []
    for scope, series in peer_series(indicator).items():
        years = sorted(series)
        for y in years:
            if y + horizon in series:
                a, b = _scaled(np.array([series[y], series[y + horizon]]), scale)
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
    a = _scaled(values[:, years.index(years[0])], scale)
    b = _scaled(values[:, years.index(years[0] + horizon)], scale)
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
