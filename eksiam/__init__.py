"""eksiam: cdktf constructs for the two IAM roles Amazon EKS needs, and a policy gate for them.

The SDK is what this module exports::

    from eksiam import EksConnectorAgentRole, EksConnectorAgentRoleProps, EksNodeRole, EksNodeRoleProps

The props, the configuration and the errors import without cdktf. The constructs load cdktf
(and its Node.js process) when first used, so the gate (``eksiam check --input``, ``eksiam
verify``) starts in milliseconds; type checkers see the real classes through the
``TYPE_CHECKING`` imports below.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from eksiam.app import run_app
from eksiam.config import Config, load_config
from eksiam.errors import EksiamError, ToolError, UsageError
from eksiam.metadata import track_sources
from eksiam.props import (
    ROLE_KIND_TAG,
    EksConnectorAgentRoleProps,
    EksNodeRoleProps,
    RoleProps,
)
from eksiam.provider_bindings import load_lazily_in_node, register_lazily

# Before the app imports any of the AWS provider bindings, or cdktf starts jsii's Node process
# (see eksiam.provider_bindings).
register_lazily()
load_lazily_in_node()

if TYPE_CHECKING:
    from eksiam.connector import EksConnectorAgentRole
    from eksiam.node import EksNodeRole
    from eksiam.role import EksRole
    from eksiam.suppress import suppress

__version__ = "0.2.0"

# Construct classes (and suppress), loaded with cdktf on first access.
_CONSTRUCT_MODULES = {
    "EksConnectorAgentRole": "eksiam.connector",
    "EksNodeRole": "eksiam.node",
    "EksRole": "eksiam.role",
    "suppress": "eksiam.suppress",
}

__all__ = [
    "Config",
    "EksConnectorAgentRole",
    "EksConnectorAgentRoleProps",
    "EksNodeRole",
    "EksNodeRoleProps",
    "EksRole",
    "EksiamError",
    "ROLE_KIND_TAG",
    "RoleProps",
    "ToolError",
    "UsageError",
    "load_config",
    "run_app",
    "suppress",
    "track_sources",
]


def __getattr__(name: str) -> Any:
    if name in _CONSTRUCT_MODULES:
        value = getattr(import_module(_CONSTRUCT_MODULES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'eksiam' has no attribute {name!r}")
