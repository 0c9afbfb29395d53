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
