# METADATA
# title: Node role has no inline policies
# description: >-
#   The AWS document grants the worker node role its permissions only through the three
#   AWS-managed policies. An inline policy adds permissions that every pod able to reach the
#   node's instance profile can use, outside the allowlist of managed policies.
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
# custom:
#   id: EKSIAM-NODE-004
#   severity: HIGH
#   aliases:
#     - CKV_EKSIAM_7
#   recommended_action: >-
#     Remove the inline policy from the node role; grant any extra permission the nodes need
#     through an allowlisted managed policy, or better, to the pods (IRSA / Pod Identity).
package eksiam.rules.node_004

import rego.v1

import data.eksiam.lib.view
import data.eksiam.lib.result

deny contains finding if {
	some role in view.node_roles
	some policy in role.inline_policies
	msg := sprintf("Node role %s has inline policy %s declared by %s; the documented node role has none.", [role.resource, name(policy), policy.resource])
	finding := result.finding_on(rego.metadata.chain(), role.resource, policy.resource, msg)
}

name(policy) := policy.name if is_string(policy.name)

name(policy) := "(unnamed)" if not is_string(policy.name)
