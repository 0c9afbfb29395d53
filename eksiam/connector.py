"""The Amazon EKS connector agent role (seed ``000``)."""

from __future__ import annotations

from eksiam.cdk import Construct, IamRolePolicy, IamServiceLinkedRole
from eksiam.documents import (
    CONNECTOR_POLICY_NAME,
    CONNECTOR_SERVICE_LINKED_ROLE_SERVICE,
    connector_agent_policy,
    connector_trust_policy,
    render,
)
from eksiam.props import CONNECTOR_ROLE_KIND, EksConnectorAgentRoleProps
from eksiam.role import EksRole


class EksConnectorAgentRole(EksRole):
    """The IAM role the EKS connector agent assumes through SSM.

    Trust: ``ssm.amazonaws.com`` with ``sts:AssumeRole``. Permissions: the inline policy
    ``AmazonEKSConnectorAgentPolicy`` (statements ``SsmControlChannel`` and
    ``ssmDataplaneOperations``), with the partition taken from ``data.aws_partition``.
    """

    kind = CONNECTOR_ROLE_KIND

    def __init__(self, scope: Construct, id: str, props: EksConnectorAgentRoleProps | None = None) -> None:
        props = props or EksConnectorAgentRoleProps()
        super().__init__(scope, id, props, connector_trust_policy())
        partition = self.partition.partition
        self.agent_policy = IamRolePolicy(
            self,
            "agent_policy",
            name=CONNECTOR_POLICY_NAME,
            role=self.role.id,
            policy=render(connector_agent_policy(partition)),
        )
        self.agent_policy.override_logical_id(f"{self._prefix}_policy")

        self.service_linked_role: IamServiceLinkedRole | None = None
        if props.create_service_linked_role:
            self.service_linked_role = IamServiceLinkedRole(
                self, "service_linked_role", aws_service_name=CONNECTOR_SERVICE_LINKED_ROLE_SERVICE
            )
            self.service_linked_role.override_logical_id(f"{self._prefix}_service_linked_role")
