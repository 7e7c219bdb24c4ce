"""Assessment results in words (pure): where an item's value came from, method names, peer groups.

The scoring stores each item's provenance as a small dict (``{"source": "indicator", "inputs": {…}}``);
:func:`source_rows` turns it into rows of (label, text) in the reader's language, operands by name
(``indicators.wording``), messages translated, so that no stored key or operand code reaches a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from renkou.core.periods import Period
from renkou.indicators import wording
from renkou.indicators.expressions import ExpressionError, parse

Pair = tuple[str, str]

SOURCES: dict[str, Pair] = {"indicator": ("指标", "indicator"), "inspection": ("检查评分", "inspection score"),
                            "verification": ("抽样入户核查", "sampled verification"),
                            "computed": ("由其他项目计算", "computed from other items"),
                            "feeds": ("部门信息报送", "department feeds")}
MEASURES: dict[str, Pair] = {
    "missed_births": ("漏报出生数", "missed births"), "falsification_cases": ("弄虚作假例数", "falsification cases"),
    "under_reporting_rate": ("出生漏报率", "under-reporting rate of births"),
    "error_rate": ("差错率", "error rate"),
    "months_delivered": ("应报月份中已报送的比例（%）", "share of the expected months delivered (%)"),
    "events_confirmed": ("登记事件经部门记录印证的比例（%）", "share of register events confirmed by its records (%)"),
    "on_time": ("按期报送的月份比例（%）", "share of the expected months delivered on time (%)"),
}
KEYS: dict[str, Pair] = {
    "source": ("来源", "source"), "indicator": ("指标", "indicator"), "period": ("期间", "period"),
    "area": ("区划代码", "area code"), "numerator": ("分子", "numerator"), "denominator": ("分母", "denominator"),
    "definition_version": ("定义版本", "definition version"), "inputs_hash": ("输入哈希", "inputs hash"),
    "sheet": ("检查评分表", "inspection sheet"), "entered_by": ("录入人", "entered by"),
    "entered_at": ("录入时间", "entered at"), "note": ("备注", "note"), "measure": ("核查指标", "measure"),
    "sample": ("样本编号", "sample number"), "seed": ("随机种子", "random seed"), "drawn": ("抽中户数", "households drawn"),
    "visited": ("已核查户数", "households visited"), "births_found": ("核查发现出生", "births found"),
    "missed_births": ("漏报出生", "missed births"), "rate": ("比率", "rate"), "ci95": ("95% 置信区间", "95% interval"),
    "method": ("区间方法", "interval method"), "missing": ("无数值", "no value"),
    "previous": ("上年", "previous year"), "expression": ("计算式", "expression"),
    "source_names": ("信息来源", "feeds"), "months": ("期间月数", "months in the period"),
    "expected": ("应报来源月份", "source-months expected"), "delivered": ("已报送来源月份", "source-months delivered"),
    "not_delivered": ("未报送", "not delivered"), "late": ("逾期报送", "delivered late"),
    "deadline_day": ("报送期限：次月几日前", "due by this day of the next month"),
    "received": ("收到记录", "records received"), "not_applicable": ("不适用", "does not apply"),
}
# What the scoring says when an item has no value, in both languages.
MISSING: dict[str, Pair] = {
    "not an indicator of the catalog": ("指标目录中没有此指标", "not an indicator of the catalog"),
    "no value computed for this area and period": ("本区划本期尚未计算", "no value computed for this area and period"),
    "no value: an operand is missing or the denominator is 0": ("数据缺失或分母为 0",
                                                               "an operand is missing or the denominator is 0"),
    "no inspection score entered": ("尚未录入检查评分", "no inspection score entered"),
    "no visited household in a sample of this period": ("本期样本中没有已核查的户",
                                                        "no visited household in a sample of this period"),
    "no births found in the visited households": ("已核查户中没有发现出生", "no births found in the visited households"),
    "the department delivers no feeds": ("本部门不报送部门信息", "the department delivers no feeds"),
    "no register event of the sources' kinds in the period": ("本期登记中没有此类事件",
                                                              "no register event of these kinds in the period"),
}
METHODS: dict[str, Pair] = {"points": ("方案计分", "scheme points"), "composite": ("综合指数法", "composite index"),
                            "entropy": ("熵权法", "entropy weights"), "topsis": ("TOPSIS 法", "TOPSIS"),
                            "ahp": ("层次分析法 (AHP)", "AHP")}
SKIPPED = {"url", "drill", "indicator_value", "name_zh", "name_en", "unit", "inputs", "department", "feeds_department",
           "sources"}


def _pick(pair: Pair, lang: str) -> str:
    return pair[0] if lang.startswith("zh") else pair[1]


def method_name(code: str, lang: str) -> str:
    return _pick(METHODS.get(code, (code, code)), lang)


def missing_message(text: str, lang: str) -> str:
    for prefix, pair in MISSING.items():
        if text.startswith(prefix):
            return _pick(pair, lang)
    return _pick(("无数值", "no value"), lang)


def _period(code: str, lang: str) -> str:
    try:
        return Period.parse(code).label("zh" if lang.startswith("zh") else "en")
    except ValueError:
        return code


def source_rows(source: Mapping[str, Any] | None, lang: str, names: wording.Names,
                sheets: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Rows ``{label, text, code}`` of one item's provenance; operands of an indicator by name with their
    values. ``code`` marks a text that is an identifier (a hash), shown as such."""
    if not source:
        return []
    rows: list[dict[str, Any]] = []
    for key, value in source.items():
        if key in SKIPPED or value in (None, "", []):
            continue
        label = _pick(KEYS.get(key, (key, key)), lang)
        if key == "source":
            text = _pick(SOURCES.get(str(value), (str(value), str(value))), lang)
        elif key == "indicator":
            pair = (source.get("name_zh") or value, source.get("name_en") or value)
            text = _pick(pair, lang)
        elif key == "period":
            text = _period(str(value), lang)
        elif key == "sheet":
            text = (sheets or {}).get(str(value), str(value))
        elif key == "measure":
            text = _pick(MEASURES.get(str(value), (str(value), str(value))), lang)
        elif key == "missing":
            text = missing_message(str(value), lang)
        elif key == "not_applicable":
            text = _pick(("本部门不报送部门信息，此项不计分，总分按适用项目折算",
                          "the department delivers no feeds: not scored, the total converted over the items that "
                          "apply"), lang)
        elif key == "source_names" and isinstance(value, Mapping):
            text = "、".join(_pick(tuple(v), lang) for v in value.values()) if lang.startswith("zh") else \
                "; ".join(_pick(tuple(v), lang) for v in value.values())
        elif key in ("not_delivered", "late") and isinstance(value, Mapping):
            names_of = source.get("source_names") or {}
            text = "; ".join(f"{_pick(tuple(names_of.get(k, (k, k))), lang)}: {', '.join(months)}"
                             for k, months in value.items() if months)
        elif key == "previous" and isinstance(value, Mapping):
            text = f"{_period(str(value.get('period', '')), lang)}: {value.get('value') or '—'}"
        elif key == "ci95" and isinstance(value, (list, tuple)):
            text = " – ".join("—" if v is None else f"{float(v):.4f}" for v in value)
        elif key == "expression":
            try:
                text = wording.in_words(parse(str(value), allowed={"item", "indicator", "constant"}), lang, names)
            except ExpressionError:
                text = str(value)
        else:
            text = str(value)
        rows.append({"label": label, "text": text, "code": key == "inputs_hash"})
    for ref_text, number in (source.get("inputs") or {}).items():
        try:
            ref = next(iter(parse(ref_text).references()))
        except (ExpressionError, StopIteration):
            continue
        rows.append({"label": wording.operand_label(ref, lang, names), "text": "—" if number is None else str(number),
                     "code": False})
    return rows


def peer_group_names(parsed_scheme, lang: str) -> dict[str, str]:
    """Peer-group code → name in the reader's language."""
    return {g.code: _pick((g.name_zh, g.name_en), lang) for g in parsed_scheme.peer_groups}


def sheet_names(parsed_scheme, lang: str) -> dict[str, str]:
    """Inspection sheet code → the name of the item scored from it."""
    out: dict[str, str] = {}
    for item in parsed_scheme.items:
        if item.source.kind == "inspection":
            out.setdefault(item.source.ref, _pick((item.name_zh, item.name_en), lang))
    return out
