"""CKV_EKSIAM_3: the connector agent role's inline policy grants only the documented actions.

Allowed: ssmmessages:CreateControlChannel on EKS cluster ARNs (documented:
``arn:<partition>:eks:*:*:cluster/*``), and ssmmessages:CreateDataChannel, OpenDataChannel and
OpenControlChannel on any resource. Actions compare case-insensitively, as IAM does; a
wildcard action, NotAction or NotResource in an Allow statement fails, since it grants more
than it names. Deny statements only take permissions away and are accepted. Whether all four
actions are present is the OPA rules' business: this check guards against excess only.
"""

from __future__ import annotations

from typing import Any

from eksiam_checkov_iam import CONNECTOR_ACTIONS, CONTROL_CHANNEL_ACTION, as_list, is_cluster_arn, parse_document, statements
from eksiam_checkov_lib import CONNECTOR, CONNECTOR_DOC, EksiamCheck, dependent_kinds, inline_policies, role_kind, value


def policy_problems(document: Any) -> list[str]:
    problems: list[str] = []
    for statement in statements(parse_document(document)):
        if statement.get("Effect") != "Allow":
            continue
        for key in ("NotAction", "NotResource"):
            if key in statement:
                problems.append(f"a statement uses {key}, which grants more than it names")
        actions = [str(a) for a in as_list(statement.get("Action"))]
        wildcards = sorted(a for a in actions if "*" in a or "?" in a)
        if wildcards:
            problems.append(f"it allows the wildcard actions {', '.join(wildcards)}")
        extra = sorted({a for a in actions if a.lower() not in CONNECTOR_ACTIONS} - set(wildcards))
        if extra:
            problems.append(f"it allows {', '.join(extra)}, beyond the four documented ssmmessages actions")
        if CONTROL_CHANNEL_ACTION in {a.lower() for a in actions}:
            resources = [str(r) for r in as_list(statement.get("Resource"))]
            wide = [r for r in resources if not is_cluster_arn(r)]
            if wide or not resources:
                shown = ", ".join(wide) or "no resource"
                problems.append(
                    f"it allows ssmmessages:CreateControlChannel on {shown} instead of arn:<partition>:eks:*:*:cluster/*"
                )
    return problems


class ConnectorAgentInlinePolicy(EksiamCheck):
    severity_name = "HIGH"
    remediation = (
        "Limit the connector agent policy to ssmmessages:CreateControlChannel on "
        "arn:<partition>:eks:*:*:cluster/* and ssmmessages:CreateDataChannel, "
        "ssmmessages:OpenDataChannel and ssmmessages:OpenControlChannel on *."
    )
    doc_url = CONNECTOR_DOC

    def __init__(self) -> None:
        super().__init__(
            id="CKV_EKSIAM_3",
            name="EKS connector agent role's inline policy grants only the documented ssmmessages actions",
            supported_resources=["aws_iam_role_policy", "aws_iam_role"],
        )

    def evaluate(self, conf: dict[str, Any], entity_type: str, name: str) -> list[str] | None:
        if entity_type == "aws_iam_role":
            if role_kind(conf, name) != CONNECTOR:
                return None
            problems: list[str] = []
            for block in inline_policies(conf):
                problems.extend(policy_problems(value(block, "policy")))
            return problems
        if CONNECTOR not in dependent_kinds(conf, name):
            return None
        return policy_problems(value(conf, "policy"))


check = ConnectorAgentInlinePolicy()
