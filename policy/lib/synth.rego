# Adapter for a synthesized cdk.tf.json (Terraform JSON syntax): lists every resource and
# data source as one table row, with the resources each link attribute refers to read from
# its `${…}` interpolations. lib/terraform.rego turns the table into roles.
package eksiam.lib.synth

import rego.v1

import data.eksiam.lib.expression
import data.eksiam.lib.terraform

# Terraform's JSON syntax lets every level be an object or an array of objects: the
# `resource` section, each resource type, and each resource body. All forms are read; a
# level of any other shape is reported by EKSIAM-INPUT-001 through `unreadable`.
resources := [row |
	some mode, key in {"managed": "resource", "data": "data"}
	some section in objects_of(object.get(input, key, {}))
	some type, blocks in section
	type != "//" # a comment, as Terraform's JSON syntax has them at any level
	some named in objects_of(blocks)
	some name, block in named
	name != "//"
	some values in objects_of(block)
	instances := expression.instances(values)
	instances != "none" # count = 0, for_each = [] / {}: Terraform creates nothing
	row := object.union(
		terraform.row(mode, type, name, values, references(values), object.keys(values)),
		{
			"provisioned": "provisioner" in object.keys(values),
			"instances": instances,
			"unknown": unknown_attributes(values),
		},
	)
]

# The link attributes whose value is neither a literal, one reference nor a known ARN form.
unknown_attributes(values) := {attr |
	some attr in terraform.link_attributes
	expression.unknown(object.get(values, attr, null))
}

objects_of(x) := [x] if is_object(x)

objects_of(x) := [o | some o in x; is_object(o)] if is_array(x)

objects_of(x) := [] if {
	not is_object(x)
	not is_array(x)
}

# Levels the adapter cannot read as a block: a gate that skipped them would pass them.
unreadable contains sprintf("%s.%s", [key, type]) if {
	some key in ["resource", "data"]
	some section in objects_of(object.get(input, key, {}))
	some type, blocks in section
	type != "//"
	not readable_level(blocks)
}

unreadable contains key if {
	some key in ["resource", "data"]
	section := object.get(input, key, {})
	not readable_level(section)
}

readable_level(x) if is_object(x)

readable_level(x) if {
	is_array(x)
	every o in x {
		is_object(o)
	}
}

# references(values): for each link attribute, the address it refers to when it is exactly
# one reference (lib/expression.rego); under terraform.any_attribute, every address the
# resource's values name anywhere (what it depends on, for use and for opaque changes).
references(values) := object.union(
	{attr: expression.references(object.get(values, attr, null)) | some attr in terraform.link_attributes},
	{terraform.any_attribute: {ref |
		walk(values, [_, value])
		is_string(value)
		some ref in terraform.interpolated_addresses(value)
	}},
)
