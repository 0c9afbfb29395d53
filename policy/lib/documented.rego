# What the AWS pages specify for the EKS roles the rules judge, read from the one source of
# those facts (policy/facts/eks_roles.json, as lib/facts.rego), so every rule compares against
# the same text. Nothing here spells a policy, principal or action of its own.
package eksiam.lib.documented

import rego.v1

import data.eksiam.lib.facts
import data.eksiam.lib.iam

kinds := facts.facts.role_kinds

assume_action := "sts:AssumeRole"

# The service principal of a role kind's trust, as the page writes it (the aws partition), and
# every form the partitions give it (ec2.amazonaws.com.cn in aws-cn).
service_principal := {kind: facts.facts.partitions.aws.services[k.trust_service] | some kind, k in kinds}

service_principals(kind) := {p |
	some partition in facts.facts.partitions
	p := partition.services[kinds[kind].trust_service]
}

# A policy the pages document, by name: AWS-managed ones with the document AWS publishes,
# and the ones a page gives to create as a customer policy (the connector's, the IPv6 CNI's).
document(name) := facts.facts.managed_policies[name].document

document(name) := facts.facts.customer_policies[name].document if not facts.facts.managed_policies[name]

aws_managed_name(name) if facts.facts.managed_policies[name]

# An AWS-managed policy's name with its path, as ARNs carry it ("aws-service-role/…").
managed_path_name(name) := concat("", [trim(facts.facts.managed_policies[name].path, "/"), "/", name]) if {
	trim(facts.facts.managed_policies[name].path, "/") != ""
} else := name

connector_policy_name := kinds.connector.documented_policies[0]

connector_policy_names := {lower(n) | some n in kinds.connector.policy_name_forms}

# The page's console procedure checks for AmazonEKSConnectorAgentPolicy as a *managed*
# policy, where its CLI and CloudFormation variants put the same document inline. A customer
# managed policy of that name is the console form of the documented policy (never an
# AWS-managed one: AWS publishes no policy of that name).
connector_console_policy(policy) if {
	policy.retained
	not policy.aws_managed
	policy.name == connector_policy_name
}

# The policies that carry the connector's permissions, whichever form the role uses.
connector_permission_policies(role) := array.concat(
	[p | some p in role.inline_policies; p.retained],
	[p | some p in role.managed_policies; connector_console_policy(p)],
)

# AmazonEKSConnectorAgentPolicy: each action with the one resource the page grants it on.
connector_grants := {action: resource |
	some s in document(connector_policy_name).Statement
	some action in s.Action
	resource := s.Resource
}

# The AWS-managed policies named by the node role's requirements (either registry policy
# satisfies its requirement; see lib/permissions.rego).
node_required_policies := {name | some r in kinds.node.required; some name in r.policies}

node_ssm_policy := kinds.node.opt_in_policies["ssm-core"]

ipv6_cni_policy_name := kinds.node.opt_in_policies["ipv6-cni"]

ipv6_cni_grants := {action: resource |
	some s in document(ipv6_cni_policy_name).Statement
	some action in s.Action
	some resource in iam.as_list(s.Resource)
}

# AWS-managed policies that grant administrator or IAM-administrator power. None belongs
# on an EKS role, whatever an allowlist says.
privileged_policies := {n | some n in facts.facts.admin_policies}

# The IAM actions of the established privilege-escalation methods (lower case).
escalation_actions := {a | some a in facts.facts.privilege_escalation.actions}
