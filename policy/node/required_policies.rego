# METADATA
# title: Node role has the three documented AWS-managed policies
# description: >-
#   The worker node role needs AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy and
#   AmazonEC2ContainerRegistryReadOnly, the AWS-managed policies (arn:<partition>:iam::aws:policy/…)
#   the AWS document lists, for kubelet, the VPC CNI and image pulls to work. A customer
#   policy that merely has the same name is not one of them, and an attachment that an
#   exclusive-attachment setting removes does not count. AmazonEKS_CNI_Policy may instead be
#   on the VPC CNI's own service-account role (IRSA, as AWS now recommends): then its absence
#   from the node role is accepted where the configuration says so
#   (data.eksiam.config.node.cni_policy_on_irsa) or the role declares it (the eksiam
#   constructs' `eksiam:opt-in` tag, "cni-on-irsa"). Any other policy standing in for it is
#   judged by EKSIAM-NODE-003.
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
# custom:
#   id: EKSIAM-NODE-002
#   severity: HIGH
#   recommended_action: >-
#     Attach arn:<partition>:iam::aws:policy/AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy
#     and AmazonEC2ContainerRegistryReadOnly to the node role (AmazonEKS_CNI_Policy may go on
#     the VPC CNI's IRSA role instead: set [node] cni_policy_on_irsa = true).
package eksiam.rules.node_002

import rego.v1

import data.eksiam.lib.declared
import data.eksiam.lib.documented
import data.eksiam.lib.view
import data.eksiam.lib.result

deny contains finding if {
	some role in view.node_roles
	some name in documented.node_required_policies
	not attached(role, name)
	not elsewhere(role, name)
	msg := sprintf("Node role %s does not have the AWS-managed policy %s attached.", [role.resource, name])
	finding := result.finding(rego.metadata.chain(), role.resource, msg)
}

attached(role, name) if {
	some policy in role.managed_policies
	policy.retained
	policy.aws_managed
	policy.name == name
}

elsewhere(role, "AmazonEKS_CNI_Policy") if declared.opted_in(role, "cni-on-irsa")
