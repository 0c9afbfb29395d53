"""The wheel of this checkout, built and installed once per session for every package test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.package.userapp import build_wheel, install_wheel


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def installed(tmp_path_factory, wheel) -> Path:
    return install_wheel(tmp_path_factory.mktemp("wheel"), wheel)
