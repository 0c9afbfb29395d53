package eksiam.lib.iam_test

import rego.v1

import data.eksiam.lib.iam

test_allow_action_wildcards_and_case if {
	iam.action_matches("ssmmessages:*", "ssmmessages:OpenDataChannel")
	iam.action_matches("SSMMESSAGES:open*", "ssmmessages:OpenDataChannel")
	iam.action_matches("*", "sts:AssumeRole")
	iam.action_matches("sts:AssumeRol?", "sts:AssumeRole")
}

test_deny_action_mismatches if {
	not iam.action_matches("ssmmessages:Create*", "ssmmessages:OpenDataChannel")
	not iam.action_matches("ssm:*", "ssmmessages:OpenDataChannel")
	# Glob syntax other than * and ? is literal in IAM.
	not iam.action_matches("ssmmessages:{Open,Create}DataChannel", "ssmmessages:OpenDataChannel")
}

test_allow_partition_agnostic_arns if {
	iam.arn_equal("arn:aws-cn:iam::aws:policy/X", "arn:${data.aws_partition.p.partition}:iam::aws:policy/X")
	iam.arn_equal("arn:aws-us-gov:iam::aws:policy/X", "arn:aws:iam::aws:policy/X")
	iam.aws_managed_policy("arn:aws-us-gov:iam::aws:policy/AmazonEKS_CNI_Policy", "AmazonEKS_CNI_Policy")
}

test_deny_foreign_partition_and_account if {
	not iam.arn_equal("arn:aws-evil:iam::aws:policy/X", "arn:aws:iam::aws:policy/X")
	not iam.aws_managed_policy("arn:aws:iam::123456789012:policy/AmazonEKS_CNI_Policy", "AmazonEKS_CNI_Policy")
}

test_allow_resource_cover if {
	iam.resource_covers("*", "arn:<partition>:eks:*:*:cluster/*")
	iam.resource_covers("arn:aws:eks:*:*:cluster/*", "arn:<partition>:eks:*:*:cluster/*")
	not iam.resource_covers("arn:aws:eks:us-east-1:*:cluster/*", "arn:<partition>:eks:*:*:cluster/*")
}

test_allow_document_forms if {
	doc := {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}}
	iam.parse_document(doc) == doc
	iam.parse_document(json.marshal(doc)) == doc
	iam.parse_document(urlquery.encode(json.marshal(doc))) == doc
	iam.document_or_null("not a policy") == null
	[s.principals | some s in iam.statements(doc)] == [[{"type": "*", "id": "*"}]]
}
