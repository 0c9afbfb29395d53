"""Shared fixtures: one synth per test session, and the project's Terraform CLI config."""

from __future__ import annotations

import json
import os
from pathlib import Path

import tempfile

import pytest

from gate.terraform import write_cli_config

# Before cdktf starts its Node process (which copies the environment once): terraform run by
# cdktf's Testing helpers must find the offline provider mirror too.
TERRAFORM_CLI_CONFIG = write_cli_config(tempfile.mkdtemp(prefix="eksiam-tests-"))
os.environ["TF_CLI_CONFIG_FILE"] = str(TERRAFORM_CLI_CONFIG)

from stacks import CONNECTOR_STACK, NODE_STACK  # noqa: E402
from stacks.app import synthesize  # noqa: E402
from stacks.cdk import Testing  # noqa: E402
from stacks.config import load_config  # noqa: E402

# cdktf's Testing class starts with "Test": keep pytest from collecting it.
Testing.__test__ = False

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"


@pytest.fixture(scope="session")
def terraform_cli_config() -> Path:
    """The project's Terraform CLI config (offline provider mirror when there is one)."""
    return TERRAFORM_CLI_CONFIG


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory) -> Path:
    """Both stacks synthesized once, with the default configuration."""
    workdir = tmp_path_factory.mktemp("synth")
    cwd = Path.cwd()
    os.chdir(workdir)  # state paths are relative to the working directory
    try:
        result = synthesize(load_config(environ={}), workdir / "cdktf.out")
    finally:
        os.chdir(cwd)
    return result.out_dir


@pytest.fixture(scope="session")
def synthesized(synth_dir) -> dict[str, dict]:
    return {
        name: json.loads((synth_dir / "stacks" / name / "cdk.tf.json").read_text())
        for name in (CONNECTOR_STACK, NODE_STACK)
    }


def load_seed(name: str):
    return json.loads((SEEDS / name).read_text())
