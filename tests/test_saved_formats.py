"""Files sim encodes itself read back as what they hold: results.xlsx (written directly as
Office Open XML) and sample.nc (NetCDF4 without xarray's search for a Dask scheduler).

Exact: every number of the workbook is written with the shortest repr that round-trips, so
openpyxl (through pandas) reads back the very floats of the result, and text (Chinese
included) unchanged; the sample reads back identical to the result's and to what
``Dataset.to_netcdf`` writes.
"""

from __future__ import annotations

import io
import math
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xarray as xr

from sim.results.store import netcdf_bytes
from sim.results.workbook import write_workbook
from sim.runner import run
from sim.scenario import load_scenario, status_quo

ROOT = Path(__file__).resolve().parents[1]


def _read(path) -> dict[str, pd.DataFrame]:
    sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    # infinities are written as text, as pandas' own writer does: turn them back for comparing
    inf = {"inf": math.inf, "-inf": -math.inf}
    return {n: df.apply(lambda c: c.map(lambda v: inf.get(v, v)) if c.dtype == object else c)
            for n, df in sheets.items()}  # fmt: skip


def _same(back: pd.DataFrame, table: pd.DataFrame) -> None:
    assert list(back.columns) == [str(c) for c in table.columns]
    assert len(back) == len(table)
    for j in range(table.shape[1]):
        want, got = table.iloc[:, j].tolist(), back.iloc[:, j].tolist()
        for w, g in zip(want, got, strict=True):
            if w is None or w == "" or (isinstance(w, float) and math.isnan(w)):
                assert g is None or (isinstance(g, float) and math.isnan(g))  # an empty cell
            elif isinstance(w, str | bool | np.bool_):
                assert g == w, (w, g)
            else:
                assert float(g) == float(w), (w, g)  # the very float


def test_every_table_of_a_result_reads_back_exactly(tmp_path) -> None:
    result = run(status_quo(draws=1000))
    tables = result.tables()
    path = tmp_path / "results.xlsx"
    write_workbook(path, tables)
    back = _read(path)
    assert list(back) == list(tables)
    for name, table in tables.items():
        _same(back[name], table)


def test_awkward_values(tmp_path) -> None:
    table = pd.DataFrame({
        "text": ["高新技术企业", "a & b < c > \"d\" 'e'", "tab\tand\nnewline", "bell\x07", None],
        "float": [1.0, -0.1, 1e-300, math.inf, math.nan],
        "int": np.array([0, -1, 2**53, 7, 8], dtype=np.int64),
        "flag": [True, False, True, False, True],
        "mixed": [1, "two", 3.5, None, True],
    })  # fmt: skip
    path = tmp_path / "w.xlsx"
    write_workbook(path, {"awkward": table, "empty": table.iloc[:0]})
    back = _read(path)
    assert back["awkward"]["text"].tolist()[:3] == table["text"].tolist()[:3]
    assert back["awkward"]["text"][3] == "bell"  # a control character XML cannot hold is dropped
    assert back["awkward"]["float"].tolist()[:4] == [1.0, -0.1, 1e-300, math.inf]
    assert back["awkward"]["int"].tolist() == table["int"].tolist()
    assert back["awkward"]["flag"].tolist() == table["flag"].tolist()
    assert back["awkward"]["mixed"].tolist()[:3] == [1, "two", 3.5]
    assert back["empty"].empty and list(back["empty"].columns) == list(table.columns)
    workbook = openpyxl.load_workbook(path)  # the workbook itself opens, both sheets named
    assert workbook.sheetnames == ["awkward", "empty"]
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None


def test_a_sheet_name_too_long_for_excel_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="31"):
        write_workbook(tmp_path / "w.xlsx", {"x" * 32: pd.DataFrame({"a": [1]})})


@pytest.mark.parametrize("scenario", ["baseline", "monitoring_example"])  # with actuals: weights
def test_the_sample_file_is_what_xarray_writes(scenario) -> None:
    sample = run(load_scenario(ROOT / "scenarios" / f"{scenario}.toml"), draws=1000).sample
    mine = xr.open_dataset(io.BytesIO(netcdf_bytes(sample)), engine="h5netcdf").load()
    theirs = sample.to_netcdf(engine="h5netcdf")
    assert mine.identical(sample)
    assert mine.identical(xr.open_dataset(io.BytesIO(bytes(theirs)), engine="h5netcdf").load())
