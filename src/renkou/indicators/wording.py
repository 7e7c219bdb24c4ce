"""Indicators in words (pure, no Django): how a value is computed, as a statistician writes it.

``formula(...)`` turns a catalog definition (numerator, denominator, type) into one line such as
``出生率 = 出生人数 ÷ 平均人口 × 1000‰`` with a name for every operand, and ``definitions(...)``
adds the lines that explain the derived operands it uses (``平均人口 = (期初人口 + 期末人口) ÷ 2``).
Nothing here shows the expression language itself (``R{births.sex=1}``) to a reader.

Every text is a pair (Chinese, English); ``lang`` is ``zh…`` or anything else for English.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .expressions import BinOp, Call, Expr, Neg, Number, Ref, Reference, parse

Pair = tuple[str, str]

# What each register-derived value counts (the codes of cube.OPERANDS).
REGISTER: dict[str, Pair] = {
    "population": ("人口", "population"),
    "mean_population": ("平均人口", "mean population"),
    "married_women": ("已婚妇女人数", "married women"),
    "mean_married_women": ("已婚妇女平均人数", "mean number of married women"),
    "contraceptive_users": ("采取避孕措施的已婚妇女", "married women using a method"),
    "births": ("出生人数", "births"),
    "births_late": ("补报出生人数", "late-reported births"),
    "births_timely": ("及时登记出生人数", "births registered in time"),
    "births_provisional": ("待核实出生人数", "provisional births"),
    "deaths": ("死亡人数", "deaths"),
    "deaths_provisional": ("待核实死亡人数", "provisional deaths"),
    "tfr": ("总和生育率", "total fertility rate"),
    "persons_served": ("享受服务人数", "persons served"),
    "marriage_count": ("结婚对数", "marriages"),
    "divorce_count": ("离婚对数", "divorces"),
    "move_in_count": ("迁入人数", "moves in"),
    "move_out_count": ("迁出人数", "moves out"),
    "migrant_arrival_count": ("流入人数", "migrant arrivals"),
    "migrant_departure_count": ("流出人数", "migrant departures"),
    "residence_change_count": ("住址变更人数", "changes of residence"),
}

# How the derived register values are defined, shown under the formula when it uses them.
DEFINITIONS: dict[str, Pair] = {
    "mean_population": ("平均人口 = (期初人口 + 期末人口) ÷ 2", "mean population = (population at the start + "
                        "population at the end) ÷ 2"),
    "mean_married_women": ("已婚妇女平均人数 = (期初已婚妇女 + 期末已婚妇女) ÷ 2",
                           "mean married women = (married women at the start + at the end) ÷ 2"),
    "tfr": ("总和生育率 = Σ 15–49岁各单岁育龄妇女生育率（出生人数 ÷ 该岁妇女平均人数）",
            "total fertility rate = Σ over single years of age 15–49 of births ÷ mean women of that age"),
    "births": ("出生人数：本期内发生并登记的活产数（补报出生计入发现期）",
               "births: live births of the period in the register (late reports count in the period found)"),
    "births_provisional": ("待核实出生人数：已申报、尚未登记的出生，不计入出生人数", "provisional births: "
                           "births declared and not yet registered, not counted in the births"),
    "births_timely": ("及时登记出生人数：出生后 30 天内登记的出生数", "births registered in time: registered within "
                      "30 days of the birth"),
    "births_late": ("补报出生人数：本期发现的往期出生", "late-reported births: births of earlier periods found in "
                    "this one"),
    "contraceptive_users": ("采取避孕措施的已婚妇女：期末夫妻任一方采取措施（自愿、知情选择）",
                            "married women using a method: at the end of the period, either spouse, by "
                            "voluntary and informed choice"),
    "population": ("人口：期末时点人数（另注“期初”者为期初）", "population: persons at the end of the period "
                   "(at the start where so marked)"),
}

SEX: dict[str, Pair] = {"1": ("男", "male"), "2": ("女", "female")}
BASIS: dict[str, Pair] = {"registered": ("户籍", "registered"), "resident": ("常住", "resident"),
                          "inflow": ("流入", "inflow migrants"), "outflow": ("流出", "outflow migrants")}
ON: dict[str, Pair] = {"start": ("期初", "at the start"), "end": ("期末", "at the end")}
ORDER: dict[str, Pair] = {"0": ("孩次不详", "birth order unknown"), "1": ("一孩", "first births"),
                          "2": ("二孩", "second births"), "3": ("三孩及以上", "third and higher births")}
PLACE: dict[str, Pair] = {"facility": ("在医疗卫生机构分娩", "in a health facility"),
                          "home": ("在家分娩", "at home"), "other": ("其他地点分娩", "elsewhere")}
SERVICE: dict[str, Pair] = {
    "reproductive_health_check": ("生殖健康检查", "reproductive health check"),
    "premarital_check": ("婚前检查", "premarital check"), "prenatal_care": ("孕期保健", "prenatal care"),
    "postnatal_visit": ("产后访视", "postnatal visit"),
    "contraceptive_counselling": ("避孕咨询", "contraceptive counselling"),
    "contraceptive_method": ("避孕措施服务", "contraceptive method"),
    "cervical_screening": ("宫颈癌筛查", "cervical screening"), "breast_screening": ("乳腺癌筛查", "breast screening"),
    "infertility_counselling": ("不孕不育咨询", "infertility counselling"),
    "child_care_guidance": ("婴幼儿照护指导", "child care guidance"), "elder_care": ("老年人关爱", "elder care"),
    "other": ("其他服务", "other services"),
}
DISAGGREGATION: dict[str, Pair] = {"married": ("已婚", "married"), "unmarried": ("未婚", "unmarried"),
                                   "male": ("男", "male"), "female": ("女", "female")}

# numerator ÷ denominator × factor: the factor in words, by indicator type.
FACTOR: dict[str, Pair] = {"per_thousand": ("× 1000‰", "× 1,000 (per mille)"), "percent": ("× 100%", "× 100 %"),
                           "per_hundred": ("× 100", "× 100"), "per_100000": ("× 100000", "× 100,000"),
                           "ratio": ("", "")}
# The basis of the type, as a reader says it (每千人 / per 1,000).
TYPE_NAMES: dict[str, Pair] = {"per_thousand": ("千分率（每千人）", "rate per 1,000 (‰)"),
                               "percent": ("百分比（%）", "percentage (%)"),
                               "per_hundred": ("每百人（如每百名女婴对应的男婴数）", "per 100 (e.g. boys per 100 girls)"),
                               "per_100000": ("每十万人", "per 100,000"), "ratio": ("比值或人数", "ratio or count")}
FUNCTIONS: dict[str, Pair] = {"min": ("较小者", "the smaller of"), "max": ("较大者", "the larger of"),
                              "abs": ("绝对值", "absolute value of"), "if": ("如果", "if"),
                              "coalesce": ("首个有值者", "the first available of")}
GROUPS: dict[str, Pair] = {"vital": ("出生与死亡", "births and deaths"), "fertility": ("生育水平", "fertility"),
                          "births": ("出生构成", "births by order and place"), "services": ("服务", "services"),
                          "structure": ("人口结构", "population structure"), "migrants": ("流动人口", "migrants"),
                          "aggregate": ("报表数据", "reported figures"), "counts": ("人数与事件数", "counts"),
                          "benefits": ("利益导向", "benefits"), "loans": ("幸福工程贷款", "Happiness Project loans"),
                          "feeds": ("部门信息比对", "department records"),
                          "exchange": ("协查与信息通报", "enquiries between nodes"),
                          "bureau": ("机构与工作", "the bureau's work")}
SYMBOLS = {"+": "+", "-": "−", "*": "×", "/": "÷", "<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}


def _pick(pair: Pair, lang: str) -> str:
    return pair[0] if lang.startswith("zh") else pair[1]


def _ages(value: str, lang: str) -> str:
    lo, _sep, hi = value.partition("-")
    if hi == "100":
        return f"{lo}岁及以上" if lang.startswith("zh") else f"aged {lo} and over"
    span = f"{lo}–{hi}" if hi else lo
    return f"{span}岁" if lang.startswith("zh") else f"aged {span}"


def register_label(ref: Reference, lang: str) -> str:
    """``R{mean_population.sex=2,age=15-49}`` → 平均人口（女，15–49岁） / mean population (female, aged 15–49)."""
    zh = lang.startswith("zh")
    base = _pick(REGISTER.get(ref.code, (ref.code, ref.code.replace("_", " "))), lang)
    qualifiers = []
    for key, value in ref.params:
        if key == "sex" and value in SEX:
            qualifiers.append(_pick(SEX[value], lang))
        elif key == "age":
            qualifiers.append(_ages(value, lang))
        elif key == "mother_age":
            qualifiers.append(f"母亲{_ages(value, lang)}" if zh else f"mothers {_ages(value, lang)}")
        elif key == "order" and value in ORDER:
            qualifiers.append(_pick(ORDER[value], lang))
        elif key == "place" and value in PLACE:
            qualifiers.append(_pick(PLACE[value], lang))
        elif key == "basis" and value in BASIS:
            qualifiers.append(_pick(BASIS[value], lang))
        elif key == "on" and value in ON:
            qualifiers.append(_pick(ON[value], lang))
        elif key == "type" and value in SERVICE:
            qualifiers.append(_pick(SERVICE[value], lang))
        else:
            qualifiers.append(f"{key} {value}")
    if not qualifiers:
        return base
    return f"{base}（{'，'.join(qualifiers)}）" if zh else f"{base} ({', '.join(qualifiers)})"


Names = Mapping[tuple[str, str], Pair]
"""Names of the catalog's own operands: (kind, code) → (Chinese, English), kinds element, constant,
indicator, item."""


def operand_label(ref: Reference, lang: str, names: Names) -> str:
    """The name of one operand in the reader's language."""
    if ref.kind == "register":
        return register_label(ref, lang)
    pair = names.get((ref.kind, ref.code))
    label = _pick(pair, lang) if pair else ref.code.replace("_", " ")
    if ref.disaggregation:
        dis = DISAGGREGATION.get(ref.disaggregation)
        extra = _pick(dis, lang) if dis else ref.disaggregation
        label = f"{label}（{extra}）" if lang.startswith("zh") else f"{label} ({extra})"
    return label


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def in_words(expr: Expr | str, lang: str, names: Names) -> str:
    """An expression with operands by name and the operators a statistician writes (× ÷ −)."""
    expr = parse(expr) if isinstance(expr, str) else expr
    label: Callable[[Reference], str] = lambda r: operand_label(r, lang, names)  # noqa: E731

    def walk(e: Expr) -> str:
        if isinstance(e, Number):
            return _number(e.value)
        if isinstance(e, Ref):
            return label(e.ref)
        if isinstance(e, Neg):
            inner = walk(e.operand)
            return f"−({inner})" if isinstance(e.operand, BinOp) else f"−{inner}"
        if isinstance(e, BinOp):
            p = e.precedence
            left, right = walk(e.left), walk(e.right)
            if isinstance(e.left, BinOp) and e.left.precedence < p:
                left = f"({left})"
            if isinstance(e.right, BinOp) and e.right.precedence <= p:
                right = f"({right})"
            return f"{left} {SYMBOLS[e.op]} {right}"
        if isinstance(e, Call):
            name = _pick(FUNCTIONS.get(e.name, (e.name, e.name)), lang)
            sep = "，" if lang.startswith("zh") else ", "
            return f"{name}({sep.join(walk(a) for a in e.args)})"
        return str(e)

    return walk(expr)


def formula(name: str, numerator: str, denominator: str, indicator_type: str, lang: str, names: Names) -> str:
    """``出生率 = 出生人数 ÷ 平均人口 × 1000‰``: the whole definition on one line."""
    num, den = parse(numerator), parse(denominator)
    text = in_words(num, lang, names)
    if not (isinstance(den, Number) and den.value == 1):
        if isinstance(num, BinOp) and num.op in "+-":
            text = f"({text})"
        den_text = in_words(den, lang, names)
        text = f"{text} ÷ {'(' + den_text + ')' if isinstance(den, BinOp) else den_text}"
    factor = _pick(FACTOR.get(indicator_type, ("", "")), lang)
    return f"{name} = {text}{' ' + factor if factor else ''}"


def definitions(numerator: str, denominator: str, lang: str) -> list[str]:
    """The lines that define the derived operands the formula uses, in the order first used."""
    seen: list[str] = []
    for text in (numerator, denominator):
        for ref in sorted(parse(text).references(), key=lambda r: (r.kind, r.code, r.params)):
            if ref.kind == "register" and ref.code in DEFINITIONS and ref.code not in seen:
                seen.append(ref.code)
    return [_pick(DEFINITIONS[c], lang) for c in seen]


def group_name(group: str, lang: str) -> str:
    """``vital`` → 出生与死亡 / births and deaths."""
    return _pick(GROUPS.get(group, (group, group)), lang)


def disaggregation_name(code: str, lang: str) -> str:
    """``married`` → 已婚 / married; '' for the total."""
    return _pick(DISAGGREGATION[code], lang) if code in DISAGGREGATION else code


def type_name(indicator_type: str, lang: str) -> str:
    """``per_thousand`` → 千分率（每千人） / rate per 1,000 (‰)."""
    return _pick(TYPE_NAMES.get(indicator_type, (indicator_type, indicator_type)), lang)
