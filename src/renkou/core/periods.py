"""Reporting periods (统计期间): parse, format, iterate.

Codes follow DHIS2's period identifiers where one exists and add the
statistical year of the family-planning statistics system (计划生育统计年度):

============  ===============  =====================================================
kind          code             span
============  ===============  =====================================================
``year``      ``2005``         2005-01-01 … 2005-12-31
``half``      ``2005S1``       S1 = January–June, S2 = July–December (上/下半年)
``quarter``   ``2005Q3``       2005-07-01 … 2005-09-30
``month``     ``200507``       2005-07-01 … 2005-07-31
``stat_year`` ``2005SY``       2004-10-01 … 2005-09-30 (1 October of the previous
                               year to 30 September, 统计年度)
``day``       ``20050715``     one day
``range``     ``20050101-20050315``  any run of days, both ends inclusive
============  ===============  =====================================================

A :class:`Period` is a frozen value (``start``, ``end`` inclusive, ``kind``,
``code``); equal codes give equal periods, and periods sort by start, then end,
then kind.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

KINDS: tuple[str, ...] = ("day", "month", "quarter", "half", "stat_year", "year", "range")
"""Every period kind, the fixed-length ones from finest to coarsest, then ``range``."""

_CODE_HELP = "2005、2005S1、2005Q3、200507、2005SY、20050715、20050101-20050315"

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("range", re.compile(r"^(\d{8})-(\d{8})$")),
    ("day", re.compile(r"^(\d{4})(\d{2})(\d{2})$")),
    ("stat_year", re.compile(r"^(\d{4})SY$")),
    ("half", re.compile(r"^(\d{4})S([12])$")),
    ("quarter", re.compile(r"^(\d{4})Q([1-4])$")),
    ("month", re.compile(r"^(\d{4})(\d{2})$")),
    ("year", re.compile(r"^(\d{4})$")),
)

_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _invalid(code: object, why_zh: str = "", why_en: str = "") -> ValueError:
    zh = f"无效的期间代码 {code!r}：" + (why_zh or f"应为 {_CODE_HELP} 等形式")
    en = f"invalid period code {code!r}: " + (why_en or f"expected a form such as {_CODE_HELP}")
    return ValueError(f"{zh} / {en}")


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period: ``start`` … ``end`` (both inclusive)."""

    start: date
    end: date
    kind: str
    code: str

    # -- construction -----------------------------------------------------------------
    @classmethod
    def parse(cls, code: str) -> Period:
        """Parse a period code (see the module table); raise ``ValueError`` for junk."""
        if not isinstance(code, str):
            raise _invalid(code)
        text = code.strip().upper()
        for kind, pattern in _PATTERNS:
            m = pattern.match(text)
            if m:
                try:
                    return _build(kind, m.groups())
                except ValueError as exc:
                    if str(exc).startswith("无效的期间代码"):
                        raise
                    raise _invalid(code, "日期不存在", "no such date") from exc
        raise _invalid(code)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31), "year", f"{year:04d}")

    @classmethod
    def half(cls, year: int, half: int) -> Period:
        if half not in (1, 2):
            raise _invalid(f"{year}S{half}", "半年只能是 S1 或 S2", "half must be S1 or S2")
        first = 1 if half == 1 else 7
        return cls(date(year, first, 1), _month_end(year, first + 5), "half", f"{year:04d}S{half}")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        if quarter not in (1, 2, 3, 4):
            raise _invalid(f"{year}Q{quarter}", "季度只能是 Q1–Q4", "quarter must be Q1–Q4")
        first = 3 * quarter - 2
        return cls(date(year, first, 1), _month_end(year, first + 2), "quarter", f"{year:04d}Q{quarter}")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        if not 1 <= month <= 12:
            raise _invalid(f"{year:04d}{month:02d}", "月份应为 01–12", "month must be 01–12")
        return cls(date(year, month, 1), _month_end(year, month), "month", f"{year:04d}{month:02d}")

    @classmethod
    def stat_year(cls, year: int) -> Period:
        """Statistical year ``year``: 1 October of ``year - 1`` to 30 September of ``year``."""
        return cls(date(year - 1, 10, 1), date(year, 9, 30), "stat_year", f"{year:04d}SY")

    @classmethod
    def day(cls, d: date) -> Period:
        return cls(d, d, "day", d.strftime("%Y%m%d"))

    @classmethod
    def range(cls, start: date, end: date) -> Period:
        if end < start:
            raise _invalid(
                f"{start:%Y%m%d}-{end:%Y%m%d}", "结束日期早于开始日期", "the end is before the start"
            )
        return cls(start, end, "range", f"{start:%Y%m%d}-{end:%Y%m%d}")

    @classmethod
    def containing(cls, kind: str, d: date) -> Period:
        """The period of ``kind`` that contains day ``d`` (not defined for ``range``)."""
        if kind == "year":
            return cls.year(d.year)
        if kind == "half":
            return cls.half(d.year, 1 if d.month <= 6 else 2)
        if kind == "quarter":
            return cls.quarter(d.year, (d.month - 1) // 3 + 1)
        if kind == "month":
            return cls.month(d.year, d.month)
        if kind == "stat_year":
            return cls.stat_year(d.year + 1 if d.month >= 10 else d.year)
        if kind == "day":
            return cls.day(d)
        raise ValueError(
            f"未知或不可用的期间类型 {kind!r}（应为 {', '.join(KINDS[:-1])}） / "
            f"unknown or unusable period kind {kind!r}"
        )

    # -- queries ----------------------------------------------------------------------
    @property
    def days(self) -> int:
        """Number of days in the period (both ends counted)."""
        return (self.end - self.start).days + 1

    def contains(self, d: date | Period) -> bool:
        """True when day ``d`` (or the whole of period ``d``) lies inside this period."""
        if isinstance(d, Period):
            return self.start <= d.start and d.end <= self.end
        return self.start <= d <= self.end

    def previous(self) -> Period:
        """The period of the same kind just before (a ``range`` shifts by its own length)."""
        if self.kind == "range":
            return Period.range(self.start - timedelta(self.days), self.start - timedelta(1))
        return Period.containing(self.kind, self.start - timedelta(1))

    def next(self) -> Period:
        """The period of the same kind just after (a ``range`` shifts by its own length)."""
        if self.kind == "range":
            return Period.range(self.end + timedelta(1), self.end + timedelta(self.days))
        return Period.containing(self.kind, self.end + timedelta(1))

    def parent(self, kind: str) -> Period:
        """The period of ``kind`` that contains the whole of this one.

        Raises ``ValueError`` when no such period exists, e.g. the half-year
        ``2005S2`` (July–December) straddles the statistical years 2005SY and 2006SY.
        """
        candidate = Period.containing(kind, self.start)
        if not candidate.contains(self):
            raise ValueError(
                f"期间 {self.code} 跨越了多个{_KIND_ZH.get(kind, kind)}，没有唯一的上级期间 / "
                f"period {self.code} straddles several {kind} periods: no single parent"
            )
        return candidate

    def children(self, kind: str) -> list[Period]:
        """The periods of ``kind`` that exactly tile this one, in order.

        Raises ``ValueError`` when they do not tile it (e.g. the months of a
        year into statistical years).
        """
        parts = list(iterate(self.start, self.end, kind))
        if not parts or parts[0].start != self.start or parts[-1].end != self.end:
            raise ValueError(
                f"期间 {self.code} 不能恰好分成若干{_KIND_ZH.get(kind, kind)} / "
                f"period {self.code} is not an exact union of {kind} periods"
            )
        return parts

    def label(self, lang: str = "zh") -> str:
        """Human label: ``2005年第3季度`` / ``2005 Q3``; ``lang`` is ``zh`` or ``en``."""
        en = lang.lower().startswith("en")
        y = self.start.year
        if self.kind == "year":
            return f"{y}" if en else f"{y}年"
        if self.kind == "half":
            h = 1 if self.start.month == 1 else 2
            return f"{y} H{h}" if en else f"{y}年{'上' if h == 1 else '下'}半年"
        if self.kind == "quarter":
            q = (self.start.month - 1) // 3 + 1
            return f"{y} Q{q}" if en else f"{y}年第{q}季度"
        if self.kind == "month":
            m = self.start.month
            return f"{_EN_MONTHS[m - 1]} {y}" if en else f"{y}年{m}月"
        if self.kind == "stat_year":
            sy = self.end.year
            if en:
                return f"statistical year {sy} ({self.start.isoformat()} to {self.end.isoformat()})"
            return f"{sy}统计年度({self.start.isoformat()}至{self.end.isoformat()})"
        if self.kind == "day":
            d = self.start
            return d.isoformat() if en else f"{d.year}年{d.month}月{d.day}日"
        if en:
            return f"{self.start.isoformat()} to {self.end.isoformat()}"
        return f"{self.start.isoformat()}至{self.end.isoformat()}"

    def __str__(self) -> str:
        return self.code


_KIND_ZH = {
    "year": "年度",
    "half": "半年",
    "quarter": "季度",
    "month": "月份",
    "stat_year": "统计年度",
    "day": "日",
    "range": "日期区间",
}


def _build(kind: str, groups: tuple[str, ...]) -> Period:
    if kind == "range":
        start, end = (_parse_day(g) for g in groups)
        return Period.range(start, end)
    if kind == "day":
        return Period.day(date(int(groups[0]), int(groups[1]), int(groups[2])))
    year = int(groups[0])
    if year < 1:
        raise _invalid(groups[0], "年份必须大于 0", "the year must be positive")
    if kind == "stat_year":
        return Period.stat_year(year)
    if kind == "half":
        return Period.half(year, int(groups[1]))
    if kind == "quarter":
        return Period.quarter(year, int(groups[1]))
    if kind == "month":
        return Period.month(year, int(groups[1]))
    return Period.year(year)


def _parse_day(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


def parse_period(code: str) -> Period:
    """Shorthand for :meth:`Period.parse`."""
    return Period.parse(code)


def iterate(start: date, end: date, kind: str) -> Iterator[Period]:
    """Periods of ``kind`` from the one containing ``start`` to the one containing ``end``."""
    if end < start:
        return
    p = Period.containing(kind, start)
    while p.start <= end:
        yield p
        p = p.next()
