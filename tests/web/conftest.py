"""Fixtures of the page tests: the assessment's small scheme and run (shared with tests/evaluation)."""

from tests.evaluation.conftest import evaluator, scored_run, small_scheme  # noqa: F401
