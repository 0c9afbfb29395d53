"""The environment the gate gives terraform (and, through it, the provider plugins)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from eksiam.gate.terraform import Terraform


@pytest.fixture
def echoing_terraform(tmp_path, monkeypatch) -> Terraform:
    """A terraform on PATH that prints the variables this test asks about."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "terraform"
    script.write_text('#!/bin/sh\necho "GOGC=${GOGC-unset} TF_CLI_CONFIG_FILE=$TF_CLI_CONFIG_FILE"\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return Terraform(tmp_path, Path("/configs/terraform.rc"))


def test_terraform_collects_garbage_less_often_than_gos_default(echoing_terraform, monkeypatch):
    monkeypatch.delenv("GOGC", raising=False)
    assert echoing_terraform.run("version").split() == ["GOGC=400", "TF_CLI_CONFIG_FILE=/configs/terraform.rc"]


def test_a_users_own_gogc_is_kept(echoing_terraform, monkeypatch):
    monkeypatch.setenv("GOGC", "100")
    assert echoing_terraform.run("version").split()[0] == "GOGC=100"
