"""Saving and reading result folders: every table as CSV (with BOM) and XLSX, the trajectory
sample as NetCDF, and a manifest — written atomically.

A result is written to a temporary folder beside its destination, which replaces the old
folder only when complete, so an interrupted run never leaves a half-written result and never
damages an earlier one. Reading gives back the raw pieces; :func:`sim.results.load_result`
turns them into a :class:`~sim.results.container.Result`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim._version import __version__
from sim.errors import ResultError

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SAMPLE_FILE = "sample.nc"
WORKBOOK = "results.xlsx"
REQUIRED_TABLES = (
    "attainment", "joint", "groups", "cofailure", "n_met", "trajectories", "distributions",
)  # fmt: skip
OPTIONAL_TABLES = ("comparison",)


def write_atomically(final: Path, write: Callable[[Path], None]) -> Path:
    """Run ``write(folder)`` on a fresh temporary folder, then put it at ``final``.

    An existing ``final`` is removed only once the new folder is complete and in place; on
    any failure the temporary folder is removed and ``final`` is left as it was.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    try:
        write(tmp)
        _replace_dir(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _replace_dir(new: Path, final: Path) -> None:
    """Put ``new`` at ``final``; an existing ``final`` is removed only once ``new`` is in place."""
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        final.rename(old)
        new.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        new.rename(final)


def write_folder(
    folder: Path, tables: Mapping[str, pd.DataFrame], sample: Any, manifest: Mapping[str, Any]
) -> None:
    """Write the tables (CSV with BOM and one workbook), the sample and the manifest."""
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False, encoding="utf-8-sig")
    with pd.ExcelWriter(folder / WORKBOOK, engine="openpyxl") as xlsx:
        for name, df in tables.items():
            df.to_excel(xlsx, sheet_name=name, index=False)
    sample.to_netcdf(folder / SAMPLE_FILE, engine="h5netcdf")
    files = [*sorted(p.name for p in folder.iterdir()), MANIFEST]
    (folder / MANIFEST).write_text(
        json.dumps({**manifest, "files": files}, ensure_ascii=False, indent=2), encoding="utf-8"
    )


@dataclass(frozen=True)
class Stored:
    """The raw contents of a result folder."""

    folder: Path
    manifest: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    sample: Any


def read_folder(directory: str | Path) -> Stored:
    """Read a result folder (raises :class:`ResultError` with a clear message if it can't)."""
    folder = Path(directory)
    manifest_path = folder / MANIFEST
    if not folder.is_dir():
        raise ResultError(f"{folder}: no such result folder")
    if not manifest_path.exists():
        raise ResultError(f"{folder}: not a sim result (no manifest.json); run `sim run` first")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ResultError(f"{manifest_path}: unreadable manifest ({exc})") from None
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise ResultError(
            f"{folder}: written in result format {version!r} by sim "
            f"{manifest.get('sim_version', '?')}; this sim {__version__} reads format "
            f"{FORMAT_VERSION}. Re-run the scenario."
        )
    tables = {name: _table(folder, name) for name in REQUIRED_TABLES}
    for name in OPTIONAL_TABLES:
        if (folder / f"{name}.csv").exists():
            tables[name] = _table(folder, name)
    import xarray as xr

    with xr.open_dataset(folder / SAMPLE_FILE, engine="h5netcdf") as ds:
        sample = ds.load()
    return Stored(folder, manifest, tables, sample)


def _table(folder: Path, name: str) -> pd.DataFrame:
    path = folder / f"{name}.csv"
    if not path.exists():
        raise ResultError(f"{folder}: incomplete result, {path.name} is missing")
    return pd.read_csv(path, encoding="utf-8-sig")
