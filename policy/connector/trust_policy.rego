# METADATA
# title: Connector role trusts only ssm.amazonaws.com with sts:AssumeRole
# description: >-
#   The trust policy of the EKS connector agent role must let exactly the Systems Manager
#   service (ssm.amazonaws.com) assume the role with sts:AssumeRole, as the AWS document
#   specifies. Any other principal, a wildcard, NotPrincipal, NotAction, another action
#   (sts:*, sts:AssumeRoleWithWebIdentity, sts:TagSession, …) or another Allow statement
#   lets someone other than the connector agent act with the role's permissions. Conditions
#   and Deny statements that only narrow the trust are accepted.
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/userguide/connector_IAM_role.html
# custom:
#   id: EKSIAM-CONNECTOR-001
#   severity: CRITICAL
#   aliases:
#     - CKV_EKSIAM_1
#   recommended_action: >-
#     Set the trust policy to the documented one: a single Allow statement with Principal
#     {"Service": ["ssm.amazonaws.com"]} and Action "sts:AssumeRole".
package eksiam.rules.connector_001

import rego.v1

import data.eksiam.lib.view
import data.eksiam.lib.result
import data.eksiam.lib.trust

deny contains finding if {
	some role in view.connector_roles
	some problem in trust.problems(role)
	msg := sprintf("Connector role %s %s.", [role.resource, problem])
	finding := result.finding(rego.metadata.chain(), role.resource, msg)
}
