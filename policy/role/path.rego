# METADATA
# title: Role path is a valid IAM path and the configured one
# description: >-
#   A role path must be "/" or start and end with "/" with printable ASCII between, up to
#   512 characters, as IAM requires; the AWS document puts the node role at "/". When the
#   configuration sets data.eksiam.config.<kind>.path, the role must be at that path, since
#   IAM policies elsewhere often grant by path (arn:…:role/<path>/*).
# related_resources:
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-friendly-names
#   - https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
# custom:
#   id: EKSIAM-ROLE-002
#   severity: MEDIUM
#   recommended_action: >-
#     Set the role's path to "/" or to the path configured in the role's section of
#     eksiam.toml.
package eksiam.rules.role_002

import rego.v1

import data.eksiam.lib.config
import data.eksiam.lib.view
import data.eksiam.lib.result

deny contains finding if {
	some role in view.eksiam_roles
	not valid_path(role.path)
	msg := sprintf("The %s role %s has path %q, which is not a valid IAM path.", [role.kind, role.resource, role.path])
	finding := result.finding(rego.metadata.chain(), role.resource, msg)
}

deny contains finding if {
	some role in view.eksiam_roles
	expected := config.setting(role.kind, "path")
	expected != ""
	valid_path(role.path)
	role.path != expected
	msg := sprintf("The %s role %s has path %q; the configured path is %q.", [role.kind, role.resource, role.path, expected])
	finding := result.finding(rego.metadata.chain(), role.resource, msg)
}

valid_path(path) if {
	is_string(path)
	count(path) <= 512
	regex.match(`^(/|/[\x{21}-\x{7E}]+/)$`, path)
}
