# The one classification of inputs (lib/kind.rego), also what the gate's Python asks.
package eksiam.lib.kind_test

import rego.v1

import data.eksiam.lib.kind
import data.eksiam.lib.testing as t

test_allow_each_shape_is_its_kind if {
	kind.kind == "synth" with input as t.node_documented
	kind.kind == "plan" with input as t.node_plan
	kind.kind == "hcp" with input as t.hcp(t.node_plan)
	kind.kind == "snapshot" with input as t.node_snapshot
}

test_allow_array_resource_without_terraform_block_is_synth if {
	inp := {"resource": [{"aws_iam_role": t.node_documented.resource.aws_iam_role}]}
	kind.kind == "synth" with input as inp
}

test_deny_plan_with_an_inner_plan_is_ambiguous if {
	inp := object.union(t.node_plan, {"plan": t.connector_plan})
	kind.kind == "ambiguous" with input as inp
	kind.shapes == {"plan", "hcp"} with input as inp
}

test_deny_snapshot_with_a_resource_section_is_ambiguous if {
	inp := object.union(t.node_snapshot, {"resource": t.node_documented.resource})
	kind.kind == "ambiguous" with input as inp
}

test_deny_state_and_other_documents_are_unknown if {
	kind.kind == "unknown" with input as {"format_version": "1.0", "terraform_version": "1.11.0", "values": {}}
	kind.kind == "unknown" with input as {"Roles": []}
}
