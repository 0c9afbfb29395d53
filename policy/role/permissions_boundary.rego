# METADATA
# title: Role has the required permissions boundary
# description: >-
#   When the configuration names a permissions boundary for a role
#   (data.eksiam.config.connector.permissions_boundary / data.eksiam.config.node.permissions_boundary),
#   the role must carry exactly that boundary, so the organisation's ceiling on its
#   permissions holds. ARNs are compared partition-agnostically.
# related_resources:
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
#   - https://docs.aws.amazon.com/eks/latest/userguide/connector_IAM_role.html
#   - https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
# custom:
#   id: EKSIAM-ROLE-001
#   severity: HIGH
#   recommended_action: >-
#     Set the role's permissions boundary to the ARN configured as permissions_boundary in
#     the role's section of eksiam.toml.
package eksiam.rules.role_001

import rego.v1

import data.eksiam.lib.config
import data.eksiam.lib.iam
import data.eksiam.lib.view
import data.eksiam.lib.result

deny contains finding if {
	some role in view.eksiam_roles
	required := config.setting(role.kind, "permissions_boundary")
	required != ""
	not is_string(role.permissions_boundary)
	msg := sprintf("The %s role %s has no permissions boundary; %s is required.", [role.kind, role.resource, required])
	finding := result.finding(rego.metadata.chain(), role.resource, msg)
}

deny contains finding if {
	some role in view.eksiam_roles
	required := config.setting(role.kind, "permissions_boundary")
	required != ""
	is_string(role.permissions_boundary)
	not iam.arn_equal(role.permissions_boundary, required)
	msg := sprintf("The %s role %s has permissions boundary %s; %s is required.", [role.kind, role.resource, role.permissions_boundary, required])
	finding := result.finding(rego.metadata.chain(), role.resource, msg)
}
