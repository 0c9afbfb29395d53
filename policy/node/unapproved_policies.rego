# METADATA
# title: Node role has no managed policy beyond the documented and allowlisted ones
# description: >-
#   Every managed policy on the worker node role is available to every pod that can reach
#   the node's instance metadata. Besides the three documented AWS-managed policies, only
#   what the configuration allows may be attached: AmazonSSMManagedInstanceCore when
#   data.eksiam.config.node.allow_ssm_managed_instance_core is true, the VPC CNI's
#   AmazonEKS_CNI_IPv6_Policy (a customer policy with the documented content) when
#   data.eksiam.config.node.allow_ipv6_cni is true, and the ARNs listed in
#   data.eksiam.config.node.additional_policy_arns — or what the role itself declares in the
#   tags the eksiam constructs set (`eksiam:opt-in`, `eksiam:policy:<key>`). Policies of
#   administrator level are failed by EKSIAM-ROLE-003 whatever is declared. A policy whose ARN
#   cannot be resolved is reported, as it cannot be shown to be allowed.
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
#   - https://docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html
# custom:
#   id: EKSIAM-NODE-003
#   severity: HIGH
#   aliases:
#     - CKV_EKSIAM_4
#   recommended_action: >-
#     Detach the policy from the node role, or, if the nodes really need it, add its ARN to
#     [node] additional_policy_arns in eksiam.toml.
package eksiam.rules.node_003

import rego.v1

import data.eksiam.lib.declared
import data.eksiam.lib.documented
import data.eksiam.lib.grants
import data.eksiam.lib.view
import data.eksiam.lib.result

deny contains finding if {
	some role in view.node_roles
	some policy in role.managed_policies
	not allowed(role, policy)
	msg := sprintf("Node role %s has managed policy %s attached by %s, which is neither documented for the node role nor allowlisted.", [role.resource, result.policy_label(policy), policy.resource])
	finding := result.finding_on(rego.metadata.chain(), role.resource, policy.resource, msg)
}

allowed(_, policy) if {
	policy.aws_managed
	policy.name in documented.node_required_policies
}

allowed(role, policy) if {
	declared.opted_in(role, "ssm-core")
	policy.aws_managed
	policy.name == documented.node_ssm_policy
}

# The IPv6 policy is a customer policy; when its document is in the input it must be the
# documented one (a live role snapshot carries no customer policy documents).
allowed(role, policy) if {
	declared.opted_in(role, "ipv6-cni")
	not policy.aws_managed
	policy.name == documented.ipv6_cni_policy_name
	ipv6_document_ok(policy)
}

allowed(role, policy) if declared.extra_policy_allowed(role, policy)

ipv6_document_ok(policy) if policy.document == null

ipv6_document_ok(policy) if {
	policy.document != null
	count(grants.excess(policy.statements, documented.ipv6_cni_grants)) == 0
}
