"""The catalogue as pandas DataFrames, for notebooks and spreadsheets."""

from __future__ import annotations

import pandas as pd

from sim.levers import levers
from sim.priors import parameters
from sim.targets import groups, targets


def target_table() -> pd.DataFrame:
    """Every target: id, Chinese and English names, group, clause, kind, threshold, unit."""
    rows = []
    for t in targets().values():
        g = groups()[t.group]
        rows.append({
            "target_id": t.id, "name_zh": t.name_zh, "name_en": t.name_en, "group": t.group,
            "group_zh": g.name_zh, "clause": t.clause, "kind": t.kind,
            "indicator": t.indicator, "threshold": t.threshold, "unit": t.unit,
            "years": "–".join(map(str, (t.years[0], t.years[-1]))),
            "readings": ", ".join(t.readings), "responsible": "、".join(t.responsible),
            "note": t.note,
        })  # fmt: skip
    return pd.DataFrame(rows)


def lever_table() -> pd.DataFrame:
    """Every lever: id, names, unit, status quo, range, annual cost at status quo, links."""
    rows = [{
        "lever_id": lv.id, "name_zh": lv.name_zh, "name_en": lv.name_en, "unit": lv.unit,
        "status_quo": lv.status_quo, "min": lv.min, "max": lv.max,
        "cost_status_quo_wan": lv.cost_wan(lv.status_quo), "clause": lv.clause,
        "acts_on": ", ".join(lv.acts_on),
    } for lv in levers().values()]  # fmt: skip
    return pd.DataFrame(rows)


def parameter_table() -> pd.DataFrame:
    """Every parameter prior: id, component, distribution, unit and basis."""
    rows = [{
        "parameter": p.id, "component": p.id.split(".")[0], "prior": p.describe(),
        "unit": p.unit, "basis": p.basis,
    } for p in parameters().values()]  # fmt: skip
    return pd.DataFrame(rows)
