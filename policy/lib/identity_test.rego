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

test_allow_cloudformation_and_eksctl_names if {
	identity.identity(role(null, "eks-nodes-NodeInstanceRole-1A2B3C4D5E6F", {})) == {"kind": "node", "by": "name"}
	identity.identity(role(null, "eksctl-demo-nodegroup-ng-1-NodeInstanceRole-ABCDEF123456", {})) == {"kind": "node", "by": "name"}
	identity.identity(role(null, "connector-EKSConnectorAgentRole-XYZ123", {})) == {"kind": "connector", "by": "name"}
}

test_deny_names_that_only_resemble_the_template_form if {
	identity.identity(role(null, "NodeInstanceRole-1A2B", {})) == {"kind": "unknown", "by": "none"}
	identity.identity(role(null, "x-NodeInstanceRole-not/alnum", {})) == {"kind": "unknown", "by": "none"}
	identity.identity(role(null, "my-NodeInstanceRoleX-ABC", {})) == {"kind": "unknown", "by": "none"}
}

content_role(managed, inline) := {"address": "module.m.aws_iam_role.this[0]", "name": null, "tags": {}, "managed_policies": managed, "inline_policies": inline}

test_allow_worker_node_policy_identifies_a_node_role if {
	worker := {"aws_managed": true, "name": "AmazonEKSWorkerNodePolicy", "statements": []}
	identity.identity(content_role([worker], [])) == {"kind": "node", "by": "content"}
}

test_allow_connector_policy_name_or_channel_grant_identifies_a_connector_role if {
	named_policy := {"aws_managed": false, "name": "EKSConnectorAgentPolicy", "statements": []}
	identity.identity(content_role([], [named_policy])) == {"kind": "connector", "by": "content"}
	grant := {"name": "other", "statements": [{"effect": "Allow", "actions": ["ssmmessages:OpenControlChannel"]}]}
	identity.identity(content_role([], [grant])) == {"kind": "connector", "by": "content"}
}

test_deny_ordinary_instance_role_stays_unknown if {
	s3 := {"aws_managed": true, "name": "AmazonS3ReadOnlyAccess", "statements": []}
	identity.identity(content_role([s3], [])) == {"kind": "unknown", "by": "none"}
}
