# Entry point of the adapters: recognizes which raw shape the input is and exposes one
# normalized view of its roles (see policy/README.md, "The normalized view"). Rules read
# only `roles` / `eksiam_roles` from here, never the raw input.
package eksiam.lib.view

import rego.v1

import data.eksiam.lib.identity

# The input's kind (lib/kind.rego): synth, plan, hcp, snapshot, or unknown / ambiguous.
kind := data.eksiam.lib.kind.kind

terraform_kinds := {"synth", "plan", "hcp"}

raw_roles := data.eksiam.lib.terraform.roles if kind in terraform_kinds

raw_roles := data.eksiam.lib.snapshot.roles if kind == "snapshot"

raw_roles := [] if not kind in data.eksiam.lib.kind.kinds

# Every role in the input, each with "kind" and "identified_by" added.
roles := [object.union(identity.identify(r), {"source": kind}) | some r in raw_roles]

# The roles the rules check.
eksiam_roles := [r | some r in roles; r.kind in identity.kinds]

connector_roles := [r | some r in eksiam_roles; r.kind == "connector"]

node_roles := [r | some r in eksiam_roles; r.kind in identity.node_kinds]

# Permission-linking resources whose role could not be resolved (Terraform inputs only).
unresolved_links := data.eksiam.lib.terraform.unresolved_links if kind in terraform_kinds

unresolved_links := [] if not kind in terraform_kinds

# Parts of a Terraform JSON input in a shape the adapter cannot read (never skipped silently).
unreadable := data.eksiam.lib.synth.unreadable if kind == "synth"

unreadable := set() if kind != "synth"

# Resources that change an EKS role's permissions in ways no rule can read (Terraform inputs).
opaque_changes := [c |
	some c in data.eksiam.lib.opaque.changes
	some role in eksiam_roles
	role.resource == c.role
] if kind in terraform_kinds

opaque_changes := [] if not kind in terraform_kinds
