"""The result tables as one Excel workbook, written directly as Office Open XML.

A workbook is a zip of XML parts; a result's tables need only the plainest of them — one sheet
per table, a header row, numbers, text (inline, so no shared-string table) and booleans, with
no styles beyond the default. Writing those parts directly takes a fraction of a second where
a general writer (openpyxl through pandas) took seconds per result, most of it on the
histogram table. Empty cells stand for missing values (NaN), as pandas writes them, and
infinities are written as the text ``inf`` and ``-inf``.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

MAX_SHEET_NAME = 31  # Excel's limit on a sheet name
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
# Characters XML 1.0 does not allow in text: dropped from cell text.
_CONTROL = {c: None for c in range(32) if c not in (9, 10, 13)}


def write_workbook(path: Path, tables: Mapping[str, pd.DataFrame]) -> None:
    """Write ``tables`` (sheet name -> DataFrame, index not written) to the workbook ``path``."""
    names = list(tables)
    too_long = [n for n in names if len(n) > MAX_SHEET_NAME]
    if too_long:
        raise ValueError(f"sheet names longer than {MAX_SHEET_NAME} characters: {too_long}")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _content_types(len(names)))
        z.writestr("_rels/.rels", _XML + f'<Relationships xmlns="{_PKG_REL}"><Relationship '
                   f'Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
                   "</Relationships>")  # fmt: skip
        z.writestr("xl/workbook.xml", _workbook(names))
        z.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(names)))
        z.writestr("xl/styles.xml", _STYLES)
        for i, name in enumerate(names, start=1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", _sheet(tables[name]))


def _content_types(sheets: int) -> str:
    parts = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT}.worksheet+xml"/>'
        for i in range(1, sheets + 1)
    )
    return (
        _XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>{parts}</Types>'
    )


def _workbook(names: list[str]) -> str:
    sheets = "".join(
        f'<sheet name="{escape(n, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
        for i, n in enumerate(names, start=1)
    )
    return _XML + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{sheets}</sheets></workbook>'


def _workbook_rels(sheets: int) -> str:
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, sheets + 1)
    )
    styles = f'<Relationship Id="rId{sheets + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
    return _XML + f'<Relationships xmlns="{_PKG_REL}">{rels}{styles}</Relationships>'


_STYLES = (
    _XML + f'<styleSheet xmlns="{_MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/>'
    '</font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill>'
    '<patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/>'
    '<right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf '
    'numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1"><xf '
    'numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1">'
    '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def _sheet(df: pd.DataFrame) -> str:
    """One worksheet: the header row, then a row per record."""
    letters = [_column_letters(j) for j in range(len(df.columns))]
    cells = [_cells(df.iloc[:, j], letters[j]) for j in range(len(df.columns))]
    header = "".join(_text(f"{letters[j]}1", str(c)) for j, c in enumerate(df.columns))
    rows = [f'<row r="1">{header}</row>']
    rows += [f'<row r="{i + 2}">{"".join(r)}</row>' for i, r in enumerate(zip(*cells, strict=True))]
    return _XML + f'<worksheet xmlns="{_MAIN}"><sheetData>{"".join(rows)}</sheetData></worksheet>'


def _cells(column: pd.Series, letter: str) -> list[str]:
    """The cells of one column, from its second row on."""
    refs = (f"{letter}{i}" for i in range(2, len(column) + 2))
    kind = column.dtype.kind
    if kind == "b":
        return [f'<c r="{r}" t="b"><v>{int(v)}</v></c>' for r, v in zip(refs, column, strict=True)]
    if kind in "iu":
        return [f'<c r="{r}"><v>{v}</v></c>' for r, v in zip(refs, column.tolist(), strict=True)]
    if kind == "f":
        return [_number(r, v) for r, v in zip(refs, column.tolist(), strict=True)]
    return [_value(r, v) for r, v in zip(refs, column.tolist(), strict=True)]


def _value(ref: str, v: Any) -> str:
    """A cell of a column of mixed values (text, numbers, booleans, missing)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, bool | np.bool_):
        return f'<c r="{ref}" t="b"><v>{int(v)}</v></c>'
    if isinstance(v, int | np.integer):
        return f'<c r="{ref}"><v>{int(v)}</v></c>'
    if isinstance(v, float | np.floating):
        return _number(ref, float(v))
    return _text(ref, str(v))


def _number(ref: str, v: float) -> str:
    if math.isnan(v):
        return ""
    if math.isinf(v):
        return _text(ref, "inf" if v > 0 else "-inf")
    return f'<c r="{ref}"><v>{v!r}</v></c>'


def _text(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_escape(text)}</t></is></c>'


@lru_cache(maxsize=4096)  # tables repeat their texts (a target id on every histogram row)
def _escape(text: str) -> str:
    return escape(text.translate(_CONTROL))


def _column_letters(j: int) -> str:
    """Excel's name of the ``j``-th column (0 -> A, 25 -> Z, 26 -> AA)."""
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out
