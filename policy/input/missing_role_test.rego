package eksiam.rules.input_003_test

import rego.v1

import data.eksiam.lib.testing as t
import data.eksiam.rules.input_003 as check

both_roles := {"RoleDetailList": array.concat(t.connector_snapshot.RoleDetailList, t.node_snapshot.RoleDetailList)}

test_allow_account_with_both_roles if {
	count(check.deny) == 0 with input as both_roles
}

test_allow_disabled_role_absent if {
	count(check.deny) == 0 with input as t.node_snapshot with data.eksiam.config.connector.enabled as false
}

test_allow_terraform_inputs_with_one_role if {
	count(check.deny) == 0 with input as t.node_documented
	count(check.deny) == 0 with input as t.hcp(t.node_plan)
}

test_deny_connector_missing_from_account if {
	some f in check.deny with input as t.node_snapshot
	f.id == "EKSIAM-INPUT-003"
	f.resource == "AmazonEKSConnectorAgentRole"
	contains(f.msg, "no EKS connector agent role")
}

test_deny_both_missing_from_empty_account if {
	count(check.deny) == 2 with input as {"RoleDetailList": []}
}

test_deny_renamed_role_uses_configured_name if {
	some f in check.deny with input as t.connector_snapshot with data.eksiam.config.node.role_name as "prod-nodes"
	f.resource == "prod-nodes"
}
