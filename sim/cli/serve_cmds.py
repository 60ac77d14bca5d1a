"""`sim serve`: the live what-if page in the browser (sim.web)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.app import Lang, app, err, print_error, print_plain, reports_errors
from sim.cli.bounds import cap_jobs, load_runnable
from sim.errors import SimError
from sim.scenario import Scenario


@app.command("serve")
@reports_errors
def serve_cmd(
    scenario: Annotated[
        Path | None,
        typer.Argument(help="Starting scenario (TOML); default: the status quo."),
    ] = None,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8050,
    lang: Annotated[Lang, typer.Option(help="Language of the page.")] = Lang.zh,
    host: Annotated[
        str,
        typer.Option(
            help="Address to bind; anything but 127.0.0.1/localhost is reachable "
            "from other machines (a warning is printed)."
        ),
    ] = "127.0.0.1",
    out: Annotated[
        Path, typer.Option("--out", help="The only folder the page writes to (scenarios, packs).")
    ] = Path("results/web"),
    jobs: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default: 2, at most the cores).")
    ] = None,
) -> None:
    """Serve the what-if page: move a lever, see every target's P(met) change.

    Every package runs on the starting scenario's draws and seed (common random numbers), so
    the changes shown are paired differences. The page saves scenario files and chart packs
    under OUT only; the URL carries the lever settings.
    """
    from sim.scenario import status_quo
    from sim.web.server import bind_warning

    try:
        import dash  # noqa: F401
        import waitress  # noqa: F401
    except ImportError as exc:
        raise SimError(
            f"sim serve needs the web extra ({exc.name} is missing): pip install 'sim[web]'"
        ) from None

    start = load_runnable(scenario) if scenario is not None else status_quo()
    jobs, notes = cap_jobs(jobs or min(2, os.cpu_count() or 1))
    for note in notes:
        print_error(note, label="warning:")
    warning = bind_warning(host)
    if warning:
        print_error(warning, label="warning:")
    stopped_by = _serve(start, lang.value, host, port, out, jobs)
    if stopped_by is not None:  # the shell's convention: 128 + the signal (130 for Ctrl-C)
        print_plain("interrupted" if stopped_by == signal.SIGINT else "terminated", err)
        raise typer.Exit(128 + int(stopped_by))


def _serve(start: Scenario, lang: str, host: str, port: int, out: Path, jobs: int) -> int | None:
    """Serve until stopped; the signal that stopped it (None: the server ended by itself)."""
    from sim.web.server import serve

    try:
        return serve(start, lang, host, port, out, jobs, announce=lambda s: print_plain(s, err))
    except OSError as exc:
        if exc.filename is None:
            raise SimError(
                f"cannot listen on {host}:{port} ({exc.strerror or exc}); choose "
                "another --port or --host"
            ) from None
        raise
    except KeyboardInterrupt:  # before the server's own handler was in place
        return signal.SIGINT
