"""Service agreements from a file (CSV or XLSX) on the one import pipeline: all or nothing, each bad
row named with its field and rule; the same file again records nothing twice (agreement numbers).

Columns: number 协议编号, party 签约方, kind 类型 (landlord/employer or 房东/用工单位), contact 联系方式,
area 区划代码, start 起始日期, end 终止日期, party_provides 签约方提供, bureau_provides 服务机构提供
(items separated by ``;``), migrants 服务对象身份证号 (ID numbers separated by ``;``: persons with an
inflow record in the user's areas).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from renkou.core import pipeline
from renkou.core.models import Area
from renkou.core.scoping import CAPTURE, code_in_scope

from .models import Agreement, MigrantRecord, Party

SPEC = pipeline.Spec("migrant_agreements", (
    pipeline.Col("number", "协议编号", required=True),
    pipeline.Col("party", "签约方", required=True),
    pipeline.Col("kind", "类型", required=True),
    pipeline.Col("contact", "联系方式"),
    pipeline.Col("area", "区划代码", required=True),
    pipeline.Col("start", "起始日期", required=True),
    pipeline.Col("end", "终止日期", required=True),
    pipeline.Col("party_provides", "签约方提供"),
    pipeline.Col("bureau_provides", "服务机构提供"),
    pipeline.Col("migrants", "服务对象身份证号"),
))
KINDS = {"landlord": "landlord", "房东": "landlord", "employer": "employer", "用工单位": "employer"}


def _items(text: str) -> str:
    return "\n".join(x.strip() for x in text.replace("；", ";").split(";") if x.strip())


class AgreementImport(pipeline.FileImport):
    spec = SPEC
    chunk_size = None
    object_type = "migrants.agreement"

    def __init__(self, path, *, user, today: dt.date | None = None):
        super().__init__(path, user=user, today=today)
        self.accepted: list[dict] = []
        self.created: list[Agreement] = []

    def check(self, rows):
        seen: dict[str, int] = {}
        for row in rows:
            raw = {k: (v or "").strip() for k, v in row.raw.items()}
            number = raw["number"]
            if number in seen:
                row.reject(f"协议编号：与第 {seen[number]} 行重复 / number: repeats row {seen[number]}")
            seen.setdefault(number, row.line)
            kind = KINDS.get(raw["kind"].lower())
            if kind is None:
                row.reject(f"类型：“{raw['kind']}” 应为 房东 或 用工单位 / kind: {raw['kind']!r} must be landlord "
                           "or employer")
            area = Area.objects.filter(code=raw["area"]).first() if raw["area"].isdigit() else None
            if area is None:
                row.reject(f"区划代码：“{raw['area']}” 不是已知区划 / area: {raw['area']!r} is not a known area")
            elif self.user is not None and not code_in_scope(self.user, area.code, CAPTURE):
                row.reject(f"区划代码：{area.code} 不在您的管辖范围 / area: {area.code} is outside your areas")
            days = {}
            for field in ("start", "end"):
                try:
                    days[field] = dt.date.fromisoformat(raw[field])
                except ValueError:
                    row.reject(f"{'起始日期' if field == 'start' else '终止日期'}：“{raw[field]}” 不是日期(YYYY-MM-DD) / "
                               f"{field}: {raw[field]!r} is not a date (YYYY-MM-DD)")
            if len(days) == 2 and days["end"] < days["start"]:
                row.reject("终止日期：早于起始日期 / end: before start")
            records = []
            for number_ in [x.strip().upper() for x in raw.get("migrants", "").replace("；", ";").split(";") if x.strip()]:
                rec = MigrantRecord.objects.filter(direction="inflow", person__id_number=number_).first()
                if rec is None or (self.user is not None and not code_in_scope(self.user, rec.resident_area_id, CAPTURE)):
                    row.reject(f"服务对象身份证号：{number_} 不是您辖区的流入人员 / migrants: {number_} is not an inflow "
                               "migrant of your areas")
                else:
                    records.append(rec)
            if row.errors:
                continue
            if Agreement.objects.filter(number=number).exists():
                row.action = "unchanged"
                continue
            row.action = "create"
            self.accepted.append({"number": number, "party": raw["party"], "kind": kind, "contact": raw.get("contact", ""),
                                  "area": area, **days, "party_provides": _items(raw.get("party_provides", "")),
                                  "bureau_provides": _items(raw.get("bureau_provides", "")), "records": records})

    def write(self, rows):
        """Agreements are written in :meth:`finish`, once every row of the file was checked."""

    def finish(self):
        for a in self.accepted:
            party, _ = Party.objects.get_or_create(name=a["party"], kind=a["kind"], area=a["area"],
                                                   defaults={"contact": a["contact"]})
            agreement = Agreement.objects.create(number=a["number"], party=party, area=a["area"], start=a["start"],
                                                 end=a["end"], party_provides=a["party_provides"],
                                                 bureau_provides=a["bureau_provides"])
            agreement.migrants.set(a["records"])
            self.created.append(agreement)

    def audit_detail(self):
        return {"agreements": len(self.created)}


def import_agreements(user, *, filename: str, content: bytes, today: dt.date | None = None) -> dict:
    """Import service agreements; returns what was recorded and each rejected row."""
    with pipeline.spooled(content, filename) as path:
        job = AgreementImport(path, user=user, today=today)
        try:
            res = job.run()
        except pipeline.ImportFailed as exc:
            return {"ok": False, "written": False, "created": 0, "unchanged": 0, "rejected": 0,
                    "errors": [{"row": 0, "message": str(exc)}], "sha256": hashlib.sha256(content).hexdigest()}
    return {"ok": res.ok, "written": res.written, "created": res.created, "unchanged": res.unchanged,
            "rejected": res.rejected,
            "errors": [{"row": r.line, "message": "; ".join(r.errors)} for r in res.rows if r.errors],
            "sha256": hashlib.sha256(content).hexdigest()}
