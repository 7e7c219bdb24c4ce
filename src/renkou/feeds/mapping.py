"""A source's mapping: how a department's file is read, as data (JSON), checked here.

A mapping is a JSON object::

    {
      "format": "csv" | "xlsx" | "json",         # JSON: a list of objects, or {"records": [...]}
      "encoding": "auto" | "utf-8" | "gb18030",   # CSV/JSON; "auto" tells UTF-8 from GBK/GB18030
      "kind": "birth"                             # every record the same kind, or
      "kind": {"column": "变动类别", "codes": {"出生": "birth", "死亡": "death", ...}},
      "columns": {"record_key": "证明编号", "name": "新生儿姓名", "event_date": "出生日期", ...},
      "codes": {"sex": {"男": 1, "女": 2}, "area": {"城关派出所": "540102001000"}},
      "date_formats": ["%Y-%m-%d", "%Y%m%d", "%Y年%m月%d日"],
      "required": ["mother_name"]                 # fields required beyond the always-required ones
    }

``columns`` maps the fields of a department record (:data:`FIELDS`) to the department's column
headers. ``codes`` maps a department's own codes to GB codes: for ``sex`` to GB/T 2261.1 (1 male,
2 female), for ``area`` to a 12-digit division code (a department's police-station or hospital
codes); a field without a code table takes GB codes as they are (``sex`` also 男/女, ``area`` a 6-,
9- or 12-digit division code). An unknown code rejects the row, naming it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

FORMATS = ("csv", "xlsx", "json")
ENCODINGS = ("auto", "utf-8", "gb18030")
KINDS = ("birth", "death", "move_in", "move_out", "marriage", "divorce", "enrolment", "business")
# field → (Chinese label, English label)
FIELDS: dict[str, tuple[str, str]] = {
    "record_key": ("记录编号", "record number"),
    "event_date": ("事件日期", "event date"),
    "area": ("地区", "area"),
    "name": ("姓名", "name"),
    "sex": ("性别", "sex"),
    "birth_date": ("出生日期", "birth date"),
    "id_number": ("身份证号", "ID number"),
    "mother_name": ("母亲姓名", "mother's name"),
    "mother_id": ("母亲身份证号", "mother's ID number"),
    "father_name": ("父亲姓名", "father's name"),
    "father_id": ("父亲身份证号", "father's ID number"),
    "spouse_name": ("配偶姓名", "spouse's name"),
    "spouse_id": ("配偶身份证号", "spouse's ID number"),
    "kind": ("记录类别", "kind of record"),
}
ALWAYS_REQUIRED = ("record_key", "event_date", "area")
DEFAULT_DATES = ["%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]
SEX_WORDS = {"1": 1, "2": 2, "男": 1, "女": 2, "m": 1, "f": 2}


class MappingInvalid(ValueError):
    """A mapping that cannot be used, with every problem in both languages."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{zh} / {en}" for zh, en in problems))
        self.problems = problems


@dataclass(frozen=True)
class Spec:
    format: str
    encoding: str
    kind: str | None  # one kind for every record, or None: from ``kind_column`` through ``kind_codes``
    kind_column: str
    kind_codes: dict[str, str]
    columns: dict[str, str]  # field → header
    codes: dict[str, dict[str, Any]]
    date_formats: tuple[str, ...]
    required: tuple[str, ...]

    @property
    def headers(self) -> dict[str, str]:
        """field → header of every column the file must have or may have (the kind's column too)."""
        out = dict(self.columns)
        if self.kind_column:
            out["kind"] = self.kind_column
        return out


def parse(spec: dict | str) -> Spec:
    """The mapping checked; raises :class:`MappingInvalid` naming every problem."""
    problems: list[tuple[str, str]] = []
    if isinstance(spec, str):
        try:
            spec = json.loads(spec)
        except json.JSONDecodeError as exc:
            raise MappingInvalid([(f"不是有效的 JSON(第 {exc.lineno} 行)", f"not valid JSON (line {exc.lineno})")]) \
                from exc
    if not isinstance(spec, dict):
        raise MappingInvalid([("映射应为 JSON 对象", "a mapping is a JSON object")])
    fmt = spec.get("format", "csv")
    if fmt not in FORMATS:
        problems.append((f"格式 {fmt} 未知(应为 csv、xlsx 或 json)", f"unknown format {fmt} (csv, xlsx or json)"))
    enc = spec.get("encoding", "auto")
    if enc not in ENCODINGS:
        problems.append((f"编码 {enc} 未知(应为 auto、utf-8 或 gb18030)", f"unknown encoding {enc}"))
    columns = spec.get("columns") or {}
    if not isinstance(columns, dict):
        problems.append(("columns 应为 字段 → 列名 的对象", "columns must map fields to headers"))
        columns = {}
    for f in columns:
        if f not in FIELDS or f == "kind":
            problems.append((f"未知字段 {f}", f"unknown field {f}"))
    kind, kind_column, kind_codes = spec.get("kind"), "", {}
    if isinstance(kind, dict):
        kind_column, kind_codes, kind = str(kind.get("column", "")), dict(kind.get("codes") or {}), None
        if not kind_column or not kind_codes:
            problems.append(("kind 应有 column 和 codes", "kind needs a column and codes"))
        bad = sorted({v for v in kind_codes.values() if v not in KINDS})
        if bad:
            problems.append((f"未知的记录类别 {bad}", f"unknown kinds of record {bad}"))
    elif kind not in KINDS:
        problems.append((f"记录类别 {kind} 未知", f"unknown kind of record {kind}"))
    for f in ALWAYS_REQUIRED:
        if f not in columns:
            problems.append((f"缺少必需字段 {f}({FIELDS[f][0]})的列", f"no column for the required field {f}"))
    if "name" not in columns and "birth_date" not in columns and "id_number" not in columns:
        problems.append(("至少应有姓名、出生日期或身份证号之一", "name, birth date or ID number needed"))
    codes = spec.get("codes") or {}
    if not isinstance(codes, dict) or not all(isinstance(v, dict) for v in codes.values()):
        problems.append(("codes 应为 字段 → {代码: 国标代码} 的对象", "codes must map fields to code tables"))
        codes = {}
    for f in codes:
        if f not in FIELDS:
            problems.append((f"代码表的字段 {f} 未知", f"code table for an unknown field {f}"))
    for v in (codes.get("sex") or {}).values():
        if v not in (0, 1, 2, 9, "0", "1", "2", "9"):
            problems.append((f"性别代码表中的 {v} 不是国标代码", f"{v} in the sex table is not a GB/T 2261.1 code"))
    for v in (codes.get("area") or {}).values():
        if not (isinstance(v, str) and v.isdigit() and len(v) in (6, 9, 12)):
            problems.append((f"地区代码表中的 {v} 不是区划代码", f"{v} in the area table is not a division code"))
    formats = spec.get("date_formats") or DEFAULT_DATES
    if not isinstance(formats, list) or not all(isinstance(x, str) and "%" in x for x in formats):
        problems.append(("date_formats 应为格式字符串列表(如 %Y-%m-%d)", "date_formats: a list such as %Y-%m-%d"))
        formats = DEFAULT_DATES
    required = spec.get("required") or []
    for f in required:
        if f not in columns:
            problems.append((f"必填字段 {f} 没有对应的列", f"required field {f} has no column"))
    if problems:
        raise MappingInvalid(problems)
    return Spec(fmt, enc, kind, kind_column, kind_codes, {k: str(v) for k, v in columns.items()},
                {k: {str(c): v for c, v in t.items()} for k, t in codes.items()}, tuple(formats),
                tuple(dict.fromkeys([*ALWAYS_REQUIRED, *required])))


def parse_date(text: str, formats: tuple[str, ...]) -> dt.date | None:
    """The date in the first format that reads it; None when none does."""
    text = (text or "").strip()
    if not text:
        return None
    texts = [text]
    if "T" in text or " " in text and ":" in text:  # a date and a time (出生日期时间): or the date alone
        texts.append(text.replace("T", " ").split(" ")[0])
    for t in texts:
        for f in formats:
            try:
                return dt.datetime.strptime(t, f).date()
            except ValueError:
                continue
    return None


def period_of(day: dt.date) -> str:
    return f"{day:%Y-%m}"
