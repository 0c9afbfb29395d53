"""GitLab Code Quality (``artifacts:reports:codequality``): the merge-request widget's list.

One entry per finding that counts (waived ones are left out, as GitLab has no "accepted"
state), located at the user's line when an app's finding has one, else at its input file, relative to
the repository (where GitLab resolves it).
GitLab's severities are info, minor, major, critical and blocker.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from eksiam.gate.findings import Finding, Report, Severity
from eksiam.gate.report.escape import visible
from eksiam.gate.report.locations import file_resource_line, origin, repository_path
from eksiam.gate.report.summary import ordered, rule_info

SEVERITY = {Severity.CRITICAL: "critical", Severity.HIGH: "major", Severity.MEDIUM: "minor", Severity.LOW: "info"}


def _entry(report: Report, finding: Finding) -> dict[str, Any]:
    if finding.source_file:
        path, line = repository_path(finding.source_file), finding.source_line
    elif finding.file:
        path, line = repository_path(finding.file), file_resource_line(finding.file, finding.resource)
    else:  # a live account's role has no file: GitLab still needs a path
        path, line = finding.resource, 1
    description = f"{finding.rule}: {finding.message}"
    if finding.stack:
        description += f" ({origin(finding)})"
    fix = rule_info(report, finding).remediation
    if fix:
        description += f" Fix: {fix}"
    key = "\0".join((finding.engine, finding.rule, finding.stack, finding.resource, finding.file))
    return {
        "type": "issue",
        "check_name": visible(finding.rule),
        "description": visible(description),
        "categories": ["Security"],
        "severity": SEVERITY[finding.severity],
        "fingerprint": hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest(),
        "location": {"path": visible(path), "lines": {"begin": line}},
    }


def render(report: Report) -> str:
    return json.dumps([_entry(report, f) for f in ordered(report.findings)], indent=2) + "\n"


def render_error(message: str) -> str:
    """The run did not finish: one blocker entry saying why, so the widget is not empty."""
    entry = {
        "type": "issue",
        "check_name": "eksiam",
        "description": f"The eksiam policy gate did not run to the end: {message}",
        "categories": ["Security"],
        "severity": "blocker",
        "fingerprint": hashlib.sha256(message.encode()).hexdigest(),
        "location": {"path": "cdktf.json", "lines": {"begin": 1}},
    }
    return json.dumps([entry], indent=2) + "\n"
