"""The pages of the chart pack, in order: name → function(result, lang) -> list of Figures.

A scenario pack draws :data:`SCENARIO_PAGES` for one result; a comparison pack draws
:data:`COMPARISON_PAGES` for several results of one joint run (the first is the reference).
Every function returns A4-landscape :class:`matplotlib.figure.Figure` pages (most charts fit
one page; the table, the fans, the at-risk distributions and the assumptions may take more; a
page with nothing to show returns none, as the changes page of a run without actuals).
Build and save them inside :func:`sim.charts.layout.styled`, as :func:`sim.charts.pack.build_pack`
does, so that the fonts apply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sim.analysis.learn import Sensitivity
from sim.charts.bars import pmet_bars
from sim.charts.breaks import breaks_page
from sim.charts.changes import changes_page
from sim.charts.common import Pages
from sim.charts.compare_costs import comparison_costs, comparison_levers
from sim.charts.compare_cover import comparison_cover
from sim.charts.compare_pmet import comparison_differences, comparison_pmet
from sim.charts.cover import cover
from sim.charts.fans import fan_charts
from sim.charts.joint import cofailure, joint
from sim.charts.learn import learn_page
from sim.charts.risk import risk_distributions
from sim.charts.settings import levers_page, params_pages
from sim.charts.table import status_table
from sim.charts.trust import trust_page
from sim.results import Result

PageFunction = Callable[[Result, str], Pages]
ComparisonFunction = Callable[[Sequence[Result], str], Pages]
SensitivityFunction = Callable[[Sensitivity, str], Pages]

SCENARIO_PAGES: list[tuple[str, PageFunction]] = [
    ("cover", cover),
    ("changes", changes_page),  # a run with actuals only: no page otherwise
    ("table", status_table),
    ("pmet", pmet_bars),
    ("fans", fan_charts),
    ("at_risk", risk_distributions),
    ("joint", joint),
    ("cofailure", cofailure),
    ("levers", levers_page),
    ("assumptions", params_pages),
    ("breaks", breaks_page),
    ("trust", trust_page),
]

# The page of `sim sensitivity` (sensitivity.plot()): drawn from a Sensitivity, not a Result.
SENSITIVITY_PAGES: list[tuple[str, SensitivityFunction]] = [("learn", learn_page)]

COMPARISON_PAGES: list[tuple[str, ComparisonFunction]] = [
    ("cover", comparison_cover),
    ("pmet", comparison_pmet),
    ("differences", comparison_differences),
    ("costs", comparison_costs),
    ("levers", comparison_levers),
]
