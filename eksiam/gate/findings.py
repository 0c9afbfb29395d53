"""The gate's result types: what every engine produces and every report renders."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class Severity(IntEnum):
    """Ordered so that ``severity >= threshold`` decides whether a finding fails the gate."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            from eksiam.errors import UsageError

            names = ", ".join(s.name for s in cls)
            raise UsageError(f"unknown severity {text!r}: use one of {names}") from None


@dataclass(frozen=True, order=True)
class Finding:
    """One policy violation on one resource, from one engine."""

    rule: str
    severity: Severity
    engine: str  # "opa" or "checkov"
    resource: str
    message: str
    remediation: str = ""
    file: str = ""
    title: str = ""
    # An app's stack: where the user's code made the resource (eksiam.gate.app_metadata).
    stack: str = ""
    construct: str = ""
    source_file: str = ""
    source_line: int = 0

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity.name,
            "engine": self.engine,
            "resource": self.resource,
            "message": self.message,
        }
        if self.remediation:
            data["remediation"] = self.remediation
        if self.file:
            data["file"] = self.file
        if self.title:
            data["title"] = self.title
        if self.stack:
            data.update(stack=self.stack, construct=self.construct, source=self.source)
        return data

    @property
    def source(self) -> dict[str, Any] | None:
        """``{"file", "line"}`` of the user's code that made the resource; None when unknown."""
        return {"file": self.source_file, "line": self.source_line} if self.source_file else None


@dataclass(frozen=True)
class EngineSummary:
    """What one engine evaluated; ``evaluated == 0`` means it did not run, never a pass."""

    evaluated: int = 0
    failed: int = 0
    passed: int = 0
    # Inputs whose verdict came from the cache: the same evaluation, stored (eksiam.gate.cache).
    cached: int = 0


@dataclass(frozen=True)
class RuleInfo:
    """What a report says about one rule: SARIF's rule metadata, the Markdown fix column."""

    id: str
    title: str = ""
    description: str = ""
    remediation: str = ""
    help_uri: str = ""
    severity: Severity | None = None


@dataclass(frozen=True)
class Waiver:
    """An accepted exception: ``rule`` on ``resource`` (``"*"``: every resource) until ``expires``.

    ``expires`` is the last day the waiver holds; ``source`` names the file and entry it came
    from, so a report can point at the entry to edit.
    """

    rule: str
    resource: str
    reason: str
    expires: datetime.date
    source: str = ""

    def matches(self, finding: Finding) -> bool:
        return self.rule == finding.rule and self.resource in ("*", finding.resource)

    def expired_on(self, today: datetime.date) -> bool:
        return today > self.expires

    def to_json(self) -> dict[str, Any]:
        data = {
            "rule": self.rule,
            "resource": self.resource,
            "reason": self.reason,
            "expires": self.expires.isoformat(),
        }
        if self.source:
            data["source"] = self.source
        return data


@dataclass(frozen=True)
class WaivedFinding:
    """A finding that a still-valid waiver took out of the gate's decision (but not the report)."""

    finding: Finding
    waiver: Waiver

    def to_json(self) -> dict[str, Any]:
        return {**self.finding.to_json(), "waiver": self.waiver.to_json()}


@dataclass(frozen=True)
class JudgedRole:
    """An EKS role the rules judged, and the evidence that made it one (tag, address, use,
    name or content; see policy/lib/identity.rego)."""

    file: str
    resource: str
    kind: str
    identified_by: str

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "resource": self.resource, "kind": self.kind, "identified_by": self.identified_by}


@dataclass(frozen=True)
class Report:
    """The merged outcome of one gate run.

    ``waived`` lists findings that an accepted waiver excused; ``expired_waivers`` lists waivers
    that matched a finding after their expiry date: the finding stays in ``findings`` and the
    expired waiver fails the gate by itself, so nobody forgets to renew or fix. ``rules`` carries
    rule metadata (titles, fixes, links) for the renderers.
    """

    findings: tuple[Finding, ...]
    summary: dict[str, EngineSummary] = field(default_factory=dict)
    inputs: tuple[str, ...] = ()
    fail_on: Severity = Severity.MEDIUM
    waived: tuple[WaivedFinding, ...] = ()
    expired_waivers: tuple[Waiver, ...] = ()
    rules: Mapping[str, RuleInfo] = field(default_factory=dict)
    roles: tuple[JudgedRole, ...] = ()
    # Inputs an engine could not evaluate (engine, file, why): the report shows what the other
    # engine found, and the gate fails closed (exit 3).
    tool_errors: tuple[tuple[str, str, str], ...] = ()

    @property
    def failing(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if self.fails(f))

    def fails(self, finding: Finding) -> bool:
        """Whether ``finding`` is at or above the gate's threshold."""
        return finding.severity >= self.fail_on

    @property
    def passed(self) -> bool:
        return not self.failing and not self.expired_waivers and not self.tool_errors
