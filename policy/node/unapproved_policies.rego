# METADATA
# title: Node role's managed policies stay within the documented permissions
# description: >-
#   Every managed policy on a node role is available to every pod that can reach the node's
#   instance metadata. Each must grant nothing beyond the documented permissions of the role's
#   kind — the union of the policies its page documents (for a node role
#   AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy, AmazonEC2ContainerRegistryReadOnly and
#   AmazonEC2ContainerRegistryPullOnly; for an Auto Mode node role AmazonEKSWorkerNodeMinimalPolicy
#   and AmazonEC2ContainerRegistryPullOnly), AmazonSSMManagedInstanceCore (see EKSIAM-NODE-005),
#   the VPC CNI's AmazonEKS_CNI_IPv6_Policy where declared — or be allowlisted
#   (data.eksiam.config.node.additional_policy_arns, or the constructs' `eksiam:policy:<key>`
#   tags). "Within" is judged by permissions, not names: a customer copy of a documented policy
#   passes, a policy named like one but granting more fails, and a policy whose document cannot
#   be read (an AWS-managed policy the pages do not document, named by ARN) fails unless
#   allowlisted. Administrator-level policies also fail EKSIAM-ROLE-003, whatever is declared.
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
#   - https://docs.aws.amazon.com/eks/latest/userguide/auto-create-node-role.html
#   - https://docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html
# custom:
#   id: EKSIAM-NODE-003
#   severity: HIGH
#   aliases:
#     - CKV_EKSIAM_4
#   recommended_action: >-
#     Detach the policy from the node role (give the permission to the pods that need it, with
#     IRSA or EKS Pod Identity), or, if the nodes really need it, allowlist its ARN
#     ([node] additional_policy_arns, or the construct's additional_policy_arns prop).
package eksiam.rules.node_003

import rego.v1

import data.eksiam.lib.node_permissions
import data.eksiam.lib.result
import data.eksiam.lib.view

deny contains finding if {
	some role in view.node_roles
	some policy in role.managed_policies
	policy.retained
	not node_permissions.within(role, policy)
	msg := sprintf(
		"Node role %s has managed policy %s attached by %s, which goes beyond the documented permissions of the %s role and is not allowlisted: %s.",
		[role.resource, result.policy_label(policy), policy.resource, role.kind, node_permissions.why_not(role, policy)],
	)
	finding := result.finding_on(rego.metadata.chain(), role.resource, policy.resource, msg)
}
