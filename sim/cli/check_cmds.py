"""`sim backcast`, `sim crosscheck` and `sim reference`: how far to trust the model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

if TYPE_CHECKING:
    pass

from sim.cli.app import _fmt, app, out, reports_errors


@app.command("backcast")
@reports_errors
def backcast_cmd(
    draws: Annotated[int, typer.Option(min=100, help="Draws.")] = 20_000,
    seed: Annotated[int, typer.Option(min=0, help="Seed.")] = 20230305,
    jobs: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Simulate 2021–2022 from the 2020 state and place each observation in its prediction."""
    from sim.checks.backcast import run_backcast

    bc = run_backcast(draws=draws, seed=seed, jobs=jobs)
    table = Table(
        title=f"Backcast 2020 → 2022, status quo, {draws:,} draws: where the observations fall"
    )
    for col in (
        "indicator",
        "year",
        "observed",
        "95 % predictive interval",
        "median",
        "percentile",
        "2020 start",
        "independent",
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
            "yes" if r.independent else "no: a prior uses it",
        )
    out.print(table)
    for u in bc.unchecked.itertuples():
        out.print(f"not checked: {u.indicator} — {u.reason}", highlight=False)
    inside = int(bc.table["inside_95"].sum())
    out.print(
        f"{inside} of {len(bc.table)} observations inside their 95 % predictive interval",
        highlight=False,
    )


@app.command("crosscheck")
@reports_errors
def crosscheck_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML).")],
    draws: Annotated[int, typer.Option(min=50, max=8192, help="Draws (replications).")] = 2000,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed (default: the scenario's).")] = None,
    jobs: Annotated[int, typer.Option(min=1, help="Worker processes for the reference.")] = 1,
) -> None:
    """Compare the vectorized firm pipeline with the SimPy reference model on shared draws.

    Exits with status 1 when any series disagrees beyond the stated tolerance.
    """
    from sim.checks.crosscheck import crosscheck, format_report
    from sim.scenario import load_scenario

    sc = load_scenario(scenario)
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
    from sim.scenario import load_scenario

    result = None if scenario is None else run(load_scenario(scenario), draws=draws)
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
