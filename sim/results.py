"""Results of a run: attainment, joint probabilities, trajectories; saving and loading.

A :class:`Result` is built from the engine's integer counts. It is saved to
``results/<scenario>/`` atomically: everything is written to a temporary folder beside it,
which replaces the old folder only when complete, so an interrupted run never leaves a
half-written result and never damages an earlier one.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim._version import __version__
from sim.catalogue import indicators, observed
from sim.errors import ResultError
from sim.reduction import Accumulator
from sim.scenario import Scenario, from_dict
from sim.targets import groups, targets

FORMAT_VERSION = 1
LIKELY, UNCERTAIN = 0.8, 0.5  # status thresholds on P(met) (DESIGN §7)
QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
Z95 = 1.959963984540054


def wilson(hits: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (sensible at 0 and 1, unlike p ± 2 SE)."""
    if n == 0:
        return (math.nan, math.nan)
    p = hits / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def status_of(p: float) -> str:
    """likely (≥ 0.8), uncertain (0.5–0.8) or at_risk (< 0.5)."""
    if math.isnan(p):
        return "not_modelled"
    return "likely" if p >= LIKELY else "uncertain" if p >= UNCERTAIN else "at_risk"


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

    # ------------------------------------------------------------------ summaries
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
            "p_all": self.p_all,
            "expected_met": float(self.joint.loc["expected_number_met", "p"]),
        }

    # ------------------------------------------------------------------ notebook helpers
    def table(self, status: str | None = None) -> pd.DataFrame:
        """The attainment table, tidy: one row per target, at-risk first.

        ``status`` keeps only targets with that status (e.g. ``"at_risk"``).
        """
        order = {"at_risk": 0, "uncertain": 1, "likely": 2, "not_modelled": 3, "qualitative": 4}
        df = self.attainment.assign(_o=self.attainment["status"].map(order))
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
        """Sampled whole trajectories of one indicator: a row per draw, a column per year."""
        values = self.sample["value"].sel(indicator=indicator)
        return pd.DataFrame(values.values, columns=values["year"].values).rename_axis(
            index="draw", columns="year"
        )

    def parameter_draws(self) -> pd.DataFrame:
        """Parameter values of the sampled draws: a row per draw of ``sample``, a column per id.

        Re-drawn from the run's seed: parameters have their own named streams, so the values
        are exactly those the run used for its first draws.
        """
        from sim.plan import CHUNK
        from sim.priors import draw_parameters

        n = min(int(self.manifest["draws"]), CHUNK)
        params = draw_parameters(int(self.manifest["seed"]), 0, n, self.scenario.assumptions)
        size = int(self.sample.sizes["draw"])
        return pd.DataFrame({pid: params[pid][:size] for pid in params}).rename_axis("draw")

    def drivers(self, target_id: str, top: int = 10) -> pd.DataFrame:
        """The parameters whose draws move a target's judged value most, over the sample.

        Spearman rank correlation between each parameter and the judged value, strongest
        first; fixed parameters are left out.
        """
        from scipy import stats

        from sim.targets import targets

        row = self.attainment.set_index("target_id").loc[target_id]
        target = targets()[target_id]
        if isinstance(row["reading"], str) and row["reading"] != "literal":
            target = target.with_reading(row["reading"])
        if not target.quantitative:
            raise ValueError(f"{target_id} is qualitative: it has no judged value")
        years = tuple(int(y) for y in self.sample["year"].values)
        values = self.sample["value"].sel(indicator=target.indicator).values
        judged = target.judged_value(values, years)
        params = self.parameter_draws()
        params = params.loc[:, params.nunique() > 1]
        rho = [stats.spearmanr(params[c], judged).statistic for c in params.columns]
        out = pd.DataFrame({"parameter": params.columns, "spearman": rho})
        out = out.assign(strength=out["spearman"].abs()).sort_values("strength", ascending=False)
        return out.drop(columns="strength").head(top).reset_index(drop=True)

    # ------------------------------------------------------------------ charts
    def chart(self, name: str, lang: str = "zh", page: int = 0) -> Any:
        """One chart of the pack as a matplotlib Figure (``page`` for multi-page charts).

        ``name``: cover, table, pmet, fans, at_risk, joint, cofailure, levers, assumptions.
        """
        from sim.charts.pages import SCENARIO_PAGES

        builders = dict(SCENARIO_PAGES)
        if name not in builders:
            raise KeyError(f"unknown chart {name!r}; choose one of {', '.join(builders)}")
        pages = builders[name](self, lang)
        return pages[page]

    def plot_table(self, lang: str = "zh", page: int = 0) -> Any:
        """The traffic-light table of every target (a Figure)."""
        return self.chart("table", lang, page)

    def plot_pmet(self, lang: str = "zh") -> Any:
        """P(met) per target with Wilson error bars, grouped by goal (a Figure)."""
        return self.chart("pmet", lang)

    def plot_fan(self, target_id: str, lang: str = "zh") -> Any:
        """The fan chart of one target's indicator, threshold marked (a Figure)."""
        from sim.charts.single import fan_figure

        return fan_figure(self, target_id, lang)

    def plot_at_risk(self, lang: str = "zh") -> Any:
        """Distributions of the judged values of the at-risk targets (a Figure)."""
        return self.chart("at_risk", lang)

    def plot_joint(self, lang: str = "zh") -> Any:
        """P(all met) per group and the distribution of the number of targets met (a Figure)."""
        return self.chart("joint", lang)

    def plot_cofailure(self, lang: str = "zh") -> Any:
        """Which targets tend to be missed together (a Figure)."""
        return self.chart("cofailure", lang)

    def save_charts(self, out_dir: str | Path | None = None, lang: str = "zh") -> Any:
        """Write the full chart pack (PDF + PNGs); default folder ``<result>/charts``."""
        from sim.charts.pack import build_pack

        if out_dir is None:
            if self.path is None:
                raise ResultError("save the result first, or give out_dir")
            out_dir = self.path / "charts"
        return build_pack([self], out_dir, lang=lang)

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
        cols = "".join(
            f"<th>{c}</th>"
            for c in (
                "target",
                "目标",
                "threshold",
                "P(met) ± SE",
                "judged value, median [10–90 %]",
                "status",
            )
        )
        return f"{head}<table><thead><tr>{cols}</tr></thead><tbody>{''.join(rows)}</tbody></table>"

    # ------------------------------------------------------------------ saving
    def save(self, directory: str | Path) -> Path:
        """Write every table, the trajectory sample and the manifest; atomic (see module)."""
        final = Path(directory)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
        try:
            self._write(tmp)
            _replace_dir(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.path = final
        return final

    def _tables(self) -> dict[str, pd.DataFrame]:
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
        return tables

    def _write(self, folder: Path) -> None:
        tables = self._tables()
        for name, df in tables.items():
            df.to_csv(folder / f"{name}.csv", index=False, encoding="utf-8-sig")
        with pd.ExcelWriter(folder / "results.xlsx", engine="openpyxl") as xlsx:
            for name, df in tables.items():
                df.to_excel(xlsx, sheet_name=name, index=False)
        self.sample.to_netcdf(folder / "sample.nc", engine="h5netcdf")
        manifest = {**self.manifest, "files": sorted(p.name for p in folder.iterdir())}
        manifest["files"].append("manifest.json")
        (folder / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
        )


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _replace_dir(new: Path, final: Path) -> None:
    """Put ``new`` at ``final``; an existing ``final`` is removed only once ``new`` is in place."""
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        final.rename(old)
        new.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        new.rename(final)


# ---------------------------------------------------------------------- building


def build_result(
    scenario: Scenario, acc: Accumulator, seed: int, timings: dict[str, float]
) -> Result:
    """Turn one scenario's counts into tables."""
    n = acc.draws
    years = acc.years
    rows = []
    modelled_index = {tid: j for j, tid in enumerate(acc.modelled)}
    for tid, base_target in targets().items():
        t = acc.targets.get(tid, base_target)
        row: dict[str, Any] = {
            "target_id": tid,
            "name_zh": t.name_zh,
            "name_en": t.name_en,
            "group": t.group,
            "clause": t.clause,
            "kind": t.kind,
            "reading": t.reading or "literal",
            "indicator": t.indicator,
            "threshold": t.threshold,
            "unit": t.unit,
            "deadline": t.deadline,
        }
        row.update(_value_2022(t.indicator, acc))
        if tid in modelled_index:
            j = modelled_index[tid]
            hits = int(acc.met[j])
            p = hits / n
            grid = acc.edges.targets[tid]
            lo, hi = wilson(hits, n)
            row.update(
                p_met=p,
                mc_se=math.sqrt(p * (1 - p) / n),
                wilson_lo=lo,
                wilson_hi=hi,
                judged_q10=grid.quantile(acc.judged[tid], 0.10),
                judged_median=grid.quantile(acc.judged[tid], 0.50),
                judged_q90=grid.quantile(acc.judged[tid], 0.90),
                status=status_of(p),
            )
        else:
            row.update(
                p_met=math.nan, mc_se=math.nan, wilson_lo=math.nan, wilson_hi=math.nan,
                judged_q10=math.nan, judged_median=math.nan, judged_q90=math.nan,
                status="qualitative" if not t.quantitative else "not_modelled",
            )  # fmt: skip
        rows.append(row)
    attainment = pd.DataFrame(rows)
    return Result(
        scenario=scenario,
        attainment=attainment,
        joint=_joint(acc),
        groups=_groups(acc),
        cofailure=_cofailure(acc),
        n_met=pd.DataFrame(
            {"targets_met": np.arange(len(acc.n_met)), "probability": acc.n_met / n}
        ),
        trajectories=_trajectories(acc, years),
        distributions=_distributions(acc),
        sample=_sample(acc, years),
        manifest=_manifest(scenario, acc, seed, timings),
        comparison=None,
    )


def _value_2022(indicator: str | None, acc: Accumulator) -> dict[str, Any]:
    """The indicator's 2022 value: observed if published, else the model's start median."""
    if indicator is None:
        return {"value_2022": math.nan, "value_2022_source": "no indicator (qualitative)"}
    obs = observed(indicator, 2022)
    if obs is not None:
        return {"value_2022": obs.value, "value_2022_source": f"observed ({obs.status})"}
    if indicator in acc.series and 2022 in acc.years:
        j = acc.years.index(2022)
        grid = acc.edges.series[indicator][j]
        return {"value_2022": grid.quantile(acc.series[indicator][j], 0.5),
                "value_2022_source": "model prior (median)"}  # fmt: skip
    return {"value_2022": math.nan, "value_2022_source": "not modelled"}


def _se(p: float, n: int) -> float:
    return math.sqrt(max(p * (1 - p), 0.0) / n) if n else math.nan


def _joint(acc: Accumulator) -> pd.DataFrame:
    n = acc.draws
    p_all = acc.all_met / n
    p = acc.met / n
    expected = float(p.sum())
    k = np.arange(len(acc.n_met))
    var_count = float((acc.n_met / n) @ (k - expected) ** 2)
    rows = {
        "all_targets": (p_all, _se(p_all, n)),
        "expected_number_met": (expected, math.sqrt(var_count / n)),
        "number_of_targets_modelled": (float(len(acc.modelled)), 0.0),
        "smallest_single_p": (float(p.min()) if len(p) else math.nan, 0.0),
    }
    return pd.DataFrame(
        [{"measure": key, "p": v, "mc_se": se} for key, (v, se) in rows.items()]
    ).set_index("measure")


def _groups(acc: Accumulator) -> pd.DataFrame:
    n = acc.draws
    out = []
    for g, hits in acc.group_all_met.items():
        members = [t for t in acc.modelled if acc.targets[t].group == g]
        p = hits / n
        out.append({"group": g, "name_zh": groups()[g].name_zh, "name_en": groups()[g].name_en,
                    "targets": len(members), "p_all_met": p, "mc_se": _se(p, n)})  # fmt: skip
    return pd.DataFrame(out)


def _cofailure(acc: Accumulator) -> pd.DataFrame:
    """P(both targets missed) for every pair of modelled targets."""
    return pd.DataFrame(
        acc.cofail / acc.draws, index=list(acc.modelled), columns=list(acc.modelled)
    ).rename_axis("target_id")


def _trajectories(acc: Accumulator, years: tuple[int, ...]) -> pd.DataFrame:
    inds = indicators()
    rows = []
    for name, counts in acc.series.items():
        info = inds.get(name)
        for j, year in enumerate(years):
            grid = acc.edges.series[name][j]
            c = counts[j, : grid.bins + 2]
            row = {
                "indicator": name,
                "name_zh": info.name_zh if info else name,
                "name_en": info.name_en if info else name,
                "unit": info.unit if info else "",
                "year": year,
                "mean": grid.mean(c),
            }
            row.update({f"q{round(q * 100):02d}": grid.quantile(c, q) for q in QUANTILES})
            rows.append(row)
    return pd.DataFrame(rows)


def _distributions(acc: Accumulator) -> pd.DataFrame:
    """Histogram of every target's judged value (non-empty bins), for charts."""
    rows = []
    for tid in acc.modelled:
        grid = acc.edges.targets[tid]
        counts = acc.judged[tid]
        for i in np.flatnonzero(counts):
            lo = -math.inf if i == 0 else grid.lo + (i - 1) * grid.width
            hi = math.inf if i == grid.bins + 1 else grid.lo + i * grid.width
            rows.append({"target_id": tid, "bin_lo": lo, "bin_hi": hi,
                         "probability": counts[i] / acc.draws})  # fmt: skip
    return pd.DataFrame(rows, columns=["target_id", "bin_lo", "bin_hi", "probability"])


def _sample(acc: Accumulator, years: tuple[int, ...]):
    import xarray as xr

    names = list(acc.sample)
    size = acc.sample_size
    values = np.stack([acc.sample[name][:size] for name in names], axis=2)
    inds = indicators()
    ds = xr.Dataset(
        {"value": (("draw", "year", "indicator"), values)},
        coords={
            "draw": np.arange(size),
            "year": list(years),
            "indicator": names,
            "name_zh": ("indicator", [inds[i].name_zh if i in inds else i for i in names]),
            "name_en": ("indicator", [inds[i].name_en if i in inds else i for i in names]),
            "unit": ("indicator", [inds[i].unit if i in inds else "" for i in names]),
        },
        attrs={"description": "whole trajectories of the first draws of the run"},
    )
    return ds


def _manifest(
    scenario: Scenario, acc: Accumulator, seed: int, timings: dict[str, float]
) -> dict[str, Any]:
    from sim.plan import CHUNK, SAMPLE

    return {
        "format_version": FORMAT_VERSION,
        "sim_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "scenario": scenario.spec(),
        "scenario_levers": dict(scenario.levers),
        "scenario_hash": scenario.hash(),
        "scenario_source": scenario.source,
        "annual_cost_wan": scenario.annual_cost_wan(),
        "seed": seed,
        "draws": acc.draws,
        "chunk_size": CHUNK,
        "sample_draws": min(SAMPLE, acc.draws),
        "years": list(acc.years),
        "targets_modelled": list(acc.modelled),
        "targets_not_modelled": [t for t in acc.targets if t not in acc.modelled],
        "timings_seconds": timings,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
    }


def add_comparison(results: list[Result], accs: list[Accumulator]) -> None:
    """Attach paired differences against the first scenario to every other result."""
    ref = results[0]
    ref_p = ref.attainment.set_index("target_id")["p_met"]
    for res, acc in zip(results[1:], accs[1:], strict=True):
        n = acc.draws
        rows = []
        for j, tid in enumerate(acc.modelled):
            gain, loss = int(acc.pair_gain[j]), int(acc.pair_loss[j])  # type: ignore[index]
            diff = (gain - loss) / n
            second = (gain + loss) / n
            se = math.sqrt(max(second - diff * diff, 0.0) / n)
            p = float(res.attainment.set_index("target_id").loc[tid, "p_met"])
            rows.append({"target_id": tid, "reference": ref.scenario.name,
                         "p_reference": float(ref_p[tid]), "p_scenario": p,
                         "difference": diff, "difference_se": se})  # fmt: skip
        gain, loss = acc.pair_all
        diff = (gain - loss) / n
        se = math.sqrt(max((gain + loss) / n - diff * diff, 0.0) / n)
        rows.append({"target_id": "all_targets", "reference": ref.scenario.name,
                     "p_reference": ref.p_all, "p_scenario": res.p_all,
                     "difference": diff, "difference_se": se})  # fmt: skip
        res.comparison = pd.DataFrame(rows).assign(
            cost_reference_wan=ref.scenario.annual_cost_wan(),
            cost_scenario_wan=res.scenario.annual_cost_wan(),
        )


# ---------------------------------------------------------------------- loading


def load_result(directory: str | Path) -> Result:
    """Read a saved result back (raises ResultError with a clear message if it can't)."""
    folder = Path(directory)
    manifest_path = folder / "manifest.json"
    if not folder.is_dir():
        raise ResultError(f"{folder}: no such result folder")
    if not manifest_path.exists():
        raise ResultError(f"{folder}: not a sim result (no manifest.json); run `sim run` first")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ResultError(f"{manifest_path}: unreadable manifest ({exc})") from None
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise ResultError(
            f"{folder}: written in result format {version!r} by sim "
            f"{manifest.get('sim_version', '?')}; this sim {__version__} reads format "
            f"{FORMAT_VERSION}. Re-run the scenario."
        )
    import xarray as xr

    def table(name: str) -> pd.DataFrame:
        path = folder / f"{name}.csv"
        if not path.exists():
            raise ResultError(f"{folder}: incomplete result, {path.name} is missing")
        return pd.read_csv(path, encoding="utf-8-sig")

    spec = manifest["scenario"]
    scenario = from_dict(spec, source=manifest.get("scenario_source", str(folder)))
    comparison = table("comparison") if (folder / "comparison.csv").exists() else None
    with xr.open_dataset(folder / "sample.nc", engine="h5netcdf") as ds:
        sample = ds.load()
    return Result(
        scenario=scenario,
        attainment=table("attainment"),
        joint=table("joint").set_index("measure"),
        groups=table("groups"),
        cofailure=table("cofailure").set_index("target_id"),
        n_met=table("n_met"),
        trajectories=table("trajectories"),
        distributions=table("distributions"),
        sample=sample,
        manifest=manifest,
        comparison=comparison,
        path=folder,
    )
