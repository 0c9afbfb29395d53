# IAM's meaning of a role's permissions, once for every rule: what each policy's statements
# allow (a documented AWS-managed policy named by ARN has the document AWS publishes, from
# lib/facts.rego), whether they cover a documented policy's grants, and whether they stay
# within the documented permissions of the role's kind.
#
# "Within" is decided soundly and fails closed: an Allow statement is within a set of
# documented statements when each of its actions and resources, as patterns, is contained in
# an action and resource pattern of one documented statement (`ec2:DescribeInst*` is within
# `ec2:Describe*`, never the reverse), and it carries at least that statement's conditions (a
# condition only narrows). NotAction and NotResource are never within; a statement with no
# action or resource, a non-IAM effect, or a document that cannot be read is not within.
package eksiam.lib.permissions

import rego.v1

import data.eksiam.lib.documented
import data.eksiam.lib.grants
import data.eksiam.lib.iam

# --- patterns ----------------------------------------------------------------------

# IAM's `*` as any string and `?` as any one character; every other character literal. `?`
# must not stand for the `*` of the contained pattern, which matches more than one character.
glob_to_regex := {
	"*": ".*", "?": `[^*]`, ".": `\.`, "+": `\+`, "(": `\(`, ")": `\)`, "[": `\[`, "]": `\]`,
	"{": `\{`, "}": `\}`, "^": `\^`, "$": `\$`, "|": `\|`, `\`: `\\`,
}

# pattern_within(p, q): every string the IAM pattern p matches, q matches too. Matching q
# against p's own text, with p's wildcards taken as characters q's wildcards may consume, is a
# sound test: what q consumes for p's `*` it consumes for any string that `*` stands for.
pattern_within(p, q) if {
	is_string(p)
	is_string(q)
	regex.match(concat("", ["^", strings.replace_n(glob_to_regex, q), "$"]), p)
}

action_within(a, q) if pattern_within(lower(a), lower(q))

resource_within(r, q) if pattern_within(iam.canonical_arn(r), iam.canonical_arn(q))

# --- a policy's statements ---------------------------------------------------------

documented_statements(name) := iam.statements(documented.document(name))

# The statements a policy grants: its own document, else for an AWS-managed policy the pages
# document, the one AWS publishes. Undefined when neither is known: see known(policy).
statements(policy) := policy.statements if policy.document != null

statements(policy) := documented_statements(name) if {
	policy.document == null
	policy.aws_managed
	some name, _ in data.eksiam.lib.facts.facts.managed_policies
	policy.name == documented.managed_path_name(name)
}

known(policy) if statements(policy)

retained_policies(role) := [p | some p in array.concat(role.managed_policies, role.inline_policies); p.retained]

# Every statement the role's retained policies grant (only those whose documents are known).
role_statements(role) := [s | some p in retained_policies(role); some s in statements(p)]

# --- coverage ----------------------------------------------------------------------

# covers(role, name): the role's policies grant every action of the documented policy `name`
# on the resources it grants them on, and no Deny takes any of them away.
covers(role, name) if count(missing(role, name)) == 0

missing(role, name) := {sprintf("%s on %s", [action, resource]) |
	statements := role_statements(role)
	some s in documented_statements(name)
	s.effect == "Allow"
	some action in s.actions
	some resource in s.resources
	not grants.granted(statements, action, resource)
}

# --- within ------------------------------------------------------------------------

statement_within(s, _) if s.effect == "Deny"

statement_within(s, allowed) if {
	s.effect == "Allow"
	not s.not_action
	not s.not_resource
	count(s.actions) > 0
	count(s.resources) > 0
	every action in s.actions {
		every resource in s.resources {
			some d in allowed
			grant_within(action, resource, s, d)
		}
	}
}

grant_within(action, resource, s, d) if {
	d.effect == "Allow"
	not d.not_action
	not d.not_resource
	some da in d.actions
	action_within(action, da)
	some dr in d.resources
	resource_within(resource, dr)
	conditions_within(s, d)
}

conditions_within(_, d) if not d.has_condition

conditions_within(s, d) if {
	d.has_condition
	object.subset(s.condition, d.condition)
}

# beyond(statements, allowed): one fragment per statement that is not within `allowed`.
beyond(statements, allowed) := {describe(i, s) |
	some i, s in statements
	not statement_within(s, allowed)
}

describe(i, s) := sprintf("%s allows every action except %s", [label(i, s), concat(", ", s.not_actions)]) if s.not_action

describe(i, s) := sprintf("%s allows its actions on every resource except the listed ones (NotResource)", [label(i, s)]) if {
	not s.not_action
	s.not_resource
}

describe(i, s) := sprintf("%s allows %s on %s", [label(i, s), concat(", ", [a | some a in s.actions; is_string(a)]), concat(", ", [r | some r in s.resources; is_string(r)])]) if {
	not s.not_action
	not s.not_resource
}

label(_, s) := sprintf("statement %q", [s.sid]) if s.sid != ""

label(i, s) := sprintf("statement #%d", [i + 1]) if s.sid == ""
