# Builders for the rule tests: the documented roles in each input shape, which a test then
# changes in one place. Only tests import this package.
package eksiam.lib.testing

import rego.v1

connector_partition := "${data.aws_partition.connector_agent_partition.partition}"

node_partition := "${data.aws_partition.node_partition.partition}"

# The documents as the AWS pages give them (connector trust lists the service, node's names it).
connector_trust := {"Version": "2012-10-17", "Statement": [{
	"Effect": "Allow",
	"Principal": {"Service": ["ssm.amazonaws.com"]},
	"Action": "sts:AssumeRole",
}]}

node_trust := {"Version": "2012-10-17", "Statement": [{
	"Effect": "Allow",
	"Principal": {"Service": "ec2.amazonaws.com"},
	"Action": "sts:AssumeRole",
}]}

connector_policy_in(partition) := {"Version": "2012-10-17", "Statement": [
	{
		"Sid": "SsmControlChannel",
		"Effect": "Allow",
		"Action": ["ssmmessages:CreateControlChannel"],
		"Resource": sprintf("arn:%s:eks:*:*:cluster/*", [partition]),
	},
	{
		"Sid": "ssmDataplaneOperations",
		"Effect": "Allow",
		"Action": ["ssmmessages:CreateDataChannel", "ssmmessages:OpenDataChannel", "ssmmessages:OpenControlChannel"],
		"Resource": "*",
	},
]}

connector_policy := connector_policy_in(connector_partition)

node_policy_names := ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"]

managed_arn(partition, name) := sprintf("arn:%s:iam::aws:policy/%s", [partition, name])

node_policy_arns := [managed_arn(node_partition, n) | some n in node_policy_names]

# --- synthesized cdk.tf.json --------------------------------------------------------

connector_synth(trust, policy) := {
	"//": {"metadata": {"stackName": "eksiam-connector"}},
	"data": {"aws_partition": {"connector_agent_partition": {}}},
	"resource": {
		"aws_iam_role": {"connector_agent_role": {
			"name": "AmazonEKSConnectorAgentRole",
			"path": "/",
			"assume_role_policy": json.marshal(trust),
			"tags": {"eksiam:role": "connector"},
		}},
		"aws_iam_role_policy": {"connector_agent_policy": {
			"name": "AmazonEKSConnectorAgentPolicy",
			"role": "${aws_iam_role.connector_agent_role.id}",
			"policy": json.marshal(policy),
		}},
	},
}

connector_documented := connector_synth(connector_trust, connector_policy)

node_synth(trust, arns) := {
	"//": {"metadata": {"stackName": "eksiam-node"}},
	"data": {"aws_partition": {"node_partition": {}}},
	"resource": {
		"aws_iam_role": {"node_role": {
			"name": "NodeInstanceRole",
			"path": "/",
			"assume_role_policy": json.marshal(trust),
			"tags": {"eksiam:role": "node"},
		}},
		"aws_iam_role_policy_attachment": {sprintf("node_policy_%d", [i]): {
			"role": "${aws_iam_role.node_role.name}",
			"policy_arn": arn,
		} |
			some i, arn in arns
		},
	},
}

node_documented := node_synth(node_trust, node_policy_arns)

# with_resource(doc, type, name, values): add a resource, or merge `values` into one.
with_resource(doc, type, name, values) := object.union(doc, {"resource": {type: {name: values}}})

# with_role(doc, values): merge `values` into the (only) aws_iam_role of `doc`.
with_role(doc, values) := with_resource(doc, "aws_iam_role", name, values) if {
	some name, _ in doc.resource.aws_iam_role
}

without_resource(doc, type, name) := json.remove(doc, [sprintf("resource/%s/%s", [type, name])])

# --- live snapshot (get-account-authorization-details) ------------------------------

snapshot_role(name, trust, inline, arns, tags) := {
	"RoleName": name,
	"Path": "/",
	"Arn": sprintf("arn:aws:iam::123456789012:role/%s", [name]),
	"RoleId": "AROAEXAMPLE",
	"AssumeRolePolicyDocument": trust,
	"RolePolicyList": [{"PolicyName": n, "PolicyDocument": d} | some n, d in inline],
	"AttachedManagedPolicies": [{"PolicyName": split(arn, "/")[count(split(arn, "/")) - 1], "PolicyArn": arn} | some arn in arns],
	"Tags": [{"Key": k, "Value": v} | some k, v in tags],
	"MaxSessionDuration": 3600,
}

connector_snapshot := {"RoleDetailList": [snapshot_role(
	"AmazonEKSConnectorAgentRole", connector_trust,
	{"AmazonEKSConnectorAgentPolicy": connector_policy_in("aws")}, [], {},
)]}

node_snapshot := {"RoleDetailList": [snapshot_role(
	"NodeInstanceRole", node_trust, {},
	[managed_arn("aws", n) | some n in node_policy_names], {},
)]}

# The connector role in the document's console form: no inline policy, a customer managed
# AmazonEKSConnectorAgentPolicy attached, its document in Policies when `document` is not null.
console_policy_arn := "arn:aws:iam::123456789012:policy/AmazonEKSConnectorAgentPolicy"

connector_console_snapshot(document) := object.union(
	{"RoleDetailList": [snapshot_role(
		"AmazonEKSConnectorAgentRole", connector_trust, {}, [console_policy_arn], {},
	)]},
	{"Policies": [{
		"PolicyName": "AmazonEKSConnectorAgentPolicy",
		"Arn": console_policy_arn,
		"PolicyVersionList": [{"Document": document, "IsDefaultVersion": true, "VersionId": "v1"}],
	} | document != null]},
)

# --- terraform show -json plan --------------------------------------------------------

# plan(changes, configuration): a minimal plan with the given resource_changes and
# configuration resources (each {"address", "expressions"}).
plan(changes, config_resources) := {
	"format_version": "1.2",
	"terraform_version": "1.11.0",
	"resource_changes": changes,
	"configuration": {"root_module": {"resources": config_resources}},
}

change(type, name, after) := {
	"address": sprintf("%s.%s", [type, name]),
	"mode": "managed",
	"type": type,
	"name": name,
	"change": {"actions": ["create"], "after": after, "after_unknown": {}},
}

config(type, name, expressions) := {"address": sprintf("%s.%s", [type, name]), "expressions": expressions}

# The documented node role as planned: partition resolved to "aws", role name known.
node_plan := plan(
	array.concat(
		[change("aws_iam_role", "node_role", {
			"name": "NodeInstanceRole",
			"path": "/",
			"assume_role_policy": json.marshal(node_trust),
			"tags": {"eksiam:role": "node"},
		})],
		[change("aws_iam_role_policy_attachment", sprintf("node_policy_%d", [i]), {
			"role": "NodeInstanceRole",
			"policy_arn": managed_arn("aws", n),
		}) |
			some i, n in node_policy_names
		],
	),
	[config("aws_iam_role_policy_attachment", sprintf("node_policy_%d", [i]), {"role": {"references": ["aws_iam_role.node_role.name", "aws_iam_role.node_role"]}}) |
		some i, _ in node_policy_names
	],
)

# The documented connector role as planned, its inline policy's role known only after
# apply (`.id`), so linked through the configuration's references.
connector_plan := plan(
	[
		change("aws_iam_role", "connector_agent_role", {
			"name": "AmazonEKSConnectorAgentRole",
			"path": "/",
			"assume_role_policy": json.marshal(connector_trust),
			"tags": {"eksiam:role": "connector"},
		}),
		change("aws_iam_role_policy", "connector_agent_policy", {
			"name": "AmazonEKSConnectorAgentPolicy",
			"policy": json.marshal(connector_policy_in("aws")),
		}),
	],
	[config("aws_iam_role_policy", "connector_agent_policy", {"role": {"references": ["aws_iam_role.connector_agent_role.id", "aws_iam_role.connector_agent_role"]}})],
)

hcp(plan_doc) := {"plan": plan_doc, "run": {"id": "run-test", "is_destroy": false}}
