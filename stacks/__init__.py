"""eksiam's SDK: cdktf constructs and stacks for the two IAM roles Amazon EKS needs.

The props and the configuration import without cdktf; the constructs and stacks load it
(and its Node.js process) on first use, so the gate can read a config in milliseconds.
"""

from importlib import import_module

from stacks.config import Config, load_config
from stacks.props import ROLE_KIND_TAG, EksConnectorAgentRoleProps, EksNodeRoleProps

_LAZY = {
    "EksConnectorAgentRole": "stacks.connector",
    "EksNodeRole": "stacks.node",
    "ConnectorAgentRoleStack": "stacks.stacks",
    "NodeRoleStack": "stacks.stacks",
    "CONNECTOR_STACK": "stacks.stacks",
    "NODE_STACK": "stacks.stacks",
}

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


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'stacks' has no attribute {name!r}")
