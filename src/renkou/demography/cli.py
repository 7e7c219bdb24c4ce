"""Command line for the demography library: ``rates``, ``lifetable``, ``project`` on CSV tables.

Reached as ``renkou demography …``; also runs alone as
``python -m renkou.demography.cli …``.  Each sub-command reads its CSV tables
(:mod:`renkou.demography.tables`) — or, with ``--area CODE --period P``, the
register through :mod:`renkou.demography.register_feed` (Django is set up only
then) — and calls one function that takes arrays: :func:`compute_rates`,
:func:`compute_life_tables`, :func:`run_projection`.
Output is JSON or CSV on stdout or in ``--out``.  Usage: ``docs/demography.md``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from . import rates
from .lifetable import LifeTable, abridged_ages, abridged_life_table, death_rates, life_table_from_rates
from .projection import DEFAULT_SRB, Projection, fertility_by_single_age, project
from .scenarios import SCENARIOS, population_momentum, replacement_tfr, survival_path, tfr_scenario
from .tables import (
    LIFE_TABLE_HEADER,
    PROJECTION_HEADER,
    AgeTable,
    TableError,
    dump_json,
    life_table_rows,
    projection_rows,
    read_age_sex_table,
    read_age_table,
    write_csv,
)

SEX_NAMES = ("male", "female")
BASES = ("resident", "registered", "inflow", "outflow")  # as renkou.indicators.register.BASES
DEFAULT_START_YEAR = 2025


# --------------------------------------------------------------------------- array functions
def compute_rates(
    population: np.ndarray,
    *,
    births: np.ndarray | None = None,
    births_by_sex: np.ndarray | None = None,
    deaths: np.ndarray | None = None,
    women_by_parity: np.ndarray | None = None,
    confidence: float = 0.95,
) -> list[dict[str, Any]]:
    """Rates for each area.

    ``population``: mid-year population ``(A, 2, 101)``; ``births``: births by age of
    mother ``(A, 101)``; ``births_by_sex``: the same split by sex of the child
    ``(A, 2, 101)`` (gives the sex ratio at birth); ``deaths``: ``(A, 2, 101)``;
    ``women_by_parity``: ``(A, K+1)``.  Returns one dict per area.
    """
    pop = np.asarray(population, dtype=float)
    if births is None and births_by_sex is not None:
        births = np.asarray(births_by_sex, dtype=float).sum(axis=-2)
    total = pop.sum(axis=(-2, -1))
    dep = rates.dependency_ratios(pop)
    result: dict[str, Any] = {
        "population": total,
        "population_by_sex": pop.sum(axis=-1),
        "dependency_ratio_child": dep.child,
        "dependency_ratio_old_age": dep.old_age,
        "dependency_ratio_total": dep.total,
        "ageing_index": rates.ageing_index(pop),
        "median_age": rates.median_age(pop),
    }
    if births is not None:
        b = np.asarray(births, dtype=float)
        women = pop[:, rates.FEMALE]
        asfr = rates.age_specific_fertility_rates(b, women)[:, 15:50]
        asfr5 = rates.five_year_fertility_rates(b, women)
        result |= {
            "births": b.sum(axis=-1),
            "crude_birth_rate": rates.crude_birth_rate(b.sum(axis=-1), total),
            "general_fertility_rate": rates.general_fertility_rate(
                b.sum(axis=-1), rates.women_of_childbearing_age(pop)),
            "total_fertility_rate": rates.total_fertility_rate(asfr),
            "total_fertility_rate_5y": rates.total_fertility_rate(asfr5, width=5),
            "mean_age_at_childbearing": rates.mean_age_at_childbearing(asfr, ages=np.arange(15, 50)),
            "asfr_15_49": asfr,
            "asfr_5y_15_49": asfr5,
        }
    if births_by_sex is not None:
        bs = np.asarray(births_by_sex, dtype=float).sum(axis=-1)
        srb = rates.sex_ratio_at_birth(bs[:, 0], bs[:, 1], confidence)
        result |= {"sex_ratio_at_birth": srb.ratio, "sex_ratio_at_birth_lower": srb.lower,
                   "sex_ratio_at_birth_upper": srb.upper, "confidence": np.full(total.shape, confidence)}
    if deaths is not None:
        d = np.asarray(deaths, dtype=float).sum(axis=(-2, -1))
        result |= {"deaths": d, "crude_death_rate": rates.crude_death_rate(d, total)}
        if births is not None:
            result["natural_increase_rate"] = rates.natural_increase_rate(
                np.asarray(births, float).sum(axis=-1), d, total)
    if women_by_parity is not None:
        result["parity_progression_ratios"] = rates.parity_progression_ratios(women_by_parity)
    return [{k: v[i] for k, v in result.items()} for i in range(pop.shape[0])]


def compute_life_tables(
    deaths: np.ndarray,
    exposures: np.ndarray,
    ages: np.ndarray,
    *,
    a0_rule: str = "coale-demeny",
) -> dict[str, LifeTable]:
    """Life tables for male, female and both sexes of each area: ``{"male": …, "female": …, "both": …}``,
    each with leading axis A.  ``deaths``/``exposures``: ``(A, 2, n_ages)`` on ``ages``
    (single-year 0…ω or abridged 0, 1, 5, …, ω; last group open).
    """
    d, k = np.asarray(deaths, float), np.asarray(exposures, float)
    by_sex = life_table_from_rates(death_rates(d, k), ages, sex=SEX_NAMES, a0_rule=a0_rule)
    both = life_table_from_rates(death_rates(d.sum(axis=1), k.sum(axis=1)), ages, sex="both",
                                 a0_rule=a0_rule)

    def pick(s: int) -> LifeTable:
        cols = {c: getattr(by_sex, c)[:, s] for c in LifeTable.COLUMNS}
        return LifeTable(ages=by_sex.ages, widths=by_sex.widths, **cols)

    return {"male": pick(0), "female": pick(1), "both": both}


def run_projection(
    population: np.ndarray,
    *,
    asfr: np.ndarray,
    mx: np.ndarray,
    n_years: int,
    scenario: str = "constant",
    start_year: int = 0,
    base_tfr: np.ndarray | None = None,
    target_tfr: float | None = None,
    years_to_target: int | None = None,
    spread: float = 0.5,
    srb: float = DEFAULT_SRB,
    e0_target: Sequence[float] | None = None,
    net_migration: np.ndarray | None = None,
) -> tuple[Projection, np.ndarray]:
    """Project ``population`` ``(A, 2, 101)`` under a named scenario; returns the projection and the
    TFR path used ``(n_years, A)``.

    ``asfr``: ``(A|1, 101)``; ``mx``: death rates ``(A|1, 2, 101)``; mortality improves towards
    ``e0_target`` = (male, female) by the end of the projection if given.
    """
    f = fertility_by_single_age(asfr)
    survival = survival_path(mx, n_years, e0_target=e0_target)
    tfr0 = f.sum(axis=-1) if base_tfr is None else np.asarray(base_tfr, float)
    rep = replacement_tfr(f, survival[0][..., 1, :], srb) if scenario == "replacement" else None
    path = tfr_scenario(scenario, tfr0, n_years, target_tfr=target_tfr, years_to_target=years_to_target,
                        spread=spread, replacement=rep)
    path = path.reshape(n_years, -1)
    migration = None if net_migration is None else np.asarray(net_migration, float)
    proj = project(population, survival=survival, fertility=f, n_years=n_years, tfr=path, srb=srb,
                   net_migration=migration, start_year=start_year)
    return proj, path


def closing_open_age(deaths: np.ndarray, exposures: np.ndarray, open_age: int = 85) -> int:
    """The highest open age (``open_age``, ``open_age`` − 5, …, 40) at which every abridged group has
    person-years and the open group has deaths, so that a life table closes; ``ValueError`` if none."""
    d = np.asarray(deaths, dtype=float)
    k = np.asarray(exposures, dtype=float)
    for top in range(open_age, 35, -5):
        ages = abridged_ages(top)
        if (np.add.reduceat(k, ages, axis=-1) > 0).all() and (np.add.reduceat(d, ages, axis=-1)[..., -1] > 0).all():
            return top
    raise ValueError("too few deaths or person-years for a life table: pool years (e.g. 2001-2005) "
                     "or a larger area")


def grouped_death_rates(deaths: np.ndarray, exposures: np.ndarray, open_age: int = 85) -> np.ndarray:
    """Single-year death rates ``(..., 101)`` that are defined at every age, for small areas.

    Rates are taken over the abridged groups 0, 1–4, 5–9, …, ``open_age``+ and given to every
    single age of the group (the open group's rate to all ages above it).  Where a group has no
    person-years, or the open group has no deaths, the open age is lowered by 5 years
    (:func:`closing_open_age`).
    """
    d = np.asarray(deaths, dtype=float)
    k = np.asarray(exposures, dtype=float)
    ages = abridged_ages(closing_open_age(d, k, open_age))
    widths = np.diff(np.append(ages, d.shape[-1]))
    return np.repeat(np.add.reduceat(d, ages, axis=-1) / np.add.reduceat(k, ages, axis=-1), widths, axis=-1)


def fertility_from_register(births_by_mother_age: np.ndarray, women_years: np.ndarray) -> np.ndarray:
    """ASFR by single age ``(101,)`` = births to women aged x ÷ woman-years at x (15–49; 0 elsewhere)."""
    b = np.asarray(births_by_mother_age, dtype=float)
    b = b.sum(axis=0) if b.ndim == 2 else b
    f = np.zeros(b.shape[-1])
    w = np.asarray(women_years, dtype=float)
    fertile = slice(15, 50)
    np.divide(b[fertile], w[fertile], out=f[fertile], where=w[fertile] > 0)
    return f


PROFILE_SCENARIOS = ("low", "medium", "high", "constant", "replacement")


def area_profile(
    population: np.ndarray,
    *,
    births: np.ndarray,
    deaths: np.ndarray,
    exposures: np.ndarray,
    pooled_births: np.ndarray,
    pooled_deaths: np.ndarray,
    pooled_exposures: np.ndarray,
    start_year: int,
    horizon: int = 30,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Everything the demography page of one area shows, from aggregated arrays ``(2, 101)``.

    ``population``: at the end of the year; ``births`` (child's sex × mother's age), ``deaths``
    and ``exposures`` of the year; the ``pooled_*`` arrays of several years (life table and
    projection assumptions, steadier for small areas).  Projections start on 1 January of
    ``start_year`` with the pooled fertility and mortality held constant, SRB 105, no migration;
    ``medium`` is the constant path (no target given), ``low``/``high`` ∓ 0.5 children.
    Parts that the data cannot support carry an ``error`` text instead of numbers.
    """
    pop = np.asarray(population, dtype=float)
    year = compute_rates(exposures[None], births_by_sex=births[None], deaths=deaths[None], confidence=confidence)[0]
    pooled = compute_rates(pooled_exposures[None], births_by_sex=pooled_births[None], deaths=pooled_deaths[None],
                           confidence=confidence)[0]
    dep = rates.dependency_ratios(pop)
    out: dict[str, Any] = {
        "population": pop, "total": float(pop.sum()), "male": float(pop[0].sum()), "female": float(pop[1].sum()),
        "dependency_child": float(dep.child), "dependency_old_age": float(dep.old_age),
        "dependency_total": float(dep.total), "ageing_index": float(rates.ageing_index(pop)),
        "median_age": float(rates.median_age(pop)), "year": year, "pooled": pooled,
    }
    try:
        top = closing_open_age(pooled_deaths, pooled_exposures)
        out["life_tables"] = {s: abridged_life_table(pooled_deaths[i] if i < 2 else pooled_deaths.sum(axis=0),
                                                     pooled_exposures[i] if i < 2 else pooled_exposures.sum(axis=0),
                                                     open_age=top, sex=s)
                              for i, s in enumerate(("male", "female", "both"))}
        mx = grouped_death_rates(pooled_deaths, pooled_exposures)
    except ValueError as err:
        out["life_tables"], out["projection_error"] = None, str(err)
        out["life_table_error"] = str(err)
        return out
    asfr = fertility_from_register(pooled_births, pooled_exposures[1])
    if not asfr.any():
        out["projection_error"] = "no births in the pooled years: no fertility schedule to project with"
        return out
    scenarios, paths = {}, {}
    for name in PROFILE_SCENARIOS:
        proj, path = run_projection(pop[None], asfr=asfr[None], mx=mx[None], n_years=horizon, scenario=name,
                                    start_year=start_year)
        scenarios[name], paths[name] = proj, path[:, 0]
    out["projection_years"] = scenarios["medium"].years
    out["scenario_totals"] = {n: p.totals()[:, 0] for n, p in scenarios.items()}
    out["tfr_paths"] = paths
    out["projected_pyramids"] = {k: scenarios["medium"].population[k, 0] for k in (10, 20) if k <= horizon}
    momentum = population_momentum(pop[None], fertility=asfr, survival=survival_path(mx[None], 1)[0])
    out["momentum"] = float(momentum.ratio[0])
    out["replacement_tfr"] = float(momentum.replacement_tfr[0])
    out["projection_tfr"] = float(asfr.sum())
    return out


# --------------------------------------------------------------------------- register input
def _setup_django() -> None:
    """Make the register readable from a plain ``python -m`` run (a management command already did)."""
    import os

    from django.apps import apps

    if not apps.ready:
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
        django.setup()


def _register_inputs(args: argparse.Namespace):
    """:class:`~renkou.demography.register_feed.DemographicInputs` of ``--area`` over ``--period``."""
    if not args.period:
        raise ValueError("--area needs --period (e.g. 2005, 2005SY, 2001-2005)")
    _setup_django()
    from .register_feed import inputs_for_area

    return inputs_for_area(args.area, args.period, args.basis)


def _need_csv(args: argparse.Namespace, *names: str) -> None:
    missing = [f"--{n.replace('_', '-')}" for n in names if getattr(args, n) is None]
    if missing:
        raise ValueError(f"give {' and '.join(missing)} (CSV), or --area CODE --period P (the register)")


# --------------------------------------------------------------------------- CSV plumbing
def _align(table: AgeTable, areas: list[str], what: str, values: np.ndarray | None = None) -> np.ndarray:
    """Rows of ``table`` (or of ``values`` laid out like it) in the order of ``areas``;
    a table without area codes serves every area."""
    v = table.values if values is None else values
    if table.areas == [""]:
        return v[[0] * len(areas)]
    missing = [a for a in areas if a not in table.areas]
    if missing:
        raise TableError(f"{what}: no rows for area(s) {', '.join(missing[:5])}")
    return v[[table.areas.index(a) for a in areas]]


def _aligned_single_year(table: AgeTable, areas: list[str], what: str, n_ages: int = 101) -> np.ndarray:
    """Values on single years 0 … n_ages−1 (last open), in the order of ``areas``."""
    try:
        values = table.single_year(n_ages)
    except TableError as err:
        raise TableError(f"{what}: {err}") from None
    return _align(table, areas, what, values)


def _area_labels(areas: list[str]) -> list[str]:
    return [a or "all" for a in areas]


def _rates_from_register(args: argparse.Namespace) -> tuple[Any, None]:
    """Annual rates of the period: mean population = person-years ÷ years, counts per year."""
    inp = _register_inputs(args)
    per_year = 1.0 / inp.years
    result = compute_rates((inp.exposures * per_year)[None], births_by_sex=(inp.births_by_mother_age * per_year)[None],
                           deaths=(inp.deaths_by_age_sex * per_year)[None], confidence=args.confidence)[0]
    return [{"area": inp.code, "name": inp.name, "period": inp.period.code, "basis": inp.basis,
             "years": inp.years, **result, "unclassified": inp.unclassified}], None


def _cmd_rates(args: argparse.Namespace) -> tuple[Any, None]:
    if args.area:
        return _rates_from_register(args)
    _need_csv(args, "population")
    pop_table = read_age_sex_table(args.population)
    areas = pop_table.areas
    population = _aligned_single_year(pop_table, areas, "population")
    births = births_by_sex = deaths = parity = None
    if args.births:
        try:
            by_sex = read_age_sex_table(args.births)
        except TableError as err:
            try:  # births by age of mother only: age,births
                births = _aligned_single_year(read_age_table(args.births), areas, "births")
            except TableError:
                raise err from None
        else:
            births_by_sex = _aligned_single_year(by_sex, areas, "births")
    if args.deaths:
        deaths = _aligned_single_year(read_age_sex_table(args.deaths), areas, "deaths")
    if args.parity:
        parity_table = read_age_table(args.parity, key="parity")
        parity = _align(parity_table, areas, "parity")
    results = compute_rates(population, births=births, births_by_sex=births_by_sex, deaths=deaths,
                            women_by_parity=parity, confidence=args.confidence)
    return [{"area": a, **r} for a, r in zip(_area_labels(areas), results, strict=True)], None


def _lifetable_from_register(args: argparse.Namespace) -> tuple[dict[str, LifeTable], list[str]]:
    inp = _register_inputs(args)
    d, k = inp.deaths_by_age_sex[None], inp.exposures[None]
    if args.abridged:
        tables = {s: abridged_life_table(d[:, i] if i < 2 else d.sum(axis=1), k[:, i] if i < 2 else k.sum(axis=1),
                                         open_age=args.open_age, sex=s, a0_rule=args.a0_rule)
                  for i, s in enumerate(("male", "female", "both"))}
    else:
        tables = compute_life_tables(d, k, np.arange(d.shape[-1]), a0_rule=args.a0_rule)
    return tables, [inp.code]


def _cmd_lifetable(args: argparse.Namespace) -> tuple[Any, tuple[Sequence[str], list[list[str]]]]:
    if args.area:
        tables, labels = _lifetable_from_register(args)
        return _life_table_output(args, tables, labels)
    _need_csv(args, "deaths", "population")
    d_table = read_age_sex_table(args.deaths)
    k_table = read_age_sex_table(args.population)
    areas = k_table.areas
    if args.abridged:
        ages = abridged_ages(args.open_age)
        grouped = np.array_equal(d_table.ages, ages) and np.array_equal(k_table.ages, ages)
        if grouped:
            d, k = _align(d_table, areas, "deaths"), _align(k_table, areas, "population")
        else:
            n = max(int(d_table.ages.max()), int(k_table.ages.max()), args.open_age) + 1
            d = _aligned_single_year(d_table, areas, "deaths", n)
            k = _aligned_single_year(k_table, areas, "population", n)
        tables = {s: abridged_life_table(d[:, i] if i < 2 else d.sum(axis=1),
                                         k[:, i] if i < 2 else k.sum(axis=1), open_age=args.open_age,
                                         sex=s, a0_rule=args.a0_rule)
                  for i, s in enumerate(("male", "female", "both"))}
    else:
        n = max(k_table.open_age, d_table.open_age) + 1
        d = _aligned_single_year(d_table, areas, "deaths", n)
        k = _aligned_single_year(k_table, areas, "population", n)
        tables = compute_life_tables(d, k, np.arange(n), a0_rule=args.a0_rule)
    return _life_table_output(args, tables, _area_labels(areas))


def _life_table_output(args: argparse.Namespace, tables: dict[str, LifeTable], labels: list[str]
                       ) -> tuple[Any, tuple[Sequence[str], list[list[str]]]]:
    sexes = [args.sex] if args.sex else list(tables)
    rows = [row for s in sexes for row in life_table_rows(tables[s], [f"{a}/{s}" for a in labels])]
    doc = [{"area": a, "sex": s, "ages": tables[s].ages,
            **{c: getattr(tables[s], c)[i] for c in LifeTable.COLUMNS}}
           for s in sexes for i, a in enumerate(labels)]
    return doc, (LIFE_TABLE_HEADER, rows)


def _projection_inputs_from_register(args: argparse.Namespace
                                     ) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, int]:
    """Population at the end of the period, its ASFR and (grouped) death rates; the projection
    starts on 1 January after the period."""
    inp = _register_inputs(args)
    asfr = fertility_from_register(inp.births_by_mother_age, inp.women_exposure)
    if not asfr.any():
        raise ValueError(f"no births in {inp.period.code} in area {inp.code}: no fertility schedule to project with")
    mx = grouped_death_rates(inp.deaths_by_age_sex, inp.exposures)
    return [inp.code], inp.population_end[None], asfr[None], mx[None], inp.period.end.year + 1


def _cmd_project(args: argparse.Namespace) -> tuple[Any, tuple[Sequence[str], Any]]:
    migration = None
    if args.area:
        areas, population, asfr, mx, start_year = _projection_inputs_from_register(args)
        args.start_year = start_year if args.start_year is None else args.start_year
    else:
        _need_csv(args, "population", "asfr")
        if args.mx is None and args.deaths is None:
            raise ValueError("give --mx or --deaths (CSV), or --area CODE --period P (the register)")
        pop_table = read_age_sex_table(args.population)
        areas = pop_table.areas
        population = _aligned_single_year(pop_table, areas, "population")
        asfr = _aligned_single_year(read_age_table(args.asfr), areas, "asfr")
        if args.mx:
            mx = _aligned_single_year(read_age_sex_table(args.mx), areas, "mx")
        else:
            deaths = _aligned_single_year(read_age_sex_table(args.deaths), areas, "deaths")
            mx = death_rates(deaths, population)
        if args.migration:
            migration = _aligned_single_year(read_age_sex_table(args.migration), areas, "migration")
        if args.start_year is None:
            args.start_year = DEFAULT_START_YEAR
    years_to_target = None if args.target_year is None else args.target_year - args.start_year
    proj, path = run_projection(
        population, asfr=asfr, mx=mx, n_years=args.years, scenario=args.scenario,
        start_year=args.start_year, base_tfr=args.tfr, target_tfr=args.target_tfr,
        years_to_target=years_to_target, spread=args.spread, srb=args.srb, e0_target=args.e0_target,
        net_migration=migration)
    labels = _area_labels(areas)
    doc: dict[str, Any] = {
        "scenario": args.scenario, "areas": labels, "years": proj.years,
        "tfr": path.T if path.shape[1] == len(labels) else np.repeat(path.T, len(labels), axis=0),
        "total": proj.totals().T, "births": proj.births.sum(axis=-1).T, "deaths": proj.deaths.sum(axis=-1).T,
        "net_migration": proj.net_migration.sum(axis=-1).T,
        "population": np.moveaxis(proj.population, 1, 0),
    }
    if args.scenario == "replacement":
        doc["momentum"] = population_momentum(population, fertility=asfr, survival=survival_path(mx, 1)[0],
                                              srb=args.srb).ratio
    return doc, (PROJECTION_HEADER, projection_rows(proj, labels))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``renkou demography``."""
    parser = argparse.ArgumentParser(prog="renkou demography",
                                     description="Demographic rates, life tables and projections from CSV tables.")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, default_format: str) -> None:
        p.add_argument("--format", choices=("json", "csv"), default=default_format)
        p.add_argument("--out", type=Path, help="write here instead of standard output")

    def register(p: argparse.ArgumentParser) -> None:
        g = p.add_argument_group("from the register (instead of CSV tables)")
        g.add_argument("--area", help="area code, e.g. 520122 or 520122100000")
        g.add_argument("--period", help="2005, 2005SY, 2005Q3, 20050101-20050630 or 2001-2005 (pooled years)")
        g.add_argument("--basis", choices=BASES, default="resident",
                       help="population basis: resident 常住 (default), registered 户籍, inflow, outflow")

    p = sub.add_parser("rates", help="fertility, crude rates, SRB, dependency ratios, median age (JSON)")
    register(p)
    p.add_argument("--population", help="mid-year population: age,male,female")
    p.add_argument("--births", help="births by age of mother: age,births or age,male,female (sex of child)")
    p.add_argument("--deaths", help="deaths: age,male,female")
    p.add_argument("--parity", help="women by children ever born: parity,women")
    p.add_argument("--confidence", type=float, default=0.95)
    p.add_argument("--format", choices=("json",), default="json")
    p.add_argument("--out", type=Path)

    p = sub.add_parser("lifetable", help="life tables by sex (CSV or JSON)")
    register(p)
    p.add_argument("--deaths", help="deaths: age,male,female")
    p.add_argument("--population", help="mid-year population (exposure): age,male,female")
    p.add_argument("--sex", choices=("male", "female", "both"))
    p.add_argument("--abridged", action="store_true", help="0, 1–4, 5–9, …, open age+")
    p.add_argument("--open-age", type=int, default=85)
    p.add_argument("--a0-rule", choices=("coale-demeny", "half"), default="coale-demeny")
    common(p, "csv")

    p = sub.add_parser("project", help="cohort-component projection (CSV or JSON)")
    register(p)
    p.add_argument("--population", help="population on 1 January: age,male,female (0…100+)")
    p.add_argument("--asfr", help="age-specific fertility rates: age,asfr (15…49)")
    mort = p.add_mutually_exclusive_group()
    mort.add_argument("--mx", help="death rates: age,male,female")
    mort.add_argument("--deaths", help="deaths of the last year: age,male,female (rates = deaths / population)")
    p.add_argument("--migration", help="net migrants per year: age,male,female")
    p.add_argument("--years", type=int, default=50)
    p.add_argument("--start-year", type=int,
                   help=f"first year (default: the year after --period, else {DEFAULT_START_YEAR})")
    p.add_argument("--scenario", choices=SCENARIOS, default="constant")
    p.add_argument("--tfr", type=float, help="base TFR (default: the sum of the ASFR)")
    p.add_argument("--target-tfr", type=float)
    p.add_argument("--target-year", type=int)
    p.add_argument("--spread", type=float, default=0.5, help="low/high variants: ∓ this many children")
    p.add_argument("--srb", type=float, default=DEFAULT_SRB)
    p.add_argument("--e0-target", type=float, nargs=2, metavar=("MALE", "FEMALE"))
    common(p, "csv")
    return parser


COMMANDS = {"rates": _cmd_rates, "lifetable": _cmd_lifetable, "project": _cmd_project}


def main(argv: list[str] | None = None) -> int:
    """Run ``renkou demography <command>``; returns the exit status (2 for bad input)."""
    args = build_parser().parse_args(argv)
    try:
        doc, table = COMMANDS[args.command](args)
    except (TableError, ValueError, OSError) as err:
        print(f"renkou demography {args.command}: {err}", file=sys.stderr)
        return 2
    out: IO[str] = args.out.open("w", encoding="utf-8", newline="") if args.out else sys.stdout
    try:
        if args.format == "csv" and table is not None:
            write_csv(table[1], table[0], out)
        else:
            dump_json(doc, out)
    finally:
        if args.out:
            out.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
