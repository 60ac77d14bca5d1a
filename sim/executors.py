"""Where the chunks of a run are simulated: this process, local worker processes, or a Dask
cluster — with the same result, bit for bit, whichever it is.

:func:`executor_from_options` turns the options every command shares (``--jobs``,
``--executor``, ``--scheduler``) into a :class:`Workers` for :func:`sim.engine.run_plan`:

- ``local`` (the default): ``jobs`` worker processes of this machine (none for one job);
- ``dask``: a ``distributed.LocalCluster`` of ``jobs`` worker processes, one thread each,
  started here and closed when the run ends;
- a ``scheduler`` address (``tcp://host:8786``): an existing Dask cluster, whose workers
  must have the same sim installed — checked on connecting (version, and a fingerprint of
  the code and the catalogue), a mismatch refused with both versions named, since the
  results would silently differ.

The engine cuts the draws into the same chunks and merges integer counts, so the result does
not depend on which worker ran which chunk, nor in which order they finished. Dask is an
optional extra (``pip install sim[dask]``); asking for it without it installed is a
:class:`~sim.errors.SimError` that says how to install it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim._version import __version__
from sim.catalogue import catalogue_dir
from sim.errors import SimError

EXECUTORS = ("local", "dask")
# How long connecting to a scheduler may take before the address is reported as unreachable:
# a scheduler answers in milliseconds on a network; a wrong address should not hang a command.
CONNECT_SECONDS = 5
# Files of the package that decide the numbers: the code and the catalogue (not the chart pack
# or the command line, which never run on a worker).
FINGERPRINTED = ("*.py", "*.toml", "*.csv")
NOT_ON_WORKERS = ("charts", "cli")
INSTALL = 'pip install "sim[dask]" (or: pip install "dask[distributed]>=2024.1")'


@dataclass(frozen=True)
class Workers:
    """What runs the chunks: an executor (None: the engine's own process pool, or this process
    for one job), how many chunks run at once (blocks are cut for this many), and a line
    saying which it is."""

    executor: Executor | None
    jobs: int
    description: str


@contextmanager
def executor_from_options(
    executor: str = "local", scheduler: str | None = None, jobs: int = 1
) -> Iterator[Workers]:
    """The workers the options ask for; a Dask client (and a local cluster) is closed on exit,
    Ctrl-C and errors included. ``scheduler`` implies ``executor="dask"``."""
    if executor not in EXECUTORS:
        raise SimError(f"unknown executor {executor!r}; expected one of {', '.join(EXECUTORS)}")
    if executor == "local" and scheduler is None:
        yield Workers(None, jobs, f"{jobs} local process{'es' if jobs > 1 else ''}")
        return
    distributed = _distributed()
    with _quiet_dask():
        if scheduler is None:
            cluster = distributed.LocalCluster(
                n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=":0",
                silence_logs=logging.CRITICAL,
            )  # fmt: skip
            where = f"a local Dask cluster of {jobs} worker process{'es' if jobs > 1 else ''}"
        else:
            cluster, where = None, f"the Dask scheduler at {scheduler}"
        try:
            client = _connect(distributed, cluster or scheduler, where)
            try:
                threads = check_workers(client, where)
                yield Workers(client.get_executor(), threads, f"{where} ({threads} threads)")
            finally:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise SimError(f"the Dask executor needs dask.distributed, which is not installed: "
                       f"{INSTALL}") from None  # fmt: skip
    return distributed


def _connect(distributed: Any, address: Any, where: str) -> Any:
    """A client of the cluster or scheduler address; an unreachable or malformed address is a
    SimError within :data:`CONNECT_SECONDS`."""
    try:
        return distributed.Client(address, timeout=f"{CONNECT_SECONDS}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SimError(
            f"cannot connect to {where}: {reason}. Start one with `dask scheduler` and "
            "`dask worker ADDRESS`, and pass the address the scheduler prints "
            "(e.g. --scheduler tcp://10.0.0.5:8786)"
        ) from None


def check_workers(client: Any, where: str) -> int:
    """Check that every worker runs this sim (version and fingerprint); the threads in all.

    Raises :class:`SimError` naming the workers that differ, or that cannot import sim, or
    when the cluster has no workers.
    """
    try:
        found = client.run(worker_identity)
    except (ImportError, AttributeError) as exc:  # sim missing or too old on a worker
        raise SimError(
            f"the workers of {where} cannot run sim ({type(exc).__name__}: {exc}); install "
            f"sim {__version__} on every worker (the same version as here)"
        ) from None
    if not found:
        raise SimError(f"{where} has no workers; start some with `dask worker ADDRESS`")
    mine = worker_identity()
    wrong = {addr: ident for addr, ident in found.items() if tuple(ident) != mine}
    if wrong:
        addr, (version, theirs) = next(iter(wrong.items()))
        what = f"sim {version}"
        if version == mine[0]:
            what += f" with other code or catalogue files (fingerprint {theirs})"
        raise SimError(
            f"{len(wrong)} of the {len(found)} workers of {where} run {what}, not sim "
            f"{mine[0]} (fingerprint {mine[1]}) as here, e.g. {addr}; their results would "
            f"differ. Install this sim on every worker (the same version and catalogue)"
        )
    nthreads = client.nthreads()
    return max(1, sum(nthreads.values()))


def worker_identity() -> tuple[str, str]:
    """This process's sim version and the fingerprint of its code and catalogue."""
    return __version__, fingerprint()


def fingerprint() -> str:
    """A short hash of the files that decide the numbers: sim's code (but the chart pack and
    the command line) and its catalogue."""
    return _fingerprint(Path(__file__).resolve().parent, catalogue_dir().resolve())


def _fingerprint(package: Path, catalogue: Path) -> str:
    digest = hashlib.sha256()
    for root in (package, catalogue):
        files = sorted({p for pattern in FINGERPRINTED for p in root.rglob(pattern)})
        for path in files:
            parts = path.relative_to(root).parts
            if "__pycache__" in parts or (root == package and parts[0] in NOT_ON_WORKERS):
                continue
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


@contextmanager
def _quiet_dask() -> Iterator[None]:
    """Dask's own log lines (cluster start, worker shutdown) stay off the terminal."""
    loggers = [logging.getLogger(n) for n in ("distributed", "tornado", "asyncio")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
