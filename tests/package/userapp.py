"""A user's world for the package tests: the wheel of this checkout installed into a fresh venv,
and cdktf apps of their own beside it, run as users run them (subprocesses, nothing of this
checkout importable but through the wheel)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from tests.conftest import JSII_PACKAGE_CACHE, PROJECT_ROOT

DEPENDENCIES = Path(sysconfig.get_path("purelib"))


def run(command, cwd, env, timeout=600, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, **kwargs)


# What a build never reads: an earlier build's output would even be packaged (setuptools keeps
# a build/lib copy of every module it ever built, deleted ones included).
_NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "node_modules", "build", "dist", "cdktf.out", ".eksiam", "__pycache__", "*.egg-info")


def build_wheel(directory: Path) -> Path:
    """The wheel of this checkout's sources, built from a copy (nothing written into the checkout)."""
    source = directory / "source"
    shutil.copytree(PROJECT_ROOT, source, ignore=_NOT_SOURCE)
    built = run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(directory), str(source)],
                cwd=directory, env=os.environ)
    assert built.returncode == 0, built.stderr
    return next(directory.glob("eksiam-*.whl"))


def install_wheel(root: Path, wheel: Path) -> Path:
    """A fresh venv with ``wheel`` installed; its dependencies are this test run's, reached
    through a path entry, so the test needs no network."""
    venv.create(root / "venv", with_pip=False)
    python = root / "venv" / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], root, os.environ).stdout.strip())
    # The dependencies, not eksiam: a .pth line adds a directory without running its .pth files,
    # so this checkout's editable install stays out of the venv.
    (site / "dependencies.pth").write_text(str(DEPENDENCIES) + "\n")
    done = run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)], root, os.environ)
    assert done.returncode == 0, done.stderr
    return root / "venv"


def dependencies_without_eksiam(directory: Path) -> Path:
    """This run's installed packages less eksiam itself, as one directory for PYTHONPATH: what a
    CI runner's pip finds already installed (or in its cache), so installing the wheel there
    downloads nothing."""
    directory.mkdir(parents=True, exist_ok=True)
    for entry in DEPENDENCIES.iterdir():
        if entry.name.startswith(("eksiam", "__editable__")) or entry.suffix == ".pth":
            continue
        (directory / entry.name).symlink_to(entry)
    return directory


def tool_path() -> list[Path]:
    """Node (for jsii), terraform and the system: what a CI image provides."""
    terraform_bin = Path(shutil.which("terraform") or "/usr/bin/terraform").parent
    return [PROJECT_ROOT / "node_modules" / "node" / "bin", terraform_bin, Path("/usr/bin"), Path("/bin")]


def user_env(venv_dir: Path) -> dict[str, str]:
    # The dependencies' own commands (checkov) come with their install: this run's, last on PATH.
    path = [venv_dir / "bin", *tool_path(), Path(sys.executable).parent]
    return {
        "PATH": os.pathsep.join(map(str, path)),
        "HOME": str(venv_dir.parent),
        **JSII_PACKAGE_CACHE,
        "CHECKPOINT_DISABLE": "1",
        "CDKTF_DISABLE_TELEMETRY": "true",
    }


# Two stacks from one class; prod adds AdministratorAccess to the node role with a raw resource.
TWO_STACKS = '''
# eksiam first: it keeps the AWS provider bindings lazy (seconds, not ~20 s, per synth).
from eksiam import EksNodeRole, EksNodeRoleProps

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.provider import AwsProvider


class NodeIam(TerraformStack):
    def __init__(self, scope, id, admin=False):
        super().__init__(scope, id)
        AwsProvider(self, "aws", region="eu-west-1")
        nodes = EksNodeRole(self, "workers", EksNodeRoleProps(name=f"{id}-nodes"))
        if admin:
            IamRolePolicyAttachment(self, "admin", role=nodes.name, policy_arn="arn:aws:iam::aws:policy/AdministratorAccess")
'''

TWO_STACKS_MAIN = '''
from cdktf import App

from stacks import NodeIam

app = App()
NodeIam(app, "dev")
NodeIam(app, "prod", admin=True)
app.synth()
'''


def make_two_stack_app(directory: Path, python: str, stack_source: str = TWO_STACKS) -> Path:
    (directory / "stacks").mkdir(parents=True)
    (directory / "stacks" / "__init__.py").write_text("from stacks.iam import NodeIam\n")
    (directory / "stacks" / "iam.py").write_text(stack_source)
    (directory / "main.py").write_text(TWO_STACKS_MAIN)
    (directory / "cdktf.json").write_text(json.dumps({"language": "python", "app": f"{python} main.py"}))
    return directory


def line_of(file: Path, text: str) -> int:
    """The 1-based line of ``file`` where ``text`` first occurs."""
    for number, line in enumerate(file.read_text().splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {file}")
