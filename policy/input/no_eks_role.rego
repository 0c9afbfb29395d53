# METADATA
# title: Input holds an EKS role the rules can check
# description: >-
#   The gate fails closed: an input in which no role is recognizable as an EKS role of any
#   kind (node, Auto Mode node, connector, cluster, Fargate, hybrid, service-linked, pod: by
#   its eksiam:role tag, its resource address, its use, its name, its permissions or its
#   trust), or an input of no shape the adapters read, would otherwise pass every rule
#   without any rule having checked anything. A cluster of Fargate profiles has no node role
#   to judge and passes. The HCP Terraform policy set, attached to every workspace
#   of an organization, reports only the unreadable input (hcp.rego).
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/userguide/connector_IAM_role.html
#   - https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
# custom:
#   id: EKSIAM-INPUT-001
#   severity: HIGH
#   recommended_action: >-
#     Check the input: give the gate a synthesized cdk.tf.json, a `terraform show -json`
#     plan, an HCP Terraform policy input or an IAM get-account-authorization-details
#     snapshot that contains the roles, tagged eksiam:role or named as configured.
package eksiam.rules.input_001

import rego.v1

import data.eksiam.lib.kind
import data.eksiam.lib.view
import data.eksiam.lib.result

deny contains finding if {
	view.kind == "unknown"
	msg := "The input is not a cdk.tf.json, a terraform show -json plan, an HCP Terraform policy input or an IAM role snapshot, so no rule could check it."
	finding := result.finding(rego.metadata.chain(), "input", msg)
}

# A document of two shapes at once (a plan holding a clean `plan` beside its own changes) is
# judged neither way: judging one part would pass what the other holds.
deny contains finding if {
	view.kind == "ambiguous"
	msg := sprintf("The input has the shape of more than one kind of input (%s), so no part of it is judged.", [concat(", ", sort(kind.shapes))])
	finding := result.finding(rego.metadata.chain(), "input", msg)
}

deny contains finding if {
	view.kind in kind.kinds
	count([r | some r in view.roles; r.kind != "other"]) == 0
	msg := sprintf("The %s input holds no role recognizable as an EKS role (%d other roles), so no rule could check it.", [view.kind, count(view.roles)])
	finding := result.finding(rego.metadata.chain(), "input", msg)
}
