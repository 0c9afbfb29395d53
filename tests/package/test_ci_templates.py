"""The CI this repository offers a user's app, run as written against such an app with the wheel
built from this checkout: the composite GitHub Action, the GitLab template and the pre-commit
hook gate it (pass as written, fail with the flaw) and leave their reports on every exit."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import JSII_PACKAGE_CACHE, PROJECT_ROOT
from tests.package.ci_steps import run_action, run_gitlab_job
from tests.package.userapp import TWO_STACKS, dependencies_without_eksiam, make_two_stack_app, run, tool_path, user_env

# Each test is a whole CI run of its own: spread over the workers (the wheel is built once).
pytestmark = pytest.mark.integration

NO_FLAW = TWO_STACKS.replace("if admin:", "if False:")


@pytest.fixture(scope="module")
def runner_env(tmp_path_factory) -> dict[str, str]:
    """A runner: a Python on PATH (what setup-python gives), Node, terraform; pip finds every
    dependency installed already and may not reach an index, so nothing is downloaded."""
    root = tmp_path_factory.mktemp("runner")
    python_bin = root / "python-bin"
    python_bin.mkdir()
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    (python_bin / "python").symlink_to(base)
    return {
        # The dependencies' own commands (checkov) come with their install: this run's, last on PATH.
        "PATH": os.pathsep.join(map(str, [python_bin, *tool_path(), Path(sys.executable).parent])),
        "HOME": str(root),
        **JSII_PACKAGE_CACHE,
        "PYTHONPATH": str(dependencies_without_eksiam(root / "dependencies")),
        "PIP_NO_INDEX": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "CHECKPOINT_DISABLE": "1",
        "CDKTF_DISABLE_TELEMETRY": "true",
    }


def app_in_workspace(workspace: Path, stack_source: str) -> Path:
    """The app in a subdirectory of a checkout (reports name files from the repository's root).
    cdktf.json names `python`: whatever the runner's PATH makes of it, as in a user's repository."""
    (workspace / ".git").mkdir(parents=True)
    return make_two_stack_app(workspace / "infra", "python", stack_source)


@pytest.mark.parametrize(("stack_source", "expected"), [(NO_FLAW, 0), (TWO_STACKS, 1)], ids=["as-written", "with-the-flaw"])
def test_github_action_gates_the_app(tmp_path, wheel, runner_env, stack_source, expected):
    action = yaml.safe_load((PROJECT_ROOT / "action.yml").read_text())
    app_in_workspace(tmp_path, stack_source)
    done = run_action(action, {"package": str(wheel), "working-directory": "infra"}, tmp_path, runner_env, tmp_path / "runner")
    logs = {p.name: p.read_text() for p in (tmp_path / "runner").glob("*.log")}
    assert dict(done.steps)["Gate"] == expected, (done.steps, logs)
    assert dict(done.steps)["Install eksiam"] == 0 and dict(done.steps)["eksiam check"] == 0, logs
    assert done.outputs["check"]["exit-code"] == str(expected)
    uploads = [with_ for uses, with_ in done.uses if uses.startswith("github/codeql-action/upload-sarif")]
    assert len(uploads) == 1
    sarif = json.loads(Path(uploads[0]["sarif_file"]).read_text())
    results = sarif["runs"][0]["results"]
    assert bool(results) == bool(expected)
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "infra/stacks/iam.py" for r in results)
    headline = done.summary.splitlines()[0]
    assert ("policy gate passed" in headline) == (expected == 0) and ("policy gate failed" in headline) == (expected == 1)


def test_github_action_uploads_a_report_when_the_input_is_bad(tmp_path, wheel, runner_env):
    action = yaml.safe_load((PROJECT_ROOT / "action.yml").read_text())
    app_in_workspace(tmp_path, NO_FLAW)
    inputs = {"package": str(wheel), "working-directory": "infra", "args": "--waivers no-such-file.toml"}
    done = run_action(action, inputs, tmp_path, runner_env, tmp_path / "runner")
    assert dict(done.steps)["Gate"] == 2
    (upload,) = [with_ for uses, with_ in done.uses if uses.startswith("github/codeql-action/upload-sarif")]
    invocation = json.loads(Path(upload["sarif_file"]).read_text())["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False and "no-such-file.toml" in json.dumps(invocation)
    assert "did not run to the end" in done.summary


@pytest.mark.parametrize(("stack_source", "expected"), [(NO_FLAW, 0), (TWO_STACKS, 1)], ids=["as-written", "with-the-flaw"])
def test_gitlab_template_gates_the_app(tmp_path, wheel, runner_env, stack_source, expected):
    template = yaml.safe_load((PROJECT_ROOT / ".gitlab" / "eksiam.gitlab-ci.yml").read_text())
    app_in_workspace(tmp_path, stack_source)
    variables = {**template["variables"], "EKS_GATE_PACKAGE": str(wheel), "EKS_GATE_DIR": "infra"}
    done = run_gitlab_job(template["eksiam"], variables, tmp_path, runner_env)
    assert done.returncode == expected, done.stdout + done.stderr
    for artifact in [*template["eksiam"]["artifacts"]["reports"].values(), *template["eksiam"]["artifacts"]["paths"]]:
        assert (tmp_path / artifact).is_file(), artifact
    quality = json.loads((tmp_path / template["eksiam"]["artifacts"]["reports"]["codequality"]).read_text())
    assert bool(quality) == bool(expected)
    assert all(entry["location"]["path"] == "infra/stacks/iam.py" for entry in quality)
    junit = (tmp_path / template["eksiam"]["artifacts"]["reports"]["junit"]).read_text()
    assert ("<failure" in junit) == bool(expected)


def test_pre_commit_hook_gates_the_app(tmp_path, installed):
    (hook,) = yaml.safe_load((PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text())
    app = make_two_stack_app(tmp_path / "app", str(installed / "bin" / "python"))
    done = run(["bash", "-c", hook["entry"]], app, user_env(installed))
    assert done.returncode == 1, done.stderr
    assert "prod" in done.stdout and "stacks/iam.py" in done.stdout
