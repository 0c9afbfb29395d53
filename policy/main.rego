# The one document the gate asks for (POST /v1/data/eksiam/main with the raw input): every
# finding of every rule, the ids of the rules evaluated, and the normalized view.
# `deny` repeats `findings` so that `conftest test --namespace eksiam.main` works too.
package eksiam.main

import rego.v1

import data.eksiam.lib.declared
import data.eksiam.lib.documented
import data.eksiam.lib.identity
import data.eksiam.lib.node_permissions
import data.eksiam.lib.view

# Rule packages are eksiam.rules.<area>_<nnn>; their _test packages hold no deny rule.
# Iterating data.eksiam.rules[name].deny (not the packages themselves) evaluates only the
# deny rules, never the test rules beside them.
rule_packages := {name |
	_ = data.eksiam.rules[name].deny
	not endswith(name, "_test")
}

findings := [f |
	some name in sort(rule_packages)
	some f in data.eksiam.rules[name].deny
]

deny := {f | some f in findings}

# EKSIAM-NODE-001 <- node_001: ids follow from package names (tests/policy check both agree).
rules := sort([sprintf("EKSIAM-%s", [upper(replace(name, "_", "-"))]) | some name in rule_packages])

roles := view.roles

input_kind := view.kind

# What the custom checkov checks read (the gate hands it to them as a file), so that they judge
# exactly the roles identified here: each EKS role by address with its kind and what its
# allowlist accepts, and for each resource that links permissions to an EKS role, the roles.
checkov := {
	"roles": {r.resource: {
		"kind": r.kind,
		"identified_by": r.identified_by,
		"extra_policy_arns": declared.extra_policy_arns(r),
		"ssm_core": opted_in(r, "ssm-core"),
		"ipv6_cni": opted_in(r, "ipv6-cni"),
		# The attachments of the document's console form (a customer AmazonEKSConnectorAgentPolicy,
		# whose statements the connector rules judge like the inline form's).
		# The attachments whose policy OPA found within the node role's documented permissions
		# (a customer copy of a documented policy, say), which a check that cannot read the
		# policy's document takes from here.
		"within_attachments": [p.resource |
			r.kind in identity.node_kinds
			some p in r.managed_policies
			node_permissions.within(r, p)
		],
		"console_policy_attachments": [p.resource |
			some p in r.managed_policies
			documented.connector_console_policy(p)
		],
	} |
		some r in view.eksiam_roles
	},
	# Every other role, with what it was recognized as (cluster, fargate, pod, …, other): judged
	# by no rule, but reported. Keyed by the role's own resource, unique per input.
	"others": {r.resource: {"kind": r.kind, "identified_by": r.identified_by} |
		some r in view.roles
		not r.kind in identity.kinds
	},
	"links": {address: sort(roles) |
		some address in linking_resources
		roles := {r.resource |
			some r in view.eksiam_roles
			some p in array.concat(r.managed_policies, r.inline_policies)
			p.resource == address
		}
	},
}

linking_resources contains p.resource if {
	some r in view.eksiam_roles
	some p in array.concat(r.managed_policies, r.inline_policies)
	is_string(p.resource)
}

opted_in(role, name) if declared.opted_in(role, name)

default opted_in(_, _) := false
