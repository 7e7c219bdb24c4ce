"""The indicators engine's business actions (指标计算): catalog, computation, incremental updates.

Views, the API, the command line, the demo and the tests call these functions; each runs in one
transaction.

How a value is computed (see ``docs/indicators.md``): the register-derived counts of every village
cell are built for the period (:func:`renkou.indicators.register.build_cubes`) and stored; the cube
of an area is the sum of the cubes of its cells; each indicator's numerator and denominator are
evaluated with register operands read from that cube, aggregate operands summed from the data
values of the area's subtree and periods inside the period, constants, and other indicators. The
value is stored with its operand values (provenance). :func:`recompute_dirty` rebuilds only the
cells whose records changed and re-adds the areas above them — the same functions as
:func:`compute`, so both give the same numbers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from renkou.core import areacodes
from renkou.core.models import Area
from renkou.core.periods import Period

from . import columnar, providers, register
from . import cube as cb
from .expressions import ExpressionError, Reference, detect_cycles, evaluate_many, indicator_value, parse
from .models import (
    ComputedScope,
    Constant,
    DataElement,
    DataSet,
    DataValue,
    DirtyCell,
    Indicator,
    IndicatorValue,
    RegisterCube,
    ValidationRule,
)

CATALOG = Path(__file__).resolve().parent / "data" / "catalog.yaml"
CELL_DIGITS = register.VILLAGE_DIGITS
Progress = Callable[[int, int], None]


# --------------------------------------------------------------------------- catalog
def load_catalog(path: Path | str | None = None, *, sort_base: int = 0) -> dict[str, int]:
    """Create or update the constants, data elements, data sets and indicators of a catalog file.

    A changed numerator, denominator, type or decimals raises the indicator's definition version.
    Every expression is parsed and every register and module operand checked before anything is
    written. The default catalog is followed by the fragments of the registered module sources
    (:mod:`renkou.indicators.providers`).
    """
    if path is None:
        counts = dict(load_catalog(CATALOG))
        fragments = [p.catalog for p in providers.providers() if p.catalog is not None]
        for n, fragment in enumerate(fragments, start=1):
            for k, v in load_catalog(fragment, sort_base=1000 * n).items():
                counts[k] = counts.get(k, 0) + v
        return counts
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    defs = {d["code"]: (d["numerator"], str(d.get("denominator", "1"))) for d in data.get("indicators", [])}
    for code, (num, den) in defs.items():
        for text in (num, den):
            try:
                expr = parse(text)
            except ExpressionError as exc:
                raise ValueError(f"指标 {code}: {exc}") from exc
            for ref in expr.references():
                if ref.kind == "register":
                    cb.validate(ref)
                elif ref.kind == "module":
                    try:
                        providers.resolve(ref.code)
                    except providers.UnknownOperand as exc:
                        raise ValueError(f"指标 {code}: {exc}") from exc
    for e in data.get("elements", []):
        cats = e.get("categories", [])
        for d in e.get("disaggregations", []):
            if cats and len(str(d).split("|")) != len(cats):
                raise ValueError(f"数据元 {e['code']}: 分类 {d!r} 应含 {len(cats)} 个选项（以 | 分隔） / element "
                                 f"{e['code']}: disaggregation {d!r} needs one option of each of {cats}, joined by |")
    cycles = detect_cycles(defs)
    if cycles:
        raise ValueError(f"指标循环引用 / indicators refer to each other in a cycle: {cycles}")
    counts = defaultdict(int)
    with transaction.atomic():
        for c in data.get("constants", []):
            Constant.objects.update_or_create(code=c["code"], defaults={
                "name_zh": c["name_zh"], "name_en": c["name_en"], "value": Decimal(str(c["value"]))})
            counts["constants"] += 1
        for e in data.get("elements", []):
            element, created = DataElement.objects.get_or_create(code=e["code"], defaults={
                "name_zh": e["name_zh"], "name_en": e["name_en"], "disaggregations": e.get("disaggregations", []),
                "categories": e.get("categories", [])})
            if not created:
                element.name_zh, element.name_en = e["name_zh"], e["name_en"]
                element.categories = e.get("categories", [])  # names only: the values do not change
                wanted = e.get("disaggregations", [])
                if wanted != element.disaggregations and not element.values.exists():
                    element.disaggregations = wanted  # frozen once values exist
                element.save()
            counts["elements"] += 1
        for s in data.get("datasets", []):
            ds, _ = DataSet.objects.update_or_create(code=s["code"], defaults={
                "name_zh": s["name_zh"], "name_en": s["name_en"], "period_type": s["period_type"],
                "capture_level": s.get("capture_level", 4), "due_days": s.get("due_days", 10),
                "approval_levels": s.get("approval_levels", [])})
            ds.elements.set(DataElement.objects.filter(code__in=s["elements"]))
            for r in s.get("rules", []):
                ValidationRule.objects.update_or_create(code=r["code"], defaults={
                    "dataset": ds, "name_zh": r["name_zh"], "name_en": r["name_en"], "left": r["left"],
                    "operator": r["operator"], "right": r["right"]})
            counts["datasets"] += 1
        for order, d in enumerate(data.get("indicators", [])):
            fields = {"name_zh": d["name_zh"], "name_en": d["name_en"], "numerator": d["numerator"],
                      "denominator": str(d.get("denominator", "1")), "indicator_type": d["type"],
                      "decimals": d.get("decimals", 2), "group": d.get("group", ""), "sort_order": sort_base + order,
                      "description_zh": d.get("description_zh", ""), "description_en": d.get("description_en", "")}
            ind = Indicator.objects.filter(code=d["code"]).first()
            if ind is None:
                Indicator.objects.create(code=d["code"], **fields)
            else:
                changed = any(getattr(ind, k) != fields[k] for k in ("numerator", "denominator", "indicator_type",
                                                                     "decimals"))
                for k, v in fields.items():
                    setattr(ind, k, v)
                if changed:
                    ind.version += 1
                ind.save()
            counts["indicators"] += 1
    return dict(counts)


# --------------------------------------------------------------------------- areas and cells
def cell_of(code: str) -> str:
    """The village cell (12-digit code) of an area code (15-digit groups belong to their village)."""
    return code[:CELL_DIGITS]


def _prefixes_of(cell: str) -> list[str]:
    """Prefixes of every area the cell belongs to, province to village (zero parts included)."""
    return [cell[:d] for d in (2, 4, 6, 9, 12)]


def scope_areas(root: Area, level: int) -> list[Area]:
    """The root and its descendants down to ``level`` (3 county, 4 township, 5 village)."""
    return list(Area.objects.filter(code__startswith=root.prefix, level__gte=root.level, level__lte=level)
                .order_by("level", "code"))


# --------------------------------------------------------------------------- aggregate operands
def _element_sums(prefix: str, period: Period, prefixes: Iterable[str]
                  ) -> dict[str, dict[tuple[str, str | None], float]]:
    """Aggregate data values in the subtree of each wanted prefix, over the periods inside ``period``."""
    wanted = set(prefixes)
    codes = set(DataValue.objects.filter(area__pk__startswith=prefix).values_list("period", flat=True).distinct())
    inside = []
    for code in codes:
        try:
            if period.contains(Period.parse(code)):
                inside.append(code)
        except ValueError:
            continue
    out: dict[str, dict[tuple[str, str | None], float]] = {p: defaultdict(float) for p in wanted}
    rows = (DataValue.objects.filter(area__pk__startswith=prefix, period__in=inside)
            .values_list("element__code", "disaggregation", "area_id", "value"))
    for element, dis, area, value in rows:
        level = areacodes.level_of(area)
        own = areacodes.prefix(area, level)
        for p in wanted:
            if own.startswith(p):
                out[p][(element, dis or None)] += float(value)
                if dis:
                    out[p][(element, None)] += float(value)
    return out


def _constants() -> dict[str, float]:
    return {c: float(v) for c, v in Constant.objects.values_list("code", "value")}


# --------------------------------------------------------------------------- evaluation
def _ordered(indicators: list[Indicator]) -> list[tuple[Indicator, object, object]]:
    """Indicators parsed, in an order where referenced indicators come first."""
    parsed = {i.code: (i, parse(i.numerator), parse(i.denominator)) for i in indicators}
    done: list[str] = []

    def visit(code: str, path: tuple[str, ...] = ()) -> None:
        if code in done or code not in parsed:
            return
        if code in path:
            raise ValueError(f"indicator cycle: {' → '.join(path + (code,))}")
        _i, num, den = parsed[code]
        for ref in num.references() | den.references():
            if ref.kind == "indicator":
                visit(ref.code, path + (code,))
        done.append(code)

    for code in parsed:
        visit(code)
    return [parsed[c] for c in done]


def _operand_vectors(ordered, stack: cb.Cube, prefixes: list[str], elements: dict, constants: dict[str, float],
                     period: Period) -> dict[str, np.ndarray]:
    """Every register, element, constant and module operand of the catalog for every area at once
    (NaN = missing)."""
    with providers.batch():
        return _operand_vectors_in_batch(ordered, stack, prefixes, elements, constants, period)


def _operand_vectors_in_batch(ordered, stack: cb.Cube, prefixes: list[str], elements: dict,
                              constants: dict[str, float], period: Period) -> dict[str, np.ndarray]:
    size = len(prefixes)
    out: dict[str, np.ndarray] = {}
    for _ind, num, den in ordered:
        for ref in num.references() | den.references():
            key = str(ref)
            if key in out or ref.kind == "indicator":
                continue
            if ref.kind == "register":
                out[key] = cb.resolve_many(stack, ref)
            elif ref.kind == "element":
                found = [elements[p].get((ref.code, ref.disaggregation)) for p in prefixes]
                out[key] = np.array([np.nan if v is None else v for v in found], dtype=float).reshape(size)
            elif ref.kind == "constant":
                out[key] = np.full(size, np.nan if constants.get(ref.code) is None else constants[ref.code])
            elif ref.kind == "module":
                found = providers.values(ref.code, prefixes, period.start, period.end)
                out[key] = np.array([np.nan if v is None else v for v in found], dtype=float).reshape(size)
            else:
                out[key] = np.full(size, np.nan)
    return out


def _json_number(v: float) -> str:
    """``json.dumps`` of an operand's value (NaN = missing = null), without its per-call overhead."""
    if v != v:
        return "null"
    return float.__repr__(v) if math.isfinite(v) else json.dumps(v)


def _python(values: np.ndarray) -> list[float | None]:
    return [None if v != v else v for v in values.tolist()]


_VALUE_COLUMNS = ["indicator_id", "area_id", "period", "value", "numerator", "denominator", "inputs", "inputs_hash",
                  "definition_version", "computed_at"]


def _write_values(area_codes: list[str], period: str, rows: list[tuple], now) -> None:
    """Write the evaluated ``rows`` (in the order of ``_VALUE_COLUMNS``) of the areas for the period,
    in place: a value whose inputs hash (its definition version and operand values, which decide the
    value) is the one stored keeps its row and id and only its ``computed_at`` is renewed — so a
    value's page keeps its address across recomputes and an unchanged recompute rewrites no index —,
    a changed value is updated in its row and a new one inserted. Every indicator of the catalog is
    evaluated for every area given, so no stored value of them is left behind (a deleted indicator's
    values are deleted with it).

    Computed values are not audited rows; plain statements avoid building a model instance per value
    (and Django fetching every row to send delete signals), which dominated the full recompute.
    """
    table = IndicatorValue._meta.db_table
    jsonb = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    stored: dict[tuple[int, str], tuple[int, str]] = {}
    with connection.cursor() as cur:
        for i in range(0, len(area_codes), 500):
            chunk = area_codes[i:i + 500]
            cur.execute(f"SELECT indicator_id, area_id, id, inputs_hash FROM {table} "
                        f"WHERE period = %s AND area_id IN ({', '.join('%s' for _ in chunk)})", [period, *chunk])
            stored.update(((ind, area), (pk, digest)) for ind, area, pk, digest in cur.fetchall())
        kept: list[int] = []
        changed: list[tuple] = []
        new: list[tuple] = []
        for row in rows:
            old = stored.pop((row[0], row[1]), None)
            if old is None:
                new.append(row)
            elif old[1] == row[7]:
                kept.append(old[0])
            else:
                changed.append((*row[3:], old[0]))
        for i in range(0, len(kept), 900):
            chunk = kept[i:i + 900]
            cur.execute(f"UPDATE {table} SET computed_at = %s WHERE id IN ({', '.join('%s' for _ in chunk)})",
                        [now, *chunk])
        sql = (f"UPDATE {table} SET value = %s, numerator = %s, denominator = %s, inputs = {jsonb}, "
               f"inputs_hash = %s, definition_version = %s, computed_at = %s WHERE id = %s")
        for i in range(0, len(changed), 5000):
            cur.executemany(sql, changed[i:i + 5000])
        marks = ", ".join(jsonb if c == "inputs" else "%s" for c in _VALUE_COLUMNS)
        sql = f"INSERT INTO {table} ({', '.join(_VALUE_COLUMNS)}) VALUES ({marks})"
        for i in range(0, len(new), 5000):
            cur.executemany(sql, new[i:i + 5000])


def _store_values(areas: list[Area], period: Period, ordered, stack: cb.Cube, elements: dict,
                  constants: dict[str, float]) -> int:
    """Evaluate every indicator for every area (vectorised over the areas) and store the values with
    their inputs (provenance) and the hash of the inputs."""
    now = IndicatorValue._meta.get_field("computed_at").get_db_prep_save(timezone.now(), connection)
    prefixes = [a.prefix for a in areas]
    size = len(areas)
    operands = _operand_vectors(ordered, stack, prefixes, elements, constants, period)
    texts: dict[str, list[str]] = {}  # each operand's values as JSON, written once for every indicator using it

    def text(ref: str) -> list[str]:
        if ref not in texts:
            texts[ref] = [_json_number(v) for v in operands[ref].tolist()]
        return texts[ref]

    values = []
    codes = [a.code for a in areas]
    for ind, num_expr, den_expr in ordered:
        num = _python(evaluate_many(num_expr, lambda r: operands[str(r)], size))
        den = _python(evaluate_many(den_expr, lambda r: operands[str(r)], size))
        refs = sorted(str(r) for r in num_expr.references() | den_expr.references())
        # the inputs exactly as json.dumps writes the mapping {ref: value} (keys in this order)
        keys = [json.dumps(r) + ": " for r in refs]
        columns = [text(r) for r in refs]
        results = [indicator_value(n, d, ind.indicator_type, ind.decimals) for n, d in zip(num, den, strict=True)]
        version = ind.version
        for j, (value, n, d) in enumerate(zip(results, num, den, strict=True)):
            inputs = "{" + ", ".join([k + c[j] for k, c in zip(keys, columns, strict=True)]) + "}"
            digest = hashlib.sha256(f"[{version}, {inputs}]".encode()).hexdigest()
            values.append((ind.pk, codes[j], period.code, value, n, d, inputs, digest, version, now))
        key = str(Reference("indicator", ind.code))
        operands[key] = np.array([np.nan if v is None else float(v) for v in results], dtype=float)
    _write_values(codes, period.code, values, now)
    return len(values)


def register_stack(prefixes: str | Iterable[str], start: dt.date, end: dt.date) -> tuple[list[str], np.ndarray]:
    """Register cubes of the cells under ``prefixes`` (:func:`register.build_stack`), counted from the
    columnar copy when there is one (replayed up to the database first: :func:`columnar.reader`),
    else from the database — the same statements, the same cubes."""
    with columnar.reader() as copy, register.reading(copy):
        return register.build_stack(prefixes, start, end)


def _load_stack(prefix: str, period: Period) -> tuple[list[str], np.ndarray]:
    """The stored cubes of the cells under ``prefix``; cubes of an older layout are rebuilt from the
    register (and stored) rather than read wrongly."""
    rows = list(RegisterCube.objects.filter(cell__startswith=prefix, period=period.code).order_by("cell")
                .values_list("cell", "data"))
    blobs = [bytes(d) for _c, d in rows]
    if any(not b or b[0] != cb.VERSION for b in blobs):
        cells, flat = register_stack(prefix, period.start, period.end)
        _save_cubes(period, cells, flat, replace_prefix=prefix)
        return cells, flat
    return [c for c, _d in rows], cb.decode_many(blobs)


def _save_cubes(period: Period, cells: list[str], flat: np.ndarray, *, replace_prefix: str | None = None,
                replace_cells: Iterable[str] = ()) -> None:
    qs = RegisterCube.objects.filter(period=period.code)
    if replace_prefix is not None:
        qs.filter(cell__startswith=replace_prefix).delete()
    gone = list(replace_cells)
    for i in range(0, len(gone), 500):
        qs.filter(cell__in=gone[i:i + 500]).delete()
    now = RegisterCube._meta.get_field("computed_at").get_db_prep_save(timezone.now(), connection)
    to_bytes = RegisterCube._meta.get_field("data").get_db_prep_save
    rows = [(c, period.code, to_bytes(cb.encode_row(flat[i]), connection), now) for i, c in enumerate(cells)]
    with connection.cursor() as cur:
        sql = f"INSERT INTO {RegisterCube._meta.db_table} (cell, period, data, computed_at) VALUES (%s, %s, %s, %s)"
        for i in range(0, len(rows), 1000):
            cur.executemany(sql, rows[i:i + 1000])


def _evaluate_scope(root: Area, period: Period, level: int, only: set[str] | None = None,
                    built: tuple[list[str], np.ndarray] | None = None) -> int:
    """(Re)evaluate the stored indicator values of the scope's areas (or of ``only`` those codes)."""
    areas = [a for a in scope_areas(root, level) if only is None or a.code in only]
    if not areas:
        return 0
    ordered = _ordered(list(Indicator.objects.all()))
    cells, flat = built if built is not None else _load_stack(root.prefix, period)
    stack = cb.views(cb.rollup(cells, flat, [a.prefix for a in areas]))
    elements = _element_sums(root.prefix, period, [a.prefix for a in areas])
    return _store_values(areas, period, ordered, stack, elements, _constants())


def compute(area_code: str, period_code: str, *, level: int | None = None) -> int:
    """Full recompute (全量计算) of every indicator for the area, its descendants down to ``level``
    (default: villages) and the period; returns the number of values stored. The scope is kept up
    to date from then on by :func:`recompute_dirty`."""
    root = Area.objects.get(code=areacodes.full_code(area_code))
    period = Period.parse(period_code)
    level = level or Area.Level.VILLAGE
    built = register_stack(root.prefix, period.start, period.end)
    with transaction.atomic():
        _save_cubes(period, *built, replace_prefix=root.prefix)
        ComputedScope.objects.update_or_create(root=root, period=period.code,
                                               defaults={"level": level, "computed_at": timezone.now()})
        return _evaluate_scope(root, period, level, built=built)


# --------------------------------------------------------------------------- incremental
def mark_dirty(area_codes: Iterable[str | None], dates: Iterable[dt.date | None]) -> None:
    """Record that the register changed in these areas on or after the earliest of ``dates``.

    Every computed period ending on or after that date is recomputed for the areas' cells and the
    areas above them by :func:`recompute_dirty`. Registry services call this (through the signals
    connected in :mod:`renkou.indicators.apps`); bulk writes that bypass signals must call it.
    """
    days = [d for d in dates if d is not None]
    cells = {cell_of(c) for c in area_codes if c}
    if not days or not cells:
        return
    since = min(days)
    with transaction.atomic():
        for cell in cells:
            row, created = DirtyCell.objects.select_for_update().get_or_create(cell=cell, defaults={"since": since})
            if not created and since < row.since:
                row.since = since
                row.save(update_fields=["since"])


def stale_since(area: Area, period_code: str) -> dt.date | None:
    """The earliest day from which the register changed under ``area`` and is not yet in its values of
    ``period_code``: the earliest ``since`` of its dirty cells within the period, ``None`` when none
    (its stored values are those of the register). The pages show it beside the values."""
    try:
        period = Period.parse(period_code)
    except ValueError:
        return None
    days = [since for since in DirtyCell.objects.filter(cell__startswith=area.prefix).values_list("since", flat=True)
            if since <= period.end]
    return min(days) if days else None


def recompute_dirty_every(seconds: float, *, rounds: int | None = None, alive: Callable[[], bool] = lambda: True,
                          sleep: Callable[[float], None] | None = None, log: Callable[[str], None] = print) -> int:
    """Run :func:`recompute_dirty` every ``seconds`` while ``alive()`` (``rounds`` times when given);
    returns the values stored in all. ``renkou serve`` runs this beside the web server, so stored values
    follow the register within a few minutes without anyone running a command. A round that fails is
    logged and retried at the next round (a busy database, for one). Between rounds ``alive()`` is asked
    every second, so the loop ends within a second of its server (``sleep(seconds)``: the wait between
    rounds, for tests)."""
    import time

    def wait(span: float) -> None:
        end = time.monotonic() + span
        while alive() and (left := end - time.monotonic()) > 0:
            time.sleep(min(1.0, left))

    sleep = sleep or wait
    total, done = 0, 0
    while alive() and (rounds is None or done < rounds):
        try:
            n = recompute_dirty()
        except Exception as exc:  # noqa: BLE001 — the loop must outlive one failed round
            log(f"indicators: recompute of the changed cells failed, retried in {seconds:g} s: {exc}")
        else:
            total += n
            if n:
                log(f"indicators: {n} values recomputed from the changed cells")
        done += 1
        if rounds is not None and done >= rounds:
            break
        sleep(seconds)
    return total


def recompute_dirty() -> int:
    """Recompute the cells marked dirty for every computed period they touch; returns values stored."""
    dirty = {c: s for c, s in DirtyCell.objects.values_list("cell", "since")}
    if not dirty:
        return 0
    stored = 0
    with transaction.atomic():
        for scope in ComputedScope.objects.select_related("root").order_by("period", "root_id"):
            period = Period.parse(scope.period)
            cells = [c for c, since in dirty.items() if c.startswith(scope.root.prefix) and period.end >= since]
            if not cells:
                continue
            _save_cubes(period, *register_stack(cells, period.start, period.end), replace_cells=cells)
            touched = set()
            for cell in cells:
                touched.update(_prefixes_of(cell))
            codes = {a.code for a in scope_areas(scope.root, scope.level) if a.prefix in touched}
            stored += _evaluate_scope(scope.root, period, scope.level, only=codes)
        DirtyCell.objects.filter(cell__in=list(dirty)).delete()
    return stored


def recompute_all() -> int:
    """Full recompute of every computed scope (the reference the incremental path must equal)."""
    DirtyCell.objects.all().delete()
    n = 0
    for scope in ComputedScope.objects.select_related("root").order_by("period", "root_id"):
        n += compute(scope.root.code, scope.period, level=scope.level)
    return n


# --------------------------------------------------------------------------- reading values
def value_rows(area_code: str, period_code: str, *, level: int | None = None,
               indicators: Iterable[str] | None = None, lang: str = "zh") -> list[dict]:
    """Stored values of the area (and descendants down to ``level``) for the period, as plain rows."""
    root = Area.objects.get(code=areacodes.full_code(area_code))
    period = Period.parse(period_code)
    areas = {a.code: a for a in scope_areas(root, level or root.level)}
    qs = IndicatorValue.objects.filter(area_id__in=list(areas), period=period.code).select_related("indicator")
    if indicators:
        qs = qs.filter(indicator__code__in=list(indicators))
    rows = []
    for v in qs.order_by("area_id", "indicator__sort_order"):
        ind = v.indicator
        rows.append({"code": ind.code, "name": ind.name_zh if lang.startswith("zh") else ind.name_en,
                     "area": v.area_id, "area_name": areas[v.area_id].name, "period": period.code,
                     "value": None if v.value is None else float(v.value), "unit": ind.unit,
                     "numerator": v.numerator, "denominator": v.denominator})
    return rows


def series(indicator_code: str, area_code: str, periods: Iterable[str]) -> list[tuple[str, float | None]]:
    """Stored values of one indicator for one area over several periods (missing = None)."""
    code = areacodes.full_code(area_code)
    got = dict(IndicatorValue.objects.filter(indicator__code=indicator_code, area_id=code, period__in=list(periods))
               .values_list("period", "value"))
    return [(p, None if got.get(p) is None else float(got[p])) for p in periods]


def cube_of(area_code: str, period_code: str) -> cb.Cube:
    """The stored register cube of an area (sum of its cells) for a computed period."""
    area = Area.objects.get(code=areacodes.full_code(area_code))
    period = Period.parse(period_code)
    cells, flat = _load_stack(area.prefix, period)
    return cb.row(cb.rollup(cells, flat, [area.prefix]), 0)


def provisional_ref(ref: Reference) -> Reference | None:
    """The provisional counterpart of an official event operand (``R{births.sex=2}`` →
    ``R{births_provisional.sex=2}``), or None when it has none or is split finer than the
    provisional counts are (order, place, age)."""
    if ref.kind != "register" or ref.code not in cb.PROVISIONAL:
        return None
    other = cb.PROVISIONAL[ref.code]
    accepted = cb.OPERANDS[other][2]
    if any(k not in accepted for k, _v in ref.params):
        return None
    return Reference("register", other, params=ref.params)


def provisional_beside(area_code: str, period_code: str, operand: str | Reference) -> int | None:
    """Events not yet registered (provisional, 待核实) of the kind an official operand counts, for the
    area and period — shown beside the official figure, never added to it. None for other operands."""
    if isinstance(operand, str):
        refs = parse(operand).references()
        if len(refs) != 1:
            raise ValueError(f"one operand expected, not {operand!r}")
        operand = next(iter(refs))
    other = provisional_ref(operand)
    if other is None:
        return None
    value = cb.resolve(cube_of(area_code, period_code), other)
    return None if value is None else int(value)


_PYRAMIDS: dict[tuple, np.ndarray] = {}


def pyramid_of(area_code: str, period_code: str, basis: str = "registered") -> np.ndarray:
    """Population at the end of the period by sex × age (2, 101) from the stored cubes.

    The sum of a county's village cubes is kept in the process for the next page, keyed by what
    would change it: the number, the highest key and the latest time of the cubes summed (a
    recompute deletes and re-inserts them), so a kept pyramid is never one of older cubes."""
    from django.db.models import Count, Max

    area = Area.objects.get(code=areacodes.full_code(area_code))
    stamp = RegisterCube.objects.filter(cell__startswith=area.prefix, period=period_code).aggregate(
        n=Count("id"), last=Max("id"), at=Max("computed_at"))
    key = (area.code, period_code, basis, stamp["n"], stamp["last"], stamp["at"])
    if key not in _PYRAMIDS:
        if len(_PYRAMIDS) >= 256:
            _PYRAMIDS.clear()
        _PYRAMIDS[key] = cube_of(area_code, period_code)[f"pop.{basis}.end"]
    return _PYRAMIDS[key].copy()
