"""Synthetic department files drawn from a (synthetic) county register, with the faults real files have.

:func:`generate` reads the register's events of a county and year and writes, in the departments'
own columns and codes (the shipped mappings of ``data/mappings``), one file per source and month:

- 公安 hukou changes (births, deaths, moves in and out), UTF-8 CSV;
- 卫生 birth notices (出生医学证明) of the births, with the mother's ID number when she has one;
- 民政 marriages, GB18030 CSV with dates as ``2005年03月01日``.

Noise, each drawn with its own rate from the seed: names typed with a homophone (张/章, 李/理 …),
day and month swapped, a newborn without an ID number, an old 15-digit number, a record months
late (its file is a later month's), births that are in no register (the truth says so), and no
ID number at all on a share of hukou records. ``ground_truth.json`` names for every record the
register person it describes (or none), and the noise it carries.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from renkou.core.idnumber import check_character

HOMOPHONES = {"张": "章", "章": "张", "李": "理", "王": "汪", "汪": "王", "陈": "程", "程": "陈", "林": "琳", "刘": "留",
              "杨": "阳", "黄": "皇", "周": "舟", "吴": "伍", "徐": "许", "许": "徐", "孙": "荪", "马": "玛", "朱": "珠",
              "胡": "湖", "郭": "国", "何": "和", "高": "皋", "罗": "萝", "丽": "莉", "芳": "方", "明": "铭", "华": "化",
              "伟": "玮", "英": "瑛", "军": "君", "平": "萍", "梅": "媚", "兰": "岚", "红": "虹", "建": "健", "国": "帼",
              "秀": "绣", "玉": "钰", "小": "晓", "云": "芸"}
RATES = {"homophone": 0.06, "swap": 0.03, "no_id_newborn": 0.5, "id15": 0.05, "late": 0.04, "unregistered": 0.03,
         "no_id": 0.08}
BIRTH_HEADER = ["出生医学证明编号", "新生儿姓名", "性别", "出生日期时间", "母亲户籍地编码", "母亲姓名", "母亲身份证号",
                "父亲姓名", "父亲身份证号"]
HUKOU_HEADER = ["业务流水号", "公民身份号码", "姓名", "性别", "出生日期", "变动日期", "户籍地行政区划", "变动类别",
                "母亲姓名", "父亲姓名"]
MARRIAGE_HEADER = ["登记证字号", "登记日期", "女方户籍地", "女方姓名", "女方证件号", "男方姓名", "男方证件号", "登记类别"]
HUKOU_KINDS = {"birth": "出生登记", "death": "死亡注销", "move_in": "迁入", "move_out": "迁出"}
UNREGISTERED_NAMES = "刘洋陈静杨帆赵磊黄敏周婷吴昊徐丹孙浩马琳朱涛胡月郭鹏何欣高宇林悦罗晨"


@dataclass
class Truth:
    source: str
    record_key: str
    person: int | None  # the register person the record describes; None: in no register
    noise: list[str] = field(default_factory=list)


def typo(name: str, rng: random.Random) -> str:
    """The name with one character replaced by a homophone (the surname when it has one)."""
    for i, ch in enumerate(name):
        if ch in HOMOPHONES and HOMOPHONES[ch] != ch:
            return name[:i] + HOMOPHONES[ch] + name[i + 1:]
    return name


def id15(number: str) -> str:
    """The 15-digit number of the old card for an 18-digit number of the 1900s."""
    return number[:6] + number[8:17]


def fake_id(county: str, born: dt.date, seq: int) -> str:
    body = f"{county}{born:%Y%m%d}{seq % 1000:03d}"
    return body + check_character(body)


def _swap(day: dt.date) -> dt.date | None:
    if day.day <= 12 and day.day != day.month:
        return dt.date(day.year, day.day, day.month)
    return None


# The columns of the persons an event names that the files are written from (the rest is not read).
_FIELDS = ("id", "name", "id_number", "sex", "birth_date")
# the event's subject, the subject's parents, the event's mother, father and spouse: read as values (no
# model instance per person), in this order, _FIELDS of each
_WHO = ("subject", "subject__mother", "subject__father", "mother", "father", "spouse")
_EVENT_PERSON_COLUMNS = [f"{who}__{col}" for who in _WHO for col in _FIELDS]


@dataclass
class _PersonRow:
    pk: int
    name: str
    id_number: str | None
    sex: int | None
    birth_date: dt.date | None
    mother: _PersonRow | None = None
    father: _PersonRow | None = None


@dataclass
class _EventRow:
    kind: str
    event_date: dt.date
    area_id: str
    subject: _PersonRow
    mother: _PersonRow | None
    father: _PersonRow | None
    spouse: _PersonRow | None


def _person(pk=None, name="", id_number=None, sex=None, birth_date=None, mother=None, father=None):
    return None if pk is None else _PersonRow(pk, name, id_number, sex, birth_date, mother, father)


def _split(values: list) -> list[tuple]:
    n = len(_FIELDS)
    return [tuple(values[i:i + n]) for i in range(0, len(values), n)]


def generate(county: str, year: int, out: str | Path, *, seed: int = 2005, rates: dict | None = None,
             unregistered: list[dict] | None = None) -> dict:
    """Write the department files of ``county`` (6 digits) for ``year`` under ``out/<source code>/``
    and ``out/ground_truth.json``; returns the counts per source.

    ``unregistered``: the births of the year that the register lacks, as the synthetic population's
    ground truth knows them (:func:`missing_births_of`): each becomes the hospital's birth notice of a
    child in no register, so that the under-registration the feeds reveal is the register's real one
    (the same births the assessment's door-to-door verification can find). Without it, a share
    ``rates["unregistered"]`` of the year's births is invented with made-up names."""
    from renkou.registry.models import Event

    rates = {**RATES, **(rates or {})}
    rng = random.Random(seed)
    out = Path(out)
    events = [_EventRow(kind, day, area, _person(*subject, _person(*sm), _person(*sf)), _person(*m), _person(*f),
                        _person(*sp))
              for kind, day, area, *values in Event.objects.filter(
                  area__pk__startswith=county, event_date__year=year, is_current=True, flag_rejected=False)
              .order_by("event_date", "pk").values_list("kind", "event_date", "area_id", *_EVENT_PERSON_COLUMNS)
              for subject, sm, sf, m, f, sp in [_split(values)]]
    files: dict[tuple[str, str], list[list[str]]] = {}
    truth: list[Truth] = []
    seq = 0

    def month_of(day: dt.date, late: bool) -> str:
        if late:
            day = day + dt.timedelta(days=rng.randint(40, 120))
        return f"{day:%Y-%m}"

    def noisy_name(name: str, t: Truth) -> str:
        if rng.random() < rates["homophone"]:
            new = typo(name, rng)
            if new != name:
                t.noise.append("homophone")
                return new
        return name

    def noisy_date(day: dt.date, t: Truth) -> dt.date:
        if rng.random() < rates["swap"] and _swap(day):
            t.noise.append("day_month_swapped")
            return _swap(day)
        return day

    def noisy_id(number: str | None, t: Truth, newborn: bool = False) -> str:
        if not number:
            t.noise.append("no_id")
            return ""
        if newborn and rng.random() < rates["no_id_newborn"]:
            t.noise.append("newborn_without_id")
            return ""
        if rng.random() < rates["no_id"]:
            t.noise.append("no_id")
            return ""
        if number[6:8] == "19" and rng.random() < rates["id15"]:
            t.noise.append("id_15_digits")
            return id15(number)
        return number

    for e in events:
        p = e.subject
        late = rng.random() < rates["late"]
        if e.kind in HUKOU_KINDS:
            seq += 1
            t = Truth("gongan-hukou", f"GA{year}{seq:07d}", p.pk)
            if late:
                t.noise.append("late")
            sex = str(p.sex)
            row = [t.record_key, noisy_id(p.id_number, t, newborn=e.kind == "birth"), noisy_name(p.name, t), sex,
                   f"{noisy_date(p.birth_date, t):%Y%m%d}", f"{e.event_date:%Y%m%d}", e.area_id, HUKOU_KINDS[e.kind],
                   p.mother.name if p.mother else "", p.father.name if p.father else ""]
            files.setdefault(("gongan-hukou", month_of(e.event_date, late)), []).append(row)
            truth.append(t)
        if e.kind == "birth":
            seq += 1
            t = Truth("weisheng-birth-notice", f"O{year}{seq:08d}", p.pk)
            mother, father = e.mother or p.mother, e.father or p.father
            born = noisy_date(p.birth_date, t)
            row = [t.record_key, noisy_name(p.name, t), "男" if p.sex == 1 else "女" if p.sex == 2 else "未知",
                   f"{born:%Y-%m-%d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}", e.area_id,
                   mother.name if mother else "", (mother.id_number or "") if mother else "",
                   father.name if father else "", (father.id_number or "") if father else ""]
            if mother is None:
                row[5] = "不详"
            files.setdefault(("weisheng-birth-notice", month_of(e.event_date, late)), []).append(row)
            truth.append(t)
        if e.kind == "marriage" and e.spouse is not None:
            seq += 1
            woman, man = (p, e.spouse) if p.sex == 2 else (e.spouse, p)
            t = Truth("minzheng-marriage", f"J{year}{seq:07d}", woman.pk)
            row = [t.record_key, f"{e.event_date:%Y年%m月%d日}", e.area_id, noisy_name(woman.name, t),
                   noisy_id(woman.id_number, t), man.name, man.id_number or "", "结婚"]
            files.setdefault(("minzheng-marriage", month_of(e.event_date, late)), []).append(row)
            truth.append(t)
    # births that are in no register: the hospital knows them, the register does not
    births = [e for e in events if e.kind == "birth"]
    for u in unregistered or ():
        if u["birth_date"].year != year:
            continue
        seq += 1
        t = Truth("weisheng-birth-notice", f"O{year}{seq:08d}", None, ["unregistered"])
        row = [t.record_key, u["name"], "男" if u["sex"] == 1 else "女",
               f"{u['birth_date']:%Y-%m-%d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}", u["area"],
               u.get("mother_name") or "不详", u.get("mother_id") or "", u.get("father_name") or "",
               u.get("father_id") or ""]
        files.setdefault(("weisheng-birth-notice", f"{u['birth_date']:%Y-%m}"), []).append(row)
        truth.append(t)
    n_missing = 0 if unregistered is not None else max(1, round(len(births) * rates["unregistered"])) if births else 0
    for i in range(n_missing):
        e = rng.choice(births)
        seq += 1
        t = Truth("weisheng-birth-notice", f"O{year}{seq:08d}", None, ["unregistered"])
        day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
        mother = e.mother
        name = (mother.name[0] if mother else "王") + UNREGISTERED_NAMES[(2 * i) % len(UNREGISTERED_NAMES)]
        row = [t.record_key, name, rng.choice(("男", "女")), f"{day:%Y-%m-%d} 10:00", e.area_id,
               mother.name if mother else "不详", (mother.id_number or "") if mother else "", "", ""]
        files.setdefault(("weisheng-birth-notice", f"{day:%Y-%m}"), []).append(row)
        truth.append(t)
    headers = {"gongan-hukou": (HUKOU_HEADER, "utf-8"), "weisheng-birth-notice": (BIRTH_HEADER, "utf-8"),
               "minzheng-marriage": (MARRIAGE_HEADER, "gb18030")}
    counts: dict[str, int] = {}
    for (source, month), rows in sorted(files.items()):
        header, encoding = headers[source]
        d = out / source
        d.mkdir(parents=True, exist_ok=True)
        with open(d / f"{source}-{county}-{month}.csv", "w", encoding=encoding, newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
        counts[source] = counts.get(source, 0) + len(rows)
    (out / "ground_truth.json").write_text(json.dumps(
        {"county": county, "year": year, "seed": seed, "rates": rates,
         "records": [{"source": t.source, "record_key": t.record_key, "person": t.person, "noise": t.noise}
                     for t in truth]}, ensure_ascii=False, indent=1), encoding="utf-8")
    return counts


def missing_births_of(result) -> list[dict]:
    """The births the synthetic register left out (``ground_truth["imperfections"]["missing_births"]``
    of a :class:`renkou.synth.model.SynthResult`), with the parents' names and ID numbers as the
    register holds them: what a hospital's birth notice of such a child says."""
    from renkou.registry.models import Person

    missing = (result.ground_truth or {}).get("imperfections", {}).get("missing_births", [])
    keys = {m["person"].get(k) for m in missing for k in ("mother_key", "father_key")} - {"", None}
    parents = {key: (name, number or "") for key, name, number in
               Person.objects.filter(source_key__in=keys).values_list("source_key", "name", "id_number")}
    out = []
    for m in missing:
        p, e = m["person"], m["birth_event"]
        mother = parents.get(p.get("mother_key") or "", ("", ""))
        father = parents.get(p.get("father_key") or "", ("", ""))
        out.append({"name": p["name"], "sex": int(p["sex"]), "birth_date": dt.date.fromisoformat(p["birth_date"]),
                    "area": e.get("area_code") or p["area_code"], "mother_name": mother[0], "mother_id": mother[1],
                    "father_name": father[0], "father_id": father[1]})
    return out


def evaluate(truth_path: str | Path) -> dict:
    """Precision and recall of the linkage against ``ground_truth.json``, overall and per kind of noise:
    a link is right when it names the person of the truth; a record of no register is right when
    it is not linked."""
    from .models import FeedRecord

    doc = json.loads(Path(truth_path).read_text(encoding="utf-8"))
    linked = {(s, k): (p, st) for s, k, p, st in FeedRecord.objects.values_list("source__code", "record_key",
                                                                                  "person_id", "status")}
    auto = ("auto_linked", "linked")
    stats: dict[str, dict[str, int]] = {}

    def add(group: str, key: str) -> None:
        stats.setdefault(group, {"records": 0, "linked": 0, "right": 0, "wrong": 0, "missed": 0, "queued": 0})
        stats[group][key] += 1

    for t in doc["records"]:
        person, status = linked.get((t["source"], t["record_key"]), (None, "absent"))
        for group in ["all", *t["noise"]] or ["all"]:
            add(group, "records")
            if status in auto:
                add(group, "linked")
                add(group, "right" if person == t["person"] else "wrong")
            elif status == "queued":
                add(group, "queued")
            elif t["person"] is not None:
                add(group, "missed")
    out = {}
    for group, s in stats.items():
        should = sum(1 for t in doc["records"] if t["person"] is not None and (group == "all" or group in t["noise"]))
        out[group] = {**s, "precision": round(s["right"] / s["linked"], 4) if s["linked"] else None,
                      "recall": round(s["right"] / should, 4) if should else None}
    return out
