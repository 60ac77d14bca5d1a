"""`sim sensitivity`: which unknowns explain each target's uncertainty, and what to learn first."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from sim.cli.app import (
    STATUS_STYLE,
    Lang,
    _fmt,
    app,
    err,
    out,
    print_error,
    print_plain,
    reports_errors,
)
from sim.cli.bounds import SEED_MAX, cap_jobs, check_draws, load_runnable, time_estimate
from sim.cli.executors import ExecutorKind, ExecutorOption, SchedulerOption, workers
from sim.errors import SimError
from sim.scenario import MAX_DRAWS

if TYPE_CHECKING:
    from sim.analysis.learn import Sensitivity

# Model runs a second of one worker for `sim sensitivity`: the run's simulation plus the binned
# sums (~0.4 s a chunk of 8,192 draws for 202 parameters and 33 targets) measured on the 2-core
# development machine; the basis of the time estimate printed before a long analysis.
SLOWDOWN = 2.0  # sensitivity takes about twice as long as `sim run` for the same draws


class Method(StrEnum):
    """How the indices are estimated."""

    given_data = "given-data"
    saltelli = "saltelli"


@app.command("sensitivity")
@reports_errors
def sensitivity_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML).")],
    draws: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=MAX_DRAWS,
            help="Draws (default: the scenario's); at least "
            "1,000 (ten a bin); 200,000 or more for figures to report.",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(min=0, max=SEED_MAX, help="Seed (default: the scenario's)."),
    ] = None,
    targets: Annotated[
        str | None,
        typer.Option(help="Comma-separated target ids (default: every modelled target)."),
    ] = None,
    method: Annotated[
        Method,
        typer.Option(
            help="given-data: the run's own draws (binned estimator); "
            "saltelli: SALib's Saltelli design (needs SALib)."
        ),
    ] = Method.given_data,
    top: Annotated[int, typer.Option(min=0, help="Parameters shown per target (0: all).")] = 5,
    jobs: Annotated[int, typer.Option(min=1, help="Worker processes (at most one a core).")] = 1,
    executor: ExecutorOption = ExecutorKind.local,
    scheduler: SchedulerOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    chart: Annotated[
        Path | None,
        typer.Option(help="Draw the page 'What we most need to learn' to this PNG or PDF."),
    ] = None,
    lang: Annotated[Lang, typer.Option(help="Chart language.")] = Lang.zh,
) -> None:
    """For each target (at-risk first), the share of the variance of "met" and of the judged
    value explained by each uncertain parameter (first-order Sobol indices), and P(met) if the
    parameter were at its 10th or 90th percentile.

    The given-data method uses the same draws as `sim run` with the same seed (its P(met) are
    the run's); the last table ranks the unknowns the bureau could measure by how much they
    matter for the at-risk targets.
    """
    sc = load_runnable(scenario)
    total = draws or sc.draws
    jobs = _announce(total, jobs, "--draws" if draws is not None else f"{scenario}: draws")
    wanted = [x.strip() for x in targets.split(",") if x.strip()] if targets else None
    if targets is not None and not wanted:
        raise SimError("--targets: no target id given")
    settings = {"draws": draws, "seed": seed, "targets": wanted, "method": method.value}
    result = _analyse(sc, total, settings, (executor, scheduler, jobs))
    if as_json:
        _print_json(result, top)
    else:
        print_sensitivity(result, top)
    if chart is not None:
        _draw(result, chart, lang.value)


def _analyse(sc: Any, total: int, settings: dict[str, Any], where: tuple) -> Any:
    """Run the analysis where the options say (local processes or a Dask cluster)."""
    from sim.analysis.learn import sensitivity

    with workers(*where) as running:
        return _with_progress(total, lambda progress: sensitivity(
            sc, jobs=running.jobs, executor=running.executor, on_progress=progress,
            **settings))  # fmt: skip


def _announce(total: int, jobs: int, where: str) -> int:
    """Warnings about draws and jobs, and the time estimate of a long analysis, on stderr;
    the number of jobs to use."""
    jobs, notes = cap_jobs(jobs)
    notes += check_draws(total, False, where)
    for line in notes:
        print_error(line, label="warning:")
    estimate = time_estimate(int(total * SLOWDOWN), 1, jobs)
    if estimate:
        print_plain(f"sensitivity: {estimate}", err)
    return jobs


def _with_progress(total: int, call: Any) -> Sensitivity:
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("sensitivity"), BarColumn(),
                  TextColumn("{task.completed:,}/{task.total:,} draws"), TimeRemainingColumn(),
                  console=err, transient=True, disable=total < 100_000) as progress:  # fmt: skip
        task = progress.add_task("run", total=total)
        return call(lambda done, whole: progress.update(task, completed=done, total=whole))


def _pm(x: float, se: float, digits: int = 3) -> str:
    if x != x:
        return "–"
    return f"{x:.{digits}f} ± {se:.{digits}f}"


def print_sensitivity(result: Sensitivity, top: int) -> None:
    """A table per target (at-risk first), then what to learn first."""
    for target in result.targets.itertuples():
        rows = result.table(target.target_id)
        rows = rows if top == 0 else rows.head(top)
        style = STATUS_STYLE.get(target.status, "")
        table = Table(
            title=f"{target.target_id}: P(met) {target.p_met:.3f} ± {target.p_met_se:.3f} "
            f"[{style}]{target.status.replace('_', ' ')}[/]; first-order indices of met sum to "
            f"{target.first_order_sum:.2f}",
            title_justify="left",
        )
        for name, justify in (("parameter", "left"), ("kind", "left"), ("S(met) ± SE", "right"),
                              ("S(value) ± SE", "right"), ("P(met) at p10", "right"),
                              ("at p90", "right"), ("swing ± SE", "right")):  # fmt: skip
            table.add_column(name, justify=justify, no_wrap=name != "parameter")  # type: ignore[arg-type]
        for r in rows.itertuples():
            table.add_row(
                r.parameter,
                r.kind + ("" if r.measurable else " ·"),
                _pm(r.s_met, r.s_met_se),
                _pm(r.s_value, r.s_value_se),
                f"{r.p_low:.3f} ({_fmt(r.value_low)})",
                f"{r.p_high:.3f} ({_fmt(r.value_high)})",
                f"{r.swing:+.3f} ± {r.swing_se:.3f}",
            )
        out.print(table)
    _print_learn_first(result)


def _print_learn_first(result: Sensitivity) -> None:
    ranked = result.unknowns(10)
    title = ("what to learn first: unknowns the bureau could measure, by their largest index on a "
             "target at risk (uncertain if none is)")  # fmt: skip
    table = Table(title=title, title_justify="left")
    for name in ("parameter", "kind", "matters most for", "S(met) ± SE", "P(met) p10 → p90",
                 "targets"):  # fmt: skip
        table.add_column(name, no_wrap=name not in ("parameter", "matters most for"))
    for r in ranked.itertuples():
        table.add_row(r.parameter, r.kind, r.target_id, _pm(r.s_met, r.s_met_se),
                      f"{r.p_low:.2f} → {r.p_high:.2f}", str(r.targets_affected))  # fmt: skip
    out.print(table)
    out.print(
        f"{result.method}, {result.draws:,} draws, seed {result.seed}, {result.seconds:.1f} s. "
        "S: first-order Sobol index (share of the variance explained by the parameter alone; "
        "correlated parameters share some, so indices need not sum to one). P(met) at p10/p90: "
        "among the draws whose parameter lies within 2 percentile points of its 10th/90th "
        "percentile (the value in brackets). kind '·': not measurable now. docs/sensitivity.md",
        highlight=False,
    )
    for line in result.notes:
        print_plain(f"note: {line}")


def _row(record: dict[str, Any]) -> dict[str, Any]:
    from sim.analysis.learn import plain_value

    return {k: plain_value(v) for k, v in record.items()}


def _print_json(result: Sensitivity, top: int) -> None:
    rows = result.rows if top == 0 else result.rows.groupby("target_id", sort=False).head(top)
    body = {
        "scenario": result.scenario.name,
        "method": result.method,
        "draws": result.draws,
        "seed": result.seed,
        "seconds": round(result.seconds, 2),
        "notes": list(result.notes),
        "targets": [_row(r) for r in result.targets.to_dict("records")],
        "rows": [_row(r) for r in rows.to_dict("records")],
        "learn_first": [_row(r) for r in result.unknowns(10).to_dict("records")],
    }
    sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")


def _draw(result: Sensitivity, path: Path, lang: str) -> None:
    from sim.charts.layout import styled

    if path.suffix.lower() not in (".png", ".pdf"):
        raise SimError(f"--chart: {path} should be a .png or .pdf file")
    fig = result.plot(lang)
    with styled(lang, warn=False):
        fig.savefig(path, dpi=150 if path.suffix.lower() == ".png" else None)
    print_plain(f"chart: {path}", err)
