"""CKV_EKSIAM_6: no role in the stacks has AdministratorAccess, IAMFullAccess or PowerUserAccess.

Run by the gate, it applies to the EKS roles OPA identified and to what attaches policies to
them; run by hand (no identity), to every role attachment. A policy ARN that is neither a
literal ARN nor a policy created in the same configuration (for instance a data source
look-up) cannot be shown to be harmless and fails.
"""

from __future__ import annotations

from typing import Any

from eksiam_checkov_iam import FORBIDDEN_MANAGED_POLICIES, aws_managed_policy_name
from eksiam_checkov_lib import (
    NODE_DOC,
    EksiamCheck,
    dependent_kinds,
    policy_arns,
    referenced_policy,
    role_kind,
    shared_identity,
    within_by_gate,
)


class ForbiddenManagedPolicies(EksiamCheck):
    severity_name = "CRITICAL"
    remediation = "Detach AdministratorAccess, IAMFullAccess and PowerUserAccess: EKS roles need none of them."
    doc_url = NODE_DOC

    def __init__(self) -> None:
        super().__init__(
            id="CKV_EKSIAM_6",
            name="No EKS role has AdministratorAccess, IAMFullAccess or PowerUserAccess attached",
            supported_resources=["aws_iam_role_policy_attachment", "aws_iam_policy_attachment", "aws_iam_role"],
        )

    def evaluate(self, conf: dict[str, Any], entity_type: str, name: str) -> list[str] | None:
        if shared_identity() is not None:
            eks_role = role_kind(conf, name) if entity_type == "aws_iam_role" else None
            if eks_role is None and not dependent_kinds(conf, name):
                return None
        problems: list[str] = []
        for arn in policy_arns(conf, entity_type):
            managed = aws_managed_policy_name(arn)
            if managed is not None and managed.lower() in FORBIDDEN_MANAGED_POLICIES:
                problems.append(f"it attaches {managed}")
            elif not isinstance(arn, str) or not arn.startswith("arn:"):
                # OPA read the policy behind it and found it within the node role's documented permissions.
                if referenced_policy(conf) is None and not within_by_gate(name):
                    problems.append("its policy ARN is not a literal ARN, so it cannot be shown to be harmless")
        return problems


check = ForbiddenManagedPolicies()
