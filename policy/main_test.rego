package eksiam.main_test

import rego.v1

import data.eksiam.hcp
import data.eksiam.lib.testing as t
import data.eksiam.main

test_allow_documented_inputs_have_no_findings if {
	count(main.findings) == 0 with input as t.connector_documented
	count(main.findings) == 0 with input as t.hcp(t.node_plan)
	main.input_kind == "hcp" with input as t.hcp(t.node_plan)
}

test_allow_rules_lists_every_rule_package if {
	ids := {id | some id in main.rules}
	{"EKSIAM-CONNECTOR-001", "EKSIAM-NODE-001", "EKSIAM-INPUT-001"} & ids == {"EKSIAM-CONNECTOR-001", "EKSIAM-NODE-001", "EKSIAM-INPUT-001"}
	every id in main.rules {
		regex.match(`^EKSIAM-[A-Z]+-[0-9]{3}$`, id)
	}
}

test_deny_findings_collect_every_rule if {
	inp := t.with_role(t.node_documented, {"assume_role_policy": json.marshal({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*"}]}), "path": "bad"})
	ids := {f.id | some f in main.findings} with input as inp
	ids == {"EKSIAM-NODE-001", "EKSIAM-ROLE-002"}
	count(main.deny) == count(main.findings) with input as inp
}

test_deny_hcp_messages_are_strings if {
	inp := t.hcp(json.patch(t.node_plan, [{"op": "remove", "path": "/resource_changes/1"}]))
	[msg] := hcp.messages.node_002 with input as inp
	startswith(msg, "EKSIAM-NODE-002 HIGH: Node role aws_iam_role.node_role")
	hcp.messages.node_001 == [] with input as inp
}
