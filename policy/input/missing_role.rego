# METADATA
# title: Every configured EKS role exists in the account
# description: >-
#   Both AWS documents start with "check for an existing role": search the account's roles for
#   AmazonEKSConnectorAgentRole / NodeInstanceRole and create the role when it is not there.
#   In a live IAM snapshot each enabled role must therefore be present. Terraform inputs are
#   not held to this, since each stack carries one of the roles.
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/userguide/connector_IAM_role.html
#   - https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
# custom:
#   id: EKSIAM-INPUT-003
#   severity: HIGH
#   recommended_action: >-
#     Create the role (`make deploy`, or adopt an existing one with import_existing = true),
#     or set enabled = false for it in eksiam.toml if this account does not need it.
package eksiam.rules.input_003

import rego.v1

import data.eksiam.lib.config
import data.eksiam.lib.result
import data.eksiam.lib.view

documented_name := {"connector": "EKS connector agent role", "node": "EKS worker node role"}

deny contains finding if {
	view.kind == "snapshot"
	some kind in ["connector", "node"]
	config.setting(kind, "enabled") == true
	count([r | some r in view.eksiam_roles; r.kind == kind]) == 0
	name := config.setting(kind, "role_name")
	msg := sprintf("The account has no %s: no role tagged eksiam:role = %s, named %s (or as CloudFormation names it), or holding its policies.", [documented_name[kind], kind, name])
	finding := result.finding(rego.metadata.chain(), name, msg)
}
