"""The wheel as users get it: built, installed into a fresh venv, used from a cdktf app of
their own (with its own ``stacks/`` package) in another directory, and gated there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

# One worker computes this module's fixtures once (make test runs pytest-xdist with --dist loadgroup).
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("installed-wheel")]

USER_STACK = '''
# eksiam first: it keeps the AWS provider bindings lazy (seconds, not ~20 s, per synth).
from eksiam import EksConnectorAgentRole, EksNodeRole, EksNodeRoleProps

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider

EXTRA = {extra!r}


class PlatformIam(TerraformStack):
    def __init__(self, scope, id):
        super().__init__(scope, id)
        AwsProvider(self, "aws", region="eu-west-1")
        EksConnectorAgentRole(self, "connector_agent")
        nodes = EksNodeRole(self, "workers", EksNodeRoleProps(
            name="platform-nodes",
            attach_ssm_managed_instance_core=True,
            additional_policy_arns={{"logs": "arn:aws:iam::123456789012:policy/NodeLogs", **EXTRA}},
        ))
        TerraformOutput(self, "node_role_arn", value=nodes.arn)
'''

USER_MAIN = '''
from cdktf import App

from stacks import PlatformIam

app = App()
PlatformIam(app, "platform-iam")
app.synth()
'''


def run(command, cwd, env, timeout=600):
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with the wheel of this checkout installed (its dependencies are this
    test run's, reached through a path entry, so the test needs no network)."""
    root = tmp_path_factory.mktemp("wheel")
    built = run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(root / "dist"), str(PROJECT_ROOT)],
                cwd=root, env=os.environ)
    assert built.returncode == 0, built.stderr
    wheel = next((root / "dist").glob("eksiam-*.whl"))
    venv.create(root / "venv", with_pip=False)
    python = root / "venv" / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], root, os.environ).stdout.strip())
    # The dependencies, not eksiam: a .pth line adds a directory without running its .pth files,
    # so this checkout's editable install stays out of the venv.
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    done = run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)], root, os.environ)
    assert done.returncode == 0, done.stderr
    return root / "venv"


def user_env(venv_dir: Path) -> dict[str, str]:
    node_bin = PROJECT_ROOT / "node_modules" / "node" / "bin"
    terraform_bin = Path(shutil.which("terraform") or "/usr/bin/terraform").parent
    # The dependencies' own commands (checkov) come with their install: this run's, last on PATH.
    dependency_bin = Path(sys.executable).parent
    path = [venv_dir / "bin", node_bin, PROJECT_ROOT / "node_modules" / ".bin", terraform_bin, "/usr/bin", "/bin", dependency_bin]
    return {
        "PATH": os.pathsep.join(map(str, path)),
        "HOME": str(venv_dir.parent),
        "CHECKPOINT_DISABLE": "1",
        "CDKTF_DISABLE_TELEMETRY": "true",
    }


def make_app(directory: Path, venv_dir: Path, extra: dict[str, str]) -> Path:
    (directory / "stacks").mkdir(parents=True)
    (directory / "stacks" / "__init__.py").write_text("from stacks.iam import PlatformIam\n")
    (directory / "stacks" / "iam.py").write_text(USER_STACK.format(extra=extra))
    (directory / "main.py").write_text(USER_MAIN)
    (directory / "cdktf.json").write_text(json.dumps({"language": "python", "app": f"{venv_dir / 'bin' / 'python'} main.py"}))
    (directory / "cdktf.out").mkdir()
    (directory / "cdktf.out" / "notes.txt").write_text("the user's own file")
    return directory


def test_wheel_holds_one_typed_package_with_the_policies(installed):
    python = installed / "bin" / "python"
    probe = "import eksiam, eksiam.gate as g; print(eksiam.__file__); print(g.POLICY_DIR)"
    done = run([str(python), "-c", probe], installed, user_env(installed))
    assert done.returncode == 0, done.stderr
    module_file, policy_dir = map(Path, done.stdout.split())
    assert installed in module_file.parents and installed in policy_dir.parents
    assert (module_file.parent / "py.typed").is_file()
    shipped = sorted(p.relative_to(policy_dir).as_posix() for p in policy_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    source = sorted(p.relative_to(PROJECT_ROOT / "policy").as_posix() for p in (PROJECT_ROOT / "policy").rglob("*")
                    if p.is_file() and "__pycache__" not in p.parts)
    assert shipped == source


def test_user_app_with_its_own_stacks_package(installed, tmp_path):
    env = user_env(installed)
    app = make_app(tmp_path / "app", installed, extra={})

    done = run([str(installed / "bin" / "python"), "main.py"], app, env)
    assert done.returncode == 0, done.stderr
    assert (app / "cdktf.out" / "stacks" / "platform-iam" / "cdk.tf.json").is_file()
    assert "end-of-life" not in done.stderr

    cdktf = PROJECT_ROOT / "node_modules" / ".bin" / "cdktf"
    done = run([str(cdktf), "synth", "--output", "cdktf.out"], app, env)
    assert done.returncode == 0, done.stderr + done.stdout

    done = run([str(installed / "bin" / "eksiam"), "check", "--format", "json"], app, env)
    report = json.loads(done.stdout) if done.stdout else {}
    assert done.returncode == 0, (done.stderr, report.get("findings"))
    assert report["passed"] is True and report["summary"]["checkov"]["passed"] > 0
    assert (app / "cdktf.out" / "notes.txt").read_text() == "the user's own file"


def test_user_app_with_administrator_access_fails(installed, tmp_path):
    env = user_env(installed)
    app = make_app(tmp_path / "app", installed, extra={"admin": "arn:aws:iam::aws:policy/AdministratorAccess"})
    done = run([str(installed / "bin" / "eksiam"), "check", "--format", "json"], app, env)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    rules = {(f["engine"], f["rule"]) for f in report["findings"]}
    assert ("opa", "EKSIAM-ROLE-003") in rules
    assert any("checkov" in f["engines"] for f in report["findings"])  # the same flaw, seen by both engines
    assert (app / "cdktf.out" / "notes.txt").read_text() == "the user's own file"


def test_outside_a_cdktf_project_check_says_so(installed, tmp_path):
    done = run([str(installed / "bin" / "eksiam"), "check"], tmp_path, user_env(installed))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "no cdktf.json" in done.stderr
