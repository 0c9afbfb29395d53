# What each role is, from a closed list of kinds: the three the rules judge (`node`,
# `auto-node`, `connector`) and the EKS roles recognized but judged by none of them (`cluster`,
# `fargate`, `hybrid`, `service-linked`, `pod`), else `other`. No role is judged by another
# kind's rules. The trust policy is what an attacker would tamper with, so it never makes a
# judged kind; in order of precedence:
#   1. the tag `eksiam:role` = connector | node, set by the project's constructs;
#   2. the resource address name the constructs use (connector_agent_role / node_role), which
#      a tag edit does not change and which renaming would turn into a destroy-and-create;
#   3. a service-linked role (path /aws-service-role/) is AWS's own, never judged;
#   4. use: a role EKS nodes run with (a node group's node_role_arn, an EC2 access entry, an
#      instance profile given to nodes), or an Auto Mode cluster's compute_config.node_role_arn;
#   5. the name: the configured role name (data.eksiam.config.<kind>.role_name) exactly, or the
#      name CloudFormation gives a role of the documented templates (`<stack>-<logical id>-<suffix>`,
#      which eksctl's `eksctl-<cluster>-nodegroup-<ng>-NodeInstanceRole-<suffix>` is too), or
#      the name a page gives the kind (AmazonEKSAutoNodeRole);
#   6. the content: AmazonEKSWorkerNodeMinimalPolicy without AmazonEKSWorkerNodePolicy makes an
#      Auto Mode node role, AmazonEKSWorkerNodePolicy (or policies granting what it grants) a
#      node role; the connector's documented
#      policy name, or the control channel granted on EKS cluster ARNs by a role SSM assumes, a
#      connector role — never the channel actions AmazonSSMManagedInstanceCore grants on "*";
#   7. for the kinds that are recognized but not judged, their AWS-managed policies (cluster,
#      fargate), then the trust: EKS (cluster), EKS Fargate (fargate), EKS Pod Identity or a
#      cluster's OIDC provider (pod), SSM or IAM Roles Anywhere with EKS node permissions (hybrid).
# An input with no judged role at all is reported by EKSIAM-INPUT-001.
package eksiam.lib.identity

import rego.v1

import data.eksiam.lib.config
import data.eksiam.lib.documented
import data.eksiam.lib.facts
import data.eksiam.lib.iam
import data.eksiam.lib.permissions

# The kinds the rules judge; node_kinds are judged by the node rules, each against its own page.
kinds := {"connector", "node", "auto-node"}

node_kinds := {"node", "auto-node"}

tag_key := "eksiam:role"

address_names := {
	"connector_agent_role": "connector",
	"node_role": "node",
}

recognized := facts.facts.recognized_kinds

identify(role) := object.union(role, {"kind": id.kind, "identified_by": id.by}) if {
	id := identity(role)
}

identity(role) := {"kind": kind, "by": "tag"} if {
	kind := object.get(role.tags, tag_key, null)
	kind in {"connector", "node"}
} else := {"kind": kind, "by": "address"} if {
	kind := address_names[address_name(role.address)]
} else := {"kind": "service-linked", "by": "path"} if {
	service_linked(role)
} else := {"kind": "auto-node", "by": "use"} if {
	object.get(role, "used_as_auto_node", false) == true
} else := {"kind": "node", "by": "use"} if {
	object.get(role, "used_as_node", false) == true
} else := {"kind": "connector", "by": "name"} if {
	named(role.name, "connector")
} else := {"kind": "node", "by": "name"} if {
	named(role.name, "node")
} else := {"kind": "auto-node", "by": "name"} if {
	named(role.name, "auto-node")
} else := {"kind": "auto-node", "by": "content"} if {
	aws_managed_attached(role, "AmazonEKSWorkerNodeMinimalPolicy")
	not aws_managed_attached(role, "AmazonEKSWorkerNodePolicy")
} else := {"kind": "node", "by": "content"} if {
	aws_managed_attached(role, "AmazonEKSWorkerNodePolicy")
} else := {"kind": "node", "by": "content"} if {
	# A frozen customer copy grants what AmazonEKSWorkerNodePolicy grants.
	permissions.covers(role, "AmazonEKSWorkerNodePolicy")
} else := {"kind": "connector", "by": "content"} if {
	connector_content(role)
} else := {"kind": kind, "by": "content"} if {
	some kind in ["cluster", "fargate"]
	some name in recognized[kind].policies
	aws_managed_attached(role, name)
} else := {"kind": kind, "by": "trust"} if {
	some kind in ["cluster", "fargate", "pod"]
	trusted_by(role, recognized[kind].trust_service)
} else := {"kind": "pod", "by": "trust"} if {
	oidc_trust(role)
} else := {"kind": "hybrid", "by": "trust"} if {
	hybrid(role)
} else := {"kind": "other", "by": "none"}

# The logical ids of the roles in the documents' CloudFormation templates.
template_logical_ids := {"connector": "EKSConnectorAgentRole", "node": "NodeInstanceRole"}

configured_name(kind) := config.setting(kind, "role_name") if kind in {"connector", "node"}

named(name, kind) if name == configured_name(kind)

named(name, kind) if {
	is_string(name)
	some form in documented.kinds[kind].name_forms
	name == form
}

# `<stack>-<logical id or configured name>-<suffix>`, as CloudFormation names a role whose
# template sets no RoleName.
named(name, kind) if {
	is_string(name)
	some base in {b | some b in [object.get(template_logical_ids, kind, null), configured_name(kind)]; is_string(b)}
	parts := split(name, sprintf("-%s-", [base]))
	count(parts) >= 2
	parts[0] != ""
	regex.match(`^[A-Za-z0-9]+$`, parts[count(parts) - 1])
}

service_linked(role) if startswith(object.get(role, "path", "/"), recognized["service-linked"].path_prefix)

service_linked(role) if {
	is_string(role.name)
	startswith(role.name, "AWSServiceRoleFor")
}

aws_managed_attached(role, name) if {
	some policy in object.get(role, "managed_policies", [])
	policy.aws_managed
	policy.name == name
}

all_policies(role) := array.concat(object.get(role, "managed_policies", []), object.get(role, "inline_policies", []))

connector_content(role) if {
	some policy in all_policies(role)
	is_string(policy.name)
	lower(policy.name) in documented.connector_policy_names
}

# The agent's control channel on EKS clusters, by a role SSM assumes: what only the connector
# agent role is granted (AmazonSSMManagedInstanceCore grants the channel actions on "*").
connector_content(role) if {
	trusted_by(role, documented.kinds.connector.trust_service)
	some policy in all_policies(role)
	some s in policy.statements
	s.effect == "Allow"
	some action in s.actions
	iam.action_matches(action, "ssmmessages:CreateControlChannel")
	some resource in s.resources
	is_string(resource)
	contains(resource, ":eks:")
	contains(resource, ":cluster/")
}

trusted_by(role, service) if {
	some s in object.get(role, "trust_statements", [])
	s.effect == "Allow"
	some p in s.principals
	p.type == "Service"
	p.id in {principal |
		some partition in facts.facts.partitions
		principal := partition.services[service]
	}
}

oidc_trust(role) if {
	some s in object.get(role, "trust_statements", [])
	s.effect == "Allow"
	some p in s.principals
	p.type == "Federated"
	is_string(p.id)
	contains(p.id, recognized.pod.federated_suffix)
}

# A hybrid node role: assumed by SSM (hybrid activations) or IAM Roles Anywhere, with the
# node's cluster look-up; named as the page names it.
hybrid(role) if {
	some service in ["ssm", "rolesanywhere"]
	trusted_by_service_name(role, service)
	some policy in all_policies(role)
	some s in policy.statements
	s.effect == "Allow"
	some action in s.actions
	iam.action_matches(action, "eks:DescribeCluster")
}

# …or with the node's image pulls (hybrid-nodes-creds: AmazonEC2ContainerRegistryPullOnly).
hybrid(role) if {
	some service in ["ssm", "rolesanywhere"]
	trusted_by_service_name(role, service)
	some name in ["AmazonEC2ContainerRegistryPullOnly", "AmazonEC2ContainerRegistryReadOnly"]
	aws_managed_attached(role, name)
}

hybrid(role) if {
	is_string(role.name)
	some form in recognized.hybrid.name_forms
	role.name == form
}

trusted_by_service_name(role, "ssm") if trusted_by(role, "ssm")

trusted_by_service_name(role, "rolesanywhere") if {
	some s in object.get(role, "trust_statements", [])
	s.effect == "Allow"
	some p in s.principals
	p.type == "Service"
	p.id == "rolesanywhere.amazonaws.com"
}

# "module.m[0].aws_iam_role.node_role[1]" -> "node_role"
address_name(address) := name if {
	is_string(address)
	parts := split(regex.replace(address, `\[[^\]]*\]`, ""), ".")
	name := parts[count(parts) - 1]
}
