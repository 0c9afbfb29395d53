# Changes to a role that no IAM rule can read, in a Terraform input. Much
# can change IAM at apply time without being one of the IAM resources the adapter reads: a
# provisioner's command, a CloudFormation stack, a Cloud Control resource of type AWS::IAM::*,
# a Lambda invocation, a controller a chart installs. Listing those is a race nobody wins, so
# the rule is the other way round: a resource (or a data source, which is read at plan time)
# that refers to an EKS role is an opaque change unless its type is on the list below of
# types known not to change IAM, and no provisioner runs on it.
package eksiam.lib.opaque


import rego.v1

import data.eksiam.lib.terraform

# Managed resource types that cannot change IAM: what they do with a role is use it, name it,
# or grant it something outside IAM that the rules do not judge (Kubernetes RBAC, EKS access).
# The IAM resources here are those this adapter reads and the rules judge.
inert_resource_types := {
	# IAM, read by the adapter
	"aws_iam_role", "aws_iam_role_policy", "aws_iam_role_policy_attachment",
	"aws_iam_policy_attachment", "aws_iam_role_policies_exclusive",
	"aws_iam_role_policy_attachments_exclusive", "aws_iam_policy", "aws_iam_instance_profile",
	"aws_iam_service_linked_role", "aws_iam_openid_connect_provider",
	# EKS: clusters, nodes, access and identities use the role
	"aws_eks_cluster", "aws_eks_node_group", "aws_eks_fargate_profile", "aws_eks_access_entry",
	"aws_eks_access_policy_association", "aws_eks_pod_identity_association", "aws_eks_addon",
	"aws_eks_identity_provider_config",
	# EC2 and Auto Scaling: instances run with the role's instance profile
	"aws_launch_template", "aws_launch_configuration", "aws_autoscaling_group", "aws_instance",
	"aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule",
	"aws_vpc_security_group_egress_rule",
	# values that only store or pass the role's name or ARN
	"aws_ssm_parameter", "aws_cloudwatch_log_group", "aws_cloudwatch_event_rule",
	"aws_cloudwatch_event_target", "aws_sqs_queue", "time_sleep",
	# Kubernetes objects: aws-auth mappings and IRSA annotations are Kubernetes, not IAM
	"kubernetes_config_map", "kubernetes_config_map_v1", "kubernetes_config_map_v1_data",
	"kubernetes_service_account", "kubernetes_service_account_v1",
}

# Data source types that only read (a data source runs when the plan is made).
inert_data_types := {
	"aws_iam_policy_document", "aws_iam_role", "aws_iam_policy", "aws_iam_instance_profile",
	"aws_iam_session_context", "aws_partition", "aws_caller_identity", "aws_region",
	"aws_eks_cluster", "aws_eks_cluster_auth", "aws_eks_addon_version", "aws_eks_node_group",
	"aws_ssm_parameter", "aws_ami", "aws_availability_zones", "aws_vpc", "aws_subnet",
	"aws_subnets",
}

changes := [{"resource": r.address, "role": role.address, "why": opaque_reason(r)} |
	some r in terraform.resources
	opaque(r)
	some role in terraform.role_rows
	r.address != role.address
	touches(r, role)
]

opaque(r) if r.provisioned

opaque_reason(r) := "a provisioner runs a command on it at apply time" if r.provisioned

opaque_reason(r) := sprintf("%s is no resource type known not to change IAM", [r.type]) if not r.provisioned

opaque(r) if {
	r.mode == "managed"
	not r.type in inert_resource_types
}

opaque(r) if {
	r.mode == "data"
	not r.type in inert_data_types
}

touches(r, role) if terraform.static_address(role.address) in object.get(r.refs, terraform.any_attribute, [])

# The role's name anywhere in its values (a command line, a template body), as a whole name
# (the characters around it are none a role name can hold), in any case, as IAM compares names.
touches(r, role) if {
	name := role.values.name
	is_string(name)
	name != ""
	pattern := sprintf(`(?i)(^|[^A-Za-z0-9+=,.@_-])%s($|[^A-Za-z0-9+=,.@_-])`, [regex_quote(name)])
	walk(r.values, [_, value])
	is_string(value)
	regex.match(pattern, value)
}

regex_quote(s) := regex.replace(s, `([.+=@,\-])`, `\$1`)
