# Adapter for a live IAM snapshot: the output of
#   aws iam get-account-authorization-details --filter Role [LocalManagedPolicy]
# ({"RoleDetailList": [...], optionally "Policies": [...]}), as `eksiam verify` writes it.
# Documents may be objects or (URL-encoded) JSON strings, as the IAM API returns them.
package eksiam.lib.snapshot

import rego.v1

import data.eksiam.lib.iam

roles := [role_view(r) | some r in input.RoleDetailList; is_object(r)]

role_view(r) := {
	"resource": object.get(r, "Arn", object.get(r, "RoleName", "unnamed role")),
	"address": null,
	"name": object.get(r, "RoleName", null),
	"name_prefix": null,
	"path": object.get(r, "Path", "/"),
	"tags": {t.Key: object.get(t, "Value", "") | some t in object.get(r, "Tags", []); is_object(t); t.Key},
	"trust_document": trust,
	"trust_statements": iam.statements(trust),
	"permissions_boundary": object.get(r, ["PermissionsBoundary", "PermissionsBoundaryArn"], null),
	"inline_policies": [inline(p, r) | some p in object.get(r, "RolePolicyList", [])],
	"managed_policies": [managed(m, r) | some m in object.get(r, "AttachedManagedPolicies", [])],
	"used_as_node": used_as_node(r),
} if {
	trust := iam.document_or_null(object.get(r, "AssumeRolePolicyDocument", null))
}

inline(p, r) := {
	"name": object.get(p, "PolicyName", null),
	"document": doc,
	"statements": iam.statements(doc),
	"resource": object.get(r, "Arn", object.get(r, "RoleName", "")),
	"retained": true,
	"uncertain": null,
} if {
	doc := iam.document_or_null(object.get(p, "PolicyDocument", null))
}

# A live attachment is what it is: the ARN decides AWS-managed or customer; the document of
# a customer policy is known when the snapshot also carries its Policies entry.
managed(m, r) := {
	"arn": arn,
	"name": identity.name,
	"account": identity.account,
	"aws_managed": identity.aws_managed,
	"document": doc,
	"statements": iam.statements(doc),
	"policy_resource": null,
	"resource": object.get(r, "Arn", object.get(r, "RoleName", "")),
	"retained": true,
	"unknown": false,
	"uncertain": null,
} if {
	arn := object.get(m, "PolicyArn", null)
	identity := arn_identity(arn, m)
	doc := customer_document(arn)
}

arn_identity(arn, m) := {"name": p.path_name, "account": p.account, "aws_managed": p.aws_managed} if {
	p := iam.parse_policy_arn(arn)
} else := {"name": object.get(m, "PolicyName", null), "account": null, "aws_managed": false}

customer_document(arn) := iam.document_or_null(version.Document) if {
	some policy in object.get(input, "Policies", [])
	policy.Arn == arn
	some version in object.get(policy, "PolicyVersionList", [])
	version.IsDefaultVersion == true
} else := null

# Nodes run with an instance profile: one named as the documents name the node role makes its
# role a node role, whatever the role itself is called.
used_as_node(r) := true if {
	some profile in object.get(r, "InstanceProfileList", [])
	data.eksiam.lib.identity.named(object.get(profile, "InstanceProfileName", null), "node")
} else := false
