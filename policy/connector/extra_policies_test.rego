package eksiam.rules.connector_004_test

import rego.v1

import data.eksiam.lib.testing as t
import data.eksiam.rules.connector_004 as check

denied_because(inp, fragment) if {
	some f in check.deny with input as inp
	f.id == "EKSIAM-CONNECTOR-004"
	contains(f.msg, fragment)
}

test_allow_documented_role if {
	count(check.deny) == 0 with input as t.connector_documented
	count(check.deny) == 0 with input as t.connector_snapshot
	count(check.deny) == 0 with input as t.connector_plan
}

test_allow_same_policy_declared_twice_by_name if {
	# One IAM inline policy, declared as a role block and as a resource: still one policy.
	inp := t.with_role(t.connector_documented, {"inline_policy": [{"name": "AmazonEKSConnectorAgentPolicy", "policy": json.marshal(t.connector_policy)}]})
	count(check.deny) == 0 with input as inp
}

test_deny_managed_policy_attachment if {
	inp := t.with_resource(t.connector_documented, "aws_iam_role_policy_attachment", "ro", {
		"role": "${aws_iam_role.connector_agent_role.name}",
		"policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
	})
	denied_because(inp, "arn:aws:iam::aws:policy/ReadOnlyAccess")
}

test_deny_managed_policy_arns_argument if {
	inp := t.with_role(t.connector_documented, {"managed_policy_arns": ["arn:aws:iam::aws:policy/AmazonS3FullAccess"]})
	denied_because(inp, "AmazonS3FullAccess")
}

test_deny_policy_attachment_roles_list if {
	inp := t.with_resource(t.connector_documented, "aws_iam_policy_attachment", "shared", {
		"name": "shared",
		"roles": ["${aws_iam_role.connector_agent_role.name}", "other"],
		"policy_arn": "arn:aws:iam::123456789012:policy/Shared",
	})
	denied_because(inp, "aws_iam_policy_attachment.shared")
}

test_deny_second_inline_policy if {
	inp := t.with_resource(t.connector_documented, "aws_iam_role_policy", "copy", {
		"name": "Copy",
		"role": "${aws_iam_role.connector_agent_role.id}",
		"policy": json.marshal(t.connector_policy),
	})
	denied_because(inp, "2 inline policies (AmazonEKSConnectorAgentPolicy, Copy)")
}

test_deny_managed_policy_in_snapshot if {
	role := object.union(t.connector_snapshot.RoleDetailList[0], {"AttachedManagedPolicies": [{"PolicyName": "AmazonEKSConnectorAgentPolicy", "PolicyArn": "arn:aws:iam::123456789012:policy/AmazonEKSConnectorAgentPolicy"}]})
	denied_because({"RoleDetailList": [role]}, "arn:aws:iam::123456789012:policy/AmazonEKSConnectorAgentPolicy")
}


test_allow_console_form_managed_policy if {
	count(check.deny) == 0 with input as t.connector_console_snapshot(t.connector_policy_in("aws"))
}

test_deny_console_form_beside_the_inline_policy if {
	inline := t.connector_snapshot.RoleDetailList[0]
	role := object.union(inline, {"AttachedManagedPolicies": [{"PolicyName": "AmazonEKSConnectorAgentPolicy", "PolicyArn": t.console_policy_arn}]})
	denied_because({"RoleDetailList": [role]}, "both as managed policy")
}

test_deny_aws_managed_lookalike_of_the_console_form if {
	role := object.union(t.connector_snapshot.RoleDetailList[0], {"RolePolicyList": [], "AttachedManagedPolicies": [{"PolicyName": "AmazonEKSConnectorAgentPolicy", "PolicyArn": "arn:aws:iam::aws:policy/AmazonEKSConnectorAgentPolicy"}]})
	denied_because({"RoleDetailList": [role]}, "arn:aws:iam::aws:policy/AmazonEKSConnectorAgentPolicy")
}
