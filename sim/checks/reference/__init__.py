"""Independent reference implementation of the firm pipeline (agent-level, SimPy).

``sim.checks.reference.pipeline`` is a discrete-event model written from the specification in
``docs/model.md`` (its calendar, firm states and formulas are in ``sim.checks.reference.rules``);
:func:`run_reference` runs it for a scenario on the parameter draws the vectorized model uses;
``sim.checks.crosscheck`` compares the two statistically.
"""

from sim.checks.reference.inputs import Inputs, Observed, lever_effects, replication_inputs
from sim.checks.reference.pipeline import Pipeline, simulate_replication
from sim.checks.reference.rules import SERIES, Start, apply_share
from sim.checks.reference.run import ReferenceRun, replication_rng, run_reference

__all__ = [
    "SERIES",
    "Inputs",
    "Observed",
    "Pipeline",
    "ReferenceRun",
    "Start",
    "apply_share",
    "lever_effects",
    "replication_inputs",
    "replication_rng",
    "run_reference",
    "simulate_replication",
]
