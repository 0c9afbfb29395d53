# Whether a set of identity-policy statements grants, or goes beyond, a documented list of
# (action -> resource) grants, with IAM's semantics: action wildcards and case, Resource
# patterns, NotAction / NotResource, and Deny overriding Allow.
package eksiam.lib.grants

import rego.v1

import data.eksiam.lib.iam

# granted(statements, action, resource): some Allow statement covers the action on the
# documented resource, and no Deny statement touches that action there.
granted(statements, action, resource) if {
	some s in statements
	s.effect == "Allow"
	iam.statement_covers_action(s, action)
	not s.not_resource
	some r in s.resources
	iam.resource_covers(r, resource)
	not denied(statements, action, resource)
}

# A Deny counts whatever its Condition: the document grants the action unconditionally.
denied(statements, action, resource) if {
	some s in statements
	s.effect == "Deny"
	iam.statement_covers_action(s, action)
	deny_touches(s, resource)
}

deny_touches(s, _) if s.not_resource

deny_touches(s, resource) if {
	some r in s.resources
	overlaps(r, resource)
}

overlaps(a, b) if iam.resource_covers(a, b)

overlaps(a, b) if iam.resource_covers(b, a)

# excess(statements, grants): one sentence fragment per way an Allow statement goes beyond
# `grants` (a map action -> the one resource pattern it is documented on).
excess(statements, grants) := {msg |
	some i, s in statements
	s.effect != "Deny"
	some msg in statement_excess(label(i, s), s, grants)
}

statement_excess(where, s, grants) := ((not_action | not_resource) | undocumented) | wider if {
	not_action := {sprintf("allows every action except the listed ones in %s (NotAction)", [where]) | s.not_action}
	not_resource := {sprintf("allows actions on every resource except the listed ones in %s (NotResource)", [where]) | s.not_resource}
	undocumented := {sprintf("allows %q in %s, beyond the documented actions", [a, where]) |
		some a in s.actions
		not documented_action(grants, a)
	}
	wider := {sprintf("allows %s on %q in %s; the document grants it only on %s", [action, r, where, resource]) |
		some a in s.actions
		some action, resource in grants
		lower(a) == lower(action)
		some r in s.resources
		not iam.resource_covers(resource, r)
	}
}

# Only exact documented names count: a wildcard such as "ssmmessages:*" or "Open*" also
# grants whatever the service adds later.
documented_action(grants, a) if {
	is_string(a)
	not iam.is_wildcard(a)
	some action, _ in grants
	lower(a) == lower(action)
}

label(_, s) := sprintf("statement %q", [s.sid]) if s.sid != ""

label(i, s) := sprintf("statement #%d", [i + 1]) if s.sid == ""
