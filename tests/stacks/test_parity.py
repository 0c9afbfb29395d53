"""The synthesized roles match the AWS documents statement for statement.

Expected values come from tests/fixtures/seeds/, transcribed by hand from the seeds, never
from the SDK's own code.
"""

from __future__ import annotations

import json
import re

import pytest

from stacks import CONNECTOR_STACK, NODE_STACK
from tests.conftest import load_seed

PARTITION_TOKEN = re.compile(r"\$\{data\.aws_partition\.[A-Za-z0-9_-]+\.partition\}")


def with_partition(text: str, partition: str = "aws") -> str:
    return PARTITION_TOKEN.sub(partition, text)


def resources(stack: dict, resource_type: str) -> dict:
    return stack.get("resource", {}).get(resource_type, {})


def only(mapping: dict) -> dict:
    assert len(mapping) == 1, f"expected exactly one, got {sorted(mapping)}"
    return next(iter(mapping.values()))


def test_connector_trust_policy_is_the_documented_one(synthesized):
    role = only(resources(synthesized[CONNECTOR_STACK], "aws_iam_role"))
    assert json.loads(role["assume_role_policy"]) == load_seed("connector-agent-trust-policy.json")
    assert role["name"] == "AmazonEKSConnectorAgentRole"


def test_connector_agent_policy_is_the_documented_one(synthesized):
    policy = only(resources(synthesized[CONNECTOR_STACK], "aws_iam_role_policy"))
    assert policy["name"] == "AmazonEKSConnectorAgentPolicy"
    assert json.loads(with_partition(policy["policy"])) == load_seed("connector-agent-policy.json")


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_connector_control_channel_resource_follows_the_partition(synthesized, partition):
    policy = only(resources(synthesized[CONNECTOR_STACK], "aws_iam_role_policy"))
    assert "arn:aws:" not in policy["policy"], "the partition must come from data.aws_partition"
    document = json.loads(with_partition(policy["policy"], partition))
    control = next(s for s in document["Statement"] if s["Sid"] == "SsmControlChannel")
    assert control["Resource"] == f"arn:{partition}:eks:*:*:cluster/*"


def test_connector_stack_creates_the_service_linked_role(synthesized):
    slr = only(resources(synthesized[CONNECTOR_STACK], "aws_iam_service_linked_role"))
    assert slr["aws_service_name"] == "eks-connector.amazonaws.com"


def test_connector_stack_outputs_the_role_arn(synthesized):
    outputs = synthesized[CONNECTOR_STACK]["output"]
    assert outputs["EKSConnectorAgentRoleArn"]["value"] == "${aws_iam_role.connector_agent_role.arn}"
    assert {"RoleName", "RoleUniqueId"} <= set(outputs)


def test_node_trust_policy_and_path_are_the_documented_ones(synthesized):
    role = only(resources(synthesized[NODE_STACK], "aws_iam_role"))
    assert json.loads(role["assume_role_policy"]) == load_seed("node-trust-policy.json")
    assert role["path"] == "/"
    assert role["name"] == "NodeInstanceRole"


def test_node_role_has_exactly_the_three_documented_managed_policies(synthesized):
    attachments = resources(synthesized[NODE_STACK], "aws_iam_role_policy_attachment")
    arns = sorted(with_partition(a["policy_arn"]) for a in attachments.values())
    assert arns == sorted(load_seed("node-managed-policy-arns.json"))
    assert all(a["role"] == "${aws_iam_role.node_role.name}" for a in attachments.values())
    assert not resources(synthesized[NODE_STACK], "aws_iam_role_policy"), "no inline policy on the node role"


def test_node_stack_outputs_role_arn(synthesized):
    outputs = synthesized[NODE_STACK]["output"]
    assert outputs["RoleArn"]["value"] == "${aws_iam_role.node_role.arn}"
    assert outputs["RoleName"]["value"] == "${aws_iam_role.node_role.name}"
    assert outputs["RoleUniqueId"]["value"] == "${aws_iam_role.node_role.unique_id}"


def test_no_policy_document_is_a_terraform_expression(synthesized):
    """Documents are literal JSON strings that static tools can read, not jsonencode() calls."""
    for stack in synthesized.values():
        text = json.dumps(stack)
        assert "jsonencode" not in text
        assert "aws_iam_policy_document" not in text
