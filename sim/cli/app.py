"""The `sim` app object, its consoles, error reporting and shared formatting."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

from sim._version import __version__
from sim.errors import SimError

if TYPE_CHECKING:
    pass

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


class Lang(StrEnum):
    """Chart language."""

    zh = "zh"
    en = "en"


STATUS_STYLE = {"at_risk": "bold red", "uncertain": "yellow", "likely": "green"}


def _fmt(x: float) -> str:
    if x != x:  # NaN
        return "–"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"
