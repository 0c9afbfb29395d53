# Adapter for `terraform show -json` plan output (also HCP Terraform's input.plan): one table
# row per resource the plan leaves in place or creates. Values unknown until apply (a role
# name from name_prefix, a role id, a policy ARN created in the same plan) are linked
# through the plan's `configuration` references instead.
package eksiam.lib.plan

import rego.v1

import data.eksiam.lib.expression
import data.eksiam.lib.terraform

# The plan document: the input itself, or HCP Terraform's {"plan": …, "run": …}.
document := input.plan if data.eksiam.lib.view.kind == "hcp"

document := input if data.eksiam.lib.view.kind == "plan"

resources := changed if count(object.get(document, "resource_changes", [])) > 0

resources := planned if count(object.get(document, "resource_changes", [])) == 0

# Rows from resource_changes, skipping what the plan deletes; plus data sources already
# read at plan time (prior_state), so a `data.aws_iam_role` lookup resolves to a name. A
# refreshed plan's `after` is the role's state after apply, so whatever was attached out of
# band is in it; a resource the plan shows only as drift (resource_drift) is read from there.
changed := array.concat(
	array.concat(
		[plan_row(rc.address, rc.mode, rc.type, rc.name, object.get(rc.change, "after", {})) |
			some rc in document.resource_changes
			not deleted(rc)
		],
		[plan_row(rc.address, rc.mode, rc.type, rc.name, object.get(rc.change, "after", {})) |
			some rc in object.get(document, "resource_drift", [])
			not rc.address in change_addresses
			not deleted(rc)
		],
	),
	[r | some r in data_sources; not r.address in change_addresses],
)

change_addresses := {rc.address | some rc in document.resource_changes}

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

# A plan's rows are instances Terraform has already counted: `instances` is always "some".
plan_row(address, mode, type, name, after) := object.union(
	terraform.row(mode, type, name, values, references(address, values), configured(address, values)),
	{
		"address": address,
		"provisioned": count(object.get(configuration, [terraform.static_address(address), "provisioners"], [])) > 0,
		"instances": "some",
		"unknown": unknown_attributes(address, values),
	},
) if {
	values := object_or_empty(after)
}

# Link attributes unknown until apply whose configured expression is not one reference.
unknown_attributes(address, values) := {attr |
	some attr in terraform.link_attributes
	object.get(values, attr, null) == null
	expr := object.get(expressions_of(address), attr, null)
	is_object(expr)
	not expression_reference(expr)
	not literal_expression(expr)
}

# A literal that the plan still shows as unknown (e.g. a list holding a reference) is read
# through its elements; a constant without a template is what Terraform applies.
literal_expression(expr) if {
	"constant_value" in object.keys(expr)
	not expression.unknown(expr.constant_value)
	not expression.templated_in(expr.constant_value)
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
# provisioners), across module calls. Only the module tree is read (module_calls.<name>.module
# at every depth): a "resources" key inside an output's or a variable's value is user data.
configuration := {address: r |
	walk(object.get(document, ["configuration", "root_module"], {}), [path, items])
	config_resources_path(path)
	is_array(items)
	prefix := module_prefix(array.slice(path, 0, count(path) - 1))
	some r in items
	is_object(r)
	address := concat("", [prefix, r.address])
}

config_resources_path(path) if {
	count(path) % 3 == 1
	path[count(path) - 1] == "resources"
	every i, step in array.slice(path, 0, count(path) - 1) {
		config_step(i % 3, step)
	}
}

config_step(0, "module_calls")

config_step(1, step) if is_string(step)

config_step(2, "module")

# ["module_calls", "m", "module", "module_calls", "n", "module"] -> "module.m.module.n."
module_prefix(path) := concat("", [sprintf("module.%s.", [path[i + 1]]) |
	some i, step in path
	step == "module_calls"
])

# references(address, values): for each link attribute unknown in the plan, the resource
# address its expression refers to when it is exactly one reference, made absolute with the
# module path of the resource that holds it; under terraform.any_attribute, every address any
# of its expressions (nested blocks included) names.
references(address, values) := object.union(
	{attr: refs |
		some attr in terraform.link_attributes
		refs := [ref |
			object.get(values, attr, null) == null
			some raw in expression_references(object.get(expressions_of(address), attr, {}))
			ref := concat("", [module_of(terraform.static_address(address)), raw])
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

# expression_references(expr): the one resource a configured expression refers to, or none.
# A configuration written in Terraform JSON keeps its template text (`constant_value`), read
# as lib/expression.rego reads a Terraform JSON file; one written in HCL keeps only the
# traversals it names, so one traversal (and its prefixes) is taken as that reference.
expression_references(expr) := [resource_part(r) | some r in expression.references(expr.constant_value)] if {
	is_object(expr)
	expression.templated_in(object.get(expr, "constant_value", null))
}

expression_references(expr) := [resource_part(longest)] if {
	is_object(expr)
	not expression.templated_in(object.get(expr, "constant_value", null))
	raws := [r | some r in object.get(expr, "references", []); is_string(r)]
	count(raws) > 0
	longest := [r | some r in raws; every other in raws {
		traversal_prefix(other, r)
	}][0]
}

expression_references(expr) := [] if {
	is_object(expr)
	not expression.templated_in(object.get(expr, "constant_value", null))
	count(object.get(expr, "references", [])) == 0
}

traversal_prefix(prefix, r) if prefix == r

traversal_prefix(prefix, r) if startswith(r, concat("", [prefix, "."]))

traversal_prefix(prefix, r) if startswith(r, concat("", [prefix, "["]))

expression_reference(expr) if count(expression_references(expr)) > 0

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
