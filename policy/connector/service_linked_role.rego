# METADATA
# title: The account has the EKS connector's service-linked role
# description: >-
#   The EKS connector needs the service-linked role for eks-connector.amazonaws.com
#   (AWSServiceRoleForAmazonEKSConnector), which the documented template creates beside the
#   agent role and registering a cluster creates too. In a live account without it, the
#   connector cannot register a cluster. Judged in an account snapshot (the only input that can
#   show its absence) that has the connector agent role or must have it (EKSIAM-INPUT-003).
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/userguide/connector_IAM_role.html
#   - https://docs.aws.amazon.com/eks/latest/userguide/using-service-linked-roles-eks-connector.html
# custom:
#   id: EKSIAM-CONNECTOR-005
#   severity: LOW
#   recommended_action: >-
#     Create it: aws iam create-service-linked-role --aws-service-name eks-connector.amazonaws.com
#     (or deploy the connector stack with [connector] create_service_linked_role = true).
package eksiam.rules.connector_005

import rego.v1

import data.eksiam.lib.required
import data.eksiam.lib.result
import data.eksiam.lib.view

service_linked_role_path := "/aws-service-role/eks-connector.amazonaws.com/"

# Where the account has (or must have) the connector agent role.
deny contains finding if {
	view.kind == "snapshot"
	connector_wanted
	not has_service_linked_role
	msg := "The account has no service-linked role for eks-connector.amazonaws.com (AWSServiceRoleForAmazonEKSConnector); create it with `aws iam create-service-linked-role --aws-service-name eks-connector.amazonaws.com`."
	finding := result.finding(rego.metadata.chain(), "AWSServiceRoleForAmazonEKSConnector", msg)
}

has_service_linked_role if {
	some role in view.roles
	role.path == service_linked_role_path
}

connector_wanted if required.wanted("connector")

connector_wanted if {
	required.enabled("connector")
	some role in view.eksiam_roles
	role.kind == "connector"
}
