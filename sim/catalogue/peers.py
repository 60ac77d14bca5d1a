"""The reference class: published figures of units comparable with Qidong, up to 2022.

The outside view of the model's uncertainty (DESIGN §6): how much do innovation indicators of
peer units — Jiangsu's prefectures and county-level cities, and provinces where county series
are thin — move in one year and in three? Rows live in ``catalogue/reference_class/*.csv``, one
file per source family, in the format of ``observations.csv`` (without ``preferred``).

Two rules are checked when the files are read, because the baseline is the bureau's view on
the policy date (March 2023): no figure after 2022, and no Qidong figure at all (Qidong's own
history is in ``observations.csv``).
"""

from __future__ import annotations

import csv

from pydantic import ValidationError

from sim.catalogue import Observation, cached, catalogue_dir
from sim.errors import CatalogueError, Problem

LAST_YEAR = 2022  # the reference class holds what could be known on the policy date
EXCLUDED_SCOPES = frozenset({"qidong"})


@cached
def peer_observations() -> tuple[Observation, ...]:
    """Every row of every reference-class file, validated (see the module docstring)."""
    rows: list[Observation] = []
    for path in sorted((catalogue_dir() / "reference_class").glob("*.csv")):
        problems: list[Problem] = []
        with open(path, encoding="utf-8", newline="") as f:
            for line, raw in enumerate(csv.DictReader(f), start=2):
                try:
                    obs = Observation.model_validate({**raw, "preferred": True})
                except ValidationError as exc:
                    problems.append(Problem("", f"row does not parse: {exc.errors()[0]['msg']}",
                                            line))  # fmt: skip
                    continue
                if obs.year > LAST_YEAR:
                    problems.append(Problem("year", f"{obs.year} is after {LAST_YEAR}", line))
                if obs.scope in EXCLUDED_SCOPES:
                    problems.append(Problem("scope", f"{obs.scope!r} is not a peer", line))
                rows.append(obs)
        if problems:
            raise CatalogueError(str(path), problems)
    return tuple(rows)


# Where two rows give the same unit-year, the final figure wins over a computed one, and both
# over a January estimate (预计) or an unofficial page.
STATUS_RANK = {"reported": 0, "census": 0, "derived": 1, "prelim": 2, "unofficial": 3}


def peer_series(indicator: str) -> dict[str, dict[int, float]]:
    """``{scope: {year: value}}`` of one indicator across the reference class; where sources
    disagree on a unit-year, the row of the best status wins (then the first listed)."""
    best: dict[tuple[str, int], tuple[int, float]] = {}
    for obs in peer_observations():
        if obs.indicator != indicator:
            continue
        rank = STATUS_RANK[obs.status]
        key = (obs.scope, obs.year)
        if key not in best or rank < best[key][0]:
            best[key] = (rank, obs.value)
    out: dict[str, dict[int, float]] = {}
    for (scope, year), (_, value) in sorted(best.items()):
        out.setdefault(scope, {})[year] = value
    return out
