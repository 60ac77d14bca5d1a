"""The ``sim`` command line."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from sim._version import __version__
from sim.errors import SimError

if TYPE_CHECKING:
    from sim.results import Result

app = typer.Typer(
    name="sim",
    help="Monte Carlo simulator of Qidong's 2023–2025 innovation targets (启政办发〔2023〕10号).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
# Piped or logged output gets a wide page rather than rich's 80-column default, so tables
# keep every column; a narrow terminal folds the target names instead.
out = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 140)

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(func: F) -> F:
    """Turn a SimError into a clear message on stderr and exit status 2, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SimError as exc:
            err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        out.print(f"sim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Monte Carlo simulator of Qidong's 2023–2025 innovation targets (启政办发〔2023〕10号)."""


def _print_json(rows: list[dict[str, Any]]) -> None:
    sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")


@app.command("targets")
@reports_errors
def targets_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    group: Annotated[str | None, typer.Option(help="Only this group (e.g. talent).")] = None,
) -> None:
    """List every target of the policy with its clause, kind and threshold."""
    from sim.targets import groups, targets

    chosen = [t for t in targets().values() if group is None or t.group == group]
    if group is not None and not chosen:
        raise SimError(f"--group: unknown group {group!r}; expected one of {', '.join(groups())}")
    if as_json:
        _print_json([t.model_dump(mode="json") for t in chosen])
        return
    table = Table(title="启政办发〔2023〕10号 targets")
    table.add_column("id", no_wrap=True)
    table.add_column("clause", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("threshold", no_wrap=True)
    table.add_column("years", no_wrap=True)
    table.add_column("目标 (policy wording)", overflow="fold", min_width=16)
    for g_id, g in groups().items():
        rows = [t for t in chosen if t.group == g_id]
        if not rows:
            continue
        table.add_section()
        table.add_row(f"[bold]{g.name_en}[/]", "", "", "", "", f"[bold]{g.name_zh}[/]")
        for t in rows:
            threshold = "" if t.threshold is None else f"≥ {t.threshold:g} {t.unit}"
            years = f"{t.years[0]}–{t.years[-1]}" if len(t.years) > 1 else str(t.years[0])
            table.add_row(t.id, t.clause, t.kind, threshold, years, t.name_zh)
    out.print(table)
    quantitative = sum(t.quantitative for t in chosen)
    out.print(
        f"{len(chosen)} targets: {quantitative} quantitative, "
        f"{len(chosen) - quantitative} qualitative (listed, not simulated)"
    )


@app.command("levers")
@reports_errors
def levers_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List every policy lever with its unit, status quo, range and annual cost."""
    from sim.levers import levers

    if as_json:
        _print_json([lv.model_dump(mode="json") for lv in levers().values()])
        return
    table = Table(title="Policy levers (settings are annual, 2023–2025)")
    for col in ("id", "clause", "措施", "unit", "status quo", "range", "cost 万元/unit", "acts on"):
        table.add_column(col, overflow="fold")
    for lv in levers().values():
        table.add_row(
            lv.id,
            lv.clause,
            lv.name_zh,
            lv.unit,
            f"{lv.status_quo:g}",
            f"{lv.min:g}–{lv.max:g}",
            f"{lv.cost_per_unit_wan:g}",
            ", ".join(lv.acts_on),
        )
    out.print(table)
    out.print(f"{len(levers())} levers")


@app.command("parameters")
@reports_errors
def parameters_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    component: Annotated[
        str | None, typer.Option(help="Only this component's (e.g. firms, lever).")
    ] = None,
) -> None:
    """List every uncertain parameter with its prior and its source or assumption."""
    from sim.priors import parameters

    chosen = [
        p for pid, p in parameters().items() if component is None or pid.split(".")[0] == component
    ]
    if component is not None and not chosen:
        known = sorted({pid.split(".")[0] for pid in parameters()})
        raise SimError(
            f"--component: unknown component {component!r}; expected one of {', '.join(known)}"
        )
    if as_json:
        _print_json([p.model_dump(mode="json", exclude_none=True) for p in chosen])
        return
    table = Table(title="Parameter priors (drawn once per draw)")
    table.add_column("parameter", no_wrap=True)
    table.add_column("prior [unit]", max_width=34)
    table.add_column("basis", overflow="fold", min_width=30)
    for p in chosen:
        table.add_row(p.id, f"{p.describe()}\n[dim]{p.unit}[/]", p.basis)
    out.print(table)
    out.print(f"{len(chosen)} parameters")


@app.command("validate")
@reports_errors
def validate_cmd(
    files: Annotated[list[Path], typer.Argument(help="Scenario files to check.")],
) -> None:
    """Check scenario files; print every problem with its file, line and key."""
    from sim.scenario import load_scenario

    failed = 0
    for path in files:
        try:
            sc = load_scenario(path)
        except SimError as exc:
            failed += 1
            err.print(f"[bold red]invalid:[/] {exc}", markup=True, highlight=False, soft_wrap=True)
        else:
            changed = ", ".join(f"{k}={v:g}" for k, v in sc.changed_levers.items()) or "status quo"
            out.print(f"ok: {path} — {sc.name}: {changed}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(2)


class Lang(StrEnum):
    """Chart language."""

    zh = "zh"
    en = "en"


STATUS_STYLE = {"at_risk": "bold red", "uncertain": "yellow", "likely": "green"}


def _fmt(x: float) -> str:
    if x != x:  # NaN
        return "–"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"


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
        int | None, typer.Option(min=1, help="Draws (default: the scenario's).")
    ] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed (default: the scenario's).")] = None,
    jobs: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    out_dir: Annotated[Path, typer.Option("--out", help="Results folder.")] = Path("results"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No tables.")] = False,
    charts: Annotated[
        bool, typer.Option("--charts/--no-charts", help="Draw the chart pack.")
    ] = True,
    lang: Annotated[Lang, typer.Option(help="Chart language.")] = Lang.zh,
) -> None:
    """Simulate scenarios, save results under OUT/<scenario>/ and draw the chart pack.

    Several scenarios run on shared draws: each gets its own folder and pack, and a comparison
    pack (paired differences, costs) goes to OUT/compare_<a>_vs_<b>.../.
    """
    from sim.scenario import load_scenario

    loaded = [load_scenario(p) for p in scenarios]
    names = [s.name for s in loaded]
    if len(set(names)) != len(names):
        raise SimError(f"scenario names must differ (they name result folders): {names}")
    results = _run_with_progress(loaded, draws, seed, jobs)
    folders = []
    for result in results:
        folder = result.save(out_dir / result.scenario.name)
        folders.append(folder)
        if not quiet:
            print_attainment(result)
        rate = result.manifest["timings_seconds"]["draws_per_second"]
        out.print(f"saved {folder}/ ({rate:,.0f} draws/s)", highlight=False)
    if charts:
        packs = [([r], f / "charts") for r, f in zip(results, folders, strict=True)]
        if len(results) > 1:
            packs.append((results, out_dir / ("compare_" + "_vs_".join(names))))
        for group, folder in packs:
            _draw(group, folder, lang.value)


def _run_with_progress(
    scenarios: list[Any], draws: int | None, seed: int | None, jobs: int
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
            jobs=jobs,
            on_progress=lambda done, _: progress.update(task, completed=done),
        )


def _draw(
    results: list[Any], folder: Path, lang: str, pdf_name: str | None = None, png: bool = True
) -> None:
    """Draw a chart pack; a failure is reported but never removes the saved tables."""
    from sim.charts.pack import build_pack

    try:
        report = build_pack(results, folder, lang=lang, pdf_name=pdf_name, png=png)
    except Exception as exc:  # the tables are already saved: say so and fail the command
        err.print(
            f"[bold red]error:[/] the chart pack failed ({type(exc).__name__}: {exc}); "
            "the result tables are saved and intact",
            soft_wrap=True,
        )
        raise typer.Exit(1) from exc
    note = "" if report.lang == lang else f" (in {report.lang}: no CJK font found)"
    out.print(
        f"chart pack: {report.pdf} ({report.pages} pages, {len(report.pngs)} PNG, "
        f"{report.seconds:.1f} s){note}",
        highlight=False,
        soft_wrap=True,
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
        _draw(results, out_file.parent, lang.value, pdf_name=out_file.name, png=False)
    elif len(results) == 1:
        _draw(results, folders[0] / "charts", lang.value)
    else:
        names = [r.scenario.name for r in results]
        _draw(results, folders[0].parent / ("compare_" + "_vs_".join(names)), lang.value)


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


def main() -> None:
    """Entry point of the ``sim`` console script."""
    app()


if __name__ == "__main__":
    main()
