package eksiam.rules.input_003_test

import rego.v1

import data.eksiam.lib.testing as t
import data.eksiam.rules.input_003 as check

both_roles := {"RoleDetailList": array.concat(t.connector_snapshot.RoleDetailList, t.node_snapshot.RoleDetailList)}

test_allow_account_with_both_roles if {
	count(check.deny) == 0 with input as both_roles
}

test_allow_disabled_role_absent if {
	count(check.deny) == 0 with input as t.node_snapshot
		with data.eksiam.config.connector.enabled as false
		with data.eksiam.config.gate.require_roles as both
}

test_allow_terraform_inputs_with_one_role if {
	count(check.deny) == 0 with input as t.node_documented
	count(check.deny) == 0 with input as t.hcp(t.node_plan)
}

both := ["connector", "node"]

test_allow_account_without_eks_connector if {
	# Most EKS accounts never register an external cluster: no connector role is needed.
	count(check.deny) == 0 with input as t.node_snapshot
	count(check.deny) == 0 with input as {"RoleDetailList": []}
}

connector_service_linked_role := {
	"RoleName": "AWSServiceRoleForAmazonEKSConnector",
	"Path": "/aws-service-role/eks-connector.amazonaws.com/",
	"Arn": "arn:aws:iam::123456789012:role/aws-service-role/eks-connector.amazonaws.com/AWSServiceRoleForAmazonEKSConnector",
	"AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "eks-connector.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
}

test_deny_connector_missing_where_the_account_uses_eks_connector if {
	inp := {"RoleDetailList": array.concat(t.node_snapshot.RoleDetailList, [connector_service_linked_role])}
	some f in check.deny with input as inp
	f.id == "EKSIAM-INPUT-003"
	f.resource == "AmazonEKSConnectorAgentRole"
	contains(f.msg, "no EKS connector agent role")
}

test_deny_connector_missing_when_required if {
	some f in check.deny with input as t.node_snapshot with data.eksiam.config.gate.require_roles as ["connector"]
	f.resource == "AmazonEKSConnectorAgentRole"
}

test_deny_both_missing_from_empty_account_when_required if {
	count(check.deny) == 2 with input as {"RoleDetailList": []} with data.eksiam.config.gate.require_roles as both
}

test_deny_auto_mode_node_role_required if {
	some f in check.deny with input as t.node_snapshot with data.eksiam.config.gate.require_roles as ["auto-node"]
	f.resource == "AmazonEKSAutoNodeRole"
}

test_deny_renamed_role_uses_configured_name if {
	some f in check.deny with input as t.connector_snapshot
		with data.eksiam.config.node.role_name as "prod-nodes"
		with data.eksiam.config.gate.require_roles as both
	f.resource == "prod-nodes"
}
