package eksiam.lib.permissions_test

import rego.v1

import data.eksiam.lib.iam
import data.eksiam.lib.permissions

test_allow_pattern_within_a_wider_pattern if {
	permissions.action_within("ec2:DescribeInst*", "ec2:Describe*")
	permissions.action_within("EC2:describeinstances", "ec2:Describe*")
	permissions.action_within("ec2:Describe?nstances", "ec2:Describe*")
	permissions.action_within("ec2:Describe?nstances", "ec2:Describe?nstances")
	permissions.action_within("s3:GetObject", "*")
	permissions.resource_within("arn:aws-cn:eks:*:*:cluster/*", "arn:aws:eks:*:*:cluster/*")
	permissions.resource_within("arn:aws:eks:eu-west-1:123456789012:cluster/prod", "arn:aws:eks:*:*:cluster/*")
}

test_deny_pattern_wider_than_the_pattern if {
	not permissions.action_within("ec2:Describe*", "ec2:DescribeInst*")
	# `?` stands for one character, `*` for any number: `*` is never within `?`.
	not permissions.action_within("ec2:Describe*", "ec2:Describe?")
	not permissions.action_within("*", "ec2:*")
	not permissions.resource_within("*", "arn:aws:eks:*:*:cluster/*")
	not permissions.resource_within("arn:aws:eks:*:*:cluster/*", "arn:aws:eks:*:*:cluster/prod")
	# Regular-expression characters are literal in IAM patterns.
	not permissions.action_within("ec2:DescribeXnstances", "ec2:Describe.nstances")
}

documented := iam.statements({"Statement": [
	{"Effect": "Allow", "Action": ["ec2:Describe*", "eks:DescribeCluster"], "Resource": "*"},
	{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}},
]})

within(statement) if permissions.statement_within(iam.normalize_statement(statement), documented)

test_allow_statements_within if {
	within({"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"})
	within({"Effect": "Allow", "Action": ["ec2:DescribeVpcs", "eks:describecluster"], "Resource": "arn:aws:eks:eu-west-1:1:cluster/x"})
	# A condition of its own only narrows.
	within({"Effect": "Allow", "Action": "ec2:DescribeVpcs", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}})
	within({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}, "Bool": {"aws:ViaAWSService": "true"}}})
	within({"Effect": "Deny", "Action": "*", "Resource": "*"})
}

test_deny_statements_beyond if {
	not within({"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"})
	not within({"Effect": "Allow", "NotAction": "s3:DeleteBucket", "Resource": "*"})
	not within({"Effect": "Allow", "Action": "ec2:DescribeVpcs", "NotResource": "arn:aws:s3:::x"})
	not within({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"})
	not within({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}})
	not within({"Effect": "Allow", "Action": [], "Resource": "*"})
	not within({"Effect": "Allow", "Action": "ec2:DescribeVpcs"})
	not within({"Effect": "allow", "Action": "ec2:DescribeVpcs", "Resource": "*"})
}

role(managed, inline) := {"managed_policies": managed, "inline_policies": inline}

aws_policy(name) := {"aws_managed": true, "name": name, "document": null, "statements": [], "retained": true}

test_allow_documented_policy_by_arn_covers_itself if {
	permissions.covers(role([aws_policy("AmazonEC2ContainerRegistryPullOnly")], []), "AmazonEC2ContainerRegistryPullOnly")
	# ReadOnly grants everything the pull requirement's first policy does not need: it covers
	# the ReadOnly document, not PullOnly's (BatchImportUpstreamImage is PullOnly's only).
	permissions.covers(role([aws_policy("AmazonEC2ContainerRegistryReadOnly")], []), "AmazonEC2ContainerRegistryReadOnly")
	not permissions.covers(role([aws_policy("AmazonEC2ContainerRegistryReadOnly")], []), "AmazonEC2ContainerRegistryPullOnly")
}

test_deny_unknown_document_covers_nothing if {
	unknown := {"aws_managed": false, "name": "AmazonEC2ContainerRegistryPullOnly", "document": null, "statements": [], "retained": true}
	not permissions.covers(role([unknown], []), "AmazonEC2ContainerRegistryPullOnly")
	not permissions.known(unknown)
	# An AWS-managed policy the pages do not document has no known document either.
	not permissions.known(aws_policy("AmazonS3ReadOnlyAccess"))
}

test_deny_removed_policy_covers_nothing if {
	removed := object.union(aws_policy("AmazonEKSWorkerNodePolicy"), {"retained": false})
	not permissions.covers(role([removed], []), "AmazonEKSWorkerNodePolicy")
}
