"""The policy documents of the two roles, transcribed from the AWS documents in the seeds.

They are plain Python data, rendered with ``json.dumps`` into literal JSON strings, so every
static tool (checkov, OPA, a reviewer) can read them in the synthesized output. ``partition``
is whatever string should stand for the ARN partition: in a stack it is the token of a
``data.aws_partition``, which synthesizes to ``${data.aws_partition.<name>.partition}``.
"""

from __future__ import annotations

import json
from typing import Any

IAM_POLICY_VERSION = "2012-10-17"

CONNECTOR_SERVICE_PRINCIPAL = "ssm.amazonaws.com"
CONNECTOR_SERVICE_LINKED_ROLE_SERVICE = "eks-connector.amazonaws.com"
CONNECTOR_POLICY_NAME = "AmazonEKSConnectorAgentPolicy"

NODE_SERVICE_PRINCIPAL = "ec2.amazonaws.com"
# The attachment that cni_policy_on_irsa leaves out (the VPC CNI's IRSA role holds the policy).
CNI_POLICY_ATTACHMENT = "cni_policy"
# Construct id of each attachment -> AWS managed policy name. Fixed ids keep resource addresses
# stable whatever else changes.
NODE_MANAGED_POLICIES = {
    "worker_node_policy": "AmazonEKSWorkerNodePolicy",
    CNI_POLICY_ATTACHMENT: "AmazonEKS_CNI_Policy",
    "ecr_read_only": "AmazonEC2ContainerRegistryReadOnly",
}
SSM_MANAGED_INSTANCE_CORE = "AmazonSSMManagedInstanceCore"
IPV6_CNI_POLICY_NAME = "AmazonEKS_CNI_IPv6_Policy"


def render(document: dict[str, Any]) -> str:
    """The literal JSON string written into the synthesized Terraform."""
    return json.dumps(document)


def aws_managed_policy_arn(partition: str, policy_name: str) -> str:
    return f"arn:{partition}:iam::aws:policy/{policy_name}"


def _service_trust_policy(principal: str | list[str]) -> dict[str, Any]:
    return {
        "Version": IAM_POLICY_VERSION,
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}
        ],
    }


def connector_trust_policy() -> dict[str, Any]:
    """Trust policy of AmazonEKSConnectorAgentRole (the seed writes the service as a list)."""
    return _service_trust_policy([CONNECTOR_SERVICE_PRINCIPAL])


def connector_agent_policy(partition: str) -> dict[str, Any]:
    """Inline policy AmazonEKSConnectorAgentPolicy, both statements with the seed's Sids."""
    return {
        "Version": IAM_POLICY_VERSION,
        "Statement": [
            {
                "Sid": "SsmControlChannel",
                "Effect": "Allow",
                "Action": ["ssmmessages:CreateControlChannel"],
                "Resource": f"arn:{partition}:eks:*:*:cluster/*",
            },
            {
                "Sid": "ssmDataplaneOperations",
                "Effect": "Allow",
                "Action": [
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenDataChannel",
                    "ssmmessages:OpenControlChannel",
                ],
                "Resource": "*",
            },
        ],
    }


def node_trust_policy() -> dict[str, Any]:
    """Trust policy of NodeInstanceRole (the seed writes the service as a string)."""
    return _service_trust_policy(NODE_SERVICE_PRINCIPAL)


def ipv6_cni_policy(partition: str) -> dict[str, Any]:
    """The AWS VPC CNI's documented policy for IPv6 clusters; AWS publishes no managed one.

    One narrowing of the documented text: ``ec2:AssignIpv6Addresses`` is scoped to network
    interfaces (the only resource it acts on) instead of ``*``, so the policy grants nothing
    the CNI does not use and passes checkov's CKV_AWS_290/355. The Describe actions support no
    resource-level permissions and stay on ``*``.
    """
    network_interfaces = f"arn:{partition}:ec2:*:*:network-interface/*"
    return {
        "Version": IAM_POLICY_VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["ec2:AssignIpv6Addresses"],
                "Resource": network_interfaces,
            },
            {
                "Effect": "Allow",
                "Action": [
                    "ec2:DescribeInstances",
                    "ec2:DescribeTags",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeInstanceTypes",
                ],
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Action": ["ec2:CreateTags"],
                "Resource": [network_interfaces],
            },
        ],
    }
