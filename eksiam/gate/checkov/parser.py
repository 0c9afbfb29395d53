"""Reading checkov's JSON output into findings, with each finding's resource address and line."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eksiam.errors import ToolError
from eksiam.gate.checkov.catalogue import (
    BUILTIN_REMEDIATION,
    BUILTIN_SEVERITY,
    ENGINE,
    POLICY_INDEX_URL,
    SEVERITY_ALIASES,
)
from eksiam.gate.findings import EngineSummary, Finding, RuleInfo, Severity
from eksiam.gate.report.locations import key_lines

_SEE_URL = re.compile(r"\s*See (https?://\S+?)\.?$")


class CheckovFileError(ToolError):
    """checkov could not evaluate one input, ``path``: the other inputs of its run may still be."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class CheckovResult:
    """Findings (failed checks), the ``(rule, resource)`` pairs that passed, counts, and the
    metadata of every rule that produced a result."""

    findings: tuple[Finding, ...] = ()
    summary: EngineSummary = EngineSummary()
    rules: Mapping[str, RuleInfo] = field(default_factory=dict)
    passed_checks: tuple[tuple[str, str], ...] = ()
    cached: bool = False  # the stored verdict of an identical earlier evaluation
    errors: tuple[tuple[str, str], ...] = ()  # (file, why) for inputs checkov could not evaluate


def merge_results(results: Sequence[CheckovResult]) -> CheckovResult:
    findings: list[Finding] = []
    rules: dict[str, RuleInfo] = {}
    passed_checks: list[tuple[str, str]] = []
    passed = failed = cached = 0
    errors: list[tuple[str, str]] = []
    for result in results:
        cached += result.cached
        errors.extend(result.errors)
        findings.extend(result.findings)
        rules.update(result.rules)
        passed_checks.extend(result.passed_checks)
        passed += result.summary.passed
        failed += result.summary.failed
    return CheckovResult(
        tuple(findings),
        EngineSummary(evaluated=passed + failed, failed=failed, passed=passed, cached=cached),
        rules,
        tuple(passed_checks),
        errors=tuple(errors),
    )


# --- parsing ------------------------------------------------------------------------------


def parse_output(data: Any, framework: str, file: str, source_text: str = "") -> CheckovResult:
    """checkov's ``-o json`` output (one report, a list of reports, or a bare summary) → result.

    ``source_text`` (the input's JSON text) lets the synthesized ``resource.<name>`` ids that
    checkov's ``terraform_json`` runner prints be resolved to ``<type>.<name>`` addresses.
    """
    reports = _reports(data, file)
    findings: list[Finding] = []
    rules: dict[str, RuleInfo] = {}
    passed_checks: list[tuple[str, str]] = []
    passed = failed = 0
    addresses = _AddressBook(source_text)
    for report in reports:
        if report.get("check_type") not in (None, framework):
            continue
        results = report.get("results")
        if not isinstance(results, dict):
            raise ToolError(f"checkov's report for {file} has no results: upgrade or reinstall checkov==3.3.30")
        errors = results.get("parsing_errors") or []
        if errors:
            raise CheckovFileError(file, f"checkov could not parse {file} as {framework}: check that the file is complete JSON")
        for record in results.get("passed_checks") or []:
            rule = _rule_info(record)
            rules.setdefault(rule.id, rule)
            passed_checks.append((rule.id, addresses.resolve(record)))
            passed += 1
        for status in ("failed_checks", "skipped_checks"):
            for record in results.get(status) or []:
                rule = _rule_info(record)
                rules.setdefault(rule.id, rule)
                findings.append(_finding(record, rule, file, addresses, skipped=status == "skipped_checks"))
                failed += 1
    return CheckovResult(
        tuple(sorted(findings, key=lambda f: (-f.severity, f.rule, f.resource))),
        EngineSummary(evaluated=passed + failed, failed=failed, passed=passed),
        rules,
        tuple(sorted(passed_checks)),  # checkov lists its graph checks in any order from run to run
    )


def split_by_file(data: Any, frameworks: Sequence[str], label: str) -> dict[str, list[dict[str, Any]]]:
    """One checkov run's output over several files, as reports per file: one for each framework
    (``check_type``) that reported on it, of those the run was given (``frameworks``).

    Keyed by the name checkov gives each result's file (its ``file_path``; a parsing error
    names the file as it was given), which the hand-off maps to the input
    (:meth:`eksiam.gate.checkov.handoff.Handoff.input_of`).
    """
    split: dict[str, dict[str, dict[str, Any]]] = {}
    for report in _reports(data, label):
        framework = report.get("check_type") or (frameworks[0] if len(frameworks) == 1 else None)
        if framework is None:
            raise ToolError(f"checkov's output for {label} has a report of no framework: reinstall checkov==3.3.30")
        if framework not in frameworks:
            continue
        results = report.get("results")
        if not isinstance(results, dict):
            raise ToolError(f"checkov's report for {label} has no results: upgrade or reinstall checkov==3.3.30")
        for status, records in results.items():
            for record in records or []:
                path = _record_file(record)
                if not isinstance(path, str):
                    raise ToolError(f"checkov reported a result without a file for {label}: reinstall checkov==3.3.30")
                target = split.setdefault(path, {}).setdefault(framework, {"check_type": framework, "results": {}})
                target["results"].setdefault(status, []).append(record)
    return {path: list(by_framework.values()) for path, by_framework in split.items()}


def _record_file(record: Any) -> str | None:
    """The file a result is about (parsing errors are bare paths)."""
    if isinstance(record, str):
        return record
    if isinstance(record, dict):
        path = record.get("file_path") or record.get("file_abs_path")
        return path if isinstance(path, str) else None
    return None


def _reports(data: Any, file: str) -> list[dict[str, Any]]:
    if isinstance(data, list):
        reports = data
    elif isinstance(data, dict) and "results" in data:
        reports = [data]
    elif isinstance(data, dict) and {"passed", "failed"} <= data.keys():
        reports = []  # checkov prints a bare summary when the file held no resource at all
    else:
        raise ToolError(f"checkov's output for {file} is not a checkov JSON report: reinstall checkov==3.3.30")
    if not all(isinstance(report, dict) for report in reports):
        raise ToolError(f"checkov's output for {file} is not a checkov JSON report: reinstall checkov==3.3.30")
    return reports


def _severity(record: dict[str, Any]) -> Severity:
    raw = record.get("severity")
    if isinstance(raw, dict):  # some checkov versions serialize Severity objects
        raw = raw.get("name")
    if not raw:
        return BUILTIN_SEVERITY
    name = SEVERITY_ALIASES.get(str(raw).upper(), str(raw).upper())
    return Severity[name] if name in Severity.__members__ else BUILTIN_SEVERITY


def _split_guideline(guideline: str) -> tuple[str, str]:
    """``"Do X. See https://…"`` → ``("Do X.", "https://…")``; a bare URL → ``("", url)``."""
    guideline = (guideline or "").strip()
    if guideline.startswith(("http://", "https://")) and " " not in guideline:
        return "", guideline
    match = _SEE_URL.search(guideline)
    if match:
        return guideline[: match.start()].strip(), match.group(1)
    return guideline, ""


def _rule_info(record: dict[str, Any]) -> RuleInfo:
    rule_id = str(record.get("check_id") or "")
    if not rule_id:
        raise ToolError("checkov reported a result without a check id: reinstall checkov==3.3.30")
    name = str(record.get("check_name") or rule_id)
    remediation, help_uri = _split_guideline(str(record.get("guideline") or ""))
    if not remediation:
        remediation = BUILTIN_REMEDIATION.get(rule_id, "")
    if not remediation:
        remediation = f"Change the resource so that checkov's {rule_id} passes: {name}."
    return RuleInfo(
        id=rule_id,
        title=name,
        description=str(record.get("description") or name),
        remediation=remediation,
        help_uri=help_uri or POLICY_INDEX_URL,
        severity=_severity(record),
    )


def _finding(record: dict[str, Any], rule: RuleInfo, file: str, addresses: "_AddressBook", *, skipped: bool) -> Finding:
    resource = addresses.resolve(record)
    details = [str(d) for d in record.get("details") or [] if str(d).strip()]
    message = f"{resource}: {rule.title}"
    if details:
        message += f" ({'; '.join(details)})"
    if skipped:
        comment = (record.get("check_result") or {}).get("suppress_comment") or "no reason given"
        message += f" [suppressed in the source ({comment}); eksiam counts it as failed: use a waiver instead]"
    return Finding(
        rule=rule.id,
        severity=rule.severity or BUILTIN_SEVERITY,
        engine=ENGINE,
        resource=resource,
        message=message,
        remediation=rule.remediation,
        file=file,
        title=rule.title,
    )


class _AddressBook:
    """Turns checkov's ``resource.<name>`` (terraform_json) into ``<type>.<name>``.

    checkov's terraform_json runner drops the resource type from its ids; the type is found
    again by the name in the input, using checkov's reported start line when two types share
    a name.
    """

    def __init__(self, source_text: str) -> None:
        self._by_name: dict[tuple[str, str], list[tuple[str, int]]] = {}
        if not source_text:
            return
        try:
            lines = key_lines(source_text)
        except Exception:  # noqa: BLE001 - locating is best effort; the id stays as checkov gave it
            return
        for path, line in lines.items():
            if len(path) == 3 and path[0] in ("resource", "data"):
                self._by_name.setdefault((path[0], path[2]), []).append((path[1], line))

    def resolve(self, record: dict[str, Any]) -> str:
        address = record.get("resource_address") or record.get("resource") or ""
        address = str(address)
        block, _, name = address.partition(".")
        if block not in ("resource", "data") or "." in name:
            return address
        candidates = self._by_name.get((block, name), [])
        if not candidates:
            return address
        start = (record.get("file_line_range") or [None])[0]
        chosen = next((type_ for type_, line in candidates if line == start), candidates[0][0])
        return f"{chosen}.{name}" if block == "resource" else f"data.{chosen}.{name}"


def result_to_json(result: CheckovResult) -> dict[str, Any]:
    """A result as the cache stores it (see :func:`result_from_json`): about its input, not
    about the path the input had in the run that made it (a staging or run directory, gone
    by the next run), so a finding names no file."""
    return {
        "findings": [dataclasses.asdict(f) | {"severity": f.severity.name, "file": ""} for f in result.findings],
        "summary": dataclasses.asdict(result.summary),
        "rules": [dataclasses.asdict(r) | {"severity": r.severity.name if r.severity else None} for r in result.rules.values()],
        "passed_checks": [list(pair) for pair in result.passed_checks],
    }


def result_from_json(data: Any, file: str) -> CheckovResult | None:
    """The cached result, now about ``file`` (this run's path of the input), or None when the
    entry is not one (then checkov runs again)."""
    try:
        return CheckovResult(
            tuple(Finding(**f | {"severity": Severity[f["severity"]], "file": file}) for f in data["findings"]),
            EngineSummary(**data["summary"] | {"cached": 0}),
            {r["id"]: RuleInfo(**r | {"severity": Severity[r["severity"]] if r["severity"] else None}) for r in data["rules"]},
            tuple((str(rule), str(resource)) for rule, resource in data["passed_checks"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
