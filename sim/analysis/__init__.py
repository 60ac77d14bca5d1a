"""Everything computed from results that is not drawing: the charts, the CLI and the notebooks
call the same functions.

- :mod:`sim.analysis.targets` — rows in policy order, the target a row was judged on, fan
  bands, histograms of judged values and their coarsening, P(at least k met);
- :mod:`sim.analysis.sensitivity` — parameter draws of the sample, drivers (rank
  correlations), the parameters behind at-risk targets, prior summaries, co-failure pairs;
- :mod:`sim.analysis.actuals` — what a run conditioned on actuals changed, target by target,
  and each actual on its target's fan;
- :mod:`sim.analysis.compare` — paired (or independent) differences between packages,
  crossings of the 50 % / 80 % lines, cost against effect;
- :mod:`sim.analysis.decision` — lever packages evaluated on common random numbers, shared by
  :mod:`sim.analysis.requirements` (what each target would take, lever by lever) and
  :mod:`sim.analysis.optimise` (the cheapest package; its re-check in
  :mod:`sim.analysis.package`). ``sim.requirements`` and ``sim.optimise`` are the entry points.
"""

from sim.analysis.actuals import change_rows, fan_actuals
from sim.analysis.compare import cost_effect, crossings, differences
from sim.analysis.sensitivity import (
    drivers,
    key_parameters,
    miss_pairs,
    parameter_draws,
    prior_summary,
)
from sim.analysis.targets import (
    at_least,
    coarsen,
    fan_data,
    groups_in_order,
    histogram,
    judged_target,
    rows_in_policy_order,
)

__all__ = [
    "at_least",
    "change_rows",
    "coarsen",
    "cost_effect",
    "crossings",
    "differences",
    "drivers",
    "fan_actuals",
    "fan_data",
    "groups_in_order",
    "histogram",
    "judged_target",
    "key_parameters",
    "miss_pairs",
    "parameter_draws",
    "prior_summary",
    "rows_in_policy_order",
]
