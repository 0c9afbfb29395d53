package eksiam.lib.identity_test

import rego.v1

import data.eksiam.lib.identity

role(address, name, tags) := {"address": address, "name": name, "tags": tags}

test_allow_tag_first if {
	# The tag wins over an address and a name that say otherwise.
	identity.identity(role("aws_iam_role.node_role", "NodeInstanceRole", {"eksiam:role": "connector"})) == {"kind": "connector", "by": "tag"}
}

test_allow_address_when_tag_is_gone_or_unknown if {
	identity.identity(role("aws_iam_role.node_role", "Renamed", {})) == {"kind": "node", "by": "address"}
	identity.identity(role("module.x.aws_iam_role.connector_agent_role[0]", null, {"eksiam:role": "admin"})) == {"kind": "connector", "by": "address"}
}

test_allow_configured_name_last if {
	identity.identity(role(null, "AmazonEKSConnectorAgentRole", {})) == {"kind": "connector", "by": "name"}
	identity.identity(role(null, "prod-nodes", {})) == {"kind": "node", "by": "name"} with data.eksiam.config.node.role_name as "prod-nodes"
}

test_deny_unrecognized_role if {
	identity.identity(role("aws_iam_role.other", "Other", {"team": "x"})) == {"kind": "unknown", "by": "none"}
	# The documented default name no longer identifies a role once another is configured.
	identity.identity(role(null, "NodeInstanceRole", {})) == {"kind": "unknown", "by": "none"} with data.eksiam.config.node.role_name as "prod-nodes"
}
