"""Shared test configuration: hypothesis profiles and small helpers."""

from __future__ import annotations

import os

from hypothesis import settings

# Deterministic property tests in CI; deadline off because NumPy warms up on first calls.
settings.register_profile("ci", deadline=None, derandomize=True, max_examples=25)
settings.register_profile("dev", deadline=None, max_examples=50)
settings.load_profile(os.environ.get("SIM_HYPOTHESIS_PROFILE", "ci"))
