# Adapter for a synthesized cdk.tf.json (Terraform JSON syntax): lists every resource and
# data source as one table row, with the resources each link attribute refers to read from
# its `${…}` interpolations. lib/terraform.rego turns the table into roles.
package eksiam.lib.synth

import rego.v1

import data.eksiam.lib.terraform

# Terraform JSON lets a block be an object or a list of objects; both are read.
resources := [row |
	some mode, section in {"managed": object.get(input, "resource", {}), "data": object.get(input, "data", {})}
	is_object(section)
	some type, blocks in section
	is_object(blocks)
	some name, block in blocks
	some values in blocks_of(block)
	row := terraform.row(mode, type, name, values, references(values), object.keys(values))
]

blocks_of(block) := [block] if is_object(block)

blocks_of(block) := [b | some b in block; is_object(b)] if is_array(block)

# references(values): for each link attribute, the addresses its interpolations name.
references(values) := {attr: refs |
	some attr in terraform.link_attributes
	value := object.get(values, attr, null)
	refs := [ref | some s in strings_in(value); some ref in terraform.interpolated_addresses(s)]
}

strings_in(value) := [value] if is_string(value)

strings_in(value) := [s | some s in value; is_string(s)] if is_array(value)

strings_in(value) := [] if {
	not is_string(value)
	not is_array(value)
}

