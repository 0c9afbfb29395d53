package eksiam.rules.connector_003_test

import rego.v1

import data.eksiam.lib.testing as t
import data.eksiam.rules.connector_003 as check

build_input(statements) := t.connector_synth(t.connector_trust, {"Version": "2012-10-17", "Statement": statements})

documented := t.connector_policy.Statement

excess(extra, fragment) if {
	some f in check.deny with input as build_input(array.concat(documented, extra))
	f.id == "EKSIAM-CONNECTOR-003"
	f.resource == "aws_iam_role.connector_agent_role"
	contains(f.msg, fragment)
}

test_allow_documented_policy if count(check.deny) == 0 with input as build_input(documented)

test_allow_deny_statement if {
	count(check.deny) == 0 with input as build_input(array.concat(documented, [{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]))
}

test_allow_narrower_control_channel_resource if {
	# Narrower is not "beyond"; EKSIAM-CONNECTOR-002 reports the missing documented grant.
	count(check.deny) == 0 with input as build_input([object.union(documented[0], {"Resource": "arn:aws-us-gov:eks:us-gov-west-1:123456789012:cluster/prod"}), documented[1]])
}

test_allow_documented_snapshot_and_plan if {
	count(check.deny) == 0 with input as t.connector_snapshot
	count(check.deny) == 0 with input as t.connector_plan
}

test_deny_service_wildcard if excess([{"Effect": "Allow", "Action": "ssmmessages:*", "Resource": "*"}], `"ssmmessages:*"`)

test_deny_partial_wildcard if excess([{"Effect": "Allow", "Action": "ssmmessages:Open*", "Resource": "*"}], `"ssmmessages:Open*"`)

test_deny_everything if excess([{"Effect": "Allow", "Action": "*", "Resource": "*"}], `allows "*"`)

test_deny_other_service if excess([{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}], "s3:GetObject")

test_deny_not_action if excess([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], "NotAction")

test_deny_not_resource if {
	excess([{"Effect": "Allow", "Action": "ssmmessages:OpenDataChannel", "NotResource": "arn:aws:s3:::x"}], "NotResource")
}

test_deny_control_channel_on_every_resource if {
	some f in check.deny with input as build_input([object.union(documented[0], {"Resource": "*"}), documented[1]])
	contains(f.msg, `ssmmessages:CreateControlChannel on "*"`)
}

test_deny_second_policy_with_more if {
	inp := t.with_resource(t.connector_documented, "aws_iam_role_policy", "extra", {
		"name": "Extra",
		"role": "AmazonEKSConnectorAgentRole",
		"policy": json.marshal({"Statement": {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}}),
	})
	some f in check.deny with input as inp
	contains(f.msg, "iam:PassRole")
	contains(f.msg, "aws_iam_role_policy.extra")
}

test_deny_inline_policy_block_on_role if {
	inp := t.with_role(t.connector_documented, {"inline_policy": [{"name": "x", "policy": json.marshal({"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]})}]})
	some f in check.deny with input as inp
	contains(f.msg, "ec2:*")
}

test_deny_unreadable_document if {
	inp := t.with_resource(t.connector_documented, "aws_iam_role_policy", "connector_agent_policy", {"policy": "${file(\"p.json\")}"})
	some f in check.deny with input as inp
	contains(f.msg, "unknown or unreadable")
}

test_deny_in_snapshot_with_url_encoded_document if {
	statements := array.concat(documented, [{"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}])
	encoded := urlquery.encode(json.marshal({"Version": "2012-10-17", "Statement": statements}))
	role := object.union(t.connector_snapshot.RoleDetailList[0], {"RolePolicyList": [{"PolicyName": "AmazonEKSConnectorAgentPolicy", "PolicyDocument": encoded}]})
	some f in check.deny with input as {"RoleDetailList": [role]}
	contains(f.msg, "ssm:*")
}


test_allow_console_form_with_the_documented_document if {
	count(check.deny) == 0 with input as t.connector_console_snapshot(t.connector_policy_in("aws"))
}

test_deny_console_form_granting_more if {
	wider := {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssmmessages:*", "Resource": "*"}]}
	some f in check.deny with input as t.connector_console_snapshot(wider)
	contains(f.msg, "managed policy AmazonEKSConnectorAgentPolicy")
}

test_deny_console_form_whose_document_is_unknown if {
	some f in check.deny with input as t.connector_console_snapshot(null)
	contains(f.msg, "cannot be checked")
}
