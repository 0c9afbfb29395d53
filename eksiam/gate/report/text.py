"""Plain text for a terminal: a headline, the engines' counts, one line per finding by file."""

from __future__ import annotations

from itertools import groupby

from eksiam.gate.findings import Report, Severity
from eksiam.gate.report.locations import origin
from eksiam.gate.report.summary import engine_line, headline, ordered

_RESET = "\033[0m"
_BOLD = "\033[1m"
_DIM = "\033[2m"
_COLOURS = {
    Severity.CRITICAL: "\033[1;31m",
    Severity.HIGH: "\033[31m",
    Severity.MEDIUM: "\033[33m",
    Severity.LOW: "\033[36m",
}
_GREEN = "\033[32m"
_RED = "\033[1;31m"


def render(report: Report, *, color: bool = False) -> str:
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines = [paint(headline(report), _GREEN if report.passed else _RED), engine_line(report)]
    for engine, file, message in report.tool_errors:
        lines.append(paint(f"{engine} could not evaluate {file}: {_one_line(message)}", _RED))
    if report.roles:
        judged = ", ".join(f"{r.kind} {r.resource} (by {r.identified_by})" for r in report.roles)
        lines.append(paint(f"EKS roles judged: {judged}", _DIM))
    findings = ordered(report.findings)
    for file, group in groupby(sorted(findings, key=lambda f: f.file), key=lambda f: f.file):
        lines.append("")
        lines.append(paint(file or "(no file)", _BOLD))
        for finding in ordered(list(group)):
            severity = paint(f"{finding.severity.name:<8}", _COLOURS[finding.severity])
            marker = "" if report.fails(finding) else paint(" (below threshold)", _DIM)
            # Messages usually name their resource already (one sentence per finding).
            subject = "" if finding.resource in finding.message else f"{finding.resource}: "
            lines.append(f"  {severity} {finding.rule}  {subject}{_one_line(finding.message)}{marker}")
            if finding.stack:
                lines.append(paint(f"           at: {origin(finding)}", _DIM))
            if finding.remediation:
                lines.append(paint(f"           fix: {_one_line(finding.remediation)}", _DIM))
    if report.waived:
        lines.append("")
        lines.append(paint(f"Waived ({len(report.waived)}):", _BOLD))
        for waived in sorted(report.waived, key=lambda w: (w.finding.rule, w.finding.resource)):
            waiver = waived.waiver
            lines.append(
                f"  {waived.finding.rule}  {waived.finding.resource}: until {waiver.expires.isoformat()}: "
                f"{_one_line(waiver.reason)}"
            )
    if report.expired_waivers:
        lines.append("")
        lines.append(paint(f"Expired waivers ({len(report.expired_waivers)}), these fail the gate:", _RED))
        for waiver in report.expired_waivers:
            source = f" [{waiver.source}]" if waiver.source else ""
            lines.append(
                f"  {waiver.rule}  {waiver.resource}: expired {waiver.expires.isoformat()}{source}: "
                "fix the finding, or renew the waiver with a new date and reason"
            )
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())
