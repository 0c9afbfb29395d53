# Which shape an input is: the one definition of the input kinds, read by lib/view.rego and
# by the gate's Python (eksiam/gate/inputs.py evaluates this module), so that the file the
# gate reports and the document the rules judge are taken for the same thing.
#
# It reads only the top two levels of the input (the keys of the document and of its `plan`,
# and the type of each value there), which lets the gate evaluate it on a skeleton of a
# large file. An input of more than one shape (a plan that also holds a `plan` key, a
# snapshot with a `resource` section) is `ambiguous`: no adapter reads part of it, and the
# gate refuses it.
package eksiam.lib.kind

import rego.v1

# synth:    Terraform JSON configuration (cdk.tf.json or any *.tf.json)
# plan:     `terraform show -json <planfile>`
# hcp:      HCP Terraform policy input {"plan": <plan>, "run": …}
# snapshot: `aws iam get-account-authorization-details` ({"RoleDetailList": […]})
kind := k if {
	count(shapes) == 1
	some k in shapes
} else := "ambiguous" if {
	count(shapes) > 1
} else := "unknown"

kinds := {"synth", "plan", "hcp", "snapshot"}

shapes contains "plan" if plan_shaped(input)

shapes contains "hcp" if {
	is_object(input.plan)
	plan_shaped(input.plan)
}

shapes contains "snapshot" if is_array(input.RoleDetailList)

shapes contains "synth" if synth_shaped(input)

# A plan has a format version and the planned values or changes (the JSON of a state has
# `values` instead).
plan_shaped(doc) if {
	is_object(doc)
	"format_version" in object.keys(doc)
	some key in ["planned_values", "resource_changes"]
	key in object.keys(doc)
}

# Terraform JSON's top-level block types; `resource` and `data` may be objects or arrays of
# objects (a second `resource` array in override style is valid Terraform JSON).
synth_keys := {
	"resource", "data", "terraform", "//", "provider", "variable", "output", "locals", "module",
	"moved", "import", "check", "removed",
}

synth_shaped(doc) if {
	is_object(doc)
	some key in object.keys(doc)
	key in synth_keys
}
