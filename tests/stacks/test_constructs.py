"""The constructs, as a cdktf app embedding them would use them (cdktf's Testing helpers)."""

from __future__ import annotations

import json
import tempfile

import pytest

from eksiam.errors import UsageError
from eksiam import EksConnectorAgentRole, EksConnectorAgentRoleProps, EksNodeRole, EksNodeRoleProps
from eksiam.cdk import AwsProvider, IamRole, IamServiceLinkedRole, TerraformStack, Testing


def synth(build) -> str:
    """Synthesize what ``build`` adds to a fresh stack, as cdktf's testing guide does."""
    with tempfile.TemporaryDirectory() as outdir:  # Testing.app() alone would leave one in TMPDIR
        stack = TerraformStack(Testing.app(outdir=outdir), "test")
        build(stack)
        return Testing.synth(stack)


def node_attachments(synthesized: str) -> dict:
    return json.loads(synthesized)["resource"]["aws_iam_role_policy_attachment"]


def test_node_role_has_documented_trust_and_tags():
    out = synth(lambda scope: EksNodeRole(scope, "node"))
    assert Testing.to_have_resource_with_properties(out, IamRole.TF_RESOURCE_TYPE, {
        "name": "NodeInstanceRole",
        "path": "/",
        "tags": {"eksiam:role": "node"},
    })
    assert Testing.to_have_resource_with_properties(out, IamRole.TF_RESOURCE_TYPE, {"name": "AmazonEKSConnectorAgentRole"}) is False


def test_node_role_knobs_reach_the_role():
    props = EksNodeRoleProps(
        name="nodes-",
        use_name_prefix=True,
        path="/eks/",
        permissions_boundary="arn:aws:iam::123456789012:policy/Boundary",
        max_session_duration=7200,
        tags={"team": "platform"},
    )
    out = synth(lambda scope: EksNodeRole(scope, "node", props))
    assert Testing.to_have_resource_with_properties(out, IamRole.TF_RESOURCE_TYPE, {
        "name_prefix": "nodes-",
        "path": "/eks/",
        "permissions_boundary": "arn:aws:iam::123456789012:policy/Boundary",
        "max_session_duration": 7200,
        "tags": {"team": "platform", "eksiam:role": "node"},
    })
    role = next(iter(json.loads(out)["resource"]["aws_iam_role"].values()))
    assert "name" not in role, "a name prefix and a fixed name are mutually exclusive"


def test_node_role_opt_ins_add_attachments_with_stable_addresses():
    props = EksNodeRoleProps(
        attach_ssm_managed_instance_core=True,
        enable_ipv6_cni=True,
        additional_policy_arns={"logs": "arn:aws:iam::123456789012:policy/NodeLogs"},
    )
    out = synth(lambda scope: EksNodeRole(scope, "node", props))
    attachments = node_attachments(out)
    assert set(attachments) == {
        "node_worker_node_policy", "node_cni_policy", "node_ecr_read_only",
        "node_ssm_managed_instance_core", "node_ipv6_cni_policy", "node_additional_logs",
    }
    assert attachments["node_additional_logs"]["policy_arn"] == "arn:aws:iam::123456789012:policy/NodeLogs"
    assert attachments["node_ipv6_cni_policy"]["policy_arn"] == "${aws_iam_policy.node_ipv6_cni.arn}"
    assert attachments["node_ssm_managed_instance_core"]["policy_arn"].endswith(":iam::aws:policy/AmazonSSMManagedInstanceCore")


def test_opt_ins_are_declared_on_the_role_for_the_gate():
    props = EksNodeRoleProps(
        attach_ssm_managed_instance_core=True,
        cni_policy_on_irsa=True,
        additional_policy_arns={"logs": "arn:aws:iam::123456789012:policy/NodeLogs"},
    )
    out = synth(lambda scope: EksNodeRole(scope, "node", props))
    tags = json.loads(out)["resource"]["aws_iam_role"]["node_role"]["tags"]
    assert tags["eksiam:opt-in"] == "ssm-core cni-on-irsa"
    assert tags["eksiam:policy:logs"] == "arn:aws:iam::123456789012:policy/NodeLogs"
    assert "node_cni_policy" not in node_attachments(out), "the VPC CNI's IRSA role carries AmazonEKS_CNI_Policy"
    default_tags = json.loads(synth(lambda scope: EksNodeRole(scope, "node")))["resource"]["aws_iam_role"]["node_role"]["tags"]
    assert not any(key.startswith(("eksiam:opt-in", "eksiam:policy:")) for key in default_tags)


def test_declaration_tags_count_against_the_tag_limit():
    many = {f"t{i}": "x" for i in range(48)}
    with pytest.raises(UsageError, match="IAM allows 50"):
        EksNodeRoleProps(tags=many, additional_policy_arns={"a": "arn:aws:iam::123456789012:policy/A", "b": "arn:aws:iam::123456789012:policy/B"})


def test_node_role_defaults_attach_no_opt_ins():
    out = synth(lambda scope: EksNodeRole(scope, "node"))
    assert len(node_attachments(out)) == 3
    assert Testing.to_have_resource(out, "aws_iam_policy") is False


def test_connector_role_without_service_linked_role():
    out = synth(lambda scope: EksConnectorAgentRole(scope, "connector", EksConnectorAgentRoleProps(create_service_linked_role=False)))
    assert Testing.to_have_resource(out, IamServiceLinkedRole.TF_RESOURCE_TYPE) is False
    assert Testing.to_have_resource_with_properties(out, "aws_iam_role_policy", {"name": "AmazonEKSConnectorAgentPolicy"})


def test_import_existing_adds_an_import_block():
    out = synth(lambda scope: EksNodeRole(scope, "node", EksNodeRoleProps(import_existing=True)))
    imports = json.loads(out)["import"]
    assert imports == [{"id": "NodeInstanceRole", "to": "aws_iam_role.node_role"}]


def test_two_node_roles_in_one_stack_get_distinct_addresses():
    def build(scope):
        EksNodeRole(scope, "blue", EksNodeRoleProps(name="blue-nodes"))
        EksNodeRole(scope, "green", EksNodeRoleProps(name="green-nodes"))

    roles = json.loads(synth(build))["resource"]["aws_iam_role"]
    assert set(roles) == {"blue_role", "green_role"}


@pytest.mark.parametrize("bad", [
    {"name": "has space"},
    {"name": "x" * 65},
    {"name": "x" * 39, "use_name_prefix": True},
    {"path": "no-slashes"},
    {"permissions_boundary": "not-an-arn"},
    {"max_session_duration": 60},
    {"tags": {"eksiam:role": "connector"}},
    {"tags": {"aws:createdBy": "me"}},
    {"additional_policy_arns": {"Bad Key": "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
    {"use_name_prefix": True, "import_existing": True},
])
def test_invalid_props_are_rejected_before_synth(bad):
    with pytest.raises(UsageError):
        EksNodeRoleProps(**bad)


def test_full_stack_is_valid_terraform(terraform_cli_config, tmp_path):
    app = Testing.app(outdir=str(tmp_path))
    stack = TerraformStack(app, "test")
    AwsProvider(stack, "aws", region="us-east-1")
    EksConnectorAgentRole(stack, "connector")
    EksNodeRole(stack, "node", EksNodeRoleProps(attach_ssm_managed_instance_core=True, enable_ipv6_cni=True))
    app.synth()  # into tmp_path: Testing.full_synth() would leave a directory in TMPDIR
    assert Testing.to_be_valid_terraform(str(tmp_path))

