package eksiam.rules.connector_002_test

import rego.v1

import data.eksiam.lib.testing as t
import data.eksiam.rules.connector_002 as check

build_input(statements) := t.connector_synth(t.connector_trust, {"Version": "2012-10-17", "Statement": statements})

documented := t.connector_policy.Statement

missing(statements, action) if {
	some f in check.deny with input as build_input(statements)
	f.id == "EKSIAM-CONNECTOR-002"
	contains(f.msg, sprintf("does not allow %s ", [action]))
}

test_allow_documented_policy if count(check.deny) == 0 with input as build_input(documented)

test_allow_each_partition if {
	every p in ["aws", "aws-cn", "aws-us-gov"] {
		count(check.deny) == 0 with input as build_input(t.connector_policy_in(p).Statement)
	}
}

test_allow_one_statement_with_string_forms if {
	count(check.deny) == 0 with input as build_input([
		{"Effect": "Allow", "Action": "ssmmessages:CreateControlChannel", "Resource": ["arn:aws:eks:*:*:cluster/*"]},
		{"Effect": "Allow", "Action": ["SSMMESSAGES:createdatachannel", "ssmmessages:OpenDataChannel", "ssmmessages:OpenControlChannel"], "Resource": ["*"]},
	])
}

test_allow_documented_snapshot_plan_hcp if {
	count(check.deny) == 0 with input as t.connector_snapshot
	count(check.deny) == 0 with input as t.connector_plan
	count(check.deny) == 0 with input as t.hcp(t.connector_plan)
}

test_deny_control_channel_missing if {
	missing([documented[1]], "ssmmessages:CreateControlChannel")
}

test_deny_data_channel_dropped if {
	missing([documented[0], object.union(documented[1], {"Action": ["ssmmessages:OpenDataChannel", "ssmmessages:OpenControlChannel"]})], "ssmmessages:CreateDataChannel")
}

test_deny_control_channel_narrowed_to_one_region if {
	missing([object.union(documented[0], {"Resource": "arn:aws:eks:us-east-1:*:cluster/*"}), documented[1]], "ssmmessages:CreateControlChannel")
}

test_deny_required_action_under_deny if {
	missing(array.concat(documented, [{"Effect": "Deny", "Action": "ssmmessages:Open*", "Resource": "*"}]), "ssmmessages:OpenDataChannel")
}

test_deny_required_action_under_deny_not_action if {
	# Deny NotAction denies everything except what it lists.
	missing(array.concat(documented, [{"Effect": "Deny", "NotAction": "ssmmessages:Create*", "Resource": "*"}]), "ssmmessages:OpenControlChannel")
}

test_deny_policy_removed_by_exclusive_resource if {
	inp := t.with_resource(build_input(documented), "aws_iam_role_policies_exclusive", "only", {
		"role_name": "${aws_iam_role.connector_agent_role.name}",
		"policy_names": ["SomethingElse"],
	})
	count([f | some f in check.deny with input as inp]) == 4
}

test_deny_no_policy_at_all if {
	inp := t.without_resource(t.connector_documented, "aws_iam_role_policy", "connector_agent_policy")
	count([f | some f in check.deny with input as inp]) == 4
}


test_allow_console_form_carries_the_permissions if {
	count(check.deny) == 0 with input as t.connector_console_snapshot(t.connector_policy_in("aws"))
}

test_deny_console_form_missing_an_action if {
	narrower := {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssmmessages:CreateDataChannel", "Resource": "*"}]}
	some f in check.deny with input as t.connector_console_snapshot(narrower)
	contains(f.msg, "ssmmessages:OpenDataChannel")
}
