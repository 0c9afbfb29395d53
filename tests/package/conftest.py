"""The wheel of this checkout, built once per session for every package test, and installed
once per worker."""

from __future__ import annotations

import fcntl
import shutil
from pathlib import Path

import pytest

from tests.package.userapp import build_wheel, install_wheel


@pytest.fixture(scope="session")
def wheel(tmp_path_factory, worker_id) -> Path:
    """Built by the first worker that needs it; the others wait for it and take the same file."""
    # pytest-xdist gives each worker a base temp of its own under the session's one.
    session_dir = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        session_dir = session_dir.parent
    dist = session_dir / "dist"
    with open(session_dir / "dist.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        built = next(dist.glob("eksiam-*.whl"), None) if dist.is_dir() else None
        if built is None:
            shutil.rmtree(dist, ignore_errors=True)  # what a failed build left
            dist.mkdir()
            built = build_wheel(dist)
    return built


@pytest.fixture(scope="session")
def installed(tmp_path_factory, wheel) -> Path:
    return install_wheel(tmp_path_factory.mktemp("wheel"), wheel)
