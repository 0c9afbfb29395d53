"""The CKV_EKSIAM checks' edge cases, run in this process as checkov runs them, and the
reading of checkov's JSON report. (test_checkov.py runs checkov itself.)"""

from __future__ import annotations

import json
import sys

import pytest

from eksiam.errors import ToolError
from eksiam.gate import checkov
from eksiam.gate.checkov import parse_output
from eksiam.gate.findings import Severity

from checkov_fixtures import policy_document, trust_document

# Imports checkov's library (seconds): with the checkov tests, not in `make test-fast`.
pytestmark = pytest.mark.integration


# --- parsing checkov's JSON ---------------------------------------------------------------


def _record(check_id: str, resource: str, **extra) -> dict:
    return {"check_id": check_id, "check_name": f"name of {check_id}", "resource": resource, "file_line_range": [3, 9], **extra}


def test_parse_list_output_keeps_the_framework_and_resolves_synth_addresses():
    source = json.dumps({"resource": {"aws_iam_role": {"node_role": {"name": "x"}}}}, indent=2)
    line = next(n for n, text in enumerate(source.splitlines(), start=1) if '"node_role"' in text)
    data = [
        {
            "check_type": "terraform_json",
            "results": {
                "passed_checks": [_record("CKV_AWS_60", "resource.node_role", file_line_range=[line, line + 2])],
                "failed_checks": [_record("CKV_X_1", "resource.node_role", severity="MODERATE", details=["why"])],
                "skipped_checks": [],
                "parsing_errors": [],
            },
        },
        {"check_type": "secrets", "results": {"failed_checks": [_record("CKV_SECRET_2", "x")]}},
    ]
    result = parse_output(data, "terraform_json", "stack.json", source)
    assert result.passed_checks == (("CKV_AWS_60", "aws_iam_role.node_role"),)
    (finding,) = result.findings
    assert (finding.rule, finding.resource, finding.severity) == ("CKV_X_1", "aws_iam_role.node_role", Severity.MEDIUM)
    assert finding.message == "aws_iam_role.node_role: name of CKV_X_1 (why)"
    assert finding.file == "stack.json"
    assert result.summary.evaluated == 2 and result.summary.failed == 1 and result.summary.passed == 1


def test_parse_bare_summary_means_nothing_evaluated():
    result = parse_output({"passed": 0, "failed": 0, "skipped": 0}, "terraform_plan", "plan.json")
    assert result.summary.evaluated == 0 and result.findings == ()


def test_parse_skipped_check_counts_as_failed():
    data = {
        "check_type": "terraform_plan",
        "results": {
            "passed_checks": [],
            "failed_checks": [],
            "skipped_checks": [_record("CKV_AWS_274", "aws_iam_role.r", check_result={"result": "SKIPPED", "suppress_comment": "trust me"})],
        },
    }
    (finding,) = parse_output(data, "terraform_plan", "plan.json").findings
    assert "use a waiver instead" in finding.message and "trust me" in finding.message


def test_parse_rejects_foreign_output():
    with pytest.raises(ToolError, match="not a checkov JSON report"):
        parse_output({"hello": "world"}, "terraform_plan", "plan.json")


# --- the custom checks' edge cases, in-process -----------------------------------------------


@pytest.fixture(scope="module")
def custom_checks():
    """The CKV_EKSIAM check objects, imported the way checkov imports them (top-level modules)."""
    sys.path.insert(0, str(checkov.EXTERNAL_CHECKS_DIR))
    try:
        import eksiam_connector_inline_policy
        import eksiam_connector_trust
        import eksiam_forbidden_managed_policies
        import eksiam_node_managed_policies
        import eksiam_node_trust
    finally:
        sys.path.remove(str(checkov.EXTERNAL_CHECKS_DIR))
    return {
        "connector_trust": eksiam_connector_trust.check,
        "node_trust": eksiam_node_trust.check,
        "connector_policy": eksiam_connector_inline_policy.check,
        "node_policies": eksiam_node_managed_policies.check,
        "forbidden": eksiam_forbidden_managed_policies.check,
    }


def _verdict(check, entity_type: str, name: str, conf: dict) -> str:
    from checkov.common.models.enums import CheckResult

    result = check.run("cdk.tf.json", conf, name, entity_type, None)["result"]
    return {CheckResult.PASSED: "passed", CheckResult.FAILED: "failed", CheckResult.UNKNOWN: "n/a"}[result]


def _connector_role(trust) -> dict:
    return {"assume_role_policy": [trust], "tags": [{"eksiam:role": "connector"}], "name": ["AmazonEKSConnectorAgentRole"]}


@pytest.mark.parametrize(
    ("trust", "verdict"),
    [
        (trust_document("ssm.amazonaws.com", "sts:assumerole"), "passed"),  # IAM actions are case-insensitive
        (trust_document(["ssm.amazonaws.com", "ssm.amazonaws.com"]), "passed"),
        (
            policy_document(
                {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}},
                {"Effect": "Deny", "Principal": "*", "Action": "*"},
            ),
            "passed",
        ),
        ("%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ssm.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D", "passed"),
        (policy_document({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}), "failed"),
        (policy_document({"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com", "AWS": "*"}, "Action": "sts:AssumeRole"}), "failed"),
        (policy_document({"Effect": "Allow", "NotPrincipal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}), "failed"),
        (trust_document("ssm.amazonaws.com", "sts:*"), "failed"),
        (policy_document({"Effect": "Deny", "Principal": "*", "Action": "*"}), "failed"),  # allows nothing
        ("${jsonencode(local.trust)}", "failed"),  # cannot be read, so cannot be proven
    ],
)
def test_connector_trust_edge_cases(custom_checks, trust, verdict):
    assert _verdict(custom_checks["connector_trust"], "aws_iam_role", "connector_agent_role", _connector_role(trust)) == verdict


def test_role_identity_tag_wins_over_name(custom_checks):
    node_tagged = {"assume_role_policy": [trust_document("ec2.amazonaws.com")], "tags": [{"eksiam:role": "node"}]}
    assert _verdict(custom_checks["connector_trust"], "aws_iam_role", "connector_agent_role", node_tagged) == "n/a"
    assert _verdict(custom_checks["node_trust"], "aws_iam_role", "connector_agent_role", node_tagged) == "passed"
    untagged = {"assume_role_policy": [trust_document("ec2.amazonaws.com")], "name": ["Unrelated"]}
    assert _verdict(custom_checks["node_trust"], "aws_iam_role", "builder", untagged) == "n/a"


@pytest.mark.parametrize(
    ("statement", "verdict"),
    [
        ({"Effect": "Allow", "Action": "ssmmessages:CreateControlChannel", "Resource": "arn:aws:eks:eu-west-1:111122223333:cluster/prod"}, "passed"),
        ({"Effect": "Allow", "Action": "ssmmessages:createcontrolchannel", "Resource": "arn:aws-cn:eks:*:*:cluster/*"}, "passed"),
        ({"Effect": "Allow", "Action": "ssmmessages:CreateControlChannel", "Resource": "arn:data.aws_partition.p.partition:eks:*:*:cluster/*"}, "passed"),
        ({"Effect": "Deny", "Action": "*", "Resource": "*"}, "passed"),
        ({"Effect": "Allow", "Action": "ssmmessages:CreateControlChannel", "Resource": "arn:aws:eks:*:*:*"}, "failed"),
        ({"Effect": "Allow", "Action": "ssmmessages:CreateControlChannel", "Resource": "*"}, "failed"),
        ({"Effect": "Allow", "Action": "ssmmessages:Open*", "Resource": "*"}, "failed"),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "failed"),
        ({"Effect": "Allow", "Action": "ssmmessages:OpenDataChannel", "NotResource": "arn:aws:s3:::x"}, "failed"),
    ],
)
def test_connector_policy_edge_cases(custom_checks, statement, verdict):
    conf = {"role": ["${aws_iam_role.connector_agent_role.id}"], "policy": [policy_document(statement)]}
    assert _verdict(custom_checks["connector_policy"], "aws_iam_role_policy", "connector_agent_policy", conf) == verdict


def test_node_attachment_identity_and_extras(custom_checks, monkeypatch):
    check = custom_checks["node_policies"]
    s3 = "arn:${data.aws_partition.node_partition.partition}:iam::aws:policy/AmazonS3ReadOnlyAccess"
    by_reference = {"role": ["${aws_iam_role.node_role.name}"], "policy_arn": [s3]}
    by_name_prefix = {"role": ["SomeRole"], "policy_arn": [s3]}
    by_plan_reference = {"role": ["Renamed"], "policy_arn": [s3.replace("${data.aws_partition.node_partition.partition}", "aws")],
                         "references_": [["aws_iam_role.node_role.name", "aws_iam_role.node_role"]]}
    by_role_name = {"role": ["NodeInstanceRole"], "policy_arn": [s3]}
    unrelated = {"role": ["Builder"], "policy_arn": [s3]}
    assert _verdict(check, "aws_iam_role_policy_attachment", "extra", by_reference) == "failed"
    assert _verdict(check, "aws_iam_role_policy_attachment", "node_extra", by_name_prefix) == "failed"
    assert _verdict(check, "aws_iam_role_policy_attachment", "extra", by_plan_reference) == "failed"
    assert _verdict(check, "aws_iam_role_policy_attachment", "extra", by_role_name) == "failed"
    assert _verdict(check, "aws_iam_role_policy_attachment", "extra", unrelated) == "n/a"
    # A configured extra matches whatever partition (or partition look-up) either side uses.
    extras = ["arn:aws-us-gov:iam::aws:policy/AmazonS3ReadOnlyAccess", "arn:aws:iam::1:policy/x"]
    monkeypatch.setenv("EKSIAM_CHECKOV_SETTINGS", json.dumps({"node": {"additional_policy_arns": extras}}))
    assert _verdict(check, "aws_iam_role_policy_attachment", "extra", by_reference) == "passed"
    assert _verdict(check, "aws_iam_role_policy_attachment", "extra", by_plan_reference) == "passed"


def test_forbidden_policies_by_any_route(custom_checks):
    check = custom_checks["forbidden"]
    assert _verdict(check, "aws_iam_role_policy_attachment", "x", {"role": ["R"], "policy_arn": ["arn:aws:iam::aws:policy/IAMFullAccess"]}) == "failed"
    assert _verdict(check, "aws_iam_role_policy_attachment", "x", {"role": ["R"], "policy_arn": ["${data.aws_iam_policy.admin.arn}"]}) == "failed"
    assert _verdict(check, "aws_iam_role_policy_attachment", "x", {"role": ["R"], "policy_arn": ["${aws_iam_policy.mine.arn}"]}) == "passed"
    role = {"name": ["R"], "managed_policy_arns": [["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/PowerUserAccess"]]}
    assert _verdict(check, "aws_iam_role", "r", role) == "failed"
