"""Numerical probe of a scenario: a value inside its stated range may still be one the model
cannot compute with (a negative-binomial dispersion of 0, a completion rate of 0 that is divided
by). `sim validate` and `sim run` simulate a few draws with numpy's floating-point errors raised,
so such a file is refused with the key at fault instead of crashing the run."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sim.engine import simulate_chunk
from sim.errors import Problem, ScenarioError, given
from sim.plan import END_YEAR, START_YEAR
from sim.priors import parameters
from sim.scenario import Scenario

PROBE_DRAWS = 64  # draws of the probe: every branch of a component meets the fixed values; 0.06 s


def _failure(scenario: Scenario) -> str | None:
    """Why a few draws of ``scenario`` fail (an exception or a non-finite series), or None."""
    years = tuple(range(START_YEAR, END_YEAR + 1))
    try:
        with np.errstate(divide="raise", over="raise", invalid="raise"):
            series = simulate_chunk(scenario, 0, PROBE_DRAWS, scenario.seed, years)
    except (ArithmeticError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    bad = sorted(name for name, values in series.items() if not np.isfinite(values).all())
    return f"non-finite values of {', '.join(bad[:3])}" if bad else None


def check_computable(scenario: Scenario) -> None:
    """Raise ScenarioError naming the assumptions or levers the model cannot compute with."""
    failure = _failure(scenario)
    if failure is None:
        return
    priors = parameters()
    problems = []
    for pid, value in scenario.assumptions.items():
        why = _failure(replace(scenario, assumptions={pid: value}))
        if why:
            problems.append(Problem(f'assumptions."{pid}"', f"the model cannot run with "
                                    f"{given(value)} ({why}); expected a value away from this edge "
                                    f"of {priors[pid].allowed_text()}"))  # fmt: skip
    for lever_id, value in scenario.changed_levers.items():
        alone = replace(scenario, assumptions={}, levers={**scenario.levers, lever_id: value})
        why = _failure(alone)
        if why:
            problems.append(Problem(f"levers.{lever_id}", f"the model cannot run with "
                                    f"{given(value)} ({why})"))  # fmt: skip
    if not problems:
        together = f"the model cannot run with these values together ({failure})"
        problems.append(Problem("assumptions", f"{together}; expected values nearer the priors"))
    raise ScenarioError(scenario.source, problems)
