# What the AWS documents (the project's seeds) specify for the two roles, transcribed once
# so every rule compares against the same text:
#   connector: https://docs.aws.amazon.com/eks/latest/userguide/connector_IAM_role.html
#   node:      https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
package eksiam.lib.documented

import rego.v1

# The one service each role's trust policy lets assume it, with sts:AssumeRole.
service_principal := {
	"connector": "ssm.amazonaws.com",
	"node": "ec2.amazonaws.com",
}

assume_action := "sts:AssumeRole"

connector_policy_name := "AmazonEKSConnectorAgentPolicy"

# The document's console procedure checks for AmazonEKSConnectorAgentPolicy as a *managed*
# policy, where its CLI and CloudFormation variants put the same document inline. A customer
# managed policy of that name is the console form of the documented policy (never an
# AWS-managed one: AWS publishes no policy of that name).
connector_console_policy(policy) if {
	policy.retained
	not policy.aws_managed
	policy.name == connector_policy_name
}

# The policies that carry the connector's permissions, whichever form the role uses.
connector_permission_policies(role) := array.concat(
	[p | some p in role.inline_policies; p.retained],
	[p | some p in role.managed_policies; connector_console_policy(p)],
)

# AmazonEKSConnectorAgentPolicy: each action with the one resource the document grants it on.
# The partition of the control-channel ARN is whichever the role lives in.
connector_grants := {
	"ssmmessages:CreateControlChannel": "arn:<partition>:eks:*:*:cluster/*",
	"ssmmessages:CreateDataChannel": "*",
	"ssmmessages:OpenDataChannel": "*",
	"ssmmessages:OpenControlChannel": "*",
}

# The three AWS-managed policies the node role must have.
node_required_policies := {
	"AmazonEKSWorkerNodePolicy",
	"AmazonEKS_CNI_Policy",
	"AmazonEC2ContainerRegistryReadOnly",
}

# Opt-in, when data.eksiam.config.node.allow_ssm_managed_instance_core is true: Session
# Manager access to the nodes, which the EKS docs suggest in place of SSH.
node_ssm_policy := "AmazonSSMManagedInstanceCore"

# Opt-in, when data.eksiam.config.node.allow_ipv6_cni is true: AWS publishes no managed
# policy for the VPC CNI on IPv6 clusters, only this document to create as a customer
# policy of this name (https://docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html).
ipv6_cni_policy_name := "AmazonEKS_CNI_IPv6_Policy"

ipv6_cni_grants := {
	"ec2:AssignIpv6Addresses": "*",
	"ec2:DescribeInstances": "*",
	"ec2:DescribeTags": "*",
	"ec2:DescribeNetworkInterfaces": "*",
	"ec2:DescribeInstanceTypes": "*",
	"ec2:CreateTags": "arn:<partition>:ec2:*:*:network-interface/*",
}

# AWS-managed policies that grant administrator or IAM-administrator power. None belongs
# on an EKS role, whatever an allowlist says: any of them lets the role (and every pod
# that can reach the node's instance profile) take over the account.
privileged_policies := {
	"AdministratorAccess",
	"AdministratorAccess-Amplify",
	"AdministratorAccess-AWSElasticBeanstalk",
	"PowerUserAccess",
	"IAMFullAccess",
	"job-function/SystemAdministrator",
}

# Actions that, allowed on every resource by a customer policy, amount to the same power.
privileged_actions := {"*", "iam:*"}
