"""Waivers: the TOML file's validation, and how valid, expired and unused waivers change the verdict."""

from __future__ import annotations

import datetime
import json
import textwrap
from pathlib import Path

import pytest

from eksiam.cli import main
from eksiam.errors import UsageError
from eksiam.gate.findings import Finding, Report, Severity
from eksiam.gate.waivers import apply_waivers, load_waivers, waive

SECURE = Path(__file__).resolve().parents[1] / "fixtures" / "adversarial" / "node_secure_description.tf.json"
TODAY = datetime.date(2026, 6, 1)
NODE_TRUST = Finding("EKSIAM-NODE-001", Severity.HIGH, "opa", "aws_iam_role.node_role", "trusts lambda")
ADMIN = Finding("CKV_AWS_274", Severity.HIGH, "checkov", "aws_iam_role_policy_attachment.node_admin", "admin attached")
OTHER = Finding("EKSIAM-NODE-001", Severity.HIGH, "opa", "aws_iam_role.workers", "trusts lambda")


def _file(tmp_path, body: str):
    path = tmp_path / "eksiam-waivers.toml"
    path.write_text(textwrap.dedent(body))
    return path


VALID = """\
    [[waiver]]
    rule = "EKSIAM-NODE-001"
    resource = "aws_iam_role.node_role"
    reason = "Legacy Lambda trust until PLAT-1234 ships"
    expires = 2026-08-15

    [[waiver]]
    rule = "CKV_AWS_274"
    resource = "*"
    reason = "Break-glass admin for the migration weekend"
    expires = 2026-05-31
"""


def load(path, **options):
    """``load_waivers`` as of :data:`TODAY`, so that the lifetime limit does not depend on the calendar."""
    return load_waivers(path, today=TODAY, **options)


def test_load_valid_file(tmp_path):
    waivers = load(_file(tmp_path, VALID))
    assert [(w.rule, w.resource, w.expires) for w in waivers] == [
        ("EKSIAM-NODE-001", "aws_iam_role.node_role", datetime.date(2026, 8, 15)),
        ("CKV_AWS_274", "*", datetime.date(2026, 5, 31)),
    ]
    assert waivers[0].source.endswith("eksiam-waivers.toml: waiver #1")


def test_accepted_waiver_takes_the_finding_out_of_the_verdict(tmp_path):
    waivers = load(_file(tmp_path, VALID))
    before_both_expire = datetime.date(2026, 5, 1)
    kept, waived, expired, unused = apply_waivers([NODE_TRUST, OTHER], waivers, before_both_expire)
    assert kept == (OTHER,)  # same rule, other resource: not waived
    assert [(w.finding, w.waiver.rule) for w in waived] == [(NODE_TRUST, "EKSIAM-NODE-001")]
    assert expired == ()
    assert [w.rule for w in unused] == ["CKV_AWS_274"]  # valid, and matched nothing
    report = waive(Report(findings=(NODE_TRUST,)), waivers, before_both_expire)
    assert report.passed and report.findings == () and len(report.waived) == 1


def test_waiver_holds_through_its_expiry_day(tmp_path):
    waivers = load(_file(tmp_path, VALID))
    _, waived, expired, _ = apply_waivers([ADMIN], waivers, datetime.date(2026, 5, 31))
    assert len(waived) == 1 and expired == ()


def test_expired_waiver_does_not_waive_and_fails_the_gate(tmp_path):
    waivers = load(_file(tmp_path, VALID))
    kept, waived, expired, _ = apply_waivers([ADMIN], waivers, TODAY)
    assert kept == (ADMIN,) and waived == ()
    assert [w.rule for w in expired] == ["CKV_AWS_274"]
    low = Finding("CKV_AWS_274", Severity.LOW, "checkov", "x", "below threshold")
    report = waive(Report(findings=(low,), fail_on=Severity.MEDIUM), waivers, TODAY)
    assert report.failing == ()  # the finding alone would pass…
    assert not report.passed  # …the expired waiver fails the gate


def test_outcome_has_named_parts(tmp_path):
    outcome = apply_waivers([NODE_TRUST, ADMIN], load(_file(tmp_path, VALID)), TODAY)
    assert outcome.kept == (ADMIN,)
    assert outcome.waived[0].finding == NODE_TRUST
    assert outcome.expired[0].rule == "CKV_AWS_274"


def test_expired_waiver_matching_nothing_still_fails_the_gate(tmp_path):
    waivers = load(_file(tmp_path, VALID))
    kept, waived, expired, unused = apply_waivers([OTHER], waivers, TODAY)
    assert kept == (OTHER,) and waived == ()
    assert [w.rule for w in expired] == ["CKV_AWS_274"]
    assert [w.rule for w in unused] == ["EKSIAM-NODE-001"]  # an expired waiver is listed as expired only
    report = waive(Report(findings=(), fail_on=Severity.MEDIUM), waivers, TODAY)
    assert report.findings == () and report.expired_waivers and not report.passed


def test_exact_resource_wins_over_wildcard(tmp_path):
    waivers = load(
        _file(
            tmp_path,
            """\
            [[waiver]]
            rule = "EKSIAM-NODE-001"
            resource = "*"
            reason = "Every role, for the whole quarter"
            expires = 2026-08-30

            [[waiver]]
            rule = "EKSIAM-NODE-001"
            resource = "aws_iam_role.node_role"
            reason = "This role until the end of the summer"
            expires = 2026-08-01
            """,
        )
    )
    _, waived, _, unused = apply_waivers([NODE_TRUST], waivers, TODAY)
    assert waived[0].waiver.resource == "aws_iam_role.node_role"
    assert [w.resource for w in unused] == ["*"]  # the wildcard waived nothing the exact one did not


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[waiver]]\nrule = "EKSIAM-NODE-001"\nresource = "*"\nreason = "too short"\nexpires = 2027-01-31\n', "at least 10 characters"),
        ('[[waiver]]\nrule = "EKSIAM-NODE-001"\nresource = "*"\nreason = "long enough reason"\nexpires = 2027-01-31\nowner = "me"\n', "unknown key 'owner'"),
        ('[[waiver]]\nrule = "EKSIAM-NODE-001"\nreason = "long enough reason"\nexpires = 2027-01-31\n', "missing 'resource'"),
        ('[[waiver]]\nrule = "EKSIAM-NODE-001"\nresource = "*"\nreason = "long enough reason"\nexpires = "2027-01-31"\n', "TOML date without quotes"),
        ('[[waiver]]\nrule = "EKSIAM-NODE-001"\nresource = "*"\nreason = "long enough reason"\nexpires = 2027-01-31T10:00:00\n', "is not a date"),
        ('[[waiver]]\nrule = "not a rule id"\nresource = "*"\nreason = "long enough reason"\nexpires = 2027-01-31\n', "rule must be a rule id"),
        ('[[waiver]]\nrule = "EKSIAM-NODE-001"\nresource = ""\nreason = "long enough reason"\nexpires = 2027-01-31\n', "resource must be"),
        ('[waivers]\nrule = "EKSIAM-NODE-001"\n', "unknown top-level key 'waivers'"),
        ("[[waiver]\n", "not valid TOML"),
        (
            '[[waiver]]\nrule = "X-1"\nresource = "*"\nreason = "long enough reason"\nexpires = 2026-07-31\n' * 2,
            "repeats waiver #1",
        ),
    ],
)
def test_invalid_file_is_a_usage_error_naming_file_and_entry(tmp_path, body, message):
    path = _file(tmp_path, body)
    with pytest.raises(UsageError, match=message) as raised:
        load(path)
    text = str(raised.value)
    assert str(path) in text
    assert "\n" not in text
    if "[[waiver]]" in body and "repeats" not in message and "TOML" not in message:
        assert "waiver #1" in text


def test_unknown_rule_rejected_when_rules_are_known(tmp_path):
    with pytest.raises(UsageError, match="no rule or check 'CKV_AWS_274' exists"):
        load(_file(tmp_path, VALID), known_rules={"EKSIAM-NODE-001"})


def test_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        load_waivers(tmp_path / "nope.toml")


def test_empty_file_means_no_waivers(tmp_path):
    assert load(_file(tmp_path, "")) == ()


def test_an_expired_waiver_fails_a_clean_check_end_to_end(tmp_path, capsys):
    """Through the command: nothing to waive, yet the stale waiver fails the gate (exit 1)."""
    waivers = _file(tmp_path, """\
        [[waiver]]
        rule = "EKSIAM-NODE-003"
        resource = "aws_iam_role_policy_attachment.node_admin"
        reason = "Break-glass admin for the migration weekend"
        expires = 2020-01-31
    """)
    argv = ["check", "--input", str(SECURE), "--no-checkov", "--format", "json", "--waivers", str(waivers)]
    code = main(argv)
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["passed"] is False and report["findings"] == []
    assert [w["rule"] for w in report["expired_waivers"]] == ["EKSIAM-NODE-003"]

    within_limit = datetime.date.today() + datetime.timedelta(days=30)
    waivers.write_text(waivers.read_text().replace("2020-01-31", within_limit.isoformat()))
    assert main(argv) == 0  # the waiver matches nothing (listed as unused), and fails nothing…
    assert [w["rule"] for w in json.loads(capsys.readouterr().out)["unused_waivers"]] == ["EKSIAM-NODE-003"]
    assert main([*argv, "--fail-on-unused-waivers"]) == 1  # …unless the platform team says it must
    assert json.loads(capsys.readouterr().out)["summary"]["findings"]["unused_waivers"] == 1
