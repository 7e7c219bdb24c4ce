"""Renkou demography (人口学计算): rates, life tables and cohort-component projection.

Pure NumPy library without Django, usable on its own from CSV tables
(:mod:`renkou.demography.tables`, :mod:`renkou.demography.cli`).  Arrays use
single-year ages 0…100 (100 = 100+) and sex index 0 = male, 1 = female; a
population of many areas has shape ``(n_areas, 2, 101)``.  Conventions and
sources: ``docs/demography.md``.
"""

from __future__ import annotations

from .lifetable import (
    LifeTable,
    abridged_life_table,
    coale_demeny_4a1,
    coale_demeny_a0,
    death_rates,
    life_expectancy,
    life_table_from_rates,
    single_year_life_table,
    survival_ratios,
)
from .projection import (
    Projection,
    fertility_by_single_age,
    leslie_matrix,
    net_reproduction_rate,
    project,
    scale_to_tfr,
)
from .rates import (
    DependencyRatios,
    SexRatio,
    age_specific_fertility_rates,
    ageing_index,
    crude_birth_rate,
    crude_death_rate,
    dependency_ratios,
    five_year_fertility_rates,
    general_fertility_rate,
    mean_age_at_childbearing,
    mean_population,
    median_age,
    natural_increase_rate,
    parity_progression_ratios,
    sex_ratio_at_birth,
    total_fertility_rate,
)
from .scenarios import (
    Momentum,
    linear_tfr_path,
    population_momentum,
    replacement_tfr,
    survival_path,
    tfr_scenario,
    tfr_variants,
)

__all__ = [
    "DependencyRatios", "LifeTable", "Momentum", "Projection", "SexRatio",
    "abridged_life_table", "age_specific_fertility_rates", "ageing_index", "coale_demeny_4a1",
    "coale_demeny_a0", "crude_birth_rate", "crude_death_rate", "death_rates", "dependency_ratios",
    "fertility_by_single_age", "five_year_fertility_rates", "general_fertility_rate", "leslie_matrix",
    "life_expectancy", "life_table_from_rates", "linear_tfr_path", "mean_age_at_childbearing",
    "mean_population", "median_age", "natural_increase_rate", "net_reproduction_rate",
    "parity_progression_ratios", "population_momentum", "project", "replacement_tfr",
    "scale_to_tfr", "sex_ratio_at_birth", "single_year_life_table", "survival_path",
    "survival_ratios", "tfr_scenario", "tfr_variants", "total_fertility_rate",
]
