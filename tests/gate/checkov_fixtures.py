"""The checkov tests' inputs: IAM documents and stacks in the exact shape the SDK synthesizes
(policy documents as JSON strings, the partition as `${data.aws_partition.X.partition}`), the
same stacks planned by the gate with the real terraform binary (the project's CLI config), and
a fake checkov."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from eksiam.gate.terraform import plan_stacks


def partition_lookup(prefix: str) -> str:
    return "${data.aws_partition." + prefix + "_partition.partition}"


def policy_document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust_document(service, action="sts:AssumeRole") -> str:
    return policy_document({"Effect": "Allow", "Principal": {"Service": service}, "Action": action})


CONNECTOR_POLICY = policy_document(
    {
        "Sid": "SsmControlChannel",
        "Effect": "Allow",
        "Action": ["ssmmessages:CreateControlChannel"],
        "Resource": f"arn:{partition_lookup('connector_agent')}:eks:*:*:cluster/*",
    },
    {
        "Sid": "ssmDataplaneOperations",
        "Effect": "Allow",
        "Action": ["ssmmessages:CreateDataChannel", "ssmmessages:OpenDataChannel", "ssmmessages:OpenControlChannel"],
        "Resource": "*",
    },
)


def role_resource(name: str, kind: str | None, trust: str) -> dict:
    role = {"name": name, "path": "/", "max_session_duration": 3600, "assume_role_policy": trust}
    if kind:
        role["tags"] = {"eksiam:role": kind}
    return role


def aws_managed_arn(prefix: str, policy: str) -> str:
    return f"arn:{partition_lookup(prefix)}:iam::aws:policy/{policy}"


def attachment_resource(role: str, policy_arn: str) -> dict:
    return {"role": "${aws_iam_role." + role + ".name}", "policy_arn": policy_arn}


def stack_of(resources: dict) -> dict:
    return {
        "//": {"metadata": {"backend": "local", "stackName": "fixture", "version": "0.21.0"}},
        "data": {"aws_partition": {"connector_agent_partition": {}, "node_partition": {}}},
        "provider": {"aws": [{}]},
        "resource": resources,
        "terraform": {
            "backend": {"local": {"path": "terraform.fixture.tfstate"}},
            "required_providers": {"aws": {"source": "aws", "version": "5.100.0"}},
        },
    }


GOOD = stack_of(
    {
        "aws_iam_role": {
            "connector_agent_role": role_resource("AmazonEKSConnectorAgentRole", "connector", trust_document(["ssm.amazonaws.com"])),
            "node_role": role_resource("NodeInstanceRole", "node", trust_document("ec2.amazonaws.com")),
        },
        "aws_iam_role_policy": {
            "connector_agent_policy": {
                "name": "AmazonEKSConnectorAgentPolicy",
                "role": "${aws_iam_role.connector_agent_role.id}",
                "policy": CONNECTOR_POLICY,
            }
        },
        "aws_iam_service_linked_role": {
            "connector_agent_service_linked_role": {"aws_service_name": "eks-connector.amazonaws.com"}
        },
        "aws_iam_role_policy_attachment": {
            "node_worker_node_policy": attachment_resource("node_role", aws_managed_arn("node", "AmazonEKSWorkerNodePolicy")),
            "node_cni_policy": attachment_resource("node_role", aws_managed_arn("node", "AmazonEKS_CNI_Policy")),
            "node_ecr_read_only": attachment_resource("node_role", aws_managed_arn("node", "AmazonEC2ContainerRegistryReadOnly")),
            "node_ssm_managed_instance_core": attachment_resource("node_role", aws_managed_arn("node", "AmazonSSMManagedInstanceCore")),
        },
    }
)

BAD = stack_of(
    {
        "aws_iam_role": {
            "connector_agent_role": role_resource(
                "AmazonEKSConnectorAgentRole", "connector", trust_document(["ssm.amazonaws.com", "ec2.amazonaws.com"])
            ),
            "node_role": role_resource("NodeInstanceRole", "node", trust_document("ec2.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"])),
            # Identified as a node role by its tag alone: neither its name nor its address says so.
            "workers": role_resource("Workers", "node", trust_document("lambda.amazonaws.com")),
        },
        "aws_iam_role_policy": {
            "connector_agent_policy": {
                "name": "AmazonEKSConnectorAgentPolicy",
                "role": "${aws_iam_role.connector_agent_role.id}",
                "policy": policy_document(
                    {"Effect": "Allow", "Action": "ssmmessages:CreateControlChannel", "Resource": "*"},
                    {"Effect": "Allow", "Action": ["ssm:SendCommand"], "Resource": "*"},
                ),
            },
            "node_inline": {
                "name": "extra",
                "role": "${aws_iam_role.node_role.id}",
                "policy": policy_document({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}),
            },
        },
        "aws_iam_role_policy_attachment": {
            "node_admin": attachment_resource("node_role", aws_managed_arn("node", "AdministratorAccess")),
            "node_s3": attachment_resource("node_role", aws_managed_arn("node", "AmazonS3ReadOnlyAccess")),
            "connector_agent_extra": attachment_resource("connector_agent_role", aws_managed_arn("connector_agent", "AmazonSSMManagedInstanceCore")),
            "ops_power": attachment_resource("workers", aws_managed_arn("node", "PowerUserAccess")),
            # The SDK's optional IPv6 CNI policy: allowed only when the configuration enables it.
            "node_ipv6_cni_policy": attachment_resource("node_role", "${aws_iam_policy.node_ipv6_cni.arn}"),
        },
        "aws_iam_policy": {
            "node_ipv6_cni": {
                "name": "AmazonEKS_CNI_IPv6_Policy",
                "policy": policy_document({"Effect": "Allow", "Action": ["ec2:AssignIpv6Addresses"], "Resource": "*"}),
            }
        },
    }
)


@pytest.fixture(scope="session")
def fixture_files(tmp_path_factory, terraform_cli_config) -> dict[tuple[str, str], Path]:
    """{(framework kind, "good"|"bad"): file}: the synthesized shape and its real plan, as the
    gate plans it (both in one terraform run: a plan together is each plan alone,
    tests/gate/test_plan_together.py)."""
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH: the plan fixtures need the real binary")
    root = tmp_path_factory.mktemp("checkov")
    files: dict[tuple[str, str], Path] = {}
    for label, stack in (("good", GOOD), ("bad", BAD)):
        synth = root / "synth" / label / "cdk.tf.json"
        synth.parent.mkdir(parents=True)
        synth.write_text(json.dumps(stack, indent=2))
        files[("synth", label)] = synth
    planned = plan_stacks([files[("synth", "good")], files[("synth", "bad")]], root / "plan", terraform_cli_config)
    for label, (plan, _) in zip(("good", "bad"), planned):
        files[("plan", label)] = plan
    return files


def failed_checks(result: Any) -> set[tuple[str, str]]:
    return {(f.rule, f.resource) for f in result.findings}


def fake_checkov(tmp_path: Path, body: str) -> str:
    script = tmp_path / "checkov"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return str(script)
