# Adapter tests: Terraform's meaning in the Terraform adapters (synth, plan, terraform): count
# and for_each, values that are not one reference, repeated addresses, exclusive attachments,
# a plan's state, policy ARNs of the input's own policies.
package eksiam.lib.terraform_test

import rego.v1

import data.eksiam.lib.terraform
import data.eksiam.lib.testing as t
import data.eksiam.lib.view

worker_arn := t.node_policy_arns[0]

node_role(inp) := r if {
	[r] := [r | some r in view.roles; r.resource == "aws_iam_role.node_role"] with input as inp
}

managed_named(inp, name) := [m | some m in node_role(inp).managed_policies; m.name == name]

with_attachment(doc, name, values) := t.with_resource(doc, "aws_iam_role_policy_attachment", name, values)

# --- count / for_each ------------------------------------------------------------------

test_deny_count_zero_attaches_nothing if {
	inp := with_attachment(t.node_documented, "node_policy_0", {"count": 0})
	managed_named(inp, "AmazonEKSWorkerNodePolicy") == []
}

test_deny_empty_for_each_creates_no_inline_policy if {
	inp := t.with_resource(t.connector_documented, "aws_iam_role_policy", "connector_agent_policy", {"for_each": {}})
	[r] := view.roles with input as inp
	r.inline_policies == []
}

# An attachment that may or may not exist: never the documented policy, always judged.
test_deny_count_expression_is_not_shown_to_exist if {
	inp := with_attachment(t.node_documented, "node_policy_0", {"count": "${var.enabled ? 1 : 0}"})
	managed_named(inp, "AmazonEKSWorkerNodePolicy") == []
	[m] := [m | some m in node_role(inp).managed_policies; m.resource == "aws_iam_role_policy_attachment.node_policy_0"]
	m.retained == true
	m.unknown == true
	m.arn == worker_arn
	contains(m.uncertain, "count or for_each is not a literal")
}

test_deny_inline_policy_of_unknown_count_has_no_known_document if {
	inp := t.with_resource(t.connector_documented, "aws_iam_role_policy", "connector_agent_policy", {"for_each": "${toset(var.names)}"})
	[r] := view.roles with input as inp
	[p] := r.inline_policies
	p.document == null
	p.retained == true
	p.uncertain != null
}

test_allow_literal_count_and_for_each_exist if {
	inp := with_attachment(with_attachment(t.node_documented, "node_policy_0", {"count": 1}), "node_policy_1", {"for_each": {"one": "x"}})
	every name in ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"] {
		[m] := managed_named(inp, name)
		m.retained == true
		m.uncertain == null
	}
}

# --- unknown values ----------------------------------------------------------------------

customer_policy := {"name": "ops", "policy": json.marshal(t.node_trust)}

with_customer_policy(arn) := with_attachment(
	t.with_resource(t.node_documented, "aws_iam_policy", "ops", customer_policy),
	"ops", {"role": "${aws_iam_role.node_role.name}", "policy_arn": arn},
)

test_deny_conditional_policy_arn_is_unknown if {
	inp := with_customer_policy(`${aws_iam_policy.ops.arn == "" ? "" : "arn:aws:iam::aws:policy/AdministratorAccess"}`)
	[m] := [m | some m in node_role(inp).managed_policies; m.resource == "aws_iam_role_policy_attachment.ops"]
	m.unknown == true
	m.name == null
	m.policy_resource == null
}

test_deny_template_around_a_reference_is_unknown if {
	inp := with_customer_policy("${aws_iam_policy.ops.arn}-v2")
	[m] := [m | some m in node_role(inp).managed_policies; m.resource == "aws_iam_role_policy_attachment.ops"]
	m.unknown == true
}

test_allow_single_reference_resolves_to_the_policy if {
	inp := with_customer_policy("${ aws_iam_policy.ops.arn }")
	[m] := managed_named(inp, "ops")
	m.unknown == false
	m.policy_resource == "aws_iam_policy.ops"
}

test_deny_role_given_by_an_expression_is_unresolved if {
	inp := with_attachment(t.node_documented, "extra", {
		"role": "${aws_iam_role.node_role.path == \"/\" ? aws_iam_role.node_role.name : \"x\"}",
		"policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
	})
	some link in view.unresolved_links with input as inp
	link.address == "aws_iam_role_policy_attachment.extra"
}

test_allow_role_given_by_one_reference_resolves if {
	count(view.unresolved_links) == 0 with input as t.node_documented
}

# A plan of a configuration written in Terraform JSON keeps the template text.
plan_attachment(expression) := t.plan(
	array.concat(t.node_plan.resource_changes, [
		t.change("aws_iam_policy", "ops", customer_policy),
		t.change("aws_iam_role_policy_attachment", "ops", {"role": "NodeInstanceRole"}),
	]),
	[t.config("aws_iam_role_policy_attachment", "ops", {"policy_arn": expression})],
)

test_deny_plan_configuration_template_is_unknown if {
	inp := plan_attachment({"constant_value": "${aws_iam_policy.ops.arn == \"\" ? \"\" : \"arn:aws:iam::aws:policy/AdministratorAccess\"}", "references": ["aws_iam_policy.ops.arn", "aws_iam_policy.ops"]})
	[m] := [m | some m in node_role(inp).managed_policies; m.resource == "aws_iam_role_policy_attachment.ops"]
	m.unknown == true
}

test_deny_plan_configuration_of_two_traversals_is_unknown if {
	inp := plan_attachment({"references": ["aws_iam_policy.ops.arn", "aws_iam_policy.ops", "var.suffix"]})
	[m] := [m | some m in node_role(inp).managed_policies; m.resource == "aws_iam_role_policy_attachment.ops"]
	m.unknown == true
}

test_allow_plan_configuration_of_one_reference if {
	every expression in [
		{"references": ["aws_iam_policy.ops.arn", "aws_iam_policy.ops"]},
		{"constant_value": "${aws_iam_policy.ops.arn}", "references": ["aws_iam_policy.ops.arn", "aws_iam_policy.ops"]},
	] {
		[m] := managed_named(plan_attachment(expression), "ops")
		m.policy_resource == "aws_iam_policy.ops"
	}
}

# --- repeated addresses ----------------------------------------------------------------------

repeated_plan := object.union(t.plan(
	array.concat(t.node_plan.resource_changes, [
		object.union(t.change("aws_iam_policy", "ops", customer_policy), {"address": "aws_iam_policy.ops[\"a\"]", "index": "a"}),
		object.union(t.change("aws_iam_policy", "ops", customer_policy), {"address": "aws_iam_policy.ops[\"b\"]", "index": "b"}),
	]),
	[
		t.config("aws_iam_policy", "ops", {}),
		{"address": "output.o", "expressions": {"value": {"constant_value": {"resources": [{"address": "x"}, {"address": "x"}]}}}},
	],
), {"prior_state": {"values": {"root_module": {"resources": [
	{"address": "data.aws_iam_policy_document.d[\"a\"]", "mode": "data", "type": "aws_iam_policy_document", "name": "d", "values": {"json": "{}"}},
	{"address": "data.aws_iam_policy_document.d[\"b\"]", "mode": "data", "type": "aws_iam_policy_document", "name": "d", "values": {"json": "[]"}},
]}}}})

test_allow_repeated_static_addresses if {
	count(terraform.policy_rows["aws_iam_policy.ops"]) == 2 with input as repeated_plan
	count(terraform.data_rows["data.aws_iam_policy_document.d"]) == 2 with input as repeated_plan
	count(view.eksiam_roles) == 1 with input as repeated_plan
}

test_deny_a_reference_to_one_of_several_instances_stays_that_instance if {
	inp := with_attachment(
		t.with_resource(t.node_documented, "aws_iam_policy", "ops", object.union(customer_policy, {"for_each": {"a": 1}})),
		"ops", {"role": "${aws_iam_role.node_role.name}", "policy_arn": "${aws_iam_policy.ops[\"a\"].arn}"},
	)
	[m] := managed_named(inp, "ops")
	m.policy_resource == "aws_iam_policy.ops"
}

# --- exclusive attachments -------------------------------------------------------------------

exclusive(roles) := t.with_resource(
	t.with_resource(t.node_documented, "aws_iam_role", "other", {"name": "other", "assume_role_policy": json.marshal(t.node_trust)}),
	"aws_iam_policy_attachment", "worker", {"name": "worker", "policy_arn": worker_arn, "roles": roles},
)

test_deny_exclusive_attachment_to_another_role_detaches if {
	[m] := managed_named(exclusive(["${aws_iam_role.other.name}"]), "AmazonEKSWorkerNodePolicy")
	m.retained == false
	contains(m.uncertain, "aws_iam_policy_attachment.worker attaches this policy exclusively")
}

test_allow_exclusive_attachment_listing_the_role if {
	policies := managed_named(exclusive(["${aws_iam_role.other.name}", "${aws_iam_role.node_role.name}"]), "AmazonEKSWorkerNodePolicy")
	count(policies) == 2
	every m in policies {
		m.retained == true
	}
}

# --- a plan's state ----------------------------------------------------------------------------

# The role's configuration does not set managed_policy_arns: the planned value is its state.
refreshed(arns) := json.patch(t.node_plan, [
	{"op": "add", "path": "/resource_changes/0/change/after/managed_policy_arns", "value": arns},
	{"op": "add", "path": "/configuration/root_module/resources/-", "value": t.config("aws_iam_role", "node_role", {"name": {"constant_value": "NodeInstanceRole"}})},
])

admin_arn := "arn:aws:iam::aws:policy/AdministratorAccess"

test_deny_out_of_band_policy_in_the_planned_state if {
	some inp in [refreshed(array.concat([admin_arn], [replace(a, t.node_partition, "aws") | some a in t.node_policy_arns])), t.hcp(refreshed([admin_arn]))]
	[m] := managed_named(inp, "AdministratorAccess")
	m.retained == true
	m.resource == "aws_iam_role.node_role"
}

test_allow_state_that_repeats_the_attachments if {
	inp := refreshed([replace(a, t.node_partition, "aws") | some a in t.node_policy_arns])
	count(node_role(inp).managed_policies) == 3
}

test_deny_resource_drift_of_a_role_the_plan_does_not_change if {
	drift := [object.union(t.node_plan.resource_changes[0], {"change": {"actions": ["update"], "after": object.union(
		t.node_plan.resource_changes[0].change.after,
		{"managed_policy_arns": [admin_arn]},
	)}})]
	inp := object.union(
		t.plan(array.slice(t.node_plan.resource_changes, 1, 4), t.node_plan.configuration.root_module.resources),
		{"resource_drift": drift},
	)
	[m] := managed_named(inp, "AdministratorAccess")
	m.retained == true
}

# --- policy ARNs of the input's own policies -------------------------------------------------

star := json.marshal({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})

own_policy(arn, name, path) := with_attachment(
	t.with_resource(t.node_documented, "aws_iam_policy", "ops", {"name": name, "path": path, "policy": star}),
	"ops", {"role": "${aws_iam_role.node_role.name}", "policy_arn": arn},
)

test_deny_literal_and_templated_arns_name_the_input_policy if {
	every arn in [
		"arn:aws:iam::111122223333:policy/team/ops",
		"arn:${data.aws_partition.node_partition.partition}:iam::${data.aws_caller_identity.me.account_id}:policy/team/ops",
	] {
		[m] := managed_named(own_policy(arn, "ops", "/team/"), "ops")
		m.policy_resource == "aws_iam_policy.ops"
		m.document.Statement[0].Action == "*"
	}
}

test_allow_aws_managed_arn_is_not_a_same_named_customer_policy if {
	[m] := managed_named(own_policy(admin_arn, "AdministratorAccess", "/"), "AdministratorAccess")
	m.aws_managed == true
	m.policy_resource == null
}

test_allow_other_path_is_another_policy if {
	[m] := [m | some m in node_role(own_policy("arn:aws:iam::111122223333:policy/ops", "ops", "/team/")).managed_policies; m.resource == "aws_iam_role_policy_attachment.ops"]
	m.policy_resource == null
	m.document == null
}
