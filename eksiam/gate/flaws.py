"""One flaw, one finding: what several checks of either engine saw of one flaw, merged.

A flaw is keyed by its input file, the role (a finding's ``resource``) and what carries the
flaw (``carrier``: the attachment or policy resource, which the OPA rules name). OPA findings
about one carrier of one role are one flaw, whichever rules made them (an AdministratorAccess
attachment on the node role: EKSIAM-ROLE-003 and EKSIAM-NODE-003). A checkov finding joins
every flaw it is about: on the carrier itself (a separate resource, whose every failed check is
about what it attaches), or on the role or carrier when its check mirrors one of the flaw's
rules (the rule's METADATA ``custom.aliases``, e.g. CKV_EKSIAM_6 and CKV_AWS_274 for
EKSIAM-ROLE-003). A checkov finding that no OPA finding shares merges with the other checkov
findings on its resource that mirror the same rule.

The merged finding has the highest severity of its findings, the primary rule (the most severe
OPA rule: the one to waive), its message and fix, and every check that saw it in ``checks``
(with their ``engines``). Findings without a carrier (three required policies missing: three
findings) stay apart.

Before that, :func:`onto_synth_files` moves a plan's findings onto the synthesized file the
plan was made from, so that one flaw seen in both is one flaw.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from eksiam.gate.findings import Finding, RuleInfo

# The engine whose rules are primary: it names the role and the carrier of each flaw.
PRIMARY_ENGINE = "opa"


def onto_synth_files(findings: Iterable[Finding], location_of: Mapping[str, str]) -> tuple[Finding, ...]:
    """Plan findings moved onto their synth file, without letting findings hide each other.

    Within one input every distinct finding stays (a rule that finds three missing policies
    reports three). Across a synth file and its plan, the plan's findings for an engine, rule,
    resource and carrier the synth file already reported are the same flaws seen again, and dropped.
    """
    first_reported_in: dict[tuple[str, ...], str] = {}
    merged: dict[Finding, None] = {}
    for finding in findings:
        shown = replace(finding, file=location_of.get(finding.file, finding.file))
        key = (shown.engine, shown.rule, shown.resource, shown.carrier, shown.file)
        if first_reported_in.setdefault(key, finding.file) == finding.file:
            merged.setdefault(shown, None)
    return tuple(merged)  # the reports order findings (eksiam.gate.report.summary.ordered)


def merge_flaws(findings: Iterable[Finding], rules: Mapping[str, RuleInfo]) -> tuple[Finding, ...]:
    """``findings`` with the findings about each flaw merged into one (see the module)."""
    mirrors = {alias: rule.id for rule in rules.values() for alias in rule.aliases}
    flaws: dict[tuple[str, ...], list[Finding]] = {}
    others: list[Finding] = []
    for finding in findings:
        if finding.engine != PRIMARY_ENGINE:
            others.append(finding)
        elif finding.carrier:
            flaws.setdefault((finding.file, finding.resource, finding.carrier), []).append(finding)
        else:
            flaws.setdefault((finding.file, finding.resource, "", finding.rule, finding.message), []).append(finding)
    alone: dict[tuple[str, ...], list[Finding]] = {}
    for finding in others:
        seen = [flaw for flaw in flaws.values() if _sees(finding, flaw, mirrors)]
        for flaw in seen:
            flaw.append(finding)
        if not seen:
            family = mirrors.get(finding.rule, finding.rule)
            alone.setdefault((finding.file, finding.resource, family, finding.rule if family == finding.rule else ""), []).append(finding)
    return tuple(_merged(group) for group in [*flaws.values(), *alone.values()])


def _sees(finding: Finding, flaw: list[Finding], mirrors: Mapping[str, str]) -> bool:
    """Whether ``finding`` (of the other engine) is about the flaw the OPA findings ``flaw`` name."""
    first = flaw[0]
    if finding.file != first.file:
        return False
    if first.carrier and first.carrier != first.resource and finding.resource == first.carrier:
        return True
    rules = {f.rule for f in flaw}
    return mirrors.get(finding.rule) in rules and finding.resource in (first.resource, first.carrier)


def _merged(group: list[Finding]) -> Finding:
    if len(group) == 1:
        only = group[0]
        return only if only.checks else replace(only, checks=(only.rule,), engines=(only.engine,))
    primary = min(group, key=lambda f: (f.engine != PRIMARY_ENGINE, -f.severity, f.rule, f.message))
    rules = {f.rule for f in group if f.engine == PRIMARY_ENGINE}
    # The primary rule, the other rules of its engine, then the other engine's checks.
    checks = sorted({c for f in group for c in f.checks or (f.rule,)}, key=lambda c: (c != primary.rule, c not in rules, c))
    engines = sorted({e for f in group for e in f.engines or (f.engine,)}, key=lambda e: (e != primary.engine, e))
    # Several findings of the primary rule about one carrier (two statements of one policy):
    # each sentence says what is wrong, so all of them are kept.
    messages = dict.fromkeys(f.message for f in sorted(group, key=lambda f: f.message) if f.rule == primary.rule)
    return replace(
        primary,
        severity=max(f.severity for f in group),
        message=" ".join(messages),
        checks=tuple(checks),
        engines=tuple(engines),
    )
