"""Shared fixtures for the policy tests: one OPA engine holding every module of policy/."""

from __future__ import annotations

import pytest

from rego_harness import load_engine


@pytest.fixture(scope="session")
def policy_engine():
    engine = load_engine()
    yield engine
    engine.close()
