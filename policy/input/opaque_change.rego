# METADATA
# title: No EKS role is changed where no rule can read the change
# description: >-
#   Much can change IAM at apply time without being one of Terraform's IAM resources: a
#   provisioner's command, a CloudFormation stack, a Cloud Control resource of an AWS::IAM
#   type, a Lambda invocation, a data source that runs a program. A resource or data source
#   that refers to an EKS role or names it fails unless its type is on the shipped list of
#   types known not to change IAM (lib/terraform_opaque.rego) and no provisioner runs on it:
#   what it does to the role cannot be verified before apply.
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
#   - https://docs.aws.amazon.com/eks/latest/userguide/connector_IAM_role.html
# custom:
#   id: EKSIAM-INPUT-005
#   severity: HIGH
#   recommended_action: >-
#     Change the role's permissions with Terraform's IAM resources (policy attachments, inline
#     policies) where the gate can judge them; remove the provisioner, or stop the resource
#     referring to the role.
package eksiam.rules.input_005

import rego.v1

import data.eksiam.lib.result
import data.eksiam.lib.view

deny contains finding if {
	some change in view.opaque_changes
	msg := sprintf("%s refers to the EKS role %s, and %s, so it can change the role's permissions where no rule can verify them before apply.", [change.resource, change.role, change.why])
	finding := result.finding(rego.metadata.chain(), change.resource, msg)
}
