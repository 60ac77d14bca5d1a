"""What it takes, per target: the smallest setting of each lever at which P(met) reaches 0.5 / 0.8.

For every target of a scenario below the wanted probability ``p``, and every lever that acts on
it — linked to its indicator in ``levers.toml``, or moving it through the model's links by more
than 3 paired SE when set to its maximum — the other levers as in the scenario:

1. **screen**: the scenario and every lever at its maximum, in one shared run (common random
   numbers), give P(met) now, the levers that act on each target, and whether the wanted
   probability is reachable within the lever's bounds at all;
2. **grid**: each acting lever at ``grid`` − 1 more settings evenly spaced between its setting
   now and its maximum, all in one shared run, every target at once; the lever's effect on the
   paired differences is checked for monotonicity (a fall of more than 2 SE between neighbouring
   settings is reported);
3. **bisection**: the first grid interval where P(met) reaches a level is halved ``rounds``
   times, every bracket of every lever in one shared run per round;
4. **crossing**: linear interpolation in the last bracket; its Monte Carlo error is the SE of
   P(met) at the level, sqrt(ℓ(1 − ℓ)/n), divided by the slope of P over the grid interval
   (the delta method), and carried into the cost.

Every setting is compared with the scenario on the same draws, so P at a setting is P now plus a
paired difference. See docs/decision.md for the algorithm's limits.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.decision import (
    Evaluation,
    Evaluator,
    Settings,
    SimEvaluator,
    acting_levers,
    as_scenario,
    linked,
    package_cost,
    pages_of,
)
from sim.errors import SimError
from sim.levers import levers
from sim.scenario import Scenario

DRAWS = 5_000  # search draws: P(met) to ±0.007 at worst, paired differences far better
GRID = 4  # the lever's range above its setting cut into 4: 3 settings besides the maximum
ROUNDS = 4  # bisection rounds: the crossing bracketed to 1/64 of the range, then interpolated
Z_DIP = 2.0  # a fall of P(met) by more than 2 SE between neighbouring settings is non-monotone

ROW_COLUMNS = [
    "target_id", "lever_id", "level", "status", "linked", "p_now", "p_at_max", "setting_now",
    "setting", "setting_se", "lever_max", "extra_cost_wan", "extra_cost_se_wan",
    "package_cost_wan", "monotone", "resolved",
]  # fmt: skip


@dataclass
class _Point:
    p: np.ndarray  # P(met) per target
    diff_se: np.ndarray  # SE of the paired difference against the scenario


class _Curves:
    """Every setting evaluated, per lever: P(met) of every target, against the scenario."""

    def __init__(self, base: Settings, screen: Evaluation):
        self.base = base
        self.targets = screen.targets
        self.now = _Point(screen.p[0], np.zeros(len(screen.targets)))
        self.points: dict[str, dict[float, _Point]] = {}

    def add(self, lever_id: str, setting: float, ev: Evaluation, row: int) -> None:
        self.points.setdefault(lever_id, {})[setting] = _Point(ev.p[row], ev.diff_se[row])

    def curve(self, lever_id: str) -> list[tuple[float, _Point]]:
        """(setting, point) from the setting now up, sorted."""
        pts = {self.base[lever_id]: self.now, **self.points.get(lever_id, {})}
        return sorted(pts.items())

    def p(self, lever_id: str, setting: float, j: int) -> float:
        return float(self.curve_dict(lever_id)[setting].p[j])

    def curve_dict(self, lever_id: str) -> dict[float, _Point]:
        return dict(self.curve(lever_id))

    def evaluate(self, ev: Evaluator, points: Sequence[tuple[str, float]]) -> None:
        """Evaluate (lever, setting) pairs in one shared run against the scenario."""
        todo = sorted({(lid, s) for lid, s in points if s not in self.points.get(lid, {})})
        if not todo:
            return
        found = ev([self.base, *({**self.base, lid: s} for lid, s in todo)])
        for row, (lid, s) in enumerate(todo, start=1):
            self.add(lid, s, found, row)


@dataclass
class Requirements:
    """What each target below ``p`` would take, lever by lever (:func:`requirements`).

    ``table()``: one row per target, acting lever and level (0.5 and ``p``): ``status``
    ("reached" with the setting, its SE and the extra annual cost — ``resolved`` False when
    the crossing is within 2 SE of the setting now, i.e. P now is the level within noise;
    "already" met at the setting now; "not_reachable" within the lever's bounds, with P at
    the maximum).
    ``curves``: P(met) at every setting evaluated; ``non_monotone``: falls beyond 2 SE;
    ``lowers``: levers that lower a target when raised; ``plot(lang)``: the chart page(s).
    """

    scenario: Scenario
    p: float
    levels: tuple[float, ...]
    draws: int
    seed: int
    now: pd.DataFrame  # target_id, p_met, mc_se, below_p
    rows: pd.DataFrame
    curves: pd.DataFrame
    non_monotone: pd.DataFrame
    lowers: pd.DataFrame
    packages_evaluated: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        """One row per (target, lever, level); see the class docstring."""
        return self.rows.copy()

    def cheapest(self, level: float | None = None) -> pd.DataFrame:
        """Per target, the reachable lever with the smallest extra cost for ``level``
        (default ``p``)."""
        level = self.p if level is None else level
        r = self.rows[(self.rows["level"] == level) & (self.rows["status"] == "reached")]
        return r.sort_values("extra_cost_wan").groupby("target_id", sort=False).head(1)

    def plot(self, lang: str = "zh", page: int = 0) -> Any:
        """The chart page ``page`` (a matplotlib Figure)."""
        return pages_of(self, lang)[page]

    def pages(self, lang: str = "zh") -> list[Any]:
        """Every chart page."""
        return pages_of(self, lang)

    def to_json(self) -> dict[str, Any]:
        """Plain data: run settings, P now, the rows, non-monotone cases, lowering levers."""
        return {
            "scenario": self.scenario.name, "p": self.p, "levels": list(self.levels),
            "draws": self.draws, "seed": self.seed, "packages_evaluated": self.packages_evaluated,
            "seconds": round(self.seconds, 2), "notes": self.notes,
            "now": _records(self.now), "requirements": _records(self.rows),
            "non_monotone": _records(self.non_monotone), "lowers": _records(self.lowers),
        }  # fmt: skip


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    clean = df.astype(object).where(pd.notna(df), None)
    return [dict(r) for r in clean.to_dict(orient="records")]


@contextmanager
def evaluating(
    sc: Scenario, evaluator: Evaluator | None, draws: int, seed: int | None, jobs: int,
    executor: Any,
) -> Iterator[Evaluator]:  # fmt: skip
    """The evaluator given, or a :class:`SimEvaluator` closed (its pool stopped) on exit."""
    if evaluator is not None:
        yield evaluator
        return
    with SimEvaluator(sc, draws, seed, jobs, executor) as ev:
        yield ev


def levels_for(p: float) -> tuple[float, ...]:
    """0.5 and ``p`` (just ``p`` when it is 0.5 or below)."""
    if not 0 < p < 1:
        raise ValueError(f"p must be between 0 and 1, got {p}")
    return (0.5, p) if p > 0.5 else (p,)


def screen(
    ev: Evaluator, base: Settings, only: Sequence[str] | None = None
) -> tuple[Evaluation, list[str]]:
    """The scenario and every lever below its maximum (or those of ``only``) set to its
    maximum, in one shared run."""
    unknown = sorted(set(only or ()) - set(levers()))
    if unknown:
        raise SimError(f"unknown levers {unknown}; see `sim levers`")
    ids = [lid for lid, lv in levers().items() if base[lid] < lv.max and (not only or lid in only)]
    return ev([base, *({**base, lid: levers()[lid].max} for lid in ids)]), ids


# long: the four steps of the algorithm in order, each a call; splitting would hide the order
def requirements(
    scenario: Scenario | Any,
    p: float = 0.8,
    draws: int = DRAWS,
    seed: int | None = None,
    jobs: int = 1,
    targets: Sequence[str] | None = None,
    only_levers: Sequence[str] | None = None,
    grid: int = GRID,
    rounds: int = ROUNDS,
    executor: Any = None,
    evaluator: Evaluator | None = None,
) -> Requirements:
    """What each target below ``p`` would take: per acting lever, the smallest setting at which
    P(met) reaches 0.5 and ``p``, with its annual cost (module docstring: the algorithm).

    ``scenario``: a Scenario or a path; ``targets``: restrict to these ids; ``only_levers``:
    consider only these levers (default every lever); ``draws``/``seed``:
    of the shared runs (default 5,000 and the scenario's seed); ``evaluator``: a replacement
    for the model (tests).
    """
    sc = as_scenario(scenario)
    levels = levels_for(p)
    t0 = time.perf_counter()
    base = {k: float(v) for k, v in sc.levers.items()}
    with evaluating(sc, evaluator, draws, seed, jobs, executor) as ev:
        first, ids = screen(ev, base, only_levers)
        curves = _Curves(base, first)
        for row, lid in enumerate(ids, start=1):
            curves.add(lid, levers()[lid].max, first, row)
        wanted = _wanted(first, targets, p)
        links = {tid: acting_levers(first, ids, tid) for tid in wanted}
        acting = sorted({lid for acts, _ in links.values() for lid in acts})
        curves.evaluate(ev, [(lid, s) for lid in acting for s in _grid(base[lid], lid, grid)])
        brackets = _brackets(curves, links, levels)
        coarse = dict(brackets)
        for _ in range(rounds):
            _bisect(ev, curves, brackets)
        rows = _rows(curves, links, levels, brackets, coarse, ev.draws, base)
        packages = getattr(ev, "packages", 0)
    return Requirements(
        scenario=sc, p=p, levels=levels, draws=ev.draws, seed=ev.seed,
        now=_now(first, wanted, p), rows=rows, curves=_curve_table(curves, links),
        non_monotone=_non_monotone(curves, links), lowers=_lowers(first, ids, links),
        packages_evaluated=packages, seconds=time.perf_counter() - t0,
        notes=_notes(wanted, first, p),
    )  # fmt: skip


def _wanted(first: Evaluation, targets: Sequence[str] | None, p: float) -> list[str]:
    """The targets asked for (default all modelled) whose P(met) now is below ``p``."""
    ids = list(first.targets) if not targets else list(targets)
    for tid in ids:
        first.column(tid)  # KeyError for an unknown or unmodelled target
    return [tid for tid in ids if first.p[0, first.column(tid)] < p]


def _grid(now: float, lever_id: str, grid: int) -> list[float]:
    """Settings evenly spaced between ``now`` and the lever's maximum (both excluded)."""
    top = levers()[lever_id].max
    return [now + (top - now) * i / grid for i in range(1, grid)]


Key = tuple[str, str, float]  # target, lever, level


def _brackets(
    curves: _Curves, links: dict[str, tuple[list[str], list[str]]], levels: Sequence[float]
) -> dict[Key, tuple[float, float]]:
    """The first grid interval where P(met) reaches each level not reached now."""
    out = {}
    for tid, (acts, _) in links.items():
        j = curves.targets.index(tid)
        for lid in acts:
            pts = curves.curve(lid)
            for level in levels:
                if pts[0][1].p[j] >= level:
                    continue
                for (a, _pa), (b, pb) in pairwise(pts):
                    if pb.p[j] >= level:
                        out[(tid, lid, level)] = (a, b)
                        break
    return out


def _bisect(ev: Evaluator, curves: _Curves, brackets: dict[Key, tuple[float, float]]) -> None:
    """One round: every bracket's midpoint, all levers in one shared run; keep the half where
    P(met) crosses the level."""
    mids = {key: (a + b) / 2 for key, (a, b) in brackets.items()}
    curves.evaluate(ev, [(key[1], m) for key, m in mids.items()])
    for key, m in mids.items():
        tid, lid, level = key
        a, b = brackets[key]
        p_mid = curves.p(lid, m, curves.targets.index(tid))
        brackets[key] = (a, m) if p_mid >= level else (m, b)


# long: one row per (target, lever, level) with its four outcomes, kept side by side
def _rows(
    curves: _Curves,
    links: dict[str, tuple[list[str], list[str]]],
    levels: Sequence[float],
    brackets: dict[Key, tuple[float, float]],
    coarse: dict[Key, tuple[float, float]],
    draws: int,
    base: Settings,
) -> pd.DataFrame:
    """The table: a setting with its MC error and costs, or why there is none."""
    rows = []
    cost_now = package_cost(base)
    for tid, (acts, _) in links.items():
        j = curves.targets.index(tid)
        for lid in acts:
            lever = levers()[lid]
            pts = curves.curve_dict(lid)
            p_now, p_max = float(curves.now.p[j]), float(pts[lever.max].p[j])
            monotone = not _dips(curves.curve(lid), j)
            for level in levels:
                row: dict[str, Any] = {
                    "target_id": tid, "lever_id": lid, "level": level,
                    "linked": linked(lever, tid), "p_now": p_now, "p_at_max": p_max,
                    "setting_now": base[lid], "lever_max": lever.max, "monotone": monotone,
                    "resolved": True,
                }  # fmt: skip
                if p_now >= level:
                    row.update(status="already", setting=base[lid], setting_se=0.0)
                elif (tid, lid, level) not in brackets:
                    row.update(status="not_reachable", setting=math.nan, setting_se=math.nan)
                else:
                    s, se = _crossing(pts, j, level, brackets[(tid, lid, level)],
                                      coarse[(tid, lid, level)], draws)  # fmt: skip
                    # resolved: the crossing lies more than 2 SE above the setting now; if not,
                    # P now is the level within Monte Carlo noise ("about now")
                    row.update(status="reached", setting=s, setting_se=se,
                               resolved=bool(s - base[lid] > 2 * se))  # fmt: skip
                reached = not math.isnan(row["setting"])
                pkg = package_cost({**base, lid: row["setting"]}) if reached else math.nan
                row.update(
                    package_cost_wan=pkg,
                    extra_cost_wan=pkg - cost_now,
                    extra_cost_se_wan=row["setting_se"] * lever.cost_per_unit_wan,
                )
                rows.append(row)
    return pd.DataFrame(rows, columns=ROW_COLUMNS)


def _crossing(
    pts: dict[float, _Point],
    j: int,
    level: float,
    bracket: tuple[float, float],
    coarse: tuple[float, float],
    draws: int,
) -> tuple[float, float]:
    """Where P(met) reaches ``level``: interpolated in the last bracket; its SE by the delta
    method, sqrt(ℓ(1 − ℓ)/n) over the slope of P across the coarse (grid) interval."""
    a, b = bracket
    pa, pb = float(pts[a].p[j]), float(pts[b].p[j])
    s = a + (level - pa) / (pb - pa) * (b - a) if pb > pa else b
    ca, cb = coarse
    slope = (float(pts[cb].p[j]) - float(pts[ca].p[j])) / (cb - ca)
    se = math.sqrt(level * (1 - level) / draws) / slope if slope > 0 else math.inf
    return float(s), float(se)


def _dips(curve: list[tuple[float, _Point]], j: int) -> list[tuple[float, float, float, float]]:
    """Falls of P(met) between neighbouring settings beyond :data:`Z_DIP` SE: (from, to, fall,
    SE). The SE of the step is taken as the root sum of squares of the two paired SEs, which
    overstates it (the two differences share the draws), so few dips are flagged by chance."""
    out = []
    for (a, pa), (b, pb) in pairwise(curve):
        fall = float(pa.p[j] - pb.p[j])
        se = math.hypot(float(pa.diff_se[j]), float(pb.diff_se[j]))
        if fall > Z_DIP * se and fall > 0:
            out.append((a, b, fall, se))
    return out


def _non_monotone(curves: _Curves, links: dict[str, tuple[list[str], list[str]]]) -> pd.DataFrame:
    rows = [
        {"target_id": tid, "lever_id": lid, "from_setting": a, "to_setting": b, "fall": f,
         "fall_se": se}
        for tid, (acts, _) in links.items()
        for lid in acts
        for a, b, f, se in _dips(curves.curve(lid), curves.targets.index(tid))
    ]  # fmt: skip
    cols = ["target_id", "lever_id", "from_setting", "to_setting", "fall", "fall_se"]
    return pd.DataFrame(rows, columns=cols)


def _lowers(
    first: Evaluation, ids: list[str], links: dict[str, tuple[list[str], list[str]]]
) -> pd.DataFrame:
    """Levers that lower a target when set to their maximum (beyond 3 paired SE)."""
    rows = []
    for tid, (_, lowers) in links.items():
        j = first.column(tid)
        for lid in lowers:
            row = 1 + ids.index(lid)
            rows.append({"target_id": tid, "lever_id": lid, "difference_at_max": first.diff[row, j],
                         "difference_se": first.diff_se[row, j]})  # fmt: skip
    return pd.DataFrame(rows, columns=["target_id", "lever_id", "difference_at_max",
                                       "difference_se"])  # fmt: skip


def _curve_table(curves: _Curves, links: dict[str, tuple[list[str], list[str]]]) -> pd.DataFrame:
    rows = [
        {"target_id": tid, "lever_id": lid, "setting": s, "p_met": float(pt.p[j]),
         "difference_se": float(pt.diff_se[j])}
        for tid, (acts, _) in links.items()
        for j in [curves.targets.index(tid)]
        for lid in acts
        for s, pt in curves.curve(lid)
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["target_id", "lever_id", "setting", "p_met",
                                       "difference_se"])  # fmt: skip


def _now(first: Evaluation, wanted: list[str], p: float) -> pd.DataFrame:
    return pd.DataFrame({
        "target_id": first.targets, "p_met": first.p[0], "mc_se": first.p_se[0],
        "below_p": [t in wanted for t in first.targets],
    })  # fmt: skip


def _notes(wanted: list[str], first: Evaluation, p: float) -> list[str]:
    if wanted:
        return []
    return [f"every target asked for already has P(met) ≥ {p:g}"]
