"""CKV_EKSIAM_4: the worker node role has only the documented managed policies attached.

Allowed: ``arn:<partition>:iam::aws:policy/`` + the policies the node pages document for either
node kind (policy/facts/eks_roles.json: AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy,
AmazonEC2ContainerRegistryReadOnly or PullOnly, AmazonEKSWorkerNodeMinimalPolicy) and
AmazonSSMManagedInstanceCore (reported LOW by OPA's EKSIAM-NODE-005 where undeclared); a policy
the gate's OPA identity found within the documented permissions (a customer copy); any ARN of
``[node] additional_policy_arns``; and, when ``[node] enable_ipv6_cni`` is set, the IPv6 CNI
policy the SDK creates beside the role (an ``aws_iam_policy`` whose resource name ends in
``ipv6_cni``). The administrator-level policies fail even when listed as extras.
"""

from __future__ import annotations

from typing import Any

from eksiam_checkov_iam import FORBIDDEN_MANAGED_POLICIES, NODE_MANAGED_POLICIES, aws_managed_policy_name, canonical_arn
from eksiam_checkov_lib import (
    NODE,
    NODE_DOC,
    EksiamCheck,
    dependent_kinds,
    node_allowances,
    policy_arns,
    referenced_policy,
    role_kind,
    within_by_gate,
)


def attachment_problem(arn: Any, conf: dict[str, Any], address: str) -> str | None:
    managed = aws_managed_policy_name(arn)
    if managed is not None and managed.lower() in FORBIDDEN_MANAGED_POLICIES:
        return f"it attaches {managed}, which no EKS node role may have"
    extra_policy_arns, _, ipv6_cni_allowed = node_allowances(address)
    if managed in NODE_MANAGED_POLICIES or within_by_gate(address):
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
        "Attach only the documented policies (arn:<partition>:iam::aws:policy/AmazonEKSWorkerNodePolicy, "
        "AmazonEKS_CNI_Policy, AmazonEC2ContainerRegistryPullOnly or ReadOnly) or policies granting no more; "
        "list any other policy the nodes need in [node] additional_policy_arns."
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
