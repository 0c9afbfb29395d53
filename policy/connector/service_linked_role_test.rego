package eksiam.rules.connector_005_test

import rego.v1

import data.eksiam.rules.connector_005 as check

snapshot(roles) := {"RoleDetailList": roles}

agent_role := {"RoleName": "AmazonEKSConnectorAgentRole", "Path": "/", "Arn": "arn:aws:iam::123456789012:role/AmazonEKSConnectorAgentRole"}

service_linked_role := {
	"RoleName": "AWSServiceRoleForAmazonEKSConnector",
	"Path": "/aws-service-role/eks-connector.amazonaws.com/",
	"Arn": "arn:aws:iam::123456789012:role/aws-service-role/eks-connector.amazonaws.com/AWSServiceRoleForAmazonEKSConnector",
}

test_allow_account_with_the_service_linked_role if {
	count(check.deny) == 0 with input as snapshot([agent_role, service_linked_role])
}

test_deny_account_without_it_names_the_command if {
	some f in check.deny with input as snapshot([agent_role])
	f.id == "EKSIAM-CONNECTOR-005"
	f.severity == "LOW"
	contains(f.msg, "aws iam create-service-linked-role --aws-service-name eks-connector.amazonaws.com")
}

test_allow_when_the_connector_is_not_wanted if {
	count(check.deny) == 0 with input as snapshot([]) with data.eksiam.config.connector.enabled as false
}

test_allow_terraform_inputs_which_cannot_show_an_account if {
	count(check.deny) == 0 with input as {"resource": {"aws_iam_role": {"r": {"name": "x"}}}}
}

test_allow_account_that_does_not_use_eks_connector if {
	node := {"RoleName": "NodeInstanceRole", "Path": "/", "Arn": "arn:aws:iam::123456789012:role/NodeInstanceRole"}
	count(check.deny) == 0 with input as snapshot([node])
}

test_deny_required_connector_without_it if {
	some f in check.deny with input as snapshot([]) with data.eksiam.config.gate.require_roles as ["connector"]
	f.id == "EKSIAM-CONNECTOR-005"
}
