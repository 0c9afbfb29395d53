# IAM vocabulary shared by the adapters and the rules: policy documents in any of the
# forms IAM accepts, statements normalized once, and IAM's own matching semantics for
# actions (case-insensitive, `*` and `?` wildcards) and ARNs (partition-agnostic).
package eksiam.lib.iam

import rego.v1

# The partitions an EKS role can live in. A Terraform partition lookup
# (`${data.aws_partition.<name>.partition}`) stands for whichever of them applies.
partitions := {"aws", "aws-cn", "aws-us-gov"}

# Placeholder that canonical ARNs carry in place of any valid partition.
any_partition := "<partition>"

partition_reference := `^\$\{data\.aws_partition\.[A-Za-z0-9_-]+\.partition\}$`

# as_list turns IAM's "one value or a list of values" into a list; absent means empty.
as_list(x) := x if is_array(x)

as_list(x) := [x] if {
	not is_array(x)
	x != null
}

as_list(null) := []

# --- policy documents --------------------------------------------------------------

# parse_document reads a policy document given as an object, a JSON string, or the
# URL-encoded JSON string that IAM's own APIs return. Undefined when it cannot be read,
# so callers can report an unreadable document instead of silently passing it.
parse_document(doc) := doc if is_object(doc)

parse_document(doc) := json.unmarshal(doc) if {
	is_string(doc)
	json.is_valid(doc)
	is_object(json.unmarshal(doc))
}

parse_document(doc) := json.unmarshal(decoded) if {
	is_string(doc)
	not json.is_valid(doc)
	decoded := urlquery.decode(doc)
	json.is_valid(decoded)
	is_object(json.unmarshal(decoded))
}

# document_or_null keeps the normalized view total: null means "present but unreadable".
document_or_null(doc) := parse_document(doc)

document_or_null(doc) := null if not parse_document(doc)

# statements normalizes every statement of a parsed document (null gives none).
statements(doc) := [normalize_statement(s) | some s in as_list(object.get(doc, "Statement", []))] if is_object(doc)

statements(doc) := [] if not is_object(doc)

# normalize_statement gives each statement one shape, whatever form the author used.
normalize_statement(s) := {
	"sid": object.get(s, "Sid", ""),
	"effect": object.get(s, "Effect", ""),
	"principals": principals(object.get(s, "Principal", null)),
	"has_principal": "Principal" in object.keys(s),
	"not_principal": "NotPrincipal" in object.keys(s),
	"not_principals": principals(object.get(s, "NotPrincipal", null)),
	"actions": [a | some a in as_list(object.get(s, "Action", null))],
	"not_action": "NotAction" in object.keys(s),
	"not_actions": [a | some a in as_list(object.get(s, "NotAction", null))],
	"resources": [r | some r in as_list(object.get(s, "Resource", null))],
	"not_resource": "NotResource" in object.keys(s),
	"has_condition": count(object.get(s, "Condition", {})) > 0,
	"condition": condition_object(object.get(s, "Condition", {})),
} if is_object(s)

# A statement that is not even an object is kept, so rules can report it, but grants nothing.
normalize_statement(s) := {
	"sid": "", "effect": "", "principals": [], "has_principal": false, "not_principal": false,
	"not_principals": [], "actions": [], "not_action": false, "not_actions": [], "resources": [],
	"not_resource": false, "has_condition": false, "condition": {},
} if not is_object(s)

# A Condition that is not an object is kept as one that narrows to nothing readable: any
# comparison against it (lib/permissions.rego) then fails closed.
condition_object(c) := c if is_object(c)

condition_object(c) := {"<unreadable>": c} if not is_object(c)

# principals flattens `"*"`, `{"AWS": "*"}`, `{"Service": [..]}` into {type, id} pairs.
principals(null) := []

principals(p) := [{"type": "*", "id": "*"}] if p == "*"

principals(p) := [{"type": t, "id": id} | some t, ids in p; some id in as_list(ids)] if is_object(p)

principals(p) := [{"type": "?", "id": p}] if {
	is_string(p)
	p != "*"
}

# --- actions -----------------------------------------------------------------------

# glob_pattern escapes everything but IAM's two wildcards, so `{` `[` in a name match literally.
glob_pattern(p) := replace(replace(glob.quote_meta(p), `\*`, "*"), `\?`, "?")

# action_matches is IAM's action matching: case-insensitive, `*` and `?` as wildcards.
action_matches(pattern, action) if {
	is_string(pattern)
	glob.match(lower(glob_pattern(pattern)), null, lower(action))
}

is_wildcard(s) if contains(s, "*")

is_wildcard(s) if contains(s, "?")

# statement_allows_action: Allow statement whose Action (or NotAction) covers `action`.
statement_covers_action(s, action) if {
	not s.not_action
	some a in s.actions
	action_matches(a, action)
}

statement_covers_action(s, action) if {
	s.not_action
	not action_excluded(s, action)
}

action_excluded(s, action) if {
	some a in s.not_actions
	action_matches(a, action)
}

# --- ARNs --------------------------------------------------------------------------

valid_partition(p) if p in partitions

valid_partition(p) if regex.match(partition_reference, p)

# canonical_arn replaces a valid (or interpolated) partition with one placeholder, so
# `arn:aws-cn:…` and `arn:${data.aws_partition.x.partition}:…` compare equal to `arn:aws:…`.
canonical_arn(s) := concat(":", array.concat(["arn", any_partition], array.slice(parts, 2, count(parts)))) if {
	is_string(s)
	parts := split(s, ":")
	count(parts) >= 3
	parts[0] == "arn"
	canonical_partition(parts[1])
}

canonical_arn(s) := s if {
	is_string(s)
	not canonical_partition_of(s)
}

canonical_arn(s) := "" if not is_string(s)

canonical_partition_of(s) if {
	parts := split(s, ":")
	count(parts) >= 3
	parts[0] == "arn"
	canonical_partition(parts[1])
}

canonical_partition(p) if valid_partition(p)

# A `*` partition can only ever mean the account's own partition.
canonical_partition("*") := true

arn_equal(a, b) if canonical_arn(a) == canonical_arn(b)

# resource_covers: the Resource pattern `pattern` matches every resource that `target`
# (itself possibly a pattern) names. Both are compared partition-agnostically.
resource_covers(pattern, target) if {
	is_string(pattern)
	glob.match(glob_pattern(canonical_arn(pattern)), null, canonical_arn(target))
}

# parse_policy_arn splits `arn:<p>:iam::<account>:policy/<path/>Name`.
parse_policy_arn(arn) := {
	"partition_ok": partition_ok(parts[1]),
	"account": parts[4],
	"aws_managed": aws_owned(parts),
	"path_name": substring(parts[5], count("policy/"), -1),
	"name": names[count(names) - 1],
} if {
	is_string(arn)
	parts := split(arn, ":")
	count(parts) == 6
	parts[0] == "arn"
	parts[2] == "iam"
	startswith(parts[5], "policy/")
	names := split(parts[5], "/")
}

partition_ok(p) := true if {
	valid_partition(p)
} else := false

aws_owned(parts) := true if {
	valid_partition(parts[1])
	parts[4] == "aws"
} else := false

# aws_managed_policy(arn, name): the AWS-managed policy `name`, in any partition. A
# customer policy of the same name (account id instead of `aws`) is a different policy.
aws_managed_policy(arn, name) if {
	p := parse_policy_arn(arn)
	p.aws_managed
	p.path_name == name
}
