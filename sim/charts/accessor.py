"""``result.plot``: the charts of the pack for one result, as matplotlib Figures.

Registered on :class:`sim.results.Result` when ``sim.charts`` is imported (``import sim``
does it), in the manner of xarray's and pandas' accessors, so the results layer never imports
the charts. Nothing here imports matplotlib until a chart is drawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import ResultError
from sim.results import Result, register_accessor

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.charts.pack import PackReport


@register_accessor("plot")
class ResultPlots:
    """Charts of one result: ``result.plot.fan("hightech_enterprises_2025")``, ``.table()``,
    ``.pmet()``, ``.at_risk()``, ``.joint()``, ``.cofailure()``, ``.changes()`` (a run with
    actuals), ``.page(name)`` and ``.pack(folder)``. ``lang`` is "zh" (default) or "en"."""

    def __init__(self, result: Result):
        self._result = result

    def page(self, name: str, lang: str = "zh", page: int = 0) -> Figure:
        """One page of the scenario pack (``page`` for multi-page charts).

        ``name``: cover, changes (a run with actuals), table, pmet, fans, at_risk, joint,
        cofailure, levers, assumptions, breaks, trust.
        """
        from sim.charts.pages import SCENARIO_PAGES

        builders = dict(SCENARIO_PAGES)
        if name not in builders:
            raise KeyError(f"unknown chart {name!r}; choose one of {', '.join(builders)}")
        if name == "changes" and not self._result.has_actuals:
            self._result.changes()  # raises: the run has no actuals, with what to do
        return builders[name](self._result, lang)[page]

    def table(self, lang: str = "zh", page: int = 0) -> Figure:
        """The traffic-light table of every target."""
        return self.page("table", lang, page)

    def pmet(self, lang: str = "zh") -> Figure:
        """P(met) per target with Wilson error bars, grouped by goal."""
        return self.page("pmet", lang)

    def fan(self, target_id: str, lang: str = "zh") -> Figure:
        """The fan chart of one target's indicator, threshold marked."""
        from sim.charts.fans import fan_figure

        return fan_figure(self._result, target_id, lang)

    def at_risk(self, lang: str = "zh") -> Figure:
        """Distributions of the judged values of the at-risk targets."""
        return self.page("at_risk", lang)

    def joint(self, lang: str = "zh") -> Figure:
        """P(all met) per group and the distribution of the number of targets met."""
        return self.page("joint", lang)

    def cofailure(self, lang: str = "zh") -> Figure:
        """Which targets tend to be missed together."""
        return self.page("cofailure", lang)

    def changes(self, lang: str = "zh") -> Figure:
        """What the latest figures changed: P(met) before → after per target, the figures and
        the effective draws (a run conditioned on actuals; a ResultError otherwise)."""
        return self.page("changes", lang)

    def pack(
        self, out_dir: str | Path | None = None, lang: str = "zh", **options: Any
    ) -> PackReport:
        """Write the whole chart pack (PDF + PNGs); default folder ``<result>/charts``."""
        from sim.charts.pack import build_pack

        if out_dir is None:
            if self._result.path is None:
                raise ResultError("save the result first, or give out_dir")
            out_dir = self._result.path / "charts"
        return build_pack([self._result], out_dir, lang=lang, **options)
