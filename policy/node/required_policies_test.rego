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

test_allow_registry_pull_only if {
	names := ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly"]
	count(check.deny) == 0 with input as build_input([t.managed_arn("aws", n) | some n in names])
}

# A customer copy of a documented AWS-managed policy, its document in the same input.
copy_of(doc, name) := t.with_resource(
	t.with_resource(doc, "aws_iam_policy", "copy", {"name": name, "policy": json.marshal(data.eksiam.lib.facts.facts.managed_policies[name].document)}),
	"aws_iam_role_policy_attachment", "node_policy_1", {"role": "${aws_iam_role.node_role.name}", "policy_arn": "${aws_iam_policy.copy.arn}"},
)

test_allow_customer_copy_of_a_documented_policy if {
	count(check.deny) == 0 with input as copy_of(t.node_documented, "AmazonEKS_CNI_Policy")
}

test_deny_copy_missing_an_action if {
	doc := data.eksiam.lib.facts.facts.managed_policies.AmazonEKS_CNI_Policy.document
	statements := [object.union(s, {"Action": array.slice(s.Action, 1, count(s.Action))}) | some s in doc.Statement; is_array(s.Action)]
	inp := t.with_resource(
		t.with_resource(t.node_documented, "aws_iam_policy", "copy", {"name": "AmazonEKS_CNI_Policy", "policy": json.marshal({"Statement": statements})}),
		"aws_iam_role_policy_attachment", "node_policy_1", {"role": "${aws_iam_role.node_role.name}", "policy_arn": "${aws_iam_policy.copy.arn}"},
	)
	missing(inp, "AmazonEKS_CNI_Policy")
}

# The VPC CNI's own IRSA role in the same input carries its permissions.
cni_irsa_role := {
	"name": "vpc-cni",
	"assume_role_policy": json.marshal({"Statement": [{
		"Effect": "Allow",
		"Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"},
		"Action": "sts:AssumeRoleWithWebIdentity",
		"Condition": {"StringEquals": {"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:kube-system:aws-node"}},
	}]}),
}

node_without_cni := t.node_synth(t.node_trust, without_cni)

test_allow_cni_on_the_vpc_cni_irsa_role_in_the_input if {
	inp := t.with_resource(
		t.with_resource(node_without_cni, "aws_iam_role", "vpc_cni", cni_irsa_role),
		"aws_iam_role_policy_attachment", "vpc_cni", {"role": "${aws_iam_role.vpc_cni.name}", "policy_arn": t.managed_arn("aws", "AmazonEKS_CNI_Policy")},
	)
	count(check.deny) == 0 with input as inp
}

test_deny_irsa_role_without_the_cni_permissions if {
	inp := t.with_resource(node_without_cni, "aws_iam_role", "vpc_cni", cni_irsa_role)
	missing(inp, "AmazonEKS_CNI_Policy")
}

test_allow_pod_identity_association_for_aws_node if {
	inp := t.with_resource(node_without_cni, "aws_eks_pod_identity_association", "cni", {
		"cluster_name": "demo", "namespace": "kube-system", "service_account": "aws-node", "role_arn": "arn:aws:iam::123456789012:role/vpc-cni",
	})
	count(check.deny) == 0 with input as inp
}

auto_mode(names) := {"resource": {
	"aws_iam_role": {"auto": {"name": "AmazonEKSAutoNodeRole", "assume_role_policy": json.marshal(t.node_trust)}},
	"aws_iam_role_policy_attachment": {n: {"role": "${aws_iam_role.auto.name}", "policy_arn": t.managed_arn("aws", n)} | some n in names},
}}

test_allow_auto_mode_node_role_by_its_own_page if {
	count(check.deny) == 0 with input as auto_mode(["AmazonEKSWorkerNodeMinimalPolicy", "AmazonEC2ContainerRegistryPullOnly"])
}

test_deny_auto_mode_node_role_without_its_minimal_policy if {
	missing(auto_mode(["AmazonEC2ContainerRegistryPullOnly"]), "AmazonEKSWorkerNodeMinimalPolicy")
}
