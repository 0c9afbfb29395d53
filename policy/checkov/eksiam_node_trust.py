"""CKV_EKSIAM_2: the worker node role trusts exactly ec2.amazonaws.com with sts:AssumeRole."""

from __future__ import annotations

from typing import Any

from eksiam_checkov_iam import trust_problems
from eksiam_checkov_lib import NODE, NODE_DOC, EksiamCheck, identified_kind, role_kind, value


class NodeRoleTrust(EksiamCheck):
    severity_name = "CRITICAL"
    remediation = (
        'Set the role\'s trust policy to the documented one: Effect "Allow", '
        'Principal {"Service": "ec2.amazonaws.com"}, Action "sts:AssumeRole".'
    )
    doc_url = NODE_DOC

    def __init__(self) -> None:
        super().__init__(
            id="CKV_EKSIAM_2",
            name="EKS worker node role trusts only ec2.amazonaws.com with sts:AssumeRole",
            supported_resources=["aws_iam_role"],
        )

    def evaluate(self, conf: dict[str, Any], entity_type: str, name: str) -> list[str] | None:
        if role_kind(conf, name) != NODE:
            return None
        # An Auto Mode node role is held to its own page's trust.
        return trust_problems(value(conf, "assume_role_policy"), identified_kind(name) or NODE)


check = NodeRoleTrust()
