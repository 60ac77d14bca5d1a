"""Per-target views of a result: rows in policy order, fan bands, judged-value histograms."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.results import Result
from sim.targets import Target, groups, targets

Row = dict[str, Any]
FAN_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def is_modelled(row: Row) -> bool:
    """Whether an attainment row has a probability (a simulated target)."""
    p = row.get("p_met")
    return p is not None and not (isinstance(p, float) and math.isnan(p))


def rows_in_policy_order(result: Result, modelled_only: bool = False) -> list[Row]:
    """Attainment rows as dicts in policy order: goal groups as in the catalogue, targets
    within a group in catalogue order."""
    order = {g: i for i, g in enumerate(groups())}
    a = result.attainment.reset_index(drop=True)
    rows = [dict(r) for _, r in a.iterrows()]
    for i, r in enumerate(rows):
        r["_pos"] = i
    if modelled_only:
        rows = [r for r in rows if is_modelled(r)]
    return sorted(rows, key=lambda r: (order.get(r["group"], 99), r["_pos"]))


def groups_in_order(rows: list[Row]) -> list[tuple[str, list[Row]]]:
    """Consecutive rows of the same goal group, as (group id, rows)."""
    out: list[tuple[str, list[Row]]] = []
    for r in rows:
        if not out or out[-1][0] != r["group"]:
            out.append((r["group"], []))
        out[-1][1].append(r)
    return out


def judged_target(row: Row) -> Target:
    """The catalogue target of an attainment row, under the reading the run applied."""
    base = targets()[row["target_id"]]
    reading = row.get("reading")
    if isinstance(reading, str) and reading not in ("", "literal") and reading in base.readings:
        return base.with_reading(reading)
    return base


def fan_data(result: Result, row: Row, before: bool = False) -> dict[str, Any]:
    """What a fan chart shows for one target: years, 5/25/50/75/95 % bands, threshold path.

    Level and each-year targets use the indicator's quantiles over all draws; cumulative and
    growth targets need whole paths, so they use the stored sample (running totals, multiples
    of 2022, growth on the year before). Without a sample a cumulative target is shown as the
    annual flow against the threshold divided by the years (``subtitle = "annualised"``).

    A run conditioned on actuals gives the bands after the update (the sample's draws weighted
    by their ``weight``); ``before=True`` gives them as they were before it (the trajectories
    before the update, the sample unweighted).
    """
    tgt = judged_target(row)
    kind = row["kind"]
    ind = row["indicator"]
    threshold = float(row["threshold"])
    sample = result.sample
    have_sample = sample is not None and ind in list(sample["indicator"].values)
    out: dict[str, Any] = {"kind": kind, "deadline": int(row["deadline"]), "unit": row["unit"]}
    if kind in ("level", "each_year") or not have_sample:
        return _fan_from_quantiles(result, row, tgt, out, threshold, before)
    years = [2022, *tgt.years] if kind != "level" else None
    values = sample["value"].sel(indicator=ind).transpose("draw", "year")
    sample_years = [int(y) for y in values["year"].values]
    x = values.to_numpy().astype(float)
    years = years or sample_years
    x = x[:, [sample_years.index(y) for y in years]]
    if kind == "cumulative":
        path = np.concatenate([np.zeros((x.shape[0], 1)), np.cumsum(x[:, 1:], axis=1)], axis=1)
        out["threshold_years"] = [int(row["deadline"])]
        out["threshold"] = [threshold]
        out["point_2022"] = (0.0, "start")
    elif kind == "growth_average":
        path = x / np.where(x[:, :1] > 0, x[:, :1], np.nan)
        n = len(years) - 1
        out["threshold_years"] = list(years)
        out["threshold"] = [(1 + threshold / 100) ** k for k in range(n + 1)]
        out["multiple"] = (1 + threshold / 100) ** n
        out["point_2022"] = (1.0, "start")
        out["unit"] = "multiple"
    else:  # growth_each_year
        with np.errstate(divide="ignore", invalid="ignore"):
            growth = 100 * (x[:, 1:] / np.where(x[:, :-1] > 0, x[:, :-1], np.nan) - 1)
        path = np.concatenate([np.full((x.shape[0], 1), np.nan), growth], axis=1)
        out["threshold_years"] = list(years[1:])
        out["threshold"] = [threshold] * (len(years) - 1)
        out["point_2022"] = (math.nan, "")
        out["unit"] = "percent"
    out["years"] = np.array(years)
    qs = np.full((5, path.shape[1]), np.nan)
    some = np.isfinite(path).any(axis=0)  # the base year has no growth
    if "weight" in sample and not before:  # a run with actuals: the posterior's bands
        weights = sample["weight"].to_numpy().astype(float)
        qs[:, some] = weighted_quantiles(path[:, some], weights, FAN_QUANTILES)
    else:
        qs[:, some] = np.nanquantile(path[:, some], FAN_QUANTILES, axis=0)
    for name, q in zip(("q05", "q25", "q50", "q75", "q95"), qs, strict=True):
        out[name] = q
    return out


def _fan_from_quantiles(
    result: Result, row: Row, tgt: Target, out: dict[str, Any], threshold: float, before: bool
) -> dict[str, Any]:
    kind = row["kind"]
    trajectories = result.trajectories  # a run without actuals is the same before and after
    if before:
        trajectories = result.update_tables.get("trajectories_before", trajectories)
    tr = trajectories[trajectories["indicator"] == row["indicator"]]
    tr = tr.sort_values("year")
    out["years"] = tr["year"].to_numpy(dtype=int)
    for q in ("q05", "q25", "q50", "q75", "q95"):
        out[q] = tr[q].to_numpy(dtype=float)
    out["unit"] = tr["unit"].iloc[0] if len(tr) else row["unit"]
    if kind == "level":
        out["threshold_years"] = [int(row["deadline"])]
    elif kind == "each_year":
        out["threshold_years"] = list(tgt.years)
    else:  # no sample: show the annual flow against the threshold per year
        out["threshold_years"] = list(tgt.years)
        if kind == "cumulative":
            threshold = threshold / max(len(tgt.years), 1)
        out["subtitle"] = "annualised"
    out["threshold"] = [threshold] * len(out["threshold_years"])
    out["point_2022"] = (row["value_2022"], str(row.get("value_2022_source") or ""))
    return out


def weighted_quantiles(x: np.ndarray, weights: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Quantiles ``qs`` of each column of ``x`` (draws × columns) under draw ``weights``,
    NaN ignored: the weighted empirical distribution with each draw's mass centred on its value
    and linear interpolation between (equal weights give the Hazen quantile). A column
    without a finite value, or whose weights are all zero, gives NaN."""
    out = np.full((len(qs), x.shape[1]), np.nan)
    for j in range(x.shape[1]):
        ok = np.isfinite(x[:, j]) & (weights > 0)
        if not ok.any():
            continue
        order = np.argsort(x[ok, j], kind="stable")
        v, w = x[ok, j][order], weights[ok][order]
        centres = (np.cumsum(w) - w / 2) / w.sum()
        out[:, j] = np.interp(qs, centres, v)
    return out


def histogram(result: Result, target_id: str) -> dict[str, Any]:
    """A target's judged-value histogram on its regular grid, with the central 99.6 % marked.

    Returns ``edges``, ``p`` (probability per bin), the bin ``width`` and ``first``/``last``,
    the bins that hold the central 99.6 % (so a long tail does not squash the picture).
    """
    d = result.distributions[result.distributions["target_id"] == target_id]
    d = d.sort_values("bin_lo")
    lo = d["bin_lo"].to_numpy(dtype=float)
    hi = d["bin_hi"].to_numpy(dtype=float)
    p = d["probability"].to_numpy(dtype=float)
    finite = np.isfinite(lo) & np.isfinite(hi)
    width = float(np.median(hi[finite] - lo[finite])) if finite.any() else 1.0
    # the open-ended overflow bins sit next to the grid
    lo = np.where(np.isfinite(lo), lo, hi - width)
    origin = float(lo.min())
    idx = np.rint((lo - origin) / width).astype(int)
    full = np.zeros(idx.max() + 1)
    np.add.at(full, idx, p)
    edges = origin + width * np.arange(len(full) + 1)
    cum = np.cumsum(full)
    first = int(np.searchsorted(cum, 0.002))
    last = int(np.searchsorted(cum, 0.998)) + 1
    return {"edges": edges, "p": full, "first": first, "last": min(last, len(full)), "width": width}


def coarsen(h: dict[str, Any], threshold: float, max_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Merge neighbouring bins of :func:`histogram` to at most about ``max_bins``, with one
    edge on the threshold. Only the central window (plus the threshold) is kept."""
    edges, p = h["edges"], h["p"]
    first, last = h["first"], h["last"]
    t_idx = int(np.clip(np.rint((threshold - edges[0]) / h["width"]), 0, len(p)))
    first = min(first, max(t_idx - 1, 0))
    last = max(last, min(t_idx + 1, len(p)))
    k = max(1, math.ceil((last - first) / max_bins))
    start = t_idx - k * math.ceil((t_idx - first) / k)
    stop = t_idx + k * math.ceil((last - t_idx) / k)
    padded = np.zeros(stop - start)
    src_lo, src_hi = max(start, 0), min(stop, len(p))
    padded[src_lo - start : src_hi - start] = p[src_lo:src_hi]
    coarse = padded.reshape(-1, k).sum(axis=1)
    coarse_edges = edges[0] + h["width"] * (start + k * np.arange(len(coarse) + 1))
    return coarse_edges, coarse


def at_least(result: Result) -> np.ndarray:
    """P(at least k targets met) for k = 0, 1, …, the number modelled."""
    prob = result.n_met["probability"].to_numpy(dtype=float)
    return np.cumsum(prob[::-1])[::-1]
