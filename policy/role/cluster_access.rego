# METADATA
# title: EKS role has no administrator or write access to the cluster
# description: >-
#   An access entry gives an IAM role Kubernetes permissions in the cluster. A node role needs
#   none beyond what its entry's type gives (EC2_LINUX, EC2_WINDOWS, HYBRID_LINUX); with
#   AmazonEKSClusterAdminPolicy (any scope), AmazonEKSAdminPolicy or AmazonEKSEditPolicy on the
#   whole cluster, or the `system:masters` group, every pod that reaches the node's instance
#   profile becomes a cluster administrator or writer. The same holds for the connector agent
#   role. An association whose access policy or scope the gate cannot read fails. Access
#   entries exist in plans and HCP Terraform input, not in IAM snapshots.
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html
#   - https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
# custom:
#   id: EKSIAM-ROLE-004
#   severity: CRITICAL
#   recommended_action: >-
#     Remove the access policy association (or the system:masters group) from the EKS role's
#     access entry; give Kubernetes permissions to the people and workloads that need them.
package eksiam.rules.role_004

import rego.v1

import data.eksiam.lib.facts
import data.eksiam.lib.iam
import data.eksiam.lib.result
import data.eksiam.lib.terraform
import data.eksiam.lib.view

access := facts.facts.eks_access

deny contains finding if {
	some association in rows("aws_eks_access_policy_association")
	some role in for_role(association)
	some problem in association_problems(association)
	msg := sprintf("The %s role %s %s (%s).", [role.kind, role.resource, problem, association.address])
	finding := result.finding(rego.metadata.chain(), role.resource, msg)
}

deny contains finding if {
	some entry in rows("aws_eks_access_entry")
	some role in for_role(entry)
	some group in iam.as_list(object.get(entry.values, "kubernetes_groups", []))
	is_string(group)
	group in access.admin_kubernetes_groups
	msg := sprintf("The %s role %s is in the Kubernetes group %s through %s: every pod that can use the role administers the cluster.", [role.kind, role.resource, group, entry.address])
	finding := result.finding(rego.metadata.chain(), role.resource, msg)
}

rows(type) := [r |
	view.kind in {"synth", "plan", "hcp"}
	some r in terraform.resources
	r.mode == "managed"
	r.type == type
]

for_role(r) := [role |
	some role in view.eksiam_roles
	terraform.uses(r, {"address": role.address, "values": {"name": role.name}})
]

association_problems(association) := {sprintf("has the access policy %s associated on %s", [name, scope_label(scope)]) |
	name := policy_name(object.get(association.values, "policy_arn", null))
	required_scope := access.write_access_policies[name]
	scope := scope_type(association)
	too_wide(required_scope, scope)
} | {sprintf("has an access policy associated that cannot be read (%v)", [object.get(association.values, "policy_arn", null)]) |
	not policy_name(object.get(association.values, "policy_arn", null))
}

# arn:<partition>:eks::aws:cluster-access-policy/<Name>
policy_name(arn) := name if {
	is_string(arn)
	not contains(arn, "${")
	parts := split(arn, "/")
	count(parts) == 2
	endswith(parts[0], ":cluster-access-policy")
	name := parts[1]
}

scope_type(association) := type if {
	some scope in iam.as_list(object.get(association.values, "access_scope", []))
	is_object(scope)
	type := object.get(scope, "type", null)
	is_string(type)
	not contains(type, "${")
} else := "unknown"

too_wide("any", _)

too_wide("cluster", scope) if scope != "namespace"

scope_label("unknown") := "a scope that cannot be read"

scope_label(scope) := sprintf("the %s scope", [scope]) if scope != "unknown"
