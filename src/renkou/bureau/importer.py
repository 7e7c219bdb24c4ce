"""Files of the bureau's records read on the one import pipeline (:mod:`renkou.core.pipeline`).

Kinds: ``events`` (publicity sessions, campaigns, training), ``staff`` (posts), ``trips`` (mobile
vehicle trips) and ``screening`` (examinations of a campaign, coded outcomes). A file is applied
all or nothing: any row that is unreadable, names an area outside the user's areas or repeats
another row refuses the whole file, each error naming its row, field and rule; the same file
imported again writes nothing twice (each row's key is the file's hash and the row's line, or the
row's own number).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.exceptions import PermissionDenied, ValidationError

from renkou.core import pipeline
from renkou.core.models import Area

from .models import Event, ScreeningRecord, StaffPost

SPECS = {
    "events": pipeline.Spec("bureau_events", (
        pipeline.Col("area", "区划代码", required=True), pipeline.Col("kind", "类别", required=True),
        pipeline.Col("held_on", "日期", required=True), pipeline.Col("place", "地点", required=True),
        pipeline.Col("reached", "受众人数", required=True), pipeline.Col("organiser", "组织者"),
        pipeline.Col("campaign", "活动"), pipeline.Col("audience", "对象"), pipeline.Col("leaflets", "传单"),
        pipeline.Col("handbooks", "手册"), pipeline.Col("number", "编号"))),
    "staff": pipeline.Spec("bureau_staff", (
        pipeline.Col("area", "区划代码", required=True), pipeline.Col("kind", "岗位", required=True),
        pipeline.Col("name", "姓名", required=True), pipeline.Col("started_on", "上岗日期", required=True),
        pipeline.Col("qualified", "持证"), pipeline.Col("qualification", "资格"), pipeline.Col("training", "培训"))),
    "screening": pipeline.Spec("bureau_screening", (
        pipeline.Col("campaign", "普查编号", required=True), pipeline.Col("area", "区划代码", required=True),
        pipeline.Col("number", "检查编号", required=True), pipeline.Col("examined_on", "检查日期", required=True),
        pipeline.Col("consent", "知情同意", required=True), pipeline.Col("outcome", "结果", required=True))),
}
YES = {"1", "是", "yes", "y", "true"}
NO = {"", "0", "否", "no", "n", "false"}


def _choice(row, raw, field, zh, choices, *, blank_ok=False):
    value = raw.get(field, "")
    if blank_ok and not value:
        return ""
    labels = {str(label): key for key, label in choices}
    if value in dict(choices):
        return value
    if value in labels:
        return labels[value]
    row.reject(f"{zh}：“{value}” 不是可选的值 / {field}: {value!r} is not one of {', '.join(k for k, _ in choices if k)}")
    return None


def _date(row, raw, field, zh, today):
    try:
        day = dt.date.fromisoformat(raw[field])
    except ValueError:
        row.reject(f"{zh}：“{raw[field]}” 不是日期(YYYY-MM-DD) / {field}: {raw[field]!r} is not a date (YYYY-MM-DD)")
        return None
    if day > today:
        row.reject(f"{zh}：{day} 晚于今天 / {field}: {day} is in the future")
    return day


def _count(row, raw, field, zh, *, required=False):
    value = raw.get(field, "")
    if not value and not required:
        return 0
    try:
        n = int(value)
        if n < 0:
            raise ValueError
        return n
    except ValueError:
        row.reject(f"{zh}：“{value}” 不是非负整数 / {field}: {value!r} is not a whole number ≥ 0")
        return None


class BureauImport(pipeline.FileImport):
    chunk_size = None

    def __init__(self, path, *, kind: str, user, today: dt.date | None = None):
        self.spec = SPECS[kind]
        self.kind = kind
        self.object_type = f"bureau.{kind}"
        super().__init__(path, user=user, today=today)
        self.accepted: list[dict] = []
        self.created: list = []

    def _area(self, row, raw):
        from . import services

        code = raw["area"]
        area = Area.objects.filter(pk=code).first()
        if area is None:
            row.reject(f"区划代码：没有代码为 “{code}” 的区划 / area: no area coded {code!r}")
            return None
        try:
            services._may(self.user, code)
        except PermissionDenied:
            row.reject(f"区划代码：{code} 不在您的范围 / area: {code} is outside your areas")
            return None
        return area

    def check(self, rows):
        from .models import ScreeningCampaign

        digest = self.source.sha256
        seen: dict[str, int] = {}
        for row in rows:
            raw = {k: (v or "").strip() for k, v in row.raw.items()}
            area = self._area(row, raw)
            v: dict = {"area": area.pk if area else None}
            if self.kind == "events":
                v["kind"] = _choice(row, raw, "kind", "类别", Event.Kind.choices)
                v["organiser"] = _choice(row, raw, "organiser", "组织者", Event.Organiser.choices, blank_ok=True) or "bureau"
                v["campaign"] = _choice(row, raw, "campaign", "活动", Event.Campaign.choices, blank_ok=True)
                v["held_on"] = _date(row, raw, "held_on", "日期", self.today)
                v["reached"] = _count(row, raw, "reached", "受众人数", required=True)
                v["leaflets"] = _count(row, raw, "leaflets", "传单")
                v["handbooks"] = _count(row, raw, "handbooks", "手册")
                v["place"], v["audience"] = raw["place"][:200], raw.get("audience", "")[:200]
                key = f"file:{raw['number']}" if raw.get("number") else f"file:{digest[:24]}:{row.line}"
                v["source_key"] = key
                if Event.objects.filter(source_key=key).exists():
                    row.action = "unchanged"
                    continue
            elif self.kind == "staff":
                v["kind"] = _choice(row, raw, "kind", "岗位", StaffPost.Kind.choices)
                v["started_on"] = _date(row, raw, "started_on", "上岗日期", self.today)
                q = raw.get("qualified", "").lower()
                if q not in YES | NO:
                    row.reject(f"持证：“{raw['qualified']}” 应为 是/否 / qualified: {raw['qualified']!r} is not yes/no")
                v["qualified"] = q in YES
                v["name"], v["qualification"], v["training"] = raw["name"][:100], raw.get("qualification", ""), raw.get("training", "")
                key = f"{raw['area']}:{raw['name']}:{raw['kind']}"
            else:
                camp = ScreeningCampaign.objects.filter(pk=raw["campaign"]).first() if raw["campaign"].isdigit() else None
                if camp is None:
                    row.reject(f"普查编号：没有编号为 “{raw['campaign']}” 的普查 / campaign: no campaign numbered {raw['campaign']!r}")
                v["campaign"] = camp
                v["examined_on"] = _date(row, raw, "examined_on", "检查日期", self.today)
                if raw["consent"].lower() not in YES:
                    row.reject("知情同意：未经本人同意不检查、不登记 / consent: no examination is recorded without consent")
                v["outcome"] = _choice(row, raw, "outcome", "结果", ScreeningRecord.Outcome.choices)
                v["number"] = raw["number"][:40]
                key = f"{raw['campaign']}:{raw['number']}"
                if camp and ScreeningRecord.objects.filter(campaign=camp, number=v["number"]).exists():
                    row.action = "unchanged"
                    continue
            if key in seen:
                row.reject(f"与第 {seen[key]} 行重复 / repeats row {seen[key]}")
            if row.errors:
                continue
            seen[key] = row.line
            row.action = "create"
            self.accepted.append(v)

    def write(self, rows):
        """Records are written in :meth:`finish`, once every row of the file was checked."""

    def finish(self):
        from . import services

        for v in self.accepted:
            try:
                if self.kind == "events":
                    self.created.append(services.record_event(user=self.user, **v))
                elif self.kind == "staff":
                    self.created.append(services.add_staff(user=self.user, **v))
                else:
                    camp = v.pop("campaign")
                    self.created.append(services.screen(camp, user=self.user, consent=True, **v))
            except ValidationError as exc:
                raise pipeline.ImportFailed(str(exc), str(exc)) from exc

    def audit_detail(self):
        return {"kind": self.kind, "created": len(self.created)}


def import_file(user, kind: str, *, filename: str, content: bytes, today: dt.date | None = None) -> dict:
    """Import a file of ``kind``; returns what was recorded and each rejected row (nothing written then)."""
    if kind not in SPECS:
        raise ValueError(f"kind: {kind!r} is not one of {', '.join(SPECS)}")
    with pipeline.spooled(content, filename) as path:
        job = BureauImport(path, kind=kind, user=user, today=today)
        try:
            res = job.run()
        except pipeline.ImportFailed as exc:
            return {"ok": False, "written": False, "created": 0, "unchanged": 0,
                    "errors": [{"row": 0, "message": str(exc)}], "sha256": hashlib.sha256(content).hexdigest()}
    return {"ok": res.ok, "written": res.written, "created": res.created, "unchanged": res.unchanged,
            "errors": [{"row": r.line, "message": "; ".join(r.errors)} for r in res.rows if r.errors],
            "sha256": hashlib.sha256(content).hexdigest()}
