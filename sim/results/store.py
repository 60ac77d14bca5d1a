"""Saving and reading result folders: every table as CSV (with BOM) and in one XLSX workbook
(:mod:`sim.results.workbook`), the trajectory sample as NetCDF, and a manifest — written
atomically, read back only after checking.

A result is written to a temporary folder beside its destination, which replaces the old
folder only when complete, under a lock per folder, and only if the old folder is a sim result
(:mod:`sim.results.folders`): an interrupted run, a full disk or a concurrent run never leaves
a half-written result and never damages an earlier one or a folder that is not a result.
Reading checks the manifest, the tables and the sample (:mod:`sim.results.schema`) and gives
back the raw pieces; :func:`sim.results.load_result` turns them into a
:class:`~sim.results.container.Result`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import ResultError
from sim.results import schema
from sim.results.folders import OutputError, is_sim_result, prepared, write_atomically
from sim.results.schema import FORMAT_VERSION
from sim.results.workbook import write_workbook

__all__ = [
    "FORMAT_VERSION", "MANIFEST", "OutputError", "Stored", "is_sim_result", "prepared",
    "read_folder", "write_atomically", "write_folder",
]  # fmt: skip

MANIFEST = "manifest.json"
SAMPLE_FILE = "sample.nc"
WORKBOOK = "results.xlsx"
REQUIRED_TABLES = (
    "attainment", "joint", "groups", "cofailure", "n_met", "trajectories", "distributions",
)  # fmt: skip
UPDATE_TABLES = ("changes", "actuals", "ess", "trajectories_before")  # a run with actuals
OPTIONAL_TABLES = ("comparison", *UPDATE_TABLES)


def write_folder(
    folder: Path, tables: Mapping[str, pd.DataFrame], sample: Any, manifest: Mapping[str, Any]
) -> None:
    """Write the tables (CSV with BOM and one workbook), the sample and the manifest."""
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False, encoding="utf-8-sig")
    write_workbook(folder / WORKBOOK, tables)
    # Encoded in memory, then written as plain bytes: a full disk is then an ordinary OSError
    # here, never a failure inside the HDF5 library.
    (folder / SAMPLE_FILE).write_bytes(netcdf_bytes(sample))
    files = [*sorted(p.name for p in folder.iterdir()), MANIFEST]
    (folder / MANIFEST).write_text(
        json.dumps({**manifest, "files": files}, ensure_ascii=False, indent=2), encoding="utf-8"
    )


def netcdf_bytes(sample: Any) -> bytes:
    """The sample as NetCDF4 in memory: what ``sample.to_netcdf(engine="h5netcdf")`` gives,
    without its search for a Dask scheduler to lock against (which imports dask.distributed,
    a second of start-up, wherever Dask is installed; the sample is in memory, nothing to lock).
    """
    from xarray.backends import H5NetCDFStore

    buffer = io.BytesIO()
    store = H5NetCDFStore.open(buffer, mode="w", lock=False)
    try:
        sample.dump_to_store(store)
    finally:
        store.close()
    return buffer.getvalue()


@dataclass(frozen=True)
class Stored:
    """The raw contents of a result folder."""

    folder: Path
    manifest: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    sample: Any


def read_folder(directory: str | Path) -> Stored:
    """Read a result folder, checking every piece (raises :class:`ResultError` naming the file
    and what is wrong with it)."""
    folder = Path(directory)
    manifest_path = folder / MANIFEST
    if not folder.is_dir():
        raise ResultError(f"{folder}: no such result folder")
    if not manifest_path.is_file():
        raise ResultError(f"{folder}: not a sim result (no manifest.json); run `sim run` first")
    manifest = schema.read_manifest(manifest_path)
    tables = {name: _table(folder, name) for name in REQUIRED_TABLES}
    for name in OPTIONAL_TABLES:
        if (folder / f"{name}.csv").exists():
            tables[name] = _table(folder, name)
    schema.check_tables(folder, manifest, tables)
    sample = _sample(folder / SAMPLE_FILE)
    schema.check_sample(folder / SAMPLE_FILE, sample, manifest)
    return Stored(folder, manifest, tables, sample)


def _table(folder: Path, name: str) -> pd.DataFrame:
    return schema.read_table(folder / f"{name}.csv", name)


def _sample(path: Path) -> Any:
    """The trajectory sample, read whole into memory (so no file handle stays open)."""
    import xarray as xr

    if not path.is_file():
        raise ResultError(f"{path.parent}: incomplete result, {path.name} is missing")
    try:
        data = path.read_bytes()
        with xr.open_dataset(io.BytesIO(data), engine="h5netcdf") as ds:
            return ds.load()
    except Exception as exc:  # h5py and xarray raise many types for a damaged file
        raise ResultError(
            f"{path}: cannot be read as NetCDF ({type(exc).__name__}); the result is damaged"
        ) from None
