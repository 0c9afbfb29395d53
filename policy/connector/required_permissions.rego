# METADATA
# title: Connector role has every permission of AmazonEKSConnectorAgentPolicy
# description: >-
#   The connector agent needs the four ssmmessages actions of AmazonEKSConnectorAgentPolicy
#   on their documented resources: CreateControlChannel on arn:<partition>:eks:*:*:cluster/*,
#   and CreateDataChannel, OpenDataChannel and OpenControlChannel on "*". A grant that is
#   missing, narrowed to fewer resources, overridden by a Deny, or in an inline policy that
#   an exclusive-policy resource removes, leaves the cluster unable to connect.
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/userguide/connector_IAM_role.html
# custom:
#   id: EKSIAM-CONNECTOR-002
#   severity: HIGH
#   recommended_action: >-
#     Put the documented AmazonEKSConnectorAgentPolicy on the role as an inline policy, with
#     statements SsmControlChannel and ssmDataplaneOperations, and remove any Deny on them.
package eksiam.rules.connector_002

import rego.v1

import data.eksiam.lib.documented
import data.eksiam.lib.grants
import data.eksiam.lib.view
import data.eksiam.lib.result

deny contains finding if {
	some role in view.connector_roles
	statements := [s | some p in documented.connector_permission_policies(role); some s in p.statements]
	some action, resource in documented.connector_grants
	not grants.granted(statements, action, resource)
	msg := sprintf("Connector role %s does not allow %s on %s as AmazonEKSConnectorAgentPolicy does.", [role.resource, action, resource])
	finding := result.finding(rego.metadata.chain(), role.resource, msg)
}
