"""`sim requirements` and `sim optimise`: what each target would take, and the cheapest package.

Both search over lever settings on shared draws (:mod:`sim.analysis.requirements`,
:mod:`sim.analysis.optimise`; docs/decision.md states the algorithms and their limits).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from sim.cli.app import (
    STATUS_STYLE,
    Lang,
    app,
    err,
    out,
    print_error,
    print_plain,
    reports_errors,
)
from sim.cli.bounds import SEED_MAX, cap_jobs, check_draws, load_runnable
from sim.cli.executors import ExecutorKind, ExecutorOption, SchedulerOption, workers
from sim.cli.run_cmds import _interruptible
from sim.errors import SimError
from sim.results.stats import status_of
from sim.scenario import MAX_DRAWS

if TYPE_CHECKING:
    from sim.analysis.package import PackageSearch
    from sim.analysis.requirements import Requirements

DrawsOption = Annotated[
    int | None, typer.Option(min=1, max=MAX_DRAWS, help="Draws of the search (default 5,000).")
]
SeedOption = Annotated[
    int | None,
    typer.Option(min=0, max=SEED_MAX, help="Seed of the search (default: the scenario's)."),
]
JobsOption = Annotated[int, typer.Option(min=1, help="Worker processes (at most one a core).")]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Search with fewer than 100 draws (a smoke test).")
]
LeversOption = Annotated[
    str | None, typer.Option("--levers", help="Only these levers (ids, comma-separated).")
]
ChartOption = Annotated[
    Path | None, typer.Option("--chart", help="Draw the chart page to this .png or .pdf file.")
]


def _targets(value: str | None) -> list[str] | None:
    """``a,b,group:c`` → a list of ids (None for none given)."""
    if not value:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def _money(x: float) -> str:
    return "–" if x != x else f"{x:,.0f}"


def _setting(x: float) -> str:
    if x != x:
        return "–"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"


def _prepare(scenario: Path, draws: int | None, jobs: int, force: bool) -> tuple[Any, int, int]:
    """Load and probe the scenario, check the draws, cap the jobs (warnings to stderr)."""
    from sim.analysis.requirements import DRAWS

    sc = load_runnable(scenario)
    total = draws or DRAWS
    jobs, notes = cap_jobs(jobs)
    notes += check_draws(total, force, "--draws")
    for line in notes:
        print_error(line, label="warning:")
    return sc, total, jobs


def _say(line: str, as_json: bool) -> None:
    """A line of news: on stderr when stdout carries JSON."""
    print_plain(line, err if as_json else None)


def _draw_chart(obj: Any, path: Path, lang: str, as_json: bool = False) -> None:
    """Save the object's chart page(s): one PNG per page (``name-2.png`` …), or one PDF."""
    from sim.charts.layout import styled

    if path.suffix.lower() not in (".png", ".pdf"):
        raise SimError(f"--chart: {path} should be a .png or .pdf file")
    with styled(lang) as st:
        pages = obj.pages(st.lang) if hasattr(obj, "pages") else [obj.plot(st.lang)]
        if path.suffix.lower() == ".pdf":
            from matplotlib.backends.backend_pdf import PdfPages

            with PdfPages(path) as pdf:
                for fig in pages:
                    pdf.savefig(fig)
        else:
            for i, fig in enumerate(pages):
                name = path if i == 0 else path.with_name(f"{path.stem}-{i + 1}{path.suffix}")
                fig.savefig(name, dpi=150)
    _say(f"chart: {path} ({len(pages)} page{'s' if len(pages) > 1 else ''})", as_json)


# ---------------------------------------------------------------------- sim requirements


@app.command("requirements")
@reports_errors
def requirements_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML).")],
    p: Annotated[float, typer.Option("--p", min=0.01, max=0.99, help="Wanted P(met).")] = 0.8,
    draws: DrawsOption = None,
    seed: SeedOption = None,
    jobs: JobsOption = 1,
    executor: ExecutorOption = ExecutorKind.local,
    scheduler: SchedulerOption = None,
    targets: Annotated[
        str | None, typer.Option(help="Only these targets (ids, comma-separated).")
    ] = None,
    only_levers: LeversOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    chart: ChartOption = None,
    lang: Annotated[Lang, typer.Option(help="Chart language.")] = Lang.zh,
    force: ForceOption = False,
) -> None:
    """What each target below P would take: per lever, the least setting reaching 50 % and P.

    Each lever acting on a target is raised on its own (the others as in the scenario): a grid
    of settings in one shared run, monotonicity checked, crossings refined by bisection on
    paired comparisons, with their Monte Carlo error and annual cost.
    """
    from sim.analysis.requirements import requirements

    sc, total, jobs = _prepare(scenario, draws, jobs, force)
    print_plain(
        f"searching: every lever acting on each target below {p:g}, on {total:,} shared "
        f"draws with {jobs} job(s) (about a minute on 2 cores for the baseline)",
        err,
    )
    with _interruptible(), workers(executor, scheduler, jobs) as running:
        req = requirements(sc, p=p, draws=total, seed=seed, jobs=running.jobs,
                           targets=_targets(targets), only_levers=_targets(only_levers),
                           executor=running.executor)  # fmt: skip
    if as_json:
        sys.stdout.write(json.dumps(req.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        print_requirements(req)
    if chart is not None:
        _draw_chart(req, chart, lang.value, as_json)


def _requirement_cell(row: dict[str, Any]) -> str:
    if row["status"] == "already":
        return "[green]already[/]"
    if row["status"] == "not_reachable":
        return "[dim]not reachable[/]"
    se = row["setting_se"]
    err_text = f" ±{_setting(se)}" if math.isfinite(se) else " ±∞"
    text = f"{_setting(row['setting'])}{err_text}  [bold]+{_money(row['extra_cost_wan'])}[/] 万"
    return text if row["resolved"] else f"[dim]? {text}[/]"


def print_requirements(req: Requirements) -> None:
    """The requirements as a table: a block per target, a row per acting lever."""
    levels = list(req.levels)
    wanted = " and ".join(f"{x:g}" for x in levels)
    table = Table(
        title=f"{req.scenario.name}: what it takes to reach P(met) ≥ {wanted} — one lever at a "
        f"time, {req.draws:,} draws, seed {req.seed}",
        caption="setting ± Monte Carlo error, then the extra annual cost in 万元 over the scenario;"
        " * = moves the target through model links (not listed in its acts_on); ? = within 2 SE"
        " of the setting now (P now is the level within Monte Carlo noise)",
    )  # fmt: skip
    for name, justify in (("target", "left"), ("P now", "right"), ("lever", "left"),
                          ("now", "right"), ("max", "right"), ("P at max", "right")):  # fmt: skip
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for level in levels:
        table.add_column(f"for {level:g}", justify="right", no_wrap=True)
    rows = req.rows
    for tid in req.now.loc[req.now["below_p"], "target_id"]:
        block = rows[(rows["target_id"] == tid) & (rows["level"] == levels[-1])]
        block = block.assign(_r=block["status"].map({"already": 0, "reached": 1}).fillna(2))
        block = block.sort_values(["_r", "extra_cost_wan", "p_at_max"],
                                  ascending=[True, True, False])  # fmt: skip
        p_now = float(req.now.set_index("target_id").loc[tid, "p_met"])
        style = STATUS_STYLE.get(status_of(p_now), "")
        first = True
        for r in block.to_dict(orient="records"):
            cells = [_requirement_cell(_row(rows, tid, r["lever_id"], level)) for level in levels]
            mark = "" if r["linked"] else "*"
            table.add_row(
                tid if first else "", f"[{style}]{p_now:.3f}[/]" if first else "",
                f"{r['lever_id']}{mark}", _setting(r["setting_now"]), _setting(r["lever_max"]),
                f"{r['p_at_max']:.3f}", *cells, end_section=False,
            )  # fmt: skip
            first = False
        if first:
            table.add_row(tid, f"[{style}]{p_now:.3f}[/]", "[dim]no lever acts on it[/]")
        table.add_section()
    out.print(table)
    _requirement_notes(req)


def _row(rows: Any, tid: str, lid: str, level: float) -> dict[str, Any]:
    sel = rows[(rows["target_id"] == tid) & (rows["lever_id"] == lid) & (rows["level"] == level)]
    return dict(sel.iloc[0])


def _requirement_notes(req: Requirements) -> None:
    for r in req.non_monotone.itertuples():
        print_plain(f"non-monotone: {r.target_id} falls by {r.fall:.3f} (± {r.fall_se:.3f}) when "
                    f"{r.lever_id} goes from {_setting(r.from_setting)} to "
                    f"{_setting(r.to_setting)}; the crossing is the first one")  # fmt: skip
    for r in req.lowers.itertuples():
        print_plain(f"lowers: raising {r.lever_id} to its maximum lowers {r.target_id} by "
                    f"{-r.difference_at_max:.3f} (± {r.difference_se:.3f})")  # fmt: skip
    for line in req.notes:
        print_plain(line)
    print_plain(f"{req.packages_evaluated:,} settings simulated on {req.draws:,} shared draws "
                f"(seed {req.seed}) in {req.seconds:,.1f} s")  # fmt: skip


# ---------------------------------------------------------------------- sim optimise


# long: one line per option, as typer declares them; the body is eight statements
@app.command("optimise")
@reports_errors
def optimise_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML).")],
    targets: Annotated[
        str | None,
        typer.Option(help="Targets to reach (ids or group:NAME, comma-separated)."),
    ] = None,
    p: Annotated[float, typer.Option("--p", min=0.01, max=0.99, help="Wanted P(met).")] = 0.8,
    budget: Annotated[
        float | None,
        typer.Option(min=0, help="万元 a year over the scenario: maximise within it instead."),
    ] = None,
    maximise: Annotated[
        str, typer.Option(help="With --budget: expected, all or group:NAME.")
    ] = "expected",
    draws: DrawsOption = None,
    recheck_draws: Annotated[
        int | None,
        typer.Option(
            min=1, max=MAX_DRAWS, help="Fresh draws of the re-check (default: the scenario's)."
        ),
    ] = None,
    seed: SeedOption = None,
    recheck_seed: Annotated[
        int | None, typer.Option(min=0, max=SEED_MAX, help="Re-check seed (default seed + 1).")
    ] = None,
    jobs: JobsOption = 1,
    executor: ExecutorOption = ExecutorKind.local,
    scheduler: SchedulerOption = None,
    margin: Annotated[
        float, typer.Option(min=0, max=0.5, help="Search for P ≥ p + margin (winner's curse).")
    ] = 0.0,
    only_levers: LeversOption = None,
    name: Annotated[str | None, typer.Option(help="Name of the package scenario.")] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the package as a scenario file (.toml).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    chart: ChartOption = None,
    lang: Annotated[Lang, typer.Option(help="Chart language.")] = Lang.zh,
    force: ForceOption = False,
) -> None:
    """The cheapest package bringing every named target to P(met) ≥ P (or, with --budget, the
    package that does most within it), found on shared draws and re-checked on fresh ones.

    Greedy: each step raises the lever with the largest gain per extra 万元; then each raised
    lever is lowered while the targets hold. The package is written with the re-check's draws
    and seed, so `sim run` of it reproduces the re-check.
    """
    from sim.analysis.optimise import optimise

    if out_file is not None and out_file.suffix.lower() != ".toml":
        raise SimError(f"--out: {out_file} should be a .toml file")
    sc, total, jobs = _prepare(scenario, draws, jobs, force)
    if recheck_draws is not None:
        for line in check_draws(recheck_draws, force, "--recheck-draws"):
            print_error(line, label="warning:")
    print_plain(
        f"searching on {total:,} shared draws with {jobs} job(s), then re-checking on fresh draws",
        err,
    )
    with _interruptible(), workers(executor, scheduler, jobs) as running:
        pkg = optimise(sc, targets=_targets(targets), p=p, budget=budget, maximise=maximise,
                       draws=total, recheck_draws=recheck_draws, seed=seed,
                       recheck_seed=recheck_seed, jobs=running.jobs, margin=margin,
                       only_levers=_targets(only_levers), name=name,
                       executor=running.executor)  # fmt: skip
    if as_json:
        sys.stdout.write(json.dumps(pkg.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        print_package(pkg)
    if out_file is not None:
        pkg.write(out_file)
        _say(f"wrote {out_file}: `sim run {out_file}` reproduces the re-check", as_json)
    if chart is not None:
        _draw_chart(pkg, chart, lang.value, as_json)


def print_package(pkg: PackageSearch) -> None:
    """The package's levers, the targets' probabilities, the runners-up and the run facts."""
    levers_ = Table(title=f"{pkg.package.name}: the levers changed from {pkg.scenario.name}")
    for col in ("lever", "now", "package", "extra 万元/yr"):
        levers_.add_column(col, justify="left" if col == "lever" else "right")
    for r in pkg.lever_table().itertuples():
        extra = f"+{_money(float(r.extra_cost_wan))}"
        levers_.add_row(str(r.lever_id), _setting(float(r.setting_now)),
                        _setting(float(r.setting)), extra)  # fmt: skip
    levers_.add_section()
    levers_.add_row("[bold]total[/]", "", "", f"[bold]+{_money(pkg.extra_cost_wan)}[/]")
    out.print(levers_)
    _print_package_targets(pkg)
    if not pkg.runners_up.empty:
        runners = Table(title="runners-up (the next packages the search found)")
        for col in ("changes", "extra 万元/yr", "lowest P search", "lowest P re-check"):
            runners.add_column(col, justify="left" if col == "changes" else "right",
                               overflow="fold")  # fmt: skip
        for r in pkg.runners_up.to_dict(orient="records"):
            runners.add_row(
                str(r["changes"]),
                f"+{_money(r['extra_cost_wan'])}",
                f"{r['min_p_search']:.3f}",
                f"{r.get('min_p_recheck', math.nan):.3f}",
            )
        out.print(runners)
    for line in pkg.notes:
        print_plain(line)
    print_plain(
        f"search: {pkg.packages_evaluated:,} packages on {pkg.search_draws:,} shared draws (seed "
        f"{pkg.search_seed}) in {pkg.seconds_search:,.1f} s; re-check: {pkg.recheck_draws:,} "
        f"fresh draws (seed {pkg.recheck_seed}) in {pkg.seconds_recheck:,.1f} s"
    )


def _print_package_targets(pkg: PackageSearch) -> None:
    df = pkg.table()
    moved = df["difference"].abs() > 2 * df["difference_se"]
    shown = df[df["named"] | moved]
    table = Table(
        title=f"P(met) with the package: the search ({pkg.search_draws:,} draws) and the re-check "
        f"({pkg.recheck_draws:,} fresh draws)",
        caption="named targets first, then others the package moved by more than 2 SE (paired); "
        "quote the re-check: the search's numbers are biased up by the choice (winner's curse)",
    )  # fmt: skip
    for col in ("target", "now", "search", "re-check ± SE", "change ± SE", f"≥ {pkg.p:g}"):
        table.add_column(col, justify="left" if col == "target" else "right", no_wrap=True)
    for r in shown.itertuples():
        tag = "" if r.reachable else " [red](out of reach)[/]"
        ok = "[green]yes[/]" if r.meets_p else "[red]no[/]"
        table.add_row(
            f"{'[bold]' if r.named else ''}{r.target_id}{'[/]' if r.named else ''}{tag}",
            f"{r.p_now_recheck:.3f}", f"{r.p_search:.3f}",
            f"{r.p_recheck:.3f} ± {r.p_recheck_se:.3f}",
            f"{r.difference:+.3f} ± {r.difference_se:.3f}", ok,
        )  # fmt: skip
    out.print(table)
    if pkg.mode == "budget":
        out.print(
            f"objective {pkg.objective}: {pkg.value_search:.4f} in the search, "
            f"{pkg.value_recheck:.4f} in the re-check",
            highlight=False,
        )
