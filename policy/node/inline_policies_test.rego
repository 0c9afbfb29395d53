package eksiam.rules.node_004_test

import rego.v1

import data.eksiam.lib.testing as t
import data.eksiam.rules.node_004 as check

harmless := json.marshal({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}]})

test_allow_documented_role if {
	count(check.deny) == 0 with input as t.node_documented
	count(check.deny) == 0 with input as t.node_snapshot
	count(check.deny) == 0 with input as t.hcp(t.node_plan)
}

test_allow_empty_inline_policy_block if {
	# An empty inline_policy {} block tells Terraform to remove inline policies; it adds none.
	count(check.deny) == 0 with input as t.with_role(t.node_documented, {"inline_policy": [{}]})
}

test_deny_role_policy_resource if {
	inp := t.with_resource(t.node_documented, "aws_iam_role_policy", "extra", {"name": "Extra", "role": "${aws_iam_role.node_role.id}", "policy": harmless})
	some f in check.deny with input as inp
	f.id == "EKSIAM-NODE-004"
	contains(f.msg, "inline policy Extra declared by aws_iam_role_policy.extra")
}

test_deny_inline_policy_block if {
	inp := t.with_role(t.node_documented, {"inline_policy": {"name": "Block", "policy": harmless}})
	some f in check.deny with input as inp
	contains(f.msg, "inline policy Block declared by aws_iam_role.node_role")
}

test_deny_exclusive_names_outside_the_input if {
	inp := t.with_resource(t.node_documented, "aws_iam_role_policies_exclusive", "keep", {"role_name": "NodeInstanceRole", "policy_names": ["OutOfBand"]})
	some f in check.deny with input as inp
	contains(f.msg, "OutOfBand")
}

test_deny_inline_policy_in_snapshot if {
	role := object.union(t.node_snapshot.RoleDetailList[0], {"RolePolicyList": [{"PolicyName": "Live", "PolicyDocument": harmless}]})
	some f in check.deny with input as {"RoleDetailList": [role]}
	contains(f.msg, "Live")
}
