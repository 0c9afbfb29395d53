# METADATA
# title: Connector role allows nothing beyond AmazonEKSConnectorAgentPolicy
# description: >-
#   Every Allow statement in the connector role's inline policies must stay within the
#   documented AmazonEKSConnectorAgentPolicy: only the four named ssmmessages actions (no
#   wildcard such as ssmmessages:* or *, no other service), CreateControlChannel only on
#   arn:<partition>:eks:*:*:cluster/*, and no NotAction or NotResource, which grant
#   everything they do not list. A policy document that cannot be read is reported too,
#   since what it grants cannot be known.
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/userguide/connector_IAM_role.html
# custom:
#   id: EKSIAM-CONNECTOR-003
#   severity: CRITICAL
#   aliases:
#     - CKV_EKSIAM_3
#   recommended_action: >-
#     Remove every action and resource the documented AmazonEKSConnectorAgentPolicy does
#     not list from the connector role's policies.
package eksiam.rules.connector_003

import rego.v1

import data.eksiam.lib.documented
import data.eksiam.lib.grants
import data.eksiam.lib.view
import data.eksiam.lib.result

deny contains finding if {
	some role in view.connector_roles
	some policy in checked_policies(role)
	some problem in grants.excess(policy.statements, documented.connector_grants)
	msg := sprintf("Connector role %s, %s %s (%s), %s.", [role.resource, form(policy), name(policy), policy.resource, problem])
	finding := result.finding_on(rego.metadata.chain(), role.resource, policy.resource, msg)
}

deny contains finding if {
	some role in view.connector_roles
	some policy in checked_policies(role)
	policy.document == null
	msg := sprintf("Connector role %s has %s %s (%s) whose document is unknown or unreadable, so what it allows cannot be checked.", [role.resource, form(policy), name(policy), policy.resource])
	finding := result.finding_on(rego.metadata.chain(), role.resource, policy.resource, msg)
}

# Every inline policy (retained or not: what it says is still reviewed), and the console form
# of AmazonEKSConnectorAgentPolicy. Other managed policies are EKSIAM-CONNECTOR-004's.
checked_policies(role) := array.concat(
	role.inline_policies,
	[p | some p in role.managed_policies; documented.connector_console_policy(p)],
)

form(policy) := "managed policy" if "aws_managed" in object.keys(policy)

form(policy) := "inline policy" if not "aws_managed" in object.keys(policy)

name(policy) := policy.name if is_string(policy.name)

name(policy) := "(unnamed)" if not is_string(policy.name)
