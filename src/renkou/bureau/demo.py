"""The bureau part of ``renkou demo``: the handbook's figures of the bureaus' own work as records.

- Gaize (改则县 542526), 2005: the family-planning association with 79 members (a county branch and
  one per township, some volunteers); in every township 3 publicity sessions reaching 900 people or
  more in the year; the county association's campaigns (关爱女孩行动, 婚育新风进万家) and sessions
  reaching 5,330; the mobile service vehicle's 6 trips, 4,320 km; free reproductive-health services
  worth ¥50,000 spent from the free-service fund line of the ledger; the supplies station's stock.
- Chengguan (城关区 540102), 2005: a voluntary screening campaign, 774 women examined with consent,
  329 conditions found, 280 cured (30 more treated, 19 referred).
- Xifeng (息烽县 520122), 2005: a per-head allocation of ¥5 × the registered population and 10 % of the
  budget passed down; village charters with self-governance in 63.31 % of the villages (rounded to
  the villages the county has).
- Renqiu (任丘市 130982), 2005: 31 migrant-service staff, 2–3 per township.

A county is built only when its townships are in the demo's area tree.
"""

from __future__ import annotations

import datetime as dt
import random

from renkou.core.models import Area
from renkou.demo import STEPS

YEAR = 2005
GAIZE, CHENGGUAN, XIFENG, RENQIU = "542526", "540102", "520122", "130982"
GAIZE_MEMBERS = 79
GAIZE_TRIPS_KM = (620, 780, 700, 740, 760, 720)  # 4,320 km
GAIZE_ASSOCIATION_REACHED = (1_400, 1_350, 1_300, 1_280)  # 5,330
GAIZE_TOWNSHIP_SESSIONS = (310, 305, 320)  # 935 a township
GAIZE_FREE_SERVICES_FEN = 50_000_00
CHENGGUAN_SCREENING = {"none": 445, "cured": 280, "treated": 30, "referred": 19}  # 774 / 329 / 280
XIFENG_PER_HEAD_FEN = 5_00
XIFENG_SELF_GOVERNANCE = 0.6331
RENQIU_MIGRANT_STAFF = 31
SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗"
GIVEN = ("明", "华", "芳", "秀英", "建国", "丽", "强", "卓玛", "次仁", "扎西", "央金", "格桑")


def _county(code: str) -> str:
    return code + "000000"


def _townships(code: str) -> list[Area]:
    return list(Area.objects.filter(code__startswith=code, level=Area.Level.TOWNSHIP).order_by("code"))


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def run_gaize(seed: int) -> dict:
    from django.db import transaction

    from . import services
    from .models import Event, Facility, FundLine

    rng = random.Random(seed)
    county = _county(GAIZE)
    towns = _townships(GAIZE)
    with transaction.atomic():
        assoc = services.branch(county, "改则县计划生育协会", dt.date(1998, 5, 1))
        branches = [assoc] + [services.branch(t.code, f"{t.name}计划生育协会分会", dt.date(2001, 3, 1)) for t in towns]
        for n in range(GAIZE_MEMBERS):
            services.add_member(branches[n % len(branches)], _name(rng), dt.date(2001 + n % 4, 1 + n % 12, 1),
                                volunteer=n % 3 == 0)
        for t in towns:
            for k, reached in enumerate(GAIZE_TOWNSHIP_SESSIONS):
                services.record_event(area=t.code, kind=Event.Kind.PUBLICITY, held_on=dt.date(YEAR, 3 + 4 * k, 12),
                                      place=f"{t.name}政府会议室", audience="育龄群众 people of childbearing age",
                                      reached=reached, leaflets=reached, handbooks=reached // 5,
                                      source_key=f"demo:gaize:{t.code}:{k}")
        campaigns = (Event.Campaign.CARE_FOR_GIRLS, Event.Campaign.NEW_CUSTOMS, "", "")
        for k, (reached, camp) in enumerate(zip(GAIZE_ASSOCIATION_REACHED, campaigns, strict=True)):
            services.record_event(area=county, kind=Event.Kind.CAMPAIGN if camp else Event.Kind.PUBLICITY,
                                  campaign=camp, organiser=Event.Organiser.ASSOCIATION,
                                  held_on=dt.date(YEAR, 2 + 3 * k, 20), place="改则县城广场", audience="全县群众",
                                  reached=reached, leaflets=reached, source_key=f"demo:gaize:assoc:{k}")
        services.record_event(area=county, kind=Event.Kind.TRAINING, held_on=dt.date(YEAR, 6, 6), place="县计生服务站",
                              audience="乡村计生专干 township and village officers", reached=40,
                              source_key="demo:gaize:training")
        services.facility(county, Facility.Kind.STATION, "改则县计划生育服务站", location="改则镇")
        for t in towns:
            services.facility(t.code, Facility.Kind.TOWNSHIP_STATION, f"{t.name}计生服务所")
        van = services.facility(county, Facility.Kind.MOBILE, "流动服务车", equipment="B超 ultrasound; 妇检床 exam couch")
        for k, km in enumerate(GAIZE_TRIPS_KM):
            services.trip(van, area=towns[k % len(towns)].code if towns else county, on=dt.date(YEAR, 4 + k, 10), km=km,
                          purpose="下乡服务 service in the townships")
        depot = services.facility(county, Facility.Kind.SUPPLIES, "改则县计生药具站")
        services.receive(depot, "避孕套 condoms", 6_000, on=dt.date(YEAR, 1, 15))
        for m in range(1, 13):
            services.issue(depot, "避孕套 condoms", 400, on=dt.date(YEAR, m, 25))
        line = services.fund_line(county, YEAR, FundLine.Kind.FREE_SERVICE, "免费生殖健康服务经费")
        services.allocate(line, 60_000_00, on=dt.date(YEAR, 1, 10), key=f"demo:gaize:{YEAR}:free")
        for k in range(20):
            services.spend(line, GAIZE_FREE_SERVICES_FEN // 20, on=dt.date(YEAR, 1 + k % 12, 15),
                           payee=f"免费服务 free service {k + 1}", key=f"demo:gaize:{YEAR}:free:{k}")
        for t in towns:
            services.add_staff(area=t.code, kind="full_time", name=_name(rng), started_on=dt.date(2000, 1, 1),
                               qualified=True, qualification="计划生育专干资格")
    return services.summary(GAIZE, YEAR)


def run_chengguan(seed: int) -> dict:
    from django.db import transaction

    from . import services

    towns = _townships(CHENGGUAN)
    with transaction.atomic():
        camp = services.screening_campaign(_county(CHENGGUAN), "妇女病普查普治 2005", dt.date(YEAR, 3, 1))
        outcomes = [o for o, n in CHENGGUAN_SCREENING.items() for _ in range(n)]
        random.Random(seed).shuffle(outcomes)
        for k, outcome in enumerate(outcomes):
            area = towns[k % len(towns)].code if towns else _county(CHENGGUAN)
            services.screen(camp, area=area, number=f"2005-{k + 1:04d}", examined_on=dt.date(YEAR, 3 + k % 9, 1 + k % 28),
                            consent=True, outcome=outcome)
    return services.summary(CHENGGUAN, YEAR)


def run_xifeng(seed: int) -> dict:
    from django.db import transaction

    from . import services
    from .models import FundLine

    county = _county(XIFENG)
    with transaction.atomic():
        pop = services.population(XIFENG, dt.date(YEAR, 12, 31))
        per_head = XIFENG_PER_HEAD_FEN * pop
        head = services.fund_line(county, YEAR, FundLine.Kind.PER_HEAD, "人均5元计生经费")
        if per_head:
            services.allocate(head, per_head, on=dt.date(YEAR, 1, 10), key=f"demo:xifeng:{YEAR}:head")
        # 10 % of the whole budget passed down: the transfer line is 1/9 of what the county keeps
        down = services.fund_line(county, YEAR, FundLine.Kind.TRANSFER, "下拨乡村经费")
        if per_head >= 9:
            services.allocate(down, per_head // 9, on=dt.date(YEAR, 1, 10), key=f"demo:xifeng:{YEAR}:down")
        villages = list(Area.objects.filter(code__startswith=XIFENG, level=Area.Level.VILLAGE).order_by("code"))
        k = round(len(villages) * XIFENG_SELF_GOVERNANCE)
        for n, v in enumerate(villages):
            services.charter(v.code, adopted_on=dt.date(2003, 6, 1) if n < k else None, self_governing=n < k,
                             model_since=dt.date(2004, 7, 1) if n < 5 else None,
                             model_reason="村民自治示范村 model of villagers' self-governance" if n < 5 else "")
    return services.summary(XIFENG, YEAR)


def run_renqiu(seed: int) -> dict:
    from django.db import transaction

    from . import services

    rng = random.Random(seed)
    towns = _townships(RENQIU)[:RENQIU_MIGRANT_STAFF // 2]  # 2–3 a township
    with transaction.atomic():
        for n in range(RENQIU_MIGRANT_STAFF):
            services.add_staff(area=towns[n % len(towns)].code, kind="migrant_service", name=_name(rng),
                               started_on=dt.date(2004, 3, 1), qualified=n % 4 != 0,
                               training="流动人口服务管理培训 migrant-service course")
    return services.summary(RENQIU, YEAR)


RUNS = ((GAIZE, run_gaize), (CHENGGUAN, run_chengguan), (XIFENG, run_xifeng), (RENQIU, run_renqiu))


def demo_step(ctx, progress) -> None:
    built = [(code, run) for code, run in RUNS
             if Area.objects.filter(code__startswith=code, level=Area.Level.VILLAGE).exists()]
    if not built:
        return
    bar = progress("计生局自身工作 / the bureaus' own work")
    for n, (code, run) in enumerate(built):
        bar(n, len(built))
        s = run(ctx.seed)
        ctx.notes.append(f"bureau {code}: {s['association_members']} association members, {s['sessions']} sessions, "
                         f"{s['vehicle_trips']} trips / {s['vehicle_km']} km, {s['screened']} screened, "
                         f"{s['staff']} staff — renkou bureau summary --area {code} --year {YEAR}")
    bar(len(built), len(built))


STEPS.append(("bureau", demo_step))
