"""The register fixtures of Xifeng (息烽县), shared with the registry tests."""

from tests.registry.conftest import officers  # noqa: F401
