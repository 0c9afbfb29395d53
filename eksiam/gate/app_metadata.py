"""What an app's synthesized stacks tell the gate about the user's code (written by
:mod:`eksiam.metadata`): each resource's stack, construct path and source line, and the
suppressions made in code with ``eksiam.suppress``.

Only an app's own stacks are read so (``eksiam check`` without ``--input``): a plan's findings
are moved onto their stack's synthesized file first, and ``--input`` files keep their own
locations.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Container, Iterable, Mapping
from dataclasses import replace
from typing import Any

from eksiam.gate.findings import Finding, Report, WaivedFinding, Waiver
from eksiam.metadata import KEY, SOURCE, SUPPRESSIONS

_INDEX = re.compile(r"\[[^\]]*\]$")


# A century: no suppression the gate accepts at all lives that long.
_NO_LIFETIME_LIMIT = 36500

def _comment(block: Any) -> Mapping[str, Any]:
    comment = block.get("//") if isinstance(block, Mapping) else None
    return comment if isinstance(comment, Mapping) else {}


def stack_name(data: Mapping[str, Any], file: str) -> str:
    """The stack's name as cdktf recorded it; else its directory's (``stacks/<name>/cdk.tf.json``)."""
    name = _comment(data).get("metadata", {}).get("stackName") if isinstance(_comment(data).get("metadata"), Mapping) else None
    if isinstance(name, str) and name:
        return name
    parts = file.replace("\\", "/").split("/")
    return parts[-2] if len(parts) >= 2 else ""


def _block(data: Mapping[str, Any], address: str) -> Mapping[str, Any] | None:
    parts = _INDEX.sub("", address).split(".")
    section = "resource"
    if parts[0] == "data":
        section, parts = "data", parts[1:]
    if len(parts) != 2:
        return None
    blocks = data.get(section)
    block = blocks.get(parts[0], {}).get(parts[1]) if isinstance(blocks, Mapping) and isinstance(blocks.get(parts[0]), Mapping) else None
    return block if isinstance(block, Mapping) else None


def _source(value: Any) -> tuple[str, int] | None:
    if isinstance(value, Mapping) and isinstance(value.get("file"), str) and type(value.get("line")) is int:
        return value["file"], value["line"]
    return None


def locate(findings: Iterable[Finding], stacks: Mapping[str, Mapping[str, Any]]) -> tuple[Finding, ...]:
    """``findings`` with stack, construct and source from their synthesized stack (``stacks``:
    the app's ``cdk.tf.json`` documents by the file name the findings carry)."""
    located = []
    for finding in findings:
        data = stacks.get(finding.file)
        if data is None:
            located.append(finding)
            continue
        block = _block(data, finding.resource)
        comment = _comment(block)
        metadata = comment.get("metadata")
        own = comment.get(KEY)
        path = metadata.get("path") if isinstance(metadata, Mapping) else None
        source = _source(own.get(SOURCE)) if isinstance(own, Mapping) else None
        located.append(replace(
            finding,
            stack=stack_name(data, finding.file),
            construct=path if isinstance(path, str) else "",
            source_file=source[0] if source else "",
            source_line=source[1] if source else 0,
        ))
    return tuple(located)


def suppression_entries(stacks: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Every ``eksiam.suppress`` entry of the app, with its stack's name."""
    found = []
    for file, data in stacks.items():
        entries = _comment(data).get(KEY, {}).get(SUPPRESSIONS) if isinstance(_comment(data).get(KEY), Mapping) else None
        for entry in entries if isinstance(entries, list) else ():
            found.append((stack_name(data, file), entry))
    return found


def _waiver(
    stack: str, entry: Any, number: int, known_rules: Container[str] | None, max_expiry: datetime.date | None
) -> tuple[Waiver, str]:
    """One entry as a waiver, validated as a waivers file entry is; its construct path beside it."""
    from eksiam.errors import UsageError
    from eksiam.gate.waivers import WaiverLimits, parse_waivers

    if not isinstance(entry, Mapping) or not isinstance(entry.get("construct"), str):
        raise UsageError(f"stack {stack}: eksiam.suppress entry #{number} is malformed: synthesize the app with this eksiam")
    source = _source(entry.get("source"))
    where = f"eksiam.suppress at {source[0]}:{source[1]}" if source else f"eksiam.suppress in stack {stack}"
    expires: Any = entry.get("expires")
    try:
        expires = datetime.date.fromisoformat(expires)
    except (TypeError, ValueError):
        pass  # parse_waivers names the bad value
    as_file_entry = {"rule": entry.get("rule"), "resource": entry["construct"], "reason": entry.get("reason"), "expires": expires}
    # The lifetime limit is checked below against max_expiry (from the run's own today), not
    # parse_waivers' default; its other checks (reason, date, rule) apply as to a file.
    (waiver,) = parse_waivers({"waiver": [as_file_entry]}, where, known_rules, WaiverLimits(max_waiver_days=_NO_LIFETIME_LIMIT))
    if max_expiry is not None and waiver.expires > max_expiry:
        raise UsageError(
            f"{where}: expires {waiver.expires.isoformat()} is later than [gate] max_waiver_days allows "
            f"({max_expiry.isoformat()}): choose an earlier date"
        )
    return replace(waiver, source=where), entry["construct"]


def _under(finding: Finding, stack: str, construct: str) -> bool:
    return finding.stack == stack and (finding.construct == construct or finding.construct.startswith(construct + "/"))


def apply_suppressions(
    report: Report,
    stacks: Mapping[str, Mapping[str, Any]],
    known_rules: Iterable[str] | None = None,
    today: datetime.date | None = None,
    max_days: int | None = None,
) -> Report:
    """``report`` with the app's in-code suppressions applied as waivers scoped to their
    construct and everything under it; an expired one fails the gate as an expired waiver does,
    and one expiring more than ``max_days`` ahead is refused as a waivers file entry is."""
    today = today or datetime.date.today()
    known = set(known_rules) if known_rules is not None else None
    max_expiry = today + datetime.timedelta(days=max_days) if max_days is not None else None
    scoped = [
        (stack, *_waiver(stack, entry, n, known, max_expiry)) for n, (stack, entry) in enumerate(suppression_entries(stacks), 1)
    ]
    kept: list[Finding] = []
    waived: list[WaivedFinding] = []
    for finding in report.findings:
        match = next(
            (w for stack, w, construct in scoped
             if w.rule == finding.rule and not w.expired_on(today) and _under(finding, stack, construct)),
            None,
        )
        if match is None:
            kept.append(finding)
        else:
            waived.append(WaivedFinding(finding=finding, waiver=match))
    expired = tuple(w for _, w, _ in scoped if w.expired_on(today) and w not in report.expired_waivers)
    return replace(report, findings=tuple(kept), waived=report.waived + tuple(waived), expired_waivers=report.expired_waivers + expired)
