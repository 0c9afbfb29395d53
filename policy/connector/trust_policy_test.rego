package eksiam.rules.connector_001_test

import rego.v1

import data.eksiam.lib.testing as t
import data.eksiam.rules.connector_001 as check

documented := t.connector_trust.Statement[0]

build_input(statements) := t.connector_synth({"Version": "2012-10-17", "Statement": statements}, t.connector_policy)

denied_because(statements, fragment) if {
	some f in check.deny with input as build_input(statements)
	f.id == "EKSIAM-CONNECTOR-001"
	f.resource == "aws_iam_role.connector_agent_role"
	contains(f.msg, fragment)
}

allowed(statements) if count(check.deny) == 0 with input as build_input(statements)

test_allow_documented_trust if allowed([documented])

test_allow_service_as_string_and_action_as_list if {
	allowed([{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": ["sts:AssumeRole"]}])
}

test_allow_action_in_other_case if {
	allowed([object.union(documented, {"Action": "STS:assumerole"})])
}

test_allow_narrowing_condition if {
	allowed([object.union(documented, {"Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}})])
}

test_allow_deny_statement_beside_documented if {
	allowed([documented, {
		"Effect": "Deny",
		"Principal": {"Service": "ssm.amazonaws.com"},
		"Action": "sts:AssumeRole",
		"Condition": {"StringNotEquals": {"aws:SourceAccount": "123456789012"}},
	}])
}

test_deny_any_principal if {
	denied_because([object.union(documented, {"Principal": "*"})], "trusts any principal")
}

test_deny_aws_wildcard_principal if {
	denied_because([object.union(documented, {"Principal": {"AWS": "*"}})], `AWS principal "*"`)
}

test_deny_account_principal if {
	denied_because([object.union(documented, {"Principal": {"AWS": "arn:aws:iam::123456789012:root"}})], "arn:aws:iam::123456789012:root")
}

test_deny_role_principal_next_to_service if {
	denied_because(
		[object.union(documented, {"Principal": {"Service": "ssm.amazonaws.com", "AWS": "arn:aws:iam::123456789012:role/x"}})],
		"role/x",
	)
}

test_deny_extra_service if {
	denied_because([object.union(documented, {"Principal": {"Service": ["ssm.amazonaws.com", "lambda.amazonaws.com"]}})], "lambda.amazonaws.com")
}

test_deny_lookalike_service if {
	denied_because([object.union(documented, {"Principal": {"Service": "ssm.amazonaws.com.evil.example"}})], "ssm.amazonaws.com.evil.example")
}

test_deny_federated_principal if {
	denied_because([object.union(documented, {"Principal": {"Federated": "cognito-identity.amazonaws.com"}})], "Federated")
}

test_deny_not_principal if {
	denied_because([{"Effect": "Allow", "NotPrincipal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}], "NotPrincipal")
}

test_deny_not_action if {
	denied_because([{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "NotAction": "sts:TagSession"}], "NotAction")
}

test_deny_sts_wildcard if {
	denied_because([object.union(documented, {"Action": "sts:*"})], `"sts:*"`)
}

test_deny_web_identity if {
	denied_because([object.union(documented, {"Action": ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"]})], "AssumeRoleWithWebIdentity")
}

test_deny_tag_session if {
	denied_because([object.union(documented, {"Action": ["sts:AssumeRole", "sts:TagSession"]})], "sts:TagSession")
}

test_deny_second_allow_statement if {
	denied_because([documented, object.union(documented, {"Sid": "Again"})], "2 Allow statements")
}

test_deny_documented_statement_missing if {
	denied_because([object.union(documented, {"Effect": "Deny"})], "does not let ssm.amazonaws.com assume it")
}

test_deny_unconditional_deny_removes_trust if {
	denied_because([documented, {"Effect": "Deny", "Principal": "*", "Action": "sts:*"}], "does not let ssm.amazonaws.com")
}

test_deny_unreadable_trust_policy if {
	inp := t.with_role(t.connector_documented, {"assume_role_policy": "{not json"})
	some f in check.deny with input as inp
	contains(f.msg, "cannot be read")
}

test_deny_tampered_trust_with_tag_removed if {
	# Identity falls back to the resource address when the eksiam:role tag is gone.
	inp := json.remove(build_input([object.union(documented, {"Principal": "*"})]), ["resource/aws_iam_role/connector_agent_role/tags"])
	not inp.resource.aws_iam_role.connector_agent_role.tags
	count(check.deny) > 0 with input as inp
}

test_deny_in_snapshot if {
	role := object.union(t.connector_snapshot.RoleDetailList[0], {"AssumeRolePolicyDocument": {
		"Version": "2012-10-17",
		"Statement": [object.union(documented, {"Principal": {"AWS": "*"}})],
	}})
	some f in check.deny with input as {"RoleDetailList": [role]}
	f.resource == "arn:aws:iam::123456789012:role/AmazonEKSConnectorAgentRole"
}

test_allow_in_snapshot_plan_and_hcp if {
	count(check.deny) == 0 with input as t.connector_snapshot
	count(check.deny) == 0 with input as t.connector_plan
	count(check.deny) == 0 with input as t.hcp(t.connector_plan)
}
