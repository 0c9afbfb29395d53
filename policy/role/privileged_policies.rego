# METADATA
# title: Role has no administrator-level policy
# description: >-
#   Neither EKS role may carry administrator power: no AWS-managed AdministratorAccess,
#   PowerUserAccess, IAMFullAccess (or similar), and no policy of its own that allows "*"
#   or "iam:*" on every resource. The check holds even if such a policy is allowlisted,
#   because on the node role it hands the whole account to every pod on the node.
# related_resources:
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege
#   - https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
#   - https://docs.aws.amazon.com/eks/latest/userguide/connector_IAM_role.html
# custom:
#   id: EKSIAM-ROLE-003
#   severity: CRITICAL
#   aliases:
#     - CKV_EKSIAM_6
#     - CKV_AWS_274
#     - CKV2_AWS_56
#   recommended_action: >-
#     Remove the administrator-level policy from the role, and from any allowlist.
package eksiam.rules.role_003

import rego.v1

import data.eksiam.lib.documented
import data.eksiam.lib.iam
import data.eksiam.lib.view
import data.eksiam.lib.result

# An AWS-managed privileged policy, or a name looked up without its account (data source).
deny contains finding if {
	some role in view.eksiam_roles
	some policy in role.managed_policies
	policy.name in documented.privileged_policies
	not customer_policy(policy)
	msg := sprintf("The %s role %s has the administrator-level policy %s attached by %s.", [role.kind, role.resource, policy.name, policy.resource])
	finding := result.finding_on(rego.metadata.chain(), role.resource, policy.resource, msg)
}

deny contains finding if {
	some role in view.eksiam_roles
	some policy in array.concat(role.managed_policies, role.inline_policies)
	some s in policy.statements
	s.effect == "Allow"
	some action in privileged_grant(s)
	msg := sprintf("The %s role %s has a policy declared by %s that allows %q on every resource.", [role.kind, role.resource, policy.resource, action])
	finding := result.finding_on(rego.metadata.chain(), role.resource, policy.resource, msg)
}

customer_policy(policy) if {
	not policy.aws_managed
	policy.account != null
}

privileged_grant(s) := {a |
	not s.not_action
	some a in s.actions
	some privileged in documented.privileged_actions
	iam.action_matches(a, privileged)
	every_resource(s)
}

every_resource(s) if s.not_resource

every_resource(s) if {
	some r in s.resources
	r == "*"
}
