# Which EKS role a role is. The trust policy is what an attacker would tamper with, so it
# never decides; in order of precedence:
#   1. the tag `eksiam:role` = connector | node, set by the project's constructs;
#   2. the resource address name the constructs use (connector_agent_role / node_role), which
#      a tag edit does not change and which renaming would turn into a destroy-and-create;
#   3. the configured role name (data.eksiam.config.<kind>.role_name, defaulting to the
#      documented AmazonEKSConnectorAgentRole / NodeInstanceRole) — the only signal left on
#      a live account for roles not created by this project.
# A role none of them recognizes is no EKS role ("unknown") and is not checked; an input
# with no recognized role at all is reported by EKSIAM-INPUT-001.
package eksiam.lib.identity

import rego.v1

import data.eksiam.lib.config

kinds := {"connector", "node"}

tag_key := "eksiam:role"

address_names := {
	"connector_agent_role": "connector",
	"node_role": "node",
}

identify(role) := object.union(role, {"kind": id.kind, "identified_by": id.by}) if {
	id := identity(role)
}

identity(role) := {"kind": kind, "by": "tag"} if {
	kind := object.get(role.tags, tag_key, null)
	kind in kinds
} else := {"kind": kind, "by": "address"} if {
	kind := address_names[address_name(role.address)]
} else := {"kind": "connector", "by": "name"} if {
	role.name == config.setting("connector", "role_name")
} else := {"kind": "node", "by": "name"} if {
	role.name == config.setting("node", "role_name")
} else := {"kind": "unknown", "by": "none"}

# "module.m[0].aws_iam_role.node_role[1]" -> "node_role"
address_name(address) := name if {
	is_string(address)
	parts := split(regex.replace(address, `\[[^\]]*\]`, ""), ".")
	name := parts[count(parts) - 1]
}
