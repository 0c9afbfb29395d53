"""The gate's result types: what every engine produces and every report renders."""

from __future__ import annotations

import datetime
import re
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
    """One flaw on one resource: as one check saw it, or as several saw it once merged
    (eksiam.gate.flaws), ``rule`` then being the primary rule and ``checks`` every check."""

    rule: str
    severity: Severity
    engine: str  # "opa" or "checkov": the primary rule's
    resource: str
    message: str
    remediation: str = ""
    file: str = ""
    title: str = ""
    # What carries the flaw on ``resource`` (the attachment or policy resource, the trust):
    # findings about one carrier of one role are one flaw, whichever checks saw it.
    carrier: str = ""
    checks: tuple[str, ...] = ()  # every check that saw the flaw, the primary rule first
    engines: tuple[str, ...] = ()  # their engines, the primary rule's first

    def __post_init__(self) -> None:
        # A finding read back from JSON (the cache) carries lists; a finding must stay hashable.
        object.__setattr__(self, "checks", tuple(self.checks))
        object.__setattr__(self, "engines", tuple(self.engines))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity.name,
            "engine": self.engine,
            "resource": self.resource,
            "message": self.message,
        }
        optional = {"remediation": self.remediation, "file": self.file, "title": self.title, "carrier": self.carrier}
        data.update((key, value) for key, value in optional.items() if value)
        if self.checks:
            data["checks"] = list(self.checks)
            data["engines"] = list(self.engines)
        return data


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
    # The checks of the other engine that judge the same thing (METADATA custom.aliases).
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "aliases", tuple(self.aliases))


ANY_RESOURCE = "*"


@dataclass(frozen=True)
class Waiver:
    """An accepted exception: ``rule`` on ``resource`` (``"*"``: every resource) until ``expires``.

    ``resource`` names the finding's resource or what carries its flaw (the attachment, the
    policy); ``stack`` and ``construct`` (a path glob: ``*`` within one path segment, ``**``
    across segments) narrow it to the findings of that stack and construct. A CRITICAL finding
    is waived only by a waiver naming its resource exactly. ``expires`` is the last day the
    waiver holds; ``source`` names the file and entry it came from, so a report can point at
    the entry to edit.
    """

    rule: str
    resource: str
    reason: str
    expires: datetime.date
    source: str = ""
    stack: str = ""
    construct: str = ""

    def matches(self, finding: Finding) -> bool:
        if self.rule != finding.rule:
            return False
        if self.resource == ANY_RESOURCE:
            if finding.severity >= Severity.CRITICAL:
                return False
        elif self.resource not in (finding.resource, finding.carrier):
            return False
        # The stack and construct path of a finding about an app's stack (absent for --input files).
        if self.stack and getattr(finding, "stack", "") != self.stack:
            return False
        return not self.construct or bool(construct_glob(self.construct).fullmatch(getattr(finding, "construct", "") or ""))

    def expired_on(self, today: datetime.date) -> bool:
        return today > self.expires

    def to_json(self) -> dict[str, Any]:
        data = {
            "rule": self.rule,
            "resource": self.resource,
            "reason": self.reason,
            "expires": self.expires.isoformat(),
        }
        data.update((key, value) for key, value in (("stack", self.stack), ("construct", self.construct)) if value)
        if self.source:
            data["source"] = self.source
        return data


def construct_glob(pattern: str) -> re.Pattern[str]:
    """A construct path glob as a regex: ``**`` any part of the path, ``*`` and ``?`` within a segment."""
    parts = re.split(r"(\*\*|\*|\?)", pattern)
    wildcard = {"**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wildcard.get(part, re.escape(part)) for part in parts))


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
    past their expiry date: a finding they matched stays in ``findings`` and the expired waiver
    fails the gate by itself, so nobody forgets to renew or fix. ``unused_waivers`` lists valid
    waivers that matched no finding (they fail the gate with ``fail_on_unused_waivers``).
    ``rules`` carries rule metadata (titles, fixes, links) for the renderers.
    """

    findings: tuple[Finding, ...]
    summary: dict[str, EngineSummary] = field(default_factory=dict)
    inputs: tuple[str, ...] = ()
    fail_on: Severity = Severity.MEDIUM
    waived: tuple[WaivedFinding, ...] = ()
    expired_waivers: tuple[Waiver, ...] = ()
    unused_waivers: tuple[Waiver, ...] = ()
    fail_on_unused_waivers: bool = False
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
        return not self.failing and not self.expired_waivers and not self.tool_errors and not self.failing_unused

    @property
    def failing_unused(self) -> tuple[Waiver, ...]:
        """The unused waivers that fail the gate (``--fail-on-unused-waivers``)."""
        return self.unused_waivers if self.fail_on_unused_waivers else ()
