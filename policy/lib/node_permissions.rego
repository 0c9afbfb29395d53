# What a node role may be granted: the documented permissions of its kind (the union of its
# page's documented policies, the VPC CNI's IPv6 policy among them for a node role),
# AmazonSSMManagedInstanceCore, and the extra policies the configuration or the role allowlists.
# Shared by EKSIAM-NODE-003 (managed policies) and EKSIAM-NODE-004 (inline policies).
package eksiam.lib.node_permissions

import rego.v1

import data.eksiam.lib.declared
import data.eksiam.lib.documented
import data.eksiam.lib.permissions

# AmazonSSMManagedInstanceCore is within the node role's permissions whether declared or not:
# EKSIAM-NODE-005 reports it, LOW, when it is not declared.
allowed_statements(role) := [s |
	some name in allowed_policy_names(role)
	some s in permissions.documented_statements(name)
]

allowed_policy_names(role) := {n | some n in documented.kinds[role.kind].documented_policies} | {documented.node_ssm_policy}

# within(role, policy): the policy grants nothing beyond what the role may be granted.
within(role, policy) if declared.extra_policy_allowed(role, policy)

# AWS's own documented policy, whatever version of its document the account shows.
within(role, policy) if {
	policy.aws_managed
	some name in allowed_policy_names(role)
	documented.aws_managed_name(name)
	policy.name == documented.managed_path_name(name)
}

within(role, policy) if {
	statements := permissions.statements(policy)
	count(permissions.beyond(statements, allowed_statements(role))) == 0
}

# Why a policy is not within, in one sentence fragment.
why_not(role, policy) := "its document cannot be read, so it cannot be shown to stay within them" if {
	not permissions.known(policy)
}

why_not(role, policy) := concat("; ", sort(permissions.beyond(statements, allowed_statements(role)))) if {
	statements := permissions.statements(policy)
}
