"""Where this app's stacks keep their state: the ``[backend]`` of eksiam.toml, one state per stack.

The constructs set no backend; a stack does, once, from configuration. A user's own app sets
its own (any cdktf backend); this is what ``stacks/`` does with ``[backend]``.
"""

from __future__ import annotations

import os
from pathlib import Path

from eksiam.cdk import App, CloudBackend, LocalBackend, NamedCloudWorkspace, S3Backend, TerraformStack
from eksiam.config import BackendConfig


def add_backend(stack: TerraformStack, app: App, stack_name: str, backend: BackendConfig) -> None:
    """Give ``stack`` its backend: a local state file, an HCP Terraform workspace, or an S3 object."""
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
