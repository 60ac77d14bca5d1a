"""The options that say where a command's chunks run, shared by every command that simulates:
``--jobs`` (in bounds), ``--executor`` and ``--scheduler`` (the plumbing: :mod:`sim.executors`).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from enum import StrEnum
from typing import Annotated

import typer

from sim.executors import Workers, executor_from_options


class ExecutorKind(StrEnum):
    """Where the chunks run."""

    local = "local"
    dask = "dask"


ExecutorOption = Annotated[
    ExecutorKind,
    typer.Option(
        "--executor",
        help="local: --jobs processes of this machine; dask: a local Dask cluster of --jobs "
        "worker processes (needs sim[dask]). The results are the same, bit for bit.",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="Run on an existing Dask cluster: its scheduler's address (tcp://host:8786); "
        "every worker needs this sim installed. Implies --executor dask; the cluster's "
        "workers replace --jobs.",
    ),
]


def workers(
    executor: ExecutorKind, scheduler: str | None, jobs: int
) -> AbstractContextManager[Workers]:
    """The workers the options ask for (a context: a Dask client is closed on exit)."""
    return executor_from_options(executor.value, scheduler, jobs)
