"""``[backend]``: where each stack of an app keeps its Terraform state, validated against what
HCP Terraform, Terraform Enterprise and S3 accept before anything is synthesized.

Part of the configuration (eksiam.config reads it from eksiam.toml); the stacks apply it
(eksiam.backend), the constructs never read it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eksiam.errors import UsageError

# Which [backend] keys each backend type reads; a key set for another type is an error.
BACKEND_TYPE_KEYS: dict[str, frozenset[str]] = {
    "local": frozenset(),
    "cloud": frozenset({"organization", "workspace_prefix", "hostname", "project"}),
    "s3": frozenset({"bucket", "key_prefix", "region", "use_lockfile", "dynamodb_table"}),
}

# HCP Terraform / Terraform Enterprise names: organizations and workspaces take letters,
# digits, - and _ (workspaces up to 90 characters); a workspace is <workspace_prefix><stack>,
# so the prefix leaves room for the stack name.
_HCP_NAME = re.compile(r"[A-Za-z0-9_-]+")
_MAX_WORKSPACE_PREFIX = 64
_PROJECT_NAME = re.compile(r"[A-Za-z0-9_-](?:[A-Za-z0-9 _-]{0,38}[A-Za-z0-9_-])?")
_HOSTNAME = re.compile(r"(?=.{1,253}(?::|$))(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(?::[0-9]{1,5})?")
# S3 general purpose bucket names; AWS region codes (us-east-1, us-gov-west-1, cn-north-1, …).
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}")
_DYNAMODB_TABLE = re.compile(r"[A-Za-z0-9_.-]{3,255}")
_MAX_KEY_PREFIX = 900  # S3 keys are at most 1024 bytes; the stack name and .tfstate follow


@dataclass(frozen=True)
class BackendConfig:
    """Where each stack of an app keeps its Terraform state (``[backend]``).

    ``local``: a state file per stack in the working directory (the default). ``cloud``: one
    HCP Terraform (or Terraform Enterprise) workspace per stack, ``<workspace_prefix><stack>``.
    ``s3``: one state object per stack, ``<key_prefix><stack>.tfstate``. Validated on
    construction; a bad value raises :class:`UsageError` naming the ``[backend]`` key.
    """

    type: str = "local"
    organization: str = ""
    workspace_prefix: str = ""
    hostname: str = ""
    project: str = ""
    bucket: str = ""
    key_prefix: str = ""
    region: str = ""
    use_lockfile: bool = True
    dynamodb_table: str = ""

    def __post_init__(self) -> None:
        if self.type not in BACKEND_TYPE_KEYS:
            raise UsageError(f"[backend] type = {self.type!r} is not a backend eksiam knows: use local, cloud or s3")
        if self.type == "cloud":
            self._check_cloud()
        elif self.type == "s3":
            self._check_s3()

    def _check_cloud(self) -> None:
        if not self.organization:
            raise UsageError("[backend] organization is required for type = \"cloud\": name your HCP Terraform organization")
        if not _HCP_NAME.fullmatch(self.organization):
            raise UsageError(
                f"[backend] organization = {self.organization!r} is not an HCP Terraform organization name: "
                "use letters, digits, - and _"
            )
        if self.workspace_prefix and (
            not _HCP_NAME.fullmatch(self.workspace_prefix) or len(self.workspace_prefix) > _MAX_WORKSPACE_PREFIX
        ):
            raise UsageError(
                f"[backend] workspace_prefix = {self.workspace_prefix!r} would not make valid workspace names: "
                f"use at most {_MAX_WORKSPACE_PREFIX} letters, digits, - and _"
            )
        if self.hostname and not _HOSTNAME.fullmatch(self.hostname):
            raise UsageError(
                f"[backend] hostname = {self.hostname!r} is not a host name: use e.g. app.terraform.io "
                "or your Terraform Enterprise host, without https://"
            )
        if self.project and not _PROJECT_NAME.fullmatch(self.project):
            raise UsageError(
                f"[backend] project = {self.project!r} is not an HCP Terraform project name: "
                "use up to 40 letters, digits, inner spaces, - and _"
            )

    def _check_s3(self) -> None:
        if not self.bucket:
            raise UsageError("[backend] bucket is required for type = \"s3\": name the S3 bucket that holds the state")
        if not _BUCKET.fullmatch(self.bucket) or ".." in self.bucket:
            raise UsageError(
                f"[backend] bucket = {self.bucket!r} is not an S3 bucket name: "
                "use 3-63 lower-case letters, digits, . and -, starting and ending with a letter or digit"
            )
        if self.key_prefix.startswith("/") or "//" in self.key_prefix or len(self.key_prefix) > _MAX_KEY_PREFIX:
            raise UsageError(
                f"[backend] key_prefix = {self.key_prefix!r} would not make a valid state key: "
                "do not start it with / or repeat /, e.g. \"eks-iam/\""
            )
        if any(ord(c) < 32 or ord(c) == 127 for c in self.key_prefix):
            raise UsageError("[backend] key_prefix has a control character: use printable characters only")
        if self.region and not _REGION.fullmatch(self.region):
            raise UsageError(f"[backend] region = {self.region!r} is not an AWS region: use e.g. eu-west-1")
        if self.dynamodb_table and not _DYNAMODB_TABLE.fullmatch(self.dynamodb_table):
            raise UsageError(
                f"[backend] dynamodb_table = {self.dynamodb_table!r} is not a DynamoDB table name: "
                "use 3-255 letters, digits, _, - and ."
            )

    def workspace(self, stack: str) -> str:
        """The HCP Terraform workspace of ``stack`` (type ``cloud``)."""
        return f"{self.workspace_prefix}{stack}"

    def state_key(self, stack: str) -> str:
        """The S3 object key of ``stack``'s state (type ``s3``)."""
        return f"{self.key_prefix}{stack}.tfstate"


def backend_from_mapping(values: Mapping[str, Any], source: str) -> BackendConfig:
    """The [backend] table read from ``source``, every key checked against its type."""
    kind = values.get("type", "local")
    if kind in BACKEND_TYPE_KEYS:
        for key in sorted(set(values) - {"type"} - BACKEND_TYPE_KEYS[kind]):
            owner = next(t for t, keys in BACKEND_TYPE_KEYS.items() if key in keys)
            raise UsageError(
                f"{source}: [backend] {key} applies to type = \"{owner}\", not to type = \"{kind}\": "
                "remove it or change the type"
            )
    try:
        return BackendConfig(**values)
    except UsageError as error:
        raise UsageError(f"{source}: {error}") from None
