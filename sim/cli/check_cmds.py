"""`sim backcast`, `sim backtest`, `sim crosscheck` and `sim reference`: how far to trust the
model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

if TYPE_CHECKING:
    pass

from sim.cli.app import Lang, _fmt, app, out, reports_errors
from sim.cli.bounds import SEED_MAX, load_runnable
from sim.errors import SimError


@app.command("backcast")
@reports_errors
def backcast_cmd(
    draws: Annotated[int, typer.Option(min=100, help="Draws.")] = 20_000,
    seed: Annotated[int, typer.Option(min=0, max=SEED_MAX, help="Seed.")] = 20230305,
    jobs: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Simulate 2021–2022 from the 2020 state and place each observation in its prediction.

    In-sample: the priors were set from the same 2022 values, so this shows that the model
    runs from 2020 and reproduces what it was given, not that the priors are right. The
    out-of-sample test is `sim backtest`.
    """
    from sim.checks.backcast import run_backcast

    bc = run_backcast(draws=draws, seed=seed, jobs=jobs)
    table = Table(
        title=f"Backcast 2020 → 2022, status quo, {draws:,} draws: where the observations fall "
        "(IN-SAMPLE)"
    )
    for col in (
        "indicator",
        "year",
        "observed",
        "95 % predictive interval",
        "median",
        "percentile",
        "2020 start",
        "in-sample",
    ):
        table.add_column(
            col,
            no_wrap=col != "2020 start",
            justify="left" if col in ("indicator", "2020 start") else "right",
        )
    for r in bc.table.itertuples():
        style = "" if r.inside_95 else "bold red"
        table.add_row(
            r.indicator,
            str(r.year),
            f"[{style}]{_fmt(r.observed)}[/]" if style else _fmt(r.observed),
            f"{_fmt(r.q025)} – {_fmt(r.q975)}",
            _fmt(r.median),
            f"{r.percentile:.0f}",
            r.start_2020,
            "no" if r.independent else "yes: a prior uses it",
        )
    out.print(table)
    for u in bc.unchecked.itertuples():
        out.print(f"not checked: {u.indicator} — {u.reason}", highlight=False)
    inside = int(bc.table["inside_95"].sum())
    out.print(
        f"{inside} of {len(bc.table)} observations inside their 95 % predictive interval. "
        f"In-sample: {bc.in_sample} of the {len(bc.table)} values were used to set the priors "
        "or the start, so this shows the model runs from 2020 and reproduces what it was given, "
        "not that its intervals are calibrated. For that: sim backtest (out-of-sample, on the "
        "reference class).",
        highlight=False,
        soft_wrap=True,
    )


@app.command("backtest")
@reports_errors
def backtest_cmd(
    draws: Annotated[int, typer.Option(min=100, max=100_000, help="Draws per forecast.")] = 2000,
    seed: Annotated[int, typer.Option(min=0, max=SEED_MAX, help="Seed.")] = 20230305,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder (replaced whole).")] = Path(
        "results/backtest"
    ),
    lang: Annotated[Lang, typer.Option(help="Language of the PIT histogram.")] = Lang.zh,
) -> None:
    """Pseudo out-of-sample test of the forecasting method on the reference class.

    From every year T with a full window of peer data, each peer unit is forecast 1–3 years
    ahead with the model's own priors-and-trend method and only the data up to T; the table
    gives how often the published values fall inside the 50 % and 90 % intervals. Saves the
    cases (backtest_cases.csv), the coverage (backtest_coverage.csv) and the PIT histogram
    (backtest_pit.png) to --out.
    """
    from sim.checks.backtest import GOAL, run_backtest, trends_by_class

    _check_backtest_folder(out_dir)
    bt = run_backtest(draws=draws, seed=seed)
    _coverage_table(bt.coverage(), f"Backtest coverage, {draws:,} draws a forecast, seed {seed}")
    _coverage_table(bt.coverage(horizon=3), "The same, three years ahead only (T+3)")
    for cid in sorted(trends_by_class().keys() - set(bt.cases["class"])):
        out.print(f"no case: {cid} — no origin year with a full window of peer data and a "
                  "later published value", highlight=False)  # fmt: skip
    (lo50, hi50), (lo90, hi90) = GOAL["cover50"], GOAL["cover90"]
    out.print(
        f"Goal: 90 % intervals cover {lo90:.0%}–{hi90:.0%} of cases and 50 % intervals "
        f"{lo50:.0%}–{hi50:.0%}, overall and for every class with at least 20 cases. "
        "se: binomial standard error at the nominal level, cases taken as independent; "
        "se by unit: clustered by unit (a unit's cases share its history, so this one is the "
        "honest error). Below the band: intervals too narrow; above: too wide.",
        highlight=False,
        soft_wrap=True,
    )
    folder = _save_backtest(bt, out_dir, lang.value)
    out.print(f"saved {folder}/ (cases, coverage, PIT histogram)", highlight=False)


def _coverage_table(cov: Any, title: str) -> None:
    from sim.checks.backtest import meets_goal

    table = Table(title=title)
    for col in ("class", "cases", "units", "50 % covered", "se / by unit", "90 % covered",
                "se / by unit", "goal"):  # fmt: skip
        table.add_column(col, justify="left" if col == "class" else "right", no_wrap=True)
    for cid, r in cov.iterrows():
        verdict = meets_goal(r)
        goal = {None: "too few cases", True: "met", False: "[bold red]missed[/]"}[verdict]
        table.add_row(
            str(cid), str(int(r["cases"])), str(int(r["units"])), _share(r["cover50"]),
            f"{_share(r['cover50_se'])} / {_share(r['cover50_se_units'])}",
            _share(r["cover90"]), f"{_share(r['cover90_se'])} / {_share(r['cover90_se_units'])}",
            goal,
        )  # fmt: skip
    out.print(table)


def _share(x: float) -> str:
    return "–" if x != x else f"{100 * x:.1f} %"


BACKTEST_FILES = frozenset({"backtest_cases.csv", "backtest_coverage.csv", "backtest_pit.png"})


def _check_backtest_folder(folder: Path) -> None:
    """``--out`` is replaced whole: refuse anything but an earlier backtest's folder."""
    if folder.exists() and not folder.is_dir():
        raise SimError(f"--out: {folder} is a file, not a folder")
    if folder.is_dir():
        foreign = sorted(p.name for p in folder.iterdir() if p.name not in BACKTEST_FILES)
        if foreign:
            raise SimError(
                f"--out: {folder} holds files that are not a backtest's ({', '.join(foreign[:3])}"
                f"{', …' if len(foreign) > 3 else ''}); it would be replaced whole — choose an "
                "empty or new folder"
            )


def _save_backtest(bt: Any, folder: Path, lang: str) -> Path:
    """Cases, coverage and the PIT histogram, written to a temporary folder then moved."""
    from sim.charts.layout import styled
    from sim.charts.trust import pit_figure
    from sim.results.store import write_atomically

    def write(tmp: Path) -> None:
        bt.cases.to_csv(tmp / "backtest_cases.csv", index=False, encoding="utf-8-sig")
        bt.coverage_table().to_csv(tmp / "backtest_coverage.csv", index=False,
                                   encoding="utf-8-sig")  # fmt: skip
        with styled(lang) as st:
            pit_figure(bt, st.lang).savefig(tmp / "backtest_pit.png", dpi=150)

    def is_backtest(path: Path) -> bool:
        return all(p.name in BACKTEST_FILES for p in path.iterdir())

    return write_atomically(folder, write, owned=is_backtest, kind="an earlier backtest's folder")


@app.command("crosscheck")
@reports_errors
def crosscheck_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML).")],
    draws: Annotated[int, typer.Option(min=50, max=8192, help="Draws (replications).")] = 2000,
    seed: Annotated[
        int | None, typer.Option(min=0, max=SEED_MAX, help="Seed (default: the scenario's).")
    ] = None,
    jobs: Annotated[int, typer.Option(min=1, help="Worker processes for the reference.")] = 1,
) -> None:
    """Compare the vectorized firm pipeline with the SimPy reference model on shared draws.

    Exits with status 1 when any series disagrees beyond the stated tolerance.
    """
    from sim.checks.crosscheck import crosscheck, format_report

    sc = load_runnable(scenario)
    report = crosscheck(sc, draws, sc.seed if seed is None else seed, jobs=jobs)
    out.print(format_report(report), highlight=False, soft_wrap=True)
    if not report.passed:
        raise typer.Exit(1)


@app.command("reference")
@reports_errors
def reference_cmd(
    scenario: Annotated[
        Path | None, typer.Argument(help="Scenario whose 3-year spread to set beside the peers'.")
    ] = None,
    draws: Annotated[int, typer.Option(min=500, max=100_000, help="Draws of the run.")] = 4000,
    horizon: Annotated[int, typer.Option(min=1, max=5, help="Years of change.")] = 3,
) -> None:
    """The outside view: how far peers' indicators move in HORIZON years, beside the model's.

    Changes are on the scale the model moves each indicator (log, or logit for shares); the
    90 % width is the spread between the 5th and the 95th percentile.
    """
    from sim.analysis.outside_view import outside_view
    from sim.runner import run

    result = None if scenario is None else run(load_runnable(scenario), draws=draws)
    df = outside_view(result, horizon)
    table = Table(title=f"{horizon}-year changes: reference class against the model")
    for col in ("indicator (scale)", "units", "unit-yrs", "cases", "peers 5/50/95 %",
                "width", "trend-adj.", "model 5/50/95 %", "width"):  # fmt: skip
        table.add_column(col, justify="left" if col.startswith("ind") else "right", no_wrap=True)
    for r in df.to_dict("records"):
        model = r.get("model_q50")
        table.add_row(
            f"{r['peer_indicator']} ({r['scale']})", str(r["units"]), str(r["unit_years"]),
            str(r["cases"]), _band(r, "peer"), f"{r['peer_width90']:.3f}",
            f"{r['peer_around_trend_width90']:.3f}",
            "–" if model is None or model != model else _band(r, "model"),
            "–" if model is None or model != model else f"{r['model_width90']:.3f}",
        )  # fmt: skip
    out.print(table)
    out.print(
        "width: 5–95 % spread of the change; trend-adj.: the same around each unit's own mean "
        "change. Peers: sim/catalogue/reference_class/ (years up to 2022, no Qidong figure). A "
        "model width well below the peers' means the model is more certain than peers' history "
        "allows.",
        highlight=False,
        soft_wrap=True,
    )


def _band(row: dict[str, Any], prefix: str) -> str:
    return " ".join(f"{row[f'{prefix}_q{q}']:+.2f}" for q in ("05", "50", "95"))
