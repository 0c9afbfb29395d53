"""One Terraform stack per role, as the AWS documents ship one CloudFormation stack per role.

Each stack keeps its own state where ``[backend]`` (or its ``[stacks.<name>.backend]``) says
(eksiam.backend): a local file, its own HCP Terraform workspace, or its own S3 object.
"""

from __future__ import annotations

from eksiam.cdk import App, AwsProvider, Construct, TerraformOutput, TerraformStack
from eksiam import EksConnectorAgentRole, EksConnectorAgentRoleProps, EksNodeRole, EksNodeRoleProps
from eksiam import backend as state
from eksiam.config import Config

CONNECTOR_STACK = "eksiam-connector"
NODE_STACK = "eksiam-node"


def _output(scope: Construct, name: str, value: str, description: str) -> None:
    output = TerraformOutput(scope, name, value=value, description=description)
    output.override_logical_id(name)


class ConnectorAgentRoleStack(TerraformStack):
    """The connector agent role; outputs as the seed's template (``EKSConnectorAgentRoleArn``)."""

    def __init__(self, scope: App, id: str, props: EksConnectorAgentRoleProps, config: Config | None = None) -> None:
        super().__init__(scope, id)
        AwsProvider(self, "aws")
        state.apply(self, config or Config())
        self.role = EksConnectorAgentRole(self, "connector_agent", props)
        _output(self, "EKSConnectorAgentRoleArn", self.role.arn,
                "The agent role that EKS connector uses to communicate with AWS services.")
        _output(self, "RoleName", self.role.name, "Name of the EKS connector agent role.")
        _output(self, "RoleUniqueId", self.role.unique_id, "Stable unique id of the EKS connector agent role.")


class NodeRoleStack(TerraformStack):
    """The worker node role; outputs as the seed's template (``RoleArn``)."""

    def __init__(self, scope: App, id: str, props: EksNodeRoleProps, config: Config | None = None) -> None:
        super().__init__(scope, id)
        AwsProvider(self, "aws")
        state.apply(self, config or Config())
        self.role = EksNodeRole(self, "node", props)
        _output(self, "RoleArn", self.role.arn,
                "The role that the worker node kubelet uses to make calls to the Amazon EKS API on your behalf")
        _output(self, "RoleName", self.role.name, "Name of the EKS worker node role.")
        _output(self, "RoleUniqueId", self.role.unique_id, "Stable unique id of the EKS worker node role.")
