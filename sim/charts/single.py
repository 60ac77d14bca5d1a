"""Single charts for notebooks: one panel of the pack at a readable size."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from sim.charts.layout import styled
from sim.charts.pages import _fan_panel, ordered_rows


def fan_figure(result: Any, target_id: str, lang: str = "zh") -> Figure:
    """The fan chart of one target (2022 start → 2023–2025 bands, threshold marked)."""
    rows = {r["target_id"]: r for r in ordered_rows(result, modelled_only=True)}
    if target_id not in rows:
        raise KeyError(f"{target_id!r} is not a modelled target of this result; "
                       f"choose one of {', '.join(rows)}")  # fmt: skip
    with styled(lang, warn=False) as st:
        fig = Figure(figsize=(5.5, 3.6))
        # the panel draws its title and subtitle above the axes: leave room for them
        ax = fig.add_axes((0.11, 0.1, 0.85, 0.7))
        _fan_panel(ax, result, rows[target_id], st)
        # the panel's title padding is tuned for the small multiples of the pack
        ax.set_title(ax.get_title(loc="left"), loc="left", pad=24, fontsize=10,
                     fontweight="bold")  # fmt: skip
        return fig
