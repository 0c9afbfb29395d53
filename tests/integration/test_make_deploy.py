"""`make deploy` / `make destroy` as users run them: the real cdktf-cli against moto's server,
running this repository's main.py with the Node that package.json installs."""

from __future__ import annotations

import os
import shutil
import subprocess

import boto3
import pytest

from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.integration

# What the Makefile needs from the project; the rest is linked, so state lands in tmp_path.
COPIED = ("Makefile", "cdktf.json", "main.py")
LINKED = (".venv", "node_modules", "stacks", "eksiam", "policy", "pyproject.toml", "constraints.txt",
          "package.json", "package-lock.json")


@pytest.fixture
def project_copy(tmp_path):
    for name in COPIED:
        shutil.copy2(PROJECT_ROOT / name, tmp_path / name)
    for name in LINKED:
        (tmp_path / name).symlink_to(PROJECT_ROOT / name)
    (tmp_path / ".eksiam").mkdir()
    return tmp_path


# The copy links the repository's own .venv and node_modules: should their install stamps be
# older than pyproject.toml here, make would reinstall into them from this temporary copy, and
# the venv's scripts would then point into a directory that is about to be deleted.
KEEP_INSTALLS = ("-o", ".venv/.installed", "-o", "node_modules/.installed")


def make(target: str, cwd, env) -> subprocess.CompletedProcess:
    return subprocess.run(["make", *KEEP_INSTALLS, target], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_make_deploy_then_destroy(project_copy, aws_env):
    env = {k: v for k, v in os.environ.items() if not k.startswith("EKSIAM_")}
    env.update(aws_env, EKSIAM_NODE_ROLE_NAME="DeployedNodeRole")
    iam = boto3.client("iam")

    deployed = make("deploy", project_copy, env)
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
    assert "end-of-life" not in (deployed.stdout + deployed.stderr).lower()
    assert iam.get_role(RoleName="AmazonEKSConnectorAgentRole")["Role"]["Arn"].endswith(":role/AmazonEKSConnectorAgentRole")
    policies = iam.list_attached_role_policies(RoleName="DeployedNodeRole")["AttachedPolicies"]
    assert {p["PolicyArn"] for p in policies} == {
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    }
    assert iam.get_role_policy(RoleName="AmazonEKSConnectorAgentRole", PolicyName="AmazonEKSConnectorAgentPolicy")
    assert (project_copy / "terraform.eksiam-node.tfstate").is_file(), "state is kept beside the project"

    destroyed = make("destroy", project_copy, env)
    assert destroyed.returncode == 0, destroyed.stdout[-3000:] + destroyed.stderr[-3000:]
    names = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert not names & {"AmazonEKSConnectorAgentRole", "DeployedNodeRole"}


def test_make_deploy_beside_an_existing_service_linked_role(project_copy, aws_env):
    env = {k: v for k, v in os.environ.items() if not k.startswith("EKSIAM_")}
    env.update(aws_env, EKSIAM_NODE_ENABLED="false")
    iam = boto3.client("iam")
    existing = iam.create_service_linked_role(AWSServiceName="eks-connector.amazonaws.com")["Role"]

    deployed = make("deploy", project_copy, env)
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
    assert f"already has the EKS connector's service-linked role {existing['RoleName']}" in deployed.stderr
    assert iam.get_role(RoleName="AmazonEKSConnectorAgentRole")
    assert iam.get_role(RoleName=existing["RoleName"])["Role"]["RoleId"] == existing["RoleId"]
