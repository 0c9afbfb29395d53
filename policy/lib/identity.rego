# Which EKS role a role is. The trust policy is what an attacker would tamper with, so it
# never decides; in order of precedence:
#   1. the tag `eksiam:role` = connector | node, set by the project's constructs;
#   2. the resource address name the constructs use (connector_agent_role / node_role), which
#      a tag edit does not change and which renaming would turn into a destroy-and-create;
#   3. use: a role EKS nodes run with (a node group's node_role_arn, an EC2_LINUX/EC2_WINDOWS
#      access entry, an instance profile named as the node role or given to nodes by a
#      launch template; the adapters work this out from references);
#   4. the name: the configured role name (data.eksiam.config.<kind>.role_name, defaulting to
#      the documented AmazonEKSConnectorAgentRole / NodeInstanceRole) exactly, or the name
#      CloudFormation gives a role of the documented templates (`<stack>-<logical id>-<suffix>`,
#      which eksctl's `eksctl-<cluster>-nodegroup-<ng>-NodeInstanceRole-<suffix>` is too);
#   5. the content: AmazonEKSWorkerNodePolicy attached makes a node role; a policy named as the
#      connector's (AmazonEKSConnectorAgentPolicy, or EKSConnectorAgentPolicy as the template
#      names it) or granting the connector's ssmmessages channel actions, a connector role.
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
} else := {"kind": "node", "by": "use"} if {
	object.get(role, "used_as_node", false) == true
} else := {"kind": "connector", "by": "name"} if {
	named(role.name, "connector")
} else := {"kind": "node", "by": "name"} if {
	named(role.name, "node")
} else := {"kind": "node", "by": "content"} if {
	some policy in object.get(role, "managed_policies", [])
	policy.aws_managed
	policy.name == "AmazonEKSWorkerNodePolicy"
} else := {"kind": "connector", "by": "content"} if {
	connector_content(role)
} else := {"kind": "unknown", "by": "none"}

# The logical ids of the roles in the documents' CloudFormation templates.
template_logical_ids := {"connector": "EKSConnectorAgentRole", "node": "NodeInstanceRole"}

named(name, kind) if name == config.setting(kind, "role_name")

# `<stack>-<logical id or configured name>-<suffix>`, as CloudFormation names a role whose
# template sets no RoleName.
named(name, kind) if {
	is_string(name)
	some base in {template_logical_ids[kind], config.setting(kind, "role_name")}
	parts := split(name, sprintf("-%s-", [base]))
	count(parts) >= 2
	parts[0] != ""
	regex.match(`^[A-Za-z0-9]+$`, parts[count(parts) - 1])
}

connector_policy_names := {"amazoneksconnectoragentpolicy", "eksconnectoragentpolicy"}

connector_content(role) if {
	some policy in array.concat(object.get(role, "managed_policies", []), object.get(role, "inline_policies", []))
	is_string(policy.name)
	lower(policy.name) in connector_policy_names
}

connector_content(role) if {
	some policy in array.concat(object.get(role, "managed_policies", []), object.get(role, "inline_policies", []))
	some s in policy.statements
	s.effect == "Allow"
	some action in s.actions
	is_string(action)
	startswith(lower(action), "ssmmessages:")
	endswith(lower(action), "channel")
}

# "module.m[0].aws_iam_role.node_role[1]" -> "node_role"
address_name(address) := name if {
	is_string(address)
	parts := split(regex.replace(address, `\[[^\]]*\]`, ""), ".")
	name := parts[count(parts) - 1]
}
