"""The cheapest package: the lever settings that reach the targets at least cost, or do most for
a budget.

Two problems, one search (docs/decision.md states it with its limits):

- **targets** (``targets``, ``p``): the least annual cost at which every named target has
  P(met) ≥ p. Targets that stay below ``p`` with every lever acting on them at its maximum at
  once are *not reachable* within the levers' bounds: they are reported and left out.
- **budget** (``budget`` in 万元 a year over the scenario, ``maximise``): the package that
  maximises ``expected`` (the expected number of targets met: the named ones, or all),
  ``all`` (P(every modelled target met)) or ``group:NAME`` (P(every target of the group met)).

The search, on ``draws`` draws shared by every package (common random numbers), so candidates
are compared paired:

1. **screen**: each lever at its maximum against the scenario: the levers that act on the
   targets concerned (as in :mod:`sim.analysis.requirements`);
2. **greedy**: from the scenario, each step tries raising every acting lever by one step (about a
   tenth of its range) and takes the one with the largest gain per extra 万元 — the shortfall
   Σ max(0, p − P) it removes, or the objective it adds — with the gain's paired SE;
3. **refinement** (coordinate descent): try lowering each raised lever by a step, keep the
   cheapest change that still meets every constraint (budget: that loses nothing), until none
   does; then the same with half steps (budget: first spend what is left in half steps).

The package is then **re-checked** on fresh draws (``recheck_seed``, by default the search seed
+ 1; ``recheck_draws``, by default the scenario's) together with the scenario and the runners-up,
so the optimism of choosing the best of many noisy candidates (the winner's curse) shows as the
gap between the search's and the re-check's probabilities. Levers are only ever raised from the
scenario's settings, never cut below them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.decision import (
    Evaluation,
    Evaluator,
    Objective,
    Settings,
    acting_levers,
    as_scenario,
    changed,
    nice_step,
    package_cost,
)
from sim.analysis.package import (
    PackageSearch,
    Recheck,
    description,
    package_scenario,
    recheck_packages,
    target_table,
)
from sim.analysis.requirements import evaluating, screen
from sim.errors import SimError
from sim.levers import levers
from sim.results import Result
from sim.scenario import Scenario
from sim.targets import groups
from sim.targets import targets as catalogue_targets

DRAWS = 5_000  # search draws; the re-check uses the scenario's (20,000 for the baseline)
STEPS = 10  # a step is about a tenth of a lever's range, rounded (1, 2 or 5 × 10^k)
RUNNERS_UP = 3
TOL = 1e-9  # 万元: budget comparisons in floating point


@dataclass
class _Search:
    """The state of one search: the evaluator, the scenario's settings, the steps, every
    package seen (for the runners-up) and the greedy's history."""

    ev: Evaluator
    base: Settings
    acting: list[str]
    objective: Objective
    budget: float | None
    steps: dict[str, float]
    links: dict[int, list[str]] = field(default_factory=dict)  # column -> levers acting on it
    seen: dict[tuple, dict[str, Any]] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    def levers_for(self, x: Settings) -> list[str]:
        """The levers worth raising from ``x``: for targets, those acting on a target still
        below ``p`` there (``x`` has been evaluated); otherwise every acting lever."""
        if self.objective.kind != "shortfall":
            return self.acting
        p_x = self.seen[key(x, self.base)]["p"]
        short = [j for j in self.objective.columns if p_x[j] < self.objective.p]
        wanted = {lid for j in short for lid in self.links.get(j, [])}
        return [lid for lid in self.acting if lid in wanted]

    def extra(self, x: Settings) -> float:
        return package_cost(x) - package_cost(self.base)

    def affordable(self, x: Settings) -> bool:
        return self.budget is None or self.extra(x) <= self.budget + TOL

    def batch(self, x: Settings, cands: list[Settings]) -> Evaluation:
        """Evaluate ``x`` and the candidates on shared draws; remember every package seen."""
        ev = self.ev([x, *cands])
        self.remember(ev, [x, *cands])
        return ev

    def remember(self, ev: Evaluation, packages: Sequence[Settings]) -> None:
        """Record the first ``len(packages)`` rows of an evaluation under their packages."""
        values, done = self.objective.value(ev), self.objective.done(ev)
        for i, s in enumerate(packages):
            self.seen[key(s, self.base)] = {
                "settings": s, "extra_cost_wan": self.extra(s), "value": float(values[i]),
                "feasible": bool(done[i]), "p": ev.p[i].copy(), "p_se": ev.p_se[i].copy(),
            }  # fmt: skip


def key(settings: Settings, base: Settings) -> tuple:
    """A hashable identity of a package: its changes from the scenario, sorted."""
    return tuple(sorted(changed(settings, base).items()))


def _raised(x: Settings, lever_id: str, step: float) -> Settings:
    return {**x, lever_id: min(levers()[lever_id].max, x[lever_id] + step)}


def _lowered(x: Settings, base: Settings, lever_id: str, step: float) -> Settings:
    return {**x, lever_id: max(base[lever_id], x[lever_id] - step)}


# long: the greedy step loop with its two stopping rules and its record, read best in one piece
def greedy(search: _Search, x: Settings, scale: float = 1.0) -> Settings:
    """Raise one lever a step at a time, the best gain per extra 万元 first, until every
    constraint is met, no step gains or the budget is spent."""
    done_now = False
    while not done_now:
        cands = [_raised(x, lid, search.steps[lid] * scale) for lid in search.levers_for(x)]
        cands = [c for c in cands if c != x and search.affordable(c)]
        if not cands:
            break
        ev = search.batch(x, cands)
        if search.objective.done(ev)[0]:
            break
        gains = search.objective.value(ev)[1:] - search.objective.value(ev)[0]
        se = search.objective.gain_se(ev)[1:]
        costs = np.array([package_cost(c) - package_cost(x) for c in cands])
        ratio = _per_wan(gains, costs)
        best = int(np.argmax(ratio))
        if ratio[best] == -np.inf:
            break
        lid = next(k for k in search.acting if cands[best][k] != x[k])
        search.history.append({
            "step": len(search.history) + 1, "phase": "greedy" if scale == 1 else "greedy ½",
            "lever_id": lid, "from": x[lid], "to": cands[best][lid],
            "extra_cost_wan": search.extra(cands[best]), "gain": float(gains[best]),
            "gain_se": float(se[best]), "gain_per_wan": float(gains[best] / max(costs[best], TOL)),
            "candidates": len(cands),
        })  # fmt: skip
        x = cands[best]
        done_now = bool(search.objective.done(ev)[1 + best])
    return x


def _per_wan(gains: np.ndarray, costs: np.ndarray) -> np.ndarray:
    """Gain per extra 万元; +inf for a gain at no cost, −inf where nothing is gained."""
    out = np.full(len(gains), -np.inf)
    for i, (g, c) in enumerate(zip(gains, costs, strict=True)):
        if g > 0:
            out[i] = g / c if c > TOL else np.inf
    return out


def trim(search: _Search, x: Settings, scale: float = 1.0) -> Settings:
    """Coordinate descent: lower a raised lever a step if every constraint still holds
    (budget: if the objective does not fall); the largest saving first, until none does."""
    while True:
        cands = [_lowered(x, search.base, lid, search.steps[lid] * scale)
                 for lid in search.acting if x[lid] > search.base[lid]]  # fmt: skip
        if not cands:
            return x
        ev = search.batch(x, cands)
        value = search.objective.value(ev)
        if search.objective.kind == "shortfall":
            ok = search.objective.done(ev)[1:]
        else:
            ok = value[1:] >= value[0]
        if not ok.any():
            return x
        savings = np.array([package_cost(x) - package_cost(c) for c in cands])
        best = int(np.argmax(np.where(ok, savings, -np.inf)))
        lid = next(k for k in search.acting if cands[best][k] != x[k])
        search.history.append({
            "step": len(search.history) + 1, "phase": "trim" if scale == 1 else "trim ½",
            "lever_id": lid, "from": x[lid], "to": cands[best][lid],
            "extra_cost_wan": search.extra(cands[best]), "gain": float(value[1 + best] - value[0]),
            "gain_se": float(search.objective.gain_se(ev)[1 + best]),
            "gain_per_wan": math.nan, "candidates": len(cands),
        })  # fmt: skip
        x = cands[best]


def named_targets(items: Sequence[str], modelled: Sequence[str]) -> list[str]:
    """Target ids, ``group:NAME`` expanded to the group's modelled targets, in catalogue order."""
    out: list[str] = []
    for item in items:
        if item.startswith("group:"):
            g = item.removeprefix("group:")
            if g not in groups():
                raise SimError(f"unknown group {g!r}; groups: {', '.join(groups())}")
            out += [t for t in modelled if catalogue_targets()[t].group == g]
        elif item not in modelled:
            raise SimError(f"{item!r} is not a modelled target; see `sim targets`")
        else:
            out.append(item)
    return list(dict.fromkeys(out))


def _objective(
    maximise: str, budget: float | None, named: list[str], modelled: Sequence[str], p: float
) -> Objective:
    if budget is None:
        if not named:
            raise SimError("name the targets (--targets) or give a budget (--budget)")
        return Objective("shortfall", [list(modelled).index(t) for t in named], p)
    cols = [list(modelled).index(t) for t in (named or modelled)]
    if maximise in ("expected", "all"):
        return Objective(maximise, cols, p)
    if maximise.startswith("group:") and maximise.removeprefix("group:") in groups():
        return Objective(maximise, cols, p)
    raise SimError(f"--maximise {maximise!r}: expected 'expected', 'all' or 'group:NAME' "
                   f"with NAME one of {', '.join(groups())}")  # fmt: skip


def _concerned(obj: Objective, targets_: Sequence[str]) -> list[str]:
    """The targets whose levers the search may raise."""
    if obj.kind.startswith("group:"):
        g = obj.kind.removeprefix("group:")
        return [t for t in targets_ if catalogue_targets()[t].group == g]
    if obj.kind == "all":
        return list(targets_)
    return [targets_[j] for j in obj.columns]


def _reachable(
    ev: Evaluator, base: Settings, acting: list[str], obj: Objective, ids: Sequence[str]
) -> tuple[list[str], np.ndarray]:
    """The named targets still below ``p`` with every acting lever at its maximum at once, and
    P(met) of every target in that package."""
    top = {**base, **{lid: levers()[lid].max for lid in acting}}
    found = ev([base, top])
    short = [ids[j] for j in obj.columns if found.p[1, j] < obj.p]
    return short, found.p[1]


# long: the search's phases in order (screen, reachability, greedy, refinement), then the record
def search_package(
    ev: Evaluator,
    sc: Scenario,
    targets: Sequence[str] | None,
    p: float,
    budget: float | None,
    maximise: str,
    steps: int,
    margin: float = 0.0,
    only_levers: Sequence[str] | None = None,
) -> tuple[_Search, Settings, dict[str, Any]]:
    """Run the search on an evaluator; returns the search (its record), the package found and
    facts for the report (named targets, unreachable ones, P at the all-maximum package)."""
    base = {k: float(v) for k, v in sc.levers.items()}
    first, ids = screen(ev, base, only_levers)
    named = named_targets(targets or [], first.targets)
    obj = _objective(maximise, budget, named, first.targets, p + margin)
    concerned = _concerned(obj, first.targets)
    order = list(levers())
    links = {first.column(t): acting_levers(first, ids, t)[0] for t in concerned}
    acting = sorted({lid for acts in links.values() for lid in acts}, key=order.index)
    unreachable: list[str] = []
    if obj.kind == "shortfall" and acting:
        unreachable, _ = _reachable(ev, base, acting, obj, first.targets)
        keep = [first.targets.index(t) for t in named if t not in unreachable]
        obj = Objective("shortfall", keep, p + margin)
    search = _Search(ev, base, acting, obj, budget,
                     {lid: nice_step(levers()[lid], steps) for lid in acting}, links)  # fmt: skip
    search.remember(first, [base])
    x = greedy(search, base)
    if obj.kind == "shortfall":
        x = trim(search, trim(search, x), 0.5)
    else:
        x = _best_affordable(search, trim(search, greedy(search, x, 0.5), 0.5))
    facts = {"named": named, "unreachable": unreachable, "targets": first.targets,
             "now": {"p": first.p[0], "p_se": first.p_se[0]}}  # fmt: skip
    return search, x, facts


def _best_affordable(search: _Search, x: Settings) -> Settings:
    """Budget: the best affordable package the search saw (the greedy's last step can be
    beaten by one it passed on the way); ties go to the cheaper, then to ``x``. The re-check
    on fresh draws shows what this selection costs (the winner's curse)."""
    here = search.seen.get(key(x, search.base), {"value": -np.inf})
    best = max((v for v in search.seen.values() if search.affordable(v["settings"])),
               key=lambda v: (v["value"], -v["extra_cost_wan"]), default=here)  # fmt: skip
    return x if best["value"] <= here["value"] else best["settings"]


def _runners_up(search: _Search, x: Settings, count: int) -> list[dict[str, Any]]:
    """The next best packages seen: feasible ones by cost (targets), affordable ones by
    objective (budget); the winner and the scenario itself left out."""
    winner, nothing = key(x, search.base), key(search.base, search.base)
    pool = [v for k, v in search.seen.items() if k not in (winner, nothing)]
    if search.objective.kind == "shortfall":
        pool = sorted((v for v in pool if v["feasible"]), key=lambda v: v["extra_cost_wan"])
    else:
        pool = [v for v in pool if search.affordable(v["settings"])]
        pool = sorted(pool, key=lambda v: (-v["value"], v["extra_cost_wan"]))
    return pool[:count]


# long: the public entry point: options, the search, the re-check and the report in one place
def optimise(
    scenario: Scenario | Any,
    targets: Sequence[str] | None = None,
    p: float = 0.8,
    budget: float | None = None,
    maximise: str = "expected",
    draws: int = DRAWS,
    recheck_draws: int | None = None,
    seed: int | None = None,
    recheck_seed: int | None = None,
    jobs: int = 1,
    steps: int = STEPS,
    margin: float = 0.0,
    only_levers: Sequence[str] | None = None,
    name: str | None = None,
    runners_up: int = RUNNERS_UP,
    recheck: bool = True,
    executor: Any = None,
    evaluator: Evaluator | None = None,
) -> PackageSearch:
    """The cheapest package reaching P(met) ≥ ``p`` for every named target (``targets``: ids
    or ``group:NAME``), or with ``budget`` (万元 a year over the scenario) the package that
    maximises ``maximise`` ("expected", "all", "group:NAME"); re-checked on fresh draws.

    ``draws``/``seed``: of the search (default 5,000 and the scenario's seed);
    ``recheck_draws``/``recheck_seed``: of the re-check (default the scenario's draws and the
    search seed + 1); ``margin``: the search asks for P ≥ p + margin, room for the winner's
    curse (the re-check is judged against ``p``); ``only_levers``: raise only these levers.
    The module docstring states the algorithm.
    """
    sc = as_scenario(scenario)
    if not 0 < p < 1 or not 0 <= margin < 1 - p:
        raise SimError(f"need 0 < p < 1 and 0 <= margin < 1 - p, got p={p}, margin={margin}")
    if budget is not None and budget < 0:
        raise SimError(f"the budget must be at least 0 万元, got {budget}")
    t0 = time.perf_counter()
    with evaluating(sc, evaluator, draws, seed, jobs, executor) as ev:
        search, x, facts = search_package(ev, sc, targets, p, budget, maximise, steps, margin,
                                          only_levers)  # fmt: skip
        search_draws, search_seed = ev.draws, ev.seed
        packages = getattr(ev, "packages", 0)
    t1 = time.perf_counter()
    rc_draws = recheck_draws or sc.draws
    rc_seed = search_seed + 1 if recheck_seed is None else recheck_seed
    name = name or f"{sc.name}_package"
    runners = _runners_up(search, x, runners_up)
    describe = description(sc, facts, p, budget, search.objective.kind,
                            (search_draws, search_seed, rc_draws, rc_seed))  # fmt: skip
    rc = Recheck(
        package_scenario(sc, x, name, describe, rc_draws, rc_seed),
        [package_scenario(sc, r["settings"], f"{name}_runner_up_{i}", describe, rc_draws, rc_seed,
                          ("次优方案", "Runner-up package")) for i, r in enumerate(runners, 1)],
    )  # fmt: skip
    results = recheck_packages(sc, rc, rc_draws, rc_seed, jobs, executor) if recheck else []
    won = search.seen[key(x, search.base)]
    return PackageSearch(
        scenario=sc, package=rc.package, mode="targets" if budget is None else "budget",
        objective=search.objective.kind, p=p, budget=budget, named=facts["named"],
        unreachable=facts["unreachable"], search_draws=search_draws, search_seed=search_seed,
        recheck_draws=rc_draws, recheck_seed=rc_seed,
        targets=target_table(facts["named"], facts["unreachable"],
                             {"targets": facts["targets"], **won}, facts["now"], results, p),
        runners_up=_runner_table(runners, rc, results, search, facts),
        history=pd.DataFrame(search.history, columns=HISTORY_COLUMNS),
        value_search=won["value"], value_recheck=_recheck_value(search.objective, results, facts),
        results=results, packages_evaluated=packages, seconds_search=t1 - t0,
        seconds_recheck=time.perf_counter() - t1, notes=_notes(search, x, facts, p),
    )  # fmt: skip


HISTORY_COLUMNS = ["step", "phase", "lever_id", "from", "to", "extra_cost_wan", "gain",
                   "gain_se", "gain_per_wan", "candidates"]  # fmt: skip


def _recheck_value(obj: Objective, results: Sequence[Result], facts: dict[str, Any]) -> float:
    """The objective in the re-check (for "shortfall": minus the summed shortfall)."""
    if len(results) < 2:
        return math.nan
    res = results[1]
    pm = res.attainment.set_index("target_id")["p_met"]
    ids = [facts["targets"][j] for j in obj.columns]
    if obj.kind == "shortfall":
        return -float(sum(max(0.0, obj.p - float(pm[t])) for t in ids))
    if obj.kind == "expected":
        return float(sum(float(pm[t]) for t in ids))
    if obj.kind == "all":
        return float(res.p_all)
    g = res.groups.set_index("group")
    return float(g.loc[obj.kind.removeprefix("group:"), "p_all_met"])


def _runner_table(
    runners: list[dict[str, Any]], rc: Recheck, results: Sequence[Result], search: _Search,
    facts: dict[str, Any],
) -> pd.DataFrame:  # fmt: skip
    ids = [facts["targets"][j] for j in search.objective.columns]
    rows = []
    for i, r in enumerate(runners):
        row = {"rank": i + 2, "name": rc.runners_up[i].name,
               "changes": "; ".join(f"{k}={v:g}" for k, v in changed(r["settings"],
                                                                     search.base).items()),
               "extra_cost_wan": r["extra_cost_wan"], "value_search": r["value"],
               "min_p_search": min((float(r["p"][facts["targets"].index(t)]) for t in ids),
                                   default=math.nan)}  # fmt: skip
        if len(results) > 2 + i:
            pm = results[2 + i].attainment.set_index("target_id")["p_met"]
            row["min_p_recheck"] = min((float(pm[t]) for t in ids), default=math.nan)
        rows.append(row)
    cols = ["rank", "name", "changes", "extra_cost_wan", "value_search", "min_p_search",
            "min_p_recheck"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def _notes(search: _Search, x: Settings, facts: dict[str, Any], p: float) -> list[str]:
    notes = []
    if facts["unreachable"]:
        notes.append(f"not reachable at P ≥ {p:g} even with every lever acting on them at its "
                     f"maximum, so left out: {', '.join(facts['unreachable'])}")  # fmt: skip
    won = search.seen[key(x, search.base)]
    if search.objective.kind == "shortfall" and not won["feasible"]:
        notes.append("the search stopped before every reachable target got to P ≥ "
                     f"{p:g}: no single step raised them (see the history)")  # fmt: skip
    if not search.acting:
        notes.append("no lever acts on the targets concerned")
    return notes
