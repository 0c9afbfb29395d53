package eksiam.rules.role_002_test

import rego.v1

import data.eksiam.lib.testing as t
import data.eksiam.rules.role_002 as check

test_allow_root_path if count(check.deny) == 0 with input as t.node_documented

test_allow_nested_path if {
	count(check.deny) == 0 with input as t.with_role(t.connector_documented, {"path": "/eks/connector/"})
}

test_allow_default_path_when_unset if {
	count(check.deny) == 0 with input as json.remove(t.node_documented, ["resource/aws_iam_role/node_role/path"])
}

test_allow_configured_path if {
	inp := t.with_role(t.node_documented, {"path": "/eks/"})
	count(check.deny) == 0 with input as inp with data.eksiam.config.node.path as "/eks/"
}

test_deny_path_without_trailing_slash if {
	some f in check.deny with input as t.with_role(t.node_documented, {"path": "/eks"})
	f.id == "EKSIAM-ROLE-002"
	contains(f.msg, `"/eks", which is not a valid IAM path`)
}

test_deny_path_with_space if {
	count(check.deny) == 1 with input as t.with_role(t.node_documented, {"path": "/a b/"})
}

test_deny_path_other_than_configured if {
	some f in check.deny with input as t.node_documented with data.eksiam.config.node.path as "/eks/"
	contains(f.msg, `the configured path is "/eks/"`)
}
