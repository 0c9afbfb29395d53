"""The Amazon EKS connector agent role (seed ``000``)."""

from __future__ import annotations

from stacks.cdk import Construct, IamRolePolicy, IamServiceLinkedRole
from stacks.documents import (
    CONNECTOR_POLICY_NAME,
    CONNECTOR_SERVICE_LINKED_ROLE_SERVICE,
    connector_agent_policy,
    connector_trust_policy,
    render,
)
from stacks.props import CONNECTOR_ROLE_KIND, EksConnectorAgentRoleProps
from stacks.role import create_partition, create_role, logical_id_prefix


class EksConnectorAgentRole(Construct):
    """The IAM role the EKS connector agent assumes through SSM.

    Trust: ``ssm.amazonaws.com`` with ``sts:AssumeRole``. Permissions: the inline policy
    ``AmazonEKSConnectorAgentPolicy`` (statements ``SsmControlChannel`` and
    ``ssmDataplaneOperations``), with the partition taken from ``data.aws_partition``.
    """

    def __init__(self, scope: Construct, id: str, props: EksConnectorAgentRoleProps | None = None) -> None:
        super().__init__(scope, id)
        props = props or EksConnectorAgentRoleProps()
        prefix = logical_id_prefix(id)
        partition = create_partition(self, prefix).partition

        self.role = create_role(self, prefix, props, CONNECTOR_ROLE_KIND, connector_trust_policy())
        self.agent_policy = IamRolePolicy(
            self,
            "agent_policy",
            name=CONNECTOR_POLICY_NAME,
            role=self.role.id,
            policy=render(connector_agent_policy(partition)),
        )
        self.agent_policy.override_logical_id(f"{prefix}_policy")

        self.service_linked_role: IamServiceLinkedRole | None = None
        if props.create_service_linked_role:
            self.service_linked_role = IamServiceLinkedRole(
                self, "service_linked_role", aws_service_name=CONNECTOR_SERVICE_LINKED_ROLE_SERVICE
            )
            self.service_linked_role.override_logical_id(f"{prefix}_service_linked_role")

    @property
    def arn(self) -> str:
        return self.role.arn

    @property
    def name(self) -> str:
        return self.role.name

    @property
    def unique_id(self) -> str:
        return self.role.unique_id
