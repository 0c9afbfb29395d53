"""Waivers: accepted, dated exceptions to a rule, kept in a TOML file beside the config.

```toml
[[waiver]]
rule = "EKSIAM-NODE-003"               # a rule id as the report prints it (OPA or checkov, e.g. CKV_AWS_274)
resource = "aws_iam_role.node_role"    # the finding's resource or carrier exactly, or "*" for every resource
stack = "prod-eu"                      # optional: only this stack's findings
construct = "prod-eu/Nodes/**"         # optional: only findings of constructs at this path (a glob)
reason = "Nodes also run the SSM agent until the bastion is retired (PLAT-1234)"  # at least 10 characters
expires = 2027-01-31                   # a TOML date (no quotes): the last day the waiver holds
```

Nothing else is accepted: an unknown key, a missing key, a short reason, an ``expires`` that is
not a date or lies further ahead than the platform team allows (``[gate] max_waiver_days``,
default 90), a rule or check id that does not exist, or ``"*"`` for a CRITICAL rule (a CRITICAL
finding is waived only by naming its resource) is a usage error naming the file, the entry and
the fix, so a typo never turns into a silent waiver (or a silently ignored one).

A waiver matches a finding with the same ``rule`` (the primary rule of a merged finding, see
eksiam.gate.flaws) on its ``resource``, its carrier, or ``"*"``, within its ``stack`` and
``construct`` when given. While valid (``today <= expires``) it takes the finding out of the
gate's decision; the finding is still listed in the report under "waived". Once expired it
waives nothing: a finding it matched fails as it would without the waiver, and the expired
waiver is listed in ``Report.expired_waivers``, which fails the gate by itself — whether or not
it matches a finding today, and even for a finding below the gate's threshold. A reminder that
cannot be missed: renew the waiver or remove it. A valid waiver that matched nothing is listed
in ``Report.unused_waivers`` (failing the gate with ``--fail-on-unused-waivers``).
"""

from __future__ import annotations

import datetime
import re
import tomllib
from collections.abc import Container, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

from eksiam.errors import UsageError
from eksiam.gate import limits
from eksiam.gate.jsonfile import read_bounded
from eksiam.gate.findings import ANY_RESOURCE, Finding, Report, WaivedFinding, Waiver

KEYS = ("rule", "resource", "reason", "expires")
SCOPE_KEYS = ("stack", "construct")
MIN_REASON_LENGTH = 10
DEFAULT_MAX_WAIVER_DAYS = 90
_RULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_EXAMPLE = '[[waiver]] rule = "EKSIAM-NODE-003", resource = "aws_iam_role.node_role", reason = "…", expires = 2027-01-31'


class WaiverLimits(NamedTuple):
    """What the platform team allows: how far ahead a waiver may expire, from which day, and
    which rules are CRITICAL (a waiver for one names the exact resource)."""

    max_waiver_days: int = DEFAULT_MAX_WAIVER_DAYS
    critical_rules: Container[str] = ()
    today: datetime.date | None = None


def load_waivers(
    path: str | Path,
    known_rules: Container[str] | None = None,
    *,
    max_waiver_days: int = DEFAULT_MAX_WAIVER_DAYS,
    critical_rules: Container[str] = (),
    today: datetime.date | None = None,
) -> tuple[Waiver, ...]:
    """Read and validate a waivers file; ``known_rules`` (when given) rejects unknown rule ids,
    and no waiver may expire more than ``max_waiver_days`` after ``today``."""
    path = Path(path)
    raw = read_bounded(path, what="waivers file", max_bytes=limits.max_input_bytes(), option="the --waivers path")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise UsageError(f"cannot read waivers file {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"waivers file {path} is not valid TOML ({error}): fix the syntax") from None
    return parse_waivers(data, str(path), known_rules, WaiverLimits(max_waiver_days, critical_rules, today))


def parse_waivers(
    data: Any, source: str, known_rules: Container[str] | None = None, allowed: WaiverLimits = WaiverLimits()
) -> tuple[Waiver, ...]:
    """Validate parsed TOML (``{"waiver": [ … ]}``) into waivers; ``source`` names it in errors."""
    if not isinstance(allowed.max_waiver_days, int) or isinstance(allowed.max_waiver_days, bool) or allowed.max_waiver_days < 0:
        raise UsageError(f"max_waiver_days must be a whole number of days, 0 or more, not {allowed.max_waiver_days!r}")
    if not isinstance(data, dict):
        raise UsageError(f"{source}: expected [[waiver]] tables like {_EXAMPLE}")
    unknown = sorted(set(data) - {"waiver"})
    if unknown:
        raise UsageError(f"{source}: unknown top-level key {unknown[0]!r}: a waivers file holds only [[waiver]] tables")
    entries = data.get("waiver", [])
    if not isinstance(entries, list):
        raise UsageError(f"{source}: 'waiver' must be an array of tables: write each one as [[waiver]]")
    waivers: list[Waiver] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for number, entry in enumerate(entries, start=1):
        waiver = _parse_entry(entry, source, number, known_rules, allowed)
        key = (waiver.rule, waiver.resource, waiver.stack, waiver.construct)
        if key in seen:
            raise UsageError(
                f"{source}: waiver #{number} repeats waiver #{seen[key]} ({waiver.rule} on {waiver.resource}): keep one"
            )
        seen[key] = number
        waivers.append(waiver)
    return tuple(waivers)


def _parse_entry(entry: Any, source: str, number: int, known: Container[str] | None, allowed: WaiverLimits) -> Waiver:
    where = f"{source}: waiver #{number}"
    if not isinstance(entry, dict):
        raise UsageError(f"{where} is not a table: write it as {_EXAMPLE}")
    rule = entry.get("rule")
    if isinstance(rule, str) and _RULE_ID.match(rule):
        where += f" ({rule})"
    unknown = sorted(set(entry) - set(KEYS) - set(SCOPE_KEYS))
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r}: a waiver has {', '.join(KEYS)} and optionally {', '.join(SCOPE_KEYS)}")
    missing = [key for key in KEYS if key not in entry]
    if missing:
        raise UsageError(f"{where}: missing {missing[0]!r}: a waiver needs {', '.join(KEYS)}")
    if not isinstance(rule, str) or not _RULE_ID.match(rule):
        raise UsageError(f"{where}: rule must be a rule id as the report prints it, e.g. \"EKSIAM-NODE-003\" or \"CKV_AWS_274\"")
    if known is not None and rule not in known:
        raise UsageError(f"{where}: no rule or check {rule!r} exists: copy the rule id from the report")
    resource = entry["resource"]
    if not _is_name(resource):
        raise UsageError(f"{where}: resource must be the finding's resource (e.g. \"aws_iam_role.node_role\") or \"*\"")
    if resource == ANY_RESOURCE and rule in allowed.critical_rules:
        raise UsageError(f"{where}: {rule} is CRITICAL, and a CRITICAL finding is waived only on its exact resource: name it instead of \"*\"")
    scope = {key: entry.get(key, "") for key in SCOPE_KEYS}
    for key, value in scope.items():
        if key in entry and not _is_name(value):
            raise UsageError(f"{where}: {key} must be a {'stack name' if key == 'stack' else 'construct path or glob'} as the report prints it")
    reason = entry["reason"]
    if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON_LENGTH:
        raise UsageError(
            f"{where}: reason must say why in at least {MIN_REASON_LENGTH} characters (who accepted the risk, and until what)"
        )
    expires = entry["expires"]
    if isinstance(expires, datetime.datetime) or not isinstance(expires, datetime.date):
        shown = expires.isoformat() if isinstance(expires, datetime.date) else repr(expires)
        raise UsageError(f"{where}: expires {shown} is not a date: write a TOML date without quotes, e.g. expires = 2027-01-31")
    latest = (allowed.today or datetime.date.today()) + datetime.timedelta(days=allowed.max_waiver_days)
    if expires > latest:
        raise UsageError(
            f"{where}: expires {expires.isoformat()} is more than {allowed.max_waiver_days} days ahead "
            f"([gate] max_waiver_days): set a date on or before {latest.isoformat()}, and renew it then"
        )
    return Waiver(
        rule=rule, resource=resource, reason=" ".join(reason.split()), expires=expires, source=f"{source}: waiver #{number}",
        stack=scope["stack"], construct=scope["construct"],
    )


def _is_name(value: Any) -> bool:
    """A name as a report prints it: not blank, no surrounding space, no control character."""
    return isinstance(value, str) and bool(value.strip()) and value == value.strip() and value.isprintable()


class WaiverOutcome(NamedTuple):
    """What :func:`apply_waivers` returns; unpacks as ``kept, waived, expired, unused``."""

    kept: tuple[Finding, ...]
    waived: tuple[WaivedFinding, ...]
    expired: tuple[Waiver, ...]
    unused: tuple[Waiver, ...] = ()


def apply_waivers(
    findings: Iterable[Finding], waivers: Iterable[Waiver], today: datetime.date | None = None
) -> WaiverOutcome:
    """Split ``findings`` into (kept, waived), and list every expired waiver and every valid
    waiver that matched nothing.

    When several valid waivers match, the most specific wins: the exact resource over
    ``"*"``, a stack or construct over none. Every waiver past its date is returned as expired,
    matching or not: the file is out of date either way.
    """
    today = today or datetime.date.today()
    waivers = tuple(waivers)
    kept: list[Finding] = []
    waived: list[WaivedFinding] = []
    for finding in findings:
        valid = [w for w in waivers if not w.expired_on(today) and w.matches(finding)]
        if valid:
            best = min(valid, key=lambda w: (w.resource == ANY_RESOURCE, not w.stack, not w.construct, -w.expires.toordinal()))
            waived.append(WaivedFinding(finding=finding, waiver=best))
            continue
        kept.append(finding)
    expired = tuple(w for w in waivers if w.expired_on(today))
    used = {w.waiver for w in waived}
    unused = tuple(w for w in waivers if w not in used and w not in expired)
    return WaiverOutcome(tuple(kept), tuple(waived), expired, unused)


def waive(report: Report, waivers: Iterable[Waiver], today: datetime.date | None = None) -> Report:
    """``report`` with ``waivers`` applied (on top of any waived already)."""
    kept, waived, expired, unused = apply_waivers(report.findings, waivers, today)
    return replace(
        report,
        findings=kept,
        waived=report.waived + waived,
        expired_waivers=report.expired_waivers + tuple(w for w in expired if w not in report.expired_waivers),
        unused_waivers=report.unused_waivers + tuple(w for w in unused if w not in report.unused_waivers),
    )
