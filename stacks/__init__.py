"""This project's own cdktf app: one stack per role, built from the ``eksiam`` constructs.

An app like any user's: ``main.py`` (run by ``cdktf synth`` and ``eksiam check`` through
``cdktf.json``) builds it from ``eksiam.toml``.
"""

from stacks.app import build_app
from stacks.stacks import CONNECTOR_STACK, NODE_STACK, ConnectorAgentRoleStack, NodeRoleStack

__all__ = ["CONNECTOR_STACK", "NODE_STACK", "ConnectorAgentRoleStack", "NodeRoleStack", "build_app"]
