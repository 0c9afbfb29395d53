# Builds the finding objects every rule returns, from the rule's own METADATA, so the id,
# severity, title and remediation are stated once, in the rule file's annotation block.
package eksiam.lib.result

import rego.v1

# finding(chain, resource, msg): `chain` is rego.metadata.chain() evaluated in the rule.
finding(chain, resource, msg) := {
	"id": annotations.custom.id,
	"severity": annotations.custom.severity,
	"title": annotations.title,
	"resource": resource,
	"msg": msg,
	"remediation": annotations.custom.recommended_action,
} if {
	annotations := [a |
		some entry in chain
		a := entry.annotations
		a.custom.id
	][0]
}

# finding_on(chain, resource, carrier, msg): a finding whose flaw `carrier` carries on
# `resource` (the attachment or policy resource of a role): the gate makes one finding of
# every check, of either engine, that saw the same carrier of the same role. A carrier that is
# not a string is left out, so the finding stands alone rather than merging on a guess.
finding_on(chain, resource, carrier, msg) := object.union(finding(chain, resource, msg), {"carrier": carrier}) if {
	is_string(carrier)
} else := finding(chain, resource, msg)

# policy_label(policy): how a message names a managed policy of the normalized view — its
# ARN when literal, else its name and where it comes from (`${aws_iam_policy.x.arn}`).
policy_label(policy) := policy.arn if {
	is_string(policy.arn)
	not contains(policy.arn, "${")
} else := sprintf("%s (%s)", [policy.name, policy.policy_resource]) if {
	is_string(policy.name)
	is_string(policy.policy_resource)
} else := policy.arn if {
	is_string(policy.arn)
} else := sprintf("%v", [policy.name])
