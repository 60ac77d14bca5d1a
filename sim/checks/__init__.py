"""Diagnostics apart from the core: does the model reproduce what it should?

- :mod:`sim.checks.backcast` — start from the end of 2020, simulate 2021–2022 under the
  status quo, and see where the observed figures fall in the predictive distributions;
- :mod:`sim.checks.crosscheck` — the vectorised firm pipeline against
  :mod:`sim.checks.reference`, an independent discrete-event (SimPy) model written from
  docs/model.md, on shared parameter draws.
"""
