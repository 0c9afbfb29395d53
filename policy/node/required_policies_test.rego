package eksiam.rules.node_002_test

import rego.v1

import data.eksiam.lib.testing as t
import data.eksiam.rules.node_002 as check

build_input(arns) := t.node_synth(t.node_trust, arns)

missing(inp, name) if {
	some f in check.deny with input as inp
	f.id == "EKSIAM-NODE-002"
	contains(f.msg, sprintf("policy %s attached", [name]))
}

test_allow_documented_policies if count(check.deny) == 0 with input as t.node_documented

test_allow_every_partition if {
	every p in ["aws", "aws-cn", "aws-us-gov"] {
		count(check.deny) == 0 with input as build_input([t.managed_arn(p, n) | some n in t.node_policy_names])
	}
}

test_allow_managed_policy_arns_argument if {
	inp := t.with_role(t.without_resource(t.without_resource(t.without_resource(
		t.node_documented, "aws_iam_role_policy_attachment", "node_policy_0"),
		"aws_iam_role_policy_attachment", "node_policy_1"),
		"aws_iam_role_policy_attachment", "node_policy_2"),
		{"managed_policy_arns": t.node_policy_arns})
	count(check.deny) == 0 with input as inp
}

test_allow_snapshot_plan_hcp if {
	count(check.deny) == 0 with input as t.node_snapshot
	count(check.deny) == 0 with input as t.node_plan
	count(check.deny) == 0 with input as t.hcp(t.node_plan)
}

test_deny_cni_policy_missing if {
	missing(build_input([t.node_policy_arns[0], t.node_policy_arns[2]]), "AmazonEKS_CNI_Policy")
}

test_deny_customer_policy_with_the_same_name if {
	arns := [t.node_policy_arns[0], t.node_policy_arns[1], "arn:aws:iam::123456789012:policy/AmazonEC2ContainerRegistryReadOnly"]
	missing(build_input(arns), "AmazonEC2ContainerRegistryReadOnly")
}

test_deny_policy_at_another_path if {
	arns := [t.node_policy_arns[0], t.node_policy_arns[1], "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerRegistryReadOnly"]
	missing(build_input(arns), "AmazonEC2ContainerRegistryReadOnly")
}

test_deny_invalid_partition if {
	arns := [t.node_policy_arns[0], t.node_policy_arns[1], "arn:aws-evil:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"]
	missing(build_input(arns), "AmazonEC2ContainerRegistryReadOnly")
}

test_deny_detached_by_exclusive_attachments if {
	inp := t.with_resource(t.node_documented, "aws_iam_role_policy_attachments_exclusive", "only", {
		"role_name": "${aws_iam_role.node_role.name}",
		"policy_arns": [t.node_policy_arns[0]],
	})
	missing(inp, "AmazonEKS_CNI_Policy")
	missing(inp, "AmazonEC2ContainerRegistryReadOnly")
}

test_deny_empty_managed_policy_arns_detaches_all if {
	inp := t.with_role(t.node_documented, {"managed_policy_arns": []})
	count(check.deny) == 3 with input as inp
}

test_deny_missing_in_snapshot if {
	role := object.union(t.node_snapshot.RoleDetailList[0], {"AttachedManagedPolicies": []})
	count(check.deny) == 3 with input as {"RoleDetailList": [role]}
}

without_cni := [arn | some arn in t.node_policy_arns; not contains(arn, "AmazonEKS_CNI_Policy")]

test_deny_cni_policy_missing_by_default if {
	inp := t.node_synth(t.node_trust, without_cni)
	some f in check.deny with input as inp
	contains(f.msg, "AmazonEKS_CNI_Policy")
}

test_allow_cni_policy_on_irsa_when_configured if {
	inp := t.node_synth(t.node_trust, without_cni)
	count(check.deny) == 0 with input as inp with data.eksiam.config.node.cni_policy_on_irsa as true
}

test_allow_cni_policy_on_irsa_when_the_role_declares_it if {
	synth := t.node_synth(t.node_trust, without_cni)
	role := synth.resource.aws_iam_role.node_role
	inp := object.union(synth, {"resource": {"aws_iam_role": {"node_role": object.union(role, {"tags": object.union(role.tags, {"eksiam:opt-in": "cni-on-irsa"})})}}})
	count(check.deny) == 0 with input as inp
}

test_deny_irsa_declaration_excuses_only_the_cni_policy if {
	others := [arn | some arn in t.node_policy_arns; not contains(arn, "AmazonEKSWorkerNodePolicy")]
	count(check.deny) == 1 with input as t.node_synth(t.node_trust, others) with data.eksiam.config.node.cni_policy_on_irsa as true
}
