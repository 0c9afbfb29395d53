# Which EKS roles an account (an IAM snapshot, as `verify` reads it) must hold. Most EKS
# accounts never register an external cluster, so none is required by default: a kind is
# required when `[gate] require_roles` names it (and its section is enabled), and the
# connector agent role also when the account shows the connector in use (its service-linked
# role, which registering a cluster creates).
package eksiam.lib.required

import rego.v1

import data.eksiam.lib.config
import data.eksiam.lib.facts
import data.eksiam.lib.view

linked := facts.facts.recognized_kinds["service-linked"]

wanted(kind) if {
	view.kind == "snapshot"
	enabled(kind)
	kind in config.setting("gate", "require_roles")
}

wanted("connector") if {
	view.kind == "snapshot"
	enabled("connector")
	connector_in_use
}

# auto-node has no section of its own: [node] enabled covers both node kinds.
enabled(kind) if config.setting(kind, "enabled") == true

enabled("auto-node") if config.setting("node", "enabled") == true

connector_in_use if count(connector_service_linked_roles) > 0

connector_service_linked_roles contains role.resource if {
	some role in view.roles
	role.name == linked.connector_role_name
}

connector_service_linked_roles contains role.resource if {
	some role in view.roles
	contains(object.get(role, "path", ""), linked.connector_service)
}
