package eksiam.hcp_test

import rego.v1

import data.eksiam.hcp
import data.eksiam.lib.testing as t

admin_arn := "arn:aws:iam::aws:policy/AdministratorAccess"

# A workspace of the organization that has nothing to do with EKS.
bucket_only := t.plan([t.change("aws_s3_bucket", "logs", {"bucket": "acme-logs"})], [])

# A workspace that attaches a policy to a role made in another workspace, by literal name.
attachment_to(role) := t.plan([t.change("aws_iam_role_policy_attachment", "extra", {"role": role, "policy_arn": admin_arn})], [])

node_plan_with_admin := t.plan(
	array.concat(t.node_plan.resource_changes, [t.change("aws_iam_role_policy_attachment", "admin", {"role": "NodeInstanceRole", "policy_arn": admin_arn})]),
	t.node_plan.configuration.root_module.resources,
)

node_plan_at_path(path) := json.patch(t.node_plan, [{"op": "replace", "path": "/resource_changes/0/change/after/path", "value": path}])

no_messages(result) if {
	every _, lines in result.messages {
		lines == []
	}
	result.mandatory == []
	result.advisory == []
}

test_allow_workspace_without_eks_roles if {
	no_messages(hcp) with input as t.hcp(bucket_only)
}

test_allow_empty_plan if {
	no_messages(hcp) with input as t.hcp(t.plan([], []))
}

test_allow_attachment_to_another_workspaces_role if {
	no_messages(hcp) with input as t.hcp(attachment_to("app-runner"))
	no_messages(hcp) with input as t.hcp(attachment_to("arn:aws:iam::123456789012:role/service/app-runner"))
}

test_allow_documented_roles if {
	no_messages(hcp) with input as t.hcp(t.node_plan)
	no_messages(hcp) with input as t.hcp(t.connector_plan)
}

test_deny_admin_on_node_role_is_mandatory if {
	result := hcp with input as t.hcp(node_plan_with_admin)
	some line in result.mandatory
	startswith(line, "EKSIAM-ROLE-003 CRITICAL: ")
	contains(line, "AdministratorAccess")
	some node_line in result.messages.node_003
	startswith(node_line, "EKSIAM-NODE-003 HIGH: ")
	result.advisory == []
}

test_deny_medium_finding_is_advisory_only if {
	result := hcp with input as t.hcp(node_plan_at_path("/eks/")) with data.eksiam.config.node.path as "/"
	result.mandatory == []
	some line in result.advisory
	startswith(line, "EKSIAM-ROLE-002 MEDIUM: ")
	result.messages.role_002 == result.advisory
}

test_deny_attachment_to_an_eks_role_outside_the_workspace if {
	every role in [
		"NodeInstanceRole",
		"AmazonEKSConnectorAgentRole",
		"arn:aws:iam::123456789012:role/NodeInstanceRole",
		"eksctl-prod-nodegroup-ng1-NodeInstanceRole-1A2B3C4D5E6F",
	] {
		result := hcp with input as t.hcp(attachment_to(role))
		count(result.mandatory) == 1
		startswith(result.mandatory[0], "EKSIAM-INPUT-002 HIGH: aws_iam_role_policy_attachment.extra ")
	}
}

test_deny_attachment_to_a_role_unknown_at_plan_time if {
	unknown := t.plan([t.change("aws_iam_role_policy_attachment", "extra", {"policy_arn": admin_arn})], [])
	result := hcp with input as t.hcp(unknown)
	count(result.messages.input_002) == 1
}

test_deny_every_eks_role_named_in_a_list if {
	attachment := t.change("aws_iam_policy_attachment", "shared", {"roles": ["app-runner", "NodeInstanceRole"], "policy_arn": admin_arn})
	result := hcp with input as t.hcp(t.plan([attachment], []))
	count(result.messages.input_002) == 1
}

test_deny_unreadable_input if {
	result := hcp with input as {"plan": {"not": "a plan"}, "run": {"id": "run-test"}}
	some line in result.mandatory
	startswith(line, "EKSIAM-INPUT-001 HIGH: ")
}

test_messages_has_an_array_for_every_rule if {
	result := hcp with input as t.hcp(bucket_only)
	every name in data.eksiam.main.rule_packages {
		is_array(result.messages[name])
	}
	count(result.messages) == count(data.eksiam.main.rule_packages)
}
