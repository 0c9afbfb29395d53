# METADATA
# title: Node role trusts only ec2.amazonaws.com with sts:AssumeRole
# description: >-
#   The trust policy of the EKS worker node role must let exactly the EC2 service
#   (ec2.amazonaws.com) assume the role with sts:AssumeRole, so that only the node's
#   instance profile obtains its credentials. Any other principal, a wildcard,
#   NotPrincipal, NotAction, another action (sts:*, sts:AssumeRoleWithWebIdentity,
#   sts:TagSession, …) or another Allow statement hands the node's permissions to someone
#   else. Conditions and Deny statements that only narrow the trust are accepted.
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
# custom:
#   id: EKSIAM-NODE-001
#   severity: CRITICAL
#   aliases:
#     - CKV_EKSIAM_2
#   recommended_action: >-
#     Set the trust policy to the documented one: a single Allow statement with Principal
#     {"Service": "ec2.amazonaws.com"} and Action "sts:AssumeRole".
package eksiam.rules.node_001

import rego.v1

import data.eksiam.lib.view
import data.eksiam.lib.result
import data.eksiam.lib.trust

deny contains finding if {
	some role in view.node_roles
	some problem in trust.problems(role)
	msg := sprintf("Node role %s %s.", [role.resource, problem])
	finding := result.finding(rego.metadata.chain(), role.resource, msg)
}
