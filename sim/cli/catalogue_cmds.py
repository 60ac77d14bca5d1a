"""`sim targets`, `sim levers`, `sim parameters`, `sim validate`: the catalogue and the
scenario files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from sim.errors import SimError

if TYPE_CHECKING:
    pass

from sim.cli.app import _print_json, app, out, print_error, print_plain, reports_errors


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
    from rich.markup import escape

    from sim.catalogue.factors import factors
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
    in_factor = {pid: f"{f.id} ({'+' if s > 0 else '−'})" for f in factors().values()
                 for pid, s in f.members.items()}  # fmt: skip
    for p in chosen:
        notes = [p.unit]
        if p.pooled:
            notes.append(f"outside view: class {p.pooled['class']}, {p.pooled['role']}")
        if p.id in in_factor:
            notes.append(f"common factor: {in_factor[p.id]}")
        table.add_row(p.id, f"{p.describe()}\n[dim]{escape(chr(10).join(notes))}[/]", p.basis)
    out.print(table)
    out.print(f"{len(chosen)} parameters")
    for f in factors().values():
        out.print(
            f"common factor {f.id} ({f.name_en}): loading uniform({f.loading_low:g}, "
            f"{f.loading_high:g}) on {', '.join(f.members)} — {f.basis}",
            markup=False,
        )


@app.command("validate")
@reports_errors
def validate_cmd(
    files: Annotated[list[Path], typer.Argument(help="Scenario files to check.")],
) -> None:
    """Check scenario files; print every problem with its file, line and key."""
    from sim.cli.bounds import load_runnable
    from sim.errors import given
    from sim.scenario import MIN_DRAWS

    failed = 0
    for path in files:
        try:
            sc = load_runnable(path)
        except SimError as exc:
            failed += 1
            print_error(str(exc), label="invalid:")
        else:
            changed = ", ".join(f"{k}={given(v)}" for k, v in sc.changed_levers.items())
            print_plain(f"ok: {path} — {sc.name}: {changed or 'status quo'}")
            if sc.actuals:
                print_plain(
                    f"  {len(sc.actuals)} actuals: `sim run` updates every probability on "
                    f"them; see `sim actuals {path}`"
                )
            if sc.draws < MIN_DRAWS:
                print_error(f"{path}: draws = {sc.draws} is below {MIN_DRAWS}; `sim run` will "
                            "need --force (or --draws)", label="warning:")  # fmt: skip
    if failed:
        raise typer.Exit(2)


@app.command("actuals")
@reports_errors
def actuals_cmd(
    file: Annotated[Path, typer.Argument(help="Scenario file with [[actuals]].")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List a scenario's actuals and the observation model each will be used with."""
    from sim.catalogue import indicators
    from sim.catalogue.actuals import observation_for
    from sim.scenario import load_scenario

    sc = load_scenario(file)
    rows = [(a, observation_for(a.indicator, a.period, a.status, a.definition_changed))
            for a in sc.actuals]  # fmt: skip
    if as_json:
        _print_json([a.spec() | {"kind": a.period.kind, "observation": o.describe()}
                     for a, o in rows])  # fmt: skip
        return
    if not rows:
        print_plain(f"{file}: no actuals (the view on the policy date)")
        return
    table = Table(title=f"Actuals of {sc.name}: how each observes the model")
    for col in ("indicator", "period", "value", "status", "observation model", "source"):
        table.add_column(col, overflow="fold")
    for a, o in rows:
        unit = indicators()[a.indicator].unit
        status = a.status + (", definition changed" if a.definition_changed else "")
        table.add_row(*(Text(x) for x in (a.indicator, f"{a.period} ({a.period.kind})",
                      f"{a.value:g} {unit}", status, o.describe(), a.source)))  # fmt: skip
    out.print(table)
    print_plain(f"{len(rows)} actuals; `sim run {file}` conditions the run on them and shows "
                "what they changed")  # fmt: skip
