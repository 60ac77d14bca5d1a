"""Chart pack for the bureau's science-and-technology meetings (Chinese by default).

=========================================  ==================================================
``build_pack(results, out_dir, lang)``     write the PDF + one PNG per page -> ``PackReport``
``figures(results, lang)``                 the (page name, Figure) list, without saving
``resolve_language(lang)``                 the language charts can be drawn in, and the font
``find_cjk_font()``                        the CJK font found and registered, or None
=========================================  ==================================================

One result gives the scenario pack; several results of one joint run (:func:`sim.run_many`,
the first is the reference) give the comparison pack. Importing this package registers
``result.plot`` (:mod:`sim.charts.accessor`); it does not import matplotlib or change any
matplotlib setting; the style is applied only while charts are built and saved
(:func:`sim.charts.layout.styled`).

The chart layer only draws: what it shows is computed in :mod:`sim.analysis` and
:mod:`sim.results`, and every word comes from the catalogue and the text catalogues.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.analysis.learn import register_plotter
from sim.charts import accessor as _accessor  # registers result.plot
from sim.charts import decision_plots as decision_plots  # registers .plot of the decisions

if TYPE_CHECKING:
    from sim.charts.pack import PackReport

__all__ = [
    "PackReport",
    "ResultPlots",
    "build_pack",
    "figures",
    "find_cjk_font",
    "resolve_language",
]


ResultPlots = _accessor.ResultPlots


def _plot_sensitivity(sensitivity: Any, lang: str = "zh") -> Any:
    """``sensitivity.plot()``: the page "What we most need to learn" (matplotlib on first use)."""
    from sim.charts.learn import learn_page

    return learn_page(sensitivity, lang)


register_plotter(_plot_sensitivity)


def __getattr__(name: str) -> Any:
    if name in ("build_pack", "figures", "PackReport"):
        from sim.charts import pack

        return getattr(pack, name)
    if name in ("find_cjk_font", "resolve_language"):
        from sim.charts import fonts

        return getattr(fonts, name)
    raise AttributeError(name)
