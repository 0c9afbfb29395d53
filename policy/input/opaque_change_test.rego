package eksiam.rules.input_005_test

import rego.v1

import data.eksiam.lib.testing as t
import data.eksiam.rules.input_005 as check

exec_resource(command) := {
	"provisioner": {"local-exec": {"command": command}},
	"triggers_replace": ["${aws_iam_role.node_role.arn}"],
}

test_allow_documented_stacks if {
	count(check.deny) == 0 with input as t.node_documented
	count(check.deny) == 0 with input as t.node_plan
}

test_allow_provisioner_that_does_not_touch_an_eks_role if {
	inp := t.with_resource(t.node_documented, "terraform_data", "notify", {"provisioner": {"local-exec": {"command": "echo done"}}})
	count(check.deny) == 0 with input as inp
}

test_deny_provisioner_referring_to_the_node_role if {
	inp := t.with_resource(t.node_documented, "terraform_data", "attach", exec_resource("aws iam attach-role-policy --role-name x"))
	some f in check.deny with input as inp
	f.id == "EKSIAM-INPUT-005"
	f.resource == "terraform_data.attach"
}

test_deny_cloudformation_stack_naming_the_node_role if {
	inp := t.with_resource(t.node_documented, "aws_cloudformation_stack", "extra", {
		"name": "extra",
		"template_body": "{\"Resources\": {\"P\": {\"Type\": \"AWS::IAM::Policy\", \"Properties\": {\"Roles\": [\"NodeInstanceRole\"]}}}}",
	})
	count(check.deny) == 1 with input as inp
}

# Not a list of bad types: whatever is not known to leave IAM alone and refers to the role fails.
test_deny_cloud_control_and_lambda_invocation_referring_to_the_node_role if {
	every type in ["aws_cloudcontrolapi_resource", "aws_lambda_invocation", "null_resource", "some_future_resource"] {
		inp := t.with_resource(t.node_documented, type, "x", {"input": "${jsonencode({role = aws_iam_role.node_role.name})}"})
		some f in check.deny with input as inp
		f.resource == sprintf("%s.x", [type])
		contains(f.msg, "no resource type known not to change IAM")
	}
}

test_deny_data_source_that_runs_something if {
	inp := object.union(t.node_documented, {"data": {"external": {"attach": {"program": ["sh", "-c", "attach NodeInstanceRole"]}}}})
	some f in check.deny with input as inp
	f.resource == "data.external.attach"
}

test_allow_inert_types_referring_to_the_node_role if {
	inp := t.with_resource(
		t.with_resource(t.node_documented, "aws_ssm_parameter", "arn", {"name": "/eks/node-role", "value": "${aws_iam_role.node_role.arn}"}),
		"aws_eks_access_entry", "nodes", {"principal_arn": "${aws_iam_role.node_role.arn}", "type": "EC2_LINUX"},
	)
	count(check.deny) == 0 with input as inp
}

test_deny_name_in_another_case if {
	inp := t.with_resource(t.node_documented, "terraform_data", "cli", {"input": "aws iam attach-role-policy --role-name nodeinstancerole"})
	count(check.deny) == 1 with input as inp
}

test_allow_name_inside_another_word if {
	inp := t.with_resource(t.node_documented, "aws_s3_bucket", "logs", {"bucket": "nodeinstancerole-logs-NodeInstanceRoleX"})
	count(check.deny) == 0 with input as inp
}
