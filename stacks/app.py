"""The app ``main.py`` runs: one stack per enabled role, each with the configured backend."""

from __future__ import annotations

from pathlib import Path

from eksiam.cdk import App
from eksiam.config import Config
from stacks.stacks import CONNECTOR_STACK, NODE_STACK, ConnectorAgentRoleStack, NodeRoleStack


def build_app(config: Config, outdir: str | Path | None = None) -> App:
    """The cdktf app with one stack per enabled role (outdir: cdktf's, ``$CDKTF_OUTDIR`` first)."""
    app = App(outdir=str(outdir)) if outdir else App()
    if config.connector_enabled:
        ConnectorAgentRoleStack(app, CONNECTOR_STACK, config.for_stack(CONNECTOR_STACK).connector, config)
    if config.node_enabled:
        NodeRoleStack(app, NODE_STACK, config.for_stack(NODE_STACK).node, config)
    return app
