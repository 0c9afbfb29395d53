"""What both EKS role constructs share: the partition lookup, the role itself, and its outputs."""

from __future__ import annotations

import re
from typing import Any

from eksiam.cdk import Construct, DataAwsPartition, IamRole
from eksiam.documents import render
from eksiam.props import ROLE_KIND_TAG, RoleProps


def logical_id_prefix(construct_id: str) -> str:
    """``NodeRole`` -> ``node_role``: resource addresses that read well and never change."""
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", construct_id)
    return re.sub(r"[^A-Za-z0-9_]", "_", snake).lower()


class EksRole(Construct):
    """Base of :class:`~eksiam.EksNodeRole` and :class:`~eksiam.EksConnectorAgentRole`.

    Builds the ``data.aws_partition`` lookup and the ``aws_iam_role`` (tagged with the role's
    kind, and with what the props declare so the policy gate reads the same intent), and
    exposes ``arn``, ``name`` and ``unique_id`` as the terraform-aws-eks module does.
    """

    kind: str

    def __init__(self, scope: Construct, id: str, props: RoleProps, trust_policy: dict[str, Any]) -> None:
        super().__init__(scope, id)
        self._prefix = logical_id_prefix(id)
        self.partition = DataAwsPartition(self, "partition")
        self.partition.override_logical_id(f"{self._prefix}_partition")
        tags = {**props.tags, **props.declaration_tags(), ROLE_KIND_TAG: self.kind}
        self.role = IamRole(
            self,
            "role",
            name=None if props.use_name_prefix else props.name,
            name_prefix=props.name if props.use_name_prefix else None,
            path=props.path,
            description=props.description or None,
            assume_role_policy=render(trust_policy),
            permissions_boundary=props.permissions_boundary or None,
            max_session_duration=props.max_session_duration,
            force_detach_policies=props.force_detach_policies,
            tags=tags,
        )
        self.role.override_logical_id(f"{self._prefix}_role")
        if props.import_existing:
            self.role.import_from(props.name)

    @property
    def arn(self) -> str:
        """The role's ARN (a token until apply)."""
        return self.role.arn

    @property
    def name(self) -> str:
        """The role's name (with ``use_name_prefix``, the name Terraform chose)."""
        return self.role.name

    @property
    def unique_id(self) -> str:
        """IAM's stable unique id of the role (``AROA…``)."""
        return self.role.unique_id
