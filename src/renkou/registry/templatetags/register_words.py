"""Template helpers of the register pages: the logic checks' rules by name in the reader's language."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

register = template.Library()

# Rule code of registry/checks.py → (Chinese, English) name of the check.
RULES: dict[str, tuple[str, str]] = {
    "age_implausible": ("年龄不合理", "implausible age"), "already_dead": ("已登记死亡", "already dead"),
    "already_married": ("已在婚", "already married"), "already_moved_out": ("已迁出", "already moved out"),
    "area_not_valid": ("区划当时不存在", "area not valid at the date"), "area_unknown": ("区划代码不存在", "unknown area"),
    "birth_date_differs": ("出生日期不一致", "birth dates differ"), "birth_future": ("出生日期在将来", "birth in the future"),
    "birth_missing": ("缺少出生日期", "birth date missing"), "birth_order": ("孩次与在册子女数不符", "birth order differs"),
    "death_age": ("死亡年龄过高", "implausible age at death"),
    "death_before_birth": ("死亡早于出生", "death before birth"),
    "death_date_missing": ("缺少死亡日期", "death date missing"),
    "divorce_not_married": ("未婚登记离婚", "divorce without marriage"), "ethnicity_code": ("民族代码无效", "ethnicity code"),
    "event_after_death": ("死亡后的事件", "event after death"), "event_before_birth": ("出生前的事件", "event before birth"),
    "event_future": ("事件日期在将来", "event in the future"), "father_age": ("父亲年龄过小", "father too young"),
    "father_dead": ("父亲已死亡", "father dead"), "father_sex": ("父亲性别不符", "father's sex"),
    "id_check_digit": ("身份证号校验码不符", "ID number check character"), "id_invalid": ("身份证号无效", "invalid ID number"),
    "inflow_at_home": ("流入地即户籍地", "inflow at home"), "late_registration": ("迟报", "late registration"),
    "marriage_age": ("未到法定婚龄", "below the legal marriage age"),
    "married_under_age": ("已婚但未到婚龄", "married under age"), "migrant_at_home": ("流入人口在户籍地", "migrant at home"),
    "mother_age": ("母亲生育年龄", "mother's age at the birth"), "mother_dead": ("母亲已死亡", "mother dead"),
    "mother_missing": ("缺少母亲", "mother missing"), "mother_sex": ("母亲性别不符", "mother's sex"),
    "name_junk": ("姓名含非法字符", "invalid characters in the name"), "name_missing": ("缺少姓名", "name missing"),
    "plurality": ("胎数不合理", "implausible plurality"),
    "registered_before_event": ("登记早于事件", "registered before the event"), "sex_code": ("性别代码无效", "sex code"),
    "sibling_interval": ("生育间隔过短", "short birth interval"), "spouse_missing": ("缺少配偶", "spouse missing"),
    "spouse_sex": ("双方性别相同", "same sex"),
}


@register.filter
def rule_label(code: str) -> str:
    """``mother_age`` → 母亲生育年龄 / mother's age at the birth; an unknown code as it is."""
    pair = RULES.get(code or "")
    if pair is None:
        return code
    return pair[0] if (get_language() or "zh").startswith("zh") else pair[1]
