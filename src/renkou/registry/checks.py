"""Logic checks of the register (逻辑校验): pure rule functions over plain values.

Run on entry (declaring, verifying, registering an event), on import, and as a batch report per
area. Each finding names the rule, says what is wrong and how to fix it. Errors block
registration; warnings pass only with a reason written by the officer who accepts them.
No rule here judges a person's fertility against a "policy": the checks are about whether the
record can be true.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from renkou.core import idnumber

ERROR = "error"
WARNING = "warning"

# Ages and intervals (parameters, not law).
MOTHER_AGE_WARN = (15, 49)
MOTHER_AGE_REJECT = (10, 60)
FATHER_MIN_AGE = 12
MIN_SIBLING_GAP_DAYS = 168  # 24 weeks: a live birth after a non-multiple birth cannot come earlier
WARN_SIBLING_GAP_DAYS = 270  # ~9 months
MARRIAGE_AGE = {1: 22, 2: 20}  # Civil Code art. 1047
# Days after which a registration is reported late (迟报). The household-registration rule for
# births is one month; two months of grace are allowed before the register calls it late.
LEGAL_PERIOD_DAYS = {"birth": 60, "death": 60}
MAX_AGE = 120
KNOWN_ETHNICITIES = {f"{i:02d}" for i in range(1, 57)} | {"97", "98"}
MARRIED = {"20", "21", "22", "23"}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    zh: str
    en: str
    fix_zh: str = ""
    fix_en: str = ""
    field: str = ""

    @property
    def message(self) -> str:
        return f"{self.zh} / {self.en}"

    @property
    def fix(self) -> str:
        return f"{self.fix_zh} / {self.fix_en}" if self.fix_zh else ""

    @property
    def blocking(self) -> bool:
        return self.severity == ERROR


@dataclass(frozen=True)
class PersonFacts:
    name: str = ""
    sex: int | None = None
    birth_date: dt.date | None = None
    id_number: str | None = None
    id_confirmed: bool = False
    ethnicity: str = "01"
    marital_status: str = "10"
    status: str = "living"
    death_date: dt.date | None = None
    registered_area: str = ""
    resident_area: str = ""
    migrant_status: str = ""


@dataclass(frozen=True)
class EventFacts:
    kind: str
    event_date: dt.date
    registration_date: dt.date | None = None
    area_code: str = ""
    area_known: bool = True
    area_valid_from: dt.date | None = None
    area_valid_to: dt.date | None = None
    subject: PersonFacts | None = None
    mother: PersonFacts | None = None
    father: PersonFacts | None = None
    spouse: PersonFacts | None = None
    birth_order: int | None = None
    plurality: int | None = None
    other_area: str = ""
    # the mother's other registered births: (birth date, plurality) of each other child
    mother_other_births: tuple[tuple[dt.date, int], ...] = field(default_factory=tuple)
    # the subject's other events: (kind, date)
    subject_events: tuple[tuple[str, dt.date], ...] = field(default_factory=tuple)


def age_on(born: dt.date, day: dt.date) -> int:
    """Completed years (周岁) on ``day``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _f(rule, severity, zh, en, fix_zh="", fix_en="", field_name="") -> Finding:
    return Finding(rule, severity, zh, en, fix_zh, fix_en, field_name)


# ------------------------------------------------------------------------------------- persons


def check_id_number(number: str | None, *, confirmed: bool, birth_date: dt.date | None,
                    sex: int | None) -> list[Finding]:
    """ID number well formed, check character right (or confirmed), agreeing with birth date and sex."""
    if not number:
        return []
    info = idnumber.inspect(number)
    if info.state is idnumber.IdState.INVALID:
        return [_f("id_invalid", ERROR, f"身份证号无效：{info.explain('zh')}", f"invalid ID number: {info.explain('en')}",
                   "核对户口簿或身份证后重新录入", "check the household book or ID card and enter it again", "id_number")]
    out = []
    if info.state is idnumber.IdState.CHECK_DIGIT_MISMATCH and not confirmed:
        out.append(_f("id_check_digit", ERROR,
                      f"身份证号校验码应为 {info.expected_check}，实为 {info.number[17]}",
                      f"ID check character should be {info.expected_check}, is {info.number[17]}",
                      "核实证件：录入错误则更正；旧证号码由县级管理员说明理由确认",
                      "verify the document: correct a typing error, or have a county officer confirm a legacy "
                      "number with a reason", "id_number"))
    for p in idnumber.agrees_with(info, birth_date, sex):
        rule = "id_birth_date" if p.code == "birth_date_mismatch" else "id_sex"
        out.append(_f(rule, ERROR, p.zh, p.en, "更正出生日期、性别或身份证号，使三者一致",
                      "correct the birth date, sex or ID number so that they agree",
                      "birth_date" if rule == "id_birth_date" else "sex"))
    return out


def check_person(p: PersonFacts, today: dt.date) -> list[Finding]:
    out = check_id_number(p.id_number, confirmed=p.id_confirmed, birth_date=p.birth_date, sex=p.sex)
    if not (p.name or "").strip():
        out.append(_f("name_missing", ERROR, "姓名为空", "the name is empty", "填写姓名", "enter the name", "name"))
    elif any(ch.isdigit() for ch in p.name) or p.name.strip()[0] in "=+-@":
        out.append(_f("name_junk", ERROR, f"姓名“{p.name}”含数字或公式符号", f"name {p.name!r} contains digits or a "
                      "formula sign", "按证件填写姓名", "enter the name as on the document", "name"))
    if p.sex not in (0, 1, 2, 9):
        out.append(_f("sex_code", ERROR, f"性别代码 {p.sex} 不在 GB/T 2261.1 中", f"sex code {p.sex} is not in "
                      "GB/T 2261.1", "用 1 男、2 女、0 未知、9 未说明", "use 1 male, 2 female, 0 unknown, 9 not stated",
                      "sex"))
    if p.birth_date is None:
        out.append(_f("birth_missing", ERROR, "出生日期为空", "birth date missing", "填写出生日期",
                      "enter the birth date", "birth_date"))
    else:
        if p.birth_date > today:
            out.append(_f("birth_future", ERROR, f"出生日期 {p.birth_date} 在将来", f"birth date {p.birth_date} is in "
                          "the future", "更正出生日期", "correct the birth date", "birth_date"))
        elif age_on(p.birth_date, p.death_date or today) > MAX_AGE:
            out.append(_f("age_implausible", WARNING, f"年龄超过 {MAX_AGE} 岁", f"older than {MAX_AGE} years",
                          "核实出生日期或补登死亡", "verify the birth date or register the death", "birth_date"))
        if p.death_date and p.death_date < p.birth_date:
            out.append(_f("death_before_birth", ERROR, "死亡日期早于出生日期", "death date before birth date",
                          "更正日期", "correct the dates", "death_date"))
        if p.marital_status in MARRIED | {"30", "40"} and p.sex in MARRIAGE_AGE \
                and age_on(p.birth_date, today) < MARRIAGE_AGE[p.sex]:
            out.append(_f("married_under_age", WARNING, "婚姻状况为已婚(或丧偶、离婚)但未到法定婚龄",
                          "marital status married/widowed/divorced below the legal marriage age",
                          "核实婚姻状况和出生日期", "verify the marital status and birth date", "marital_status"))
    if p.ethnicity and p.ethnicity not in KNOWN_ETHNICITIES:
        out.append(_f("ethnicity_code", ERROR, f"民族代码 {p.ethnicity} 不在 GB 3304 中", f"ethnicity code "
                      f"{p.ethnicity} is not in GB 3304", "用 01–56 (97 其他, 98 外国血统)",
                      "use 01–56 (97 other, 98 foreign origin)", "ethnicity"))
    if p.status == "dead" and p.death_date is None:
        out.append(_f("death_date_missing", WARNING, "状态为死亡但没有死亡日期", "status dead without a death date",
                      "登记死亡事件", "register the death event", "death_date"))
    if p.migrant_status == "inflow" and p.registered_area and p.registered_area == p.resident_area:
        out.append(_f("migrant_at_home", ERROR, "流入人口的户籍地与现居住地相同",
                      "an inflow migrant registered at the place they live",
                      "户籍在本地者不是流入人口：更正流动状态或居住地",
                      "a person registered here is no inflow migrant: correct the migrant status or residence",
                      "migrant_status"))
    return out


# -------------------------------------------------------------------------------------- events


def _age_check(role_zh: str, role_en: str, person: PersonFacts | None, day: dt.date, warn: tuple[int, int],
               reject: tuple[int, int], rule: str) -> list[Finding]:
    if person is None or person.birth_date is None:
        return []
    age = age_on(person.birth_date, day)
    if not reject[0] <= age <= reject[1]:
        return [_f(rule, ERROR, f"{role_zh}生育时 {age} 岁，不可能(应在 {reject[0]}–{reject[1]} 岁)",
                   f"{role_en} aged {age} at the birth is impossible (must be {reject[0]}–{reject[1]})",
                   f"核对{role_zh}身份和出生日期", f"check who the {role_en} is and the birth dates", rule)]
    if not warn[0] <= age <= warn[1]:
        return [_f(rule, WARNING, f"{role_zh}生育时 {age} 岁，超出通常范围 {warn[0]}–{warn[1]} 岁",
                   f"{role_en} aged {age} at the birth, outside the usual {warn[0]}–{warn[1]}",
                   "核实后说明理由通过", "verify, then pass with a reason", rule)]
    return []


def _birth_checks(e: EventFacts) -> list[Finding]:
    out: list[Finding] = []
    child = e.subject
    if child and child.birth_date and child.birth_date != e.event_date:
        out.append(_f("birth_date_differs", ERROR, f"出生事件日期 {e.event_date} 与婴儿出生日期 {child.birth_date} 不一致",
                      f"birth event date {e.event_date} differs from the child's birth date {child.birth_date}",
                      "更正其中之一", "correct one of them", "event_date"))
    if e.mother is None:
        out.append(_f("mother_missing", WARNING, "出生登记没有母亲", "birth registered without a mother",
                      "补录母亲(弃婴等情况说明理由)", "add the mother (or give a reason, e.g. a foundling)", "mother"))
    else:
        if e.mother.sex not in (2, None):
            out.append(_f("mother_sex", ERROR, "母亲的性别不是女", "the mother is not recorded as female",
                          "核对母亲身份", "check who the mother is", "mother"))
        out += _age_check("母亲", "mother", e.mother, e.event_date, MOTHER_AGE_WARN, MOTHER_AGE_REJECT, "mother_age")
        if e.mother.death_date and e.mother.death_date < e.event_date:
            out.append(_f("mother_dead", ERROR, "母亲在出生日期之前已死亡", "the mother died before the birth",
                          "核对母亲身份或日期", "check the mother or the dates", "mother"))
        out += _sibling_checks(e)
    if e.father is not None:
        if e.father.sex not in (1, None):
            out.append(_f("father_sex", ERROR, "父亲的性别不是男", "the father is not recorded as male",
                          "核对父亲身份", "check who the father is", "father"))
        if e.father.birth_date and age_on(e.father.birth_date, e.event_date) < FATHER_MIN_AGE:
            out.append(_f("father_age", ERROR, "父亲年龄过小", "the father is implausibly young",
                          "核对父亲身份和出生日期", "check the father and his birth date", "father"))
        if e.father.death_date and (e.event_date - e.father.death_date).days > 300:
            out.append(_f("father_dead", ERROR, "父亲死亡已超过10个月", "the father died more than 10 months before",
                          "核对父亲身份或日期", "check the father or the dates", "father"))
    if e.plurality is not None and not 1 <= e.plurality <= 8:
        out.append(_f("plurality", ERROR, f"多胞胎数 {e.plurality} 不合理", f"plurality {e.plurality} is implausible",
                      "单胎填 1，双胞胎填 2 …", "1 for a single birth, 2 for twins …", "plurality"))
    return out


def _sibling_checks(e: EventFacts) -> list[Finding]:
    out = []
    plural = (e.plurality or 1) > 1
    earlier = [(d, p) for d, p in e.mother_other_births if d <= e.event_date]
    for d, p in e.mother_other_births:
        gap = abs((e.event_date - d).days)
        if gap <= 2 and (plural or p > 1):
            continue  # siblings of one multiple birth
        if gap < MIN_SIBLING_GAP_DAYS:
            out.append(_f("sibling_interval", ERROR, f"同一母亲的另一次出生在 {d}，相隔仅 {gap} 天",
                          f"another birth of the same mother on {d}, only {gap} days apart",
                          "可能是重复登记或多胞胎：核实后更正多胞胎数或合并重复",
                          "a duplicate or a multiple birth: verify, then correct the plurality or merge", "mother"))
            break
        if gap < WARN_SIBLING_GAP_DAYS:
            out.append(_f("sibling_interval", WARNING, f"同一母亲的另一次出生在 {d}，相隔 {gap} 天(不足9个月)",
                          f"another birth of the same mother on {d}, {gap} days apart (under 9 months)",
                          "核实两次出生的日期", "verify the dates of both births", "mother"))
            break
    if e.birth_order is not None:
        # births of one delivery share an order range: count deliveries' children before this date
        expected = len([1 for d, _p in earlier if (e.event_date - d).days > 2]) + 1
        lo = expected
        hi = expected + max(0, (e.plurality or 1) - 1)
        if not lo <= e.birth_order <= hi:
            out.append(_f("birth_order", WARNING, f"孩次填 {e.birth_order}，但母亲此前登记有 {expected - 1} 个孩子",
                          f"birth order {e.birth_order}, but the mother has {expected - 1} earlier registered "
                          "children", "补登漏报的出生或更正孩次", "register the missing births or correct the order",
                          "birth_order"))
    return out


def check_event(e: EventFacts, today: dt.date, *, historical: bool = False) -> list[Finding]:
    """Checks of one event. ``historical``: the event is already registered and the persons' current
    state includes its effect (imports of a register, batch reports), so rules about the state
    just before the event (already dead, already married …) are not applied."""
    out: list[Finding] = []
    if e.event_date > today:
        out.append(_f("event_future", ERROR, f"事件日期 {e.event_date} 在将来", f"event date {e.event_date} is in the "
                      "future", "更正事件日期", "correct the event date", "event_date"))
    if e.registration_date and e.registration_date < e.event_date:
        out.append(_f("registered_before_event", ERROR, "登记日期早于事件日期", "registration date before the event",
                      "更正日期", "correct the dates", "registration_date"))
    if not e.area_known:
        out.append(_f("area_unknown", ERROR, f"区划代码 {e.area_code} 不存在", f"area code {e.area_code} is unknown",
                      "选用统计用区划代码", "use a statistical division code", "area"))
    elif (e.area_valid_from and e.event_date < e.area_valid_from) or (e.area_valid_to and e.event_date > e.area_valid_to):
        out.append(_f("area_not_valid", ERROR, f"区划 {e.area_code} 在 {e.event_date} 不存在(已撤并或尚未设立)",
                      f"area {e.area_code} did not exist on {e.event_date} (merged or not yet created)",
                      "填写事件发生时有效的区划", "use the area valid at the event date", "area"))
    limit = LEGAL_PERIOD_DAYS.get(e.kind)
    if limit and e.registration_date and (e.registration_date - e.event_date).days > limit:
        out.append(_f("late_registration", WARNING, f"超过 {limit} 天后登记(迟报，计入发现期)",
                      f"registered more than {limit} days after the event (a late report, counted in the period "
                      "found)", "说明迟报原因后通过", "pass with the reason of the late report", "registration_date"))
    s = e.subject
    if s is not None:
        if s.birth_date and e.kind != "birth" and e.event_date < s.birth_date:
            out.append(_f("event_before_birth", ERROR, "事件发生在本人出生之前", "event before the person's birth",
                          "更正事件日期或人员", "correct the date or the person", "event_date"))
        if s.death_date and e.kind != "death" and e.event_date > s.death_date:
            out.append(_f("event_after_death", ERROR, f"本人已于 {s.death_date} 死亡，其后不能再有事件",
                          f"the person died on {s.death_date}; no event can follow",
                          "更正事件日期、人员或死亡日期", "correct the date, the person or the death date", "event_date"))
    if e.kind == "birth":
        out += _birth_checks(e)
    elif e.kind == "death" and s is not None:
        if (s.status == "dead" and not historical) or any(k == "death" for k, _d in e.subject_events):
            out.append(_f("already_dead", ERROR, "此人已登记死亡", "the death of this person is already registered",
                          "重复登记：撤销本条或更正已有记录", "a duplicate: withdraw it or correct the existing record",
                          "subject"))
        if s.birth_date and age_on(s.birth_date, e.event_date) > 110:
            out.append(_f("death_age", WARNING, "死亡年龄超过110岁", "age at death above 110",
                          "核实出生日期", "verify the birth date", "subject"))
    elif e.kind in ("marriage", "divorce") and s is not None:
        out += _couple_checks(e, historical)
    elif e.kind in ("move_out", "migrant_departure") and s is not None and s.status == "moved_out" \
            and not historical:
        out.append(_f("already_moved_out", ERROR, "此人已迁出", "the person has already moved out",
                      "核对人员", "check the person", "subject"))
    elif e.kind == "migrant_arrival" and s is not None and s.registered_area and s.registered_area == e.area_code:
        out.append(_f("inflow_at_home", ERROR, "流入地与本人户籍地相同：不能既是本地户籍又是流入人口",
                      "the arrival place is the person's own registered place: nobody is an inflow migrant at home",
                      "本地户籍者登记居住地变更，而不是流入", "for a local resident register a residence change",
                      "area"))
    return out


def _couple_checks(e: EventFacts, historical: bool) -> list[Finding]:
    out = []
    s, sp = e.subject, e.spouse
    if sp is None:
        return [_f("spouse_missing", ERROR, "缺少配偶", "the spouse is missing", "选择配偶", "choose the spouse", "spouse")]
    if s.sex in (1, 2) and s.sex == sp.sex:
        out.append(_f("spouse_sex", ERROR, "双方性别相同", "both parties have the same sex",
                      "核对双方身份", "check both persons", "spouse"))
    if e.kind == "marriage":
        for who_zh, who_en, p in (("本人", "the person", s), ("配偶", "the spouse", sp)):
            if p.birth_date and p.sex in MARRIAGE_AGE and age_on(p.birth_date, e.event_date) < MARRIAGE_AGE[p.sex]:
                out.append(_f("marriage_age", WARNING, f"{who_zh}结婚时未到法定婚龄", f"{who_en} was below the legal "
                              "marriage age", "核对出生日期与结婚日期", "check the birth and marriage dates", "event_date"))
            if p.marital_status in MARRIED and not historical:
                out.append(_f("already_married", ERROR, f"{who_zh}已在婚", f"{who_en} is already married",
                              "先登记离婚或丧偶，或核对人员", "register the divorce or widowhood first, or check the person",
                              "spouse"))
    elif s.marital_status not in MARRIED and not historical:
        out.append(_f("divorce_not_married", ERROR, "本人未登记为已婚，不能登记离婚",
                      "the person is not recorded as married; a divorce cannot be registered",
                      "先补登结婚", "register the marriage first", "subject"))
    return out


def blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == ERROR]


def warnings(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == WARNING]
