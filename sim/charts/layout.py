"""Page furniture shared by every chart: the A4 landscape page, header, footer, and tables.

Figures are plain :class:`matplotlib.figure.Figure` objects (no pyplot), so building charts
never touches pyplot's global figure registry.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from sim.charts import fonts
from sim.charts.labels import INK, MUTED, RULE, latin_only, scenario_title, t

A4_LANDSCAPE = (11.69, 8.27)  # inches
LEFT, RIGHT = 0.045, 0.965
HEADER_RULE = 0.895
CONTENT_TOP = 0.875
CONTENT_BOTTOM = 0.085
FOOTER_RULE = 0.05
FOOTER_Y = 0.03


@dataclass(frozen=True)
class Style:
    """The language a page is drawn in and whether Chinese glyphs are available."""

    lang: str
    cjk: bool

    def text(self, s: str) -> str:
        """Free text for display: Chinese runs are dropped when no CJK font is available."""
        return s if self.cjk else latin_only(s)


@contextmanager
def styled(lang: str, warn: bool = True) -> Iterator[Style]:
    """Resolve the language against the fonts available and enter the chart style."""
    if warn:
        lang, font = fonts.resolve_language(lang)
    else:
        font = fonts.find_cjk_font()
        if font is None:
            lang = "en"
    with fonts.chart_style(font):
        yield Style(lang=lang, cjk=font is not None)


def run_date(manifest: dict[str, Any]) -> str:
    """The run's date (from the manifest, so a rebuilt pack shows the same date)."""
    created = str(manifest.get("created", ""))
    try:
        return datetime.fromisoformat(created).date().isoformat()
    except ValueError:
        return created[:10]


def footer_text(result: Any, st: Style) -> str:
    """Left footer: project, scenario, draws, seed, run date."""
    m = result.manifest
    run = t(
        "scenario_footer",
        st.lang,
        name=scenario_title(result.scenario, st.lang),
        draws=f"{int(m['draws']):,}",
        seed=m["seed"],
        date=run_date(m),
    )
    return f"{t('footer', st.lang)}  ·  {run}"


def new_page(title: str, subtitle: str, footer: str, st: Style) -> Figure:
    """A blank A4 landscape page with its title, subtitle and footer."""
    fig = Figure(figsize=A4_LANDSCAPE)
    fig.text(LEFT, 0.935, st.text(title), fontsize=17, fontweight="bold", color=INK)
    if subtitle:
        fig.text(LEFT, 0.907, st.text(subtitle), fontsize=9, color=MUTED)
    for y in (HEADER_RULE, FOOTER_RULE):
        fig.add_artist(Line2D([LEFT, RIGHT], [y, y], transform=fig.transFigure, lw=0.6, color=RULE))
    fig.text(LEFT, FOOTER_Y, st.text(footer), fontsize=7.5, color=MUTED)
    return fig


def column_heading(fig: Figure, x: float, text: str, size: float = 10.0) -> None:
    """A bold heading at the top of a page's side column, starting at ``x``."""
    fig.text(x, CONTENT_TOP - 0.005, text, fontsize=size, fontweight="bold", color=INK, va="top")


def add_page_number(fig: Figure, i: int, n: int, lang: str) -> None:
    """Write 'page i of n' at the right of the footer."""
    fig.text(RIGHT, FOOTER_Y, t("page", lang, i=i, n=n), fontsize=7.5, color=MUTED, ha="right")


def note(fig: Figure, text: str, st: Style, y: float = 0.062, size: float = 7.5) -> None:
    """A one- or two-line note above the footer."""
    fig.text(LEFT, y, st.text(text), fontsize=size, color=MUTED, va="bottom", wrap=False)


# ------------------------------------------------------------------ tables
@dataclass
class Column:
    """A table column: header, relative width, alignment."""

    header: str
    width: float
    align: str = "left"


@dataclass
class Cell:
    """One table cell: text and optional styling."""

    text: str
    weight: str = "normal"
    color: str = INK
    background: str | None = None
    size: float | None = None


@dataclass
class Row:
    """A table row; a heading row spans all columns."""

    cells: list[Cell] = field(default_factory=list)
    heading: bool = False
    background: str | None = None
    rule: bool = False  # a thin rule above the row


def draw_table(
    fig: Figure,
    rect: tuple[float, float, float, float],
    columns: Sequence[Column],
    rows: Sequence[Row],
    st: Style,
    font_size: float = 8.5,
    header_size: float | None = None,
    row_height: float | None = None,
    header_height: float | None = None,
) -> float:
    """Draw a table in ``rect`` (figure fraction); returns the bottom y used.

    Rows have equal height (``row_height`` in figure fraction, or the rect's height divided
    evenly). Cell text may contain newlines; it is vertically centred.
    """
    x0, y0, w, h = rect
    grid = _grid(x0, w, columns)
    n = len(rows) + 1
    rh = row_height if row_height is not None else h / n
    hh = header_height if header_height is not None else rh
    top = y0 + h
    _table_header(fig, grid, columns, top, hh, header_size or font_size, st)
    y = top - hh
    for row in rows:
        _table_row(fig, grid, columns, row, y, rh, font_size, st)
        y -= rh
    fig.add_artist(Line2D([x0, x0 + w], [y, y], transform=fig.transFigure, lw=0.6, color=INK))
    return y


@dataclass(frozen=True)
class _Grid:
    """Where a table sits across the page: its left edge and width, each column's left and
    width (figure fraction), and the padding inside a cell."""

    x0: float
    width: float
    lefts: list[float]
    widths: list[float]
    pad: float = 0.004


def _grid(x0: float, w: float, columns: Sequence[Column]) -> _Grid:
    """The columns' lefts and widths: ``w`` shared in proportion to their relative widths."""
    total = sum(c.width for c in columns)
    lefts = [x0]
    for c in columns[:-1]:
        lefts.append(lefts[-1] + w * c.width / total)
    widths = [w * c.width / total for c in columns]
    return _Grid(x0, w, lefts, widths)


def _table_header(
    fig: Figure,
    grid: _Grid,
    columns: Sequence[Column],
    top: float,
    hh: float,
    size: float,
    st: Style,
) -> None:
    """The header row (bold, muted) of height ``hh`` below ``top``, and the rule under it."""
    x0, w = grid.x0, grid.width
    for c, left, cw in zip(columns, grid.lefts, grid.widths, strict=True):
        _cell_text(
            fig, c.header, left, cw, top - hh / 2, c.align, grid.pad, size, "bold", MUTED, st
        )
    fig.add_artist(
        Line2D([x0, x0 + w], [top - hh, top - hh], transform=fig.transFigure, lw=0.8, color=INK)
    )


def _table_row(
    fig: Figure,
    grid: _Grid,
    columns: Sequence[Column],
    row: Row,
    y: float,
    rh: float,
    font_size: float,
    st: Style,
) -> None:
    """One row of height ``rh`` below ``y``: its shading, rule, and heading or cells."""
    x0, w, pad = grid.x0, grid.width, grid.pad
    centre = y - rh / 2
    if row.background or row.heading:
        fig.add_artist(
            Rectangle(
                (x0, y - rh),
                w,
                rh,
                transform=fig.transFigure,
                lw=0,
                facecolor=row.background or "#efefef",
                zorder=0,
            )
        )
    if row.rule:
        fig.add_artist(Line2D([x0, x0 + w], [y, y], transform=fig.transFigure, lw=0.4, color=RULE))
    if row.heading:
        cell = row.cells[0]
        fig.text(
            x0 + pad,
            centre,
            st.text(cell.text),
            fontsize=cell.size or font_size,
            fontweight="bold",
            color=cell.color,
            va="center_baseline",
            ha="left",
        )
    else:
        _row_cells(fig, grid, columns, row, y, rh, font_size, st)


def _row_cells(
    fig: Figure,
    grid: _Grid,
    columns: Sequence[Column],
    row: Row,
    y: float,
    rh: float,
    font_size: float,
    st: Style,
) -> None:
    """The cells of an ordinary row: each one's background chip (if any), then its text."""
    pad = grid.pad
    centre = y - rh / 2
    for cell, c, left, cw in zip(row.cells, columns, grid.lefts, grid.widths, strict=False):
        if cell.background:
            fig.add_artist(
                Rectangle(
                    (left + pad / 2, y - rh + rh * 0.08),
                    cw - pad,
                    rh * 0.84,
                    transform=fig.transFigure,
                    lw=0,
                    facecolor=cell.background,
                    zorder=0.5,
                )
            )
        size = cell.size or font_size
        _cell_text(
            fig, cell.text, left, cw, centre, c.align, pad, size, cell.weight, cell.color, st
        )


def _cell_text(
    fig: Figure,
    text: str,
    left: float,
    width: float,
    y: float,
    align: str,
    pad: float,
    size: float,
    weight: str,
    color: str,
    st: Style,
) -> None:
    if not text:
        return
    x = {"left": left + pad, "right": left + width - pad, "center": left + width / 2}[align]
    fig.text(
        x,
        y,
        st.text(text),
        fontsize=size,
        fontweight=weight,
        color=color,
        ha=align,
        va="center_baseline" if "\n" not in text else "center",
        linespacing=1.15,
    )


def paginate(items: Sequence[Any], per_page: int) -> list[list[Any]]:
    """Split ``items`` into pages of at most ``per_page``, balanced (12+12+9, not 12+12+9…)."""
    if not items:
        return [[]]
    pages = math.ceil(len(items) / per_page)
    size = math.ceil(len(items) / pages)
    return [list(items[i : i + size]) for i in range(0, len(items), size)]
