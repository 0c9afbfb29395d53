# Entry point of the adapters: recognizes which raw shape the input is and exposes one
# normalized view of its roles (see policy/README.md, "The normalized view"). Rules read
# only `roles` / `eksiam_roles` from here, never the raw input.
package eksiam.lib.view

import rego.v1

import data.eksiam.lib.identity

# synth:    cdk.tf.json (Terraform JSON configuration) as `eksiam synth` writes it
# plan:     `terraform show -json <planfile>`
# hcp:      HCP Terraform policy input {"plan": <plan>, "run": …}
# snapshot: `aws iam get-account-authorization-details` ({"RoleDetailList": […]})
kind := "hcp" if {
	is_object(input.plan)
	plan_shaped(input.plan)
} else := "plan" if {
	plan_shaped(input)
} else := "snapshot" if {
	is_array(input.RoleDetailList)
} else := "synth" if {
	synth_shaped(input)
} else := "unknown"

plan_shaped(doc) if {
	doc.format_version
	some key in ["resource_changes", "planned_values", "terraform_version"]
	doc[key]
}

synth_shaped(doc) if is_object(doc.resource)

synth_shaped(doc) if is_object(doc.terraform)

synth_shaped(doc) if is_object(doc["//"])

raw_roles := data.eksiam.lib.terraform.roles if kind in {"synth", "plan", "hcp"}

raw_roles := data.eksiam.lib.snapshot.roles if kind == "snapshot"

raw_roles := [] if kind == "unknown"

# Every role in the input, each with "kind" and "identified_by" added.
roles := [object.union(identity.identify(r), {"source": kind}) | some r in raw_roles]

# The roles the rules check.
eksiam_roles := [r | some r in roles; r.kind in identity.kinds]

connector_roles := [r | some r in eksiam_roles; r.kind == "connector"]

node_roles := [r | some r in eksiam_roles; r.kind in identity.node_kinds]

# Permission-linking resources whose role could not be resolved (Terraform inputs only).
unresolved_links := data.eksiam.lib.terraform.unresolved_links if kind in {"synth", "plan", "hcp"}

unresolved_links := [] if not kind in {"synth", "plan", "hcp"}

# Parts of a Terraform JSON input in a shape the adapter cannot read (never skipped silently).
unreadable := data.eksiam.lib.synth.unreadable if kind == "synth"

unreadable := set() if kind != "synth"

# Resources that change an EKS role's permissions in ways no rule can read (Terraform inputs).
opaque_changes := [c |
	some c in data.eksiam.lib.terraform.opaque_changes
	some role in eksiam_roles
	role.resource == c.role
] if kind in {"synth", "plan", "hcp"}

opaque_changes := [] if not kind in {"synth", "plan", "hcp"}
