# METADATA
# title: Node role carries AmazonSSMManagedInstanceCore only where declared
# description: >-
#   eksctl and Karpenter's getting-started template attach AmazonSSMManagedInstanceCore to the
#   node role by default, for Session Manager access to the nodes in place of SSH. It is no
#   permission the node pages require, and it lets every pod that reaches the instance
#   profile register as a managed instance and open Session Manager channels; reported LOW (it
#   does not fail the gate at the default fail-on) unless the configuration or the role
#   declares it ([node] attach_ssm_managed_instance_core, the constructs' `eksiam:opt-in` tag
#   "ssm-core").
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
#   - https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-instance-permissions.html
# custom:
#   id: EKSIAM-NODE-005
#   severity: LOW
#   recommended_action: >-
#     Keep it if you use Session Manager on the nodes and declare it ([node]
#     attach_ssm_managed_instance_core = true, or the construct's prop of that name); else
#     detach it.
package eksiam.rules.node_005

import rego.v1

import data.eksiam.lib.declared
import data.eksiam.lib.documented
import data.eksiam.lib.result
import data.eksiam.lib.view

deny contains finding if {
	some role in view.node_roles
	not declared.opted_in(role, "ssm-core")
	some policy in role.managed_policies
	policy.retained
	policy.aws_managed
	policy.name == documented.node_ssm_policy
	msg := sprintf(
		"Node role %s has %s attached by %s without declaring it: Session Manager access to the nodes, which no node page requires.",
		[role.resource, documented.node_ssm_policy, policy.resource],
	)
	finding := result.finding(rego.metadata.chain(), role.resource, msg)
}
