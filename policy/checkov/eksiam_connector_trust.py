"""CKV_EKSIAM_1: the connector agent role trusts exactly ssm.amazonaws.com with sts:AssumeRole."""

from __future__ import annotations

from typing import Any

from eksiam_checkov_iam import trust_problems
from eksiam_checkov_lib import CONNECTOR, CONNECTOR_DOC, EksiamCheck, role_kind, value


class ConnectorAgentRoleTrust(EksiamCheck):
    severity_name = "CRITICAL"
    remediation = (
        'Set the role\'s trust policy to the documented one: Effect "Allow", '
        'Principal {"Service": ["ssm.amazonaws.com"]}, Action "sts:AssumeRole".'
    )
    doc_url = CONNECTOR_DOC

    def __init__(self) -> None:
        super().__init__(
            id="CKV_EKSIAM_1",
            name="EKS connector agent role trusts only ssm.amazonaws.com with sts:AssumeRole",
            supported_resources=["aws_iam_role"],
        )

    def evaluate(self, conf: dict[str, Any], entity_type: str, name: str) -> list[str] | None:
        if role_kind(conf, name) != CONNECTOR:
            return None
        return trust_problems(value(conf, "assume_role_policy"), CONNECTOR)


check = ConnectorAgentRoleTrust()
