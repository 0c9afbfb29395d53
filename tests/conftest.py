"""Shared fixtures: one synth per test session, and the project's Terraform CLI config."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import tempfile

import pytest

from eksiam.gate.terraform import write_cli_config

# Before cdktf starts its Node process (which copies the environment once): terraform run by
# cdktf's Testing helpers must find the offline provider mirror too.
TERRAFORM_CLI_CONFIG = write_cli_config(tempfile.mkdtemp(prefix="eksiam-tests-"))
os.environ["TF_CLI_CONFIG_FILE"] = str(TERRAFORM_CLI_CONFIG)

from stacks import CONNECTOR_STACK, NODE_STACK, build_app  # noqa: E402
from eksiam.cdk import Testing  # noqa: E402
from eksiam.config import load_config  # noqa: E402

# cdktf's Testing class starts with "Test": keep pytest from collecting it.
Testing.__test__ = False

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"


def synthesize_in_process(config, out_dir: Path) -> Path:
    """This project's app synthesized in the test process (one jsii start per session)."""
    build_app(config, out_dir).synth()
    return out_dir


def assert_validates_offline(stack_dir: Path, workdir: Path, cli_config: Path) -> None:
    """A synthesized stack passes `terraform init -backend=false` + `validate`, offline."""
    from eksiam.gate.terraform import Terraform

    shutil.copytree(stack_dir, workdir)
    terraform = Terraform(workdir, cli_config)
    terraform.init(backend=False)
    result = terraform.validate()
    assert result["valid"] is True, result["diagnostics"]
    assert result["error_count"] == 0


def comparable_plan(plan: dict) -> dict:
    """A plan without what differs between two plans of one configuration: the time it was
    made, and the order of relevant_attributes (a set, which terraform lists in any order)."""
    relevant = sorted(plan.get("relevant_attributes", []), key=lambda a: json.dumps(a, sort_keys=True))
    return {**{k: v for k, v in plan.items() if k != "timestamp"}, "relevant_attributes": relevant}


def planned_together(scratch: Path) -> bool:
    """Whether plan_stacks planned into ``scratch`` in one terraform run that made its plan."""
    return (scratch / ".together" / "plan.tfplan").is_file()


def write_project(directory: Path) -> Path:
    """A cdktf project in ``directory`` whose app is this repository's ``main.py``."""
    app = f"{sys.executable} {PROJECT_ROOT / 'main.py'}"
    (directory / "cdktf.json").write_text(json.dumps({"language": "python", "app": app, "output": "cdktf.out"}))
    return directory


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """The working directory is a cdktf project running this repository's app."""
    monkeypatch.chdir(write_project(tmp_path))
    return tmp_path


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
        out_dir = synthesize_in_process(load_config(environ={}), workdir / "cdktf.out")
    finally:
        os.chdir(cwd)
    return out_dir


@pytest.fixture(scope="session")
def synthesized(synth_dir) -> dict[str, dict]:
    return {
        name: json.loads((synth_dir / "stacks" / name / "cdk.tf.json").read_text())
        for name in (CONNECTOR_STACK, NODE_STACK)
    }


def load_seed(name: str):
    return json.loads((SEEDS / name).read_text())
