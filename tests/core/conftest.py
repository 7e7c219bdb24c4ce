"""Fixtures of the register and of the assessment, for the audit tests that guard their tables."""

from tests.evaluation.conftest import evaluator, scored_run, small_scheme  # noqa: F401
from tests.registry.conftest import officers, people  # noqa: F401
