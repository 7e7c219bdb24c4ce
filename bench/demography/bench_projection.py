"""Benchmark: vectorised cohort-component projection vs a bare NumPy loop over areas.

Projects N areas × 101 ages × 2 sexes × Y years (default 3 000 × 50, as in the
issue) with :func:`renkou.demography.projection.project`, then does the same
arithmetic area by area in a plain Python loop of NumPy operations, in the same
process, checks both give the same numbers, and prints JSON: both run times and
their ratio (vectorised / loop; below 1 means the vectorised code is faster).

    .venv/bin/python bench/demography/bench_projection.py [--small] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

from renkou.demography.lifetable import life_table_from_rates, survival_ratios
from renkou.demography.projection import male_share_at_birth, project


def inputs(n_areas: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Plausible, area-specific inputs: populations, survival ratios, ASFR, SRB, net migration."""
    rng = np.random.default_rng(seed)
    ages = np.arange(101)
    population = rng.uniform(20, 400, size=(n_areas, 2, 101)) * np.linspace(1.4, 0.05, 101)
    level = rng.uniform(0.7, 1.4, size=(n_areas, 1, 1))
    mx = level * np.stack([0.0002 * np.exp(0.085 * ages) + 0.0004, 0.0001 * np.exp(0.088 * ages) + 0.0003])
    mx[:, :, 0] *= 15
    survival = survival_ratios(life_table_from_rates(np.minimum(mx, 0.8), sex=("male", "female")))
    x = ages[15:50]
    fertility = np.zeros((n_areas, 101))
    peak = rng.uniform(25, 31, size=(n_areas, 1))
    pattern = np.exp(-0.5 * ((x - peak) / 5.5) ** 2)
    fertility[:, 15:50] = pattern / pattern.sum(axis=1, keepdims=True) * rng.uniform(1.0, 2.2, (n_areas, 1))
    srb = rng.uniform(103, 115, size=n_areas)
    migration = rng.normal(0, 2, size=(n_areas, 2, 101))
    return {"population": population, "survival": survival, "fertility": fertility, "srb": srb,
            "migration": migration}


def bare_loop(population, survival, fertility, srb, migration, n_years):
    """The same projection arithmetic, one area at a time: the baseline."""
    n_areas = population.shape[0]
    pop = np.empty((n_years + 1, n_areas, 2, 101))
    births_out = np.empty((n_years, n_areas, 2))
    deaths_out = np.empty((n_years, n_areas, 2))
    moved_out = np.empty((n_years, n_areas, 2))
    boys = male_share_at_birth(srb)
    for a in range(n_areas):
        s, f, mig = survival[a], fertility[a], migration[a]
        share = np.array([boys[a], 1.0 - boys[a]])
        p = population[a]
        pop[0, a] = p
        for t in range(n_years):
            surv = np.empty((2, 101))
            surv[:, 1:] = p[:, :-1] * s[:, 1:]
            surv[:, 100] += p[:, 100] * s[:, 100]
            surv[:, 0] = 0.0
            out = surv + mig
            out[:, 1:] = np.maximum(out[:, 1:], 0.0)
            births = (f * (p[1] + out[1]) / 2.0).sum() * share
            newborns = births * s[:, 0]
            surv[:, 0] = newborns
            out[:, 0] = np.maximum(out[:, 0] + newborns, 0.0)
            births_out[t, a] = births
            deaths_out[t, a] = p.sum(axis=1) + births - surv.sum(axis=1)
            moved_out[t, a] = out.sum(axis=1) - surv.sum(axis=1)
            pop[t + 1, a] = out
            p = out
    return pop, births_out, deaths_out, moved_out


def best_time(fn, repeat: int):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="100 areas × 10 years (a quick check)")
    parser.add_argument("--areas", type=int)
    parser.add_argument("--years", type=int)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    n_areas = args.areas or (100 if args.small else 3000)
    n_years = args.years or (10 if args.small else 50)
    data = inputs(n_areas)

    vec_s, proj = best_time(lambda: project(
        data["population"], survival=data["survival"], fertility=data["fertility"], n_years=n_years,
        srb=data["srb"], net_migration=data["migration"]), args.repeat)
    loop_s, (pop, births, deaths, moved) = best_time(lambda: bare_loop(
        data["population"], data["survival"], data["fertility"], data["srb"], data["migration"], n_years),
        max(1, args.repeat // 3))
    difference = max(float(np.max(np.abs(proj.population - pop))),
                     float(np.max(np.abs(proj.births - births))),
                     float(np.max(np.abs(proj.deaths - deaths))))
    if difference > 1e-6:
        raise SystemExit(f"vectorised and loop results differ by {difference}")
    print(json.dumps({
        "benchmark": "demography.projection",
        "areas": n_areas, "ages": 101, "sexes": 2, "years": n_years,
        "vectorised_seconds": round(vec_s, 4),
        "numpy_loop_seconds": round(loop_s, 4),
        "ratio_vectorised_to_loop": round(vec_s / loop_s, 4),
        "max_abs_difference": difference,
        "balance_error": float(np.max(np.abs(proj.balance_error()))),
        "python": platform.python_version(), "numpy": np.__version__, "machine": platform.machine(),
    }, indent=2))


if __name__ == "__main__":
    main()
