"""Where an app's stacks keep their state: ``[backend]`` of eksiam.toml (or a stack's own
``[stacks.<name>.backend]``), one state per stack.

The constructs set no backend; a stack does, once, by calling :func:`apply`::

    from eksiam import backend, load_config

    backend.apply(stack, load_config())        # stack name: the stack's construct id
"""

from __future__ import annotations

import os
from pathlib import Path

from eksiam.backend_config import BackendConfig
from eksiam.cdk import App, CloudBackend, LocalBackend, NamedCloudWorkspace, S3Backend, TerraformStack
from eksiam.config import Config


def apply(stack: TerraformStack, config: Config | BackendConfig, stack_name: str | None = None) -> None:
    """Give ``stack`` its backend: a local state file, an HCP Terraform workspace, or an S3 object.

    ``stack_name`` (default: the stack's construct id) names its state and picks its
    ``[stacks.<name>.backend]``.
    """
    stack_name = stack_name or stack.node.id
    backend = config.for_stack(stack_name).backend if isinstance(config, Config) else config
    app = App.of(stack)
    if backend.type == "cloud":
        CloudBackend(
            stack,
            organization=backend.organization,
            workspaces=NamedCloudWorkspace(backend.workspace(stack_name), project=backend.project or None),
            hostname=backend.hostname or None,
        )
    elif backend.type == "s3":
        S3Backend(
            stack,
            bucket=backend.bucket,
            key=backend.state_key(stack_name),
            region=backend.region or None,
            dynamodb_table=backend.dynamodb_table or None,
        )
        if backend.use_lockfile:
            # S3-native locking (Terraform >= 1.10); cdktf 0.21's S3Backend predates the argument.
            stack.add_override("terraform.backend.s3.use_lockfile", True)
    else:
        LocalBackend(stack, path=relative_state_path(app, stack_name))


def relative_state_path(app: App, stack_name: str) -> str:
    """State lives beside the project, not inside the disposable ``cdktf.out``.

    cdktf's default backend path is absolute; a path relative to the stack's directory keeps
    the synthesized JSON free of this machine's paths and identical wherever it is built.
    """
    stack_dir = Path(app.outdir).resolve() / "stacks" / stack_name
    return os.path.relpath(Path.cwd().resolve() / f"terraform.{stack_name}.tfstate", stack_dir)
