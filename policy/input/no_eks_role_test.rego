package eksiam.rules.input_001_test

import rego.v1

import data.eksiam.lib.testing as t
import data.eksiam.rules.input_001 as check

test_allow_every_documented_input if {
	count(check.deny) == 0 with input as t.connector_documented
	count(check.deny) == 0 with input as t.node_documented
	count(check.deny) == 0 with input as t.node_snapshot
	count(check.deny) == 0 with input as t.connector_plan
	count(check.deny) == 0 with input as t.hcp(t.node_plan)
}

test_allow_role_recognized_by_configured_name if {
	role := object.union(t.node_snapshot.RoleDetailList[0], {"RoleName": "prod-nodes"})
	count(check.deny) == 0 with input as {"RoleDetailList": [role]} with data.eksiam.config.node.role_name as "prod-nodes"
}

test_deny_unknown_shape if {
	some f in check.deny with input as {"hello": "world"}
	f.id == "EKSIAM-INPUT-001"
	f.resource == "input"
	contains(f.msg, "is not a cdk.tf.json")
}

test_deny_empty_snapshot if {
	some f in check.deny with input as {"RoleDetailList": []}
	contains(f.msg, "snapshot input holds no role")
}

test_deny_unrecognizable_role if {
	# Tag, address and name all changed: nothing says this is an EKS role any more.
	doc := t.node_documented
	role := object.union(json.remove(doc.resource.aws_iam_role.node_role, ["tags"]), {"name": "Renamed"})
	inp := json.patch(doc, [
		{"op": "remove", "path": "/resource/aws_iam_role/node_role"},
		{"op": "add", "path": "/resource/aws_iam_role/worker", "value": role},
	])
	some f in check.deny with input as inp
	contains(f.msg, "(1 other roles)")
}

test_deny_hcp_input_without_eks_role if {
	# The gate's rule itself stays fail-closed on HCP's input shape; only the policy set
	# (data.eksiam.hcp) leaves a workspace without EKS roles alone.
	bucket := t.plan([t.change("aws_s3_bucket", "logs", {"bucket": "acme-logs"})], [])
	some f in check.deny with input as t.hcp(bucket)
	contains(f.msg, "The hcp input holds no role recognizable as an EKS role")
}

test_deny_input_of_two_shapes if {
	inp := object.union(t.node_plan, {"plan": t.connector_plan})
	[f] := [f | some f in check.deny with input as inp]
	contains(f.msg, "more than one kind of input (hcp, plan)")
}

test_allow_array_resource_without_terraform_block if {
	inp := {"resource": [{"aws_iam_role": t.node_documented.resource.aws_iam_role}, {"aws_iam_role_policy_attachment": t.node_documented.resource.aws_iam_role_policy_attachment}]}
	count(check.deny) == 0 with input as inp
}
