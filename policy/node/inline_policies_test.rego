package eksiam.rules.node_004_test

import rego.v1

import data.eksiam.lib.testing as t
import data.eksiam.rules.node_004 as check

harmless := json.marshal({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}]})

# A frozen copy of part of AmazonEKSWorkerNodePolicy: within the documented permissions.
documented_copy := json.marshal({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ec2:DescribeInstances", "eks:DescribeCluster"], "Resource": "*"}]})

test_allow_documented_role if {
	count(check.deny) == 0 with input as t.node_documented
	count(check.deny) == 0 with input as t.node_snapshot
	count(check.deny) == 0 with input as t.hcp(t.node_plan)
}

test_allow_empty_inline_policy_block if {
	# An empty inline_policy {} block tells Terraform to remove inline policies; it adds none.
	count(check.deny) == 0 with input as t.with_role(t.node_documented, {"inline_policy": [{}]})
}

test_allow_inline_copy_of_documented_permissions if {
	inp := t.with_resource(t.node_documented, "aws_iam_role_policy", "copy", {"name": "Copy", "role": "${aws_iam_role.node_role.id}", "policy": documented_copy})
	count(check.deny) == 0 with input as inp
}

test_deny_wildcard_wider_than_documented if {
	wider := json.marshal({"Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]})
	inp := t.with_resource(t.node_documented, "aws_iam_role_policy", "wide", {"name": "Wide", "role": "${aws_iam_role.node_role.id}", "policy": wider})
	some f in check.deny with input as inp
	contains(f.msg, "ec2:Describe*")
}

test_deny_unreadable_inline_document if {
	inp := t.with_resource(t.node_documented, "aws_iam_role_policy", "odd", {"name": "Odd", "role": "${aws_iam_role.node_role.id}", "policy": "not json"})
	some f in check.deny with input as inp
	contains(f.msg, "cannot be read")
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
