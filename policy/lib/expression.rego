# What a Terraform value means before apply, as the adapters read it. A value is one of:
#   literal    a JSON value with no `${` / `%{` template in it: what Terraform applies;
#   reference  exactly one reference `${a.b.c}` (an instance key allowed, spaces around it):
#              the value of that attribute of that object, linked by address;
#   arn        an ARN template whose only interpolations are the partition
#              (`data.aws_partition.x.partition`) and the account id
#              (`data.aws_caller_identity.x.account_id`): an ARN whose name is known;
#   unknown    anything else (a conditional, a function call, a template with literals around
#              a reference, `each.value`, a variable): the gate cannot tell what Terraform will
#              apply, so nothing that must exist may rest on it.
# The same reading serves a Terraform JSON file and a plan's `configuration` (whose
# `constant_value` of a JSON-written configuration holds the template text).
package eksiam.lib.expression

import rego.v1

name := `[A-Za-z_][A-Za-z0-9_-]*`

# data.<type>.<name> or <type>.<name>, then an optional instance key, then the attribute.
reference_pattern := sprintf(
	`^\$\{\s*((?:data\.%s\.%s)|(?:%s\.%s))(\[(?:[0-9]+|"[^"\\]*")\])?\.%s\s*\}$`,
	[name, name, name, name, name],
)

partition_interpolation := `\$\{\s*data\.aws_partition\.[A-Za-z0-9_-]+\.partition\s*\}`

account_interpolation := `\$\{\s*data\.aws_caller_identity\.[A-Za-z0-9_-]+\.account_id\s*\}`

templated(s) if {
	is_string(s)
	contains(s, "${")
}

templated(s) if {
	is_string(s)
	contains(s, "%{")
}

# reference(s): the static address the single reference `s` names ("aws_iam_role.r",
# "data.aws_iam_policy.p"); undefined when `s` is not exactly one reference.
reference(s) := m[1] if {
	is_string(s)
	[m] := regex.find_all_string_submatch_n(reference_pattern, s, 1)
}

# instance_reference(s): the address with its instance key, as a plan writes it
# (`aws_iam_policy.p[0]`, `aws_iam_policy.p["a"]`).
instance_reference(s) := concat("", [m[1], m[2]]) if {
	is_string(s)
	[m] := regex.find_all_string_submatch_n(reference_pattern, s, 1)
}

# arn_template(s): the ARN `s` with a partition and account interpolation replaced by
# placeholders the IAM helpers read (any partition; the input's own account, "self").
arn_template(s) := arn if {
	is_string(s)
	startswith(s, "arn:")
	arn := regex.replace(
		regex.replace(s, partition_interpolation, "${data.aws_partition.p.partition}"),
		account_interpolation, "self",
	)
	not contains(regex.replace(arn, `\$\{data\.aws_partition\.p\.partition\}`, ""), "${")
	not contains(arn, "%{")
}

# templated_in(value): a string, or a string in a list, holds a template.
templated_in(value) if {
	some s in strings(value)
	templated(s)
}

# kind(value): "literal", "reference", "arn" or "unknown" for one string or scalar.
kind(value) := "literal" if not is_string(value)

kind(value) := "literal" if {
	is_string(value)
	not templated(value)
}

kind(value) := "reference" if {
	templated(value)
	reference(value)
}

kind(value) := "arn" if {
	templated(value)
	not reference(value)
	arn_template(value)
}

kind(value) := "unknown" if {
	templated(value)
	not reference(value)
	not arn_template(value)
}

# unknown(value): a string, or any string inside a list, that the gate cannot read. A value
# that is itself no string and no list (a number, an object) holds no template here.
unknown(value) if kind(value) == "unknown"

unknown(value) if {
	is_array(value)
	some v in value
	kind(v) == "unknown"
}

unknown(value) if {
	is_array(value)
	some v in value
	not is_string(v)
	v != null
}

# references(value): the static addresses of the single references in `value` (a string or
# a list of strings).
references(value) := [r | some s in strings(value); r := reference(s)]

strings(value) := [value] if is_string(value)

strings(value) := [s | some s in value; is_string(s)] if is_array(value)

strings(value) := [] if {
	not is_string(value)
	not is_array(value)
}

# --- count and for_each: how many instances a Terraform JSON resource has -------------

# instances(values): "none" when `count` is a literal 0 or `for_each` a literal empty list
# or map (Terraform creates nothing); "unknown" when either is not a literal (the number of
# instances is decided at apply time); "some" otherwise.
instances(values) := "none" if zero_instances(values)

instances(values) := "unknown" if {
	not zero_instances(values)
	unknown_instances(values)
}

instances(values) := "some" if {
	not zero_instances(values)
	not unknown_instances(values)
}

zero_instances(values) if values.count == 0

zero_instances(values) if values.count == "0"

zero_instances(values) if {
	some empty in [[], {}]
	values.for_each == empty
}

unknown_instances(values) if {
	"count" in object.keys(values)
	not literal_count(values.count)
}

unknown_instances(values) if {
	"for_each" in object.keys(values)
	not literal_collection(values.for_each)
}

literal_count(n) if {
	is_number(n)
	n >= 0
}

literal_count(n) if {
	is_string(n)
	regex.match(`^[0-9]+$`, n)
}

# A map's keys fix its instances, whatever its values.
literal_collection(c) if is_object(c)

literal_collection(c) if {
	is_array(c)
	every v in c {
		is_string(v)
		not templated(v)
	}
}

# The reason an instance count is unknown, for findings to say.
instances_reason := "its count or for_each is not a literal, so Terraform decides only at apply time whether it exists"
