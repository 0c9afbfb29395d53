"""`eksiam check` end to end, as a merge request runs it: synth, real terraform plan, OPA and
checkov, merged report, exit codes, waivers and every report format parsed back."""

from __future__ import annotations

import copy
import datetime
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from eksiam.cli import main
from eksiam.gate.checkov import warm
from eksiam.gate.terraform import plan_stack
from stacks import CONNECTOR_STACK, NODE_STACK
from tests.conftest import write_project

from cli_runs import run_cli

# One worker computes this module's fixtures once (make test runs pytest-xdist with --dist loadgroup).
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("gate-e2e")]

FORMATS = ("json", "junit", "sarif", "markdown", "text")


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    """One default pipeline run in an empty directory, every format written to a file."""
    workdir = write_project(tmp_path_factory.mktemp("gate"))
    cwd = Path.cwd()
    os.chdir(workdir)
    try:
        reports = [f"--report={fmt}=report.{fmt}" for fmt in FORMATS]
        code = main(["check", "--format", "json", "--output", "stdout.json", *reports])
    finally:
        os.chdir(cwd)
    return code, workdir


@pytest.fixture(scope="module")
def admin_attached(synthesized, terraform_cli_config, tmp_path_factory) -> tuple[Path, Path]:
    """The node stack with AdministratorAccess attached: its cdk.tf.json and a real plan of it."""
    stack = copy.deepcopy(synthesized[NODE_STACK])
    stack["resource"]["aws_iam_role_policy_attachment"]["node_admin"] = {
        "role": "${aws_iam_role.node_role.name}",
        "policy_arn": "arn:${data.aws_partition.node_partition.partition}:iam::aws:policy/AdministratorAccess",
    }
    root = tmp_path_factory.mktemp("admin")
    synth_file = root / "stacks" / NODE_STACK / "cdk.tf.json"
    synth_file.parent.mkdir(parents=True)
    synth_file.write_text(json.dumps(stack, indent=2))
    plan_file, _ = plan_stack(synth_file, root / "plan", terraform_cli_config)
    return synth_file, plan_file


def test_default_pipeline_passes_with_both_engines(clean_run):
    code, workdir = clean_run
    report = json.loads((workdir / "stdout.json").read_text())
    assert code == 0 and report["passed"] is True and report["findings"] == []
    assert report["summary"]["opa"]["evaluated"] > 0 and report["summary"]["opa"]["failed"] == 0
    assert report["summary"]["checkov"]["passed"] > 0 and report["summary"]["checkov"]["failed"] == 0
    assert (workdir / "cdktf.out" / "stacks" / NODE_STACK / "cdk.tf.json").is_file()
    assert json.loads((workdir / "report.json").read_text()) == report


def test_every_report_format_is_well_formed(clean_run):
    _, workdir = clean_run
    sarif = json.loads((workdir / "report.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith(".json")
    assert sarif["runs"][0]["tool"]["driver"]["name"] == "eksiam"
    suites = ET.fromstring((workdir / "report.junit").read_text())
    assert suites.tag == "testsuites" and int(suites.get("failures", "0")) == 0
    assert len(suites.findall(".//testcase")) > 0
    assert "passed" in (workdir / "report.markdown").read_text().lower()
    assert "\x1b[" not in (workdir / "report.text").read_text()


def test_administrator_access_fails_in_both_engines(admin_attached, capsys, tmp_path):
    synth_file, plan_file = admin_attached
    # Verdicts made here, not read from an earlier session's cache.
    code, out, err = run_cli(["check", "--input", str(synth_file), str(plan_file), "--format", "json", "--no-cache"], capsys)
    report = json.loads(out)
    assert code == 1 and report["passed"] is False
    # One flaw, one finding per input: the attachment, every check of both engines that saw it listed.
    by_file = {f["file"]: f for f in report["findings"]}
    assert len(report["findings"]) == len(by_file) == 2
    for finding in by_file.values():
        assert finding["rule"] == "EKSIAM-ROLE-003" and finding["carrier"] == "aws_iam_role_policy_attachment.node_admin"
        assert finding["engines"] == ["opa", "checkov"] and finding["severity"] == "CRITICAL"
        assert {"EKSIAM-ROLE-003", "EKSIAM-NODE-003"} <= set(finding["checks"])
    assert "CKV_AWS_274" in by_file[str(plan_file)]["checks"]  # checkov judges resolved ARNs in plans
    assert report["summary"]["findings"]["total"] == 2 and report["summary"]["checkov"]["failed"] == 2
    for finding in report["findings"]:
        assert {"rule", "severity", "engine", "resource", "message", "file"} <= set(finding)
    admin = [f for f in report["findings"] if f["rule"] == "EKSIAM-ROLE-003"]
    assert admin[0]["remediation"] and "node_admin" in json.dumps(report["findings"])
    # One waiver, of the primary rule on the attachment, waives the flaw whoever saw it.
    waivers = tmp_path / "waivers.toml"
    expires = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    waivers.write_text(
        f'[[waiver]]\nrule = "EKSIAM-ROLE-003"\nresource = "aws_iam_role_policy_attachment.node_admin"\n'
        f'reason = "break-glass access approved in CHG-1234"\nexpires = {expires}\n'
    )
    code, out, _ = run_cli(
        ["check", "--input", str(synth_file), str(plan_file), "--format", "json", "--no-cache", "--waivers", str(waivers)], capsys
    )
    waived = json.loads(out)
    assert code == 0 and waived["findings"] == [] and len(waived["waived"]) == 2 and waived["unused_waivers"] == []


def test_sarif_points_into_the_synthesized_file(admin_attached, capsys, tmp_path):
    synth_file, _ = admin_attached
    sarif_file = tmp_path / "out.sarif"
    code, _, _ = run_cli(["check", "--input", str(synth_file), "--no-checkov", "--format", "sarif", "--output", str(sarif_file)], capsys)
    assert code == 1
    run = json.loads(sarif_file.read_text())["runs"][0]
    rule_ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    lines = synth_file.read_text().splitlines()
    for result in run["results"]:
        assert result["ruleId"] in rule_ids
        location = result["locations"][0]["physicalLocation"]
        line = lines[location["region"]["startLine"] - 1]
        assert '"node_' in line, f"startLine {location['region']['startLine']} is {line!r}"


def test_waivers_accept_list_and_expire(admin_attached, capsys, tmp_path):
    synth_file, _ = admin_attached
    findings = json.loads(run_cli(["check", "--input", str(synth_file), "--no-checkov", "--format", "json"], capsys)[1])["findings"]
    within_limit = (datetime.date.today() + datetime.timedelta(days=60)).isoformat()
    entries = "".join(
        f'[[waiver]]\nrule = "{f["rule"]}"\nresource = "{f["resource"]}"\n'
        f'reason = "break-glass access approved in CHG-1234"\nexpires = {within_limit}\n\n' for f in findings
    )
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(entries)
    code, out, _ = run_cli(["check", "--input", str(synth_file), "--no-checkov", "--format", "json", "--waivers", str(waivers)], capsys)
    report = json.loads(out)
    assert code == 0 and report["findings"] == [] and len(report["waived"]) == len(findings)

    waivers.write_text(entries.replace(within_limit, "2020-01-01"))
    code, out, _ = run_cli(["check", "--input", str(synth_file), "--no-checkov", "--format", "json", "--waivers", str(waivers)], capsys)
    assert code == 1 and json.loads(out)["expired_waivers"]

    waivers.write_text(entries.replace("break-glass access approved in CHG-1234", "ok"))
    code, _, err = run_cli(["check", "--input", str(synth_file), "--no-checkov", "--waivers", str(waivers)], capsys)
    assert code == 2 and "reason" in err and err.count("\n") == 1


def test_installed_command_runs_as_users_run_it(synth_dir):
    eksiam = Path(sys.executable).parent / "eksiam"
    stack = synth_dir / "stacks" / NODE_STACK / "cdk.tf.json"
    done = subprocess.run([str(eksiam), "check", "--input", str(stack), "--format", "json", "--no-checkov"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["passed"] is True
    assert "eksiam: opa" in done.stderr
    help_text = subprocess.run([str(eksiam), "check", "--help"], capture_output=True, text=True).stdout
    assert "--fail-on" in help_text and "--waivers" in help_text


def test_fail_on_sets_the_threshold(synthesized, tmp_path, capsys):
    stack = copy.deepcopy(synthesized[NODE_STACK])
    stack["resource"]["aws_iam_role"]["node_role"]["path"] = "eks"  # not an IAM path: MEDIUM
    path = tmp_path / "cdk.tf.json"
    path.write_text(json.dumps(stack))
    argv = ["check", "--input", str(path), "--no-checkov", "--format", "json"]

    code, out, _ = run_cli(argv, capsys)
    findings = json.loads(out)["findings"]
    assert code == 1 and {f["severity"] for f in findings} == {"MEDIUM"}

    code, out, _ = run_cli([*argv, "--fail-on", "high"], capsys)
    report = json.loads(out)
    assert code == 0 and report["passed"] is True and report["findings"] == findings

    code, _, err = run_cli([*argv, "--fail-on", "severe"], capsys)
    assert code == 2 and "unknown severity 'severe'" in err


def test_every_knob_and_opt_in_passes_both_engines(project, capsys):
    """A configuration using every setting the SDK offers is still what AWS documents."""
    tmp_path = project
    (tmp_path / "eksiam.toml").write_text("""
[connector]
role_name = "eks-connector-"
use_name_prefix = true
create_service_linked_role = false
permissions_boundary = "arn:aws:iam::123456789012:policy/Boundary"

[node]
role_name = "platform-nodes"
path = "/eks/"
additional_policy_arns = ["arn:aws:iam::123456789012:policy/NodeLogs"]
attach_ssm_managed_instance_core = true
enable_ipv6_cni = true
max_session_duration = 7200

[tags]
team = "platform"
""")
    code, out, err = run_cli(["check", "--format", "json"], capsys)
    report = json.loads(out)
    assert report["findings"] == [] and code == 0, report["findings"]
    assert report["summary"]["checkov"]["passed"] > 0 and report["summary"]["opa"]["evaluated"] > 0
    node = json.loads((tmp_path / "cdktf.out" / "stacks" / NODE_STACK / "cdk.tf.json").read_text())
    assert "node_ipv6_cni" in node["resource"]["aws_iam_policy"]


def test_a_rerun_is_served_from_the_cache_until_a_stack_changes(clean_run, tmp_path, capsys, monkeypatch):
    # The first run is clean_run's; this test goes on in a copy of its project, cache included.
    _, workdir = clean_run
    project = tmp_path / "project"
    shutil.copytree(workdir, project)
    monkeypatch.chdir(project)
    started_ahead = []  # the checkov executables asked for ahead of the inputs
    start_ahead = warm.start_ahead

    def counting(executable, options, import_cache=None):
        started_ahead.append(str(executable))
        return start_ahead(executable, options, import_cache)

    monkeypatch.setattr(warm, "start_ahead", counting)
    first = json.loads((project / "stdout.json").read_text())
    assert "cached" not in first["summary"]["opa"] and "cached" not in first["summary"]["checkov"]
    code, out, err = run_cli(["check", "--format", "json"], capsys)
    again = json.loads(out)
    assert code == 0 and again["findings"] == first["findings"] and "total" in err.splitlines()[-1]
    assert again["summary"]["opa"]["cached"] == 4 and again["summary"]["checkov"]["cached"] == 4
    assert "2 of 2 plans cached" in err
    assert started_ahead == []  # nothing to plan: no checkov started ahead of a run that needs none
    # The node stack changes: it is planned again, the connector's plan is not. (Every verdict
    # is made again: the configuration changed, and the rules read it.)
    monkeypatch.setenv("EKSIAM_NODE_ADDITIONAL_POLICY_ARNS", "arn:aws:iam::aws:policy/AdministratorAccess")
    code, out, err = run_cli(["check", "--format", "json"], capsys)
    changed = json.loads(out)
    # One attachment, one finding: the plan's checks are the synthesized file's, merged.
    (admin,) = changed["findings"]
    assert code == 1 and admin["rule"] == "EKSIAM-ROLE-003" and admin["severity"] == "CRITICAL"
    # (Allowlisted by the key, the policy is no EKSIAM-NODE-003 finding; it stays administrator-level.)
    assert {"EKSIAM-ROLE-003", "CKV_EKSIAM_6", "CKV_EKSIAM_4", "CKV_AWS_274"} <= set(admin["checks"])
    assert changed["summary"]["findings"]["total"] == 1
    assert "1 of 2 plans cached" in err and "cached" not in changed["summary"]["opa"]
    assert len(started_ahead) == 1  # once, as terraform plans, for every input whatever its framework
    # --no-cache: the verdicts just stored for these very files are not read.
    synthesized = [str(p) for p in sorted((project / "cdktf.out" / "stacks").glob("*/cdk.tf.json"))]
    code, out, _ = run_cli(["check", "--format", "json", "--no-cache", "--input", *synthesized], capsys)
    summary = json.loads(out)["summary"]
    assert code == 1 and "cached" not in summary["opa"] and "cached" not in summary["checkov"]
    code, out, _ = run_cli(["check", "--format", "json", "--input", *synthesized], capsys)
    assert code == 1 and json.loads(out)["summary"]["opa"]["cached"] == 2


def test_connector_in_the_documents_console_form_passes_both_engines(synthesized, tmp_path, capsys):
    """AmazonEKSConnectorAgentPolicy as a customer managed policy (the console procedure)."""
    stack = copy.deepcopy(synthesized[CONNECTOR_STACK])
    inline = stack["resource"].pop("aws_iam_role_policy")["connector_agent_policy"]
    stack["resource"]["aws_iam_policy"] = {"agent": {"name": "AmazonEKSConnectorAgentPolicy", "policy": inline["policy"]}}
    stack["resource"]["aws_iam_role_policy_attachment"] = {"agent": {
        "role": "${aws_iam_role.connector_agent_role.name}", "policy_arn": "${aws_iam_policy.agent.arn}"}}
    console = tmp_path / "console.tf.json"
    console.write_text(json.dumps(stack))
    code, out, _ = run_cli(["check", "--input", str(console), "--format", "json", "--no-cache"], capsys)
    report = json.loads(out)
    assert code == 0 and report["findings"] == [], report["findings"]
    assert report["summary"]["checkov"]["passed"] > 0
    # Another managed policy beside it still fails both engines.
    stack["resource"]["aws_iam_role_policy_attachment"]["extra"] = {
        "role": "${aws_iam_role.connector_agent_role.name}", "policy_arn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}
    console.write_text(json.dumps(stack))
    code, out, _ = run_cli(["check", "--input", str(console), "--format", "json", "--no-cache"], capsys)
    # One flaw, one finding: both engines saw it.
    engines = {engine for f in json.loads(out)["findings"] for engine in f.get("engines", [f["engine"]])}
    assert code == 1 and engines == {"opa", "checkov"}


def test_import_existing_passes_the_default_gate(project, capsys, monkeypatch):
    """The import blocks adopt existing roles: the gate plans and checks the desired roles."""
    monkeypatch.setenv("EKSIAM_NODE_IMPORT_EXISTING", "true")
    monkeypatch.setenv("EKSIAM_CONNECTOR_IMPORT_EXISTING", "true")
    code, out, err = run_cli(["check", "--format", "json", "--no-cache"], capsys)
    report = json.loads(out)
    assert code == 0 and report["findings"] == [], (err, report["findings"])
    node = json.loads((project / "cdktf.out" / "stacks" / NODE_STACK / "cdk.tf.json").read_text())
    assert node.get("import"), "the synthesized stack keeps its import block"


def _answer(report: dict) -> dict:
    """A JSON report without what says where its verdicts came from (the cache counts)."""
    summary = {engine: {k: v for k, v in counts.items() if k != "cached"} for engine, counts in report["summary"].items()}
    return {**report, "summary": summary}


def test_a_cached_run_gives_the_uncached_answer_with_findings_present(project, capsys, monkeypatch):
    """The cache never changes an answer: with a flaw, the second run (every plan and verdict
    from the cache, made in the first run's staging and run directories, gone since) reports
    the same findings, at the same files and lines, with the same counts."""
    monkeypatch.setenv("EKSIAM_NODE_ADDITIONAL_POLICY_ARNS", '["arn:aws:iam::aws:policy/AdministratorAccess"]')
    answers = []
    for run in ("first", "cached"):
        code, out, err = run_cli(["check", "--format", "json", "--report", f"sarif={run}.sarif"], capsys)
        answers.append((code, json.loads(out), json.loads((project / f"{run}.sarif").read_text()), err))
    (code, first, first_sarif, _), (again_code, again, again_sarif, err) = answers
    assert code == again_code == 1 and first["findings"], "the flaw is found"
    assert "2 of 2 plans cached" in err and again["summary"]["opa"]["cached"] == 4 and again["summary"]["checkov"]["cached"] == 4
    assert _answer(again) == _answer(first)
    assert again_sarif == first_sarif
    published = {str(p.relative_to(project)) for p in (project / "cdktf.out" / "stacks").glob("*/cdk.tf.json")}
    assert {f["file"] for f in again["findings"]} <= published
    located = {
        location["physicalLocation"]["artifactLocation"]["uri"]
        for result in again_sarif["runs"][0]["results"] for location in result["locations"]
    }
    assert located and all(uri.endswith(tuple(published)) for uri in located), located

    # --input: the same content at another path is the same evaluation, reported at its own path.
    node = project / "cdktf.out" / "stacks" / NODE_STACK / "cdk.tf.json"
    inputs = []
    for run in ("first", "moved"):
        copy_ = project / run / "node.tf.json"
        copy_.parent.mkdir()
        shutil.copyfile(node, copy_)
        code, out, _ = run_cli(["check", "--format", "json", "--input", str(copy_)], capsys)
        inputs.append((code, json.loads(out), copy_))
    (code, first, first_path), (again_code, again, again_path) = inputs
    assert code == again_code == 1 and first["findings"]
    assert again["summary"]["opa"]["cached"] == 1 and again["summary"]["checkov"]["cached"] == 1
    assert {f["file"] for f in again["findings"]} == {str(again_path)}
    assert json.loads(json.dumps(_answer(again)).replace(str(again_path), str(first_path))) == _answer(first)
