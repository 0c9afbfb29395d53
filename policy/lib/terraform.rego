# Turns a table of Terraform resources (from lib/synth.rego or lib/plan.rego) into the
# normalized view of roles: each aws_iam_role with every inline policy and managed policy
# that any resource in the input links to it. Links are followed the ways Terraform
# allows: `${aws_iam_role.x.name}` / `.id` / `.arn`, a `data.aws_iam_role` lookup, or the
# literal role name; documents are read from JSON strings.
package eksiam.lib.terraform

import rego.v1

import data.eksiam.lib.iam

# The attributes through which a resource names a role or a policy.
link_attributes := {"role", "roles", "role_name", "policy_arn", "policy_arns", "managed_policy_arns", "permissions_boundary"}

# The key under which a row's references hold every address the resource names anywhere.
any_attribute := "*"

# The resource types that attach permissions to a role, and the attribute naming the role.
link_types := {
	"aws_iam_role_policy": "role",
	"aws_iam_role_policy_attachment": "role",
	"aws_iam_policy_attachment": "roles",
	"aws_iam_role_policies_exclusive": "role_name",
	"aws_iam_role_policy_attachments_exclusive": "role_name",
}

row(mode, type, name, values, refs, configured) := {
	"address": address(mode, type, name),
	"mode": mode,
	"type": type,
	"name": name,
	"values": values,
	"refs": refs,
	"configured": {k | some k in configured},
}

address(mode, type, name) := sprintf("data.%s.%s", [type, name]) if mode == "data"

address(mode, type, name) := sprintf("%s.%s", [type, name]) if mode != "data"

# Address without instance keys (`module.m[0].aws_iam_role.r["a"]` -> `module.m.aws_iam_role.r`),
# the form configuration references use.
static_address(address) := regex.replace(address, `\[[^\]]*\]`, "")

# --- the table, whichever adapter filled it ------------------------------------------

resources := data.eksiam.lib.synth.resources if data.eksiam.lib.view.kind == "synth"

resources := data.eksiam.lib.plan.resources if data.eksiam.lib.view.kind in {"plan", "hcp"}

role_rows := [r | some r in resources; r.mode == "managed"; r.type == "aws_iam_role"]

policy_rows := {static_address(r.address): r | some r in resources; r.mode == "managed"; r.type == "aws_iam_policy"}

data_rows := {static_address(r.address): r | some r in resources; r.mode == "data"}

link_rows := [r | some r in resources; r.mode == "managed"; link_types[r.type]]

# --- links -------------------------------------------------------------------------

# links_to(row, attr, role): `row`'s attribute `attr` names `role`.
links_to(row, attr, role) if {
	some ref in object.get(row.refs, attr, [])
	ref == static_address(role.address)
}

links_to(row, attr, role) if {
	some ref in object.get(row.refs, attr, [])
	startswith(ref, "data.aws_iam_role.")
	lookup := data_rows[ref]
	some name in [object.get(lookup.values, "name", null), object.get(lookup.values, "role_name", null)]
	is_string(name)
	name == role.values.name
}

links_to(row, attr, role) if {
	some value in literal_strings(object.get(row.values, attr, null))
	name_of_role_reference(value) == role.values.name
}

literal_strings(value) := [s | some s in iam.as_list(value); is_string(s); not contains(s, "${")]

# A role is named by its name, or by its ARN (arn:…:iam::acct:role/path/Name).
name_of_role_reference(value) := value if not startswith(value, "arn:")

name_of_role_reference(value) := parts[count(parts) - 1] if {
	startswith(value, "arn:")
	parts := split(value, "/")
}

linked(role) := [r | some r in link_rows; links_to(r, link_types[r.type], role)]

# A link whose role resolves to no role in this input: the gate cannot tell which role it
# changes, so EKSIAM-INPUT-002 reports it rather than passing it.
unresolved_links := [r |
	some r in link_rows
	not resolves(r)
]

resolves(r) if {
	some role in role_rows
	links_to(r, link_types[r.type], role)
}

# --- roles -------------------------------------------------------------------------

roles := [role_view(role) | some role in role_rows]

role_view(role) := {
	"resource": role.address,
	"address": role.address,
	"name": string_or_null(object.get(role.values, "name", null)),
	"name_prefix": string_or_null(object.get(role.values, "name_prefix", null)),
	"path": role_path(role.values),
	"tags": role_tags(role.values),
	"trust_document": trust,
	"trust_statements": iam.statements(trust),
	"permissions_boundary": string_or_null(object.get(role.values, "permissions_boundary", null)),
	"inline_policies": inline_policies(role),
	"managed_policies": managed_policies(role),
	"used_as_node": used_as_node(role),
} if {
	trust := iam.document_or_null(object.get(role.values, "assume_role_policy", null))
}

string_or_null(x) := x if is_string(x)

string_or_null(x) := null if not is_string(x)

# Terraform's default path is "/".
role_path(values) := p if {
	p := values.path
	is_string(p)
} else := "/"

role_tags(values) := t if {
	t := values.tags
	is_object(t)
	count(t) > 0
} else := t if {
	t := values.tags_all
	is_object(t)
} else := {}

# --- inline policies ---------------------------------------------------------------

inline_policies(role) := [object.union(p, {"retained": retained_inline(role, p)}) | some p in declared_inline(role)]

declared_inline(role) := array.concat(
	array.concat(role_inline_blocks(role), role_policy_resources(role)),
	exclusive_only_names(role),
)

# `inline_policy { … }` blocks on the role itself, written out or as a `dynamic` block (whose
# content is a template the gate cannot expand: its document is judged unreadable unless
# literal); an empty block is not a policy. Whatever a plan says the role will hold counts,
# configured or not.
role_inline_blocks(role) := array.concat(
	[inline(object.get(b, "name", null), object.get(b, "policy", null), role.address) |
		some b in iam.as_list(object.get(role.values, "inline_policy", []))
		is_object(b)
		not empty_block(b)
	],
	[inline(object.get(b.content, "name", null), object.get(b.content, "policy", null), role.address) |
		some d in iam.as_list(object.get(role.values, "dynamic", []))
		is_object(d)
		some block in iam.as_list(object.get(d, "inline_policy", []))
		some b in iam.as_list(block)
		is_object(b)
		is_object(b.content)
	],
)

empty_block(b) if {
	not b.name
	not b.policy
}

role_policy_resources(role) := [inline(object.get(r.values, "name", null), object.get(r.values, "policy", null), r.address) |
	some r in linked(role)
	r.type == "aws_iam_role_policy"
]

# Names an aws_iam_role_policies_exclusive keeps although nothing in the input defines them:
# inline policies that exist outside this input, content unknown.
exclusive_only_names(role) := [{"name": n, "document": null, "statements": [], "resource": r.address} |
	some r in linked(role)
	r.type == "aws_iam_role_policies_exclusive"
	some n in iam.as_list(object.get(r.values, "policy_names", []))
	not n in defined_inline_names(role)
]

defined_inline_names(role) := {p.name | some p in array.concat(role_inline_blocks(role), role_policy_resources(role))}

inline(name, policy, resource) := {
	"name": string_or_null(name),
	"document": doc,
	"statements": iam.statements(doc),
	"resource": resource,
} if {
	doc := iam.document_or_null(policy)
}

# Authoritative lists of inline policy names: Terraform removes every inline policy of the
# role that such a list does not name (an empty `inline_policy {}` block removes all).
inline_exclusive_lists(role) := array.concat(
	[{n | some n in iam.as_list(object.get(r.values, "policy_names", []))} |
		some r in linked(role)
		r.type == "aws_iam_role_policies_exclusive"
	],
	[{b.name | some b in iam.as_list(object.get(role.values, "inline_policy", [])); is_object(b); b.name} |
		"inline_policy" in role.configured
	],
)

retained_inline(role, policy) := false if {
	some names in inline_exclusive_lists(role)
	not policy.name in names
} else := true

# --- managed policies --------------------------------------------------------------

managed_policies(role) := [object.union(m, {"retained": retained_managed(role, m)}) | some m in declared_managed(role)]

declared_managed(role) := array.concat(
	array.concat(
		[managed(arn, role, "managed_policy_arns", role.address) |
			"managed_policy_arns" in role.configured
			some arn in iam.as_list(object.get(role.values, "managed_policy_arns", []))
		],
		[managed(object.get(r.values, "policy_arn", null), r, "policy_arn", r.address) |
			some r in linked(role)
			r.type in {"aws_iam_role_policy_attachment", "aws_iam_policy_attachment"}
		],
	),
	[managed(arn, r, "policy_arns", r.address) |
		some r in linked(role)
		r.type == "aws_iam_role_policy_attachments_exclusive"
		some arn in iam.as_list(object.get(r.values, "policy_arns", []))
	],
)

# Authoritative lists of managed policy ARNs: managed_policy_arns on the role, and
# aws_iam_role_policy_attachments_exclusive; Terraform detaches whatever they omit.
managed_exclusive_lists(role) := array.concat(
	[iam.as_list(object.get(role.values, "managed_policy_arns", [])) | "managed_policy_arns" in role.configured],
	[iam.as_list(object.get(r.values, "policy_arns", [])) |
		some r in linked(role)
		r.type == "aws_iam_role_policy_attachments_exclusive"
	],
)

retained_managed(role, m) := false if {
	some arns in managed_exclusive_lists(role)
	not listed(m, arns)
} else := true

listed(m, arns) if {
	some arn in arns
	arn == m.arn
}

listed(m, arns) if {
	some arn in arns
	is_string(m.arn)
	iam.arn_equal(arn, m.arn)
}

# managed(arn, holder, attr, resource): one attached policy. `arn` is a literal ARN, or a
# reference to an aws_iam_policy of this input (then its name and document are known), or
# a data.aws_iam_policy lookup, or something that cannot be resolved (name unknown).
managed(arn, holder, attr, resource) := object.union(
	{"arn": string_or_null(arn), "resource": resource, "document": null, "statements": [], "policy_resource": null},
	identity,
) if {
	identity := policy_identity(arn, holder, attr)
}

policy_identity(arn, holder, attr) := {"name": p.path_name, "account": p.account, "aws_managed": p.aws_managed} if {
	is_string(arn)
	not contains(iam.canonical_arn(arn), "${") # a partition lookup is the only interpolation
	p := iam.parse_policy_arn(arn)
} else := customer if {
	some ref in policy_refs(arn, holder, attr)
	policy := policy_rows[ref]
	name := object.get(policy.values, "name", object.get(policy.values, "name_prefix", null))
	doc := iam.document_or_null(object.get(policy.values, "policy", null))
	customer := {
		"name": string_or_null(name),
		"account": "self",
		"aws_managed": false,
		"document": doc,
		"statements": iam.statements(doc),
		"policy_resource": policy.address,
	}
} else := looked_up if {
	some ref in policy_refs(arn, holder, attr)
	lookup := data_rows[ref]
	looked_up := data_policy_identity(lookup.values)
} else := {"name": null, "account": null, "aws_managed": false}

data_policy_identity(values) := {"name": p.path_name, "account": p.account, "aws_managed": p.aws_managed} if {
	p := iam.parse_policy_arn(values.arn)
} else := {"name": string_or_null(object.get(values, "name", null)), "account": null, "aws_managed": false}

# References of one ARN: from its own interpolation when it has one, else from the attribute.
policy_refs(arn, _, _) := interpolated_addresses(arn) if {
	is_string(arn)
	contains(arn, "${")
}

policy_refs(arn, holder, attr) := object.get(holder.refs, attr, []) if not is_string(arn)

# `${aws_iam_role.node_role.name}` -> "aws_iam_role.node_role"; works inside larger
# expressions (`${element(aws_iam_role.x.*.name, 0)}`) and for data sources.
interpolated_addresses(s) := [] if not contains(s, "${")

interpolated_addresses(s) := [m[0] |
	some m in regex.find_all_string_submatch_n(`(?:data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_-]+`, s, -1)
] if contains(s, "${")

# --- use: what makes a role an EKS node role, whoever made it ------------------------

# A role referenced by a node group, by an EC2_LINUX / EC2_WINDOWS access entry (Karpenter,
# self-managed nodes), or through an instance profile that EKS nodes run with.
node_users := [r |
	some r in resources
	r.mode == "managed"
	node_user(r)
]

node_user(r) if r.type == "aws_eks_node_group"

node_user(r) if {
	r.type == "aws_eks_access_entry"
	object.get(r.values, "type", "") in {"EC2_LINUX", "EC2_WINDOWS"}
}

node_user(r) if {
	r.type == "aws_iam_instance_profile"
	node_instance_profile(r)
}

# An instance profile EKS nodes run with: named as the documents name the node role (the
# seed's template names its profile's role NodeInstanceRole), or given to nodes by a launch
# template that a node group, or an autoscaling group tagged for a cluster, uses.
node_instance_profile(profile) if data.eksiam.lib.identity.named(object.get(profile.values, "name", null), "node")

node_instance_profile(profile) if {
	some template in node_launch_templates
	static_address(profile.address) in object.get(template.refs, any_attribute, [])
}

node_launch_templates := [t |
	some t in resources
	t.type in {"aws_launch_template", "aws_launch_configuration"}
	some user in resources
	launches_nodes(user)
	static_address(t.address) in object.get(user.refs, any_attribute, [])
]

launches_nodes(r) if r.type == "aws_eks_node_group"

launches_nodes(r) if {
	r.type == "aws_autoscaling_group"
	some key in asg_tag_keys(r)
	startswith(key, "kubernetes.io/cluster/")
}

asg_tag_keys(r) := {k | some k, _ in object.get(r.values, "tags", {})} | {t.key |
	some t in iam.as_list(object.get(r.values, "tag", []))
	is_object(t)
	is_string(t.key)
}

used_as_node(role) := true if {
	some user in node_users
	uses(user, role)
} else := false

uses(user, role) if static_address(role.address) in object.get(user.refs, any_attribute, [])

uses(user, role) if {
	some attr in ["node_role_arn", "principal_arn", "role"]
	some value in literal_strings(object.get(user.values, attr, null))
	name_of_role_reference(value) == role.values.name
}

# --- changes no IAM rule can read ----------------------------------------------------

# Resources that can change a role's permissions outside Terraform's IAM resources: a
# provisioner (a command run at apply), or a CloudFormation stack (a template of its own),
# that refers to the role or names it.
opaque_changes := [{"resource": r.address, "role": role.address} |
	some r in resources
	r.mode == "managed"
	opaque(r)
	some role in role_rows
	touches(r, role)
]

opaque(r) if r.provisioned

opaque(r) if r.type in {"aws_cloudformation_stack", "aws_cloudformation_stack_set", "aws_cloudformation_stack_instances"}

touches(r, role) if static_address(role.address) in object.get(r.refs, any_attribute, [])

touches(r, role) if {
	name := role.values.name
	is_string(name)
	walk(r.values, [_, value])
	is_string(value)
	contains(value, name)
}
