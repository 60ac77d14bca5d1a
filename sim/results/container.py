"""The :class:`Result` of a run: its tables, its trajectory sample and its manifest, with the
conveniences a notebook wants (tidy tables, one indicator's quantiles or draws, an HTML view).

Charts and other extensions attach to a result by registration, as pandas accessors do
(:func:`register_accessor`): ``sim.charts`` registers ``result.plot``, so this layer never
imports the chart layer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from sim.errors import ResultError, ScenarioError
from sim.results import store
from sim.results.stats import STATUS_ORDER
from sim.scenario import Scenario, from_dict

T = TypeVar("T")


class _Accessor:
    """A class attribute that builds ``cls(result)`` on first use and caches it per result."""

    def __init__(self, name: str, cls: type):
        self._name = name
        self._cls = cls

    def __get__(self, obj: Any, owner: type) -> Any:
        if obj is None:
            return self._cls
        value = self._cls(obj)
        object.__setattr__(obj, self._name, value)
        return value


def register_accessor(name: str) -> Callable[[type[T]], type[T]]:
    """Class decorator: make ``result.<name>`` an instance of the class, built on first use.

    The class takes the result as its only argument. Used by ``sim.charts`` for
    ``result.plot``; a name already taken by :class:`Result` is refused.
    """

    def decorate(cls: type[T]) -> type[T]:
        existing = getattr(Result, name, None)
        if existing is not None and not isinstance(Result.__dict__.get(name), _Accessor):
            raise AttributeError(f"Result already has an attribute {name!r}")
        setattr(Result, name, _Accessor(name, cls))
        return cls

    return decorate


@dataclass
class Result:
    """Everything a run found for one scenario."""

    scenario: Scenario
    attainment: pd.DataFrame
    joint: pd.DataFrame
    groups: pd.DataFrame
    cofailure: pd.DataFrame
    n_met: pd.DataFrame
    trajectories: pd.DataFrame
    distributions: pd.DataFrame
    sample: Any  # xarray.Dataset: value(draw, year, indicator)
    manifest: dict[str, Any]
    comparison: pd.DataFrame | None = None
    path: Path | None = field(default=None, repr=False)
    # A run with actuals: "changes", "actuals", "ess", "trajectories_before" (sim.results.changes)
    update_tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ summaries
    @property
    def draws_run(self) -> int:
        """The number of draws simulated."""
        return int(self.manifest["draws"])

    @property
    def p_all(self) -> float:
        """Probability that every modelled target is met."""
        return float(self.joint.loc["all_targets", "p"])

    def summary(self) -> dict[str, Any]:
        """Headline numbers: counts by status, P(all), expected number met."""
        counts = self.attainment["status"].value_counts().to_dict()
        return {
            "scenario": self.scenario.name,
            "draws": self.manifest["draws"],
            "seed": self.manifest["seed"],
            "likely": counts.get("likely", 0),
            "uncertain": counts.get("uncertain", 0),
            "at_risk": counts.get("at_risk", 0),
            "not_modelled": counts.get("not_modelled", 0),
            "qualitative": counts.get("qualitative", 0),
            "p_all": self.p_all,
            "expected_met": float(self.joint.loc["expected_number_met", "p"]),
        }

    def annual_cost_wan(self) -> float:
        """The scenario's annual lever cost in 万元 (as recorded when it ran)."""
        value = self.manifest.get("annual_cost_wan")
        return float(value) if value is not None else float(self.scenario.annual_cost_wan())

    # ------------------------------------------------------------------ actuals
    @property
    def has_actuals(self) -> bool:
        """Whether the run was conditioned on actuals."""
        return bool(self.update_tables)

    def _update_table(self, name: str) -> pd.DataFrame:
        if not self.update_tables:
            raise ResultError(
                f"{self.scenario.name}: this run has no actuals, so nothing was updated; add "
                "[[actuals]] to the scenario (see scenarios/monitoring_example.toml)"
            )
        return self.update_tables[name]

    def changes(self) -> pd.DataFrame:
        """What the actuals changed: per target, P(met) before and after, the paired
        difference with its SE, and the actual that moved it most; largest moves first."""
        df = self._update_table("changes")
        order = df["difference"].abs().sort_values(ascending=False, kind="stable").index
        return df.loc[order].reset_index(drop=True)

    def actuals(self) -> pd.DataFrame:
        """The actuals: observation model, where each fell in the model's view before the
        update (prior percentile) and its effective sample size on its own."""
        return self._update_table("actuals")

    def effective_draws(self) -> pd.DataFrame:
        """The effective sample size after each year with actuals, and the draws needed to
        bring it to the warning threshold."""
        return self._update_table("ess")

    @property
    def warnings(self) -> list[str]:
        """Warnings of the run (a low effective sample size after the actuals, say)."""
        return list(self.manifest.get("update", {}).get("warnings", []))

    # ------------------------------------------------------------------ notebook helpers
    def table(self, status: str | None = None) -> pd.DataFrame:
        """The attainment table, tidy: one row per target, at-risk first.

        ``status`` keeps only targets with that status (e.g. ``"at_risk"``).
        """
        df = self.attainment.assign(_o=self.attainment["status"].map(STATUS_ORDER))
        df = df.sort_values(["_o", "p_met"], kind="stable").drop(columns="_o")
        if status is not None:
            df = df[df["status"] == status]
        return df.reset_index(drop=True)

    def trajectory(self, indicator: str) -> pd.DataFrame:
        """Yearly quantiles of one indicator over all draws, indexed by year."""
        df = self.trajectories[self.trajectories["indicator"] == indicator]
        if df.empty:
            known = ", ".join(sorted(self.trajectories["indicator"].unique()))
            raise KeyError(f"unknown indicator {indicator!r}; known: {known}")
        return df.drop(columns=["indicator"]).set_index("year")

    def draws(self, indicator: str) -> pd.DataFrame:
        """Sampled whole trajectories of one indicator: a row per draw, a column per year.

        In a run with actuals these are the prior's draws: weigh them with
        :meth:`sample_weights` for the updated view (the tables already are)."""
        values = self.sample["value"].sel(indicator=indicator)
        return pd.DataFrame(values.values, columns=values["year"].values).rename_axis(
            index="draw", columns="year"
        )

    def sample_weights(self) -> pd.Series:
        """Each sampled draw's weight given the actuals (1 in a run without actuals)."""
        if "weight" in self.sample.data_vars:
            values = self.sample["weight"].values
        else:
            values = [1.0] * int(self.sample.sizes["draw"])
        return pd.Series(values, name="weight").rename_axis("draw")

    def _repr_html_(self) -> str:
        s = self.summary()
        colours = {"likely": "#d8ecd3", "uncertain": "#fbe7b5", "at_risk": "#f6c9c4"}
        rows = []
        for r in self.table().itertuples():
            if r.status == "qualitative":
                continue
            bg = colours.get(r.status, "#eeeeee")
            p = "–" if math.isnan(r.p_met) else f"{r.p_met:.3f} ± {r.mc_se:.3f}"
            judged = ("" if math.isnan(r.judged_median) else
                      f"{r.judged_median:.4g} [{r.judged_q10:.4g}–{r.judged_q90:.4g}]")  # fmt: skip
            rows.append(
                f"<tr><td>{r.target_id}</td><td>{_html(r.name_zh)}</td>"
                f"<td style='text-align:right'>≥ {r.threshold:g} {_html(str(r.unit))}</td>"
                f"<td style='text-align:right'>{p}</td><td style='text-align:right'>{judged}</td>"
                f"<td style='background:{bg}'>{r.status.replace('_', ' ')}</td></tr>"
            )
        head = (
            f"<p><b>{_html(self.scenario.name)}</b>: {s['draws']:,} draws, seed {s['seed']} — "
            f"likely {s['likely']}, uncertain {s['uncertain']}, at risk {s['at_risk']}; "
            f"P(all met) = {s['p_all']:.4f}; expected number met {s['expected_met']:.1f}</p>"
        )
        headings = ("target", "目标", "threshold", "P(met) ± SE",
                    "judged value, median [10–90 %]", "status")  # fmt: skip
        cols = "".join(f"<th>{c}</th>" for c in headings)
        return f"{head}<table><thead><tr>{cols}</tr></thead><tbody>{''.join(rows)}</tbody></table>"

    # ------------------------------------------------------------------ saving
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table as it is saved (indexes reset), keyed by file name."""
        tables = {
            "attainment": self.attainment,
            "joint": self.joint.reset_index(),
            "groups": self.groups,
            "cofailure": self.cofailure.reset_index(),
            "n_met": self.n_met,
            "trajectories": self.trajectories,
            "distributions": self.distributions,
        }
        if self.comparison is not None:
            tables["comparison"] = self.comparison
        return tables | self.update_tables

    def save(self, directory: str | Path) -> Path:
        """Write every table, the trajectory sample and the manifest; atomic (see
        :mod:`sim.results.store`). A run without the series (a sweep) cannot be saved."""
        if self.manifest.get("series", True) is not True:
            raise ResultError(
                f"{self.scenario.name}: this run kept the trajectories and sample of only "
                "some series, or none (a sweep's or the live page's lighter reduction), so it "
                "cannot be saved as a result folder; run it with series=True to save it"
            )
        final = store.write_atomically(
            Path(directory),
            lambda folder: store.write_folder(folder, self.tables(), self.sample, self.manifest),
        )
        self.path = final
        return final


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def load_result(directory: str | Path) -> Result:
    """Read a saved result back (raises ResultError with a clear message if it can't)."""
    stored = store.read_folder(directory)
    manifest = stored.manifest
    where = stored.folder / store.MANIFEST
    source = manifest.get("scenario_source")
    try:
        scenario = from_dict(manifest["scenario"], source=str(source or where))
    except ScenarioError as exc:  # the copy in the manifest is at fault, not the original file
        lines = "\n  ".join(p.render(f"{where}: scenario") for p in exc.problems)
        raise ResultError(
            f"{where}: the scenario stored in the manifest is invalid\n  {lines}"
        ) from None
    t = stored.tables
    return Result(
        scenario=scenario,
        attainment=t["attainment"],
        joint=t["joint"].set_index("measure"),
        groups=t["groups"],
        cofailure=t["cofailure"].set_index("target_id"),
        n_met=t["n_met"],
        trajectories=t["trajectories"],
        distributions=t["distributions"],
        sample=stored.sample,
        manifest=manifest,
        comparison=t.get("comparison"),
        path=stored.folder,
        update_tables={k: t[k] for k in store.UPDATE_TABLES if k in t},
    )
