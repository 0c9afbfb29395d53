"""The gate tests' shared fixtures."""

from checkov_fixtures import fixture_files  # noqa: F401 (a fixture: pytest finds it here)
