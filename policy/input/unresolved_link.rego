# METADATA
# title: Every policy attachment names a role in the input
# description: >-
#   A policy or attachment resource (aws_iam_role_policy, aws_iam_role_policy_attachment,
#   aws_iam_policy_attachment, aws_iam_role_policies_exclusive,
#   aws_iam_role_policy_attachments_exclusive) whose role cannot be resolved to a role in
#   the same input — through a variable, a module output, or a name of a role defined
#   elsewhere — may change one of the EKS roles unseen; the gate reports it rather than
#   pass what it could not evaluate.
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/userguide/connector_IAM_role.html
#   - https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
# custom:
#   id: EKSIAM-INPUT-002
#   severity: HIGH
#   recommended_action: >-
#     Refer to the role by its resource (aws_iam_role.<name>.name or .id) in the same
#     configuration, or remove the resource.
package eksiam.rules.input_002

import rego.v1

import data.eksiam.lib.view
import data.eksiam.lib.result

deny contains finding if {
	some link in view.unresolved_links
	msg := sprintf("%s attaches permissions to a role that is not in this input, so the gate cannot tell which role it changes.", [link.address])
	finding := result.finding(rego.metadata.chain(), link.address, msg)
}
