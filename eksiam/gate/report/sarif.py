"""SARIF 2.1.0 for GitHub code scanning (``github/codeql-action/upload-sarif``).

One run, tool ``eksiam``; its rules are the rules of the findings (metadata from the Rego
``# METADATA`` blocks and checkov's check names, see ``Report.rules``) with
``properties.security-severity`` from the severity (CRITICAL 9.5, HIGH 8.0, MEDIUM 5.5, LOW 3.0:
GitHub's bands). Each finding is a result located at the line of its resource's block in the
input file, with the file's path relative to the working directory (the repository root in
CI). Waived findings stay in the log as results with an accepted suppression, so GitHub shows
them as dismissed; expired waivers are error notifications of the invocation, unused waivers
warnings (errors with ``--fail-on-unused-waivers``). A finding without a file (a live account)
has a logical location only. A finding several checks saw is one result of its primary rule,
every check named in ``properties.checks``. Every text is escaped of control characters
(eksiam.gate.report.escape), as SARIF viewers print them.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

from eksiam.gate.findings import Finding, Report, RuleInfo, Severity
from eksiam.gate.report.escape import visible_strings
from eksiam.gate.report.locations import file_resource_line
from eksiam.gate.report.summary import finding_counts, ordered, rule_info, unused_note, waiver_scope

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
VERSION = "2.1.0"
INFORMATION_URI = "https://docs.aws.amazon.com/eks/latest/userguide/connector-iam-role.html"
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0"}
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}


def _tool_version() -> str:
    try:
        return metadata.version("eksiam")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def artifact_uri(file: str, base: Path | None = None) -> str:
    """``file`` relative to ``base`` (default: the working directory) with ``/``; else a file URI."""
    path = Path(file)
    base = (base or Path.cwd()).resolve()
    if not path.is_absolute():
        return path.as_posix().removeprefix("./")
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return path.as_uri()


def _rule(info: RuleInfo, engine: str) -> dict[str, Any]:
    severity = info.severity or Severity.HIGH
    help_text = info.remediation or info.title
    markdown = f"**Fix:** {help_text}" if info.remediation else help_text
    if info.help_uri:
        help_text += f" See {info.help_uri}"
        markdown += f"\n\n[Documentation]({info.help_uri})"
    rule = {
        "id": info.id,
        "name": info.id,
        "shortDescription": {"text": info.title or info.id},
        "fullDescription": {"text": info.description or info.title or info.id},
        "help": {"text": help_text, "markdown": markdown},
        "defaultConfiguration": {"level": LEVEL[severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[severity],
            "tags": ["security", "iam", engine],
            "precision": "very-high",
        },
    }
    if info.help_uri:
        rule["helpUri"] = info.help_uri
    return rule


def _fingerprint(finding: Finding) -> str:
    parts = [finding.engine, finding.rule, finding.resource, Path(finding.file).as_posix() if finding.file else ""]
    if finding.carrier:  # two flaws of one role (two attachments) are two alerts
        parts.append(finding.carrier)
    key = "\0".join(parts)
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _result(report: Report, finding: Finding, index: int, base: Path | None) -> dict[str, Any]:
    message = finding.message
    info = rule_info(report, finding)
    if info.remediation:
        message += f" Fix: {info.remediation}"
    location: dict[str, Any] = {"logicalLocations": [{"fullyQualifiedName": finding.resource, "kind": "resource"}]}
    if finding.file:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": artifact_uri(finding.file, base)},
            "region": {"startLine": file_resource_line(finding.file, finding.resource)},
        }
    return {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": LEVEL[finding.severity],
        "message": {"text": message},
        "locations": [location],
        "partialFingerprints": {"eksiamFinding/v1": _fingerprint(finding)},
        "properties": {
            "engine": finding.engine,
            "severity": finding.severity.name,
            **({"checks": list(finding.checks), "engines": list(finding.engines)} if finding.checks else {}),
            **({"carrier": finding.carrier} if finding.carrier else {}),
        },
    }


def to_document(report: Report, base: Path | None = None) -> dict[str, Any]:
    findings = ordered(report.findings)
    waived = sorted(report.waived, key=lambda w: (w.finding.rule, w.finding.resource))
    every = findings + [w.finding for w in waived]
    rule_ids = sorted({f.rule for f in every})
    first = {rule_id: next(f for f in every if f.rule == rule_id) for rule_id in rule_ids}
    rules = [_rule(rule_info(report, first[rule_id]), first[rule_id].engine) for rule_id in rule_ids]
    index = {rule_id: position for position, rule_id in enumerate(rule_ids)}
    results = [_result(report, finding, index[finding.rule], base) for finding in findings]
    for item in waived:
        result = _result(report, item.finding, index[item.finding.rule], base)
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{item.waiver.reason} (waived until {item.waiver.expires.isoformat()})",
            }
        ]
        results.append(result)
    notifications = [
        {
            "level": "error",
            "message": {
                "text": f"The waiver for {w.rule} on {waiver_scope(w)} expired on {w.expires.isoformat()}"
                f"{f' ({w.source})' if w.source else ''}: fix the finding, or renew the waiver with a new date and reason."
            },
            "descriptor": {"id": "EKSIAM-WAIVER-EXPIRED"},
        }
        for w in report.expired_waivers
    ] + [
        {
            "level": "error" if report.failing_unused else "warning",
            "message": {
                "text": f"The waiver for {w.rule} on {waiver_scope(w)}{f' ({w.source})' if w.source else ''} waived nothing: "
                f"{unused_note(report, w)}."
            },
            "descriptor": {"id": "EKSIAM-WAIVER-UNUSED"},
        }
        for w in report.unused_waivers
    ]
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SCHEMA,
        "version": VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "eksiam",
                        "informationUri": INFORMATION_URI,
                        "version": _tool_version(),
                        "rules": rules,
                    }
                },
                "invocations": [invocation],
                "results": results,
                "columnKind": "utf16CodeUnits",
                # The counts every format shows: results without suppressions are the findings.
                "properties": {"findings": finding_counts(report)},
            }
        ],
    }


def render(report: Report) -> str:
    return json.dumps(visible_strings(to_document(report)), indent=2) + "\n"
