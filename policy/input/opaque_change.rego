# METADATA
# title: No EKS role is changed where no rule can read the change
# description: >-
#   A provisioner runs a command at apply time, and a CloudFormation stack applies a template
#   of its own: when either refers to an EKS role or names it, it can attach any policy to the
#   role, and no rule can see what. Such a change cannot be verified before apply, so it fails.
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
#   - https://docs.aws.amazon.com/eks/latest/userguide/connector_IAM_role.html
# custom:
#   id: EKSIAM-INPUT-005
#   severity: HIGH
#   recommended_action: >-
#     Change the role's permissions with Terraform's IAM resources (policy attachments, inline
#     policies) where the gate can judge them; remove the provisioner or the stack.
package eksiam.rules.input_005

import rego.v1

import data.eksiam.lib.result
import data.eksiam.lib.view

deny contains finding if {
	some change in view.opaque_changes
	msg := sprintf("%s refers to the EKS role %s from a provisioner or a CloudFormation template, which can change its permissions where no rule can verify them before apply.", [change.resource, change.role])
	finding := result.finding(rego.metadata.chain(), change.resource, msg)
}
