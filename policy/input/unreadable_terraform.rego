# METADATA
# title: Every part of a Terraform JSON input can be read
# description: >-
#   Terraform's JSON syntax lets the resource section, each resource type and each resource
#   body be an object or an array of objects. A level of any other shape (a string, a number,
#   an array holding something else) is a part the gate cannot read; it is reported rather
#   than skipped, as a skipped part could hold any grant.
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
#   - https://docs.aws.amazon.com/eks/latest/userguide/connector_IAM_role.html
#   - https://developer.hashicorp.com/terraform/language/syntax/json
# custom:
#   id: EKSIAM-INPUT-004
#   severity: HIGH
#   recommended_action: >-
#     Write each resource as Terraform's JSON syntax allows: "resource" is an object (or an
#     array of objects) of resource types, each an object (or array of objects) of named bodies.
package eksiam.rules.input_004

import rego.v1

import data.eksiam.lib.result
import data.eksiam.lib.view

deny contains finding if {
	some part in view.unreadable
	msg := sprintf("The input's %q is neither an object nor an array of objects, so the gate cannot read what it declares.", [part])
	finding := result.finding(rego.metadata.chain(), part, msg)
}
