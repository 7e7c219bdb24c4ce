"""Fixtures of the register, the indicators and the assessment, for the audit tests of their pages and tables."""

from tests.evaluation.conftest import evaluator, scored_run, small_scheme  # noqa: F401
from tests.indicators.conftest import world  # noqa: F401
from tests.registry.conftest import officers, people  # noqa: F401
