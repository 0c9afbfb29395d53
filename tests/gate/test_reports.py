"""Report renderers: each format parsed back and checked for what its consumer needs."""

from __future__ import annotations

import datetime
import json
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from eksiam.errors import UsageError
from eksiam.gate.findings import EngineSummary, Finding, Report, RuleInfo, Severity, WaivedFinding, Waiver
from eksiam.gate.report import FORMATS, load_rule_metadata, render, write_reports
from eksiam.gate.report.locations import key_lines, resource_line

STACK = {
    "//": {"metadata": {"stackName": "eksiam-node"}},
    "resource": {
        "aws_iam_role": {"node_role": {"name": "NodeInstanceRole", "tags": {"eksiam:role": "node"}}},
        "aws_iam_role_policy_attachment": {
            "node_admin": {"role": "${aws_iam_role.node_role.name}", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        },
    },
}
STACK_FILE = "cdktf.out/stacks/eksiam-node/cdk.tf.json"


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """A project directory holding a synthesized stack, as the working directory."""
    stack = tmp_path / STACK_FILE
    stack.parent.mkdir(parents=True)
    stack.write_text(json.dumps(STACK, indent=2))
    monkeypatch.chdir(tmp_path)
    return tmp_path


TRUST = Finding(
    rule="EKSIAM-NODE-001",
    severity=Severity.CRITICAL,
    engine="opa",
    resource="aws_iam_role.node_role",
    message="aws_iam_role.node_role trusts lambda.amazonaws.com | not only ec2.amazonaws.com",
    remediation="Trust only ec2.amazonaws.com.",
    file=STACK_FILE,
    title="Node role trusts only EC2",
)
ADMIN = Finding(
    rule="CKV_AWS_274",
    severity=Severity.HIGH,
    engine="checkov",
    resource="aws_iam_role_policy_attachment.node_admin",
    message="aws_iam_role_policy_attachment.node_admin: Disallow AdministratorAccess",
    remediation="Detach the AdministratorAccess managed policy from the role.",
    file=STACK_FILE,
)
LOW = Finding("EKSIAM-NODE-009", Severity.LOW, "opa", "aws_iam_role.node_role", "a description is missing", "", STACK_FILE)
WAIVED = WaivedFinding(
    Finding("EKSIAM-NODE-004", Severity.MEDIUM, "opa", "aws_iam_role.node_role", "extra policy", "", STACK_FILE),
    Waiver("EKSIAM-NODE-004", "*", "Accepted by the platform team until Q1", datetime.date(2027, 1, 31), "w.toml: waiver #1"),
)
EXPIRED = Waiver("CKV_AWS_274", "aws_iam_role_policy_attachment.node_admin", "Migration weekend only", datetime.date(2026, 1, 1))
RULES = {
    "EKSIAM-NODE-001": RuleInfo(
        "EKSIAM-NODE-001", "Node role trusts only EC2", "The node role's trust policy names ec2.amazonaws.com only.",
        "Set the trust policy to the documented one.", "https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html",
        Severity.CRITICAL,
    )
}
SUMMARY = {"opa": EngineSummary(evaluated=12, failed=2, passed=10), "checkov": EngineSummary(evaluated=20, failed=1, passed=19)}


def failing_report() -> Report:
    return Report(
        findings=(LOW, ADMIN, TRUST),
        summary=SUMMARY,
        inputs=(STACK_FILE,),
        waived=(WAIVED,),
        expired_waivers=(EXPIRED,),
        rules=RULES,
    )


def clean_report() -> Report:
    return Report(
        findings=(),
        summary={"opa": EngineSummary(evaluated=12, failed=0, passed=12), "checkov": EngineSummary(evaluated=20, failed=0, passed=20)},
        inputs=(STACK_FILE,),
    )


# --- json ---------------------------------------------------------------------------------


def test_json_has_the_interface_shape(workdir):
    data = json.loads(render(failing_report(), "json"))
    assert data["passed"] is False
    assert data["summary"]["opa"] == {"evaluated": 12, "failed": 2}
    assert data["summary"]["checkov"] == {"passed": 19, "failed": 1}
    assert [f["rule"] for f in data["findings"]] == ["EKSIAM-NODE-001", "CKV_AWS_274", "EKSIAM-NODE-009"]
    for finding in data["findings"]:
        assert {"rule", "severity", "engine", "resource", "message", "file"} <= finding.keys()
        assert finding["engine"] in ("opa", "checkov")
        assert finding["severity"] in ("CRITICAL", "HIGH", "MEDIUM", "LOW")
    assert data["fail_on"] == "MEDIUM"
    assert data["waived"][0]["waiver"]["expires"] == "2027-01-31"
    assert data["expired_waivers"][0]["rule"] == "CKV_AWS_274"


def test_json_clean_run_passes_and_says_when_an_engine_did_not_run(workdir):
    assert json.loads(render(clean_report(), "json"))["passed"] is True
    data = json.loads(render(Report(findings=(), summary={"opa": EngineSummary(3, 0, 3)}), "json"))
    assert data["summary"]["checkov"] == {"passed": 0, "failed": 0, "ran": False}


# --- junit --------------------------------------------------------------------------------


def test_junit_has_a_suite_per_engine_and_a_failure_per_failing_finding(workdir):
    root = ET.fromstring(render(failing_report(), "junit"))
    assert root.tag == "testsuites"
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert set(suites) == {"eksiam.opa", "eksiam.checkov", "eksiam.waivers"}
    opa = suites["eksiam.opa"]
    failures = opa.findall("testcase/failure")
    assert len(failures) == 1 and failures[0].get("type") == "CRITICAL"
    case = opa.find("testcase[@classname='opa.EKSIAM-NODE-001']")
    assert case.get("name") == "aws_iam_role.node_role" and case.get("file") == STACK_FILE
    assert "fix: Set the trust policy to the documented one." in case.find("failure").text
    # Below the threshold and waived findings are skipped, not failed.
    assert opa.find("testcase[@classname='opa.EKSIAM-NODE-009']/skipped") is not None
    assert "waived until 2027-01-31" in opa.find("testcase[@classname='opa.EKSIAM-NODE-004']/skipped").get("message")
    assert suites["eksiam.checkov"].find("testcase[@classname='checkov.CKV_AWS_274']/failure") is not None
    assert suites["eksiam.waivers"].find("testcase/failure").get("type") == "EXPIRED"
    for suite in suites.values():
        assert int(suite.get("tests")) == len(suite.findall("testcase"))
        assert int(suite.get("failures")) == len(suite.findall("testcase/failure"))
    assert int(root.get("failures")) == 3


def test_junit_clean_run_still_shows_each_engine(workdir):
    root = ET.fromstring(render(clean_report(), "junit"))
    for engine, label in (("opa", "12 rules passed"), ("checkov", "20 checks passed")):
        suite = root.find(f"testsuite[@name='eksiam.{engine}']")
        (case,) = suite.findall("testcase")
        assert case.get("name") == label and len(case) == 0
    assert root.get("failures") == "0"


# --- sarif --------------------------------------------------------------------------------


def test_sarif_structure_rules_and_results(workdir):
    log = json.loads(render(failing_report(), "sarif"))
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "eksiam"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    for result in run["results"]:
        assert result["ruleId"] in rule_ids
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
    by_id = {rule["id"]: rule for rule in driver["rules"]}
    trust = by_id["EKSIAM-NODE-001"]
    assert trust["shortDescription"]["text"] == "Node role trusts only EC2"
    assert trust["fullDescription"]["text"].startswith("The node role's trust policy")
    assert trust["helpUri"].startswith("https://docs.aws.amazon.com/")
    assert "Set the trust policy" in trust["help"]["text"]
    assert trust["properties"]["security-severity"] == "9.5"
    assert by_id["CKV_AWS_274"]["properties"]["security-severity"] == "8.0"
    assert 0.0 < float(by_id["EKSIAM-NODE-009"]["properties"]["security-severity"]) < 4.0
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"EKSIAM-NODE-001": "error", "CKV_AWS_274": "error", "EKSIAM-NODE-009": "note", "EKSIAM-NODE-004": "warning"}
    waived = next(r for r in run["results"] if r["ruleId"] == "EKSIAM-NODE-004")
    assert waived["suppressions"][0]["status"] == "accepted"
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert "expired on 2026-01-01" in notes[0]["message"]["text"]


@pytest.mark.parametrize(("finding", "block"), [(TRUST, '"node_role": {'), (ADMIN, '"node_admin": {')])
def test_sarif_start_line_points_at_the_resource_block(workdir, finding, block):
    log = json.loads(render(Report(findings=(finding,), summary=SUMMARY), "sarif"))
    (result,) = log["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == STACK_FILE
    line = location["region"]["startLine"]
    assert (workdir / STACK_FILE).read_text().splitlines()[line - 1].strip() == block


def test_sarif_uri_is_relative_for_an_absolute_path_inside_the_working_directory(workdir):
    finding = Finding("R-1", Severity.HIGH, "opa", "aws_iam_role.node_role", "m", "", str(workdir / STACK_FILE))
    log = json.loads(render(Report(findings=(finding,)), "sarif"))
    assert log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == STACK_FILE


# --- markdown -----------------------------------------------------------------------------


def test_markdown_table_has_a_row_per_finding_with_pipes_escaped(workdir):
    text = render(failing_report(), "markdown")
    lines = text.splitlines()
    assert lines[0].startswith("### :x: ")
    header = lines.index("| Severity | Rule | Resource | Message | Fix |")
    rows = []
    for line in lines[header + 2:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    assert len(rows) == 3
    assert "`EKSIAM-NODE-001`" in rows[0] and "`aws_iam_role.node_role`" in rows[0]
    assert "lambda.amazonaws.com \\| not only" in rows[0]
    assert "[docs](https://docs.aws.amazon.com/" in rows[0]
    for row in rows:  # five cells: unescaped pipes are exactly the six borders
        assert row.replace("\\|", "").count("|") == 6
    assert "Expired waivers (1)" in text and "Waived findings (1)" in text


def test_markdown_clean_run(workdir):
    text = render(clean_report(), "markdown")
    assert text.startswith("### :white_check_mark: ") and "No findings." in text


# --- text ---------------------------------------------------------------------------------


def test_text_without_colour_has_no_ansi_codes(workdir):
    text = render(failing_report(), "text", color=False)
    assert "\x1b" not in text
    assert text.splitlines()[0].startswith("eksiam policy gate failed")
    finding_lines = [line for line in text.splitlines() if "aws_iam_role" in line and ("EKSIAM-" in line or "CKV_" in line)]
    assert any("CRITICAL" in line and "EKSIAM-NODE-001" in line for line in finding_lines)
    assert any("(below threshold)" in line and "EKSIAM-NODE-009" in line for line in finding_lines)
    assert STACK_FILE in text and "Expired waivers (1)" in text


def test_text_with_colour_uses_ansi_codes(workdir):
    assert "\x1b[" in render(failing_report(), "text", color=True)


def test_text_clean_run(workdir):
    text = render(clean_report(), "text")
    assert text.startswith("eksiam policy gate passed")
    assert "opa: 12 evaluated, 0 failed · checkov: 20 passed, 0 failed" in text


# --- writing ------------------------------------------------------------------------------


def test_every_format_renders(workdir):
    for fmt in FORMATS:
        assert render(failing_report(), fmt).endswith("\n")
    with pytest.raises(UsageError, match="unknown report format 'yaml'"):
        render(failing_report(), "yaml")


def test_write_reports_to_output_and_extra_files(workdir, capsys):
    write_reports(failing_report(), "json", None, ["sarif=out/eksiam.sarif", "junit=out/junit.xml"])
    printed = capsys.readouterr().out
    assert json.loads(printed)["passed"] is False
    assert json.loads((workdir / "out/eksiam.sarif").read_text())["version"] == "2.1.0"
    ET.fromstring((workdir / "out/junit.xml").read_text())
    write_reports(failing_report(), "text", "report.txt")
    assert "\x1b" not in (workdir / "report.txt").read_text()
    assert capsys.readouterr().out == ""


def test_write_reports_rejects_a_bad_report_option(workdir, capsys):
    with pytest.raises(UsageError, match="FORMAT=FILE"):
        write_reports(failing_report(), "text", None, ["sarif"])
    assert capsys.readouterr().out == ""  # nothing printed before the usage error


# --- rule metadata and locations ----------------------------------------------------------


def test_load_rule_metadata_reads_rego_metadata_blocks(tmp_path):
    rules_dir = tmp_path / "policy" / "eks"
    rules_dir.mkdir(parents=True)
    (rules_dir / "node_trust.rego").write_text(
        textwrap.dedent(
            """\
            # METADATA
            # title: Node role trusts only ec2.amazonaws.com
            # description: |
            #   The worker node role's trust policy allows ec2.amazonaws.com to sts:AssumeRole, nothing else.
            # related_resources:
            #   - ref: https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
            #     description: Amazon EKS node IAM role
            # custom:
            #   id: EKSIAM-NODE-001
            #   severity: CRITICAL
            #   recommended_action: Set the trust policy to the documented one.
            package eksiam.rules.node_001

            import rego.v1
            """
        )
    )
    (rules_dir / "node_trust_test.rego").write_text("# METADATA\n# custom:\n#   id: EKSIAM-TEST-1\npackage x_test\n")
    (tmp_path / "policy" / "lib.rego").write_text("# METADATA\n# title: helpers\npackage eksiam.lib\n")
    rules = load_rule_metadata(tmp_path / "policy")
    assert set(rules) == {"EKSIAM-NODE-001"}
    rule = rules["EKSIAM-NODE-001"]
    assert rule.title == "Node role trusts only ec2.amazonaws.com"
    assert rule.description.startswith("The worker node role's trust policy")
    assert rule.remediation == "Set the trust policy to the documented one."
    assert rule.help_uri == "https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html"
    assert rule.severity is Severity.CRITICAL


def test_load_rule_metadata_rejects_broken_yaml(tmp_path):
    (tmp_path / "bad.rego").write_text("# METADATA\n# title: [unclosed\npackage p\n")
    with pytest.raises(UsageError, match="bad.rego: a # METADATA block is not valid YAML"):
        load_rule_metadata(tmp_path)


def test_key_lines_and_resource_line():
    text = json.dumps(STACK, indent=2)
    lines = key_lines(text)
    node_role = lines[("resource", "aws_iam_role", "node_role")]
    assert text.splitlines()[node_role - 1].strip() == '"node_role": {'
    assert resource_line(text, "aws_iam_role_policy_attachment.node_admin") == lines[
        ("resource", "aws_iam_role_policy_attachment", "node_admin")
    ]
    plan = '{"planned_values": {"root_module": {"resources": [\n{"address": "aws_iam_role.node_role"}]}}}'
    assert resource_line(plan, "aws_iam_role.node_role") == 2
    assert resource_line(text, "aws_iam_role.missing") is None
