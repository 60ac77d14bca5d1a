"""The ``sim`` command line: one module per group of commands, all on one Typer app.

- :mod:`sim.cli.app` — the app, the consoles, error reporting, shared formatting;
- :mod:`sim.cli.catalogue_cmds` — ``targets``, ``levers``, ``parameters``, ``validate``;
- :mod:`sim.cli.run_cmds` — ``run``, ``report``;
- :mod:`sim.cli.check_cmds` — ``backcast``, ``crosscheck``, ``reference``;
- :mod:`sim.cli.sensitivity_cmds` — ``sensitivity``;
- :mod:`sim.cli.serve_cmds` — ``serve`` (the what-if page);
- :mod:`sim.cli.decision_cmds` — ``requirements``, ``optimise``.
"""

from __future__ import annotations

# The order of these imports is the order of the commands in `sim --help`.
# isort: off
from sim.cli.app import app
from sim.cli import catalogue_cmds  # targets, levers, parameters, validate
from sim.cli import run_cmds  # run, report
from sim.cli import check_cmds  # backcast, crosscheck, reference
from sim.cli import sensitivity_cmds  # sensitivity
from sim.cli import serve_cmds  # serve
from sim.cli import decision_cmds  # requirements, optimise
# isort: on

__all__ = [
    "app", "catalogue_cmds", "check_cmds", "decision_cmds", "main", "run_cmds",
    "sensitivity_cmds", "serve_cmds",
]  # fmt: skip


def main() -> None:
    """Entry point of the ``sim`` console script."""
    app()
