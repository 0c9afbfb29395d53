"""OPA's answer, as the gate keeps it: one decision per input, findings checked key by key."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eksiam.errors import ToolError, UsageError
from eksiam.gate.findings import EngineSummary, Finding, JudgedRole, Severity
from eksiam.gate.inputs import InputDocument

ENGINE_NAME = "opa"
_REQUIRED_FINDING_KEYS = ("id", "severity", "resource", "msg")


@dataclass(frozen=True)
class DocumentDecision:
    """OPA's decision on one input document."""

    document: InputDocument
    findings: tuple[Finding, ...]
    rules: tuple[str, ...]
    # data.eksiam.main.checkov: the identity the custom checkov checks judge by.
    checkov_identity: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class OpaOutcome:
    """Every decision of one gate run, and the engine summary the report prints."""

    decisions: tuple[DocumentDecision, ...]
    cached: int = 0  # decisions that are an identical earlier evaluation's, from the cache

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for decision in self.decisions for f in decision.findings)

    @property
    def checkov_identities(self) -> dict[str, Mapping[str, Any]]:
        """Each input file's identity for the custom checkov checks, by path."""
        return {d.document.path: d.checkov_identity for d in self.decisions if d.checkov_identity is not None}

    @property
    def judged_roles(self) -> tuple[JudgedRole, ...]:
        """Every role OPA recognized, per input, with its kind and what identified it: the EKS
        roles the rules judged, then the roles judged by none (cluster, fargate, …, other)."""
        return tuple(
            JudgedRole(file=d.document.path, resource=str(resource), kind=str(role.get("kind")), identified_by=str(role.get("identified_by")))
            for d in self.decisions
            for group in ("roles", "others")
            for resource, role in sorted(((d.checkov_identity or {}).get(group) or {}).items())
            if isinstance(role, dict)
        )

    @property
    def summary(self) -> EngineSummary:
        # Counted per (input, rule): a rule that fails on one input still passed on another.
        evaluated = sum(len(d.rules) for d in self.decisions)
        failed = sum(len({f.rule for f in d.findings}) for d in self.decisions)
        return EngineSummary(evaluated=evaluated, failed=failed, passed=max(evaluated - failed, 0), cached=self.cached)


def decision_to_json(decision: DocumentDecision) -> dict[str, Any]:
    """A decision as the cache stores it: everything but the file it was made on."""
    return {
        "findings": [{**f.to_json(), "file": ""} for f in decision.findings],
        "rules": list(decision.rules),
        "checkov": decision.checkov_identity,
    }


def decision_from_json(data: Any, document: InputDocument) -> DocumentDecision | None:
    """The cached decision, now about ``document``; None when the entry is not one."""
    try:
        findings = tuple(
            Finding(
                rule=f["rule"], severity=Severity[f["severity"]], engine=ENGINE_NAME, resource=f["resource"],
                message=f["message"], remediation=f.get("remediation", ""), file=document.path, title=f.get("title", ""),
                carrier=f.get("carrier", ""),
            )
            for f in data["findings"]
        )
        rules = tuple(str(r) for r in data["rules"])
        identity = data["checkov"]
    except (KeyError, TypeError, ValueError):
        return None
    if not rules or not (identity is None or isinstance(identity, dict)):
        return None
    return DocumentDecision(document=document, findings=findings, rules=rules, checkov_identity=identity)



def parse_finding(raw: Any, document: InputDocument) -> Finding:
    """One finding of a decision, checked for every key a report needs."""
    shown = json.dumps(raw, sort_keys=True)[:200]
    if not isinstance(raw, dict):
        raise ToolError(f"OPA returned a finding that is not an object for {document.path}: {shown}: fix the rule")
    missing = [k for k in _REQUIRED_FINDING_KEYS if not isinstance(raw.get(k), str) or not raw[k].strip()]
    if missing:
        raise ToolError(
            f"OPA returned a finding without {', '.join(missing)} for {document.path}: {shown}: "
            "build findings with the policy/lib helper"
        )
    try:
        severity = Severity.parse(raw["severity"])
    except UsageError:
        raise ToolError(
            f"rule {raw['id']} reported unknown severity {raw['severity']!r} for {document.path}: "
            f"use one of {', '.join(s.name for s in Severity)} in its METADATA"
        ) from None
    return Finding(
        rule=raw["id"],
        severity=severity,
        engine=ENGINE_NAME,
        resource=raw["resource"],
        message=raw["msg"],
        remediation=str(raw.get("remediation") or ""),
        file=document.path,
        title=str(raw.get("title") or ""),
        carrier=raw["carrier"] if isinstance(raw.get("carrier"), str) else "",
    )
