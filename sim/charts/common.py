"""Helpers shared by the pages of the chart pack: text widths, axis numbers, titles that fit,
the lines that describe a scenario, and the colours and markers of packages compared."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from sim.catalogue import indicators
from sim.charts import labels as L
from sim.charts.labels import t
from sim.charts.layout import Column, Style, run_date
from sim.levers import levers
from sim.results import Result
from sim.results.stats import STATUSES, wilson

Pages = list[Figure]


def columns(width_frac: float, size: float, lang: str) -> int:
    """Display columns of text of ``size`` pt that fit in ``width_frac`` of the page width."""
    points = width_frac * 11.69 * 72
    per_column = size * 0.5  # a half-em column, as measured by labels.wrap
    return max(10, int(points / per_column * 0.97))


def p_all_text(result: Result, lang: str) -> tuple[str, str]:
    """P(all targets met) with its error, and a detail line for a zero count."""

    p = float(result.joint.loc["all_targets", "p"])
    se = float(result.joint.loc["all_targets", "mc_se"])
    n = result.draws_run
    if round(p * n) == 0:
        hi = wilson(0, n)[1]
        return "≈ 0%", t("zero_hits", lang, draws=f"{n:,}", hi=L.pct(hi, 2))
    return f"{L.pct(p, 1)} ± {100 * se:.1f}", ""


def indicator_unit(indicator: str | None) -> str:
    """The catalogue unit of an indicator ("" for none or an unknown id)."""

    info = indicators().get(indicator or "")
    return info.unit if info else ""


def lever_change_lines(result: Result, lang: str) -> list[str]:
    """One line per lever the scenario changed: name, status quo → setting, unit, factor."""

    out = []
    for lid, value in result.scenario.changed_levers.items():
        lever = levers()[lid]
        name = L.lever_name(lid, lever.name_zh, lever.name_en, lang)
        unit = L.lever_unit(lever.unit, lang)
        sq = lever.status_quo
        factor = t("bracketed", lang, x=f"×{value / sq:.2g}") if sq else ""
        sep = t("colon", lang)
        out.append(f"{name}{sep}{L.num(sq, 'en')} → {L.num(value, 'en')} {unit}{factor}")
    return out


def fit_title(text: str, ax: Any, size: float, extra: float = 0.0) -> tuple[str, float]:
    """A panel title that fits the axes width: as is, a little smaller, or on two lines."""
    width = ax.get_position().width + extra
    for s in (size, size - 0.5):
        if L._columns_of(text) <= columns(width, s, "zh"):
            return text, s
    s = size - 0.5
    return L.wrapped(text, columns(width, s, "zh"), max_lines=2), s


def axis_num(v: float, lang: str) -> str:
    """A tick label: 万 or k for large numbers, no decimals unless needed."""
    a = abs(v)
    if a >= 10000:
        return f"{v / 10000:g}万" if lang == "zh" else f"{v / 1000:g}k"
    if a >= 100 or a == 0 or float(v).is_integer():
        return f"{v:,.0f}".replace("-", "−")
    return f"{v:g}".replace("-", "−")


def column_fracs(cols: list[Column], total_width: float) -> list[float]:
    """Widths of table columns as fractions of the page, in proportion to their weights."""
    s = sum(c.width for c in cols)
    return [total_width * c.width / s for c in cols]


def status_counts(result: Result) -> dict[str, int]:
    """How many targets have each status (likely, uncertain, at risk, qualitative, ...)."""
    s = result.summary()
    return {k: int(s[k]) for k in (*STATUSES, "qualitative", "not_modelled")}


def comparison_footer(results: Sequence[Result], st: Style) -> str:
    """Left footer of a comparison page: the packages, draws, seed and run date."""
    lang = st.lang
    names = " / ".join(L.scenario_title(r.scenario, lang) for r in results)
    m = results[0].manifest
    body = t("cmp_footer", lang, names=names, draws=f"{int(m['draws']):,}", seed=m["seed"],
             date=run_date(m))  # fmt: skip
    return f"{t('footer', lang)}  ·  {body}"


def package_colour(i: int) -> str:
    """The colour of package ``i`` of a comparison (0 is the reference)."""
    return L.SCENARIO_COLOURS[i % len(L.SCENARIO_COLOURS)]


def package_marker(i: int) -> str:
    """The marker of package ``i`` of a comparison."""
    return L.SCENARIO_MARKERS[i % len(L.SCENARIO_MARKERS)]


def marker_style(i: int, size: float) -> dict[str, Any]:
    """Marker of package ``i``: the reference is a tall tick, visible behind the others."""
    if i == 0:
        return {"marker": "|", "color": package_colour(0), "ms": size * 2, "mew": 1.8}
    return {
        "marker": package_marker(i),
        "color": package_colour(i),
        "ms": size,
        "mec": "white",
        "mew": 0.5,
    }


def all_paired(diffs: dict[str, pd.DataFrame]) -> bool:
    """Whether every difference came from one joint run (common random numbers)."""
    return all(bool(df["paired"].all()) for df in diffs.values())


def points(x: float) -> str:
    """A difference in percentage points, signed."""
    v = 100 * x
    sign = "+" if v > 0.05 else ("−" if v < -0.05 else "±")
    return f"{sign}{abs(v):.1f}"
