"""Markdown for a merge-request comment: a status headline and a table of findings.

Cells are escaped for GitHub/GitLab tables: ``|`` becomes ``\\|``, line breaks become spaces,
control characters show as their escapes, and values shown as code drop to plain text when
they contain a backtick. A finding several checks saw names them beside its primary rule.
"""

from __future__ import annotations

from eksiam.gate.findings import Finding, Report
from eksiam.gate.report.escape import visible
from eksiam.gate.report.summary import also_seen_by, engine_line, headline, ordered, rule_info, unused_note, waiver_scope

_HEADER = "| Severity | Rule | Resource | Message | Fix |\n|---|---|---|---|---|"


def cell(text: str) -> str:
    return visible(" ".join(str(text).split())).replace("\\", "\\\\").replace("|", "\\|")


def code(text: str) -> str:
    text = visible(" ".join(str(text).split()))
    if "`" in text:
        return cell(text)
    escaped = text.replace("|", "\\|")
    return f"`{escaped}`"


def _fix(remediation: str, uri: str) -> str:
    """The fix, and a link to the rule's documentation when there is one."""
    link = f"[docs]({uri})" if uri and " " not in uri and ")" not in uri else ""
    if remediation and link:
        return f"{cell(remediation)} ({link})"
    return cell(remediation) or link


def render(report: Report) -> str:
    icon = ":white_check_mark:" if report.passed else ":x:"
    lines = [f"### {icon} {cell(headline(report))}", "", cell(engine_line(report)), ""]
    findings = ordered(report.findings)
    if findings:
        lines.append(_HEADER)
        for finding in findings:
            info = rule_info(report, finding)
            severity = finding.severity.name if report.fails(finding) else f"{finding.severity.name} (below threshold)"
            lines.append(
                f"| {severity} | {_rules(finding)} | {code(finding.resource)} | {cell(finding.message)} "
                f"| {_fix(info.remediation, info.help_uri)} |"
            )
        lines.append("")
    else:
        lines += ["No findings.", ""]
    if report.expired_waivers:
        lines += [f"**Expired waivers ({len(report.expired_waivers)})**: they fail the gate until renewed or the finding is fixed.", ""]
        lines += ["| Rule | Resource | Expired | Reason |", "|---|---|---|---|"]
        for waiver in report.expired_waivers:
            lines.append(f"| {code(waiver.rule)} | {code(waiver_scope(waiver))} | {waiver.expires.isoformat()} | {cell(waiver.reason)} |")
        lines.append("")
    if report.unused_waivers:
        fails = ": they fail the gate" if report.failing_unused else ""
        lines += [f"**Unused waivers ({len(report.unused_waivers)})**{fails}", ""]
        lines += ["| Rule | Waives | Expires | Why unused |", "|---|---|---|---|"]
        for waiver in report.unused_waivers:
            lines.append(
                f"| {code(waiver.rule)} | {code(waiver_scope(waiver))} | {waiver.expires.isoformat()} | {cell(unused_note(report, waiver))} |"
            )
        lines.append("")
    if report.waived:
        lines += [f"<details><summary>Waived findings ({len(report.waived)})</summary>", ""]
        lines += ["| Severity | Rule | Resource | Until | Reason |", "|---|---|---|---|---|"]
        for waived in sorted(report.waived, key=lambda w: (w.finding.rule, w.finding.resource)):
            finding, waiver = waived.finding, waived.waiver
            lines.append(
                f"| {finding.severity.name} | {code(finding.rule)} | {code(finding.resource)} "
                f"| {waiver.expires.isoformat()} | {cell(waiver.reason)} |"
            )
        lines += ["", "</details>", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _rules(finding: Finding) -> str:
    """The primary rule, and the other checks that saw the flaw."""
    also = also_seen_by(finding)
    return f"{code(finding.rule)} (also {', '.join(code(check) for check in also)})" if also else code(finding.rule)
