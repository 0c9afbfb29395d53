# Adapter tests: every input shape gives the same normalized view of the documented roles.
package eksiam.lib.view_test

import rego.v1

import data.eksiam.lib.testing as t
import data.eksiam.lib.view

summary(role) := {
	"kind": role.kind,
	"trust": [[p.id | some p in s.principals] | some s in role.trust_statements],
	"inline": sort([p.name | some p in role.inline_policies]),
	"managed": sort([m.name | some m in role.managed_policies; m.aws_managed]),
}

node_summary := {
	"kind": "node",
	"trust": [["ec2.amazonaws.com"]],
	"inline": [],
	"managed": sort(t.node_policy_names),
}

connector_summary := {
	"kind": "connector",
	"trust": [["ssm.amazonaws.com"]],
	"inline": ["AmazonEKSConnectorAgentPolicy"],
	"managed": [],
}

test_allow_synth_shape if {
	view.kind == "synth" with input as t.node_documented
	[summary(r) | some r in view.eksiam_roles] == [node_summary] with input as t.node_documented
	[summary(r) | some r in view.eksiam_roles] == [connector_summary] with input as t.connector_documented
}

test_allow_plan_shape if {
	view.kind == "plan" with input as t.node_plan
	[summary(r) | some r in view.eksiam_roles] == [node_summary] with input as t.node_plan
	[summary(r) | some r in view.eksiam_roles] == [connector_summary] with input as t.connector_plan
}

test_allow_hcp_shape if {
	view.kind == "hcp" with input as t.hcp(t.node_plan)
	[summary(r) | some r in view.eksiam_roles] == [node_summary] with input as t.hcp(t.node_plan)
	[summary(r) | some r in view.eksiam_roles] == [connector_summary] with input as t.hcp(t.connector_plan)
}

test_allow_snapshot_shape if {
	view.kind == "snapshot" with input as t.node_snapshot
	[summary(r) | some r in view.eksiam_roles] == [node_summary] with input as t.node_snapshot
	[summary(r) | some r in view.eksiam_roles] == [connector_summary] with input as t.connector_snapshot
}

test_allow_snapshot_documents_as_strings if {
	role := object.union(t.connector_snapshot.RoleDetailList[0], {
		"AssumeRolePolicyDocument": urlquery.encode(json.marshal(t.connector_trust)),
		"RolePolicyList": [{"PolicyName": "AmazonEKSConnectorAgentPolicy", "PolicyDocument": json.marshal(t.connector_policy_in("aws"))}],
		"Tags": [{"Key": "eksiam:role", "Value": "connector"}],
	})
	[r] := view.eksiam_roles with input as {"RoleDetailList": [role]}
	summary(r) == connector_summary
	r.identified_by == "tag"
	r.resource == "arn:aws:iam::123456789012:role/AmazonEKSConnectorAgentRole"
}

test_deny_unknown_shape if {
	view.kind == "unknown" with input as {"Roles": []}
	count(view.roles) == 0 with input as {"Roles": []}
}

# A role created with name_prefix has no name until apply: the plan links its attachments
# only through configuration references.
test_allow_plan_links_through_configuration_references if {
	plan := t.plan(
		[
			t.change("aws_iam_role", "node_role", {"name_prefix": "nodes-", "assume_role_policy": json.marshal(t.node_trust)}),
			t.change("aws_iam_role_policy_attachment", "cni", {"policy_arn": "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"}),
		],
		[t.config("aws_iam_role_policy_attachment", "cni", {"role": {"references": ["aws_iam_role.node_role.name", "aws_iam_role.node_role"]}})],
	)
	[r] := view.eksiam_roles with input as plan
	r.identified_by == "address"
	r.name == null
	[m.name | some m in r.managed_policies] == ["AmazonEKS_CNI_Policy"]
}

test_allow_plan_in_modules_with_instance_keys if {
	plan := {
		"format_version": "1.2",
		"resource_changes": [
			{"address": "module.eks[0].aws_iam_role.node_role", "mode": "managed", "type": "aws_iam_role", "name": "node_role", "change": {"actions": ["create"], "after": {"assume_role_policy": json.marshal(t.node_trust)}}},
			{"address": "module.eks[0].aws_iam_role_policy_attachment.x[\"cni\"]", "mode": "managed", "type": "aws_iam_role_policy_attachment", "name": "x", "change": {"actions": ["create"], "after": {"policy_arn": "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"}}},
		],
		"configuration": {"root_module": {"module_calls": {"eks": {"module": {"resources": [
			{"address": "aws_iam_role_policy_attachment.x", "expressions": {"role": {"references": ["aws_iam_role.node_role.id", "aws_iam_role.node_role"]}}},
		]}}}}},
	}
	[r] := view.eksiam_roles with input as plan
	r.resource == "module.eks[0].aws_iam_role.node_role"
	[m.resource | some m in r.managed_policies] == ["module.eks[0].aws_iam_role_policy_attachment.x[\"cni\"]"]
	count(view.unresolved_links) == 0 with input as plan
}

test_deny_plan_skips_deleted_resources if {
	deleted := object.union(t.change("aws_iam_role_policy_attachment", "node_policy_0", {}), {"change": {"actions": ["delete"], "after": null}})
	plan := json.patch(t.node_plan, [{"op": "replace", "path": "/resource_changes/1", "value": deleted}])
	[r] := view.eksiam_roles with input as plan
	count(r.managed_policies) == 2
}

test_allow_plan_from_planned_values_only if {
	plan := {
		"format_version": "1.2",
		"terraform_version": "1.11.0",
		"planned_values": {"root_module": {"resources": [
			{"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role", "name": "r", "values": {"name": "NodeInstanceRole", "assume_role_policy": json.marshal(t.node_trust)}},
			{"address": "aws_iam_role_policy_attachment.a", "mode": "managed", "type": "aws_iam_role_policy_attachment", "name": "a", "values": {"role": "NodeInstanceRole", "policy_arn": "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"}},
		]}},
	}
	[r] := view.eksiam_roles with input as plan
	r.identified_by == "name"
	[m.name | some m in r.managed_policies] == ["AmazonEKS_CNI_Policy"]
}

test_allow_link_forms if {
	doc := t.with_resource(
		t.with_resource(t.node_documented, "aws_iam_role_policy", "by_id", {"role": "${aws_iam_role.node_role.id}", "name": "A", "policy": "{}"}),
		"aws_iam_policy_attachment", "by_list", {"roles": ["${aws_iam_role.node_role.name}"], "policy_arn": "arn:aws:iam::aws:policy/X"},
	)
	[r] := view.eksiam_roles with input as doc
	[p.resource | some p in r.inline_policies] == ["aws_iam_role_policy.by_id"]
	"aws_iam_policy_attachment.by_list" in {m.resource | some m in r.managed_policies}
}

test_allow_exclusive_attachments_mark_what_they_keep if {
	doc := t.with_resource(t.node_documented, "aws_iam_role_policy_attachments_exclusive", "x", {
		"role_name": "${aws_iam_role.node_role.name}",
		"policy_arns": ["arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"],
	})
	[r] := view.eksiam_roles with input as doc
	kept := {m.name | some m in r.managed_policies; m.retained}
	dropped := {m.name | some m in r.managed_policies; not m.retained}
	kept == {"AmazonEKSWorkerNodePolicy"}
	dropped == {"AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"}
}
