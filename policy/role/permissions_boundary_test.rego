package eksiam.rules.role_001_test

import rego.v1

import data.eksiam.lib.testing as t
import data.eksiam.rules.role_001 as check

boundary := "arn:aws:iam::123456789012:policy/Boundary"

test_allow_no_boundary_when_none_is_required if {
	count(check.deny) == 0 with input as t.node_documented
	count(check.deny) == 0 with input as t.connector_documented with data.eksiam.config.connector.permissions_boundary as ""
}

test_allow_required_boundary_present if {
	inp := t.with_role(t.node_documented, {"permissions_boundary": boundary})
	count(check.deny) == 0 with input as inp with data.eksiam.config.node.permissions_boundary as boundary
}

test_allow_boundary_in_other_partition_notation if {
	inp := t.with_role(t.connector_documented, {"permissions_boundary": "arn:${data.aws_partition.connector_agent_partition.partition}:iam::123456789012:policy/Boundary"})
	count(check.deny) == 0 with input as inp with data.eksiam.config.connector.permissions_boundary as boundary
}

test_deny_boundary_missing if {
	some f in check.deny with input as t.node_documented with data.eksiam.config.node.permissions_boundary as boundary
	f.id == "EKSIAM-ROLE-001"
	contains(f.msg, "has no permissions boundary")
}

test_deny_other_boundary if {
	inp := t.with_role(t.connector_documented, {"permissions_boundary": "arn:aws:iam::123456789012:policy/Loose"})
	some f in check.deny with input as inp with data.eksiam.config.connector.permissions_boundary as boundary
	contains(f.msg, "policy/Loose")
}

test_deny_boundary_removed_in_snapshot if {
	some f in check.deny with input as t.node_snapshot with data.eksiam.config.node.permissions_boundary as boundary
	f.resource == "arn:aws:iam::123456789012:role/NodeInstanceRole"
}

test_allow_boundary_in_snapshot if {
	role := object.union(t.node_snapshot.RoleDetailList[0], {"PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}})
	count(check.deny) == 0 with input as {"RoleDetailList": [role]} with data.eksiam.config.node.permissions_boundary as boundary
}
