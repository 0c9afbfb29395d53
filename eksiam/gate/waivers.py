"""Waivers: accepted, dated exceptions to a rule, kept in a TOML file beside the config.

```toml
[[waiver]]
rule = "EKSIAM-NODE-003"               # a rule id as the report prints it (OPA or checkov, e.g. CKV_AWS_274)
resource = "aws_iam_role.node_role"    # the finding's resource exactly, or "*" for every resource
reason = "Nodes also run the SSM agent until the bastion is retired (PLAT-1234)"  # at least 10 characters
expires = 2027-01-31                   # a TOML date (no quotes): the last day the waiver holds
```

Nothing else is accepted: an unknown key, a missing key, a short reason or an ``expires`` that
is not a date is a usage error naming the file, the entry and the fix, so a typo never turns
into a silent waiver (or a silently ignored one).

A waiver matches a finding with the same ``rule`` and ``resource`` (``"*"``: any resource).
While valid (``today <= expires``) it takes the finding out of the gate's decision; the finding
is still listed in the report under "waived". Once expired it waives nothing: a finding it
matched fails as it would without the waiver, and the expired waiver is listed in
``Report.expired_waivers``, which fails the gate by itself — whether or not it matches a
finding today, and even for a finding below the gate's threshold. A reminder that cannot be
missed: renew the waiver or remove it.
"""

from __future__ import annotations

import datetime
import re
import tomllib
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

from eksiam.errors import UsageError
from eksiam.gate import limits
from eksiam.gate.jsonfile import read_bounded
from eksiam.gate.findings import Finding, Report, WaivedFinding, Waiver

KEYS = ("rule", "resource", "reason", "expires")
MIN_REASON_LENGTH = 10
ANY_RESOURCE = "*"
_RULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_EXAMPLE = '[[waiver]] rule = "EKSIAM-NODE-003", resource = "aws_iam_role.node_role", reason = "…", expires = 2027-01-31'


def load_waivers(path: str | Path, known_rules: Iterable[str] | None = None) -> tuple[Waiver, ...]:
    """Read and validate a waivers file; ``known_rules`` (when given) rejects unknown rule ids."""
    path = Path(path)
    raw = read_bounded(path, what="waivers file", max_bytes=limits.max_input_bytes(), option="the --waivers path")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise UsageError(f"cannot read waivers file {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"waivers file {path} is not valid TOML ({error}): fix the syntax") from None
    return parse_waivers(data, str(path), known_rules)


def parse_waivers(data: Any, source: str, known_rules: Iterable[str] | None = None) -> tuple[Waiver, ...]:
    """Validate parsed TOML (``{"waiver": [ … ]}``) into waivers; ``source`` names it in errors."""
    if not isinstance(data, dict):
        raise UsageError(f"{source}: expected [[waiver]] tables like {_EXAMPLE}")
    unknown = sorted(set(data) - {"waiver"})
    if unknown:
        raise UsageError(f"{source}: unknown top-level key {unknown[0]!r}: a waivers file holds only [[waiver]] tables")
    entries = data.get("waiver", [])
    if not isinstance(entries, list):
        raise UsageError(f"{source}: 'waiver' must be an array of tables: write each one as [[waiver]]")
    known = set(known_rules) if known_rules is not None else None
    waivers: list[Waiver] = []
    seen: dict[tuple[str, str], int] = {}
    for number, entry in enumerate(entries, start=1):
        waiver = _parse_entry(entry, source, number, known)
        key = (waiver.rule, waiver.resource)
        if key in seen:
            raise UsageError(
                f"{source}: waiver #{number} repeats waiver #{seen[key]} ({waiver.rule} on {waiver.resource}): keep one"
            )
        seen[key] = number
        waivers.append(waiver)
    return tuple(waivers)


def _parse_entry(entry: Any, source: str, number: int, known: set[str] | None) -> Waiver:
    where = f"{source}: waiver #{number}"
    if not isinstance(entry, dict):
        raise UsageError(f"{where} is not a table: write it as {_EXAMPLE}")
    rule = entry.get("rule")
    if isinstance(rule, str) and rule:
        where += f" ({rule})"
    unknown = sorted(set(entry) - set(KEYS))
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r}: a waiver has only {', '.join(KEYS)}")
    missing = [key for key in KEYS if key not in entry]
    if missing:
        raise UsageError(f"{where}: missing {missing[0]!r}: a waiver needs {', '.join(KEYS)}")
    if not isinstance(rule, str) or not _RULE_ID.match(rule):
        raise UsageError(f"{where}: rule must be a rule id as the report prints it, e.g. \"EKSIAM-NODE-003\" or \"CKV_AWS_274\"")
    if known is not None and rule not in known:
        raise UsageError(f"{where}: no rule {rule!r} exists: copy the rule id from the report")
    resource = entry["resource"]
    if not isinstance(resource, str) or not resource.strip() or resource != resource.strip():
        raise UsageError(f"{where}: resource must be the finding's resource (e.g. \"aws_iam_role.node_role\") or \"*\"")
    reason = entry["reason"]
    if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON_LENGTH:
        raise UsageError(
            f"{where}: reason must say why in at least {MIN_REASON_LENGTH} characters (who accepted the risk, and until what)"
        )
    expires = entry["expires"]
    if isinstance(expires, datetime.datetime) or not isinstance(expires, datetime.date):
        shown = expires.isoformat() if isinstance(expires, datetime.date) else repr(expires)
        raise UsageError(f"{where}: expires {shown} is not a date: write a TOML date without quotes, e.g. expires = 2027-01-31")
    return Waiver(rule=rule, resource=resource, reason=" ".join(reason.split()), expires=expires, source=f"{source}: waiver #{number}")


class WaiverOutcome(NamedTuple):
    """What :func:`apply_waivers` returns; unpacks as ``kept, waived, expired``."""

    kept: tuple[Finding, ...]
    waived: tuple[WaivedFinding, ...]
    expired: tuple[Waiver, ...]


def apply_waivers(
    findings: Iterable[Finding], waivers: Iterable[Waiver], today: datetime.date | None = None
) -> WaiverOutcome:
    """Split ``findings`` into (kept, waived) and list every expired waiver.

    When several valid waivers match, the one naming the exact resource wins over ``"*"``.
    Every waiver past its date is returned as expired, matching or not: the file is out of
    date either way.
    """
    today = today or datetime.date.today()
    waivers = tuple(waivers)
    kept: list[Finding] = []
    waived: list[WaivedFinding] = []
    for finding in findings:
        matching = [w for w in waivers if w.matches(finding)]
        valid = [w for w in matching if not w.expired_on(today)]
        if valid:
            best = min(valid, key=lambda w: (w.resource == ANY_RESOURCE, -w.expires.toordinal()))
            waived.append(WaivedFinding(finding=finding, waiver=best))
            continue
        kept.append(finding)
    expired = [w for w in waivers if w.expired_on(today)]
    return WaiverOutcome(tuple(kept), tuple(waived), tuple(expired))


def waive(report: Report, waivers: Iterable[Waiver], today: datetime.date | None = None) -> Report:
    """``report`` with ``waivers`` applied (on top of any waived already)."""
    kept, waived, expired = apply_waivers(report.findings, waivers, today)
    return replace(
        report,
        findings=kept,
        waived=report.waived + waived,
        expired_waivers=report.expired_waivers + tuple(w for w in expired if w not in report.expired_waivers),
    )
