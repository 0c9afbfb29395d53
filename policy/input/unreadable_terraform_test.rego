package eksiam.rules.input_004_test

import rego.v1

import data.eksiam.lib.testing as t
import data.eksiam.rules.input_004 as check

test_allow_object_and_array_forms if {
	count(check.deny) == 0 with input as t.node_documented
	arrays := object.union(t.node_documented, {"resource": [t.node_documented.resource]})
	count(check.deny) == 0 with input as arrays
}

test_deny_a_resource_type_that_is_no_block if {
	inp := object.union(t.node_documented, {"resource": object.union(t.node_documented.resource, {"aws_iam_policy_attachment": "AdministratorAccess"})})
	some f in check.deny with input as inp
	f.id == "EKSIAM-INPUT-004"
	f.resource == "resource.aws_iam_policy_attachment"
}

test_deny_a_resource_section_of_strings if {
	inp := object.union(t.node_documented, {"resource": ["aws_iam_role_policy_attachment"]})
	count(check.deny) == 1 with input as inp
}

test_allow_comments_at_every_level if {
	commented := {"resource": {
		"//": "IAM for the nodes",
		"aws_iam_role": object.union(t.node_documented.resource.aws_iam_role, {"//": "the node role"}),
		"aws_iam_role_policy_attachment": t.node_documented.resource.aws_iam_role_policy_attachment,
	}}
	count(check.deny) == 0 with input as object.union(t.node_documented, commented)
}
