"""CKV_EKSIAM_5: the connector agent role has no managed policy attached.

The AWS document gives the connector agent role one policy, AmazonEKSConnectorAgentPolicy,
which the SDK writes as the role's inline policy (``aws-iam put-role-policy``); any managed
policy attachment grants permissions outside that document, except the document's console
form: the policy as a customer managed AmazonEKSConnectorAgentPolicy, which the gate's
identity lists for the role (its statements are judged by the connector rules).
"""

from __future__ import annotations

from typing import Any

from eksiam_checkov_lib import CONNECTOR, CONNECTOR_DOC, EksiamCheck, dependent_kinds, linked_roles, policy_arns, role_kind


class ConnectorAgentNoManagedPolicies(EksiamCheck):
    severity_name = "HIGH"
    remediation = (
        "Remove the managed policy attachment: the connector agent role carries only its inline "
        "policy AmazonEKSConnectorAgentPolicy."
    )
    doc_url = CONNECTOR_DOC

    def __init__(self) -> None:
        super().__init__(
            id="CKV_EKSIAM_5",
            name="EKS connector agent role has no managed policies attached",
            supported_resources=["aws_iam_role_policy_attachment", "aws_iam_role"],
        )

    def evaluate(self, conf: dict[str, Any], entity_type: str, name: str) -> list[str] | None:
        if entity_type == "aws_iam_role":
            if role_kind(conf, name) != CONNECTOR:
                return None
            arns = policy_arns(conf, entity_type)
            return [f"it lists managed_policy_arns {', '.join(map(str, arns))}"] if arns else []
        if CONNECTOR not in dependent_kinds(conf, name):
            return None
        connector_roles = [role for role in linked_roles(name) if role.get("kind") == CONNECTOR]
        if connector_roles and all(name in role.get("console_policy_attachments", []) for role in connector_roles):
            return []
        arn = policy_arns(conf, entity_type)[0]
        return [f"it attaches {arn or 'a managed policy'} to the connector agent role"]


check = ConnectorAgentNoManagedPolicies()
