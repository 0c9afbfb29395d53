"""What every format says the same way: finding order, engine counts, headline, rule lookup."""

from __future__ import annotations

from eksiam.gate.findings import EngineSummary, Finding, Report, RuleInfo
from eksiam.gate.report.rules import default_rule_metadata

ENGINES = ("opa", "checkov")


def ordered(findings: tuple[Finding, ...] | list[Finding]) -> list[Finding]:
    """Most severe first, then by file, rule and resource: stable across runs."""
    return sorted(findings, key=lambda f: (-f.severity, f.file, f.rule, f.resource, f.engine, f.message))


def engine_summary(report: Report, engine: str) -> EngineSummary | None:
    return report.summary.get(engine)


def engine_line(report: Report) -> str:
    """``opa: 12 evaluated, 1 failed · checkov: 9 passed, 0 failed``."""
    parts = []
    for engine in ENGINES:
        summary = engine_summary(report, engine)
        if summary is None or summary.evaluated == 0 and summary.passed == 0 and summary.failed == 0:
            parts.append(f"{engine}: did not run")
        elif engine == "checkov":
            parts.append(f"{engine}: {summary.passed} passed, {summary.failed} failed")
        else:
            parts.append(f"{engine}: {summary.evaluated} evaluated, {summary.failed} failed")
    for engine, summary in sorted(report.summary.items()):
        if engine not in ENGINES:
            parts.append(f"{engine}: {summary.evaluated} evaluated, {summary.failed} failed")
    return " · ".join(parts)


def headline(report: Report) -> str:
    """One sentence: passed or failed, and why."""
    threshold = report.fail_on.name
    if report.passed:
        below = len(report.findings)
        extra = f"; {below} finding{'s' if below != 1 else ''} below {threshold}" if below else ""
        waived = f"; {len(report.waived)} waived" if report.waived else ""
        return f"eksiam policy gate passed (fails on {threshold} or above{extra}{waived})"
    reasons = []
    if report.failing:
        count = len(report.failing)
        reasons.append(f"{count} finding{'s' if count != 1 else ''} at {threshold} or above")
    if report.expired_waivers:
        count = len(report.expired_waivers)
        reasons.append(f"{count} expired waiver{'s' if count != 1 else ''}")
    if report.tool_errors:
        count = len(report.tool_errors)
        reasons.append(f"{count} input{'s' if count != 1 else ''} an engine could not evaluate")
    return f"eksiam policy gate failed: {' and '.join(reasons)}"


def rule_info(report: Report, finding: Finding) -> RuleInfo:
    """The rule's metadata from the report (else from the project's policies), completed from
    the finding itself."""
    known = (report.rules or {}).get(finding.rule) or default_rule_metadata().get(finding.rule)
    return RuleInfo(
        id=finding.rule,
        title=(known.title if known and known.title else finding.title or finding.rule),
        description=(known.description if known and known.description else finding.title or finding.message),
        remediation=(known.remediation if known and known.remediation else finding.remediation),
        help_uri=(known.help_uri if known else ""),
        severity=(known.severity if known and known.severity else finding.severity),
    )

