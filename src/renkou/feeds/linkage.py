"""Probabilistic record linkage of department records to the register, with Splink on DuckDB.

Pure computation (no Django): :func:`link` takes the department records that have no usable ID
number and the register's persons of the county, both as lists of :class:`Party` rows, and returns
the scored candidate pairs above a floor weight.

The model (Fellegi–Sunter, as Splink writes it) compares

* ``name``: the same characters; the same toneless pinyin (homophones 张/章 meet here) or one
  name's surname reading equal to the other's common reading (单 *shan*/*dan*); Jaro–Winkler of the
  pinyin ≥ 0.92; the same initials; else;
* ``sex``: equal or not;
* ``birth_date``: equal; day and month swapped; within 31 days; the same year; else;
* ``area``: the same village; the same township; else;
* ``mother`` and ``father``: the pinyin of the parents' names equal, Jaro–Winkler ≥ 0.9, else
  (missing on either side: no evidence either way).

Training is on the register itself: the *u* probabilities (how often two different persons agree
by chance) are estimated by Splink from random pairs of the register's persons (a deduplication
model over the register, whose random pairs are different persons), with a fixed seed; the *m*
probabilities start from documented priors (:data:`M_PRIORS`) and, when the department's file is
large enough (:data:`EM_MIN_RECORDS`), are re-estimated by expectation maximisation on the blocked
pairs of the feed against the register, *u* held fixed. The prior probability that a department
record and a register person are the same is one over the size of the register (each record
describes at most one person). The trained model (as Splink's JSON) is returned with the pairs, so
each weight shown to an officer can be traced to its parameters.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

EM_MIN_RECORDS = 1000
U_MAX_PAIRS = 2e6
SEED = 20050101
U_FLOOR = 1e-5  # an agreement never seen among random pairs of the register is not impossible
COLUMNS = ("unique_id", "name", "name_key", "name_alt", "initials", "sex", "birth_date", "birth_year", "area",
           "township", "mother_key", "father_key")

# Levels of each comparison: (label zh, label en, SQL condition, m prior, u prior). The first level of
# each is the null level (no evidence). Priors of u are replaced by the estimates from the register.
def _jw(col: str, t: float) -> str:
    return f"jaro_winkler_similarity({col}_l, {col}_r) >= {t}"


LEVELS: dict[str, list[tuple[str, str, str, float, float]]] = {
    "name": [
        ("缺姓名", "name missing", "name_key_l IS NULL OR name_key_r IS NULL", 0.0, 0.0),
        ("姓名相同", "same characters", "name_l = name_r", 0.82, 0.0005),
        ("拼音相同(含同音字、姓氏读音)", "same pinyin (homophones, surname readings)",
         "name_key_l = name_key_r OR name_alt_l = name_key_r OR name_key_l = name_alt_r", 0.09, 0.0005),
        ("拼音相近", "similar pinyin", _jw("name_key", 0.92), 0.05, 0.005),
        ("首字母相同", "same initials", "initials_l = initials_r", 0.02, 0.01),
        ("不同", "different", "ELSE", 0.02, 0.984),
    ],
    "sex": [
        ("缺性别", "sex missing", "sex_l IS NULL OR sex_r IS NULL", 0.0, 0.0),
        ("相同", "same", "sex_l = sex_r", 0.98, 0.5),
        ("不同", "different", "ELSE", 0.02, 0.5),
    ],
    "birth_date": [
        ("缺出生日期", "birth date missing", "birth_date_l IS NULL OR birth_date_r IS NULL", 0.0, 0.0),
        ("相同", "same", "birth_date_l = birth_date_r", 0.88, 0.0001),
        ("日月颠倒", "day and month swapped",
         "year(birth_date_l) = year(birth_date_r) AND month(birth_date_l) = day(birth_date_r) "
         "AND day(birth_date_l) = month(birth_date_r)", 0.04, 0.00001),
        ("相差一月以内", "within a month", "abs(date_diff('day', birth_date_l, birth_date_r)) <= 31", 0.05, 0.003),
        ("同年", "same year", "birth_year_l = birth_year_r", 0.02, 0.02),
        ("不同", "different", "ELSE", 0.01, 0.977),
    ],
    "area": [
        ("缺地区", "area missing", "area_l IS NULL OR area_r IS NULL", 0.0, 0.0),
        ("同一村(居)", "same village", "area_l = area_r", 0.8, 0.01),
        ("同一乡镇", "same township", "township_l = township_r", 0.15, 0.1),
        ("不同", "different", "ELSE", 0.05, 0.89),
    ],
    "mother": [
        ("缺母亲姓名", "mother's name missing", "mother_key_l IS NULL OR mother_key_r IS NULL", 0.0, 0.0),
        ("相同", "same", "mother_key_l = mother_key_r", 0.9, 0.001),
        ("相近", "similar", _jw("mother_key", 0.9), 0.06, 0.01),
        ("不同", "different", "ELSE", 0.04, 0.989),
    ],
    "father": [
        ("缺父亲姓名", "father's name missing", "father_key_l IS NULL OR father_key_r IS NULL", 0.0, 0.0),
        ("相同", "same", "father_key_l = father_key_r", 0.9, 0.001),
        ("相近", "similar", _jw("father_key", 0.9), 0.06, 0.01),
        ("不同", "different", "ELSE", 0.04, 0.989),
    ],
}
FIELD_LABELS = {"name": ("姓名", "name"), "sex": ("性别", "sex"), "birth_date": ("出生日期", "birth date"),
                "area": ("地区", "area"), "mother": ("母亲", "mother"), "father": ("父亲", "father")}

# Pairs considered at all (Splink's blocking rules for prediction): any one suffices.
BLOCKING = ["l.name_key = r.name_key", "l.name_alt = r.name_key", "l.name_key = r.name_alt",
            "l.birth_date = r.birth_date", "l.mother_key = r.mother_key AND l.township = r.township",
            "l.initials = r.initials AND l.birth_year = r.birth_year"]
# Expectation maximisation sessions: each leaves some comparisons out, as Splink requires.
EM_BLOCKS = ["l.birth_date = r.birth_date", "l.name_key = r.name_key"]


@dataclass(frozen=True)
class Party:
    """One side of a comparison, already normalised: a department record or a register person."""

    unique_id: int
    name: str | None
    name_key: str | None
    name_alt: str | None
    initials: str | None
    sex: int | None
    birth_date: dt.date | None
    area: str | None  # 12-digit code
    mother_key: str | None = None
    father_key: str | None = None

    def row(self) -> dict[str, Any]:
        return {"unique_id": self.unique_id, "name": self.name or None, "name_key": self.name_key or None,
                "name_alt": self.name_alt or self.name_key or None, "initials": self.initials or None,
                "sex": self.sex if self.sex in (1, 2) else None, "birth_date": self.birth_date,
                "birth_year": self.birth_date.year if self.birth_date else None, "area": self.area or None,
                "township": (self.area or "")[:9] or None, "mother_key": self.mother_key or None,
                "father_key": self.father_key or None}


def party(unique_id: int, name: str, sex: int | None, birth_date: dt.date | None, area: str | None,
          mother: str = "", father: str = "") -> Party:
    """A :class:`Party` from plain fields: the name keys are the register's own (``registry.search``)."""
    from renkou.registry.search import pinyin_keys

    key, alt, initials = pinyin_keys(name or "")
    return Party(unique_id, (name or "").strip() or None, key, alt, initials, sex, birth_date, area,
                 pinyin_keys(mother)[0] if mother else None, pinyin_keys(father)[0] if father else None)


@dataclass
class Pair:
    record: int  # the department record's id
    person: int  # the register person's id
    match_weight: float
    match_probability: float
    levels: dict[str, int]  # comparison → level (gamma: -1 missing, 0 the lowest agreement …)
    weights: dict[str, float]  # comparison → partial match weight (log2 of its Bayes factor)


@dataclass
class Result:
    pairs: list[Pair] = field(default_factory=list)
    model: dict = field(default_factory=dict)  # Splink's model JSON after training
    em: bool = False
    u_model: dict | None = None  # the register's u probabilities (train_u), reusable for the same register


def _arrow(rows: Iterable[Party]):
    """The parties as an Arrow table, built column by column (the values of :meth:`Party.row`)."""
    import pyarrow as pa

    rows = list(rows)
    areas = [r.area or None for r in rows]
    data = {
        "unique_id": [r.unique_id for r in rows], "name": [r.name or None for r in rows],
        "name_key": [r.name_key or None for r in rows],
        "name_alt": [r.name_alt or r.name_key or None for r in rows],
        "initials": [r.initials or None for r in rows],
        "sex": [r.sex if r.sex in (1, 2) else None for r in rows],
        "birth_date": [r.birth_date for r in rows],
        "birth_year": [r.birth_date.year if r.birth_date else None for r in rows],
        "area": areas, "township": [a[:9] if a else None for a in areas],
        "mother_key": [r.mother_key or None for r in rows], "father_key": [r.father_key or None for r in rows]}
    schema = pa.schema([("unique_id", pa.int64()), ("name", pa.string()), ("name_key", pa.string()),
                        ("name_alt", pa.string()), ("initials", pa.string()), ("sex", pa.int64()),
                        ("birth_date", pa.date32()), ("birth_year", pa.int64()), ("area", pa.string()),
                        ("township", pa.string()), ("mother_key", pa.string()), ("father_key", pa.string())])
    return pa.Table.from_pydict(data, schema=schema)


REGISTER_COLUMNS = ("unique_id", "name", "name_key", "name_alt", "initials", "sex", "birth_date", "resident_area",
                    "registered_area", "mother_key", "father_key")


def register_table(columns: Sequence[Sequence]):
    """The Arrow table of :func:`_arrow` straight from the register's columns (the values of
    :data:`REGISTER_COLUMNS`, as the database returns them), with no :class:`Party` per person: a
    county of a million persons in a second instead of ten. The area is the registered one, else the
    resident one."""
    import pyarrow as pa
    import pyarrow.compute as pc

    pk, name, key, alt, ini, sex, born, res, reg, mk, fk = columns
    none = pa.scalar(None, pa.string())

    def text(values):
        a = pa.array(values, type=pa.string())
        return pc.if_else(pc.equal(a, ""), none, a)

    births = pa.array(born)
    if births.type != pa.date32():
        births = births.cast(pa.date32())  # SQLite returns dates as ISO text
    sexes = pa.array(sex, type=pa.int64())
    area = pc.coalesce(text(reg), text(res))
    township = pc.utf8_slice_codeunits(area, 0, 9)
    data = {"unique_id": pa.array(pk, type=pa.int64()), "name": text(name), "name_key": text(key),
            "name_alt": pc.coalesce(text(alt), text(key)), "initials": text(ini),
            "sex": pc.if_else(pc.is_in(sexes, value_set=pa.array([1, 2], pa.int64())), sexes,
                              pa.scalar(None, pa.int64())),
            "birth_date": births, "birth_year": pc.year(births).cast(pa.int64()), "area": area,
            "township": pc.if_else(pc.equal(township, ""), none, township),
            "mother_key": text(mk), "father_key": text(fk)}
    return pa.table(data, schema=_arrow([]).schema)


def settings(link_type: str, prior: float) -> dict:
    """The Splink settings: comparisons with the priors of :data:`LEVELS`, the blocking rules."""
    comparisons = []
    for name, levels in LEVELS.items():
        out = []
        for i, (_zh, en, sql, m, u) in enumerate(levels):
            level = {"sql_condition": sql, "label_for_charts": en}
            if i == 0:
                level["is_null_level"] = True
            else:
                level["m_probability"], level["u_probability"] = m, u
            out.append(level)
        comparisons.append({"output_column_name": name, "comparison_levels": out,
                            "comparison_description": FIELD_LABELS[name][1]})
    return {"link_type": link_type, "unique_id_column_name": "unique_id",
            "probability_two_random_records_match": prior, "comparisons": comparisons,
            "blocking_rules_to_generate_predictions": [{"blocking_rule": b} for b in BLOCKING],
            "retain_matching_columns": False, "retain_intermediate_calculation_columns": True,
            "additional_columns_to_retain": [], "max_iterations": 10, "em_convergence": 0.001}


def _floor_u(model: dict) -> dict:
    for comp in model["comparisons"]:
        for level in comp["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            u = level.get("u_probability")
            if u is None or not isinstance(u, (int, float)) or u < U_FLOOR:
                level["u_probability"] = U_FLOOR
            m = level.get("m_probability")
            if m is None or not isinstance(m, (int, float)) or m < U_FLOOR:
                level["m_probability"] = U_FLOOR
    return model


def train_u(register: Sequence[Party], seed: int = SEED, table=None) -> dict:
    """The model with u estimated from random pairs of the register's persons (a deduplication model
    of the register: its random pairs are different persons). ``table``: the register as Arrow, when
    already built."""
    from splink import Linker
    from splink.backends.duckdb import DuckDBAPI

    db = DuckDBAPI()
    reg = db.register(table if table is not None else _arrow(register), table_name="register")
    n = len(register)
    linker = Linker(reg, settings("dedupe_only", 1 / max(n, 2)), log_level=logging.WARNING)
    if n >= 2:
        pairs = min(U_MAX_PAIRS, n * (n - 1) / 2)
        linker.training.estimate_u_using_random_sampling(max_pairs=pairs, seed=seed, min_count_per_level=None,
                                                         num_chunks=1)
    return _floor_u(linker.misc.save_model_to_json(out_path=None))


def link(records: Sequence[Party], register: Sequence[Party], *, floor_weight: float = -5.0,
         em: bool | None = None, seed: int = SEED, model: dict | None = None,
         u_model: dict | None = None, register_table=None) -> Result:
    """Candidate pairs (record, person) with a match weight of at least ``floor_weight``.

    ``model``: a model trained before (its JSON); otherwise u is trained on ``register`` and m from
    the priors, refined by EM when ``em`` (default: when there are :data:`EM_MIN_RECORDS` records).
    ``u_model``: the :attr:`Result.u_model` of an earlier call on the same register (u depends on
    the register only, so the sources of one folder run train it once). ``register_table``: the
    register as Arrow (:func:`register_table`), when an earlier call of the same run read it; it
    may also be given as ``register`` itself."""
    from splink import Linker
    from splink.backends.duckdb import DuckDBAPI

    if not records or not register:
        return Result(model=model or {})
    reg_table = register_table if register_table is not None else _arrow(register)
    feed_table = _arrow(records)
    if model:
        trained = json.loads(json.dumps(model))
    else:
        u_model = u_model or train_u(register, seed, reg_table)
        trained = json.loads(json.dumps(u_model))
    trained["link_type"] = "link_only"
    trained["probability_two_random_records_match"] = 1 / max(len(register), 2)
    trained["blocking_rules_to_generate_predictions"] = [{"blocking_rule": b, "sql_dialect": "duckdb"}
                                                         for b in BLOCKING]
    trained["retain_intermediate_calculation_columns"] = True
    trained.pop("source_dataset_column_name", None)
    db = DuckDBAPI()
    feed_df = db.register(feed_table, table_name="a_feed")
    reg_df = db.register(reg_table, table_name="b_register")
    linker = Linker([feed_df, reg_df], trained, log_level=logging.WARNING)
    use_em = (len(records) >= EM_MIN_RECORDS) if em is None else em
    if use_em and model is None:
        for block in EM_BLOCKS:
            linker.training.estimate_parameters_using_expectation_maximisation(block, fix_u_probabilities=True)
        trained = _floor_u(linker.misc.save_model_to_json(out_path=None))
        linker = Linker([db.register(feed_table, table_name="a_feed2"),
                         db.register(reg_table, table_name="b_register2")], trained,
                        log_level=logging.WARNING)
    else:
        trained = linker.misc.save_model_to_json(out_path=None)
    predictions = linker.inference.predict(threshold_match_weight=floor_weight, warning_mode="never")
    table = predictions.as_duckdbpyrelation().arrow()
    if hasattr(table, "read_all"):
        table = table.read_all()
    table_weights = level_weights(trained)
    out = []
    for row in table.to_pylist():
        left_is_feed = str(row.get("source_dataset_l", "")).startswith("a_feed")
        rec, per = (row["unique_id_l"], row["unique_id_r"]) if left_is_feed else (row["unique_id_r"], row["unique_id_l"])
        weights = {n: float(row.get(f"mw_{n}") or 0.0) for n in LEVELS}
        levels = {n: _level_of(table_weights[n], w) for n, w in weights.items()}
        out.append(Pair(int(rec), int(per), float(row["match_weight"]), float(row["match_probability"]),
                        levels, {n: round(w, 2) for n, w in weights.items()}))
    out.sort(key=lambda p: (p.record, -p.match_weight, p.person))
    return Result(out, trained, use_em and model is None, None if model else u_model)


def level_weights(model: dict) -> dict[str, list[float | None]]:
    """Comparison → the partial match weight log2(m/u) of each of its levels (None: the null level)."""
    out = {}
    for comp in model.get("comparisons", []):
        ws: list[float | None] = []
        for level in comp["comparison_levels"]:
            m, u = level.get("m_probability"), level.get("u_probability")
            ws.append(None if level.get("is_null_level") or not m or not u else math.log2(m / u))
        out[comp["output_column_name"]] = ws
    return out


def parameters(model: dict) -> list[dict]:
    """Each comparison level of a trained model with its m, u and partial match weight log2(m/u),
    labelled in both languages (the null levels left out): what an officer reads to trace a weight."""
    out = []
    for comp in model.get("comparisons", []):
        name = comp["output_column_name"]
        if name not in LEVELS:
            continue
        for i, level in enumerate(comp["comparison_levels"]):
            if level.get("is_null_level") or i >= len(LEVELS[name]):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            out.append({"comparison": name, "label": FIELD_LABELS[name], "level": i,
                        "level_zh": LEVELS[name][i][0], "level_en": LEVELS[name][i][1], "m": m, "u": u,
                        "weight": math.log2(m / u) if m and u else None})
    return out


def _level_of(weights: list[float | None], w: float) -> int:
    """The level (index into :data:`LEVELS`) whose partial weight is ``w``; 0 (missing) for no evidence."""
    best_i, best_d = 0, abs(w) if w == 0 else math.inf
    for i, lw in enumerate(weights):
        if lw is not None and abs(lw - w) < best_d - 1e-9:
            best_i, best_d = i, abs(lw - w)
    return best_i


def level_label(comparison: str, level: int, lang: str = "zh") -> str:
    """The label of a level of a comparison, in Chinese or English."""
    levels = LEVELS[comparison]
    return levels[level][0 if lang == "zh" else 1] if 0 <= level < len(levels) else ""


def agrees(comparison: str, level: int) -> bool | None:
    """True when the level is the comparison's exact agreement, False for its last level (different),
    None for the levels between and for missing values."""
    if level == 1:
        return True
    if level == len(LEVELS[comparison]) - 1:
        return False
    return None


def best(pairs: Sequence[Pair]) -> dict[int, list[Pair]]:
    """The candidates of each record, best first."""
    out: dict[int, list[Pair]] = {}
    for p in pairs:
        out.setdefault(p.record, []).append(p)
    for v in out.values():
        v.sort(key=lambda p: (-p.match_weight, p.person))
    return out
