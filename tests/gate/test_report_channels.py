"""What every report format must hold alike: counts that agree with the findings listed, unused
waivers listed, and control characters from the inputs shown, never run or embedded raw."""

from __future__ import annotations

import datetime
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from eksiam.cli import main
from eksiam.gate.findings import EngineSummary, Finding, JudgedRole, Report, Severity, WaivedFinding, Waiver
from eksiam.gate.report import FORMATS, render, write_reports

FILE = "cdktf.out/stacks/eksiam-node/cdk.tf.json"
ROLE = "aws_iam_role.node_role"
MERGED = Finding(
    "EKSIAM-ROLE-003", Severity.CRITICAL, "opa", ROLE, f"The node role {ROLE} has AdministratorAccess.", file=FILE,
    carrier="aws_iam_role_policy_attachment.node_admin",
    checks=("EKSIAM-ROLE-003", "EKSIAM-NODE-003", "CKV_AWS_274", "CKV_EKSIAM_4", "CKV_EKSIAM_6"),
    engines=("opa", "checkov"),
)
BELOW = Finding("EKSIAM-ROLE-002", Severity.LOW, "opa", ROLE, "no permissions boundary", file=FILE, checks=("EKSIAM-ROLE-002",), engines=("opa",))
CHECKOV_ONLY = Finding("CKV_AWS_61", Severity.HIGH, "checkov", ROLE, "trusts an account root", file=FILE, checks=("CKV_AWS_61",), engines=("checkov",))
WAIVED = WaivedFinding(
    Finding("EKSIAM-NODE-004", Severity.HIGH, "opa", ROLE, "inline policy", file=FILE, checks=("EKSIAM-NODE-004",), engines=("opa",)),
    Waiver("EKSIAM-NODE-004", ROLE, "Accepted until the migration ends", datetime.date(2026, 8, 1)),
)
UNUSED = Waiver("EKSIAM-NODE-001", "aws_iam_role.gone", "The role this was for is gone now", datetime.date(2026, 8, 1), "w.toml: waiver #2", stack="prod-eu")
MIRROR_WAIVER = Waiver("CKV_AWS_274", "*", "Waived before the checks were merged", datetime.date(2026, 8, 1), "w.toml: waiver #3")


def report(fail_on_unused: bool = False) -> Report:
    return Report(
        findings=(MERGED, BELOW, CHECKOV_ONLY),
        summary={"opa": EngineSummary(evaluated=20, failed=4, passed=16), "checkov": EngineSummary(evaluated=30, failed=5, passed=25)},
        inputs=(FILE,),
        waived=(WAIVED,),
        unused_waivers=(UNUSED, MIRROR_WAIVER),
        fail_on_unused_waivers=fail_on_unused,
    )


# --- counts agree with the lists --------------------------------------------------------------


def test_json_counts_are_the_findings_listed():
    data = json.loads(render(report(), "json"))
    listed = data["findings"]
    counts = data["summary"]["findings"]
    assert counts["total"] == len(listed) == 3
    assert counts["failing"] == sum(Severity[f["severity"]] >= Severity[data["fail_on"]] for f in listed)
    assert counts["waived"] == len(data["waived"]) and counts["unused_waivers"] == len(data["unused_waivers"])
    for engine in ("opa", "checkov"):
        assert data["summary"][engine]["failed"] == sum(engine in f["engines"] for f in listed)
    merged = next(f for f in listed if f["rule"] == MERGED.rule)
    assert merged["checks"] == list(MERGED.checks) and merged["carrier"] == MERGED.carrier


def test_text_and_markdown_counts_are_the_findings_listed():
    text = render(report(), "text")
    assert "findings: 3 (2 failing, 1 waived, 2 unused waivers)" in text
    assert "opa: 20 evaluated, 2 failed" in text and "checkov: 25 passed, 2 failed" in text
    assert len(re.findall(r"^  (CRITICAL|HIGH|MEDIUM|LOW) ", text, re.MULTILINE)) == 3
    assert "also seen by: EKSIAM-NODE-003, CKV_AWS_274, CKV_EKSIAM_4, CKV_EKSIAM_6" in text
    markdown = render(report(), "markdown")
    assert "findings: 3 (2 failing, 1 waived, 2 unused waivers)" in markdown
    header = markdown.splitlines().index("| Severity | Rule | Resource | Message | Fix |")
    rows = []
    for line in markdown.splitlines()[header + 2:]:
        if not line.startswith("| "):
            break
        rows.append(line)
    assert len(rows) == 3 and "(also `EKSIAM-NODE-003`, `CKV_AWS_274`" in rows[0]


def test_junit_has_one_testcase_per_finding_listed():
    root = ET.fromstring(render(report(), "junit"))
    engine_cases = [case for suite in root.findall("testsuite") if suite.get("name") != "eksiam.waivers" for case in suite]
    failed = [case for case in engine_cases if case.find("failure") is not None]
    assert len(failed) == 2  # the merged finding once, in its primary rule's suite, and the checkov one
    (merged,) = root.findall("testsuite[@name='eksiam.opa']/testcase[@classname='opa.EKSIAM-ROLE-003']")
    assert "also seen by: EKSIAM-NODE-003, CKV_AWS_274" in merged.find("failure").text
    assert root.find("testsuite[@name='eksiam.checkov']/testcase[@classname='checkov.CKV_AWS_274']") is None
    assert int(root.get("failures")) == 2 and int(root.get("tests")) == sum(int(s.get("tests")) for s in root.findall("testsuite"))


def test_sarif_has_one_result_per_finding_listed():
    (run,) = json.loads(render(report(), "sarif"))["runs"]
    active = [r for r in run["results"] if "suppressions" not in r]
    assert len(active) == 3 and len(run["results"]) - len(active) == 1
    counts = run["properties"]["findings"]
    assert counts["total"] == len(active) and counts["waived"] == len(run["results"]) - len(active)
    assert counts["failing"] == sum(r["level"] == "error" for r in active)  # here: the CRITICAL and HIGH ones
    merged = next(r for r in active if r["ruleId"] == MERGED.rule)
    assert merged["properties"]["checks"] == list(MERGED.checks) and merged["properties"]["engines"] == ["opa", "checkov"]


def test_two_flaws_of_one_role_are_two_alerts():
    other = Finding(**{**MERGED.to_json(), "severity": MERGED.severity, "carrier": "aws_iam_role_policy_attachment.node_power"})
    (run,) = json.loads(render(Report(findings=(MERGED, other)), "sarif"))["runs"]
    assert len({r["partialFingerprints"]["eksiamFinding/v1"] for r in run["results"]}) == 2


# --- unused waivers ---------------------------------------------------------------------------


@pytest.mark.parametrize("fail", [False, True])
def test_unused_waivers_are_listed_in_every_format(fail):
    shown = report(fail_on_unused=fail)
    assert shown.passed is False  # the CRITICAL finding fails it either way
    assert bool(shown.failing_unused) is fail
    data = json.loads(render(shown, "json"))
    assert [w["rule"] for w in data["unused_waivers"]] == ["EKSIAM-NODE-001", "CKV_AWS_274"]
    assert data["unused_waivers"][0]["stack"] == "prod-eu" and data["fail_on_unused_waivers"] is fail
    for fmt in ("text", "markdown"):
        out = render(shown, fmt)
        assert "Unused waivers (2)" in out and ("fail the gate" in out.split("Unused waivers (2)")[1].splitlines()[0]) is fail
        assert "aws_iam_role.gone in stack prod-eu" in out
        assert "waive EKSIAM-ROLE-003 instead" in out  # the mirror's waiver names the rule to waive now
    suite = ET.fromstring(render(shown, "junit")).find("testsuite[@name='eksiam.waivers']")
    cases = suite.findall("testcase")
    assert len(cases) == 2 and all(case.find("failure" if fail else "skipped") is not None for case in cases)
    assert int(suite.get("failures")) == (2 if fail else 0)
    notes = json.loads(render(shown, "sarif"))["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["error" if fail else "warning"] * 2
    assert all(n["descriptor"]["id"] == "EKSIAM-WAIVER-UNUSED" for n in notes)


def test_unused_waivers_alone_fail_only_when_asked():
    clean = Report(findings=(), summary={"opa": EngineSummary(3, 0, 3)}, unused_waivers=(UNUSED,))
    assert clean.passed
    strict = Report(findings=(), summary={"opa": EngineSummary(3, 0, 3)}, unused_waivers=(UNUSED,), fail_on_unused_waivers=True)
    assert not strict.passed
    assert render(strict, "text").startswith("eksiam policy gate failed: 1 unused waiver")


# --- control characters -----------------------------------------------------------------------

# Hides what follows on a terminal, returns the cursor, reverses the text, and no XML may hold them.
HOSTILE = "AWS\x1b[8m hidden\x1b[0m\rover\u202eesrever\x00nul\x07\ud800\ufffe end"
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def hostile_report() -> Report:
    finding = Finding(
        "EKSIAM-NODE-001", Severity.CRITICAL, "opa", f"aws_iam_role.{HOSTILE}", f"Node role trusts the principal type {HOSTILE}.",
        remediation=HOSTILE, file=f"stacks/{HOSTILE}.json", title=HOSTILE, carrier=HOSTILE, checks=("EKSIAM-NODE-001",), engines=("opa",),
    )
    waiver = Waiver("EKSIAM-NODE-004", HOSTILE, f"reason {HOSTILE}", datetime.date(2026, 8, 1), HOSTILE, stack=HOSTILE, construct=HOSTILE)
    return Report(
        findings=(finding,),
        summary={"opa": EngineSummary(1, 1, 0)},
        inputs=(HOSTILE,),
        waived=(WaivedFinding(finding, waiver),),
        expired_waivers=(waiver,),
        unused_waivers=(waiver,),
        roles=(JudgedRole(HOSTILE, HOSTILE, HOSTILE, HOSTILE),),
        tool_errors=(("checkov", HOSTILE, HOSTILE),),
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_format_carries_a_control_character(fmt, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = render(hostile_report(), fmt)
    assert not UNSAFE.search(out), f"{fmt}: {UNSAFE.search(out)!r}"
    write_reports(hostile_report(), fmt, tmp_path / f"report.{fmt}")  # whole, and encodable
    assert (tmp_path / f"report.{fmt}").read_text(encoding="utf-8") == out


def test_text_shows_the_escapes_and_colours_only_its_own():
    plain = render(hostile_report(), "text")
    assert "AWS\\x1b[8m hidden\\x1b[0m over" in plain and "\\u202e" in plain
    coloured = render(hostile_report(), "text", color=True)
    ours = re.compile(r"\x1b\[(?:0|1|2|3[0-9]|1;3[0-9])m")
    assert "\x1b" not in ours.sub("", coloured)
    assert "\x1b[8m" not in coloured


def test_junit_with_control_characters_is_valid_xml():
    root = ET.fromstring(render(hostile_report(), "junit"))
    case = root.find("testsuite[@name='eksiam.opa']/testcase/failure")
    assert "principal type AWS\\x1b[8m hidden" in case.get("message")


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_json_channels_escape_as_json_does(fmt):
    out = render(hostile_report(), fmt)
    assert out.isascii()  # every non-ASCII and control character is a \\u escape
    data = json.loads(out)
    if fmt == "json":  # the data itself, exact: a consumer can match it
        assert data["findings"][0]["carrier"] == HOSTILE
    else:  # texts a viewer prints show the escapes
        assert "AWS\\x1b[8m hidden" in data["runs"][0]["results"][0]["message"]["text"]


def test_a_hostile_principal_type_through_the_gate_is_shown_in_every_format(tmp_path, monkeypatch, capsys):
    """The node role trusts a principal type key holding escape sequences: every report is
    still well formed and shows them as text."""
    source = Path(__file__).resolve().parents[1] / "fixtures" / "adversarial" / "node_secure_description.tf.json"
    stack = json.loads(source.read_text())
    role = stack["resource"]["aws_iam_role"]["node_role"]
    trust = json.loads(role["assume_role_policy"])
    trust["Statement"][0]["Principal"] = {"AWS\x1b[8m hidden\x1b[0m\r": "arn:aws:iam::123456789012:root"}
    role["assume_role_policy"] = json.dumps(trust)
    synth = tmp_path / "hostile.tf.json"
    synth.write_text(json.dumps(stack))
    monkeypatch.chdir(tmp_path)
    reports = [f"--report={fmt}=report.{fmt}" for fmt in FORMATS]
    code = main(["check", "--input", str(synth), "--no-checkov", "--no-cache", "--format", "text", *reports])
    printed = capsys.readouterr().out
    assert code == 1
    shown = {fmt: (tmp_path / f"report.{fmt}").read_text(encoding="utf-8") for fmt in FORMATS}
    assert not UNSAFE.search(printed) and not any(UNSAFE.search(text) for text in shown.values())
    ET.fromstring(shown["junit"])
    assert "AWS\\x1b[8m hidden" in shown["text"] and "AWS\\x1b[8m hidden" in shown["junit"]
    assert any("\x1b[8m" in f["message"] for f in json.loads(shown["json"])["findings"])  # the data, exact
