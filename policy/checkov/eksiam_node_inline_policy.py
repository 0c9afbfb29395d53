"""CKV_EKSIAM_7: the worker node role has no inline policy.

The AWS document gives the node role managed policies only; an inline policy (an
``aws_iam_role_policy`` on the role, or an ``inline_policy`` block on it) adds permissions that
no reviewer of the attachments would see.
"""

from __future__ import annotations

from typing import Any

from eksiam_checkov_lib import NODE, NODE_DOC, EksiamCheck, dependent_kinds, inline_policies, role_kind, value


class NodeRoleNoInlinePolicy(EksiamCheck):
    severity_name = "HIGH"
    remediation = (
        "Remove the inline policy from the node role; grant extra permissions through a managed "
        "policy listed in [node] additional_policy_arns."
    )
    doc_url = NODE_DOC

    def __init__(self) -> None:
        super().__init__(
            id="CKV_EKSIAM_7",
            name="EKS worker node role has no inline policies",
            supported_resources=["aws_iam_role_policy", "aws_iam_role"],
        )

    def evaluate(self, conf: dict[str, Any], entity_type: str, name: str) -> list[str] | None:
        if entity_type == "aws_iam_role":
            if role_kind(conf, name) != NODE:
                return None
            blocks = inline_policies(conf)
            return [f"it declares {len(blocks)} inline_policy block(s)"] if blocks else []
        if NODE not in dependent_kinds(conf, name):
            return None
        policy_name = value(conf, "name")
        return [f"it puts the inline policy {policy_name or '(unnamed)'} on the node role"]


check = NodeRoleNoInlinePolicy()
