"""In-memory result of a synthetic county and the register's import format (导入格式).

:class:`SynthResult` holds one NumPy array per column for each kind of record
(persons, households, events, services, activity).  Column names are the English
headers of the import format documented in ``docs/formats.md``; the Chinese headers
are accepted on import as well.  Dates are ``datetime64[D]`` (NaT when empty), codes
and keys are ``object`` arrays of ``str`` ("" when empty), counts are ``int64``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .areas import AreaNode


@dataclass(frozen=True)
class Column:
    """One column of the import format."""

    name: str
    zh: str
    type: str  # "str", "code", "date", "int"
    required: bool


def _cols(*rows: tuple[str, str, str, bool]) -> tuple[Column, ...]:
    return tuple(Column(*r) for r in rows)


COLUMNS: dict[str, tuple[Column, ...]] = {
    "persons": _cols(
        ("person_key", "人员编号", "str", True),
        ("id_number", "公民身份号码", "str", False),
        ("name", "姓名", "str", True),
        ("sex", "性别", "code", True),
        ("birth_date", "出生日期", "date", True),
        ("ethnicity", "民族", "code", True),
        ("marital_status", "婚姻状况", "code", True),
        ("household_key", "户编号", "str", True),
        ("relation_to_head", "与户主关系", "code", False),
        ("area_code", "现住地区划代码", "code", True),
        ("urban_rural", "城乡分类代码", "code", False),
        ("registration", "户籍类别", "code", True),
        ("home_county_code", "户籍地县级代码", "code", True),
        ("birthplace_code", "出生地县级代码", "code", False),
        ("status", "人员状态", "code", True),
        ("entry_date", "登记日期", "date", True),
        ("exit_date", "注销日期", "date", False),
        ("mother_key", "母亲人员编号", "str", False),
        ("father_key", "父亲人员编号", "str", False),
        ("spouse_key", "配偶人员编号", "str", False),
        ("birth_order", "孩次", "int", False),
        ("herder", "牧业人口", "int", False),
    ),
    "households": _cols(
        ("household_key", "户编号", "str", True),
        ("area_code", "住址区划代码", "code", True),
        ("urban_rural", "城乡分类代码", "code", False),
        ("head_key", "户主人员编号", "str", False),
        ("kind", "户类别", "code", True),
        ("herder", "牧业户", "int", False),
        ("established_date", "立户日期", "date", True),
        ("dissolved_date", "销户日期", "date", False),
        ("size", "现有人数", "int", False),
    ),
    "events": _cols(
        ("record_id", "记录编号", "str", True),
        ("kind", "事件类型", "code", True),
        ("person_key", "当事人人员编号", "str", True),
        ("event_date", "发生日期", "date", True),
        ("registration_date", "登记日期", "date", False),
        ("registration_state", "登记状态", "code", True),
        ("area_code", "发生地区划代码", "code", True),
        ("mother_key", "母亲人员编号", "str", False),
        ("father_key", "父亲人员编号", "str", False),
        ("spouse_key", "配偶人员编号", "str", False),
        ("birth_order", "孩次", "int", False),
        ("plurality", "胎数", "int", False),
        ("delivery_place", "分娩地点", "code", False),
        ("from_code", "迁出地代码", "code", False),
        ("to_code", "迁入地代码", "code", False),
    ),
    "services": _cols(
        ("record_id", "记录编号", "str", True),
        ("person_key", "服务对象人员编号", "str", True),
        ("service", "服务项目", "code", True),
        ("service_date", "服务日期", "date", True),
        ("area_code", "服务地区划代码", "code", True),
        ("provider", "服务机构", "code", True),
        ("method", "避孕方法", "code", False),
        ("consent", "知情同意", "code", True),
        ("consent_date", "同意日期", "date", True),
    ),
    "activity": _cols(
        ("record_id", "记录编号", "str", True),
        ("area_code", "乡镇区划代码", "code", True),
        ("period", "月份", "str", True),
        ("publicity_sessions", "宣传活动场次", "int", True),
        ("people_reached", "受教育人次", "int", True),
        ("trainings", "培训班次", "int", True),
        ("training_participants", "培训人次", "int", True),
        ("screenings", "筛查人次", "int", True),
        ("mobile_service_trips", "流动服务车出车次数", "int", True),
        ("mobile_service_km", "流动服务车行驶公里", "int", True),
    ),
}

KINDS = tuple(COLUMNS)

Table = dict[str, np.ndarray]


@dataclass
class SynthResult:
    """A generated county: areas, five tables of NumPy columns, and the ground truth."""

    county_code: str
    reference_date: np.datetime64
    areas: list[AreaNode]
    persons: Table
    households: Table
    events: Table
    services: Table
    activity: Table
    ground_truth: dict[str, Any] = field(default_factory=dict)

    def table(self, kind: str) -> Table:
        return getattr(self, kind)

    def rows(self, kind: str) -> int:
        t = self.table(kind)
        return len(next(iter(t.values()))) if t else 0


def empty_table(kind: str) -> Table:
    """A table of the given kind with no rows, typed by the format."""
    dt = {"str": object, "code": object, "date": "datetime64[D]", "int": np.int64}
    return {c.name: np.empty(0, dtype=dt[c.type]) for c in COLUMNS[kind]}
