"""Building and synthesizing the app: what ``main.py`` and ``eksiam synth`` share."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gate.errors import UsageError
from stacks.cdk import App
from stacks.config import Config
from stacks.stacks import CONNECTOR_STACK, NODE_STACK, ConnectorAgentRoleStack, NodeRoleStack


def build_app(config: Config, outdir: str | Path | None = None) -> App:
    """The cdktf app with one stack per enabled role."""
    app = App(outdir=str(outdir)) if outdir else App()
    if config.connector_enabled:
        ConnectorAgentRoleStack(app, CONNECTOR_STACK, config.connector)
    if config.node_enabled:
        NodeRoleStack(app, NODE_STACK, config.node)
    return app


@dataclass(frozen=True)
class SynthResult:
    out_dir: Path
    stack_files: tuple[Path, ...]


def synthesize(config: Config, out_dir: str | Path = "cdktf.out") -> SynthResult:
    """Synthesize into ``out_dir``, replacing it only once the new output is complete.

    The new tree is written beside ``out_dir`` (same depth, so relative state paths are the
    same) and swapped in at the end: a failure leaves the earlier output as it was.
    """
    if not (config.connector_enabled or config.node_enabled):
        raise UsageError("both roles are disabled: enable [connector] or [node] to have something to synthesize")
    # Absolute: jsii's Node process resolves relative paths against its own working directory.
    out_dir = Path(out_dir).absolute()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        build_app(config, staging).synth()
        staging.chmod(0o755)  # mkdtemp's private mode is not what a build directory should keep
        previous = out_dir.with_name(f".{out_dir.name}.previous")
        if previous.exists():
            shutil.rmtree(previous)
        if out_dir.exists():
            out_dir.rename(previous)
        staging.rename(out_dir)
        if previous.exists():
            shutil.rmtree(previous)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    stack_files = tuple(sorted(out_dir.glob("stacks/*/cdk.tf.json")))
    return SynthResult(out_dir=out_dir, stack_files=stack_files)
