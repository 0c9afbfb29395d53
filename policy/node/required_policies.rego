# METADATA
# title: Node role has the permissions the node pages require
# description: >-
#   A node role's permissions must cover what its page requires, as the documented policies
#   provide it ("such as provided by", "or equivalent permissions"): for a node role
#   (create-node-role) AmazonEKSWorkerNodePolicy, the registry pull permissions of
#   AmazonEC2ContainerRegistryReadOnly (the 2023 text) or AmazonEC2ContainerRegistryPullOnly
#   (today's page), and AmazonEKS_CNI_Policy; for an EKS Auto Mode node role
#   (auto-create-node-role) AmazonEKSWorkerNodeMinimalPolicy and
#   AmazonEC2ContainerRegistryPullOnly. Any policy whose document grants the same actions on
#   the same resources counts; a customer policy merely named like an AWS one, a policy whose
#   document cannot be read, an attachment an exclusive-attachment setting removes, or a Deny
#   leaves the permission missing. The VPC CNI's permissions are optional on the node role
#   where the VPC CNI has its own: declared ([node] cni_policy_on_irsa, or the constructs'
#   `eksiam:opt-in` tag "cni-on-irsa"), or shown by the same input (a role trusted by the
#   kube-system/aws-node service account, or a Pod Identity association for aws-node, that
#   carries the CNI permissions).
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
#   - https://docs.aws.amazon.com/eks/latest/userguide/auto-create-node-role.html
#   - https://docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html
# custom:
#   id: EKSIAM-NODE-002
#   severity: HIGH
#   recommended_action: >-
#     Attach the documented AWS-managed policies to the node role (arn:<partition>:iam::aws:policy/
#     AmazonEKSWorkerNodePolicy, AmazonEC2ContainerRegistryPullOnly or ReadOnly, and
#     AmazonEKS_CNI_Policy unless the VPC CNI has its own IRSA / Pod Identity role: then set
#     [node] cni_policy_on_irsa = true), or a policy granting the same permissions.
package eksiam.rules.node_002

import rego.v1

import data.eksiam.lib.cni
import data.eksiam.lib.documented
import data.eksiam.lib.permissions
import data.eksiam.lib.result
import data.eksiam.lib.view

deny contains finding if {
	some role in view.node_roles
	some requirement in documented.kinds[role.kind].required
	not satisfied(role, requirement)
	first := requirement.policies[0]
	others := concat("", [sprintf(" or %s", [n]) | some n in array.slice(requirement.policies, 1, count(requirement.policies))])
	gaps := sort(permissions.missing(role, first))
	msg := sprintf(
		"Node role %s lacks the permissions the AWS-managed policy %s attached would give%s (%s): missing %s.",
		[role.resource, first, others, requirement.why, concat(", ", gaps)],
	)
	finding := result.finding(rego.metadata.chain(), role.resource, msg)
}

satisfied(role, requirement) if {
	some name in requirement.policies
	permissions.covers(role, name)
}

satisfied(role, requirement) if {
	requirement.optional_when == "cni_elsewhere"
	cni.elsewhere(role)
}
