"""Running the page: a threaded WSGI server (waitress) on a local address by default."""

from __future__ import annotations

import ipaddress
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.scenario import Scenario

THREADS = 8  # requests served at once: callbacks of a few tabs plus their progress polls


def is_loopback(host: str) -> bool:
    """Whether ``host`` names only this machine (127.0.0.0/8, ::1 or localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_warning(host: str) -> str | None:
    """The warning printed when the page is reachable from other machines."""
    if is_loopback(host):
        return None
    return (
        f"binding to {host}: anyone who can reach this machine can use the page, run "
        "simulations and write scenario files and chart packs into its results folder"
    )


def free_port(host: str = "127.0.0.1") -> int:
    """A port free on ``host`` now (for tests and benchmarks)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def serve(
    start: Scenario,
    lang: str = "zh",
    host: str = "127.0.0.1",
    port: int = 8050,
    out: Path = Path("results/web"),
    jobs: int = 1,
    announce: Callable[[str], None] = print,
) -> int | None:
    """Serve the page until interrupted; the worker processes stop with it. Returns the signal
    that stopped it (SIGINT for Ctrl-C, SIGTERM), so the command can exit with 128 + signal."""
    from waitress.server import create_server

    from sim.web.app import create_app

    app, evaluator = create_app(start, lang, out, jobs=jobs)
    server = create_server(app.server, host=host, port=port, threads=THREADS)
    evaluator.warm_up()
    shown = f"[{host}]" if ":" in host else host
    announce(f"sim serve: http://{shown}:{server.effective_port}/  (Ctrl-C stops it)")
    stopped_by: list[int] = []
    try:
        with _signals_stop(stopped_by):
            server.run()
    finally:
        server.close()
        evaluator.close()
    return stopped_by[0] if stopped_by else None


@contextmanager
def _signals_stop(stopped_by: list[int]) -> Iterator[None]:
    """Ctrl-C and SIGTERM stop the server's loop, and are remembered: waitress ends its loop
    quietly on KeyboardInterrupt, which would make an interrupted server exit with status 0."""

    def stop(signum: int, frame: object) -> None:
        stopped_by.append(signum)
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread (a test's server thread)
        return
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
