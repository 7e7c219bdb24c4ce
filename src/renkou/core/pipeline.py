"""One way in for files: read → map → check → write → report.

Every file that enters Renkou — register imports (persons, households, events, services), area
files, and later bank return files, loan collection sheets, department feeds and exchange batches —
goes through this module. A kind of file brings only its *spec* (the columns, English and Chinese
headers, which are required) and its *rules* (how a row is checked and written); the machinery is
here and is the same for all:

read
    :func:`open_source` checks the size limit (``RENKOU_IMPORT_MAX_BYTES``, default 2 GiB), tells
    the encoding (a byte-order mark for UTF-8 or UTF-16; otherwise UTF-8, else GBK/GB18030, checked
    over the whole file in 1 MiB pieces) while it hashes the file (SHA-256, for the audit record)
    and counts its lines. :func:`read_table` then yields the rows one at a time — CSV through
    Python's streaming reader, XLSX through openpyxl's read-only mode — so memory does not grow
    with the file.
map
    :meth:`Spec.map_header` turns the header into column positions (English or Chinese names, in
    any order, case-insensitive) and names every missing required column; :meth:`Mapping.row`
    makes one :class:`Row` with its cells by canonical name, and rejects a row that has cells
    beyond the header (how many) or a NUL byte (which field).
check
    A kind checks rows a chunk at a time (:attr:`FileImport.chunk_size`), each error naming the
    field and the rule; whatever must be known across the whole file is kept compact in the
    :class:`Scratch` database (a temporary SQLite file): seen keys, ID numbers, candidates for
    duplicate matching, links to rows further down the file.
write
    ``all-or-nothing`` (default: the first rejected row stops the writing and the transaction is
    rolled back at the end, after every row was checked) or ``valid-rows``. Everything is written in
    one transaction, so an interrupted import (even ``kill -9``) leaves the database as it was.
    :func:`insert_rows` writes with ``executemany`` on SQLite and ``COPY`` on PostgreSQL under keys
    reserved by :func:`reserve_ids`. One ``import`` audit event per file (:func:`reserve_audit_id`,
    :func:`record_file_event`): its key is reserved before the first row, so the rows can carry it,
    and it is written at the end with the final counts.
report
    :class:`Report` keeps every rejected or flagged row (its original cells, the reasons) in the
    scratch database, keeps the first :data:`KEEP_ROWS` in memory for display, and
    :meth:`Report.write` produces the one error file format: the original columns plus
    ``结果 result`` and ``原因 reason``, which the user can fix and import again.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import gc
import hashlib
import json
import operator
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

DEFAULT_MAX_BYTES = 2 * 1024 ** 3
KEEP_ROWS = 10_000  # reported rows kept in memory (every one is in the report file)
PIECE = 1 << 20
MAX_CELL = 1000  # characters; longer cells are junk


class ImportFailed(Exception):
    """The file as a whole cannot be read (size, encoding, format, missing columns); nothing was changed."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


def max_bytes() -> int:
    """The largest file accepted: the ``RENKOU_IMPORT_MAX_BYTES`` setting or environment variable."""
    from django.conf import settings

    value = getattr(settings, "RENKOU_IMPORT_MAX_BYTES", None) or os.environ.get("RENKOU_IMPORT_MAX_BYTES")
    return int(value) if value else DEFAULT_MAX_BYTES


def _size(n: int) -> str:
    return f"{n / 1024 ** 3:.2f} GiB" if n >= 1024 ** 3 else f"{n / 1024 ** 2:,.1f} MiB"


# ------------------------------------------------------------------------------------------ read
@dataclass
class Source:
    path: Path
    encoding: str | None  # None for XLSX
    size: int
    sha256: str
    lines: int  # physical lines (CSV) or the sheet's rows (XLSX): an estimate of the row count

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def is_xlsx(self) -> bool:
        return self.encoding is None


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig", "UTF-8"), (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
         (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"))


def _scan(path: Path, encoding: str | None) -> tuple[str, int, int | None]:
    """SHA-256 and newline count of the file, and the offset of the first byte ``encoding`` cannot
    decode (None when it decodes to the end)."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder(encoding)() if encoding else None
    lines, offset, bad = 0, 0, None
    with open(path, "rb") as fh:
        while piece := fh.read(PIECE):
            digest.update(piece)
            lines += piece.count(b"\n")
            if decoder is not None and bad is None:
                try:
                    decoder.decode(piece)
                except UnicodeDecodeError as exc:
                    bad = offset + exc.start
            offset += len(piece)
        if decoder is not None and bad is None:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                bad = offset
    return digest.hexdigest(), lines, bad


def _line_at(path: Path, offset: int) -> int:
    with open(path, "rb") as fh:
        return fh.read(offset).count(b"\n") + 1


def open_source(path: str | Path) -> Source:
    """Check that the file exists and is within the size limit; tell its encoding, hash and lines."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise ImportFailed(f"文件 {path} 不存在", f"no such file {path}")
    size = path.stat().st_size
    limit = max_bytes()
    if size > limit:
        raise ImportFailed(
            f"{name} 有 {_size(size)}，超过导入上限 {_size(limit)}；请分成几个文件，或由系统管理员调整 RENKOU_IMPORT_MAX_BYTES",
            f"{name} is {_size(size)}, over the import limit of {_size(limit)}; split it into several files, or "
            "have the system administrator raise RENKOU_IMPORT_MAX_BYTES")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        sha, _, _ = _scan(path, None)
        return Source(path, None, size, sha, 0)
    with open(path, "rb") as fh:
        head = fh.read(4096)
    for bom, encoding, label in _BOMS:
        if head.startswith(bom):
            sha, lines, bad = _scan(path, encoding)
            if bad is not None:
                raise ImportFailed(
                    f"{name} 以 {label} 字节顺序标记开头，但第 {_line_at(path, bad)} 行(字节 {bad})不是有效的 {label} 编码",
                    f"{name} begins with a {label} byte-order mark but is not valid {label} encoding at line "
                    f"{_line_at(path, bad)} (byte {bad}); save it again as UTF-8")
            return Source(path, encoding, size, sha, lines)
    if head and head.count(0) > len(head) // 4:
        raise ImportFailed(f"{name} 像是没有字节顺序标记的 UTF-16 文本或二进制文件，请另存为 UTF-8",
                           f"{name} looks like UTF-16 without a byte-order mark, or binary content (encoding "
                           "unknown); save it as UTF-8 or GBK/GB18030")
    sha, lines, bad_utf8 = _scan(path, "utf-8")
    if bad_utf8 is None:
        return Source(path, "utf-8", size, sha, lines)
    _, _, bad_gb = _scan(path, "gb18030")
    if bad_gb is None:
        return Source(path, "gb18030", size, sha, lines)
    raise ImportFailed(
        f"{name} 的编码无法识别(第 {_line_at(path, bad_utf8)} 行不是 UTF-8，第 {_line_at(path, bad_gb)} 行不是 GBK/GB18030)，"
        "请另存为 UTF-8 或 GBK/GB18030",
        f"cannot tell the encoding of {name} (line {_line_at(path, bad_utf8)} is not UTF-8, line "
        f"{_line_at(path, bad_gb)} is not GBK/GB18030); save it as UTF-8 or GBK/GB18030")


@contextlib.contextmanager
def spooled(content: bytes, filename: str) -> Iterator[Path]:
    """Uploaded bytes as a file of the same name (for the messages) in a private temporary folder,
    removed afterwards; the name's folder parts are dropped."""
    name = Path(filename.replace("\\", "/")).name.strip() or "upload.csv"
    with tempfile.TemporaryDirectory(prefix="renkou-upload-") as folder:
        path = Path(folder) / name[:200]
        path.write_bytes(content)
        yield path


def cell_text(v: Any) -> str:
    """A spreadsheet cell as text (dates as YYYY-MM-DD, whole floats without ``.0``)."""
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


@dataclass
class Table:
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]  # (row number as a spreadsheet shows it, cells)
    close: Callable[[], None] = lambda: None  # closes the file when the rows are not read to the end


def read_table(source: Source) -> Table:
    """The header and an iterator of ``(row number, cells)``, one row at a time; blank rows skipped.
    Row numbers count records from 1 for the header (what a spreadsheet shows)."""
    name = source.name
    if source.is_xlsx:
        import zipfile

        from openpyxl import load_workbook

        try:
            wb = load_workbook(source.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
            raise ImportFailed(f"{name} 不是有效的 XLSX 文件", f"{name} is not a valid XLSX file ({exc})") from exc
        ws = wb.worksheets[0]
        source.lines = ws.max_row or 0
        it = ws.iter_rows(values_only=True)
        header = next(it, None)
        if header is None:
            wb.close()
            raise ImportFailed(f"{name} 是空表", f"{name} is empty")

        def xlsx_rows() -> Iterator[tuple[int, list[str]]]:
            try:
                for n, r in enumerate(it, start=2):
                    cells = [cell_text(c) for c in r]
                    while cells and not cells[-1]:
                        cells.pop()
                    if cells:
                        yield n, cells
            finally:
                wb.close()

        return Table([cell_text(h) for h in header], xlsx_rows(), wb.close)
    fh = open(source.path, encoding=source.encoding, newline="")  # noqa: SIM115 - closed by the generator
    reader = csv.reader(fh)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        fh.close()
        raise ImportFailed(f"{name} 不是有效的 CSV 文件", f"{name} is not a valid CSV file ({exc})") from exc
    if header is None:
        fh.close()
        raise ImportFailed(f"{name} 是空文件", f"{name} is empty")

    def csv_rows() -> Iterator[tuple[int, list[str]]]:
        n = 1
        try:
            for r in reader:
                n += 1
                if any(r):
                    yield n, list(map(str.strip, r))
        except csv.Error as exc:
            raise ImportFailed(f"{name} 第 {n + 1} 行(文件第 {reader.line_num} 行)无法解析",
                               f"{name} row {n + 1} (line {reader.line_num}) cannot be parsed ({exc})") from exc
        finally:
            fh.close()

    return Table([h.strip().lstrip("\ufeff") for h in header], csv_rows(), fh.close)


# ------------------------------------------------------------------------------------------- map
@dataclass(frozen=True)
class Col:
    name: str
    zh: str
    required: bool = False


@dataclass(slots=True)
class Row:
    """One row of a file while it is checked and written (a chunk of them at a time)."""

    line: int
    raw: dict[str, str]  # canonical column name → cell text
    original: list[str]  # the cells as read, for the report
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    findings: list[Any] = field(default_factory=list)
    action: str = ""  # create / update / unchanged / reject
    obj: Any = None  # the existing record (update, unchanged)
    pk: int | None = None  # the primary key of a created or existing record, once known
    extra: dict[str, Any] = field(default_factory=dict)  # what a kind keeps between checking and writing

    def reject(self, message: str) -> None:
        self.errors.append(message)


@dataclass(frozen=True)
class Mapping:
    header: list[str]
    positions: dict[int, str]  # column position → canonical name

    @cached_property
    def _pick(self) -> tuple[tuple[str, ...], Callable[[list[str]], Any] | None, int]:
        """The canonical names in the row's order, a getter of their cells (for a row as wide as the
        highest position) and that width."""
        names, idx = tuple(self.positions.values()), tuple(self.positions)
        return names, (operator.itemgetter(*idx) if len(idx) > 1 else None), (max(idx) + 1 if idx else 0)

    def row(self, line: int, cells: list[str]) -> Row:
        """The row with its cells by name; cells beyond the header and NUL bytes reject it."""
        names, pick, need = self._pick
        if pick is not None and len(cells) >= need:
            raw = dict(zip(names, pick(cells), strict=True))
        else:
            raw = {name: (cells[i] if i < len(cells) else "") for i, name in self.positions.items()}
        r = Row(line, raw, cells)
        width = len(self.header)
        if len(cells) > width:
            extra = len(cells) - width
            while extra and not cells[width + extra - 1]:
                extra -= 1
            if extra:
                r.reject(f"第 {line} 行比表头({width} 列)多出 {extra} 个单元格，可能有未加引号的逗号 / row {line} has {extra} "
                         f"cell(s) beyond the header's {width} columns (an unquoted comma?)")
        if "\x00" not in "".join(cells):
            return r
        for i, c in enumerate(cells):
            if "\x00" in c:
                col = self.positions.get(i) or (self.header[i] if i < width else f"#{i + 1}")
                r.reject(f"{col}: 含 NUL 字节(二进制内容) / contains a NUL byte (binary content)")
        return r


@dataclass(frozen=True)
class Spec:
    """The columns of one kind of file: canonical English names with their Chinese headers."""

    kind: str
    columns: tuple[Col, ...]

    @property
    def key(self) -> str:
        return self.columns[0].name

    def map_header(self, header: list[str], name: str) -> Mapping:
        """Column position → canonical name; raises naming every missing required column."""
        lookup = {}
        for c in self.columns:
            lookup[c.name.lower()] = c.name
            lookup[c.zh] = c.name
        positions: dict[int, str] = {}
        for i, h in enumerate(header):
            key = lookup.get(h.strip().lower().lstrip("\ufeff"))
            if key and key not in positions.values():
                positions[i] = key
        missing = [c for c in self.columns if c.required and c.name not in positions.values()]
        if missing:
            shown = [h if len(h) <= 40 else h[:40] + "…" for h in header[:30]]
            raise ImportFailed(
                f"{name} 缺少必需的列：{'、'.join(f'{c.zh}({c.name})' for c in missing)}；表头为 {shown}",
                f"{name} lacks required column(s): {', '.join(c.name for c in missing)}; the header is {shown}")
        return Mapping(header, positions)


def chunks(table: Table, mapping: Mapping, size: int | None) -> Iterator[list[Row]]:
    """The file's rows as :class:`Row` lists of ``size`` (None: the whole file at once)."""
    chunk: list[Row] = []
    for line, cells in table.rows:
        chunk.append(mapping.row(line, cells))
        if size is not None and len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --------------------------------------------------------------------------------------- scratch
class Scratch:
    """A temporary SQLite database for what must be known across a whole file: compact keys and
    small records on disk rather than Python objects in memory. Removed when closed."""

    def __init__(self):
        self._dir = tempfile.TemporaryDirectory(prefix="renkou-import-")
        self.db = sqlite3.connect(Path(self._dir.name) / "scratch.sqlite3", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("PRAGMA cache_size=-65536")  # 64 MiB
        self.db.execute("PRAGMA temp_store=FILE")
        self.db.execute("BEGIN")

    def close(self) -> None:
        self.db.close()
        self._dir.cleanup()

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def execute(self, sql: str, params: Iterable = ()) -> sqlite3.Cursor:
        return self.db.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable) -> None:
        self.db.executemany(sql, rows)

    def lookup(self, sql: str, keys: list, size: int = 900) -> Iterator[tuple]:
        """``sql`` with ``{}`` standing for a list of placeholders, run for ``keys`` ``size`` at a time."""
        for i in range(0, len(keys), size):
            part = keys[i:i + size]
            yield from self.db.execute(sql.format(", ".join("?" * len(part))), part)


class KeySet:
    """Keys seen in the file (first row of each), with an optional value (e.g. a primary key)."""

    def __init__(self, scratch: Scratch, name: str):
        self.s, self.t = scratch, f"keys_{name}"
        scratch.execute(f"CREATE TABLE {self.t} (key TEXT PRIMARY KEY, line INTEGER, pk INTEGER) WITHOUT ROWID")

    def first_lines(self, keys: Iterable[str]) -> dict[str, int]:
        """Of ``keys``, those already seen, with the row that had them first."""
        return {k: line for k, line in self.s.lookup(f"SELECT key, line FROM {self.t} WHERE key IN ({{}})",
                                                     sorted(set(keys)))}

    def add(self, items: Iterable[tuple[str, int, int | None]]) -> None:
        self.s.executemany(f"INSERT OR IGNORE INTO {self.t} (key, line, pk) VALUES (?, ?, ?)", items)

    def set_pks(self, items: Iterable[tuple[int, str]]) -> None:
        self.s.executemany(f"UPDATE {self.t} SET pk = ? WHERE key = ?", items)

    def pks(self, keys: Iterable[str]) -> dict[str, int]:
        return {k: pk for k, pk in self.s.lookup(f"SELECT key, pk FROM {self.t} WHERE key IN ({{}}) AND pk IS NOT NULL",
                                                  sorted(set(keys)))}

    def has(self, keys: Iterable[str]) -> set[str]:
        return {k for (k,) in self.s.lookup(f"SELECT key FROM {self.t} WHERE key IN ({{}})", sorted(set(keys)))}

    def pk_of_lines(self, lines: list[int]) -> dict[int, int]:
        return {line: pk for line, pk in self.s.lookup(
            f"SELECT line, pk FROM {self.t} WHERE line IN ({{}}) AND pk IS NOT NULL", lines)}


# ---------------------------------------------------------------------------------------- report
class Report:
    """Rejected and flagged rows with their original cells and reasons, in the scratch database."""

    def __init__(self, scratch: Scratch, mapping: Mapping):
        self.s, self.mapping = scratch, mapping
        scratch.execute("CREATE TABLE report (line INTEGER PRIMARY KEY, cells TEXT, errors TEXT, flags TEXT)")

    def add(self, rows: Iterable[Row]) -> None:
        items = [(r.line, json.dumps(r.original, ensure_ascii=False), json.dumps(r.errors, ensure_ascii=False),
                  json.dumps(r.flags, ensure_ascii=False)) for r in rows if r.errors or r.flags]
        self.s.executemany("INSERT INTO report VALUES (?, ?, ?, ?)", items)

    def flag(self, items: Iterable[tuple[int, str]]) -> None:
        """Flags found after the rows' own chunk (e.g. duplicates across the file): appended by row."""
        by_line: dict[int, list[str]] = {}
        for line, text in items:
            by_line.setdefault(line, []).append(text)
        if not by_line:
            return
        known = {line: json.loads(f) for line, f in self.s.lookup("SELECT line, flags FROM report WHERE line IN ({})",
                                                                   sorted(by_line))}
        self.s.executemany("UPDATE report SET flags = ? WHERE line = ?",
                           [(json.dumps(known[line] + texts, ensure_ascii=False), line)
                            for line, texts in by_line.items() if line in known])
        self.s.executemany("INSERT INTO report VALUES (?, NULL, '[]', ?)",
                           [(line, json.dumps(texts, ensure_ascii=False))
                            for line, texts in by_line.items() if line not in known])

    def fill_cells(self, source: Source) -> None:
        """Read the file again for the original cells of rows flagged after their chunk."""
        missing = {line for (line,) in self.s.execute("SELECT line FROM report WHERE cells IS NULL")}
        if not missing:
            return
        found = []
        table = read_table(source)
        try:
            for line, cells in table.rows:
                if line in missing:
                    found.append((json.dumps(cells, ensure_ascii=False), line))
                    missing.discard(line)
                    if not missing:
                        break  # the rest of the file is not needed
        finally:
            table.close()
        self.s.executemany("UPDATE report SET cells = ? WHERE line = ?", found)

    def lines_flagged(self, rejected: bool = False) -> int:
        cond = "errors <> '[]'" if rejected else "errors = '[]' AND flags <> '[]'"
        return self.s.execute(f"SELECT count(*) FROM report WHERE {cond}").fetchone()[0]

    def entries(self) -> Iterator[tuple[int, list[str], list[str], list[str]]]:
        cur = self.s.db.cursor()
        cur.execute("SELECT line, cells, errors, flags FROM report ORDER BY line")
        for line, cells, errors, flags in cur:
            yield line, json.loads(cells or "[]"), json.loads(errors), json.loads(flags)

    def rows(self, limit: int | None = None) -> list[Row]:
        limit = KEEP_ROWS if limit is None else limit
        out = []
        for line, cells, errors, flags in self.entries():
            if len(out) >= limit:
                break
            r = self.mapping.row(line, cells)
            r.errors, r.flags = errors, flags
            r.action = "reject" if errors else "flagged"
            out.append(r)
        return out

    def save(self, path: Path) -> int:
        """A copy of the report that outlives the scratch database (see :func:`write_report`)."""
        n = 0
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            for _line, cells, errors, flags in self.entries():
                w.writerow([json.dumps(cells, ensure_ascii=False), json.dumps(errors, ensure_ascii=False),
                            json.dumps(flags, ensure_ascii=False)])
                n += 1
        return n


def report_rows(spool: Path | None, rows: list[Row]) -> Iterator[list[str]]:
    """The rows of the error file: original cells, result, reason."""
    if spool is not None and spool.exists():
        csv.field_size_limit(1 << 30)
        with open(spool, encoding="utf-8", newline="") as fh:
            for cells, errors, flags in csv.reader(fh):
                cells, errors, flags = json.loads(cells), json.loads(errors), json.loads(flags)
                yield _report_row(cells, errors, flags)
        return
    for r in rows:
        yield _report_row(r.original, r.errors, r.flags)


def _report_row(cells: list[str], errors: list[str], flags: list[str]) -> list[str]:
    if errors:
        return [*cells, "拒绝 rejected", "；".join(errors)]
    return [*cells, "已导入待审 flagged", "；".join(flags)]


def write_report(result: ImportResult, path: str | Path) -> int:
    """The error file (CSV or XLSX, formula-safe): the original columns plus result and reason."""
    from renkou.registry.exporter import write_rows

    n = 0

    def counted():
        nonlocal n
        for row in report_rows(result.spool, result.rows):
            n += 1
            yield row

    write_rows(Path(path), [*result.headers, "结果 result", "原因 reason"], counted())
    return n


# ----------------------------------------------------------------------------------------- write
def reserve_ids(model, n: int) -> list[int]:
    """``n`` primary keys for rows inserted by hand: from the sequence on PostgreSQL; on SQLite the
    next free ones (the import's transaction is IMMEDIATE: it holds the write lock)."""
    from django.db import connection

    if not n:
        return []
    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                        [table, model._meta.pk.column, n])
            return [r[0] for r in cur.fetchall()]
    start = next_id(model)
    return list(range(start, start + n))


BATCH = 2000


def next_id(model) -> int:
    """The first primary key after every one the table has used (on SQLite, deleted rows' keys too:
    the tables are AUTOINCREMENT, and a key named in the audit log is never given again)."""
    from django.db import connection

    last = model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [model._meta.db_table])
            row = cur.fetchone()
        last = max(last, row[0] if row else 0)
    return last + 1


def drop_indexes(models, rows_coming: int, rows_there: int, factor: float = 10) -> list[str]:
    """On SQLite, drop the secondary indexes of the tables when ``rows_coming`` is at least ``factor``
    times ``rows_there`` inside the load's transaction and return their SQL, to build them once at the
    end (far faster than a million random inserts). DDL is transactional in SQLite: an interrupted load
    restores them with everything else. Unique constraints (automatic indexes) stay.

    The default (nearly empty tables) suits a load that looks rows up through those indexes while it
    writes (an import's duplicate and key look-ups); a load that does not can use a lower factor."""
    from django.db import connection

    if connection.vendor != "sqlite" or rows_coming < factor * (rows_there + 1):
        return []
    saved = []
    with connection.cursor() as cur:
        for m in models:
            cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                        "AND sql IS NOT NULL", [m._meta.db_table])
            for name, sql in cur.fetchall():
                saved.append(sql)
                cur.execute(f'DROP INDEX "{name}"')
    return saved


def update_rows(objs: list, fields: list[str]) -> int:
    """Write ``fields`` of the model instances ``objs`` with one ``UPDATE … WHERE pk`` statement run by
    ``executemany``: what ``bulk_update`` does, without its ``CASE WHEN`` statements, which grow with
    the rows (18,000 payments of a bank return: 20 s with ``bulk_update``, under a second here).
    Signals do not run: the caller audits. Returns the rows written."""
    from django.db import connection

    if not objs:
        return 0
    meta = objs[0]._meta
    cols = [meta.get_field(f) for f in fields]
    qn = connection.ops.quote_name
    sql = (f"UPDATE {qn(meta.db_table)} SET {', '.join(f'{qn(c.column)} = %s' for c in cols)} "
           f"WHERE {qn(meta.pk.column)} = %s")
    with connection.cursor() as cur:
        for i in range(0, len(objs), BATCH):
            cur.executemany(sql, [(*[c.get_db_prep_save(getattr(o, c.attname), connection) for c in cols], o.pk)
                                  for o in objs[i:i + BATCH]])
    return len(objs)


def insert_rows(model, values: list[dict[str, Any]], pks: list[int] | None = None,
                progress: Callable[[int, int], None] | None = None) -> list[int]:
    """Insert new rows given as ``attname → value`` dicts (model defaults for the rest) with
    ``executemany`` (SQLite) or ``COPY`` (PostgreSQL), under the primary keys ``pks`` (reserved here
    when not given); returns the keys. Signals do not run: the caller audits."""
    from django.db import connection

    if not values:
        return []
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    names = [f.attname for f in fields]
    qn = connection.ops.quote_name
    pks = reserve_ids(model, len(values)) if pks is None else pks
    if connection.vendor == "postgresql":  # COPY: one stream instead of one statement per row
        cols = ", ".join(qn(f.column) for f in fields)
        with connection.cursor() as cur, cur.cursor.copy(
                f"COPY {qn(model._meta.db_table)} ({qn(model._meta.pk.column)}, {cols}) FROM STDIN") as copy:
            for i, (pk, v) in enumerate(zip(pks, values, strict=True), start=1):
                d = {**defaults, **v}
                copy.write_row((pk, *[d[n] for n in names]))
                if progress and i % BATCH == 0:
                    progress(i, len(values))
        if progress:
            progress(len(values), len(values))
        return pks
    sql = (f"INSERT INTO {qn(model._meta.db_table)} ({qn(model._meta.pk.column)}, "
           f"{', '.join(qn(f.column) for f in fields)}) VALUES ({', '.join(['%s'] * (len(fields) + 1))})")
    cells = operator.itemgetter(*names) if len(names) > 1 else (lambda d: tuple(d[n] for n in names))
    with connection.cursor() as cur:
        for i in range(0, len(values), BATCH):
            rows = []
            for pk, v in zip(pks[i:i + BATCH], values[i:i + BATCH], strict=True):
                d = defaults.copy()
                d.update(v)
                rows.append((pk, *cells(d)))
            cur.executemany(sql, rows)
            if progress:
                progress(i + len(rows), len(values))
    return pks


def reserve_audit_id() -> int:
    """The key of the file's ``import`` audit event, taken before the first row is written (rows carry
    it) and written with the final counts at the end (:func:`record_file_event`). On SQLite the
    AUTOINCREMENT counter is moved past it, so audit events written meanwhile do not take it."""
    from django.db import connection

    from renkou.core.models import AuditEvent

    table = AuditEvent._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, %s))", [table, AuditEvent._meta.pk.column])
            return cur.fetchone()[0]
    pk = next_id(AuditEvent)
    with connection.cursor() as cur:
        cur.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [pk, table])
        if cur.rowcount == 0:
            cur.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, pk])
    return pk


def record_file_event(pk: int, *, user, object_type: str, object_repr: str, detail: dict, area_code: str = ""):
    """Write the one ``import`` audit event of a file under its reserved key."""
    from renkou.core import actor
    from renkou.core.models import AuditEvent

    current = actor.current()
    if user is None and current is not None:
        user = current.effective_user
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    detail = dict(detail)
    if current is not None:
        detail.setdefault("via", current.via)
    event = AuditEvent(pk=pk, actor=user if authenticated else None,
                       actor_username=user.get_username() if authenticated else "", action="import",
                       object_type=object_type, object_repr=object_repr[:200], area_code=area_code, detail=detail,
                       address=current.address if current is not None else None)
    if not AuditEvent.objects.append_reserved(event):
        # Other events were appended after the key was reserved (the file's own per-row records, or
        # another writer on PostgreSQL): the chain runs in key order, so the event takes the next key
        # and the caller moves its rows to it (:meth:`FileImport.rebatch`).
        event.pk = None
        AuditEvent.objects.bulk_create([event])
    return event


class collector_paused:
    """A file of a million rows makes many small objects: the cyclic garbage collector would walk them
    again and again (it finds nothing to free here)."""

    def __enter__(self):
        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.was:
            gc.enable()


# ---------------------------------------------------------------------------------------- driver
MODES = ("all-or-nothing", "valid-rows")


@dataclass
class ImportResult:
    kind: str
    source: str
    mode: str
    dry_run: bool
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    flagged: int = 0
    written: bool = False
    headers: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)  # the first KEEP_ROWS rejected or flagged rows, by row
    reported: int = 0  # how many rows the error file has (rejected or flagged)
    spool: Path | None = None  # every reported row, when more than KEEP_ROWS
    audit_event: int | None = None  # the file's ``import`` audit event

    @property
    def ok(self) -> bool:
        return self.rejected == 0

    def summary(self) -> str:
        state = ("试运行，未写入 / dry run, nothing written" if self.dry_run else
                 "已写入 / written" if self.written else "未写入任何数据 / nothing was written")
        return (f"{self.kind}: {self.total:,} 行 rows — 新增 created {self.created:,}, 更新 updated {self.updated:,}, "
                f"未变 unchanged {self.unchanged:,}, 拒绝 rejected {self.rejected:,}, 标记待审 flagged "
                f"{self.flagged:,}; {state}")


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class FileImport:
    """One run of the pipeline over one file. A kind of file subclasses it with its :attr:`spec` and
    its rules: :meth:`check` (a chunk of rows: set ``errors``, ``flags``, ``findings`` and ``action``),
    :meth:`write` (the chunk's accepted rows), and optionally :meth:`begin` (before the transaction),
    :meth:`check_file` (checks across the whole file, once every row was read), :meth:`finish`
    (writes that need the whole file) and :meth:`end` (after the transaction, always).

    ``user`` None means the system administrator at the console (no area limit)."""

    spec: Spec
    chunk_size: int | None = 5000
    object_type = ""

    def __init__(self, path: str | Path, *, user=None, mode: str = "all-or-nothing", dry_run: bool = False,
                 progress: Callable[[int, int], None] | None = None, today: dt.date | None = None):
        from django.utils import timezone

        if mode not in MODES:
            raise ImportFailed(f"未知的模式 {mode}", f"unknown mode {mode}; all-or-nothing or valid-rows")
        self.path, self.user, self.mode, self.dry_run = Path(path), user, mode, dry_run
        self.progress = progress or (lambda done, total: None)
        self.today = today or timezone.localdate()
        self.result = ImportResult(self.spec.kind, str(path), mode, dry_run)
        self.batch_id: int | None = None
        self.writing = True
        self.estimate = 0

    # -- hooks of a kind
    def begin(self) -> None:
        """Before the transaction (e.g. load code tables, turn off row-by-row constraint checks)."""

    def check(self, rows: list[Row]) -> None:
        raise NotImplementedError

    def write(self, rows: list[Row]) -> None:
        raise NotImplementedError

    def check_file(self) -> None:
        """Checks that need every row of the file (call :meth:`flag_late` with what they find)."""

    def rebatch(self, reserved: int, final: int) -> None:
        """The rows written under the reserved key of the file's audit event now name its final key."""

    def finish(self) -> None:
        """Writes that need the whole file (links to rows further down, queues), when writing."""

    def recorded(self) -> None:
        """After the file's audit event is written, in the transaction: audit records of the file's
        own that can follow it (appended earlier, they would pass its reserved key in the chain and
        every row written would have to be moved to a new key, :meth:`rebatch`)."""

    def end(self) -> None:
        """After the transaction, committed or not."""

    def audit_detail(self) -> dict:
        return {}

    # -- the run
    def run(self) -> ImportResult:
        with collector_paused():
            source = open_source(self.path)
            table = read_table(source)
            try:
                mapping = self.spec.map_header(table.header, source.name)
            except ImportFailed:
                table.close()
                raise
            self.source, self.mapping = source, mapping
            self.result.headers = table.header
            self.estimate = max(source.lines - 1, 0)
            with Scratch() as scratch:
                self.scratch = scratch
                self.report = Report(scratch, mapping)
                scratch.execute("CREATE TABLE flagged (line INTEGER PRIMARY KEY)")
                try:
                    self.begin()
                    self._transaction(table, mapping)
                finally:
                    self.end()
                self._close_report()
        return self.result

    def _transaction(self, table: Table, mapping: Mapping) -> None:
        from django.db import transaction

        res = self.result
        with transaction.atomic():
            self.batch_id = reserve_audit_id()
            counts = {"create": 0, "update": 0, "unchanged": 0}
            done = 0
            for n, chunk in enumerate(chunks(table, mapping, self.chunk_size)):
                self.check(chunk)
                for r in chunk:
                    if r.errors:
                        r.action = "reject"
                        res.rejected += 1
                    elif r.action in counts:
                        counts[r.action] += 1
                self.report.add(chunk)
                self.scratch.executemany("INSERT INTO flagged VALUES (?)",
                                         [(r.line,) for r in chunk if not r.errors and (r.flags or r.findings)])
                if self.mode == "all-or-nothing" and res.rejected:
                    self.writing = False  # every row is still checked, for the report
                if self.writing:
                    self.write([r for r in chunk if r.action in counts])
                done += len(chunk)
                res.total = done
                self.progress(done, max(self.estimate, done))
                del chunk
                if n % 20 == 19:
                    gc.collect()
            self.check_file()
            res.flagged = self.scratch.execute("SELECT count(*) FROM flagged").fetchone()[0]
            if self.writing:
                res.created, res.updated, res.unchanged = counts["create"], counts["update"], counts["unchanged"]
                self.finish()
                res.written = not self.dry_run and bool(res.created or res.updated)
            if res.written:
                detail = {"file_sha256": self.source.sha256, "mode": self.mode, "created": res.created,
                          "updated": res.updated, "unchanged": res.unchanged, "rejected": res.rejected,
                          "flagged": res.flagged, "key_column": self.spec.key, **self.audit_detail()}
                event = record_file_event(self.batch_id, user=self.user, object_type=self.object_type,
                                          object_repr=self.source.name, detail=detail)
                if event.pk != self.batch_id:
                    self.rebatch(self.batch_id, event.pk)
                    self.batch_id = event.pk
                res.audit_event = self.batch_id
                self.recorded()
            else:
                transaction.set_rollback(True)

    def flag_late(self, items: list[tuple[int, str]]) -> None:
        """Flags found by :meth:`check_file`, by row; a rejected row keeps them in the report only."""
        if not items:
            return
        self.report.flag(items)
        lines = sorted({line for line, _ in items})
        rejected = {line for (line,) in self.scratch.lookup(
            "SELECT line FROM report WHERE line IN ({}) AND errors <> '[]'", lines)}
        self.scratch.executemany("INSERT OR IGNORE INTO flagged VALUES (?)",
                                 [(line,) for line in lines if line not in rejected])

    def _close_report(self) -> None:
        import weakref

        res = self.result
        res.reported = self.scratch.execute("SELECT count(*) FROM report").fetchone()[0]
        if res.reported:
            self.report.fill_cells(self.source)
        res.rows = self.report.rows()
        if res.reported > len(res.rows):
            fd, name = tempfile.mkstemp(prefix="renkou-report-", suffix=".csv")
            os.close(fd)
            self.report.save(Path(name))
            res.spool = Path(name)
            weakref.finalize(res, _unlink, name)
