"""The wheel as users get it: built, installed into a fresh venv, used from a cdktf app of
their own (with its own ``stacks/`` package) in another directory, and gated there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from tests.package.userapp import run, user_env

pytestmark = pytest.mark.integration

USER_STACK = '''
# eksiam first: it keeps the AWS provider bindings lazy (seconds, not ~20 s, per synth).
from eksiam import EksConnectorAgentRole, EksNodeRole, EksNodeRoleProps

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider

class PlatformIam(TerraformStack):
    def __init__(self, scope, id):
        super().__init__(scope, id)
        AwsProvider(self, "aws", region="eu-west-1")
        EksConnectorAgentRole(self, "connector_agent")
        nodes = EksNodeRole(self, "workers", EksNodeRoleProps(
            name="platform-nodes",
            attach_ssm_managed_instance_core=True,
            additional_policy_arns={"logs": "arn:aws:iam::123456789012:policy/NodeLogs"},
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


def make_app(directory: Path, venv_dir: Path) -> Path:
    (directory / "stacks").mkdir(parents=True)
    (directory / "stacks" / "__init__.py").write_text("from stacks.iam import PlatformIam\n")
    (directory / "stacks" / "iam.py").write_text(USER_STACK)
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
    # The Node half of the lazy provider bindings ships too, and import eksiam asks Node for it.
    probe = "import os, eksiam.provider_bindings as b; print(b.NODE_PRELOAD.is_file(), str(b.NODE_PRELOAD) in os.environ['NODE_OPTIONS'])"
    done = run([str(python), "-c", probe], installed, user_env(installed))
    assert done.stdout.split() == ["True", "True"], done.stderr


def test_user_app_with_its_own_stacks_package(installed, tmp_path):
    env = user_env(installed)
    app = make_app(tmp_path / "app", installed)

    # cdktf-cli runs the app as cdktf.json says (the venv's python main.py), as eksiam check does.
    cdktf = PROJECT_ROOT / "node_modules" / ".bin" / "cdktf"
    done = run([str(cdktf), "synth", "--output", "cdktf.out"], app, env)
    assert done.returncode == 0, done.stderr + done.stdout
    assert (app / "cdktf.out" / "stacks" / "platform-iam" / "cdk.tf.json").is_file()
    assert "end-of-life" not in (done.stderr + done.stdout).lower()

    done = run([str(installed / "bin" / "eksiam"), "check", "--format", "json"], app, env)
    report = json.loads(done.stdout) if done.stdout else {}
    assert done.returncode == 0, (done.stderr, report.get("findings"))
    assert report["passed"] is True and report["summary"]["checkov"]["passed"] > 0
    assert (app / "cdktf.out" / "notes.txt").read_text() == "the user's own file"


def test_outside_a_cdktf_project_check_says_so(installed, tmp_path):
    done = run([str(installed / "bin" / "eksiam"), "check"], tmp_path, user_env(installed))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "no cdktf.json" in done.stderr
