"""The mutation corpus: insecure and harmless edits of the synthesized stacks, as data.

Each case edits a deep copy of a stack's cdk.tf.json. Insecure cases name the rule ids that
must report them; harmless ones must pass every rule. ``plannable`` says whether terraform
can plan the edited stack as is (a plan leg reuses the corpus).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

CONNECTOR = "eksiam-connector"
NODE = "eksiam-node"
CONNECTOR_ROLE = "connector_agent_role"
NODE_ROLE = "node_role"
AWS_MANAGED = "arn:${data.aws_partition.node_partition.partition}:iam::aws:policy/"


@dataclass(frozen=True)
class Mutation:
    name: str
    stack: str
    apply: Callable[[dict], None]
    expected: frozenset[str]  # rule ids that must fire; empty: no finding at all
    config: dict[str, Any] = field(default_factory=dict)  # data.eksiam.config for the case
    plannable: bool = True


# --- editing helpers ---------------------------------------------------------------------


def resources(doc: dict, type_: str) -> dict:
    return doc.setdefault("resource", {}).setdefault(type_, {})


def role(doc: dict) -> dict:
    (values,) = resources(doc, "aws_iam_role").values()
    return values


def role_name(doc: dict) -> str:
    (name,) = resources(doc, "aws_iam_role")
    return name


def edit_trust(change: Callable[[dict], None]) -> Callable[[dict], None]:
    def apply(doc: dict) -> None:
        trust = json.loads(role(doc)["assume_role_policy"])
        change(trust)
        role(doc)["assume_role_policy"] = json.dumps(trust)
    return apply


def edit_statement(**values: Any) -> Callable[[dict], None]:
    def change(trust: dict) -> None:
        trust["Statement"][0].update(values)
    return edit_trust(change)


def add_trust_statement(statement: dict) -> Callable[[dict], None]:
    return edit_trust(lambda trust: trust["Statement"].append(statement))


def edit_agent_policy(change: Callable[[dict], None]) -> Callable[[dict], None]:
    def apply(doc: dict) -> None:
        policy = resources(doc, "aws_iam_role_policy")["connector_agent_policy"]
        document = json.loads(policy["policy"])
        change(document)
        policy["policy"] = json.dumps(document)
    return apply


def add_resource(type_: str, name: str, values: dict) -> Callable[[dict], None]:
    def apply(doc: dict) -> None:
        resources(doc, type_)[name] = json.loads(json.dumps(values).replace("ROLE", role_name(doc)))
    return apply


def attach(arn: str, name: str = "tampered") -> Callable[[dict], None]:
    return add_resource("aws_iam_role_policy_attachment", name, {"role": "${aws_iam_role.ROLE.name}", "policy_arn": arn})


def set_role(**values: Any) -> Callable[[dict], None]:
    return lambda doc: role(doc).update(values)


def chain(*steps: Callable[[dict], None]) -> Callable[[dict], None]:
    def apply(doc: dict) -> None:
        for step in steps:
            step(doc)
    return apply


def repartition(partition: str) -> Callable[[dict], None]:
    """Replace every partition lookup with a literal partition."""
    def apply(doc: dict) -> None:
        text = re.sub(r"\$\{data\.aws_partition\.[A-Za-z0-9_]+\.partition\}", partition, json.dumps(doc))
        doc.clear()
        doc.update(json.loads(text))
    return apply


def drop_resource(type_: str, name: str) -> Callable[[dict], None]:
    return lambda doc: resources(doc, type_).pop(name)


def retag_and_rename(doc: dict) -> None:
    """Strip every sign of an EKS role: the identity tag, the address, the EKS policies
    (AmazonEKSWorkerNodePolicy alone identifies a node role) and a name a page or the
    configuration gives the role."""
    attachments = resources(doc, "aws_iam_role_policy_attachment")
    for name in [n for n, a in attachments.items() if "AmazonEKS" in a.get("policy_arn", "")]:
        del attachments[name]
    type_roles = resources(doc, "aws_iam_role")
    old = role_name(doc)
    values = type_roles.pop(old)
    values["tags"] = {"team": "platform"}
    values["name"] = "platform-workers"
    type_roles["renamed"] = values
    text = json.dumps(doc).replace(f"aws_iam_role.{old}.", "aws_iam_role.renamed.")
    doc.clear()
    doc.update(json.loads(text))


def add_policy_statement(statement: dict) -> Callable[[dict], None]:
    return edit_agent_policy(lambda document: document["Statement"].append(statement))


def edit_policy_statement(index: int, **values: Any) -> Callable[[dict], None]:
    return edit_agent_policy(lambda document: document["Statement"][index].update(values))


def ids(*rule_ids: str) -> frozenset[str]:
    return frozenset(rule_ids)


C1, C2, C3, C4 = (f"EKSIAM-CONNECTOR-00{i}" for i in range(1, 5))
N1, N2, N3, N4 = (f"EKSIAM-NODE-00{i}" for i in range(1, 5))
R1, R2, R3 = (f"EKSIAM-ROLE-00{i}" for i in range(1, 4))
I1, I2 = "EKSIAM-INPUT-001", "EKSIAM-INPUT-002"
BOUNDARY = "arn:aws:iam::123456789012:policy/eks-boundary"

# --- insecure: each must be denied by the named rules --------------------------------------

INSECURE: tuple[Mutation, ...] = (
    # trust policies
    Mutation("connector_trust_any_principal", CONNECTOR, edit_statement(Principal="*"), ids(C1)),
    Mutation("connector_trust_aws_wildcard", CONNECTOR, edit_statement(Principal={"AWS": "*"}), ids(C1)),
    Mutation("connector_trust_account_root", CONNECTOR, edit_statement(Principal={"AWS": "arn:aws:iam::111122223333:root"}), ids(C1)),
    Mutation("connector_trust_extra_service", CONNECTOR, edit_statement(Principal={"Service": ["ssm.amazonaws.com", "ec2.amazonaws.com"]}), ids(C1)),
    Mutation("connector_trust_lookalike_service", CONNECTOR, edit_statement(Principal={"Service": "ssm.amazonaws.com.attacker.example"}), ids(C1)),
    Mutation("connector_trust_not_principal", CONNECTOR, edit_trust(lambda t: t["Statement"][0].update({"NotPrincipal": t["Statement"][0].pop("Principal")})), ids(C1)),
    Mutation("connector_trust_web_identity", CONNECTOR, edit_statement(Action=["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"]), ids(C1)),
    Mutation("connector_trust_sts_wildcard", CONNECTOR, edit_statement(Action="sts:*"), ids(C1)),
    Mutation("connector_trust_extra_allow", CONNECTOR, add_trust_statement({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/ci"}, "Action": "sts:AssumeRole"}), ids(C1)),
    Mutation("node_trust_any_principal", NODE, edit_statement(Principal="*"), ids(N1)),
    Mutation("node_trust_connector_service", NODE, edit_statement(Principal={"Service": "ssm.amazonaws.com"}), ids(N1)),
    Mutation("node_trust_not_action", NODE, edit_trust(lambda t: t["Statement"][0].update({"NotAction": t["Statement"][0].pop("Action")})), ids(N1)),
    Mutation("node_trust_tag_session", NODE, edit_statement(Action=["sts:AssumeRole", "sts:TagSession"]), ids(N1)),
    Mutation("node_trust_allow_became_deny", NODE, edit_statement(Effect="Deny"), ids(N1)),
    Mutation("node_trust_unreadable", NODE, set_role(assume_role_policy="${file(\"trust.json\")}"), ids(N1), plannable=False),
    Mutation("node_trust_tampered_and_tag_removed", NODE, chain(edit_statement(Principal="*"), set_role(tags={})), ids(N1)),
    # connector permissions
    Mutation("connector_service_wildcard", CONNECTOR, edit_policy_statement(1, Action="ssmmessages:*"), ids(C3)),
    Mutation("connector_everything", CONNECTOR, add_policy_statement({"Effect": "Allow", "Action": "*", "Resource": "*"}), ids(C3, R3)),
    Mutation("connector_other_service", CONNECTOR, add_policy_statement({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}), ids(C3)),
    Mutation("connector_not_action", CONNECTOR, add_policy_statement({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}), ids(C3)),
    Mutation("connector_control_channel_everywhere", CONNECTOR, edit_policy_statement(0, Resource="*"), ids(C3)),
    Mutation("connector_control_channel_dropped", CONNECTOR, edit_agent_policy(lambda d: d["Statement"].pop(0)), ids(C2)),
    Mutation("connector_open_channels_denied", CONNECTOR, add_policy_statement({"Effect": "Deny", "Action": "ssmmessages:Open*", "Resource": "*"}), ids(C2)),
    Mutation("connector_policy_removed", CONNECTOR, drop_resource("aws_iam_role_policy", "connector_agent_policy"), ids(C2)),
    Mutation("connector_second_inline_policy", CONNECTOR, add_resource("aws_iam_role_policy", "extra", {"name": "Extra", "role": "${aws_iam_role.ROLE.id}", "policy": json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssmmessages:OpenDataChannel", "Resource": "*"}]})}), ids(C4)),
    Mutation("connector_managed_policy", CONNECTOR, attach("arn:aws:iam::aws:policy/ReadOnlyAccess"), ids(C4)),
    Mutation("connector_inline_block_on_role", CONNECTOR, set_role(inline_policy=[{"name": "Sneaky", "policy": json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]})}]), ids(C3, C4)),
    Mutation("connector_exclusive_drops_agent_policy", CONNECTOR, add_resource("aws_iam_role_policies_exclusive", "only", {"role_name": "${aws_iam_role.ROLE.name}", "policy_names": []}), ids(C2)),
    # node attachments
    Mutation("node_cni_policy_removed", NODE, drop_resource("aws_iam_role_policy_attachment", "node_cni_policy"), ids(N2)),
    Mutation("node_customer_lookalike_policy", NODE, lambda d: resources(d, "aws_iam_role_policy_attachment")["node_ecr_read_only"].update(policy_arn="arn:aws:iam::123456789012:policy/AmazonEC2ContainerRegistryReadOnly"), ids(N2, N3)),
    Mutation("node_administrator_access", NODE, attach(AWS_MANAGED + "AdministratorAccess"), ids(N3, R3)),
    Mutation("node_admin_even_if_allowlisted", NODE, attach("arn:aws:iam::aws:policy/IAMFullAccess"), ids(R3), config={"node": {"additional_policy_arns": ["arn:aws:iam::aws:policy/IAMFullAccess"]}}),
    # Reported LOW (EKSIAM-NODE-005): eksctl's and Karpenter's default, within the node role's permissions.
    Mutation("node_ssm_without_opt_in", NODE, attach(AWS_MANAGED + "AmazonSSMManagedInstanceCore"), ids("EKSIAM-NODE-005")),
    Mutation("node_policy_attachment_roles_list", NODE, add_resource("aws_iam_policy_attachment", "shared", {"name": "shared", "roles": ["${aws_iam_role.ROLE.name}"], "policy_arn": "arn:aws:iam::aws:policy/AmazonS3FullAccess"}), ids(N3)),
    Mutation("node_managed_policy_arns_argument", NODE, set_role(managed_policy_arns=[AWS_MANAGED + "AmazonEKSWorkerNodePolicy"]), ids(N2)),
    Mutation("node_exclusive_attachments", NODE, add_resource("aws_iam_role_policy_attachments_exclusive", "only", {"role_name": "${aws_iam_role.ROLE.name}", "policy_arns": [AWS_MANAGED + "AmazonEKSWorkerNodePolicy", AWS_MANAGED + "PowerUserAccess"]}), ids(N2, N3, R3)),
    Mutation("node_inline_policy", NODE, add_resource("aws_iam_role_policy", "extra", {"name": "Extra", "role": "${aws_iam_role.ROLE.id}", "policy": json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})}), ids(N4)),
    Mutation("node_attachment_by_literal_name", NODE, add_resource("aws_iam_role_policy_attachment", "literal", {"role": "NodeInstanceRole", "policy_arn": "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"}), ids(N3)),
    Mutation("node_attachment_via_variable", NODE, add_resource("aws_iam_role_policy_attachment", "hidden", {"role": "${var.role}", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}), ids(I2), plannable=False),
    # general
    Mutation("node_boundary_missing", NODE, lambda d: None, ids(R1), config={"node": {"permissions_boundary": BOUNDARY}}),
    Mutation("connector_boundary_swapped", CONNECTOR, set_role(permissions_boundary="arn:aws:iam::123456789012:policy/loose"), ids(R1), config={"connector": {"permissions_boundary": BOUNDARY}}),
    Mutation("node_invalid_path", NODE, set_role(path="eks"), ids(R2), plannable=False),
    Mutation("node_cluster_admin_access_policy", NODE, add_resource("aws_eks_access_policy_association", "admin", {"cluster_name": "demo", "principal_arn": "${aws_iam_role.ROLE.arn}", "policy_arn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", "access_scope": {"type": "cluster"}}), ids("EKSIAM-ROLE-004")),
    Mutation("node_unrecognizable", NODE, retag_and_rename, ids(I1), config={"node": {"role_name": "SomethingElse"}}),
)

# --- harmless: each must pass every rule -------------------------------------------------

HARMLESS: tuple[Mutation, ...] = (
    Mutation("connector_renamed", CONNECTOR, set_role(name="eks-connector-agent"), ids()),
    Mutation("node_name_prefix", NODE, lambda d: role(d).update(name_prefix=role(d).pop("name")), ids()),
    Mutation("node_nested_path", NODE, set_role(path="/eks/nodes/"), ids()),
    Mutation("connector_more_tags", CONNECTOR, lambda d: role(d)["tags"].update(team="platform", env="prod"), ids()),
    Mutation("node_required_boundary", NODE, set_role(permissions_boundary=BOUNDARY), ids(), config={"node": {"permissions_boundary": BOUNDARY}}),
    Mutation("connector_partition_aws_cn", CONNECTOR, repartition("aws-cn"), ids()),
    Mutation("node_partition_aws_us_gov", NODE, repartition("aws-us-gov"), ids()),
    Mutation("connector_lists_as_strings", CONNECTOR, chain(edit_statement(Principal={"Service": "ssm.amazonaws.com"}, Action=["sts:AssumeRole"]), edit_policy_statement(0, Action="ssmmessages:CreateControlChannel", Resource=["arn:${data.aws_partition.connector_agent_partition.partition}:eks:*:*:cluster/*"])), ids()),
    Mutation("node_source_account_condition", NODE, edit_statement(Condition={"StringEquals": {"aws:SourceAccount": "123456789012"}}), ids()),
    Mutation("connector_action_case", CONNECTOR, edit_policy_statement(1, Action=["SSMMESSAGES:createdatachannel", "ssmmessages:opendatachannel", "ssmmessages:OpenControlChannel"]), ids()),
    Mutation("node_ssm_opted_in", NODE, attach(AWS_MANAGED + "AmazonSSMManagedInstanceCore"), ids(), config={"node": {"allow_ssm_managed_instance_core": True}}),
    Mutation("node_allowlisted_extra", NODE, attach("arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"), ids(), config={"node": {"additional_policy_arns": ["arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"]}}),
    Mutation("connector_tag_removed_address_kept", CONNECTOR, lambda d: role(d).pop("tags"), ids()),
)
