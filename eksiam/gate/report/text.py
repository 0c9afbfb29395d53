"""Plain text for a terminal: a headline, the engines' counts, one line per finding by file."""

from __future__ import annotations

from itertools import groupby

from eksiam.gate.findings import Report, Severity
from eksiam.gate.report.escape import visible
from eksiam.gate.report.summary import also_seen_by, engine_line, headline, ordered, unused_note, waiver_scope

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

    lines = [paint(headline(report), _GREEN if report.passed else _RED), _one_line(engine_line(report))]
    for engine, file, message in report.tool_errors:
        lines.append(paint(f"{_one_line(engine)} could not evaluate {_one_line(file)}: {_one_line(message)}", _RED))
    if report.roles:
        judged = ", ".join(f"{r.kind} {r.resource} (by {r.identified_by})" for r in report.roles)
        lines.append(paint(f"EKS roles judged: {_one_line(judged)}", _DIM))
    findings = ordered(report.findings)
    for file, group in groupby(sorted(findings, key=lambda f: f.file), key=lambda f: f.file):
        lines.append("")
        lines.append(paint(_one_line(file) or "(no file)", _BOLD))
        for finding in ordered(list(group)):
            severity = paint(f"{finding.severity.name:<8}", _COLOURS[finding.severity])
            marker = "" if report.fails(finding) else paint(" (below threshold)", _DIM)
            # Messages usually name their resource already (one sentence per finding).
            subject = "" if finding.resource in finding.message else f"{_one_line(finding.resource)}: "
            lines.append(f"  {severity} {_one_line(finding.rule)}  {subject}{_one_line(finding.message)}{marker}")
            also = also_seen_by(finding)
            if also:
                lines.append(paint(f"           also seen by: {_one_line(', '.join(also))}", _DIM))
            if finding.remediation:
                lines.append(paint(f"           fix: {_one_line(finding.remediation)}", _DIM))
    if report.waived:
        lines.append("")
        lines.append(paint(f"Waived ({len(report.waived)}):", _BOLD))
        for waived in sorted(report.waived, key=lambda w: (w.finding.rule, w.finding.resource)):
            waiver = waived.waiver
            lines.append(
                f"  {_one_line(waived.finding.rule)}  {_one_line(waived.finding.resource)}: until {waiver.expires.isoformat()}: "
                f"{_one_line(waiver.reason)}"
            )
    if report.expired_waivers:
        lines.append("")
        lines.append(paint(f"Expired waivers ({len(report.expired_waivers)}), these fail the gate:", _RED))
        for waiver in report.expired_waivers:
            source = f" [{_one_line(waiver.source)}]" if waiver.source else ""
            lines.append(
                f"  {_one_line(waiver.rule)}  {_one_line(waiver_scope(waiver))}: expired {waiver.expires.isoformat()}{source}: "
                "fix the finding, or renew the waiver with a new date and reason"
            )
    if report.unused_waivers:
        lines.append("")
        fails = ", these fail the gate" if report.failing_unused else ""
        lines.append(paint(f"Unused waivers ({len(report.unused_waivers)}){fails}:", _RED if fails else _BOLD))
        for waiver in report.unused_waivers:
            source = f" [{_one_line(waiver.source)}]" if waiver.source else ""
            lines.append(f"  {_one_line(waiver.rule)}  {_one_line(waiver_scope(waiver))}{source}: {_one_line(unused_note(report, waiver))}")
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    """``text`` on one line, every control character shown as its escape (never run)."""
    return visible(" ".join(text.split()))
