package eksiam.rules.node_001_test

import rego.v1

import data.eksiam.lib.testing as t
import data.eksiam.rules.node_001 as check

documented := t.node_trust.Statement[0]

build_input(statements) := t.node_synth({"Version": "2012-10-17", "Statement": statements}, t.node_policy_arns)

denied_because(statements, fragment) if {
	some f in check.deny with input as build_input(statements)
	f.id == "EKSIAM-NODE-001"
	f.resource == "aws_iam_role.node_role"
	contains(f.msg, fragment)
}

allowed(statements) if count(check.deny) == 0 with input as build_input(statements)

test_allow_documented_trust if allowed([documented])

test_allow_service_as_list if {
	allowed([object.union(documented, {"Principal": {"Service": ["ec2.amazonaws.com"]}})])
}

test_allow_narrowing_condition if {
	allowed([object.union(documented, {"Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}})])
}

test_allow_documented_in_every_shape if {
	count(check.deny) == 0 with input as t.node_snapshot
	count(check.deny) == 0 with input as t.node_plan
	count(check.deny) == 0 with input as t.hcp(t.node_plan)
}

test_deny_connector_service_on_node_role if {
	denied_because([object.union(documented, {"Principal": {"Service": "ssm.amazonaws.com"}})], `service "ssm.amazonaws.com"`)
}

test_deny_any_principal if {
	denied_because([object.union(documented, {"Principal": "*"})], "trusts any principal")
}

test_deny_account_root if {
	denied_because([documented, {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}], `"123456789012"`)
}

test_deny_lookalike_service if {
	denied_because([object.union(documented, {"Principal": {"Service": "ec2.amazonaws.co"}})], "ec2.amazonaws.co")
}

test_deny_assume_role_wildcard if {
	denied_because([object.union(documented, {"Action": "sts:AssumeRole*"})], "sts:AssumeRole*")
}

test_deny_set_source_identity if {
	denied_because([object.union(documented, {"Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]})], "sts:SetSourceIdentity")
}

test_deny_every_action if {
	denied_because([object.union(documented, {"Action": "*"})], `"*"`)
}

test_deny_not_action if {
	denied_because([{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "NotAction": "sts:AssumeRoleWithSAML"}], "NotAction")
}

test_deny_empty_trust if {
	denied_because([], "does not let ec2.amazonaws.com assume it")
}

test_deny_in_plan if {
	doc := t.node_plan
	tampered := json.patch(doc, [{
		"op": "replace",
		"path": "/resource_changes/0/change/after/assume_role_policy",
		"value": json.marshal({"Version": "2012-10-17", "Statement": [object.union(documented, {"Principal": "*"})]}),
	}])
	count(check.deny) > 0 with input as tampered
	count(check.deny) > 0 with input as t.hcp(tampered)
}

test_allow_the_china_partitions_service_principal if {
	cn := {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com.cn"}, "Action": "sts:AssumeRole"}]}
	count(check.deny) == 0 with input as t.node_synth(cn, t.node_policy_arns)
}

test_deny_another_partitions_form_of_another_service if {
	cn := {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com.cn"}, "Action": "sts:AssumeRole"}]}
	some f in check.deny with input as t.node_synth(cn, t.node_policy_arns)
	contains(f.msg, "lambda.amazonaws.com.cn")
}

tag_session_trust := {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]}

auto_node(trust) := {"resource": {"aws_iam_role": {"auto": {"name": "AmazonEKSAutoNodeRole", "assume_role_policy": json.marshal(trust)}}}}

test_allow_tag_session_on_the_auto_mode_node_role if {
	count(check.deny) == 0 with input as auto_node(tag_session_trust)
}

test_deny_tag_session_on_a_node_role if {
	some f in check.deny with input as t.node_synth(tag_session_trust, t.node_policy_arns)
	contains(f.msg, "sts:TagSession")
}
