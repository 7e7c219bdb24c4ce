"""CSV tables by age (and sex, and area) for the demography functions (年龄别数据表).

Lets demographers use :mod:`renkou.demography` without a database.  The layouts
(documented with examples in ``docs/demography.md``):

* **age × sex, wide**: ``age,male,female`` (or ``年龄,男,女``); optionally a
  first column ``area`` (``地区``) with the area code, one block of rows per area;
* **age × sex, long**: ``age,sex,value`` with sex coded by GB/T 2261.1
  (1 = male, 2 = female; ``male``/``female``/``男``/``女`` also accepted),
  optionally ``area``;
* **by age only**: ``age,<column>`` (e.g. ``age,asfr``, ``age,births``,
  ``age,women``), optionally ``area``; and ``parity,women`` for parities.

Ages are integers; the last, open group may be written ``100+`` (or ``85+`` in
an abridged table).  Ages missing from a table count as 0.  Files may be UTF-8
(with or without BOM) or GB18030/GBK, as bureaus' spreadsheets export them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from .lifetable import LifeTable
from .projection import Projection

SEX_CODES = {"1": 0, "2": 1, "male": 0, "female": 1, "m": 0, "f": 1, "男": 0, "女": 1}
SEX_LABELS = ("1", "2")  # GB/T 2261.1 codes written to CSV
_ALIASES = {"年龄": "age", "地区": "area", "男": "male", "女": "female", "性别": "sex", "孩次": "parity",
            "数值": "value", "人数": "value"}


class TableError(ValueError):
    """A CSV table that does not follow the documented layout; the message names row and field."""


@dataclass(frozen=True)
class AgeTable:
    """Values by area and age (optionally sex): ``values`` is ``(A, n_ages)`` or ``(A, 2, n_ages)``.

    ``ages`` are the lower bounds present in the file, sorted; ``open_age`` is the
    age written with ``+`` (or the highest age if none was).
    """

    areas: list[str]
    ages: np.ndarray
    values: np.ndarray
    open_age: int

    open_marked: bool = False

    def single_year(self, n_ages: int = 101) -> np.ndarray:
        """Values on ages ``0 … n_ages−1`` (the last open): ages above are folded into the open
        group, ages missing are 0.  A table closing earlier with ``NN+`` cannot be split: error."""
        if self.open_marked and self.open_age < n_ages - 1:
            raise TableError(
                f"the table closes at {self.open_age}+ but single years up to {n_ages - 1}+ are needed"
            )
        out = np.zeros(self.values.shape[:-1] + (n_ages,))
        idx = np.minimum(self.ages, n_ages - 1)
        np.add.at(np.moveaxis(out, -1, 0), idx, np.moveaxis(self.values, -1, 0))
        return out


def _open_text(source: str | Path | IO[str]) -> IO[str]:
    if not isinstance(source, str | Path):
        return source
    raw = Path(source).read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return io.StringIO(raw.decode(encoding))
        except UnicodeDecodeError:
            continue
    raise TableError(f"{source}: neither UTF-8 nor GB18030 text")


def _rows(source: str | Path | IO[str]) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    reader = csv.reader(_open_text(source))
    try:
        header = [_ALIASES.get(h.strip(), h.strip().lower()) for h in next(reader)]
    except StopIteration:
        raise TableError("empty table: a header row is needed") from None
    rows = []
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise TableError(f"row {line}: {len(cells)} fields, the header has {len(header)}")
        rows.append((line, {h: c.strip() for h, c in zip(header, cells, strict=True)}))
    return header, rows


def _age(text: str, line: int, key: str = "age") -> tuple[int, bool]:
    is_open = text.endswith("+")
    try:
        age = int(text.rstrip("+"))
    except ValueError:
        raise TableError(f"row {line}, field {key}: {text!r} is not a whole number of years") from None
    if age < 0:
        raise TableError(f"row {line}, field {key}: negative age {age}")
    return age, is_open


def _number(text: str, line: int, field: str) -> float:
    if text == "":
        return 0.0
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        raise TableError(f"row {line}, field {field}: {text!r} is not a number") from None
    if not np.isfinite(value):
        raise TableError(f"row {line}, field {field}: {text!r} is not a finite number")
    return value


def _collect(
    rows: list[tuple[int, dict[str, str]]], key: str, value_of: Any, by_sex: bool
) -> AgeTable:
    """Gather ``(area, age[, sex]) → value`` into arrays; duplicates are an error."""
    cells: dict[tuple[str, int, int], float] = {}
    areas: list[str] = []
    open_ages: set[int] = set()
    for line, row in rows:
        area = row.get("area", "")
        if area not in areas:
            areas.append(area)
        age, is_open = _age(row[key], line, key)
        if is_open:
            open_ages.add(age)
        for sex, value in value_of(line, row):
            if (area, age, sex) in cells:
                raise TableError(f"row {line}: {key} {age} given twice" + (f" for area {area}" if area else ""))
            cells[(area, age, sex)] = value
    if not cells:
        raise TableError("the table has no data rows")
    if len(open_ages) > 1:
        raise TableError(f"more than one open age group: {sorted(open_ages)}")
    ages = np.array(sorted({a for _, a, _ in cells}))
    position = {a: i for i, a in enumerate(ages)}
    values = np.zeros((len(areas), 2, ages.size) if by_sex else (len(areas), 1, ages.size))
    area_index = {a: i for i, a in enumerate(areas)}
    for (area, age, sex), value in cells.items():
        values[area_index[area], sex, position[age]] = value
    open_marked = bool(open_ages)
    open_age = open_ages.pop() if open_ages else int(ages.max())
    if ages.max() > open_age:
        raise TableError(f"ages above the open group {open_age}+ in the table")
    return AgeTable(areas=areas, ages=ages, values=values if by_sex else values[:, 0], open_age=open_age,
                    open_marked=open_marked)


def read_age_sex_table(source: str | Path | IO[str], value: str = "value") -> AgeTable:
    """Read an age × sex table (wide ``age,male,female`` or long ``age,sex,<value>``).

    Returns an :class:`AgeTable` with ``values`` of shape ``(A, 2, n_ages)``.
    """
    header, rows = _rows(source)
    if "age" not in header:
        raise TableError("an 'age' column is needed")
    if "male" in header and "female" in header:
        def wide(line: int, row: dict[str, str]) -> Iterable[tuple[int, float]]:
            return [(0, _number(row["male"], line, "male")), (1, _number(row["female"], line, "female"))]
        return _collect(rows, "age", wide, by_sex=True)
    if "sex" in header:
        column = value if value in header else next(
            (h for h in header if h not in ("area", "age", "sex")), None)
        if column is None:
            raise TableError("a value column is needed beside age and sex")

        def long(line: int, row: dict[str, str]) -> Iterable[tuple[int, float]]:
            code = row["sex"].lower()
            if code not in SEX_CODES:
                raise TableError(f"row {line}, field sex: {row['sex']!r} (use 1 = male, 2 = female)")
            return [(SEX_CODES[code], _number(row[column], line, column))]
        return _collect(rows, "age", long, by_sex=True)
    raise TableError("columns 'male' and 'female', or 'sex' and a value, are needed beside 'age'")


def read_age_table(source: str | Path | IO[str], column: str | None = None, key: str = "age") -> AgeTable:
    """Read a one-value-per-age table ``age,<column>`` (or ``parity,<column>`` with ``key='parity'``).

    Without ``column`` the single column other than the key (and ``area``) is used.
    Returns ``values`` of shape ``(A, n_ages)``.
    """
    header, rows = _rows(source)
    if key not in header:
        raise TableError(f"a {key!r} column is needed")
    others = [h for h in header if h not in (key, "area")]
    if column is None:
        if len(others) != 1:
            raise TableError(f"say which column to read: {', '.join(others)}")
        column = others[0]
    if column not in header:
        raise TableError(f"column {column!r} not found (have: {', '.join(header)})")
    return _collect(rows, key, lambda line, row: [(0, _number(row[column], line, column))], by_sex=False)


# --------------------------------------------------------------------------- writing
def _safe_cell(value: Any) -> Any:
    """Keep text cells from being read as formulas by spreadsheets (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _age_label(age: float, is_open: bool) -> str:
    return f"{int(age)}+" if is_open else str(int(age))


def _fmt(value: float) -> str:
    return "" if not np.isfinite(value) else f"{value:.10g}"


def write_csv(rows: Iterable[Sequence[Any]], header: Sequence[str], out: IO[str]) -> None:
    """Write rows under a header, text cells escaped against formula injection."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe_cell(v) for v in row])


def life_table_rows(table: LifeTable, labels: Sequence[str] = ("",)) -> list[list[str]]:
    """Rows ``[label, age, n, mx, qx, ax, lx, dx, Lx, Tx, ex]`` for each table along the leading axes."""
    cols = [np.asarray(getattr(table, c)).reshape(-1, table.ages.size) for c in LifeTable.COLUMNS]
    rows = []
    for k in range(cols[0].shape[0]):
        label = labels[k] if k < len(labels) else str(k)
        for i, age in enumerate(table.ages):
            is_open = i == table.ages.size - 1
            n = "" if is_open else _fmt(table.widths[i])
            rows.append([label, _age_label(age, is_open), n, *(_fmt(c[k, i]) for c in cols)])
    return rows


LIFE_TABLE_HEADER = ("table", "age", "n", *LifeTable.COLUMNS)


def projection_rows(projection: Projection, areas: Sequence[str]) -> Iterable[list[Any]]:
    """Long rows ``year, area, sex (1/2), age, population`` of a projection."""
    pop = projection.population
    for t, year in enumerate(projection.years):
        for a, area in enumerate(areas):
            for s in (0, 1):
                for age in range(pop.shape[-1]):
                    yield [int(year), area, SEX_LABELS[s], _age_label(age, age == pop.shape[-1] - 1),
                           _fmt(pop[t, a, s, age])]


PROJECTION_HEADER = ("year", "area", "sex", "age", "population")


def to_jsonable(value: Any) -> Any:
    """Arrays and NumPy scalars to lists and floats (NaN → null) for ``json.dumps``."""
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def dump_json(value: Any, out: IO[str]) -> None:
    """Write ``value`` as indented UTF-8 JSON (Chinese kept readable)."""
    json.dump(to_jsonable(value), out, ensure_ascii=False, indent=2)
    out.write("\n")
