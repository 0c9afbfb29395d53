package eksiam.rules.node_005_test

import rego.v1

import data.eksiam.lib.testing as t
import data.eksiam.rules.node_005 as check

ssm_core(partition) := t.managed_arn(partition, "AmazonSSMManagedInstanceCore")

with_ssm_core := t.node_synth(t.node_trust, array.concat(t.node_policy_arns, [ssm_core(t.node_partition)]))

test_allow_documented_role if count(check.deny) == 0 with input as t.node_documented

test_deny_undeclared_ssm_core if {
	some f in check.deny with input as with_ssm_core
	f.id == "EKSIAM-NODE-005"
	f.severity == "LOW"
	contains(f.msg, "AmazonSSMManagedInstanceCore")
}

test_allow_ssm_core_declared_by_configuration if {
	count(check.deny) == 0 with input as with_ssm_core with data.eksiam.config.node.allow_ssm_managed_instance_core as true
}

test_allow_ssm_core_declared_by_the_role if {
	inp := t.with_role(with_ssm_core, {"tags": {"eksiam:role": "node", "eksiam:opt-in": "ssm-core"}})
	count(check.deny) == 0 with input as inp
}

test_allow_a_customer_policy_of_that_name if {
	# Not AWS's policy: EKSIAM-NODE-003 judges what it grants.
	inp := t.node_synth(t.node_trust, array.concat(t.node_policy_arns, ["arn:aws:iam::123456789012:policy/AmazonSSMManagedInstanceCore"]))
	count(check.deny) == 0 with input as inp
}
