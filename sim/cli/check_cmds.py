"""`sim backcast`, `sim crosscheck` and `sim reference`: how far to trust the model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
