"""``.plot()`` of the decision objects (:mod:`sim.analysis.requirements`,
:mod:`sim.analysis.optimise`), registered when :mod:`sim.charts` is imported, as ``result.plot``
is. The page modules, and matplotlib with them, are imported only when a page is drawn."""

from __future__ import annotations

from typing import Any

from sim.analysis.decision import register_plotter


@register_plotter("Requirements")
def _requirements(obj: Any, lang: str) -> list[Any]:
    from sim.charts.requirements import requirements_pages

    return requirements_pages(obj, lang)


@register_plotter("PackageSearch")
def _package(obj: Any, lang: str) -> list[Any]:
    from sim.charts.package import package_page

    return package_page(obj, lang)
