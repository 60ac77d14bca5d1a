"""Shared test configuration: hypothesis profiles and small helpers."""

from __future__ import annotations

import os

from hypothesis import settings

# Deterministic property tests in CI; deadline off because NumPy warms up on first calls.
settings.register_profile("ci", deadline=None, derandomize=True, max_examples=25)
settings.register_profile("dev", deadline=None, max_examples=50)
settings.load_profile(os.environ.get("SIM_HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser) -> None:
    """``--update-golden``: rewrite tests/golden/*.json from the current code (see
    tests/test_golden.py for when that is right)."""
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the pinned baseline numbers in tests/golden/ instead of checking them",
    )
