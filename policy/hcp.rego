# What the HCP Terraform policy set reports (policies.hcl queries it; so does the free-tier
# form, bundled into one module by `python -m eksiam.gate.rules_doc`).
#
# HCP Terraform needs each policy query to return an array, empty when the policy passes; its
# UI shows the array's entries, here one line per finding: "<rule id> <severity>: <message>".
#
# A policy set is attached organization-wide, so it sees every workspace's plan, and most
# hold no EKS role. There, having nothing to check is no finding: EKSIAM-INPUT-001 reports
# only an input the adapters cannot read at all, and EKSIAM-INPUT-002 only a permission
# attached to a role outside the workspace that could be an EKS role (named as one, or not
# known at plan time). Every other rule judges every EKS role in the plan, whoever made it.
# The gate (`eksiam check`, `eksiam verify`) keeps failing closed on an input without EKS roles.
package eksiam.hcp

import rego.v1

import data.eksiam.lib.identity
import data.eksiam.lib.terraform
import data.eksiam.lib.view

mandatory_severities := {"CRITICAL", "HIGH"}

# Every rule's findings, by rule package (connector_001, …, role_003).
rule_findings[name] := found if {
	found := data.eksiam.rules[name].deny
	not endswith(name, "_test")
}

# The findings that count in a policy set, by rule package.
findings[name] := [f | some f in found; reported(name, f)] if {
	some name, found in rule_findings
}

reported(name, _) if not name in {"input_001", "input_002"}

reported("input_001", _) if not view.kind in data.eksiam.lib.kind.kinds

reported("input_002", finding) if {
	some link in view.unresolved_links
	link.address == finding.resource
	not names_roles_outside_eks(link)
}

# Every role the link names is a literal name (or role ARN) known at plan time, and none is
# named as an EKS role: the link changes another workspace's role, no EKS role.
names_roles_outside_eks(link) if {
	values := role_values(link)
	count(values) > 0
	every value in values {
		is_string(value)
		not contains(value, "${")
		not eks_role_name(role_name(value))
	}
}

role_values(link) := [v | some v in as_list(object.get(link.values, terraform.link_types[link.type], null))]

as_list(x) := x if is_array(x)

as_list(x) := [x] if {
	not is_array(x)
	x != null
}

as_list(null) := []

# "arn:aws:iam::123456789012:role/path/Name" -> "Name"; a name stays as it is.
role_name(value) := parts[count(parts) - 1] if {
	startswith(value, "arn:")
	parts := split(value, "/")
} else := value

eks_role_name(name) if {
	id := identity.identify({
		"resource": "", "address": "", "name": name, "name_prefix": null, "path": "/", "tags": {},
		"trust_document": null, "trust_statements": [], "permissions_boundary": null,
		"inline_policies": [], "managed_policies": [],
	})
	id.kind in identity.kinds
}

line(f) := sprintf("%s %s: %s", [f.id, f.severity, f.msg])

# Per-rule form (policies.hcl): one array per rule package.
messages[name] := sort([line(f) | some f in found]) if {
	some name, found in findings
}

# Free-tier form (hcp-free-tier/): one array for the rules that block a run, one for the rest.
mandatory := sort([line(f) | some found in findings; some f in found; f.severity in mandatory_severities])

advisory := sort([line(f) | some found in findings; some f in found; not f.severity in mandatory_severities])
