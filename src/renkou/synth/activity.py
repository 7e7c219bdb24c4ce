"""Aggregate activity per township and month (乡镇月度工作量): publicity, trainings, screenings,
mobile service trips.

Sessions and trainings are Poisson counts; people reached and participants are
Poisson with mean count × audience size; screenings are the screening and check-up
services actually recorded for the township's residents that month, so aggregate and
individual data agree; the mobile service vehicle makes ``mobile_trips_per_year``
trips a year, spread at random over townships and months, each ``km_per_trip`` km.
"""

from __future__ import annotations

import numpy as np

from .areas import LEVEL_TOWNSHIP
from .model import SynthResult, Table
from .params import CountyParams

SCREENING_SERVICES = ("reproductive_health_check", "cervical_screening", "breast_screening")


def generate_activity(r: SynthResult, p: CountyParams, rng: np.random.Generator) -> Table:
    """One row per township × month of the simulated span, ordered by township then month."""
    a = p.activity
    towns = [n.code for n in r.areas if n.level == LEVEL_TOWNSHIP]
    months = [f"{y}{m:02d}" for y in range(p.start_year, p.end_year + 1) for m in range(1, 13)]
    nt, nm = len(towns), len(months)
    shape = (nt, nm)
    sessions = rng.poisson(a.publicity_sessions_per_month, shape)
    reached = rng.poisson(sessions * a.people_per_session)
    trainings = rng.poisson(a.trainings_per_month, shape)
    participants = rng.poisson(trainings * a.people_per_training)
    S = r.services
    sel = np.isin(S["service"], SCREENING_SERVICES)
    t_idx = {c[:9]: i for i, c in enumerate(towns)}
    m_idx = {m: i for i, m in enumerate(months)}
    screenings = np.zeros(shape, dtype=np.int64)
    ti = np.array([t_idx[c[:9]] for c in S["area_code"][sel]], dtype=np.int64)
    mi = np.array([m_idx[str(d)[:7].replace("-", "")] for d in S["service_date"][sel]], dtype=np.int64)
    np.add.at(screenings, (ti, mi), 1)
    trips = np.zeros(shape, dtype=np.int64)
    for y in range(p.end_year - p.start_year + 1):
        cells = rng.multinomial(a.mobile_trips_per_year, np.full(nt * 12, 1.0 / (nt * 12))).reshape(nt, 12)
        trips[:, y * 12:(y + 1) * 12] = cells
    n = nt * nm
    from .generator import keys

    return {
        "record_id": keys(f"{p.county_code}A", np.arange(n), 6),
        "area_code": np.repeat(np.array(towns, dtype=object), nm),
        "period": np.tile(np.array(months, dtype=object), nt),
        "publicity_sessions": sessions.ravel().astype(np.int64),
        "people_reached": reached.ravel().astype(np.int64),
        "trainings": trainings.ravel().astype(np.int64),
        "training_participants": participants.ravel().astype(np.int64),
        "screenings": screenings.ravel(),
        "mobile_service_trips": trips.ravel(),
        "mobile_service_km": np.round(trips.ravel() * a.km_per_trip).astype(np.int64),
    }
