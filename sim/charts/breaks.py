"""The page of regime and measurement breaks: how likely each trend indicator is to jump in
2023–2025 (a census revision, a catalogue revision, a re-count), from the reference class."""

from __future__ import annotations

from sim.analysis.breaks import HORIZON, break_risks
from sim.catalogue import indicators
from sim.charts import labels as L
from sim.charts.common import Pages, column_fracs, columns
from sim.charts.labels import t
from sim.charts.layout import (
    CONTENT_TOP,
    LEFT,
    RIGHT,
    Cell,
    Column,
    Row,
    draw_table,
    footer_text,
    new_page,
    note,
    styled,
)
from sim.results import Result


def breaks_page(result: Result, lang: str = "zh") -> Pages:
    """One table: indicator, reference class, yearly probability, P(a break by 2025), size."""
    with styled(lang, warn=False) as st:
        lang = st.lang
        fig = new_page(t("breaks_title", lang), t("breaks_subtitle", lang),
                       footer_text(result, st), st)  # fmt: skip
        cols = [
            Column(t("col_indicator", lang), 2.4),
            Column(t("col_class", lang), 1.6),
            Column(t("col_break_rate", lang), 1.7, "right"),
            Column(t("col_break_any", lang, years=HORIZON), 1.3, "right"),
            Column(t("col_break_size", lang), 1.5, "right"),
            Column(t("col_break_basis", lang), 4.6),
        ]
        widths = column_fracs(cols, RIGHT - LEFT)
        rows = []
        for r in break_risks().to_dict("records"):
            ind = indicators()[r["indicator"]]
            name = L.wrapped(L.pick((ind.name_zh, ind.name_en), lang), columns(widths[0], 8, lang))
            jump = (f"±{r['typical_jump']:.1f} pp" if r["scale"] == "logit"
                    else f"×/÷ {r['typical_jump']:.2f}")  # fmt: skip
            basis = r["basis"].split(":", 1)[1].strip().removeprefix("outside view:").strip()
            rows.append(Row([
                Cell(name, size=8),
                Cell(t("class_cell", lang, units=r["units"], changes=r["changes"],
                       breaks=r["breaks"]), size=7.5),
                Cell(f"{L.pct(r['rate_median'], 1)}\n({L.pct(r['rate_low'], 1)}–"
                     f"{L.pct(r['rate_high'], 1)})", size=8),
                Cell(L.pct(r["p_any"]), size=9, weight="bold"),
                Cell(jump, size=8),
                Cell(st.text(L.wrapped(basis, int(columns(widths[5], 7.0, "en") * 0.9),
                                       max_lines=5)), size=7.0, color="#404040"),
            ], rule=True))  # fmt: skip
        row_h, head_h = 0.1, 0.05
        height = len(rows) * row_h + head_h
        draw_table(fig, (LEFT, CONTENT_TOP - height, RIGHT - LEFT, height), cols, rows, st,
                   font_size=8, row_height=row_h, header_height=head_h)  # fmt: skip
        text = L.wrapped(t("breaks_note", lang), columns(RIGHT - LEFT, 7.5, lang) - 4)
        note(fig, text, st, size=7.5)
        return [fig]
