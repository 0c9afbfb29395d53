"""The Amazon EKS worker node role (seed ``003``)."""

from __future__ import annotations

from eksiam.cdk import Construct, IamPolicy, IamRolePolicyAttachment
from eksiam.documents import (
    CNI_POLICY_ATTACHMENT,
    IPV6_CNI_POLICY_NAME,
    NODE_MANAGED_POLICIES,
    SSM_MANAGED_INSTANCE_CORE,
    aws_managed_policy_arn,
    ipv6_cni_policy,
    node_trust_policy,
    render,
)
from eksiam.props import NODE_ROLE_KIND, EksNodeRoleProps
from eksiam.role import EksRole


class EksNodeRole(EksRole):
    """The IAM role of EKS worker nodes (their instance profile's role).

    Trust: ``ec2.amazonaws.com`` with ``sts:AssumeRole``. Permissions: exactly the AWS managed
    policies ``AmazonEKSWorkerNodePolicy``, ``AmazonEKS_CNI_Policy`` and
    ``AmazonEC2ContainerRegistryReadOnly``, each its own ``aws_iam_role_policy_attachment``
    with a fixed address, plus whatever the props opt into.
    """

    kind = NODE_ROLE_KIND

    def __init__(self, scope: Construct, id: str, props: EksNodeRoleProps | None = None) -> None:
        props = props or EksNodeRoleProps()
        super().__init__(scope, id, props, node_trust_policy())
        partition = self.partition.partition
        self.attachments: dict[str, IamRolePolicyAttachment] = {}

        managed = dict(NODE_MANAGED_POLICIES)
        if props.cni_policy_on_irsa:
            del managed[CNI_POLICY_ATTACHMENT]
        if props.attach_ssm_managed_instance_core:
            managed["ssm_managed_instance_core"] = SSM_MANAGED_INSTANCE_CORE
        for key, policy_name in managed.items():
            self._attach(key, aws_managed_policy_arn(partition, policy_name))

        self.ipv6_cni_policy: IamPolicy | None = None
        if props.enable_ipv6_cni:
            self.ipv6_cni_policy = IamPolicy(
                self,
                "ipv6_cni",
                name=IPV6_CNI_POLICY_NAME,
                path=props.path,
                description="Amazon VPC CNI permissions for IPv6 clusters",
                policy=render(ipv6_cni_policy(partition)),
                tags=dict(props.tags),
            )
            self.ipv6_cni_policy.override_logical_id(f"{self._prefix}_ipv6_cni")
            self._attach("ipv6_cni_policy", self.ipv6_cni_policy.arn)

        for key, arn in sorted(props.additional_policy_arns.items()):
            self._attach(f"additional_{key}", arn)

    def _attach(self, key: str, policy_arn: str) -> None:
        attachment = IamRolePolicyAttachment(self, key, role=self.role.name, policy_arn=policy_arn)
        attachment.override_logical_id(f"{self._prefix}_{key}")
        self.attachments[key] = attachment
