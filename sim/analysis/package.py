"""A package found by :func:`sim.analysis.optimise.optimise`: its re-check on fresh draws, its
tables, and the scenario file that ``sim run`` accepts.

The re-check runs the scenario, the package and the runners-up together with
:func:`sim.run_many` on ``recheck_draws`` draws from ``recheck_seed`` — draws the search never
saw — so the search's probabilities (chosen as the best of many noisy candidates, hence biased
upwards: the winner's curse) and the re-check's stand side by side. The package is saved with
the re-check's draws and seed, so ``sim run`` of the file gives the re-check's numbers exactly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.decision import Settings, changed, package_cost, pages_of
from sim.errors import SimError
from sim.levers import levers
from sim.results import Result
from sim.runner import run_many
from sim.scenario import MAX_TITLE_CHARS, Scenario, load_scenario

TARGET_COLUMNS = [
    "target_id", "named", "reachable", "p_now_search", "p_search", "p_search_se",
    "p_now_recheck", "p_recheck", "p_recheck_se", "difference", "difference_se", "meets_p",
]  # fmt: skip


@dataclass
class Recheck:
    """The packages to re-check: the winner and the runners-up, as scenarios."""

    package: Scenario
    runners_up: list[Scenario]


def package_scenario(
    scenario: Scenario, settings: Settings, name: str, description: str, draws: int, seed: int,
    titles: tuple[str, str] = ("最低成本方案", "Cheapest package"),
) -> Scenario:  # fmt: skip
    """The scenario running ``settings``, renamed, with the re-check's draws and seed."""
    sc = scenario.with_levers(**changed(settings, scenario.levers))
    sc = sc.renamed(name[:MAX_TITLE_CHARS], description[:2000], *titles)
    return sc.with_run_settings(draws, seed)


def recheck_packages(
    scenario: Scenario, rc: Recheck, draws: int, seed: int, jobs: int = 1, executor: Any = None
) -> list[Result]:
    """Run the scenario, the package and the runners-up on fresh draws (paired)."""
    return run_many([scenario, rc.package, *rc.runners_up], draws=draws, seed=seed, jobs=jobs,
                    executor=executor)  # fmt: skip


@dataclass
class PackageSearch:
    """What :func:`sim.optimise` found (see :mod:`sim.analysis.optimise`).

    ``package``: the scenario to run (``toml()``, ``write(path)``); ``table()``: per target,
    P(met) now and with the package, in the search and in the re-check, with SEs;
    ``runners_up``, ``history`` (the search's steps); ``plot(lang)``: the chart page.
    """

    scenario: Scenario
    package: Scenario
    mode: str  # "targets" or "budget"
    objective: str  # "shortfall", "expected", "all" or "group:<id>"
    p: float
    budget: float | None
    named: list[str]
    unreachable: list[str]
    search_draws: int
    search_seed: int
    recheck_draws: int
    recheck_seed: int
    targets: pd.DataFrame
    runners_up: pd.DataFrame
    history: pd.DataFrame
    value_search: float
    value_recheck: float = math.nan
    results: list[Result] = field(default_factory=list)
    packages_evaluated: int = 0
    seconds_search: float = 0.0
    seconds_recheck: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def changes(self) -> dict[str, float]:
        """The levers the package sets away from the scenario."""
        return changed(self.package.levers, self.scenario.levers)

    @property
    def cost_wan(self) -> float:
        """Annual cost of every lever under the package."""
        return package_cost(self.package.levers)

    @property
    def extra_cost_wan(self) -> float:
        """Annual cost over the scenario's."""
        return self.cost_wan - package_cost(self.scenario.levers)

    def table(self) -> pd.DataFrame:
        """Per target: P(met) now and with the package, in the search and the re-check."""
        return self.targets.copy()

    def lever_table(self) -> pd.DataFrame:
        """The levers changed: setting now, in the package, and the extra annual cost."""
        rows = []
        for lid, value in self.changes.items():
            lv, now = levers()[lid], float(self.scenario.levers[lid])
            rows.append({"lever_id": lid, "setting_now": now, "setting": value, "unit": lv.unit,
                         "extra_cost_wan": lv.cost_wan(value) - lv.cost_wan(now)})  # fmt: skip
        return pd.DataFrame(rows, columns=["lever_id", "setting_now", "setting", "unit",
                                           "extra_cost_wan"])  # fmt: skip

    def toml(self) -> str:
        """The package as a scenario file (``sim run`` reproduces the re-check with it)."""
        return scenario_toml(self.package)

    def write(self, path: str | Path) -> Path:
        """Write the scenario file and check it loads back to the same package."""
        path = Path(path)
        path.write_text(self.toml(), encoding="utf-8")
        back = load_scenario(path)
        if back.hash() != self.package.hash():
            raise SimError(f"{path}: the written scenario does not load back to the package")
        return path

    def plot(self, lang: str = "zh", page: int = 0) -> Any:
        """The chart page (a matplotlib Figure)."""
        return pages_of(self, lang)[page]

    def to_json(self) -> dict[str, Any]:
        """Plain data: the settings, costs, probabilities, runners-up and the search's steps."""
        return {
            "scenario": self.scenario.name, "package": self.package.name, "mode": self.mode,
            "objective": self.objective, "p": self.p, "budget_wan": self.budget,
            "changes": self.changes, "cost_wan": self.cost_wan,
            "extra_cost_wan": self.extra_cost_wan, "named": self.named,
            "unreachable": self.unreachable, "value_search": self.value_search,
            "value_recheck": _none(self.value_recheck),
            "search": {"draws": self.search_draws, "seed": self.search_seed,
                       "packages": self.packages_evaluated,
                       "seconds": round(self.seconds_search, 2)},
            "recheck": {"draws": self.recheck_draws, "seed": self.recheck_seed,
                        "seconds": round(self.seconds_recheck, 2)},
            "targets": _records(self.targets), "runners_up": _records(self.runners_up),
            "history": _records(self.history), "notes": self.notes,
        }  # fmt: skip


def _none(x: float) -> float | None:
    return None if isinstance(x, float) and math.isnan(x) else x


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    clean = df.astype(object).where(pd.notna(df), None)
    return [dict(r) for r in clean.to_dict(orient="records")]


def target_table(
    named: Sequence[str],
    unreachable: Sequence[str],
    search: Mapping[str, Any],
    now: Mapping[str, Any],
    results: Sequence[Result],
    p: float,
) -> pd.DataFrame:
    """Per target (the named first, then every other modelled one): P(met) now and with the
    package in the search (``search``/``now``: dicts with arrays ``p``, ``p_se`` and the
    ``targets`` order) and in the re-check (``results``: scenario, package, ...)."""
    ids = list(search["targets"])
    order = [*named, *(t for t in ids if t not in named)]
    rc = _recheck_columns(results)
    rows = []
    for tid in order:
        j = ids.index(tid)
        r = rc.get(tid, {})
        rows.append({
            "target_id": tid, "named": tid in named, "reachable": tid not in unreachable,
            "p_now_search": float(now["p"][j]), "p_search": float(search["p"][j]),
            "p_search_se": float(search["p_se"][j]), **r,
            "meets_p": r.get("p_recheck", search["p"][j]) >= p,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)


def _recheck_columns(results: Sequence[Result]) -> dict[str, dict[str, float]]:
    if len(results) < 2:
        return {}
    base = results[0].attainment.set_index("target_id")
    pkg = results[1].attainment.set_index("target_id")
    cmp = results[1].comparison
    diffs = pd.DataFrame(columns=["difference", "difference_se"])
    if cmp is not None:
        diffs = cmp.set_index("target_id")
    out = {}
    for tid in pkg.index:
        if not math.isfinite(float(pkg.loc[tid, "p_met"])):
            continue
        paired = tid in diffs.index
        out[tid] = {
            "p_now_recheck": float(base.loc[tid, "p_met"]),
            "p_recheck": float(pkg.loc[tid, "p_met"]),
            "p_recheck_se": float(pkg.loc[tid, "mc_se"]),
            "difference": float(diffs.loc[tid, "difference"]) if paired else math.nan,
            "difference_se": float(diffs.loc[tid, "difference_se"]) if paired else math.nan,
        }
    return out


def description(
    sc: Scenario, facts: dict[str, Any], p: float, budget: float | None, kind: str,
    run: tuple[int, int, int, int],
) -> str:  # fmt: skip
    """The package file's description: its goal, the targets left out, the two runs."""
    d, s, rd, rs = run
    kept = [t for t in facts["named"] if t not in facts["unreachable"]]
    left = (f" Not reachable within the levers' bounds, left out: "
            f"{', '.join(facts['unreachable'])}." if facts["unreachable"] else "")  # fmt: skip
    goal = (f"the least-cost package with P(met) >= {p:g} for {', '.join(kept) or 'none'}"
            if budget is None else
            f"the package with the most {kind} for {budget:,.0f} wan a year more")  # fmt: skip
    return (f"Found by sim optimise from {sc.name}: {goal}.{left} Search: {d:,} draws, seed "
            f"{s}; re-checked on {rd:,} fresh draws, seed {rs} (this file's draws and seed, so "
            "sim run reproduces the re-check).")  # fmt: skip


# ---------------------------------------------------------------------- the scenario file


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"cannot write {v} to a scenario file")
        return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)
    return json.dumps(str(v), ensure_ascii=False)  # a TOML basic string is a JSON string


def _toml_key(k: str) -> str:
    bare = k.replace("_", "").replace("-", "").isalnum() and k.isascii()
    return k if bare else json.dumps(k, ensure_ascii=False)


def scenario_toml(sc: Scenario, header: str = "") -> str:
    """A scenario as a TOML file that :func:`sim.load_scenario` reads back to the same scenario
    (levers set away from the status quo, readings, assumptions; no actuals)."""
    if sc.actuals:
        raise SimError(f"{sc.name}: writing a scenario with actuals is not supported")
    spec = sc.spec()
    lines = [f"# {line}" for line in header.splitlines()] if header else []
    for k in ("name", "title_zh", "title_en", "description", "draws", "seed"):
        if k in spec:
            lines.append(f"{k} = {_toml_value(spec[k])}")
    for table in ("levers", "readings", "assumptions"):
        if spec[table]:
            lines += ["", f"[{table}]"]
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in spec[table].items()]
    return "\n".join(lines) + "\n"
