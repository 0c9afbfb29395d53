# What a role built by the eksiam constructs declares about itself: its opt-ins travel with
# it as tags (`eksiam:opt-in` = "ssm-core ipv6-cni", `eksiam:policy:<key>` = policy ARN), in
# the synthesized JSON, the plan and the live account alike, so the intent is written once
# (in the construct's props) and read here. A declaration only widens what the node role's
# allowlist accepts; administrator-level policies, `*` grants and trust changes are judged
# by rules that read no declaration.
package eksiam.lib.declared

import rego.v1

import data.eksiam.lib.config
import data.eksiam.lib.iam

opt_in_tag := "eksiam:opt-in"

policy_tag_prefix := "eksiam:policy:"

# opted_in(role, name): the configuration or the role's own tag opts into `name`.
opted_in(role, "ssm-core") if config.setting("node", "allow_ssm_managed_instance_core") == true

opted_in(role, "ipv6-cni") if config.setting("node", "allow_ipv6_cni") == true

opted_in(role, "cni-on-irsa") if config.setting("node", "cni_policy_on_irsa") == true

opted_in(role, name) if name in tag_words(role, opt_in_tag)

tag_words(role, key) := {w | some w in split(object.get(object.get(role, "tags", {}), key, ""), " "); w != ""}

# The extra policy ARNs the role may carry: the configured ones and the declared ones.
extra_policy_arns(role) := array.concat(
	config.setting("node", "additional_policy_arns"),
	[arn | some key, arn in object.get(role, "tags", {}); startswith(key, policy_tag_prefix); is_string(arn)],
)

extra_policy_allowed(role, policy) if {
	is_string(policy.arn)
	some arn in extra_policy_arns(role)
	iam.arn_equal(arn, policy.arn)
}
