"""Reading a department's file through its mapping, on the one file pipeline (``renkou.core.pipeline``).

The columns of the file are the mapping's (:mod:`renkou.feeds.mapping`); each row becomes one
:class:`~renkou.feeds.models.FeedRecord`. Every rule names the row, the department's column and the
field: a date in none of the mapping's formats, a code missing from its code table, an area not in
the county, a record number twice in the file. The import is all-or-nothing (one rejected row and
nothing is written) and idempotent twice over: a file whose content (SHA-256) the source has sent
before changes nothing, and a record whose number the source has sent before in another file is
kept as it was (counted as received before).

JSON files (a list of objects, or an object with a ``records`` list) are turned into a table first
— row *n* of the report is the (*n* − 1)-th object, the header being row 1 — while the content hash
is the original file's.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import tempfile
from pathlib import Path

from renkou.core import idnumber, pipeline
from renkou.core.models import Area
from renkou.core.pipeline import Col, ImportFailed, Row

from . import mapping as mp
from .models import FeedFile, FeedRecord, Source


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while piece := fh.read(1 << 20):
            h.update(piece)
    return h.hexdigest()


def json_to_csv(path: Path, encoding: str) -> Path:
    """A JSON feed as a temporary UTF-8 CSV (header: every key, in the order first met)."""
    enc = "utf-8-sig" if encoding in ("auto", "utf-8") else encoding
    try:
        data = json.loads(path.read_text(encoding=enc))
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path.name} 不是 {encoding} 编码的文本", f"{path.name} is not {encoding} text") from exc
    except json.JSONDecodeError as exc:
        raise ImportFailed(f"{path.name} 不是有效的 JSON(第 {exc.lineno} 行)",
                           f"{path.name} is not valid JSON (line {exc.lineno})") from exc
    if isinstance(data, dict):
        data = data.get("records")
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise ImportFailed(f"{path.name} 应为对象列表(或含 records 列表的对象)",
                           f"{path.name} must be a list of objects (or an object with a records list)")
    keys: dict[str, None] = {}
    for obj in data:
        keys.update(dict.fromkeys(obj))
    # named as the original, so that every message names the file the department sent
    name = Path(tempfile.mkdtemp(prefix="renkou-feed-")) / path.name
    with open(name, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(list(keys))
        for obj in data:
            w.writerow(["" if obj.get(k) is None else str(obj.get(k)) for k in keys])
    return name


class FeedImport(pipeline.FileImport):
    """One department file read with the source's current mapping."""

    chunk_size = 5000
    object_type = "feeds.feedfile"

    def __init__(self, path, *, source: Source, via: str = FeedFile.Via.CLI, original: Path | None = None,
                 sha256: str = "", **kw):
        self.source_obj = source
        self.mapping_obj = source.mapping()
        if self.mapping_obj is None:
            raise ImportFailed(f"来源 {source.code} 还没有映射", f"source {source.code} has no mapping yet")
        try:
            self.m = mp.parse(self.mapping_obj.spec)
        except mp.MappingInvalid as exc:
            raise ImportFailed(f"来源 {source.code} 的映射无效：{exc}", f"the mapping of {source.code} is invalid: {exc}") \
                from exc
        self.spec = pipeline.Spec("feed", tuple(Col(f, h.lower(), True)
                                                for f, h in self.m.headers.items()))
        self.via = via
        self.original = original or Path(path)
        self.sha = sha256
        self.file: FeedFile | None = None
        self.repeated = 0
        super().__init__(path, **kw)

    # -- the source's checks before anything is read
    def begin(self) -> None:
        county = self.source_obj.county_id
        self.areas = set(Area.objects.filter(code__startswith=county[:6]).values_list("code", flat=True))
        self.keys = pipeline.KeySet(self.scratch, "record")
        if self.m.encoding != "auto" and self.source.encoding is not None and self.m.format != "json":
            declared = "utf-8" if self.m.encoding == "utf-8" else "gb18030"
            found = "utf-8" if self.source.encoding.startswith("utf-8") else self.source.encoding
            ascii_only = found == "utf-8" and self._ascii()
            if found != declared and not ascii_only:
                raise ImportFailed(
                    f"{self.original.name} 的编码是 {found}，而来源 {self.source_obj.code} 的映射规定为 {declared}",
                    f"{self.original.name} is encoded in {found} but the mapping of {self.source_obj.code} "
                    f"says {declared}")
        if self.m.format == "xlsx" and not self.source.is_xlsx or self.m.format == "csv" and self.source.is_xlsx:
            raise ImportFailed(f"{self.original.name} 不是映射规定的 {self.m.format.upper()} 文件",
                               f"{self.original.name} is not a {self.m.format.upper()} file as the mapping says")

    def _ascii(self) -> bool:
        with open(self.source.path, "rb") as fh:
            while piece := fh.read(1 << 20):
                if any(b > 127 for b in piece):
                    return False
        return True

    # -- one chunk
    def _label(self, f: str) -> str:
        return f"{self.m.headers.get(f, f)}({mp.FIELDS[f][0]} {f})"

    def _code(self, r: Row, f: str) -> str:
        raw = r.raw.get(f, "").strip()
        table = self.m.codes.get(f)
        if raw and table is not None:
            if raw not in table:
                r.reject(f"{self._label(f)}: 代码 {raw[:30]} 不在映射的代码表中 / code {raw[:30]} is not in the "
                         "mapping's code table")
                return ""
            return str(table[raw])
        return raw

    def _date(self, r: Row, f: str) -> dt.date | None:
        text = r.raw.get(f, "")
        if not text:
            if f in self.m.required:
                r.reject(f"{self._label(f)}: 必填 / required")
            return None
        day = mp.parse_date(text, self.m.date_formats)
        if day is None:
            r.reject(f"{self._label(f)}: 日期 {text[:20]} 不符合映射的日期格式 {list(self.m.date_formats)} / date "
                     f"{text[:20]} is in none of the mapping's formats")
        elif day > self.today or day.year < 1880:
            r.reject(f"{self._label(f)}: 日期 {day} 不合理 / date {day} is implausible")
            return None
        return day

    def _id(self, r: Row, f: str) -> tuple[str, str]:
        raw = r.raw.get(f, "")
        if not raw:
            return "", ""
        info = idnumber.inspect(raw)
        if info.state in (idnumber.IdState.VALID, idnumber.IdState.CONVERTED):
            return info.number, str(info.state)
        r.flags.append(f"{self._label(f)}: 号码 {idnumber.mask(raw)} 无效({info.problems[0].zh if info.problems else ''})"
                       f"，按无号码记录比对 / invalid number, linked as a record without one")
        return idnumber.clean(raw)[:18], str(info.state)

    def check(self, rows: list[Row]) -> None:
        seen = self.keys.first_lines(r.raw.get("record_key", "") for r in rows)
        first: dict[str, int] = {}
        keys = [r.raw.get("record_key", "") for r in rows]
        before = set(FeedRecord.objects.filter(source=self.source_obj, record_key__in=[k for k in keys if k])
                     .values_list("record_key", flat=True))
        for r in rows:
            v = r.values
            for f in self.m.required:
                if f not in ("event_date",) and not r.raw.get(f, "").strip():
                    r.reject(f"{self._label(f)}: 必填 / required")
            key = r.raw.get("record_key", "").strip()
            if key:
                line = seen.get(key) or first.get(key)
                if line is not None:
                    r.reject(f"{self._label('record_key')}: {key[:30]} 在文件中重复(第 {line} 行) / appears twice in "
                             f"the file (row {line})")
                else:
                    first[key] = r.line
            if self.m.kind:
                v["kind"] = self.m.kind
            else:
                raw = r.raw.get("kind", "").strip()
                kind = self.m.kind_codes.get(raw)
                if kind is None:
                    r.reject(f"{self.m.kind_column}({mp.FIELDS['kind'][0]} kind): 代码 {raw[:30]} 不在映射的代码表中 / "
                             f"code {raw[:30]} is not in the mapping's code table")
                v["kind"] = kind or ""
            v["event_date"] = self._date(r, "event_date")
            v["birth_date"] = self._date(r, "birth_date") if "birth_date" in self.m.columns else None
            if v["kind"] == "birth" and v["birth_date"] is None:
                v["birth_date"] = v["event_date"]
            sex = self._code(r, "sex") if "sex" in self.m.columns else ""
            if sex and sex.lower() not in mp.SEX_WORDS and sex not in ("0", "9"):
                r.reject(f"{self._label('sex')}: {sex[:10]} 不是性别代码 / not a sex code (GB/T 2261.1)")
            v["sex"] = mp.SEX_WORDS.get(sex.lower()) if sex else None
            area = self._code(r, "area")
            if area:
                code = area.ljust(12, "0") if area.isdigit() and len(area) in (6, 9) else area
                if code not in self.areas:
                    r.reject(f"{self._label('area')}: 区划 {area[:20]} 不在 {self.source_obj.county.name} / area "
                             f"{area[:20]} is not in the source's county")
                v["area_id"] = code
            for f in ("name", "mother_name", "father_name", "spouse_name"):
                v[f] = r.raw.get(f, "").strip()[:60]
                if len(r.raw.get(f, "")) > 60:
                    r.reject(f"{self._label(f)}: 超过 60 字 / longer than 60 characters")
            v["id_number"], v["id_state"] = self._id(r, "id_number")
            for f in ("mother_id", "father_id", "spouse_id"):
                v[f] = self._id(r, f)[0]
            if v["id_state"] and v["id_state"] in ("valid", "converted"):
                info = idnumber.inspect(v["id_number"])
                for p in idnumber.agrees_with(info, v["birth_date"], v["sex"]):
                    r.flags.append(f"{self._label('id_number')}: {p.zh} / {p.en}")
            if not r.errors:
                r.action = "unchanged" if key in before else "create"
        self.keys.add((k, line, None) for k, line in first.items())

    def write(self, rows: list[Row]) -> None:
        if self.file is None:
            self.file = FeedFile.objects.create(
                source=self.source_obj, mapping=self.mapping_obj, name=self.original.name[:200], sha256=self.sha,
                via=self.via, received_by=self.user if getattr(self.user, "is_authenticated", False) else None,
                audit_event=self.batch_id)
        new = []
        for r in rows:
            if r.action == "unchanged":
                self.repeated += 1
                continue
            v = r.values
            data = {self.m.headers.get(f, f): r.raw.get(f, "") for f in self.m.headers}
            new.append({"source_id": self.source_obj.pk, "file_id": self.file.pk, "line": r.line,
                        "record_key": r.raw["record_key"].strip()[:60], "kind": v["kind"],
                        "event_date": v["event_date"], "month": mp.period_of(v["event_date"]),
                        "area_id": v["area_id"], "name": v["name"], "sex": v["sex"], "birth_date": v["birth_date"],
                        "id_number": v["id_number"], "id_state": v["id_state"], "mother_name": v["mother_name"],
                        "mother_id": v["mother_id"], "father_name": v["father_name"], "father_id": v["father_id"],
                        "spouse_name": v["spouse_name"], "spouse_id": v["spouse_id"],
                        "data": json.dumps(data, ensure_ascii=False),
                        "status": FeedRecord.Status.RECEIVED})
        pipeline.insert_rows(FeedRecord, new)

    def finish(self) -> None:
        if self.file is not None:
            n = FeedRecord.objects.filter(file=self.file).count()
            FeedFile.objects.filter(pk=self.file.pk).update(rows=self.result.total, records=n, repeated=self.repeated)
            self.result.created = n
            self.result.unchanged = self.repeated

    def rebatch(self, reserved: int, final: int) -> None:
        FeedFile.objects.filter(audit_event=reserved).update(audit_event=final)

    def audit_detail(self) -> dict:
        return {"source": self.source_obj.code, "county": self.source_obj.county_id,
                "mapping_version": self.mapping_obj.version, "via": self.via,
                "feed_file": self.file.pk if self.file else None}


def import_feed(source: Source, path: str | Path, *, user=None, via: str = FeedFile.Via.CLI, dry_run: bool = False,
                name: str = "", today: dt.date | None = None):
    """Read ``path`` with the source's current mapping. Returns ``(result, feed_file, repeated)``:
    ``repeated`` True when the source sent this very content before (nothing was read or written)."""
    path = Path(path)
    if not path.is_file():
        raise ImportFailed(f"文件 {path} 不存在", f"no such file {path}")
    sha = _sha256(path)
    earlier = FeedFile.objects.filter(source=source, sha256=sha).first()
    if earlier is not None:
        return None, earlier, True
    m = source.mapping()
    fmt = mp.parse(m.spec).format if m is not None else "csv"
    table = json_to_csv(path, mp.parse(m.spec).encoding) if fmt == "json" else path
    try:
        imp = FeedImport(table, source=source, via=via, original=Path(name) if name else path, sha256=sha,
                         user=user, dry_run=dry_run, today=today)
        result = imp.run()
    finally:
        if table != path:
            os.unlink(table)
            os.rmdir(table.parent)
    result.source = name or str(path)
    return result, imp.file if result.written or (not dry_run and imp.file) else None, False
