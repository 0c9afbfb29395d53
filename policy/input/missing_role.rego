# METADATA
# title: Every EKS role the account must hold exists in it
# description: >-
#   The pages start with "check for an existing role": search the account's roles and create
#   the role when it is not there. An account snapshot (`verify`, or `check --input` of one)
#   must hold each EKS role it is required to: the kinds `[gate] require_roles` names, and the
#   connector agent role wherever the account shows EKS Connector in use (the service-linked
#   role AWSServiceRoleForAmazonEKSConnector, which registering a cluster creates). An account
#   that does not use EKS Connector needs no connector role. Terraform inputs are not held to
#   this: an app's own stacks each carry the roles they make.
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/userguide/connector-iam-role.html
#   - https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
#   - https://docs.aws.amazon.com/eks/latest/userguide/auto-create-node-role.html
# custom:
#   id: EKSIAM-INPUT-003
#   severity: HIGH
#   recommended_action: >-
#     Create the role (`make deploy`, or adopt an existing one with import_existing = true), or,
#     if this account does not need it, remove it from [gate] require_roles (or set enabled =
#     false for it).
package eksiam.rules.input_003

import rego.v1

import data.eksiam.lib.config
import data.eksiam.lib.documented
import data.eksiam.lib.required
import data.eksiam.lib.result
import data.eksiam.lib.view

documented_name := {"connector": "EKS connector agent role", "node": "EKS worker node role", "auto-node": "EKS Auto Mode node role"}

deny contains finding if {
	some kind in ["connector", "node", "auto-node"]
	required.wanted(kind)
	count([r | some r in view.eksiam_roles; r.kind == kind]) == 0
	name := expected_name(kind)
	msg := sprintf("The account has no %s: no role tagged eksiam:role = %s, named %s (or as CloudFormation names it), or holding its policies.", [documented_name[kind], kind, name])
	finding := result.finding(rego.metadata.chain(), name, msg)
}

expected_name(kind) := config.setting(kind, "role_name") if kind in {"connector", "node"}

expected_name("auto-node") := documented.kinds["auto-node"].name_forms[0]
