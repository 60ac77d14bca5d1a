"""The fixed rules of the firm pipeline the SimPy reference model runs on (docs/model.md).

The calendar (certificate length, review batches, the years the model runs through), the
series it records, the states of a firm, the firm and hand-made start records, and the small
formulas of the specification: the mean-one macro shock, odds scaling and the calibrated
application share. :mod:`sim.checks.reference.pipeline` simulates with them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

CERTIFICATE_YEARS = 3  # a certificate is valid in the year it is granted and the next two
SPRING = 0.25  # spring review batch (fraction of the year)
AUTUMN = 0.75  # autumn review batch
BATCHES = (SPRING, AUTUMN)
REGISTRATION_WINDOW = AUTUMN  # registrations close with the autumn batch: all can apply
FIRST_PROJECT_YEAR = 2019  # projects of 2019–2020 bring certifications due in 2021–2022
STOCK_YEAR = 2020  # the observed stock of 228, end of 2020
START_YEAR = 2022  # the end of this year is the state the policy years start from
POLICY_YEAR = 2023  # levers act from this year on
END_YEAR = 2025

SERIES = (
    "hightech_enterprises",
    "hightech_certified_new",
    "firms.renewed",
    "firms.exits",
    "firms.up_for_renewal",
    "tech_smes_registered",
    "scitech_projects_attracted",
    "cultivation_pool",
    "zjtx_new",
)

# Firm states.
SME = "sme"  # registered tech SME (possibly applying)
PROJECT = "project"  # attracted project waiting for its certification
HOLDER = "holder"  # holds a valid certificate
LAPSED = "lapsed"  # did not renew: out of the stock
EXITED = "exited"  # closed, moved away or lost its certificate mid-term


@dataclass(eq=False)
class Firm:
    """One firm; identity (not value) equality, so firms can live in sets."""

    id: int
    origin: str
    status: str
    cohort: int | None = None  # year of the certificate currently held
    exit_time: float = math.inf


@dataclass(frozen=True)
class Start:
    """A hand-made end-of-2022 state (for tests) instead of the one built from 2020.

    ``cohorts``: certificate year -> firms holding that certificate at the end of 2022;
    ``pending``: year -> project certifications due in that year; ``pool``: register size;
    ``apply_share``: the application share ``a`` (the calibration needs registrations).
    """

    cohorts: Mapping[int, int]
    pending: Mapping[int, int] = field(default_factory=dict)
    pool: int = 0
    apply_share: float = 0.0


def shock(loading: float, z: float) -> float:
    """Mean-one macro factor ``exp(ℓ z − ℓ²/2)``."""
    return math.exp(loading * z - 0.5 * loading * loading)


def odds_scaled(p: float, factor: float) -> float:
    """Probability whose odds are ``factor`` times those of ``p``."""
    return p * factor / (1.0 - p + p * factor)


def apply_share(p: Mapping[str, float], expected_renewals: float = 0.0) -> float:
    """The calibrated application share ``a`` of one replication (docs/model.md).

    Set so that the expected certifications of 2022 — registered SMEs × ``a`` × pass rate,
    plus the expected project certifications due in 2022 (half the conversions of the
    projects of 2020 and of 2021), plus ``expected_renewals`` when the observed 114 are read
    as first and renewed certifications together — equal the rate behind the observed 114.
    """
    project_2022 = p["firms.project_rate_2022"]
    g = p["firms.project_trend"]
    q = p["firms.project_conversion"]
    expected_projects = q * (project_2022 / (1 + g) ** 2 + project_2022 / (1 + g)) / 2
    from_smes = p["firms.new_cert_rate_2022"] - expected_projects - expected_renewals
    return max(from_smes / (p["firms.pass_rate"] * p["firms.sme_registrations_2022"]), 0.0)


def expected_renewals_2022(p: Mapping[str, float], cohort_2019: int) -> float:
    """Expected renewals of 2022 (review strictness at its centre): the firms certified in
    2019 survive 2021 and 2022, re-apply with ρ and pass with π_r."""
    survive = (1.0 - p["firms.exit_hazard"]) ** 2
    return cohort_2019 * survive * p["firms.renewal_apply"] * p["firms.renewal_pass"]


def induced_factor(p: Mapping[str, float], registration_effect: float) -> float:
    """``(1 + φ(E_R − 1))/E_R``: lever-induced registrants (share 1 − 1/E_R) apply at φ
    times the rate of the status-quo registrants."""
    return (
        1.0 + p["firms.induced_apply_ratio"] * (registration_effect - 1.0)
    ) / registration_effect
