package eksiam.lib.result_test

import rego.v1

import data.eksiam.lib.result

# METADATA
# custom:
#   id: EKSIAM-TEST-001
#   severity: HIGH
#   recommended_action: Detach it.
# title: A rule for the helper's tests
test_allow_finding_carries_its_carrier if {
	f := result.finding_on(rego.metadata.chain(), "aws_iam_role.r", "aws_iam_role_policy_attachment.a", "R has A.")
	f.id == "EKSIAM-TEST-001"
	f.severity == "HIGH"
	f.resource == "aws_iam_role.r"
	f.carrier == "aws_iam_role_policy_attachment.a"
	f.msg == "R has A."
	f.remediation == "Detach it."
}

# METADATA
# custom:
#   id: EKSIAM-TEST-002
#   severity: LOW
#   recommended_action: Fix it.
# title: Another rule for the helper's tests
test_deny_carrier_that_is_not_a_string if {
	f := result.finding_on(rego.metadata.chain(), "aws_iam_role.r", null, "R is wrong.")
	f.id == "EKSIAM-TEST-002"
	not "carrier" in object.keys(f)
	f == result.finding(rego.metadata.chain(), "aws_iam_role.r", "R is wrong.")
}
