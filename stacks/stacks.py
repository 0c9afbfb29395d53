"""One Terraform stack per role, as the AWS documents ship one CloudFormation stack per role."""

from __future__ import annotations

import os
from pathlib import Path

from eksiam.cdk import App, AwsProvider, Construct, LocalBackend, TerraformOutput, TerraformStack
from eksiam import EksConnectorAgentRole, EksConnectorAgentRoleProps, EksNodeRole, EksNodeRoleProps

CONNECTOR_STACK = "eksiam-connector"
NODE_STACK = "eksiam-node"


def _relative_state_path(app: App, stack_name: str) -> str:
    """State lives beside the project, not inside the disposable ``cdktf.out``.

    cdktf's default backend path is absolute; a path relative to the stack's directory keeps
    the synthesized JSON free of this machine's paths and identical wherever it is built.
    """
    stack_dir = Path(app.outdir).resolve() / "stacks" / stack_name
    return os.path.relpath(Path.cwd().resolve() / f"terraform.{stack_name}.tfstate", stack_dir)


def _output(scope: Construct, name: str, value: str, description: str) -> None:
    output = TerraformOutput(scope, name, value=value, description=description)
    output.override_logical_id(name)


class ConnectorAgentRoleStack(TerraformStack):
    """The connector agent role; outputs as the seed's template (``EKSConnectorAgentRoleArn``)."""

    def __init__(self, scope: App, id: str, props: EksConnectorAgentRoleProps) -> None:
        super().__init__(scope, id)
        AwsProvider(self, "aws")
        LocalBackend(self, path=_relative_state_path(scope, id))
        self.role = EksConnectorAgentRole(self, "connector_agent", props)
        _output(self, "EKSConnectorAgentRoleArn", self.role.arn,
                "The agent role that EKS connector uses to communicate with AWS services.")
        _output(self, "RoleName", self.role.name, "Name of the EKS connector agent role.")
        _output(self, "RoleUniqueId", self.role.unique_id, "Stable unique id of the EKS connector agent role.")


class NodeRoleStack(TerraformStack):
    """The worker node role; outputs as the seed's template (``RoleArn``)."""

    def __init__(self, scope: App, id: str, props: EksNodeRoleProps) -> None:
        super().__init__(scope, id)
        AwsProvider(self, "aws")
        LocalBackend(self, path=_relative_state_path(scope, id))
        self.role = EksNodeRole(self, "node", props)
        _output(self, "RoleArn", self.role.arn,
                "The role that the worker node kubelet uses to make calls to the Amazon EKS API on your behalf")
        _output(self, "RoleName", self.role.name, "Name of the EKS worker node role.")
        _output(self, "RoleUniqueId", self.role.unique_id, "Stable unique id of the EKS worker node role.")
