package eksiam.rules.role_004_test

import rego.v1

import data.eksiam.lib.testing as t
import data.eksiam.rules.role_004 as check

policy_arn(name) := sprintf("arn:aws:eks::aws:cluster-access-policy/%s", [name])

associate(name, scope) := t.with_resource(t.node_documented, "aws_eks_access_policy_association", "nodes", {
	"cluster_name": "demo",
	"principal_arn": "${aws_iam_role.node_role.arn}",
	"policy_arn": policy_arn(name),
	"access_scope": [{"type": scope}],
})

flagged(inp, fragment) if {
	some f in check.deny with input as inp
	f.id == "EKSIAM-ROLE-004"
	f.severity == "CRITICAL"
	contains(f.msg, fragment)
}

test_allow_documented_role if count(check.deny) == 0 with input as t.node_documented

test_deny_cluster_admin_on_the_node_role if {
	flagged(associate("AmazonEKSClusterAdminPolicy", "cluster"), "AmazonEKSClusterAdminPolicy")
	flagged(associate("AmazonEKSClusterAdminPolicy", "namespace"), "AmazonEKSClusterAdminPolicy")
}

test_deny_edit_on_the_whole_cluster if flagged(associate("AmazonEKSEditPolicy", "cluster"), "AmazonEKSEditPolicy")

test_allow_edit_in_a_namespace_and_view if {
	count(check.deny) == 0 with input as associate("AmazonEKSEditPolicy", "namespace")
	count(check.deny) == 0 with input as associate("AmazonEKSViewPolicy", "cluster")
}

test_deny_unreadable_policy_arn if {
	inp := t.with_resource(associate("AmazonEKSViewPolicy", "cluster"), "aws_eks_access_policy_association", "nodes", {"policy_arn": "${var.policy}"})
	flagged(inp, "cannot be read")
}

test_deny_system_masters_group if {
	inp := t.with_resource(t.node_documented, "aws_eks_access_entry", "nodes", {
		"cluster_name": "demo", "principal_arn": "${aws_iam_role.node_role.arn}",
		"type": "STANDARD", "kubernetes_groups": ["system:masters"],
	})
	flagged(inp, "system:masters")
}

test_allow_association_for_another_role if {
	inp := t.with_resource(t.node_documented, "aws_eks_access_policy_association", "admins", {
		"cluster_name": "demo", "principal_arn": "arn:aws:iam::123456789012:role/platform-admins",
		"policy_arn": policy_arn("AmazonEKSClusterAdminPolicy"), "access_scope": [{"type": "cluster"}],
	})
	count(check.deny) == 0 with input as inp
}
