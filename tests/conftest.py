"""Shared fixtures: one synth per test session, and the project's Terraform CLI config.

Nothing heavy happens at collection: cdktf (whose import starts jsii's Node process) is
imported by the fixtures and tests that synthesize, and the CLI config is written by the
fixture that hands it out, so the Rego, report and input tests start in a second.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"
# Where terraform run by cdktf's Testing helpers finds the project's CLI config (the offline
# provider mirror): named in the environment before any cdktf import, because jsii's Node
# process copies the environment once, when it starts; written by `terraform_cli_config`.
# Made by pytest_configure (a program importing this module for its helpers makes none).
_CLI_CONFIG_DIR: Path | None = None
# jsii unpacks every assembly once into a package cache under HOME (the AWS provider's is
# ~0.4 GB, ~10 s to unpack). A test that gives a process a HOME of its own points it at this
# cache, as a CI runner restores its caches: what such a test checks is not jsii's unpacking.
JSII_PACKAGE_CACHE = {
    "JSII_RUNTIME_PACKAGE_CACHE_ROOT": os.environ.get("JSII_RUNTIME_PACKAGE_CACHE_ROOT")
    or str(Path.home() / ".cache" / "aws" / "jsii" / "package-cache"),
}


# Fixtures that start tools: terraform, or cdktf (jsii's Node process) to synthesize.
_TOOL_FIXTURES = frozenset({"terraform_cli_config", "synth_dir", "synthesized", "project", "fixture_files"})
_MODULE_MARKED_INTEGRATION = re.compile(r"^pytestmark\s*=.*\bpytest\.mark\.integration\b", re.MULTILINE)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fast", action="store_true",
        help="only tests that start no terraform, cdktf, moto or checkov process (make test-fast)",
    )


def pytest_configure(config: pytest.Config) -> None:
    global _CLI_CONFIG_DIR
    _CLI_CONFIG_DIR = Path(tempfile.mkdtemp(prefix="eksiam-tests-"))
    os.environ["TF_CLI_CONFIG_FILE"] = str(_CLI_CONFIG_DIR / "terraform.rc")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _CLI_CONFIG_DIR is not None:
        shutil.rmtree(_CLI_CONFIG_DIR, ignore_errors=True)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    # With --fast a module marked integration as a whole is not even imported: its imports
    # may start jsii's Node process.
    if config.getoption("--fast") and collection_path.suffix == ".py" and collection_path.name.startswith("test_"):
        if _MODULE_MARKED_INTEGRATION.search(collection_path.read_text(encoding="utf-8")):
            return True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test using a fixture that starts tools is an integration test; --fast leaves every
    integration test out, and a whole run starts with them."""
    for item in items:
        if _TOOL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
    if config.getoption("--fast"):
        # A module marked integration is collected all the same when named on the command line.
        modules = {item.path for item in items}
        named_integration = any(_MODULE_MARKED_INTEGRATION.search(path.read_text(encoding="utf-8")) for path in modules)
        if "jsii" in sys.modules and not named_integration:
            raise pytest.UsageError(
                "a test module collected by --fast imports cdktf (starting jsii's Node process): "
                "mark the module `pytestmark = pytest.mark.integration` or import cdktf inside its tests"
            )
        slow = [item for item in items if item.get_closest_marker("integration")]
        if slow:
            config.hook.pytest_deselected(items=slow)
            items[:] = [item for item in items if not item.get_closest_marker("integration")]
    else:
        # The integration tests (seconds each) first, the unit tests (milliseconds) after: the
        # workers pull tests in this order, so the last ones to finish are short and no worker
        # idles long while another ends a long test.
        items.sort(key=lambda item: item.get_closest_marker("integration") is None)


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> list[pytest.Item] | None:
    # cdktf's Testing class starts with "Test": not a test class of ours.
    if name == "Testing" and getattr(obj, "__module__", "").startswith("cdktf"):
        return []
    return None


def synthesize_in_process(config, out_dir: Path) -> Path:
    """This project's app synthesized in the test process (one jsii start per session)."""
    from stacks import build_app

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


def write_stacks(root: Path, stacks: dict[str, dict]) -> list[Path]:
    """Each stack as ``root/<name>/cdk.tf.json``, as an app's synth lays them out."""
    files = []
    for name, stack in stacks.items():
        (root / name).mkdir(parents=True)
        (root / name / "cdk.tf.json").write_text(json.dumps(stack))
        files.append(root / name / "cdk.tf.json")
    return files


def planned_together(scratch: Path) -> bool:
    """Whether plan_stacks planned into ``scratch`` in one terraform run that made its plan."""
    return (scratch / ".together" / "plan.tfplan").is_file()


def write_project(directory: Path) -> Path:
    """A cdktf project in ``directory`` whose app is this repository's ``main.py``."""
    app = f"{sys.executable} {PROJECT_ROOT / 'main.py'}"
    (directory / "cdktf.json").write_text(json.dumps({"language": "python", "app": app, "output": "cdktf.out"}))
    return directory


@pytest.fixture
def project(tmp_path, monkeypatch, terraform_cli_config) -> Path:
    """The working directory is a cdktf project running this repository's app."""
    monkeypatch.chdir(write_project(tmp_path))
    return tmp_path


@pytest.fixture(scope="session")
def terraform_cli_config() -> Path:
    """The project's Terraform CLI config (offline provider mirror when there is one)."""
    from eksiam.gate.terraform import write_cli_config

    assert _CLI_CONFIG_DIR is not None, "pytest_configure makes it"
    return write_cli_config(_CLI_CONFIG_DIR)


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory, terraform_cli_config) -> Path:
    """Both stacks synthesized once, with the default configuration."""
    from eksiam.config import load_config

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
    from stacks import CONNECTOR_STACK, NODE_STACK

    return {
        name: json.loads((synth_dir / "stacks" / name / "cdk.tf.json").read_text())
        for name in (CONNECTOR_STACK, NODE_STACK)
    }


def load_seed(name: str):
    return json.loads((SEEDS / name).read_text())
