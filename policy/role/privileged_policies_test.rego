package eksiam.rules.role_003_test

import rego.v1

import data.eksiam.lib.testing as t
import data.eksiam.rules.role_003 as check

attach(doc, role, arn) := t.with_resource(doc, "aws_iam_role_policy_attachment", "admin", {
	"role": sprintf("${aws_iam_role.%s.name}", [role]),
	"policy_arn": arn,
})

flagged(inp, fragment) if {
	some f in check.deny with input as inp
	f.id == "EKSIAM-ROLE-003"
	f.severity == "CRITICAL"
	contains(f.msg, fragment)
}

test_allow_documented_roles if {
	count(check.deny) == 0 with input as t.node_documented
	count(check.deny) == 0 with input as t.connector_documented
	count(check.deny) == 0 with input as t.node_snapshot
}

test_allow_customer_policy_named_like_admin if {
	# A customer policy's name says nothing of its content; EKSIAM-NODE-003 reports it.
	count(check.deny) == 0 with input as attach(t.node_documented, "node_role", "arn:aws:iam::123456789012:policy/AdministratorAccess")
}

test_deny_administrator_access_on_node if {
	flagged(attach(t.node_documented, "node_role", "arn:aws:iam::aws:policy/AdministratorAccess"), "AdministratorAccess")
}

test_deny_even_when_allowlisted if {
	arn := "arn:aws-us-gov:iam::aws:policy/IAMFullAccess"
	flagged(attach(t.node_documented, "node_role", arn), "IAMFullAccess") with data.eksiam.config.node.additional_policy_arns as [arn]
}

test_deny_power_user_on_connector if {
	flagged(attach(t.connector_documented, "connector_agent_role", "arn:aws:iam::aws:policy/PowerUserAccess"), "PowerUserAccess")
}

test_deny_job_function_admin if {
	flagged(attach(t.node_documented, "node_role", "arn:aws:iam::aws:policy/job-function/SystemAdministrator"), "SystemAdministrator")
}

test_deny_star_inline_statement if {
	inp := t.with_resource(t.connector_documented, "aws_iam_role_policy", "connector_agent_policy", {
		"policy": json.marshal({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
	})
	flagged(inp, `allows "*" on every resource`)
}

test_deny_iam_wildcard_in_customer_policy if {
	inp := attach(
		t.with_resource(t.node_documented, "aws_iam_policy", "mine", {"name": "Mine", "policy": json.marshal({"Statement": {"Effect": "Allow", "Action": "IAM:*", "Resource": "*"}})}),
		"node_role",
		"${aws_iam_policy.mine.arn}",
	)
	flagged(inp, `"IAM:*"`)
}

test_deny_admin_in_snapshot if {
	role := t.node_snapshot.RoleDetailList[0]
	extra := array.concat(role.AttachedManagedPolicies, [{"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws-cn:iam::aws:policy/AdministratorAccess"}])
	flagged({"RoleDetailList": [object.union(role, {"AttachedManagedPolicies": extra})]}, "AdministratorAccess")
}

inline_on_node(statement) := t.with_resource(t.node_documented, "aws_iam_role_policy", "extra", {
	"name": "Extra", "role": "${aws_iam_role.node_role.id}",
	"policy": json.marshal({"Statement": [statement]}),
})

test_deny_privilege_escalation_actions if {
	every action in ["iam:PassRole", "iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:CreatePolicyVersion", "iam:UpdateAssumeRolePolicy", "iam:CreateAccessKey"] {
		flagged(inline_on_node({"Effect": "Allow", "Action": action, "Resource": "*"}), "privilege escalation")
	}
	flagged(inline_on_node({"Effect": "Allow", "Action": "iam:Pass*", "Resource": "arn:aws:iam::123456789012:role/*"}), "iam:passrole")
}

test_deny_not_action_on_every_resource if {
	flagged(inline_on_node({"Effect": "Allow", "NotAction": ["s3:DeleteBucket"], "Resource": "*"}), "NotAction")
}

test_allow_pass_role_narrowed_to_a_service if {
	narrowed := {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}
	count(check.deny) == 0 with input as inline_on_node(narrowed)
}

test_deny_other_conditions_do_not_narrow_pass_role if {
	tagged := {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}
	flagged(inline_on_node(tagged), "privilege escalation")
}

test_allow_escalation_actions_on_other_resources if {
	count(check.deny) == 0 with input as inline_on_node({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"})
	count(check.deny) == 0 with input as inline_on_node({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:s3:::bucket/*"})
}
