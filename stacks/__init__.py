"""eksiam's SDK: cdktf constructs and stacks for the two IAM roles Amazon EKS needs.

Importing this package loads cdktf (see ``stacks.cdk``); the names below are the public API.
"""

from stacks.config import Config, load_config
from stacks.connector import EksConnectorAgentRole, EksConnectorAgentRoleProps
from stacks.node import EksNodeRole, EksNodeRoleProps
from stacks.role import ROLE_KIND_TAG
from stacks.stacks import CONNECTOR_STACK, NODE_STACK, ConnectorAgentRoleStack, NodeRoleStack

__all__ = [
    "CONNECTOR_STACK",
    "Config",
    "ConnectorAgentRoleStack",
    "EksConnectorAgentRole",
    "EksConnectorAgentRoleProps",
    "EksNodeRole",
    "EksNodeRoleProps",
    "NODE_STACK",
    "NodeRoleStack",
    "ROLE_KIND_TAG",
    "load_config",
]
