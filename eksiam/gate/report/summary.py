"""What every format says the same way: finding order, engine counts, headline, rule lookup."""

from __future__ import annotations

from eksiam.gate.findings import EngineSummary, Finding, Report, RuleInfo, Waiver
from eksiam.gate.report.rules import default_rule_metadata

ENGINES = ("opa", "checkov")


def ordered(findings: tuple[Finding, ...] | list[Finding]) -> list[Finding]:
    """Most severe first, then by file, rule and resource: stable across runs."""
    return sorted(findings, key=lambda f: (-f.severity, f.file, f.rule, f.resource, f.engine, f.message))


def engine_summary(report: Report, engine: str) -> EngineSummary | None:
    return report.summary.get(engine)


def engines_of(finding: Finding) -> tuple[str, ...]:
    """The engines that saw ``finding`` (a merged finding lists several)."""
    return finding.engines or (finding.engine,)


def shown_failed(report: Report, engine: str) -> int:
    """How many of the findings shown (not waived) ``engine`` saw: the summary counts findings
    as the report lists them, one per flaw."""
    return sum(engine in engines_of(f) for f in report.findings)


def finding_counts(report: Report) -> dict[str, int]:
    """The findings as listed: all, those failing the gate, those waived; and the unused waivers."""
    return {
        "total": len(report.findings),
        "failing": len(report.failing),
        "waived": len(report.waived),
        "unused_waivers": len(report.unused_waivers),
    }


def engine_line(report: Report) -> str:
    """``findings: 1 (1 failing) · opa: 12 evaluated, 1 failed · checkov: 9 passed, 1 failed``.

    An engine's ``failed`` is the number of listed findings it saw; one finding that both
    engines saw counts once in each."""
    counts = finding_counts(report)
    extras = [f"{counts[key]} {key.replace('_', ' ')}" for key in ("waived", "unused_waivers") if counts[key]]
    shown = ", ".join([f"{counts['failing']} failing", *extras])
    parts = [f"findings: {counts['total']} ({shown})"]
    for engine in ENGINES:
        summary = engine_summary(report, engine)
        if summary is None or summary.evaluated == 0 and summary.passed == 0 and summary.failed == 0:
            parts.append(f"{engine}: did not run")
        elif engine == "checkov":
            parts.append(f"{engine}: {summary.passed} passed, {shown_failed(report, engine)} failed")
        else:
            parts.append(f"{engine}: {summary.evaluated} evaluated, {shown_failed(report, engine)} failed")
    for engine, summary in sorted(report.summary.items()):
        if engine not in ENGINES:
            parts.append(f"{engine}: {summary.evaluated} evaluated, {shown_failed(report, engine)} failed")
    return " · ".join(parts)


def headline(report: Report) -> str:
    """One sentence: passed or failed, and why."""
    threshold = report.fail_on.name
    if report.passed:
        below = len(report.findings)
        extra = f"; {below} finding{'s' if below != 1 else ''} below {threshold}" if below else ""
        waived = f"; {len(report.waived)} waived" if report.waived else ""
        unused = f"; {len(report.unused_waivers)} unused waiver{'s' if len(report.unused_waivers) != 1 else ''}" if report.unused_waivers else ""
        return f"eksiam policy gate passed (fails on {threshold} or above{extra}{waived}{unused})"
    reasons = []
    if report.failing:
        count = len(report.failing)
        reasons.append(f"{count} finding{'s' if count != 1 else ''} at {threshold} or above")
    if report.expired_waivers:
        count = len(report.expired_waivers)
        reasons.append(f"{count} expired waiver{'s' if count != 1 else ''}")
    if report.failing_unused:
        count = len(report.failing_unused)
        reasons.append(f"{count} unused waiver{'s' if count != 1 else ''}")
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



def also_seen_by(finding: Finding) -> tuple[str, ...]:
    """The checks besides the primary rule that saw ``finding``'s flaw."""
    return tuple(check for check in finding.checks if check != finding.rule)


def unused_note(report: Report, waiver: Waiver) -> str:
    """Why a waiver waived nothing, in a few words, and what to do."""
    merged_into = sorted({f.rule for f in report.findings if waiver.rule in also_seen_by(f)})
    if merged_into:
        return f"its check is part of the {', '.join(merged_into)} finding now: waive {merged_into[0]} instead"
    return "it matches no finding of this run: remove it, or fix its rule, resource, stack or construct"


def waiver_scope(waiver: Waiver) -> str:
    """``aws_iam_role.node_role in stack prod-eu at prod-eu/Nodes/**``: what a waiver covers."""
    scope = waiver.resource
    if waiver.stack:
        scope += f" in stack {waiver.stack}"
    if waiver.construct:
        scope += f" at {waiver.construct}"
    return scope
