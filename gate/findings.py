"""The gate's result types: what every engine produces and every report renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


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
            from gate.errors import UsageError

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

    def to_json(self) -> dict:
        data = {
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
        return data


@dataclass(frozen=True)
class EngineSummary:
    """What one engine evaluated; ``evaluated == 0`` means it did not run, never a pass."""

    evaluated: int = 0
    failed: int = 0
    passed: int = 0


@dataclass(frozen=True)
class Report:
    """The merged outcome of one gate run."""

    findings: tuple[Finding, ...]
    summary: dict[str, EngineSummary] = field(default_factory=dict)
    inputs: tuple[str, ...] = ()
    fail_on: Severity = Severity.MEDIUM

    @property
    def failing(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity >= self.fail_on)

    @property
    def passed(self) -> bool:
        return not self.failing
