package eksiam.lib.identity_test

import rego.v1

import data.eksiam.lib.identity

role(address, name, tags) := {"address": address, "name": name, "tags": tags}

test_allow_tag_first if {
	# The tag wins over an address and a name that say otherwise.
	identity.identity(role("aws_iam_role.node_role", "NodeInstanceRole", {"eksiam:role": "connector"})) == {"kind": "connector", "by": "tag"}
}

test_allow_address_when_tag_is_gone_or_unknown if {
	identity.identity(role("aws_iam_role.node_role", "Renamed", {})) == {"kind": "node", "by": "address"}
	identity.identity(role("module.x.aws_iam_role.connector_agent_role[0]", null, {"eksiam:role": "admin"})) == {"kind": "connector", "by": "address"}
}

test_allow_configured_name_last if {
	identity.identity(role(null, "AmazonEKSConnectorAgentRole", {})) == {"kind": "connector", "by": "name"}
	identity.identity(role(null, "prod-nodes", {})) == {"kind": "node", "by": "name"} with data.eksiam.config.node.role_name as "prod-nodes"
}

test_deny_unrecognized_role if {
	identity.identity(role("aws_iam_role.other", "Other", {"team": "x"})) == {"kind": "other", "by": "none"}
	identity.identity(role(null, "prod-nodes-old", {})) == {"kind": "other", "by": "none"} with data.eksiam.config.node.role_name as "prod-nodes"
}

test_allow_configured_and_page_names if {
	identity.identity(role(null, "prod-nodes", {})) == {"kind": "node", "by": "name"} with data.eksiam.config.node.role_name as "prod-nodes"
	# The names the page tells to search for stay node roles whatever is configured.
	every name in ["NodeInstanceRole", "AmazonEKSNodeRole", "eksNodeRole"] {
		identity.identity(role(null, name, {})) == {"kind": "node", "by": "name"} with data.eksiam.config.node.role_name as "prod-nodes"
	}
}

test_allow_cloudformation_and_eksctl_names if {
	identity.identity(role(null, "eks-nodes-NodeInstanceRole-1A2B3C4D5E6F", {})) == {"kind": "node", "by": "name"}
	identity.identity(role(null, "eksctl-demo-nodegroup-ng-1-NodeInstanceRole-ABCDEF123456", {})) == {"kind": "node", "by": "name"}
	identity.identity(role(null, "connector-EKSConnectorAgentRole-XYZ123", {})) == {"kind": "connector", "by": "name"}
}

test_deny_names_that_only_resemble_the_template_form if {
	identity.identity(role(null, "NodeInstanceRole-1A2B", {})) == {"kind": "other", "by": "none"}
	identity.identity(role(null, "x-NodeInstanceRole-not/alnum", {})) == {"kind": "other", "by": "none"}
	identity.identity(role(null, "my-NodeInstanceRoleX-ABC", {})) == {"kind": "other", "by": "none"}
}

content_role(managed, inline) := {"address": "module.m.aws_iam_role.this[0]", "name": null, "tags": {}, "managed_policies": managed, "inline_policies": inline}

test_allow_worker_node_policy_identifies_a_node_role if {
	worker := {"aws_managed": true, "name": "AmazonEKSWorkerNodePolicy", "statements": []}
	identity.identity(content_role([worker], [])) == {"kind": "node", "by": "content"}
}

test_allow_connector_policy_name_or_channel_grant_identifies_a_connector_role if {
	named_policy := {"aws_managed": false, "name": "EKSConnectorAgentPolicy", "statements": []}
	identity.identity(content_role([], [named_policy])) == {"kind": "connector", "by": "content"}
	grant := {"name": "other", "statements": [{"effect": "Allow", "actions": ["ssmmessages:CreateControlChannel"], "resources": ["arn:aws:eks:*:*:cluster/*"]}]}
	identity.identity(object.union(content_role([], [grant]), {"trust_statements": [ssm_trust]})) == {"kind": "connector", "by": "content"}
}

ssm_trust := {"effect": "Allow", "principals": [{"type": "Service", "id": "ssm.amazonaws.com"}]}

ssm_core_statements := [{"effect": "Allow", "actions": ["ssmmessages:CreateControlChannel", "ssmmessages:OpenControlChannel"], "resources": ["*"]}]

test_deny_channel_grants_on_every_resource_do_not_make_a_connector if {
	# AmazonSSMManagedInstanceCore grants the channel actions on "*": a bastion, a hybrid node.
	core := {"aws_managed": true, "name": "AmazonSSMManagedInstanceCore", "statements": ssm_core_statements}
	identity.identity(object.union(content_role([core], []), {"trust_statements": [ssm_trust]})) == {"kind": "other", "by": "none"}
	grant := {"name": "other", "statements": [{"effect": "Allow", "actions": ["ssmmessages:CreateControlChannel"], "resources": ["arn:aws:eks:*:*:cluster/*"]}]}
	ec2_trust := {"effect": "Allow", "principals": [{"type": "Service", "id": "ec2.amazonaws.com"}]}
	identity.identity(object.union(content_role([], [grant]), {"trust_statements": [ec2_trust]})) == {"kind": "other", "by": "none"}
}

test_allow_auto_mode_node_role_by_content_and_name if {
	minimal := {"aws_managed": true, "name": "AmazonEKSWorkerNodeMinimalPolicy", "statements": []}
	identity.identity(content_role([minimal], [])) == {"kind": "auto-node", "by": "content"}
	worker := {"aws_managed": true, "name": "AmazonEKSWorkerNodePolicy", "statements": []}
	identity.identity(content_role([minimal, worker], [])) == {"kind": "node", "by": "content"}
	identity.identity(role(null, "AmazonEKSAutoNodeRole", {})) == {"kind": "auto-node", "by": "name"}
	identity.identity(object.union(content_role([], []), {"used_as_auto_node": true})) == {"kind": "auto-node", "by": "use"}
}

trusted(service) := object.union(content_role([], []), {"trust_statements": [{"effect": "Allow", "principals": [{"type": "Service", "id": service}]}]})

test_allow_recognized_kinds_that_are_not_judged if {
	identity.identity(trusted("eks.amazonaws.com")) == {"kind": "cluster", "by": "trust"}
	identity.identity(trusted("eks-fargate-pods.amazonaws.com")) == {"kind": "fargate", "by": "trust"}
	identity.identity(trusted("pods.eks.amazonaws.com")) == {"kind": "pod", "by": "trust"}
	oidc := {"effect": "Allow", "principals": [{"type": "Federated", "id": "arn:aws:iam::1:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"}]}
	identity.identity(object.union(content_role([], []), {"trust_statements": [oidc]})) == {"kind": "pod", "by": "trust"}
	describe := {"name": "hybrid", "statements": [{"effect": "Allow", "actions": ["eks:DescribeCluster"], "resources": ["*"]}]}
	identity.identity(object.union(content_role([], [describe]), {"trust_statements": [ssm_trust]})) == {"kind": "hybrid", "by": "trust"}
	linked := object.union(role(null, "AWSServiceRoleForAmazonEKSConnector", {}), {"path": "/aws-service-role/eks-connector.amazonaws.com/"})
	identity.identity(linked) == {"kind": "service-linked", "by": "path"}
}

test_deny_ordinary_instance_role_stays_other if {
	s3 := {"aws_managed": true, "name": "AmazonS3ReadOnlyAccess", "statements": []}
	identity.identity(content_role([s3], [])) == {"kind": "other", "by": "none"}
}

test_allow_customer_copy_of_the_worker_node_policy_identifies_a_node_role if {
	copy := {"aws_managed": false, "name": "frozen-worker", "retained": true, "document": {}, "statements": data.eksiam.lib.iam.statements(data.eksiam.lib.facts.facts.managed_policies.AmazonEKSWorkerNodePolicy.document)}
	identity.identity(content_role([copy], [])) == {"kind": "node", "by": "content"}
	part := object.union(copy, {"statements": [object.union(copy.statements[0], {"actions": ["ec2:DescribeInstances"]})]})
	identity.identity(content_role([part], [])) == {"kind": "other", "by": "none"}
}

test_allow_fargate_and_cluster_roles_by_their_policies if {
	fargate := {"aws_managed": true, "name": "AmazonEKSFargatePodExecutionRolePolicy", "statements": []}
	identity.identity(content_role([fargate], [])) == {"kind": "fargate", "by": "content"}
	cluster := {"aws_managed": true, "name": "AmazonEKSClusterPolicy", "statements": []}
	identity.identity(content_role([cluster], [])) == {"kind": "cluster", "by": "content"}
}

test_allow_hybrid_role_by_trust_and_image_pulls if {
	pull := {"aws_managed": true, "name": "AmazonEC2ContainerRegistryPullOnly", "statements": []}
	core := {"aws_managed": true, "name": "AmazonSSMManagedInstanceCore", "statements": ssm_core_statements}
	identity.identity(object.union(content_role([pull, core], []), {"trust_statements": [ssm_trust]})) == {"kind": "hybrid", "by": "trust"}
}
