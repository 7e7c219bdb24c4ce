"""Write a :class:`SynthResult` as files of the register's import format (CSV UTF-8, XLSX).

One file per kind (``persons``, ``households``, ``events``, ``services``, ``activity``)
plus ``areas.csv`` and ``ground_truth.json``.  CSV: UTF-8 with BOM (so Excel shows the
Chinese), comma separated, ``\\n`` line ends, one header row (English names, or Chinese
with ``header="zh"``).  Dates are ``YYYY-MM-DD``; empty cells are empty.  A text cell
that would start with ``= + - @`` is prefixed with ``'`` (no formula injection).

Output is byte-identical for the same result: XLSX files get fixed document
properties and zip member dates (openpyxl stamps both with the wall clock).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np

from .model import COLUMNS, KINDS, SynthResult, Table

FIXED_TIME = dt.datetime(2000, 1, 1, 0, 0, 0)
_INJECTION = ("=", "+", "-", "@")


def _text(col: np.ndarray, kind: str) -> list[str]:
    if kind == "date":
        s = np.datetime_as_string(col.astype("datetime64[D]"))
        return np.where(s == "NaT", "", s).tolist()
    if kind == "int":
        return col.astype(np.int64).astype(str).tolist()
    return [("'" + v) if v.startswith(_INJECTION) else v for v in col.astype(str).tolist()]


def table_rows(table: Table, kind: str, header: str = "en") -> list[list[str]]:
    """Header row and data rows as text, columns in the documented order."""
    cols = COLUMNS[kind]
    head = [c.zh if header == "zh" else c.name for c in cols]
    data = [_text(table[c.name], c.type) for c in cols]
    return [head, *map(list, zip(*data, strict=True))]


def write_csv(table: Table, kind: str, path: Path, header: str = "en") -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(table_rows(table, kind, header))


def _fix_zip_dates(path: Path) -> None:
    """Rewrite a zip with every member dated 2000-01-01 00:00 so the bytes depend on content only.

    openpyxl also overwrites the document's ``modified`` property with the clock on
    save, so ``docProps/core.xml`` gets the fixed time back.
    """
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path) as src:
        members = [(i.filename, src.read(i.filename)) for i in src.infolist()]
    members = [(n, re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>" + stamp + rb"\g<2>", d)
                if n == "docProps/core.xml" else d) for n, d in members]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    path.write_bytes(buf.getvalue())


def write_xlsx(table: Table, kind: str, path: Path, header: str = "en") -> None:
    """One sheet named after the kind; codes, keys and ID numbers as text, counts as numbers."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    wb.properties.created = wb.properties.modified = FIXED_TIME
    wb.properties.creator = "renkou synth"
    ws = wb.create_sheet(kind)
    cols = COLUMNS[kind]
    rows = table_rows(table, kind, header)
    ints = [c.type == "int" for c in cols]
    ws.append(rows[0])
    for row in rows[1:]:
        ws.append([int(v) if is_int and v else v for v, is_int in zip(row, ints, strict=True)])
    wb.save(path)
    _fix_zip_dates(path)


def write_areas(result: SynthResult, path: Path) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["code", "name", "level", "urban_rural", "parent_code"])
        w.writerows([a.code, a.name, a.level, a.urban_rural, a.parent_code] for a in result.areas)


def write_result(result: SynthResult, out: str | Path, formats: tuple[str, ...] = ("csv",),
                 header: str = "en") -> list[Path]:
    """Write all files into directory ``out``; returns the paths written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in KINDS:
        if "csv" in formats:
            write_csv(result.table(kind), kind, out / f"{kind}.csv", header)
            written.append(out / f"{kind}.csv")
        if "xlsx" in formats:
            write_xlsx(result.table(kind), kind, out / f"{kind}.xlsx", header)
            written.append(out / f"{kind}.xlsx")
    write_areas(result, out / "areas.csv")
    gt = out / "ground_truth.json"
    gt.write_text(json.dumps(result.ground_truth, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                  encoding="utf-8")
    return [*written, out / "areas.csv", gt]
