"""What a result folder must hold, checked before anything is drawn from it.

``sim report`` reads folders that may have been edited, truncated or copied half-way: every
check here names the file and what is wrong with it, as a :class:`ResultError` (exit 2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from sim._version import __version__
from sim.errors import ResultError

FORMAT_VERSION = 1
# The manifest's keys that readers use, with the JSON types they must have.
MANIFEST_TYPES: dict[str, type | tuple[type, ...]] = {
    "format_version": int,
    "sim_version": str,
    "scenario": dict,
    "seed": int,
    "draws": int,
    "sample_draws": int,
    "years": list,
    "targets_modelled": list,
    "targets_not_modelled": list,
}
# Per table: the columns it must have, which of them are numbers, and whether it may be empty.
TABLE_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...], bool]] = {
    "attainment": (
        ("target_id", "name_zh", "name_en", "group", "kind", "indicator", "threshold", "unit",
         "p_met", "mc_se", "judged_q10", "judged_median", "judged_q90", "status"),
        ("threshold", "p_met", "mc_se", "judged_q10", "judged_median", "judged_q90"),
        False,
    ),
    "joint": (("measure", "p", "mc_se"), ("p", "mc_se"), False),
    "groups": (("group", "name_zh", "name_en", "p_all_met", "mc_se"), ("p_all_met", "mc_se"),
               False),
    "cofailure": (("target_id",), (), True),
    "n_met": (("targets_met", "probability"), ("targets_met", "probability"), False),
    "trajectories": (
        ("indicator", "year", "mean", "q05", "q10", "q25", "q50", "q75", "q90", "q95"),
        ("year", "mean", "q05", "q10", "q25", "q50", "q75", "q90", "q95"),
        False,
    ),
    "distributions": (("target_id", "bin_lo", "bin_hi", "probability"),
                      ("bin_lo", "bin_hi", "probability"), True),
    "comparison": (
        ("target_id", "reference", "p_reference", "p_scenario", "difference", "difference_se"),
        ("p_reference", "p_scenario", "difference", "difference_se"),
        False,
    ),
    "changes": (
        ("target_id", "p_before", "p_after", "difference", "difference_se", "moved_most_by"),
        ("p_before", "p_after", "difference", "difference_se"),
        False,
    ),
    "actuals": (("indicator", "period", "value", "prior_percentile", "ess_alone"),
                ("value", "ess_alone"), False),
    "ess": (("year", "actuals", "ess", "ess_share", "draws_needed"),
            ("year", "actuals", "ess", "ess_share"), False),
}  # fmt: skip
TABLE_COLUMNS["trajectories_before"] = TABLE_COLUMNS["trajectories"]
# The joint table's rows that the summaries and the pack read.
JOINT_ROWS = ("all_targets", "expected_number_met", "number_of_targets_modelled")
STATUSES = frozenset({"likely", "uncertain", "at_risk", "not_modelled", "qualitative"})
# The dimensions of the trajectory sample's one variable, in order.
SAMPLE_DIMS = ("draw", "year", "indicator")


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest as a dict, checked: a JSON object, a known format, typed keys."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultError(f"{path}: unreadable manifest ({exc})") from None
    except OSError as exc:
        raise ResultError(f"{path}: cannot read the manifest ({exc.strerror})") from None
    if not isinstance(manifest, dict):
        found = type(manifest).__name__
        raise ResultError(f"{path}: the manifest should be a JSON object, found a {found}")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise ResultError(
            f"{path.parent}: written in result format {version!r} by sim "
            f"{manifest.get('sim_version', '?')}; this sim {__version__} reads format "
            f"{FORMAT_VERSION}. Re-run the scenario."
        )
    _check_manifest_values(path, manifest)
    return manifest


def _check_manifest_values(path: Path, manifest: dict[str, Any]) -> None:
    """Every key readers use is present, with the right type and a sane value."""
    for key, kind in MANIFEST_TYPES.items():
        if key not in manifest:
            raise ResultError(f"{path}: the manifest has no {key!r}; the result is damaged")
        value = manifest[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ResultError(
                f"{path}: {key!r} should be a {_kind_name(kind)}, found {_show(value)}"
            )
    for key in ("draws", "sample_draws"):
        if manifest[key] < 1:
            raise ResultError(f"{path}: {key!r} should be at least 1, found {manifest[key]}")
    if manifest["seed"] < 0:
        raise ResultError(f"{path}: 'seed' should be zero or more, found {manifest['seed']}")
    for key, kind in (("years", int), ("targets_modelled", str), ("targets_not_modelled", str)):
        if not all(isinstance(v, kind) and not isinstance(v, bool) for v in manifest[key]):
            raise ResultError(f"{path}: {key!r} should be a list of {_kind_name(kind)}s")
    if not manifest["years"]:
        raise ResultError(f"{path}: 'years' is empty")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {int: "whole number", str: "text", dict: "JSON object", list: "list", float: "number"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "…"


def read_table(path: Path, name: str) -> pd.DataFrame:
    """One CSV table, checked: parseable, the expected columns, numbers where numbers belong."""
    if not path.is_file():
        raise ResultError(f"{path.parent}: incomplete result, {path.name} is missing")
    try:
        df = pd.read_csv(path, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise ResultError(f"{path}: the file is empty; the result is damaged") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ResultError(f"{path}: not a readable table ({first})") from None
    columns, numeric, may_be_empty = TABLE_COLUMNS[name]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        found = ", ".join(map(str, df.columns[:6])) + (", …" if len(df.columns) > 6 else "")
        raise ResultError(
            f"{path}: missing column(s) {', '.join(missing)} (found: {found}); the result is "
            "damaged"
        )
    if df.empty and not may_be_empty:
        raise ResultError(f"{path}: the table has no rows; the result is damaged")
    for col in numeric:
        if not pd.api.types.is_numeric_dtype(df[col]):
            bad = next(v for v in df[col] if not _is_number(v))
            raise ResultError(f"{path}: column {col!r} should hold numbers, found {bad!r}")
    return df


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def check_tables(folder: Path, manifest: dict[str, Any], tables: dict[str, pd.DataFrame]) -> None:
    """The tables agree with the manifest and with each other (catches truncated rows)."""
    attainment = tables["attainment"]
    path = folder / "attainment.csv"
    expected = set(manifest["targets_modelled"]) | set(manifest["targets_not_modelled"])
    ids = attainment["target_id"]
    lacking = sorted(expected - set(ids.dropna().astype(str)))
    if lacking or ids.isna().any() or ids.duplicated().any():
        raise ResultError(
            f"{path}: {len(attainment)} rows, but "
            + (f"no row for {lacking[0]!r} ({len(lacking)} targets of the manifest missing)"
               if lacking else "a row without a target or a target twice")
            + "; the table is truncated or edited"
        )  # fmt: skip
    bad_status = sorted(set(attainment["status"].astype(str)) - STATUSES)
    if bad_status:
        raise ResultError(f"{path}: unknown status {bad_status[0]!r}; the result is damaged")
    p = attainment["p_met"].dropna()
    if not p.between(0, 1).all():
        raise ResultError(f"{path}: 'p_met' should lie between 0 and 1; the result is damaged")
    missing_rows = sorted(set(JOINT_ROWS) - set(tables["joint"]["measure"].astype(str)))
    if missing_rows:
        raise ResultError(f"{folder / 'joint.csv'}: no row {missing_rows[0]!r}; the result is "
                          "damaged")  # fmt: skip


def check_sample(path: Path, sample: Any, manifest: dict[str, Any]) -> None:
    """The trajectory sample has the variable, dimensions and years the manifest says."""
    if "value" not in sample.data_vars:
        raise ResultError(f"{path}: no variable 'value'; the result is damaged")
    dims = tuple(sample["value"].dims)
    if dims != SAMPLE_DIMS:
        raise ResultError(f"{path}: 'value' has dimensions {dims}, expected {SAMPLE_DIMS}")
    years = [int(y) for y in sample["year"].values]
    if years != manifest["years"]:
        raise ResultError(f"{path}: years {years}, the manifest says {manifest['years']}")
