"""The typed props of the two role constructs, validated against IAM's own limits.

Kept apart from the constructs so that reading configuration (``eksiam check --input``,
``eksiam verify``) never loads cdktf and its Node.js process.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from eksiam import validation
from eksiam.errors import UsageError

CONNECTOR_ROLE_KIND = "connector"
NODE_ROLE_KIND = "node"
_ATTACHMENT_KEY = re.compile(r"[a-z0-9_]{1,64}")

# The tag that tells the policy gate which EKS role a role is meant to be, even after its
# trust policy was changed. The constructs set it; users cannot (see validation).
ROLE_KIND_TAG = "eksiam:role"
# What the props opt into travels with the role as tags, so the policy gate reads the same
# declaration from the synthesized output, the plan and the live account: opt-ins by name
# (space separated), each additional policy as its own tag holding the ARN.
OPT_IN_TAG = "eksiam:opt-in"
POLICY_TAG_PREFIX = "eksiam:policy:"
OPT_IN_SSM_CORE = "ssm-core"
OPT_IN_IPV6_CNI = "ipv6-cni"
OPT_IN_CNI_ON_IRSA = "cni-on-irsa"
_MAX_TAG_VALUE = 256


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
            raise UsageError(
                f"{prefix}: import_existing needs the exact role name: turn off use_name_prefix"
            )
        # A read-only copy: the props are frozen, so their tags must not change behind them.
        object.__setattr__(self, "tags", MappingProxyType(dict(self.tags)))
        # The role's own tags: the user's, the declaration and the kind tag.
        total = len(self.tags) + len(self.declaration_tags()) + 1
        if total > validation.MAX_TAGS:
            raise UsageError(
                f"{prefix}.tags: the role would carry {total} tags (yours, plus one per declared "
                f"opt-in and additional policy, plus {ROLE_KIND_TAG}): IAM allows {validation.MAX_TAGS}"
            )

    def declaration_tags(self) -> dict[str, str]:
        """The tags that declare this role's opt-ins to the policy gate (none by default)."""
        return {}


@dataclass(frozen=True, kw_only=True)
class EksConnectorAgentRoleProps(RoleProps):
    """Props of :class:`EksConnectorAgentRole`; defaults are the AWS documents' values.

    ``create_service_linked_role`` also creates the service-linked role for
    ``eks-connector.amazonaws.com``, as the documented CloudFormation template does; turn it
    off when the account already has it (``AWSServiceRoleForAmazonEKSConnector``).
    """

    name: str = "AmazonEKSConnectorAgentRole"
    description: str = "The agent role that EKS connector uses to communicate with AWS services."
    create_service_linked_role: bool = True


@dataclass(frozen=True, kw_only=True)
class EksNodeRoleProps(RoleProps):
    """Props of :class:`EksNodeRole`; defaults are the AWS documents' values.

    ``additional_policy_arns`` maps a fixed key to a policy ARN (as terraform-aws-eks's
    ``iam_role_additional_policies``): the key names the attachment, so its address stays put
    when the list changes. ``attach_ssm_managed_instance_core`` adds the AWS managed policy for
    Session Manager access; ``enable_ipv6_cni`` creates and attaches the VPC CNI's IPv6 policy
    (in addition to the three documented policies, which stay attached). With
    ``cni_policy_on_irsa`` the role does not get ``AmazonEKS_CNI_Policy``: the VPC CNI's own
    service-account role (IRSA) carries it, as AWS recommends and terraform-aws-eks's
    ``iam_role_attach_cni_policy = false`` does.
    """

    name: str = "NodeInstanceRole"
    description: str = (
        "The role that the worker node kubelet uses to make calls to the Amazon EKS API on your behalf."
    )
    additional_policy_arns: Mapping[str, str] = field(default_factory=dict)
    attach_ssm_managed_instance_core: bool = False
    enable_ipv6_cni: bool = False
    cni_policy_on_irsa: bool = False

    def __post_init__(self) -> None:
        key = f"{type(self).__name__}.additional_policy_arns"
        for name, arn in self.additional_policy_arns.items():
            if not isinstance(name, str) or not _ATTACHMENT_KEY.fullmatch(name):
                raise UsageError(f"{key}: key {name!r} is invalid: use 1-64 of lowercase letters, digits and _")
            validation.check_policy_arn(arn, f"{key}[{name!r}]")
            if len(arn) > _MAX_TAG_VALUE:
                raise UsageError(
                    f"{key}[{name!r}] is longer than {_MAX_TAG_VALUE} characters, more than the tag that "
                    "declares it can hold: attach that policy from your own stack"
                )
        validation.check_unique(self.additional_policy_arns.values(), key)
        object.__setattr__(self, "additional_policy_arns", MappingProxyType(dict(self.additional_policy_arns)))
        super().__post_init__()

    def declaration_tags(self) -> dict[str, str]:
        opt_ins = [
            name
            for name, chosen in (
                (OPT_IN_SSM_CORE, self.attach_ssm_managed_instance_core),
                (OPT_IN_IPV6_CNI, self.enable_ipv6_cni),
                (OPT_IN_CNI_ON_IRSA, self.cni_policy_on_irsa),
            )
            if chosen
        ]
        tags = {f"{POLICY_TAG_PREFIX}{key}": arn for key, arn in sorted(self.additional_policy_arns.items())}
        if opt_ins:
            tags[OPT_IN_TAG] = " ".join(opt_ins)
        return tags
