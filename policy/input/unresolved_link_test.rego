package eksiam.rules.input_002_test

import rego.v1

import data.eksiam.lib.testing as t
import data.eksiam.rules.input_002 as check

test_allow_documented_links if {
	count(check.deny) == 0 with input as t.connector_documented
	count(check.deny) == 0 with input as t.node_documented
	count(check.deny) == 0 with input as t.node_plan
	count(check.deny) == 0 with input as t.hcp(t.connector_plan)
}

test_allow_link_by_role_arn_literal if {
	inp := t.with_resource(t.node_documented, "aws_iam_role_policy_attachment", "node_policy_0", {"role": "arn:aws:iam::123456789012:role/NodeInstanceRole"})
	count(check.deny) == 0 with input as inp
}

test_deny_attachment_through_variable if {
	inp := t.with_resource(t.node_documented, "aws_iam_role_policy_attachment", "hidden", {
		"role": "${var.role_name}",
		"policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess",
	})
	some f in check.deny with input as inp
	f.id == "EKSIAM-INPUT-002"
	f.resource == "aws_iam_role_policy_attachment.hidden"
}

test_deny_policy_for_a_role_outside_the_input if {
	inp := t.with_resource(t.connector_documented, "aws_iam_role_policy", "elsewhere", {
		"role": "SomeOtherRole",
		"policy": json.marshal(t.connector_policy),
	})
	count(check.deny) == 1 with input as inp
}

test_deny_unresolved_in_plan if {
	plan := t.plan(
		array.concat(t.node_plan.resource_changes, [t.change("aws_iam_role_policy_attachment", "hidden", {"policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"})]),
		array.concat(t.node_plan.configuration.root_module.resources, [t.config("aws_iam_role_policy_attachment", "hidden", {"role": {"references": ["var.role_name"]}})]),
	)
	some f in check.deny with input as plan
	f.resource == "aws_iam_role_policy_attachment.hidden"
}

# An expression that is not exactly one reference may name any role.
test_deny_role_given_by_a_conditional if {
	inp := t.with_resource(t.node_documented, "aws_iam_role_policy_attachment", "maybe", {
		"role": "${length(aws_iam_role.node_role.name) > 0 ? aws_iam_role.node_role.name : var.other}",
		"policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
	})
	some f in check.deny with input as inp
	f.resource == "aws_iam_role_policy_attachment.maybe"
}

test_allow_role_given_by_one_reference_with_spaces if {
	inp := t.with_resource(t.node_documented, "aws_iam_role_policy_attachment", "node_policy_0", {"role": "${ aws_iam_role.node_role.name }"})
	count(check.deny) == 0 with input as inp
}
