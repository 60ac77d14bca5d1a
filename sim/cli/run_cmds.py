"""`sim run` and `sim report`: simulate scenarios, print their tables, draw their packs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from sim.errors import SimError

if TYPE_CHECKING:
    from sim.results import Result

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
from sim.executors import Workers
from sim.scenario import MAX_DRAWS

# A comparison pack's folder is named after its scenarios; names are up to 80 characters, so
# three of them exceed the 255-byte limit of a file name. Beyond this length the folder name
# keeps the start of each name and adds a hash of the full list, which stays unique.
MAX_FOLDER_NAME = 120


def print_attainment(result: Result) -> None:
    """The attainment table, at-risk targets first, then the joint picture."""
    df = result.table()
    summary = result.summary()
    table = Table(
        title=f"{result.scenario.name}: P(target met), {summary['draws']:,} draws, "
        f"seed {summary['seed']}",
        caption="judged value: the quantity compared with the threshold (median [10 %–90 %])",
    )
    table.add_column("target", overflow="fold", min_width=12)
    table.add_column("P(met)", justify="right", no_wrap=True, min_width=6)
    table.add_column("± SE", justify="right", no_wrap=True, min_width=5)
    table.add_column("threshold", justify="right", no_wrap=True, min_width=8)
    table.add_column("judged value", justify="right", no_wrap=True, min_width=12)
    table.add_column("status", no_wrap=True, min_width=9)
    for row in df.itertuples():
        if row.status == "qualitative":
            continue
        style = STATUS_STYLE.get(row.status, "dim")
        modelled = row.status != "not_modelled"
        table.add_row(
            row.target_id,
            f"{row.p_met:.3f}" if modelled else "–",
            f"{row.mc_se:.3f}" if modelled else "",
            f"≥ {_fmt(row.threshold)}",
            f"{_fmt(row.judged_median)} [{_fmt(row.judged_q10)}–{_fmt(row.judged_q90)}]"
            if modelled
            else "",
            f"[{style}]{row.status.replace('_', ' ')}[/]",
        )
    out.print(table)
    p_all = result.joint.loc["all_targets"]
    out.print(
        f"P(all {int(result.joint.loc['number_of_targets_modelled', 'p'])} modelled targets met) "
        f"= {p_all['p']:.4f} ± {p_all['mc_se']:.4f}; expected number met "
        f"{summary['expected_met']:.1f}; likely {summary['likely']}, uncertain "
        f"{summary['uncertain']}, at risk {summary['at_risk']}",
        highlight=False,
    )
    if summary["not_modelled"]:
        out.print(
            f"[yellow]{summary['not_modelled']} targets are not modelled yet: no probability "
            "is given for them.[/]"
        )
    if result.comparison is not None:
        print_comparison(result)
    if result.has_actuals:
        print_changes(result)


def print_changes(result: Result) -> None:
    """What the actuals changed: the targets whose P(met) moved by more than 2 SEs (paired:
    the same draws before and after), and the effective sample size after each year with
    actuals; warnings go to stderr."""
    changes = result.changes()
    clear = changes[changes["difference"].abs() > CLEAR_SE * changes["difference_se"]]
    table = Table(
        title=f"what the {len(result.scenario.actuals)} actuals changed (the same draws before "
        "and after)",
        caption=f"{len(changes) - len(clear)} other targets moved by less than {CLEAR_SE:g} SE: "
        "no clear change. Moved most by: the actual whose effect on its own is largest",
    )
    for name, justify in (("target", "left"), ("before", "right"), ("after", "right"),
                          ("change ± SE", "right"), ("moved most by", "left")):  # fmt: skip
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for row in clear.itertuples():
        by = row.moved_most_by if isinstance(row.moved_most_by, str) and row.moved_most_by else ""
        table.add_row(
            row.target_id,
            f"{row.p_before:.3f}",
            f"{row.p_after:.3f}",
            f"{row.difference:+.3f} ± {row.difference_se:.3f}",
            f"{by} ({row.moved_most_by_change:+.3f})" if by else "no single actual clearly",
        )
    out.print(table)
    ess = ", ".join(f"{r.year}: {r.ess:,.0f} ({r.ess_share:.0%})"
                    for r in result.effective_draws().itertuples())  # fmt: skip
    out.print(f"effective draws after the actuals of {ess}", highlight=False)
    for warning in result.warnings:
        print_error(warning, label="warning:")


CLEAR_SE = 2.0  # a change beyond 2 SEs is shown as a change (about 1 in 20 by chance)


def print_comparison(result: Result) -> None:
    """Paired differences against the reference scenario, largest moves first."""
    if result.comparison is None:
        return
    cmp = result.comparison.copy()
    cmp = cmp.reindex(cmp["difference"].abs().sort_values(ascending=False).index)
    ref = cmp["reference"].iloc[0]
    table = Table(title=f"{result.scenario.name} vs {ref}: paired difference in P(met)")
    for col in ("target", ref, result.scenario.name, "difference ± SE"):
        table.add_column(col, justify="left" if col == "target" else "right", no_wrap=True)
    for row in cmp.itertuples():
        if abs(row.difference) < 1e-12:
            continue
        table.add_row(
            row.target_id,
            f"{row.p_reference:.3f}",
            f"{row.p_scenario:.3f}",
            f"{row.difference:+.3f} ± {row.difference_se:.3f}",
        )
    out.print(table)
    extra = cmp["cost_scenario_wan"].iloc[0] - cmp["cost_reference_wan"].iloc[0]
    out.print(f"extra annual cost vs {ref}: {extra:+,.0f} 万元 a year", highlight=False)


@app.command("run")
@reports_errors
def run_cmd(
    scenarios: Annotated[
        list[Path],
        typer.Argument(help="Scenario files (TOML); several run on shared draws and are compared."),
    ],
    draws: Annotated[
        int | None,
        typer.Option(min=1, max=MAX_DRAWS, help="Draws (default: the scenario's; 100 to 10^8)."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(min=0, max=SEED_MAX, help="Seed (default: the scenario's; 0 to 2^63-1)."),
    ] = None,
    jobs: Annotated[int, typer.Option(min=1, help="Worker processes (at most one a core).")] = 1,
    executor: ExecutorOption = ExecutorKind.local,
    scheduler: SchedulerOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Run with fewer than 100 draws (a smoke test).")
    ] = False,
    out_dir: Annotated[Path, typer.Option("--out", help="Results folder.")] = Path("results"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No tables.")] = False,
    charts: Annotated[
        bool, typer.Option("--charts/--no-charts", help="Draw the chart pack.")
    ] = True,
    lang: Annotated[Lang, typer.Option(help="Chart language.")] = Lang.zh,
    full_update: Annotated[
        bool,
        typer.Option(
            "--full-update",
            help="Actuals: weigh them in full even when too few "
            "effective draws remain (default: temper them, and say so).",
        ),
    ] = False,
) -> None:
    """Simulate scenarios, save results under OUT/<scenario>/ and draw the chart pack.

    Several scenarios run on shared draws: each gets its own folder and pack, and a comparison
    pack (paired differences, costs) goes to OUT/compare_<a>_vs_<b>.../. The chunks run here,
    in --jobs local processes, or on a Dask cluster (--executor dask, --scheduler ADDRESS),
    with the same result.
    """
    loaded = [load_runnable(p) for p in scenarios]
    names = [s.name for s in loaded]
    if len(set(names)) != len(names):
        raise SimError(f"scenario names must differ (they name result folders): {names}")
    where = "--draws" if draws is not None else f"{scenarios[0]}: draws"
    total = draws or loaded[0].draws
    jobs, notes = cap_jobs(jobs) if scheduler is None else (jobs, [])
    notes += check_draws(total, force, where)
    for note in notes:
        print_error(note, label="warning:")
    estimate = time_estimate(total, len(loaded), jobs) if scheduler is None else None
    if estimate:
        print_plain(estimate, err)
    folders = [out_dir / n for n in names]
    with _interruptible(), _output_folders(folders), workers(executor, scheduler, jobs) as running:
        if running.executor is not None:
            print_plain(f"running on {running.description}", err)
        _run_and_save(loaded, draws, seed, running, out_dir, quiet, charts, lang.value, full_update)


@contextmanager
def _output_folders(folders: list[Path]) -> Iterator[None]:
    """Lock every output folder before the run, refusing one that is in use or not a sim
    result (so a clash costs no simulation time); held until the packs are drawn."""
    from sim.results.store import prepared

    with ExitStack() as stack:
        for folder in folders:
            stack.enter_context(prepared(folder))
        yield


@contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl-C: one line and exit status 130 (the worker pool is already stopped)."""
    try:
        yield
    except KeyboardInterrupt:
        err.print("interrupted", highlight=False)
        raise typer.Exit(130) from None


def _run_and_save(
    loaded: list[Any], draws: int | None, seed: int | None, running: Workers, out_dir: Path,
    quiet: bool, charts: bool, lang: str, full_update: bool = False,
) -> None:  # fmt: skip
    names = [s.name for s in loaded]
    results = _run_with_progress(loaded, draws, seed, running, full_update)
    folders = []
    for result in results:
        folder = result.save(out_dir / result.scenario.name)
        folders.append(folder)
        if not quiet:
            print_attainment(result)
        rate = result.manifest["timings_seconds"]["draws_per_second"]
        print_plain(f"saved {folder}/ ({rate:,.0f} draws/s)")
    if charts:
        packs = [([r], f / "charts") for r, f in zip(results, folders, strict=True)]
        if len(results) > 1:
            packs.append((results, out_dir / comparison_folder(names)))
        for group, folder in packs:
            _draw(group, folder, lang)


def comparison_folder(names: list[str]) -> str:
    """``compare_<a>_vs_<b>...``; a long one is shortened and made unique by a hash."""
    full = "compare_" + "_vs_".join(names)
    if len(full) <= MAX_FOLDER_NAME:
        return full
    digest = hashlib.sha256("\n".join(names).encode()).hexdigest()[:10]
    short = "_vs_".join(n[:16] for n in names[:4]) + ("_etc" if len(names) > 4 else "")
    return f"compare_{short}_{digest}"


def _run_with_progress(
    scenarios: list[Any],
    draws: int | None,
    seed: int | None,
    running: Workers,
    full_update: bool = False,
) -> list[Result]:
    """Run scenarios on shared draws, with a progress bar on stderr for long runs."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from sim.runner import run_many

    total = draws or scenarios[0].draws
    with Progress(
        TextColumn("simulating"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} draws"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=total < 200_000,
    ) as progress:
        task = progress.add_task("run", total=total)
        return run_many(
            scenarios,
            draws=draws,
            seed=seed,
            jobs=running.jobs,
            executor=running.executor,
            on_progress=lambda done, _: progress.update(task, completed=done),
            full_update=full_update,
        )


def _draw(
    results: list[Any],
    folder: Path,
    lang: str,
    pdf_name: str | None = None,
    png: bool = True,
    saved_now: bool = True,
) -> None:
    """Draw a chart pack; a failure is reported but never removes the saved tables."""
    from sim.charts.pack import build_pack

    try:
        report = build_pack(results, folder, lang=lang, pdf_name=pdf_name, png=png)
    except Exception as exc:  # the tables are already saved: say so and fail the command
        kept = "the result tables are saved and intact" if saved_now else "the result is unchanged"
        print_error(f"the chart pack failed ({type(exc).__name__}: {exc}); {kept}")
        raise typer.Exit(1) from exc
    note = "" if report.lang == lang else f" (in {report.lang}: no CJK font found)"
    print_plain(
        f"chart pack: {report.pdf} ({report.pages} pages, {len(report.pngs)} PNG, "
        f"{report.seconds:.1f} s){note}"
    )


@app.command("report")
@reports_errors
def report_cmd(
    folders: Annotated[list[Path], typer.Argument(help="Result folders (from sim run).")],
    lang: Annotated[Lang, typer.Option(help="Chart language.")] = Lang.zh,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write only this PDF (no PNGs).")
    ] = None,
) -> None:
    """Rebuild the chart pack from saved results; several folders give a comparison pack."""
    from sim.results import load_result

    results = [load_result(f) for f in folders]
    if out_file is not None:
        if out_file.suffix.lower() != ".pdf":
            raise SimError(f"--out: {out_file} should be a .pdf file")
        _draw(results, out_file.parent, lang.value, out_file.name, png=False, saved_now=False)
    elif len(results) == 1:
        _draw(results, folders[0] / "charts", lang.value, saved_now=False)
    else:
        names = [r.scenario.name for r in results]
        _draw(results, folders[0].parent / comparison_folder(names), lang.value, saved_now=False)
