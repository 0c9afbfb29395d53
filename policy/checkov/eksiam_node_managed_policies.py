"""CKV_EKSIAM_4: the worker node role has only the documented AWS managed policies attached.

Allowed: ``arn:<partition>:iam::aws:policy/`` + AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy,
AmazonEC2ContainerRegistryReadOnly (the AWS document); AmazonSSMManagedInstanceCore when
``EKSIAM_CHECKOV_ALLOW_SSM_MANAGED_INSTANCE_CORE`` is true (the SDK's Session Manager
option, ``[node] attach_ssm_managed_instance_core``); any ARN listed in ``EKSIAM_CHECKOV_EXTRA_POLICY_ARNS``
(comma-separated, the gate passes the configured ``[node] additional_policy_arns``); and, when
``EKSIAM_CHECKOV_ALLOW_IPV6_CNI`` is true, the IPv6 CNI policy the SDK creates beside the role
(an ``aws_iam_policy`` whose resource name ends in ``ipv6_cni``). AdministratorAccess,
IAMFullAccess and PowerUserAccess fail even when listed as extras.
"""

from __future__ import annotations

from typing import Any

from eksiam_checkov_lib import (
    FORBIDDEN_MANAGED_POLICIES,
    NODE,
    NODE_DOC,
    NODE_MANAGED_POLICIES,
    SSM_MANAGED_INSTANCE_CORE,
    EksiamCheck,
    aws_managed_policy_name,
    canonical_arn,
    dependent_kinds,
    node_allowances,
    policy_arns,
    referenced_policy,
    role_kind,
)


def attachment_problem(arn: Any, conf: dict[str, Any], address: str) -> str | None:
    managed = aws_managed_policy_name(arn)
    if managed is not None and managed.lower() in FORBIDDEN_MANAGED_POLICIES:
        return f"it attaches {managed}, which no EKS node role may have"
    extra_policy_arns, ssm_core_allowed, ipv6_cni_allowed = node_allowances(address)
    if managed in NODE_MANAGED_POLICIES or (managed == SSM_MANAGED_INSTANCE_CORE and ssm_core_allowed):
        return None
    if isinstance(arn, str) and canonical_arn(arn) in extra_policy_arns:
        return None
    policy = referenced_policy(conf)
    if policy is not None and not (isinstance(arn, str) and aws_managed_policy_name(arn)):
        if policy.endswith("ipv6_cni") and ipv6_cni_allowed:
            return None
        return f"it attaches the policy aws_iam_policy.{policy}, which is not among the allowed policies"
    if not isinstance(arn, str) or not arn:
        return "its policy ARN is unknown, so it cannot be verified against the allowed policies"
    return f"it attaches {arn}, which is neither a documented node policy nor a configured extra"


class NodeRoleManagedPolicies(EksiamCheck):
    severity_name = "HIGH"
    remediation = (
        "Attach only arn:<partition>:iam::aws:policy/AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy "
        "and AmazonEC2ContainerRegistryReadOnly (AmazonSSMManagedInstanceCore with [node] "
        "attach_ssm_managed_instance_core = true); list any other policy the nodes need in [node] additional_policy_arns."
    )
    doc_url = NODE_DOC

    def __init__(self) -> None:
        super().__init__(
            id="CKV_EKSIAM_4",
            name="EKS worker node role has only the documented AWS managed policies attached",
            supported_resources=["aws_iam_role_policy_attachment", "aws_iam_role"],
        )

    def evaluate(self, conf: dict[str, Any], entity_type: str, name: str) -> list[str] | None:
        if entity_type == "aws_iam_role":
            if role_kind(conf, name) != NODE:
                return None
        elif NODE not in dependent_kinds(conf, name):
            return None
        problems = [attachment_problem(arn, conf, name) for arn in policy_arns(conf, entity_type)]
        return [problem for problem in problems if problem]


check = NodeRoleManagedPolicies()
