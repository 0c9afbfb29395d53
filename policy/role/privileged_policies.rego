# METADATA
# title: Role has no administrator-level policy
# description: >-
#   No node, Auto Mode node or connector agent role may carry administrator power, judged by
#   what a policy grants, not its name: the AWS-managed AdministratorAccess, PowerUserAccess,
#   IAMFullAccess (or similar); any statement allowing every action ("*") or every IAM action
#   ("iam:*", "iam:*Policy*", …); an Allow with NotAction (every action but the listed ones)
#   on any resource; or a known privilege-escalation action (cloudsplaining's list: iam:PassRole,
#   policy attach / put / version, trust updates, credential creation) on a resource that
#   includes IAM roles, users or policies. A condition narrows iam:PassRole only where it
#   restricts the service the role is passed to (iam:PassedToService) or the resource it is
#   associated with; no other condition counts. The documented policies of the role's kind
#   never count against it. The check holds even if such a policy is allowlisted, because on
#   the node role it hands the whole account to every pod on the node.
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
import data.eksiam.lib.permissions
import data.eksiam.lib.result
import data.eksiam.lib.view

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
	not documented_for(role, policy)
	some s in permissions.statements(policy)
	s.effect == "Allow"
	some grant in admin_grants(s)
	msg := sprintf("The %s role %s has a policy declared by %s that %s.", [role.kind, role.resource, policy.resource, grant])
	finding := result.finding_on(rego.metadata.chain(), role.resource, policy.resource, msg)
}

customer_policy(policy) if {
	not policy.aws_managed
	policy.account != null
}

# The role kind's own documented policies (AmazonEKSComputePolicy-like conditions included)
# are what the pages ask for.
documented_for(role, policy) if {
	policy.aws_managed
	some name in array.concat(documented.kinds[role.kind].documented_policies, [documented.node_ssm_policy])
	policy.name == documented.managed_path_name(name)
}

admin_grants(s) := ((full | not_action) | escalation) if {
	full := {sprintf("allows %q on every resource", [a]) |
		not s.not_action
		some a in s.actions
		some everything in ["*", "iam:*"]
		permissions.action_within(everything, a)
		every_resource(s)
	}
	not_action := {sprintf("allows every action except %s (NotAction)", [concat(", ", [a | some a in s.not_actions; is_string(a)])]) |
		s.not_action
		iam_reachable(s)
	}
	escalation := {sprintf("allows %q (privilege escalation: %s) on %s", [a, escalation_action, resources(s)]) |
		not s.not_action
		some a in s.actions
		some escalation_action in documented.escalation_actions
		permissions.action_within(escalation_action, a)
		not narrowed(s, escalation_action)
		iam_reachable(s)
	}
}

every_resource(s) if s.not_resource

every_resource(s) if {
	some r in s.resources
	permissions.resource_within("*", r)
}

# The statement's resources include IAM roles, users or policies.
iam_reachable(s) if every_resource(s)

iam_reachable(s) if {
	some r in s.resources
	some sample in ["arn:aws:iam::123456789012:role/x", "arn:aws:iam::123456789012:user/x", "arn:aws:iam::123456789012:policy/x"]
	permissions.resource_within(sample, r)
}

# iam:PassRole only to a named service, or only for a named resource, is what AWS's own
# policies grant (AmazonEKSComputePolicy); any other condition leaves the escalation open.
narrowed(s, "iam:passrole") if {
	some _, values in s.condition
	some key, _ in values
	lower(key) in {"iam:passedtoservice", "iam:associatedresourcearn"}
}

resources(s) := "every resource except the listed ones (NotResource)" if s.not_resource

resources(s) := concat(", ", [r | some r in s.resources; is_string(r)]) if not s.not_resource
