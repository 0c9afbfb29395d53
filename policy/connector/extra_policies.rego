# METADATA
# title: Connector role has AmazonEKSConnectorAgentPolicy and no other policy
# description: >-
#   The AWS document gives the connector agent role exactly one policy,
#   AmazonEKSConnectorAgentPolicy: inline in its CLI and CloudFormation variants
#   (put-role-policy / AWS::IAM::Policy), a customer managed policy of that name in its
#   console check. Any other managed policy, a second inline policy, or the policy in both
#   forms at once adds permissions (or hides them where this check cannot read them) that
#   the agent does not need.
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/userguide/connector_IAM_role.html
# custom:
#   id: EKSIAM-CONNECTOR-004
#   severity: HIGH
#   aliases:
#     - CKV_EKSIAM_5
#   recommended_action: >-
#     Detach every other policy from the connector role and keep only
#     AmazonEKSConnectorAgentPolicy, either inline or as one customer managed policy.
package eksiam.rules.connector_004

import rego.v1

import data.eksiam.lib.documented
import data.eksiam.lib.result
import data.eksiam.lib.view

deny contains finding if {
	some role in view.connector_roles
	some policy in role.managed_policies
	not documented.connector_console_policy(policy)
	msg := sprintf("Connector role %s has managed policy %s attached by %s; the documented role has none besides AmazonEKSConnectorAgentPolicy.", [role.resource, result.policy_label(policy), policy.resource])
	finding := result.finding_on(rego.metadata.chain(), role.resource, policy.resource, msg)
}

deny contains finding if {
	some role in view.connector_roles
	some policy in role.managed_policies
	documented.connector_console_policy(policy)
	count(role.inline_policies) > 0
	msg := sprintf("Connector role %s has AmazonEKSConnectorAgentPolicy both as managed policy %s and inline; the documented role has it once.", [role.resource, result.policy_label(policy)])
	finding := result.finding(rego.metadata.chain(), role.resource, msg)
}

deny contains finding if {
	some role in view.connector_roles
	names := inline_names(role)
	count(names) > 1
	msg := sprintf("Connector role %s has %d inline policies (%s); the documented role has only AmazonEKSConnectorAgentPolicy.", [role.resource, count(names), concat(", ", sort(names))])
	finding := result.finding(rego.metadata.chain(), role.resource, msg)
}

# IAM keys inline policies by name, so two declarations of one name are one policy; an
# unnamed one (name_prefix) is told apart by the resource declaring it.
inline_names(role) := {n |
	some p in role.inline_policies
	n := policy_key(p)
}

policy_key(p) := p.name if is_string(p.name)

policy_key(p) := sprintf("unnamed policy of %s", [p.resource]) if not is_string(p.name)
