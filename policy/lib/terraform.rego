# Turns a table of Terraform resources (from lib/synth.rego or lib/plan.rego) into the
# normalized view of roles: each aws_iam_role with every inline policy and managed policy
# that any resource in the input links to it. Links are followed the ways Terraform
# allows: `${aws_iam_role.x.name}` / `.id` / `.arn`, a `data.aws_iam_role` lookup, or the
# literal role name; documents are read from JSON strings.
package eksiam.lib.terraform

import rego.v1

import data.eksiam.lib.expression
import data.eksiam.lib.iam
import data.eksiam.lib.managed

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

# Rows by static address. Each holds a list: instances of one resource (count, for_each,
# module instances) share a static address, so no table is keyed by what can repeat.
policy_rows := {a: [r | some r in resources; r.mode == "managed"; r.type == "aws_iam_policy"; static_address(r.address) == a] |
	some row in resources
	row.mode == "managed"
	row.type == "aws_iam_policy"
	a := static_address(row.address)
}

data_rows := {a: [r | some r in resources; r.mode == "data"; static_address(r.address) == a] |
	some row in resources
	row.mode == "data"
	a := static_address(row.address)
}

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
	some lookup in object.get(data_rows, ref, [])
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
	unresolved(r)
]

unresolved(r) if not resolves(r)

# A role given by an expression that is not one reference may name any role, whatever else
# the attribute lists.
unresolved(r) if link_types[r.type] in object.get(r, "unknown", set())

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
	"managed_policies": managed.by_role[role.address],
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
	[inline(object.get(b, "name", null), object.get(b, "policy", null), role) |
		some b in iam.as_list(object.get(role.values, "inline_policy", []))
		is_object(b)
		not empty_block(b)
	],
	[inline(object.get(b.content, "name", null), object.get(b.content, "policy", null), role) |
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

role_policy_resources(role) := [inline(object.get(r.values, "name", null), object.get(r.values, "policy", null), r) |
	some r in linked(role)
	r.type == "aws_iam_role_policy"
]

# Names an aws_iam_role_policies_exclusive keeps although nothing in the input defines them:
# inline policies that exist outside this input, content unknown.
exclusive_only_names(role) := [{"name": n, "document": null, "statements": [], "resource": r.address, "uncertain": uncertain(r)} |
	some r in linked(role)
	r.type == "aws_iam_role_policies_exclusive"
	some n in iam.as_list(object.get(r.values, "policy_names", []))
	not n in defined_inline_names(role)
]

defined_inline_names(role) := {p.name | some p in array.concat(role_inline_blocks(role), role_policy_resources(role))}

# inline(name, policy, holder): one inline policy, declared by the row `holder`. When the row
# may not exist (count / for_each not literal), its document counts as unknown, as for a
# managed policy (lib/managed.rego): never documented, always judged.
inline(name, policy, holder) := {
	"name": string_or_null(name),
	"document": doc,
	"statements": iam.statements(doc),
	"resource": holder.address,
	"uncertain": uncertain(holder),
} if {
	uncertain(holder) == null
	doc := iam.document_or_null(policy)
} else := {
	"name": string_or_null(name),
	"document": null,
	"statements": [],
	"resource": holder.address,
	"uncertain": uncertain(holder),
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

# uncertain(row): why the gate cannot show that what `row` declares will exist, or null.
uncertain(row) := expression.instances_reason if object.get(row, "instances", "some") == "unknown"

uncertain(row) := null if object.get(row, "instances", "some") != "unknown"

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

# `${aws_iam_role.node_role.name}` -> "aws_iam_role.node_role": every resource address an
# expression names anywhere (`${element(aws_iam_role.x.*.name, 0)}`, data sources too), for
# what a resource depends on; never for what a value is.
interpolated_addresses(s) := [] if not contains(s, "${")

interpolated_addresses(s) := [m[0] |
	some m in regex.find_all_string_submatch_n(`(?:data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_-]+`, s, -1)
] if contains(s, "${")
