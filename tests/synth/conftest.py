"""Shared small synthetic counties for the synth tests (built once per session)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from renkou.synth.generator import generate
from renkou.synth.params import CountyParams, ImperfectionParams, MigrationParams, preset


@pytest.fixture(scope="session")
def closed_county():
    """30,000 people, 2001–2003, no migration and no imperfections: for rate checks."""
    p = CountyParams(county_code="130982", start_year=2001, end_year=2003, persons=30_000,
                     migration=MigrationParams(internal_move_rate=0.0, household_move_out_rate=0.0,
                                               young_move_out_rate=0.0, move_in_rate=0.0),
                     imperfections=ImperfectionParams(enabled=False))
    return p, generate(p, 7)


@pytest.fixture(scope="session")
def gaize():
    p = preset("gaize")
    return p, generate(p, 3)


@pytest.fixture(scope="session")
def small_renqiu():
    """Renqiu's parameters scaled down: 20,000 registered, 1,100 migrants, imperfections on."""
    p = replace(preset("renqiu"), persons=20_000, migrants_target=1_100, start_year=2003)
    return p, generate(p, 11)
