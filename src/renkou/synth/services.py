"""Voluntary services people received (自愿服务记录), each recorded with consent.

Services are drawn from the simulated lives: a yearly take-up probability among
those eligible, on a date while the person lived in the county.  Prenatal care
visits precede a delivery, postnatal visits follow it within 42 days, premarital
checks precede a marriage.  Only services given with consent are recorded, so every
row carries ``consent = yes`` and the consent date.
"""

from __future__ import annotations

import numpy as np

from .history import BIRTH, MARRIAGE, Simulation
from .ids import birth_years
from .model import Table
from .population import ENTRY_BASE, NEVER_MARRIED, NO_DATE, NONE, random_dates, year_start

SERVICES = ("reproductive_health_check", "prenatal_care", "postnatal_visit", "contraceptive_counselling",
            "contraceptive_method", "cervical_screening", "breast_screening", "premarital_check")
PROVIDERS = ("township_station", "county_station", "village_service_room", "mobile_team")
METHODS = ("iud", "implant", "injection", "pill", "condom", "tubal_ligation", "vasectomy")
_PROVIDER_SHARE = (0.55, 0.25, 0.12, 0.08)
_METHOD_SHARE = (0.45, 0.04, 0.08, 0.06, 0.22, 0.12, 0.03)


def generate_services(sim: Simulation, internal: dict[str, np.ndarray]) -> Table:
    """All service records of the simulated span, sorted by date, person and service."""
    P, E, p, rng = sim.persons, sim.events, sim.p, sim.rng
    s = p.services
    first = year_start(p.start_year)
    lo_all = np.maximum(P["entry"].astype(np.int64), P["birth"].astype(np.int64))
    hi_all = np.where(P["exit"] == NO_DATE, year_start(p.end_year + 1) - 1, P["exit"].astype(np.int64) - 1)
    rows: list[tuple[np.ndarray, np.ndarray, int]] = []  # (person, date, service)
    # when a woman counts as married: before the span if married in the base population
    married_from = np.full(len(P), NO_DATE, dtype=np.int64)
    married_from[(P["entry_kind"] == ENTRY_BASE) & (P["marital"] != NEVER_MARRIED)] = first - 1
    wed = E["kind"] == MARRIAGE
    np.minimum.at(married_from, E["spouse"][wed], E["date"][wed].astype(np.int64))
    np.minimum.at(married_from, E["person"][wed], E["date"][wed].astype(np.int64))
    for year in range(p.start_year, p.end_year + 1):
        y0, y1 = year_start(year), year_start(year + 1) - 1
        age = year - birth_years(P["birth"])
        lo, hi = np.maximum(lo_all, y0), np.minimum(hi_all, y1)
        live = lo <= hi
        women = live & (P["sex"] == 2)
        for code, share, cond in (
            (0, s.reproductive_health_check, women & (age >= 15) & (age <= 49)),
            (3, s.contraceptive_counselling, women & (age >= 18) & (age <= 49)),
            (4, s.contraceptive_method, women & (age >= 18) & (age <= 49) & (married_from <= y1)),
            (5, s.cervical_screening, women & (age >= 35) & (age <= 64)),
            (6, s.breast_screening, women & (age >= 35) & (age <= 64)),
        ):
            who = np.flatnonzero(cond & (rng.random(len(P)) < share))
            lo_w = lo[who] if code != 4 else np.maximum(lo[who], married_from[who])
            ok = lo_w <= hi[who]
            rows.append((who[ok], random_dates(lo_w[ok], hi[who][ok], rng), code))
    births = np.flatnonzero(E["kind"] == BIRTH)
    key = E["mother"][births].astype(np.int64) * 100_000 + E["date"][births]
    _, first_child = np.unique(key, return_index=True)
    conf = births[first_child]
    mothers, bdate = E["mother"][conf], E["date"][conf].astype(np.int64)
    take = rng.random(len(conf)) < s.prenatal_care
    visits = rng.integers(1, 6, len(conf)) * take
    m_rep, b_rep = np.repeat(mothers, visits), np.repeat(bdate, visits)
    d = b_rep - rng.integers(14, 250, len(m_rep))
    ok = (d >= lo_all[m_rep]) & (d >= first)
    rows.append((m_rep[ok], d[ok], 1))
    post = rng.random(len(conf)) < s.postnatal_visit
    d = bdate + rng.integers(1, 43, len(conf))
    ok = post & (d <= hi_all[mothers])
    rows.append((mothers[ok], d[ok], 2))
    for col in ("person", "spouse"):
        who, wdate = E[col][wed], E["date"][wed].astype(np.int64)
        d = wdate - rng.integers(7, 91, len(who))
        ok = (rng.random(len(who)) < s.premarital_check) & (d >= lo_all[who]) & (d >= first) & (who != NONE)
        rows.append((who[ok], d[ok], 7))
    person = np.concatenate([r[0] for r in rows]).astype(np.int64)
    date = np.concatenate([r[1] for r in rows]).astype(np.int64)
    service = np.concatenate([np.full(len(r[0]), r[2]) for r in rows])
    order = np.lexsort((service, person, date))
    person, date, service = person[order], date[order], service[order]
    n = len(person)
    provider = rng.choice(len(PROVIDERS), size=n, p=_PROVIDER_SHARE)
    method = np.where(service == 4, rng.choice(len(METHODS), size=n, p=_METHOD_SHARE), -1)
    from .generator import keys, to_dates

    methods = np.array((*METHODS, ""), dtype=object)
    codes = np.array(sim.areas.codes, dtype=object)
    dates = to_dates(date)
    return {
        "record_id": keys(f"{p.county_code}S", np.arange(n), 8),
        "person_key": internal["pkey"][person],
        "service": np.array(SERVICES, dtype=object)[service],
        "service_date": dates,
        "area_code": codes[internal["leaf"][person]],
        "provider": np.array(PROVIDERS, dtype=object)[provider],
        "method": methods[method],
        "consent": np.full(n, "yes", dtype=object),
        "consent_date": dates.copy(),
    }
