package eksiam.rules.node_003_test

import rego.v1

import data.eksiam.lib.testing as t
import data.eksiam.rules.node_003 as check

with_attachment(arn) := t.with_resource(t.node_documented, "aws_iam_role_policy_attachment", "extra", {
	"role": "${aws_iam_role.node_role.name}",
	"policy_arn": arn,
})

ssm := "arn:${data.aws_partition.node_partition.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"

ipv6_policy(statements) := t.with_resource(
	t.with_resource(t.node_documented, "aws_iam_policy", "node_ipv6_cni", {
		"name": "AmazonEKS_CNI_IPv6_Policy",
		"policy": json.marshal({"Version": "2012-10-17", "Statement": statements}),
	}),
	"aws_iam_role_policy_attachment", "node_ipv6_cni_policy", {
		"role": "${aws_iam_role.node_role.name}",
		"policy_arn": "${aws_iam_policy.node_ipv6_cni.arn}",
	},
)

ipv6_documented := [
	{"Effect": "Allow", "Action": ["ec2:AssignIpv6Addresses", "ec2:DescribeInstances", "ec2:DescribeTags", "ec2:DescribeNetworkInterfaces", "ec2:DescribeInstanceTypes"], "Resource": "*"},
	{"Effect": "Allow", "Action": ["ec2:CreateTags"], "Resource": ["arn:${data.aws_partition.node_partition.partition}:ec2:*:*:network-interface/*"]},
]

flagged(inp, fragment) if {
	some f in check.deny with input as inp
	f.id == "EKSIAM-NODE-003"
	contains(f.msg, fragment)
}

test_allow_documented_policies if {
	count(check.deny) == 0 with input as t.node_documented
	count(check.deny) == 0 with input as t.node_snapshot
	count(check.deny) == 0 with input as t.node_plan
}

test_allow_ssm_when_opted_in if {
	count(check.deny) == 0 with input as with_attachment(ssm) with data.eksiam.config.node.allow_ssm_managed_instance_core as true
}

# Within the node role's permissions; EKSIAM-NODE-005 reports it (LOW) unless declared.
test_allow_ssm_core_which_node_005_reports if count(check.deny) == 0 with input as with_attachment(ssm)

test_allow_ipv6_policy_when_opted_in if {
	count(check.deny) == 0 with input as ipv6_policy(ipv6_documented) with data.eksiam.config.node.allow_ipv6_cni as true
}

# The node page documents it for IPv6 clusters ("or an IPv6 policy that you create").
test_allow_ipv6_policy_as_documented_without_opting_in if count(check.deny) == 0 with input as ipv6_policy(ipv6_documented)

test_deny_ipv6_policy_with_more_permissions if {
	statements := array.concat(ipv6_documented, [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}])
	flagged(ipv6_policy(statements), "AmazonEKS_CNI_IPv6_Policy") with data.eksiam.config.node.allow_ipv6_cni as true
}

test_allow_configured_additional_policy_any_partition if {
	inp := with_attachment("arn:aws-cn:iam::aws:policy/CloudWatchAgentServerPolicy")
	count(check.deny) == 0 with input as inp with data.eksiam.config.node.additional_policy_arns as ["arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"]
}

test_deny_unlisted_additional_policy if {
	inp := with_attachment("arn:aws:iam::aws:policy/AmazonS3FullAccess")
	flagged(inp, "AmazonS3FullAccess") with data.eksiam.config.node.additional_policy_arns as ["arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"]
}

test_deny_customer_policy_named_like_a_documented_one if {
	flagged(with_attachment("arn:aws:iam::123456789012:policy/AmazonEKSWorkerNodePolicy"), "arn:aws:iam::123456789012:policy/AmazonEKSWorkerNodePolicy")
}

test_deny_unresolvable_policy_reference if {
	flagged(with_attachment("${var.extra_policy}"), "${var.extra_policy}")
}

test_deny_attachment_by_literal_role_name if {
	inp := t.with_resource(t.node_documented, "aws_iam_role_policy_attachment", "sneaky", {
		"role": "NodeInstanceRole",
		"policy_arn": "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
	})
	flagged(inp, "aws_iam_role_policy_attachment.sneaky")
}

test_deny_attachment_through_data_source_lookup if {
	inp := t.with_resource(
		object.union(t.node_documented, {"data": {"aws_iam_role": {"node": {"name": "NodeInstanceRole"}}}}),
		"aws_iam_role_policy_attachment", "via_lookup", {
			"role": "${data.aws_iam_role.node.name}",
			"policy_arn": "arn:aws:iam::aws:policy/AmazonRDSFullAccess",
		},
	)
	flagged(inp, "AmazonRDSFullAccess")
}

test_deny_in_snapshot if {
	role := t.node_snapshot.RoleDetailList[0]
	extra := array.concat(role.AttachedManagedPolicies, [{"PolicyName": "AmazonS3ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}])
	flagged({"RoleDetailList": [object.union(role, {"AttachedManagedPolicies": extra})]}, "AmazonS3ReadOnlyAccess")
}

copy_named(name, document) := t.with_resource(
	t.with_resource(t.node_documented, "aws_iam_policy", "frozen", {"name": name, "policy": json.marshal(document)}),
	"aws_iam_role_policy_attachment", "frozen", {"role": "${aws_iam_role.node_role.name}", "policy_arn": "${aws_iam_policy.frozen.arn}"},
)

worker_document := data.eksiam.lib.facts.facts.managed_policies.AmazonEKSWorkerNodePolicy.document

test_allow_customer_copy_of_a_documented_policy if {
	count(check.deny) == 0 with input as copy_named("AmazonEKSWorkerNodePolicy", worker_document)
}

test_deny_same_named_copy_with_one_more_action if {
	extra := {"Statement": array.concat(worker_document.Statement, [{"Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": "*"}])}
	flagged(copy_named("AmazonEKSWorkerNodePolicy", extra), "ec2:TerminateInstances")
}

test_allow_registry_pull_only_and_auto_mode_policies_by_arn if {
	count(check.deny) == 0 with input as with_attachment(t.managed_arn(t.node_partition, "AmazonEC2ContainerRegistryPullOnly"))
}

test_deny_undocumented_aws_policy_named_by_arn if {
	flagged(with_attachment("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"), "cannot be read")
}
