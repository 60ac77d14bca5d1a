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
from rich.markup import escape

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


DEBUG = {"on": False}  # set by the global --debug option: show the traceback of internal errors


def print_error(message: str, label: str = "error:") -> None:
    """``label`` in bold red, then ``message`` as plain text (user text may hold [markup])."""
    err.print(f"[bold red]{label}[/] {escape(message)}", highlight=False, soft_wrap=True)


def print_plain(message: str, console: Console | None = None) -> None:
    """A line holding user text (paths, names): never parsed as rich markup."""
    (console or out).print(message, markup=False, highlight=False, soft_wrap=True)


def reports_errors(func: F) -> F:
    """One error path: a SimError (anything the user can cause) is a message on stderr and exit
    status 2; an OSError naming a file (the disk, permissions) too; anything else is a bug in
    sim: one line and exit status 1, the traceback only with ``sim --debug``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SimError as exc:
            print_error(str(exc))
            raise typer.Exit(2) from None
        except (typer.Exit, typer.Abort, typer.BadParameter, KeyboardInterrupt):
            raise
        except OSError as exc:
            if DEBUG["on"] or exc.filename is None:
                raise
            print_error(f"{exc.filename}: {exc.strerror or exc}")
            raise typer.Exit(2) from None
        except Exception as exc:
            if DEBUG["on"]:
                raise
            print_error(f"internal error ({type(exc).__name__}: {str(exc)[:200]}); run with "
                        "`sim --debug ...` for the traceback", label="error:")  # fmt: skip
            raise typer.Exit(1) from None

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
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an internal error.")
    ] = False,
) -> None:
    """Monte Carlo simulator of Qidong's 2023–2025 innovation targets (启政办发〔2023〕10号)."""
    DEBUG["on"] = debug


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
