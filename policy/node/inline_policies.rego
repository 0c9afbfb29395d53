# METADATA
# title: Node role's inline policies stay within the documented permissions
# description: >-
#   The pages grant a node role its permissions through the documented policies "or
#   equivalent permissions". An inline policy that grants only what they grant (a frozen copy)
#   is accepted; one that grants anything more, or whose document cannot be read, adds
#   permissions that every pod able to reach the node's instance profile can use.
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
#   - https://docs.aws.amazon.com/eks/latest/userguide/auto-create-node-role.html
# custom:
#   id: EKSIAM-NODE-004
#   severity: HIGH
#   aliases:
#     - CKV_EKSIAM_7
#   recommended_action: >-
#     Remove the inline policy from the node role, or reduce it to the documented permissions;
#     grant any other permission to the pods that need it (IRSA / EKS Pod Identity).
package eksiam.rules.node_004

import rego.v1

import data.eksiam.lib.node_permissions
import data.eksiam.lib.result
import data.eksiam.lib.view

deny contains finding if {
	some role in view.node_roles
	some policy in role.inline_policies
	policy.retained
	not node_permissions.within(role, policy)
	msg := sprintf(
		"Node role %s has inline policy %s declared by %s, which goes beyond the documented permissions of the %s role: %s.",
		[role.resource, name(policy), policy.resource, role.kind, node_permissions.why_not(role, policy)],
	)
	finding := result.finding_on(rego.metadata.chain(), role.resource, policy.resource, msg)
}

name(policy) := policy.name if is_string(policy.name)

name(policy) := "(unnamed)" if not is_string(policy.name)
