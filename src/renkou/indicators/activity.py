"""Import of the township monthly activity file (乡镇月度工作量, ``activity.csv`` / ``.xlsx``).

Each row (``docs/formats.md``) is one township and month: ``record_id``, ``area_code`` (the
township's 12-digit code), ``period`` (``YYYYMM``) and the seven counts of the monthly form
``activity_monthly`` (publicity sessions, people reached, trainings, training participants,
screenings, mobile service trips and kilometres). They are stored as the form's data values
(disaggregation total), exactly as if the township had typed them in.

All or nothing by default: one bad row (unknown or non-township area, bad month, a count that is
not a whole number ≥ 0, the same township and month twice, a form already approved) and nothing is
written; ``valid-rows`` writes the good rows. Importing the same file again changes nothing: a
value already stored with the same number is left alone. Every stored value goes through the
model, so each leaves its audit record and marks the indicators it feeds for recomputation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from renkou.core import areacodes, audit
from renkou.core.models import Area
from renkou.core.periods import Period
from renkou.core.scoping import CAPTURE, code_in_scope
from renkou.registry.importer import ImportFailed, read_table

from .models import Approval, DataElement, DataSet, DataValue

DATASET = "activity_monthly"
KEYS = (("record_id", "记录编号"), ("area_code", "乡镇区划代码"), ("period", "月份"))
COUNTS = (("publicity_sessions", "宣传活动场次"), ("people_reached", "受教育人次"), ("trainings", "培训班次"),
          ("training_participants", "培训人次"), ("screenings", "筛查人次"),
          ("mobile_service_trips", "流动服务车出车次数"), ("mobile_service_km", "流动服务车行驶公里"))


@dataclass
class ActivityRow:
    line: int
    record_id: str
    errors: list[str] = field(default_factory=list)
    action: str = ""  # create / update / unchanged / reject


@dataclass
class ActivityImportResult:
    source: str
    mode: str
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    written: bool = False
    values_stored: int = 0
    rows: list[ActivityRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rejected == 0

    def summary(self) -> str:
        state = "已写入 / written" if self.written else "未写入任何数据 / nothing was written"
        return (f"activity: {self.total} 行 rows — 新增 created {self.created}, 更新 updated {self.updated}, "
                f"未变 unchanged {self.unchanged}, 拒绝 rejected {self.rejected}; {state}")


def _columns(header: list[str], name: str) -> dict[str, int]:
    lookup = {}
    for en, zh in KEYS + COUNTS:
        lookup[en] = en
        lookup[zh] = en
    positions: dict[str, int] = {}
    for i, h in enumerate(header):
        key = lookup.get(h.strip().lstrip("\ufeff").lower()) or lookup.get(h.strip().lstrip("\ufeff"))
        if key and key not in positions:
            positions[key] = i
    missing = [(en, zh) for en, zh in KEYS + COUNTS if en not in positions]
    if missing:
        raise ImportFailed(f"{name} 缺少必需的列：{'、'.join(f'{zh}({en})' for en, zh in missing)}；表头为 {header[:20]}",
                           f"{name} lacks required column(s): {', '.join(en for en, _ in missing)}; "
                           f"the header is {header[:20]}")
    return positions


def import_activity(path: str | Path, *, user=None, mode: str = "all-or-nothing") -> ActivityImportResult:
    """Store the monthly activity of ``path`` as values of the ``activity_monthly`` form (see module text)."""
    path = Path(path)
    if mode not in ("all-or-nothing", "valid-rows"):
        raise ValueError(f"unknown mode {mode!r}")
    header, cells = read_table(path)
    pos = _columns(header, path.name)
    try:
        dataset = DataSet.objects.get(code=DATASET)
    except DataSet.DoesNotExist:
        from .services import load_catalog

        load_catalog()
        dataset = DataSet.objects.get(code=DATASET)
    elements = {e.code: e for e in DataElement.objects.filter(code__in=[c for c, _ in COUNTS])}
    townships = set(Area.objects.filter(level=Area.Level.TOWNSHIP).values_list("code", flat=True))
    approved = set(Approval.objects.filter(dataset=dataset).values_list("area_id", "period"))
    result = ActivityImportResult(source=str(path), mode=mode)
    good: list[tuple[ActivityRow, str, str, dict[str, Decimal]]] = []
    seen: dict[tuple[str, str], int] = {}
    for line, raw in enumerate(cells, start=2):
        if not any(raw):
            continue
        get = {k: (raw[i].strip() if i < len(raw) else "") for k, i in pos.items()}
        row = ActivityRow(line, get["record_id"])
        result.rows.append(row)
        result.total += 1
        if not row.record_id:
            row.errors.append("record_id: 必填 / required")
        code = get["area_code"].lstrip("'")
        area = areacodes.full_code(code) if code.isdigit() and len(code) in (9, 12) else code
        if area not in townships:
            row.errors.append(f"area_code: {code!r} 不是已有的乡级区划 / is not a township in the database")
        elif user is not None and not code_in_scope(user, area, CAPTURE):
            row.errors.append(f"area_code: {area} 不在您的填报范围内 / is outside your capture areas")
        period = get["period"]
        try:
            month = Period.parse(period)
            if month.kind != "month":
                raise ValueError(period)
        except ValueError:
            row.errors.append(f"period: {period!r} 应为月份 YYYYMM / must be a month YYYYMM")
            month = None
        values: dict[str, Decimal] = {}
        for col, zh in COUNTS:
            text = get[col]
            if not text.isdigit():
                row.errors.append(f"{col}: {zh} {text!r} 应为不小于 0 的整数 / must be a whole number ≥ 0")
            else:
                values[col] = Decimal(int(text))
        if month is not None and area in townships:
            key = (area, month.code)
            if key in seen:
                row.errors.append(f"area_code + period: {area} {month.code} 在文件中出现两次(已见于第 {seen[key]} 行) / "
                                  f"appears twice in the file (first on line {seen[key]})")
            else:
                seen[key] = line
            if key in approved:
                row.errors.append(f"period: {area} {month.code} 的月报已审批，须先撤销审批 / the form is approved: "
                                  "un-approve it before importing")
        if row.errors:
            row.action = "reject"
            result.rejected += 1
        else:
            good.append((row, area, month.code, values))
    if result.rejected and mode == "all-or-nothing":
        return result
    stored = {(v.element_id, v.area_id, v.period): v for v in DataValue.objects.filter(
        element__in=list(elements.values()), disaggregation="", area_id__in={a for _, a, _, _ in good},
        period__in={p for _, _, p, _ in good})}
    with transaction.atomic():
        for row, area, period, values in good:
            actions = set()
            for col, number in values.items():
                element = elements[col]
                old = stored.get((element.pk, area, period))
                if old is None:
                    DataValue.objects.create(element=element, disaggregation="", area_id=area, period=period,
                                             value=number, stored_by=user)
                    actions.add("create")
                    result.values_stored += 1
                elif old.value != number:
                    old.value, old.stored_by, old.updated = number, user, timezone.now()
                    old.save()
                    actions.add("update")
                    result.values_stored += 1
            row.action = "update" if "update" in actions else "create" if actions else "unchanged"
            if actions == {"create"}:
                result.created += 1
            elif actions:
                result.updated += 1
            else:
                result.unchanged += 1
        result.written = bool(result.created or result.updated)
        if result.written:
            audit.record("import", object_type="indicators.datavalue", object_repr=path.name[:200],
                         detail={"dataset": DATASET, "mode": mode, "rows": result.total, "created": result.created,
                                 "updated": result.updated, "unchanged": result.unchanged,
                                 "rejected": result.rejected, "values": result.values_stored})
    return result
