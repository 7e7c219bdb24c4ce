"""Linkage of a month of department records against a county register: Splink (DuckDB) as Renkou
runs it (``renkou.feeds.linkage.link``: u trained on the register, the priors of m, prediction over
the blocking rules) against a bare DuckDB join on pinyin name key and birth date (the baseline: the
fastest thing that links anything). Both are scored against the truth the generator keeps.

    .venv/bin/python bench/feeds/bench_linkage.py [--register 200000] [--records 10000] [--seed 1] [--em]

Prints JSON: seconds of each, and precision and recall of each (a record is linked when its best
candidate reaches the default automatic threshold, 12, and leads the next by 3).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
os.environ.setdefault("RENKOU_HOME", "/tmp/renkou-bench-feeds")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华平刚桂兰建国玉梅红霞波辉鹏飞云海燕宇浩雪琳晨欣"
HOMOPHONES = {"张": "章", "王": "汪", "陈": "程", "徐": "许", "许": "徐", "丽": "莉", "芳": "方", "明": "铭", "伟": "玮",
              "英": "瑛", "军": "君", "平": "萍", "兰": "岚", "红": "虹", "秀": "绣", "玉": "钰", "云": "芸"}


def build(n_register: int, n_records: int, seed: int):
    from renkou.feeds import linkage

    rng = random.Random(seed)
    villages = [f"520122{t:03d}{v:03d}" for t in range(100, 110) for v in range(201, 221)]
    people = []
    for i in range(n_register):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        mother = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        born = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(28000))
        people.append((i + 1, name, rng.choice((1, 2)), born, rng.choice(villages), mother))
    register = [linkage.party(*p) for p in people]
    records, truth, noise = [], {}, {}
    for j in range(n_records):
        rid = 10_000_000 + j
        noise[rid] = []
        if rng.random() < 0.03:  # in no register
            noise[rid].append("unregistered")
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            records.append(linkage.party(rid, name, rng.choice((1, 2)), dt.date(2005, 1, 1) +
                                         dt.timedelta(days=rng.randrange(365)), rng.choice(villages), "某某某"))
            truth[rid] = None
            continue
        pid, name, sex, born, village, mother = rng.choice(people)
        if rng.random() < 0.06 and name[0] in HOMOPHONES:
            name = HOMOPHONES[name[0]] + name[1:]
            noise[rid].append("homophone")
        if rng.random() < 0.03 and born.day <= 12 and born.day != born.month:
            born = dt.date(born.year, born.day, born.month)
            noise[rid].append("day_month_swapped")
        if rng.random() < 0.1:
            mother = ""
            noise[rid].append("no_mother_name")
        records.append(linkage.party(rid, name, sex, born, village, mother))
        truth[rid] = pid
    return register, records, truth, noise


def score(links: dict[int, int], truth: dict[int, int | None], only=None) -> dict:
    if only is not None:
        links = {r: p for r, p in links.items() if r in only}
        truth = {r: p for r, p in truth.items() if r in only}
    right = sum(1 for r, p in links.items() if truth.get(r) == p)
    should = sum(1 for p in truth.values() if p is not None)
    return {"linked": len(links), "right": right, "precision": round(right / len(links), 4) if links else None,
            "recall": round(right / should, 4) if should else None}


def baseline(records, register) -> dict[int, int]:
    """A bare DuckDB join: same pinyin key and same birth date, the record linked when the join finds one."""
    import duckdb

    from renkou.feeds.linkage import _arrow

    con = duckdb.connect()
    con.register("f", _arrow(records))
    con.register("r", _arrow(register))
    rows = con.execute("SELECT f.unique_id, min(r.unique_id), count(*) FROM f JOIN r ON f.name_key = r.name_key "
                       "AND f.birth_date = r.birth_date GROUP BY f.unique_id").fetchall()
    return {f: r for f, r, n in rows if n == 1}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--register", type=int, default=200_000)
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--em", action="store_true", help="re-estimate m by expectation maximisation as well")
    a = ap.parse_args()
    import django

    django.setup()
    from renkou.feeds import linkage

    t0 = time.perf_counter()
    register, records, truth, noise = build(a.register, a.records, a.seed)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    base = baseline(records, register)
    t_base = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = linkage.link(records, register, em=a.em, floor_weight=2.0)
    t_splink = time.perf_counter() - t0
    links = {}
    for rec, cands in linkage.best(result.pairs).items():
        top = cands[0]
        second = cands[1].match_weight if len(cands) > 1 else None
        if top.match_weight >= 12 and (second is None or top.match_weight - second >= 3):
            links[rec] = top.person
    print(json.dumps({"register": a.register, "records": a.records, "cores": os.cpu_count(), "em": a.em,
                      "build_seconds": round(t_build, 2),
                      "baseline_duckdb_join": {"seconds": round(t_base, 2), **score(base, truth)},
                      "splink": {"seconds": round(t_splink, 2), "pairs_scored": len(result.pairs),
                                 **score(links, truth)},
                      "splink_by_noise": {g: score(links, truth, {r for r, n in noise.items() if g in n})
                                          for g in ("homophone", "day_month_swapped", "no_mother_name",
                                                    "unregistered")},
                      "ratio_splink_to_baseline": round(t_splink / t_base, 1) if t_base else None}, indent=1))


if __name__ == "__main__":
    main()
