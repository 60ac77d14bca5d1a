"""Backtest: a pseudo out-of-sample test of the outside-view forecasting method on the
reference class (issue 11, item 5).

For every reference class of ``reference_class/classes.toml``, every peer unit ``u`` with data
and every origin year ``T`` at which ``u``'s value is published and the class has at least
:data:`MIN_HISTORY` years of data before it (at early origins the window is cut at the first
year, as it would have been then: requiring a full window would leave only the last three
origins of R&D intensity, 2019–2021, one calm period), the forecast is built exactly as the
model builds Qidong's, using only what was known at ``T``:

1. the priors of the five trend parameters from :func:`sim.catalogue.pooling.prior_keys` —
   the class's spread up to ``T`` without ``u`` (:func:`~sim.catalogue.pooling.spread`),
   pooled with ``u``'s own points in the window up to ``T``
   (:func:`~sim.catalogue.pooling.pooled_drift`) — drawn with :meth:`sim.priors.Prior.draw`;
2. ``T+1 … T+3`` by the trend object of the component that steps the indicator
   (``Component.trends``: :meth:`Trend.start`, then :meth:`Trend.step` per year), from ``u``'s
   published value at ``T`` on the class's scale.

Each realised value at ``T+h`` gets its PIT (the share of draws below it) and whether it falls
in the central 50 % and 90 % intervals. A calibrated method gives uniform PITs and covers
about 50 % and 90 % of cases.

Random numbers come only from :func:`sim.rng.stream` streams named per (class, unit, origin),
so a case's draws do not depend on which other cases run, or in what order; the model's own
streams (``param:*``, ``noise:*``) are never touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from sim.catalogue import on_reset
from sim.catalogue.peers import LAST_YEAR, peer_series
from sim.catalogue.pooling import (
    ROLES,
    ReferenceClass,
    pooled_drift,
    prior_keys,
    reference_classes,
    scaled,
    spread,
    unit_volatility,
)
from sim.models import components
from sim.models.trend import Trend
from sim.priors import Prior
from sim.rng import stream

DRAWS = 2000
MIN_HISTORY = 4  # years of class data before an origin (three annual changes at least)
SEED = 20230305
HORIZON = 3  # years ahead, as the model's 2022 → 2025
INNER, OUTER = 0.50, 0.90  # the central intervals whose coverage is recorded
# The goal of issue 11: the 90 % intervals cover 85–95 % of cases and the 50 % intervals
# 40–60 %, overall and for every class with at least GOAL_MIN_CASES cases.
GOAL = {"cover50": (0.40, 0.60), "cover90": (0.85, 0.95)}
GOAL_MIN_CASES = 20
OVERALL = "overall"
CASE_COLUMNS = ["class", "unit", "origin", "horizon", "realised", "pit", "in50", "in90"]


def trends_by_class() -> dict[str, Trend]:
    """The trend each reference class is forecast with: the one a component steps its
    indicator with (``Component.trends``), keyed by its reference class."""
    out: dict[str, Trend] = {}
    for comp in components():
        for trend in comp.trends:
            if trend.reference_class in out:
                raise ValueError(f"two trends use reference class {trend.reference_class!r}")
            out[trend.reference_class] = trend
    return out


def origins(cls: ReferenceClass, own: dict[int, float], horizon: int = HORIZON) -> list[int]:
    """The origin years of one unit: its value is published, at least one of the next
    ``horizon`` years is, and the class has at least :data:`MIN_HISTORY` years of data
    before it (the window is cut at the first year, as it would have been then)."""
    first = min((min(ys) for ys in peer_series(cls.peer_indicator).values()), default=LAST_YEAR)
    return [t for t in sorted(own) if t - first >= MIN_HISTORY
            and any(t + h in own for h in range(1, horizon + 1))]  # fmt: skip


def draw_parameters(
    trend: Trend, keys: dict[str, dict[str, float | str]], name: str, seed: int, draws: int
) -> dict[str, np.ndarray]:
    """The trend's five parameters drawn from their prior keys, one named stream each."""
    out = {}
    for role in ROLES:
        pid = trend.parameter(role)
        prior = Prior(id=pid, unit="on the class's scale", basis="source: reference class",
                      **keys[role])  # fmt: skip
        out[pid] = prior.draw(stream(seed, 0, f"{name}:param:{role}"), draws)
    return out


def forecast_case(
    cls: ReferenceClass, trend: Trend, unit: str, origin: int, own: dict[int, float],
    draws: int = DRAWS, seed: int = SEED, horizon: int = HORIZON,
) -> np.ndarray:  # fmt: skip
    """Draws of ``unit``'s value on the class's scale at ``origin + 1 … origin + horizon``
    (shape ``(horizon, draws)``), from what was known at ``origin`` only."""
    sp = spread(cls, origin, exclude=unit)
    known = {y: v for y, v in own.items() if y <= origin}
    drift = pooled_drift(sp, known, cls, origin)
    volatility = unit_volatility(sp, known, cls, origin, drift[0])
    keys = {role: prior_keys(role, sp, drift, volatility) for role in ROLES}
    name = f"backtest:{cls.id}:{unit}:{origin}"
    p = draw_parameters(trend, keys, name, seed, draws)
    rng = stream(seed, 0, f"{name}:trend")
    x0 = float(scaled(known[origin], cls.scale))
    walk = trend.start(p, rng, draws)
    out = np.empty((horizon, draws))
    for h in range(horizon):
        walk, transitory = trend.step(walk, p, rng)
        out[h] = x0 + walk + transitory
    return out


def score(draws: np.ndarray, realised: float) -> tuple[float, bool, bool]:
    """PIT of ``realised`` among ``draws`` and whether it is inside the central 50 % and 90 %
    intervals."""
    lo90, lo50, hi50, hi90 = np.quantile(draws, [(1 - OUTER) / 2, (1 - INNER) / 2,
                                                 (1 + INNER) / 2, (1 + OUTER) / 2])  # fmt: skip
    pit = float(np.mean(draws < realised))
    return pit, bool(lo50 <= realised <= hi50), bool(lo90 <= realised <= hi90)


def _class_cases(cls: ReferenceClass, trend: Trend, draws: int, seed: int) -> list[dict]:
    rows = []
    for unit, own in sorted(peer_series(cls.peer_indicator).items()):
        for origin in origins(cls, own):
            try:
                paths = forecast_case(cls, trend, unit, origin, own, draws, seed)
            except ValueError:  # fewer than 3 other units in the window: no forecast possible
                continue
            for h in range(1, HORIZON + 1):
                if origin + h not in own:
                    continue
                realised = float(scaled(own[origin + h], cls.scale))
                pit, in50, in90 = score(paths[h - 1], realised)
                rows.append({"class": cls.id, "unit": unit, "origin": origin, "horizon": h,
                             "realised": own[origin + h], "pit": pit, "in50": in50,
                             "in90": in90})  # fmt: skip
    return rows


def run_backtest(
    draws: int = DRAWS, seed: int = SEED, classes: Iterable[str] | None = None
) -> Backtest:
    """Forecast every (class, unit, origin) of the reference class and score each realised
    value (see the module docstring). ``classes``: only these class ids."""
    trends = trends_by_class()
    wanted = None if classes is None else set(classes)
    rows: list[dict] = []
    for cid, cls in reference_classes().items():
        if (wanted is None or cid in wanted) and cid in trends:
            rows += _class_cases(cls, trends[cid], draws, seed)
    return Backtest(pd.DataFrame(rows, columns=CASE_COLUMNS), draws, seed)


@cache
def cached_backtest(draws: int = DRAWS, seed: int = SEED) -> Backtest:
    """:func:`run_backtest` computed once per (draws, seed) and catalogue (the chart pack and
    the command share it)."""
    return run_backtest(draws, seed)


on_reset(cached_backtest.cache_clear)


def _coverage_row(df: pd.DataFrame) -> dict[str, float | int]:
    """Cases, units, coverage of both intervals, the binomial se at the nominal level (cases
    taken as independent) and the se clustered by unit (cases of one unit are correlated)."""
    n = len(df)
    row: dict[str, float | int] = {"cases": n, "units": int(df["unit"].nunique())}
    for col, nominal in (("in50", INNER), ("in90", OUTER)):
        key = col.replace("in", "cover")
        hits = df[col].to_numpy(dtype=float)
        p = float(hits.mean()) if n else float("nan")
        row[key] = p
        row[f"{key}_se"] = float(np.sqrt(nominal * (1 - nominal) / n)) if n else float("nan")
        sums = (df.assign(r=hits - p).groupby("unit")["r"].sum() if n
                else pd.Series(dtype=float))  # fmt: skip
        row[f"{key}_se_units"] = float(np.sqrt((sums**2).sum()) / n) if n else float("nan")
    return row


@dataclass(frozen=True)
class Backtest:
    """The scored cases of a backtest (one row per class, unit, origin and horizon)."""

    cases: pd.DataFrame
    draws: int
    seed: int

    def coverage(self, horizon: int | None = None) -> pd.DataFrame:
        """Per class with cases, then ``overall``: cases, units, coverage of the 50 % and 90 %
        intervals (``cover50``, ``cover90``), each with its binomial se at the nominal level
        (``_se``) and clustered by unit (``_se_units``). ``horizon``: that horizon alone."""
        df = self.cases if horizon is None else self.cases[self.cases["horizon"] == horizon]
        rows = {cid: _coverage_row(g) for cid, g in df.groupby("class", sort=False)}
        rows[OVERALL] = _coverage_row(df)
        return pd.DataFrame.from_dict(rows, orient="index")

    def pit_histogram(self, bins: int = 10, cls: str | None = None) -> np.ndarray:
        """Share of cases per PIT bin (uniform under calibration)."""
        pit = self.cases["pit"] if cls is None else self.cases.query("`class` == @cls")["pit"]
        counts, _ = np.histogram(pit.to_numpy(), bins=bins, range=(0.0, 1.0))
        return counts / max(int(counts.sum()), 1)

    def coverage_table(self) -> pd.DataFrame:
        """:meth:`coverage` over all horizons and at horizon 3 alone, one table with a
        ``class`` and a ``horizons`` column (for saving)."""
        parts = [self.coverage().assign(horizons="1-3"), self.coverage(HORIZON).assign(
            horizons=str(HORIZON))]  # fmt: skip
        return pd.concat(parts).rename_axis("class").reset_index()


def meets_goal(row: pd.Series) -> bool | None:
    """Whether one coverage row is inside both goal bands (None: too few cases to judge)."""
    if row["cases"] < GOAL_MIN_CASES:
        return None
    return all(lo <= row[key] <= hi for key, (lo, hi) in GOAL.items())


def coverage_markdown(draws: int = DRAWS, seed: int = SEED) -> str:
    """The backtest's coverage as a markdown table (the block of docs/model.md between the
    ``backtest`` markers; a test keeps the two equal)."""
    bt = cached_backtest(draws, seed)
    rows = ["| class | cases | units | 50 % covered | 90 % covered | 90 % covered, T+3 only |",
            "|" + " --- |" * 6]  # fmt: skip
    all_h, h3 = bt.coverage(), bt.coverage(HORIZON)
    for cid, r in all_h.iterrows():
        r3 = h3.loc[cid] if cid in h3.index else None
        three = f"{r3['cover90']:.1%} ({int(r3['cases'])})" if r3 is not None else "–"
        rows.append(
            f"| `{cid}` | {int(r['cases'])} | {int(r['units'])} | {r['cover50']:.1%} ± "
            f"{r['cover50_se_units']:.1%} | {r['cover90']:.1%} ± {r['cover90_se_units']:.1%} | "
            f"{three} |"
        )
    return "\n".join(rows)
