"""What both EKS role constructs build alike: the partition lookup and the role itself."""

from __future__ import annotations

import re

from stacks.cdk import Construct, DataAwsPartition, IamRole
from stacks.documents import render
from stacks.props import ROLE_KIND_TAG, RoleProps


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
