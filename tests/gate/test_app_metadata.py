"""Where the user's code made each resource, and in-code suppressions: recorded by the SDK at
synth (a real cdktf synth in this process), read by the gate (eksiam.gate.app_metadata)."""

from __future__ import annotations

import datetime
import json
import tempfile
from pathlib import Path

import pytest

from eksiam import EksNodeRole, suppress
from eksiam.cdk import AwsProvider, IamRolePolicyAttachment, TerraformStack, Testing
from eksiam.errors import UsageError
from eksiam.gate.app_metadata import apply_suppressions, locate
from eksiam.gate.cdktf_app import app_failure
from eksiam.gate.findings import Finding, Report, Severity

# Each test synthesizes with cdktf (a jsii process): not part of `make test-fast`.
pytestmark = pytest.mark.integration

THIS_FILE = Path(__file__).relative_to(Path.cwd()).as_posix()
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def lines_of(*texts: str) -> list[int]:
    source = Path(__file__).read_text().splitlines()
    return [next(n for n, line in enumerate(source, 1) if text in line and "lines_of" not in line) for text in texts]


def build(suppressions: bool = False) -> dict:
    # Testing.app() and Testing.full_synth() would each leave a directory in TMPDIR.
    with tempfile.TemporaryDirectory() as outdir:
        app = Testing.app(outdir=outdir)
        stack = TerraformStack(app, "prod")
        AwsProvider(stack, "aws", region="eu-west-1")
        nodes = EksNodeRole(stack, "workers")  # the construct's line
        admin = IamRolePolicyAttachment(stack, "admin", role=nodes.name, policy_arn=ADMIN)  # the raw resource's line
        if suppressions:
            suppress(admin, "CKV_AWS_274", "Accepted by the platform team until the migration (PLAT-1)", "2099-12-31")
            suppress(nodes, "EKSIAM-NODE-003", "Accepted by the platform team until the migration (PLAT-1)", datetime.date(2000, 1, 1))
        # The stack's JSON as the app writes it (Testing.synth drops the "//" metadata).
        app.synth()
        return json.loads((Path(outdir) / "stacks" / "prod" / "cdk.tf.json").read_text())


def finding(rule: str, resource: str) -> Finding:
    return Finding(rule=rule, severity=Severity.HIGH, engine="opa", resource=resource, message="m", file="cdktf.out/stacks/prod/cdk.tf.json")


def test_each_resource_records_the_line_of_the_users_code_that_made_it():
    stack = build()
    construct_line, raw_line = lines_of("# the construct's line", "# the raw resource's line")
    located = locate(
        [finding("EKSIAM-NODE-003", "aws_iam_role.workers_role"), finding("CKV_AWS_274", "aws_iam_role_policy_attachment.admin")],
        {"cdktf.out/stacks/prod/cdk.tf.json": stack},
    )
    assert [(f.stack, f.construct, f.source_file, f.source_line) for f in located] == [
        ("prod", "prod/workers/role", THIS_FILE, construct_line),
        ("prod", "prod/admin", THIS_FILE, raw_line),
    ]


def test_a_finding_outside_the_apps_stacks_is_left_as_it_is():
    other = finding("EKSIAM-NODE-003", "aws_iam_role.workers_role")
    (located,) = locate([other], {"somewhere/else.json": build()})
    assert located == other and "stack" not in located.to_json()


def test_a_resource_without_metadata_says_its_source_is_unknown():
    stack = build()
    del stack["resource"]["aws_iam_role_policy_attachment"]["admin"]["//"]["eksiam"]
    (located,) = locate([finding("CKV_AWS_274", "aws_iam_role_policy_attachment.admin")], {"cdktf.out/stacks/prod/cdk.tf.json": stack})
    assert located.to_json()["source"] is None and located.construct == "prod/admin"


def test_suppressions_apply_to_their_construct_and_below_and_expire():
    stacks = {"cdktf.out/stacks/prod/cdk.tf.json": build(suppressions=True)}
    findings = locate([
        finding("CKV_AWS_274", "aws_iam_role_policy_attachment.admin"),
        finding("EKSIAM-NODE-003", "aws_iam_role.workers_role"),
        finding("EKSIAM-ROLE-003", "aws_iam_role.workers_role"),
    ], stacks)
    report = apply_suppressions(Report(findings=findings), stacks, today=datetime.date(2026, 6, 1))
    assert [(w.finding.rule, w.waiver.source) for w in report.waived] == [
        ("CKV_AWS_274", f"eksiam.suppress at {THIS_FILE}:{lines_of('suppress(admin')[0]}")
    ]
    # Expired: the finding stays, and the expired suppression fails the gate by itself.
    assert {f.rule for f in report.findings} == {"EKSIAM-NODE-003", "EKSIAM-ROLE-003"}
    assert [w.rule for w in report.expired_waivers] == ["EKSIAM-NODE-003"] and not report.passed


def test_a_suppression_beyond_the_gates_limit_is_refused():
    stacks = {"cdktf.out/stacks/prod/cdk.tf.json": build(suppressions=True)}
    with pytest.raises(UsageError, match=f"max_waiver_days.*{THIS_FILE}|{THIS_FILE}.*max_waiver_days"):
        apply_suppressions(Report(findings=()), stacks, today=datetime.date(2026, 6, 1), max_days=90)


def test_a_suppression_without_a_reason_fails_at_the_apps_line(tmp_path):
    stack = TerraformStack(Testing.app(outdir=str(tmp_path)), "prod")
    nodes = EksNodeRole(stack, "workers")
    with pytest.raises(UsageError, match="reason"):
        suppress(nodes, "EKSIAM-NODE-003", "because", "2099-01-01")
    with pytest.raises(UsageError, match="not a date"):
        suppress(nodes, "EKSIAM-NODE-003", "Accepted by the platform team (PLAT-1)", "next year")


def test_a_failing_app_is_shown_by_its_own_exception_at_its_line(tmp_path):
    traceback = f'''Traceback (most recent call last):
  File "{tmp_path}/main.py", line 7, in <module>
    NodeIam(app, "prod")
  File "{tmp_path}/stacks/iam.py", line 12, in __init__
    raise ValueError("no such region")
ValueError: no such region
'''
    assert app_failure(traceback, tmp_path) == "ValueError: no such region (stacks/iam.py:12)"
    assert app_failure("eksiam: error: [node] path must end with /\n", tmp_path) == "[node] path must end with /"


def test_terraform_missing_is_named_as_the_cause(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    hidden = "RuntimeError: Error: Validation failed: Could not determine version of terraform\n\nIf you wish to ignore these validations, pass 'skipValidation: true'"
    assert app_failure(hidden, tmp_path).startswith("terraform is not on PATH")
