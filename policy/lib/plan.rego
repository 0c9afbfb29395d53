# Adapter for `terraform show -json` plan output (also HCP Terraform's input.plan): one table
# row per resource the plan leaves in place or creates. Values unknown until apply (a role
# name from name_prefix, a role id, a policy ARN created in the same plan) are linked
# through the plan's `configuration` references instead.
package eksiam.lib.plan

import rego.v1

import data.eksiam.lib.terraform

# The plan document: the input itself, or HCP Terraform's {"plan": …, "run": …}.
document := input.plan if data.eksiam.lib.view.kind == "hcp"

document := input if data.eksiam.lib.view.kind == "plan"

resources := changed if count(object.get(document, "resource_changes", [])) > 0

resources := planned if count(object.get(document, "resource_changes", [])) == 0

# Rows from resource_changes, skipping what the plan deletes; plus data sources already
# read at plan time (prior_state), so a `data.aws_iam_role` lookup resolves to a name.
changed := array.concat(
	[plan_row(rc.address, rc.mode, rc.type, rc.name, object.get(rc.change, "after", {})) |
		some rc in document.resource_changes
		not deleted(rc)
	],
	data_sources,
)

deleted(rc) if rc.change.actions == ["delete"]

planned := array.concat(
	[plan_row(r.address, r.mode, r.type, r.name, object.get(r, "values", {})) |
		some r in module_resources(object.get(document, ["planned_values", "root_module"], {}))
	],
	data_sources,
)

data_sources := [plan_row(r.address, r.mode, r.type, r.name, object.get(r, "values", {})) |
	some r in module_resources(object.get(document, ["prior_state", "values", "root_module"], {}))
	r.mode == "data"
]

plan_row(address, mode, type, name, after) := object.union(
	terraform.row(mode, type, name, values, references(address), configured(address, values)),
	{"address": address, "provisioned": count(object.get(configuration, [terraform.static_address(address), "provisioners"], [])) > 0},
) if {
	values := object_or_empty(after)
}

object_or_empty(x) := x if is_object(x)

object_or_empty(x) := {} if not is_object(x)

# Every resource of a module tree (root_module with nested child_modules).
module_resources(module) := [r |
	walk(module, [path, items])
	path_is_resources(path)
	is_array(items)
	some r in items
]

path_is_resources(path) if {
	count(path) > 0
	path[count(path) - 1] == "resources"
	every i, step in array.slice(path, 0, count(path) - 1) {
		module_step(i, step)
	}
}

module_step(i, "child_modules") if i % 2 == 0

module_step(i, step) if {
	i % 2 == 1
	is_number(step)
}

# configuration: static address (no instance keys) -> its configuration block (expressions,
# provisioners), across module calls.
configuration := {address: r |
	walk(object.get(document, ["configuration", "root_module"], {}), [path, items])
	count(path) > 0
	path[count(path) - 1] == "resources"
	is_array(items)
	prefix := module_prefix(array.slice(path, 0, count(path) - 1))
	some r in items
	address := concat("", [prefix, r.address])
}

# ["module_calls", "m", "module", "module_calls", "n", "module"] -> "module.m.module.n."
module_prefix(path) := concat("", [sprintf("module.%s.", [path[i + 1]]) |
	some i, step in path
	step == "module_calls"
])

# references(address): for each link attribute, the resource addresses its expression
# refers to, made absolute with the module path of the resource that holds it; under
# terraform.any_attribute, every address any of its expressions (nested blocks included) names.
references(address) := object.union(
	{attr: refs |
		some attr in terraform.link_attributes
		refs := [ref |
			some raw in object.get(expressions_of(address), [attr, "references"], [])
			ref := concat("", [module_of(terraform.static_address(address)), resource_part(raw)])
		]
	},
	{terraform.any_attribute: {ref |
		walk(object.get(configuration, terraform.static_address(address), {}), [path, raws])
		count(path) > 0
		path[count(path) - 1] == "references"
		is_array(raws)
		some raw in raws
		is_string(raw)
		ref := concat("", [module_of(terraform.static_address(address)), resource_part(raw)])
	}},
)

expressions_of(address) := object.get(configuration, [terraform.static_address(address), "expressions"], {})

module_of(static) := concat("", [m[0] | some m in regex.find_all_string_submatch_n(`^(?:module\.[^.]+\.)+`, static, 1)])

# "aws_iam_role.node_role.name" -> "aws_iam_role.node_role"; "data.x.y.z" -> "data.x.y".
resource_part(ref) := concat(".", array.slice(split(ref, "."), 0, 3)) if startswith(ref, "data.")

resource_part(ref) := regex.replace(concat(".", array.slice(split(ref, "."), 0, 2)), `\[.*$`, "") if not startswith(ref, "data.")

# Which attributes the author wrote (authoritative settings such as managed_policy_arns
# only count when configured, not when the provider merely echoes the current state).
# Without a configuration section, every attribute that holds a non-empty value counts.
configured(address, _) := object.keys(expressions_of(address)) if configuration[terraform.static_address(address)]

configured(address, values) := {key | some key, value in values; not empty(value)} if {
	not configuration[terraform.static_address(address)]
}

empty(null) := true

empty(value) if {
	not is_boolean(value)
	not is_number(value)
	count(value) == 0
}
