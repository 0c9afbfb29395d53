"""What both EKS role constructs share: the props every IAM role takes, and the role itself."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from stacks import validation
from stacks.cdk import Construct, DataAwsPartition, IamRole
from stacks.documents import render

# The tag that tells the policy gate which EKS role a role is meant to be, even after its
# trust policy was changed. The constructs set it; users cannot (see validation).
ROLE_KIND_TAG = "eksiam:role"


@dataclass(frozen=True, kw_only=True)
class RoleProps:
    """Settings every IAM role takes, named as in the terraform-aws-eks module.

    ``name`` is the role name, or with ``use_name_prefix`` the prefix Terraform completes to a
    unique name. ``import_existing`` adopts a role of that name that already exists in the
    account (a Terraform ``import`` block) instead of failing to create it.
    """

    name: str
    description: str
    use_name_prefix: bool = False
    path: str = "/"
    permissions_boundary: str = ""
    max_session_duration: int = 3600
    force_detach_policies: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)
    import_existing: bool = False

    def __post_init__(self) -> None:
        prefix = type(self).__name__
        validation.check_role_name(self.name, f"{prefix}.name", as_prefix=self.use_name_prefix)
        validation.check_path(self.path, f"{prefix}.path")
        validation.check_description(self.description, f"{prefix}.description")
        if self.permissions_boundary:
            validation.check_policy_arn(self.permissions_boundary, f"{prefix}.permissions_boundary")
        validation.check_max_session_duration(self.max_session_duration, f"{prefix}.max_session_duration")
        validation.check_tags(self.tags, f"{prefix}.tags")
        if self.import_existing and self.use_name_prefix:
            from gate.errors import UsageError

            raise UsageError(
                f"{prefix}: import_existing needs the exact role name: turn off use_name_prefix"
            )
        # A read-only copy: the props are frozen, so their tags must not change behind them.
        object.__setattr__(self, "tags", MappingProxyType(dict(self.tags)))


def logical_id_prefix(construct_id: str) -> str:
    """``NodeRole`` -> ``node_role``: resource addresses that read well and never change."""
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", construct_id)
    return re.sub(r"[^A-Za-z0-9_]", "_", snake).lower()


def create_partition(scope: Construct, prefix: str) -> DataAwsPartition:
    partition = DataAwsPartition(scope, "partition")
    partition.override_logical_id(f"{prefix}_partition")
    return partition


def create_role(scope: Construct, prefix: str, props: RoleProps, kind: str, trust_policy: dict) -> IamRole:
    role = IamRole(
        scope,
        "role",
        name=None if props.use_name_prefix else props.name,
        name_prefix=props.name if props.use_name_prefix else None,
        path=props.path,
        description=props.description or None,
        assume_role_policy=render(trust_policy),
        permissions_boundary=props.permissions_boundary or None,
        max_session_duration=props.max_session_duration,
        force_detach_policies=props.force_detach_policies,
        tags={**props.tags, ROLE_KIND_TAG: kind},
    )
    role.override_logical_id(f"{prefix}_role")
    if props.import_existing:
        role.import_from(props.name)
    return role
