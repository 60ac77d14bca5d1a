"""What kind of unknown a parameter is, and whether the bureau could find it out by measuring.

Four kinds, from the parameter's id and the ``basis`` its catalogue entry gives:

============  =========  ==============================================================
kind          measurable  what it is
============  =========  ==============================================================
``figure``    yes        a 2022 (or earlier) figure that exists but is not published, or a
                         published figure's rounding or revision: the bureau could count it
                         or ask the statistics office (``basis`` says "not published",
                         "no data", "not observed", …)
``record``    yes        a rate or share that administrative records give: a pass rate, an
                         application or completion share, an exit hazard, a ratio of counts
``lever``     no         a lever's elasticity: learnt only by trying the measure and
                         evaluating it
``dynamics``  no         trends, shocks, volatility, breaks and behavioural responses, and
                         the Poisson rate behind a count that *is* published: only the
                         coming years tell
============  =========  ==============================================================

The rules are in :func:`kind_of`; :data:`OVERRIDES` lists the parameters the rules would get
wrong, each with its reason.
"""

from __future__ import annotations

import re

from sim.priors import Prior, parameters

KINDS = ("figure", "record", "lever", "dynamics")
MEASURABLE = frozenset({"figure", "record"})

# Words of a basis that say the figure exists but we do not have it.
_UNPUBLISHED = re.compile(
    r"not published|no data|not observed|no qidong data|not in our data", re.IGNORECASE
)
# Names of a start value or of how a published figure relates to the truth.
_FIGURE_NAME = re.compile(r"_20(19|20|21|22)\b|_20(19|20|21|22)_|rounding|revision|cohort")
# Names of a trend, a shock, a volatility, a break or a behavioural response.
_DYNAMICS_NAME = re.compile(
    r"trend|drift|_sd$|dispersion|shock|break_|persistence|elasticity|volatility|climate"
    r"|training_level|depletion|beta$|growth|strictness"
)

OVERRIDES: dict[str, tuple[str, str]] = {
    "collaboration.turnover_level_z": (
        "dynamics",
        "the level behind one published flow (128 亿元): its noise, not a figure to look up",
    ),
    "firms.zjtx_rate": ("figure", "recognitions of recent years are in the provincial lists"),
    "firms.observed_new_inclusive": (
        "figure",
        "whether the published 114 includes re-certifications: the bureau knows what it counted",
    ),
    "agriculture.floor_adoption": ("record", "whether the bureau's plans adopt the floors"),
    "agriculture.plan_margin": ("record", "the margin the bureau's own plans add"),
}


def kind_of(pid: str, prior: Prior | None = None) -> str:
    """The kind of unknown parameter ``pid`` is (one of :data:`KINDS`)."""
    if pid.startswith("lever."):
        return "lever"
    if pid in OVERRIDES:
        return OVERRIDES[pid][0]
    prior = prior if prior is not None else parameters()[pid]
    name = pid.split(".", 1)[1]
    unpublished = bool(_UNPUBLISHED.search(prior.basis))
    if _FIGURE_NAME.search(name):
        # a start value whose count is published leaves only the Poisson rate behind it
        published_count = not unpublished and "_20" in name and "cohort" not in name
        return "dynamics" if published_count else "figure"
    if _DYNAMICS_NAME.search(name):
        return "dynamics"
    if name.endswith("_rate") and unpublished:
        return "figure"  # a yearly count nobody has totalled: count the recent years
    return "record"


def measurable(pid: str) -> bool:
    """Whether the bureau could find the parameter out by counting or asking now."""
    return kind_of(pid) in MEASURABLE


def kinds() -> dict[str, str]:
    """The kind of every parameter of the catalogue, by id."""
    return {pid: kind_of(pid, prior) for pid, prior in parameters().items()}
