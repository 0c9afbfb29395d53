# The managed policies of a Terraform role (for lib/terraform.rego): every
# attachment that reaches it, each policy ARN resolved to what it names however it is
# written, and what Terraform removes on apply (authoritative lists, exclusive attachments).
package eksiam.lib.managed

import rego.v1

import data.eksiam.lib.expression
import data.eksiam.lib.iam
import data.eksiam.lib.terraform

# `retained` is false only where Terraform removes the policy on apply. A policy whose
# attaching resource may or may not exist (count / for_each not literal) is kept, as it may be
# there, but with its identity unknown: no rule may count it as a documented policy, and every
# rule that judges what a role holds fails it as unknown.
# Each role's managed policies, by the role's address. A rule, not a function, for
# lib/terraform.rego to read: OPA's policy API loads one module at a time, so two modules may
# not call each other's functions. Built per distinct address, so a repeated one cannot clash.
by_role := {address: policies |
	some address in {r.address | some r in terraform.role_rows}
	policies := [p | some r in terraform.role_rows; r.address == address; some p in managed_policies(r)]
}

managed_policies(role) := [object.union(m, {
	"retained": count(removal_reasons(role, m)) == 0,
	"uncertain": managed_uncertain(role, m),
}) |
	some m in declared_managed(role)
]

declared_managed(role) := array.concat(
	array.concat(
		array.concat(
			[managed(arn, role, "managed_policy_arns", role.address) |
				"managed_policy_arns" in role.configured
				some arn in iam.as_list(object.get(role.values, "managed_policy_arns", []))
			],
			state_managed(role),
		),
		[managed(object.get(r.values, "policy_arn", null), r, "policy_arn", r.address) |
			some r in terraform.linked(role)
			r.type in {"aws_iam_role_policy_attachment", "aws_iam_policy_attachment"}
		],
	),
	[managed(arn, r, "policy_arns", r.address) |
		some r in terraform.linked(role)
		r.type == "aws_iam_role_policy_attachments_exclusive"
		some arn in policy_arns_of(r)
	],
)

# A list of ARNs, or one unknown entry when the list itself is unknown until apply.
policy_arns_of(r) := iam.as_list(r.values.policy_arns) if is_array(r.values.policy_arns)

policy_arns_of(r) := [null] if not is_array(r.values.policy_arns)

# What a plan shows the role holding, configured or not: `managed_policy_arns` in its
# `after` (a refreshed plan's state, so a policy attached out of band is there) and not
# attached by any resource of the input, still attached after apply.
state_managed(role) := [managed(arn, role, "managed_policy_arns", role.address) |
	not "managed_policy_arns" in role.configured
	some arn in iam.as_list(object.get(role.values, "managed_policy_arns", []))
	is_string(arn)
	not attached_by_resource(role, arn)
]

attached_by_resource(role, arn) if {
	some r in terraform.linked(role)
	r.type in {"aws_iam_role_policy_attachment", "aws_iam_policy_attachment"}
	same_arn(object.get(r.values, "policy_arn", null), arn)
}

attached_by_resource(role, arn) if {
	some r in terraform.linked(role)
	r.type == "aws_iam_role_policy_attachments_exclusive"
	some listed in iam.as_list(object.get(r.values, "policy_arns", []))
	same_arn(listed, arn)
}

same_arn(a, b) if {
	is_string(a)
	is_string(b)
	iam.arn_equal(normal_arn(a), normal_arn(b))
}

normal_arn(a) := expression.arn_template(a) if expression.kind(a) == "arn"

normal_arn(a) := a if expression.kind(a) != "arn"

# Why a declared policy may be missing after apply, or null: the attaching resource may not
# exist, an authoritative list leaves it out, or an exclusive attachment of the same policy
# leaves out this role.
managed_uncertain(_, m) := m.uncertain if m.uncertain != null

managed_uncertain(role, m) := reason if {
	m.uncertain == null
	reasons := [r | some r in removal_reasons(role, m)]
	count(reasons) > 0
	reason := reasons[0]
}

managed_uncertain(role, m) := null if {
	m.uncertain == null
	count(removal_reasons(role, m)) == 0
}

removal_reasons(role, m) := array.concat(
	["an authoritative list of the role's managed policies leaves it out" |
		some arns in managed_exclusive_lists(role)
		not listed(m, arns)
	],
	[sprintf("%s attaches this policy exclusively, to other principals only, so Terraform detaches it from this role", [x.address]) |
		some x in exclusive_attachments
		x.address != m.resource
		not terraform.links_to(x, "roles", role)
		same_policy(managed(object.get(x.values, "policy_arn", null), x, "policy_arn", x.address), m)
	],
)

# aws_iam_policy_attachment manages every attachment of its policy in the account: the
# policy stays only on the users, groups and roles it lists.
exclusive_attachments := [r | some r in terraform.link_rows; r.type == "aws_iam_policy_attachment"]

same_policy(a, b) if {
	a.policy_resource != null
	a.policy_resource == b.policy_resource
}

same_policy(a, b) if same_arn(a.arn, b.arn)

# Authoritative lists of managed policy ARNs: managed_policy_arns on the role, and
# aws_iam_role_policy_attachments_exclusive; Terraform detaches whatever they omit.
managed_exclusive_lists(role) := array.concat(
	[iam.as_list(object.get(role.values, "managed_policy_arns", [])) | "managed_policy_arns" in role.configured],
	[iam.as_list(object.get(r.values, "policy_arns", [])) |
		some r in terraform.linked(role)
		r.type == "aws_iam_role_policy_attachments_exclusive"
	],
)

listed(m, arns) if {
	some arn in arns
	arn == m.arn
}

listed(m, arns) if {
	some arn in arns
	same_arn(arn, m.arn)
}

# managed(arn, holder, attr, resource): one attached policy. `arn` is a literal ARN or one
# whose only interpolations are the partition and the account (resolved to an aws_iam_policy
# of this input when it names one), a single reference to an aws_iam_policy of this input
# (then its name and document are known) or to a data.aws_iam_policy lookup, or something
# the gate cannot read: then `unknown` is true and the policy counts as no documented one.
managed(arn, holder, attr, resource) := object.union(
	{
		"arn": terraform.string_or_null(arn),
		"resource": resource,
		"document": null,
		"statements": [],
		"policy_resource": null,
		"unknown": false,
		"uncertain": terraform.uncertain(holder),
	},
	identity,
) if {
	identity := policy_identity(arn, holder, attr)
	terraform.uncertain(holder) == null
}

managed(arn, holder, _, resource) := {
	"arn": terraform.string_or_null(arn),
	"resource": resource,
	"document": null,
	"statements": [],
	"policy_resource": null,
	"name": null,
	"account": null,
	"aws_managed": false,
	"unknown": true,
	"uncertain": terraform.uncertain(holder),
} if terraform.uncertain(holder) != null

policy_identity(arn, holder, attr) := customer_policy(policy) if {
	expression.kind(arn) in {"literal", "arn"}
	[policy] := arn_policies(normal_arn(arn))
} else := {"name": p.path_name, "account": p.account, "aws_managed": p.aws_managed} if {
	expression.kind(arn) in {"literal", "arn"}
	p := iam.parse_policy_arn(normal_arn(arn))
} else := customer_policy(policy) if {
	[policy] := referenced_rows(terraform.policy_rows, arn, holder, attr)
} else := looked_up if {
	[lookup] := referenced_rows(terraform.data_rows, arn, holder, attr)
	looked_up := data_policy_identity(lookup.values)
} else := {"name": null, "account": null, "aws_managed": false, "unknown": true}

customer_policy(policy) := {
	"name": terraform.string_or_null(object.get(policy.values, "name", object.get(policy.values, "name_prefix", null))),
	"account": "self",
	"aws_managed": false,
	"document": doc,
	"statements": iam.statements(doc),
	"policy_resource": policy.address,
} if {
	doc := iam.document_or_null(object.get(policy.values, "policy", null))
}

# The aws_iam_policy resources of this input a customer policy ARN names (by path and name;
# a role can only hold policies of its own account, so the account does not tell them apart).
arn_policies(arn) := [policy |
	p := iam.parse_policy_arn(arn)
	not p.aws_managed
	some rows in terraform.policy_rows
	some policy in rows
	concat("", [object.get(policy.values, "path", "/"), object.get(policy.values, "name", "")]) == concat("", ["/", p.path_name])
]

# The rows a reference names: the instance it keys when it has a key, else the only instance.
referenced_rows(table, arn, holder, attr) := [row |
	some ref in policy_refs(arn, holder, attr)
	some row in object.get(table, ref, [])
	instance_match(row, arn)
]

# A row without an instance key stands for every instance (Terraform JSON); a reference
# without a key, or an unknown value linked through the configuration, names every instance.
instance_match(row, _) if not contains(row.address, "[")

instance_match(_, arn) if not is_string(arn)

instance_match(_, arn) if expression.instance_reference(arn) == expression.reference(arn)

instance_match(row, arn) if {
	key := expression.instance_reference(arn)
	key != expression.reference(arn)
	endswith(row.address, key)
}

data_policy_identity(values) := {"name": p.path_name, "account": p.account, "aws_managed": p.aws_managed} if {
	p := iam.parse_policy_arn(values.arn)
} else := {"name": terraform.string_or_null(object.get(values, "name", null)), "account": null, "aws_managed": false}

# References of one ARN: its own single reference when it is one, else (unknown in a plan)
# the attribute's configured reference.
policy_refs(arn, _, _) := expression.references(arn) if is_string(arn)

policy_refs(arn, holder, attr) := object.get(holder.refs, attr, []) if not is_string(arn)
