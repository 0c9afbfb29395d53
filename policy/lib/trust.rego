# The trust-policy check both roles share: exactly the documented service may assume the
# role, with exactly sts:AssumeRole. Conditions on the Allow statement and Deny statements
# are accepted because they can only narrow who assumes the role; anything that widens it
# (another principal, a wildcard, NotPrincipal, NotAction, another action, another Allow
# statement) is a problem, and so is losing the documented statement.
package eksiam.lib.trust

import rego.v1

import data.eksiam.lib.documented
import data.eksiam.lib.iam

# problems(role): one sentence fragment per problem, completed by the rule with the role.
# Judged against the kind's service principal in any partition's form (ec2.amazonaws.com.cn
# in aws-cn); messages name it as the page writes it.
problems(role) := {msg | some msg in all_problems(role.kind, role, documented.service_principal[role.kind], documented.service_principals(role.kind))}

all_problems(kind, role, service, accepted) := (((unreadable | per_statement) | extra_allows) | missing) if {
	unreadable := {"has a trust policy that is missing or cannot be read as an IAM policy document" | role.trust_document == null}
	per_statement := {msg |
		some i, s in role.trust_statements
		allows(s)
		some msg in statement_problems(kind, label(i, s), s, service, accepted)
	}
	allow_count := count([s | some s in role.trust_statements; allows(s)])
	extra_allows := {sprintf("has %d Allow statements; the documented trust policy has exactly one", [allow_count]) | allow_count > 1}
	missing := {sprintf("does not let %s assume it with %s as the documented trust policy does", [service, documented.assume_action]) |
		role.trust_document != null
		not documented_statement(role, accepted)
	}
}

statement_problems(kind, where, s, service, accepted) := ((((not_principal | not_action) | everyone) | other_types) | other_services) | other_actions if {
	not_principal := {sprintf("trusts every principal except the listed ones in %s (NotPrincipal)", [where]) | s.not_principal}
	not_action := {sprintf("allows every action but the listed ones in %s (NotAction)", [where]) | s.not_action}
	everyone := {sprintf("trusts any principal (\"*\") in %s", [where]) | some p in s.principals; p.type == "*"}
	other_types := {sprintf("trusts the %s principal %q in %s; only the service %s may assume it", [p.type, p.id, where, service]) |
		some p in s.principals
		not p.type in {"*", "Service"}
	}
	other_services := {sprintf("trusts the service %q in %s; only %s may assume it", [p.id, where, service]) |
		some p in s.principals
		p.type == "Service"
		not p.id in accepted
	}
	other_actions := {sprintf("allows %q in %s; the documented trust allows only %s", [a, where, documented.assume_action]) |
		some a in s.actions
		not exact_action(a, documented.assume_action)
		not extra_action(kind, a)
	}
}

# Anything but an explicit Deny is treated as granting (IAM rejects other effects anyway).
allows(s) if s.effect != "Deny"

# An action a kind's trust may carry beside sts:AssumeRole, where the facts say why.
extra_action(kind, a) if {
	is_string(a)
	some action, _ in object.get(documented.kinds[kind], "trust_extra_actions", {})
	lower(a) == lower(action)
}

exact_action(a, action) if {
	is_string(a)
	lower(a) == lower(action)
}

label(_, s) := sprintf("statement %q", [s.sid]) if s.sid != ""

label(i, s) := sprintf("statement #%d", [i + 1]) if s.sid == ""

documented_statement(role, accepted) if {
	some s in role.trust_statements
	s.effect == "Allow"
	not s.not_principal
	not s.not_action
	some p in s.principals
	p.type == "Service"
	p.id in accepted
	some a in s.actions
	exact_action(a, documented.assume_action)
	not denied_outright(role, p.id)
}

# An unconditional Deny that covers the service and sts:AssumeRole removes the documented
# trust; a Deny with a Condition only narrows it.
denied_outright(role, service) if {
	some s in role.trust_statements
	s.effect == "Deny"
	not s.has_condition
	deny_covers_service(s, service)
	iam.statement_covers_action(s, documented.assume_action)
}

deny_covers_service(s, service) if {
	some p in s.principals
	p.id == "*"
}

deny_covers_service(s, service) if {
	some p in s.principals
	p.type == "Service"
	p.id == service
}

deny_covers_service(s, service) if {
	s.not_principal
	not service in {p.id | some p in s.not_principals}
}
