"""The migrants part of ``renkou demo``: the migrant records of every county built, from its register,
and Renqiu's (任丘市 130982) landlords, employers and service agreements.

What comes from the seed: Renqiu has 40,000+ migrants, 10,000+ of them married women of
childbearing age, and 60,000+ service agreements with landlords and employers. The migrants and
the women are persons of the synthetic register (its ``migrants_target``); the records are built
from them, so every figure of the summary counts records. Made up here: how many landlords and
employers there are (one landlord for about three migrant households of a village, one employer for
about 25 working migrants of a township), that agreements run for a calendar year and are renewed
(2004 and 2005), that a landlord's agreement covers the household's members and an employer's its
workers aged 16–59, and how the states are spread (below).

States at the reference date: an inflow migrant who arrived in the last 60 days is unconfirmed
(two in three) or registered; of the others one in sixteen needs reconfirmation; migrants who left
are left. An outflow person is floating (6 in 10), not floating (1 in 4), registered outflow or
needing reconfirmation.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from renkou.core.models import Area
from renkou.demo import STEPS

RENQIU = "130982"
YEARS = (2004, 2005)
LANDLORD_PROVIDES = ("及时报告流动人口到达和离开 reports arrivals and departures",
                     "配合上门服务 lets the service officer visit",
                     "张贴服务告知 posts the service notice")
EMPLOYER_PROVIDES = ("报告新招用的流动人员 reports newly hired migrants",
                     "安排服务时间 gives time off for the services",
                     "提供服务场所 provides a room for the services")
BUREAU_PROVIDES = ("免费提供生殖健康检查 free reproductive-health checks",
                   "免费提供避孕药具和咨询 free contraceptives and counselling",
                   "孕产期保健和儿童保健指导 maternal and child care guidance",
                   "办理婚育证明 issues the marriage-and-childbearing certificate")


def reference_date(ctx, county: str) -> dt.date:
    result = ctx.results.get(county) if ctx is not None else None
    if result is None:
        return dt.date(2005, 12, 31)
    return result.reference_date.astype("datetime64[D]").item()


def spread_states(ref: dt.date, seed: int):
    """The ``states_of`` of :func:`services.build_records`: the states at the reference date (above)."""
    rng = random.Random(seed)

    def states_of(direction: str, rows: list[dict]) -> None:
        for row in rows:
            if row["state"] == "left":
                continue
            if direction == "inflow":
                arrived = row["arrival_date"]
                arrived = dt.date.fromisoformat(arrived) if isinstance(arrived, str) else arrived
                if arrived is not None and (ref - arrived).days <= 60:
                    row["state"] = "unconfirmed" if rng.random() < 2 / 3 else "inflow"
                else:
                    row["state"] = "reconfirm" if rng.random() < 1 / 16 else "inflow"
            else:
                r = rng.random()
                row["state"] = ("floating" if r < 0.6 else "not_floating" if r < 0.85
                                else "outflow" if r < 0.95 else "reconfirm")
    return states_of


def build_agreements(county: str, ref: dt.date) -> dict[str, int]:
    """Landlords, employers and the agreements of the years :data:`YEARS` (one transaction)."""
    from django.db import connection, transaction

    from renkou.core import audit
    from renkou.core.pipeline import insert_rows

    from .models import Agreement, MigrantRecord, Party

    if Party.objects.filter(source_key__startswith=f"{county}-").exists():
        return {"parties": Party.objects.filter(source_key__startswith=f"{county}-").count(),
                "agreements": Agreement.objects.filter(number__startswith=f"{county}-").count()}
    rows = list(MigrantRecord.objects.filter(direction="inflow", resident_area__code__startswith=county)
                .values_list("id", "person__household_id", "resident_area_id", "person__birth_date",
                             "arrival_date", "departure_date").order_by("id"))
    names = dict(Area.objects.filter(code__startswith=county, level__gte=4).values_list("code", "name"))
    # landlords: one for about three migrant households of a village; employers: one for about 25 workers
    households: dict[str, list] = defaultdict(list)
    for r in rows:
        households[r[2]].append(r)
    with transaction.atomic():
        parties, landlord_of, employer_of = [], {}, {}
        for village in sorted(households):
            by_house = defaultdict(list)
            for r in households[village]:
                by_house[r[1] or f"p{r[0]}"].append(r)
            for k, house in enumerate(sorted(by_house, key=str)):
                n = k // 3
                key = f"{county}-L-{village}-{n}"
                if key not in landlord_of:
                    landlord_of[key] = len(parties)
                    parties.append({"name": f"{names.get(village, village)} 房东 {n + 1:03d}", "kind": "landlord",
                                    "contact": "", "area_id": village, "source_key": key})
                for r in by_house[house]:
                    landlord_of[r[0]] = landlord_of[key]
        towns: dict[str, list] = defaultdict(list)
        for r in rows:
            age = ref.year - r[3].year if r[3] else 0
            if 16 <= age <= 59:
                towns[r[2][:9] + "000"].append(r)
        for town in sorted(towns):
            for k, r in enumerate(towns[town]):
                n = k // 25
                key = f"{county}-E-{town}-{n}"
                if key not in employer_of:
                    employer_of[key] = len(parties)
                    parties.append({"name": f"{names.get(town, town)} 用工单位 {n + 1:03d}", "kind": "employer",
                                    "contact": "", "area_id": town, "source_key": key})
                employer_of[r[0]] = employer_of[key]
        party_ids = insert_rows(Party, parties)
        agreements, covers = [], []
        for year in YEARS:
            start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
            present = [r for r in rows if (r[4] is None or r[4] <= end) and (r[5] is None or r[5] >= start)]
            groups: dict[tuple, list[int]] = defaultdict(list)
            for r in present:
                groups[("L", landlord_of[r[0]], r[1] or f"p{r[0]}")].append(r[0])
                if r[0] in employer_of:
                    groups[("E", employer_of[r[0]], r[0])].append(r[0])
            for i, (kind, party, _who) in enumerate(sorted(groups, key=str)):
                number = f"{county}-{year}-{kind}{i + 1:06d}"
                agreements.append({"number": number, "party_id": party_ids[party], "area_id": parties[party]["area_id"],
                                   "start": start, "end": end,
                                   "party_provides": "\n".join(LANDLORD_PROVIDES if kind == "L" else EMPLOYER_PROVIDES),
                                   "bureau_provides": "\n".join(BUREAU_PROVIDES)})
                covers.append(groups[(kind, party, _who)])
        ids = insert_rows(Agreement, agreements)
        through = Agreement.migrants.through
        insert_rows(through, [{"agreement_id": a, "migrantrecord_id": m} for a, ms in zip(ids, covers, strict=True)
                              for m in ms])
        # each inflow record names its landlord: one UPDATE statement, run for every record by executemany
        qn, party_column = connection.ops.quote_name, MigrantRecord._meta.get_field("party").column
        with connection.cursor() as cur:
            cur.executemany(f"UPDATE {qn(MigrantRecord._meta.db_table)} SET {qn(party_column)} = %s WHERE id = %s",
                            [(party_ids[landlord_of[r[0]]], r[0]) for r in rows])
        audit.record("build", object_type="migrants.Agreement", area_code=f"{county}000000",
                     detail={"parties": len(parties), "agreements": len(agreements)})
    return {"parties": len(parties), "agreements": len(agreements)}


def run_county(county: str, *, ctx=None, seed: int = 1) -> dict:
    from . import services

    ref = reference_date(ctx, county)
    built = services.build_records(county, states_of=spread_states(ref, seed))
    out = {"county": county, **built}
    if county == RENQIU:
        out.update(build_agreements(county, ref))
    return out


def demo_step(ctx, progress) -> None:
    from . import services

    for county in list(ctx.results):
        bar = progress(f"流动人口 {county} / migrant records of {county}")
        bar(0, 1)
        out = run_county(county, ctx=ctx, seed=ctx.seed)
        bar(1, 1)
        # the figures as of the register's reference date (31 December 2005), not today's
        s = services.summary(county, as_of=reference_date(ctx, county))
        ctx.notes.append(f"migrants {county}: {s['inflow']} inflow, {s['outflow']} outflow, "
                         f"{s['married_women_15_49']} married women 15–49 among the inflow, "
                         f"{s['agreements']} agreements ({out.get('parties', 0)} landlords and employers)")


STEPS.append(("migrants", demo_step))
