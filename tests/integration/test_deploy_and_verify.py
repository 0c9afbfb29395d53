"""Deploy the synthesized stacks with real terraform to moto, then `eksiam verify` the account."""

from __future__ import annotations

import json
import shutil

import boto3
import pytest

from eksiam.cli import main
from eksiam.gate.terraform import Terraform
from stacks import CONNECTOR_STACK, NODE_STACK
from tests.conftest import SEEDS as PROJECT_SEEDS

pytestmark = pytest.mark.integration


def apply_stack(synth_dir, stack, workdir, cli_config):
    shutil.copytree(synth_dir / "stacks" / stack, workdir)
    # Keep state in the scratch directory, not beside the project.
    (workdir / "zz_state_override.tf.json").write_text(
        json.dumps({"terraform": {"backend": {"local": {"path": "test.tfstate"}}}})
    )
    terraform = Terraform(workdir, cli_config)
    terraform.init()
    terraform.run("apply", "-auto-approve", "-input=false")
    return terraform


@pytest.fixture
def deployed(aws_env, synth_dir, terraform_cli_config, tmp_path):
    for stack in (CONNECTOR_STACK, NODE_STACK):
        apply_stack(synth_dir, stack, tmp_path / stack, terraform_cli_config)
    return boto3.client("iam")


def verify_json(capsys, tmp_path) -> tuple[int, dict]:
    code = main(["verify", "--format", "json", "--snapshot", str(tmp_path / "snapshot.json")])
    return code, json.loads(capsys.readouterr().out)


def test_deployed_roles_pass_verify_until_the_account_drifts(deployed, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    role = deployed.get_role(RoleName="NodeInstanceRole")["Role"]
    assert role["Path"] == "/"
    attached = {p["PolicyName"] for p in deployed.list_attached_role_policies(RoleName="NodeInstanceRole")["AttachedPolicies"]}
    assert attached == {"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"}
    code, report = verify_json(capsys, tmp_path)
    assert report["findings"] == [] and report["passed"] is True
    assert code == 0
    snapshot = json.loads((tmp_path / "snapshot.json").read_text())
    # Every role of the account is in the snapshot; the Rego identity picks the EKS ones.
    assert {"AmazonEKSConnectorAgentRole", "NodeInstanceRole"} <= {r["RoleName"] for r in snapshot["RoleDetailList"]}

    # The same account after changes made outside Terraform.
    deployed.attach_role_policy(RoleName="NodeInstanceRole", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    deployed.update_assume_role_policy(
        RoleName="AmazonEKSConnectorAgentRole",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}),
    )
    code, report = verify_json(capsys, tmp_path)
    assert code == 1 and report["passed"] is False
    # One flaw, one finding: every check that saw it is listed in `checks`.
    by_resource = {(f["resource"], check.split("-")[1]) for f in report["findings"] for check in f.get("checks") or [f["rule"]] if check.startswith("EKSIAM-")}
    assert any("NodeInstanceRole" in resource and kind == "NODE" for resource, kind in by_resource)
    assert any("AmazonEKSConnectorAgentRole" in resource and kind == "CONNECTOR" for resource, kind in by_resource)


def test_missing_role_is_reported(aws_env, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EKSIAM_GATE_REQUIRE_ROLES", "connector,node")
    code, report = verify_json(capsys, tmp_path)
    assert code == 1
    missing = {f["resource"] for f in report["findings"] if f["rule"] == "EKSIAM-INPUT-003"}
    assert missing == {"AmazonEKSConnectorAgentRole", "NodeInstanceRole"}


def test_account_with_only_the_node_role(aws_env, synth_dir, terraform_cli_config, capsys, tmp_path, monkeypatch):
    apply_stack(synth_dir, NODE_STACK, tmp_path / NODE_STACK, terraform_cli_config)
    monkeypatch.chdir(tmp_path)
    # An account that does not use EKS Connector needs no connector role.
    code, report = verify_json(capsys, tmp_path)
    assert code == 0 and report["passed"] is True, report["findings"]
    # Where the connector is required: its role is missing, and (LOW) so is its service-linked role.
    monkeypatch.setenv("EKSIAM_GATE_REQUIRE_ROLES", "connector")
    code, report = verify_json(capsys, tmp_path)
    assert code == 1
    assert sorted((f["rule"], f["resource"]) for f in report["findings"]) == [
        ("EKSIAM-CONNECTOR-005", "AWSServiceRoleForAmazonEKSConnector"),
        ("EKSIAM-INPUT-003", "AmazonEKSConnectorAgentRole"),
    ]
    monkeypatch.setenv("EKSIAM_CONNECTOR_ENABLED", "false")
    code, report = verify_json(capsys, tmp_path)
    assert code == 0 and report["passed"] is True


def test_unreachable_account_exits_3(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert main(["verify"]) == 3
    err = capsys.readouterr().err
    assert "unreachable" in err and "Traceback" not in err


def test_console_form_of_the_connector_role_passes(aws_env, capsys, tmp_path, monkeypatch):
    """The document's console procedure: AmazonEKSConnectorAgentPolicy as a managed policy."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EKSIAM_NODE_ENABLED", "false")
    iam = boto3.client("iam")
    iam.create_role(RoleName="AmazonEKSConnectorAgentRole", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": ["ssm.amazonaws.com"]}, "Action": "sts:AssumeRole"}]}))
    document = json.loads((PROJECT_SEEDS / "connector-agent-policy.json").read_text())
    arn = iam.create_policy(PolicyName="AmazonEKSConnectorAgentPolicy", PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="AmazonEKSConnectorAgentRole", PolicyArn=arn)
    code, report = verify_json(capsys, tmp_path)
    # Registering a cluster creates the service-linked role; until then verify says so (LOW).
    assert [(f["rule"], f["severity"]) for f in report["findings"]] == [("EKSIAM-CONNECTOR-005", "LOW")] and code == 0
    assert "aws iam create-service-linked-role --aws-service-name eks-connector.amazonaws.com" in report["findings"][0]["message"]
    iam.create_service_linked_role(AWSServiceName="eks-connector.amazonaws.com")
    code, report = verify_json(capsys, tmp_path)
    assert report["findings"] == [] and code == 0

    wider = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssmmessages:*", "Resource": "*"}]}
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(wider), SetAsDefault=True)
    code, report = verify_json(capsys, tmp_path)
    assert code == 1 and "EKSIAM-CONNECTOR-003" in {f["rule"] for f in report["findings"]}


def _trust(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def _role(iam, name: str, service: str, policies: list[str]) -> None:
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(service))
    for policy in policies:
        iam.attach_role_policy(RoleName=name, PolicyArn=f"arn:aws:iam::aws:policy/{policy}")


EKSCTL_NODE_ROLE = "eksctl-demo-nodegroup-ng-1-NodeInstanceRole-1A2B3C4D5E6F"


def test_eksctl_defaults_with_an_ssm_bastion_pass_verify_until_the_node_role_is_admin(aws_env, capsys, tmp_path, monkeypatch):
    """An account as eksctl makes it (PullOnly, Session Manager on the nodes) with an
    SSM-managed bastion beside it and no EKS Connector: nothing to configure, nothing wrong."""
    monkeypatch.chdir(tmp_path)
    iam = boto3.client("iam")
    _role(iam, "eksctl-demo-cluster-ServiceRole-ABCDEF123456", "eks.amazonaws.com", ["AmazonEKSClusterPolicy"])
    _role(iam, EKSCTL_NODE_ROLE, "ec2.amazonaws.com", [
        "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore",
    ])
    _role(iam, "bastion", "ec2.amazonaws.com", ["AmazonSSMManagedInstanceCore"])
    code, report = verify_json(capsys, tmp_path)
    assert code == 0, report["findings"]
    kinds = {r["resource"].rsplit("/", 1)[-1]: r["kind"] for r in report["roles"]}
    assert kinds[EKSCTL_NODE_ROLE] == "node" and kinds["bastion"] == "other"
    assert [f["rule"] for f in report["findings"]] == ["EKSIAM-NODE-005"]  # LOW: Session Manager, undeclared
    snapshot = json.loads((tmp_path / "snapshot.json").read_text())
    assert "AmazonEKSWorkerNodePolicy" in {p.get("PolicyName") or p["Arn"].rsplit("/", 1)[-1] for p in snapshot["Policies"]}

    iam.attach_role_policy(RoleName=EKSCTL_NODE_ROLE, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    code, report = verify_json(capsys, tmp_path)
    assert code == 1 and any(f["rule"] == "EKSIAM-ROLE-003" and "AdministratorAccess" in f["message"] for f in report["findings"])

    iam.detach_role_policy(RoleName=EKSCTL_NODE_ROLE, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.put_role_policy(RoleName=EKSCTL_NODE_ROLE, PolicyName="everything", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    code, report = verify_json(capsys, tmp_path)
    assert code == 1 and any(f["rule"] == "EKSIAM-ROLE-003" and '"*"' in f["message"] for f in report["findings"])
